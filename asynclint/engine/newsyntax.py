"""Syntax newer than the running Python's `ast`, taken out so that `ast` can read the rest.

libcst parses every Python 3 grammar, but the pre-screen and the project index read files with
the running interpreter's `ast`, and Python 3.11's rejects PEP 695 (`type X = ...`,
`def f[T](...)`, `class C[T]:`) as 3.12's rejects PEP 696 defaults (`[T = int]`). A file `ast`
cannot read is never skipped: it costs libcst with full metadata, and what it defines is
missing from the index. Type parameters bind nothing the rules look at, so they are erased:
`type X[T] = V` reads as `X = V`, `def f[T](x)` as `def f(x)`. Line numbers stay what they
were (a parameter list over several lines leaves line continuations), which is all the
pre-screen's facts rely on; columns on those lines move.
"""

from __future__ import annotations

import io
import re
import tokenize

#: Whether a source may hold a `type` statement or a parameterized `def`/`class` (cheap, loose).
_MAY_HAVE = r"^[ \t]*type[ \t]+\w|\b(?:def|class)[ \t]+\w+[ \t]*\["
_MAY_HAVE_BYTES, _MAY_HAVE_TEXT = re.compile(_MAY_HAVE.encode(), re.MULTILINE), re.compile(_MAY_HAVE, re.MULTILINE)
#: Tokens after which a new statement starts.
_STATEMENT_ENDS = frozenset({tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT})
_SKIPPED = frozenset({tokenize.NL, tokenize.COMMENT})
_OPENING, _CLOSING = frozenset("([{"), frozenset(")]}")


def without_type_parameters(source: bytes | str) -> str | None:
    """The source with type parameters and `type` statements erased; None when it has none
    (or cannot be tokenized)."""
    if isinstance(source, bytes):
        if not _MAY_HAVE_BYTES.search(source):
            return None
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
            text = source.decode(encoding)
        except (SyntaxError, UnicodeDecodeError, LookupError):
            return None
    elif not _MAY_HAVE_TEXT.search(source):
        return None
    else:
        text = source
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(text).readline) if t.type not in _SKIPPED]
    except (tokenize.TokenError, SyntaxError):
        return None
    edits = _edits(tokens)
    if not edits:
        return None
    starts = [0, *(m.end() for m in re.finditer("\n", text))]
    pieces, done = [], 0
    for (row, col), (end_row, end_col), replacement in edits:
        start, end = starts[row - 1] + col, starts[end_row - 1] + end_col
        pieces += [text[done:start], replacement]
        done = end
    pieces.append(text[done:])
    return "".join(pieces)


_Position = tuple[int, int]


def _edits(tokens: list[tokenize.TokenInfo]) -> list[tuple[_Position, _Position, str]]:
    """(start, end, replacement) of each span to replace, in order."""
    edits: list[tuple[_Position, _Position, str]] = []
    statement_start = True
    for index, token in enumerate(tokens[:-2]):
        at_start, statement_start = statement_start, token.type in _STATEMENT_ENDS or token.string == ";"
        if token.type != tokenize.NAME or tokens[index + 1].type != tokenize.NAME:
            continue
        name, after = tokens[index + 1], tokens[index + 2]
        if at_start and token.string == "type" and after.string in ("=", "["):
            edits.append((token.start, name.start, ""))  # `type X = V`: `X = V`
        elif token.string not in ("def", "class") or after.string != "[":
            continue
        if after.string == "[":
            close = _closing(tokens, index + 2)
            if close is None:
                return []
            # The lines the parameters spanned stay, as line continuations.
            edits.append((after.start, close.end, " \\\n" * (close.end[0] - after.start[0])))
    return edits


def _closing(tokens: list[tokenize.TokenInfo], opening: int) -> tokenize.TokenInfo | None:
    """The token closing the bracket at `opening`."""
    depth = 0
    for token in tokens[opening:]:
        if token.type == tokenize.OP and token.string in _OPENING:
            depth += 1
        elif token.type == tokenize.OP and token.string in _CLOSING:
            depth -= 1
            if depth == 0:
                return token
    return None
