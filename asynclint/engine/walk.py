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
batched visitor acts on Module nodes only (a batched metadata provider's traversal).
"""

from __future__ import annotations

import functools
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator, Mapping

from libcst import BatchableCSTVisitor, CSTNode, CSTVisitor, MaybeSentinel, Module

_LIBCST_VISIT = CSTNode.visit


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

    def on_visit_attribute(self, node: CSTNode, attribute: str) -> None:
        self.fields.append(attribute)


#: A node class -> its fields in visit order (each with whether it is visited, announced, when
#: it is None, and `Class_field`), and whether the class has its own `visit` (a Module).
_CLASSES: dict[type[CSTNode], tuple[tuple[tuple[str, bool, str], ...], bool]] = {}


def _announced(kind: type[CSTNode], none: str | None) -> list[str]:
    recorder = _Recorder()
    try:
        kind._visit_and_replace_children(_Stand(none), recorder)  # type: ignore[arg-type]
    except Exception:  # noqa: BLE001 (building a node of placeholders, or visiting a None)
        pass
    return recorder.fields


def _class_info(kind: type[CSTNode]) -> tuple[tuple[tuple[str, bool, str], ...], bool]:
    """The fields `kind._visit_and_replace_children` visits, in its order, whether it visits
    each when it is None, and whether `kind` has a `visit` of its own.

    Recorded by running that very method on a stand-in node whose fields are placeholders:
    it announces each field to the visitor (`on_visit_attribute`) before visiting it. The
    node it then builds from placeholders fails to validate, which is expected. Then once
    more for each field with that field None: `visit_optional` announces a None, a field
    visited only when it is not None (an f-string's `format_spec`) is not announced. Cached
    per class.
    """
    known = _CLASSES.get(kind)
    if known is None:
        fields = tuple((name, name in _announced(kind, name), f"{kind.__name__}_{name}") for name in _announced(kind, None))
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


class Batchable(BatchableCSTVisitor):
    """A batchable visitor whose methods are listed once per class (libcst lists them per instance, with `inspect`)."""

    def get_visitors(self) -> Mapping[str, Callable[[CSTNode], None]]:
        return {name: getattr(self, name) for name in _visitor_method_names(type(self))}


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
    _walk(node, visitor, handlers, False)
    return node


def _walk(node: CSTNode, visitor: CSTVisitor, handlers: frozenset[str] | None, child: bool) -> None:
    """Visit `node` and its children (a child whose class has its own `visit` goes through it)."""
    kind = type(node)
    known = _CLASSES.get(kind)
    fields, own_visit = _class_info(kind) if known is None else known
    if child and own_visit:
        node.visit(visitor)
        return
    if visitor.on_visit(node):
        for name, when_none, handled in fields:
            value = getattr(node, name)
            if value is None and not when_none:
                continue
            announce = handlers is None or handled in handlers
            if announce:
                visitor.on_visit_attribute(node, name)
            if isinstance(value, (tuple, list)):
                for item in value:
                    _walk(item, visitor, handlers, True)
            elif value is not None and value is not _DEFAULT:
                _walk(value, visitor, handlers, True)
            if announce:
                visitor.on_leave_attribute(node, name)
    visitor.on_leave(node)


@contextmanager
def read_only_visits() -> Iterator[None]:
    """While it lasts, `CSTNode.visit` walks a `CSTVisitor` without rebuilding the tree."""
    if CSTNode.visit is not _LIBCST_VISIT:  # already on (nested)
        yield
        return
    CSTNode.visit = _read_only_visit  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        CSTNode.visit = _LIBCST_VISIT  # type: ignore[method-assign]
        _INSTANCES.clear()

