"""The screens of the cancellation rules (ASL4xx), and the probes of the `ast` walk they read.

`Handlers` finds ASL401's candidates (a handler of a `try` that can suspend, neither raising
nor handing the exception on), `Gathers` ASL402's (a `gather(..., return_exceptions=True)`
whose result is dropped). They are the `ast` side of the conditions the rules check on
libcst trees (`rule.py` beside this module): change both in one diff. Nothing here may
import libcst (see `asynclint.rules.screen`).
"""

from __future__ import annotations

import ast
from typing import Any, Mapping, NamedTuple

from asynclint.analysis import names as _names
from asynclint.analysis.astwalk import (
    MODULE,
    TRIES,
    Callee,
    FileFacts,
    Function,
    Probe,
    Raw,
    Resolve,
    below,
    final_name,
    notes,
    notes_calls,
    own_code,
    suspends,
    uses,
)
from asynclint.analysis.index.model import ProjectIndex
from asynclint.rules.screen import Screen


class HandlerFacts(NamedTuple):
    """ASL401's facts of a file."""

    #: For each handler of a `try` in async code whose body can suspend, and that neither raises
    #: (nor throws the exception on) nor uses the exception it binds: what its types may resolve
    #: to (None: a bare `except:`), and its block.
    handlers: list[tuple[frozenset[str] | None, int]]
    #: Blocks calling `x.y.cancel()` (a method may cancel the task another method reaps).
    cancelling: set[int]


class Handlers(Probe):
    """ASL401: the handlers that may swallow a cancellation, and the blocks that cancel a task."""

    def __init__(self, walk: Any) -> None:
        super().__init__(walk)
        self.handlers: list[tuple[list[Raw] | None, int]] = []
        self.cancelling: set[int] = set()

    @notes_calls("cancel")
    def call(self, node: ast.Call) -> None:
        if len(self.walk.call.parts) > 1:
            self.cancelling.add(self.walk.block)

    @notes(*TRIES)
    def try_(self, node: ast.Try) -> None:
        if not self.walk.in_async or not suspends(node.body):
            return
        for handler in node.handlers:
            if not _reraises_or_hands_on(handler):
                types = None if handler.type is None else [self.walk.raw(e) for e in _elements(handler.type)]
                self.handlers.append((types, self.walk.block))

    def finish(self, resolve: Resolve) -> HandlerFacts:
        handlers = [
            (None if types is None else frozenset(n for r in types for n in resolve(r).names), block)
            for types, block in self.handlers
        ]
        return HandlerFacts(handlers, self.cancelling)


def _reraises_or_hands_on(handler: ast.ExceptHandler) -> bool:
    """A `raise`, `.uncancel()` or `.throw(...)` in the handler, or a use of the exception it binds
    (ASL401 is silent: `rule._reraises` and `_hands_on`; the calls it resolves are left to it)."""
    for node in below(handler.body):
        if isinstance(node, ast.Raise):
            return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _HANDING_METHODS:
            if node.func.attr == "uncancel" or node.args or node.keywords:
                return True
    if handler.name is None:
        return False
    return any(isinstance(node, ast.Name) and node.id == handler.name for b in handler.body for node in ast.walk(b))


#: As `rule._HANDING_METHODS`.
_HANDING_METHODS = frozenset({"uncancel", "throw", "athrow"})


def _elements(expr: ast.expr) -> list[ast.expr]:
    return list(expr.elts) if isinstance(expr, ast.Tuple) else [expr]


class Gathers(Probe):
    """ASL402: `await f(..., return_exceptions=True)` in async code, as a statement or assigned to
    a name the function may not read, in a function that cancels nothing: f's callee, for each
    positional argument the final names of the calls it starts (None: it starts none; for
    `*coros`, those of every list or comprehension the function assigns to `coros`), block."""

    def __init__(self, walk: Any) -> None:
        super().__init__(walk)
        self.gathers: list[tuple[ast.Call, str, Function, int]] = []

    def gather(self, value: ast.expr, target: str) -> None:
        """Note an awaited call passing `return_exceptions=True`, its result dropped or bound to `target`."""
        walk = self.walk
        if not walk.in_async or walk.function_node is None or not isinstance(value, ast.Await):
            return
        call = value.value
        if isinstance(call, ast.Call) and any(
            k.arg == "return_exceptions" and isinstance(k.value, ast.Constant) and k.value.value is True
            for k in call.keywords
        ):
            self.gathers.append((call, target, walk.function_node, walk.block))

    @notes(ast.Expr)
    def expression_statement(self, node: ast.Expr) -> None:
        self.gather(node.value, "_")

    @notes(ast.Assign)
    def assign(self, node: ast.Assign) -> None:
        if len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            self.gather(node.value, node.targets[0].id)

    def finish(self, resolve: Resolve) -> list[tuple[Callee, tuple[str | None, ...], int]]:
        return [
            (resolve(self.walk.raw(call.func)), tuple(name for arg in call.args for name in _started(arg, function)), block)
            for call, target, function, block in self.gathers
            if not _cancels(function) and (target == "_" or not uses(function, target, (ast.Load,)))
        ]


def _cancels(function: Function) -> bool:
    """Whether the function itself (not a nested def, lambda or class) calls a `.cancel()`."""
    return any(
        isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "cancel"
        for node in below(function.body)
    )


def _started(arg: ast.expr, function: Function) -> list[str | None]:
    """The final names of the calls a gathered argument starts (`f(x)`, `*(f(x) for ...)`, `*map(f, xs)`,
    `*coros` with `coros = [f(x) for ...]` or `[f(), g()]` in the function's own code); None: none."""
    if isinstance(arg, ast.Starred) and isinstance(arg.value, ast.Name):
        name = arg.value.id
        found: list[str | None] = []
        for node in own_code(function):
            value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
            if value is not None and any(isinstance(t, ast.Name) and t.id == name for t in targets):
                values = value.elts if isinstance(value, (ast.List, ast.Tuple)) else [value]
                found += [_started_one(ast.Starred(v) if not isinstance(v, ast.Starred) else v) for v in values]
        return found
    return [_started_one(arg)]


def _started_one(arg: ast.expr) -> str | None:
    """The final name of the call a gathered argument starts (`f(x)`, `*(f(x) for ...)`, `*map(f, xs)`); None: none."""
    star = isinstance(arg, ast.Starred)
    value = arg.value if isinstance(arg, ast.Starred) else arg
    if isinstance(value, (ast.GeneratorExp, ast.ListComp)):
        value = value.elt
    elif star and isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "map":
        return final_name(value.args[0]) if value.args else final_name(value)
    return final_name(value.func) if isinstance(value, ast.Call) else None




class SwallowedCancellationScreen(Screen):
    requires_async_def = True
    uses_project_index = True  # a handler may call a project function that always raises
    probes = (Handlers,)

    @classmethod
    def screen(cls, facts: FileFacts, project: ProjectIndex, options: Mapping[type, Any]) -> set[int] | None:
        found = {block for types, block in Handlers.of(facts).handlers if types is None or not types.isdisjoint(_names.CANCELLATION)}
        # A handler's method needs the methods of its class that cancel a task (`self._task.cancel()`).
        classes = {facts.blocks[b].parent for b in found if b in facts.blocks} - {MODULE}
        return found | {b for b in Handlers.of(facts).cancelling if b in facts.blocks and facts.blocks[b].parent in classes}


class DiscardedGatherExceptionsScreen(Screen):
    requires_async_def = True
    triggers = ("return_exceptions",)
    probes = (Gathers,)

    @classmethod
    def screen(cls, facts: FileFacts, project: ProjectIndex, options: Mapping[type, Any]) -> set[int] | None:
        # Gathers whose result is dropped (or may be), that start work, outside cancelling functions.
        return {
            block
            for callee, started, block in Gathers.of(facts)
            if not callee.names.isdisjoint(_names.GATHER)
            and any(name is not None and not _names.is_cleanup(name) for name in started)
        }
