"""The screens of the concurrency rules (ASL3xx), and the probes of the `ast` walk they read.

`LoopAwaits` finds ASL301's candidates (a loop whose body awaits exactly one call computed
from the item), `AwaitedPairs` ASL302's (two adjacent `x = await f()` independent of each
other). They are the `ast` side of the conditions the rules check on libcst trees
(`rule.py` beside this module, and `rules/_flow.py`): change both in one diff. Nothing here
may import libcst (see `asynclint.rules.screen`).
"""

from __future__ import annotations

import ast
from typing import Any, Mapping, NamedTuple

from asynclint.analysis import names as _names
from asynclint.analysis.astwalk import (
    BLOCKS,
    BODY,
    COMPREHENSIONS,
    OWN_SCOPES,
    TRIES,
    Callee,
    FileFacts,
    Probe,
    Raw,
    Resolve,
    below,
    bound_names,
    final_name,
    notes,
    root,
    walks,
)
from asynclint.analysis.index.model import ProjectIndex
from asynclint.rules.screen import Screen

FOR_LOOP, COMPREHENSION = "for", "comprehension"


class LoopAwait(NamedTuple):
    """A loop (or comprehension) in async code whose body awaits exactly one call, and (a loop)
    is not left in or after the statement that awaits: ASL301's candidates."""

    kind: str  # FOR_LOOP or COMPREHENSION
    #: The awaited call's callee.
    callee: Callee
    block: int
    #: The names in the loop's target (`x`, `k, v`, `self` of `self.item`).
    targets: frozenset[str]
    #: The final names of everything the body calls (`sleep` of `asyncio.sleep()`), outside nested
    #: functions, classes and annotations (none told for a dict comprehension).
    callees: frozenset[str]
    #: For a method (`a.b[0].c()`), the root name of its receiver (`a`); empty when it has none.
    receiver: str
    #: Every name the target or the body binds, or may.
    bound: frozenset[str]
    #: The receivers' root names of the method calls in the awaited call, outside lambdas and comprehensions.
    receivers: frozenset[str]


#: A loop's callee until the file's imports are all known (`LoopAwaits.finish` resolves it).
_UNRESOLVED = Callee(frozenset(), "", "", "")


class _Frame:
    """A loop being visited: how many awaits its body has, the callee of the last, whether it holds a block."""

    __slots__ = ("kind", "awaits", "call", "blocked", "mentioned", "callees")

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.awaits = 0
        self.call: ast.Call | None = None  # the last await's call
        self.blocked = False
        self.mentioned: frozenset[str] = frozenset()  # the names the last await's expression mentions
        self.callees: set[str] = set()  # the final names of the calls in the body


class LoopAwaits(Probe):
    """ASL301: (kind of loop, callee of the one awaited call in its body, block), in async code."""

    scoped = True  # the loops around a node are those of its own scope

    def __init__(self, walk: Any) -> None:
        super().__init__(walk)
        self.loops: list[_Frame] = []  # the loops of the current scope around the node
        self.found: list[tuple[Raw, LoopAwait]] = []  # (its callee is resolved by `finish`)

    def enter(self) -> object:
        saved, self.loops = self.loops, []
        return saved

    def leave(self, saved: Any) -> None:
        self.loops = saved

    @notes(ast.Call)
    def call(self, node: ast.Call) -> None:
        if self.loops:
            named = final_name(node.func)
            for frame in self.loops:
                frame.callees.add(named)

    @notes(ast.Await)
    def await_(self, node: ast.Await) -> None:
        if not self.loops:
            return
        call = node.value if isinstance(node.value, ast.Call) else None
        mentioned = frozenset(n.id for n in ast.walk(node) if isinstance(n, ast.Name))
        for frame in self.loops:
            frame.awaits += 1
            frame.call = call
            frame.mentioned = mentioned

    @notes(*(kind for kind in BLOCKS if kind is not ast.For))
    def block(self, node: ast.stmt) -> None:
        for frame in self.loops:
            frame.blocked = True  # a block in a loop's body: the rule leaves that loop alone

    @walks(ast.For)
    def for_(self, node: ast.For) -> bool:
        self.block(node)
        if not self.walk.in_async:
            return False
        walk = self.walk
        walk.visit(node.target)
        walk.visit(node.iter)
        self.loop(FOR_LOOP, node.target, node.body, node.orelse)
        walk.visit_body(node.orelse)
        return True

    @walks(*COMPREHENSIONS)
    def comprehension(self, node: ast.ListComp | ast.SetComp | ast.DictComp) -> bool:
        clauses = node.generators
        if not self.walk.in_async or len(clauses) != 1 or clauses[0].is_async:
            return False  # never reported: no frame
        walk = self.walk
        clause = clauses[0]
        walk.visit(clause.target)
        walk.visit(clause.iter)  # not part of the repeated "body"
        walk.note(clause)
        body = [*clause.ifs, *((node.key, node.value) if isinstance(node, ast.DictComp) else (node.elt,))]
        # (ASL301 reads a dict comprehension's key apart from its body: no callees are told for it.)
        self.loop(COMPREHENSION, clause.target, body, [], callees_told=not isinstance(node, ast.DictComp))
        return True

    def loop(self, kind: str, target: ast.expr, body: list[Any], orelse: list[ast.stmt], callees_told: bool = True) -> None:
        """Visit a loop's body in a frame that counts its awaits.

        ASL301 wants exactly one, awaiting a call, that mentions a loop variable or a name bound
        in the body (what is computed from the item): the same call on each turn is no candidate.
        """
        walk = self.walk
        frame = _Frame(kind)
        self.loops.append(frame)
        if body and isinstance(body[0], ast.stmt):
            walk.visit_body(body)
        else:
            for part in body:
                walk.visit(part)
        self.loops.pop()
        call = frame.call
        if frame.awaits == 1 and call is not None and not frame.blocked and not orelse:
            if kind == FOR_LOOP and _exits_after_await(body):
                return
            bound = bound_names([target, *body])
            if not frame.mentioned.isdisjoint(bound):
                targets = frozenset(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
                callees = frozenset(frame.callees) if callees_told else frozenset()
                receiver = root(call.func) if isinstance(call.func, ast.Attribute) else ""
                found = LoopAwait(kind, _UNRESOLVED, walk.block, targets, callees, receiver, frozenset(bound), _receivers(call))
                self.found.append((walk.raw(call.func), found))

    def finish(self, resolve: Resolve) -> set[LoopAwait]:
        return {found._replace(callee=resolve(raw)) for raw, found in self.found}


def _exits_after_await(body: list[ast.stmt]) -> bool:
    """Whether a `break`, `continue`, `return`, `raise` or `yield` stands in or after the
    statement that awaits (it may depend on the awaited result: ASL301 leaves the loop alone)."""
    for index, stmt in enumerate(body):
        if any(isinstance(node, ast.Await) for node in below([stmt])):
            return any(isinstance(node, _EXITS) for node in below(body[index:]))
    return False


_EXITS = (ast.Break, ast.Continue, ast.Return, ast.Raise, ast.Yield, ast.YieldFrom)


def _receivers(node: ast.AST) -> frozenset[str]:
    """The receivers' root names of the method calls under `node`, outside lambdas and comprehensions."""
    found = {root(n.func) for n in below([node], OWN_SCOPES) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)}
    return frozenset(found - {""})


class AwaitedPairs(Probe):
    """ASL302: final names of two adjacent `x = await f()` statements, in async code outside the
    body of a `try` with handlers, neither of which changes a name the other mentions (a
    receiver, a target; an imported module aside), with their block."""

    def __init__(self, walk: Any) -> None:
        super().__init__(walk)
        self.pairs: list[tuple[_Awaited, _Awaited, int]] = []
        #: The bodies of `try` statements with handlers (ASL302 leaves their order alone), by id.
        self.guarded: set[int] = set()

    @notes(*TRIES)
    def try_(self, node: ast.Try) -> None:
        if self.walk.in_async and node.handlers:
            self.guarded.add(id(node.body))

    @notes(BODY)
    def body(self, body: list[ast.stmt]) -> None:
        if not self.walk.in_async or id(body) in self.guarded:
            return
        previous: str | None = None
        for index, stmt in enumerate(body):
            current = _awaited_callee(stmt)
            if previous is not None and current is not None:
                first = body[index - 1]
                self.pairs.append((_Awaited.of(first, previous), _Awaited.of(stmt, current), self.walk.block))  # type: ignore[arg-type]
            previous = current

    def finish(self, resolve: Resolve) -> set[tuple[str, str, int]]:
        modules = self.walk.module_names
        return {(a.final, b.final, block) for a, b, block in self.pairs if not _ordered(a, b, modules)}


def _awaited_callee(stmt: ast.stmt) -> str | None:
    """The callee's final name of `x = await f()` (one target), else None."""
    if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1:
        return None
    value = stmt.value
    if not isinstance(value, ast.Await) or not isinstance(value.value, ast.Call):
        return None
    func = value.value.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


class _Awaited(NamedTuple):
    """`x = await f()`: f's final name, what the statement surely changes, and the names it mentions."""

    final: str
    #: Names the target binds, roots of its attribute and subscript targets, f's receiver's root.
    writes: frozenset[str]
    #: Every name it mentions outside lambdas and comprehensions.
    names: frozenset[str]

    @classmethod
    def of(cls, stmt: ast.Assign, final: str) -> _Awaited:
        writes = _target_roots(stmt.targets[0])
        func = stmt.value.value.func  # type: ignore[attr-defined]
        receiver = root(func.value) if isinstance(func, ast.Attribute) else ""
        if receiver:
            writes.add(receiver)
        return cls(final, frozenset(writes), frozenset(_mentioned(stmt)))


def _ordered(first: _Awaited, second: _Awaited, modules: set[str]) -> bool:
    """Whether one of two adjacent `x = await f()` changes a name the other mentions (not a module's)."""
    return bool(((first.writes & second.names) | (second.writes & first.names)) - modules)


def _target_roots(target: ast.expr) -> set[str]:
    """The names an assignment target binds, and the roots of its attribute and subscript targets."""
    if isinstance(target, (ast.Tuple, ast.List)):
        return {name for element in target.elts for name in _target_roots(element)}
    if isinstance(target, ast.Starred):
        return _target_roots(target.value)
    found = root(target) if isinstance(target, (ast.Name, ast.Attribute, ast.Subscript)) else ""
    return {found} if found else set()


def _mentioned(node: ast.AST) -> set[str]:
    """Every name under `node`, outside lambdas and comprehensions."""
    return {n.id for n in below([node], OWN_SCOPES) if isinstance(n, ast.Name)}




class ConcurrencyScreen(Screen):
    requires_async_def = True


class AwaitInLoopScreen(ConcurrencyScreen):
    uses_project_index = True  # an awaited project `async def` that never awaits is no finding
    probes = (LoopAwaits,)

    @classmethod
    def screen(cls, facts: FileFacts, project: ProjectIndex, options: Mapping[type, Any]) -> set[int] | None:
        # A loop's await calls a function (a module's; in a comprehension, an item's method too),
        # not a loop variable, and nothing in the body is ordered by name; the loop variables do
        # not hold code, and no argument is computed by a method of an object outside the loop.
        blocks = set()
        modules = facts.module_names
        for loop in LoopAwaits.of(facts):
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
    probes = (AwaitedPairs,)

    @classmethod
    def screen(cls, facts: FileFacts, project: ProjectIndex, options: Mapping[type, Any]) -> set[int] | None:
        return {block for a, b, block in AwaitedPairs.of(facts) if _names.may_run_together(a) and _names.may_run_together(b)}


class UnboundedGatherScreen(ConcurrencyScreen):
    requires_async_def = False
    triggers = ("gather",)
    uses_project_index = True  # a gathered project `async def` that never awaits is no finding
