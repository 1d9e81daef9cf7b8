"""flake8 entry point: the same engine, one file at a time; flake8 owns noqa and --select."""

from __future__ import annotations

import functools
import os
import sys
from typing import Any, Iterator, Sequence

from asynclint import __version__
from asynclint.config import Config, load_config
from asynclint.engine.lint import lint_source


@functools.lru_cache(maxsize=64)
def _config_for(folder: str) -> Config:
    # One flake8 process sees many files of one project: read its config once per folder.
    return load_config([folder])


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
        result = lint_source("".join(self.lines), self.filename, config, noqa=False)
        if result.error:
            print(f"asynclint: error: {result.error}", file=sys.stderr)
        for diag in result.diagnostics:
            yield diag.line, diag.col, f"{diag.code} {diag.message}", type(self)
