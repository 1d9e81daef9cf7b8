"""Resolved paths and folder listings, cheaply: a tree of thousands of files has few folders.

`os.path.realpath` walks every component of a path with a system call each; done per file
(and several times per file: discovery, the index, the caches) it was most of a warm run.
Here a folder is resolved and listed once per run, and a file needs at most one `lstat` to
know it is not a link itself (none when discovery listed its folder). `forget()` starts a
run afresh: in a long-lived process, folders may have changed since the last one.
"""

from __future__ import annotations

import functools
import os
import stat
from dataclasses import dataclass
from typing import Sequence


@functools.lru_cache(maxsize=4096)
def real_folder(folder: str) -> str:
    """`os.path.realpath` of an absolute folder, remembered."""
    return os.path.realpath(folder)


_resolved: dict[str, str] = {}


def real_path(path: str | os.PathLike[str]) -> str:
    """What `os.path.realpath(path)` returns, resolving each folder and file only once per run."""
    key = os.fspath(path)
    found = _resolved.get(key)
    if found is None:
        folder, name = os.path.split(os.path.abspath(key))
        if not name:  # the root folder
            found = real_folder(folder)
        else:
            full = os.path.join(real_folder(folder), name)
            found = os.path.realpath(full) if os.path.islink(full) else full
        _resolved[key] = found
    return found


def real_paths(paths: Sequence[str]) -> list[str]:
    """`real_path` of each (one call for thousands of files, most of them resolved already)."""
    known = _resolved.get
    return [known(path) or real_path(path) for path in paths]


@dataclass(frozen=True)
class Listing:
    """A folder's entries by name, sorted: sub-folders (links to folders left out, as `os.walk` does) and the rest."""

    folders: tuple[str, ...]
    files: tuple[str, ...]
    #: Of `files`, those that are links (their real path is elsewhere).
    links: frozenset[str]


def listing(folder: str) -> Listing:
    """The entries of a folder, read once per run (an unreadable folder is empty)."""
    return _listing(real_path(folder))


@functools.lru_cache(maxsize=4096)
def _listing(folder: str) -> Listing:
    folders: list[str] = []
    files: list[str] = []
    links: set[str] = set()
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                try:
                    is_dir, is_link = entry.is_dir(), entry.is_symlink()
                except OSError:
                    continue
                if is_dir:
                    if not is_link:
                        folders.append(entry.name)
                    continue
                if not is_link and not entry.is_file():
                    continue  # a FIFO, socket or device, which is never read (a link is checked when read)
                files.append(entry.name)
                if is_link:
                    links.add(entry.name)
    except OSError:
        pass
    return Listing(tuple(sorted(folders)), tuple(sorted(files)), frozenset(links))


#: Real folder -> the `.py` files and the sub-folders discovery kept there, this run (engine.files).
walked: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}


def listed_paths(folder: str, names: Sequence[str], found: Listing) -> list[str]:
    """The paths of entries `listing(folder)` found, their real paths remembered (links excepted: listed folders are none)."""
    prefix, real = below(folder), below(real_path(folder))
    paths = []
    for name in names:
        path = prefix + name
        if name not in found.links:
            _resolved[path] = real + name
        paths.append(path)
    return paths


@functools.lru_cache(maxsize=8192)
def below(folder: str) -> str:
    """What `os.path.join(folder, name)` puts before a plain name ("" for "."): made once per folder, not per file."""
    return "" if folder == "." else os.path.join(folder, "")


@functools.lru_cache(maxsize=4096)
def is_package_folder(folder: str) -> bool:
    """Whether the folder holds an `__init__.py`, remembered."""
    return os.path.isfile(os.path.join(folder, "__init__.py"))


@functools.lru_cache(maxsize=4096)
def package_name(folder: str) -> str:
    """The dotted name of the package a real folder is, walking up while folders are packages ("": none)."""
    if not is_package_folder(folder):
        return ""
    parent, base = os.path.split(folder)
    if parent == folder:
        return base
    above = package_name(parent)
    return f"{above}.{base}" if above else base


def forget() -> None:
    """Drop what was remembered (a new run may see folders created or linked since)."""
    real_folder.cache_clear()
    _resolved.clear()
    walked.clear()
    _listing.cache_clear()
    below.cache_clear()
    is_package_folder.cache_clear()
    package_name.cache_clear()


class NotRegularFile(OSError):
    """A FIFO, socket or device: reading one may block forever, so it is never read."""

    def __init__(self, path: str) -> None:
        super().__init__(f"not a regular file: {path}")
        self.strerror = "not a regular file"


def read_source(path: str) -> tuple[os.stat_result, bytes]:
    """A regular file's status and bytes; `NotRegularFile` (an OSError) for anything else.

    The path is `stat`ed before it is opened, so a FIFO or device is never opened; it is opened
    without blocking and checked again, so one put there in between is not read either.
    """
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise NotRegularFile(path)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with open(fd, "rb") as handle:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFile(path)
        return st, handle.read()


def stat_signature(path: str) -> list[int] | None:
    """A file's size and mtime, or None when it cannot be read."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]
