"""Writing fixed files atomically, and the unified diff of `fix --diff`."""

from __future__ import annotations

import difflib
import os
import tempfile
from typing import Iterator


class WriteError(Exception):
    """A file could not be written; the message is one line and names the file."""


def write_atomically(path: str, data: bytes, expected: bytes) -> None:
    """Replace `path` with `data` via a temp file and a rename, keeping its permission bits.

    `expected` is what the file held when it was read: if it changed meanwhile (an editor
    saved it, or it vanished), nothing is written. A symlink is followed: its target is the
    file that gets replaced, and the link stays a link.
    """
    target = os.path.realpath(path)  # messages name the path the user gave
    try:
        with open(target, "rb") as handle:
            current = handle.read()
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        raise WriteError(f"{path}: file vanished before it could be written") from None
    except OSError as exc:
        raise WriteError(f"{path}: cannot read back: {exc.strerror or exc}") from None
    if current != expected:
        raise WriteError(f"{path}: file changed while it was being fixed; left as it is")
    if not os.access(target, os.W_OK):
        raise WriteError(f"{path}: file is read-only; left as it is")
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
        os.chmod(temp, mode & 0o7777)
        os.replace(temp, target)
    except OSError as exc:
        if os.path.exists(temp):
            os.unlink(temp)
        raise WriteError(f"{path}: cannot write: {exc.strerror or exc}") from None


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
