"""The screens of the coroutine and task rules (ASL2xx), and the probe of the `ast` walk they read.

Every finding involves a callee that may resolve to a coroutine function (or a task factory)
standing at one of a few positions: a statement, an assignment nothing reads, a collection
nothing awaits, a condition, a callback, `asyncio.run`'s argument. `CoroutineSites` notes the
callees at each position; each rule's screen asks whether one of its positions holds a callee
that can make a finding. Nothing here may import libcst (see `asynclint.rules.screen`).
"""

from __future__ import annotations

import ast
from typing import Any, ClassVar, Mapping

from asynclint.analysis import names as _names
from asynclint.analysis.astwalk import (
    OWN_SCOPES,
    Callee,
    FileFacts,
    Function,
    Probe,
    Raw,
    Reads,
    Resolve,
    below,
    final_name,
    notes,
    notes_calls,
)
from asynclint.analysis.index.declared import declared_async_methods
from asynclint.analysis.index.model import ProjectIndex
from asynclint.core.options import CoroutineOptions
from asynclint.rules.screen import Screen, declared_receiver_types, typable

#: Positions of callees the coroutine rules (ASL2xx) look at.
STATEMENT, ASSIGNED, COLLECTED, CONDITION, CALLBACK, RUN_ARGUMENT = (
    "statement", "assigned", "collected", "condition", "callback", "run-argument",
)  # fmt: skip
#: A statement's callee in async code (ASL201 reports a dropped `gather` there only).
ASYNC_STATEMENT = "async-statement"

#: Calls that call a function argument synchronously (ASL205): final names, resolved by the rule.
CALLBACK_APIS = frozenset(
    {"filter", "sorted", "min", "max", "reduce", "Thread", "Timer", "to_thread", "register", "signal", "map"}
    | {"call_soon", "call_soon_threadsafe", "call_later", "call_at", "run_in_executor", "add_done_callback"}
    | {"add_signal_handler", "add_reader", "add_writer", "submit"}
)
#: Methods that change a list in place: a collection of coroutines only these touch is never run (ASL203).
MUTATORS = frozenset({"append", "extend", "insert", "clear", "remove", "sort", "reverse"})

Sites = dict[str, set[tuple[Callee, int]]]


class CoroutineSites(Probe):
    """Position -> the callees standing there, with their blocks (see the position names above)."""

    def __init__(self, walk: Any) -> None:
        super().__init__(walk)
        self.sites: dict[str, list[tuple[Raw, int]]] = {}
        #: ASL205: names bound to `partial(f, ...)` -> the callee of `f`; names handed to a callback API.
        self.partials: dict[str, list[Raw]] = {}
        self.callback_names: list[tuple[str, int]] = []
        #: (callee, block, collection, function) of calls collected in a function's local name.
        self.collections: list[tuple[Raw, int, str, Function]] = []
        #: `x = f()` in a function: the callee, `x`, the scope it stands in, block.
        self.assigned: list[tuple[Raw, str, Reads, int]] = []
        self.runs: list[tuple[Raw, Raw, int]] = []  # (`run` callee, its first argument's callee, block)

    def site(self, position: str, expr: ast.expr) -> None:
        self.sites.setdefault(position, []).append((self.walk.raw(expr), self.walk.block))

    @notes_calls("append", "insert", "run", *CALLBACK_APIS)
    def call(self, node: ast.Call) -> None:
        walk = self.walk
        raw, final = walk.call, walk.call_final
        if final in ("append", "insert") and len(raw.parts) == 1 and raw.root and node.args:
            added = node.args[0 if final == "append" else min(1, len(node.args) - 1)]
            if isinstance(added, ast.Call):
                self.collected(added.func, raw.root)
        if final in CALLBACK_APIS:
            for arg in (*node.args, *(k.value for k in node.keywords)):
                callback = arg.value if isinstance(arg, ast.Starred) else arg
                if isinstance(callback, ast.Lambda) and isinstance(callback.body, ast.Call):
                    self.site(CALLBACK, callback.body.func)
                elif isinstance(callback, ast.Call) and callback.args:
                    self.site(CALLBACK, callback.args[0])  # `functools.partial(f, ...)`
                else:
                    self.site(CALLBACK, callback)
                    if isinstance(callback, ast.Name):  # maybe bound to `partial(f, ...)`
                        self.callback_names.append((callback.id, walk.block))
        if final == "run" and node.args:
            argument = node.args[0]
            self.runs.append((raw, walk.raw(argument.func if isinstance(argument, ast.Call) else argument), walk.block))

    @notes(ast.Expr)
    def expression_statement(self, node: ast.Expr) -> None:
        value = node.value
        if isinstance(value, ast.Call):
            self.site(STATEMENT, value.func)
            if self.walk.in_async:
                self.site(ASYNC_STATEMENT, value.func)
        elif isinstance(value, (ast.ListComp, ast.SetComp, ast.GeneratorExp)) and isinstance(value.elt, ast.Call):
            self.site(COLLECTED, value.elt.func)

    @notes(ast.Assign)
    def assign(self, node: ast.Assign) -> None:
        if len(node.targets) != 1 or not isinstance(node.targets[0], ast.Name):
            return
        walk = self.walk
        value = node.value
        if isinstance(value, ast.Call):
            if walk.function_node is not None:  # (a global is never reported)
                self.assigned.append((walk.raw(value.func), node.targets[0].id, walk.frame, walk.block))
            if final_name(value.func) == "partial" and value.args:
                self.partials.setdefault(node.targets[0].id, []).append(walk.raw(value.args[0]))
        elif isinstance(value, (ast.ListComp, ast.SetComp, ast.GeneratorExp)) and isinstance(value.elt, ast.Call):
            self.collected(value.elt.func, node.targets[0].id)

    def collected(self, callee: ast.expr, collection: str) -> None:
        """A call's result kept in a function's local collection (checked by `finish`: ASL203 needs
        nothing but `MUTATORS` to read the collection)."""
        if self.walk.function_node is not None:
            self.collections.append((self.walk.raw(callee), self.walk.block, collection, self.walk.function_node))

    def condition(self, test: ast.expr) -> None:
        if isinstance(test, ast.Call):
            self.site(CONDITION, test.func)

    @notes(ast.If, ast.Assert, ast.IfExp, ast.While)
    def test(self, node: ast.If | ast.Assert | ast.IfExp | ast.While) -> None:
        self.condition(node.test)

    @notes(ast.BoolOp)
    def operands(self, node: ast.BoolOp) -> None:
        for value in node.values:
            self.condition(value)

    @notes(ast.UnaryOp)
    def negation(self, node: ast.UnaryOp) -> None:
        if isinstance(node.op, ast.Not):
            self.condition(node.operand)

    @notes(ast.comprehension)
    def filters(self, node: ast.comprehension) -> None:
        for test in node.ifs:
            self.condition(test)

    def finish(self, resolve: Resolve) -> Sites:
        walk = self.walk
        sites = self.sites
        # ASL203 needs a collection nothing but mutators reads.
        for raw, block, collection, function in self.collections:
            if not _read_apart_from_mutators(function, collection):
                sites.setdefault(COLLECTED, []).append((raw, block))
        # ASL202/ASL208 need a function's variable nothing reads (in the function, or in a scope
        # nested in it that does not bind the name); ASL207 an `asyncio.run(...)`.
        for raw, target, scope, block in self.assigned:
            if not scope.reads_name(target) or target in walk.declared or target in walk.dotted:
                sites.setdefault(ASSIGNED, []).append((raw, block))
        # ASL205: a name bound to `partial(f, ...)`, handed to a callback API, hands on `f`.
        for name, block in self.callback_names:
            sites.setdefault(CALLBACK, []).extend((raw, block) for raw in self.partials.get(name, ()))
        for run, argument, block in self.runs:
            if "asyncio.run" in resolve(run).names:
                sites.setdefault(RUN_ARGUMENT, []).append((argument, block))
        return {position: {(resolve(r), block) for r, block in found} for position, found in sites.items()}


def sites(facts: FileFacts, position: str) -> set[tuple[Callee, int]]:
    """The callees at one position, with their blocks."""
    found: Sites = CoroutineSites.of(facts)
    return found.get(position, set())


def _read_apart_from_mutators(function: Function, name: str) -> bool:
    """Whether the function's own code (not nested functions, classes or comprehensions, where
    the name may be another) reads `name` other than to call one of `MUTATORS` on it."""
    receivers: set[int] = set()
    reads: list[ast.Name] = []
    for node in below(function.body, OWN_SCOPES):
        if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load):
            reads.append(node)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in MUTATORS:
            receivers.add(id(node.func.value))
    return any(id(read) not in receivers for read in reads)



class CoroutineScreen(Screen):
    """Every finding involves a callee that may resolve to a coroutine function (or a task factory)."""

    uses_project_index = True
    probes = (CoroutineSites,)
    #: Where the rule looks for coroutine callees (the positions above).
    positions: ClassVar[tuple[str, ...]] = ()
    #: Whether the callees the rule looks at are task factories (`create_task`), not coroutine functions.
    screens_tasks: ClassVar[bool] = False

    @classmethod
    def may_fire(cls, identifiers: frozenset[str], project: ProjectIndex, options: Mapping[type, Any]) -> bool:
        # Every finding involves a name that resolves to a coroutine function, a task factory or a
        # catalogue API, and such a name appears in the file (an import alias included).
        configured = options.get(CoroutineOptions)
        if configured is not None and configured.coroutine_functions:
            return True  # globs cannot be screened by name
        if not project.names_are_ascii():
            return True  # the screen reads ASCII identifiers only
        return not (
            identifiers.isdisjoint(_names.CATALOGUE_IDENTIFIERS) and identifiers.isdisjoint(project.coroutine_names())
        )

    @classmethod
    def screen(cls, facts: FileFacts, project: ProjectIndex, options: Mapping[type, Any]) -> set[int] | None:
        return {b for p in cls.positions for c, b in sites(facts, p) if cls.screen_callee(c, facts, project, options)}

    @classmethod
    def screen_callee(cls, callee: Callee, facts: FileFacts, project: ProjectIndex, options: Mapping[type, Any]) -> bool:
        """Whether a callee at one of the rule's positions can make a finding."""
        if cls.screens_tasks:  # `asyncio.create_task(...)`, or `.create_task(...)` where a loop can be typed
            loops = _names.constructors_of(frozenset({_names.EVENT_LOOP}))
            on_loop = callee.attr == "create_task" and (
                (callee.typable and not facts.called_names.isdisjoint(loops))
                or callee.before in _names.LOOP_ATTRIBUTES
            )
            return on_loop or not callee.names.isdisjoint(_names.TASK_FACTORIES)
        return may_be_coroutine(callee, facts, project, options)


#: The last file's (facts, index, options, callee -> `may_be_coroutine`): the screens of a file ask of
#: the same callee at several positions, and of one callee called in several places.
_may_be: list[tuple[FileFacts, ProjectIndex, Mapping[type, Any], dict[Callee, bool]]] = []


def may_be_coroutine(callee: Callee, facts: FileFacts, project: ProjectIndex, options: Mapping[type, Any]) -> bool:
    """The pre-screen's side of `CoroutineResolver.reference`: False only when `callee` cannot resolve to one."""
    if _may_be and _may_be[0][0] is facts and _may_be[0][1] is project and _may_be[0][2] is options:
        known = _may_be[0][3]
    else:
        known = {}
        _may_be[:] = [(facts, project, options, known)]
    found = known.get(callee)
    if found is None:
        found = known[callee] = _may_be_coroutine(callee, facts, project, options)
    return found


def _may_be_coroutine(callee: Callee, facts: FileFacts, project: ProjectIndex, options: Mapping[type, Any]) -> bool:
    configured = options.get(CoroutineOptions)
    if configured is not None and configured.coroutine_functions:
        return True  # globs match qualified names the screen does not compute
    if callee.owner and project.method_makes_coroutine(callee.owner, callee.attr):
        return True  # `self.method`, `super().method`
    if callee.attr and any(project.method_makes_coroutine(declared, callee.attr) for declared in callee.declared):
        return True  # `db.method` with `db: ProjectClass`
    if callee.attr and callee.attr in project.coroutine_names() and _declared_receiver(callee, facts, project):
        return True  # `ctx.bot.http.method`: a receiver whose type may be declared (`ReceiverTypes.classes_of`)
    if callee.attr and typable(callee, _names.ASYNC_METHODS, facts, project):
        return True  # a receiver of a known type has a coroutine method of that name
    # A name the index resolves to an `async def` ends with a name of one (a def, a method, an import alias).
    coroutine_names = project.coroutine_names()
    for name in callee.names:
        if name in _names.COROUTINE_FUNCTIONS:
            return True
        # (an installed library's names are looked up: only the modules read so far gave their names)
        if (name.rpartition(".")[2] in coroutine_names or project.in_library(name)) and project.makes_coroutine(name):
            return True  # (an `async def`, or a sync def declared to return a coroutine)
    return False


#: The last file's (facts, the `async def` method names of the classes it calls): asked per callee.
_constructed: list[tuple[FileFacts, ProjectIndex, frozenset[str]]] = []


def _constructed_async_methods(facts: FileFacts, project: ProjectIndex) -> frozenset[str]:
    """The names of the `async def` methods (bases too) of the project classes a file calls (constructs)."""
    if _constructed and _constructed[0][0] is facts and _constructed[0][1] is project:
        return _constructed[0][2]
    found = declared_async_methods(project, facts.called_names)
    _constructed[:] = [(facts, project, found)]
    return found


def _declared_receiver(callee: Callee, facts: FileFacts, project: ProjectIndex) -> bool:
    """Whether `callee.attr` may be an `async def` of a declared receiver: a method of a class that some
    module declares a type as (an attribute, a return, a module name), or of one the file calls (a constructor)."""
    if callee.self_class:
        # `self.x.m` in a method: `x` is what the class (or a base) declares it as, and every one of
        # those classes must make `m` a coroutine (`CoroutineResolver._declared_method`).
        classes = project.attribute_types(callee.self_class, callee.before) or ()
        return bool(classes) and all(project.method_makes_coroutine(cls, callee.attr) for cls in classes)
    if not callee.before and callee.typable and callee.attr in _constructed_async_methods(facts, project):
        return True  # `x = Store(); x.m()`, `Store().m()`: a receiver bound to (or being) a constructor call
    if callee.attr not in project.declared_async_methods():
        return False
    # `a.b.m()`: `b` declared as a class whose `m` is async; `bot.m()`: an imported module-level name declared so.
    return any(project.method_makes_coroutine(cls, callee.attr) for cls in declared_receiver_types(callee, project))


class UnawaitedCoroutineScreen(CoroutineScreen):
    positions = (STATEMENT,)

    @classmethod
    def screen(cls, facts: FileFacts, project: ProjectIndex, options: Mapping[type, Any]) -> set[int] | None:
        # A coroutine function's call, or, in async code, `asyncio.gather(...)` whose future is dropped.
        found = super().screen(facts, project, options)
        gathers = {b for c, b in sites(facts, ASYNC_STATEMENT) if not c.names.isdisjoint(_names.GATHER)}
        return None if found is None else found | gathers


class UnusedCoroutineObjectScreen(CoroutineScreen):
    positions = (ASSIGNED,)


class UnscheduledCoroutinesScreen(CoroutineScreen):
    positions = (COLLECTED,)


class CoroutineInConditionScreen(CoroutineScreen):
    positions = (CONDITION,)


class AsyncCallbackInSyncApiScreen(CoroutineScreen):
    positions = (CALLBACK,)


class DanglingTaskScreen(CoroutineScreen):
    screens_tasks = True
    positions = (STATEMENT,)


class RunNeedsCoroutineScreen(CoroutineScreen):
    positions = (RUN_ARGUMENT,)

    @classmethod
    def screen_callee(cls, callee: Callee, facts: FileFacts, project: ProjectIndex, options: Mapping[type, Any]) -> bool:
        # `asyncio.run(gather(...))`, or `asyncio.run(main)` with `main` a coroutine function.
        return not callee.names.isdisjoint(_names.NOT_COROUTINES) or may_be_coroutine(callee, facts, project, options)


class TaskNeverAwaitedScreen(CoroutineScreen):
    screens_tasks = True
    positions = (ASSIGNED,)

    @classmethod
    def screen(cls, facts: FileFacts, project: ProjectIndex, options: Mapping[type, Any]) -> set[int] | None:
        # The rule reads the body of the task's coroutine function (does it catch every error?), which
        # may stand in any block: a file with a candidate is read whole (such files are rare).
        found = super().screen(facts, project, options)
        return None if found else found

    #: (It reads the coroutine function its task's call names: `fix` re-checks by name.)
    links_by_name = True

    @classmethod
    def reports_in(cls, facts: FileFacts, project: ProjectIndex, options: Mapping[type, Any]) -> set[int] | None:
        return super().screen(facts, project, options)


