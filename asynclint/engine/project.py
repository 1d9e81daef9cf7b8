"""The project index of a run: which files it holds, read (in worker processes when many) or
taken from the on-disk store (`analysis/index/`), with the pre-screen's facts of each file read."""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

from asynclint.analysis.astwalk import collect_facts
from asynclint.analysis.index.indexer import ModuleInfo, _may_yield, index_tree
from asynclint.analysis.index.libraries import Libraries
from asynclint.analysis.index.model import ProjectIndex
from asynclint.analysis.index.store import Derived, IndexCache
from asynclint.analysis.modules import is_package_init, module_names, parse_ast
from asynclint.core.cachedir import Caches
from asynclint.core.paths import forget, read_source, real_paths, stat_signature
from asynclint.engine import collector
from asynclint.engine.files import discover
from asynclint.engine.screening import all_probes

if TYPE_CHECKING:
    from asynclint.analysis.astwalk import FileFacts
    from asynclint.core.config import Config


def build_index(
    paths: Iterable[str],
    cache_dir: Path | None = None,
    jobs: int = 1,
    *,
    fresh: bool = True,
    write: bool = True,
    library_path: Sequence[str] | None = None,
) -> ProjectIndex:
    """Index these files, reusing cached entries of files whose size and mtime are unchanged.

    The files are only listed and `stat`ed here; their definitions are read when the index is
    first asked for any (`load`): a warm run whose findings are all cached never does.
    `library_path`: the folders the installed libraries are looked for in (`analysis/index/libraries.py`;
    None: no library is read). The
    files the cache does not know are read in `jobs` processes when there are many. With a
    cache, `index.content_key` names what is indexed (each file's path, size and mtime), so
    that what is derived from the whole index can be cached under it too. `fresh`: a new
    run, which forgets the folders resolved earlier in this process (one may have gained or
    lost an `__init__.py` since). `write=False`: the cache is read, never written (`fix --diff`).
    """
    if fresh:
        forget()
    index = ProjectIndex()
    paths = list(paths)
    files = [(path, real, stat_signature(path)) for path, real in zip(paths, real_paths(paths))]
    index.stats = {real: stat for _, real, stat in files if stat is not None}
    libraries_key = ""
    if library_path is not None:
        index.libraries = Libraries(library_path, cache_dir, write=write)
        libraries_key = index.libraries_key = index.libraries.key()
    if cache_dir is not None:
        listed = "".join(f"{real}\0{stat}\n" for _, real, stat in files) + libraries_key
        index.content_key = hashlib.sha1(listed.encode()).hexdigest()
    index._pending = functools.partial(_fill, index, files, cache_dir, jobs, write)
    return index


def _fill(
    index: ProjectIndex, files: list[tuple[str, str, list[int] | None]], cache_dir: Path | None, jobs: int, write: bool = True
) -> None:
    """Add the definitions of these (path, real path, stat) files to the index, from the cache or read."""
    cache = IndexCache(cache_dir) if cache_dir is not None else None
    planned: list[tuple[str, str, list[int] | None, str, tuple[tuple[str, ModuleInfo] | None] | None]] = []
    for (path, real, stat), module in zip(files, module_names(real for _, real, _ in files)):
        found = cache.get(real, stat, module) if cache is not None and stat is not None else None
        planned.append((path, real, stat, module, found))
    read = _read_all([(path, module) for path, _, _, module, found in planned if found is None], jobs)
    # What the files define (without line numbers: analysis/index/positions.py), and what the libraries say.
    defined: list[str] = []
    entries = cache.entries if cache is not None else {}
    enter = index._enter
    for path, real, stat, module, found in planned:
        if found is None:
            if path not in read:
                continue  # cannot be read
            crc, entry, facts = read[path]
            if facts is not None:  # the check reuses this read for its pre-screen
                index._facts[real] = (crc, facts)
            if cache is not None and stat is not None:
                cache.put(real, stat, module, entry)
        else:
            entry = found[0]
        if cache is not None and stat is not None:
            stored = entries.get(real)
            defined.append(f"{real}\0{module}\0{stored[3] if stored is not None else ''}\n")
        if entry is not None:
            enter(entry[0], entry[1], real)
    if cache is not None:
        key = hashlib.sha1(index.libraries_key.encode() + "".join(defined).encode()).hexdigest()
        index._definitions_key = key
        derived = cache.derived(key)
        if derived is not None:  # what the whole index yields, as computed when it last changed
            index._names, index._ascii = derived.coroutine_names, derived.ascii
            index._declared_types, index._declared_methods = derived.declared_types, derived.declared_methods
            index._declared_members = derived.declared_members
            index._coroutine_aliases, index._sync_methods = derived.coroutine_aliases, derived.sync_method_names
            index._async_methods = derived.async_method_classes
        else:
            names, ascii_names = index.coroutine_names(), index.names_are_ascii()
            declared_types, declared_methods = index.declared_type_names(), index.declared_async_methods()
            members, aliases, sync_methods = index.declared_members(), index.coroutine_aliases(), index.sync_method_names()
            derived = Derived(
                names, ascii_names, declared_types, declared_methods, members, aliases, sync_methods, index.async_method_classes()
            )
            cache.derive(key, derived)
        if write:
            cache.save()
            if index.libraries is not None:
                index.libraries.save()


_Read = tuple[int, "tuple[str, ModuleInfo] | None", "FileFacts | bytes | None"]

#: Fewer files than this to read are read in this process: starting workers would cost more.
_READ_IN_PROCESS_BELOW = 64


def _read_all(files: list[tuple[str, str]], jobs: int) -> dict[str, _Read]:
    """(path, module name) -> what reading the file gives (files that cannot be read are left out)."""
    if jobs <= 1 or len(files) < _READ_IN_PROCESS_BELOW:
        return _read_batch(files)
    from asynclint.engine.pool import BrokenProcessPool, process_pool

    size = max(1, min(64, len(files) // (jobs * 8)))
    batches = [files[i : i + size] for i in range(0, len(files), size)]
    found: dict[str, _Read] = {}
    try:
        with process_pool(min(jobs, len(batches))) as pool:
            for part in pool.map(_read_packed, batches):
                found.update(part)
    except BrokenProcessPool:  # a worker died: read what is left here
        found.update(_read_batch([f for f in files if f[0] not in found]))
    return found


def _read_packed(files: list[tuple[str, str]]) -> dict[str, _Read]:
    """`_read_batch` in a worker process: the facts come back pickled, and stay so in the parent;
    each module's info comes back as the text the index cache stores (decoded when first used)."""
    packed: dict[str, _Read] = {}
    for path, (crc, entry, facts) in _read_batch(files).items():
        if entry is not None:
            entry = (entry[0], ModuleInfo.stored(entry[1].to_text(), path, entry[0]))
        packed[path] = (crc, entry, None if facts is None else pickle.dumps(facts, pickle.HIGHEST_PROTOCOL))
    return packed


def _read_batch(files: list[tuple[str, str]]) -> dict[str, _Read]:
    """Read, parse with `ast`, index and collect the pre-screen's facts of each file.

    The cyclic garbage collector is off meanwhile: reading makes no reference cycles (`ast` trees
    have none, `FactWalk.finish` breaks the walk's own), so each collection would only scan again
    the tree being read and everything read so far.
    """
    probes = all_probes()
    found: dict[str, _Read] = {}
    with collector.paused():  # (what was read lives as long as the index: see `paused`)
        for path, module in files:
            try:
                data = read_source(path)[1]  # (never a FIFO or device: reading one may block forever)
            except OSError:
                continue
            tree = parse_ast(data)
            entry = index_tree(tree, path, module, may_yield=_may_yield(data)) if tree is not None else None
            facts = collect_facts(tree, module, is_package_init(path), probes) if entry is not None and tree is not None else None
            found[path] = (zlib.crc32(data), entry, facts)
    return found


PROJECT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", ".git")


def find_project_root(start: str) -> Path | None:
    """The nearest folder at or above `start` holding a pyproject.toml, setup.cfg, setup.py or .git."""
    here = Path(start).resolve()
    for folder in (here, *here.parents):
        if any((folder / marker).exists() for marker in PROJECT_MARKERS):
            return folder
    return None


def project_for(
    paths: Sequence[str], config: Config, jobs: int = 1, *, fresh: bool = True, caches: Caches = Caches()
) -> ProjectIndex | None:
    """The coroutine index for a run, when an enabled rule needs one.

    The whole project (below the nearest pyproject.toml, setup.cfg, setup.py or .git) is
    indexed, so that checking a few files (pre-commit) resolves what they import exactly as
    checking everything does. Outside any project, the files being checked are the project.
    Where the index is cached (if at all) is `caches`' choice. `jobs` processes read
    the files the index cache does not know. `fresh`: a new run (False: the caller's
    discovery of `paths` just started it), as for `discover`.
    """
    if not config.uses_project_index():
        return None
    if fresh:
        forget()
    root = find_project_root(paths[0] if paths else ".")
    if root is None:
        files = list(paths)
    else:
        files = discover([str(root)], config, fresh=False)
        known = set(real_paths(files))
        files += [p for p, real in zip(paths, real_paths(paths)) if real not in known and not os.path.isdir(real)]
    folder = caches.index(config, root, files)
    library_path = config.library_path()
    return build_index(files, cache_dir=folder, jobs=jobs, fresh=False, write=caches.write, library_path=library_path)
