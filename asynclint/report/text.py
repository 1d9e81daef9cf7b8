"""`path:line:col: CODE message`, the flake8/ruff convention (1-based column)."""

from __future__ import annotations

from collections import Counter
from typing import Sequence

from asynclint.rule import Diagnostic


def render(diagnostics: Sequence[Diagnostic]) -> str:
    """One line per finding."""
    return "".join(f"{d.path}:{d.line}:{d.col + 1}: {d.code} {d.message}\n" for d in diagnostics)


def summary(diagnostics: Sequence[Diagnostic]) -> str:
    """The closing line of a text run."""
    if not diagnostics:
        return "All checks passed!\n"
    noun = "finding" if len(diagnostics) == 1 else "findings"
    files = len({d.path for d in diagnostics})
    return f"Found {len(diagnostics)} {noun} in {files} file{'s' if files != 1 else ''}.\n"


def statistics(diagnostics: Sequence[Diagnostic]) -> str:
    """Counts per code, most frequent first (flake8's `--statistics`)."""
    counts = Counter((d.code, d.name) for d in diagnostics)
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0][0]))
    return "".join(f"{count:>5}  {code}  {name}\n" for (code, name), count in rows)
