"""After a pass's edits: the fixed code's findings, libcst reading again only what the edits may have changed.

A pass's check read the whole module (its findings hold the edits). Its edits change the text
of some top-level blocks (a `def`, or a `class` with its methods: a block here); the findings
of every other block are the same, on lines moved by the edits above them, unless they depend
on a changed block. What a rule's finding depends on, the screens tell (`engine/screening.py`):

- a rule whose screen answers blocks (`Screen.screen`) reports only in those, and its findings
  are exactly those of the source with every other block left out (`analysis/reduce.py`:
  module-level code, the stubs binding each left-out name, the project index). So when no
  changed block is among its blocks, before the edits or after, its findings are the same:
  they are carried over. Else it is checked again, on its blocks of the fixed code.
- a rule whose screen answers None reads other blocks than its own. When it reads them only by
  name (`Screen.links_by_name`: the `def` or `class` that its block or the module-level code
  names, or a class naming its block's class), and no changed block is among those where it
  may report (`Screen.reports_in`) or linked to one of them (or to the module-level code) by
  name, its findings are carried over. Else it is checked again, on the blocks where it may
  report and every block linked to them by name.

Module-level lines may only be added, and only assignments of names (the set ASL206's fix keeps
its tasks in): the module-level code counts as changed then, and so does every block naming one
of those names. Anything else makes the whole module needed (None): a module-level line changed
or an import was added (it may change the library the module runs under), a block's name or its
methods changed; a changed block holds a `global` statement; a rule answers None and does not
read by name; the code is not bytes, or the project index is the file's own (it would be indexed
again from the fixed code). The index is the one the first pass used, as for the whole-module
check of the fixed code. `tests/test_fix_carry.py` checks each case against that check.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from bisect import bisect_right
from dataclasses import dataclass
from typing import Callable, Mapping, NamedTuple, Sequence

from asynclint.analysis.astwalk import MODULE, Block, FileFacts
from asynclint.analysis.index.model import ProjectIndex
from asynclint.analysis.modules import identifiers
from asynclint.analysis.reduce import reduced_source
from asynclint.core.config import Config
from asynclint.core.diagnostic import Diagnostic
from asynclint.engine.screening import Screened, screen_blocks
from asynclint.engine.source import ParseFailure, parse
from asynclint.engine.visit import findings_of
from asynclint.rules.base import Finding, Rule

_CLASS = re.compile(r"\bclass\s+([A-Za-z_][A-Za-z0-9_]*)")
_STUB = re.compile(r"(?:def|class) ([A-Za-z_][A-Za-z0-9_]*)")

#: `recheck`'s answer when the fixed code has a finding whose edit is to be applied: the
#: next pass needs the whole module's tree (and its check).
WHOLE = "whole"


@dataclass(frozen=True)
class Checked:
    """What a whole-module check of a pass leaves for checking the code its edits make."""

    data: bytes
    blocks: Mapping[int, Block]
    always: frozenset[int]
    #: Each rule the screen kept -> its blocks (None: anywhere); the others cannot fire.
    where: Mapping[type[Rule], set[int] | None]
    #: For a rule whose blocks are None and that reads other blocks by name: where it may report.
    reports: Mapping[type[Rule], set[int] | None]
    #: The findings, each with whether its edit was to be applied.
    findings: tuple[tuple[Diagnostic, bool], ...]


def checked(
    data: bytes | str, path: str, config: Config, screened: Screened[type[Rule]], found: Sequence[Finding], wanted: Callable[[Finding], bool]
) -> Checked | None:
    """What the next pass needs of this check (None: it will check the whole module)."""
    facts = screened.facts
    if not isinstance(data, bytes) or facts is None or screened.project is None:
        return None
    view = screened.project.for_file(path)
    reports = {
        rule: rule.reports_in(facts, view, config.rule_options)
        for rule, where in screened.where.items()
        if where is None and rule.links_by_name
    }
    findings = tuple((f.diagnostic, wanted(f)) for f in found)
    return Checked(data, facts.blocks, frozenset(facts.always), dict(screened.where), reports, findings)


def recheck(
    before: Checked,
    data: bytes | str,
    path: str,
    config: Config,
    rules: Sequence[type[Rule]],
    project: ProjectIndex | None,
    wanted: Callable[[Finding], bool],
) -> list[Finding] | str | None:
    """The findings of `data`, the code `before`'s edits made, checked as `check` would (no edits kept).

    None: the whole module must be checked (see the module docstring); WHOLE: it must, and a
    finding's edit is to be applied.
    """
    if not isinstance(data, bytes) or project is None:
        return None
    screened = screen_blocks(rules, data, path, config, project)
    facts = screened.facts
    if facts is None or screened.project is None:
        return None
    layout = _layout(before, facts, data)
    if layout is None:
        return None
    changed, moved = layout.changed, layout.moved
    links = _Links(facts, layout, before)
    # (An unchanged block naming what added module-level lines bind is checked again as if changed.)
    changed |= {block for block in links.top_blocks if block not in changed and not links.words(block).isdisjoint(layout.bound)}

    def renumbered(blocks: set[int] | None) -> set[int] | None:
        return None if blocks is None else {layout.renumbered.get(n, n) for n in blocks}

    view = screened.project.for_file(path)
    again: list[type[Rule]] = []
    keep: set[int] = set()
    take: dict[str, set[int] | None] = {}  # code -> the blocks where its findings are taken (None: all)
    for rule in rules:
        old, new = renumbered(before.where.get(rule, set())), screened.where.get(rule, set())
        if old is not None and new is not None:
            if changed.isdisjoint(links.tops(old | new)):
                continue
            take[rule.code] = None
            if not new:
                continue  # (it cannot fire in the fixed code)
            keep |= new
        else:
            if not rule.links_by_name:
                return None
            old_sites = renumbered(before.reports.get(rule)) if old is None else old
            new_sites = rule.reports_in(facts, view, config.rule_options) if new is None else new
            if old_sites is None or new_sites is None:
                return None
            sites = links.tops(old_sites | new_sites)
            if changed.isdisjoint(sites) and not any(links.linked(block, sites | {MODULE}) for block in changed):
                continue
            mine = take[rule.code] = links.tops(new_sites)
            if not mine:
                continue  # (it cannot fire in the fixed code)
            context = {block for block in links.top_blocks if links.linked(block, mine | {MODULE})}
            keep |= links.whole(mine | context) | (new_sites & {MODULE})
        again.append(rule)
    codes = {rule.code for rule in rules}
    found: list[Finding] = []
    for diagnostic, was_wanted in before.findings:
        if diagnostic.code in take:
            continue
        if diagnostic.code not in codes:
            return None
        if was_wanted:
            return WHOLE  # (its edit did not change its block)
        placed = _moved(diagnostic, moved)
        if placed is None:
            return None
        found.append(Finding(placed, None))
    if again:
        reduced = reduced_source(data, facts, keep)
        module = parse(reduced)
        if isinstance(module, ParseFailure):
            return None
        for finding in findings_of(module, path, config, again, screened.project, True, reduced.decode(module.encoding)):
            blocks = take[finding.diagnostic.code]
            if blocks is not None and links.top_of_line(finding.diagnostic.line) not in blocks:
                continue
            if wanted(finding):
                return WHOLE
            found.append(Finding(finding.diagnostic, None))
    return sorted(found, key=lambda f: f.diagnostic)


class _Layout(NamedTuple):
    """How the fixed code's lines stand to the code before the edits."""

    #: The top-level blocks whose text changed (numbered as in the fixed code), and MODULE when
    #: module-level lines were added, with every block naming what they bind.
    changed: set[int]
    #: Each line before the edits -> its line in the fixed code (0: in a changed block).
    moved: list[int]
    #: Each block number before the edits -> its number in the fixed code.
    renumbered: dict[int, int]
    #: The names the added module-level lines bind.
    bound: frozenset[str]
    old_lines: list[bytes]
    new_lines: list[bytes]


def _layout(before: Checked, facts: FileFacts, data: bytes) -> _Layout | None:
    """None unless the blocks (names, methods, order, those holding a `global` statement) are the
    same, no changed block holds a `global` statement, and the module-level lines are the same
    but for added assignments of names (ASL206's `_background_tasks = set()`), blank lines and comments.
    """
    old_blocks, new_blocks = before.blocks, facts.blocks
    old_tops = sorted((b.first, b.last, n) for n, b in old_blocks.items() if b.parent == MODULE)
    new_tops = sorted((b.first, b.last, n) for n, b in new_blocks.items() if b.parent == MODULE)
    if len(old_tops) != len(new_tops) or len(old_blocks) != len(new_blocks):
        return None
    renumbered = {old: new for (_, _, old), (_, _, new) in zip(old_tops, new_tops)}
    renumbered.update((n, n) for n, b in old_blocks.items() if b.parent != MODULE)  # (methods: by the blocks before them)
    for old, new in renumbered.items():
        a, b = old_blocks[old], new_blocks.get(new)
        if b is None or a.stub != b.stub or renumbered.get(a.parent, MODULE) != b.parent:
            return None
    if {renumbered[n] for n in before.always} != facts.always:
        return None
    old_lines, new_lines = before.data.splitlines(keepends=True), data.splitlines(keepends=True)
    moved = [0] * (len(old_lines) + 2)
    changed: set[int] = set()
    added: list[bytes] = []
    old_at = new_at = 1  # the first line after the last block
    bounds = [(o[0], o[1], n[0], n[1], n[2]) for o, n in zip(old_tops, new_tops)]
    bounds.append((len(old_lines) + 1, len(old_lines), len(new_lines) + 1, len(new_lines), MODULE))
    for old_first, old_last, new_first, new_last, number in bounds:
        if old_first < old_at or new_first < new_at or old_last > len(old_lines) or new_last > len(new_lines):
            return None
        if not _inserted(old_lines, old_at, old_first, new_lines, new_at, new_first, moved, added):
            return None
        if number == MODULE:
            break
        if old_lines[old_first - 1 : old_last] == new_lines[new_first - 1 : new_last]:
            for line in range(old_first, old_last + 1):
                moved[line] = line - old_first + new_first
        else:
            changed.add(number)
        old_at, new_at = old_last + 1, new_last + 1
    moved[len(old_lines) + 1] = len(new_lines) + 1  # (where a position at the very end stands)
    if not changed.isdisjoint(facts.always):
        return None
    bound = _bound(added)
    if bound is None:
        return None
    if bound:
        changed.add(MODULE)
    return _Layout(changed, moved, renumbered, bound, old_lines, new_lines)


def _inserted(
    old_lines: list[bytes], old_at: int, old_end: int, new_lines: list[bytes], new_at: int, new_end: int, moved: list[int], added: list[bytes]
) -> bool:
    """Whether the module-level lines new_at..new_end-1 are old_at..old_end-1 with lines added (into `added`);
    each old line's new number into `moved`."""
    new = new_at
    for old in range(old_at, old_end):
        while new < new_end and new_lines[new - 1] != old_lines[old - 1]:
            added.append(new_lines[new - 1])
            new += 1
        if new == new_end:
            return False
        moved[old] = new
        new += 1
    added.extend(new_lines[new - 1 : new_end - 1])
    return True


def _bound(added: list[bytes]) -> frozenset[str] | None:
    """The names added module-level lines bind, when they are only assignments of names (None: else)."""
    if not any(line.strip() for line in added):
        return frozenset()
    try:
        tree = ast.parse(b"".join(line.rstrip(b"\r\n") + b"\n" for line in added))
    except (SyntaxError, ValueError):
        return None
    names: set[str] = set()
    for stmt in tree.body:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] if isinstance(stmt, ast.AnnAssign) else None
        if targets is None or not all(isinstance(t, ast.Name) for t in targets):
            return None
        names.update(t.id for t in targets)  # type: ignore[attr-defined]
    return frozenset(names)


def _moved(diagnostic: Diagnostic, moved: list[int]) -> Diagnostic | None:
    """The finding on the lines the edits moved it to (None: it stood in a changed block)."""

    def line(number: int) -> int:
        return moved[number] if 0 < number < len(moved) else 0

    start, end = line(diagnostic.line), line(diagnostic.end_line) if diagnostic.end_line else 0
    if not start or (diagnostic.end_line and not end):
        return None
    text_edit = diagnostic.text_edit
    if text_edit is not None:
        first, last = line(text_edit.start[0]), line(text_edit.end[0])
        if not first or not last:
            return None
        text_edit = dataclasses.replace(text_edit, start=(first, text_edit.start[1]), end=(last, text_edit.end[1]))
    if start == diagnostic.line and end == diagnostic.end_line:
        return diagnostic
    return dataclasses.replace(diagnostic, line=start, end_line=end, text_edit=text_edit)


class _Links:
    """The top-level blocks of the fixed code, and which are linked by name (see the module docstring)."""

    def __init__(self, facts: FileFacts, layout: _Layout, before: Checked) -> None:
        self.blocks = facts.blocks
        self.lines = layout.new_lines
        self.old_lines = layout.old_lines
        self.changed = {n for n in layout.changed if n != MODULE}  # (before the blocks naming added names join)
        self.old_number = {new: old for old, new in layout.renumbered.items()}
        self.before = before
        self.bound = layout.bound
        self.top_blocks = sorted((n for n, b in facts.blocks.items() if b.parent == MODULE), key=lambda n: facts.blocks[n].first)
        self._starts = [facts.blocks[n].first for n in self.top_blocks]
        self._methods: dict[int, set[int]] = {}
        for number, block in facts.blocks.items():
            if block.parent != MODULE:
                self._methods.setdefault(block.parent, set()).add(number)
        self._words: dict[int, frozenset[str]] = {}
        self._classes: dict[int, frozenset[str]] = {}

    def tops(self, numbers: set[int]) -> set[int]:
        """The top-level blocks of these blocks (a method's class; MODULE stays)."""
        return {n if n == MODULE or self.blocks[n].parent == MODULE else self.blocks[n].parent for n in numbers if n == MODULE or n in self.blocks}

    def whole(self, numbers: set[int]) -> set[int]:
        """These blocks, with every method of each class among them."""
        return numbers | {m for n in numbers for m in self._methods.get(n, ())}

    def top_of_line(self, line: int) -> int:
        """The top-level block holding a line of the fixed code, or MODULE."""
        index = bisect_right(self._starts, line) - 1
        if index >= 0:
            number = self.top_blocks[index]
            if line <= self.blocks[number].last:
                return number
        return MODULE

    def names(self, number: int) -> frozenset[str]:
        """The names a top-level block binds at its top: its own, and its methods' (the module: what added lines bind)."""
        if number == MODULE:
            return self.bound
        stubs = [self.blocks[number].stub, *(self.blocks[m].stub for m in self._methods.get(number, ()))]
        return frozenset(match.group(1) for stub in stubs if (match := _STUB.match(stub)))

    def text(self, number: int) -> bytes:
        if number == MODULE:
            inside = bytearray(len(self.lines) + 1)
            for n in self.top_blocks:
                block = self.blocks[n]
                inside[block.first : block.last + 1] = b"\x01" * (block.last - block.first + 1)
            return b"".join(line for i, line in enumerate(self.lines, 1) if not inside[i])
        block = self.blocks[number]
        text = b"".join(self.lines[block.first - 1 : block.last])
        if number in self.changed:  # (what it named before the edits counts too)
            old = self.before.blocks[self.old_number[number]]
            text += b"\n" + b"".join(self.old_lines[old.first - 1 : old.last])
        return text

    def words(self, number: int) -> frozenset[str]:
        if number not in self._words:
            self._words[number] = identifiers(self.text(number))
        return self._words[number]

    def classes(self, number: int) -> frozenset[str]:
        """Every class name a block defines, at any depth."""
        if number not in self._classes:
            self._classes[number] = frozenset(_CLASS.findall(self.text(number).decode("utf-8", "replace")))
        return self._classes[number]

    def linked(self, number: int, others: set[int]) -> bool:
        """Whether a top-level block is linked by name to any of `others`: one names what the block
        binds, or the block names a class one of them defines."""
        names, words = self.names(number), self.words(number)
        return any(number != other and (not names.isdisjoint(self.words(other)) or not words.isdisjoint(self.classes(other))) for other in others)
