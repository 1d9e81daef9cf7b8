"""Modules of installed libraries, for the project index's lookups (`ProjectIndex.module`).

When a lookup reaches a module the project does not define (`aiohttp.client`, reached from the
project's `import aiohttp`), it is looked for on the search path without importing anything:
each folder in order, a package (`name/__init__.pyi`, `name/__init__.py`, a stub-only
`name-stubs/` first), a module (`name.pyi` before `name.py`), or a namespace portion (a folder
without `__init__`, whose later portions count too). Submodules are looked for in the
package's folders. Found, it is read with `ast` and indexed exactly as a project file is
(`indexer.index_tree`): every fact the index knows of a project module it knows of a library's.
Compiled modules, and anything not found, are unknown (silent).

The search path is the environment asynclint runs in (`sys.path` less the standard library
and the current folder), or the `python-path` folders / the `venv`'s site-packages from the
configuration. A project module always wins: no name under a top-level name the project
defines is looked for here.

The modules read are cached in `libraries.json` beside the project index: a module of a
distribution (a `*.dist-info` in its folder claims its top-level name) by the distribution's
name and version, never read again while that version is installed; any other by its file's
size and mtime.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Iterable

from asynclint.analysis.index.indexer import ModuleInfo, _may_yield, index_tree
from asynclint.analysis.modules import parse_ast
from asynclint.core.cachedir import read_cache_file, write_cache_file
from asynclint.core.paths import read_source, stat_signature

#: The library cache's format.
VERSION = 3  # (2: a class attribute assigned differing calls is declared as their `Union`; 3: awaited, entered, `Self`)
_SUFFIXES = (".pyi", ".py")
_DIST = re.compile(r"^(?P<name>[^-]+)-(?P<version>[^-]+)\.(?:dist|egg)-info$")


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


class _Folder:
    """One search folder's listing and its distributions, read once per run."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.names = _listing(path)
        self.dists = sorted(n for n in self.names if _DIST.match(n))
        self._claims: dict[str, str] | None = None

    def dist_for(self, top: str) -> str | None:
        """`name==version` of the distribution in this folder that installs top-level `top` (None: none)."""
        wanted = _normalized(top)
        for dist in self.dists:
            match = _DIST.match(dist)
            if match is not None and _normalized(match["name"]) == wanted:
                return f"{match['name']}=={match['version']}"
        if self._claims is None:  # (a distribution named unlike its package: python-telegram-bot's `telegram`)
            self._claims = {}
            for dist in self.dists:
                for claimed in _top_levels(os.path.join(self.path, dist)):
                    self._claims.setdefault(claimed, dist)
        claimant = self._claims.get(top)
        match = _DIST.match(claimant) if claimant is not None else None
        return f"{match['name']}=={match['version']}" if match is not None else None


def _top_levels(dist_info: str) -> set[str]:
    """The top-level names a distribution installs (`top_level.txt`, else its RECORD's first path parts)."""
    try:
        text = Path(dist_info, "top_level.txt").read_text(encoding="utf-8")
        return {line.strip() for line in text.splitlines() if line.strip()}
    except OSError:
        pass
    try:
        record = Path(dist_info, "RECORD").read_text(encoding="utf-8")
    except OSError:
        return set()
    found = set()
    for line in record.splitlines():
        first = line.split(",", 1)[0].split("/", 1)[0]
        for suffix in (*_SUFFIXES, "-stubs"):
            if first.endswith(suffix):
                first = first[: -len(suffix)]
        if first and not first.endswith((".dist-info", ".data")) and first.isidentifier():
            found.add(first)
    return found


class Libraries:
    """The installed libraries on a search path, read lazily as the project index asks for modules."""

    def __init__(self, folders: Iterable[str], cache_dir: Path | None = None, *, write: bool = True) -> None:
        self.folders = [_Folder(os.path.abspath(f)) for f in folders]
        #: Folder -> its entries, each folder listed once per run.
        self._listings = {folder.path: folder.names for folder in self.folders}
        self.file = cache_dir / "libraries.json" if cache_dir is not None else None
        #: Module name -> its info (None: not a library module here), as found in this run.
        self.loaded: dict[str, ModuleInfo | None] = {}
        #: Top-level name -> (the folders its modules are looked for in, its distribution's `name==version` or "").
        self._tops: dict[str, tuple[list[str], str] | None] = {}
        #: Module name -> [path, distribution or [size, mtime], info text], from the cache and read in this run.
        self._stored: dict[str, list[object]] = {}
        self.dirty = False
        self.write = write
        data = read_cache_file(self.file, VERSION) if self.file is not None else None
        if data is not None and data.get("search") == [f.path for f in self.folders]:
            self._stored = {k: v for k, v in data["files"].items() if isinstance(v, list) and len(v) == 3}

    def key(self) -> str:
        """What the library modules may say, as of this run: the search path, the distributions
        installed on it, and the size and mtime of every module read from no distribution."""
        parts = [f"{folder.path}\0{' '.join(folder.dists)}" for folder in self.folders]
        for name, (path, dist, _) in sorted(self._stored.items()):
            if isinstance(dist, list):
                parts.append(f"{name}\0{path}\0{stat_signature(str(path))}")
        return hashlib.sha1("\n".join(parts).encode()).hexdigest()

    def has_top(self, top: str) -> bool:
        """Whether a top-level module or package of this name is installed."""
        return self._top(top) is not None

    def tops(self) -> list[str]:
        """The installed top-level names looked for so far (and found)."""
        return sorted(top for top, found in self._tops.items() if found is not None)

    def distribution(self, name: str) -> str:
        """`name==version` of the installed distribution that provides a qualified name ("" when none does)."""
        top = self._top(name.split(".")[0])
        return top[1] if top is not None else ""

    def module(self, name: str) -> ModuleInfo | None:
        """The info of a library module (None when none of that name is found, or `ast` cannot read it)."""
        if name in self.loaded:
            return self.loaded[name]
        found = self.loaded[name] = self._module(name)
        return found

    def _module(self, name: str) -> ModuleInfo | None:
        parts = name.split(".")
        if not all(part.isidentifier() for part in parts):
            return None
        top = self._top(parts[0])
        if top is None:
            return None
        places, dist = top
        path = None
        for i, part in enumerate(parts):
            path, places = _find(part, places, self._listings, stubs=i == 0)
            if path is None and not places:
                return None
        if path is None:
            return None  # a namespace package: defines nothing
        stored = self._stored.get(name)
        signature: object = dist if dist else stat_signature(path)
        if stored is not None and stored[0] == path and stored[1] == signature and isinstance(stored[2], str):
            return ModuleInfo.stored(stored[2], path, name)
        info = _read(path, name)
        self._stored[name] = [path, signature, info.to_text() if info is not None else None]
        self.dirty = True
        return info

    def _top(self, top: str) -> tuple[list[str], str] | None:
        if top not in self._tops:
            self._tops[top] = None
            for i, folder in enumerate(self.folders):
                path, places = _find(top, [folder.path], self._listings, stubs=True)
                if path is not None or places:
                    # (a namespace package may have portions in the later folders too)
                    self._tops[top] = ([f.path for f in self.folders[i:]], folder.dist_for(top) or "")
                    break
        return self._tops[top]

    def save(self) -> None:
        """Write what was read (nothing when all came from the cache)."""
        if self.file is None or not self.dirty or not self.write:
            return
        files = {k: v for k, v in self._stored.items() if v[2] is not None}
        write_cache_file(self.file, {"version": VERSION, "search": [f.path for f in self.folders], "files": files})
        self.dirty = False


def _find(part: str, places: list[str], listings: dict[str, frozenset[str]], *, stubs: bool) -> tuple[str | None, list[str]]:
    """A module or package `part` in these folders: (the file to read or None, the folders of its
    submodules). A stub-only package (`part-stubs`) comes first, a `.pyi` before a `.py`; a folder
    without `__init__` is a namespace portion, and the later folders may hold more of it."""
    portions: list[str] = []
    for place in places:
        listing = listings.get(place)
        if listing is None:
            listing = listings[place] = _listing(place)
        candidates = ([f"{part}-stubs"] if stubs else []) + [part]
        for folder in candidates:
            if folder in listing:
                package = os.path.join(place, folder)
                for suffix in _SUFFIXES:
                    init = os.path.join(package, "__init__" + suffix)
                    if os.path.isfile(init):
                        return init, [package, *([os.path.join(place, part)] if folder != part else [])]
                if os.path.isdir(package) and folder == part:
                    portions.append(package)
        for suffix in _SUFFIXES:
            if part + suffix in listing:
                return os.path.join(place, part + suffix), []
    return None, portions


def _listing(folder: str) -> frozenset[str]:
    try:
        return frozenset(os.listdir(folder))
    except OSError:
        return frozenset()


def _read(path: str, name: str) -> ModuleInfo | None:
    """A library file indexed as the project's files are (a `__init__.pyi` as the package's `__init__`)."""
    try:
        data = read_source(path)[1]
    except OSError:
        return None
    tree = parse_ast(data)
    if tree is None:
        return None
    as_py = path[:-1] if path.endswith(".pyi") else path  # (`is_package_init` reads the name)
    return index_tree(tree, as_py, name, may_yield=_may_yield(data))[1]
