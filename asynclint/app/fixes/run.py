"""Fix many files (or one text): the runner's machinery (`engine/runner.py`), with fixing as the work."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Sequence

from asynclint.app.fixes.apply import FixOutcome, fix_source
from asynclint.app.fixes.write import WriteError, unified_diff, write_atomically
from asynclint.core.cachedir import Caches
from asynclint.core.config import Config
from asynclint.core.paths import read_source
from asynclint.engine.project import project_for
from asynclint.engine.runner import Job, project_for_text, run_all


@dataclass(frozen=True)
class FixReport:
    """What fixing one file did, without the file's content (the parent prints, the worker writes)."""

    path: str
    changed: bool
    outcome: FixOutcome
    diff: str = ""
    error: str | None = None


def fix_one(job: Job, path: str) -> FixReport:
    """Fix one file: write it (atomically), or with `diff` only describe the change."""
    try:
        original = read_source(path)[1]
    except OSError as exc:
        error = f"{path}: cannot read file: {exc.strerror or exc}"
        return FixReport(path, False, FixOutcome(path, b"", b"", error=error), error=error)
    outcome = fix_source(original, path, job.config, unsafe=job.unsafe, project=job.project)
    changed = outcome.changed and outcome.error is None
    slim = dataclasses.replace(
        outcome, original=b"", fixed=b"1" if changed else b"", remaining=outcome.remaining, text_before="", text_after=""
    )
    if outcome.error:
        return FixReport(path, False, slim, error=outcome.error)
    if changed and job.diff:
        return FixReport(path, True, slim, diff=unified_diff(path, outcome.text_before, outcome.text_after))
    if changed:
        assert isinstance(outcome.fixed, bytes)
        try:
            write_atomically(path, outcome.fixed, original)
        except WriteError as exc:
            kept = dataclasses.replace(slim, fixed=b"", error=str(exc))
            return FixReport(path, False, kept, error=str(exc))
    return FixReport(path, changed, slim)


def _crashed_fix(path: str) -> FixReport:
    error = f"{path}: the worker process fixing this file crashed; file left unchanged"
    return FixReport(path, False, FixOutcome(path, b"", b"", error=error), error=error)


def fix_files(
    files: Sequence[str],
    config: Config,
    *,
    unsafe: bool,
    diff: bool,
    jobs: int = 1,
    fresh: bool = True,
    caches: Caches = Caches(),
) -> list[FixReport]:
    """Fix every file (or describe the changes); reports in the order of `files` (`fresh`, `caches` as for `check_files`)."""
    job = Job(config, project_for(files, config, jobs, fresh=fresh, caches=caches), unsafe=unsafe, diff=diff)
    reports = dict(run_all(fix_one, job, files, jobs, _crashed_fix))
    return [reports[path] for path in files]


def fix_text(source: bytes, path: str, config: Config, *, unsafe: bool) -> FixOutcome:
    """Fix a text that stands for the file at `path` (stdin), as `check_text` checks it; nothing is written."""
    return fix_source(source, path, config, unsafe=unsafe, project=project_for_text(source, path, config))
