"""flake8 entry point: the same engine, one file at a time; flake8 owns noqa and --select.

A file flake8 read from disk is checked as `asynclint check` checks it (`engine/perfile.py`):
the same project index, result cache and block reduction, so a file unchanged since a run of
either costs no libcst. A text that is not the file on disk (stdin) and a file outside any
project are checked from the text flake8 hands over. `# noqa` silences what it silences for
`check` (flake8 then applies its own on top), except under flake8's `--disable-noqa`, where
every finding is reported (and the result cache, which holds findings after noqa, is not used).
"""

from __future__ import annotations

import argparse
import functools
import io
import os
import sys
import tokenize
from pathlib import Path
from typing import Any, Iterator, Sequence

from asynclint import __version__
from asynclint.core.config import Config, ConfigError, load_config
from asynclint.core.diagnostic import FileResult
from asynclint.core.paths import read_source
from asynclint.engine.collector import collect_less, freeze_for_workers
from asynclint.engine.lint import lint_source
from asynclint.engine.perfile import session_for
from asynclint.engine.project import find_project_root
from asynclint.engine.source import text_as_read


@functools.lru_cache(maxsize=64)
def _config_for(folder: str) -> Config:
    # One flake8 process sees many files of one project: read its config once per folder.
    return load_config([folder])


class Plugin:
    """Reports exactly what `asynclint check` reports for the file under the same config."""

    name = "asynclint"
    version = __version__
    #: flake8's `--disable-noqa` (set by `parse_options`, in every process).
    disable_noqa = False
    #: The project of flake8's first path, which `check` would take for every file it is given
    #: (set by `parse_options`; None: each file's own).
    run_root: Path | None = None

    def __init__(self, tree: Any, lines: Sequence[str], filename: str) -> None:
        # `tree` is requested only so flake8 calls us once per file; libcst parses the text.
        self.lines = lines
        self.filename = filename
        # The work happens here: flake8 reports what goes wrong while it builds a plugin (a bad
        # [tool.asynclint]) in one line, without a traceback; it does not guard `run()`.
        collect_less()  # (a process flake8 did not give `parse_options`)
        self.findings = self._findings()

    @classmethod
    def parse_options(cls, option_manager: Any, options: argparse.Namespace, filenames: Sequence[str]) -> None:
        """In the flake8 parent, before it forks its workers: read the project index once, for all of them."""
        cls.disable_noqa = bool(getattr(options, "disable_noqa", False))
        collect_less()  # (for flake8's own work too: see the function; the workers forked inherit it)
        cls.run_root = None
        names = list(filenames) or ["."]
        if "-" in names:
            return
        first = os.path.abspath(names[0])
        folder = first if os.path.isdir(first) else os.path.dirname(first)
        cls.run_root = root = find_project_root(folder)
        jobs = _jobs(options)
        if root is None or jobs <= 1 or (len(names) == 1 and os.path.isfile(first)):
            return  # one process (a file checked on save needs no index when its result is cached)
        import multiprocessing

        if multiprocessing.current_process().daemon:
            return  # a worker started afresh (no fork): the parent has written the index cache
        try:
            config = _config_for(folder)
        except ConfigError:
            return  # reported for each file
        session = session_for(root, config, jobs)
        if all(os.path.isfile(name) for name in names) and session.all_cached(names):
            return  # (pre-commit's changed files, unchanged since their last check: no index needed)
        session.prepare()
        # As `engine/pool.py` does: a collection in a forked worker would otherwise walk (and so
        # copy) every object of the index it inherited, again and again.
        freeze_for_workers()

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        return iter(self.findings)

    def _findings(self) -> list[tuple[int, int, str, type]]:
        on_disk = self.filename != "stdin"
        folder = os.path.dirname(os.path.abspath(self.filename)) if on_disk else os.getcwd()
        config = _config_for(folder)
        text = "".join(self.lines)
        root = self.run_root if self.run_root is not None and on_disk else find_project_root(folder)
        result: FileResult
        if root is not None and on_disk and not self.disable_noqa and _is_file_as_read(self.filename, text):
            result = session_for(root, config).check(self.filename)
        else:
            source = text_as_read(text)
            project = None
            if root is not None and config.uses_project_index(self.filename):
                # Coroutine functions defined in other modules: flake8 shows us one file at a time.
                index = session_for(root, config).project
                project = index.for_source(self.filename, source) if index is not None else None
            result = lint_source(source, self.filename, config, noqa=not self.disable_noqa, project=project)
        if result.error:
            print(f"asynclint: error: {result.error}", file=sys.stderr)
        return [(d.line, d.col, f"{d.code} {d.message}", type(self)) for d in result.diagnostics]


def _jobs(options: argparse.Namespace) -> int:
    """The processes flake8 will check files in (`--jobs`, `auto` by default)."""
    jobs = getattr(options, "jobs", None)
    if jobs is None or getattr(jobs, "is_auto", False):
        from asynclint.engine.runner import default_jobs

        return default_jobs()
    return int(getattr(jobs, "n_jobs", 1))


def _is_file_as_read(path: str, text: str) -> bool:
    """Whether `text` is the file at `path` as flake8 reads it (decoded, universal newlines, no BOM)."""
    try:
        data = read_source(path)[1]
    except OSError:
        return False
    if text_as_read(text) == data:
        return True  # (UTF-8, `\n` line ends, no BOM: most files)
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        read = io.TextIOWrapper(io.BytesIO(data), encoding).read()
    except (SyntaxError, UnicodeError, LookupError):
        return False
    return read.removeprefix("\ufeff") == text
