"""Line numbers in the project index: shown by other files' findings, kept out of what decides re-checks.

ASL107's summaries record the line of each call (`target@line`, `analysis/callgraph.py`), so
that a finding can say where its chain blocks (`(settings.py:12)`) and SARIF can show each
step. Lines are not definitions: an edit that only moves lines (a line added above a helper)
changes which findings exist nowhere; it changes only the positions shown by the findings
whose chain passes through the edited file. So:

- the index's `definitions_key` hashes each file's info without its line numbers (`shape`):
  moving lines keeps the coroutine names, the result cache's per-name digests and so every
  other file's cache entry as they were (the digests name chains without lines too);
- the result cache remembers, for each file that a cached finding's code flow passes through,
  a digest of that file's info with its lines (`flow_digests`). When one of those changed,
  exactly the entries with a finding whose flow passes through it are checked again
  (`stale_entries`), and their findings are not reused from the entry either.

The finding's own file needs nothing of this: its entry is keyed by its content.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Any, Iterable, Mapping

if TYPE_CHECKING:
    from asynclint.analysis.index.model import ProjectIndex

#: A call's line in a summary (`helper@12`, `!open@3`).
_LINE = re.compile(rb"@\d+")


def shape(info: bytes) -> str:
    """A digest of a module's info (`ModuleInfo.to_text`) without its line numbers."""
    return hashlib.sha1(_LINE.sub(b"@", info)).hexdigest()[:16]


def info_digest(project: ProjectIndex, real: str) -> str:
    """A digest of what the index holds for the file at `real`, lines included ("-": not indexed)."""
    own = project.by_path.get(real)
    return hashlib.sha1(own[1].to_text().encode()).hexdigest()[:16] if own is not None else "-"


def flow_paths(rows: Iterable[list[Any]]) -> set[str]:
    """The files the code flows of a file's findings pass through (findings as the result cache encodes them)."""
    found: set[str] = set()
    for row in rows:
        if len(row) > 9:
            found.update(str(step[0]) for step in row[9])
    return found


def flow_digests(project: ProjectIndex, findings: Mapping[str, list[list[Any]]]) -> dict[str, str]:
    """File -> `info_digest`, for every file a cached finding's flow passes through."""
    paths = set().union(*(flow_paths(rows) for rows in findings.values())) if findings else set()
    return {path: info_digest(project, path) for path in sorted(paths)}


def stale_entries(project: ProjectIndex, findings: Mapping[str, list[list[Any]]], stored: Mapping[str, str]) -> set[str]:
    """The files whose cached findings show lines of a file whose info changed since `stored` was made."""
    changed = {path for path, digest in stored.items() if info_digest(project, path) != digest}
    stale = set()
    for real, rows in findings.items():
        try:
            paths = flow_paths(rows)
        except (TypeError, IndexError, KeyError):
            stale.add(real)  # malformed: checked again, never trusted
            continue
        if paths and (paths & changed or not paths <= stored.keys()):  # (a flow not in the table: never trusted)
            stale.add(real)
    return stale
