"""Which files to check: `*.py` below the given folders, skipping tool and virtualenv folders and what git ignores."""

from __future__ import annotations

import os
import stat
from typing import TYPE_CHECKING, Callable, Sequence

from asynclint.core.config import Config
from asynclint.core.paths import below, forget, listed_paths, listing, real_path, walked

if TYPE_CHECKING:
    from typing import TypeAlias

    from pathspec import GitIgnoreSpec

    #: The gitignore rules in force in a folder, outermost first: each one's spec, and the path
    #: from the spec's folder to this one ("" in the spec's own folder, else ending in "/").
    Specs: TypeAlias = tuple[tuple[GitIgnoreSpec, str], ...]
    #: Specs, or None: the folder is in no git repository (or `respect-gitignore = false`).
    Ignores: TypeAlias = Specs | None

SKIPPED_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", ".venv", "venv", "build", "dist", "__pycache__", ".tox", ".nox",
        "node_modules", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".asynclint_cache", ".eggs",
    }
)


class PathError(Exception):
    """A path given on the command line does not exist, or is neither a folder nor a regular file."""


Skipped = Callable[[str, str], None]
PathProblem = Callable[[str], None]


def ignore_skipped(path: str, reason: str) -> None:
    """The default `on_skip`: say nothing."""


def discover(
    paths: Sequence[str],
    config: Config,
    on_skip: Skipped = ignore_skipped,
    *,
    fresh: bool = True,
    on_error: PathProblem | None = None,
) -> list[str]:
    """Files to check, in a stable order; explicit file paths are always checked.

    `on_skip(path, reason)` hears of every folder and file left out. A path that does not
    exist or is neither a folder nor a regular file raises `PathError`, or with `on_error`
    is left out and named to it in one line. `fresh`: a new run, which forgets the folders
    resolved earlier in this process (they may have changed since).
    """
    if fresh:
        forget()
    found: list[str] = []
    seen: set[str] = set()
    for path in paths:
        problem = path_problem(path)
        if problem is not None:
            if on_error is None:
                raise PathError(problem)
            on_error(problem)
            continue
        if not os.path.isdir(path):
            candidates, top = [path], ""
            if config.force_exclude and _force_excluded(path, config):
                on_skip(path, "matches an `exclude` glob (--force-exclude)")
                continue
        else:
            candidates, top = [], os.path.normpath(path)
            _walk(top, config, on_skip, candidates, _ignores_above(top, config))
        # The walk's paths are `top` joined with a relative path: their absolute spelling follows from top's.
        absolute, cut = os.path.normcase(os.path.abspath(top or path)).rstrip(os.sep), len(below(top))
        for candidate in candidates:
            key = absolute + os.sep + os.path.normcase(candidate[cut:]) if top else absolute
            if key not in seen:
                seen.add(key)
                found.append(candidate)
    return found


def path_problem(path: str) -> str | None:
    """Why a path named on the command line cannot be checked, or None."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return f"path does not exist: {path}"
    except OSError as exc:
        return f"{path}: {exc.strerror or exc}"
    if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
        return f"{path}: not a regular file (a FIFO, socket or device is never read)"
    return None


def _walk(folder: str, config: Config, on_skip: Skipped, out: list[str], ignores: Ignores = None) -> None:
    """Add the `.py` files below a (normalized) folder to `out`, top-down as `os.walk` goes (each folder's files, then its sub-folders), sorted.

    What was found in a folder is remembered for the run: the project index walks the
    project's root after the command line's folders, and meets them again. `ignores`: the
    gitignore rules of the folders above, in force here.
    """
    real = real_path(folder)
    if on_skip is ignore_skipped and real in walked:
        _walk_again(folder, real, out)
        return
    found = listing(folder)
    kept: list[str] = []
    kept_folders: list[str] = []
    if ignores is None and config.respect_gitignore and (".git" in found.folders or ".git" in found.files):
        ignores = _specs([(folder, os.path.join(folder, ".git", "info", "exclude"))], folder)  # a repository's root
    if ignores is not None and ".gitignore" in found.files:
        spec = _read_spec(os.path.join(folder, ".gitignore"))
        if spec is not None:
            ignores = (*ignores, (spec, ""))
    # A listed file that is no link has its folder's real path: its root-relative path follows from the folder's.
    excluding = bool(config.excluded)
    above = config.relative_path(folder) if excluding else ""
    names = [name for name in found.files if name.endswith(".py")]
    for name, full in zip(names, listed_paths(folder, names, found)):
        if excluding:
            rel = config.relative_path(full) if name in found.links else _below(above, name)
            if config.excludes(rel):
                on_skip(full, "matches an `exclude` glob")
                continue
        if ignores and _git_ignores(ignores, name):
            on_skip(full, "ignored by git (.gitignore)")
            continue
        kept.append(name)
        out.append(full)
    for name, full in zip(found.folders, listed_paths(folder, found.folders, found)):
        reason = _skip_dir(full, name, _below(above, name), config)
        if reason is None and ignores and _git_ignores(ignores, name + "/"):
            reason = "ignored by git (.gitignore)"
        if reason is None:
            kept_folders.append(name)
            inner = None if ignores is None else tuple((spec, f"{prefix}{name}/") for spec, prefix in ignores)
            _walk(full, config, on_skip, out, inner)
        else:
            on_skip(full, reason)
    walked[real] = (tuple(kept), tuple(kept_folders))


def _walk_again(folder: str, real: str, out: list[str]) -> None:
    files, folders = walked[real]
    found = listing(folder)
    out.extend(listed_paths(folder, files, found))
    for name, full in zip(folders, listed_paths(folder, folders, found)):
        _walk_again(full, real_path(full), out)


def _git_ignores(ignores: Specs, name: str) -> bool:
    """Whether git ignores this entry of the folder (`name` ends in "/" for a folder): the last rule that matches decides."""
    ignored = False
    for spec, prefix in ignores:
        include = spec.check_file(prefix + name).include
        if include is not None:
            ignored = include
    return ignored


def _read_spec(file: str) -> GitIgnoreSpec | None:
    """The rules of a `.gitignore` (or `.git/info/exclude`); None when it has none or cannot be read."""
    try:
        with open(file, encoding="utf-8", errors="surrogateescape") as handle:
            lines = handle.read().splitlines()
    except (OSError, ValueError):
        return None
    if not any(line.strip() and not line.startswith("#") for line in lines):
        return None
    from pathspec import (
        GitIgnoreSpec,  # (only when a project has rules: a warm run without them skips the import)
    )

    return GitIgnoreSpec.from_lines(lines)


def _ignores_above(top: str, config: Config) -> Ignores:
    """The gitignore rules in force in `top` from the folders above it, up to its git repository's root.

    Outside a git repository, `.gitignore` files mean nothing (as to git). `.git/info/exclude`
    comes first; `top`'s own `.gitignore` is read by the walk.
    """
    if not config.respect_gitignore:
        return None
    here = real_path(top)
    chain = [here]
    while not os.path.exists(os.path.join(chain[-1], ".git")):
        parent = os.path.dirname(chain[-1])
        if parent == chain[-1]:
            return None  # not in a git repository
        chain.append(parent)
    root = chain[-1]
    files = [(root, os.path.join(root, ".git", "info", "exclude"))]
    files += [(folder, os.path.join(folder, ".gitignore")) for folder in reversed(chain[1:])]
    above = _specs(files, here)
    # A folder named on the command line is checked even when git ignores it (as a named file
    # is): then only the `.gitignore` files inside it apply.
    return () if above and _git_ignores(above, "") else above


def _specs(files: list[tuple[str, str]], here: str) -> Specs:
    """The rules of these (folder, ignore file) pairs that exist, as in force in the folder `here`."""
    ignores = []
    for folder, file in files:
        spec = _read_spec(file) if os.path.isfile(file) else None
        if spec is not None:
            rel = os.path.relpath(here, folder).replace(os.sep, "/")
            ignores.append((spec, "" if rel == "." else rel + "/"))
    return tuple(ignores)


def _force_excluded(path: str, config: Config) -> bool:
    """Whether `--force-exclude` leaves out a file named on the command line: it, or a folder it is in, matches an exclude glob."""
    return bool(config.excluded) and config.excludes(config.relative_path(path))


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
