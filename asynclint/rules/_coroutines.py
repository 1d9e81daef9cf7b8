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

from asynclint.analysis import names as _names
from asynclint.analysis.index.declared import is_protocol
from asynclint.analysis.index.indexer import ASYNC
from asynclint.core.options import CoroutineOptions
from asynclint.rules._match import ReceiverTypes, Site, absolute_names, resolve
from asynclint.rules.base import Rule

PROJECT, CATALOGUE, CONFIG, DECLARED = "project", "catalogue", "config", "declared"
#: Bases that define no method a `super()` call of a coroutine could mean.
_PLAIN_BASES = frozenset({"object", "abc.ABC", "typing.Generic", "typing.Protocol"})


@dataclass(frozen=True)
class Coroutine:
    """A resolved coroutine function: its qualified name and where the linter knows it from."""

    name: str
    source: str  # PROJECT, CATALOGUE, CONFIG or DECLARED (a project class's method, through an annotation)


def project_names(rule: Rule, expr: cst.BaseExpression) -> list[str]:
    """The absolute qualified names `expr` may refer to (builtins left out): imports made absolute,
    the module's own definitions prefixed with its name."""
    return absolute_names(rule, rule.qualified_names(expr) or set())


class CoroutineResolver:
    """Resolves callees after the traversal, when every binding of the module is known."""

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.ctx = rule.ctx
        self.options: CoroutineOptions = rule.ctx.option(CoroutineOptions)
        self._types: ReceiverTypes | None = None

    def reference(self, expr: cst.BaseExpression, site: Site, declared: bool = False) -> Coroutine | None:
        """The coroutine function `expr` names (uncalled), or None.

        With `declared`, what is known from declarations counts too: a method of a receiver declared as a
        class (a parameter annotated with it, a declared attribute), and a sync function or method declared
        to return a coroutine (`-> Coroutine[...]`, `ProjectIndex.returns_coroutine`).
        """
        found = (
            self._self_method(expr, site, declared)
            or self._super_method(expr, site)
            or self._qualified(expr, declared)
            or self._receiver_method(expr, site)
            or (self._declared_method(expr, site) if declared else None)
        )
        if found is None or self._ignored(found.name):
            return None
        return found

    def call(self, call: cst.Call, site: Site, declared: bool = False) -> Coroutine | None:
        """The coroutine function `call` calls, or None."""
        return self.reference(call.func, site, declared)

    def _ignored(self, name: str) -> bool:
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in self.options.ignore_coroutines)

    def ignored_call(self, call: cst.Call) -> bool:
        """Whether `ignore-coroutines` names what `call` calls (its coroutine may be dropped)."""
        return any(self._ignored(name) for name in self._names(call.func))

    def names(self, expr: cst.BaseExpression) -> list[str]:
        """The project-absolute qualified names `expr` may refer to (builtins aside)."""
        return self._names(expr)

    def _names(self, expr: cst.BaseExpression) -> list[str]:
        return project_names(self.rule, expr)

    def _self_method(self, expr: cst.BaseExpression, site: Site, declared: bool = False) -> Coroutine | None:
        if not (isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name)):
            return None
        if site.cls is None or expr.value.value != site.self_name:
            return None
        owner = f"{self.ctx.module_name}.{site.cls.name.value}"
        project = self.ctx.project
        if project.method_kind(owner, expr.attr.value) == ASYNC:
            return Coroutine(f"{owner}.{expr.attr.value}", PROJECT)
        if declared and not is_protocol(project, owner) and project.method_returns_coroutine(owner, expr.attr.value):
            return Coroutine(f"{owner}.{expr.attr.value}", DECLARED)  # (a `Protocol`'s: what implements it may differ)
        return None

    def _super_method(self, expr: cst.BaseExpression, site: Site) -> Coroutine | None:
        """`super().method` in a method of a top-level class: the method its bases define, if `async def`."""
        if not (isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Call)):
            return None
        sup = expr.value
        if resolve(self.rule, sup.func) != "builtins.super" or sup.args or site.cls is None:
            return None
        if site.cls not in self.ctx.module.body:
            return None  # a nested class: the index knows top-level classes only
        entry = self.ctx.project.class_entry(f"{self.ctx.module_name}.{site.cls.name.value}")
        if entry is None or len(entry["bases"]) != len(site.cls.bases):
            return None  # a base the index could not resolve: the MRO is not known
        found = self._inherited(entry["bases"], expr.attr.value, 0)
        return Coroutine(found, PROJECT) if found else None

    def _inherited(self, bases: list[str], method: str, depth: int) -> str | None:
        """Where `method` comes from through `bases`, depth first, when that is an `async def` of the project.

        "" (stop: not known) when a class outside the project comes first: it may define `method`.
        """
        for base in bases:
            if base in _PLAIN_BASES:
                continue
            entry = self.ctx.project.class_entry(base)
            if entry is None or depth > 8:
                return ""
            if method in entry["methods"]:
                return f"{base}.{method}" if entry["methods"][method] == ASYNC else ""
            found = self._inherited(entry["bases"], method, depth + 1)
            if found is not None:
                return found
        return None

    def _declared_method(self, expr: cst.BaseExpression, site: Site) -> Coroutine | None:
        """`db.method`, `self.http.method`, `ctx.bot.method`: a receiver declared as project classes (all of
        them: a `Union` with a sync one is not) whose `method` is `async def` (`ReceiverTypes.classes_of`)."""
        if not isinstance(expr, cst.Attribute):
            return None
        if self._types is None:
            self._types = ReceiverTypes(self.rule)
        classes = self._types.classes_of(expr.value, site)
        if not classes or any(is_protocol(self.ctx.project, cls) for cls in classes):
            return None  # (a `Protocol` says what the code expects, not what stands there)
        method = expr.attr.value
        if all(self.ctx.project.method_makes_coroutine(cls, method) for cls in classes):
            return Coroutine(f"{classes[0]}.{method}", DECLARED)
        return None

    def _qualified(self, expr: cst.BaseExpression, declared: bool = False) -> Coroutine | None:
        raw = self.rule.qualified_names(expr)
        names = self._names(expr)
        if not names or len(names) != len(raw or ()):
            return None  # unresolved, or a builtin among the bindings
        # Every binding of the name must agree (`try: from x import f` / `except: def f(): ...`).
        found = {self._classify(name, declared) for name in names}
        return found.pop() if len(found) == 1 else None

    def _classify(self, name: str, declared: bool = False) -> Coroutine | None:
        if name in _names.COROUTINE_FUNCTIONS:
            return Coroutine(name, CATALOGUE)
        if self.ctx.project.is_coroutine_function(name):
            return Coroutine(name, PROJECT)
        if any(fnmatch.fnmatchcase(name, pattern) for pattern in self.options.coroutine_functions):
            return Coroutine(name, CONFIG)
        if declared and self.ctx.project.returns_coroutine(name):
            return Coroutine(name, DECLARED)  # `def get(...) -> Coroutine[...]`: the declaration may lie
        return None

    def _receiver_method(self, expr: cst.BaseExpression, site: Site) -> Coroutine | None:
        if not isinstance(expr, cst.Attribute):
            return None
        if self._types is None:
            self._types = ReceiverTypes(self.rule)
        kind = self._types.type_of(expr.value, site, set())
        if kind is not None and expr.attr.value in _names.ASYNC_METHODS.get(kind, ()):
            return Coroutine(f"{kind}.{expr.attr.value}", CATALOGUE)
        # Known only from a declaration (`queue: asyncio.Queue`): its fix is unsafe.
        kind = self._types.declared_tag(expr.value, site) if kind is None else None
        if kind is not None and expr.attr.value in _names.ASYNC_METHODS.get(kind, ()):
            return Coroutine(f"{kind}.{expr.attr.value}", DECLARED)
        return None
