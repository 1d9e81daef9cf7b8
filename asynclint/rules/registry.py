"""Finds every Rule class under `asynclint.rules`: the single source of truth about rules."""

from __future__ import annotations

import functools
import importlib
import pkgutil
import re
from pathlib import Path
from typing import Sequence

from asynclint.core import catalog
from asynclint.core.options import ALL_OPTIONS
from asynclint.rules.base import Rule
from asynclint.rules.screen import Screen

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


def _load_rules() -> list[type[Rule]]:
    """Import every module under `asynclint.rules`; their rules sorted by code, validated."""
    import asynclint.rules as package

    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        importlib.import_module(info.name)
    rules = sorted(_subclasses(Rule), key=lambda r: r.code)
    validate(rules)
    return rules


@functools.lru_cache(maxsize=None)
def all_rules() -> tuple[type[Rule], ...]:
    """Every rule, sorted by code, validated, and as `asynclint.core.catalog` lists them."""
    rules = _load_rules()
    check_catalog(rules)
    return tuple(rules)


def check_catalog(rules: Sequence[type[Rule]]) -> None:
    """Rules that disagree with `asynclint.core.catalog` (a rule added or changed since it was written) are refused."""
    if catalog.RULES != rule_infos(rules):
        raise RegistryError("asynclint/core/catalog.py is out of date: run `python -m asynclint.dev regen`")


def rule_infos(rules: Sequence[type[Rule]]) -> tuple[catalog.RuleInfo, ...]:
    """The catalog entries of these rules."""
    return tuple(
        catalog.RuleInfo(r.code, r.name, r.default_enabled, r.uses_project_index, screen_path(screen_of(r))) for r in rules
    )


def screen_of(rule: type[Rule]) -> type[Screen]:
    """A rule's screen: its first base, a `Screen` that is no rule (the plain `Screen` when it has none)."""
    first = rule.__bases__[0]
    return first if issubclass(first, Screen) and not issubclass(first, Rule) else Screen


def screen_path(screen: type[Screen]) -> str:
    """`module:Class`, as the catalog names a screen."""
    return f"{screen.__module__}:{screen.__qualname__}"


def validate(rules: list[type[Rule]]) -> None:
    """Codes unique and well-formed, names kebab-case and matching their class."""
    seen: dict[str, str] = {}
    seen_screens: dict[type[Screen], str] = {}
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
        screen = screen_of(rule)
        if screen is not Screen and screen in seen_screens:
            raise RegistryError(f"{where}: screen {screen.__name__} is also {seen_screens[screen]}'s (one screen per rule)")
        seen_screens[screen] = rule.code
        for attr in dir(screen):
            if not attr.startswith("__") and _unbound(getattr(rule, attr)) is not _unbound(getattr(screen, attr)):
                raise RegistryError(f"{where}: overrides {attr!r} of its screen {screen.__name__}: define it there")
        if rule.Options is not None and rule.Options not in ALL_OPTIONS:
            raise RegistryError(f"{where}: Options {rule.Options.__name__} is not in asynclint.core.options.ALL_OPTIONS")


def _unbound(value: object) -> object:
    """A class method's function (a new bound method is made at each access), else the value."""
    return getattr(value, "__func__", value)


def rules_by_code() -> dict[str, type[Rule]]:
    """Code -> rule class."""
    return {rule.code: rule for rule in all_rules()}


def rules_named(codes: Sequence[str]) -> tuple[type[Rule], ...]:
    """The rule classes of these codes (codes the configuration chose from the catalog)."""
    by_code = rules_by_code()
    return tuple(by_code[code] for code in codes)


def catalog_source(rules: Sequence[type[Rule]]) -> str:
    """`asynclint/core/catalog.py` with its table made from these rules."""
    text = Path(catalog.__file__).read_text(encoding="utf-8")
    head, rest = text.split("# BEGIN GENERATED\n", 1)
    _, tail = rest.split("# END GENERATED\n", 1)
    rows = "".join(f"    {info!r},\n" for info in rule_infos(rules))
    return f"{head}# BEGIN GENERATED\nRULES: tuple[RuleInfo, ...] = (\n{rows})\n# END GENERATED\n{tail}"


def write_catalog() -> None:
    """Rewrite `asynclint/core/catalog.py` from the rule classes (`python -m asynclint.dev regen` does, with the docs)."""
    Path(catalog.__file__).write_text(catalog_source(_load_rules()), encoding="utf-8")

