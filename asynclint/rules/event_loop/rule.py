"""ASL5xx: event-loop APIs used the legacy or the wrong way."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst
from libcst.metadata import Assignment, ScopeProvider

from asynclint.analysis import names as _names
from asynclint.analysis.cst.context import FileContext, self_name
from asynclint.analysis.index.declared import subclasses
from asynclint.core.diagnostic import FixSafety
from asynclint.rules._flow import names_in, suspends
from asynclint.rules._match import ReceiverTypes, Site, resolve
from asynclint.rules.base import Fix, Invalid, Rule, Valid
from asynclint.rules.event_loop.screen import (
    GetEventLoopInCoroutineScreen,
    LegacyRunLoopScreen,
    ThreadLockAcrossAwaitScreen,
)
from asynclint.rules.imports import binding_for

LOOP_FACTORIES = frozenset(
    {"asyncio.get_event_loop", "asyncio.new_event_loop", "asyncio.events.get_event_loop", "asyncio.events.new_event_loop"}
)
SET_EVENT_LOOP = frozenset({"asyncio.set_event_loop", "asyncio.events.set_event_loop"})
#: What `run_until_complete` may take that `asyncio.run` may not: futures and tasks.
_FUTURES = _names.NOT_COROUTINES | {"asyncio.shield", "asyncio.wait_for"}


@dataclass(frozen=True)
class _Run:
    """A `loop.run_until_complete(coro())` call in sync code, with where it stands."""

    call: cst.Call
    receiver: cst.Name
    line: cst.SimpleStatementLine | None
    block: cst.Module | cst.IndentedBlock | None


class LegacyRunLoop(LegacyRunLoopScreen, Rule):
    """Checks for an event loop created only to run one coroutine with `run_until_complete()`.

    Fires in sync code on `loop.run_until_complete(main())` when `loop` is bound once, to
    `asyncio.get_event_loop()` or `asyncio.new_event_loop()`, and used for nothing else than
    `asyncio.set_event_loop(loop)` and `loop.close()`; also on
    `asyncio.get_event_loop().run_until_complete(main())`. Loops that are configured, run
    again, or handed to anything else are left alone, and so are calls given a task or future,
    and functions that also call `asyncio.run()` (they chose the existing loop on purpose).

    ## Why is this bad?
    `asyncio.run()` does all of it in one call and does it right: it creates a fresh loop,
    cancels the tasks left behind, finishes async generators, shuts down the default executor
    and closes the loop. `get_event_loop()` without a running loop is deprecated and, in
    recent Pythons, an error.

    ## Fix safety
    The fix replaces the call with `asyncio.run(main())` and removes the loop's creation,
    `set_event_loop` and `close` lines when they stand in the same block. It is unsafe:
    `asyncio.run()` always uses a new loop, so objects bound to the old loop (futures, queues
    or locks created before it on Python < 3.10) no longer match, and tasks still pending
    at the end are cancelled instead of left alone.
    """

    code = "ASL501"
    name = "legacy-run-loop"
    message = "an event loop created only for `run_until_complete()`; use `asyncio.run(...)`"
    fix_title = "Replace with `asyncio.run(...)`"
    fix_safety = FixSafety.UNSAFE
    METADATA_DEPENDENCIES = (ScopeProvider,)

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._blocks: list[cst.Module | cst.IndentedBlock] = []
        self._line: cst.SimpleStatementLine | None = None
        #: Statement line / name -> (its single-statement line, the block holding it).
        self._where: dict[cst.CSTNode, tuple[cst.SimpleStatementLine | None, cst.Module | cst.IndentedBlock]] = {}
        #: Name node -> what is done with it: the method called on it, or `set_event_loop`.
        self._uses: dict[cst.Name, str] = {}
        self._runs: list[_Run] = []
        #: Functions (None: module level) that call `asyncio.run` too: there the old loop is chosen on purpose.
        self._chooses: set[cst.FunctionDef | None] = set()
        self._function_of: dict[cst.Call, cst.FunctionDef | None] = {}

    def visit_Module(self, node: cst.Module) -> None:
        self._blocks.append(node)

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._blocks.append(node)

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock) -> None:
        self._blocks.pop()

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self._line = node if len(node.body) == 1 else None
        self._where[node] = (self._line, self._blocks[-1])

    def leave_SimpleStatementLine(self, original_node: cst.SimpleStatementLine) -> None:
        self._line = None

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            self._use(func.value, func.attr.value, node)
        if resolve(self, func) in SET_EVENT_LOOP and len(node.args) == 1 and isinstance(node.args[0].value, cst.Name):
            self._use(node.args[0].value, "set_event_loop", node)
        if resolve(self, func) in ("asyncio.run", "asyncio.runners.run"):
            self._chooses.add(self.ctx.tracker.current_function())
        if self.ctx.in_async_code() or not self.ctx.tracker.in_live_code():
            return
        if not isinstance(func, cst.Attribute) or func.attr.value != "run_until_complete" or len(node.args) != 1:
            return
        argument = node.args[0]
        if argument.keyword is not None or argument.star or not isinstance(argument.value, cst.Call):
            return
        if resolve(self, argument.value.func) in _FUTURES:
            return
        if isinstance(func.value, cst.Call) and resolve(self, func.value.func) in LOOP_FACTORIES:
            self.report(node, self._call_fix(node))
        elif isinstance(func.value, cst.Name):
            line = self._line if self._line is not None and self._holds(self._line, node) else None
            self._runs.append(_Run(node, func.value, line, self._blocks[-1]))
            self._function_of[node] = self.ctx.tracker.current_function()

    def _use(self, name: cst.Name, how: str, call: cst.Call) -> None:
        self._uses[name] = how
        if self._line is not None and self._holds(self._line, call):
            self._where[name] = (self._line, self._blocks[-1])

    def _holds(self, line: cst.SimpleStatementLine, call: cst.Call) -> bool:
        """The line is `call` as a statement, or `x = call`."""
        stmt = line.body[0]
        return (isinstance(stmt, cst.Expr) and stmt.value is call) or (isinstance(stmt, cst.Assign) and stmt.value is call)

    def visit_Assign(self, node: cst.Assign) -> None:
        if self._line is not None:
            for target in node.targets:
                self._where[target.target] = self._where[self._line]

    def finish(self) -> None:
        for run in self._runs:
            if self._function_of.get(run.call) in self._chooses:
                continue  # `asyncio.run(...)` on one path, this loop on another: a deliberate choice
            found = self._single_use_loop(run)
            if found is not None:
                self.report(run.call, self._block_fix(run, *found))

    def _single_use_loop(self, run: _Run) -> tuple[cst.Name, list[cst.Name]] | None:
        """The loop's binding name and its other uses (set_event_loop, close), or None if it is used more."""
        scope = self.get_metadata(ScopeProvider, run.receiver, None)
        if scope is None:
            return None
        assignments = list(scope[run.receiver.value])
        if len(assignments) != 1 or not isinstance(assignments[0], Assignment):
            return None
        bound = assignments[0].node
        value = self.ctx.tracker.values.get(bound) if isinstance(bound, cst.Name) else None
        if not isinstance(value, cst.Call) or resolve(self, value.func) not in LOOP_FACTORIES or value.args:
            return None
        assert isinstance(bound, cst.Name)
        others: list[cst.Name] = []
        for access in assignments[0].references:
            node = access.node
            if node is run.receiver:
                continue
            if not isinstance(node, cst.Name) or self._uses.get(node) not in ("close", "set_event_loop"):
                return None
            others.append(node)
        return bound, others

    def _call_fix(self, call: cst.Call) -> Fix | None:
        runner = binding_for(self, call, "asyncio", "run")
        if runner is None:
            return None
        func, imports = runner
        return Fix(call, call.with_changes(func=func), imports)

    def _block_fix(self, run: _Run, bound: cst.Name, others: list[cst.Name]) -> Fix | None:
        """Drop the loop's lines and run the coroutine with `asyncio.run`, when all stand in one block."""
        if run.line is None or run.block is None:
            return None
        removed: list[cst.SimpleStatementLine] = []
        for name in [bound, *others]:
            line, block = self._where.get(name, (None, None))
            if line is None or block is not run.block or line in removed:
                return None
            removed.append(line)
        if any("#" in cst.Module([]).code_for_node(line) for line in removed):
            return None
        call_fix = self._call_fix(run.call)
        if call_fix is None:
            return None
        assert isinstance(call_fix.replacement, cst.Call)
        new_line = run.line.deep_replace(run.call, call_fix.replacement)
        body = [new_line if stmt is run.line else stmt for stmt in run.block.body if stmt not in removed]
        if not body:
            return None
        first, was_first = body[0], run.block.body[0]
        if first is not was_first and isinstance(first, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            assert isinstance(was_first, cst.SimpleStatementLine)  # removed lines are statement lines
            body[0] = first.with_changes(leading_lines=was_first.leading_lines)
        return Fix(run.block, run.block.with_changes(body=body), call_fix.imports)

    VALID = (
        Valid("import asyncio\n\nasync def main():\n    pass\n\nasyncio.run(main())\n"),
        Valid(
            "import asyncio\n\nloop = asyncio.new_event_loop()\nloop.set_debug(True)\n"
            "loop.run_until_complete(main())\nloop.run_forever()\n"
        ),
        Valid("import asyncio\n\ndef run(loop):\n    loop.run_until_complete(main())\n"),
    )
    INVALID = (
        Invalid(
            "import asyncio\n\n\nasync def main():\n    pass\n\n\nif __name__ == '__main__':\n"
            "    loop = asyncio.get_event_loop()\n    loop.run_until_complete(main())\n",
            line=10,
            fixed=(
                "import asyncio\n\n\nasync def main():\n    pass\n\n\nif __name__ == '__main__':\n"
                "    asyncio.run(main())\n"
            ),
        ),
        Invalid("import asyncio\n\nasyncio.get_event_loop().run_until_complete(main())\n", line=3),
    )


class GetEventLoopInCoroutine(GetEventLoopInCoroutineScreen, Rule):
    """Checks for `asyncio.get_event_loop()` in async code.

    ## Why is this bad?
    In a coroutine the loop is always running, and `asyncio.get_running_loop()` says so:
    it returns that loop and never creates one. `get_event_loop()` carries deprecated
    fallbacks (creating a loop, consulting the policy) that hide mistakes elsewhere.

    ## Fix safety
    The fix is safe: in async code `get_event_loop()` returns the running loop, which is
    exactly what `get_running_loop()` returns.
    """

    code = "ASL502"
    name = "get-event-loop-in-coroutine"
    message = "`get_event_loop()` in async code; use `asyncio.get_running_loop()`"
    fix_title = "Replace with `asyncio.get_running_loop()`"
    fix_safety = FixSafety.SAFE
    METADATA_DEPENDENCIES = (ScopeProvider,)

    def visit_Call(self, node: cst.Call) -> None:
        if not self.ctx.in_async_code() or resolve(self, node.func) not in _names.GET_EVENT_LOOP or node.args:
            return
        fix = None
        if "#" not in self.ctx.code_for(node.func):
            target = binding_for(self, node, "asyncio", "get_running_loop")
            if target is not None:
                func, imports = target
                fix = Fix(node.func, func.with_changes(lpar=node.func.lpar, rpar=node.func.rpar), imports)
        self.report(node, fix)

    VALID = (
        Valid("import asyncio\n\ndef sync_setup():\n    return asyncio.get_event_loop()\n"),
        Valid("import asyncio\n\nasync def main():\n    loop = asyncio.get_running_loop()\n"),
    )
    INVALID = (
        Invalid(
            "import asyncio\n\n\nasync def main():\n    loop = asyncio.get_event_loop()\n    await loop.run_in_executor(None, work)\n",
            line=5,
            fixed=(
                "import asyncio\n\n\nasync def main():\n    loop = asyncio.get_running_loop()\n"
                "    await loop.run_in_executor(None, work)\n"
            ),
        ),
    )


def _class_binding(cls: cst.ClassDef, attr: str) -> list[cst.BaseExpression] | None:
    """What `attr = ...` statements of the class body (not its methods) assign, None when another
    kind of statement binds it there (a `def`, a tuple target, `del`): unknown."""
    values: list[cst.BaseExpression] = []
    for statement in cls.body.body:
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)) and statement.name.value == attr:
            return None
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Assign):
                for target in small.targets:
                    if isinstance(target.target, cst.Name) and target.target.value == attr:
                        values.append(small.value)
                    elif attr in {n.value for n in names_in(target.target)}:
                        return None
            elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name) and small.target.value == attr:
                if small.value is None:
                    continue
                values.append(small.value)
            elif isinstance(small, (cst.AugAssign, cst.Del)) and attr in {n.value for n in names_in(small)}:
                return None
    return values


class ThreadLockAcrossAwait(ThreadLockAcrossAwaitScreen, Rule):
    """Checks for `with lock:` on a `threading.Lock`/`RLock` whose body awaits.

    The lock must be known: bound from `threading.Lock()` or `threading.RLock()` in the same
    function, at module level, or as a `self.` attribute set in `__init__`, or a class
    attribute (`_lock = threading.Lock()` in the class body, or a base class's of the module)
    used as `self._lock`, `cls._lock` or `ClassName._lock`, that no method assigns and no
    subclass in the module binds to something else; or declared so: a parameter
    `lock: threading.RLock`, an attribute annotated `threading.Lock` (in the class body or as
    `self._lock: threading.Lock`, in any module of the project, `self.state.lock` too) that no
    subclass of the project declares otherwise. `asyncio.Lock`, `Any`, a `Union` and a
    `Protocol` are not thread locks.

    ## Why is this bad?
    A thread lock is held by the thread, and every task of the event loop runs in that one
    thread. While the body awaits, another task may reach the same `with lock:`: it blocks
    the whole thread waiting for a lock that only the suspended task can release, and the
    program deadlocks (or, with an `RLock`, the second task silently enters too). Use an
    `asyncio.Lock` with `async with`.
    """

    code = "ASL503"
    name = "thread-lock-across-await"
    message = "`with {lock}:` holds a thread lock across an `await`; use `asyncio.Lock` with `async with`"
    METADATA_DEPENDENCIES = (ScopeProvider,)

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._sites: list[tuple[cst.With, cst.BaseExpression, Site]] = []
        #: Every class of the module, for class attributes and the subclasses that may rebind them.
        self._classes: list[cst.ClassDef] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append(node)

    def visit_With(self, node: cst.With) -> None:
        if node.asynchronous is not None or not self.ctx.in_async_code():
            return
        if not suspends([node.body]):
            return
        tracker = self.ctx.tracker
        method = tracker.current_method()

        for item in node.items:
            site = Site(None, item.item, "", tracker.current_class(), self_name(method) if method else None)
            self._sites.append((node, item.item, site))

    def finish(self) -> None:
        types = ReceiverTypes(self)
        for with_node, expr, site in self._sites:
            kind = types.type_of(expr, site, set())
            if kind is None:
                kind = self._class_attribute_type(types, expr, site)
            if kind is None:
                kind = self._declared_type(types, expr, site)
            if kind == _names.THREAD_LOCK:
                self.report(with_node, lock=self.ctx.code_for(expr))

    def _class_attribute_type(self, types: ReceiverTypes, expr: cst.BaseExpression, site: Site) -> str | None:
        """The type of `self.x` / `cls.x` / `ClassName.x` bound in a class body, when every binding agrees."""
        if not isinstance(expr, cst.Attribute) or not isinstance(expr.value, cst.Name):
            return None
        attr, owner = expr.attr.value, expr.value
        exact = False  # `ClassName.x` is that class's; `self.x` may be a subclass's
        if site.cls is not None and owner.value == site.self_name:
            cls: cst.ClassDef | None = site.cls
        else:
            cls, exact = self._class_named(owner), True
        if cls is None or self.ctx.tracker.self_attrs.get(cls, {}).get(attr):
            return None  # (an instance attribute the methods set hides it)
        kind = self._bound_in(types, cls, attr, site, 0)
        if kind is None or exact:
            return kind
        for sub in self._subclasses(cls):
            rebound = _class_binding(sub, attr)
            if rebound is None or self.ctx.tracker.self_attrs.get(sub, {}).get(attr):
                return None
            if any(types.type_of(value, site, set()) != kind for value in rebound):
                return None
        return kind

    def _declared_type(self, types: ReceiverTypes, expr: cst.BaseExpression, site: Site) -> str | None:
        """The lock a parameter (`lock: threading.RLock`) or an attribute (`self._lock: threading.Lock`,
        `self.state.lock`, in any module) is declared as, when no subclass of the project declares it otherwise."""
        kind = types.declared_tag(expr, site)
        if kind is None or not isinstance(expr, cst.Attribute):
            return kind
        owner = types.classes_of(expr.value, site)
        if not owner or len(owner) != 1:
            return None
        project = self.ctx.project
        declared = project.attribute_types(owner[0], expr.attr.value)
        definition = project.class_definition(owner[0])
        if definition is None:
            return kind  # (a library's class: its subclasses are not the project's)
        for sub in subclasses(project, definition[0]):
            if project.attribute_types(sub, expr.attr.value) != declared:
                return None  # (what stands there may be that subclass's, an `asyncio.Lock`)
        return kind

    def _bound_in(self, types: ReceiverTypes, cls: cst.ClassDef, attr: str, site: Site, depth: int) -> str | None:
        """The type `attr` has in the class body of `cls`, or of its first base in the module that binds it."""
        values = _class_binding(cls, attr)
        if values is None or depth > 8:
            return None
        if not values:  # inherited: from the one base, when it is the module's (another may bind it anywhere)
            base = self._class_named(cls.bases[0].value) if len(cls.bases) == 1 else None
            return self._bound_in(types, base, attr, site, depth + 1) if base is not None and base is not cls else None
        kinds = {types.type_of(value, site, set()) for value in values}
        return kinds.pop() if len(kinds) == 1 else None

    def _class_named(self, name: cst.BaseExpression) -> cst.ClassDef | None:
        """The module's class a name refers to, when that is its only binding."""
        if not isinstance(name, cst.Name):
            return None
        scope = self.get_metadata(ScopeProvider, name, None)
        if scope is None:
            return None
        access = next((a for a in scope.accesses[name.value] if a.node is name), None)
        referents = access.referents if access is not None else scope[name.value]
        nodes = {r.node for r in referents if isinstance(r, Assignment)}
        if len(nodes) != 1 or len(referents) != 1:
            return None
        node = nodes.pop()
        return node if isinstance(node, cst.ClassDef) else None

    def _subclasses(self, cls: cst.ClassDef) -> list[cst.ClassDef]:
        """The module's classes deriving from `cls`, directly or not (by the names of their bases)."""
        found: list[cst.ClassDef] = []
        frontier = [cls]
        while frontier:
            parent = frontier.pop()
            for candidate in self._classes:
                if candidate in found or candidate is cls:
                    continue
                if any(self._class_named(b.value) is parent for b in candidate.bases if isinstance(b.value, cst.Name)):
                    found.append(candidate)
                    frontier.append(candidate)
        return found

    VALID = (
        Valid("import asyncio\n\nlock = asyncio.Lock()\n\nasync def update(db):\n    async with lock:\n        await db.write()\n"),
        Valid("import threading\n\nlock = threading.Lock()\n\nasync def bump(counter):\n    with lock:\n        counter.n += 1\n"),
        Valid(
            "import asyncio\n\nclass Store:\n    _lock = asyncio.Lock()\n\n    async def save(self, db):\n"
            "        async with self._lock:\n            await db.write()\n"
        ),
    )
    INVALID = (
        Invalid(
            "import threading\n\nlock = threading.Lock()\n\nasync def update(db):\n    with lock:\n        await db.write()\n",
            line=6,
            use_instead=(
                "import asyncio\n\nlock = asyncio.Lock()\n\nasync def update(db):\n    async with lock:\n        await db.write()\n"
            ),
        ),
        Invalid(
            "import threading\n\nclass Store:\n    _lock = threading.Lock()\n\n    async def save(self, db):\n"
            "        with self._lock:\n            await db.write()\n",
            line=7,
            use_instead=(
                "import asyncio\n\nclass Store:\n    _lock = asyncio.Lock()\n\n    async def save(self, db):\n"
                "        async with self._lock:\n            await db.write()\n"
            ),
        ),
    )
