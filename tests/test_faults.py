"""Bad input and hostile circumstances, through the real command line: never hang, never orphan, never half-write."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

from asynclint.app.testing import processes_mentioning

#: Every run here is bounded: a hang fails the test instead of blocking the suite.
TIMEOUT = 120

BLOCKING = "import asyncio\nimport time\n\nasync def f():\n    time.sleep(1)\n"
FIXED = "import asyncio\nimport time\n\nasync def f():\n    await asyncio.sleep(1)\n"


def asynclint(*args: str, cwd: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "asynclint", *args],
        cwd=cwd,
        input=stdin.decode() if stdin is not None else None,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    return result


def start(*args: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "asynclint", *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "pyproject.toml").write_text("")
    yield tmp_path
    if Path("/proc/self/stat").exists():  # a failed test leaves no process behind it
        for pid in processes_mentioning(str(tmp_path)):
            os.kill(pid, signal.SIGKILL)


# FIFOs, sockets and devices are never opened


needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")


@needs_fifo
@pytest.mark.parametrize("command", [("check",), ("fix",), ("check", "--no-cache", "-j", "2")])
def test_a_fifo_in_the_project_is_never_read(project: Path, command: tuple[str, ...]) -> None:
    os.mkfifo(project / "x.py")
    (project / "ok.py").write_text(BLOCKING)
    named = asynclint(*command, "ok.py", cwd=project)
    assert named.returncode in (0, 1), named.stderr
    walked = asynclint(*command, ".", cwd=project)
    assert walked.returncode in (0, 1), walked.stderr
    assert "x.py" not in walked.stdout + walked.stderr


@needs_fifo
def test_a_fifo_named_on_the_command_line_is_one_error_and_the_rest_is_checked(project: Path) -> None:
    os.mkfifo(project / "x.py")
    (project / "ok.py").write_text(BLOCKING)
    result = asynclint("check", "x.py", "ok.py", cwd=project)
    assert result.returncode == 2
    assert "ok.py:5:5: ASL101" in result.stdout
    assert result.stderr.splitlines() == ["asynclint: error: x.py: not a regular file (a FIFO, socket or device is never read)"]


@needs_fifo
def test_flake8_does_not_hang_on_a_fifo_in_the_project(project: Path) -> None:
    os.mkfifo(project / "x.py")
    (project / "ok.py").write_text("import asyncio\n\nasync def g():\n    pass\n\nasync def f():\n    g()\n")
    result = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "ASL", "ok.py"], cwd=project, capture_output=True, text=True, timeout=TIMEOUT
    )
    assert "ok.py:7:5: ASL201" in result.stdout


# Workers die with their parent; signals stop a run cleanly


def many_files(folder: Path, count: int = 80, functions: int = 20) -> bytes:
    """`count` files, each with `functions` fixable findings; returns the original content."""
    body = "import asyncio\nimport time\n\n" + "".join(
        f"async def f{i}():\n    x = [{i} for _ in range(3)]\n    time.sleep(1)\n    return x\n\n" for i in range(functions)
    )
    for i in range(count):
        (folder / f"m{i:03}.py").write_text(body)
    return body.encode()


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, ValueError):
            continue
        if entry.isdigit() and int(fields[1]) == pid:
            found.append(int(entry))
    return found


def wait_until(condition, what: str, limit: float = TIMEOUT) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(0.05)


linux_only = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")


@linux_only
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_no_worker_outlives_its_parent(project: Path, how: int) -> None:
    many_files(project)
    run = start("fix", "--unsafe-fixes", "-j", "2", str(project), cwd=project)
    wait_until(lambda: len(children(run.pid)) >= 2, "the workers to start")
    os.kill(run.pid, how)
    run.wait(timeout=TIMEOUT)  # (not communicate: a surviving worker would hold its pipes open)
    # Gone within 5 s (the kernel kills them at once on Linux; a watchdog elsewhere).
    deadline = time.monotonic() + 5
    while processes_mentioning(str(project)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_mentioning(str(project)) == []


@linux_only
@pytest.mark.parametrize("how, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_signal_mid_fix_leaves_every_file_original_or_fully_fixed(project: Path, how: int, status: int, jobs: str) -> None:
    original = many_files(project)
    fixed = asynclint("fix", "--stdin-filename", "m000.py", cwd=project, stdin=original).stdout.encode()
    assert fixed != original and b"time.sleep" not in fixed
    files = sorted(project.glob("m*.py"))
    run = start("fix", "-j", jobs, str(project), cwd=project)
    wait_until(lambda: any(f.read_bytes() != original for f in files), "a first file to be fixed")
    os.kill(run.pid, how)
    _, stderr = run.communicate(timeout=TIMEOUT)
    assert run.returncode == status
    assert stderr.splitlines()[-1].startswith(f"asynclint: stopped by {signal.Signals(how).name}")
    assert "Traceback" not in stderr
    contents = [f.read_bytes() for f in files]
    assert all(c in (original, fixed) for c in contents)
    assert original in contents  # it did stop before the end
    assert not list(project.glob(".asynclint-*"))  # no temp file left behind
    assert processes_mentioning(str(project)) == []


@linux_only
def test_sigterm_stops_check_without_orphans(project: Path) -> None:
    many_files(project)
    run = start("check", "--no-cache", "-j", "2", str(project), cwd=project)
    wait_until(lambda: len(children(run.pid)) >= 2, "the workers to start")
    run.terminate()
    _, stderr = run.communicate(timeout=TIMEOUT)
    assert run.returncode == 143
    assert stderr == "asynclint: stopped by SIGTERM\n"
    assert processes_mentioning(str(project)) == []


# fix never rewrites what it must not, and keeps what it rewrites


def test_a_file_without_write_bits_is_left_alone_even_by_root(project: Path) -> None:
    target = project / "ro.py"
    target.write_text(BLOCKING)
    target.chmod(0o444)
    result = asynclint("fix", "ro.py", cwd=project)
    assert target.read_text() == BLOCKING
    assert stat.S_IMODE(target.stat().st_mode) == 0o444
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["asynclint: error: ro.py: file is read-only; left as it is"]
    # The summary says what happened, not "0 findings left without a fix".
    assert "1 fix not applied: 1 file left unchanged" in result.stdout


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root can give a file away")
def test_root_keeps_the_owner_group_and_mode_of_a_fixed_file(project: Path) -> None:
    target = project / "theirs.py"
    target.write_text(BLOCKING)
    os.chown(target, 12345, 23456)
    target.chmod(0o640)
    result = asynclint("fix", "theirs.py", cwd=project)
    assert result.returncode == 0, result.stderr
    assert target.read_text() == FIXED
    st = target.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (12345, 23456, 0o640)


# The small ones


def test_a_syntax_error_is_where_cpython_says(project: Path) -> None:
    (project / "bad.py").write_text("import asyncio\nasync def f(:\n    pass\n")
    result = asynclint("check", "bad.py", cwd=project)
    assert result.stdout.splitlines()[0] == "bad.py:2:13: ASL000 cannot parse: invalid syntax"


@pytest.mark.parametrize("select", ["", ","])
def test_an_empty_select_is_a_usage_error(project: Path, select: str) -> None:
    (project / "ok.py").write_text(BLOCKING)
    result = asynclint("check", "--select", select, "ok.py", cwd=project)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == ["asynclint: error: --select needs at least one code or prefix (ALL for every rule)"]


@pytest.mark.parametrize("command", ["check", "fix"])
def test_a_missing_path_is_reported_and_the_others_are_checked(project: Path, command: str) -> None:
    (project / "ok.py").write_text("import asyncio\nimport time\n\nasync def f():\n    time.sleep(1)\n    open('x')\n")
    result = asynclint(command, "gone.py", "ok.py", cwd=project)
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["asynclint: error: path does not exist: gone.py"]
    assert "ok.py:6:5: ASL104" in result.stdout


def test_check_reads_stdin_as_the_file_it_stands_for(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.asynclint]\nexclude = ["gen/*"]\nper-file-ignores = { "tests/*" = ["ASL101"] }\n'
    )
    (project / "lib.py").write_text("def g():\n    pass\n")  # on disk: not a coroutine function
    source = b"async def g():\n    pass\n\nasync def h():\n    g()\n"  # the unsaved buffer makes it one
    result = asynclint("check", "--stdin-filename", "lib.py", "-", cwd=project, stdin=source)
    assert result.stdout.splitlines()[0].startswith("lib.py:5:5: ASL201")
    assert result.returncode == 1
    other = b"from lib import g\n\nasync def h():\n    g()\n"  # resolved through the project's index
    assert asynclint("check", "--stdin-filename", "user.py", cwd=project, stdin=other).returncode == 0
    blocking = BLOCKING.encode()
    assert asynclint("check", "-", cwd=project, stdin=blocking).stdout.startswith("-:5:5: ASL101")
    assert asynclint("check", "--stdin-filename", "tests/t.py", cwd=project, stdin=blocking).returncode == 0
    assert asynclint("check", "--stdin-filename", "gen/t.py", cwd=project, stdin=blocking).returncode == 0


def test_fix_writes_the_fixed_stdin_to_stdout(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.asynclint]\nexclude = ["gen/*"]\n')
    result = asynclint("fix", "-", "--stdin-filename", "app.py", cwd=project, stdin=BLOCKING.encode())
    assert (result.returncode, result.stdout) == (0, FIXED)
    assert "1 fix applied in 1 file" in result.stderr
    assert not (project / "app.py").exists()
    excluded = asynclint("fix", "--stdin-filename", "gen/app.py", cwd=project, stdin=BLOCKING.encode())
    assert (excluded.returncode, excluded.stdout) == (0, BLOCKING)


def test_stdin_must_be_the_only_path(project: Path) -> None:
    (project / "ok.py").write_text(BLOCKING)
    result = asynclint("check", "-", "ok.py", cwd=project, stdin=b"")
    assert (result.returncode, result.stderr) == (2, "asynclint: error: `-` (read stdin) must be the only path\n")


def test_a_symlink_loop_is_left_out_of_the_walk_and_an_error_when_named(project: Path) -> None:
    os.symlink("b.py", project / "a.py")
    os.symlink("a.py", project / "b.py")
    (project / "ok.py").write_text(BLOCKING)
    walked = asynclint("check", "-q", ".", cwd=project)
    assert walked.returncode == 1
    assert [line.split(":")[0] for line in walked.stdout.splitlines()] == ["ok.py"]
    named = asynclint("check", "-q", "a.py", "ok.py", cwd=project)  # the first path, where the config is looked for
    assert named.returncode == 2
    assert named.stdout.startswith("ok.py:5:5: ASL101")
    assert named.stderr.splitlines() == ["asynclint: error: a.py: Too many levels of symbolic links"]


WATCHED_POOL = """
import sys, time
from asynclint.engine import pool
pool._die_with_parent = lambda: False  # as on a platform without PR_SET_PDEATHSIG
with pool.process_pool(2) as workers:
    list(workers.map(time.sleep, [0.01, 0.01]))
    print("ready", flush=True)
    time.sleep(600)
"""


@linux_only
def test_without_pdeathsig_the_watchdog_ends_the_workers(project: Path) -> None:
    parent = subprocess.Popen([sys.executable, "-c", WATCHED_POOL, str(project)], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None and parent.stdout.readline() == "ready\n"
    assert len(processes_mentioning(str(project))) == 3
    parent.kill()
    parent.wait(timeout=TIMEOUT)
    deadline = time.monotonic() + 5
    while processes_mentioning(str(project)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_mentioning(str(project)) == []
