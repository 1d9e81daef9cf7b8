"""The libcst side of a check: one metadata resolution, one batched traversal of the screened rules.

Imported when a file has a rule that may fire (see `engine/lint.py`): loading it loads libcst.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from contextlib import ExitStack
from typing import Mapping, Sequence

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst.metadata import CodePosition, CodeRange, MetadataWrapper

from asynclint.analysis import names as _names
from asynclint.analysis.cst.context import FileContext, detect_library
from asynclint.analysis.cst.scopes import quick_assignment_checks
from asynclint.analysis.cst.walk import read_only_visits
from asynclint.analysis.index.model import ProjectIndex
from asynclint.analysis.modules import is_package_init, module_name
from asynclint.core.config import Config
from asynclint.core.diagnostic import Diagnostic
from asynclint.core.errors import RuleCrash, TooDeep
from asynclint.core.noqa import suppress_noqa
from asynclint.engine.screening import screen
from asynclint.rules.base import Finding, Rule


def lint_module(
    module: cst.Module,
    path: str,
    config: Config,
    rules: Sequence[type[Rule]],
    *,
    noqa: bool = True,
    project: ProjectIndex | None = None,
    source: bytes | str | None = None,
    text: str | None = None,
) -> list[Finding]:
    """The sorted findings of an already parsed module, with their edits (raises RuleCrash).

    `source`: what was parsed (as read: the screen then reuses what the index learnt of the
    file); `text`: its decoded text. Either is generated from the module when not given.
    """
    if text is None and isinstance(source, str):
        text = source
    if source is None:
        source = text if text is not None else module.code
    candidates, project = screen(rules, source, path, config, project)
    return findings_of(module, path, config, candidates, project, noqa, text) if candidates else []


def lint_parsed(
    module: cst.Module,
    path: str,
    config: Config,
    rules: Sequence[type[Rule]],
    project: ProjectIndex | None,
    noqa: bool,
    text: str | None = None,
) -> list[Diagnostic]:
    """Run already screened rules on a parsed module (`text`: its source, else generated when needed)."""
    return [found.diagnostic for found in findings_of(module, path, config, rules, project, noqa, text)]


def findings_of(
    module: cst.Module,
    path: str,
    config: Config,
    rules: Sequence[type[Rule]],
    project: ProjectIndex | None,
    noqa: bool,
    text: str | None = None,
) -> list[Finding]:
    """`lint_parsed`, with each finding's edit."""
    found = run_rules(module, path, config, rules, (project or ProjectIndex()).for_file(path))
    if noqa and found:
        kept = suppress_noqa([f.diagnostic for f in found], module.code if text is None else text)
        if len(kept) < len(found):
            ids = {id(d) for d in kept}
            found = [f for f in found if id(f.diagnostic) in ids]
    return sorted(found, key=lambda f: f.diagnostic)


def run_rules(
    module: cst.Module, path: str, config: Config, rules: Sequence[type[Rule]], project: ProjectIndex
) -> list[Finding]:
    """All rules in one batched traversal over one metadata wrapper."""
    try:
        return _visit(module, path, config, rules, project)
    except RecursionError:
        raise TooDeep(path) from None
    except Exception as error:
        # Rare path: find which rule it was by running them one at a time.
        for rule in rules:
            try:
                _visit(module, path, config, [rule], project)
            except Exception as single:
                raise RuleCrash(path, rule, single) from single
        raise RuleCrash(path, None, error) from error


def _visit(
    module: cst.Module, path: str, config: Config, rules: Sequence[type[Rule]], project: ProjectIndex
) -> list[Finding]:
    # A module that imports no async library (nor an asyncio-only package) follows its project.
    library = detect_library(module) or _names.project_library(project)
    ctx = FileContext(
        path=path,
        module=module,
        library=library or "asyncio",
        library_known=library is not None,
        options=config.rule_options,
        module_name=module_name(path),
        package_init=is_package_init(path),
        project=project,
    )
    instances = [rule(ctx) for rule in rules]
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    found: list[Finding] = []
    # As `wrapper.visit_batched`, but metadata stays resolved for `finish()` (the wrapper
    # caches each provider, so the union of the rules' dependencies is computed once).
    with ExitStack() as stack:
        stack.enter_context(read_only_visits())
        stack.enter_context(quick_assignment_checks())
        for instance in instances:
            stack.enter_context(instance.resolve(wrapper))
        cst.visit_batched(module, [ctx.tracker, *instances])
        for instance in instances:
            instance.finish()
    wanted = {node for instance in instances for node in instance.reported_nodes()}
    if wanted:
        positions = positions_of(module, wanted)
        for instance in instances:
            found.extend(instance.diagnostics(positions))
    return found


class _AllPlaced(Exception):
    """Every node asked for has its position: the rest of the module need not be generated."""


class _Unplaced(Exception):
    """A node whose span a position needs was not watched when it was generated (see `_PlacingState`)."""


class _Everything:
    """The watch of the fallback: every node."""

    def __contains__(self, key: object) -> bool:
        return True

    def add(self, key: object) -> None:
        pass


class _PlacingState(CodegenState):
    """libcst's code generator, placing nodes as `PositionProvider` does, stopped once the nodes asked for are placed.

    The same rules as libcst's position-recording generator (a node's syntactic span, else the
    span of all it generates; `start_node`/`end_node` hoisted from a child), but counted in
    characters from the start of the module and turned into lines and columns only for the
    nodes asked for: libcst's own splits every token on line breaks and makes two objects per
    node, which took a third of a check of a big file. Only the spans of the nodes watched are
    kept: those asked for, and the children whose spans a watched node's syntactic span is
    made of (`start_node`/`end_node`, watched when the node's recording starts, before they
    are generated); should one not be (a node met twice), every span is kept instead
    (`_Unplaced`). Nodes are keyed by `id` (their hash is a Python call) while the module keeps
    them alive. It stops between nodes, never inside `record_syntactic_position` (whose exit
    reads the positions of nodes after the one just placed).
    """

    def __init__(self, module: cst.Module, wanted: set[cst.CSTNode], everything: bool = False) -> None:
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
        self.left = {id(node) for node in wanted}
        self.watch: set[int] | _Everything = _Everything() if everything else set(self.left)
        self.offset = 0
        self.spans: dict[int, tuple[int, int]] = {}
        self.starts: list[tuple[int, int]] = []  # (id, offset) of each watched node being generated
        self.recording = 0
        self.popped = ""

    def add_indent_tokens(self) -> None:
        self.tokens.extend(self.indent_tokens)
        for token in self.indent_tokens:
            self.offset += len(token)

    def add_token(self, value: str) -> None:
        self.tokens.append(value)
        self.offset += len(value)

    def pop_trailing_newline(self) -> None:
        """At the end of a file without a final newline: the newline libcst generated is dropped from the code, not from the positions."""
        self.popped = self.tokens[-1] if self.tokens else ""
        super().pop_trailing_newline()

    def before_codegen(self, node: cst.CSTNode) -> None:
        key = id(node)
        if key in self.watch:
            self.starts.append((key, self.offset))

    def after_codegen(self, node: cst.CSTNode) -> None:
        key = id(node)
        if key in self.watch:
            if not self.starts or self.starts[-1][0] != key:
                raise _Unplaced  # (watched after its generation began)
            start = self.starts.pop()[1]
            if key not in self.spans:  # (a syntactic span, recorded inside, stands)
                self.spans[key] = (start, self.offset)
            self.left.discard(key)
        if not self.left and not self.recording:
            raise _AllPlaced

    def record_syntactic_position(  # type: ignore[override]
        self, node: cst.CSTNode, *, start_node: cst.CSTNode | None = None, end_node: cst.CSTNode | None = None
    ) -> _Recording:
        return _Recording(self, node, start_node, end_node)


class _Recording:
    """`_PlacingState.record_syntactic_position`: a context manager of its own, not a generator's
    (`contextlib.contextmanager` made a generator and a wrapper per node generated)."""

    __slots__ = ("state", "node", "start_node", "end_node", "start", "watched")

    def __init__(self, state: _PlacingState, node: cst.CSTNode, start_node: cst.CSTNode | None, end_node: cst.CSTNode | None) -> None:
        self.state, self.node, self.start_node, self.end_node = state, node, start_node, end_node

    def __enter__(self) -> None:
        state = self.state
        self.start = state.offset
        state.recording += 1
        self.watched = id(self.node) in state.watch
        if self.watched:
            if self.start_node is not None:
                state.watch.add(id(self.start_node))
            if self.end_node is not None:
                state.watch.add(id(self.end_node))

    def __exit__(self, kind: object, *exc: object) -> None:
        state = self.state
        state.recording -= 1
        if not self.watched or kind is not None:
            return
        start, end = self.start, state.offset
        try:
            if self.start_node is not None:
                start = state.spans[id(self.start_node)][0]
            if self.end_node is not None:
                end = state.spans[id(self.end_node)][1]
        except KeyError:
            raise _Unplaced from None
        state.spans[id(self.node)] = (start, end)


_BREAK = re.compile(r"\r\n?|\n")  # libcst's (and the tokenizer's) line breaks


def positions_of(module: cst.Module, wanted: set[cst.CSTNode]) -> Mapping[cst.CSTNode, CodeRange]:
    """`PositionProvider`'s positions of these nodes, generating the module's code only up to the last of them."""
    state = _PlacingState(module, wanted)
    try:
        module._codegen(state)
    except _AllPlaced:
        pass
    except _Unplaced:
        state = _PlacingState(module, wanted, everything=True)
        try:
            module._codegen(state)
        except _AllPlaced:
            pass
    text = "".join(state.tokens) + state.popped
    line_starts = [0] + [match.end() for match in _BREAK.finditer(text)]

    def place(offset: int) -> CodePosition:
        line = bisect_right(line_starts, offset)
        return CodePosition(line, offset - line_starts[line - 1])

    positions: dict[cst.CSTNode, CodeRange] = {}
    for node in wanted:
        span = state.spans.get(id(node))
        if span is not None:
            positions[node] = CodeRange(place(span[0]), place(span[1]))
    return positions
