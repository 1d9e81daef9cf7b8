"""asynclint: find and fix the mistakes people make with async/await in Python."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from asynclint.core.diagnostic import Diagnostic

#: The one place the version is written (pyproject.toml reads it from here).
__version__ = "0.1.0"

__all__ = ["__version__", "check_source"]


def check_source(
    source: str | bytes, path: str = "<string>", select: tuple[str, ...] | None = None
) -> list[Diagnostic]:
    """Lint one source text with the default configuration (or `select`); returns Diagnostics."""
    from asynclint.core.config import Config
    from asynclint.engine.lint import lint_source

    config = Config(select=select)
    return list(lint_source(source, path, config, raise_errors=True).diagnostics)
