"""Where the caches go: `--no-cache` writes nothing, `--cache-dir` holds everything, `fix --diff` writes nothing, and outside a project the index is cached too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from asynclint.app.cli import cli
from asynclint.engine import project as project_module

BAD = "import time\n\n\nasync def tick():\n    time.sleep(1)\n"
FILES = {
    "api.py": "async def fetch():\n    pass\n",
    "caller.py": "from api import fetch\n\n\nasync def main():\n    fetch()\n",
    "other.py": BAD,
}


def _tree(folder: Path, marker: bool = True) -> Path:
    folder.mkdir(parents=True)
    if marker:
        (folder / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    for name, text in FILES.items():
        (folder / name).write_text(text)
    return folder


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files the project index reads (not answered from its cache)."""
    seen: list[str] = []
    real = project_module._read_all

    def counting(files, jobs):  # type: ignore[no-untyped-def]
        seen.extend(Path(path).name for path, _ in files)
        return real(files, jobs)

    monkeypatch.setattr(project_module, "_read_all", counting)
    return seen


def test_no_cache_writes_nothing_in_check_nor_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    project = _tree(tmp_path / "p")
    monkeypatch.chdir(project)
    before = _files(project)
    code, output = _run("check", "--no-cache", "--select", "ALL", "-j1", ".")
    assert code == 1 and "caller.py:5:5: ASL201" in output  # the index was built (not cached)
    assert _files(project) == before  # no .asynclint_cache, no .gitignore
    code, _ = _run("fix", "--no-cache", "--unsafe-fixes", "-j1", "other.py")
    assert "asyncio.sleep" in (project / "other.py").read_text()
    assert _files(project) == before


def test_cache_dir_holds_the_results_and_the_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reads: list[str]):
    project = _tree(tmp_path / "p")
    monkeypatch.chdir(project)
    before = _files(project)
    elsewhere = tmp_path / "elsewhere"
    assert _run("check", "--cache-dir", str(elsewhere), "--select", "ALL", "-j1", ".")[0] == 1
    assert _files(project) == before
    assert list(elsewhere.glob("results-*.json"))
    assert len(list(elsewhere.glob("index/*/index.txt"))) == 1
    assert sorted(reads) == ["api.py", "caller.py", "other.py"]
    reads.clear()
    (project / "other.py").write_text(BAD + "\n")  # a miss for the results: the check needs the index
    assert _run("check", "--cache-dir", str(elsewhere), "--select", "ALL", "-j1", ".")[0] == 1
    assert reads == ["other.py"]  # the others' definitions came from the index in --cache-dir


def test_cache_dir_from_the_config_holds_the_index_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    project = _tree(tmp_path / "p")
    (project / "pyproject.toml").write_text("[tool.asynclint]\nselect = ['ALL']\ncache-dir = '.cache/lint'\n")
    monkeypatch.chdir(project)
    assert _run("check", "-j1", ".")[0] == 1
    assert not (project / ".asynclint_cache").exists()
    assert list((project / ".cache/lint").glob("index/*/index.txt"))
    assert list((project / ".cache/lint").glob("results-*.json"))


def test_fix_diff_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    project = _tree(tmp_path / "p")
    monkeypatch.chdir(project)
    before = _files(project)
    code, output = _run("fix", "--diff", "--unsafe-fixes", "-j1", ".")
    assert code == 1 and "+    await asyncio.sleep(1)" in output
    assert _files(project) == before and (project / "other.py").read_text() == BAD
    code, output = _run("check", "--fix", "--diff", "--unsafe-fixes", "-j1", ".")
    assert code == 1 and "+    await asyncio.sleep(1)" in output
    assert _files(project) == before
    # A cache folder named on the command line is the user's to fill, --diff or not.
    assert _run("fix", "--diff", "--cache-dir", str(tmp_path / "c"), "-j1", ".")[0] == 1
    assert _files(project) == before and list((tmp_path / "c").glob("index/*/index.txt"))


def test_fix_diff_still_reads_the_project_index_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reads: list[str]):
    project = _tree(tmp_path / "p")
    monkeypatch.chdir(project)
    assert _run("check", "-j1", ".")[0] == 1  # writes the index
    reads.clear()
    index = (project / ".asynclint_cache" / "index.txt").read_bytes()
    assert _run("fix", "--diff", "-j1", "other.py")[0] in (0, 1)
    assert reads == [] and (project / ".asynclint_cache" / "index.txt").read_bytes() == index


def test_outside_a_project_a_warm_run_reads_no_file_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reads: list[str]):
    code_folder = _tree(tmp_path / "code", marker=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    args = ("check", "--select", "ALL", "--format", "json", "-j1", str(code_folder))
    code, cold = _run(*args)
    assert code == 1 and sorted(reads) == ["api.py", "caller.py", "other.py"]
    indexes = list((work / ".asynclint_cache").glob("index/*/index.txt"))
    assert len(indexes) == 1  # in the cache folder of the run, keyed by the files' folder
    assert not list(code_folder.glob(".asynclint_cache"))
    reads.clear()
    (code_folder / "other.py").write_text(BAD + "\n")  # the results miss; the index must not
    code, warm = _run(*args)
    assert code == 1 and reads == ["other.py"]
    assert [d["code"] for d in json.loads(warm)] == [d["code"] for d in json.loads(cold)]
