"""Output formats of `asynclint check --format`: name -> renderer of a list of findings."""

from __future__ import annotations

from typing import Callable, Sequence

from asynclint.app.report import github as github_format
from asynclint.app.report import grouped as grouped_format
from asynclint.app.report import json as json_format
from asynclint.app.report import sarif as sarif_format
from asynclint.app.report import text as text_format
from asynclint.core.diagnostic import Diagnostic

Renderer = Callable[[Sequence[Diagnostic]], str]

FORMATS: dict[str, Renderer] = {
    "text": text_format.render,
    "json": json_format.render,
    "github": github_format.render,
    "grouped": grouped_format.render,
    "sarif": sarif_format.render,
}
