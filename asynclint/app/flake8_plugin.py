"""flake8 entry point: the same engine, one file at a time; flake8 owns noqa and --select."""

from __future__ import annotations

import functools
import os
import sys
from typing import Any, Iterator, Sequence

from asynclint import __version__
from asynclint.analysis.index.model import ProjectIndex
from asynclint.core.config import Config, load_config
from asynclint.engine.lint import lint_source
from asynclint.engine.project import find_project_root, project_for
from asynclint.engine.source import text_as_read


@functools.lru_cache(maxsize=64)
def _config_for(folder: str) -> Config:
    # One flake8 process sees many files of one project: read its config once per folder.
    return load_config([folder])


@functools.lru_cache(maxsize=8)
def _project_for(root: str) -> ProjectIndex | None:
    """The whole project's index, once per process, from the on-disk cache where files are unchanged."""
    return project_for([root], _config_for(root))


class Plugin:
    """Reports exactly what `asynclint check` reports for the file under the same config."""

    name = "asynclint"
    version = __version__

    def __init__(self, tree: Any, lines: Sequence[str], filename: str) -> None:
        # `tree` is requested only so flake8 calls us once per file; libcst parses the text.
        self.lines = lines
        self.filename = filename
        # The work happens here: flake8 reports what goes wrong while it builds a plugin (a bad
        # [tool.asynclint]) in one line, without a traceback; it does not guard `run()`.
        self.findings = self._findings()

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        return iter(self.findings)

    def _findings(self) -> list[tuple[int, int, str, type]]:
        folder = os.path.dirname(os.path.abspath(self.filename)) if self.filename != "stdin" else os.getcwd()
        config = _config_for(folder)
        source = text_as_read("".join(self.lines))
        project = None
        root = find_project_root(folder)
        if root is not None and config.uses_project_index(self.filename):
            # Coroutine functions defined in other modules: flake8 shows us one file at a time.
            index = _project_for(str(root))
            project = index.for_source(self.filename, source) if index is not None else None
        result = lint_source(source, self.filename, config, noqa=False, project=project)
        if result.error:
            print(f"asynclint: error: {result.error}", file=sys.stderr)
        return [(d.line, d.col, f"{d.code} {d.message}", type(self)) for d in result.diagnostics]
