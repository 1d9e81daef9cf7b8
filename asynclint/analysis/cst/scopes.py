"""libcst's scope provider, with one type lookup per node where it made up to eighteen `isinstance` calls.

Leaving each node, libcst's `ScopeVisitor.on_leave` asks whether it is an assignment-like
node: `isinstance(node, _ASSIGNMENT_LIKE_NODES)`, a tuple of eighteen node classes. libcst's
node classes are abstract base classes, so each class of the tuple a node is not costs a
Python call (`ABCMeta.__instancecheck__`): on a module of a megabyte, six million of them, a
sixth of the scope analysis. `quick_assignment_checks()` puts in the tuple's place, while it
lasts, one class whose instances are exactly the instances of those classes (the classes and
every subclass of them, all defined when libcst is imported; libcst registers no virtual
subclass): the same answers, one set lookup each.
"""

from __future__ import annotations

import functools
from contextlib import contextmanager
from typing import Any, Iterator

from libcst.metadata import scope_provider

_NAME = "_ASSIGNMENT_LIKE_NODES"


def _with_subclasses(kind: type) -> set[type]:
    found = {kind}
    subclasses: list[type] = kind.__subclasses__()
    for sub in subclasses:
        found |= _with_subclasses(sub)
    return found


class _ExactTypes(type):
    members: frozenset[type] = frozenset()

    def __instancecheck__(cls, instance: Any) -> bool:
        return type(instance) in cls.members


@functools.lru_cache(maxsize=4)
def _stand_in(classes: tuple[type, ...]) -> tuple[type, ...]:
    """A one-class tuple that `isinstance` answers as it answers `classes`."""
    members = frozenset(kind for base in classes for kind in _with_subclasses(base))
    return (_ExactTypes("AssignmentLike", (), {"members": members}),)


@contextmanager
def quick_assignment_checks() -> Iterator[None]:
    """While it lasts, libcst's scope provider tells assignment-like nodes by their type (unless libcst is not as expected)."""
    original = getattr(scope_provider, _NAME, None)
    uses = _NAME in scope_provider.ScopeVisitor.on_leave.__code__.co_names
    if not uses or not isinstance(original, tuple) or not all(isinstance(kind, type) for kind in original):
        yield  # (already on, when nested: the tuple is then the stand-in, whose class is no libcst node)
        return
    if any(isinstance(kind, _ExactTypes) for kind in original):
        yield
        return
    setattr(scope_provider, _NAME, _stand_in(original))
    try:
        yield
    finally:
        setattr(scope_provider, _NAME, original)
