"""Moving lines in a helper re-checks only the files whose findings show those lines (analysis/index/positions.py);
a helper that stops (or starts) blocking still re-checks every file naming it."""

from __future__ import annotations

from pathlib import Path

import pytest

from asynclint.app.testing import record_checked
from asynclint.core.config import Config
from asynclint.engine.project import build_index
from asynclint.engine.runner import check_files

HELPERS = (
    "import time\n\n\ndef _read(path):\n    with open(path) as f:\n        return f.read()\n\n\n"
    "def load_settings(path):\n    return _read(path)\n"
)
NON_BLOCKING = HELPERS.replace("    with open(path) as f:\n        return f.read()", "    return path")
#: Reports `load_settings()` (its finding shows helpers.py's lines).
CALLER = "from helpers import load_settings\n\n\nasync def setup(path):\n    return load_settings(path)\n"
#: Names `load_settings` in sync code only: no finding, so none of helpers.py's lines.
SYNC_USER = "from helpers import load_settings\n\n\ndef setup(path):\n    return load_settings(path)\n"


def _project(root: Path) -> Path:
    root.mkdir()
    (root / "pyproject.toml").write_text("[tool.asynclint]\n")
    (root / "helpers.py").write_text(HELPERS)
    (root / "caller.py").write_text(CALLER)
    (root / "sync_user.py").write_text(SYNC_USER)
    (root / "other.py").write_text("async def tick():\n    return 1\n")
    return root


def _run(project: Path, cache: Path | None) -> list[tuple[str, int, str, tuple[tuple[str, int, str], ...]]]:
    files = sorted(str(p) for p in project.glob("*.py"))
    config = Config(select=("ASL107",), root=project)
    found = [d for r in check_files(files, config, jobs=1, cache_dir=cache) for d in r.diagnostics]
    return sorted((Path(d.path).name, d.line, d.message, tuple((Path(p).name, n, t) for p, n, t in d.flow)) for d in found)


@pytest.fixture
def checked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files each run checks (not taken from the result cache), by name, sorted."""
    return record_checked(monkeypatch)


def test_moving_lines_rechecks_only_the_findings_that_show_them(tmp_path: Path, checked: list[str]):
    project = _project(tmp_path / "p")
    cache = tmp_path / "cache"
    before = _run(project, cache)
    assert [(f[0], f[1]) for f in before] == [("caller.py", 5)]
    assert "(helpers.py:5)" in before[0][2]
    checked.clear()
    (project / "helpers.py").write_text("# a comment that moves every line\n" + HELPERS)
    after = _run(project, cache)
    assert sorted(checked) == ["caller.py", "helpers.py"]  # sync_user.py names the helper, shows none of its lines
    assert "(helpers.py:6)" in after[0][2]
    assert after == _run(project, None)  # positions and code flow as a run without a cache finds them
    assert [step[1] for step in after[0][3]] == [11, 6, 6]
    checked.clear()
    assert _run(project, cache) == after and checked == []


def test_a_helper_that_stops_blocking_still_rechecks_every_file_naming_it(tmp_path: Path, checked: list[str]):
    project = _project(tmp_path / "p")
    cache = tmp_path / "cache"
    assert len(_run(project, cache)) == 1
    checked.clear()
    (project / "helpers.py").write_text(NON_BLOCKING)
    assert _run(project, cache) == []
    assert sorted(checked) == ["caller.py", "helpers.py", "sync_user.py"]  # other.py names neither helper
    checked.clear()
    (project / "helpers.py").write_text("\n\n" + HELPERS)  # blocking again, and moved
    found = _run(project, cache)
    assert sorted(checked) == ["caller.py", "helpers.py", "sync_user.py"]
    assert found == _run(project, None) and "(helpers.py:7)" in found[0][2]


def test_a_stale_entry_not_checked_again_is_forgotten(tmp_path: Path, checked: list[str]):
    """Checking only some files after a move: the entries of the others that show moved lines are dropped, not kept."""
    project = _project(tmp_path / "p")
    cache = tmp_path / "cache"
    _run(project, cache)
    (project / "helpers.py").write_text("\n" + HELPERS)
    config = Config(select=("ASL107",), root=project)
    check_files([str(project / "other.py")], config, jobs=1, cache_dir=cache)
    checked.clear()
    after = _run(project, cache)
    assert "caller.py" in checked
    assert after == _run(project, None)


def test_the_definitions_key_ignores_lines_and_sees_a_helper_change(tmp_path: Path):
    root = tmp_path / "p"
    root.mkdir()
    helpers = root / "helpers.py"
    cache = tmp_path / "index"

    def key(text: str) -> str | None:
        helpers.write_text(text)
        return build_index([str(helpers)], cache_dir=cache).load().definitions_key

    first = key(HELPERS)
    assert key("\n\n# moved\n" + HELPERS) == first
    assert key(NON_BLOCKING) != first


def test_a_malformed_flow_in_the_result_cache_is_checked_again(tmp_path: Path, checked: list[str]):
    import json

    project = _project(tmp_path / "p")
    cache = tmp_path / "cache"
    expected = _run(project, cache)
    (results,) = cache.glob("results-*.json")
    data = json.loads(results.read_text())
    for rows in data["findings"].values():
        for row in rows:
            if len(row) > 9:
                row[9] = 7  # not a list of steps
    results.write_text(json.dumps(data))
    (project / "other.py").write_text("async def tick():\n    return 2\n")  # something changed: the flows are looked at
    checked.clear()
    assert _run(project, cache) == expected
    assert sorted(checked) == ["caller.py", "other.py"]
