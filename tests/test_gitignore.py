"""Discovery skips what git ignores (`.gitignore` files at every level, `.git/info/exclude`), `extend-exclude`, and `--force-exclude`."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from asynclint.app.cli import cli
from asynclint.core.config import ConfigError, load_config
from asynclint.engine.files import discover

BAD = "import time\n\n\nasync def tick():\n    time.sleep(1)\n"


def _repo(root: Path, files: dict[str, str]) -> Path:
    (root / ".git" / "info").mkdir(parents=True)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def _found(root: Path, *paths: str, **settings: object) -> list[str]:
    config = load_config([str(root)])
    if settings:
        import dataclasses

        config = dataclasses.replace(config, **settings)  # type: ignore[arg-type]
    targets = [str(root / p) for p in paths] or [str(root)]
    return sorted(Path(p).resolve().relative_to(root.resolve()).as_posix() for p in discover(targets, config))


TREE = {
    ".gitignore": "generated/\n*_pb2.py\n/top_only.py\n",
    "app/main.py": BAD,
    "app/models_pb2.py": BAD,
    "app/top_only.py": BAD,  # `/top_only.py` is anchored to the root's folder
    "top_only.py": BAD,
    "generated/out.py": BAD,
    "vendor/.gitignore": "*.py\n!keep.py\n",
    "vendor/lib.py": BAD,
    "vendor/keep.py": BAD,
    "scratch/notes.py": BAD,
}


def test_gitignore_files_at_every_level_and_info_exclude_are_respected(tmp_path: Path):
    root = _repo(tmp_path / "repo", TREE)
    (root / ".git" / "info" / "exclude").write_text("# local only\nscratch/\n")
    assert _found(root) == ["app/main.py", "app/top_only.py", "vendor/keep.py"]
    # Walking from a sub-folder, the rules of the folders above still apply.
    assert _found(root, "vendor") == ["vendor/keep.py"]
    assert _found(root, "app") == ["app/main.py", "app/top_only.py"]
    # A folder named on the command line is checked even when ignored; the rules inside it apply.
    (root / "generated" / ".gitignore").write_text("skip.py\n")
    (root / "generated" / "skip.py").write_text(BAD)
    assert _found(root, "generated") == ["generated/out.py"]
    assert "generated/out.py" not in _found(root)


def test_respect_gitignore_false_lints_everything(tmp_path: Path):
    root = _repo(tmp_path / "repo", TREE)
    (root / "pyproject.toml").write_text("[tool.asynclint]\nrespect-gitignore = false\n")
    assert len(_found(root)) == 8


def test_gitignore_means_nothing_outside_a_git_repository(tmp_path: Path):
    root = tmp_path / "plain"
    for name, text in TREE.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    assert len(_found(root)) == 8


def test_files_named_on_the_command_line_are_checked_unless_force_exclude(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    root = _repo(tmp_path / "repo", {**TREE, "pyproject.toml": "[tool.asynclint]\nextend-exclude = ['app/main.py']\n"})
    monkeypatch.chdir(root)
    assert _found(root) == ["app/top_only.py", "scratch/notes.py", "vendor/keep.py"]  # extend-exclude adds to exclude
    assert _found(root, "app/main.py", "generated/out.py") == ["app/main.py", "generated/out.py"]
    result = CliRunner().invoke(cli, ["check", "--no-cache", "app/main.py"])
    assert result.exit_code == 1 and "app/main.py:5:5: ASL101" in result.output
    result = CliRunner().invoke(cli, ["check", "--no-cache", "--force-exclude", "-v", "app/main.py", "app/top_only.py"])
    assert result.exit_code == 1 and "app/main.py" not in result.stdout and "app/top_only.py:5:5" in result.output
    result = CliRunner().invoke(cli, ["fix", "--no-cache", "--force-exclude", "app/main.py"])
    assert result.exit_code == 0 and (root / "app/main.py").read_text() == BAD


def test_force_exclude_in_the_config_and_folder_globs(tmp_path: Path):
    root = _repo(tmp_path / "repo", {**TREE, "pyproject.toml": "[tool.asynclint]\nexclude = ['app']\nforce-exclude = true\n"})
    assert _found(root, "app/main.py", "vendor/keep.py") == ["vendor/keep.py"]


@pytest.mark.parametrize("table", ["respect-gitignore = 'no'", "extend-exclude = 3", "force-exclude = 1"])
def test_bad_values_are_config_errors(tmp_path: Path, table: str):
    (tmp_path / "pyproject.toml").write_text(f"[tool.asynclint]\n{table}\n")
    with pytest.raises(ConfigError):
        load_config([str(tmp_path)])
