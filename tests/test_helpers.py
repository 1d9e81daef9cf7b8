"""ASL107: sync helpers summarized in the project index, chains found across modules, kept exact by the caches."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from asynclint.analysis.callgraph import Reach, ReachOptions
from asynclint.app.cli import cli
from asynclint.app.testing import record_checked
from asynclint.core.config import Config
from asynclint.core.options import BlockingCallOptions, HelperOptions
from asynclint.engine.project import build_index
from asynclint.engine.runner import check_files

HELPERS = (
    "import time\n\n\ndef _read(path):\n    with open(path) as f:\n        return f.read()\n\n\n"
    "def load_settings(path):\n    return _read(path)\n"
)
CALLER = "from helpers import load_settings\n\n\nasync def setup(path):\n    return load_settings(path)\n"


def _project(root: Path, helpers: str = HELPERS) -> Path:
    root.mkdir()
    (root / "pyproject.toml").write_text("[tool.asynclint]\nselect = ['ALL']\n")
    (root / "helpers.py").write_text(helpers)
    (root / "caller.py").write_text(CALLER)
    (root / "other.py").write_text("async def tick():\n    return 1\n")
    return root


def _run(project: Path, cache: Path | None, config: Config | None = None) -> list[tuple[str, int, str]]:
    files = sorted(str(p) for p in project.glob("*.py"))
    config = config or Config(select=("ASL107",), root=project)
    found = [d for r in check_files(files, config, jobs=1, cache_dir=cache) for d in r.diagnostics]
    return sorted((Path(d.path).name, d.line, d.message) for d in found)


def test_the_message_names_the_chain_and_where_it_blocks(tmp_path: Path):
    found = _run(_project(tmp_path / "p"), None)
    assert [(name, line) for name, line, _ in found] == [("caller.py", 5)]
    assert found[0][2].startswith("`load_settings() -> _read() -> open()` blocks the event loop (helpers.py:5)")


def test_a_helper_that_stops_blocking_rechecks_its_callers_in_other_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    project = _project(tmp_path / "p")
    cache = tmp_path / "cache"
    assert len(_run(project, cache)) == 1
    (project / "helpers.py").write_text(HELPERS.replace("    with open(path) as f:\n        return f.read()", "    return path"))
    checked = record_checked(monkeypatch)
    assert _run(project, cache) == []
    assert sorted(checked) == ["caller.py", "helpers.py"]  # other.py names neither helper
    (project / "helpers.py").write_text(HELPERS)
    assert len(_run(project, cache)) == 1


def _reach(tmp_path: Path, source: str, options: ReachOptions | None = None) -> Reach:
    (tmp_path / "mod.py").write_text(source)
    return Reach(build_index([str(tmp_path / "mod.py")]), options or ReachOptions())


def test_helper_depth_bounds_the_chain(tmp_path: Path):
    source = "import time\n\ndef a():\n    b()\n\ndef b():\n    c()\n\ndef c():\n    time.sleep(1)\n"
    assert [s.name for s in _reach(tmp_path, source).of_name("mod.a") or ()] == ["a", "b", "c", "time.sleep"]
    assert _reach(tmp_path, source, ReachOptions(depth=2)).of_name("mod.a") is None
    assert _reach(tmp_path, source, ReachOptions(depth=2)).of_name("mod.b") is not None


def test_nonblocking_helpers_and_blocking_calls_settings(tmp_path: Path):
    source = "import db\nimport time\n\ndef query():\n    return db.fetch_all()\n\ndef warm():\n    time.sleep(1)\n"
    assert _reach(tmp_path, source).of_name("mod.query") is None
    assert _reach(tmp_path, source, ReachOptions(blocking_calls=frozenset({"db.fetch_all"}))).of_name("mod.query")
    assert _reach(tmp_path, source, ReachOptions(nonblocking_helpers=("mod.w*",))).of_name("mod.warm") is None


def test_recursion_ends_and_finds_the_shortest_chain(tmp_path: Path):
    source = (
        "import os\n\ndef ping(n):\n    return pong(n)\n\ndef pong(n):\n    ping(n)\n    return deep(n)\n\n"
        "def deep(n):\n    os.system('x')\n"
    )
    assert [s.name for s in _reach(tmp_path, source).of_name("mod.ping") or ()] == ["ping", "pong", "deep", "os.system"]
    assert _reach(tmp_path, "def f():\n    return f()\n").of_name("mod.f") is None


def test_the_settings_reach_the_rule(tmp_path: Path):
    project = _project(tmp_path / "p", HELPERS.replace("with open(path) as f:\n        return f.read()", "return db.get(path)"))
    (project / "helpers.py").write_text("import db\n" + (project / "helpers.py").read_text())
    assert _run(project, None) == []
    extra = {BlockingCallOptions: BlockingCallOptions(blocking_calls=("db.get",))}
    assert len(_run(project, None, Config(select=("ASL107",), root=project, rule_options=extra))) == 1
    shallow = {**extra, HelperOptions: HelperOptions(helper_depth=1)}
    assert _run(project, None, Config(select=("ASL107",), root=project, rule_options=shallow)) == []


def test_sarif_carries_the_chain_as_a_code_flow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(_project(tmp_path / "p"))
    result = CliRunner().invoke(cli, ["check", "--no-cache", "--format", "sarif", "."], catch_exceptions=False)
    (finding,) = json.loads(result.output)["runs"][0]["results"]
    steps = finding["codeFlows"][0]["threadFlows"][0]["locations"]
    where = [(s["location"]["physicalLocation"]["artifactLocation"]["uri"], s["location"]["physicalLocation"]["region"]["startLine"]) for s in steps]
    assert where == [("caller.py", 5), ("helpers.py", 10), ("helpers.py", 5), ("helpers.py", 5)]
    assert [s["location"]["message"]["text"] for s in steps[1:]] == ["load_settings()", "_read()", "open()"]


def test_the_settings_are_read_from_the_config_table():
    from asynclint.core.config import parse_table

    options = parse_table({"helper-depth": 2, "nonblocking-helpers": ["app.cache.*"]}, "test")["rule_options"]
    assert options[HelperOptions] == HelperOptions(helper_depth=2, nonblocking_helpers=("app.cache.*",))
