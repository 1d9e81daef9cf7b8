"""Parallel workers and the result cache: same answers, fewer checks (never timed here)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from asynclint.app.testing import FIXTURES, record_checked
from asynclint.core.config import Config
from asynclint.engine import runner
from asynclint.engine.cache import ResultCache
from asynclint.engine.runner import Job, check_files, run_all

ALL = Config(select=("ALL",))


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "asynclint", *args], capture_output=True, text=True, cwd=cwd)


def test_jobs_2_reports_exactly_what_jobs_1_reports_on_the_fixtures():
    one = cli("check", "--format", "json", "--no-cache", "--jobs", "1", str(FIXTURES))
    two = cli("check", "--format", "json", "--no-cache", "--jobs", "2", str(FIXTURES))
    assert one.returncode == two.returncode == 1, one.stderr + two.stderr
    assert json.loads(one.stdout), "the fixtures must produce findings"
    assert one.stdout == two.stdout  # same findings, same order, byte for byte


def test_fix_with_2_jobs_writes_what_fix_with_1_job_writes(tmp_path: Path):
    outputs = []
    for jobs in ("1", "2"):
        tree = tmp_path / f"jobs{jobs}"
        shutil.copytree(FIXTURES, tree, ignore=shutil.ignore_patterns("*.fixed"))
        result = cli("fix", "--unsafe-fixes", "--jobs", jobs, str(tree))
        assert result.returncode in (0, 1), result.stderr
        outputs.append({p.relative_to(tree): p.read_bytes() for p in sorted(tree.rglob("*.py"))})
    assert outputs[0] == outputs[1]


def _project(tmp_path: Path) -> Path:
    tmp_path.mkdir()
    (tmp_path / "pyproject.toml").write_text("[tool.asynclint]\nselect = ['ALL']\n")
    (tmp_path / "api.py").write_text("async def fetch():\n    pass\n")
    (tmp_path / "caller.py").write_text("from api import fetch\n\n\nasync def main():\n    fetch()\n")
    (tmp_path / "other.py").write_text("import time\n\n\nasync def tick():\n    time.sleep(1)\n")
    return tmp_path



def _calls(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[tuple[Any, ...]]:
    """Record the arguments of each call to `module.name` (which still does its work)."""
    calls: list[tuple[Any, ...]] = []
    real = getattr(module, name)

    def recording(*args: Any) -> Any:
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(module, name, recording)
    return calls


def _run(project: Path, cache: Path) -> list:
    files = sorted(str(p) for p in project.glob("*.py"))
    config = Config(select=("ALL",), root=project)
    return sorted(d for r in check_files(files, config, jobs=1, cache_dir=cache) for d in r.diagnostics)


def test_a_cache_hit_returns_what_the_miss_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    project = _project(tmp_path / "p")
    cache = tmp_path / "cache"
    first = _run(project, cache)
    assert {d.code for d in first} == {"ASL101", "ASL201"}
    checked = record_checked(monkeypatch)
    second = _run(project, cache)
    assert checked == []  # every file answered from the cache
    assert second == first
    assert [(d.message, d.fix, d.end_line, d.end_col, d.text_edit) for d in second] == [
        (d.message, d.fix, d.end_line, d.end_col, d.text_edit) for d in first
    ]
    assert (cache / ".gitignore").read_text().strip().endswith("*")


TICK = """import asyncio
import time


async def tick():
    time.sleep(1)


def helper(x):
    return x + 1
"""


def test_an_edit_libcst_would_not_see_reuses_the_findings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """libcst reads only the blocks a rule may fire in (and module-level code without its comments):
    an edit elsewhere, that moves no line, keeps the findings and needs no libcst."""
    from asynclint.engine import lint

    project = tmp_path / "p"
    project.mkdir()
    (project / "pyproject.toml").write_text("[tool.asynclint]\nselect = ['ALL']\n")
    module = project / "mod.py"
    module.write_text(TICK)
    cache = tmp_path / "cache"
    first = _run(project, cache)
    assert [(d.code, d.line) for d in first] == [("ASL101", 6)]
    parsed = _calls(monkeypatch, lint, "parse")

    def check(text: str) -> list[tuple[str, int, int]]:
        module.write_text(text)
        return [(d.code, d.line, d.col) for d in _run(project, cache)]

    assert check(TICK.replace("x + 1", "x + 2") + "# a comment at the end\n") == [("ASL101", 6, 4)]
    assert check(TICK.replace("import time\n\n", "import time\n# between statements\n")) == [("ASL101", 6, 4)]
    assert parsed == []  # answered from the findings of the same input
    assert check(TICK.replace("time.sleep(1)", "time.sleep(2)")) == [("ASL101", 6, 4)]
    assert len(parsed) == 1  # the block with the finding changed
    assert check(TICK.replace("time.sleep(1)", "time.sleep(1)  # noqa: ASL101")) == []
    assert check("# moved down\n" + TICK) == [("ASL101", 7, 4)]
    assert check(TICK.replace("def helper(x):", "async def helper(x):")) == [("ASL101", 6, 4)]
    assert len(parsed) == 4  # what the module defines changed: checked again
    assert check(TICK) == [("ASL101", 6, 4)] and len(parsed) == 5


LOADED_MODULES = """
import sys
from asynclint.app.cli import main
try:
    main()
finally:
    loaded = [m for m in sys.modules if m.split(".")[0] == "libcst" or m in ("asynclint.rules.base", "asynclint.rules.registry")]
    print(sorted(loaded), file=sys.stderr)
"""


@pytest.mark.parametrize("output_format", ["text", "json", "github", "grouped"])
def test_a_warm_run_loads_neither_libcst_nor_the_rules(tmp_path: Path, output_format: str):
    project = _project(tmp_path / "p")
    command = [sys.executable, "-c", LOADED_MODULES, "check", "--format", output_format, str(project)]
    cold = subprocess.run(command, capture_output=True, text=True, cwd=project)
    warm = subprocess.run(command, capture_output=True, text=True, cwd=project)
    assert cold.returncode == warm.returncode == 1, cold.stderr + warm.stderr
    assert "libcst" in cold.stderr and "asynclint.rules.registry" in cold.stderr  # the first run checked the files
    assert warm.stderr.strip().splitlines()[-1] == "[]", warm.stderr
    assert warm.stdout == cold.stdout and "ASL101" in warm.stdout and "ASL201" in warm.stdout


def test_a_changed_file_no_rule_can_fire_on_is_checked_without_libcst(tmp_path: Path):
    project = _project(tmp_path / "p")
    (project / "plain.py").write_text("import asyncio\n\n\nasync def add(a, b):\n    return a + b\n")
    command = [sys.executable, "-c", LOADED_MODULES, "check", "--format", "json", str(project)]
    cold = subprocess.run(command, capture_output=True, text=True, cwd=project)
    (project / "plain.py").write_text("import asyncio\n\n\nasync def add(a, b):\n    return b + a\n")
    changed = subprocess.run(command, capture_output=True, text=True, cwd=project)
    assert changed.stderr.strip().splitlines()[-1] == "[]", changed.stderr  # screened out: no libcst
    assert changed.stdout == cold.stdout and json.loads(cold.stdout)
    (project / "plain.py").write_text("import asyncio\n\n\nasync def add(a, b):\n    asyncio.sleep(a)\n")
    found = subprocess.run(command, capture_output=True, text=True, cwd=project)
    assert "libcst" in found.stderr.strip().splitlines()[-1]  # a rule may fire: the rules run
    assert "plain.py" in found.stdout and "ASL201" in found.stdout


def test_the_index_is_read_only_when_a_file_is_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from asynclint.engine import project as project_module

    project = _project(tmp_path / "p")
    cache = tmp_path / "cache"
    first = _run(project, cache)
    fills = _calls(monkeypatch, project_module, "_fill")
    assert _run(project, cache) == first
    assert fills == []  # every finding came from the cache: no definition was read
    (project / "other.py").write_text("import time\n\n\nasync def tick():\n    time.sleep(2)\n")
    assert _run(project, cache) == first
    assert [len(args[1]) for args in fills] == [3]  # a file to check: the index of the three files is read, once


def test_a_warm_run_reuses_the_index_digests_until_a_file_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from asynclint.engine import cache as cache_module

    project = _project(tmp_path / "p")
    cache = tmp_path / "cache"
    first = _run(project, cache)
    computed = _calls(monkeypatch, cache_module, "index_digests")
    assert _run(project, cache) == first and computed == []  # nothing indexed changed: digests reused
    (project / "api.py").write_text("async def fetch():\n    return 1\n")
    assert _run(project, cache) == first and computed == []  # a body changed, not what the module defines
    (project / "api.py").write_text("async def fetch():\n    return 1\n\n\ndef helper():\n    pass\n")
    assert _run(project, cache) == first and len(computed) == 1
    (project / "api.py").write_text("async def fetch():\n    return 2\n\n\ndef helper():\n    pass\n")
    assert _run(project, cache) == first and len(computed) == 1


def test_editing_an_async_def_rechecks_its_callers_and_nothing_else(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    project = _project(tmp_path / "p")
    cache = tmp_path / "cache"
    _run(project, cache)
    (project / "api.py").write_text("def fetch():\n    pass\n")  # no longer a coroutine function
    checked = record_checked(monkeypatch)
    after = _run(project, cache)
    assert sorted(checked) == ["api.py", "caller.py"]  # other.py mentions no `fetch`
    assert {d.code for d in after} == {"ASL101"}


@pytest.mark.parametrize("select, rechecked", [(("ASL301",), ["a.py", "b.py"]), (("ASL101",), ["b.py"])])
def test_an_async_def_that_stops_suspending_rechecks_its_callers_only_for_the_rules_that_ask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, select: tuple[str, ...], rechecked: list[str]
):
    """Whether an `async def` ever suspends is part of the index digests only when ASL301-303 read it."""
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "b.py").write_text("import asyncio\n\n\nasync def fetch(x):\n    await asyncio.sleep(1)\n    return x\n")
    (tmp_path / "a.py").write_text("from b import fetch\n\n\nasync def main(xs):\n    return [await fetch(x) for x in xs]\n")
    config, cache = Config(select=select, root=tmp_path), tmp_path / "cache"
    files = [str(tmp_path / "a.py"), str(tmp_path / "b.py")]
    before = [d.code for r in check_files(files, config, cache_dir=cache) for d in r.diagnostics]
    assert before == (["ASL301"] if select == ("ASL301",) else [])
    (tmp_path / "b.py").write_text("import asyncio\n\n\nasync def fetch(x):\n    return x\n")  # never suspends now
    checked = record_checked(monkeypatch)
    after = [d.code for r in check_files(files, config, cache_dir=cache) for d in r.diagnostics]
    assert after == [] and sorted(os.path.basename(p) for p in checked) == rechecked


def test_an_index_change_seen_by_a_partial_run_still_rechecks_the_other_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """pre-commit checks only the changed files: the entries of the others must not be trusted blindly later."""
    project = _project(tmp_path / "p")
    (project / "client.py").write_text("class Client:\n    pass\n")
    late = "from client import Client\n\n\nclass Late(Client):\n    async def main(self):\n        self.notify()\n"
    (project / "late.py").write_text(late)
    cache = tmp_path / "cache"
    _run(project, cache)
    (project / "api.py").write_text("def fetch():\n    pass\n")
    (project / "client.py").write_text("class Client:\n    async def notify(self):\n        pass\n")  # a new name
    config = Config(select=("ALL",), root=project)
    check_files([str(project / "api.py"), str(project / "client.py")], config, jobs=1, cache_dir=cache)
    checked = record_checked(monkeypatch)
    after = _run(project, cache)
    assert sorted(checked) == ["caller.py", "late.py"]  # `fetch` changed, `notify` appeared; other.py has neither
    assert {(Path(d.path).name, d.code) for d in after if d.code == "ASL201"} == {("late.py", "ASL201")}


def test_a_stored_digest_table_that_is_not_what_it_claims_is_not_trusted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The partial run above, with the saved table of the changed name put back as it was before."""
    project = _project(tmp_path / "p")
    cache = tmp_path / "cache"
    _run(project, cache)
    (results,) = cache.glob("results-*.json")
    before = json.loads(results.read_text())["digests"]
    (project / "api.py").write_text("def fetch():\n    pass\n")
    config = Config(select=("ALL",), root=project)
    check_files([str(project / "api.py")], config, jobs=1, cache_dir=cache)
    data = json.loads(results.read_text())
    old = {line.split(" ")[0]: line for line in before.split("\n")}
    data["digests"] = "\n".join(old.get(line.split(" ")[0], line) for line in data["digests"].split("\n"))
    results.write_text(json.dumps(data))
    checked = record_checked(monkeypatch)
    after = _run(project, cache)
    assert sorted(checked) == ["caller.py"]  # the table says `fetch` did not change; its version says otherwise
    assert {d.code for d in after} == {"ASL101"}


def test_a_new_async_def_rechecks_the_files_that_mention_its_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    project = _project(tmp_path / "p")
    (project / "late.py").write_text("async def main():\n    notify()\n")
    cache = tmp_path / "cache"
    assert "ASL201" not in {d.code for d in _run(project, cache) if d.path.endswith("late.py")}
    (project / "notifier.py").write_text("async def notify():\n    pass\n")
    (project / "late.py").write_text("from notifier import notify\n\nasync def main():\n    notify()\n")
    checked = record_checked(monkeypatch)
    after = _run(project, cache)
    assert sorted(checked) == ["late.py", "notifier.py"]
    assert ("late.py", "ASL201") in {(Path(d.path).name, d.code) for d in after}


def _handler_rechecked_when(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str], changed: str, text: str) -> None:
    """`handler.py` reports ASL201 through what `files` declare; writing `text` to `changed` re-checks it
    (and not `other.py`, which names none of it), and the finding goes."""
    project = _project(tmp_path / "p")
    for name, source in files.items():
        (project / name).write_text(source)
    cache = tmp_path / "cache"
    found = {(Path(d.path).name, d.code) for d in _run(project, cache)}
    assert ("handler.py", "ASL201") in found
    (project / changed).write_text(text)
    checked = record_checked(monkeypatch)
    after = {(Path(d.path).name, d.code) for d in _run(project, cache)}
    assert "handler.py" in checked and "other.py" not in checked
    assert ("handler.py", "ASL201") not in after


def test_changing_a_declared_type_rechecks_the_files_that_follow_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """`ctx.http.fetch()` is reported through `Context.http`'s annotation in another module; declaring it
    another (sync) class re-checks the file, and the finding goes."""
    files = {
        "clients.py": "class Http:\n    async def fetch(self):\n        pass\n\n\nclass SyncHttp:\n    def fetch(self):\n        pass\n",
        "context.py": "from clients import Http\n\n\nclass Context:\n    http: Http\n",
        "handler.py": "from context import Context\n\n\nasync def handle(ctx: Context):\n    ctx.http.fetch()\n",
    }
    declared_sync = "from clients import SyncHttp\n\n\nclass Context:\n    http: SyncHttp\n"
    _handler_rechecked_when(tmp_path, monkeypatch, files, "context.py", declared_sync)


def test_a_touched_file_is_screened_with_the_declared_sets_the_index_cache_stored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """After edits that change no definition (a comment, a body), the pre-screens' project-wide sets of
    declared types come from the index cache, not computed again, and the touched file still reports
    through its declared receiver; declaring another class, and back, re-checks it each time."""
    from asynclint.analysis.index import declared, model

    project = _project(tmp_path / "p")
    clients = "class Http:\n    async def fetch(self):\n        pass\n\n\nclass SyncHttp:\n    def fetch(self):\n        pass\n"
    (project / "clients.py").write_text(clients)
    (project / "context.py").write_text("from clients import Http\n\n\nclass Context:\n    http: Http\n")
    handler = "from context import Context\n\n\nasync def handle(ctx: Context):\n    ctx.http.fetch()\n"
    (project / "handler.py").write_text(handler)
    cache = tmp_path / "cache"
    first = _run(project, cache)
    assert ("handler.py", "ASL201") in {(Path(d.path).name, d.code) for d in first}

    def computing(*args: Any) -> Any:
        raise AssertionError("computed again")

    with monkeypatch.context() as patched:
        for name in ("declared_type_names", "declared_async_methods", "declared_members"):
            patched.setattr(declared, name, computing)
        patched.setattr(model, "_sync_method_names", computing)
        patched.setattr(model, "_async_method_classes", computing)
        (project / "handler.py").write_text(handler + "# touched\n")
        (project / "clients.py").write_text("\n" + clients.replace("        pass\n", "        return None\n", 1))
        checked = record_checked(patched)
        touched = _run(project, cache)
        assert sorted(checked) == ["clients.py", "handler.py"]
    assert touched == _run(project, None)
    assert [(Path(d.path).name, d.line) for d in touched if d.code == "ASL201"] == [("caller.py", 5), ("handler.py", 5)]
    for declared_as, reported in (("SyncHttp", False), ("Http", True)):
        (project / "context.py").write_text(f"from clients import {declared_as}\n\n\nclass Context:\n    http: {declared_as}\n")
        checked = record_checked(monkeypatch)
        after = _run(project, cache)
        assert "handler.py" in checked and after == _run(project, None)
        assert (("handler.py", "ASL201") in {(Path(d.path).name, d.code) for d in after}) is reported


def test_a_changed_file_is_checked_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    project = _project(tmp_path / "p")
    cache = tmp_path / "cache"
    _run(project, cache)
    (project / "other.py").write_text("async def tick():\n    pass\n")
    checked = record_checked(monkeypatch)
    after = _run(project, cache)
    assert checked == ["other.py"]
    assert {d.code for d in after} == {"ASL201"}


@pytest.mark.parametrize("garbage", [b"", b"{not json", b'{"version": 999, "files": {}}', b'{"version": 1, "files": {"x": 3}}', b"\xff\xfe"])
def test_a_corrupt_or_foreign_cache_is_ignored_and_rebuilt(tmp_path: Path, garbage: bytes):
    project = _project(tmp_path / "p")
    cache = tmp_path / "cache"
    expected = _run(project, cache)
    (cache_file,) = cache.glob("results-*.json")
    cache_file.write_bytes(garbage)
    assert _run(project, cache) == expected
    assert json.loads(cache_file.read_text())["version"] == ResultCache.VERSION


def test_a_malformed_entry_is_a_miss_not_a_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    project = _project(tmp_path / "p")
    cache = tmp_path / "cache"
    expected = _run(project, cache)
    (cache_file,) = cache.glob("results-*.json")
    data = json.loads(cache_file.read_text())
    assert len(data["files"]) == 3 and len(data["findings"]) == 2  # api.py has no finding
    for path in data["files"]:
        data["findings"][path] = [["not", "a", "row"]]
    cache_file.write_text(json.dumps(data))
    checked = record_checked(monkeypatch)
    assert _run(project, cache) == expected
    assert len(checked) == 3
    data = json.loads(cache_file.read_text())
    lines = sorted(data["files"])
    data["files"][lines[0]] = data["files"][lines[0]].rsplit(" ", 1)[0]  # a field short
    data["files"][lines[1]] = "x" + data["files"][lines[1]]  # a size that is no number
    data["files"][lines[2]] = ["a", "list"]
    cache_file.write_text(json.dumps(data))
    checked.clear()
    assert _run(project, cache) == expected
    assert len(checked) == 3


def test_another_configuration_uses_another_cache_file(tmp_path: Path):
    project = _project(tmp_path / "p")
    cache = tmp_path / "cache"
    files = sorted(str(p) for p in project.glob("*.py"))
    check_files(files, Config(select=("ASL101",), root=project), cache_dir=cache)
    only = check_files(files, Config(select=("ASL201",), root=project), cache_dir=cache)
    assert {d.code for r in only for d in r.diagnostics} == {"ASL201"}
    assert len(list(cache.glob("results-*.json"))) == 2


def test_no_cache_writes_nothing_and_cache_dir_is_honoured(tmp_path: Path):
    project = _project(tmp_path / "p")
    assert cli("check", "--no-cache", "--exit-zero", ".", cwd=project).returncode == 0
    assert not (project / ".asynclint_cache").exists() or not list((project / ".asynclint_cache").glob("results-*"))
    assert cli("check", "--cache-dir", "elsewhere", "--exit-zero", ".", cwd=project).returncode == 0
    assert list((project / "elsewhere").glob("results-*.json"))
    (project / "pyproject.toml").write_text("[tool.asynclint]\ncache-dir = 'from-config'\n")
    assert cli("check", "--exit-zero", ".", cwd=project).returncode == 0
    assert list((project / "from-config").glob("results-*.json"))


def _work(job: Job, path: str) -> str:
    if path.endswith("boom"):
        os._exit(13)  # a worker dying hard, as a segfault or the OOM killer would make it
    return path.upper()


def test_a_worker_crash_reports_that_file_and_loses_no_other():
    paths = [f"file{i}" for i in range(40)] + ["boom"] + [f"late{i}" for i in range(20)]
    results = dict(run_all(_work, Job(ALL, None), paths, 2, lambda p: f"crashed {p}"))
    assert results.pop("boom") == "crashed boom"
    assert results == {p: p.upper() for p in paths if p != "boom"}


def test_the_project_index_is_built_once_for_all_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    project = tmp_path / "p"
    project.mkdir()
    (project / "pyproject.toml").write_text("")
    for i in range(30):
        (project / f"m{i}.py").write_text(f"async def f{i}():\n    pass\n\nasync def g():\n    f{i}()\n")
    builds: list[int] = []
    real = runner.project_for

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        builds.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(runner, "project_for", counting)
    files = sorted(str(p) for p in project.glob("*.py"))
    results = check_files(files, Config(root=project), jobs=2)
    assert len(builds) == 1
    assert sum(1 for r in results for d in r.diagnostics if d.code == "ASL201") == 30


def test_jobs_must_be_positive():
    result = cli("check", "--jobs", "0", ".")
    assert result.returncode == 2
    assert "--jobs" in result.stderr


@pytest.mark.parametrize("select", [None, ("ALL",)])
def test_a_file_without_async_code_never_reaches_libcst(monkeypatch: pytest.MonkeyPatch, select):
    # 40% of real files have no `async def`: every rule must let them skip the costly parse.
    from asynclint.engine import lint

    parsed: list[str] = []
    real = lint.parse
    monkeypatch.setattr(lint, "parse", lambda source: parsed.append("x") or real(source))
    sync_only = b"import os\nimport threading\n\n\ndef main():\n    return os.getcwd()\n"
    result = lint.lint_source(sync_only, "m.py", Config(select=select))
    assert result.diagnostics == ()
    assert parsed == []
    lint.lint_source(b"import asyncio\n\nasyncio.get_event_loop().run_until_complete(main())\n", "m.py", Config())
    assert parsed == ["x"]  # ASL501 fires in sync code: its word is there, so the file is parsed


def test_positions_stopped_early_equal_libcst_positions():
    """Positions are generated only up to the last node asked for: each must still be libcst's own."""
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    from asynclint.engine.visit import positions_of

    class Nodes(cst.CSTVisitor):
        def __init__(self) -> None:
            self.found: list[cst.CSTNode] = []

        def on_visit(self, node: cst.CSTNode) -> bool:
            self.found.append(node)
            return True

    sources = sorted(Path(__file__).parent.parent.joinpath("fixtures").glob("ASL*/*.py"))[:12]
    assert sources
    for source in sources:
        module = cst.parse_module(source.read_bytes())
        full = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        visitor = Nodes()
        module.visit(visitor)
        for node in visitor.found[::5]:  # names, decorators, parameters, statements...
            assert positions_of(module, {node})[node] == full[node], (source.name, node)
        pair = {visitor.found[len(visitor.found) // 3], visitor.found[-1]}
        placed = positions_of(module, pair)
        assert all(placed[node] == full[node] for node in pair)
    # Every node at once, in line endings, indentation and characters that count differently.
    odd = (
        "# -*- coding: utf-8 -*-\r\nimport time\r\n\r\nasync def f(x='é€𝄞'):\r\n\tif x:  # ü\r\n\t\ttime.sleep(\r\n\t\t\t1)\r\n"
        "\x0c\r\nclass C:\r\n    s = '''a\r\nb'''; t = (1,\r\n 2)\r\n    def g(self): return f'{self!r:>{2}}' \\\r\n        + 'x'\r\n"
        "@dec\r\nasync def h(): await g()  # no newline at the end"
    )
    for text in (odd, odd.replace("\r\n", "\n"), odd.replace("\r\n", "\r")):
        module = cst.parse_module(text.encode())
        full = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        visitor = Nodes()
        module.visit(visitor)
        placed = positions_of(module, set(visitor.found))
        assert len(visitor.found) > 100
        assert all(placed[node] == full[node] for node in visitor.found)


def test_positions_fall_back_to_every_span_when_a_needed_child_was_not_watched(monkeypatch: pytest.MonkeyPatch):
    """A statement's position is made of its children's spans: when one was not kept, every span is kept and the positions are libcst's."""
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    from asynclint.engine import visit

    module = cst.parse_module("def f():\n    x = 1\n    return x\n\nclass C:\n    y = 2\n")
    full = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    statements = [module.body[0], module.body[1], module.body[0].body.body[0]]
    made: list[bool] = []
    real_init = visit._PlacingState.__init__

    def init(self, module, wanted, everything=False):  # type: ignore[no-untyped-def]
        made.append(everything)
        real_init(self, module, wanted, everything)
        if not everything:
            self.watch = frozenset(self.watch)  # (an `add` fails: nothing more is watched)

    def enter(self) -> None:  # type: ignore[no-untyped-def]
        self.state.recording += 1
        self.start = self.state.offset
        self.watched = id(self.node) in self.state.watch

    monkeypatch.setattr(visit._PlacingState, "__init__", init)
    monkeypatch.setattr(visit._Recording, "__enter__", enter)
    placed = visit.positions_of(module, set(statements))
    assert made == [False, True]
    assert all(placed[node] == full[node] for node in statements)


def test_changing_a_coroutine_alias_rechecks_the_files_that_call_through_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """`http.get()` makes a coroutine because `Http.get` returns `Response[dict]`, an alias of
    `Coroutine[...]` in a third module; making that alias an `Awaitable` re-checks the caller."""
    files = {
        "kinds.py": "from typing import Any, Coroutine, TypeVar\n\nT = TypeVar('T')\nResponse = Coroutine[Any, Any, T]\n",
        "clients.py": "from kinds import Response\n\n\nclass Http:\n    def get(self) -> Response[dict]:\n        return self.request()\n\n"
        "    async def request(self):\n        return {}\n",
        "handler.py": "from clients import Http\n\n\nasync def handle(http: Http):\n    http.get()\n",
    }
    awaitable = "from typing import Awaitable, TypeVar\n\nT = TypeVar('T')\nResponse = Awaitable[T]\n"
    _handler_rechecked_when(tmp_path, monkeypatch, files, "kinds.py", awaitable)


def test_the_stored_digest_table_is_looked_up_in_its_text_as_the_decoded_table():
    """A run that checks a few changed files makes their entries from the stored table's text (`DigestTable`):
    the same digests, so the same dependency keys, as from the decoded table."""
    from asynclint.engine.cache import DigestTable, _digests_text, _text_version, depends_on

    digests = {"a": "1", "ab": "2", "a_b": "3", "A": "4", "b9": "5", "zz": "6", "_": "7", "my-script": "8"}
    text = _digests_text(digests)
    table = DigestTable.of(text, _text_version(text))
    assert table is not None and dict(table) == digests
    for name in ["a", "ab", "a_b", "A", "b", "abc", "zz", "zzz", "_", "my", "a b"]:
        assert table.get(name) == digests.get(name), name
    source = b"a ab b a_b zz x _ q\nmy = script\n"
    assert depends_on(source, table) == depends_on(source, digests)
    assert DigestTable.of(text, "another version") is None  # not the text of the version it claims
    for odd in ({**digests, "a b": "9"}, {**digests, "a\x01": "9"}):  # lines that would not sort as their names
        text = _digests_text(odd)
        assert DigestTable.of(text, _text_version(text)) is None


def test_the_collector_is_off_while_libcst_checks_a_file_and_as_it_was_afterwards(monkeypatch: pytest.MonkeyPatch):
    """libcst's work on a file runs with the cyclic collector off; after it, the collector is on (or off, if it was), nothing frozen."""
    import gc

    from asynclint.app.fixes.apply import fix_source
    from asynclint.engine import lint, visit

    states: list[bool] = []
    real_findings_of = visit.findings_of

    def noting(*args: Any, **kwargs: Any) -> Any:
        states.append(gc.isenabled())
        return real_findings_of(*args, **kwargs)

    monkeypatch.setattr(visit, "findings_of", noting)
    monkeypatch.setattr("asynclint.app.fixes.apply.findings_of", noting)
    source = b"import asyncio\nimport time\n\n\nasync def f():\n    time.sleep(1)\n"
    was = gc.isenabled()
    try:
        for enabled in (True, False):
            (gc.enable if enabled else gc.disable)()
            result = lint.lint_source(source, "m.py", Config())
            assert [d.code for d in result.diagnostics] == ["ASL101"]
            outcome = fix_source(source, "m.py", Config(), unsafe=True)
            assert outcome.changed and outcome.error is None
            assert gc.isenabled() is enabled
            assert gc.get_freeze_count() == 0
    finally:
        (gc.enable if was else gc.disable)()
    assert states and not any(states)


def test_objects_frozen_for_forked_workers_stay_frozen_through_a_check_and_thaw_with_the_last_holder():
    """A check in a process whose objects are frozen (a forked worker, the flake8 parent) moves
    nothing out of the frozen generation; the pool's freeze is undone only when nothing else holds one."""
    import gc

    from asynclint.engine import collector, lint

    source = b"import time\n\n\nasync def f():\n    time.sleep(1)\n"
    assert gc.get_freeze_count() == 0
    with collector.frozen():
        kept = gc.get_freeze_count()
        assert kept > 0
        with collector.frozen():  # (a second pool, nested)
            pass
        assert 0 < gc.get_freeze_count() <= kept  # still held by the outer one (frozen objects may be freed)
        result = lint.lint_source(source, "m.py", Config())
        assert [d.code for d in result.diagnostics] == ["ASL101"]
        assert 0 < gc.get_freeze_count() <= kept  # the check froze nothing more, thawed nothing
    assert gc.get_freeze_count() == 0
    with collector.paused():
        made = [[] for _ in range(1000)]
    assert gc.get_freeze_count() == 0 and made  # (nothing frozen here: what it made was only moved along)
