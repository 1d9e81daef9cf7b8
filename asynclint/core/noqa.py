"""`# noqa` comments: which findings they silence (the CLI's; under flake8, flake8 owns them)."""

from __future__ import annotations

import io
import re
import tokenize

from asynclint.core.diagnostic import Diagnostic

# flake8's own pattern, so `# noqa` means the same in both entry points.
NOQA_RE = re.compile(r"#\s*noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?", re.IGNORECASE)
CODE_SPLIT_RE = re.compile(r"[,\s]+")


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
