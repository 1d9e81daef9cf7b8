"""Source bytes -> a libcst Module, or the reason it cannot be one (reported as ASL000)."""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

from asynclint.analysis.newsyntax import without_type_parameters

if TYPE_CHECKING:
    import libcst as cst


@dataclass(frozen=True)
class ParseFailure:
    """Why a file could not be parsed, with the position the parser gave (1-based line)."""

    message: str
    line: int = 1
    col: int = 0


_CODING = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


def text_as_read(text: str) -> bytes | str:
    """An editor's decoded text as `check` would read the file: UTF-8 bytes, so that libcst reads
    only the blocks where a rule may fire; the text itself when an encoding cookie names another
    encoding (the bytes would then be decoded by the cookie, not as they were written)."""
    data = text.encode("utf-8", "surrogateescape")
    for line in data.split(b"\n", 2)[:2]:
        cookie = _CODING.match(line)
        if cookie is not None:
            name = cookie.group(1).decode("ascii", "replace").lower().replace("_", "-")
            return data if name in ("utf-8", "utf8") or name.startswith("utf-8-") else text
    return data


def is_binary(data: bytes) -> bool:
    """A NUL byte is never in Python source text; files with one are not text."""
    return b"\x00" in data


#: Brackets nested deeper than this are not given to libcst: its native parser overflows the
#: stack, which kills the process, past about 1,300 (1,200 parse on an 8 MiB stack). CPython
#: itself stops at 200.
MAX_BRACKET_NESTING = 1000
TOO_DEEP_FOR_THE_PARSER = "cannot parse: the file nests too deeply for the parser"
_BRACKETS = re.compile(rb"[\[\](){}]")


def nests_too_deeply(data: bytes | str) -> bool:
    """Whether brackets nest deeper than `MAX_BRACKET_NESTING` (counted in strings and comments too)."""
    raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
    if raw.count(b"(") + raw.count(b"[") + raw.count(b"{") <= MAX_BRACKET_NESTING:
        return False
    depth = 0
    for bracket in _BRACKETS.findall(raw):
        if bracket in b"([{":
            depth += 1
            if depth > MAX_BRACKET_NESTING:
                return True
        elif depth:
            depth -= 1
    return False


def parse(data: bytes | str) -> cst.Module | ParseFailure:
    """Parse once with libcst, keeping BOM, encoding cookie and line endings for the fixes."""
    import libcst as cst  # (here: a file no rule can fire on is checked without loading libcst)

    if isinstance(data, bytes) and is_binary(data):
        return ParseFailure("cannot parse: file is not text (it contains NUL bytes)")
    if nests_too_deeply(data):
        return ParseFailure(TOO_DEEP_FOR_THE_PARSER)
    try:
        return cst.parse_module(data)
    except cst.ParserSyntaxError as exc:
        cpython = _cpython_syntax_error(data)
        if cpython is not None:
            return cpython
        first = exc.message.strip().splitlines()[0] if exc.message.strip() else "syntax error"
        return ParseFailure(f"cannot parse: {first}", exc.raw_line, exc.raw_column)
    except (UnicodeDecodeError, LookupError) as exc:
        return ParseFailure(f"cannot parse: file is not valid text in its encoding ({exc})")
    except (RecursionError, MemoryError):
        return ParseFailure(TOO_DEEP_FOR_THE_PARSER)
    except Exception as exc:  # the native parser can raise its own errors on odd input
        return ParseFailure(f"cannot parse: {type(exc).__name__}: {exc}")


def _cpython_syntax_error(data: bytes | str) -> ParseFailure | None:
    """CPython's message and position for a source libcst rejected: they are the ones users know.

    libcst often names where its parser gave up, past the real error (`async def f(:` is
    reported on the next line). None when this Python's `ast` reads the source, once the
    syntax newer than it is erased (then libcst's own error stands).
    """
    erased = without_type_parameters(data)
    error = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for text in (data,) if erased is None else (data, erased):
            try:
                ast.parse(text)
                return None
            except SyntaxError as exc:
                error = exc
            except (ValueError, UnicodeDecodeError, RecursionError, MemoryError):
                return None
    if error is None or not error.lineno:
        return None
    return ParseFailure(f"cannot parse: {error.msg}", error.lineno, max((error.offset or 1) - 1, 0))


def syntax_check(data: bytes | str) -> ParseFailure | None:
    """Check that a file parses without paying for libcst, when no rule needs its tree.

    The running interpreter's `ast` may reject syntax newer than itself that libcst
    accepts, so an `ast` failure is confirmed by libcst before it becomes ASL000.
    """
    if isinstance(data, bytes) and is_binary(data):
        return ParseFailure("cannot parse: file is not text (it contains NUL bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning for odd escapes is not ours to show
            ast.parse(data)
        return None
    except (SyntaxError, ValueError, UnicodeDecodeError, RecursionError, MemoryError):
        result = parse(data)
        return result if isinstance(result, ParseFailure) else None
