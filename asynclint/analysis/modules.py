"""Modules as files: their names, their `ast`, the identifiers they mention."""

from __future__ import annotations

import ast
import functools
import os
import warnings
from pathlib import Path
from typing import Iterable

from asynclint.analysis.newsyntax import without_type_parameters
from asynclint.core.paths import package_name, real_path


def module_name(path: str | os.PathLike[str]) -> str:
    """`pkg/sub/mod.py` -> `pkg.sub.mod`, walking up while folders are packages (`src/` layouts too)."""
    folder, name = os.path.split(real_path(path))
    return _module_in(package_name(folder), name)


def module_names(reals: Iterable[str]) -> list[str]:
    """`module_name` of each real path, each folder looked at once (a project has few folders, many files)."""
    packages: dict[str, str] = {}
    found = []
    for real in reals:
        cut = real.rfind(os.sep) + 1
        head = real[:cut]
        package = packages.get(head)
        if package is None:
            package = packages[head] = package_name(os.path.split(real)[0])
        found.append(_module_in(package, real[cut:]))
    return found


def _module_in(package: str, name: str) -> str:
    """The module a file of this name is in this package ("": none)."""
    stem = name[:-3] if name.endswith(".py") else os.path.splitext(name)[0]
    if name == "__init__.py":
        return package or stem
    return f"{package}.{stem}" if package else stem


def is_package_init(path: str | os.PathLike[str]) -> bool:
    """Whether the file is a package's `__init__.py` (its module is the package)."""
    return Path(path).name == "__init__.py"


def absolutize(name: str, module: str, package_init: bool) -> str:
    """`.client.fetch` seen in `pkg.api` -> `pkg.client.fetch` (relative imports made absolute)."""
    if not name.startswith("."):
        return name
    level = len(name) - len(name.lstrip("."))
    package = module.split(".") if package_init else module.split(".")[:-1]
    base = package[: len(package) - (level - 1)] if level > 1 else package
    rest = name.lstrip(".")
    return ".".join([*base, rest] if rest else base)


def parse_ast(source: bytes | str) -> ast.Module | None:
    """The `ast` of a source; None when this Python's `ast` cannot read it.

    Type parameters and `type` statements newer than this Python are erased first
    (`analysis/newsyntax.py`): line numbers stay, and they bind nothing the rules look at.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return ast.parse(source)
        except SyntaxError:
            older = without_type_parameters(source)
        except (ValueError, UnicodeDecodeError, RecursionError, MemoryError):
            return None
        try:
            return ast.parse(older) if older is not None else None
        except (SyntaxError, ValueError, UnicodeDecodeError, RecursionError, MemoryError):
            return None


#: Bytes -> themselves for ASCII letters, digits and `_`, a space for every other byte.
_WORD_BYTES = bytes(c if c == 95 or (c < 128 and chr(c).isalnum()) else 32 for c in range(256))


@functools.lru_cache(maxsize=1)  # the screen, then the result cache, ask about the same source
def identifiers(source: bytes | str) -> frozenset[str]:
    """The ASCII identifiers a source mentions (the index screen and the result cache read the same).

    Every run of ASCII letters, digits and `_`: the identifiers of the code among them (and
    numbers, words of strings and comments, which name no function). Non-ASCII bytes split runs.
    """
    data = source if isinstance(source, bytes) else source.encode("utf-8", "surrogatepass")
    return frozenset(data.translate(_WORD_BYTES).decode("ascii").split())


#: Fields of `ast` nodes that never hold a node the walks look for: names, contexts, operators, flags.
LEAF_FIELDS = frozenset(
    {"ctx", "id", "attr", "arg", "name", "module", "level", "kind", "type_comment", "is_async", "conversion", "op", "ops"}
)


def is_staticmethod(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A `@staticmethod` (its first parameter is no `self`)."""
    return any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in function.decorator_list)


def flatten(body: Iterable[ast.stmt]) -> list[ast.stmt]:
    """Statements of a block, looking into `if`/`try`/`with` (definitions there still count), in order."""
    found: list[ast.stmt] = []
    _flatten_into(body, found)
    return found


def _flatten_into(body: Iterable[ast.stmt], found: list[ast.stmt]) -> None:
    # (a list, not nested generators: the index flattens every module's body four times)
    for stmt in body:
        found.append(stmt)
        kind = type(stmt)
        if kind is ast.If:
            _flatten_into(stmt.body, found)  # type: ignore[attr-defined]
            _flatten_into(stmt.orelse, found)  # type: ignore[attr-defined]
        elif kind is ast.Try:
            _flatten_into(stmt.body, found)  # type: ignore[attr-defined]
            for handler in stmt.handlers:  # type: ignore[attr-defined]
                _flatten_into(handler.body, found)
            _flatten_into(stmt.orelse, found)  # type: ignore[attr-defined]
            _flatten_into(stmt.finalbody, found)  # type: ignore[attr-defined]
        elif kind is ast.With or kind is ast.AsyncWith:
            _flatten_into(stmt.body, found)  # type: ignore[attr-defined]
