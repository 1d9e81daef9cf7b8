"""Is this call (or this reference) a coroutine function? Shared by the ASL2xx rules.

Known coroutine functions come from three places: `async def`s in the linted code (the
project index: same module, other modules, methods through `self`/`cls` and base classes),
the catalogue of well-known async APIs (including coroutine methods of receivers of a known
type, such as `asyncio.Queue().put`), and the `coroutine-functions` setting. A call that
resolves to none of them is never reported.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import QualifiedNameSource

from asynclint.engine.project import ASYNC, absolutize
from asynclint.options import CoroutineOptions
from asynclint.rule import Rule
from asynclint.rules import _names
from asynclint.rules._match import ReceiverTypes, Site

PROJECT, CATALOGUE, CONFIG = "project", "catalogue", "config"


@dataclass(frozen=True)
class Coroutine:
    """A resolved coroutine function: its qualified name and where the linter knows it from."""

    name: str
    source: str  # PROJECT, CATALOGUE or CONFIG


def project_names(rule: Rule, expr: cst.BaseExpression) -> list[str]:
    """The absolute qualified names `expr` may refer to (builtins left out): imports made absolute,
    the module's own definitions prefixed with its name."""
    names = rule.qualified_names(expr) or set()
    ctx = rule.ctx
    return [
        absolutize(q.name, ctx.module_name, ctx.package_init)
        if q.source is QualifiedNameSource.IMPORT
        else f"{ctx.module_name}.{q.name}"
        for q in names
        if q.source is not QualifiedNameSource.BUILTIN
    ]


class CoroutineResolver:
    """Resolves callees after the traversal, when every binding of the module is known."""

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.ctx = rule.ctx
        self.options: CoroutineOptions = rule.ctx.option(CoroutineOptions)
        self._types: ReceiverTypes | None = None

    def reference(self, expr: cst.BaseExpression, site: Site) -> Coroutine | None:
        """The coroutine function `expr` names (uncalled), or None."""
        found = self._self_method(expr, site) or self._qualified(expr) or self._receiver_method(expr, site)
        if found is None or self._ignored(found.name):
            return None
        return found

    def call(self, call: cst.Call, site: Site) -> Coroutine | None:
        """The coroutine function `call` calls, or None."""
        return self.reference(call.func, site)

    def _ignored(self, name: str) -> bool:
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in self.options.ignore_coroutines)

    def ignored_call(self, call: cst.Call) -> bool:
        """Whether `ignore-coroutines` names what `call` calls (its coroutine may be dropped)."""
        return any(self._ignored(name) for name in self._names(call.func))

    def _names(self, expr: cst.BaseExpression) -> list[str]:
        return project_names(self.rule, expr)

    def _self_method(self, expr: cst.BaseExpression, site: Site) -> Coroutine | None:
        if not (isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name)):
            return None
        if site.cls is None or expr.value.value != site.self_name:
            return None
        owner = f"{self.ctx.module_name}.{site.cls.name.value}"
        if self.ctx.project.method_kind(owner, expr.attr.value) == ASYNC:
            return Coroutine(f"{owner}.{expr.attr.value}", PROJECT)
        return None

    def _qualified(self, expr: cst.BaseExpression) -> Coroutine | None:
        raw = self.rule.qualified_names(expr)
        names = self._names(expr)
        if not names or len(names) != len(raw or ()):
            return None  # unresolved, or a builtin among the bindings
        # Every binding of the name must agree (`try: from x import f` / `except: def f(): ...`).
        found = {self._classify(name) for name in names}
        return found.pop() if len(found) == 1 else None

    def _classify(self, name: str) -> Coroutine | None:
        if name in _names.COROUTINE_FUNCTIONS:
            return Coroutine(name, CATALOGUE)
        if self.ctx.project.is_coroutine_function(name):
            return Coroutine(name, PROJECT)
        if any(fnmatch.fnmatchcase(name, pattern) for pattern in self.options.coroutine_functions):
            return Coroutine(name, CONFIG)
        return None

    def _receiver_method(self, expr: cst.BaseExpression, site: Site) -> Coroutine | None:
        if not isinstance(expr, cst.Attribute):
            return None
        if self._types is None:
            self._types = ReceiverTypes(self.rule)
        kind = self._types.type_of(expr.value, site, set())
        if kind is not None and expr.attr.value in _names.ASYNC_METHODS.get(kind, ()):
            return Coroutine(f"{kind}.{expr.attr.value}", CATALOGUE)
        return None
