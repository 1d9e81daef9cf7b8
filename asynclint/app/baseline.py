"""Adopting asynclint on a big codebase: record today's findings, then report only new ones.

A finding is recognised by its file (relative to the config's folder), its code, and a
fingerprint of the offending line's text (whitespace-normalised) and of the function or
class around it: never by line number, so unrelated edits above it do not invalidate it.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from asynclint.core.diagnostic import Diagnostic

VERSION = 1


class BaselineError(Exception):
    """A baseline file that cannot be read or written; one line for the user."""


@dataclass(frozen=True)
class Entry:
    """One recorded finding."""

    path: str
    code: str
    fingerprint: str


def _scopes(source: str) -> list[tuple[int, int, str]]:
    """(first line, last line, dotted name) of every def and class, outermost first."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return []
    found: list[tuple[int, int, str]] = []

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                found.append((child.lineno, child.end_lineno or child.lineno, name))
                walk(child, name + ".")
            else:
                walk(child, prefix)

    walk(tree, "")
    return found


def _relative(path: str, root: Path) -> str:
    try:
        return Path(os.path.relpath(Path(path).resolve(), root.resolve())).as_posix()
    except ValueError:
        return Path(path).as_posix()


def entries(diagnostics: Sequence[Diagnostic], root: Path) -> list[Entry]:
    """The baseline entries of these findings (reads each file once)."""
    result: list[Entry] = []
    by_path: dict[str, list[Diagnostic]] = {}
    for d in diagnostics:
        by_path.setdefault(d.path, []).append(d)
    for path, found in by_path.items():
        try:
            source = Path(path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            source = ""
        lines, scopes = source.splitlines(), _scopes(source)
        for d in found:
            text = " ".join(lines[d.line - 1].split()) if 0 < d.line <= len(lines) else ""
            scope = next((name for first, last, name in reversed(scopes) if first <= d.line <= last), "")
            digest = hashlib.sha1(f"{d.code}\0{scope}\0{text}".encode()).hexdigest()[:16]
            result.append(Entry(_relative(path, root), d.code, digest))
    return result


def write(file: str, recorded: Iterable[Entry]) -> int:
    """Write the baseline; returns how many entries it holds."""
    items = sorted(recorded, key=lambda e: (e.path, e.code, e.fingerprint))
    data = {"version": VERSION, "findings": [e.__dict__ for e in items]}
    try:
        Path(file).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    except OSError as exc:
        raise BaselineError(f"cannot write baseline {file}: {exc.strerror or exc}") from None
    return len(items)


def load(file: str) -> Counter[Entry]:
    """The recorded entries (a finding recorded twice must be matched twice)."""
    try:
        data = json.loads(Path(file).read_text(encoding="utf-8"))
        if data.get("version") != VERSION:
            raise BaselineError(f"{file}: not an asynclint baseline of version {VERSION}")
        return Counter(Entry(item["path"], item["code"], item["fingerprint"]) for item in data["findings"])
    except OSError as exc:
        raise BaselineError(f"cannot read baseline {file}: {exc.strerror or exc}") from None
    except (ValueError, KeyError, TypeError, AttributeError):
        raise BaselineError(f"{file}: not a valid asynclint baseline") from None


def without_baseline(
    diagnostics: Sequence[Diagnostic], recorded: Counter[Entry], root: Path
) -> tuple[list[Diagnostic], int]:
    """The findings not in the baseline, and how many baseline entries matched nothing (now fixed)."""
    left = Counter(recorded)
    new = []
    for d, entry in zip(diagnostics, entries(diagnostics, root)):
        if left[entry] > 0:
            left[entry] -= 1
        else:
            new.append(d)
    return new, sum(left.values())
