"""What the engine can tell of a rule without libcst: whether it can fire in a file, and where.

Every rule's class has a screen class as its first base (the rules' are beside them, in
`asynclint/rules/<family>/screen.py`), and the catalog names it: a file is screened with these alone,
and libcst and the rules are loaded only when a rule may fire. Screens must be exact in one
direction: they may keep what cannot fire, never drop what can.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar, Mapping

from asynclint.analysis import names as _names

if TYPE_CHECKING:
    from asynclint.analysis.astwalk import Callee, FileFacts, Probe
    from asynclint.analysis.index.model import ProjectIndex


class Screen:
    """The screen of a rule that can fire anywhere; subclasses narrow it."""

    #: Rules that only fire in async code can skip files with no `async def` at all.
    requires_async_def: ClassVar[bool] = False
    #: Words one of which every finding's source must contain (`run_until_complete`): files
    #: without any skip the rule, and libcst with it. Empty: no such word.
    triggers: ClassVar[tuple[str, ...]] = ()
    #: Rules that ask the project-wide index which functions are coroutine functions.
    uses_project_index: ClassVar[bool] = False
    #: The probes of the `ast` walk whose facts `screen` reads (`asynclint.analysis.astwalk.Probe`).
    probes: ClassVar[tuple[type[Probe], ...]] = ()
    #: For a rule whose `screen` answers None because a finding reads other blocks than its own:
    #: True when it reads them only by name (a top-level `def` or `class`, or a method of such a
    #: class, that the finding's block or the module-level code names; a class that names the
    #: finding's class, a subclass), and `reports_in` tells where it may report. `fix` then
    #: checks such a rule's findings again only when a block it may read that way changed.
    links_by_name: ClassVar[bool] = False

    @classmethod
    def could_fire(cls, data: bytes | str, async_def: bool | None = None) -> bool:
        """A cheap, exact pre-screen: False only when the rule cannot fire on this source.

        `async_def`: `has_async_def(data)`, when the caller knows it already.
        """
        if cls.requires_async_def and not (has_async_def(data) if async_def is None else async_def):
            return False
        if not cls.triggers:
            return True
        if isinstance(data, bytes):
            return any(word.encode("ascii") in data for word in cls.triggers)
        return any(word in data for word in cls.triggers)

    @classmethod
    def may_fire(cls, identifiers: frozenset[str], project: ProjectIndex, options: Mapping[type, Any]) -> bool:
        """For rules using the project index: False only when no identifier of the file can matter."""
        return True

    @classmethod
    def screen(cls, facts: FileFacts, project: ProjectIndex, options: Mapping[type, Any]) -> set[int] | None:
        """After `could_fire`, from an `ast` read of the file: the blocks where the rule may fire.

        A block is a top-level `def` or `class` (its index in the module's body), a method of a
        top-level class, or `MODULE` (see `analysis/astwalk.py`); empty: the rule cannot fire here; None: it may fire anywhere (no screen).
        Blocks left out must hold nothing the rule could report. `project` is the index as seen
        from the file (its own definitions included).
        """
        return None

    @classmethod
    def reports_in(cls, facts: FileFacts, project: ProjectIndex, options: Mapping[type, Any]) -> set[int] | None:
        """The blocks where the rule may report: `screen`'s, unless that answers None only because
        the rule reads other blocks (`links_by_name`). None: anywhere."""
        return cls.screen(facts, project, options)


_ASYNC_DEF = re.compile(r"\basync(?:[ \t\f]|\\\r?\n)+def\b")
_ASYNC_DEF_BYTES = re.compile(rb"\basync(?:[ \t\f]|\\\r?\n)+def\b")


def has_async_def(data: bytes | str) -> bool:
    """Whether the source can contain an `async def` (and so async code at all)."""
    if isinstance(data, bytes):
        return b"async" in data and _ASYNC_DEF_BYTES.search(data) is not None
    return "async" in data and _ASYNC_DEF.search(data) is not None


def typable(callee: Callee, methods: Mapping[str, frozenset[str]], facts: FileFacts, project: ProjectIndex) -> bool:
    """Whether the receiver of `callee.attr` may have a type of `methods` that has a method of that name: one
    a constructor the file calls makes (`ReceiverTypes`), or one some annotation declares (`classes_of`)."""
    attr = callee.attr
    if not any(attr in names for names in methods.values()):
        return False  # (no type of `methods` has a method of that name: `may_be_typed` says no either way)
    if callee.typable and _names.may_be_typed(callee.attr, methods, facts.called_names):
        return True
    # A parameter annotated with it, an attribute declared as it, or a module-level name some module
    # declares or binds so (`from .net import session`; `ReceiverTypes.declared_tag`).
    declared = callee.declared | declared_receiver_types(callee, project)
    return bool(declared) and _names.may_be_typed(callee.attr, methods, declared)


def declared_receiver_types(callee: Callee, project: ProjectIndex) -> frozenset[str]:
    """The classes the receiver of `callee.attr` may be declared as in another module or a class
    (`ReceiverTypes.declared_tag`, `classes_of`; a parameter's annotation is `callee.declared`): for
    `self.x.m` in a method, what the method's class (or a base) declares `x` as; for another `a.x.m`,
    what any class declares an attribute `x` as (by name); for `x.m`, what the module-level name `x`
    imports is declared or bound as (`ProjectIndex.value_types`, re-exports followed)."""
    if callee.self_class:
        return frozenset(project.attribute_types(callee.self_class, callee.before) or ())
    if callee.before:
        return project.declared_members().get(callee.before, frozenset())
    return frozenset(found for name in callee.names for found in project.value_types(name.rpartition(".")[0]) or ())
