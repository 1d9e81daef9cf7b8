"""Which files to check: `*.py` below the given folders, skipping tool and virtualenv folders."""

from __future__ import annotations

import os
from typing import Callable, Sequence

from asynclint.config import Config
from asynclint.engine.paths import below, forget, listed_paths, listing, real_path, walked

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
    for path in paths:
        if not os.path.exists(path):
            raise PathError(f"path does not exist: {path}")
        if not os.path.isdir(path):
            candidates, top = [path], ""
        else:
            candidates, top = [], os.path.normpath(path)
            _walk(top, config, on_skip, candidates)
        # The walk's paths are `top` joined with a relative path: their absolute spelling follows from top's.
        absolute, cut = os.path.normcase(os.path.abspath(top or path)).rstrip(os.sep), len(below(top))
        for candidate in candidates:
            key = absolute + os.sep + os.path.normcase(candidate[cut:]) if top else absolute
            if key not in seen:
                seen.add(key)
                found.append(candidate)
    return found


def _walk(folder: str, config: Config, on_skip: Skipped, out: list[str]) -> None:
    """Add the `.py` files below a (normalized) folder to `out`, top-down as `os.walk` goes (each folder's files, then its sub-folders), sorted.

    What was found in a folder is remembered for the run: the project index walks the
    project's root after the command line's folders, and meets them again.
    """
    real = real_path(folder)
    if on_skip is ignore_skipped and real in walked:
        _walk_again(folder, real, out)
        return
    found = listing(folder)
    kept: list[str] = []
    kept_folders: list[str] = []
    # A listed file that is no link has its folder's real path: its root-relative path follows from the folder's.
    above = config.relative_path(folder) if config.exclude else ""
    names = [name for name in found.files if name.endswith(".py")]
    for name, full in zip(names, listed_paths(folder, names, found)):
        if config.exclude:
            rel = config.relative_path(full) if name in found.links else _below(above, name)
            if config.excludes(rel):
                on_skip(full, "matches an `exclude` glob")
                continue
        kept.append(name)
        out.append(full)
    for name, full in zip(found.folders, listed_paths(folder, found.folders, found)):
        reason = _skip_dir(full, name, _below(above, name), config)
        if reason is None:
            kept_folders.append(name)
            _walk(full, config, on_skip, out)
        else:
            on_skip(full, reason)
    walked[real] = (tuple(kept), tuple(kept_folders))


def _walk_again(folder: str, real: str, out: list[str]) -> None:
    files, folders = walked[real]
    found = listing(folder)
    out.extend(listed_paths(folder, files, found))
    for name, full in zip(folders, listed_paths(folder, folders, found)):
        _walk_again(full, real_path(full), out)


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
