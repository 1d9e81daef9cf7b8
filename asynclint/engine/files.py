"""Which files to check: `*.py` below the given folders, skipping tool and virtualenv folders."""

from __future__ import annotations

import os
from typing import Iterator, Sequence

from asynclint.config import Config

SKIPPED_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", ".venv", "venv", "build", "dist", "__pycache__", ".tox", ".nox",
        "node_modules", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".asynclint_cache", ".eggs",
    }
)


class PathError(Exception):
    """A path given on the command line does not exist."""


def discover(paths: Sequence[str], config: Config) -> list[str]:
    """Files to check, in a stable order; explicit file paths are always checked."""
    found: list[str] = []
    seen: set[str] = set()
    for path in paths:
        if not os.path.exists(path):
            raise PathError(f"path does not exist: {path}")
        candidates = [path] if not os.path.isdir(path) else _walk(path, config)
        for candidate in candidates:
            key = os.path.normcase(os.path.abspath(candidate))
            if key not in seen:
                seen.add(key)
                found.append(candidate)
    return found


def _walk(top: str, config: Config) -> Iterator[str]:
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = sorted(
            d for d in dirnames if not _skip_dir(os.path.join(dirpath, d), d, config)
        )
        for name in sorted(filenames):
            if name.endswith(".py"):
                full = os.path.normpath(os.path.join(dirpath, name))
                if not config.is_excluded(full):
                    yield full


def _skip_dir(full: str, name: str, config: Config) -> bool:
    if name in SKIPPED_DIRS or name.endswith(".egg-info"):
        return True
    if os.path.isfile(os.path.join(full, "pyvenv.cfg")):
        return True
    return config.is_excluded(full)
