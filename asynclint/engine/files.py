"""Which files to check: `*.py` below the given folders, skipping tool and virtualenv folders."""

from __future__ import annotations

import os
from typing import Callable, Iterator, Sequence

from asynclint.config import Config
from asynclint.engine.paths import forget, join, listed_file, listing, real_path, walked

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


def discover(paths: Sequence[str], config: Config, on_skip: Skipped = ignore_skipped, *, fresh: bool = True) -> list[str]:
    """Files to check, in a stable order; explicit file paths are always checked.

    `on_skip(path, reason)` hears of every folder and file left out. `fresh`: a new run,
    which forgets the folders resolved earlier in this process (they may have changed since).
    """
    if fresh:
        forget()
    found: list[str] = []
    seen: set[str] = set()
    cwd = os.getcwd()
    for path in paths:
        if not os.path.exists(path):
            raise PathError(f"path does not exist: {path}")
        candidates = [path] if not os.path.isdir(path) else _walk(path, config, on_skip)
        for candidate in candidates:
            absolute = candidate if os.path.isabs(candidate) else join(cwd, candidate)
            key = os.path.normcase(os.path.normpath(absolute))
            if key not in seen:
                seen.add(key)
                found.append(candidate)
    return found


def _walk(folder: str, config: Config, on_skip: Skipped) -> Iterator[str]:
    """The `.py` files below a folder, top-down as `os.walk` goes (each folder's files, then its sub-folders), sorted.

    What was found in a folder is remembered for the run: the project index walks the
    project's root after the command line's folders, and meets them again.
    """
    folder = os.path.normpath(folder)
    real = real_path(folder)
    if on_skip is ignore_skipped and real in walked:
        yield from _walk_again(folder, real)
        return
    found = listing(folder)
    kept: list[str] = []
    kept_folders: list[str] = []
    # A listed file that is no link has its folder's real path: its root-relative path follows from the folder's.
    above = config.relative_path(folder) if config.exclude else ""
    for name in found.files:
        if name.endswith(".py"):
            full = listed_file(folder, name, found)
            rel = config.relative_path(full) if name in found.links else _below(above, name)
            if config.excludes(rel):
                on_skip(full, "matches an `exclude` glob")
            else:
                kept.append(name)
                yield full
    for name in found.folders:
        full = name if folder == "." else join(folder, name)
        reason = _skip_dir(full, name, _below(above, name), config)
        if reason is None:
            kept_folders.append(name)
            yield from _walk(full, config, on_skip)
        else:
            on_skip(full, reason)
    walked[real] = (tuple(kept), tuple(kept_folders))


def _walk_again(folder: str, real: str) -> Iterator[str]:
    files, folders = walked[real]
    found = listing(folder)
    for name in files:
        yield listed_file(folder, name, found)
    for name in folders:
        # Listed folders are no links: the real path of one is its name below the real folder.
        yield from _walk_again(name if folder == "." else join(folder, name), join(real, name))


def _below(rel: str, name: str) -> str:
    return name if rel in ("", ".") else f"{rel}/{name}"


def _skip_dir(full: str, name: str, rel: str, config: Config) -> str | None:
    """Why a folder is not searched, or None when it is (`rel`: its path relative to the config's folder)."""
    if name in SKIPPED_DIRS or name.endswith(".egg-info"):
        return "a tool, build or virtualenv folder"
    if "pyvenv.cfg" in listing(full).files:
        return "a virtualenv (has pyvenv.cfg)"
    if config.excludes(rel):
        return "matches an `exclude` glob"
    return None
