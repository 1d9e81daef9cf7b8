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

import bisect
import functools
import hashlib
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from asynclint import __version__
from asynclint.analysis import names as _names
from asynclint.analysis.callgraph import reach_facts, reach_for, reach_options
from asynclint.analysis.index import declared
from asynclint.analysis.index.indexer import ASYNC
from asynclint.analysis.index.model import ProjectIndex
from asynclint.analysis.index.positions import flow_digests, stale_entries
from asynclint.analysis.modules import identifiers
from asynclint.core.cachedir import read_cache_file, write_cache_file
from asynclint.core.config import Config
from asynclint.core.diagnostic import Diagnostic, FileResult, FixSafety, TextEdit
from asynclint.core.paths import real_path


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
            config.python_path,
            config.venv,
        )
    )
    return hashlib.sha1(f"{code_signature()}\n{settings}".encode()).hexdigest()[:20]


#: The rules that ask whether an `async def` never suspends (`ProjectIndex.never_suspends`, `reaches`).
IDLE_READERS = frozenset({"ASL301", "ASL302", "ASL303"})


def index_digests(project: ProjectIndex, config: Config) -> dict[str, str]:
    """Identifier -> a digest of every index entry reachable by that name (definitions, methods, aliases;
    with ASL107 enabled, the blocking calls a sync function reaches; with ASL301-303, which
    `async def`s never suspend). A fact only a rule not enabled reads is left out: computing it is
    a cost of every cold run, and no finding depends on it."""
    facts: dict[str, list[str]] = {}
    enabled = {rule.code for rule in config.enabled_rules()}
    idle_read = not enabled.isdisjoint(IDLE_READERS)

    def note(name: str, fact: str) -> None:
        facts.setdefault(name, []).append(fact)

    libraries = project.library_modules()  # (an installed library's definitions count as the project's)
    coroutine_aliases = project.coroutine_aliases()
    for module, info in [*project.modules.items(), *libraries.items()]:
        ambiguous = "?" if module in project.ambiguous else ""
        note(module.rsplit(".", 1)[-1], f"module {module}{ambiguous}")
        for key, kind in info.functions.items():
            note(key.rsplit(".", 1)[-1], f"def {module}.{key} {kind}{ambiguous}")
        for name, entry in info.classes.items():
            note(name, f"class {module}.{name} {entry['bases']}{ambiguous}")
            for method, kind in entry["methods"].items():
                # (with the bases: a call through a declared receiver depends on them, ASL107's
                # `Reach.method_of`: a `Protocol`, or a subclass making the method `async def`)
                note(method, f"method {module}.{name}.{method} {kind} {entry['bases']}{ambiguous}")
        for key in info.idle if idle_read else ():  # (ASL301-303: awaiting an `async def` that never suspends overlaps nothing)
            qualified = f"{module}.{key}"  # (what it awaits, in other modules too, decides both)
            known = f"{project.never_suspends(qualified)} {sorted(project.reaches(qualified))}"
            note(key.rsplit(".", 1)[-1], f"idle {qualified} {known}{ambiguous}")
        for key, types in info.declared.items():  # (`ctx.bot.http.send()` reads what `bot` and `http` are declared as)
            # (`-> Response[T]`: a coroutine or not as another module's alias says)
            makes = key.endswith(declared.RETURNS) and declared.may_return_coroutine(types, coroutine_aliases)
            coroutine = f" {project.returns_coroutine(f'{module}.{key[: -len(declared.RETURNS)]}')}" if makes else ""
            note(_declared_name(key), f"declared {module}.{key} {types}{coroutine}{ambiguous}")
        for alias, target in info.aliases.items():
            resolved = project.kind(target) == ASYNC
            # (a file that uses a library imports it: a new version of it checks the file again)
            library = project.libraries.distribution(target) if project.libraries and project.in_library(target) else ""
            note(alias, f"alias {module}.{alias} {target} {resolved}{ambiguous} {library}")
    # ASL101's fix is safe or not by the project's async library; every file it fires in mentions `sleep`.
    note("sleep", f"library {_names.project_library(project)}")
    if "ASL107" in enabled:
        for name, fact in reach_facts(reach_for(project, reach_options(config.rule_options))):
            note(name, fact)
    return {name: hashlib.sha1("\n".join(sorted(lines)).encode()).hexdigest()[:16] for name, lines in facts.items()}


def _declared_name(key: str) -> str:
    """The identifier a declared type's key is read by: `attr` of `Class.attr`, `f` of `Class.f()`, `Alias` of `Alias=`."""
    return key.partition(" ")[0].rstrip("()=").rsplit(".", 1)[-1]


def _digests_ok(data: Mapping[str, Any]) -> bool:
    """Whether a cache file's stored digests look like what `save` writes (their content is checked when read)."""
    return isinstance(data.get("digests"), str) and isinstance(data.get("digests_version"), str) and isinstance(data.get("ascii"), bool)


def _digests_text(digests: Mapping[str, str]) -> str:
    """The digest table as stored: one `name digest` line each (decoded only when a file changed)."""
    return "\n".join(f"{name} {digest}" for name, digest in sorted(digests.items()))


def _digests_from_text(text: str, version: str) -> dict[str, str] | None:
    """The stored table, when it is the text of the version it claims to be; else None."""
    if _text_version(text) != version:
        return None
    words = text.split()  # (names and digests hold no spaces: the version vouches for the text)
    return dict(zip(words[0::2], words[1::2])) if len(words) % 2 == 0 else None


class DigestTable(Mapping[str, str]):
    """The stored digest table (`_digests_text`: `name digest` lines sorted by name), looked up by
    name in its lines without building a dict of every name."""

    def __init__(self, lines: list[str]) -> None:
        self._lines = lines

    @classmethod
    def of(cls, text: str, version: str) -> DigestTable | None:
        """The table of a stored text, when it is the text of `version` and its lines sort as their names do
        (one space each, no control character: else None, and the text is decoded as a whole)."""
        if not text or _text_version(text) != version:
            return None
        lines = text.split("\n")
        if text.count(" ") != len(lines) or _CONTROL.search(text):
            return None
        return cls(lines)

    def __getitem__(self, name: str) -> str:
        key = name + " "
        lines = self._lines
        at = bisect.bisect_left(lines, key)
        if at < len(lines) and lines[at].startswith(key):
            return lines[at][len(key) :]
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return (line.partition(" ")[0] for line in self._lines)

    def __len__(self) -> int:
        return len(self._lines)


#: What a name in the digest table never holds if its lines sort as the names do.
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f]")


def _encode(diagnostic: Diagnostic) -> list[Any]:
    d = diagnostic
    text = [list(d.text_edit.start), list(d.text_edit.end), d.text_edit.text] if d.text_edit else None
    row = [d.line, d.col, d.code, d.message, d.name, d.end_line, d.end_col, d.fix.value if d.fix else None, text]
    return [*row, [list(step) for step in d.flow]] if d.flow else row


def _decode(path: str, row: list[Any]) -> Diagnostic:
    line, col, code, message, name, end_line, end_col, fix, text = row[:9]
    flow = tuple((str(p), int(n), str(t)) for p, n, t in row[9]) if len(row) > 9 else ()
    text_edit = TextEdit((text[0][0], text[0][1]), (text[1][0], text[1][1]), str(text[2])) if text else None
    safety = FixSafety(fix) if fix else None
    return Diagnostic(path, line, col, code, message, name, end_line, end_col, safety, text_edit=text_edit, flow=flow)


def depends_on(data: bytes, digests: Mapping[str, str]) -> str:
    """One digest of the index digests of the identifiers a source mentions: what its findings depend on."""
    mentioned = sorted(identifiers(data) & digests.keys())
    text = "\n".join(mentioned) + "\n\n" + "\n".join(map(digests.__getitem__, mentioned))
    return hashlib.sha1(text.encode()).hexdigest()[:20]


def _text_version(text: str) -> str:
    """The version of a digest table, from its text (`_digests_text`): entries checked against this
    version need no second look, and a stored table is checked without decoding it."""
    return hashlib.sha1(text.encode()).hexdigest()[:20]


@dataclass(frozen=True)
class EntryKeys:
    """Made in the parent, used where a file is checked (a worker too) to make its cache entry."""

    digests: Mapping[str, str] | None
    version: str | None = None

    def make_entry(self, st: os.stat_result, data: bytes, result: FileResult) -> Entry:
        """The entry of a file whose content was `data` when its stat was `st`."""
        deps = depends_on(data, self.digests) if self.digests is not None else None
        sha = hashlib.sha1(data).hexdigest()
        line = _entry_line(st.st_size, st.st_mtime_ns, sha, deps, result.input_digest, self.version)
        return line, [_encode(d) for d in result.diagnostics]


#: A file's entry: `size mtime sha deps input version` as one line (a warm run decodes thousands
#: of these: strings are read ten times faster than objects), and its findings, encoded.
Entry = tuple[str, list[list[Any]]]


def _entry_line(size: int, mtime: int, sha: str, deps: str | None, made_from: str | None, version: str | None) -> str:
    return f"{size} {mtime} {sha} {deps or '-'} {made_from or '-'} {version or '-'}"


def decode_findings(path: str, rows: Sequence[list[Any]]) -> tuple[Diagnostic, ...]:
    """Findings as an entry stores them (`make_entry`)."""
    return tuple(_decode(path, row) for row in rows)


class ResultCache:
    """One JSON file per configuration under the cache folder; loaded once, saved once.

    For index rules, an entry records one digest of the digests of the identifiers its file
    mentions, and the version of the whole digest table it was last found valid against. While the table
    is unchanged (the usual warm run), that version matches and nothing more is compared.
    When it changed, the file's identifiers are read again and their digests compared: an
    entry stays valid exactly when it mentions no name whose definitions changed, appeared
    or went away.
    """

    VERSION = 7

    def __init__(self, folder: Path, config: Config, project: ProjectIndex | None) -> None:
        self.folder = folder
        self.file = folder / f"results-{config_key(config)}.json"
        self.entries: dict[str, Any] = {}
        #: Real path -> its findings, encoded (files without any have none here).
        self.findings: dict[str, Any] = {}
        self.dirty = False
        data = read_cache_file(self.file, self.VERSION) or {}
        if isinstance(data.get("files"), dict) and isinstance(data.get("findings"), dict):
            self.entries, self.findings = data["files"], data["findings"]
        self.uses_index = project is not None and config.uses_project_index()
        self.index_key = project.content_key if project is not None and self.uses_index else None
        self.project = project
        self.config = config
        self._digests: dict[str, str] | None = {}
        #: The digests' text as stored (`_digests_text`), decoded only when needed (a warm run never needs them).
        self._stored_digests = ""
        self.version: str | None = None
        self.disabled = False
        #: The sizes and mtimes the index just read: no second `stat` per file.
        self.stats = project.stats if project is not None else {}
        self.definitions_key: str | None = None
        #: File -> digest of its info, for the files the cached findings' code flows pass through (`analysis/index/positions.py`).
        flows = data.get("flows")
        self.flows: dict[str, str] = flows if isinstance(flows, dict) else {}
        #: Entries whose findings show lines of a file that changed: checked again, never reused.
        self.stale: set[str] = set()
        if self.uses_index and project is not None:
            if self.entries and data.get("index_key") != self.index_key:
                self.stale = stale_entries(project, self.findings, self.flows)
                self.dirty = self.dirty or bool(self.stale)
            stored = _digests_ok(data)
            if stored and self.index_key is not None and data.get("index_key") == self.index_key:
                # Nothing indexed changed since the last save: the digests are those saved.
                self.definitions_key = data.get("definitions_key")
            elif stored and project.definitions_key is not None and data.get("definitions_key") == project.definitions_key:
                # Files changed, but not what they define (a function's body, a comment): same digests.
                self.definitions_key = project.definitions_key
                self.dirty = True  # under the new index key
            else:
                stored = False
            if stored:
                self._digests, self._stored_digests = None, data["digests"]
                self.version, ascii_names = data["digests_version"], data["ascii"]
            else:
                self.definitions_key = project.definitions_key
                self._digests, ascii_names = index_digests(project, config), project.names_are_ascii()
                self._stored_digests = _digests_text(self._digests)
                self.version = _text_version(self._stored_digests)
                self.dirty = True
            if not ascii_names:
                self.disabled = True  # the identifier scan reads ASCII only: no entry could be trusted

    @property
    def digests(self) -> Mapping[str, str]:
        """Identifier -> digest of its index entries (`index_digests`), read from the cache when first needed."""
        if self._digests is None:
            self._digests = _digests_from_text(self._stored_digests, self.version or "")
            if self._digests is None and self.project is not None:  # corrupt: made again, never trusted
                self._digests = index_digests(self.project, self.config)
                self._stored_digests = _digests_text(self._digests)
                self.version = _text_version(self._stored_digests)
                self.dirty = True
        return self._digests or {}

    @property
    def _current(self) -> str | None:
        """How a line valid against the current digests ends (None: any line, no rule reads the index)."""
        return f" {self.version}" if self.uses_index else None

    def get(self, path: str, real: str | None = None) -> tuple[Diagnostic, ...] | None:
        """The cached findings of `path` (`real`: its real path, when known), when its content and what they depend on are unchanged."""
        if self.disabled:
            return None
        real = real or real_path(path)
        line = self.entries.get(real)
        if not isinstance(line, str) or real in self.stale:
            return None
        try:
            stat = self.stats.get(real)
            if stat is None:
                st = os.stat(path)
                stat = [st.st_size, st.st_mtime_ns]
            current = self._current
            if line.startswith(f"{stat[0]} {stat[1]} ") and (current is None or line.endswith(current)) and line.count(" ") == 5:
                # The usual warm hit: same size and mtime, checked against the current digests.
                rows = self.findings.get(real)
                return decode_findings(path, rows) if rows else ()
            size, mtime, sha, deps, made_from, version = line.split(" ")
            data: bytes | None = None
            changed = False
            if [int(size), int(mtime)] != stat:
                with open(path, "rb") as handle:
                    data = handle.read()
                if hashlib.sha1(data).hexdigest() != sha:
                    return None
                changed = True
            if self.uses_index and version != (self.version or "-"):
                if data is None:
                    with open(path, "rb") as handle:
                        data = handle.read()
                if deps != depends_on(data, self.digests):
                    return None
                version, changed = self.version or "-", True
            found = decode_findings(path, self.findings.get(real, ()))
            if changed:
                self.entries[real] = _entry_line(stat[0], stat[1], sha, deps, made_from, version)
                self.dirty = True
            return found
        except (OSError, KeyError, TypeError, ValueError, IndexError):
            return None  # a malformed entry is a miss

    def made_from(self, path: str, real: str) -> tuple[str, tuple[Diagnostic, ...]] | None:
        """The input digest and findings of a file's entry (a miss), when made against the current
        digests: its check reuses them if libcst is to be given that same input (`lint_source`)."""
        line = self.entries.get(real)
        if self.disabled or not isinstance(line, str) or real in self.stale:
            return None
        fields = line.split(" ")
        if len(fields) != 6 or fields[4] == "-" or (self.uses_index and fields[5] != (self.version or "-")):
            return None
        try:
            return fields[4], decode_findings(path, self.findings.get(real, ()))
        except (KeyError, TypeError, ValueError, IndexError):
            return None  # malformed: checked again

    def put(self, path: str, entry: Entry | None) -> None:
        """Remember an entry made by `make_entry` (None: nothing to remember)."""
        if entry is not None and not self.disabled:
            real = real_path(path)
            self.stale.discard(real)
            self.entries[real], rows = entry
            if rows:
                self.findings[real] = rows
            else:
                self.findings.pop(real, None)
            self.dirty = True

    def keys(self) -> EntryKeys:
        """What a worker needs to make entries: the index digests, when the findings depend on them.

        While the stored table has not been decoded (a run that checks a few changed files),
        they are looked up in its text (`DigestTable`): a file's entry needs the digests of
        the names it mentions, not the table of every name of the project.
        """
        if not self.uses_index:
            return EntryKeys(None)
        if self._digests is None:
            table = DigestTable.of(self._stored_digests, self.version or "")
            if table is not None:
                return EntryKeys(table, self.version)
        return EntryKeys(dict(self.digests), self.version)

    def save(self) -> None:
        """Write the cache atomically, with a `.gitignore` in its folder."""
        if self.dirty:
            for real in self.stale:  # not checked again in this run: forgotten (the table below no longer vouches for them)
                self.entries.pop(real, None)
                self.findings.pop(real, None)
            if self.uses_index and self.project is not None and self.project._pending is None:
                self.flows = flow_digests(self.project, self.findings)  # (an index not loaded is the one they were made for)
            write_cache_file(
                self.file,
                {
                    "version": self.VERSION,
                    "index_key": self.index_key,
                    "definitions_key": self.definitions_key,
                    "digests": self._stored_digests or _digests_text(self.digests),
                    "digests_version": self.version,
                    "ascii": not self.disabled,
                    "files": self.entries,
                    "findings": self.findings,
                    "flows": self.flows,
                },
            )
