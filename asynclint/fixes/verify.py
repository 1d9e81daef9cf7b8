"""Checks before anything is written: the result parses and untouched lines are byte-identical."""

from __future__ import annotations

import difflib
from typing import Iterable, Sequence

from asynclint.rule import Edit


def edited_lines(edits: Iterable[Edit]) -> set[int]:
    """0-based indexes of the lines an edit may change (its node's whole lines)."""
    lines: set[int] = set()
    for edit in edits:
        lines.update(range(edit.start[0] - 1, edit.end[0]))
    return lines


def untouched_lines_identical(
    old: str, new: str, edits: Sequence[Edit], added: frozenset[str] = frozenset()
) -> str | None:
    """None when every line outside the edits' spans is unchanged, else what changed.

    Inserted lines are allowed next to an edit (a node may grow) and anywhere when they are
    blank or one of the `added` lines (the imports and module statements the edits asked for).
    """
    allowed = edited_lines(edits)
    old_lines = old.splitlines(keepends=True)
    new_lines = new.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if tag in ("replace", "delete") and not all(i in allowed for i in range(i1, i2)):
            first = next(i for i in range(i1, i2) if i not in allowed)
            return f"line {first + 1} changed outside the fixed code"
        if tag == "insert" and not (i1 in allowed or i1 - 1 in allowed):
            if not all(not line.strip() or line.strip() in added for line in new_lines[j1:j2]):
                return f"unexpected lines inserted before line {i1 + 1}"
    return None
