"""Syntax newer than the running Python's `ast`, taken out so that `ast` can read the rest.

libcst parses every Python 3 grammar, but the pre-screen and the project index read files with
the running interpreter's `ast`, and Python 3.11's rejects PEP 695 (`type X = ...`,
`def f[T](...)`, `class C[T]:`) as 3.12's rejects PEP 696 defaults (`[T = int]`). A file `ast`
cannot read is never skipped: it costs libcst with full metadata, and what it defines is
missing from the index. Type parameters bind nothing the rules look at, so they are erased:
`type X[T] = V` reads as `X = V`, `def f[T](x)` as `def f(x)`. Line numbers stay what they
were (a parameter list over several lines leaves line continuations), which is all the
pre-screen's facts rely on; columns on those lines move. The source is scanned with regular
expressions that step over strings and comments: `tokenize` would cost more than the parse.
"""

from __future__ import annotations

import io
import re
import tokenize

#: Comments and string literals, which the scan steps over (what looks like code there is not).
_SKIP = (
    r"\#[^\n]*"
    r"|(?<!\w)[rRbBuUfF]{0,2}(?:\"\"\"(?:\\.|[^\\])*?\"\"\"|'''(?:\\.|[^\\])*?'''"
    r"|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*')"
)
#: A `type` statement (its keyword, as `kw`), or a `def`/`class` name followed by `[` (as `open`).
_SCAN = re.compile(
    rf"(?P<skip>{_SKIP})"
    r"|(?:^|;)[ \t]*(?P<kw>type[ \t]+)(?=\w+[ \t]*[=\[])"
    r"|\b(?:def|class)[ \t]+\w+[ \t]*(?P<open>\[)",
    re.MULTILINE,
)
_BRACKETS = re.compile(rf"(?P<skip>{_SKIP})|[\[\](){{}}]")
_NAME_THEN_BRACKET = re.compile(r"\w+[ \t]*\[")
#: Whether a source may hold a `type` statement or a parameterized `def`/`class` (cheap, loose).
_MAY_HAVE = re.compile(rb"(?:^|;)[ \t]*type[ \t]+\w|\b(?:def|class)[ \t]+\w+[ \t]*\[", re.MULTILINE)


def without_type_parameters(source: bytes | str) -> str | None:
    """The source with type parameters and `type` statements erased; None when it has none."""
    if isinstance(source, bytes):
        if not _MAY_HAVE.search(source):
            return None
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
            text = source.decode(encoding)
        except (SyntaxError, UnicodeDecodeError, LookupError):
            return None
    else:
        text = source
    pieces, done = [], 0
    for match in _SCAN.finditer(text):
        if match.group("skip") is not None or match.start() < done:
            continue
        if match.group("kw") is not None:  # `type X = V` reads as `X = V`
            pieces.append(text[done : match.start("kw")])
            done = match.end()
            after = _NAME_THEN_BRACKET.match(text, done)
            if after is None:
                continue
            opening = after.end() - 1
        else:
            opening = match.start("open")
        closing = _closing(text, opening)
        if closing is None:
            return None
        # The lines the parameters spanned stay, as line continuations.
        pieces += [text[done:opening], " \\\n" * text.count("\n", opening, closing)]
        done = closing
    if not pieces:
        return None
    pieces.append(text[done:])
    return "".join(pieces)


def _closing(text: str, opening: int) -> int | None:
    """Where the bracket at `opening` is closed (the offset after it)."""
    depth = 0
    for match in _BRACKETS.finditer(text, opening):
        if match.group("skip") is not None:
            continue
        if match.group() in "([{":
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                return match.end()
    return None
