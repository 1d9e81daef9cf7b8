"""Finds every Rule class under `asynclint.rules`: the single source of truth about rules."""

from __future__ import annotations

import functools
import importlib
import pkgutil
import re

from asynclint.rule import Rule

CODE_RE = re.compile(r"^ASL\d{3}$")
NAME_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
FORBIDDEN_NAME_PREFIXES = ("no-", "use-", "avoid-", "prefer-")


class RegistryError(Exception):
    """A rule class breaks the conventions every rule must follow."""


def class_name_for(rule_name: str) -> str:
    """`blocking-sleep` -> `BlockingSleep`."""
    return "".join(part.capitalize() for part in rule_name.split("-"))


def _subclasses(cls: type[Rule]) -> list[type[Rule]]:
    found: list[type[Rule]] = []
    for sub in cls.__subclasses__():
        if "code" in sub.__dict__:
            found.append(sub)
        found.extend(_subclasses(sub))
    return found


@functools.lru_cache(maxsize=None)
def all_rules() -> tuple[type[Rule], ...]:
    """Every rule, sorted by code, validated."""
    import asynclint.rules as package

    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        importlib.import_module(info.name)
    rules = sorted(_subclasses(Rule), key=lambda r: r.code)
    validate(rules)
    return tuple(rules)


def validate(rules: list[type[Rule]]) -> None:
    """Codes unique and well-formed, names kebab-case and matching their class."""
    seen: dict[str, str] = {}
    for rule in rules:
        where = f"{rule.__module__}.{rule.__qualname__}"
        if not CODE_RE.match(rule.code):
            raise RegistryError(f"{where}: code {rule.code!r} is not ASL followed by three digits")
        if rule.code in seen:
            raise RegistryError(f"{where}: code {rule.code} already used by {seen[rule.code]}")
        seen[rule.code] = where
        if not NAME_RE.match(rule.name) or rule.name.startswith(FORBIDDEN_NAME_PREFIXES):
            raise RegistryError(f"{where}: name {rule.name!r} must be kebab-case, naming the pattern")
        if rule.__name__ != class_name_for(rule.name):
            raise RegistryError(f"{where}: class should be named {class_name_for(rule.name)}")


def rules_by_code() -> dict[str, type[Rule]]:
    """Code -> rule class."""
    return {rule.code: rule for rule in all_rules()}
