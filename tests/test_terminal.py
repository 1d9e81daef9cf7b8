"""Colors and the progress bar on a terminal (a real pseudo-terminal), and their absence when piped."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest

BAD = "import asyncio\nimport time\n\n\nasync def main():\n    time.sleep(1)\n"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for n in range(205):  # over the 200-file threshold of the progress bar
        (tmp_path / f"m{n:03}.py").write_text("x = 1\n")
    (tmp_path / "bad.py").write_text(BAD)
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "skipped.py").write_text(BAD)
    return tmp_path


def run_in_pty(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run with stdout and stderr on a pseudo-terminal; return everything it printed."""
    main, secondary = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "asynclint", *args], cwd=cwd, stdin=subprocess.DEVNULL,
        stdout=secondary, stderr=secondary, env={**os.environ, **(env or {})},
    )
    os.close(secondary)
    chunks = []
    while True:
        ready, _, _ = select.select([main], [], [], 30)
        if not ready:
            break
        try:
            data = os.read(main, 65536)
        except OSError:  # the other end closed
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(main)
    return b"".join(chunks).decode("utf-8", "replace")


def finding_line(output: str) -> str:
    return next(line for line in output.splitlines() if "ASL101" in line)


def test_terminal_gets_colors_and_progress(tree):
    output = run_in_pty(["check", "."], tree, {"NO_COLOR": ""})
    assert "\x1b[" in finding_line(output)
    assert "Checking" in output  # the progress bar's label, on stderr


def test_no_color_and_quiet_on_a_terminal(tree):
    assert "\x1b[" not in finding_line(run_in_pty(["check", "."], tree, {"NO_COLOR": "1"}))
    assert "\x1b[" not in finding_line(run_in_pty(["check", "--no-color", "."], tree, {"NO_COLOR": ""}))
    quiet = run_in_pty(["check", "--quiet", "."], tree, {"NO_COLOR": ""})
    assert "Checking" not in quiet and "Found" not in quiet and "ASL101" in quiet


def test_piped_output_is_plain(tree):
    piped = subprocess.run([sys.executable, "-m", "asynclint", "check", "."], cwd=tree, capture_output=True, text=True)
    assert "\x1b[" not in piped.stdout + piped.stderr
    assert "Checking" not in piped.stderr
    assert piped.stdout.splitlines()[0].startswith("bad.py:6:5: ASL101 [*] ")


def test_verbose_says_what_was_skipped(tree):
    verbose = subprocess.run(
        [sys.executable, "-m", "asynclint", "check", "--verbose", "."], cwd=tree, capture_output=True, text=True
    )
    assert "asynclint: skipped .venv: a tool, build or virtualenv folder" in verbose.stderr
