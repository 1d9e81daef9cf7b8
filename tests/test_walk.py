"""Read-only visits (`analysis/cst/walk.py`) make exactly libcst's calls, in libcst's order, and change nothing else."""

from __future__ import annotations

import ast
import inspect
import textwrap

import libcst as cst
import pytest
from libcst.metadata import ExpressionContextProvider, MetadataWrapper, ParentNodeProvider, ScopeProvider

from asynclint.analysis.cst import walk
from asynclint.analysis.cst.context import ScopeTracker
from asynclint.app.testing import fixture_files
from asynclint.rules.registry import all_rules


def _node_classes() -> list[type[cst.CSTNode]]:
    found: set[type[cst.CSTNode]] = set()
    todo = [cst.CSTNode]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                todo.append(sub)
    return sorted((c for c in found if not inspect.isabstract(c)), key=lambda c: c.__qualname__)


def _fields_in_source(kind: type[cst.CSTNode]) -> list[str]:
    """The field names `_visit_and_replace_children` passes to libcst's visit helpers, in source order."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(kind._visit_and_replace_children)))
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id.startswith("visit_")
    ]
    names: list[str] = []
    for call in sorted(calls, key=lambda c: (c.lineno, c.col_offset)):
        name = call.args[1]
        assert isinstance(name, ast.Constant)
        if name.value not in names:
            names.append(name.value)
    return names


@pytest.mark.parametrize("kind", _node_classes(), ids=lambda c: c.__qualname__)
def test_the_recorded_order_is_the_order_libcst_visits(kind):
    fields, _ = walk._class_info(kind)
    assert [name for name, _, _ in fields] == _fields_in_source(kind)


def test_only_a_conditionally_visited_field_is_skipped_when_none():
    skipped = {(kind.__name__, name) for kind in _node_classes() for name, when_none, _ in walk._class_info(kind)[0] if not when_none}
    assert ("FormattedStringExpression", "format_spec") in skipped
    assert all(name == "format_spec" for _, name in skipped)
    assert walk._class_info(cst.Module)[1] and not walk._class_info(cst.Name)[1]


class _Events(cst.CSTVisitor):
    """Every call libcst makes to a visitor, with the node's identity."""

    def __init__(self, prune: type[cst.CSTNode] | None = None) -> None:
        super().__init__()
        self.events: list[tuple[str, int, str]] = []
        self.prune = prune

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.events.append(("visit", id(node), ""))
        return not isinstance(node, self.prune) if self.prune is not None else True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.events.append(("leave", id(original_node), ""))

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        self.events.append(("visit_attribute", id(node), attribute))

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        self.events.append(("leave_attribute", id(original_node), attribute))


EDGES = '''
from . import a
from .b import *
from x import (y as z, w)
@dec(1)
async def f(a, /, b: int = 2, *args, c, **kw) -> None:
    x: list[int] = [i async for i in g() if i]
    print(f"{x!r:>{width}} {y=}")
    match x:
        case [1, *rest] | {"k": _} if rest:
            pass
    try:
        pass
    except* ValueError as e:
        raise
    with (open(p) as h, q):
        del x
    lambda: (yield)
    global G
class C[T](B, metaclass=M):
    type Alias[K] = dict[K, T]
'''


@pytest.mark.parametrize("prune", [None, cst.FunctionDef, cst.Name])
def test_a_read_only_visit_makes_the_same_calls_in_the_same_order(prune):
    modules = [cst.parse_module(EDGES)] + [cst.parse_module(p.read_bytes()) for p in fixture_files()[:40]]
    for module in modules:
        expected = _Events(prune)
        assert module.visit(expected) is module
        got = _Events(prune)
        with walk.read_only_visits():
            assert module.visit(got) is module
        assert got.events == expected.events


class _Noting(walk.Batchable):
    """A batchable visitor whose methods note what they see."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []


def test_metadata_and_attribute_visits_are_as_libcst_resolves_them():
    module = cst.parse_module(EDGES + "\ndef h():\n    if a:\n        b = 1\n    else:\n        return b\n")

    def scopes() -> list[tuple[int, str, list[tuple[str, int]], list[int]]]:
        """Each node's scope: what it assigns and what it reads (nodes by identity: the module is the same)."""
        resolved = MetadataWrapper(module, unsafe_skip_copy=True).resolve(ScopeProvider)
        return sorted(
            (
                id(node),
                type(scope).__name__,
                sorted((a.name, id(a.node)) for a in scope.assignments),
                sorted(id(access.node) for access in scope.accesses),
            )
            for node, scope in resolved.items()
            if scope is not None
        )

    class Bodies(_Noting):
        def visit_If_orelse(self, node: cst.If) -> None:
            self.seen.append("orelse")

        def leave_FunctionDef_body(self, node: cst.FunctionDef) -> None:
            self.seen.append(node.name.value)

    expected_scopes, expected = scopes(), Bodies()
    cst.visit_batched(module, [expected])
    with walk.read_only_visits():
        got_scopes, got = scopes(), Bodies()
        cst.visit_batched(module, [got])
    assert got_scopes == expected_scopes
    assert got.seen == expected.seen == ["f", "orelse", "h"]


def test_a_transformer_still_rebuilds_the_tree():
    class Rename(cst.CSTTransformer):
        def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
            return updated_node.with_changes(value=updated_node.value.upper())

    module = cst.parse_module("async def f(x):\n    return g(x)\n")
    with walk.read_only_visits():
        renamed = module.visit(Rename())
    assert renamed.code == "async def F(X):\n    return G(X)\n"


def test_libcst_visits_are_restored_afterwards_even_after_an_error():
    original = cst.CSTNode.visit
    listed = cst.BatchableCSTVisitor.get_visitors
    with pytest.raises(ZeroDivisionError):
        with walk.read_only_visits():
            assert cst.CSTNode.visit is not original
            with walk.read_only_visits():  # nested: still on inside, not turned off on the way out
                pass
            assert cst.CSTNode.visit is not original
            1 / 0
    assert cst.CSTNode.visit is original
    assert cst.BatchableCSTVisitor.get_visitors is listed


@pytest.mark.parametrize("kind", [*all_rules(), ScopeTracker], ids=lambda c: c.__name__)
def test_batchable_visitors_list_the_methods_libcst_would(kind):
    instance = kind.__new__(kind)
    assert walk.Batchable.get_visitors(instance).keys() == cst.BatchableCSTVisitor.get_visitors(instance).keys()


@pytest.mark.parametrize("kind", [ScopeProvider, ExpressionContextProvider, ParentNodeProvider])
def test_libcst_metadata_providers_list_while_checking_the_methods_libcst_would(kind):
    instance = kind()
    with walk.read_only_visits():
        listed = instance.get_visitors()
    assert listed == cst.BatchableCSTVisitor.get_visitors(instance) != {}


def test_a_batched_traversal_acting_on_the_module_only_does_not_walk_its_children(monkeypatch):
    class ModuleOnly(_Noting):
        def visit_Module(self, node: cst.Module) -> None:
            self.seen.append("module")

    class Names(ModuleOnly):
        def visit_Name(self, node: cst.Name) -> None:
            self.seen.append(node.value)

    walked: list[cst.CSTNode] = []
    real_walk = walk._walk

    def counting(node, visitor, handlers, child, hooks):
        walked.append(node)
        real_walk(node, visitor, handlers, child, hooks)

    monkeypatch.setattr(walk, "_walk", counting)
    module = cst.parse_module("x = y\n")
    with walk.read_only_visits():
        only, names = ModuleOnly(), Names()
        cst.visit_batched(module, [only])
        assert only.seen == ["module"] and walked == []
        cst.visit_batched(module, [names])
        assert names.seen == ["module", "x", "y"] and len(walked) > 5


@pytest.fixture
def fresh_self_check(monkeypatch):
    """The self-check and the recorded classes as if nothing had run yet (restored afterwards)."""
    monkeypatch.setattr(walk, "_CLASSES", {})
    monkeypatch.setattr(walk, "_WARNED", [])
    walk.walk_is_libcst.cache_clear()
    yield
    walk.walk_is_libcst.cache_clear()


def test_the_self_check_passes_on_this_libcst(fresh_self_check, capsys):
    original = cst.CSTNode.visit
    assert walk.walk_is_libcst()
    with walk.read_only_visits():
        assert cst.CSTNode.visit is not original
    assert capsys.readouterr().err == ""


def test_a_different_visit_order_falls_back_to_libcst_with_one_warning(fresh_self_check, monkeypatch, capsys):
    # As if a libcst release visited a BinaryOperation's fields in another order than recorded.
    fields, own_visit = walk._class_info(cst.BinaryOperation)
    walk._CLASSES[cst.BinaryOperation] = (tuple(reversed(fields)), own_visit)  # type: ignore[arg-type]
    original = cst.CSTNode.visit
    module = cst.parse_module("x = a + b\nif x:\n    pass\nelse:\n    y = 1\n")
    expected = _Events()
    module.visit(expected)
    with walk.read_only_visits():
        assert cst.CSTNode.visit is original  # libcst's own visit
        got = _Events()
        module.visit(got)
    assert got.events == expected.events
    assert walk.Batchable.get_visitors(_Noting()) == {}  # libcst's own listing (no methods here)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("asynclint: warning: libcst ") and "own (slower) traversal" in err
    with walk.read_only_visits():  # a second use neither checks nor warns again
        pass
    assert capsys.readouterr().err == ""


def test_a_failure_while_a_field_is_visited_leaves_the_class_to_libcst(fresh_self_check, monkeypatch, capsys):
    # As if libcst did something with a field the placeholders cannot do: no class can be recorded.
    def fails(self, visitor):
        raise RuntimeError("unexpected")

    monkeypatch.setattr(walk._Placeholder, "visit", fails)
    assert walk._class_info(cst.Attribute)[0] is None
    assert "cannot record how libcst visits Attribute" in capsys.readouterr().err
    module = cst.parse_module(EDGES)
    expected = _Events(cst.Name)
    module.visit(expected)
    got = _Events(cst.Name)
    assert walk._read_only_visit(module, got) is module  # each class through libcst's own visit
    assert got.events == expected.events
    assert not walk.walk_is_libcst()
    assert capsys.readouterr().err == ""  # one warning is enough


def test_the_rules_find_the_same_without_the_walk(monkeypatch):
    from asynclint.app.testing import reported

    path = next(p for p in fixture_files() if p.parent.name == "ASL301")
    with_walk = reported(path.read_bytes(), str(path))
    monkeypatch.setattr(walk, "walk_is_libcst", lambda: False)
    assert reported(path.read_bytes(), str(path)) == with_walk != set()
