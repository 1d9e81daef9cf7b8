"""Statement facts for the concurrency rules (ASL3xx): what code binds, reads, calls on, and awaits.

Independence is decided on the syntax tree alone, so every fact errs toward "dependent":
a method call may mutate its receiver, a nested function reads every name it mentions, a
name that looks like a connection is one. The rules stay silent whenever a fact says two
pieces of code may touch the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

import libcst as cst
from libcst.metadata import ImportAssignment, ScopeProvider

from asynclint.rules.base import Rule

_NESTED_SCOPES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)

#: Name fragments of objects that serve one operation at a time (a connection, a cursor, a
#: stream, a lock): two awaits sharing one of these are ordered, whatever else they do.
SHARED_RESOURCE_FRAGMENTS = (
    "conn", "session", "cursor", "db", "tx", "transaction", "lock", "sem", "stream", "writer",
    "reader", "ws", "websocket", "sock", "client", "channel", "chan", "pool", "file", "redis",
    "queue", "ctx", "context", "bus", "engine", "browser", "page", "driver", "proc", "pipe",
)  # fmt: skip
_SHARED_EXACT = frozenset({"self", "cls", "fp", "fh", "f", "q", "cur", "tr", "s"})


def looks_shared(name: str) -> bool:
    """Whether a name looks like a resource that serves one operation at a time."""
    lowered = name.lower()
    return lowered in _SHARED_EXACT or any(fragment in lowered for fragment in SHARED_RESOURCE_FRAGMENTS)


@dataclass
class Facts:
    """What a piece of code (a statement, an expression) does, as far as the syntax shows."""

    #: Plain names bound (assignment, loop and `with` targets, walrus, import, del).
    binds: set[str] = field(default_factory=set)
    #: Names whose object may be changed: roots of attribute/subscript targets and of method receivers.
    writes: set[str] = field(default_factory=set)
    #: Names read, other than as the receiver of a method call.
    reads: set[str] = field(default_factory=set)
    #: Root names of method-call receivers (`self` for `self.conn.execute()`).
    receivers: set[str] = field(default_factory=set)
    #: Final names of everything called (`sleep` for `asyncio.sleep()`).
    callees: set[str] = field(default_factory=set)
    awaits: list[cst.Await] = field(default_factory=list)
    #: `break`, `continue`, `return`, `raise` or `yield` (outside nested functions).
    exits: bool = False
    #: `async with`, `async for`, `with`, `try`, or a nested loop.
    blocks: bool = False
    #: A nested loop that awaits (its own loop is the one to report).
    nested_loop_awaits: bool = False

    @property
    def touched(self) -> set[str]:
        """Every name this code reads, binds, writes or calls a method on."""
        return self.reads | self.binds | self.writes | self.receivers


def facts_of(nodes: Iterable[cst.CSTNode]) -> Facts:
    """The facts of some nodes taken together."""
    collector = _Collector()
    for node in nodes:
        collector.walk(node)
    return collector.facts


def suspends(nodes: Iterable[cst.CSTNode]) -> bool:
    """Whether the code has a point where the task can be suspended or cancelled (`await`, `async for/with`)."""
    stack = list(nodes)
    while stack:
        node = stack.pop()
        if isinstance(node, _NESTED_SCOPES):
            continue
        if isinstance(node, cst.Await) or (isinstance(node, (cst.For, cst.With)) and node.asynchronous is not None):
            return True
        stack.extend(node.children)
    return False


#: Methods called for an effect that no later call reads: filling a collection, logging.
_LOCAL_EFFECTS = frozenset(
    {"append", "extend", "insert", "add", "update", "setdefault", "discard", "remove", "pop", "clear"}
    | {"debug", "info", "warning", "warn", "error", "exception", "critical", "log", "print"}
)


def sets_state(node: cst.CSTNode, own: set[str]) -> bool:
    """Whether code sets state a later call may read, on something other than the `own` names.

    An attribute assigned (`self.iteration = i`, `runner.vars[k] = v`), or a call made for its
    effect alone (a statement `set_repeat_var(i)`, `self.vars.define("i", i)`): whatever it
    changes, the next awaited call may read it through an object or a closure. Filling a
    collection (`out.append(x)`, `d[k] = v`) and logging do not count; nor does anything done
    to the `own` names (the loop's item and what is computed from it).
    """
    stack: list[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, _NESTED_SCOPES):
            continue
        targets: list[cst.BaseExpression] = []
        if isinstance(current, cst.Assign):
            targets = [t.target for t in current.targets]
        elif isinstance(current, (cst.AugAssign, cst.AnnAssign)):
            targets = [current.target]
        for target in targets:
            if _sets_attribute(target) and root_name(target) not in own:
                return True
        if isinstance(current, cst.Expr) and isinstance(current.value, cst.Call):
            func = current.value.func
            if final_name(func) not in _LOCAL_EFFECTS and root_name(func) not in own:
                return True
        stack.extend(current.children)
    return False


def _sets_attribute(target: cst.BaseExpression) -> bool:
    """`a.b = ...`, `a.b[k] = ...`, `a[i].b = ...` (not `a[k] = ...`, a collection's item); in a tuple too."""
    if isinstance(target, (cst.Tuple, cst.List)):
        return any(_sets_attribute(e.value) for e in target.elements)
    if isinstance(target, cst.StarredElement):
        return _sets_attribute(target.value)
    while isinstance(target, cst.Subscript):
        target = target.value
    return isinstance(target, cst.Attribute)


def names_in(node: cst.CSTNode) -> list[cst.Name]:
    """Every Name node under `node`, itself included."""
    found: list[cst.Name] = []
    stack: list[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Name):
            found.append(current)
        stack.extend(current.children)
    return found


def root_name(expr: cst.BaseExpression) -> str | None:
    """`a` for `a`, `a.b.c`, `a[i].b`, `a.b().c`; None when the chain starts elsewhere."""
    while True:
        if isinstance(expr, cst.Name):
            return expr.value
        if isinstance(expr, (cst.Attribute, cst.Subscript)):
            expr = expr.value
        elif isinstance(expr, cst.Call):
            expr = expr.func
        else:
            return None


def final_name(expr: cst.BaseExpression) -> str:
    """`sleep` for `asyncio.sleep`, `get` for `self.session.get`; empty for anything else."""
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        return expr.attr.value
    return ""


def imported_modules(rule: Rule, node: cst.CSTNode, names: Iterable[str]) -> set[str]:
    """Those of `names` that, where `node` stands, are bound only by `import x` (a module, not an object)."""
    scope = rule.get_metadata(ScopeProvider, node, None)
    found: set[str] = set()
    if scope is None:
        return found
    for name in names:
        assignments = scope[name]
        if assignments and all(
            isinstance(a, ImportAssignment) and isinstance(a.node, cst.Import) for a in assignments
        ):
            found.add(name)
    return found


class _Collector:
    def __init__(self) -> None:
        self.facts = Facts()

    def walk(self, node: cst.CSTNode) -> None:
        facts = self.facts
        if isinstance(node, _NESTED_SCOPES):
            self._nested(node)
            return
        if isinstance(node, _COMPREHENSIONS):
            self._comprehension(node)
            return
        if isinstance(node, cst.Name):
            facts.reads.add(node.value)
            return
        if isinstance(node, cst.Attribute):
            self.walk(node.value)
            return
        if isinstance(node, cst.Call):
            self._call(node)
            return
        if isinstance(node, cst.Arg):
            self.walk(node.value)
            return
        if isinstance(node, cst.Await):
            facts.awaits.append(node)
        elif isinstance(node, (cst.Break, cst.Continue, cst.Return, cst.Raise, cst.Yield)):
            facts.exits = True
        elif isinstance(node, (cst.With, cst.Try, cst.TryStar, cst.For, cst.While)):
            facts.blocks = True
            if isinstance(node, (cst.For, cst.While)) and facts_of([node.body]).awaits:
                facts.nested_loop_awaits = True
        if isinstance(node, cst.Assign):
            for target in node.targets:
                self._target(target.target)
            self.walk(node.value)
        elif isinstance(node, cst.AnnAssign):
            self._target(node.target)
            if node.value is not None:
                self.walk(node.value)
        elif isinstance(node, cst.AugAssign):
            self.walk(node.target)
            self._target(node.target)
            self.walk(node.value)
        elif isinstance(node, cst.NamedExpr):
            self._target(node.target)
            self.walk(node.value)
        elif isinstance(node, cst.Del):
            self._target(node.target)
        elif isinstance(node, cst.For):
            self._target(node.target)
            for part in (node.iter, node.body, node.orelse):
                if part is not None:
                    self.walk(part)
        elif isinstance(node, cst.WithItem):
            self.walk(node.item)
            if node.asname is not None:
                self._target(node.asname.name)
        elif isinstance(node, (cst.Import, cst.ImportFrom)):
            if not isinstance(node.names, cst.ImportStar):
                for alias in node.names:
                    bound = alias.asname.name if alias.asname is not None else alias.name
                    facts.binds.add(root_name(bound) or "")
        else:
            for child in node.children:
                self.walk(child)

    def _target(self, target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            self.facts.binds.add(target.value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._target(element.value)
        elif isinstance(target, cst.StarredElement):
            self._target(target.value)
        elif isinstance(target, (cst.Attribute, cst.Subscript)):
            root = root_name(target)
            if root is not None:
                self.facts.writes.add(root)
            if isinstance(target, cst.Subscript):
                for index in target.slice:
                    self.walk(index)
            self._walk_below_root(target.value)

    def _walk_below_root(self, expr: cst.BaseExpression) -> None:
        """Reads inside a chain (`a[i].b`: `i`), not the root itself."""
        while isinstance(expr, (cst.Attribute, cst.Subscript, cst.Call)):
            if isinstance(expr, cst.Subscript):
                for element in expr.slice:
                    self.walk(element)
            elif isinstance(expr, cst.Call):
                self.facts.callees.add(final_name(expr.func))
                for arg in expr.args:
                    self.walk(arg)
                expr = expr.func
                continue
            expr = expr.value

    def _call(self, call: cst.Call) -> None:
        facts = self.facts
        facts.callees.add(final_name(call.func))
        if isinstance(call.func, cst.Attribute):
            root = root_name(call.func.value)
            if root is not None:
                facts.receivers.add(root)
                facts.writes.add(root)  # a method call may change its receiver
            self._walk_below_root(call.func.value)
        else:
            self.walk(call.func)
        for arg in call.args:
            self.walk(arg)

    def _comprehension(self, node: cst.BaseComp) -> None:
        inner = facts_of(node.children)
        local: set[str] = set()
        clause: cst.CompFor | None = node.for_in
        while clause is not None:
            local |= facts_of([clause.target]).reads
            clause = clause.inner_for_in
        facts = self.facts
        facts.reads |= inner.reads - local
        facts.writes |= inner.writes - local
        facts.receivers |= inner.receivers - local
        facts.callees |= inner.callees
        facts.awaits += inner.awaits

    def _nested(self, node: cst.CSTNode) -> None:
        # Code that runs later, or elsewhere: every name it mentions counts as read, nothing else.
        for child in node.children:
            if isinstance(child, cst.Name):
                self.facts.reads.add(child.value)
            else:
                self._nested(child)
