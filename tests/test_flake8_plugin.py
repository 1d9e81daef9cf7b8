"""The flake8 plugin checks as `check` does: same findings, the same result cache, one index build per run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

FLAKE8_COUNTING_READS = """
import os, sys
from asynclint.engine import project

log = sys.argv[1]
with open(log, "a") as out:
    out.write(f"main {os.getpid()}\\n")
original = project._read_batch

def counted(files):
    with open(log, "a") as out:
        out.write(f"{os.getpid()} {len(files)}\\n")
    return original(files)

project._read_batch = counted
from flake8.main.cli import main
raise SystemExit(main(sys.argv[2:]))
"""

PLUGIN_ON_ONE_FILE = """
import json, sys
from asynclint.app.flake8_plugin import Plugin

path = sys.argv[1]
with open(path, encoding="utf-8") as handle:
    lines = handle.readlines()
found = [[line, col + 1, text.split()[0]] for line, col, text, _ in Plugin(None, lines, path).run()]
print(json.dumps({"findings": found, "libcst": "libcst" in sys.modules}))
"""


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def project_files(count: int) -> dict[str, str]:
    """A package whose modules call each other's coroutine functions without awaiting them."""
    files = {"pyproject.toml": "[tool.asynclint]\n", "app/__init__.py": ""}
    for n in range(count):
        files[f"app/mod{n}.py"] = f"""\
            import time
            from app.mod{(n + 1) % count} import work{(n + 1) % count}

            async def work{n}():
                time.sleep(1)
                work{(n + 1) % count}()
            """
    return files


def check_findings(root: Path, *targets: str) -> set[tuple[str, int, int, str]]:
    run = subprocess.run(
        [sys.executable, "-m", "asynclint", "check", "--format", "json", *targets], cwd=root, capture_output=True, text=True
    )
    assert run.returncode in (0, 1), run.stderr
    return {(Path(d["path"]).as_posix(), d["line"], d["col"], d["code"]) for d in json.loads(run.stdout)}


def flake8_findings(output: str) -> set[tuple[str, int, int, str]]:
    """Findings as flake8 prints them (1-based columns, as `check --format json` gives them)."""
    found = set()
    for line in output.splitlines():
        path, number, col, rest = line.split(":", 3)
        found.add((Path(path).as_posix().removeprefix("./"), int(number), int(col), rest.split()[0]))
    return found


def plugin_on(root: Path, name: str) -> dict[str, object]:
    run = subprocess.run([sys.executable, "-c", PLUGIN_ON_ONE_FILE, name], cwd=root, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_parallel_flake8_reads_the_index_once_and_reports_what_check_reports(tmp_path):
    write(tmp_path, project_files(12))
    log = tmp_path.parent / f"{tmp_path.name}-reads.log"
    run = subprocess.run(
        [sys.executable, "-c", FLAKE8_COUNTING_READS, str(log), "--select", "ASL", "--isolated", "-j", "2", "app"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1, run.stderr
    via_flake8 = flake8_findings(run.stdout)
    assert {code for *_, code in via_flake8} == {"ASL101", "ASL201"}
    assert via_flake8 == check_findings(tmp_path, "app")
    lines = log.read_text().split("\n")
    main = lines[0].split()[1]
    reads = [line.split() for line in lines[1:] if line]
    # The parent read each file once, before flake8 forked its workers; they read none.
    assert {pid for pid, _ in reads} == {main}
    assert sum(int(count) for _, count in reads) == 13
    # Each worker saved its results into the cache, merged: every file has its entry.
    (results,) = (tmp_path / ".asynclint_cache").glob("results-*.json")
    entries = json.loads(results.read_text())["files"]
    assert {str((tmp_path / "app" / f"mod{n}.py").resolve()) for n in range(12)} <= entries.keys()


def test_a_result_saved_by_check_or_by_flake8_is_reused_without_libcst(tmp_path):
    write(tmp_path, project_files(3))
    first = plugin_on(tmp_path, "app/mod0.py")
    assert first["libcst"] is True  # checked
    again = plugin_on(tmp_path, "app/mod0.py")
    assert again == {"findings": first["findings"], "libcst": False}  # saved when the first process ended
    assert check_findings(tmp_path, "app/mod1.py")
    after_check = plugin_on(tmp_path, "app/mod1.py")
    assert after_check["libcst"] is False
    assert {("app/mod1.py", line, col, code) for line, col, code in after_check["findings"]} == check_findings(
        tmp_path, "app/mod1.py"
    )


def test_a_file_whose_dependency_changed_is_checked_again(tmp_path):
    write(
        tmp_path,
        {
            "pyproject.toml": "[tool.asynclint]\n",
            "app/__init__.py": "",
            "app/lib.py": "def helper():\n    return 1\n",
            "app/jobs.py": "from app.lib import helper\n\n\nasync def main():\n    helper()\n",
        },
    )
    assert plugin_on(tmp_path, "app/jobs.py")["findings"] == []
    assert plugin_on(tmp_path, "app/jobs.py")["libcst"] is False  # reused while nothing changed
    (tmp_path / "app/lib.py").write_text("async def helper():\n    return 1\n")
    changed = plugin_on(tmp_path, "app/jobs.py")
    assert [code for *_, code in changed["findings"]] == ["ASL201"]
    assert {("app/jobs.py", line, col, code) for line, col, code in changed["findings"]} == check_findings(
        tmp_path, "app/jobs.py"
    )


@pytest.mark.parametrize("disable_noqa", [False, True])
def test_noqa_silences_as_in_check_unless_flake8_disables_it(tmp_path, disable_noqa):
    write(
        tmp_path,
        {
            "pyproject.toml": "[tool.asynclint]\n",
            "a.py": "import time\n\n\nasync def main():\n    time.sleep(\n        1)  # noqa\n",
        },
    )
    args = ["--select", "ASL", "--isolated", "a.py", *(["--disable-noqa"] if disable_noqa else [])]
    run = subprocess.run([sys.executable, "-m", "flake8", *args], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == (1 if disable_noqa else 0), run.stderr
    # The `# noqa` is on the call's last line: `check` silences the whole logical line.
    assert flake8_findings(run.stdout) == ({("a.py", 5, 5, "ASL101")} if disable_noqa else set())
    assert check_findings(tmp_path, "a.py") == set()


def test_a_buffer_that_is_not_the_file_is_checked_from_its_text(tmp_path):
    write(tmp_path, {"pyproject.toml": "[tool.asynclint]\n", "a.py": "x = 1\n"})
    buffer = "import time\n\n\nasync def main():\n    time.sleep(1)\n"
    run = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "ASL", "--isolated", "--stdin-display-name", "a.py", "-"],
        cwd=tmp_path,
        input=buffer,
        capture_output=True,
        text=True,
    )
    assert flake8_findings(run.stdout) == {("a.py", 5, 5, "ASL101")}, run.stderr
    assert os.path.getsize(tmp_path / "a.py") == 6


PLUGIN_COLLECTOR = """
import gc, json, sys
from asynclint.app.flake8_plugin import Plugin
from asynclint.engine import perfile

seen = []
original = perfile.check_one

def recorded(job, path):
    seen.append(gc.get_threshold())
    return original(job, path)

perfile.check_one = recorded
gc.set_threshold(700, 10, 10)
path = sys.argv[1]
with open(path, encoding="utf-8") as handle:
    lines = handle.readlines()
found = [text.split()[0] for _, _, text, _ in Plugin(None, lines, path).run()]
print(json.dumps({"during": seen, "after": gc.get_threshold(), "found": found}))
"""


def test_the_collector_runs_as_check_has_it_once_the_plugin_has_worked_in_the_process(tmp_path):
    # (flake8's own work on later files would otherwise rescan the index the plugin keeps)
    from asynclint.engine.collector import GC_THRESHOLD

    write(tmp_path, project_files(2))
    run = subprocess.run([sys.executable, "-c", PLUGIN_COLLECTOR, "app/mod0.py"], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["during"] == [[GC_THRESHOLD, 20, 100]]
    assert out["after"] == [GC_THRESHOLD, 20, 100]
    assert "ASL101" in out["found"]
