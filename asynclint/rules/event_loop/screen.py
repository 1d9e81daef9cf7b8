"""The screens of the event-loop rules (ASL5xx), and the probes of the `ast` walk they read.

`LoopRuns` finds ASL501's candidates (`loop.run_until_complete(...)` in sync code, and every
block that mentions the loop), `WithAcrossAwait` ASL503's (a sync `with` whose body can
suspend). They are the `ast` side of the conditions the rules check on libcst trees
(`rule.py` beside this module): change both in one diff. Nothing here may import libcst (see
`asynclint.rules.screen`).
"""

from __future__ import annotations

import ast
from typing import Any, Mapping, NamedTuple

from asynclint.analysis import names as _names
from asynclint.analysis.astwalk import (
    MODULE,
    Block,
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
from asynclint.analysis.index import declared
from asynclint.analysis.index.model import ProjectIndex
from asynclint.rules.screen import Screen


class LoopRunFacts(NamedTuple):
    """ASL501's facts of a file."""

    #: `X.run_until_complete(call())` in sync code: X's name ("" when X is a call or a variable
    #: of the function around the call), block.
    runs: set[tuple[str, int]]
    #: Each name in `runs` -> every block that mentions it (binds, reads or deletes).
    mentions: dict[str, set[int]]


class LoopRuns(Probe):
    """ASL501: the loops run to completion in sync code, and where their names are mentioned."""

    def __init__(self, walk: Any) -> None:
        super().__init__(walk)
        self.runs: set[tuple[str, int]] = set()

    @notes_calls("run_until_complete")
    def call(self, node: ast.Call) -> None:
        walk = self.walk
        if walk.in_async or len(node.args) != 1:
            return
        receiver = node.func.value if isinstance(node.func, ast.Attribute) else None
        if isinstance(receiver, ast.Name) and isinstance(node.args[0], ast.Call):
            # A loop local to the function is bound and used there only: no other block is needed.
            function = walk.function_node
            if function is None or not _binds(function, receiver.id):
                self.runs.add((receiver.id, walk.block))
            elif _only_runs_once(function, receiver.id):  # (else the rule stays silent)
                self.runs.add(("", walk.block))
        elif isinstance(receiver, ast.Call) and isinstance(node.args[0], ast.Call):
            self.runs.add(("", walk.block))

    def finish(self, resolve: Resolve) -> LoopRunFacts:
        named = {name for name, _ in self.runs if name}
        mentions = _mentions(self.walk.tree, named, self.walk.blocks) if named else {}
        return LoopRunFacts(self.runs, mentions)


def _mentions(tree: ast.Module, names: set[str], blocks: dict[int, Block]) -> dict[str, set[int]]:
    """Name -> the blocks where it occurs: the innermost block whose lines hold it, or MODULE."""
    spans = sorted(((b.first, b.last, n) for n, b in blocks.items()), key=lambda s: s[1] - s[0])
    found: dict[str, set[int]] = {}
    for node in below([tree], ()):  # (every node: `ast.walk` without its generator per node)
        if isinstance(node, ast.Name) and node.id in names:
            line = node.lineno
            block = next((n for first, last, n in spans if first <= line <= last), MODULE)
            found.setdefault(node.id, set()).add(block)
    return found


def _only_runs_once(function: Function, name: str) -> bool:
    """False when the function's own code uses its loop `name` for more than ASL501 allows.

    The rule wants one `name.run_until_complete(...)`, and otherwise only `name.close()` and
    `set_event_loop(name)`: a second run or any other read of the name makes it silent.
    """
    allowed: set[int] = set()
    reads: list[ast.Name] = []
    runs = 0
    for node in own_code(function):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == name:
                if func.attr in ("run_until_complete", "close"):
                    runs += func.attr == "run_until_complete"
                    allowed.add(id(func.value))
            values = [*node.args, *(keyword.value for keyword in node.keywords)]
            if final_name(func) == "set_event_loop" and len(values) == 1 and isinstance(values[0], ast.Name):
                allowed.add(id(values[0]))
        elif isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load):
            reads.append(node)
    return runs <= 1 and all(id(read) in allowed for read in reads)


def _binds(function: Function, name: str) -> bool:
    """Whether `name` is certainly a local variable of the function (a parameter, or bound in its own code)."""
    args = function.args
    params = [*args.posonlyargs, *args.args, *args.kwonlyargs, *filter(None, (args.vararg, args.kwarg))]
    return any(p.arg == name for p in params) or uses(function, name, (ast.Store, ast.Del))


class WithAcrossAwait(Probe):
    """ASL503: the blocks with a (sync) `with` in async code whose body can suspend, and those
    `with`s' items that are a name or an attribute (`with lock:`, `with self._lock:`): what may be
    made a thread lock in the file, or declared one (an annotation in any module, or a parameter's)."""

    def __init__(self, walk: Any) -> None:
        super().__init__(walk)
        self.blocks: set[int] = set()
        #: (block, the item as spelled, its final name, the spellings of the classes of its parameter's
        #: annotation: `()` when it is no annotated parameter, None when the walk does not read the shape).
        self.items: list[tuple[int, Raw, str, tuple[tuple[str, tuple[str, ...]], ...] | None]] = []

    @notes(ast.With)
    def with_(self, node: ast.With) -> None:
        walk = self.walk
        if walk.in_async and suspends(node.body):
            self.blocks.add(walk.block)
            for item in node.items:
                expr = item.context_expr
                if isinstance(expr, ast.Attribute):
                    self.items.append((walk.block, walk.raw(expr), expr.attr, ()))
                elif isinstance(expr, ast.Name):
                    annotated = walk.annotated.get(expr.id) if _annotated(walk.function_node, expr.id) else ()
                    self.items.append((walk.block, walk.raw(expr), "", annotated))

    def finish(self, resolve: Resolve) -> WithFacts:
        items = [
            WithItem(block, resolve(raw).names, attr, None if spelled is None else _spelled_names(spelled, resolve))
            for block, raw, attr, spelled in self.items
        ]
        attrs = {item.attr for item in items if item.attr}
        return WithFacts(self.blocks, items, _class_bound(self.walk.tree, attrs) if attrs else frozenset())


class WithItem(NamedTuple):
    """A `with` item that is a name or an attribute, in a `with` across an await."""

    block: int
    #: What it may resolve to (an imported module-level name: `ProjectIndex.value_types`).
    names: frozenset[str]
    #: For an attribute, its name (what some class may declare it as); "" for a name.
    attr: str
    #: For a parameter of the function around, the classes its annotation may name (None: any).
    annotation: frozenset[str] | None


class WithFacts(NamedTuple):
    """ASL503's facts of a file (see `WithAcrossAwait`)."""

    blocks: set[int]
    items: list[WithItem]
    #: The items' attribute names some class body of the file assigns (`name = ...`): a class attribute's
    #: type (`ThreadLockAcrossAwait._class_attribute_type`) may come from there.
    class_bound: frozenset[str]


def _class_bound(tree: ast.Module, attrs: set[str]) -> frozenset[str]:
    """Which of `attrs` a class body (not its methods) of the module assigns."""
    found: set[str] = set()
    for node in below([tree], (ast.expr,)):  # (statements only: no class stands in an expression)
        if isinstance(node, ast.ClassDef):
            for statement in node.body:
                if isinstance(statement, ast.Assign):
                    targets = statement.targets
                elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
                    targets = [statement.target]
                else:
                    continue
                found.update(t.id for t in targets if isinstance(t, ast.Name) and t.id in attrs)
    return frozenset(found)


def _spelled_names(spelled: tuple[tuple[str, tuple[str, ...]], ...], resolve: Resolve) -> frozenset[str]:
    return frozenset(name for root, parts in spelled for name in resolve(Raw(root, parts, "", 0)).names)


def _annotated(function: Function | None, name: str) -> bool:
    """Whether `name` is an annotated parameter of the function (`*args` and `**kwargs` too)."""
    if function is None:
        return False
    args = function.args
    params = (*args.posonlyargs, *args.args, *args.kwonlyargs, *filter(None, (args.vararg, args.kwarg)))
    return any(a.arg == name and a.annotation is not None for a in params)


class LegacyRunLoopScreen(Screen):
    triggers = ("run_until_complete",)
    probes = (LoopRuns,)

    @classmethod
    def screen(cls, facts: FileFacts, project: ProjectIndex, options: Mapping[type, Any]) -> set[int] | None:
        # The block of each run, and every block mentioning its loop's name: the binding, and
        # each other use (set_event_loop, close) that decides the rule, may stand anywhere.
        found: set[int] = set()
        loop_runs = LoopRuns.of(facts)
        for name, block in loop_runs.runs:
            found.add(block)
            found |= loop_runs.mentions.get(name, set()) if name else set()
        return found


class GetEventLoopInCoroutineScreen(Screen):
    requires_async_def = True
    triggers = ("get_event_loop",)

    @classmethod
    def screen(cls, facts: FileFacts, project: ProjectIndex, options: Mapping[type, Any]) -> set[int] | None:
        return {block for callee, block in facts.async_calls if not callee.names.isdisjoint(_names.GET_EVENT_LOOP)}


class ThreadLockAcrossAwaitScreen(Screen):
    requires_async_def = True
    # (no trigger word: a lock declared in another module, `with self.state.lock:`, spells none here)
    uses_project_index = True
    probes = (WithAcrossAwait,)

    @classmethod
    def screen(cls, facts: FileFacts, project: ProjectIndex, options: Mapping[type, Any]) -> set[int] | None:
        # A `with` across an await, and a thread lock made somewhere in the file: the whole file is
        # read then (a class attribute's lock may be rebound by a subclass anywhere in it). Else only
        # a declared lock can be found (`ThreadLockAcrossAwait._declared_type`), which the rule reads
        # from the index and the `with`'s own function: the blocks of the items that may be declared one.
        facts_of = WithAcrossAwait.of(facts)
        if not facts_of.blocks:
            return set()
        if not facts.called_names.isdisjoint(_names.constructors_of(frozenset({_names.THREAD_LOCK}))):
            return None
        found = {item.block for item in facts_of.items if _may_be_declared_lock(item, project)}
        if found and any(item.attr in facts_of.class_bound for item in facts_of.items):
            # A class attribute of another type hides a declared lock (`_class_attribute_type` comes
            # first): what stands in a class body, a base's or a subclass's, is read wherever it is.
            return None
        return found

    #: (It reads the classes its lock's class names, and their subclasses: `fix` re-checks by name.)
    links_by_name = True

    @classmethod
    def reports_in(cls, facts: FileFacts, project: ProjectIndex, options: Mapping[type, Any]) -> set[int] | None:
        return set(WithAcrossAwait.of(facts).blocks)


#: The thread locks a declaration may name (`ReceiverTypes.declared_tag`: a catalogue constructor).
_THREAD_LOCKS = frozenset(name for name, made in _names.CONSTRUCTORS.items() if made == _names.THREAD_LOCK)


def _may_be_declared_lock(item: WithItem, project: ProjectIndex) -> bool:
    """Whether `ReceiverTypes.declared_tag` may find a thread lock for the item: a parameter annotated
    with one, an imported module-level name some module declares (or binds) as one, or an attribute of
    that name some class declares as one (`ProjectIndex.declared_members`, by name)."""
    if item.annotation is None or not _THREAD_LOCKS.isdisjoint(_normalized(project, item.annotation)):
        return True
    if item.attr and not _THREAD_LOCKS.isdisjoint(project.declared_members().get(item.attr, ())):
        return True
    return any(not _THREAD_LOCKS.isdisjoint(project.value_types(name) or ()) for name in item.names)


def _normalized(project: ProjectIndex, names: frozenset[str]) -> set[str]:
    """The classes an annotation's names may be, as `declared.normalize` follows them."""
    found: set[str] = set()
    for name in names:
        found.update(declared.normalize(project, [name], 0) or ())
    return found
