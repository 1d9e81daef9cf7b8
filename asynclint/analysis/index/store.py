"""The project index on disk: `<cache_dir>/index.txt`."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any, NamedTuple, TypeGuard

from asynclint.analysis.index.indexer import ModuleInfo
from asynclint.analysis.index.positions import shape
from asynclint.core.cachedir import write_cache_file


class IndexCache:
    """`<cache_dir>/index.txt`: per real path, its size and mtime and module info. Never trusted blindly.

    Files `ast` cannot read (newer syntax than the running Python's) are remembered as such,
    so that a warm run does not read them again. Beside them, what the whole index yields
    (`Derived`: its coroutine names and the pre-screens' project-wide sets of declared types),
    under the index's `definitions_key`: editing a function's body, a comment or moving lines
    changes a file, not what it defines, and then nothing needs resolving again, nor every
    module's info decoding.

    After a header line, the derived line (`definitions_key sha1-of-the-JSON JSON`: only its key
    is looked at unless it is the current one), the number of files and the byte length of
    their lines, one line per file: `real<TAB>size<TAB>mtime<TAB>module<TAB>length<TAB>shape`
    (shape: a digest of the info without line numbers, `positions.shape`); then
    every file's info (the compact JSON of `ModuleInfo.to_text`, `length` bytes; -1: `ast`
    cannot read the file) one after the other. Only the lines before the infos are read (about
    a tenth of the file); each info is read from the open file when first used (`_File`), and
    decoded then (`ModuleInfo`, which reads a malformed one's file again). A run after an edit
    reads the few infos its check asks for, not the 20 MB of a project of 11,000 files.
    """

    HEADER = b"asynclint project index 20 (argument guards, idle awaits, raising defs, sync summaries, shapes, declared types, declared receivers, coroutine returns, derived sets, assigned unions, rebound coroutines, awaited and entered types)"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.file = folder / "index.txt"
        #: Real path -> ([size, mtime], module name, info or None, shape of the info: "" for none).
        self.entries: dict[str, tuple[list[int], str, bytes | _Info | None, str]] = {}
        #: What the whole index yields (`Derived`), as its line is stored: `definitions_key check JSON`.
        self.names = b""
        self.dirty = False
        #: Files read again whose definitions were as stored (only their size or mtime changed).
        self.refreshed = 0
        self._file: _File | None = None
        try:
            self._file = _File(self.file)
            self._read(self._file)
        except (OSError, ValueError, IndexError):
            self.entries, self.names = {}, b""  # missing, corrupt or foreign: rebuilt

    def _read(self, file: _File) -> None:
        """Read the header, the derived sets' line and the files' lines: not the infos after them."""
        data = file.read(0, min(file.size, 1 << 16))
        if not data.startswith(self.HEADER + b"\n"):
            return  # another version's (or not an index)
        while data.count(b"\n") < 3:
            if len(data) >= file.size:
                raise ValueError("cut short")
            data += file.read(len(data), min(file.size, 2 * len(data)))
        first = len(self.HEADER)
        second = data.index(b"\n", first + 1)
        third = data.index(b"\n", second + 1)
        self.names = data[first + 1 : second]  # (checked and decoded by `derived`, when it is for these definitions)
        count, head = (int(n) for n in data[second + 1 : third].split())
        start = third + 1
        if len(data) < start + head + 1:
            data += file.read(len(data), start + head + 1)
        lines = data[start : start + head].decode("utf-8").split("\n") if count else []
        if len(lines) != count or data[start + head : start + head + 1] != b"\n":
            raise ValueError("not the number of lines the header says")
        at = start + head + 1
        entries = self.entries
        for line in lines:
            real, size, mtime, module, length, shaped = line.split("\t")
            cut = int(length)
            if cut < -1:
                raise ValueError(length)
            entries[real] = ([int(size), int(mtime)], module, _Info(file, at, at + cut) if cut >= 0 else None, shaped)
            at += max(cut, 0)
        if at != file.size:
            raise ValueError("the infos are not the length the lines say")

    def get(self, real: str, stat: list[int], module: str) -> tuple[tuple[str, ModuleInfo] | None] | None:
        """`(entry,)` when the file is known at this size, mtime and module name (`(None,)`: `ast` cannot read it).

        The module name is checked too: a folder that gains an `__init__.py` renames its modules.
        """
        entry = self.entries.get(real)
        if entry is None or entry[0] != stat or entry[1] != module:
            return None
        info = entry[2]
        return (None,) if info is None else ((module, ModuleInfo.stored(info, real, module)),)

    def derived(self, definitions_key: str) -> Derived | None:
        """What the whole index yields, stored for these definitions, if they are the stored ones."""
        key, _, rest = self.names.partition(b" ")
        if key != definitions_key.encode():
            return None  # (not even decoded: the definitions changed)
        check, _, text = rest.partition(b" ")
        if check != hashlib.sha1(text).hexdigest().encode():
            return None  # not what was written
        try:
            stored = json.loads(text)
        except ValueError:
            return None
        if not isinstance(stored, dict):
            return None
        names, ascii_names = stored.get("coroutine_names"), stored.get("ascii")
        types, methods, members = stored.get("declared_types"), stored.get("declared_methods"), stored.get("declared_members")
        if not (_strings(names) and isinstance(ascii_names, bool) and _strings(types) and _strings(methods)):
            return None
        if not (isinstance(members, dict) and all(_strings(v) for v in members.values())):
            return None
        aliases, sync_methods = stored.get("coroutine_aliases"), stored.get("sync_method_names")
        if not (_strings(aliases) and _strings(sync_methods)):
            return None
        owners = stored.get("async_method_classes")
        if not (isinstance(owners, dict) and all(_strings(v) for v in owners.values())):
            return None
        found = {attr: frozenset(classes) for attr, classes in members.items()}
        return Derived(
            frozenset(names),
            ascii_names,
            frozenset(types),
            frozenset(methods),
            found,
            frozenset(aliases),
            frozenset(sync_methods),
            {method: frozenset(classes) for method, classes in owners.items()},
        )

    def derive(self, definitions_key: str, derived: Derived) -> None:
        """Remember what `derived` gives for these definitions."""
        stored: dict[str, Any] = {
            "coroutine_names": sorted(derived.coroutine_names),
            "ascii": derived.ascii,
            "declared_types": sorted(derived.declared_types),
            "declared_methods": sorted(derived.declared_methods),
            "declared_members": {attr: sorted(types) for attr, types in sorted(derived.declared_members.items())},
            "coroutine_aliases": sorted(derived.coroutine_aliases),
            "sync_method_names": sorted(derived.sync_method_names),
            "async_method_classes": {method: sorted(classes) for method, classes in sorted(derived.async_method_classes.items())},
        }
        text = json.dumps(stored, separators=(",", ":")).encode()
        self.names = b"%s %s %s" % (definitions_key.encode(), hashlib.sha1(text).hexdigest().encode(), text)
        self.dirty = True

    def put(self, real: str, stat: list[int], module: str, entry: tuple[str, ModuleInfo] | None) -> None:
        info = entry[1].to_text().encode() if entry is not None else None
        before = self.entries.get(real)
        if before is not None and before[1] == module and (bytes(before[2]) if before[2] is not None else None) == info:
            self.refreshed += 1  # read again (touched, saved unchanged): only its stat is new
            shaped = before[3]
        else:
            self.dirty = True
            shaped = shape(info) if info is not None else ""
        self.entries[real] = (stat, module, info, shaped)

    def save(self) -> None:
        """Write the cache, unless all that changed is the stat of a few files whose definitions did not.

        Rewriting every file's entry costs about what reading 300 files again costs: the
        files whose edits changed no definition (the usual edit) are read again by the runs
        that fill the index, until one rewrites it anyway. Files whose path or module name
        holds a tab, a line break or undecodable bytes are left out (read again each time).
        """
        if not (self.dirty or self.refreshed * _REWRITE_PER_REFRESHED > len(self.entries)):
            return
        if self._file is not None:
            self._file.load()  # (every info is written again; and the file is closed before it is replaced)
        kept = [
            (real, (stat, module, bytes(info) if info is not None else None, shaped))
            for real, (stat, module, info, shaped) in self.entries.items()
            if not _UNSAFE_FIELD.search(real + module)
        ]
        rows = "\n".join(
            f"{real}\t{stat[0]}\t{stat[1]}\t{module}\t{-1 if info is None else len(info)}\t{shaped}"
            for real, (stat, module, info, shaped) in kept
        ).encode()
        infos = b"".join(info for _, (_, _, info, _) in kept if info is not None)
        write_cache_file(self.file, b"\n".join([self.HEADER, self.names, b"%d %d" % (len(kept), len(rows)), rows, infos]))
        with contextlib.suppress(OSError):
            (self.folder / "index.json").unlink(missing_ok=True)  # the format before this one


class _File:
    """An index file, open: its bytes are read when asked for (`os.pread`; read whole where there is none).

    It stays open while an info of it may be read (`_Info`): a file that replaces it (written
    atomically, by another run) is another file, and leaves what this one reads unchanged.
    """

    __slots__ = ("fd", "size", "data")

    def __init__(self, path: Path) -> None:
        self.data: bytes | None = None
        self.fd = -1
        self.fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        try:
            self.size = os.fstat(self.fd).st_size
            if not hasattr(os, "pread"):
                self.load()
        except OSError:
            self.close()
            raise

    def read(self, start: int, end: int) -> bytes:
        """The bytes from `start` to `end` (fewer when the file is shorter)."""
        if self.data is not None:
            return self.data[start:end]
        if self.fd < 0:
            return b""
        parts = []
        while start < end:
            part = os.pread(self.fd, end - start, start)
            if not part:
                break
            parts.append(part)
            start += len(part)
        return b"".join(parts)

    def load(self) -> None:
        """Read the whole file, and close it."""
        if self.data is None:
            with contextlib.suppress(OSError):
                self.data = self.read(0, self.size)
            self.close()

    def close(self) -> None:
        fd, self.fd = self.fd, -1
        if fd >= 0:
            try:
                os.close(fd)
            except OSError:
                pass

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # (at interpreter exit, `os` may be gone already: the process closes it)
            pass


class _Info:
    """One file's info in an index file (`ModuleInfo.stored`), read when first used."""

    __slots__ = ("file", "start", "end")

    def __init__(self, file: _File, start: int, end: int) -> None:
        self.file, self.start, self.end = file, start, end

    def __bytes__(self) -> bytes:
        return self.file.read(self.start, self.end)

    def __len__(self) -> int:
        return self.end - self.start


#: What a field of an index line cannot hold (surrogates: a file name that is not UTF-8).
_UNSAFE_FIELD = re.compile("[\t\n\r\ud800-\udfff]")


#: Rewrite the index cache when more than one in this many of its files were read again only for a new stat.
_REWRITE_PER_REFRESHED = 300


def _strings(value: object) -> TypeGuard[list[str]]:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


class Derived(NamedTuple):
    """What the whole index yields (`ProjectIndex`): computed when what the files define changes,
    stored under the index's `definitions_key`, so that a run after an edit that changed no
    definition (a function's body, a comment, lines moved) neither resolves every import again
    nor decodes every module's info."""

    coroutine_names: frozenset[str]
    ascii: bool
    declared_types: frozenset[str]
    declared_methods: frozenset[str]
    declared_members: dict[str, frozenset[str]]
    coroutine_aliases: frozenset[str]
    sync_method_names: frozenset[str]
    async_method_classes: dict[str, frozenset[str]]
