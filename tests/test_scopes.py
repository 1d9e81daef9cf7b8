"""The scope provider's quick assignment checks (`analysis/cst/scopes.py`) answer as libcst's tuple does."""

from __future__ import annotations

import libcst as cst
from libcst.metadata import MetadataWrapper, ScopeProvider, scope_provider

from asynclint.analysis.cst.scopes import quick_assignment_checks
from asynclint.app.testing import fixture_files


def _all_node_classes() -> set[type]:
    found: set[type] = set()
    todo: list[type] = [cst.CSTNode]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                todo.append(sub)
    return found


def test_the_stand_in_answers_as_the_tuple_for_every_node_class_and_is_put_back():
    original = scope_provider._ASSIGNMENT_LIKE_NODES
    with quick_assignment_checks():
        stand_in = scope_provider._ASSIGNMENT_LIKE_NODES
        assert stand_in is not original and len(stand_in) == 1
        with quick_assignment_checks():  # nested: left as it is
            assert scope_provider._ASSIGNMENT_LIKE_NODES is stand_in
        assert {kind for kind in _all_node_classes() if issubclass(kind, original)} == set(stand_in[0].members)
        module = cst.parse_module("import a as b\nx = [y for y in z]\nasync def f(p):\n    global q\n    q += 1\n")
        nodes = [module, *module.body, *(s for line in module.body[:2] for s in line.body)]
        assert all(isinstance(node, stand_in) == isinstance(node, original) for node in nodes)
        assert [isinstance(node, stand_in) for node in nodes[1:]] == [False, False, True, True, True]
        assert not isinstance("x", stand_in)
    assert scope_provider._ASSIGNMENT_LIKE_NODES is original


def _scopes(module: cst.Module) -> list[tuple[str, str, int, list[str]]]:
    found = MetadataWrapper(module, unsafe_skip_copy=True).resolve(ScopeProvider)
    return [
        (type(node).__name__, type(scope).__name__, scope._assignment_count, sorted(a.name for a in scope.assignments))
        for node, scope in found.items()
        if scope is not None
    ]


def test_the_scopes_of_every_fixture_are_the_same_with_the_quick_checks():
    for path in fixture_files()[::4]:  # (a quarter of them: every rule's family, in a few seconds)
        try:
            module = cst.parse_module(path.read_bytes())
        except cst.ParserSyntaxError:
            continue
        plain = _scopes(module)
        with quick_assignment_checks():
            quick = _scopes(module)
        assert quick == plain, path
