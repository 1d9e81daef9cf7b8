"""Files checked one at a time by a long-lived process (the flake8 plugin), the way `check` checks them.

flake8 hands its plugin one file at a time, in `-j` processes. Each process keeps, per
project and configuration, what `check_files` builds once per run: the project index
(`project_for`, read from the on-disk index cache), the result cache (`ResultCache`) and the
keys its entries are made with. Each file is then looked up and checked as `check_files`
does it (`cached_result`, then `check_one`): a file unchanged since a run of either, or
changed only where no rule can fire (`Job.made_from`), costs no libcst; libcst reads only
the blocks where a rule may fire (`lint_source`).

The flake8 parent makes the session before it starts its workers (`Session.prepare`): they
inherit the index and the cache, so that the index is read once for the whole run, in
`jobs` processes, and written to the index cache once. Each process saves the entries it
made when it exits, merged into what the others saved meanwhile (under a lock beside the
cache file): no process's results overwrite another's.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from pathlib import Path
from typing import Iterator

from asynclint.core.cachedir import Caches, read_cache_file
from asynclint.core.config import Config
from asynclint.core.diagnostic import Diagnostic, FileResult
from asynclint.core.paths import real_path
from asynclint.engine.cache import ResultCache
from asynclint.engine.project import project_for
from asynclint.engine.runner import Job, cached_result, check_one


class Session:
    """One project's index and result cache, for the files one process checks."""

    def __init__(self, root: Path, config: Config, jobs: int = 1) -> None:
        caches = Caches.for_run(config)
        self.config = config
        self.project = project_for([str(root)], config, jobs, caches=caches)
        folder = caches.results(config)
        self.cache = ResultCache(folder, config, self.project) if folder is not None else None
        #: The entries as last read or saved: those that differ from them are this process's to save.
        self._saved = dict(self.cache.entries) if self.cache is not None else {}
        self._job: Job | None = None
        #: The process that arranged to save the cache when it exits (a forked worker arranges its own).
        self._saver: int | None = None
        if self.cache is not None and self.cache.dirty:
            self._save_at_exit()

    def prepare(self) -> None:
        """Read all a check may need now: for the parent, before it forks its workers."""
        if self.project is not None:
            self.project.load()
        self.job()

    def all_cached(self, paths: list[str]) -> bool:
        """Whether the result cache holds the result of each of these files (asked without reading the index)."""
        return self.cache is not None and all(self.cache.get(path) is not None for path in paths)

    def job(self) -> Job:
        """What `check_one` needs (the cache's keys are made once)."""
        if self._job is None:
            self._job = Job(self.config, self.project, self.cache.keys() if self.cache is not None else None)
        return self._job

    def check(self, path: str) -> FileResult:
        """The file's result as `check_files` gives it: from the cache, or checked (and then remembered)."""
        made_from: dict[str, tuple[str, tuple[Diagnostic, ...]]] = {}
        if self.cache is not None:
            hit = cached_result(self.cache, path, real_path(path), made_from)
            if hit is not None:
                if self.cache.dirty:  # (an entry refreshed: the file was touched, not changed)
                    self._save_at_exit()
                return hit
        result, entry = check_one(dataclasses.replace(self.job(), made_from=made_from), path)
        if self.cache is not None and entry is not None:
            self.cache.put(path, entry)
            self._save_at_exit()
        return result

    def _save_at_exit(self) -> None:
        if self._saver == os.getpid():
            return
        self._saver = os.getpid()
        # multiprocessing's exit hook runs in flake8's worker processes too, where `atexit` does not.
        from multiprocessing import util

        util.Finalize(None, self.save, exitpriority=10)

    def save(self) -> None:
        """Write the cache: the entries this process made or refreshed, over those saved by others since."""
        cache = self.cache
        if cache is None or not cache.dirty:
            return
        with _locked(cache.file):
            stored = read_cache_file(cache.file, cache.VERSION)
            if stored is not None and isinstance(stored.get("findings"), dict):
                mine = {real for real, line in cache.entries.items() if self._saved.get(real) != line}
                for real, line in stored["files"].items():
                    if real in mine:
                        continue
                    cache.entries[real] = line
                    rows = stored["findings"].get(real)
                    if rows:
                        cache.findings[real] = rows
                    else:
                        cache.findings.pop(real, None)
            cache.save()
        cache.dirty = False
        self._saved = dict(cache.entries)


@contextlib.contextmanager
def _locked(file: Path) -> Iterator[None]:
    """An exclusive lock on a file beside `file`, where the platform has one (else none: a lost entry only costs time)."""
    try:
        import fcntl
    except ImportError:  # not on Unix
        yield
        return
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        handle = open(file.with_name(file.name + ".lock"), "a")
    except OSError:
        yield
        return
    with handle:
        with contextlib.suppress(OSError):
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


_SESSIONS: dict[tuple[str, str], Session] = {}


def session_for(root: Path, config: Config, jobs: int = 1) -> Session:
    """The session of the project at `root` under this configuration (its file), made once per process."""
    key = (str(root), str(config.source))
    session = _SESSIONS.get(key)
    if session is None:
        session = _SESSIONS[key] = Session(root, config, jobs)
    return session
