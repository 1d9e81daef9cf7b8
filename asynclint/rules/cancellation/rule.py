"""ASL4xx: errors and cancellation that async code loses."""

from __future__ import annotations

from typing import Callable

import libcst as cst
from libcst.metadata import Assignment, FunctionScope, ScopeProvider

from asynclint.analysis import names as _names
from asynclint.analysis.cst.context import FileContext, dotted, self_name
from asynclint.analysis.index.indexer import RAISES
from asynclint.core.diagnostic import FixSafety
from asynclint.rules._coroutines import CoroutineResolver
from asynclint.rules._flow import facts_of, final_name, names_in, suspends
from asynclint.rules._match import resolve
from asynclint.rules.base import Fix, Invalid, Rule, Valid
from asynclint.rules.cancellation.screen import (
    DiscardedGatherExceptionsScreen,
    SwallowedCancellationScreen,
)


def _reraises(handler: cst.ExceptHandler, raises: Callable[[cst.Call], bool]) -> bool:
    """A `raise` anywhere in the handler, a call to `.uncancel()`, or a call that raises on its behalf:
    `gen.throw(*sys.exc_info())` (the exception goes on inside the generator), or a call `raises` knows."""
    stack: list[cst.CSTNode] = [handler.body]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            continue
        if isinstance(node, cst.Raise):
            return True
        if isinstance(node, cst.Call):
            if isinstance(node.func, cst.Attribute) and node.func.attr.value in _HANDING_METHODS and (
                node.func.attr.value == "uncancel" or node.args
            ):
                return True
            if raises(node):
                return True
        stack.extend(node.children)
    return False


#: Methods that end a swallowed cancellation: `.uncancel()`, and `.throw(...)` / `.athrow(...)`,
#: which raise the exception inside a generator (or greenlet) that goes on with it.
_HANDING_METHODS = frozenset({"uncancel", "throw", "athrow"})


def _hands_on(handler: cst.ExceptHandler) -> bool:
    """`except BaseException as exc:` that does something with `exc` (stores, converts, re-raises it later)."""
    if handler.name is None or not isinstance(handler.name.name, cst.Name):
        return False
    bound = handler.name.name.value
    return any(name.value == bound for name in names_in(handler.body))


def _goes_on(function: cst.FunctionDef, target: cst.Try, handler: cst.ExceptHandler) -> bool:
    """Whether the task may await again after `handler` of `target` has swallowed its cancellation.

    True when the handler itself suspends, when the `try` is inside a loop of the function, or
    when a statement after it (in its block, or in an enclosing block) can suspend.
    """
    if suspends([handler.body]):
        return True
    path = _path_to(function.body, target)
    if path is None:
        return True  # not found: do not guess it is harmless
    for parent, child in zip(path, path[1:]):
        if isinstance(parent, (cst.For, cst.While)) and child is parent.body:
            return True
        if isinstance(parent, (cst.IndentedBlock, cst.Module)):
            after = list(parent.body)[list(parent.body).index(child) + 1 :]  # type: ignore[arg-type]
            if suspends(after):
                return True
    return False


def _runs_after(function: cst.FunctionDef, target: cst.Try) -> bool:
    """Whether code runs after `target` on the way out of the function (a lone `return` of a name or
    a constant aside): a re-raise at the end of its handler would skip that code."""
    path = _path_to(function.body, target)
    if path is None:
        return True
    for parent, child in reversed(list(zip(path, path[1:]))):
        if isinstance(parent, (cst.IndentedBlock, cst.Module)):
            after = list(parent.body)[list(parent.body).index(child) + 1 :]  # type: ignore[arg-type]
            if after:
                return not _only_returns(after[0])
    return False


def _only_returns(statement: cst.CSTNode) -> bool:
    """`return`, `return x`, `return None`: nothing runs there."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    small = statement.body[0]
    return isinstance(small, cst.Return) and (
        small.value is None or isinstance(small.value, (cst.Name, cst.Attribute, cst.BaseNumber, cst.BaseString))
    )


def _path_to(root: cst.CSTNode, target: cst.CSTNode) -> list[cst.CSTNode] | None:
    """The nodes from `root` down to `target` (not into nested functions or classes)."""
    stack: list[tuple[cst.CSTNode, list[cst.CSTNode]]] = [(root, [root])]
    while stack:
        node, path = stack.pop()
        if node is target:
            return path
        for child in node.children:
            if not isinstance(child, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                stack.append((child, [*path, child]))
    return None


def _awaited_names(body: cst.BaseSuite) -> set[str]:
    """`t` and `self.task` for `await t` / `await self.task` in a try body."""
    return {dotted(a.expression) for a in facts_of([body]).awaits} - {""}


def _suspension_points(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The awaits, `async for` and `async with` of some code, outside nested scopes and outside
    `with ...(shield=True):` (a trio or anyio cancel scope that outer cancellation cannot reach)."""
    found: list[cst.CSTNode] = []
    stack: list[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            continue
        if isinstance(current, cst.With) and current.asynchronous is None and any(_shields(i.item) for i in current.items):
            continue
        if isinstance(current, cst.Await) or (isinstance(current, (cst.For, cst.With)) and current.asynchronous is not None):
            found.append(current)
        stack.extend(current.children)
    return found


def _shields(item: cst.BaseExpression) -> bool:
    """`CancelScope(shield=True)`, `move_on_after(5, shield=True)`."""
    return isinstance(item, cst.Call) and any(
        a.keyword is not None and a.keyword.value == "shield" and isinstance(a.value, cst.Name) and a.value.value == "True"
        for a in item.args
    )


def _waits_forever(call: cst.Call) -> bool:
    """`sleep_forever()`, `sleep(math.inf)`, `sleep(float("inf"))`."""
    name = final_name(call.func)
    if name in _names.FOREVER_CALLS:
        return True
    if name != "sleep" or len(call.args) != 1:
        return False
    value = call.args[0].value
    if isinstance(value, cst.Attribute):
        return value.attr.value == "inf"
    return (
        isinstance(value, cst.Call)
        and final_name(value.func) == "float"
        and len(value.args) == 1
        and isinstance(value.args[0].value, cst.SimpleString)
        and value.args[0].value.evaluated_value in ("inf", "infinity")
    )


def _cancelled_attributes(cls: cst.ClassDef) -> set[str]:
    """`x` for every `self.x.cancel()` in the methods of a class (`self`: each method's first parameter)."""
    found: set[str] = set()
    methods = [m for m in cls.body.body if isinstance(m, cst.FunctionDef)]
    for method in methods:
        receiver = self_name(method)
        if receiver is None:
            continue
        stack: list[cst.CSTNode] = [method.body]
        while stack:
            node = stack.pop()
            if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "cancel":
                target = node.func.value
                if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and target.value.value == receiver:
                    found.add(target.attr.value)
            stack.extend(node.children)
    return found


class SwallowedCancellation(SwallowedCancellationScreen, Rule):
    """Checks for `except` clauses in async code that catch cancellation and do not re-raise it.

    Fires on `except asyncio.CancelledError`, `except BaseException` and bare `except:` (also
    inside a tuple) in async code, when the `try` body can be cancelled (it has an `await`, an
    `async for` or an `async with`), and the handler has no `raise`, no `.uncancel()` call, no
    call that raises for it (`gen.throw(*sys.exc_info())`, `pytest.fail(...)`, a function of
    the project that always raises) and does nothing with the exception it binds (`except
    BaseException as exc: errors.append(exc)` hands it on). A handler that lets the function
    end quietly (`pass`, `return False`, `break` out of the loop) is reported as well as one
    after which the task goes on.

    Left alone, because the cancellation caught there is not (or not only) the task's own:
    the cancel-then-reap idiom, a `try` that awaits a task the same function cancelled
    (`task.cancel()`, then `try: await task` / `except CancelledError: pass`, also split
    across methods: `await self._task` where a method of the class calls
    `self._task.cancel()`), and a `try` that only awaits such tasks, `asyncio.shield(...)`
    (the asyncio docs' way to ignore cancellation on purpose), or a sleep that never ends
    (`await sleep(math.inf)`: cancellation is how it ends). Code inside a trio
    or anyio `with CancelScope(shield=True):` cannot be cancelled from outside. With trio and
    anyio, whose cancellation is delivered again at the next checkpoint, a handler is reported
    only when the task goes on: the `try` is in a loop, or the handler or code after it awaits.

    ## Why is this bad?
    Cancellation is how `asyncio.timeout()`, `TaskGroup`, `wait_for()` and shutdown stop a
    task: a `CancelledError` delivered at an `await`. The asyncio docs say it must be
    re-raised "in almost all situations". A handler that swallows it makes the function
    return normally or carry on: a timeout no longer raises `TimeoutError`, a task group's
    sibling keeps running, and whoever awaits the task sees a normal result instead of the
    cancellation, so the program cannot shut down cleanly.

    ## Fix safety
    The fix appends `raise` to the handler (or turns a lone `pass` into `raise`), so the
    cancellation propagates after the handler's clean-up. It is unsafe: for `except
    BaseException` or a bare `except:` every other exception now propagates too (no fix
    is offered for a tuple that names other exceptions beside the cancellation). It is
    offered only when nothing but a `return` follows the `try` on the way out of the
    function: code after the `try` (a flush, a check of a flag the handler set) would no
    longer run, so there the message says to re-raise once that code has run, and no edit is
    made. No fix is offered either when the handler ends in `return`, `break` or `continue`.
    """

    code = "ASL401"
    name = "swallowed-cancellation"
    message = "this handler catches `{caught}` and does not re-raise it: {outcome}"
    fix_title = "Re-raise with `raise` at the end of the handler"
    fix_safety = FixSafety.UNSAFE
    METADATA_DEPENDENCIES = (ScopeProvider,)

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        #: Per function: receivers of `.cancel()` calls (`task`, `self._task`).
        self._cancelled: dict[cst.FunctionDef, set[str]] = {}
        #: Per class, when first asked: the attributes its methods cancel (`self._task.cancel()`).
        self._class_cancels: dict[cst.ClassDef, set[str]] = {}

    def visit_Call(self, node: cst.Call) -> None:
        function = self.ctx.tracker.current_function()
        if function is not None and isinstance(node.func, cst.Attribute) and node.func.attr.value == "cancel":
            self._cancelled.setdefault(function, set()).add(dotted(node.func.value))

    def leave_Try(self, original_node: cst.Try) -> None:
        # On leaving, every `.cancel()` of the function seen so far is known (the idiom cancels before the try).
        if not self.ctx.in_async_code() or not suspends([original_node.body]):
            return
        function = self.ctx.tracker.current_function()
        if function is None:
            return
        reaped = _awaited_names(original_node.body) & self._cancelled.get(function, set())
        not_own: bool | None = None
        for handler in original_node.handlers:
            caught = self._caught(handler)
            if caught is None or _reraises(handler, self._raises) or _hands_on(handler):
                continue
            if caught != "BaseException" and reaped:
                continue  # cancelling a task, then awaiting it to let it finish: the idiom
            if not_own is None:
                not_own = self._not_own_cancellation(original_node.body)
            if not_own:
                return
            goes_on = _goes_on(function, original_node, handler)
            redelivered = self._redelivered(caught)
            if redelivered and not goes_on:
                continue
            runs_after = _runs_after(function, original_node)
            outcome = self._outcome(function, goes_on, runs_after, redelivered)
            fix = None if runs_after or self._catches_more(handler) else self._fix(handler)
            self.report(handler, fix, caught=caught, outcome=outcome)

    def _raises(self, call: cst.Call) -> bool:
        """Whether `call` always raises: `pytest.fail(...)`, or a function (or `self.` method) of the project that does."""
        project = self.ctx.project
        func = call.func
        cls, method = self.ctx.tracker.current_class(), self.ctx.tracker.current_method()
        if (
            isinstance(func, cst.Attribute)
            and isinstance(func.value, cst.Name)
            and cls is not None
            and method is not None
            and func.value.value == self_name(method)
        ):
            return project.method_kind(f"{self.ctx.module_name}.{cls.name.value}", func.attr.value) == RAISES
        if resolve(self, func) in _names.RAISING_CALLS:
            return True
        names = CoroutineResolver(self).names(func)
        return bool(names) and all(project.kind(name) == RAISES for name in names)

    def _not_own_cancellation(self, body: cst.BaseSuite) -> bool:
        """Whether every point where the `try` body can be cancelled catches a cancellation that is not
        (or not only) the task's own, or one it ignores on purpose: awaiting an existing task or
        future, `asyncio.shield(...)`, a sleep that never ends. Shielded code cannot be cancelled."""
        for point in _suspension_points(body):
            if not isinstance(point, cst.Await):
                return False
            awaited = point.expression
            if isinstance(awaited, cst.Attribute) and self._cancelled_by_class(awaited):
                continue  # `await self._task`, which a method of the class cancels: its cancellation, or ours
            if not isinstance(awaited, cst.Call):
                return False
            if resolve(self, awaited.func) in _names.SHIELD or _waits_forever(awaited):
                continue
            return False
        return True

    def _cancelled_by_class(self, awaited: cst.Attribute) -> bool:
        """Whether `awaited` is `self.x` and some method of the class calls `self.x.cancel()`."""
        cls, method = self.ctx.tracker.current_class(), self.ctx.tracker.current_method()
        if cls is None or method is None or not isinstance(awaited.value, cst.Name):
            return False
        if awaited.value.value != self_name(method):
            return False
        if cls not in self._class_cancels:
            self._class_cancels[cls] = _cancelled_attributes(cls)
        return awaited.attr.value in self._class_cancels[cls]

    def _redelivered(self, caught: str) -> bool:
        """Whether the cancellation caught is delivered again at the next checkpoint (trio, anyio)."""
        return caught == "trio.Cancelled" or (caught == "BaseException" and self.ctx.library in ("trio", "anyio"))

    @staticmethod
    def _outcome(function: cst.FunctionDef, goes_on: bool, runs_after: bool, redelivered: bool) -> str:
        """What the caller sees, and where the re-raise goes when the fix cannot put it there."""
        name = function.name.value
        if redelivered:  # (then it goes on: nothing else is reported)
            seen = f"a cancelled `{name}()` carries on, running code its cancel scope was meant to stop"
        elif goes_on:
            seen = f"a cancelled `{name}()` carries on, and its caller (`timeout()`, `wait_for()`, a task group) never sees the cancellation"
        else:
            seen = f"a cancelled `{name}()` returns normally, so its caller (`timeout()`, `wait_for()`, a task group) sees no cancellation"
        return f"{seen}; re-raise it once the code after the `try` has run" if runs_after else seen

    def _catches_more(self, handler: cst.ExceptHandler) -> bool:
        """`except (OSError, CancelledError):`: a `raise` there would re-raise the other exceptions too."""
        if not isinstance(handler.type, cst.Tuple):
            return False
        return any(resolve(self, e.value) not in _names.CANCELLATION for e in handler.type.elements)

    def _caught(self, handler: cst.ExceptHandler) -> str | None:
        """How to name the cancellation the handler catches, or None."""
        if handler.type is None:
            return "BaseException"  # a bare `except:`
        types = [e.value for e in handler.type.elements] if isinstance(handler.type, cst.Tuple) else [handler.type]
        for expr in types:
            qualified = resolve(self, expr)
            if qualified in _names.CANCELLATION:
                return qualified.rsplit(".", 1)[-1] if qualified.startswith("builtins.") else qualified.replace(
                    "asyncio.exceptions.", "asyncio."
                )
        return None

    def _fix(self, handler: cst.ExceptHandler) -> Fix | None:
        body = handler.body
        statements = list(body.body)
        last = statements[-1]
        smalls = last.body if isinstance(last, cst.SimpleStatementLine) else [last]
        if isinstance(body, cst.SimpleStatementSuite):
            smalls = statements
        if len(statements) == 1 and len(smalls) == 1 and isinstance(smalls[0], cst.Pass):
            if isinstance(body, cst.SimpleStatementSuite):
                return Fix(body, body.with_changes(body=[cst.Raise()]))
            assert isinstance(last, cst.SimpleStatementLine)
            return Fix(body, body.with_changes(body=[last.with_changes(body=[cst.Raise()])]))
        if isinstance(smalls[-1], (cst.Return, cst.Break, cst.Continue)):
            return None
        if isinstance(body, cst.SimpleStatementSuite):
            return Fix(body, body.with_changes(body=[*statements, cst.Raise()]))
        return Fix(body, body.with_changes(body=[*statements, cst.SimpleStatementLine([cst.Raise()])]))

    VALID = (
        Valid("import asyncio\n\nasync def worker(job):\n    try:\n        await job()\n    except asyncio.CancelledError:\n        await cleanup()\n        raise\n"),
        Valid(
            "import asyncio\n\nasync def stop(task):\n    task.cancel()\n    try:\n        await task\n"
            "    except asyncio.CancelledError:\n        pass\n"
        ),
        Valid("async def parse(text):\n    try:\n        return int(text)\n    except:\n        return None\n"),
        Valid("import asyncio\n\nasync def run(job):\n    try:\n        await job()\n    except Exception:\n        log()\n"),
        Valid(
            "import asyncio\nimport pytest\n\nasync def test_not_cancelled(job):\n    try:\n        await job()\n"
            "    except asyncio.CancelledError:\n        pytest.fail('cancelled')\n"
        ),
    )
    INVALID = (
        Invalid(
            "import asyncio\n\n\nasync def worker(queue):\n    while True:\n        try:\n            await queue.get()\n"
            "        except asyncio.CancelledError:\n            print('stopping')\n",
            line=8,
            fixed=(
                "import asyncio\n\n\nasync def worker(queue):\n    while True:\n        try:\n            await queue.get()\n"
                "        except asyncio.CancelledError:\n            print('stopping')\n            raise\n"
            ),
        ),
        Invalid(
            "import asyncio\n\nasync def serve(app):\n    try:\n        await app()\n    except asyncio.CancelledError:\n        return False\n"
            "    return True\n",
            line=6,
            message=(
                "this handler catches `asyncio.CancelledError` and does not re-raise it: a cancelled `serve()` returns normally, "
                "so its caller (`timeout()`, `wait_for()`, a task group) sees no cancellation"
            ),
        ),
        Invalid(
            "import asyncio\n\nasync def render(stream, out):\n    try:\n        async for chunk in stream:\n            out.add(chunk)\n"
            "    except asyncio.CancelledError:\n        pass\n    out.flush()\n",
            line=7,
            message=(
                "this handler catches `asyncio.CancelledError` and does not re-raise it: a cancelled `render()` returns normally, "
                "so its caller (`timeout()`, `wait_for()`, a task group) sees no cancellation; re-raise it once the code after "
                "the `try` has run"
            ),
        ),
    )


def _starts_work_call(value: cst.BaseExpression) -> bool:
    """A call that starts work, not a clean-up (`close()`, `stop()`...), also inside a task factory."""
    if not isinstance(value, cst.Call):
        return False  # tasks or futures already running: waiting for them, whatever happens, is the point
    name = final_name(value.func)
    if _names.wraps_in_task(name) and value.args and isinstance(value.args[0].value, cst.Call):
        return _starts_work_call(value.args[0].value)  # `create_task(conn.close())` is a clean-up too
    return not _names.is_cleanup(name)


def _starts_work(value: cst.BaseExpression, star: bool) -> bool:
    """A gathered argument (or what a starred name holds) that starts work: a call, or a
    comprehension, literal list or `map` of calls, not a clean-up."""
    if isinstance(value, (cst.GeneratorExp, cst.ListComp)):
        return _starts_work_call(value.elt)
    if star and isinstance(value, (cst.List, cst.Tuple)):
        return any(_starts_work_call(element.value) for element in value.elements)
    if isinstance(value, cst.Call) and star and isinstance(value.func, cst.Name) and value.func.value == "map":
        return bool(value.args) and not _names.is_cleanup(final_name(value.args[0].value))
    return _starts_work_call(value)


class DiscardedGatherExceptions(DiscardedGatherExceptionsScreen, Rule):
    """Checks for `await asyncio.gather(..., return_exceptions=True)` whose result is dropped.

    Fires when the awaited gather is a statement of its own, or is assigned to `_` or to a
    local variable that is never read, and it starts work there: it gathers calls (directly,
    or a comprehension or `map` of them, or `*coros` where the function binds `coros` once to
    a list or a comprehension of calls: freshly made observers, emits, notifications). Left
    alone: gathering tasks or futures that are already running, gathering clean-up calls
    (`close()`, `join()`, `cancel()`, ..., also wrapped in `create_task()`, `ensure_future()`
    or an eager-task factory), and any gather in a function that cancels something: waiting
    for everything to finish whatever happens is the point there.

    ## Why is this bad?
    With `return_exceptions=True`, `gather()` returns the exceptions among the results
    instead of raising them. Nothing looks at the results, so every failure vanishes without
    a trace: the code carries on as if all the coroutines had succeeded.
    """

    code = "ASL402"
    name = "discarded-gather-exceptions"
    message = "`gather(..., return_exceptions=True)` returns the exceptions, and its result is dropped: failures vanish"
    METADATA_DEPENDENCIES = (ScopeProvider,)

    def visit_Expr(self, node: cst.Expr) -> None:
        if self._returns_exceptions(node.value):
            assert isinstance(node.value, cst.Await)
            self._note(node.value)

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) != 1 or not isinstance(node.targets[0].target, cst.Name):
            return
        if not self._returns_exceptions(node.value):
            return
        target = node.targets[0].target
        if target.value == "_" or self._never_read(target):
            assert isinstance(node.value, cst.Await)
            self._note(node.value)

    def _never_read(self, name: cst.Name) -> bool:
        scope = self.get_metadata(ScopeProvider, name, None)
        if not isinstance(scope, FunctionScope):
            return False
        return not any(access for access in scope.accesses[name.value]) and all(
            not assignment.references for assignment in scope[name.value]
        )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        #: Functions that cancel something: their gathers reap cancelled tasks.
        self._cancelling: set[cst.FunctionDef] = set()
        self._candidates: list[tuple[cst.Await, cst.FunctionDef | None]] = []

    def visit_Call(self, node: cst.Call) -> None:
        function = self.ctx.tracker.current_function()
        if function is not None and isinstance(node.func, cst.Attribute) and node.func.attr.value == "cancel":
            self._cancelling.add(function)

    def finish(self) -> None:
        for value, function in self._candidates:
            if function not in self._cancelling:
                self.report(value)

    def _note(self, value: cst.Await) -> None:
        self._candidates.append((value, self.ctx.tracker.current_function()))

    def _returns_exceptions(self, value: cst.BaseExpression) -> bool:
        """`await gather(work..., return_exceptions=True)` starting work here (not waiting on tasks, not closing)."""
        if not self.ctx.in_async_code() or not isinstance(value, cst.Await) or not isinstance(value.expression, cst.Call):
            return False
        call = value.expression
        if resolve(self, call.func) not in _names.GATHER:
            return False
        if not any(
            arg.keyword is not None
            and arg.keyword.value == "return_exceptions"
            and isinstance(arg.value, cst.Name)
            and arg.value.value == "True"
            for arg in call.args
        ):
            return False
        return any(self._starts_work(arg) for arg in call.args if arg.keyword is None)

    def _starts_work(self, arg: cst.Arg) -> bool:
        """`_starts_work`, where `*coros` is a local name bound once to freshly made coroutines."""
        value = arg.value
        if arg.star == "*" and isinstance(value, cst.Name):
            bound = self._bound_once(value)  # (`tasks = list(running)` holds what runs already)
            return isinstance(bound, (cst.GeneratorExp, cst.ListComp, cst.List, cst.Tuple)) and _starts_work(bound, star=True)
        return _starts_work(value, star=bool(arg.star))

    def _bound_once(self, name: cst.Name) -> cst.BaseExpression | None:
        """What a function's local name is bound to, when it is bound once, by a plain assignment."""
        scope = self.get_metadata(ScopeProvider, name, None)
        if not isinstance(scope, FunctionScope):
            return None
        assignments = list(scope[name.value])
        if len(assignments) != 1 or not isinstance(assignments[0], Assignment):
            return None
        node = assignments[0].node
        return self.ctx.tracker.values.get(node) if isinstance(node, cst.Name) else None

    VALID = (
        Valid(
            "import asyncio\n\nasync def main(jobs):\n    results = await asyncio.gather(*jobs, return_exceptions=True)\n"
            "    for r in results:\n        if isinstance(r, Exception):\n            log(r)\n"
        ),
        Valid("import asyncio\n\nasync def main(jobs):\n    await asyncio.gather(*jobs)\n"),
        Valid(
            "import asyncio\n\nasync def stop(tasks):\n    for t in tasks:\n        t.cancel()\n"
            "    await asyncio.gather(*tasks, return_exceptions=True)\n"
        ),
    )
    INVALID = (
        Invalid(
            "import asyncio\n\nasync def main(jobs):\n    await asyncio.gather(*(run(j) for j in jobs), return_exceptions=True)\n",
            line=4,
            use_instead=(
                "import asyncio\n\nasync def main(jobs):\n"
                "    results = await asyncio.gather(*(run(j) for j in jobs), return_exceptions=True)\n"
                "    for error in results:\n        if isinstance(error, Exception):\n            log(error)\n"
            ),
        ),
    )
