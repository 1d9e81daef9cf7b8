"""Bad input and hostile circumstances through the real command line: prints a markdown table.

    python benchmarks/faults.py

Each case runs `python -m asynclint` in a fresh temporary project, under a timeout (a hang is
a failure, not a stuck script), and says what it expected and what happened. The table is the
README's "Reliability" section. Exit status 1 when a case did not go as expected.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

from asynclint.app.testing import processes_mentioning

TIMEOUT = 120
BLOCKING = "import asyncio\nimport time\n\nasync def f():\n    time.sleep(1)\n"
FIXED = "import asyncio\nimport time\n\nasync def f():\n    await asyncio.sleep(1)\n"


class Run:
    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr

    def first(self) -> str:
        """The first line of stdout, else of stderr, as table code (its own backticks dropped)."""
        lines = self.stdout.splitlines() or self.stderr.splitlines() or [""]
        return code(lines[0])


def code(text: str) -> str:
    """Text as table code: its first line (and how many more), its own backticks dropped."""
    lines = text.strip().splitlines() or [""]
    more = f" (+{len(lines) - 1} lines)" if len(lines) > 1 else ""
    return "`" + lines[0].replace("`", "").replace("|", "/") + "`" + more


def asynclint(folder: Path, *args: str, stdin: bytes | None = None) -> Run:
    try:
        done = subprocess.run(
            [sys.executable, "-m", "asynclint", *args], cwd=folder, input=stdin, capture_output=True, timeout=TIMEOUT
        )
    except subprocess.TimeoutExpired:
        return Run(-1, "", f"hung: still running after {TIMEOUT} s")
    return Run(done.returncode, done.stdout.decode(errors="replace"), done.stderr.decode(errors="replace"))


def start(folder: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "asynclint", *args], cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def has_children(pid: int, count: int) -> bool:
    found = 0
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit() and int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found += 1
        except (OSError, ValueError, IndexError):
            continue
    return found >= count


def many_files(folder: Path, count: int = 80) -> bytes:
    body = "import asyncio\nimport time\n\n" + "".join(
        f"async def f{i}():\n    x = [{i} for _ in range(3)]\n    time.sleep(1)\n    return x\n\n" for i in range(20)
    )
    for i in range(count):
        (folder / f"m{i:03}.py").write_text(body)
    return body.encode()


def wait(condition: Callable[[], bool], limit: float = TIMEOUT) -> bool:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


# Each case: (folder) -> (as expected?, what happened)
Outcome = tuple[bool, str]


def asl000(content: bytes) -> Callable[[Path], Outcome]:
    def run(folder: Path) -> Outcome:
        (folder / "bad.py").write_bytes(content)
        (folder / "ok.py").write_text(BLOCKING)
        result = asynclint(folder, "check", "-q", ".")
        bad = [line for line in result.stdout.splitlines() if line.startswith("bad.py")]
        ok = any(line.startswith("ok.py:5:5: ASL101") for line in result.stdout.splitlines())
        good = result.returncode == 1 and len(bad) == 1 and "ASL000" in bad[0] and ok
        return good, f"exit {result.returncode}; {code(bad[0]) if bad else result.first()}" + ("" if ok else "; ok.py not checked")

    return run


def keeps_bytes(prefix: bytes, newline: bytes) -> Callable[[Path], Outcome]:
    def run(folder: Path) -> Outcome:
        (folder / "f.py").write_bytes(prefix + BLOCKING.encode().replace(b"\n", newline))
        result = asynclint(folder, "fix", "-q", "f.py")
        after = (folder / "f.py").read_bytes()
        good = result.returncode == 0 and after == prefix + FIXED.encode().replace(b"\n", newline)
        return good, f"exit {result.returncode}; fixed, {'kept byte for byte elsewhere' if good else repr(after[:60])}"

    return run


def deep_nesting(folder: Path) -> Outcome:
    (folder / "deep.py").write_text("x = " + "[" * 1500 + "]" * 1500 + "\n")
    result = asynclint(folder, "check", "-q", "-j", "1", "deep.py")
    return result.returncode == 1 and "nests too deeply" in result.stdout, f"exit {result.returncode}; {result.first()}"


def symlink_loop(folder: Path) -> Outcome:
    os.symlink("b.py", folder / "a.py")
    os.symlink("a.py", folder / "b.py")
    (folder / "ok.py").write_text(BLOCKING)
    walked = asynclint(folder, "check", "-q", ".")
    named = asynclint(folder, "check", "-q", "a.py", "ok.py")
    good = walked.returncode == 1 and walked.stdout.startswith("ok.py:5:5: ASL101") and "a.py" not in walked.stdout
    good = good and named.returncode == 2 and "ok.py:5:5: ASL101" in named.stdout
    return good, f"`check .`: exit {walked.returncode}, only ok.py reported; `check a.py ok.py`: exit {named.returncode}, {code(named.stderr)}"


def unreadable(folder: Path) -> Outcome:
    (folder / "secret.py").write_text(BLOCKING)
    (folder / "secret.py").chmod(0)
    result = asynclint(folder, "check", "-q", "secret.py")
    if os.geteuid() == 0:  # root reads it anyway
        return result.returncode == 1 and "ASL101" in result.stdout, f"exit {result.returncode}; as root it is read: {result.first()}"
    return result.returncode == 1 and "cannot read file" in result.stdout, f"exit {result.returncode}; {result.first()}"


def fifo(folder: Path) -> Outcome:
    os.mkfifo(folder / "x.py")
    (folder / "ok.py").write_text(BLOCKING)
    walked = asynclint(folder, "check", "-q", "ok.py")
    named = asynclint(folder, "check", "-q", "x.py", "ok.py")
    good = walked.returncode == 1 and named.returncode == 2 and "ok.py:5:5" in named.stdout
    return good, f"`check ok.py`: exit {walked.returncode}; `check x.py ok.py`: exit {named.returncode}, {code(named.stderr)}"


def killed(folder: Path) -> Outcome:
    many_files(folder)
    run = start(folder, "fix", "-j", "2", str(folder))
    if not wait(lambda: has_children(run.pid, 2)):
        run.kill()
        return False, "the workers never started"
    run.kill()
    run.wait()
    wait(lambda: not processes_mentioning(str(folder)), 5)
    left = processes_mentioning(str(folder))
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    return not left, f"{len(left)} process(es) left after 5 s"


def interrupted(folder: Path) -> Outcome:
    original = many_files(folder)
    files = sorted(folder.glob("m*.py"))
    run = start(folder, "fix", "-j", "2", str(folder))
    if not wait(lambda: any(f.read_bytes() != original for f in files)):
        run.kill()
        return False, "no file was ever fixed"
    run.send_signal(signal.SIGINT)
    _, stderr = run.communicate(timeout=TIMEOUT)
    contents = [f.read_bytes() for f in files]
    fixed = sum(c != original for c in contents)
    half = sum(c != original and b"time.sleep" in c for c in contents)
    temps = len(list(folder.glob(".asynclint-*")))
    message = stderr.decode().strip().splitlines()[-1]
    good = run.returncode == 130 and half == 0 and temps == 0 and "Traceback" not in stderr.decode()
    return good, f"exit {run.returncode}; {fixed} of {len(files)} fixed, {half} half-fixed, {temps} temp files; {code(message)}"


def read_only(folder: Path) -> Outcome:
    (folder / "ro.py").write_text(BLOCKING)
    (folder / "ro.py").chmod(0o444)
    result = asynclint(folder, "fix", "ro.py")
    good = result.returncode == 2 and (folder / "ro.py").read_text() == BLOCKING
    return good, f"exit {result.returncode}; unchanged; {code(result.stderr)}"


def other_owner(folder: Path) -> Outcome:
    if os.geteuid() != 0:
        return True, "skipped: needs root"
    target = folder / "theirs.py"
    target.write_text(BLOCKING)
    os.chown(target, 12345, 23456)
    target.chmod(0o640)
    result = asynclint(folder, "fix", "-q", "theirs.py")
    st = target.stat()
    kept = (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (12345, 23456, 0o640)
    good = result.returncode == 0 and kept and target.read_text() == FIXED
    return good, f"exit {result.returncode}; fixed; owner {st.st_uid}:{st.st_gid}, mode {st.st_mode & 0o7777:o}"


def missing(folder: Path) -> Outcome:
    (folder / "ok.py").write_text(BLOCKING)
    result = asynclint(folder, "check", "-q", "gone.py", "ok.py")
    good = result.returncode == 2 and "ok.py:5:5" in result.stdout
    return good, f"exit {result.returncode}; ok.py checked; {code(result.stderr)}"


def empty_select(folder: Path) -> Outcome:
    (folder / "ok.py").write_text(BLOCKING)
    result = asynclint(folder, "check", "--select", "", "ok.py")
    return result.returncode == 2 and not result.stdout, f"exit {result.returncode}; {code(result.stderr)}"


def stdin(folder: Path) -> Outcome:
    checked = asynclint(folder, "check", "-q", "--stdin-filename", "app.py", "-", stdin=BLOCKING.encode())
    fixed = asynclint(folder, "fix", "-q", "--stdin-filename", "app.py", "-", stdin=BLOCKING.encode())
    good = checked.stdout.startswith("app.py:5:5: ASL101") and fixed.stdout == FIXED and not (folder / "app.py").exists()
    return good, f"check: {checked.first()}; fix: the fixed text on stdout (exit {fixed.returncode})"


CASES: list[tuple[str, str, Callable[[Path], Outcome]]] = [
    ("binary file", "ASL000, the rest checked", asl000(bytes(range(256)) * 4)),
    ("NUL bytes", "ASL000, the rest checked", asl000(b"x = 1\x00\n")),
    ("invalid UTF-8", "ASL000, the rest checked", asl000(b"x = '\xff\xfe'\n")),
    ("BOM", "fixed; BOM kept", keeps_bytes(b"\xef\xbb\xbf", b"\n")),
    ("CRLF", "fixed; CRLF kept", keeps_bytes(b"", b"\r\n")),
    ("1,500 nested brackets", "ASL000, no crash", deep_nesting),
    ("symlink loop", "skipped by the walk / one error line when named, exit 2", symlink_loop),
    ("unreadable file (mode 000)", "ASL000 `cannot read file` (root reads it)", unreadable),
    ("FIFO in the project / named", "never opened / one error line, exit 2", fifo),
    ("kill -9 of `fix -j2` mid-run", "no worker left after 5 s", killed),
    ("SIGINT mid-fix (`-j2`)", "exit 130, each file original or fully fixed", interrupted),
    ("`fix` of a 444 file", "left alone (root too), exit 2", read_only),
    ("`fix` as root of another user's file", "owner, group and mode kept", other_owner),
    ("missing path among others", "the others checked, one error line, exit 2", missing),
    ("`--select ''`", "usage error, exit 2", empty_select),
    ("stdin (`-`, `--stdin-filename`)", "linted as that path; `fix -` prints the fixed text", stdin),
]


def main() -> int:
    rows = ["| case | expected | result |", "|---|---|---|"]
    failed = 0
    for name, expected, case in CASES:
        with tempfile.TemporaryDirectory(prefix="asynclint-faults-") as folder:
            (Path(folder) / "pyproject.toml").write_text("")
            try:
                good, result = case(Path(folder))
            except Exception as exc:  # the script reports; it does not stop at the first surprise
                good, result = False, f"{type(exc).__name__}: {exc}"
        failed += not good
        rows.append(f"| {name} | {expected} | {'' if good else '**FAILED** '}{result.replace('|', '/')} |")
        print(rows[-1], file=sys.stderr, flush=True)
    print("\n".join(rows))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
