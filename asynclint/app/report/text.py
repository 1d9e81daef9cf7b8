"""`path:line:col: CODE message`, the flake8/ruff convention (1-based column)."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Sequence

import click

from asynclint.core.diagnostic import Diagnostic, FixSafety

if TYPE_CHECKING:
    from asynclint.app.fixes.apply import FixOutcome


def render(diagnostics: Sequence[Diagnostic], color: bool = False) -> str:
    """One line per finding; `[*]` marks those `asynclint fix` fixes by default."""
    lines = []
    for d in diagnostics:
        path, code = f"{d.path}:{d.line}:{d.col + 1}:", d.code
        mark = " [*]" if d.fix is FixSafety.SAFE else ""
        if color:
            path, code = click.style(path, bold=True), click.style(code, fg="red", bold=True)
            mark = click.style(mark, fg="cyan") if mark else ""
        lines.append(f"{path} {code}{mark} {d.message}\n")
    return "".join(lines)


def _plural(count: int, noun: str, plural: str | None = None) -> str:
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def fixable(diagnostics: Sequence[Diagnostic], unsafe: bool) -> str:
    """How many findings `asynclint fix` would fix, with and without `--unsafe-fixes`."""
    safe = sum(d.fix is FixSafety.SAFE for d in diagnostics)
    risky = sum(d.fix is FixSafety.UNSAFE for d in diagnostics)
    if unsafe and safe + risky:
        return f"[*] {safe + risky} fixable with `asynclint fix --unsafe-fixes`.\n"
    if safe and risky:
        return f"[*] {safe} fixable with `asynclint fix` ({risky} more with `--unsafe-fixes`).\n"
    if safe:
        return f"[*] {safe} fixable with `asynclint fix`.\n"
    if risky:
        return f"{risky} fixable with `asynclint fix --unsafe-fixes`.\n"
    return ""


def fix_summary(
    done: Sequence[FixOutcome],
    remaining: Sequence[Diagnostic],
    unsafe: bool,
    dry_run: bool,
    refused: Sequence[FixOutcome] = (),
) -> str:
    """`N fixes applied in M files, K findings left without a fix`; `refused`: files whose fixes could not be written."""
    applied = sum(sum(o.applied.values()) for o in done)
    verb = "would be applied" if dry_run else "applied"
    line = f"{_plural(applied, 'fix', 'fixes')} {verb} in {_plural(len(done), 'file')}"
    if refused:
        lost = sum(sum(o.applied.values()) for o in refused)
        line += f"; {_plural(lost, 'fix', 'fixes')} not applied: {_plural(len(refused), 'file')} left unchanged (see the error below)"
    line += f", {_plural(len(remaining), 'finding')} left without a fix"
    risky = sum(d.fix is FixSafety.UNSAFE for d in remaining)
    if risky and not unsafe:
        line += f" ({risky} fixable with `--unsafe-fixes`)"
    return line + ".\n"


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
