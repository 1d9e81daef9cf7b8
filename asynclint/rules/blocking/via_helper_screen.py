"""ASL107's screen: a call in async code that may resolve to a project sync function reaching a
blocking call. libcst-free, like every screen (`asynclint.rules.screen`)."""

from __future__ import annotations

from typing import Any, Mapping

from asynclint.analysis.astwalk import Callee, FileFacts
from asynclint.analysis.callgraph import Reach, reach_for, reach_options
from asynclint.analysis.index.model import ProjectIndex
from asynclint.rules.screen import Screen, declared_receiver_types


def reach_of(options: Mapping[type, Any], project: ProjectIndex) -> Reach:
    """The project-wide search ASL107 uses with these options."""
    return reach_for(project, reach_options(options))


def declared_receiver(callee: Callee, facts: FileFacts, project: ProjectIndex, reach: Reach) -> bool:
    """Whether `callee` may be a blocking sync method of a receiver declared as a project class
    (`BlockingCallViaHelper._declared_chain`): `a.b.m()` with `b` some class's declared attribute,
    `p.m()` with `p` an annotated parameter or an imported module-level name, or a receiver bound
    to (or being) a constructor call the file makes (`x = Store(); x.m()`, `Store().m()`)."""
    if callee.attr not in reach.project.sync_method_names():
        return False  # (`class_method` finds nothing for any class)
    types: set[str] = set(callee.declared)
    types.update(declared_receiver_types(callee, project))  # (an imported module-level name too)
    if not callee.before and callee.typable and _called_class_method(facts, reach, callee.attr):
        return True
    return any(reach.class_method(cls, callee.attr) is not None for cls in types)


#: The last file's (facts, search, the project classes among the names it calls, method name ->
#: whether one of them has it reaching a blocking call): asked per callee.
_called: list[tuple[FileFacts, Reach, frozenset[str], dict[str, bool]]] = []


def _called_class_method(facts: FileFacts, reach: Reach, method: str) -> bool:
    """Whether `method` of a project class the file calls (constructs) reaches a blocking call (`class_method`)."""
    if not (_called and _called[0][0] is facts and _called[0][1] is reach):
        # (the names a file calls that are project classes: of the others, `class_method` finds nothing)
        classes = frozenset(name for name in facts.called_names if reach.is_class(name))
        _called[:] = [(facts, reach, classes, {})]
        return _called_class_method(facts, reach, method)
    _, _, classes, known = _called[0]
    found = known.get(method)
    if found is None:
        found = known[method] = any(reach.class_method(cls, method) is not None for cls in classes)
    return found


class BlockingCallViaHelperScreen(Screen):
    """Every finding is a call in async code to a project sync function that reaches a blocking call."""

    requires_async_def = True
    uses_project_index = True

    @classmethod
    def screen(cls, facts: FileFacts, project: ProjectIndex, options: Mapping[type, Any]) -> set[int] | None:
        reach = reach_of(options, project)
        blocks: set[int] = set()
        for callee, block in facts.async_calls:
            if block in blocks:
                continue
            on_self = callee.owner and callee.attr and reach.of_method(callee.owner, callee.attr) is not None
            if on_self or any(reach.of_name(name) is not None for name in callee.names):
                blocks.add(block)
            elif callee.attr and not callee.owner and declared_receiver(callee, facts, project, reach):
                blocks.add(block)
        return blocks
