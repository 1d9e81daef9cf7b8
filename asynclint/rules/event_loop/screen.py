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
    Resolve,
    final_name,
    notes,
    notes_calls,
    own_code,
    suspends,
    uses,
)
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
    for node in ast.walk(tree):
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
    """ASL503: the blocks with a (sync) `with` in async code whose body can suspend, and whether
    one of those `with`s has an item that is a name or an attribute (`with lock:`, `with self._lock:`):
    what may be declared a thread lock anywhere in the project."""

    def __init__(self, walk: Any) -> None:
        super().__init__(walk)
        self.blocks: set[int] = set()
        self.named = False

    @notes(ast.With)
    def with_(self, node: ast.With) -> None:
        if self.walk.in_async and suspends(node.body):
            self.blocks.add(self.walk.block)
            self.named = self.named or any(isinstance(i.context_expr, (ast.Name, ast.Attribute)) for i in node.items)

    def finish(self, resolve: Resolve) -> tuple[set[int], bool]:
        return self.blocks, self.named



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
        # A `with` across an await, and a thread lock made somewhere in the file, or an item that
        # may be declared one (a name or an attribute: its annotation may be in any module). The
        # whole file is read then: a class attribute's lock may be rebound by a subclass anywhere in it.
        blocks, named = WithAcrossAwait.of(facts)
        if not blocks:
            return set()
        locks = _names.constructors_of(frozenset({_names.THREAD_LOCK}))
        return None if named or not facts.called_names.isdisjoint(locks) else set()

    #: (It reads the classes its lock's class names, and their subclasses: `fix` re-checks by name.)
    links_by_name = True

    @classmethod
    def reports_in(cls, facts: FileFacts, project: ProjectIndex, options: Mapping[type, Any]) -> set[int] | None:
        return set(WithAcrossAwait.of(facts)[0])
