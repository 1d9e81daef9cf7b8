"""What one cheap `ast` walk shows of a file, for the rules' pre-screens (`Screen.screen`).

libcst with scope and qualified-name metadata costs ten times a plain parse, and most files
with async code have no finding at all. Before paying for it, each rule is asked whether it
can fire at all, given where calls, awaits and handlers stand in the file. The facts over-
approximate what the rules see: every callee gets every qualified name it could resolve to
(through any import of its root name anywhere in the file, as a module-level or nested
definition, as a builtin), and "async code" is decided as the rules decide it (the body of
an `async def`, not of a nested `def`, `lambda` or class). A rule's screen may only say "no"
when no finding is possible.

This module is the generic walk: blocks, scopes, imports and callee resolution. What a family
of rules needs beyond that is noted by its *probes* (`Probe` subclasses beside the family's
screens, `asynclint/rules/<family>/screen.py`), each told of the node types it registers for
(`@notes(ast.Try)`, as pyupgrade registers its plugins; `@notes_calls("cancel")` for calls of
one name), and finishing into one fact of the file (`FileFacts.found`).
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Iterable, NamedTuple, Sequence, TypeVar

from asynclint.analysis.modules import LEAF_FIELDS, absolutize, is_staticmethod, parse_ast


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
    #: For `self.x.m` directly in a method (not a `staticmethod`) of a class, the qualified name of
    #: the class: `x` is then what the class declares it as (`ProjectIndex.attribute_types`); else empty.
    self_class: str = ""

    @property
    def final(self) -> str:
        """`get` for `client.get`, `fetch` for `fetch`."""
        return self.attr or self.root


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp)
_COMPREHENSION_KINDS = (*COMPREHENSIONS, ast.GeneratorExp)
#: Nodes with a scope of their own: functions, lambdas, classes, comprehensions.
OWN_SCOPES = (*_SCOPES, *_COMPREHENSION_KINDS)
TRIES = (ast.Try, *((ast.TryStar,) if hasattr(ast, "TryStar") else ()))
LOOPS = (ast.For, ast.AsyncFor, ast.While)
#: Statements with a body of their own (not a scope).
BLOCKS = (*LOOPS, ast.With, ast.AsyncWith, *TRIES)
#: The pseudo node type probes register for to be told of every body (a list of statements)
#: below a function, before its statements are walked.
BODY = list

Function = ast.FunctionDef | ast.AsyncFunctionDef

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
    """Where the file calls what (see the module docstring for the approximations), and what
    each probe found (`found`, read through `Probe.of`).

    Each place comes with its block: the index of the top-level `def` or `class` holding it in
    the module's body, or MODULE. A rule's screen answers with the blocks where it may fire.
    """

    #: Callees of every call in async code.
    async_calls: set[tuple[Callee, int]] = field(default_factory=set)
    #: Every qualified name any call of the file may resolve to (receiver types start at constructors).
    called_names: set[str] = field(default_factory=set)
    #: Names bound by `import x` / `import x as y` (modules, not objects).
    module_names: set[str] = field(default_factory=set)
    #: Block number -> its lines, for every top-level `def` and `class`, and every method of a
    #: top-level class, that a stub can stand for.
    blocks: dict[int, Block] = field(default_factory=dict)
    #: Blocks that are always read: they hold a `global` statement (they may bind module names).
    always: set[int] = field(default_factory=set)
    #: The lines (first, last; decorators included) of every statement at module level, in order.
    statements: list[tuple[int, int]] = field(default_factory=list)
    #: Probe class -> its fact of the file.
    found: dict[type[Probe], Any] = field(default_factory=dict)


class Raw(NamedTuple):
    """A callee as spelled, resolved once the walk has seen every import (`Probe.finish`)."""

    root: str
    parts: tuple[str, ...]
    owner: str
    scope: int  # where it stands: an index in `FactWalk.scopes`
    #: The spellings (root, attributes) of the classes its root parameter is annotated with.
    declared: tuple[tuple[str, tuple[str, ...]], ...] = ()
    self_class: str = ""  # (see `Callee.self_class`)


Site = tuple[Raw, int]  # a callee as spelled, and its block
Resolve = Callable[[Raw], Callee]
F = TypeVar("F", bound=Callable[..., Any])


def notes(*kinds: type) -> Callable[[F], F]:
    """Register a probe's method to be told of every node of these types, before what is below it is walked."""

    def register(method: F) -> F:
        method._notes = kinds  # type: ignore[attr-defined]
        return method

    return register


def notes_calls(*finals: str) -> Callable[[F], F]:
    """Register a probe's method to be told of every call whose callee's final name is one of these
    (`cancel` of `self._task.cancel()`): cheaper than being told of every `ast.Call`."""

    def register(method: F) -> F:
        method._calls = finals  # type: ignore[attr-defined]
        return method

    return register


def walks(*kinds: type) -> Callable[[F], F]:
    """Register a probe's method that may walk what is below nodes of these types itself:
    it answers True when it did (then the generic walk does not). One per node type."""

    def register(method: F) -> F:
        method._walks = kinds  # type: ignore[attr-defined]
        return method

    return register


class Probe:
    """What a family's screens need of a file beyond the generic facts: told of the node types
    its methods register for (`notes`, `walks`), it finishes into one fact (`FileFacts.found`)."""

    #: Whether the probe keeps state per scope: `enter` and `leave` are called around each.
    scoped: ClassVar[bool] = False

    def __init__(self, walk: FactWalk) -> None:
        self.walk = walk

    def enter(self) -> object:
        """The walk enters code that is not part of the current scope's running body (a nested
        scope, or a definition's decorators, parameters and annotations); what `leave` restores."""
        return None

    def leave(self, saved: object) -> None:
        """The walk leaves what `enter` was called for."""

    def finish(self, resolve: Resolve) -> object:
        """The probe's fact of the file, once every node is walked (`resolve` gives a `Raw` its `Callee`)."""
        return None

    @classmethod
    def of(cls, facts: FileFacts) -> Any:
        """The probe's fact of this file."""
        return facts.found[cls]


def facts_of_source(source: bytes | str, module: str, package_init: bool, probes: Sequence[type[Probe]] = ()) -> FileFacts | None:
    """The facts of a source, or None when `ast` cannot read it (then nothing may be skipped)."""
    tree = parse_ast(source)
    return collect_facts(tree, module, package_init, probes) if tree is not None else None


def collect_facts(tree: ast.Module, module: str, package_init: bool, probes: Sequence[type[Probe]] = ()) -> FileFacts | None:
    """The facts of a parsed module, with those of these probes (None when it nests too deeply to walk)."""
    walk = FactWalk(module, package_init, tree, probes)
    statements = []
    try:
        for index, stmt in enumerate(tree.body):
            decorators = getattr(stmt, "decorator_list", ())
            statements.append((min([stmt.lineno, *(d.lineno for d in decorators)]), stmt.end_lineno or stmt.lineno))
            block = _block(stmt)
            walk.block = index if block is not None else MODULE
            walk.visit(stmt)
            if block is not None:
                walk.blocks[index] = block
    except RecursionError:
        return None
    facts = walk.finish()
    facts.statements = statements
    return facts


#: A probe's method, unbound, with the index of its probe in the walk: `method(probes[index], node)`.
_Method = tuple[int, Callable[[Any, Any], Any]]


class _Dispatch(NamedTuple):
    """Which probe methods a walk calls for which node types (worked out once per set of probes)."""

    #: Node type -> the methods told of it, and the one that may walk what is below it.
    handlers: dict[type, tuple[tuple[_Method, ...], _Method | None]]
    #: A callee's final name -> the methods told of calls of it.
    calls: dict[str, tuple[_Method, ...]]
    plain: frozenset[type]  # kinds with nothing to note: only what is below them is walked


@functools.lru_cache(maxsize=None)
def _dispatch(probes: tuple[type[Probe], ...]) -> _Dispatch:
    noted: dict[type, list[_Method]] = {}
    walked: dict[type, _Method] = {}
    calls: dict[str, list[_Method]] = {}
    for index, probe in enumerate(probes):
        for name in dir(probe):
            method = getattr(probe, name)
            for final in getattr(method, "_calls", ()):
                calls.setdefault(final, []).append((index, method))
            for kind in getattr(method, "_notes", ()):
                noted.setdefault(kind, []).append((index, method))
            for kind in getattr(method, "_walks", ()):
                if kind in walked:
                    raise TypeError(f"two probes walk {kind.__name__}: {probes[walked[kind][0]].__name__}, {probe.__name__}")
                walked[kind] = (index, method)
    handlers = {kind: (tuple(noted.get(kind, ())), walked.get(kind)) for kind in {*noted, *walked}}
    found = {final: tuple(methods) for final, methods in calls.items()}
    return _Dispatch(handlers, found, frozenset(_ALL_KINDS - _GENERIC - set(handlers)))


class FactWalk:
    """One walk of a module: the generic facts, and the probes told of what they registered for."""

    def __init__(self, module: str, package_init: bool, tree: ast.Module, probes: Sequence[type[Probe]] = ()) -> None:
        self.module = module
        self.package_init = package_init
        self.tree = tree
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
        self.function_node: Function | None = None  # the innermost def
        #: The innermost function's annotated parameters -> the class spellings of their annotations.
        self.annotated: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {}
        self.block = MODULE  # the top-level block being visited
        self.blocks: dict[int, Block] = {}
        self.always: set[int] = set()
        self.setters: dict[int, set[str]] = {}  # block -> attributes it assigns
        #: The scope (function, class, lambda, comprehension) around the node, and its `reads`.
        self.frame = Reads([])
        self.reads = self.frame.reads
        self.dotted: set[str] = set()  # roots of `import a.b` (libcst counts `a.b.c` a read of `a.b`)
        #: Per function or class body (the module first): the names it binds as targets, and the
        #: index of the scope around it (-1 for the module).
        self.scopes: list[tuple[set[str], int]] = [(set(), -1)]
        self.scope = 0  # the innermost around the node
        self.declared: set[str] = set()  # names in `global` and `nonlocal` statements
        self.async_calls: list[Site] = []
        self.all_calls: list[Raw] = []
        #: The callee of the call being noted, and its final name (`get` of `a.b.get`; probes of
        #: `ast.Call` read them rather than spell them again).
        self.call: Raw = _NO_RAW
        self.call_final = ""
        self.probe_types = tuple(probes)
        self.probes = [probe(self) for probe in self.probe_types]
        self.scoped_probes = [probe for probe in self.probes if probe.scoped]
        dispatch = _dispatch(self.probe_types)
        self.plain = dispatch.plain
        self.handlers = dispatch.handlers
        #: Whether no probe is told of attributes (then `visit` follows their chains itself).
        self.plain_attributes = ast.Attribute not in self.handlers
        self.calls = dispatch.calls
        self.body_notes = self.handlers[BODY][0] if BODY in self.handlers else ()

    # Callees.
    def raw(self, expr: ast.expr) -> Raw:
        """The callee `expr` spells, where it stands."""
        if type(expr) is ast.Name:  # (a plain name, the most common callee: no parts, no owner, no declared type)
            return Raw(expr.id, (), "", self.scope, ())
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
        function = self.function_node
        if len(parts) == 2 and root and root == self.self_name and (function is None or not is_staticmethod(function)):
            return Raw(root, tuple(parts), owner, self.scope, declared, self.owner)
        return Raw(root, tuple(parts), owner, self.scope, declared)

    # Traversal.
    def visit_body(self, body: list[ast.stmt]) -> None:
        """Walk a list of statements (probes registered for BODY are told of it first)."""
        for index, note in self.body_notes:
            note(self.probes[index], body)
        for stmt in body:
            self.visit(stmt)

    def visit(self, node: ast.AST) -> None:
        """Walk a node and what is below it."""
        kind = type(node)
        if kind is ast.Name:  # the most frequent node first (`children` reads those below a node itself)
            if type(node.ctx) is ast.Store:  # type: ignore[attr-defined]
                self.scopes[self.scope][0].add(node.id)  # type: ignore[attr-defined]
            else:
                self.reads.add(node.id)  # type: ignore[attr-defined]
            return
        if kind is ast.Attribute and self.plain_attributes:  # the next most frequent: down its chain
            while True:
                if type(node.ctx) is ast.Store:  # type: ignore[attr-defined]
                    self.setters.setdefault(self.block, set()).add(node.attr)  # type: ignore[attr-defined]
                node = node.value  # type: ignore[attr-defined]
                kind = type(node)
                if kind is not ast.Attribute:
                    break
            if kind is ast.Name:
                if type(node.ctx) is ast.Store:  # type: ignore[attr-defined]
                    self.scopes[self.scope][0].add(node.id)  # type: ignore[attr-defined]
                else:
                    self.reads.add(node.id)  # type: ignore[attr-defined]
            elif kind not in _LEAVES:
                self.visit(node)
            return
        if kind in self.plain:  # most of the rest: nothing to note but what is below
            self.children(node)
            return
        if kind is ast.Call:
            self.call = call = self.raw(node.func)  # type: ignore[attr-defined]
            self.call_final = final = call.parts[-1] if call.parts else call.root
            self.all_calls.append(call)
            if self.in_async:
                self.async_calls.append((self.call, self.block))
            told = self.calls.get(final)
            if told is not None:
                for index, note in told:
                    note(self.probes[index], node)
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
        elif kind is ast.AnnAssign:
            self.visit(node.target)  # type: ignore[attr-defined]
            if node.value is not None:  # type: ignore[attr-defined]
                self.visit(node.value)  # type: ignore[attr-defined]
            self.apart((node.annotation,))  # type: ignore[attr-defined]
            return
        elif kind in _COMPREHENSION_KINDS:
            outer = self.nested([clause.target for clause in node.generators])  # type: ignore[attr-defined]
            if not self.note(node):
                self.children(node)
            self.frame, self.reads = outer, outer.reads
            return
        handlers = self.handlers.get(kind)
        if handlers is not None:  # (inlined `note`: most nodes that get here have a probe)
            probes = self.probes
            for index, note in handlers[0]:
                note(probes[index], node)
            walker = handlers[1]
            if walker is not None and walker[1](probes[walker[0]], node):
                return
        self.children(node)

    def note(self, node: ast.AST) -> bool:
        """Tell the probes of `node` (not of what is below it); True when one walked what is below it."""
        handlers = self.handlers.get(type(node))
        if handlers is None:
            return False
        for index, note in handlers[0]:
            note(self.probes[index], node)
        walker = handlers[1]
        return walker is not None and bool(walker[1](self.probes[walker[0]], node))

    def children(self, node: ast.AST) -> None:
        """Walk what is below `node` (a name is noted here, as `visit` would: a call less for each)."""
        fields = _FIELDS.get(type(node))
        if fields is None:
            fields = _FIELDS[type(node)] = tuple(f for f in node._fields if f not in LEAF_FIELDS)
        for name in fields:
            value = getattr(node, name, None)
            kind = type(value)
            if kind is ast.Name:
                if type(value.ctx) is ast.Store:  # type: ignore[union-attr]
                    self.scopes[self.scope][0].add(value.id)  # type: ignore[union-attr]
                else:
                    self.reads.add(value.id)  # type: ignore[union-attr]
            elif kind is list:
                if not value:
                    continue
                if isinstance(value[0], ast.stmt):
                    self.visit_body(value)
                    continue
                for item in value:
                    kind = type(item)
                    if kind is ast.Name:
                        if type(item.ctx) is ast.Store:
                            self.scopes[self.scope][0].add(item.id)
                        else:
                            self.reads.add(item.id)
                    elif kind not in _SKIPPED:  # (a node: the items of a list of nodes are nodes, None or names)
                        self.visit(item)
            elif kind not in _SKIPPED and isinstance(value, ast.AST):
                self.visit(value)

    def enter(self) -> list[object]:
        """Tell the scoped probes the walk enters code apart from the current scope's body."""
        return [probe.enter() for probe in self.scoped_probes] if self.scoped_probes else _NOTHING

    def leave(self, saved: list[object]) -> None:
        """Tell the scoped probes the walk is back (`saved`: what `enter` gave)."""
        if saved:
            for probe, state in zip(self.scoped_probes, saved):
                probe.leave(state)

    def scoped(self, body: list[ast.stmt], *, in_async: bool, owner: str, self_name: str, prefix: str) -> None:
        saved = (self.in_async, self.owner, self.self_name, self.prefix, self.scope)
        probes = self.enter()
        self.in_async, self.owner, self.self_name, self.prefix = in_async, owner, self_name, prefix
        self.scopes.append((set(), self.scope))
        self.scope = len(self.scopes) - 1
        self.visit_body(body)
        self.in_async, self.owner, self.self_name, self.prefix, self.scope = saved
        self.leave(probes)

    def apart(self, parts: Iterable[ast.AST]) -> None:
        """Walk code a body holds but does not run as its own (a nested def's decorators, an annotation)."""
        probes = self.enter()
        for part in parts:
            self.visit(part)
        self.leave(probes)

    def function(self, node: Function) -> None:
        self.apart((*node.decorator_list, node.args, *([node.returns] if node.returns else [])))
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
        self.apart((*node.decorator_list, *node.bases, *node.keywords))
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
        saved = (self.in_async, self.owner, self.self_name, self.prefix)
        probes = self.enter()
        self.in_async, self.owner, self.self_name, self.prefix = False, "", "", prefix
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
        self.in_async, self.owner, self.self_name, self.prefix = saved
        self.leave(probes)

    def lambda_(self, node: ast.Lambda) -> None:
        self.apart((node.args,))
        saved = (self.in_async, self.owner, self.self_name)
        probes = self.enter()
        self.in_async, self.owner, self.self_name = False, "", ""
        outer = self.nested([node])
        self.visit(node.body)
        self.frame, self.reads = outer, outer.reads
        self.in_async, self.owner, self.self_name = saved
        self.leave(probes)

    def nested(self, binders: list[ast.AST]) -> Reads:
        """Enter a scope (a def, class, lambda or comprehension: `binders` tell what it binds); the one around it is returned."""
        outer, self.frame = self.frame, Reads(binders)
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

    # Resolution, once every import is known.
    def names(self, raw: Raw) -> frozenset[str]:
        """The qualified names a callee may resolve to."""
        key = (raw.root, raw.parts)
        found = self.named.get(key)
        if found is None:
            found = self.named[key] = self._names(raw)
        return found

    def _names(self, raw: Raw) -> frozenset[str]:
        if not raw.root:
            return frozenset()
        rest = "".join("." + part for part in raw.parts)
        found = {target + rest for target in self.imports.get(raw.root, ())}
        found.add(f"builtins.{raw.root}{rest}")
        found.add(f"{self.module}.{raw.root}{rest}")
        found.update(f"{self.module}.{key}{rest}" for key in self.local_keys.get(raw.root, ()))
        return frozenset(found)

    def assigned_around(self, raw: Raw) -> bool:
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
        """The facts of the walked module, the probes' included."""
        made: dict[Raw, Callee] = {}
        attributes = {name for names in self.setters.values() for name in names}

        def callee(raw: Raw) -> Callee:
            found = made.get(raw)
            if found is None:
                attr = raw.parts[-1] if raw.parts else ""
                typable = len(raw.parts) > 1 and raw.parts[0] in attributes or self.assigned_around(raw)
                before = raw.parts[-2] if len(raw.parts) > 1 else ""
                declared = frozenset(n for root, parts in raw.declared for n in self.names(Raw(root, parts, "", 0)))
                found = made[raw] = Callee(
                    self.names(raw), attr, raw.owner, raw.root, typable, before, declared, raw.self_class
                )
            return found

        facts = FileFacts(module_names=self.module_names)
        facts.blocks, facts.always = self.blocks, self.always
        facts.async_calls = {(callee(r), block) for r, block in self.async_calls}
        names = self.names
        facts.called_names = {name for r in set(self.all_calls) for name in names(r)}  # (as `callee(r).names`)
        facts.found = {type(probe): probe.finish(callee) for probe in self.probes}
        # Each probe refers to the walk, which refers to the probes and the whole tree: let go of
        # the probes, so that the walk and its tree are freed now, not by a cyclic collection
        # (index building walks thousands of trees; kept for the collector, they cost it dearly).
        self.probes = self.scoped_probes = []
        return facts


_NO_RAW = Raw("", (), "", 0)
_NOTHING: list[object] = []


def _block(stmt: ast.stmt) -> Block | None:
    """The block of a `def` or `class` that a stub can stand for."""
    if not isinstance(stmt, _DEFINITIONS) or not stmt.name.isascii() or stmt.end_lineno is None:
        return None
    first = min([stmt.lineno, *(d.lineno for d in stmt.decorator_list)])
    stub = f"class {stmt.name}: pass" if isinstance(stmt, ast.ClassDef) else f"def {stmt.name}(): pass"
    return Block(first, stmt.lineno, stmt.end_lineno, stub)


class Reads:
    """The names a scope (function, class, lambda, comprehension) reads, and the scopes in it."""

    __slots__ = ("reads", "inner", "binders", "bound")

    def __init__(self, binders: list[ast.AST]) -> None:
        self.reads: set[str] = set()  # read (or deleted) in the scope's own code
        self.inner: list[Reads] = []
        self.binders = binders  # the scope's node (a comprehension's: its targets)
        self.bound: set[str] | None = None  # what `binders` may bind, once asked

    def reads_name(self, name: str) -> bool:
        """Whether the scope reads `name`, itself or in a nested scope that does not bind it
        (a name a nested scope may bind may be another variable: it does not count)."""
        return name in self.reads or any(scope.reads_name(name) and name not in scope.binds() for scope in self.inner)

    def binds(self) -> set[str]:
        """What the scope's binders may bind."""
        if self.bound is None:
            self.bound = bound_names(self.binders)
        return self.bound


#: Node types with nothing below them the walk needs.
_LEAVES = frozenset({ast.Constant, ast.Pass, ast.Break, ast.Continue})
#: What `children` passes over: those nodes, and what a field or list of nodes holds that is no node.
_SKIPPED = _LEAVES | {type(None), str}
#: Node type -> its fields that may hold nodes (filled as types are met).
_FIELDS: dict[type, tuple[str, ...]] = {}


def _node_kinds(kind: type[ast.AST]) -> Iterable[type[ast.AST]]:
    sub: type[ast.AST]
    for sub in kind.__subclasses__():
        yield sub
        yield from _node_kinds(sub)


_ALL_KINDS = frozenset(_node_kinds(ast.AST))
#: The kinds of node the generic walk notes something of itself.
_GENERIC = frozenset(
    {ast.Name, ast.Call, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.Global, ast.Nonlocal}
    | {ast.Attribute, ast.Import, ast.ImportFrom, ast.AnnAssign, *_COMPREHENSION_KINDS}
)


def below(nodes: Iterable[ast.AST], leaving: tuple[type, ...] = _SCOPES) -> Iterable[ast.AST]:
    """These nodes and every node under them, leaving out nested functions, lambdas and classes
    (or the `leaving` kinds of node), and the contexts of names and attributes (`Load`, `Store`)."""
    stack = [node for node in nodes if not isinstance(node, leaving)]
    while stack:
        node = stack.pop()
        yield node
        _push_below(stack, node, leaving)


def own_code(function: Function) -> Iterable[ast.AST]:
    """The nodes of the function's own scope: not those of nested functions, classes or comprehensions
    (nor contexts, as `below`)."""
    return below(function.body, OWN_SCOPES)


#: Node type -> its fields but the context (`ctx`) of names and attributes (`_push_below`).
_BELOW_FIELDS: dict[type, tuple[str, ...]] = {}


def _push_below(stack: list[ast.AST], node: ast.AST, leaving: tuple[type, ...]) -> None:
    """Push the nodes right below `node` but those of the `leaving` kinds (`ast.iter_child_nodes`, in
    its order, without the contexts: a third of a module's nodes, which no reader of `below` asks for)."""
    fields = _BELOW_FIELDS.get(type(node))
    if fields is None:
        fields = _BELOW_FIELDS[type(node)] = tuple(f for f in node._fields if f != "ctx")
    for name in fields:
        value = getattr(node, name, None)
        if type(value) is list:
            for item in value:
                if isinstance(item, ast.AST) and not isinstance(item, leaving):
                    stack.append(item)
        elif isinstance(value, ast.AST) and not isinstance(value, leaving):
            stack.append(value)


def uses(function: Function, name: str, contexts: tuple[type, ...]) -> bool:
    """Whether the function's own code certainly has `name` in one of these contexts (Load, Store...).

    Nested functions and comprehensions do not count (they may bind the name themselves),
    and a `global`/`nonlocal` of the name makes the answer no.
    """
    found = False
    for node in own_code(function):
        if isinstance(node, (ast.Global, ast.Nonlocal)) and name in node.names:
            return False
        if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, contexts):
            found = True
    return found


def final_name(func: ast.expr) -> str:
    """`sleep` of `asyncio.sleep`, `f` of `f`; empty for anything else (as the rules' `final_name`)."""
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def root(expr: ast.expr) -> str:
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


def suspends(body: list[ast.stmt]) -> bool:
    """Whether code can suspend the task (`await`, `async for`, `async with`), as `_flow.suspends` says."""
    return any(isinstance(node, (ast.Await, ast.AsyncFor, ast.AsyncWith)) for node in below(body))


def bound_names(nodes: Iterable[ast.AST]) -> set[str]:
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
    elif isinstance(annotation, ast.Subscript) and final_name(annotation.value) in ("Optional", "Union"):
        inner = annotation.slice
        for element in inner.elts if isinstance(inner, ast.Tuple) else [inner]:
            yield from _annotation_classes(element, depth + 1)
    elif isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        yield from _annotation_classes(annotation.left, depth + 1)
        yield from _annotation_classes(annotation.right, depth + 1)
