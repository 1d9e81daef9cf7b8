"""Lint one file: one parse, one metadata resolution, one batched traversal, then noqa."""

from __future__ import annotations

import io
import os
import re
import tokenize
import zlib
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Iterator, Mapping, Sequence

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider
from libcst.metadata.position_provider import PositionProvidingCodegenState

from asynclint.config import Config
from asynclint.diagnostic import Diagnostic, FileResult
from asynclint.engine.context import FileContext, detect_library
from asynclint.engine.facts import FileFacts, facts_of_source, reduced_source
from asynclint.engine.paths import real_path
from asynclint.engine.project import ProjectIndex, identifiers, index_source, is_package_init, module_name
from asynclint.engine.source import ParseFailure, parse, syntax_check
from asynclint.registry import rules_named
from asynclint.rule import Rule, has_async_def

PARSE_ERROR_CODE = "ASL000"
PARSE_ERROR_NAME = "cannot-parse"

# flake8's own pattern, so `# noqa` means the same in both entry points.
NOQA_RE = re.compile(r"#\s*noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?", re.IGNORECASE)
CODE_SPLIT_RE = re.compile(r"[,\s]+")


class RuleCrash(Exception):
    """A rule raised on a file: one line naming the rule and the file."""

    def __init__(self, path: str, rule: type[Rule] | None, error: BaseException) -> None:
        who = f"{rule.code} ({rule.name})" if rule is not None else "the engine"
        super().__init__(f"{path}: internal error in {who}: {type(error).__name__}: {error}")


class TooDeep(Exception):
    """The file nests deeper than the tree walk can follow: it is reported as ASL000, not a rule bug."""


TOO_DEEP = "cannot parse: the file nests too deeply to be analysed"


def lint_source(
    source: bytes | str,
    path: str,
    config: Config,
    *,
    rules: Sequence[type[Rule]] | None = None,
    noqa: bool = True,
    raise_errors: bool = False,
    project: ProjectIndex | None = None,
) -> FileResult:
    """Check one file's source with the rules the config enables for its path.

    `project` is the index of the whole linted tree; without one, the file is its own project.
    """
    chosen = rules_named(config.codes_for(path)) if rules is None else tuple(rules)
    screened = screen_blocks(chosen, source, path, config, project)
    candidates, project = screened.rules, screened.project
    if not candidates:
        # A file `ast` has read (to build the index, or to screen) parses: no second read to know it.
        read = screened.facts is not None or _read_facts(source, path, screened.project) is not None
        failure = None if read else syntax_check(source)
        found = (parse_error(path, failure),) if failure else ()
        return FileResult(path, found)
    if screened.facts is not None and screened.keep is not None and isinstance(source, bytes):
        # libcst reads only the blocks where a rule may fire (findings carry no edit to apply then).
        source = reduced_source(source, screened.facts, screened.keep)
    module = parse(source)
    if isinstance(module, ParseFailure):
        return FileResult(path, (parse_error(path, module),))
    try:
        text = source.decode(module.encoding) if isinstance(source, bytes) else source
        diagnostics = _lint_parsed(module, path, config, candidates, project, noqa, text)
    except (TooDeep, RecursionError):  # the walk, or libcst's code generator for noqa
        return FileResult(path, (parse_error(path, ParseFailure(TOO_DEEP)),))
    except RuleCrash as crash:
        if raise_errors:
            raise
        return FileResult(path, (), error=str(crash))
    return FileResult(path, tuple(diagnostics))


def lint_module(
    module: cst.Module,
    path: str,
    config: Config,
    rules: Sequence[type[Rule]],
    *,
    noqa: bool = True,
    project: ProjectIndex | None = None,
    source: bytes | str | None = None,
) -> list[Diagnostic]:
    """The sorted findings of an already parsed module (raises RuleCrash)."""
    candidates, project = screen(rules, source if source is not None else module.code, path, config, project)
    return _lint_parsed(module, path, config, candidates, project, noqa) if candidates else []


def _lint_parsed(
    module: cst.Module,
    path: str,
    config: Config,
    rules: Sequence[type[Rule]],
    project: ProjectIndex | None,
    noqa: bool,
    text: str | None = None,
) -> list[Diagnostic]:
    """Run already screened rules on a parsed module (`text`: its source, else generated when needed)."""
    diagnostics = run_rules(module, path, config, rules, (project or ProjectIndex()).for_file(path))
    if noqa and diagnostics:
        diagnostics = suppress_noqa(diagnostics, module.code if text is None else text)
    return sorted(diagnostics)


@dataclass(frozen=True)
class Screened:
    """What the pre-screen decided for one file."""

    rules: list[type[Rule]]
    project: ProjectIndex | None
    facts: FileFacts | None = None
    #: The blocks (functions, classes, methods) where some rule may fire; None: the whole file is needed.
    keep: set[int] | None = None


def screen(
    rules: Sequence[type[Rule]], source: bytes | str, path: str, config: Config, project: ProjectIndex | None
) -> tuple[list[type[Rule]], ProjectIndex | None]:
    """The rules that can fire on this source, decided without libcst (and the index they use)."""
    screened = screen_blocks(rules, source, path, config, project)
    return screened.rules, screened.project


def screen_blocks(
    rules: Sequence[type[Rule]], source: bytes | str, path: str, config: Config, project: ProjectIndex | None
) -> Screened:
    """`screen`, with the top-level blocks where the remaining rules may fire.

    Exact: a rule is dropped only when it cannot report anything here, a block left out only
    when no remaining rule can report in it. Cheapest first: trigger words, the identifiers
    the project index knows, then the rules' screens on an `ast` read of the file.
    `ASYNCLINT_NO_SCREEN=1` turns all of it off, so that benchmarks/bench.py can show the
    findings do not change.
    """
    if os.environ.get("ASYNCLINT_NO_SCREEN"):
        if project is None and any(rule.uses_project_index for rule in rules):
            project = single_file_index(source, path)
        return Screened(list(rules), project)
    async_def = has_async_def(source) if any(rule.requires_async_def for rule in rules) else False
    candidates = [rule for rule in rules if rule.could_fire(source, async_def)]
    if any(rule.uses_project_index for rule in candidates):
        if project is None:
            project = single_file_index(source, path)
        mentioned = identifiers(source)
        candidates = [
            rule
            for rule in candidates
            if not rule.uses_project_index or rule.may_fire(mentioned, project, config.rule_options)
        ]
    if not any(rule.screen.__func__ is not Rule.screen.__func__ for rule in candidates):  # type: ignore[attr-defined]
        return Screened(candidates, project)
    facts = file_facts(source, path, project)
    if facts is None:
        return Screened(candidates, project)
    view = project.for_file(path) if project is not None else ProjectIndex()
    kept: list[type[Rule]] = []
    keep: set[int] | None = set()
    for rule in candidates:
        where = rule.screen(facts, view, config.rule_options)
        if where is None:
            keep = None  # this rule may fire anywhere
        elif not where:
            continue
        elif keep is not None:
            keep |= where
        kept.append(rule)
    return Screened(kept, project, facts, keep)


def file_facts(source: bytes | str, path: str, project: ProjectIndex | None) -> FileFacts | None:
    """The pre-screen's facts of a file: kept from building the index, or read now (None: unreadable)."""
    return _read_facts(source, path, project) or facts_of_source(source, module_name(path), is_package_init(path))


def _read_facts(source: bytes | str, path: str, project: ProjectIndex | None) -> FileFacts | None:
    """The facts kept from building the index, when they are of this very content (not an unsaved buffer)."""
    if project is None or not isinstance(source, bytes):
        return None
    kept = project.facts.get(real_path(path))
    return kept[1] if kept is not None and kept[0] == zlib.crc32(source) else None


def single_file_index(source: bytes | str, path: str) -> ProjectIndex:
    """The index of a file linted on its own: what it defines itself."""
    index = ProjectIndex()
    entry = index_source(source, path)
    if entry is not None:
        index.add(*entry, path)
    return index


def run_rules(
    module: cst.Module, path: str, config: Config, rules: Sequence[type[Rule]], project: ProjectIndex
) -> list[Diagnostic]:
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
) -> list[Diagnostic]:
    library = detect_library(module)
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
    found: list[Diagnostic] = []
    # As `wrapper.visit_batched`, but metadata stays resolved for `finish()` (the wrapper
    # caches each provider, so the union of the rules' dependencies is computed once).
    with ExitStack() as stack:
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


class _PlacingState(PositionProvidingCodegenState):
    """libcst's position-recording code generator, stopped once the nodes asked for are placed.

    It stops between nodes, never inside `record_syntactic_position` (whose exit reads the
    positions of nodes after the one just placed).
    """

    def __init__(self, module: cst.Module, provider: PositionProvider, wanted: set[cst.CSTNode]) -> None:
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline, provider=provider)
        self.left = wanted
        self.recording = 0

    @contextmanager
    def record_syntactic_position(
        self, node: cst.CSTNode, *, start_node: cst.CSTNode | None = None, end_node: cst.CSTNode | None = None
    ) -> Iterator[None]:
        self.recording += 1
        try:
            with super().record_syntactic_position(node, start_node=start_node, end_node=end_node):
                yield
        finally:
            self.recording -= 1

    def after_codegen(self, node: cst.CSTNode) -> None:
        super().after_codegen(node)
        self.left.discard(node)
        if not self.left and not self.recording:
            raise _AllPlaced


def positions_of(module: cst.Module, wanted: set[cst.CSTNode]) -> Mapping[cst.CSTNode, CodeRange]:
    """`PositionProvider`'s positions of (at least) these nodes, generating the module's code only up to the last of them."""
    provider = PositionProvider()
    try:
        module._codegen(_PlacingState(module, provider, set(wanted)))
    except _AllPlaced:
        pass
    return provider._computed  # type: ignore[return-value]  # (what PositionProvider computes: CodeRanges)


def parse_error(path: str, failure: ParseFailure) -> Diagnostic:
    """The ASL000 finding for a file that cannot be parsed or read."""
    return Diagnostic(
        path=path,
        line=max(failure.line, 1),
        col=max(failure.col, 0),
        code=PARSE_ERROR_CODE,
        message=failure.message,
        name=PARSE_ERROR_NAME,
        end_line=max(failure.line, 1),
        end_col=max(failure.col, 0),
    )


def suppress_noqa(diagnostics: list[Diagnostic], text: str) -> list[Diagnostic]:
    """Drop findings silenced by `# noqa` or `# noqa: CODE` on any line of their logical line."""
    if not diagnostics or "noqa" not in text.lower():
        return diagnostics
    lines = text.splitlines()
    spans = logical_line_spans(text)
    kept = []
    for diag in diagnostics:
        first, last = spans.get(diag.line, (diag.line, diag.line))
        if not any(_silences(lines[n - 1], diag.code) for n in range(first, last + 1) if n <= len(lines)):
            kept.append(diag)
    return kept


def _silences(line: str, code: str) -> bool:
    match = NOQA_RE.search(line)
    if match is None:
        return False
    codes = match.group("codes")
    if not codes:
        return True
    named = [c for c in CODE_SPLIT_RE.split(codes.strip()) if c]
    return any(code == c.upper() or code.startswith(c.upper()) for c in named)


def logical_line_spans(text: str) -> dict[int, tuple[int, int]]:
    """Physical line -> (first, last) line of the logical line it belongs to."""
    spans: dict[int, tuple[int, int]] = {}
    start: int | None = None
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type in (tokenize.NL, tokenize.COMMENT) and start is None:
                continue
            if start is None:
                start = tok.start[0]
            if tok.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
                for n in range(start, tok.end[0] + 1):
                    spans[n] = (start, tok.end[0])
                start = None
    except (tokenize.TokenError, SyntaxError):
        pass  # a line we cannot place is matched on its own line only
    return spans
