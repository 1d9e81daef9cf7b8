"""Fixture markers and snippet running, shared by the test suite.

A fixture marks every line that must be reported with `# error: ASL101` (several codes:
`# error: ASL101, ASL201`) and each hard negative with `# ok: ASL101`; unmarked lines must
stay silent too.
"""

from __future__ import annotations

import functools
import io
import os
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asynclint.analysis.index.model import ProjectIndex
from asynclint.core.config import Config
from asynclint.engine.lint import lint_source
from asynclint.engine.project import build_index

MARKER_RE = re.compile(r"#\s*(?P<kind>error|ok):\s*(?P<codes>ASL\d{3}(?:\s*,\s*ASL\d{3})*)")
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


@dataclass(frozen=True)
class Markers:
    """What a fixture says must (and must not) be reported."""

    errors: frozenset[tuple[int, str]]
    oks: frozenset[tuple[int, str]]


def read_markers(text: str) -> Markers:
    """Markers from real comments only (a `# error:` inside a string is not one)."""
    errors: set[tuple[int, str]] = set()
    oks: set[tuple[int, str]] = set()
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type != tokenize.COMMENT:
            continue
        for match in MARKER_RE.finditer(tok.string):  # `# ok: ASL106  # error: ASL501`
            target = errors if match.group("kind") == "error" else oks
            for code in re.split(r"\s*,\s*", match.group("codes")):
                target.add((tok.start[0], code))
    return Markers(frozenset(errors), frozenset(oks))


def markers_to_noqa(text: str) -> str:
    """Replace every `# error: CODES` marker with `# noqa: CODES`."""
    return MARKER_RE.sub(lambda m: f"# noqa: {m.group('codes')}" if m.group("kind") == "error" else m.group(0), text)


@functools.lru_cache(maxsize=1)
def fixture_index() -> ProjectIndex:
    """The project index of the whole fixtures tree, as `asynclint check fixtures/` builds it."""
    return build_index([str(p) for p in fixture_files()])


def reported(source: str | bytes, path: str = "fixture.py", config: Config | None = None) -> set[tuple[int, str]]:
    """(line, code) of every finding, with all rules on; rule crashes are raised, not hidden."""
    config = config or Config(select=("ALL",))
    result = lint_source(source, path, config, raise_errors=True, project=fixture_index())
    return {(d.line, d.code) for d in result.diagnostics}


def fixture_files(root: Path = FIXTURES) -> list[Path]:
    """Every fixture source file, sorted."""
    return sorted(root.rglob("*.py"))


def fixed_output(source: bytes, path: str, unsafe: bool) -> bytes:
    """What `asynclint fix` (all rules on) makes of a fixture; rule crashes and failures raise."""
    from asynclint.app.fixes.apply import fix_source

    outcome = fix_source(source, path, Config(select=("ALL",)), unsafe=unsafe, raise_errors=True, project=fixture_index())
    if outcome.error:
        raise AssertionError(outcome.error)
    assert isinstance(outcome.fixed, bytes)
    return outcome.fixed


def expected_fix_path(path: Path, unsafe: bool) -> Path:
    """`case.py.fixed` / `case.py.unsafe-fixed` beside the fixture."""
    return path.with_name(path.name + (".unsafe-fixed" if unsafe else ".fixed"))


def processes_mentioning(marker: str) -> list[int]:
    """The processes whose command line holds `marker` (the run's own temp folder), from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker.encode() in cmdline and state != "Z":
            found.append(int(entry))
    return found


def record_checked(monkeypatch: Any) -> list[str]:
    """From now on, the names of the files each run really checks (not answered from the result cache), in order."""
    from asynclint.engine import runner

    checked: list[str] = []
    real = runner.check_one

    def counting(job: Any, path: str) -> Any:
        checked.append(Path(path).name)
        return real(job, path)

    monkeypatch.setattr(runner, "check_one", counting)
    return checked
