"""Every rule's screen: what its class tells the engine before libcst reads a file.

A rule's class has its screen as first base (`class BlockingSleep(BlockingSleepScreen,
BlockingCallRule)`), so the rule and its screen are one class to the registry and the tests;
the engine, which screens with these alone, loads libcst and the rules only for a file where
some rule may fire. Nothing here may import libcst. See `asynclint.screen` for the protocol.
"""

from __future__ import annotations

from typing import Any, ClassVar, Mapping

from asynclint.engine import facts as positions
from asynclint.engine.facts import COMPREHENSION, Callee, FileFacts
from asynclint.engine.project import ASYNC, ProjectIndex
from asynclint.options import BlockingCallOptions, CoroutineOptions
from asynclint.rules import _names
from asynclint.screen import Screen

# --- ASL1xx: blocking calls ---------------------------------------------------------------------


def typable(callee: Callee, methods: Mapping[str, frozenset[str]], facts: FileFacts, project: ProjectIndex) -> bool:
    """Whether the receiver of `callee.attr` may have a type of `methods` that has a method of that name: one
    a constructor the file calls makes (`ReceiverTypes`), or one some annotation declares (`classes_of`)."""
    if callee.typable and _names.may_be_typed(callee.attr, methods, facts.called_names):
        return True
    # A parameter annotated with it, or an attribute some class declares as it (`ReceiverTypes.declared_tag`).
    declared = callee.declared | project.declared_members().get(callee.before, frozenset()) if callee.before else callee.declared
    return bool(declared) and _names.may_be_typed(callee.attr, methods, declared)


class BlockingScreen(Screen):
    """A call, in async code, to a known blocking function or receiver method."""

    requires_async_def = True
    uses_project_index = True  # a receiver's type may be declared in another module (`ReceiverTypes.classes_of`)
    #: Qualified names of functions that block.
    calls: ClassVar[frozenset[str]] = frozenset()
    #: Receiver type tag -> names of its methods that block.
    methods: ClassVar[Mapping[str, frozenset[str]]] = {}

    @classmethod
    def calls_for(cls, options: Mapping[type, Any]) -> frozenset[str]:
        """The qualified names this rule reports under these rule options (they may add to them)."""
        return cls.calls

    @classmethod
    def screen(cls, facts: FileFacts, project: ProjectIndex, options: Mapping[type, Any]) -> set[int] | None:
        # A call in async code that may resolve to a blocking function, or a blocking method's name
        # where a receiver can have a known type (every known type starts at a constructor call).
        calls = cls.calls_for(options)
        return {
            b
            for c, b in facts.async_calls
            if not c.names.isdisjoint(calls)
            or (c.attr and typable(c, cls.methods, facts, project))
        }


class BlockingSleepScreen(BlockingScreen):
    calls = _names.SLEEP_CALLS
    #: Its fix is safe where the project's async library is known (`_names.project_library`).
    uses_project_index = True
    triggers = ("sleep",)  # `time.sleep`, however imported, is spelled in the file


class BlockingHttpScreen(BlockingScreen):
    calls = _names.HTTP_CALLS
    methods = _names.HTTP_METHODS


class BlockingSubprocessScreen(BlockingScreen):
    calls = _names.SUBPROCESS_CALLS
    methods = _names.SUBPROCESS_METHODS


class BlockingFileIoScreen(BlockingScreen):
    calls = _names.FILE_CALLS
    methods = _names.PATH_METHODS


class BlockingCallScreen(BlockingScreen):
    calls = _names.BLOCKING_CALLS
    methods = _names.BLOCKING_METHODS

    @classmethod
    def calls_for(cls, options: Mapping[type, Any]) -> frozenset[str]:
        configured = options.get(BlockingCallOptions)
        extra = configured.blocking_calls if configured is not None else ()
        return cls.calls | frozenset(extra) if extra else cls.calls


class NestedEventLoopScreen(BlockingScreen):
    calls = _names.LOOP_RUNNERS
    methods = _names.LOOP_METHODS


# --- ASL2xx: coroutines and tasks ---------------------------------------------------------------


class CoroutineScreen(Screen):
    """Every finding involves a callee that may resolve to a coroutine function (or a task factory)."""

    uses_project_index = True
    #: Where the rule looks for coroutine callees (positions of `asynclint.engine.facts`).
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
        return {b for p in cls.positions for c, b in facts.sites(p) if cls.screen_callee(c, facts, project, options)}

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


def may_be_coroutine(callee: Callee, facts: FileFacts, project: ProjectIndex, options: Mapping[type, Any]) -> bool:
    """The pre-screen's side of `CoroutineResolver.reference`: False only when `callee` cannot resolve to one."""
    configured = options.get(CoroutineOptions)
    if configured is not None and configured.coroutine_functions:
        return True  # globs match qualified names the screen does not compute
    if callee.owner and project.method_kind(callee.owner, callee.attr) == ASYNC:
        return True  # `self.method`, `super().method`
    if callee.attr and any(project.method_kind(declared, callee.attr) == ASYNC for declared in callee.declared):
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
        if (name.rpartition(".")[2] in coroutine_names or project.in_library(name)) and project.kind(name) == ASYNC:
            return True
    return False


#: The last file's (facts, the `async def` method names of the classes it calls): asked per callee.
_constructed: list[tuple[FileFacts, ProjectIndex, frozenset[str]]] = []


def _constructed_async_methods(facts: FileFacts, project: ProjectIndex) -> frozenset[str]:
    """The names of the `async def` methods (bases too) of the project classes a file calls (constructs)."""
    if _constructed and _constructed[0][0] is facts and _constructed[0][1] is project:
        return _constructed[0][2]
    from asynclint.engine.declared import declared_async_methods

    found = declared_async_methods(project, facts.called_names)
    _constructed[:] = [(facts, project, found)]
    return found


def _declared_receiver(callee: Callee, facts: FileFacts, project: ProjectIndex) -> bool:
    """Whether `callee.attr` may be an `async def` of a declared receiver: a method of a class that some
    module declares a type as (an attribute, a return, a module name), or of one the file calls (a constructor)."""
    if callee.attr not in project.declared_async_methods():
        return callee.attr in _constructed_async_methods(facts, project)
    # `a.b.m()`: `b` declared as a class whose `m` is async; `bot.m()`: a module name declared so.
    name = callee.before or (callee.root if not callee.typable else "")
    return any(project.method_kind(cls, callee.attr) == ASYNC for cls in project.declared_members().get(name, ()))


class UnawaitedCoroutineScreen(CoroutineScreen):
    positions = (positions.STATEMENT,)

    @classmethod
    def screen_callee(cls, callee: Callee, facts: FileFacts, project: ProjectIndex, options: Mapping[type, Any]) -> bool:
        # A coroutine function's call, or `asyncio.gather(...)` whose future is dropped.
        return not callee.names.isdisjoint(_names.GATHER) or may_be_coroutine(callee, facts, project, options)


class UnusedCoroutineObjectScreen(CoroutineScreen):
    positions = (positions.ASSIGNED,)


class UnscheduledCoroutinesScreen(CoroutineScreen):
    positions = (positions.COLLECTED,)


class CoroutineInConditionScreen(CoroutineScreen):
    positions = (positions.CONDITION,)


class AsyncCallbackInSyncApiScreen(CoroutineScreen):
    positions = (positions.CALLBACK,)


class DanglingTaskScreen(CoroutineScreen):
    screens_tasks = True
    positions = (positions.STATEMENT,)


class RunNeedsCoroutineScreen(CoroutineScreen):
    positions = (positions.RUN_ARGUMENT,)

    @classmethod
    def screen_callee(cls, callee: Callee, facts: FileFacts, project: ProjectIndex, options: Mapping[type, Any]) -> bool:
        # `asyncio.run(gather(...))`, or `asyncio.run(main)` with `main` a coroutine function.
        return not callee.names.isdisjoint(_names.NOT_COROUTINES) or may_be_coroutine(callee, facts, project, options)


class TaskNeverAwaitedScreen(CoroutineScreen):
    screens_tasks = True
    positions = (positions.ASSIGNED,)

    @classmethod
    def screen(cls, facts: FileFacts, project: ProjectIndex, options: Mapping[type, Any]) -> set[int] | None:
        # The rule reads the body of the task's coroutine function (does it catch every error?), which
        # may stand in any block: a file with a candidate is read whole (such files are rare).
        found = super().screen(facts, project, options)
        return None if found else found


# --- ASL3xx: concurrency ------------------------------------------------------------------------


class ConcurrencyScreen(Screen):
    requires_async_def = True


class AwaitInLoopScreen(ConcurrencyScreen):
    uses_project_index = True  # an awaited project `async def` that never awaits is no finding

    @classmethod
    def screen(cls, facts: FileFacts, project: ProjectIndex, options: Mapping[type, Any]) -> set[int] | None:
        # A loop's await calls a function (a module's; in a comprehension, an item's method too),
        # not a loop variable, and nothing in the body is ordered by name; the loop variables do
        # not hold code, and no argument is computed by a method of an object outside the loop.
        blocks = set()
        modules = facts.module_names
        for loop in facts.loop_awaits:
            callee = loop.callee
            if callee.final in _names.NOT_SEQUENTIAL or any(_names.is_ordering_call(name) for name in loop.callees | {callee.final}):
                continue
            if callee.attr:
                if loop.receiver not in modules and not (loop.kind == COMPREHENSION and loop.receiver in loop.bound):
                    continue  # a method of an object
            elif not callee.root or callee.root in loop.targets:
                continue  # `await handlers[kind](e)`, `for hook in hooks: await hook()`
            if loop.receivers - loop.bound - modules:
                continue  # `await f(x, self.session.get(x))`
            if any(_names.looks_like_callback(name) for name in loop.targets):
                continue
            blocks.add(loop.block)
        return blocks


class SequentialAwaitsScreen(ConcurrencyScreen):
    uses_project_index = True  # an awaited project `async def` that never awaits is no finding

    @classmethod
    def screen(cls, facts: FileFacts, project: ProjectIndex, options: Mapping[type, Any]) -> set[int] | None:
        return {block for a, b, block in facts.awaited_pairs if _names.may_run_together(a) and _names.may_run_together(b)}


class UnboundedGatherScreen(ConcurrencyScreen):
    requires_async_def = False
    triggers = ("gather",)
    uses_project_index = True  # a gathered project `async def` that never awaits is no finding


# --- ASL4xx: cancellation and errors ------------------------------------------------------------


class SwallowedCancellationScreen(Screen):
    requires_async_def = True
    uses_project_index = True  # a handler may call a project function that always raises

    @classmethod
    def screen(cls, facts: FileFacts, project: ProjectIndex, options: Mapping[type, Any]) -> set[int] | None:
        found = {block for types, block in facts.handlers if types is None or not types.isdisjoint(_names.CANCELLATION)}
        # A handler's method needs the methods of its class that cancel a task (`self._task.cancel()`).
        classes = {facts.blocks[b].parent for b in found if b in facts.blocks} - {positions.MODULE}
        return found | {b for b in facts.cancelling if b in facts.blocks and facts.blocks[b].parent in classes}


class DiscardedGatherExceptionsScreen(Screen):
    requires_async_def = True
    triggers = ("return_exceptions",)

    @classmethod
    def screen(cls, facts: FileFacts, project: ProjectIndex, options: Mapping[type, Any]) -> set[int] | None:
        # Gathers whose result is dropped (or may be), that start work, outside cancelling functions.
        return {
            block
            for callee, started, block in facts.gathers
            if not callee.names.isdisjoint(_names.GATHER)
            and any(name is not None and not _names.is_cleanup(name) for name in started)
        }


# --- ASL5xx: event loops and locks --------------------------------------------------------------


class LegacyRunLoopScreen(Screen):
    triggers = ("run_until_complete",)

    @classmethod
    def screen(cls, facts: FileFacts, project: ProjectIndex, options: Mapping[type, Any]) -> set[int] | None:
        # The block of each run, and every block mentioning its loop's name: the binding, and
        # each other use (set_event_loop, close) that decides the rule, may stand anywhere.
        found: set[int] = set()
        for name, block in facts.loop_runs:
            found.add(block)
            found |= facts.mentions.get(name, set()) if name else set()
        return found


class GetEventLoopInCoroutineScreen(Screen):
    requires_async_def = True
    triggers = ("get_event_loop",)

    @classmethod
    def screen(cls, facts: FileFacts, project: ProjectIndex, options: Mapping[type, Any]) -> set[int] | None:
        return {block for callee, block in facts.async_calls if not callee.names.isdisjoint(_names.GET_EVENT_LOOP)}


class ThreadLockAcrossAwaitScreen(Screen):
    requires_async_def = True
    triggers = ("Lock",)  # `threading.Lock` / `RLock`, however imported, is spelled in the file

    @classmethod
    def screen(cls, facts: FileFacts, project: ProjectIndex, options: Mapping[type, Any]) -> set[int] | None:
        # A `with` across an await, and a thread lock made somewhere in the file. The whole file is
        # read then: a class attribute's lock may be rebound by a subclass anywhere in it.
        locks = _names.constructors_of(frozenset({_names.THREAD_LOCK}))
        return None if facts.with_across_await and not facts.called_names.isdisjoint(locks) else set()
