"""ASL2xx: coroutines that are never awaited, never scheduled, or handed to sync APIs."""

from __future__ import annotations

from typing import Mapping, Sequence

import libcst as cst
from libcst.metadata import Assignment, FunctionScope, ScopeProvider

from asynclint.analysis import names as _names
from asynclint.analysis.cst.context import FileContext
from asynclint.core.diagnostic import FixSafety
from asynclint.core.options import CoroutineOptions
from asynclint.rules._coroutines import CONFIG, DECLARED, Coroutine, CoroutineResolver
from asynclint.rules._edits import awaited
from asynclint.rules._match import (
    ReceiverTypes,
    Site,
    bound_value,
    callee_text,
    resolve,
    site_for,
)
from asynclint.rules.base import Fix, Invalid, Rule, Valid
from asynclint.rules.coroutines.screen import (
    MUTATORS,
    AsyncCallbackInSyncApiScreen,
    CoroutineInConditionScreen,
    CoroutineScreen,
    DanglingTaskScreen,
    RunNeedsCoroutineScreen,
    TaskNeverAwaitedScreen,
    UnawaitedCoroutineScreen,
    UnscheduledCoroutinesScreen,
    UnusedCoroutineObjectScreen,
)
from asynclint.rules.imports import simple_statements

SCHEDULE_ADVICE = {
    "asyncio": "`await asyncio.gather(*...)` or a `TaskGroup`",
    "trio": "a nursery's `start_soon`",
    "anyio": "a task group's `start_soon`",
}


class CoroutineRule(CoroutineScreen, Rule):
    """Family base: candidates are collected in the traversal and resolved in `finish()`."""

    METADATA_DEPENDENCIES = (ScopeProvider,)
    Options = CoroutineOptions

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._resolver: CoroutineResolver | None = None
        self._line: cst.SimpleStatementLine | None = None
        #: Per open `with`: the function around it when it expects an error (`pytest.raises`), else None.
        self._raises: list[cst.FunctionDef | None] = []

    def visit_With(self, node: cst.With) -> None:
        expects = any(self._expects_error(item.item) for item in node.items)
        self._raises.append(self.ctx.tracker.current_function() if expects else None)

    def leave_With(self, node: cst.With) -> None:
        self._raises.pop()

    def _expects_error(self, item: cst.BaseExpression) -> bool:
        if not isinstance(item, cst.Call):
            return False
        func = item.func
        return resolve(self, func) in EXPECTS_ERROR or (isinstance(func, cst.Attribute) and func.attr.value in ASSERT_RAISES)

    def expected_to_raise(self) -> bool:
        """In the body of a `with pytest.raises(...)` (or `self.assertRaises(...)`) of the function around:
        a call there is expected to raise before it returns (a test of a sync function declared to
        return a coroutine, or of an `async def`'s arguments), so no coroutine is left behind."""
        function = self.ctx.tracker.current_function()
        return any(f is function for f in self._raises if f is not None)

    @property
    def resolver(self) -> CoroutineResolver:
        """Created on first use, after the traversal."""
        if self._resolver is None:
            self._resolver = CoroutineResolver(self)
        return self._resolver

    def live(self) -> bool:
        """Code in a statically dead branch is never reported."""
        return self.ctx.tracker.in_live_code()

    def await_fix(self, call: cst.Call, found: Coroutine, site: Site, in_async: bool) -> Fix | None:
        """`await` the call: only in async code, never in a generator expression."""
        if not in_async or site.in_generator:
            return None
        # Known only through a setting or an annotation (which may not hold at run time): unsafe.
        safety = FixSafety.UNSAFE if found.source in (CONFIG, DECLARED) else None
        return Fix(call, awaited(self, call, call), (), safety)

    def reads(self, name: cst.Name) -> list[cst.CSTNode] | None:
        """Every read of a function-local variable that this assignment may reach; None if not local.

        libcst links a read only to the assignments before it, which misses loop-carried values
        (`await previous` at the top of a loop, `previous = fetch()` at its bottom), so every
        read of the name in the function counts, wherever it stands.
        """
        scope = self.get_metadata(ScopeProvider, name, None)
        if not isinstance(scope, FunctionScope):
            return None
        mine = [a for a in scope.assignments[name.value] if isinstance(a, Assignment) and a.node is name]
        if len(mine) != 1:
            return None
        nodes = {access.node for access in scope.accesses[name.value]}
        nodes.update(access.node for access in mine[0].references)  # reads from nested functions
        return list(nodes)

    def unused(self, name: cst.Name) -> bool:
        """A local variable of a function that nothing ever reads."""
        return self.reads(name) == []

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self._line = node if len(node.body) == 1 else None

    def leave_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        # A call in an `if`/`with`/`for` header is in no statement line: it must not see the last one.
        self._line = None

    def task_site(self, call: cst.Call) -> tuple[Site, bool] | None:
        """For a call that may start a task (ASL206, ASL208): its site, and whether it needs a known loop."""
        if resolve(self, call.func) in _names.TASK_FACTORIES:
            return site_for(self, call.func, call), False
        if isinstance(call.func, cst.Attribute) and call.func.attr.value == "create_task":
            return site_for(self, call.func, call), True  # `loop.create_task`, not a task group's
        return None

    def starts_task(self, call: cst.Call, site: Site, on_loop: bool, types: ReceiverTypes) -> bool:
        """After the traversal: it does start a task, of a coroutine `ignore-coroutines` does not name."""
        if on_loop:
            kind = types.of_site(site)
            if kind != _names.EVENT_LOOP and not (kind is None and self._loop_attribute(site, types)):
                return False
        argument = call.args[0].value if call.args else None
        return not (isinstance(argument, cst.Call) and self.resolver.ignored_call(argument))

    def _loop_attribute(self, site: Site, types: ReceiverTypes) -> bool:
        """`hass.loop`, `self._loop`, `app.event_loop`: an attribute named as a loop, unless the class binds
        it (`self.loop = ...`) to something known not to be one (a list, a task group)."""
        receiver = site.receiver
        if not (isinstance(receiver, cst.Attribute) and receiver.attr.value in _names.LOOP_ATTRIBUTES):
            return False
        owner = receiver.value
        if site.cls is None or not (isinstance(owner, cst.Name) and owner.value == site.self_name):
            return True
        for _, value in self.ctx.tracker.self_attrs.get(site.cls, {}).get(receiver.attr.value, ()):
            if value is None:
                continue
            if isinstance(value, NOT_LOOPS) or types.type_of(value, site, set()) not in (None, _names.EVENT_LOOP):
                return False
            if isinstance(value, cst.Call) and resolve(self, value.func) in TASK_GROUPS:
                return False
        return True

    def current_line(self) -> cst.SimpleStatementLine | None:
        """The statement line being visited, when it holds a single statement."""
        return self._line

    def fresh_name(self, at: cst.CSTNode, base: str) -> str:
        """`base`, or `base_1`, ...: a name nothing visible at `at` binds or reads."""
        scope = self.get_metadata(ScopeProvider, at, None)
        for n in range(10):
            name = base if n == 0 else f"{base}_{n}"
            if scope is None or (not scope[name] and name not in scope.accesses):
                return name
        return f"{base}_{id(at)}"


#: Context managers that expect the code in their body to raise.
EXPECTS_ERROR = frozenset({"pytest.raises"})
ASSERT_RAISES = frozenset({"assertRaises", "assertRaisesRegex"})

#: Values that are certainly no event loop (`self.loop = []`).
NOT_LOOPS = (
    cst.List, cst.Tuple, cst.Set, cst.Dict, cst.ListComp, cst.SetComp, cst.DictComp, cst.SimpleString,
    cst.ConcatenatedString, cst.FormattedString, cst.Integer, cst.Float,
)  # fmt: skip


def _module_definition(ctx: FileContext, qualified: str) -> cst.FunctionDef | None:
    """The `def` of this module's top-level function or top-level class's method named `qualified`."""
    prefix = f"{ctx.module_name}."
    if not qualified.startswith(prefix):
        return None
    path = qualified[len(prefix) :].split(".")
    body: Sequence[cst.CSTNode] = ctx.module.body
    for index, part in enumerate(path):
        named = [s for s in body if isinstance(s, (cst.FunctionDef, cst.ClassDef)) and s.name.value == part]
        if len(named) != 1:
            return None
        node = named[0]
        if index == len(path) - 1:
            return node if isinstance(node, cst.FunctionDef) else None
        if not isinstance(node, cst.ClassDef) or not isinstance(node.body, cst.IndentedBlock):
            return None
        body = node.body.body
    return None


def _is_docstring(statement: cst.CSTNode) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def _always_true(test: cst.BaseExpression) -> bool:
    return (isinstance(test, cst.Name) and test.value == "True") or (isinstance(test, cst.Integer) and test.value != "0")


def _only_in_nested_defs(body: cst.CSTNode) -> bool:
    """Whether every `raise` under `body` sits in a nested `def`/`lambda`/`class` (which does not raise here)."""
    outside = _all_under(body, cst.Raise)
    nested = [r for d in _all_under(body, (cst.FunctionDef, cst.ClassDef)) for r in _all_under(d, cst.Raise)]
    return len(outside) == len(nested)


class _AllOf(cst.CSTVisitor):
    def __init__(self, kinds: type[cst.CSTNode] | tuple[type[cst.CSTNode], ...]) -> None:
        self.kinds = kinds
        self.found: list[cst.CSTNode] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, self.kinds):
            self.found.append(node)
        return True


def _all_under(node: cst.CSTNode, kinds: type[cst.CSTNode] | tuple[type[cst.CSTNode], ...]) -> list[cst.CSTNode]:
    """Every node of these kinds in the tree of `node`, itself included (what `libcst.matchers.findall`
    finds, without importing `libcst.matchers`: building its thousand matcher classes takes a second)."""
    visitor = _AllOf(kinds)
    node.visit(visitor)
    return visitor.found


#: Constructors of task groups and nurseries: their `create_task` keeps the task.
TASK_GROUPS = frozenset({"asyncio.TaskGroup", "asyncio.taskgroups.TaskGroup", "anyio.create_task_group", "trio.open_nursery"})


def _function_local_target(node: cst.Assign) -> cst.Name | None:
    if len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
        return node.targets[0].target
    return None


class UnawaitedCoroutine(UnawaitedCoroutineScreen, CoroutineRule):
    """Checks for coroutine functions called without `await`, as a statement.

    This includes `super().method()` in an override, when the method the bases of the class
    define (in the linted code, followed through imports) is an `async def`; a method of a
    parameter annotated with a class of the linted code whose method is an `async def`
    (`db: QueueDB`, as ASL204 reads annotations); a sync function or method declared to return
    a coroutine (`def get(self) -> Coroutine[Any, Any, T]`, or an alias of that such as
    `Response[T]`; not `Awaitable`, nor a `Union` or `Optional` of one); and, in async code,
    `asyncio.gather(...)` (any alias) used as a statement. A call in the body of
    `with pytest.raises(...)` (or `self.assertRaises(...)`) is expected to raise: not reported.

    ## Why is this bad?
    Calling a coroutine function only creates a coroutine object; its body runs when the
    coroutine is awaited or scheduled. As a bare statement, nothing ever does that: the call
    silently does nothing (at best Python warns "coroutine ... was never awaited" at exit).
    `asyncio.gather(...)` does start the work, but the function goes on, and may return,
    before it is done, and nothing ever sees its errors.

    ## Fix safety
    In async code the fix adds `await`, which is safe: the call could not have been working
    as written. It is unsafe when the function is known to be a coroutine function only through
    the `coroutine-functions` setting or only through the receiver's annotation (which the object
    passed at run time may not honour) or a return annotation, and for `asyncio.gather(...)`, whose work did run: awaiting
    it makes the function wait for that work and raise its errors. In sync code there is no fix:
    the call must move to async code, or run through `asyncio.run(...)`.
    """

    code = "ASL201"
    name = "unawaited-coroutine"
    message = "`{callee}()` {what}; {advice}"
    fix_title = "Add `await`"
    fix_safety = FixSafety.SAFE
    VALID = (
        Valid("import asyncio\n\nasync def fetch():\n    return 1\n\nasync def main():\n    await fetch()\n"),
        Valid("async def fetch():\n    return 1\n\nasync def main():\n    return fetch()\n"),
        Valid("import asyncio\n\nasync def fetch():\n    return 1\n\nasync def main():\n    task = asyncio.create_task(fetch())\n    await task\n"),
        Valid("def fetch():\n    return 1\n\nasync def main():\n    fetch()\n"),
        Valid("async def main(client):\n    client.fetch()\n"),
    )
    INVALID = (
        Invalid(
            "import asyncio\n\n\nasync def notify(user):\n    await asyncio.sleep(0)\n\n\nasync def signup(user):\n"
            "    notify(user)\n",
            line=9,
            fixed=(
                "import asyncio\n\n\nasync def notify(user):\n    await asyncio.sleep(0)\n\n\nasync def signup(user):\n"
                "    await notify(user)\n"
            ),
        ),
        Invalid("import asyncio\n\nasync def main():\n    asyncio.sleep(1)\n", line=4),
        Invalid(
            "async def fetch():\n    return 1\n\ndef main():\n    fetch()\n",
            line=5,
            message=(
                "`fetch()` creates a coroutine that is never awaited, so it never runs; await it from async "
                "code, or run it with `asyncio.run(...)`"
            ),
        ),
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._calls: list[tuple[cst.Call, Site, bool]] = []

    NEVER_RUNS = "creates a coroutine that is never awaited, so it never runs"
    NOT_WAITED = (
        "starts work whose future is never awaited: the function goes on (and may return) before that work "
        "is done, and its errors are never seen"
    )

    def visit_Expr(self, node: cst.Expr) -> None:
        if isinstance(node.value, cst.Call) and self.live() and not self.expected_to_raise():
            call = node.value
            self._calls.append((call, site_for(self, call.func, call), self.ctx.in_async_code()))

    def finish(self) -> None:
        for call, site, in_async in self._calls:
            if in_async and not site.in_generator and resolve(self, call.func) in _names.GATHER:
                # The gathered work runs, but nothing waits for it: awaiting changes when the function returns.
                waits = Fix(call, awaited(self, call, call), (), FixSafety.UNSAFE)
                self.report(call, waits, callee=callee_text(self, call.func), what=self.NOT_WAITED, advice="add `await`")
                continue
            found = self.resolver.call(call, site, declared=True)
            if found is None:
                continue
            advice = "add `await`" if in_async else "await it from async code, or run it with `asyncio.run(...)`"
            fix = self.await_fix(call, found, site, in_async)
            self.report(call, fix, callee=callee_text(self, call.func), what=self.NEVER_RUNS, advice=advice)


class UnusedCoroutineObject(UnusedCoroutineObjectScreen, CoroutineRule):
    """Checks for a coroutine stored in a variable that is never used afterwards.

    ## Why is this bad?
    `c = fetch()` creates a coroutine and keeps it, but if `c` is never awaited, returned,
    passed on, stored or scheduled, the body of `fetch` never runs.

    The coroutine function may also be a method of a parameter annotated with a class of the
    linted code (`db: QueueDB`), as ASL204 reads annotations, or a sync function declared to
    return a coroutine (`-> Coroutine[...]`), as ASL201 reads them.

    ## Fix safety
    The fix awaits the call (`c = await fetch()`). It is unsafe: the variable may have been
    meant for later use that was forgotten, and awaiting now changes when the work happens.
    """

    code = "ASL202"
    name = "unused-coroutine-object"
    message = "`{variable}` holds the coroutine of `{callee}()`, which is never awaited or used, so it never runs"
    fix_title = "Await it: `{variable} = await {callee}(...)`"
    fix_safety = FixSafety.UNSAFE
    VALID = (
        Valid("async def fetch():\n    return 1\n\nasync def main():\n    c = fetch()\n    return await c\n"),
        Valid("import asyncio\n\nasync def fetch():\n    return 1\n\nasync def main():\n    c = fetch()\n    await asyncio.wait_for(c, 1)\n"),
        Valid("async def fetch():\n    return 1\n\nresult = fetch()\n"),
    )
    INVALID = (
        Invalid(
            "async def load(key):\n    return key\n\n\nasync def warm(keys):\n    for key in keys:\n        value = load(key)\n",
            line=7,
            fixed=(
                "async def load(key):\n    return key\n\n\nasync def warm(keys):\n    for key in keys:\n"
                "        value = await load(key)\n"
            ),
        ),
        Invalid("async def load():\n    return 1\n\ndef sync():\n    pending = load()\n", line=5),
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._assigned: list[tuple[cst.Name, cst.Call, Site, bool]] = []

    def visit_Assign(self, node: cst.Assign) -> None:
        target = _function_local_target(node)
        if target is not None and isinstance(node.value, cst.Call) and self.live() and not self.expected_to_raise():
            call = node.value
            self._assigned.append((target, call, site_for(self, call.func, call), self.ctx.in_async_code()))

    def finish(self) -> None:
        for target, call, site, in_async in self._assigned:
            found = self.resolver.call(call, site, declared=True)
            if found is None or not self.unused(target):
                continue
            fix = self.await_fix(call, found, site, in_async)
            self.report(target, fix, variable=target.value, callee=callee_text(self, call.func))


COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp)


class UnscheduledCoroutines(UnscheduledCoroutinesScreen, CoroutineRule):
    """Checks for collections of coroutines that are never gathered, awaited or scheduled.

    A comprehension of coroutine calls (`[fetch(u) for u in urls]`), a generator of them, or
    a list filled with `.append(fetch(u))`, that is never passed to `gather`, `wait`,
    `as_completed`, a task group or anything else, never returned and never iterated. The
    coroutine functions are those ASL201 knows, declared receivers and `-> Coroutine[...]` included.

    ## Why is this bad?
    Building the coroutines runs none of them: the work silently never happens. Usually the
    `asyncio.gather(*jobs)` (or task group) that should run them was forgotten.
    """

    code = "ASL203"
    name = "unscheduled-coroutines"
    message = "coroutines of `{callee}()` are collected but never awaited or scheduled, so none runs; run them with {advice}"
    VALID = (
        Valid(
            "import asyncio\n\nasync def fetch(u):\n    return u\n\nasync def main(urls):\n"
            "    jobs = [fetch(u) for u in urls]\n    return await asyncio.gather(*jobs)\n"
        ),
        Valid(
            "async def fetch(u):\n    return u\n\nasync def main(urls):\n    jobs = []\n    for u in urls:\n"
            "        jobs.append(fetch(u))\n    for job in jobs:\n        await job\n"
        ),
        Valid("def fetch(u):\n    return u\n\nasync def main(urls):\n    [fetch(u) for u in urls]\n"),
    )
    INVALID = (
        Invalid(
            "async def fetch(url):\n    return url\n\n\nasync def crawl(urls):\n    jobs = []\n    for url in urls:\n"
            "        jobs.append(fetch(url))\n",
            line=6,
            use_instead=(
                "import asyncio\n\n\nasync def fetch(url):\n    return url\n\n\nasync def crawl(urls):\n"
                "    jobs = []\n    for url in urls:\n        jobs.append(fetch(url))\n    await asyncio.gather(*jobs)\n"
            ),
        ),
        Invalid("async def fetch(u):\n    return u\n\nasync def main(urls):\n    [fetch(u) for u in urls]\n", line=5),
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._bare: list[tuple[cst.BaseExpression, cst.Call, Site]] = []
        self._comprehensions: list[tuple[cst.Name, cst.BaseExpression, cst.Call, Site]] = []
        self._empty: list[tuple[cst.Name, cst.BaseExpression]] = []
        #: Name node used as `name.append(...)` (and other mutators) -> the added call, if any.
        self._mutated: dict[cst.Name, tuple[cst.Call, Site] | None] = {}

    def visit_Expr(self, node: cst.Expr) -> None:
        value = node.value
        if isinstance(value, COMPREHENSIONS) and isinstance(value.elt, cst.Call) and self.live():
            self._bare.append((value, value.elt, site_for(self, value.elt.func, value.elt)))

    def visit_Assign(self, node: cst.Assign) -> None:
        target = _function_local_target(node)
        if target is None or not self.live():
            return
        value = node.value
        if isinstance(value, COMPREHENSIONS) and isinstance(value.elt, cst.Call):
            self._comprehensions.append((target, value, value.elt, site_for(self, value.elt.func, value.elt)))
        elif _is_empty_list(value):
            self._empty.append((target, value))

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.attr.value in MUTATORS:
            index = {"append": 0, "insert": 1}.get(func.attr.value)
            added = node.args[index].value if index is not None and len(node.args) > index else None
            self._mutated[func.value] = (added, site_for(self, added.func, added)) if isinstance(added, cst.Call) else None

    def finish(self) -> None:
        advice = SCHEDULE_ADVICE[self.ctx.library]
        for collection, call, site in self._bare:
            if self.resolver.call(call, site, declared=True) is not None:
                self.report(collection, callee=callee_text(self, call.func), advice=advice)
        for target, collection, call, site in self._comprehensions:
            if self.resolver.call(call, site, declared=True) is not None and self._only_mutated(target) is not None:
                self.report(collection, callee=callee_text(self, call.func), advice=advice)
        for target, collection in self._empty:
            added = self._only_mutated(target)
            coroutine = next((c for c, s in added or () if self.resolver.call(c, s, declared=True) is not None), None)
            if coroutine is not None:
                self.report(collection, callee=callee_text(self, coroutine.func), advice=advice)

    def _only_mutated(self, name: cst.Name) -> list[tuple[cst.Call, Site]] | None:
        """The calls added to the collection when nothing but mutators touches it, else None."""
        scope = self.get_metadata(ScopeProvider, name, None)
        reads = self.reads(name)
        if reads is None or not isinstance(scope, FunctionScope) or len(scope.assignments[name.value]) != 1:
            return None
        added: list[tuple[cst.Call, Site]] = []
        for read in reads:
            if read not in self._mutated:
                return None  # read, returned, passed on, iterated: the coroutines may well be run
            entry = self._mutated[read]  # type: ignore[index]
            if entry is not None:
                added.append(entry)
        return added


def _is_empty_list(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.List):
        return not node.elements
    return isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "list" and not node.args


class CoroutineInCondition(CoroutineInConditionScreen, CoroutineRule):
    """Checks for coroutine calls used as a truth value.

    `if f():`, `while f():`, `assert f()`, `not f()`, `f() and x`, `x if f() else y` and
    comprehension conditions, where `f` is a coroutine function. That includes a method of a
    parameter annotated with a class of the linted code (`db: QueueDB`, `Optional[QueueDB]`,
    `"QueueDB"`, `QueueDB | None`) where that method is an `async def` (in every class of a
    `Union`); `Any`, protocols and classes from outside the linted code are not looked into.
    A sync function declared to return a coroutine (`-> Coroutine[...]`) counts too, as in ASL201.

    ## Why is this bad?
    A coroutine object is always true: the condition never depends on what `f` would
    return, and `f` never runs.

    ## Fix safety
    In async code the fix adds `await`, which is safe: the condition could not have been
    working as written. It is unsafe when the function is known to be a coroutine function only
    through the `coroutine-functions` setting, or only through the annotation of the receiver
    (`db: QueueDB`) or a return annotation, which the code at run time may not honour. In sync code
    there is no fix.
    """

    code = "ASL204"
    name = "coroutine-in-condition"
    message = "`{callee}()` is a coroutine, which is always true in a condition; `await` it"
    fix_title = "Add `await`"
    fix_safety = FixSafety.SAFE
    VALID = (
        Valid("async def ready():\n    return True\n\nasync def main():\n    if await ready():\n        return 1\n"),
        Valid("def ready():\n    return True\n\nasync def main():\n    if ready():\n        return 1\n"),
        Valid("async def ready():\n    return True\n\nasync def main(cached):\n    pending = cached or ready()\n    return await pending\n"),
    )
    INVALID = (
        Invalid(
            "async def is_admin(user):\n    return user == 'root'\n\n\nasync def delete(user, item):\n"
            "    if not is_admin(user):\n        raise PermissionError(user)\n",
            line=6,
            fixed=(
                "async def is_admin(user):\n    return user == 'root'\n\n\nasync def delete(user, item):\n"
                "    if not await is_admin(user):\n        raise PermissionError(user)\n"
            ),
        ),
        Invalid("async def ok():\n    return 1\n\ndef check():\n    assert ok()\n", line=5),
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._conditions: set[cst.BaseExpression] = set()
        self._calls: list[tuple[cst.Call, Site, bool]] = []

    def visit_If(self, node: cst.If) -> None:
        self._conditions.add(node.test)

    def visit_While(self, node: cst.While) -> None:
        self._conditions.add(node.test)

    def visit_Assert(self, node: cst.Assert) -> None:
        self._conditions.add(node.test)

    def visit_IfExp(self, node: cst.IfExp) -> None:
        self._conditions.add(node.test)

    def visit_CompIf(self, node: cst.CompIf) -> None:
        self._conditions.add(node.test)

    def visit_UnaryOperation(self, node: cst.UnaryOperation) -> None:
        if isinstance(node.operator, cst.Not):
            self._conditions.add(node.expression)

    def visit_BooleanOperation(self, node: cst.BooleanOperation) -> None:
        # The left operand is always tested; the right one only when the whole is a condition
        # (`x = cached or fetch()` may keep the coroutine to await later).
        self._conditions.add(node.left)
        if node in self._conditions:
            self._conditions.add(node.right)

    def visit_Call(self, node: cst.Call) -> None:
        if node in self._conditions and self.live():
            self._calls.append((node, site_for(self, node.func, node), self.ctx.in_async_code()))

    def finish(self) -> None:
        for call, site, in_async in self._calls:
            found = self.resolver.call(call, site, declared=True)
            if found is not None:
                self.report(call, self.await_fix(call, found, site, in_async), callee=callee_text(self, call.func))


#: Qualified API -> (positions, keywords) of the argument it calls synchronously.
CALLBACK_FUNCTIONS: Mapping[str, tuple[tuple[int, ...], tuple[str, ...]]] = {
    "builtins.filter": ((0,), ()),
    "builtins.sorted": ((), ("key",)),
    "builtins.min": ((), ("key",)),
    "builtins.max": ((), ("key",)),
    "functools.reduce": ((0,), ("function",)),
    "threading.Thread": ((), ("target",)),
    "threading.Timer": ((1,), ("function",)),
    "asyncio.to_thread": ((0,), ("func",)),
    "atexit.register": ((0,), ()),
    "signal.signal": ((1,), ("handler",)),
    "builtins.map": ((0,), ()),
}
#: Methods (of event loops and futures: the names are theirs) -> position of the callback.
CALLBACK_METHODS: Mapping[str, int] = {
    "call_soon": 0,
    "call_soon_threadsafe": 0,
    "call_later": 1,
    "call_at": 1,
    "run_in_executor": 1,
    "add_done_callback": 0,
    "add_signal_handler": 1,
    "add_reader": 1,
    "add_writer": 1,
}
EXECUTOR_METHODS: Mapping[str, int] = {"submit": 0, "map": 0}


class AsyncCallbackInSyncApi(AsyncCallbackInSyncApiScreen, CoroutineRule):
    """Checks for coroutine functions handed to APIs that call them synchronously.

    `map`, `filter`, `sorted`/`min`/`max(key=...)`, `functools.reduce`,
    `threading.Thread(target=...)`, `Executor.submit`/`map`, the event loop's `call_soon`,
    `call_later`, `call_at`, `call_soon_threadsafe`, `run_in_executor`, `add_signal_handler`,
    `add_reader`/`add_writer`, `asyncio.to_thread`, `atexit.register`, `signal.signal` and
    `Future.add_done_callback`, given a coroutine function (by name, through
    `functools.partial` (passed directly, or bound once to a local name that is then passed),
    or as a lambda calling one).

    ## Why is this bad?
    These APIs call the function and use (or drop) what it returns; for a coroutine function
    that is a coroutine object that nobody awaits, so its body never runs. It is Python's
    `forEach(async ...)` trap. `map` is reported only when its result is dropped, since
    `asyncio.gather(*map(f, xs))` is fine.
    """

    code = "ASL205"
    name = "async-callback-in-sync-api"
    message = "`{callee}` is a coroutine function, but `{api}` calls it without awaiting, so its body never runs"
    VALID = (
        Valid("import asyncio\n\nasync def fetch(u):\n    return u\n\nasync def main(urls):\n    return await asyncio.gather(*map(fetch, urls))\n"),
        Valid("import threading\n\ndef work():\n    pass\n\nthreading.Thread(target=work).start()\n"),
        Valid("import asyncio\n\nasync def tick():\n    pass\n\ndef schedule(loop):\n    loop.call_soon(lambda: asyncio.ensure_future(tick()))\n"),
    )
    INVALID = (
        Invalid(
            "import threading\n\n\nasync def sync_users():\n    pass\n\n\n"
            "worker = threading.Thread(target=sync_users, daemon=True)\n",
            line=8,
            use_instead=(
                "import asyncio\nimport threading\n\n\nasync def sync_users():\n    pass\n\n\n"
                "worker = threading.Thread(target=asyncio.run, args=(sync_users(),), daemon=True)\n"
            ),
        ),
        Invalid("async def ping():\n    pass\n\ndef later(loop):\n    loop.call_later(5, ping)\n", line=5),
        Invalid("async def score(x):\n    return x\n\ndef best(xs):\n    return max(xs, key=score)\n", line=5),
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._dropped: set[cst.BaseExpression] = set()
        self._candidates: list[tuple[cst.Call, str, cst.BaseExpression, Site, bool]] = []

    def visit_Expr(self, node: cst.Expr) -> None:
        value = node.value
        self._dropped.add(value)
        if isinstance(value, cst.Call) and len(value.args) == 1 and resolve(self, value.func) in (
            "builtins.list", "builtins.tuple", "builtins.set",
        ):
            self._dropped.add(value.args[0].value)

    def visit_Call(self, node: cst.Call) -> None:
        if not self.live():
            return
        qualified = resolve(self, node.func)
        if qualified in CALLBACK_FUNCTIONS:
            assert qualified is not None
            if qualified == "builtins.map" and node not in self._dropped:
                return
            positions, keywords = CALLBACK_FUNCTIONS[qualified]
            self._add(node, qualified.removeprefix("builtins."), _argument(node, positions, keywords), False)
        elif isinstance(node.func, cst.Attribute):
            method = node.func.attr.value
            if method in CALLBACK_METHODS:
                self._add(node, f".{method}()", _argument(node, (CALLBACK_METHODS[method],), ()), False)
            elif method in EXECUTOR_METHODS:
                self._add(node, f"Executor.{method}()", _argument(node, (EXECUTOR_METHODS[method],), ()), True)

    def _add(self, call: cst.Call, api: str, callback: cst.BaseExpression | None, needs_executor: bool) -> None:
        if callback is not None:
            self._candidates.append((call, api, callback, site_for(self, call.func, call), needs_executor))

    def finish(self) -> None:
        types = ReceiverTypes(self)
        for call, api, callback, site, needs_executor in self._candidates:
            if needs_executor and types.of_site(site) != _names.EXECUTOR:
                continue
            found = self._callback_coroutine(callback, site)
            if found is not None:
                self.report(call, callee=found.name.rsplit(".", 1)[-1], api=api)

    def _callback_coroutine(self, callback: cst.BaseExpression, site: Site) -> Coroutine | None:
        if isinstance(callback, cst.Lambda):
            body = callback.body
            return self.resolver.call(body, site) if isinstance(body, cst.Call) else None
        if isinstance(callback, cst.Call) and resolve(self, callback.func) == "functools.partial" and callback.args:
            return self.resolver.reference(callback.args[0].value, site)
        if isinstance(callback, cst.Name):
            bound = bound_value(self, callback)  # `job = functools.partial(fetch, url)`, then `call_soon(job)`
            if isinstance(bound, cst.Call) and resolve(self, bound.func) == "functools.partial" and bound.args:
                return self.resolver.reference(bound.args[0].value, site)
        return self.resolver.reference(callback, site)


def _argument(call: cst.Call, positions: tuple[int, ...], keywords: tuple[str, ...]) -> cst.BaseExpression | None:
    positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
    for index in positions:
        if index < len(positional):
            return positional[index].value
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value in keywords:
            return arg.value
    return None


class DanglingTask(DanglingTaskScreen, CoroutineRule):
    """Checks for tasks created and immediately dropped.

    The result of `asyncio.create_task(...)`, `asyncio.ensure_future(...)` or
    `loop.create_task(...)` used as a statement. A loop is a receiver known to be one, or an
    attribute named `loop`, `_loop` or `event_loop` (`hass.loop`, `self._loop`), unless the
    class binds that attribute to something else (a list, a task group).

    ## Why is this bad?
    The event loop keeps only a weak reference to tasks: a task nobody holds can be
    garbage-collected before it finishes, and its exception is never retrieved. Keep the
    task (in a set, removing it with `add_done_callback(set.discard)`), or use a task group.
    A `try:` around the `create_task` does not help: its `except` sees only errors in
    creating the task, never those of the task, which fails later, on its own.

    ## Fix safety
    The fix keeps the task in a module-level set `_background_tasks` until it is done. It
    is unsafe: the task now lives until it finishes (which was the intent, but changes when
    resources are released), and its exception is still not handled, only no longer lost to
    the garbage collector.
    """

    code = "ASL206"
    name = "dangling-task"
    fix_title = "Keep the task in a module-level set until it is done"
    fix_safety = FixSafety.UNSAFE
    message = (
        "the task of `{callee}()` is not kept: it can be garbage-collected mid-flight and its exception is lost{note}; "
        "keep a reference or use a task group"
    )
    IN_TRY = " (the `except` around it never sees it: the task fails later, on its own)"
    VALID = (
        Valid("import asyncio\n\nasync def job():\n    pass\n\nasync def main():\n    async with asyncio.TaskGroup() as tg:\n        tg.create_task(job())\n"),
        Valid("import asyncio\n\nasync def job():\n    pass\n\nasync def main(tasks):\n    task = asyncio.create_task(job())\n    tasks.add(task)\n"),
        Valid("import asyncio\n\nasync def job():\n    pass\n\nasync def main(cb):\n    asyncio.create_task(job()).add_done_callback(cb)\n"),
    )
    INVALID = (
        Invalid(
            "import asyncio\n\n\nasync def send_welcome(user):\n    pass\n\n\nasync def signup(user):\n"
            "    asyncio.create_task(send_welcome(user))\n",
            line=9,
            fixed=(
                "import asyncio\n\n_background_tasks = set()\n\n\nasync def send_welcome(user):\n    pass\n\n\n"
                "async def signup(user):\n    task = asyncio.create_task(send_welcome(user))\n"
                "    _background_tasks.add(task)\n    task.add_done_callback(_background_tasks.discard)\n"
            ),
        ),
        Invalid("import asyncio\n\nasync def job():\n    pass\n\ndef start():\n    loop = asyncio.new_event_loop()\n    loop.create_task(job())\n", line=8),
    )

    TASKS = "_background_tasks"

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._calls: list[tuple[cst.Call, Site, bool, cst.SimpleStatementLine | None, bool]] = []
        #: The function around each open `try:` body that has handlers.
        self._tries: list[cst.FunctionDef | None] = []

    def visit_Try_body(self, node: cst.Try) -> None:
        self._tries.append(self.ctx.tracker.current_function() if node.handlers else None)

    def leave_Try_body(self, node: cst.Try) -> None:
        self._tries.pop()

    def visit_Expr(self, node: cst.Expr) -> None:
        call = node.value
        found = self.task_site(call) if isinstance(call, cst.Call) and self.live() else None
        if found is not None:
            assert isinstance(call, cst.Call)
            function = self.ctx.tracker.current_function()
            guarded = any(f is function and f is not None for f in self._tries)
            self._calls.append((call, *found, self.current_line(), guarded))

    def finish(self) -> None:
        types = ReceiverTypes(self)
        for call, site, on_loop, line, guarded in self._calls:
            if not self.starts_task(call, site, on_loop, types):
                continue
            fix = self._keep_task(call, line) if line is not None else None
            self.report(call, fix, callee=callee_text(self, call.func), note=self.IN_TRY if guarded else "")

    def _keep_task(self, call: cst.Call, line: cst.SimpleStatementLine) -> Fix | None:
        """`create_task(...)` -> keep it in `_background_tasks` until it is done."""
        store = f"{self.TASKS} = set()"
        scope = self.get_metadata(ScopeProvider, call, None)
        bound = scope[self.TASKS] if scope is not None else set()
        if bound and store not in simple_statements(self.ctx.module):
            return None  # the name means something else in this module
        task = self.fresh_name(call, "task")
        keep = line.with_changes(body=[cst.Assign(targets=[cst.AssignTarget(cst.Name(task))], value=call)])
        follow = [
            cst.parse_statement(f"{self.TASKS}.add({task})\n", config=self.ctx.module.config_for_parsing),
            cst.parse_statement(
                f"{task}.add_done_callback({self.TASKS}.discard)\n", config=self.ctx.module.config_for_parsing
            ),
        ]
        return Fix(line, cst.FlattenSentinel([keep, *follow]), module_statements=(store,))


class RunNeedsCoroutine(RunNeedsCoroutineScreen, CoroutineRule):
    """Checks for `asyncio.run()` given something other than a coroutine.

    A coroutine function not called (`asyncio.run(main)`), or a future or task:
    `asyncio.gather(...)`, `asyncio.wait(...)`, `asyncio.create_task(...)`,
    `asyncio.ensure_future(...)`.

    ## Why is this bad?
    `asyncio.run()` takes a coroutine. A function raises `ValueError`; a future or task
    built before the loop exists fails to find a running loop, or belongs to another loop.

    ## Fix safety
    For a coroutine function passed uncalled, the fix calls it (`asyncio.run(main())`),
    which is safe: the code could not have been working. For a future or task, the fix
    awaits it inside a small `async def _main()` run instead; that is unsafe, since the
    awaitable is now created inside the loop, later than before.
    """

    code = "ASL207"
    name = "run-needs-coroutine"
    message = "`asyncio.run()` needs a coroutine, not {what}"
    fix_title = "Call it: `asyncio.run({callee}())`"
    fix_safety = FixSafety.SAFE
    VALID = (
        Valid("import asyncio\n\nasync def main():\n    pass\n\nasyncio.run(main())\n"),
        Valid("import asyncio\n\ndef factory():\n    return 1\n\nasyncio.run(factory)\n"),
    )
    INVALID = (
        Invalid(
            "import asyncio\n\n\nasync def main():\n    pass\n\n\nif __name__ == '__main__':\n    asyncio.run(main)\n",
            line=9,
            fixed="import asyncio\n\n\nasync def main():\n    pass\n\n\nif __name__ == '__main__':\n    asyncio.run(main())\n",
        ),
        Invalid(
            "import asyncio\n\nasync def a():\n    pass\n\nasyncio.run(asyncio.gather(a(), a()))\n",
            line=6,
            message="`asyncio.run()` needs a coroutine, not the future of `asyncio.gather()`: await it inside an `async def`",
            fixed=(
                "import asyncio\n\nasync def a():\n    pass\n\nasync def _main():\n"
                "    return await asyncio.gather(a(), a())\nasyncio.run(_main())\n"
            ),
        ),
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._references: list[tuple[cst.Call, cst.BaseExpression, Site]] = []

    def visit_Call(self, node: cst.Call) -> None:
        if not node.args or not self.live() or resolve(self, node.func) != "asyncio.run":
            return
        argument = node.args[0].value
        if isinstance(argument, cst.Call):
            made_by = resolve(self, argument.func)
            if made_by in _names.NOT_COROUTINES:
                what = f"the future of `{callee_text(self, argument.func)}()`: await it inside an `async def`"
                self.report(node, self._wrap(argument), what=what)
        elif isinstance(argument, (cst.Name, cst.Attribute)):
            self._references.append((node, argument, site_for(self, argument, None)))

    def _wrap(self, argument: cst.Call) -> Fix | None:
        """`asyncio.run(gather(...))` -> `async def _main(): return await gather(...)`, then run that."""
        line = self.current_line()
        if line is None:
            return None
        name = self.fresh_name(argument, "_main")
        returns = cst.SimpleStatementLine(body=[cst.Return(value=cst.Await(expression=argument))])
        wrapper = cst.FunctionDef(
            name=cst.Name(name),
            params=cst.Parameters(),
            body=cst.IndentedBlock(body=[returns]),
            asynchronous=cst.Asynchronous(),
        )
        runner = line.deep_replace(argument, cst.Call(func=cst.Name(name)))
        assert isinstance(runner, cst.SimpleStatementLine)
        return Fix(
            line,
            cst.FlattenSentinel([wrapper.with_changes(leading_lines=line.leading_lines), runner.with_changes(leading_lines=())]),
            safety=FixSafety.UNSAFE,
        )

    def finish(self) -> None:
        for call, argument, site in self._references:
            if self.resolver.reference(argument, site) is not None:
                name = callee_text(self, argument)
                fix = Fix(argument, cst.Call(func=argument))
                self.report(call, fix, what=f"the coroutine function `{name}` itself: call it, `{name}()`")


class TaskNeverAwaited(TaskNeverAwaitedScreen, CoroutineRule):
    """Checks for a task kept in a variable that is never used afterwards.

    `t = asyncio.create_task(...)` (or `ensure_future`, `loop.create_task`) where `t` is
    never awaited, cancelled, gathered, returned, stored or given a done-callback.

    ## Why is this bad?
    The task runs, but nothing ever looks at it: its exception is never retrieved, and the
    function may return while the task is still working. Await it, or hand it to what
    manages it.

    A task whose coroutine function (of the same module) catches every error around its whole
    body (one `try`, or a `while True:` holding one, with `except Exception:`,
    `except BaseException:` or a bare `except:` that does not raise again) is not reported:
    none of its errors can go unretrieved, which is what this rule is about. Such a task can
    still be garbage-collected mid-run once nothing holds it: keep a reference if it must
    finish (the concern of ASL206).
    """

    code = "ASL208"
    name = "task-never-awaited"
    message = "the task in `{variable}` is never awaited, cancelled or kept, so its errors are never seen"
    VALID = (
        Valid("import asyncio\n\nasync def job():\n    pass\n\nasync def main():\n    t = asyncio.create_task(job())\n    await t\n"),
        Valid("import asyncio\n\nasync def job():\n    pass\n\nasync def main():\n    t = asyncio.create_task(job())\n    t.cancel()\n"),
    )
    INVALID = (
        Invalid(
            "import asyncio\n\n\nasync def refresh():\n    pass\n\n\nasync def handler():\n"
            "    task = asyncio.create_task(refresh())\n    return 'ok'\n",
            line=9,
            use_instead=(
                "import asyncio\n\n\nasync def refresh():\n    pass\n\n\nasync def handler():\n"
                "    task = asyncio.create_task(refresh())\n    await task\n    return 'ok'\n"
            ),
        ),
        Invalid("import asyncio\n\nasync def job():\n    pass\n\nasync def main():\n    t = asyncio.ensure_future(job())\n", line=7),
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._assigned: list[tuple[cst.Name, cst.Call, Site, bool]] = []

    def visit_Assign(self, node: cst.Assign) -> None:
        target = _function_local_target(node)
        value = node.value
        found = self.task_site(value) if target is not None and isinstance(value, cst.Call) and self.live() else None
        if found is not None:
            assert target is not None and isinstance(value, cst.Call)
            self._assigned.append((target, value, *found))

    def finish(self) -> None:
        types = ReceiverTypes(self)
        for target, call, site, on_loop in self._assigned:
            if self.starts_task(call, site, on_loop, types) and self.unused(target) and not self._sees_errors(call, site):
                self.report(target, variable=target.value)

    def _sees_errors(self, call: cst.Call, site: Site) -> bool:
        """The task runs a coroutine function of this module that catches every error around its whole body
        (`except Exception:` or wider, not raising again): no error of the task can go unretrieved."""
        argument = call.args[0].value if call.args else None
        found = self.resolver.call(argument, site) if isinstance(argument, cst.Call) else None
        definition = _module_definition(self.ctx, found.name) if found is not None else None
        if definition is None:
            return False
        body = [s for s in definition.body.body if not _is_docstring(s)]
        if len(body) == 1 and isinstance(body[0], cst.While) and _always_true(body[0].test) and not body[0].orelse:
            body = list(body[0].body.body) if isinstance(body[0].body, cst.IndentedBlock) else []
        return len(body) == 1 and isinstance(body[0], cst.Try) and any(self._catches_all(h) for h in body[0].handlers)

    def _catches_all(self, handler: cst.ExceptHandler) -> bool:
        if _all_under(handler.body, cst.Raise) and not _only_in_nested_defs(handler.body):
            return False
        if handler.type is None:
            return True
        types = handler.type.elements if isinstance(handler.type, cst.Tuple) else None
        caught = [e.value for e in types] if types is not None else [handler.type]
        return any(resolve(self, t) in ("builtins.Exception", "builtins.BaseException") for t in caught)
