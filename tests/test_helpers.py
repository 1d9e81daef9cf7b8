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


# Declared receivers (issue 23): the type is in one file, the method in another, the async caller in a third.

CLIENTS = (
    "import time\n\n\nclass SyncClient:\n    def refresh(self):\n        time.sleep(1)\n\n\n"
    "class AsyncClient:\n    async def refresh(self):\n        return None\n"
)
BASE = "from clients import AsyncClient, SyncClient\n\n\nclass Base:\n    client: SyncClient\n"
DEVICE = "from base import Base\n\n\nclass Device(Base):\n    async def run(self):\n        self.client.refresh()\n"
HOLDER = "import requests\n\n\nclass Holder:\n    session: requests.Session\n"
FETCH = "from holder import Holder\n\n\ndef fetch(holder: Holder):\n    return holder.session.get('https://example.invalid')\n"
CALLS_FETCH = "from fetch import fetch\n\n\nasync def main(holder):\n    return fetch(holder)\n"
STATE = "import asyncio\nimport threading\n\n\nclass State:\n    lock: threading.Lock\n"
LOCKED = "from state import State\n\n\nasync def run(state: State, job):\n    with state.lock:\n        await job()\n"


def _files(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(exist_ok=True)
    for name, text in files.items():
        (root / name).write_text(text)
    return root


def test_a_method_through_a_declared_attribute_is_followed_and_rechecked_when_the_annotation_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    project = _files(tmp_path / "p", {"clients.py": CLIENTS, "base.py": BASE, "device.py": DEVICE, "other.py": "async def tick():\n    return 1\n"})
    cache = tmp_path / "cache"
    found = _run(project, cache)
    assert [(name, line) for name, line, _ in found] == [("device.py", 6)]
    assert found[0][2].startswith("`refresh() -> time.sleep()` blocks the event loop (clients.py:6)")
    (project / "base.py").write_text(BASE.replace("client: SyncClient", "client: AsyncClient"))
    checked = record_checked(monkeypatch)
    assert _run(project, cache) == []
    assert sorted(checked) == ["base.py", "device.py"]  # other.py names neither the attribute nor the method
    (project / "base.py").write_text(BASE)
    assert len(_run(project, cache)) == 1
    # The declared class becomes a `Protocol` (device.py names neither it nor its module).
    (project / "clients.py").write_text("from typing import Protocol\n" + CLIENTS.replace("class SyncClient:", "class SyncClient(Protocol):"))
    assert _run(project, cache) == []
    (project / "clients.py").write_text(CLIENTS)
    assert len(_run(project, cache)) == 1
    # A subclass elsewhere makes the method `async def`: what stands there may be one of those.
    (project / "fast.py").write_text("from clients import SyncClient\n\n\nclass Fast(SyncClient):\n    async def refresh(self):\n        return None\n")
    assert _run(project, cache) == []


def test_a_helper_reaching_a_declared_catalogue_method_is_rechecked_when_the_annotation_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    project = _files(tmp_path / "p", {"holder.py": HOLDER, "fetch.py": FETCH, "caller.py": CALLS_FETCH})
    cache = tmp_path / "cache"
    found = _run(project, cache)
    assert [(name, line) for name, line, _ in found] == [("caller.py", 5)]
    assert found[0][2].startswith("`fetch() -> Session.get()` blocks the event loop (fetch.py:5)")
    (project / "holder.py").write_text(HOLDER.replace("session: requests.Session", "session: object"))
    checked = record_checked(monkeypatch)
    assert _run(project, cache) == []
    assert "caller.py" in checked
    (project / "holder.py").write_text(HOLDER)
    assert len(_run(project, cache)) == 1


def test_a_lock_declared_in_another_file_is_rechecked_when_its_annotation_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    project = _files(tmp_path / "p", {"state.py": STATE, "locked.py": LOCKED})
    cache = tmp_path / "cache"
    config = Config(select=("ASL503",), root=project)
    assert [(name, line) for name, line, _ in _run(project, cache, config)] == [("locked.py", 5)]
    (project / "state.py").write_text(STATE.replace("lock: threading.Lock", "lock: asyncio.Lock"))
    checked = record_checked(monkeypatch)
    assert _run(project, cache, config) == []
    assert "locked.py" in checked
    (project / "state.py").write_text(STATE)
    assert len(_run(project, cache, config)) == 1


def test_declared_receivers_in_summaries(tmp_path: Path):
    source = (
        "import time\nfrom typing import Optional, Protocol, Union\n\n\nclass Slow:\n    def wait(self):\n        time.sleep(1)\n\n\n"
        "class Quick:\n    def wait(self):\n        return 1\n\n\nclass Waits(Protocol):\n    def wait(self):\n        time.sleep(1)\n\n\n"
        "class Owner:\n    slow: Slow\n    either: Union[Slow, Quick]\n\n    def direct(self):\n        self.slow.wait()\n\n"
        "    def mixed(self):\n        self.either.wait()\n\n    def missing(self):\n        self.nothing.wait()\n\n\n"
        "def param(slow: Optional['Slow']):\n    slow.wait()\n\n\ndef protocol(waits: Waits):\n    waits.wait()\n\n\n"
        "def rebound(slow: Slow):\n    slow = Quick()\n    slow.wait()\n\n\ndef through(owner: Owner):\n    owner.slow.wait()\n"
    )
    reach = _reach(tmp_path, source)
    assert [s.name for s in reach.of_name("mod.Owner.direct") or ()] == ["direct", "wait", "time.sleep"]
    assert [s.name for s in reach.of_name("mod.param") or ()] == ["param", "wait", "time.sleep"]
    assert [s.name for s in reach.of_name("mod.through") or ()] == ["through", "wait", "time.sleep"]
    for name in ("Owner.mixed", "Owner.missing", "protocol", "rebound"):
        assert reach.of_name(f"mod.{name}") is None, name


GUARDED = (
    "import socket\n\n\ndef resolve(host=None, port=0, *, name=None):\n    if host and port:\n"
    "        if host == 'localhost':\n            host = socket.gethostbyname(host)\n        return host\n    return name\n\n\n"
    "def lookup(host=None, port=0, name=None):\n    return resolve(host, port, name=name)\n"
)


def test_guards_and_forwarded_parameters_in_summaries(tmp_path: Path):
    summaries = _reach(tmp_path, GUARDED).project.module("mod").summaries
    assert summaries["resolve"] == "(host=,port=0;name= !socket.gethostbyname@7?host,port"
    assert summaries["lookup"] == "(host=,port=0,name= mod.resolve@13:0=host,1=port,name=name"
    plain = "import time\n\ndef pause(delay):\n    time.sleep(delay)\n"
    assert _reach(tmp_path, plain).project.module("mod").summaries["pause"] == "!time.sleep@4"  # (nothing more when nothing is guarded)


def test_a_left_out_argument_drops_what_needs_it_through_forwarding_calls(tmp_path: Path):
    reach = _reach(tmp_path, GUARDED)
    lookup = ("mod", "lookup")
    assert reach.at_call(lookup, 0, frozenset({"name"})) is None
    assert reach.at_call(lookup, 1, frozenset()) is None  # (`port` left out)
    assert reach.at_call(lookup, 0, frozenset({"host", "port"}), frozenset({"host"})) is None  # (`host=None`)
    assert [s.name for s in reach.at_call(lookup, 2, frozenset()) or ()] == ["lookup", "resolve", "socket.gethostbyname"]
    assert reach.at_call(lookup, 0, frozenset({"host", "port"})) is not None
    assert reach.of_name("mod.lookup") is not None  # (what the screen asks: unchanged)


CALLS_LOOKUP = "from helpers import lookup\n\n\nasync def find():\n    return lookup(name='db')\n"


@pytest.mark.parametrize("changed", ["resolve", "lookup"])
def test_a_guard_that_goes_rechecks_the_callers_in_other_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, changed: str):
    project = _project(tmp_path / "p", GUARDED)
    (project / "caller.py").write_text(CALLS_LOOKUP)
    cache = tmp_path / "cache"
    assert _run(project, cache) == []
    if changed == "resolve":  # (the guard two calls down: the chain without arguments stays the same)
        unguarded = GUARDED.replace("if host and port:", "if host or port or name:").replace("if host == 'localhost':", "if name:")
    else:  # (the forwarded argument: now a constant)
        unguarded = GUARDED.replace("resolve(host, port, name=name)", "resolve('localhost', 1, name=name)")
    (project / "helpers.py").write_text(unguarded)
    checked = record_checked(monkeypatch)
    assert [(name, line) for name, line, _ in _run(project, cache)] == [("caller.py", 5)]
    assert "caller.py" in checked and "other.py" not in checked
    (project / "helpers.py").write_text(GUARDED)
    assert _run(project, cache) == []
