"""Findings grouped by file, ruff-style, with the offending source line and a caret."""

from __future__ import annotations

import itertools
from typing import Sequence

from asynclint.core.diagnostic import Diagnostic, FixSafety


def _lines(path: str) -> list[str]:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read().splitlines()
    except OSError:
        return []


def render(diagnostics: Sequence[Diagnostic]) -> str:
    """A header per file, then `line:col CODE message`, the source line and a caret under it."""
    out: list[str] = []
    for path, group in itertools.groupby(diagnostics, key=lambda d: d.path):
        lines = _lines(path)
        out.append(f"{path}:\n")
        for d in group:
            mark = " [*]" if d.fix is FixSafety.SAFE else ""
            out.append(f"  {d.line}:{d.col + 1} {d.code}{mark} {d.message}\n")
            if 0 < d.line <= len(lines):
                source = lines[d.line - 1].expandtabs(1)
                width = max(1, (d.end_col - d.col) if d.end_line == d.line else len(source) - d.col)
                out.append(f"    | {source}\n    | {' ' * d.col}{'^' * width}\n")
        out.append("\n")
    return "".join(out)
