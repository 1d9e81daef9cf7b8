"""The README's `repo: local` pre-commit snippet, run by the real pre-commit with this asynclint installed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BAD = "import asyncio\nimport time\n\n\nasync def main():\n    time.sleep(1)\n"


def readme_local_snippet() -> str:
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("## pre-commit", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```yaml\n(.*?)```", section, re.S)
    local = [block for block in blocks if "repo: local" in block]
    assert len(local) == 1, "the README shows one `repo: local` configuration"
    return local[0]


def run_hooks(repo: Path, home: Path) -> subprocess.CompletedProcess[str]:
    # `language: system` runs `asynclint` from PATH: this interpreter's, where it is installed.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PATH": path}
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--all-files"], cwd=repo, env=env, capture_output=True, text=True
    )


def test_the_readme_local_hooks_fix_then_pass(tmp_path: Path):
    repo, home = tmp_path / "repo", tmp_path / "home"
    repo.mkdir()
    git = ["git", "-c", "user.name=asynclint tests", "-c", "user.email=tests@example.invalid"]
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    (repo / ".pre-commit-config.yaml").write_text(readme_local_snippet())
    (repo / "pyproject.toml").write_text("[tool.asynclint]\nexclude = ['generated']\n")
    (repo / "bad.py").write_text(BAD)
    (repo / "generated").mkdir()
    (repo / "generated" / "out.py").write_text(BAD)  # named by pre-commit, left out by --force-exclude
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "start"], cwd=repo, check=True)

    first = run_hooks(repo, home)
    assert first.returncode == 1, first.stdout + first.stderr
    assert "files were modified by this hook" in first.stdout
    assert (repo / "bad.py").read_text() == BAD.replace("    time.sleep(1)", "    await asyncio.sleep(1)")
    assert (repo / "generated" / "out.py").read_text() == BAD
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    second = run_hooks(repo, home)
    assert second.returncode == 0, second.stdout + second.stderr
