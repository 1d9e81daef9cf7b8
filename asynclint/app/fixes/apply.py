"""Apply the rules' edits: non-overlapping ones in one transform, imports, re-lint to a fixpoint."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Sequence

import libcst as cst

from asynclint.analysis.index.model import ProjectIndex
from asynclint.analysis.reduce import reduced_source
from asynclint.app.fixes.carry import Checked, checked, recheck
from asynclint.app.fixes.splice import spliceable, spliced_code
from asynclint.app.fixes.verify import untouched_lines_identical
from asynclint.core.config import Config
from asynclint.core.diagnostic import Diagnostic, FixSafety
from asynclint.core.errors import TOO_DEEP, RuleCrash, TooDeep
from asynclint.engine import collector
from asynclint.engine.lint import parse_error
from asynclint.engine.screening import screen_blocks
from asynclint.engine.source import ParseFailure, parse, syntax_check
from asynclint.engine.visit import findings_of
from asynclint.rules.base import Edit, Finding, Rule
from asynclint.rules.imports import add_imports, add_module_statements
from asynclint.rules.registry import rules_named

MAX_PASSES = 10


@dataclass(frozen=True)
class FixOutcome:
    """What fixing one file did: the new source, what was applied, what is left."""

    path: str
    original: bytes | str
    fixed: bytes | str
    applied: Counter[str] = field(default_factory=Counter)
    remaining: tuple[Diagnostic, ...] = ()
    error: str | None = None
    #: The decoded text before and after, for diffs (empty when nothing changed).
    text_before: str = ""
    text_after: str = ""

    @property
    def changed(self) -> bool:
        """Whether the file's content would change."""
        return self.fixed != self.original


def allowed(safety: FixSafety, unsafe: bool) -> bool:
    """Safe fixes always; unsafe ones only when asked for."""
    return safety is FixSafety.SAFE or (unsafe and safety is FixSafety.UNSAFE)


def fix_source(
    source: bytes | str,
    path: str,
    config: Config,
    *,
    unsafe: bool = False,
    rules: Sequence[type[Rule]] | None = None,
    raise_errors: bool = False,
    project: ProjectIndex | None = None,
    only: Callable[[Diagnostic], bool] | None = None,
) -> FixOutcome:
    """Fix one file's source in passes until nothing fixable is left; verify every pass.

    `only`: fix just the findings it accepts (an editor's quick fix for one finding).
    """
    with collector.paused():  # (libcst's trees and scopes: millions of objects)
        return _fixed(source, path, config, unsafe, rules, raise_errors, project, only)


def _fixed(
    source: bytes | str,
    path: str,
    config: Config,
    unsafe: bool,
    rules: Sequence[type[Rule]] | None,
    raise_errors: bool,
    project: ProjectIndex | None,
    only: Callable[[Diagnostic], bool] | None,
) -> FixOutcome:
    chosen_rules = rules_named(config.codes_for(path)) if rules is None else tuple(rules)
    parsed = parse(source)
    if isinstance(parsed, ParseFailure):
        return FixOutcome(path, source, source, remaining=(parse_error(path, parsed),))
    module: cst.Module | None = parsed
    applied: Counter[str] = Counter()
    pending: Counter[str] | None = None  # per code: how many findings must be gone after the pass
    try:
        # The module's code is generated once per pass, for the new module only: each pass's
        # text is the one the previous pass generated (and parsed), the first the source's,
        # which libcst's code reproduces exactly (were it not so, the first pass's check of
        # the untouched lines would refuse the fix).
        encoding = parsed.encoding
        text = text_before = source.decode(encoding) if isinstance(source, bytes) else source
        codes = ""
        del parsed  # (`module` holds the tree, and lets it go after the first pass)
        wanted: Callable[[Finding], bool] = lambda f: _wanted(f, unsafe, only)
        before: Checked | None = None  # what the last whole-module check left for the next pass
        for passes in range(MAX_PASSES + 1):
            if module is None:
                # After a pass's edits: most often nothing is left to fix, which a check that
                # reads with libcst only the blocks the edits changed (and what depends on
                # them, `fixes/carry.py`), or else only the blocks where a rule may fire,
                # tells (the whole file is parsed only when something is left).
                data = text.encode(encoding) if isinstance(source, bytes) else text
                rechecked = recheck(before, data, path, config, chosen_rules, project, wanted) if before is not None else None
                before = None
                found = _settled(data, path, config, chosen_rules, project, wanted) if rechecked is None else rechecked
                if found is None or isinstance(found, str):
                    reparsed = parse(data)
                    if isinstance(reparsed, ParseFailure):
                        return _failed(path, source, f"fix for {codes} produced code that does not parse")
                    module = reparsed
                    found, before = _whole(module, path, config, chosen_rules, project, data, text, wanted)
            else:  # (the source as read: the screen reuses what the index learnt of it)
                found, before = _whole(module, path, config, chosen_rules, project, source, text, wanted)
            diagnostics = [f.diagnostic for f in found]
            counts = Counter(d.code for d in diagnostics)
            if pending is not None:
                leftover = [code for code, most in pending.items() if counts[code] > most]
                if leftover:
                    return _failed(path, source, f"fix for {', '.join(leftover)} did not remove its finding")
            edits = [f.edit for f in found if f.edit is not None and _wanted(f, unsafe, only)]
            if not edits:
                fixed = text.encode(encoding) if isinstance(source, bytes) else text
                return FixOutcome(path, source, fixed, applied, tuple(diagnostics), None, text_before, text)
            if passes == MAX_PASSES:
                return _failed(path, source, f"fixes did not settle after {MAX_PASSES} passes")
            assert module is not None  # (edits come from a whole module's check)
            batch = non_overlapping(edits)
            new_text = fixed_code(module, batch)
            problem = untouched_lines_identical(text, new_text, batch, _added_lines(batch))
            if problem is not None:
                return _failed(path, source, f"fix for {_codes(batch)} changed more than it should ({problem})")
            codes, applied_now = _codes(batch), Counter(edit.code for edit in batch)
            # The old tree (which the findings' edits hold) goes before the new text is read:
            # on a file of megabytes, two trees at once would double the peak memory.
            del found, diagnostics, edits, batch
            pending = Counter({code: counts[code] - n for code, n in applied_now.items()})
            applied += applied_now
            module, text = None, new_text
    except (TooDeep, RecursionError):  # libcst's code generator recurses too
        return FixOutcome(path, source, source, remaining=(parse_error(path, ParseFailure(TOO_DEEP)),))
    except RuleCrash as crash:
        if raise_errors:
            raise
        return FixOutcome(path, source, source, error=str(crash))
    raise AssertionError("unreachable: every pass returns or continues")


def _whole(
    module: cst.Module,
    path: str,
    config: Config,
    rules: Sequence[type[Rule]],
    project: ProjectIndex | None,
    source: bytes | str,
    text: str,
    wanted: Callable[[Finding], bool],
) -> tuple[list[Finding], Checked | None]:
    """The findings of the whole module, as `lint_module` finds them, and what the next pass needs of this check."""
    screened = screen_blocks(rules, source, path, config, project)
    found = findings_of(module, path, config, screened.rules, screened.project, True, text) if screened.rules else []
    return found, checked(source, path, config, screened, found, wanted)


def _wanted(finding: Finding, unsafe: bool, only: Callable[[Diagnostic], bool] | None) -> bool:
    """Whether this finding's edit is to be applied (it has one)."""
    edit = finding.edit
    return edit is not None and allowed(edit.safety, unsafe) and (only is None or only(finding.diagnostic))


def _settled(
    data: bytes | str,
    path: str,
    config: Config,
    rules: Sequence[type[Rule]],
    project: ProjectIndex | None,
    wanted: Callable[[Finding], bool],
) -> list[Finding] | None:
    """The findings of fixed code when none of them has an edit to apply, checked as `check` does; else None.

    libcst reads only the blocks where a rule may fire (`engine/lint.py`), so findings
    whose edits would be applied cannot be taken from here (their nodes are the reduced
    module's): None then, and the whole file is parsed. None too when the screen cannot
    leave anything out (the whole file is parsed then anyway). The code parses: `ast` read
    all of it (for the screen, or to check it), and libcst the blocks it keeps.
    """
    if not isinstance(data, bytes):
        return None
    screened = screen_blocks(rules, data, path, config, project)
    if not screened.rules:
        return [] if syntax_check(data) is None else None
    if screened.facts is None or screened.keep is None:
        return None
    reduced = reduced_source(data, screened.facts, screened.keep)
    module = parse(reduced)
    if isinstance(module, ParseFailure):
        return None
    found = findings_of(module, path, config, screened.rules, screened.project, True, reduced.decode(module.encoding))
    return None if any(wanted(f) for f in found) else found


def _added_lines(edits: Sequence[Edit]) -> frozenset[str]:
    """Lines an edit may add away from its own span: its imports and module statements."""
    lines = {f"import {name}" for edit in edits for name in edit.fix.imports}
    lines.update(text for edit in edits for text in edit.fix.module_statements)
    return frozenset(lines)


def _codes(edits: Sequence[Edit]) -> str:
    return ", ".join(sorted({edit.code for edit in edits}))


def _failed(path: str, source: bytes | str, why: str) -> FixOutcome:
    return FixOutcome(path, source, source, error=f"{path}: {why}; file left unchanged")


def non_overlapping(edits: Sequence[Edit]) -> list[Edit]:
    """Edits whose spans do not overlap, the outer one first; inner ones wait for the next pass."""
    chosen: list[Edit] = []
    for edit in sorted(edits, key=lambda e: (e.start, (-e.end[0], -e.end[1]))):
        if not chosen or edit.start >= chosen[-1].end:
            chosen.append(edit)
    return chosen


class _Replace(cst.CSTTransformer):
    def __init__(self, edits: Sequence[Edit]) -> None:
        super().__init__()
        self.replacements = {edit.fix.node: edit.fix.replacement for edit in edits}

    def on_leave(  # type: ignore[override]
        self, original_node: cst.CSTNode, updated_node: cst.CSTNode
    ) -> cst.CSTNode | cst.FlattenSentinel[cst.BaseStatement]:
        return self.replacements.get(original_node, updated_node)


def fixed_code(module: cst.Module, edits: Sequence[Edit]) -> str:
    """The module's code with the edits applied, and the imports and module statements they need.

    Generated once with each replacement in its node's place (`fixes/splice.py`); by a
    transform of the tree when an edit's node needs its parent to be generated.
    """
    if not spliceable(module, edits):
        return apply_edits(module, edits).code
    needed = [name for edit in edits for name in edit.fix.imports]
    statements = [text for edit in edits for text in edit.fix.module_statements]
    return spliced_code(add_module_statements(add_imports(module, needed), statements), edits)


def apply_edits(module: cst.Module, edits: Sequence[Edit]) -> cst.Module:
    """One transform for all the edits, then the imports and module statements they need."""
    updated = module.visit(_Replace(edits))
    assert isinstance(updated, cst.Module)
    needed = [name for edit in edits for name in edit.fix.imports]
    statements = [text for edit in edits for text in edit.fix.module_statements]
    return add_module_statements(add_imports(updated, needed), statements)
