"""A finding, as every part of the linter passes it around: no syntax tree needed (nor libcst).

A warm run (every file's findings in the result cache) renders these without ever loading
libcst or the rules. A finding's fix as libcst edits (`asynclint.rules.base.Finding`) goes beside
it, never in it: nothing here holds a syntax tree.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class FixSafety(enum.Enum):
    """How far a rule's automatic edit may be trusted (ruff's meaning)."""

    SAFE = "safe"
    UNSAFE = "unsafe"
    NONE = "none"


@dataclass(frozen=True)
class TextEdit:
    """A fix as plain text: replace the span by `text` (only for fixes that need nothing else, e.g. no import)."""

    start: tuple[int, int]  # (line, 0-based column)
    end: tuple[int, int]
    text: str


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One finding: where, which rule, and what to say."""

    path: str
    line: int
    col: int  # 0-based, as libcst and flake8 count
    code: str
    message: str = field(compare=False)
    name: str = field(compare=False, default="")
    end_line: int = field(compare=False, default=0)
    end_col: int = field(compare=False, default=0)
    fix: FixSafety | None = field(compare=False, default=None)
    #: The same fix as text, when it is one self-contained replacement; outlives the syntax tree.
    text_edit: TextEdit | None = field(compare=False, default=None, repr=False)
    #: The steps that lead to the finding, when it has some (ASL107's chain): (file, line, what).
    flow: tuple[tuple[str, int, str], ...] = field(compare=False, default=(), repr=False)

    def to_json(self) -> dict[str, Any]:
        """The stable JSON object of `--format json` (columns 1-based, as printed)."""
        return {
            "path": self.path,
            "line": self.line,
            "col": self.col + 1,
            "end_line": self.end_line,
            "end_col": self.end_col + 1,
            "code": self.code,
            "name": self.name,
            "message": self.message,
            "fix": None if self.fix is None else self.fix.value,
        }


@dataclass(frozen=True)
class FileResult:
    """The findings of one file, or the internal error that stopped its rules."""

    path: str
    diagnostics: tuple[Diagnostic, ...]
    error: str | None = None
    #: A digest of everything the findings were made from when libcst read only part of the file
    #: (`engine/lint.py`): the result cache keeps it, to reuse the findings while it is the same.
    input_digest: str | None = None
