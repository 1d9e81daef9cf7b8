"""Resolved paths, cheaply: a tree of thousands of files has few folders.

`os.path.realpath` walks every component of a path with a system call each; done per file
(and several times per file: discovery, the index, the caches) it was most of a warm run.
Here a folder is resolved once per process, and a file only needs one `lstat` to know it
is not a link itself.
"""

from __future__ import annotations

import functools
import os


@functools.lru_cache(maxsize=4096)
def real_folder(folder: str) -> str:
    """`os.path.realpath` of an absolute folder, remembered."""
    return os.path.realpath(folder)


def real_path(path: str | os.PathLike[str]) -> str:
    """What `os.path.realpath(path)` returns, resolving each folder only once per process."""
    folder, name = os.path.split(os.path.abspath(path))
    if not name:  # the root folder
        return real_folder(folder)
    full = os.path.join(real_folder(folder), name)
    return os.path.realpath(full) if os.path.islink(full) else full


@functools.lru_cache(maxsize=4096)
def is_package_folder(folder: str) -> bool:
    """Whether the folder holds an `__init__.py`, remembered."""
    return os.path.isfile(os.path.join(folder, "__init__.py"))


def forget() -> None:
    """Drop what was remembered (a new run may see folders created or linked since)."""
    real_folder.cache_clear()
    is_package_folder.cache_clear()
