"""libcst's read-only traversals, without rebuilding the tree they walk.

`CSTNode.visit` rebuilds every node it leaves, even for a `CSTVisitor`, which cannot change
the tree and whose result is the tree it was given: that rebuilding (a new node, validated,
per node and per traversal) costs about five times the walk itself. A check walks each
module five times (two metadata providers, each one batched traversal and its own visitor,
then the rules), so `read_only_visits()` makes `CSTNode.visit` walk a `CSTVisitor` over the
nodes as they are while it lasts. Everything else is as libcst does it: the same calls to
the visitor (`on_visit`, `on_visit_attribute`, `on_leave_attribute`, `on_leave`), in the
same order, children in the order `_visit_and_replace_children` visits them (recorded from
that very method, see `_class_info`). A transformer, and any visitor that is not a
`CSTVisitor`, goes through libcst's own `visit`. Calls that cannot do anything are left
out: an attribute visit the visitor has no method for, and the children of a module whose
batched visitor acts on Module nodes only (a batched metadata provider's traversal). Where
`on_visit`/`on_leave` are libcst's own (which look the visitor's method up by name per node,
or in the batched visitor's table), the walk calls the method they would call, looked up
once per node class (`_hooks_for`).

This leans on libcst internals (`_visit_and_replace_children`, the name and fields of its
`_BatchedCSTVisitor`, the `_is_no_op` mark of its stub methods), so at first use a self-check
(`walk_is_libcst`) replays a module of many kinds of node both ways, plain, pruned, through
libcst's own `on_visit` and batched: on any difference, libcst's own `visit` is used instead, with a one-line warning.
A node class whose visit order cannot be recorded cleanly (an error while a field is
visited) is visited by libcst's own `visit` (its children still by the walk).
"""

from __future__ import annotations

import functools
import sys
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator, Mapping

from libcst import (
    BatchableCSTVisitor,
    CSTNode,
    CSTVisitor,
    FunctionDef,
    MaybeSentinel,
    Module,
    parse_module,
    visit_batched,
)

_LIBCST_VISIT = CSTNode.visit
_LIBCST_GET_VISITORS = BatchableCSTVisitor.get_visitors


class _Placeholder:
    """Stands for every field of a node while its visit order is recorded: visited, it stays itself; iterated, it is empty."""

    def visit(self, visitor: object) -> _Placeholder:
        return self

    def __iter__(self) -> Iterator[CSTNode]:
        return iter(())


_PLACEHOLDER = _Placeholder()
_DEFAULT = MaybeSentinel.DEFAULT


class _Stand:
    """A node whose every field is the placeholder, but one that is None."""

    def __init__(self, none: str | None) -> None:
        self._none = none

    def __getattr__(self, name: str) -> _Placeholder | None:
        return None if name == self._none else _PLACEHOLDER


class _Recorder(CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.fields: list[str] = []
        self.left = 0  # fields visited to the end

    def on_visit_attribute(self, node: CSTNode, attribute: str) -> None:
        self.fields.append(attribute)

    def on_leave_attribute(self, original_node: CSTNode, attribute: str) -> None:
        self.left += 1


_Fields = tuple[tuple[str, bool, str], ...]
#: A node class -> its fields in visit order (each with whether it is visited, announced, when
#: it is None, and `Class_field`; None: unknown, libcst visits it), and whether the class has
#: its own `visit` (a Module).
_CLASSES: dict[type[CSTNode], tuple[_Fields | None, bool]] = {}


def _announced(kind: type[CSTNode], none: str | None) -> list[str] | None:
    """The fields announced, in order, with field `none` None; None when the visit of a field
    (not the building of the node afterwards) failed with every field a placeholder."""
    recorder = _Recorder()
    try:
        kind._visit_and_replace_children(_Stand(none), recorder)  # type: ignore[arg-type]
    except Exception:  # noqa: BLE001 (building a node of placeholders, or visiting a None)
        if none is None and recorder.left != len(recorder.fields):
            return None  # a placeholder's visit cannot fail: libcst is not what this module expects
    return recorder.fields


def _class_info(kind: type[CSTNode]) -> tuple[_Fields | None, bool]:
    """The fields `kind._visit_and_replace_children` visits, in its order, whether it visits
    each when it is None, and whether `kind` has a `visit` of its own.

    Recorded by running that very method on a stand-in node whose fields are placeholders:
    it announces each field to the visitor (`on_visit_attribute`) before visiting it. The
    node it then builds from placeholders fails to validate, which is expected; a failure
    while a field is visited is not, and leaves the fields unknown (None). Then once more
    for each field with that field None: `visit_optional` announces a None, a field visited
    only when it is not None (an f-string's `format_spec`) is not announced. Cached per class.
    """
    known = _CLASSES.get(kind)
    if known is None:
        names = _announced(kind, None)
        fields: _Fields | None = None
        if names is not None:
            fields = tuple((name, name in (_announced(kind, name) or ()), f"{kind.__name__}_{name}") for name in names)
        else:
            _warn(f"cannot record how libcst visits {kind.__name__}")
        own_visit = any("visit" in vars(base) for base in kind.__mro__ if base is not CSTNode and issubclass(base, CSTNode))
        known = _CLASSES[kind] = (fields, own_visit)
    return known


def _handled(names: Iterable[str]) -> frozenset[str]:
    """`Class_field` of each attribute visit or leave method among these names."""
    return frozenset(name.split("_", 1)[1] for name in names if name.startswith(("visit_", "leave_")) and name.count("_") >= 2)


@functools.lru_cache(maxsize=None)
def _visitor_method_names(kind: type) -> tuple[str, ...]:
    """The names of the `visit_*` and `leave_*` methods of a visitor class that are not libcst's empty stubs."""
    return tuple(
        name
        for name in sorted(dir(kind))
        if name.startswith(("visit_", "leave_"))
        and callable(method := getattr(kind, name))
        and not getattr(method, "_is_no_op", False)
    )


def _listed_once(visitor: BatchableCSTVisitor) -> Mapping[str, Callable[[CSTNode], None]]:
    """`BatchableCSTVisitor.get_visitors`, the methods listed once per class."""
    return {name: getattr(visitor, name) for name in _visitor_method_names(type(visitor))}


class Batchable(BatchableCSTVisitor):
    """A batchable visitor whose methods are listed once per class (libcst lists them per instance, with `inspect`)."""

    def get_visitors(self) -> Mapping[str, Callable[[CSTNode], None]]:
        if not walk_is_libcst():
            return super().get_visitors()
        return _listed_once(self)


@functools.lru_cache(maxsize=None)
def _kind_of_visitor(kind: type) -> tuple[bool, frozenset[str] | None]:
    """Whether visitors of this class are read-only, and the `Class_field` pairs they may act on
    (None: each instance tells, or the class decides for every field itself)."""
    if not issubclass(kind, CSTVisitor):
        return False, None
    if kind.on_visit_attribute is CSTVisitor.on_visit_attribute and kind.on_leave_attribute is CSTVisitor.on_leave_attribute:
        return True, _handled(_visitor_method_names(kind))
    return True, None


#: id of a visitor whose class does not tell its attribute handlers -> (the visitor, its handlers
#: (None: all), whether it acts on Module nodes only).
_INSTANCES: dict[int, tuple[object, frozenset[str] | None, bool]] = {}


def _instance_handlers(visitor: CSTVisitor) -> tuple[frozenset[str] | None, bool]:
    """The `Class_field` pairs a visitor may act on, and whether it acts on Module nodes only.

    Only libcst's batched visitor tells: the methods it batches. Batched metadata providers
    (scopes, expression contexts) do all their work in `visit_Module`, with a visitor of their
    own, and the batched traversal that calls it then walks the whole module for nothing.
    """
    known = _INSTANCES.get(id(visitor))
    if known is None or known[0] is not visitor:
        methods = getattr(visitor, "visitor_methods", None)  # libcst's batched visitor: the methods it batches
        if type(visitor).__name__ == "_BatchedCSTVisitor" and isinstance(methods, dict):
            callbacks = getattr(visitor, "before_visit", True) is None and getattr(visitor, "after_leave", True) is None
            types = {name.split("_")[1] for name in methods if methods[name]}
            known = (visitor, _handled(methods), callbacks and types <= {"Module"})
        else:
            known = (visitor, None, False)
        _INSTANCES[id(visitor)] = known
    return known[1], known[2]


#: What the walk calls on a node of one class: its visit (None: none, the children are visited;
#: else the children are visited when it answers true) and its leave (None: none).
_Hooks = tuple[Callable[[CSTNode], Any] | None, Callable[[CSTNode], Any] | None]

#: id of a visitor -> (the visitor, each node class -> its hooks), filled as the walk meets the classes.
_HOOKS: dict[int, tuple[object, dict[type, _Hooks]]] = {}


def _calling_each(methods: tuple[Callable[[CSTNode], Any], ...], answer: bool | None) -> Callable[[CSTNode], Any] | None:
    """One hook calling these methods in turn (None: no method), answering `answer`."""
    if not methods:
        return None
    if len(methods) == 1 and answer is None:
        return methods[0]

    def each(node: CSTNode) -> bool | None:
        for method in methods:
            method(node)
        return answer

    return each


def _own(visitor: CSTVisitor, name: str) -> Callable[[CSTNode], Any] | None:
    """The visitor's method of this name, as `CSTVisitor.on_visit`/`on_leave` finds it (None: none, or libcst's empty stub)."""
    method = getattr(visitor, name, None)
    return None if method is None or getattr(method, "_is_no_op", False) else method


def _hooks_for(visitor: CSTVisitor, kind: type) -> _Hooks:
    """The hooks of a node class: the calls `on_visit`/`on_leave` would make, looked up once per class.

    libcst's `on_visit` and `on_leave` find the methods by name per node (an f-string and a
    lookup each); its batched visitor's, in its table of methods. A visitor that overrides
    them, or a batched one with callbacks, is called through them.
    """
    name = kind.__name__
    visitor_kind = type(visitor)
    methods = getattr(visitor, "visitor_methods", None)
    if (
        visitor_kind.__name__ == "_BatchedCSTVisitor"
        and isinstance(methods, dict)
        and getattr(visitor, "before_visit", True) is None
        and getattr(visitor, "after_leave", True) is None
    ):
        # (its `on_visit` calls each method and answers True whatever they answer)
        visit = _calling_each(tuple(methods.get(f"visit_{name}", ())), True)
        return (visit, _calling_each(tuple(methods.get(f"leave_{name}", ())), None))
    if visitor_kind.on_visit is CSTVisitor.on_visit:
        method = _own(visitor, f"visit_{name}")
        visit = None if method is None else (lambda node, method=method: method(node) is not False)
    else:
        visit = visitor.on_visit
    leave = _own(visitor, f"leave_{name}") if visitor_kind.on_leave is CSTVisitor.on_leave else visitor.on_leave
    return (visit, leave)


def _hooks_of(visitor: CSTVisitor) -> dict[type, _Hooks]:
    known = _HOOKS.get(id(visitor))
    if known is None or known[0] is not visitor:
        known = _HOOKS[id(visitor)] = (visitor, {})
    return known[1]


def _read_only_visit(node: CSTNode, visitor: Any) -> Any:
    """`CSTNode.visit` for a `CSTVisitor`: the same calls, the nodes left as they are."""
    kind: type = type(visitor)
    read_only, handlers = _kind_of_visitor(kind)
    if not read_only:
        return _LIBCST_VISIT(node, visitor)
    if handlers is None:
        handlers, module_only = _instance_handlers(visitor)
        if module_only and isinstance(node, Module):  # nothing below the module is acted on
            visitor.on_visit(node)
            visitor.on_leave(node)
            return node
    _walk(node, visitor, handlers, False, _hooks_of(visitor))
    return node


def _walk(node: CSTNode, visitor: CSTVisitor, handlers: frozenset[str] | None, child: bool, hooks: dict[type, _Hooks]) -> None:
    """Visit `node` and its children (a child whose class has its own `visit` goes through it)."""
    kind = type(node)
    known = _CLASSES.get(kind)
    fields, own_visit = _class_info(kind) if known is None else known
    if child and own_visit:
        node.visit(visitor)
        return
    if fields is None:
        _LIBCST_VISIT(node, visitor)  # (its children come back here through `CSTNode.visit`)
        return
    calls = hooks.get(kind)
    if calls is None:
        calls = hooks[kind] = _hooks_for(visitor, kind)
    visit, leave = calls
    if visit is None or visit(node):
        for name, when_none, handled in fields:
            value = getattr(node, name)
            if value is None and not when_none:
                continue
            announce = handlers is None or handled in handlers
            if announce:
                visitor.on_visit_attribute(node, name)
            if isinstance(value, (tuple, list)):
                for item in value:
                    _walk(item, visitor, handlers, True, hooks)
            elif value is not None and value is not _DEFAULT:
                _walk(value, visitor, handlers, True, hooks)
            if announce:
                visitor.on_leave_attribute(node, name)
    if leave is not None:
        leave(node)


@contextmanager
def read_only_visits() -> Iterator[None]:
    """While it lasts, `CSTNode.visit` walks a `CSTVisitor` without rebuilding the tree
    (unless the self-check finds this libcst visits otherwise)."""
    if CSTNode.visit is not _LIBCST_VISIT or not walk_is_libcst():  # already on (nested), or off
        yield
        return
    CSTNode.visit = _read_only_visit  # type: ignore[method-assign,assignment]
    # A batched metadata provider of libcst's (scopes, expression contexts) lists its visitor
    # methods with `inspect` once per file it resolves (about 2 ms each): once per class here.
    BatchableCSTVisitor.get_visitors = _listed_once  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        CSTNode.visit = _LIBCST_VISIT  # type: ignore[method-assign]
        BatchableCSTVisitor.get_visitors = _LIBCST_GET_VISITORS  # type: ignore[method-assign]
        _INSTANCES.clear()
        _HOOKS.clear()


# --- The self-check ------------------------------------------------------------------------------

#: Many kinds of node, each statement and expression form the walk must order as libcst does.
_SAMPLE = """\
\"\"\"Doc.\"\"\"
from . import a
from .b import *
from x import (y as z, w)
import p.q as r, s
@dec(1)
@other
async def f(a, /, b: int = 2, *args, c, d=-1, **kw) -> None:
    x: list[int] = [i async for i in g() if i if not i]
    print(f"{x!r:>{width}} {y=}" "more", b"bytes", 0x1F, 1.5j, ..., sep='')
    match x:
        case [1, *rest] | {"k": _, **more} if rest:
            pass
        case Point(x=0, y=yy) as pt:
            pass
        case -1 | "s" | None:
            pass
    try:
        await h(*a, **kw)
    except* ValueError as e:
        raise
    try:
        pass
    except (A, B) as e:
        raise C from e
    else:
        del x, y[0], z.w
    finally:
        return
    async with (open(p) as h, q):
        async for u, *v in w:
            yield u
        else:
            continue
    while not x and y or z:
        break
    else:
        x += 1; x **= 2
    lambda q=1, *, k: (yield from q)
    global G
    nonlocal N
    assert x is not y, "message"
    return (a if b else c), {**d, 'e': f}, {1, 2}, (z := 3), t[1:2, ::3], -x + ~y * z @ w // 2
class C[T, *Ts, **P](B, metaclass=M):
    type Alias[K] = dict[K, T]
    v = {k: v for k, v in items}, (i for i in r), {i for i in r}, 1 < x <= 2 != y not in z
"""


class _Calls(CSTVisitor):
    """Every call a visit makes to the visitor, with the node's identity; pruning at `prune`."""

    def __init__(self, prune: type[CSTNode] | None = None) -> None:
        super().__init__()
        self.calls: list[tuple[str, int, str]] = []
        self.prune = prune

    def on_visit(self, node: CSTNode) -> bool:
        self.calls.append(("visit", id(node), ""))
        return self.prune is None or not isinstance(node, self.prune)

    def on_leave(self, original_node: CSTNode) -> None:
        self.calls.append(("leave", id(original_node), ""))

    def on_visit_attribute(self, node: CSTNode, attribute: str) -> None:
        self.calls.append(("visit_attribute", id(node), attribute))

    def on_leave_attribute(self, original_node: CSTNode, attribute: str) -> None:
        self.calls.append(("leave_attribute", id(original_node), attribute))


class _Seeing:
    """What a self-check visitor sees of names and `def`s, in order (it prunes each `def`)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, int]] = []

    def visit_Name(self, node: CSTNode) -> None:
        self.seen.append(("name", id(node)))

    def leave_Name(self, node: CSTNode) -> None:
        self.seen.append(("left name", id(node)))

    def visit_FunctionDef(self, node: CSTNode) -> bool:
        self.seen.append(("def", id(node)))
        return False  # (batched: its children are visited all the same)


class _Noted(_Seeing, BatchableCSTVisitor):
    """A batched visitor acting on a few attributes: what it sees, as libcst batches it."""

    def get_visitors(self) -> Mapping[str, Callable[[CSTNode], None]]:  # (libcst's lists them with `inspect`: slow)
        names = ("visit_Name", "leave_Name", "visit_FunctionDef", "visit_If_orelse", "leave_FunctionDef_body", "visit_Try_handlers")
        return {name: getattr(self, name) for name in names}

    def visit_If_orelse(self, node: CSTNode) -> None:
        self.seen.append(("orelse", id(node)))

    def leave_FunctionDef_body(self, node: CSTNode) -> None:
        self.seen.append(("body", id(node)))

    def visit_Try_handlers(self, node: CSTNode) -> None:
        self.seen.append(("handlers", id(node)))


class _Dispatched(_Seeing, CSTVisitor):
    """A visitor with libcst's `on_visit` and `on_leave` (which find its methods by name): pruning a `def`."""

    def leave_FunctionDef(self, node: CSTNode) -> None:
        self.seen.append(("left def", id(node)))

    def visit_Call(self, node: CSTNode) -> bool:
        self.seen.append(("call", id(node)))
        return True


class _ModuleOnly(BatchableCSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.seen = 0

    def get_visitors(self) -> Mapping[str, Callable[[CSTNode], None]]:
        return {"visit_Module": self.visit_Module}

    def visit_Module(self, node: CSTNode) -> None:
        self.seen += 1


def _same_calls() -> bool:
    """Whether the walk makes libcst's calls, in its order, on `_SAMPLE`: plain, pruned, through
    libcst's own `on_visit`/`on_leave`, batched (and libcst still marks its visitors' stub methods,
    which `Batchable` and the walk leave out)."""
    if not getattr(CSTVisitor.visit_Name, "_is_no_op", False) or "visit_Name" in _visitor_method_names(_Calls):
        return False
    module = parse_module(_SAMPLE)
    for prune in (None, FunctionDef):
        expected, got = _Calls(prune), _Calls(prune)
        _LIBCST_VISIT(module, expected)
        _read_only_visit(module, got)
        if got.calls != expected.calls or not expected.calls:
            return False
    expected_dispatch, got_dispatch = _Dispatched(), _Dispatched()
    _LIBCST_VISIT(module, expected_dispatch)
    _read_only_visit(module, got_dispatch)
    if got_dispatch.seen != expected_dispatch.seen or not expected_dispatch.seen:
        return False
    if any(fields is None for fields, _ in _CLASSES.values()):
        return False
    if _visitor_method_names(_Noted) != tuple(sorted(_Noted().get_visitors())):
        return False
    module = parse_module("def h():\n    if a:\n        b = 1\n    else:\n        return b\n")
    expected_batch, only = _Noted(), _ModuleOnly()
    visit_batched(module, [expected_batch, only])
    CSTNode.visit = _read_only_visit  # type: ignore[method-assign,assignment]
    try:
        got_batch, got_only = _Noted(), _ModuleOnly()
        visit_batched(module, [got_batch, got_only])
        visit_batched(module, [got_only])  # a traversal that acts on the module alone
    finally:
        CSTNode.visit = _LIBCST_VISIT  # type: ignore[method-assign]
        _INSTANCES.clear()
        _HOOKS.clear()
    return got_batch.seen == expected_batch.seen != [] and got_only.seen == only.seen + 1 == 2


@functools.lru_cache(maxsize=None)
def walk_is_libcst() -> bool:
    """The self-check, once per process: whether the walk visits as this libcst does (if not,
    libcst's own `visit` is used, with a warning)."""
    try:
        same = _same_calls()
    except Exception:  # noqa: BLE001 (any failure of the check is a difference)
        same = False
    if not same:
        _warn("its read-only walk does not match how libcst visits")
    return same


#: The warning given, if any (one per process is enough).
_WARNED: list[str] = []


def _warn(what: str) -> None:
    from importlib.metadata import version

    if _WARNED:
        return
    _WARNED.append(what)
    sys.stderr.write(f"asynclint: warning: libcst {version('libcst')}: {what}; using libcst's own (slower) traversal\n")
