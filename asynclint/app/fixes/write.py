"""Writing fixed files atomically, and the unified diff of `fix --diff`."""

from __future__ import annotations

import difflib
import os
import tempfile
from typing import Iterator

from asynclint.core.paths import read_source
from asynclint.engine.interrupt import shielded


class WriteError(Exception):
    """A file could not be written; the message is one line and names the file."""


def write_atomically(path: str, data: bytes, expected: bytes) -> None:
    """Replace `path` with `data` via a temp file and a rename, keeping its owner, group and permission bits.

    `expected` is what the file held when it was read: if it changed meanwhile (an editor
    saved it, or it vanished), nothing is written. A file without any write bit is read-only
    for every user, root included (who passes `os.access`), and is left alone; so is one
    whose owner or group the new file cannot be given. A symlink is followed: its target is
    the file that gets replaced, and the link stays a link. A stop signal that arrives while
    the file is replaced waits until it is (see `engine.interrupt`).
    """
    target = os.path.realpath(path)  # messages name the path the user gave
    try:
        st, current = read_source(target)
    except FileNotFoundError:
        raise WriteError(f"{path}: file vanished before it could be written") from None
    except OSError as exc:
        raise WriteError(f"{path}: cannot read back: {exc.strerror or exc}") from None
    if current != expected:
        raise WriteError(f"{path}: file changed while it was being fixed; left as it is")
    if not st.st_mode & 0o222 or not os.access(target, os.W_OK):
        raise WriteError(f"{path}: file is read-only; left as it is")
    with shielded():
        _replace(path, target, data, st)


def _replace(path: str, target: str, data: bytes, st: os.stat_result) -> None:
    folder = os.path.dirname(target)
    try:
        fd, temp = tempfile.mkstemp(dir=folder, prefix=".asynclint-", suffix=".tmp")
    except OSError as exc:
        raise WriteError(f"{path}: cannot write in its folder: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        _keep_owner(path, temp, st)
        os.chmod(temp, st.st_mode & 0o7777)  # after chown, which clears the set-id bits
        os.replace(temp, target)
    except BaseException as exc:
        if os.path.exists(temp):
            os.unlink(temp)
        if isinstance(exc, OSError):
            raise WriteError(f"{path}: cannot write: {exc.strerror or exc}") from None
        raise


def _keep_owner(path: str, temp: str, st: os.stat_result) -> None:
    """Give the temp file the owner and group of the file it replaces (root may; a user may change the group to one of theirs)."""
    made = os.stat(temp)
    uid = st.st_uid if made.st_uid != st.st_uid else -1
    gid = st.st_gid if made.st_gid != st.st_gid else -1
    if uid == -1 and gid == -1:
        return
    if not hasattr(os, "chown"):
        return  # Windows: no owners to keep
    try:
        os.chown(temp, uid, gid)
    except PermissionError:
        raise WriteError(f"{path}: cannot keep its owner and group ({st.st_uid}:{st.st_gid}); left as it is") from None


def unified_diff(path: str, old: str, new: str) -> str:
    """A diff that `patch -p0` and `git apply -p0` apply in the folder asynclint ran from."""
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), fromfile=path, tofile=path
    )
    return "".join(_mark_missing_newlines(lines))


def _mark_missing_newlines(lines: Iterator[str]) -> Iterator[str]:
    for line in lines:
        if line.endswith("\n"):
            yield line
        else:
            yield line + "\n\\ No newline at end of file\n"
