"""The result cache: a file's findings, reused while nothing they depend on has changed.

An entry is keyed by the file's content (its SHA-1; a matching size and mtime spare the
read), and lives in a cache file named after everything else the findings depend on: the
linter's version and code, the Python version and the resolved configuration. Findings of
the rules that read the project index also depend on the index entries the file can
reach: per identifier the file mentions, a digest of every index entry of that name (an
`async def fetch` turned `def fetch` changes the digest of `fetch`, so exactly the files
that mention `fetch` are checked again). A corrupt, foreign or unreadable cache is
ignored and rebuilt, never trusted; a cache that cannot be written only costs time.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

from asynclint import __version__
from asynclint.config import Config
from asynclint.engine.cachedir import read_cache_file, write_cache_file
from asynclint.engine.project import ASYNC, ProjectIndex
from asynclint.rule import Diagnostic, FixSafety, TextEdit

DEFAULT_CACHE_DIR = ".asynclint_cache"
IDENTIFIER_BYTES = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")


@functools.lru_cache(maxsize=1)
def code_signature() -> str:
    """The linter's version and the size and mtime of each of its modules (an edited rule is new code)."""
    package = Path(__file__).resolve().parent.parent
    parts = [__version__, sys.version.split()[0]]
    for path in sorted(package.rglob("*.py")):
        st = path.stat()
        parts.append(f"{path.relative_to(package)}:{st.st_size}:{st.st_mtime_ns}")
    return hashlib.sha1("\n".join(parts).encode()).hexdigest()


def config_key(config: Config) -> str:
    """What the findings depend on besides the files: code, Python, configuration."""
    settings = repr(
        (
            config.select,
            config.ignore,
            config.extend_select,
            config.per_file_ignores,
            str(config.root),
            sorted((t.__qualname__, repr(v)) for t, v in config.rule_options.items()),
        )
    )
    return hashlib.sha1(f"{code_signature()}\n{settings}".encode()).hexdigest()[:20]


def index_digests(project: ProjectIndex) -> dict[str, str]:
    """Identifier -> a digest of every index entry reachable by that name (definitions, methods, aliases)."""
    facts: dict[str, list[str]] = {}

    def note(name: str, fact: str) -> None:
        facts.setdefault(name, []).append(fact)

    for module, info in project.modules.items():
        ambiguous = "?" if module in project.ambiguous else ""
        note(module.rsplit(".", 1)[-1], f"module {module}{ambiguous}")
        for key, kind in info.functions.items():
            note(key.rsplit(".", 1)[-1], f"def {module}.{key} {kind}{ambiguous}")
        for name, entry in info.classes.items():
            note(name, f"class {module}.{name} {entry['bases']}{ambiguous}")
            for method, kind in entry["methods"].items():
                note(method, f"method {module}.{name}.{method} {kind}{ambiguous}")
        for alias, target in info.aliases.items():
            resolved = project.kind(target) == ASYNC
            note(alias, f"alias {module}.{alias} {target} {resolved}{ambiguous}")
    return {name: hashlib.sha1("\n".join(sorted(lines)).encode()).hexdigest()[:16] for name, lines in facts.items()}


def identifiers(data: bytes) -> set[str]:
    """The ASCII identifiers a source mentions (the index screen reads the same)."""
    return {name.decode("ascii") for name in IDENTIFIER_BYTES.findall(data)}


def _encode(diagnostic: Diagnostic) -> list[Any]:
    d = diagnostic
    text = [list(d.text_edit.start), list(d.text_edit.end), d.text_edit.text] if d.text_edit else None
    return [d.line, d.col, d.code, d.message, d.name, d.end_line, d.end_col, d.fix.value if d.fix else None, text]


def _decode(path: str, row: list[Any]) -> Diagnostic:
    line, col, code, message, name, end_line, end_col, fix, text = row
    text_edit = TextEdit((text[0][0], text[0][1]), (text[1][0], text[1][1]), str(text[2])) if text else None
    safety = FixSafety(fix) if fix else None
    return Diagnostic(path, line, col, code, message, name, end_line, end_col, safety, text_edit=text_edit)


@dataclass(frozen=True)
class EntryKeys:
    """Made in the parent, used where a file is checked (a worker too) to make its cache entry."""

    digests: Mapping[str, str] | None

    def make_entry(self, st: os.stat_result, data: bytes, diagnostics: Iterable[Diagnostic]) -> dict[str, Any]:
        """The entry of a file whose content was `data` when its stat was `st`."""
        deps = None
        if self.digests is not None:
            deps = {n: self.digests[n] for n in identifiers(data) if n in self.digests}
        return {
            "stat": [st.st_size, st.st_mtime_ns],
            "sha": hashlib.sha1(data).hexdigest(),
            "deps": deps,
            "diagnostics": [_encode(d) for d in diagnostics],
        }


class ResultCache:
    """One JSON file per configuration under the cache folder; loaded once, saved once."""

    VERSION = 1

    def __init__(self, folder: Path, config: Config, project: ProjectIndex | None) -> None:
        self.folder = folder
        self.file = folder / f"results-{config_key(config)}.json"
        self.uses_index = project is not None and any(rule.uses_project_index for rule in config.enabled_rules())
        self.digests: Mapping[str, str] = index_digests(project) if self.uses_index and project is not None else {}
        if self.uses_index and project is not None and not project.names_are_ascii():
            self.uses_index, self.digests = False, {}
            self.disabled = True  # the identifier scan reads ASCII only: no entry could be trusted
        else:
            self.disabled = False
        self.entries: dict[str, Any] = {}
        self.known_names: set[str] = set(self.digests)
        self.dirty = False
        data = read_cache_file(self.file, self.VERSION)
        if data is not None:
            self.entries = data["files"]
            if isinstance(data.get("names"), list):
                self.known_names = set(data["names"])
        #: Names the index defines now but did not when the entries were last validated.
        self.new_names = set(self.digests) - self.known_names

    def get(self, path: str) -> tuple[Diagnostic, ...] | None:
        """The cached findings of `path`, when its content and what they depend on are unchanged."""
        if self.disabled:
            return None
        key = os.path.realpath(path)
        entry = self.entries.get(key)
        if not isinstance(entry, dict):
            return None
        try:
            st = os.stat(path)
            data: bytes | None = None
            if entry["stat"] != [st.st_size, st.st_mtime_ns]:
                with open(path, "rb") as handle:
                    data = handle.read()
                if hashlib.sha1(data).hexdigest() != entry["sha"]:
                    return None
                entry["stat"] = [st.st_size, st.st_mtime_ns]
                self.dirty = True
            if self.uses_index:
                deps = entry["deps"]
                if not isinstance(deps, dict) or any(self.digests.get(n) != d for n, d in deps.items()):
                    return None
                if self.new_names:
                    if data is None:
                        with open(path, "rb") as handle:
                            data = handle.read()
                    if not self.new_names.isdisjoint(identifiers(data)):
                        return None
            return tuple(_decode(path, row) for row in entry["diagnostics"])
        except (OSError, KeyError, TypeError, ValueError):
            return None  # a malformed entry is a miss

    def put(self, path: str, entry: dict[str, Any] | None) -> None:
        """Remember an entry made by `make_entry` (None: nothing to remember)."""
        if entry is not None and not self.disabled:
            self.entries[os.path.realpath(path)] = entry
            self.dirty = True

    def keys(self) -> EntryKeys:
        """What a worker needs to make entries: the index digests, when the findings depend on them."""
        return EntryKeys(dict(self.digests) if self.uses_index else None)

    def save(self) -> None:
        """Write the cache atomically, with a `.gitignore` in its folder."""
        if self.dirty or self.new_names:
            write_cache_file(self.file, {"version": self.VERSION, "names": sorted(self.digests), "files": self.entries})
