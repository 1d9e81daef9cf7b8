"""What one cheap `ast` walk shows of a file, for the rules' pre-screens (`Rule.screen`).

libcst with scope and qualified-name metadata costs ten times a plain parse, and most files
with async code have no finding at all. Before paying for it, each rule is asked whether it
can fire at all, given where calls, awaits and handlers stand in the file. The facts over-
approximate what the rules see: every callee gets every qualified name it could resolve to
(through any import of its root name anywhere in the file, as a module-level or nested
definition, as a builtin), a condition is any operand of `and`/`or`, and "async code" is
decided as the rules decide it (the body of an `async def`, not of a nested `def`, `lambda`
or class). A rule's screen may only say "no" when no finding is possible.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, NamedTuple

from asynclint.engine.project import absolutize, parse_ast


class Callee(NamedTuple):
    """A called (or referenced) expression: what it may resolve to, and how it is spelled."""

    #: Qualified names it may refer to: through imports, as a definition of this module, as a builtin.
    names: frozenset[str]
    #: The final attribute (`get` of `self.session.get`); empty for a bare name.
    attr: str
    #: For `self.attr` directly in a method: the qualified name of the class; else empty.
    owner: str
    #: The root name of a `a.b.c` chain (`a`); empty when the chain starts with a call or subscript.
    root: str
    #: For a method, whether its receiver may hold an object of a type the rules know (see
    #: `rules/_match.py`, `ReceiverTypes`): its root name is assigned in the function around the
    #: call or a scope around that, or the first attribute after it is assigned anywhere
    #: (`self.queue` of `self.queue.get`), or it has no root name.
    typable: bool = True
    #: For `a.b.m`, the attribute before the final one (`b`); empty when there is none.
    before: str = ""
    #: For a method of a parameter annotated with a class (`db: QueueDB`, `Optional["QueueDB"]`),
    #: the qualified names that class may resolve to (ASL2xx: a project class's `async def`).
    declared: frozenset[str] = frozenset()

    @property
    def final(self) -> str:
        """`get` for `client.get`, `fetch` for `fetch`."""
        return self.attr or self.root


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


#: A loop's callee until the file's imports are all known (`_FactCollector.finish` resolves it).
_UNRESOLVED = Callee(frozenset(), "", "", "")


#: Positions of callees the coroutine rules (ASL2xx) look at.
STATEMENT, ASSIGNED, COLLECTED, CONDITION, CALLBACK, RUN_ARGUMENT = (
    "statement", "assigned", "collected", "condition", "callback", "run-argument",
)  # fmt: skip
FOR_LOOP, COMPREHENSION = "for", "comprehension"

#: Calls that call a function argument synchronously (ASL205): final names, resolved by the rule.
CALLBACK_APIS = frozenset(
    {"filter", "sorted", "min", "max", "reduce", "Thread", "Timer", "to_thread", "register", "signal", "map"}
    | {"call_soon", "call_soon_threadsafe", "call_later", "call_at", "run_in_executor", "add_done_callback"}
    | {"add_signal_handler", "add_reader", "add_writer", "submit"}
)
#: Methods that change a list in place: a collection of coroutines only these touch is never run (ASL203).
MUTATORS = frozenset({"append", "extend", "insert", "clear", "remove", "sort", "reverse"})
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp)
_COMPREHENSION_KINDS = (*_COMPREHENSIONS, ast.GeneratorExp)
_OWN_SCOPES = (*_SCOPES, *_COMPREHENSION_KINDS)


#: The block of code at module level, outside any top-level `def` or `class`.
MODULE = -1


class Block(NamedTuple):
    """A top-level `def` or `class`, or a method of a top-level class: its lines (decorators
    included), and a stub binding the same name."""

    first: int
    header: int  # the `def`/`class` line
    last: int
    stub: str  # `def name(): pass`, `class Name: pass` (indented as the header line)
    #: For a method: its class's block.
    parent: int = MODULE
    #: For a method: the attributes it assigns (`self.x = ...`, any `a.x` target). It is read with
    #: a kept method of its class that names one of them: `self.x`'s type comes from there.
    sets: frozenset[str] = frozenset()


#: Block numbers of methods start here (top-level statements are numbered by their index).
_METHODS = 1 << 24


@dataclass
class FileFacts:
    """Where the file calls, awaits and catches what (see the module docstring for the approximations).

    Each place comes with its block: the index of the top-level `def` or `class` holding it in
    the module's body, or MODULE. A rule's screen answers with the blocks where it may fire.
    """

    #: Callees of every call in async code.
    async_calls: set[tuple[Callee, int]] = field(default_factory=set)
    #: Every qualified name any call of the file may resolve to (receiver types start at constructors).
    called_names: set[str] = field(default_factory=set)
    #: ASL2xx: position -> callees standing there (see the position names above).
    coroutine_sites: dict[str, set[tuple[Callee, int]]] = field(default_factory=dict)
    #: ASL301: (kind of loop, callee of the one awaited call in its body, block), in async code.
    loop_awaits: set[LoopAwait] = field(default_factory=set)
    #: Names bound by `import x` / `import x as y` (modules, not objects).
    module_names: set[str] = field(default_factory=set)
    #: ASL302: final names of two adjacent `x = await f()` statements, in async code outside the
    #: body of a `try` with handlers, neither of which changes a name the other mentions (a
    #: receiver, a target; an imported module aside).
    awaited_pairs: set[tuple[str, str, int]] = field(default_factory=set)
    #: ASL401: for each handler of a `try` in async code whose body can suspend, and that neither
    #: raises (nor throws the exception on) nor uses the exception it binds: what its types may
    #: resolve to (None: a bare `except:`).
    handlers: list[tuple[frozenset[str] | None, int]] = field(default_factory=list)
    #: ASL401: blocks calling `x.y.cancel()` (a method may cancel the task another method reaps).
    cancelling: set[int] = field(default_factory=set)
    #: ASL402: `await f(..., return_exceptions=True)` in async code, as a statement or assigned to
    #: a name the function may not read, in a function that cancels nothing: f's callee, for each
    #: positional argument the final names of the calls it starts (None: it starts none; for
    #: `*coros`, those of every list or comprehension the function assigns to `coros`), block.
    gathers: list[tuple[Callee, tuple[str | None, ...], int]] = field(default_factory=list)
    #: ASL503: blocks with a (sync) `with` in async code whose body can suspend.
    with_across_await: set[int] = field(default_factory=set)
    #: Block number -> its lines, for every top-level `def` and `class`, and every method of a
    #: top-level class, that a stub can stand for.
    blocks: dict[int, Block] = field(default_factory=dict)
    #: Blocks that are always read: they hold a `global` statement (they may bind module names).
    always: set[int] = field(default_factory=set)
    #: ASL501: `X.run_until_complete(call())` in sync code: X's name ("" when X is a call or a
    #: variable of the function around the call), block.
    loop_runs: set[tuple[str, int]] = field(default_factory=set)
    #: ASL501: each name in `loop_runs` -> every block that mentions it (binds, reads or deletes).
    mentions: dict[str, set[int]] = field(default_factory=dict)
    #: The lines (first, last; decorators included) of every statement at module level, in order.
    statements: list[tuple[int, int]] = field(default_factory=list)

    def sites(self, position: str) -> set[tuple[Callee, int]]:
        """The callees at one position, with their blocks."""
        return self.coroutine_sites.get(position, set())


def facts_of_source(source: bytes | str, module: str, package_init: bool) -> FileFacts | None:
    """The facts of a source, or None when `ast` cannot read it (then nothing may be skipped)."""
    tree = parse_ast(source)
    return collect_facts(tree, module, package_init) if tree is not None else None


def collect_facts(tree: ast.Module, module: str, package_init: bool) -> FileFacts | None:
    """The facts of a parsed module (None when it nests too deeply to walk)."""
    collector = _FactCollector(module, package_init)
    statements = []
    try:
        for index, stmt in enumerate(tree.body):
            decorators = getattr(stmt, "decorator_list", ())
            statements.append((min([stmt.lineno, *(d.lineno for d in decorators)]), stmt.end_lineno or stmt.lineno))
            block = _block(stmt)
            collector.block = index if block is not None else MODULE
            collector.visit(stmt)
            if block is not None:
                collector.blocks[index] = block
    except RecursionError:
        return None
    facts = collector.finish()
    facts.statements = statements
    named = {name for name, _ in facts.loop_runs if name}
    if named:
        facts.mentions = _mentions(tree, named, facts.blocks)
    return facts


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


class _Raw(NamedTuple):
    root: str
    parts: tuple[str, ...]
    owner: str
    scope: int  # where it stands: an index in `_FactCollector.scopes`
    #: The spellings (root, attributes) of the classes its root parameter is annotated with.
    declared: tuple[tuple[str, tuple[str, ...]], ...] = ()


_Site = tuple[_Raw, int]  # a callee as spelled, and its block


class _FactCollector:
    def __init__(self, module: str, package_init: bool) -> None:
        self.module = module
        self.package_init = package_init
        self.imports: dict[str, set[str]] = {}
        self.named: dict[tuple[str, tuple[str, ...]], frozenset[str]] = {}  # (root, parts) -> `names`
        self.module_names: set[str] = set()
        #: Definition name -> qualified keys of this module defining it (`outer.<locals>.name`, `Class.name`).
        self.local_keys: dict[str, set[str]] = {}
        self.in_async = False
        self.owner = ""  # class of the method being visited directly
        self.self_name = ""
        self.owner_class = ""  # qualified name of the class whose body is being visited
        self.prefix = ""  # qualified prefix of definitions here
        self.loops: list[_Frame] = []  # the loops of the current scope around the node
        self.function_node: ast.FunctionDef | ast.AsyncFunctionDef | None = None  # the innermost def
        #: The innermost function's annotated parameters -> the class spellings of their annotations.
        self.annotated: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {}
        #: ASL205: names bound to `partial(f, ...)` -> the callee of `f`; names handed to a callback API.
        self.partials: dict[str, list[_Raw]] = {}
        self.callback_names: list[tuple[str, int]] = []
        #: (callee, block, collection, function) of calls collected in a function's local name.
        self.collections: list[tuple[_Raw, int, str, ast.FunctionDef | ast.AsyncFunctionDef]] = []
        self.gathers: list[tuple[ast.Call, str, ast.FunctionDef | ast.AsyncFunctionDef, int]] = []
        self.block = MODULE  # the top-level block being visited
        self.blocks: dict[int, Block] = {}
        self.always: set[int] = set()
        self.setters: dict[int, set[str]] = {}  # block -> attributes it assigns
        #: The scope (function, class, lambda, comprehension) around the node, and its `reads`.
        self.frame = _Reads([])
        self.reads = self.frame.reads
        self.dotted: set[str] = set()  # roots of `import a.b` (libcst counts `a.b.c` a read of `a.b`)
        #: Per function or class body (the module first): the names it binds as targets, and the
        #: index of the scope around it (-1 for the module).
        self.scopes: list[tuple[set[str], int]] = [(set(), -1)]
        self.scope = 0  # the innermost around the node
        self.declared: set[str] = set()  # names in `global` and `nonlocal` statements
        #: `x = f()` in a function: the callee, `x`, the scope it stands in, block.
        self.assigned: list[tuple[_Raw, str, _Reads, int]] = []
        self.runs: list[tuple[_Raw, _Raw, int]] = []  # (`run` callee, its first argument's callee, block)
        self.loop_runs: set[tuple[str, int]] = set()
        self.with_across_await: set[int] = set()
        self.async_calls: list[_Site] = []
        self.all_calls: list[_Raw] = []
        self.sites: dict[str, list[_Site]] = {}
        self.loop_awaits: list[tuple[_Raw, LoopAwait]] = []  # (its callee is resolved by `finish`)
        self.awaited_pairs: list[tuple[_Awaited, _Awaited, int]] = []
        #: The bodies of `try` statements with handlers (ASL302 leaves their order alone), by id.
        self.guarded: set[int] = set()
        self.handlers: list[tuple[list[_Raw] | None, int]] = []
        self.cancelling: set[int] = set()

    # Callees.
    def raw(self, expr: ast.expr) -> _Raw:
        parts: list[str] = []
        while isinstance(expr, ast.Attribute):
            parts.append(expr.attr)
            expr = expr.value
        parts.reverse()
        root = expr.id if isinstance(expr, ast.Name) else ""
        owner = self.owner if root and root == self.self_name and len(parts) == 1 else ""
        if not root and len(parts) == 1 and _is_super(expr):
            owner = self.owner  # `super().method`: a method of a base of the class
        declared = self.annotated.get(root, ()) if root and len(parts) == 1 else ()
        return _Raw(root, tuple(parts), owner, self.scope, declared)

    def site(self, position: str, expr: ast.expr) -> None:
        self.sites.setdefault(position, []).append((self.raw(expr), self.block))

    # Traversal.
    def visit_body(self, body: list[ast.stmt]) -> None:
        previous: str | None = None
        pairs = self.in_async and id(body) not in self.guarded
        for index, stmt in enumerate(body):
            current = _awaited_callee(stmt) if pairs else None
            if previous is not None and current is not None:
                first = body[index - 1]
                pair = (_Awaited.of(first, previous), _Awaited.of(stmt, current), self.block)  # type: ignore[arg-type]
                self.awaited_pairs.append(pair)
            previous = current
            self.visit(stmt)

    def visit(self, node: ast.AST) -> None:
        kind = type(node)
        if kind is ast.Name:  # the most frequent node first
            if isinstance(node.ctx, ast.Store):  # type: ignore[attr-defined]
                self.scopes[self.scope][0].add(node.id)  # type: ignore[attr-defined]
            else:
                self.reads.add(node.id)  # type: ignore[attr-defined]
            return
        if kind in _PLAIN:  # most of the rest: nothing to note but what is below
            self.children(node)
            return
        if kind is ast.Call:
            self.call(node)  # type: ignore[arg-type]
        elif kind in (ast.FunctionDef, ast.AsyncFunctionDef):
            self.function(node)  # type: ignore[arg-type]
            return
        elif kind is ast.ClassDef:
            self.class_def(node)  # type: ignore[arg-type]
            return
        elif kind is ast.Lambda:
            self.lambda_(node)  # type: ignore[arg-type]
            return
        elif kind is ast.Global:
            self.always.add(self.block)
            self.declared.update(node.names)  # type: ignore[attr-defined]
        elif kind is ast.Nonlocal:
            self.declared.update(node.names)  # type: ignore[attr-defined]
        elif kind is ast.Attribute and isinstance(node.ctx, ast.Store):  # type: ignore[attr-defined]
            self.setters.setdefault(self.block, set()).add(node.attr)  # type: ignore[attr-defined]
        elif kind in (ast.Import, ast.ImportFrom):
            self.import_(node)  # type: ignore[arg-type]
            return
        elif kind is ast.Expr:
            self.expression_statement(node)  # type: ignore[arg-type]
        elif kind is ast.Assign:
            self.assign(node)  # type: ignore[arg-type]
        elif kind is ast.AnnAssign:
            self.visit(node.target)  # type: ignore[attr-defined]
            if node.value is not None:  # type: ignore[attr-defined]
                self.visit(node.value)  # type: ignore[attr-defined]
            self.outside_loops((node.annotation,))  # type: ignore[attr-defined]
            return
        elif kind in (ast.If, ast.Assert, ast.IfExp):
            self.condition(node.test)  # type: ignore[attr-defined]
        elif kind is ast.BoolOp:
            for value in node.values:  # type: ignore[attr-defined]
                self.condition(value)
        elif kind is ast.UnaryOp and isinstance(node.op, ast.Not):  # type: ignore[attr-defined]
            self.condition(node.operand)  # type: ignore[attr-defined]
        elif kind is ast.Await:
            self.await_(node)  # type: ignore[arg-type]
        elif kind in _BLOCKS:
            for frame in self.loops:
                frame.blocked = True  # a block in a loop's body: the rule leaves that loop alone
            if kind in _LOOPS:
                if kind is ast.While:
                    self.condition(node.test)  # type: ignore[attr-defined]
                if kind is ast.For and self.in_async:
                    self.for_(node)  # type: ignore[arg-type]
                else:
                    self.children(node)
                return
            if kind in _TRIES and self.in_async:
                if node.handlers:  # type: ignore[attr-defined]
                    self.guarded.add(id(node.body))  # type: ignore[attr-defined]
                self.try_(node)  # type: ignore[arg-type]
            elif kind is ast.With and self.in_async and _suspends(node.body):  # type: ignore[attr-defined]
                self.with_across_await.add(self.block)
        elif kind in _COMPREHENSION_KINDS:
            outer = self.nested([clause.target for clause in node.generators])  # type: ignore[attr-defined]
            if self.in_async and kind is not ast.GeneratorExp:
                self.comprehension(node)  # type: ignore[arg-type]
            else:
                self.children(node)
            self.frame, self.reads = outer, outer.reads
            return
        elif kind is ast.comprehension:
            for test in node.ifs:  # type: ignore[attr-defined]
                self.condition(test)
        self.children(node)

    def children(self, node: ast.AST) -> None:
        fields = _FIELDS.get(type(node))
        if fields is None:
            fields = _FIELDS[type(node)] = tuple(f for f in node._fields if f not in _LEAF_FIELDS)
        for name in fields:
            value = getattr(node, name, None)
            if type(value) is list:
                if value and isinstance(value[0], ast.stmt):
                    self.visit_body(value)
                else:
                    for item in value:
                        if isinstance(item, ast.AST) and type(item) not in _LEAVES:
                            self.visit(item)
            elif isinstance(value, ast.AST) and type(value) not in _LEAVES:
                self.visit(value)

    def scoped(self, body: list[ast.stmt], *, in_async: bool, owner: str, self_name: str, prefix: str) -> None:
        saved = (self.in_async, self.owner, self.self_name, self.prefix, self.loops, self.scope)
        self.in_async, self.owner, self.self_name, self.prefix, self.loops = in_async, owner, self_name, prefix, []
        self.scopes.append((set(), self.scope))
        self.scope = len(self.scopes) - 1
        self.visit_body(body)
        self.in_async, self.owner, self.self_name, self.prefix, self.loops, self.scope = saved

    def outside_loops(self, parts: Iterable[ast.AST]) -> None:
        """Visit code a loop's body holds but does not run as its own (a nested def's decorators, an annotation)."""
        saved, self.loops = self.loops, []
        for part in parts:
            self.visit(part)
        self.loops = saved

    def function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.outside_loops((*node.decorator_list, node.args, *([node.returns] if node.returns else [])))
        key = self.prefix + node.name
        self.local_keys.setdefault(node.name, set()).add(key)
        owner = self_name = ""
        if self.prefix.endswith(".") and not self.prefix.endswith(".<locals>.") and self.owner_class:
            params = node.args.posonlyargs or node.args.args
            owner, self_name = self.owner_class, params[0].arg if params else ""
        in_async = isinstance(node, ast.AsyncFunctionDef)
        outer = self.nested([node])
        saved, self.function_node = self.function_node, node
        saved_annotated, self.annotated = self.annotated, _annotated_parameters(node.args)
        self.scoped(node.body, in_async=in_async, owner=owner, self_name=self_name, prefix=key + ".<locals>.")
        self.function_node, self.annotated = saved, saved_annotated
        self.frame, self.reads = outer, outer.reads

    def class_def(self, node: ast.ClassDef) -> None:
        self.outside_loops((*node.decorator_list, *node.bases, *node.keywords))
        key = self.prefix + node.name
        self.local_keys.setdefault(node.name, set()).add(key)
        saved = self.owner_class
        self.owner_class = f"{self.module}.{node.name}"
        if self.prefix or self.block == MODULE:
            outer = self.nested([node])
            self.scoped(node.body, in_async=False, owner="", self_name="", prefix=key + ".")
            self.frame, self.reads = outer, outer.reads
        else:  # a top-level class: each method is a block of its own
            self.methods(node, key + ".")
        self.owner_class = saved

    def methods(self, node: ast.ClassDef, prefix: str) -> None:
        saved = (self.in_async, self.owner, self.self_name, self.prefix, self.loops)
        self.in_async, self.owner, self.self_name, self.prefix, self.loops = False, "", "", prefix, []
        cls = self.block
        for stmt in node.body:
            block = _block(stmt) if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) else None
            if block is None or not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.visit(stmt)
                continue
            self.block = number = _METHODS + len(self.blocks)
            self.visit(stmt)
            self.block = cls
            self.blocks[number] = block._replace(parent=cls, sets=frozenset(self.setters.get(number, ())))
        self.in_async, self.owner, self.self_name, self.prefix, self.loops = saved

    def lambda_(self, node: ast.Lambda) -> None:
        self.outside_loops((node.args,))
        saved = (self.in_async, self.owner, self.self_name, self.loops)
        self.in_async, self.owner, self.self_name, self.loops = False, "", "", []
        outer = self.nested([node])
        self.visit(node.body)
        self.frame, self.reads = outer, outer.reads
        self.in_async, self.owner, self.self_name, self.loops = saved

    def nested(self, binders: list[ast.AST]) -> _Reads:
        """Enter a scope (a def, class, lambda or comprehension: `binders` tell what it binds); the one around it is returned."""
        outer, self.frame = self.frame, _Reads(binders)
        self.reads = self.frame.reads
        if self.function_node is not None:  # (only a function's reads are asked for)
            outer.inner.append(self.frame)
        return outer

    def import_(self, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                bound = alias.asname or alias.name.split(".")[0]
                self.imports.setdefault(bound, set()).add(alias.name if alias.asname else bound)
                self.module_names.add(bound)
                if not alias.asname and "." in alias.name:
                    self.dotted.add(bound)
            return
        source = absolutize("." * node.level + (node.module or ""), self.module, self.package_init)
        for alias in node.names:
            if alias.name != "*":
                self.imports.setdefault(alias.asname or alias.name, set()).add(f"{source}.{alias.name}".lstrip("."))

    def call(self, node: ast.Call) -> None:
        if self.loops:
            named = _final_name(node.func)
            for frame in self.loops:
                frame.callees.add(named)
        raw = self.raw(node.func)
        self.all_calls.append(raw)
        if self.in_async:
            self.async_calls.append((raw, self.block))
        final = raw.parts[-1] if raw.parts else raw.root
        if final == "cancel" and len(raw.parts) > 1:
            self.cancelling.add(self.block)
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
                        self.callback_names.append((callback.id, self.block))
        if final == "run" and node.args:
            argument = node.args[0]
            self.runs.append((raw, self.raw(argument.func if isinstance(argument, ast.Call) else argument), self.block))
        elif final == "run_until_complete" and not self.in_async and len(node.args) == 1:
            receiver = node.func.value if isinstance(node.func, ast.Attribute) else None
            if isinstance(receiver, ast.Name) and isinstance(node.args[0], ast.Call):
                # A loop local to the function is bound and used there only: no other block is needed.
                function = self.function_node
                if function is None or not _binds(function, receiver.id):
                    self.loop_runs.add((receiver.id, self.block))
                elif _only_runs_once(function, receiver.id):  # (else the rule stays silent)
                    self.loop_runs.add(("", self.block))
            elif isinstance(receiver, ast.Call) and isinstance(node.args[0], ast.Call):
                self.loop_runs.add(("", self.block))

    def gather(self, value: ast.expr, target: str) -> None:
        """Note an awaited call passing `return_exceptions=True` (ASL402), its result dropped or bound to `target`."""
        if not self.in_async or self.function_node is None or not isinstance(value, ast.Await):
            return
        call = value.value
        if isinstance(call, ast.Call) and any(
            k.arg == "return_exceptions" and isinstance(k.value, ast.Constant) and k.value.value is True
            for k in call.keywords
        ):
            self.gathers.append((call, target, self.function_node, self.block))

    def expression_statement(self, node: ast.Expr) -> None:
        value = node.value
        self.gather(value, "_")
        if isinstance(value, ast.Call):
            self.site(STATEMENT, value.func)
        elif isinstance(value, (ast.ListComp, ast.SetComp, ast.GeneratorExp)) and isinstance(value.elt, ast.Call):
            self.site(COLLECTED, value.elt.func)

    def assign(self, node: ast.Assign) -> None:
        if len(node.targets) != 1 or not isinstance(node.targets[0], ast.Name):
            return
        value = node.value
        self.gather(value, node.targets[0].id)
        if isinstance(value, ast.Call):
            if self.function_node is not None:  # (a global is never reported)
                self.assigned.append((self.raw(value.func), node.targets[0].id, self.frame, self.block))
            if _final_name(value.func) == "partial" and value.args:
                self.partials.setdefault(node.targets[0].id, []).append(self.raw(value.args[0]))
        elif isinstance(value, (ast.ListComp, ast.SetComp, ast.GeneratorExp)) and isinstance(value.elt, ast.Call):
            self.collected(value.elt.func, node.targets[0].id)

    def collected(self, callee: ast.expr, collection: str) -> None:
        """A call's result kept in a function's local collection (checked by `finish`: ASL203 needs
        nothing but `MUTATORS` to read the collection)."""
        if self.function_node is not None:
            self.collections.append((self.raw(callee), self.block, collection, self.function_node))

    def condition(self, test: ast.expr) -> None:
        if isinstance(test, ast.Call):
            self.site(CONDITION, test.func)

    def await_(self, node: ast.Await) -> None:
        if not self.loops:
            return
        call = node.value if isinstance(node.value, ast.Call) else None
        mentioned = frozenset(n.id for n in ast.walk(node) if isinstance(n, ast.Name))
        for frame in self.loops:
            frame.awaits += 1
            frame.call = call
            frame.mentioned = mentioned

    def for_(self, node: ast.For) -> None:
        self.visit(node.target)
        self.visit(node.iter)
        self.loop(FOR_LOOP, node.target, node.body, node.orelse)
        self.visit_body(node.orelse)

    def comprehension(self, node: ast.ListComp | ast.SetComp | ast.DictComp) -> None:
        clauses = node.generators
        if len(clauses) != 1 or clauses[0].is_async:
            self.children(node)  # never reported: no frame
            return
        clause = clauses[0]
        self.visit(clause.target)
        self.visit(clause.iter)  # not part of the repeated "body"
        for test in clause.ifs:
            self.condition(test)
        body = [*clause.ifs, *((node.key, node.value) if isinstance(node, ast.DictComp) else (node.elt,))]
        # (ASL301 reads a dict comprehension's key apart from its body: no callees are told for it.)
        self.loop(COMPREHENSION, clause.target, body, [], callees_told=not isinstance(node, ast.DictComp))

    def loop(self, kind: str, target: ast.expr, body: list[Any], orelse: list[ast.stmt], callees_told: bool = True) -> None:
        """Visit a loop's body in a frame that counts its awaits.

        ASL301 wants exactly one, awaiting a call, that mentions a loop variable or a name bound
        in the body (what is computed from the item): the same call on each turn is no candidate.
        """
        frame = _Frame(kind)
        self.loops.append(frame)
        if body and isinstance(body[0], ast.stmt):
            self.visit_body(body)
        else:
            for part in body:
                self.visit(part)
        self.loops.pop()
        call = frame.call
        if frame.awaits == 1 and call is not None and not frame.blocked and not orelse:
            if kind == FOR_LOOP and _exits_after_await(body):
                return
            bound = _bound_names([target, *body])
            if not frame.mentioned.isdisjoint(bound):
                targets = frozenset(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
                callees = frozenset(frame.callees) if callees_told else frozenset()
                receiver = _root(call.func) if isinstance(call.func, ast.Attribute) else ""
                found = LoopAwait(kind, _UNRESOLVED, self.block, targets, callees, receiver, frozenset(bound), _receivers(call))
                self.loop_awaits.append((self.raw(call.func), found))

    def try_(self, node: ast.Try) -> None:
        if not _suspends(node.body):
            return
        for handler in node.handlers:
            if not _reraises_or_hands_on(handler):
                types = None if handler.type is None else [self.raw(e) for e in _elements(handler.type)]
                self.handlers.append((types, self.block))

    # Resolution, once every import is known.
    def names(self, raw: _Raw) -> frozenset[str]:
        key = (raw.root, raw.parts)
        found = self.named.get(key)
        if found is None:
            found = self.named[key] = self._names(raw)
        return found

    def _names(self, raw: _Raw) -> frozenset[str]:
        if not raw.root:
            return frozenset()
        rest = "".join("." + part for part in raw.parts)
        found = {target + rest for target in self.imports.get(raw.root, ())}
        found.add(f"builtins.{raw.root}{rest}")
        found.add(f"{self.module}.{raw.root}{rest}")
        found.update(f"{self.module}.{key}{rest}" for key in self.local_keys.get(raw.root, ()))
        return frozenset(found)

    def assigned_around(self, raw: _Raw) -> bool:
        """Whether the root name of `raw` may be bound by an assignment where it stands (True without one)."""
        if not raw.root or raw.root in self.declared:
            return True
        scope = raw.scope
        while scope >= 0:
            names, scope = self.scopes[scope]
            if raw.root in names:
                return True
        return False

    def finish(self) -> FileFacts:
        made: dict[_Raw, Callee] = {}
        attributes = {name for names in self.setters.values() for name in names}

        def callee(raw: _Raw) -> Callee:
            found = made.get(raw)
            if found is None:
                attr = raw.parts[-1] if raw.parts else ""
                typable = len(raw.parts) > 1 and raw.parts[0] in attributes or self.assigned_around(raw)
                before = raw.parts[-2] if len(raw.parts) > 1 else ""
                declared = frozenset(n for root, parts in raw.declared for n in self.names(_Raw(root, parts, "", 0)))
                found = made[raw] = Callee(self.names(raw), attr, raw.owner, raw.root, typable, before, declared)
            return found

        # ASL203 needs a collection nothing but mutators reads.
        for raw, block, collection, function in self.collections:
            if not _read_apart_from_mutators(function, collection):
                self.sites.setdefault(COLLECTED, []).append((raw, block))
        # ASL202/ASL208 need a function's variable nothing reads (in the function, or in a scope
        # nested in it that does not bind the name); ASL207 an `asyncio.run(...)`.
        for raw, target, scope, block in self.assigned:
            if not scope.reads_name(target) or target in self.declared or target in self.dotted:
                self.sites.setdefault(ASSIGNED, []).append((raw, block))
        # ASL205: a name bound to `partial(f, ...)`, handed to a callback API, hands on `f`.
        for name, block in self.callback_names:
            self.sites.setdefault(CALLBACK, []).extend((raw, block) for raw in self.partials.get(name, ()))
        for run, argument, block in self.runs:
            if "asyncio.run" in callee(run).names:
                self.sites.setdefault(RUN_ARGUMENT, []).append((argument, block))
        facts = FileFacts(module_names=self.module_names)
        facts.awaited_pairs = {
            (a.final, b.final, block) for a, b, block in self.awaited_pairs if not _ordered(a, b, self.module_names)
        }
        facts.with_across_await = self.with_across_await
        facts.blocks, facts.always, facts.loop_runs = self.blocks, self.always, self.loop_runs
        facts.async_calls = {(callee(r), block) for r, block in self.async_calls}
        facts.called_names = {name for r in set(self.all_calls) for name in callee(r).names}
        facts.coroutine_sites = {
            position: {(callee(r), block) for r, block in sites} for position, sites in self.sites.items()
        }
        facts.loop_awaits = {found._replace(callee=callee(raw)) for raw, found in self.loop_awaits}
        facts.gathers = [
            (callee(self.raw(call.func)), tuple(name for arg in call.args for name in _started(arg, function)), block)
            for call, target, function, block in self.gathers
            if not _cancels(function) and (target == "_" or not _reads(function, target))
        ]
        facts.cancelling = self.cancelling
        facts.handlers = [
            (None if types is None else frozenset(n for r in types for n in callee(r).names), block)
            for types, block in self.handlers
        ]
        return facts


def _block(stmt: ast.stmt) -> Block | None:
    """The block of a `def` or `class` that a stub can stand for."""
    if not isinstance(stmt, _DEFINITIONS) or not stmt.name.isascii() or stmt.end_lineno is None:
        return None
    first = min([stmt.lineno, *(d.lineno for d in stmt.decorator_list)])
    stub = f"class {stmt.name}: pass" if isinstance(stmt, ast.ClassDef) else f"def {stmt.name}(): pass"
    return Block(first, stmt.lineno, stmt.end_lineno, stub)


class _Reads:
    """The names a scope (function, class, lambda, comprehension) reads, and the scopes in it."""

    __slots__ = ("reads", "inner", "binders", "bound")

    def __init__(self, binders: list[ast.AST]) -> None:
        self.reads: set[str] = set()  # read (or deleted) in the scope's own code
        self.inner: list[_Reads] = []
        self.binders = binders  # the scope's node (a comprehension's: its targets)
        self.bound: set[str] | None = None  # what `binders` may bind, once asked

    def reads_name(self, name: str) -> bool:
        """Whether the scope reads `name`, itself or in a nested scope that does not bind it
        (a name a nested scope may bind may be another variable: it does not count)."""
        return name in self.reads or any(scope.reads_name(name) and name not in scope.binds() for scope in self.inner)

    def binds(self) -> set[str]:
        if self.bound is None:
            self.bound = _bound_names(self.binders)
        return self.bound


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


_TRIES = (ast.Try, *((ast.TryStar,) if hasattr(ast, "TryStar") else ()))
#: Statements that make a loop's body a block the concurrency rules leave alone (libcst's With is async too).
#: Fields that never hold a node the walk needs: names, contexts, operators, flags.
_LEAF_FIELDS = frozenset(
    {"ctx", "id", "attr", "arg", "name", "module", "level", "kind", "type_comment", "is_async", "conversion", "op", "ops"}
)
#: Node types with nothing below them the walk needs.
_LEAVES = frozenset({ast.Constant, ast.Pass, ast.Break, ast.Continue})
#: Node type -> its fields that may hold nodes (filled as types are met).
_FIELDS: dict[type, tuple[str, ...]] = {}
_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_BLOCKS = (*_LOOPS, ast.With, ast.AsyncWith, *_TRIES)


def _node_kinds(kind: type[ast.AST]) -> Iterable[type[ast.AST]]:
    sub: type[ast.AST]
    for sub in kind.__subclasses__():
        yield sub
        yield from _node_kinds(sub)


#: The kinds of node `_FactCollector.visit` notes nothing of (it only visits what is below them).
_PLAIN = frozenset(_node_kinds(ast.AST)) - {
    *(ast.Name, ast.Call, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.Global, ast.Nonlocal),
    *(ast.Attribute, ast.Import, ast.ImportFrom, ast.Expr, ast.Assign, ast.AnnAssign, ast.If, ast.Assert, ast.IfExp),
    *(ast.BoolOp, ast.UnaryOp, ast.Await, *_BLOCKS, *_COMPREHENSION_KINDS, ast.comprehension),
}


def _below(nodes: Iterable[ast.AST], leaving: tuple[type, ...] = _SCOPES) -> Iterable[ast.AST]:
    """These nodes and every node under them, leaving out nested functions, lambdas and classes
    (or the `leaving` kinds of node)."""
    stack = [node for node in nodes if not isinstance(node, leaving)]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(child for child in ast.iter_child_nodes(node) if not isinstance(child, leaving))


def _bound_names(nodes: Iterable[ast.AST]) -> set[str]:
    """Every name these nodes bind, or may (nested code included): stored or deleted names,
    imports, parameters, definitions, `except ... as`, `global`/`nonlocal`, match captures."""
    found: set[str] = set()
    for top in nodes:
        for node in ast.walk(top):
            if isinstance(node, ast.Name):
                if not isinstance(node.ctx, ast.Load):
                    found.add(node.id)
            elif isinstance(node, ast.alias):
                found.add((node.asname or node.name).split(".")[0])
            elif isinstance(node, ast.arg):
                found.add(node.arg)
            elif isinstance(node, (ast.Global, ast.Nonlocal)):
                found.update(node.names)
            else:  # a def or class, `except ... as e`, a match capture, a type parameter
                for value in (getattr(node, "name", None), getattr(node, "rest", None)):
                    if isinstance(value, str):
                        found.add(value)
    return found


def _started(arg: ast.expr, function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str | None]:
    """The final names of the calls a gathered argument starts (`f(x)`, `*(f(x) for ...)`, `*map(f, xs)`,
    `*coros` with `coros = [f(x) for ...]` or `[f(), g()]` in the function's own code); None: none."""
    if isinstance(arg, ast.Starred) and isinstance(arg.value, ast.Name):
        name = arg.value.id
        found: list[str | None] = []
        for node in _own_code(function):
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
        return _final_name(value.args[0]) if value.args else _final_name(value)
    return _final_name(value.func) if isinstance(value, ast.Call) else None


def _is_super(expr: ast.expr) -> bool:
    """`super()` (or `super(C, self)`)."""
    return isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id == "super"


def _annotated_parameters(args: ast.arguments) -> dict[str, tuple[tuple[str, tuple[str, ...]], ...]]:
    """A function's annotated parameters -> the classes their annotations may name."""
    found = {}
    for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs):
        if arg.annotation is not None:
            classes = tuple(_annotation_classes(arg.annotation, 0))
            if classes:
                found[arg.arg] = classes
    return found


def _annotation_classes(annotation: ast.expr, depth: int) -> Iterable[tuple[str, tuple[str, ...]]]:
    """The dotted names an annotation may hold an instance of: `X`, `m.X`, `"X"`, `Optional[X]`, `X | None`,
    `Union[X, Y]` (the rules decide which of them make the receiver's class known)."""
    if depth > 4:
        return
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            parsed = ast.parse(annotation.value.strip(), mode="eval").body
        except (SyntaxError, ValueError):
            return
        yield from _annotation_classes(parsed, depth + 1)
    elif isinstance(annotation, (ast.Name, ast.Attribute)):
        parts: list[str] = []
        while isinstance(annotation, ast.Attribute):
            parts.append(annotation.attr)
            annotation = annotation.value
        if isinstance(annotation, ast.Name):
            yield annotation.id, tuple(reversed(parts))
    elif isinstance(annotation, ast.Subscript) and _final_name(annotation.value) in ("Optional", "Union"):
        inner = annotation.slice
        for element in inner.elts if isinstance(inner, ast.Tuple) else [inner]:
            yield from _annotation_classes(element, depth + 1)
    elif isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        yield from _annotation_classes(annotation.left, depth + 1)
        yield from _annotation_classes(annotation.right, depth + 1)



def _cancels(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether the function itself (not a nested def, lambda or class) calls a `.cancel()`."""
    return any(
        isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "cancel"
        for node in _below(function.body)
    )


def _own_code(function: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterable[ast.AST]:
    """The nodes of the function's own scope: not those of nested functions, classes or comprehensions."""
    stack: list[ast.AST] = [stmt for stmt in function.body if not isinstance(stmt, _OWN_SCOPES)]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(child for child in ast.iter_child_nodes(node) if not isinstance(child, _OWN_SCOPES))


def _uses(function: ast.FunctionDef | ast.AsyncFunctionDef, name: str, contexts: tuple[type, ...]) -> bool:
    """Whether the function's own code certainly has `name` in one of these contexts (Load, Store...).

    Nested functions and comprehensions do not count (they may bind the name themselves),
    and a `global`/`nonlocal` of the name makes the answer no.
    """
    found = False
    for node in _own_code(function):
        if isinstance(node, (ast.Global, ast.Nonlocal)) and name in node.names:
            return False
        if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, contexts):
            found = True
    return found


def _reads(function: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> bool:
    """Whether the function's own code certainly reads its local `name`."""
    return _uses(function, name, (ast.Load,))


def _final_name(func: ast.expr) -> str:
    """`sleep` of `asyncio.sleep`, `f` of `f`; empty for anything else (as the rules' `final_name`)."""
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _only_runs_once(function: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> bool:
    """False when the function's own code uses its loop `name` for more than ASL501 allows.

    The rule wants one `name.run_until_complete(...)`, and otherwise only `name.close()` and
    `set_event_loop(name)`: a second run or any other read of the name makes it silent.
    """
    allowed: set[int] = set()
    reads: list[ast.Name] = []
    runs = 0
    for node in _own_code(function):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == name:
                if func.attr in ("run_until_complete", "close"):
                    runs += func.attr == "run_until_complete"
                    allowed.add(id(func.value))
            values = [*node.args, *(keyword.value for keyword in node.keywords)]
            if _final_name(func) == "set_event_loop" and len(values) == 1 and isinstance(values[0], ast.Name):
                allowed.add(id(values[0]))
        elif isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load):
            reads.append(node)
    return runs <= 1 and all(id(read) in allowed for read in reads)


def _binds(function: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> bool:
    """Whether `name` is certainly a local variable of the function (a parameter, or bound in its own code)."""
    args = function.args
    params = [*args.posonlyargs, *args.args, *args.kwonlyargs, *filter(None, (args.vararg, args.kwarg))]
    return any(p.arg == name for p in params) or _uses(function, name, (ast.Store, ast.Del))


def _read_apart_from_mutators(function: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> bool:
    """Whether the function's own code (not nested functions, classes or comprehensions, where
    the name may be another) reads `name` other than to call one of `MUTATORS` on it."""
    receivers: set[int] = set()
    reads: list[ast.Name] = []
    for node in _below(function.body, _OWN_SCOPES):
        if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load):
            reads.append(node)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in MUTATORS:
            receivers.add(id(node.func.value))
    return any(id(read) not in receivers for read in reads)


def _exits_after_await(body: list[ast.stmt]) -> bool:
    """Whether a `break`, `continue`, `return`, `raise` or `yield` stands in or after the
    statement that awaits (it may depend on the awaited result: ASL301 leaves the loop alone)."""
    for index, stmt in enumerate(body):
        if any(isinstance(node, ast.Await) for node in _below([stmt])):
            return any(isinstance(node, _EXITS) for node in _below(body[index:]))
    return False


_EXITS = (ast.Break, ast.Continue, ast.Return, ast.Raise, ast.Yield, ast.YieldFrom)


def _suspends(body: list[ast.stmt]) -> bool:
    """Whether code can suspend the task (`await`, `async for`, `async with`), as `_flow.suspends` says."""
    return any(isinstance(node, (ast.Await, ast.AsyncFor, ast.AsyncWith)) for node in _below(body))


def _reraises_or_hands_on(handler: ast.ExceptHandler) -> bool:
    """A `raise`, `.uncancel()` or `.throw(...)` in the handler, or a use of the exception it binds
    (ASL401 is silent: `cancellation._reraises` and `_hands_on`; the calls it resolves are left to it)."""
    for node in _below(handler.body):
        if isinstance(node, ast.Raise):
            return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _HANDING_METHODS:
            if node.func.attr == "uncancel" or node.args or node.keywords:
                return True
    if handler.name is None:
        return False
    return any(isinstance(node, ast.Name) and node.id == handler.name for b in handler.body for node in ast.walk(b))


#: As `cancellation._HANDING_METHODS`.
_HANDING_METHODS = frozenset({"uncancel", "throw", "athrow"})


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
        receiver = _root(func.value) if isinstance(func, ast.Attribute) else ""
        if receiver:
            writes.add(receiver)
        return cls(final, frozenset(writes), frozenset(_mentioned(stmt)))


def _ordered(first: _Awaited, second: _Awaited, modules: set[str]) -> bool:
    """Whether one of two adjacent `x = await f()` changes a name the other mentions (not a module's)."""
    return bool(((first.writes & second.names) | (second.writes & first.names)) - modules)


def _root(expr: ast.expr) -> str:
    """`a` for `a`, `a.b.c`, `a[i].b`, `a.b().c`; empty when the chain starts elsewhere.

    The `ast` twin of `rules/_flow.root_name`, which the rules use on libcst trees: the screens
    of ASL301 and ASL302 must find the same roots.
    """
    while True:
        if isinstance(expr, ast.Name):
            return expr.id
        if isinstance(expr, (ast.Attribute, ast.Subscript)):
            expr = expr.value
        elif isinstance(expr, ast.Call):
            expr = expr.func
        else:
            return ""


def _target_roots(target: ast.expr) -> set[str]:
    """The names an assignment target binds, and the roots of its attribute and subscript targets."""
    if isinstance(target, (ast.Tuple, ast.List)):
        return {name for element in target.elts for name in _target_roots(element)}
    if isinstance(target, ast.Starred):
        return _target_roots(target.value)
    root = _root(target) if isinstance(target, (ast.Name, ast.Attribute, ast.Subscript)) else ""
    return {root} if root else set()


def _receivers(node: ast.AST) -> frozenset[str]:
    """The receivers' root names of the method calls under `node`, outside lambdas and comprehensions."""
    found = {_root(n.func) for n in _below([node], _OWN_SCOPES) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)}
    return frozenset(found - {""})


def _mentioned(node: ast.AST) -> set[str]:
    """Every name under `node`, outside lambdas and comprehensions."""
    return {n.id for n in _below([node], _OWN_SCOPES) if isinstance(n, ast.Name)}


def _elements(expr: ast.expr) -> list[ast.expr]:
    return list(expr.elts) if isinstance(expr, ast.Tuple) else [expr]


_BOM = b"\xef\xbb\xbf"


def reduced_source(source: bytes, facts: FileFacts, keep: Iterable[int]) -> bytes:
    """The source with every block not in `keep` left out, line numbers unchanged.

    A block left out becomes its stub (`def name(): pass`, which binds the same name) on its
    `def` line, and blank lines. Module-level code is always kept (imports, assignments,
    constants, `if`/`try` blocks), and so is a class body outside its methods; a kept class
    keeps every method that assigns an attribute a kept method of the class names (what
    `self.x` holds comes from there), until none is added. What the rules see of a kept
    block is exactly what they see in the whole file.

    Unless module-level code is kept for itself (MODULE in `keep`: a rule may report there),
    its comment lines between statements are left out too (from the third line on: not an
    encoding declaration), and the blank lines at the end, so that a comment added there
    changes nothing libcst is given (the result cache then reuses the findings, see
    `engine/lint.py`).
    """
    kept = set(keep) | facts.always
    kept |= {facts.blocks[n].parent for n in kept if n in facts.blocks and facts.blocks[n].parent != MODULE}
    lines = source.splitlines(keepends=True)
    _keep_setters(facts, kept, lines)
    for number, block in facts.blocks.items():
        if number in kept or block.last > len(lines):
            continue
        if block.parent != MODULE and block.parent not in kept:
            continue  # gone with its class
        for line_number in range(block.first, block.last + 1):
            line = lines[line_number - 1]
            body = line.rstrip(b"\r\n")
            if line_number == block.header:
                indent = body[: len(body) - len(body.lstrip(b" \t\f"))]
                lines[line_number - 1] = indent + block.stub.encode("ascii") + line[len(body) :]
            else:
                prefix = _BOM if line_number == 1 and body.startswith(_BOM) else b""
                lines[line_number - 1] = prefix + line[len(body) :]
    if MODULE not in kept:
        _leave_out_comments(lines, facts.statements)
    return b"".join(lines)


def _leave_out_comments(lines: list[bytes], statements: list[tuple[int, int]]) -> None:
    """Blank the comment lines outside every module-level statement (from the third line on),
    and drop the blank lines at the end."""
    inside = bytearray(len(lines) + 1)
    for first, last in statements:
        for number in range(first, min(last, len(lines)) + 1):
            inside[number] = 1
    for number in range(3, len(lines) + 1):
        line = lines[number - 1]
        if not inside[number] and line.lstrip(b" \t\f").startswith(b"#"):
            lines[number - 1] = line[len(line.rstrip(b"\r\n")) :]
    while len(lines) > 2 and not lines[-1].strip():
        lines.pop()


_WORD = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")


def _only_assigned(text: bytes, name: str) -> bool:
    """Whether every mention of `name` in the text is a plain `self.name = ...` (or `self.name: T = ...`)."""
    word = re.escape(name.encode("ascii"))
    mentions = len(re.findall(rb"(?<![A-Za-z0-9_])" + word + rb"(?![A-Za-z0-9_])", text))
    assigned = len(re.findall(rb"(?<![A-Za-z0-9_.])self\.\s*" + word + rb"\s*(?::[^=\n]*)?=(?!=)", text))
    return mentions == assigned


def _keep_setters(facts: FileFacts, kept: set[int], lines: list[bytes]) -> None:
    """Add to `kept` the methods of kept classes that assign an attribute a kept method names.

    A method kept only for what it assigns names what it reads: an attribute it only
    assigns there (`self.x = ...`, never read in it) asks for no other setter of it.
    """
    words: dict[int, set[str]] = {}
    wanted = set(kept)  # kept for themselves: everything they name counts

    def named(number: int) -> set[str]:
        if number not in words:
            block = facts.blocks[number]
            text = b"".join(lines[block.first - 1 : block.last])
            found = {w.decode("ascii") for w in _WORD.findall(text)}
            if number not in wanted:
                found -= {name for name in block.sets if name in found and _only_assigned(text, name)}
            words[number] = found
        return words[number]

    setters = [n for n, b in facts.blocks.items() if b.sets and b.parent in kept and n not in kept]
    grown = True
    while grown and setters:
        grown = False
        for number in list(setters):
            block = facts.blocks[number]
            siblings = (n for n in kept if n in facts.blocks and facts.blocks[n].parent == block.parent)
            if any(not block.sets.isdisjoint(named(n)) for n in siblings):
                kept.add(number)
                setters.remove(number)
                grown = True
