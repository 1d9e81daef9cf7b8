"""Which files to check: `*.py` below the given folders, skipping tool and virtualenv folders."""

from __future__ import annotations

import os
from typing import Callable, Iterator, Sequence

from asynclint.config import Config
from asynclint.engine.paths import forget

SKIPPED_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", ".venv", "venv", "build", "dist", "__pycache__", ".tox", ".nox",
        "node_modules", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".asynclint_cache", ".eggs",
    }
)


class PathError(Exception):
    """A path given on the command line does not exist."""


Skipped = Callable[[str, str], None]


def ignore_skipped(path: str, reason: str) -> None:
    """The default `on_skip`: say nothing."""


def discover(paths: Sequence[str], config: Config, on_skip: Skipped = ignore_skipped) -> list[str]:
    """Files to check, in a stable order; explicit file paths are always checked.

    `on_skip(path, reason)` hears of every folder and file left out.
    """
    forget()  # folders resolved by an earlier run in this process may have changed since
    found: list[str] = []
    seen: set[str] = set()
    for path in paths:
        if not os.path.exists(path):
            raise PathError(f"path does not exist: {path}")
        candidates = [path] if not os.path.isdir(path) else _walk(path, config, on_skip)
        for candidate in candidates:
            key = os.path.normcase(os.path.abspath(candidate))
            if key not in seen:
                seen.add(key)
                found.append(candidate)
    return found


def _walk(top: str, config: Config, on_skip: Skipped) -> Iterator[str]:
    for dirpath, dirnames, filenames in os.walk(top):
        kept = []
        for d in sorted(dirnames):
            full = os.path.normpath(os.path.join(dirpath, d))
            reason = _skip_dir(full, d, config)
            if reason is None:
                kept.append(d)
            else:
                on_skip(full, reason)
        dirnames[:] = kept
        for name in sorted(filenames):
            if name.endswith(".py"):
                full = os.path.normpath(os.path.join(dirpath, name))
                if config.is_excluded(full):
                    on_skip(full, "matches an `exclude` glob")
                else:
                    yield full


def _skip_dir(full: str, name: str, config: Config) -> str | None:
    """Why a folder is not searched, or None when it is."""
    if name in SKIPPED_DIRS or name.endswith(".egg-info"):
        return "a tool, build or virtualenv folder"
    if os.path.isfile(os.path.join(full, "pyvenv.cfg")):
        return "a virtualenv (has pyvenv.cfg)"
    if config.is_excluded(full):
        return "matches an `exclude` glob"
    return None
