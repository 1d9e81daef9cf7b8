"""Per-file facts every rule shares: where async code is, what names are bound to, the library.

"In async code" is worked out here once (RULES.md: lexically in the body of an `async def`,
not inside a nested `def`, `lambda` or `class` body; comprehensions are transparent). The
tracker is the first visitor of the batch and pushes a scope on entering a body (not the
whole node: decorators and defaults run in the enclosing scope), so every rule's `visit_*`
already sees the right answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Collection, Iterator, Mapping, Union

import libcst as cst
from libcst.metadata import QualifiedName

from asynclint.analysis import names as _names
from asynclint.analysis.cst.walk import Batchable
from asynclint.analysis.index.model import ProjectIndex

ScopeNode = Union[cst.FunctionDef, cst.Lambda, cst.ClassDef]

LIBRARIES = ("asyncio", "trio", "anyio")


class ScopeTracker(Batchable):
    """Tracks the enclosing def/lambda/class and what plain names and `self.` attributes are bound to."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[ScopeNode] = []
        #: Name target of an assignment -> the assigned expression (`with ... as name` too).
        self.values: dict[cst.Name, cst.BaseExpression] = {}
        #: Names bound by `with X as name` (the value is X, the name is `X.__enter__()`).
        self.entered: set[cst.Name] = set()
        #: Those of them an `async with` binds (the name is `await X.__aenter__()`).
        self.async_entered: set[cst.Name] = set()
        #: Class -> attribute -> [(method name, assigned expression or None when unknown)].
        self.self_attrs: dict[cst.ClassDef, dict[str, list[tuple[str, cst.BaseExpression | None]]]] = {}
        #: Item assignments `c[key] = value`: (the container `c` as written, the value or None when
        #: unknown, the class whose method assigns it or None).
        self.items: list[tuple[cst.BaseExpression, cst.BaseExpression | None, cst.ClassDef | None]] = []
        #: Module-level names bound once, to a bool literal (`_IS_SYNC = False`).
        self.constants: dict[str, bool] = {}
        #: How many statically dead branches (`if TYPE_CHECKING:`, `if not _IS_SYNC: ... else:`) enclose us.
        self.dead = 0
        self._dead_stack: list[bool] = []
        #: Generator expressions open in the current scope: `await` there would make an async generator.
        self._generators: list[int] = [0]
        #: Expressions used directly as `with` items.
        self.with_items: set[cst.BaseExpression] = set()
        #: Expressions in a primary's place (`x` of `x.a`, `x[i]`, `x()`): `await x` there needs parentheses.
        self.primaries: set[cst.BaseExpression] = set()
        #: Expressions awaited directly (`await x`).
        self.awaited: set[cst.BaseExpression] = set()

    def visit_Module(self, node: cst.Module) -> None:
        self.constants = module_constants(node)

    # Branches that can never run are not code that runs: nothing in them is reported.
    def visit_If_body(self, node: cst.If) -> None:
        self._enter_branch(static_truth(node.test, self.constants) is False)

    def leave_If_body(self, node: cst.If) -> None:
        self._leave_branch()

    def visit_If_orelse(self, node: cst.If) -> None:
        self._enter_branch(static_truth(node.test, self.constants) is True)

    def leave_If_orelse(self, node: cst.If) -> None:
        self._leave_branch()

    def _enter_branch(self, dead: bool) -> None:
        self._dead_stack.append(dead)
        self.dead += dead

    def _leave_branch(self) -> None:
        self.dead -= self._dead_stack.pop()

    # Scopes: pushed for the body only.
    def visit_FunctionDef_body(self, node: cst.FunctionDef) -> None:
        self.stack.append(node)
        self._generators.append(0)

    def leave_FunctionDef_body(self, node: cst.FunctionDef) -> None:
        self.stack.pop()
        self._generators.pop()

    def visit_Lambda_body(self, node: cst.Lambda) -> None:
        self.stack.append(node)
        self._generators.append(0)

    def leave_Lambda_body(self, node: cst.Lambda) -> None:
        self.stack.pop()
        self._generators.pop()

    def visit_ClassDef_body(self, node: cst.ClassDef) -> None:
        self.stack.append(node)
        self._generators.append(0)

    def leave_ClassDef_body(self, node: cst.ClassDef) -> None:
        self.stack.pop()
        self._generators.pop()

    # Bindings.
    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._record(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._record(node.target, node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._record(node.target, None)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._record(node.target, node.value)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self.primaries.add(node.value)

    def visit_Subscript(self, node: cst.Subscript) -> None:
        self.primaries.add(node.value)

    def visit_Call(self, node: cst.Call) -> None:
        self.primaries.add(node.func)

    def visit_Await(self, node: cst.Await) -> None:
        self.awaited.add(node.expression)

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self._generators[-1] += 1

    def leave_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self._generators[-1] -= 1

    def visit_With(self, node: cst.With) -> None:
        if node.asynchronous is not None:
            for item in node.items:
                if item.asname is not None and isinstance(item.asname.name, cst.Name):
                    self.async_entered.add(item.asname.name)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        self.with_items.add(node.item)
        if node.asname is not None:
            target = node.asname.name
            self._record(target, node.item)
            if isinstance(target, cst.Name):
                self.entered.add(target)

    def _record(self, target: cst.BaseExpression, value: cst.BaseExpression | None) -> None:
        if isinstance(target, cst.Name):
            if value is not None:
                self.values[target] = value
        elif isinstance(target, cst.Attribute):
            self._record_self_attr(target, value)
        elif isinstance(target, cst.Subscript):
            self.items.append((target.value, value, self.current_class()))
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._record(element.value, None)
        elif isinstance(target, cst.StarredElement):
            self._record(target.value, None)

    def _record_self_attr(self, target: cst.Attribute, value: cst.BaseExpression | None) -> None:
        method = self.current_method()
        if method is None or not isinstance(target.value, cst.Name):
            return
        if target.value.value != self_name(method):
            return
        cls = self.stack[-2]
        assert isinstance(cls, cst.ClassDef)
        attrs = self.self_attrs.setdefault(cls, {})
        attrs.setdefault(target.attr.value, []).append((method.name.value, value))

    # Questions.
    def in_async_code(self) -> bool:
        """Whether the node being visited runs in the body of an `async def` (in a live branch)."""
        if not self.stack or self.dead:
            return False
        top = self.stack[-1]
        return isinstance(top, cst.FunctionDef) and top.asynchronous is not None

    def in_live_code(self) -> bool:
        """Whether the node being visited is outside every statically dead branch."""
        return self.dead == 0

    def in_generator_expression(self) -> bool:
        """Whether the node being visited is inside a generator expression of the current scope."""
        return self._generators[-1] > 0

    def current_function(self) -> cst.FunctionDef | None:
        """The innermost enclosing `def`, when nothing (lambda, class) stands between."""
        top = self.stack[-1] if self.stack else None
        return top if isinstance(top, cst.FunctionDef) else None

    def current_method(self) -> cst.FunctionDef | None:
        """The enclosing `def` when it is directly a method of a class."""
        func = self.current_function()
        if func is None or len(self.stack) < 2 or not isinstance(self.stack[-2], cst.ClassDef):
            return None
        return func

    def current_class(self) -> cst.ClassDef | None:
        """The class whose method is being visited, if any."""
        return self.stack[-2] if self.current_method() is not None else None  # type: ignore[return-value]

    def scopes(self) -> Iterator[ScopeNode]:
        """The enclosing scopes, innermost first."""
        return reversed(self.stack)


def self_name(method: cst.FunctionDef) -> str | None:
    """The name of a method's first parameter (`self`/`cls`), unless it is a staticmethod."""
    for decorator in method.decorators:
        if isinstance(decorator.decorator, cst.Name) and decorator.decorator.value == "staticmethod":
            return None
    params = method.params.posonly_params or method.params.params
    return params[0].name.value if params else None


def detect_library(module: cst.Module) -> str | None:
    """The async library the module's imports say it runs under; None if they say nothing.

    asyncio when it imports asyncio; else anyio or trio when it imports that; else asyncio when
    it imports a package that runs on asyncio only (`_names.ASYNCIO_ONLY_PACKAGES`).
    """
    imported: set[str] = set()
    for stmt in top_level_statements(module.body):
        if isinstance(stmt, cst.Import):
            imported.update(dotted(alias.name) for alias in stmt.names)
        elif isinstance(stmt, cst.ImportFrom) and stmt.module is not None and not stmt.relative:
            source = dotted(stmt.module)
            imported.add(source)
            if not isinstance(stmt.names, cst.ImportStar):  # `from redis import asyncio`
                imported.update(f"{source}.{dotted(alias.name)}" for alias in stmt.names)
    return _names.library_of(imported)


def module_constants(module: cst.Module) -> dict[str, bool]:
    """Names bound exactly once at module level, and to `True` or `False`.

    Code generated for sync and async twins (pymongo's `_IS_SYNC = False`) branches on
    such flags; the branch for the other twin never runs here.
    """
    literal: dict[str, bool] = {}
    bindings: dict[str, int] = {}
    for stmt in top_level_statements(module.body):
        targets: list[cst.BaseExpression] = []
        if isinstance(stmt, cst.Assign):
            targets = [t.target for t in stmt.targets]
            value = stmt.value
            if len(targets) == 1 and isinstance(targets[0], cst.Name) and isinstance(value, cst.Name):
                if value.value in ("True", "False"):
                    literal[targets[0].value] = value.value == "True"
        elif isinstance(stmt, (cst.AnnAssign, cst.AugAssign)):
            targets = [stmt.target]
        elif isinstance(stmt, (cst.Import, cst.ImportFrom)) and not isinstance(stmt.names, cst.ImportStar):
            for alias in stmt.names:
                bound = alias.asname.name if alias.asname is not None else alias.name
                targets.append(bound if isinstance(bound, cst.Name) else cst.Name(dotted(bound).split(".")[0]))
        for target in targets:
            if isinstance(target, cst.Name):
                bindings[target.value] = bindings.get(target.value, 0) + 1
    for compound in module.body:  # a def or class of the same name rebinds it
        if isinstance(compound, (cst.FunctionDef, cst.ClassDef)):
            bindings[compound.name.value] = bindings.get(compound.name.value, 0) + 1
    return {name: value for name, value in literal.items() if bindings.get(name) == 1}


def static_truth(test: cst.BaseExpression, constants: Mapping[str, bool]) -> bool | None:
    """The value of an `if` test known without running it, or None."""
    if isinstance(test, cst.Name):
        if test.value in ("True", "False"):
            return test.value == "True"
        if test.value == "TYPE_CHECKING":
            return False
        return constants.get(test.value)
    if isinstance(test, cst.Attribute) and test.attr.value == "TYPE_CHECKING":
        return False
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        inner = static_truth(test.expression, constants)
        return None if inner is None else not inner
    if isinstance(test, cst.BooleanOperation):
        # `_IS_SYNC and connect` is never true; `not _IS_SYNC or x` is always true.
        left, right = static_truth(test.left, constants), static_truth(test.right, constants)
        decisive = isinstance(test.operator, cst.Or)
        if left is decisive or right is decisive:
            return decisive
        if left is not None and right is not None:
            return not decisive
    return None


def top_level_statements(body: Any) -> Iterator[cst.BaseSmallStatement]:
    """Import-bearing statements at module level, looking into `if`/`try` blocks."""
    for stmt in body:
        if isinstance(stmt, cst.SimpleStatementLine):
            yield from stmt.body
        elif isinstance(stmt, cst.If):
            yield from top_level_statements(stmt.body.body)
            if isinstance(stmt.orelse, cst.Else):
                yield from top_level_statements(stmt.orelse.body.body)
        elif isinstance(stmt, cst.Try):
            yield from top_level_statements(stmt.body.body)
            for handler in stmt.handlers:
                yield from top_level_statements(handler.body.body)


def dotted(node: cst.BaseExpression) -> str:
    """`a.b.c` for a Name/Attribute chain; empty for anything else."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{dotted(node.value)}.{node.attr.value}"
    return ""


@dataclass
class FileContext:
    """What a rule may know about the file it checks; rules read nothing else."""

    path: str
    module: cst.Module
    #: The module's async library; asyncio when it imports none (then `library_known` is False).
    library: str = "asyncio"
    library_known: bool = True
    options: Mapping[type, Any] = field(default_factory=dict)
    tracker: ScopeTracker = field(default_factory=ScopeTracker)
    #: The dotted module name of this file and the project-wide index of coroutine functions.
    module_name: str = ""
    package_init: bool = False
    project: ProjectIndex = field(default_factory=ProjectIndex)
    #: Qualified names computed so far, shared by the rules (see `Rule.qualified_names`).
    qualified: dict[cst.CSTNode, Collection[QualifiedName]] = field(default_factory=dict)
    #: (module, attribute) -> the module-level imports that can name it (`rules/imports.py`), found once per file.
    import_bindings: dict[tuple[str, str], tuple[tuple[cst.CSTNode, str, tuple[str, ...]], ...]] = field(default_factory=dict)

    def in_async_code(self) -> bool:
        """Whether the node being visited runs in async code."""
        return self.tracker.in_async_code()

    @cached_property
    def imports(self) -> tuple[cst.Import | cst.ImportFrom, ...]:
        """The module-level imports (in `if`/`try` blocks too), found once: fixes look for an existing one at each site."""
        return tuple(stmt for stmt in top_level_statements(self.module.body) if isinstance(stmt, (cst.Import, cst.ImportFrom)))

    def code_for(self, node: cst.CSTNode) -> str:
        """The source text of a node, as written."""
        return self.module.code_for_node(node)

    def option(self, options_type: type) -> Any:
        """The options instance of a rule (its defaults when the config sets none)."""
        found = self.options.get(options_type)
        return found if found is not None else options_type()
