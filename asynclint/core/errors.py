"""Errors a check reports instead of findings: a rule that crashed, a file nested too deeply."""

from __future__ import annotations

from typing import Protocol


class Named(Protocol):
    """What an error tells of a rule: its code and name."""

    code: str
    name: str


class RuleCrash(Exception):
    """A rule raised on a file: one line naming the rule and the file."""

    def __init__(self, path: str, rule: Named | None, error: BaseException) -> None:
        who = f"{rule.code} ({rule.name})" if rule is not None else "the engine"
        super().__init__(f"{path}: internal error in {who}: {type(error).__name__}: {error}")


class TooDeep(Exception):
    """The file nests deeper than the tree walk can follow: it is reported as ASL000, not a rule bug."""


TOO_DEEP = "cannot parse: the file nests too deeply to be analysed"
