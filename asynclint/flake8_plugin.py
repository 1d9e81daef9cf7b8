"""flake8 entry point: the same engine, one file at a time; flake8 owns noqa and --select."""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from typing import Any, Iterator, Sequence

from asynclint import __version__
from asynclint.config import Config, load_config
from asynclint.engine.files import discover
from asynclint.engine.lint import lint_source
from asynclint.engine.project import ProjectIndex, build_index, find_project_root


CACHE_DIR = ".asynclint_cache"


@functools.lru_cache(maxsize=64)
def _config_for(folder: str) -> Config:
    # One flake8 process sees many files of one project: read its config once per folder.
    return load_config([folder])


@functools.lru_cache(maxsize=8)
def _project_for(root: str) -> ProjectIndex:
    """The whole project's index, once per process, from the on-disk cache where files are unchanged."""
    config = _config_for(root)
    return build_index(discover([root], config), cache_dir=Path(root) / CACHE_DIR)


class Plugin:
    """Reports exactly what `asynclint check` reports for the file under the same config."""

    name = "asynclint"
    version = __version__

    def __init__(self, tree: Any, lines: Sequence[str], filename: str) -> None:
        # `tree` is requested only so flake8 calls us once per file; libcst parses the text.
        self.lines = lines
        self.filename = filename

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        folder = os.path.dirname(os.path.abspath(self.filename)) if self.filename != "stdin" else os.getcwd()
        config = _config_for(folder)
        source = "".join(self.lines)
        project = None
        if any(rule.uses_project_index for rule in config.rules_for(self.filename)):
            # Coroutine functions defined in other modules: flake8 shows us one file at a time.
            root = find_project_root(folder)
            if root is not None:
                project = _project_for(str(root)).for_source(self.filename, source)
        result = lint_source(source, self.filename, config, noqa=False, project=project)
        if result.error:
            print(f"asynclint: error: {result.error}", file=sys.stderr)
        for diag in result.diagnostics:
            yield diag.line, diag.col, f"{diag.code} {diag.message}", type(self)
