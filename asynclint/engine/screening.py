"""Which rules can fire in a file, and where, decided without libcst (nor the rules' visitors).

Rules are screened through their screen classes (`asynclint.rules.screen`), which the catalog names:
for a file no rule can fire on (most files), this is the whole check.
"""

from __future__ import annotations

import functools
import importlib
import os
import pickle
import zlib
from dataclasses import dataclass, field
from typing import Generic, Sequence, TypeVar

from asynclint.analysis.astwalk import FileFacts, Probe, facts_of_source
from asynclint.analysis.index.indexer import index_source
from asynclint.analysis.index.model import ProjectIndex
from asynclint.analysis.modules import identifiers, is_package_init, module_name
from asynclint.core.catalog import RULES
from asynclint.core.config import Config
from asynclint.core.paths import real_path
from asynclint.rules.screen import Screen, has_async_def

S = TypeVar("S", bound="type[Screen]")


@functools.lru_cache(maxsize=None)
def _screens() -> dict[str, type[Screen]]:
    """Code -> the rule's screen class, imported from where the catalog says it is."""
    found: dict[str, type[Screen]] = {}
    for info in RULES:
        module, _, name = info.screen.partition(":")
        found[info.code] = getattr(importlib.import_module(module), name)
    return found


@functools.lru_cache(maxsize=None)
def all_probes() -> tuple[type[Probe], ...]:
    """The probes every rule's screen reads, in the catalog's order: the `ast` walk of a file runs them all."""
    found: dict[type[Probe], None] = {}
    for screen in _screens().values():
        found.update(dict.fromkeys(screen.probes))
    return tuple(found)


def screens_named(codes: Sequence[str]) -> list[type[Screen]]:
    """The screens of these rules, in their order."""
    screens = _screens()
    return [screens[code] for code in codes]


@dataclass(frozen=True)
class Screened(Generic[S]):
    """What the pre-screen decided for one file."""

    rules: list[S]
    project: ProjectIndex | None
    facts: FileFacts | None = None
    #: The blocks (functions, classes, methods) where some rule may fire; None: the whole file is needed.
    keep: set[int] | None = None
    #: Each rule in `rules` -> its screen's answer (the blocks where it may fire; None: anywhere).
    where: dict[S, set[int] | None] = field(default_factory=dict)


def screen(
    rules: Sequence[S], source: bytes | str, path: str, config: Config, project: ProjectIndex | None
) -> tuple[list[S], ProjectIndex | None]:
    """The rules that can fire on this source, decided without libcst (and the index they use)."""
    screened = screen_blocks(rules, source, path, config, project)
    return screened.rules, screened.project


def screen_blocks(
    rules: Sequence[S], source: bytes | str, path: str, config: Config, project: ProjectIndex | None
) -> Screened[S]:
    """`screen`, with the top-level blocks where the remaining rules may fire.

    Exact: a rule is dropped only when it cannot report anything here, a block left out only
    when no remaining rule can report in it. Cheapest first: trigger words, the identifiers
    the project index knows, then the rules' screens on an `ast` read of the file.
    `ASYNCLINT_NO_SCREEN=1` turns all of it off, so that benchmarks/bench.py can show the
    findings do not change.
    """
    if os.environ.get("ASYNCLINT_NO_SCREEN"):
        if project is None and any(rule.uses_project_index for rule in rules):
            project = single_file_index(source, path)
        return Screened(list(rules), project)
    async_def = has_async_def(source) if any(rule.requires_async_def for rule in rules) else False
    candidates = [rule for rule in rules if rule.could_fire(source, async_def)]
    if any(rule.uses_project_index for rule in candidates):
        if project is None:
            project = single_file_index(source, path)
        mentioned = identifiers(source)
        candidates = [
            rule
            for rule in candidates
            if not rule.uses_project_index or rule.may_fire(mentioned, project, config.rule_options)
        ]
    if not any(rule.screen.__func__ is not Screen.screen.__func__ for rule in candidates):  # type: ignore[attr-defined]
        return Screened(candidates, project)
    facts = file_facts(source, path, project)
    if facts is None:
        return Screened(candidates, project)
    view = project.for_file(path) if project is not None else ProjectIndex()
    kept: list[S] = []
    keep: set[int] | None = set()
    each: dict[S, set[int] | None] = {}
    for rule in candidates:
        where = rule.screen(facts, view, config.rule_options)
        if where is None:
            keep = None  # this rule may fire anywhere
        elif not where:
            continue
        elif keep is not None:
            keep |= where
        kept.append(rule)
        each[rule] = where
    return Screened(kept, project, facts, keep, each)


#: The last facts read here: (source, path, facts). `fix` screens its fixed code to know what is
#: left, then, when the whole module must be checked, screens that same code again.
_last_read: list[tuple[bytes | str, str, FileFacts | None]] = []


def file_facts(source: bytes | str, path: str, project: ProjectIndex | None) -> FileFacts | None:
    """The pre-screen's facts of a file: kept from building the index, or read now (None: unreadable)."""
    kept = read_facts(source, path, project)
    if kept is not None:
        return kept
    last = _last_read[0] if _last_read else None
    if last is not None and last[1] == path and (last[0] is source or last[0] == source):
        return last[2]
    found = facts_of_source(source, module_name(path), is_package_init(path), all_probes())
    _last_read[:] = [(source, path, found)]
    return found


def read_facts(source: bytes | str, path: str, project: ProjectIndex | None) -> FileFacts | None:
    """The facts kept from building the index, when they are of this very content (not an unsaved buffer)."""
    kept = _kept(source, path, project)
    if kept is None:
        return None
    facts = kept[1]
    found = pickle.loads(facts) if isinstance(facts, bytes) else facts  # (read by a worker process)
    return found if all(probe in found.found for probe in all_probes()) else None


def was_read(source: bytes | str, path: str, project: ProjectIndex | None) -> bool:
    """Whether `ast` read this very content while building the index (so it parses)."""
    return _kept(source, path, project) is not None


def _kept(source: bytes | str, path: str, project: ProjectIndex | None) -> tuple[int, FileFacts | bytes] | None:
    if project is None or not isinstance(source, bytes):
        return None
    kept = project.facts.get(real_path(path))
    return kept if kept is not None and kept[0] == zlib.crc32(source) else None


def single_file_index(source: bytes | str, path: str) -> ProjectIndex:
    """The index of a file linted on its own: what it defines itself."""
    index = ProjectIndex()
    entry = index_source(source, path)
    if entry is not None:
        index.add(*entry, path)
    return index
