"""How `asynclint fix` scales with the size of one file, against `asynclint check` of it.

    python benchmarks/fix_scale.py                 # 250 KB, 1 MB and 5 MB
    python benchmarks/fix_scale.py --sizes 1000    # sizes in KB

Each file is the fixtures' code (every rule's positive and negative cases) followed by
generated async functions with comments and blocking calls (`time.sleep`, which `fix`
rewrites; `subprocess.run`, which it reports only), repeated until the size is reached. For
each size it times `check` and `fix --unsafe-fixes` of a copy (each in its own process, no
cache): wall and CPU seconds (CPU is the fair figure on a shared machine) and peak memory.
Then it verifies what the fixer promises on its own: the result parses, a second `fix`
changes nothing, no line of the fixtures' part is replaced or deleted unless it holds a
fixable finding, and the generated part is exactly its expected fixed form.

Targets (issue 21): `fix` of a 1 MB file <= 3x `check` of it, under 1 GiB; 5 MB in < 60 s.
"""

from __future__ import annotations

import argparse
import ast
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BLOCK = '''

async def poll_{i}(client, job_id, interval=2.0):
    """Wait for job {i}."""
    # keep this comment exactly as it is: {i}
    while True:
        status = await client.status(job_id)  # trailing comment {i}
        if status in ("done", "failed"):
            return status
        time_mod.sleep(interval)


async def build_{i}(args):
    result = subprocess_mod.run(["make", *args], check=False)
    time_mod.sleep(0.5 * {i})
    return result.returncode
'''


def fixture_code() -> str:
    """Every fixture file, each wrapped so that the concatenation is one valid module."""
    # Aliases no fixture shadows: the generated functions' calls resolve whatever the fixtures define.
    parts = ["import asyncio\nimport subprocess as subprocess_mod\nimport time as time_mod\n"]
    for file in sorted((ROOT / "fixtures").glob("ASL*/*.py")):
        text = file.read_text(encoding="utf-8")
        try:
            ast.parse(text)
        except SyntaxError:
            continue  # newer syntax than this Python's
        parts.append(f"\n# ---- {file.relative_to(ROOT).as_posix()}\n{text}")
    return "".join(parts)


def make_source(size: int) -> str:
    """A module of about `size` bytes with many fixable findings: the fixtures, then generated functions."""
    parts = [fixture_code()]
    total, i = len(parts[0]), 0
    while total < size:
        block = BLOCK.format(i=i)
        parts.append(block)
        total += len(block)
        i += 1
    return "".join(parts)


def run(args: list[str], cwd: Path) -> tuple[float, float, float, subprocess.CompletedProcess[str]]:
    """Seconds, peak MiB and CPU seconds (the fair figure on a busy machine) of one asynclint process."""
    code = (
        "import resource, sys, time\n"
        "from asynclint.app.cli import main\n"
        f"sys.argv = {['asynclint', *args]!r}\n"
        "start = time.perf_counter()\n"
        "try:\n    main()\n"
        "except SystemExit:\n    pass\n"
        "usage = resource.getrusage(resource.RUSAGE_SELF)\n"
        "sys.stderr.write('\\nTIME %f RSS %d CPU %f\\n' % (time.perf_counter() - start, usage.ru_maxrss, usage.ru_utime + usage.ru_stime))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True)
    last = done.stderr.rstrip().rsplit("\n", 1)[-1].split()
    return float(last[1]), int(last[3]) / 1024, float(last[5]), done


def changed_outside_findings(before: str, after: str, lines: set[int]) -> list[int]:
    """Lines of the fixtures' part replaced or deleted in `after` that hold no fixable finding.

    Inserted lines are left to the fixer's own check, which knows the fixed nodes' spans
    (a `raise` added at the end of an `except` body is below the finding's line). The
    generated part is compared with what its functions become once fixed (`fixed_blocks`): a
    diff of the whole file would take minutes.
    """
    import difflib

    cut_before, cut_after = before.find(FIRST_BLOCK), after.find(FIRST_BLOCK)
    bad = []
    matcher = difflib.SequenceMatcher(None, before[:cut_before].splitlines(), after[:cut_after].splitlines(), autojunk=False)
    for tag, i1, i2, _, _ in matcher.get_opcodes():
        if tag in ("replace", "delete"):
            bad += [i + 1 for i in range(i1, i2) if i + 1 not in lines]
    # (The fixer may spell the call with an import the fixtures make: `from asyncio import sleep as asleep`.)
    if after[cut_after:].replace("await asleep(", "await asyncio.sleep(") != fixed_blocks(before[cut_before:]):
        bad.append(before.count("\n", 0, cut_before) + 1)
    return bad


FIRST_BLOCK = "\n\nasync def poll_0("


def fixed_blocks(generated: str) -> str:
    """The generated functions once fixed: each `time_mod.sleep` awaits `asyncio.sleep` (`subprocess_mod.run` has no fix)."""
    return generated.replace("time_mod.sleep(", "await asyncio.sleep(")


def measure(size_kb: int, folder: Path) -> dict[str, object]:
    source = make_source(size_kb * 1000)
    target = folder / f"big_{size_kb}k.py"
    target.write_text(source, encoding="utf-8")
    common = ["--no-cache", "-j1", "--exit-zero"]
    check_s, check_mib, check_cpu, checked = run(["check", "--format", "json", *common, target.name], folder)
    findings = json.loads(checked.stdout)
    fixable = {line for f in findings if f.get("fix") for line in range(f["line"], f["end_line"] + 1)}
    fix_s, fix_mib, fix_cpu, fixed = run(["fix", "--unsafe-fixes", *common, "-q", target.name], folder)
    after = target.read_text(encoding="utf-8")
    ast.parse(after)  # raises when the result does not parse
    again = subprocess.run(
        [sys.executable, "-m", "asynclint", "fix", "--unsafe-fixes", *common, "-q", "--diff", target.name], cwd=folder, capture_output=True, text=True
    )
    return {
        "size_kb": size_kb,
        "lines": source.count("\n"),
        "findings": len(findings),
        "fixable": len(fixable),
        "check_s": round(check_s, 2),
        "check_mib": round(check_mib),
        "fix_s": round(fix_s, 2),
        "fix_mib": round(fix_mib),
        "fix_over_check": round(fix_s / check_s, 2),
        "check_cpu_s": round(check_cpu, 2),
        "fix_cpu_s": round(fix_cpu, 2),
        "fix_over_check_cpu": round(fix_cpu / check_cpu, 2),
        "fix_error": fixed.stderr.strip().splitlines()[:-1][:3],
        "changed": after != source,
        "second_fix_changes": bool(again.stdout.strip()),
        "changed_outside_findings": changed_outside_findings(source, after, fixable)[:5],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="250,1000,5000", help="File sizes in KB, comma-separated.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "pyproject.toml").write_text("[tool.asynclint]\n", encoding="utf-8")
        for size in (int(s) for s in args.sizes.split(",")):
            print(json.dumps(measure(size, folder)), flush=True)


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    main()
