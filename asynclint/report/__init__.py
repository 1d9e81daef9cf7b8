"""Output formats of `asynclint check --format`: name -> renderer of a list of findings."""

from __future__ import annotations

from typing import Callable, Sequence

from asynclint.diagnostic import Diagnostic
from asynclint.report import github as github_format
from asynclint.report import grouped as grouped_format
from asynclint.report import json as json_format
from asynclint.report import sarif as sarif_format
from asynclint.report import text as text_format

Renderer = Callable[[Sequence[Diagnostic]], str]

FORMATS: dict[str, Renderer] = {
    "text": text_format.render,
    "json": json_format.render,
    "github": github_format.render,
    "grouped": grouped_format.render,
    "sarif": sarif_format.render,
}
