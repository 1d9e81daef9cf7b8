"""The hooks of .pre-commit-hooks.yaml, run by the real pre-commit against this checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BAD = "import asyncio\nimport time\n\n\nasync def main():\n    time.sleep(1)\n"


def snapshot(target: Path) -> Path:
    """This checkout as pre-commit would clone it, new (untracked) files included."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.splitlines()
    for name in listed:
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    git = ["git", "-c", "user.name=asynclint tests", "-c", "user.email=tests@example.invalid"]
    subprocess.run(["git", "init", "-q"], cwd=target, check=True)
    subprocess.run(["git", "add", "-A"], cwd=target, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "snapshot"], cwd=target, check=True)
    return target


def try_repo(hook: str, repo: Path, home: Path, hooks_repo: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(hooks_repo), hook, "--all-files"],
        cwd=repo, env=env, capture_output=True, text=True,
    )


def test_check_and_fix_hooks(tmp_path):
    hooks_repo = snapshot(tmp_path / "asynclint")
    repo, home = tmp_path / "repo", tmp_path / "pre-commit-home"
    repo.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    (repo / "bad.py").write_text(BAD)
    subprocess.run(["git", "add", "bad.py"], cwd=repo, check=True)

    check = try_repo("asynclint", repo, home, hooks_repo)
    assert check.returncode == 1, check.stdout + check.stderr
    assert "bad.py:6:5: ASL101" in check.stdout

    fix = try_repo("asynclint-fix", repo, home, hooks_repo)
    assert fix.returncode == 1, fix.stdout + fix.stderr
    assert "files were modified by this hook" in fix.stdout
    assert (repo / "bad.py").read_text() == BAD.replace("    time.sleep(1)", "    await asyncio.sleep(1)")

    assert try_repo("asynclint-fix", repo, home, hooks_repo).returncode == 0
    assert try_repo("asynclint", repo, home, hooks_repo).returncode == 0
