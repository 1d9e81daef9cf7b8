"""Checks before anything is written: the result parses and untouched lines are byte-identical.

The check is positional, linear in the file's size: each edit's span in the old text is
known, and so is how many lines its replacement adds or removes (the replacement's code
against the replaced node's, each generated alone: indentation changes no line count). Every
line outside the spans must then be found, in order and byte for byte, where the edits put
it. (A diff of the two texts, as this once was, takes minutes on a file of a few megabytes
whose functions repeat the same lines.)
"""

from __future__ import annotations

import re
from typing import Iterable, Sequence

import libcst as cst

from asynclint.rules.base import Edit

#: Line breaks as Python's tokenizer (and libcst's positions) count them: not form feeds or U+2028.
_BREAK = re.compile(r"\r\n?|\n")
_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+\Z")


def split_lines(text: str) -> list[str]:
    """`text`'s lines with their line breaks, numbered as libcst numbers them (0-based here)."""
    return _LINE.findall(text)


def edited_lines(edits: Iterable[Edit]) -> set[int]:
    """0-based indexes of the lines an edit may change (its node's whole lines)."""
    lines: set[int] = set()
    for edit in edits:
        lines.update(range(edit.start[0] - 1, edit.end[0]))
    return lines


def line_delta(edit: Edit) -> int:
    """How many lines the edit's replacement adds (negative: removes) where it stands."""
    empty = cst.Module(body=[])
    replacement = edit.fix.replacement
    nodes = replacement.nodes if isinstance(replacement, cst.FlattenSentinel) else (replacement,)
    new = sum(len(_BREAK.findall(empty.code_for_node(node))) for node in nodes)
    return new - len(_BREAK.findall(empty.code_for_node(edit.fix.node)))


def _regions(edits: Sequence[Edit]) -> list[tuple[int, int, int]]:
    """The edits' line ranges (0-based first and last line), merged when they share a line, with their line deltas."""
    regions: list[list[int]] = []
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        first, last, delta = edit.start[0] - 1, edit.end[0] - 1, line_delta(edit)
        if regions and first <= regions[-1][1]:
            regions[-1][1] = max(regions[-1][1], last)
            regions[-1][2] += delta
        else:
            regions.append([first, last, delta])
    return [(first, last, delta) for first, last, delta in regions]


def untouched_lines_identical(
    old: str, new: str, edits: Sequence[Edit], added: frozenset[str] = frozenset()
) -> str | None:
    """None when every line outside the edits' spans is unchanged, else what changed.

    Inserted lines are allowed anywhere when they are blank or one of the `added` lines (the
    imports and module statements the edits asked for), right before an edit's span too.
    """
    old_lines, new_lines = split_lines(old), split_lines(new)

    def insertable(j: int) -> bool:
        line = new_lines[j].strip()
        return not line or line in added

    i = j = 0  # the next line of old and of new

    def untouched(upto: int) -> str | None:
        nonlocal i, j
        while i < upto:
            if j < len(new_lines) and new_lines[j] == old_lines[i]:
                i, j = i + 1, j + 1
            elif j < len(new_lines) and insertable(j):
                j += 1
            elif old_lines[i] in new_lines[j + 1 : j + 4]:
                return f"unexpected lines inserted before line {i + 1}"
            else:
                return f"line {i + 1} changed outside the fixed code"
        return None

    regions = _regions(edits)
    for n, (first, last, delta) in enumerate(regions):
        problem = untouched(first)
        if problem is not None:
            return problem
        size = last - first + 1 + delta
        if size < 0:
            return f"the fix of line {first + 1} removed more lines than it should"
        # Lines inserted right before the span (an import above an edited first statement) are
        # skipped when the line after the span is then where it should be.
        skip = 0
        untouched_after = last + 1 < len(old_lines) and (n + 1 == len(regions) or last + 1 < regions[n + 1][0])
        following = old_lines[last + 1] if untouched_after else None
        while following is not None and not _at(new_lines, j + skip + size, following):
            if j + skip < len(new_lines) and insertable(j + skip):
                skip += 1
            else:
                return f"line {last + 2} changed outside the fixed code"
        i, j = last + 1, j + skip + size
        if j > len(new_lines):
            return f"the fix of line {first + 1} removed more lines than it should"
    problem = untouched(len(old_lines))
    if problem is not None:
        return problem
    if any(not insertable(k) for k in range(j, len(new_lines))):
        return f"unexpected lines added after line {len(old_lines)}"
    return None


def _at(lines: Sequence[str], index: int, line: str) -> bool:
    return index < len(lines) and lines[index] == line
