"""Run the linter over many files: cached results first, the rest in worker processes when asked.

Files are handed to the workers in batches; every result comes back keyed by its file, so the
output is the same, in the same order, whatever the number of workers. The project index is
built once, in the parent, and handed to each worker when it starts. A worker that dies (a
crash in a C extension, the OOM killer) loses its batch, not the run: the batch's files are
checked again one at a time, each in a fresh worker, and a file that kills its worker again is
reported as an error. Nothing of a file outlives its check but its findings (the libcst
tree is dropped, and with it the fix edits a `check` does not need).

The engine's libcst side (`lint`) is imported by the functions that check a file, not here
(fixing runs through the same machinery: `app/fixes/run.py`): a run whose every file is a cache hit never loads libcst nor the rules.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Mapping, Sequence, TypeVar

from asynclint.analysis.index.model import ProjectIndex
from asynclint.core.cachedir import Caches
from asynclint.core.config import Config
from asynclint.core.diagnostic import Diagnostic, FileResult
from asynclint.core.paths import read_source, real_paths
from asynclint.engine import interrupt
from asynclint.engine.cache import Entry, EntryKeys, ResultCache
from asynclint.engine.project import project_for

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor
    from contextlib import AbstractContextManager

T = TypeVar("T")

#: Fewer files than this are checked in this process: starting workers would cost more.
IN_PROCESS_BELOW = 8

def default_jobs() -> int:
    """The CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class Job:
    """Everything a worker needs, sent once when it starts."""

    config: Config
    project: ProjectIndex | None
    keys: EntryKeys | None = None
    unsafe: bool = False
    diff: bool = False
    #: Path -> the input digest and findings of its cache entry (a miss), which its check may reuse.
    made_from: Mapping[str, tuple[str, tuple[Diagnostic, ...]]] = dataclasses.field(default_factory=dict)


def check_one(job: Job, path: str) -> tuple[FileResult, Entry | None]:
    """Check one file; with a cache, also the entry that remembers the result."""
    from asynclint.engine.lint import lint_source, parse_error
    from asynclint.engine.source import ParseFailure

    try:
        st, data = read_source(path)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return FileResult(path, (parse_error(path, ParseFailure(f"cannot read file: {reason}")),)), None
    known = job.made_from.get(path)
    reuse = functools.partial(_reused, known) if known is not None else None
    result = lint_source(data, path, job.config, project=job.project, reuse=reuse)
    entry = None
    if job.keys is not None and result.error is None:
        entry = job.keys.make_entry(st, data, result)
    return result, entry


def _reused(known: tuple[str, tuple[Diagnostic, ...]], digest: str) -> tuple[Diagnostic, ...] | None:
    """The findings of a file's cache entry, if they were made from this input digest."""
    return known[1] if digest == known[0] else None


# Worker side: the job arrives once, with the worker.
_JOB: Job | None = None


def _start_worker(job: Job) -> None:
    global _JOB
    _JOB = job


def _run_batch(work: Callable[[Job, str], T], paths: list[str]) -> list[T]:
    assert _JOB is not None, "worker started without its job"
    outputs = []
    for path in paths:
        with interrupt.interruptible():  # a stop signal abandons the file (a write under way completes first)
            outputs.append(work(_JOB, path))
    return outputs


def _pool(job: Job, workers: int) -> AbstractContextManager[ProcessPoolExecutor]:
    # fork shares the parent's index without pickling it; elsewhere the job is pickled once per worker.
    from asynclint.engine.pool import process_pool

    return process_pool(workers, _start_worker, (job,))


def run_all(
    work: Callable[[Job, str], T],
    job: Job,
    paths: Sequence[str],
    jobs: int,
    crashed: Callable[[str], T],
    on_file: Callable[[], None] | None = None,
) -> Iterator[tuple[str, T]]:
    """`work(job, path)` for every path, in `jobs` processes (1: this one), yielded as they finish.

    `crashed(path)` stands for the result of a file whose worker died twice.
    """
    if jobs <= 1 or len(paths) < IN_PROCESS_BELOW:
        for path in paths:
            yield path, work(job, path)
            if on_file is not None:
                on_file()
        return
    from asynclint.engine.pool import BrokenProcessPool

    if job.project is not None:
        job.project.load()  # once, here, not in each worker
    workers = min(jobs, len(paths))
    size = max(1, min(32, len(paths) // (workers * 8)))
    batches = [list(paths[i : i + size]) for i in range(0, len(paths), size)]
    lost: list[str] = []
    with _pool(job, workers) as pool:
        futures: dict[Future[list[T]], list[str]] = {pool.submit(_run_batch, work, b): b for b in batches}
        for future, batch in futures.items():
            try:
                outputs = future.result()
            except BrokenProcessPool:
                lost.extend(batch)
                continue
            for path, output in zip(batch, outputs):
                yield path, output
                if on_file is not None:
                    on_file()
    for path in lost:  # one at a time, each in a fresh worker, so one bad file cannot take others down
        with _pool(job, 1) as single:
            try:
                output = single.submit(_run_batch, work, [path]).result()[0]
            except BrokenProcessPool:
                output = crashed(path)
        yield path, output
        if on_file is not None:
            on_file()


def _crashed_check(path: str) -> tuple[FileResult, None]:
    return FileResult(path, (), error=f"{path}: the worker process checking this file crashed"), None


def check_files(
    files: Sequence[str],
    config: Config,
    *,
    jobs: int = 1,
    cache_dir: Path | None = None,
    on_file: Callable[[], None] | None = None,
    fresh: bool = True,
    caches: Caches = Caches(),
) -> list[FileResult]:
    """Check every file against one project index; results in the order of `files`.

    `cache_dir`: the result cache's folder (None: none); `caches`: where the project index
    is cached. `fresh=False` when the caller's `discover` of `files` started this run (see `discover`).
    """
    project = project_for(files, config, jobs, fresh=fresh, caches=caches)
    cache = ResultCache(cache_dir, config, project) if cache_dir is not None else None
    results: dict[str, FileResult] = {}
    misses: list[str] = []
    made_from: dict[str, tuple[str, tuple[Diagnostic, ...]]] = {}
    for path, real in zip(files, real_paths(files) if cache is not None else files):
        hit = cached_result(cache, path, real, made_from) if cache is not None else None
        if hit is None:
            misses.append(path)
            continue
        results[path] = hit
        if on_file is not None:
            on_file()
    if misses:
        job = Job(config, project, cache.keys() if cache is not None else None, made_from=made_from)
        for path, (result, entry) in run_all(check_one, job, misses, jobs, _crashed_check, on_file):
            results[path] = result
            if cache is not None:
                cache.put(path, entry)
    if cache is not None:
        with interrupt.shielded():  # (a stop signal waits for the cache file's rename)
            cache.save()
    if project is not None and project.libraries is not None:
        project.libraries.save()  # (with what the rules' lookups read: a touched file's run reads none again)
    return [results[path] for path in files]


def cached_result(
    cache: ResultCache, path: str, real: str, made_from: dict[str, tuple[str, tuple[Diagnostic, ...]]]
) -> FileResult | None:
    """A file's result from the cache; None for a miss, whose entry's findings go in `made_from`
    when its check may reuse them (`Job.made_from`). `check_files` and the flake8 plugin ask this."""
    hit = cache.get(path, real)
    if hit is not None:
        return FileResult(path, hit)
    known = cache.made_from(path, real)
    if known is not None:
        made_from[path] = known
    return None


def check_text(source: bytes, path: str, config: Config) -> FileResult:
    """Check a text that stands for the file at `path` (stdin): its project, with its own definitions read from the text."""
    from asynclint.engine.lint import lint_source

    return lint_source(source, path, config, project=project_for_text(source, path, config))


def project_for_text(source: bytes, path: str, config: Config) -> ProjectIndex | None:
    """The project of a text that stands for the file at `path`, with its own definitions read from the text."""
    project = project_for([path], config)
    return project.for_source(path, source) if project is not None else None
