"""ASL107's screen: a call in async code that may resolve to a project sync function reaching a
blocking call. libcst-free, like every screen (`asynclint.rules.screen`)."""

from __future__ import annotations

from typing import Any, Mapping

from asynclint.analysis.astwalk import FileFacts
from asynclint.analysis.callgraph import Reach, reach_for, reach_options
from asynclint.analysis.index.model import ProjectIndex
from asynclint.rules.screen import Screen


def reach_of(options: Mapping[type, Any], project: ProjectIndex) -> Reach:
    """The project-wide search ASL107 uses with these options."""
    return reach_for(project, reach_options(options))


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
            elif callee.attr and not callee.owner and reach.method_named(callee.attr):
                blocks.add(block)  # (a receiver declared as a project class: `store.load()`, `self._client.refresh()`)
        return blocks
