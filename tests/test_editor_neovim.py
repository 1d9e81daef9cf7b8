"""A real editor: Neovim's own LSP client gets ASL101 from `asynclint server` and applies its fix."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

pytest.importorskip("pygls")

SCRIPT = Path(__file__).parent / "editor" / "neovim_quickfix.lua"


def test_neovim_applies_the_quick_fix(tmp_path: Path) -> None:
    nvim = shutil.which("nvim")
    if nvim is None:
        message = "NEOVIM IS NOT INSTALLED: the real-editor test did not run (apt-get install neovim; .ci/run does)"
        warnings.warn(message)
        pytest.skip(message)
    (tmp_path / "pyproject.toml").write_text("[tool.asynclint]\n")
    (tmp_path / "handler.py").write_text("import asyncio\nimport time\n\n\nasync def handler():\n    time.sleep(1)\n")
    result = tmp_path / "result.txt"
    env = {**os.environ, "RESULT": str(result), "PYTHON": sys.executable, "HOME": str(tmp_path)}
    run = subprocess.run(
        [nvim, "--headless", "-n", "-u", "NONE", "-i", "NONE", "handler.py", "-c", f"luafile {SCRIPT}"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )
    seen = result.read_text() if result.exists() else ""
    assert run.returncode == 0, f"{seen}\n{run.stdout}\n{run.stderr}"
    assert seen.splitlines() == [
        "diagnostic ASL101 line 5",
        "action asynclint: Replace with `await sleep(...)`",
        "line     await asyncio.sleep(1)",
        "cleared",
    ]
    # The buffer was changed by the editor, not the file on disk by the server.
    assert "time.sleep(1)" in (tmp_path / "handler.py").read_text()
