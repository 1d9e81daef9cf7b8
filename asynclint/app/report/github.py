"""GitHub Actions workflow commands: one `::error` annotation per finding."""

from __future__ import annotations

from typing import Sequence

from asynclint.core.diagnostic import Diagnostic


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render(diagnostics: Sequence[Diagnostic]) -> str:
    """`::error file=…,line=…,col=…,endLine=…,endColumn=…,title=ASL101::message`."""
    return "".join(
        f"::error file={_property(d.path)},line={d.line},col={d.col + 1},endLine={d.end_line},"
        f"endColumn={d.end_col + 1},title={_property(d.code)}::{_data(f'{d.code} {d.message}')}\n"
        for d in diagnostics
    )
