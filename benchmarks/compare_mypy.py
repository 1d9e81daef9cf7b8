"""Compare asynclint's ASL201 with mypy's `unused-coroutine` check on real packages.

    python benchmarks/compare_mypy.py                     # the default package set
    python benchmarks/compare_mypy.py --packages httpx,anyio

Both run on the same .py files of the pinned wheels (fetched as in real_code.py), copied
with `unused-coroutine` taken out of every `# type: ignore[...]`: released packages are
mypy-clean, so the lines their maintainers silenced are exactly where mypy's check fires.
mypy runs with `--check-untyped-defs` (without it, it never looks inside unannotated
functions), imports it cannot find ignored. Prints, per package, what each tool reports
and every line where they differ.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import tempfile
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from real_code import fetch, pinned  # noqa: E402

DEFAULT = (
    "httpx,httpcore,starlette,anyio,uvicorn,websockets,aiofiles,redis,discord.py,aiogram,motor,"
    "python-telegram-bot,pymongo,trio,sqlalchemy"
)
IGNORE = re.compile(r"#\s*type:\s*ignore\[(?P<codes>[^\]]*)\]")


def unsilence(root: Path, into: Path) -> Path:
    """A copy of the package with `unused-coroutine` removed from its type-ignore comments."""
    target = into / root.name
    shutil.copytree(root, target)
    for path in target.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if "unused-coroutine" not in text:
            continue

        def strip(match: re.Match[str]) -> str:
            codes = [c.strip() for c in match["codes"].split(",") if c.strip() != "unused-coroutine"]
            return f"# type: ignore[{', '.join(codes)}]" if codes else ""

        path.write_text(IGNORE.sub(strip, text), encoding="utf-8")
    return target
MYPY_LINE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?:\d+:)? error: .*\[unused-coroutine\]$")


def top_level_packages(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.is_dir() and (p / "__init__.py").is_file())


def mypy_findings(root: Path) -> set[tuple[str, int]]:
    packages = top_level_packages(root)
    if not packages:
        return set()
    result = subprocess.run(
        [
            sys.executable, "-m", "mypy", "--check-untyped-defs", "--ignore-missing-imports",
            "--follow-imports=silent", "--no-error-summary", "--hide-error-context", "--no-color-output",
            "--show-column-numbers", "--no-incremental", "--python-version", "3.11", *packages,
        ],
        cwd=root, capture_output=True, text=True,
    )
    found = set()
    for line in result.stdout.splitlines():
        match = MYPY_LINE.match(line)
        if match:
            found.add((Path(match["path"]).as_posix(), int(match["line"])))
    return found


def asynclint_findings(root: Path) -> set[tuple[str, int]]:
    result = subprocess.run(
        [sys.executable, "-m", "asynclint", "check", "--select", "ASL201", "--format", "json",
         *top_level_packages(root)],
        cwd=root, capture_output=True, text=True,
    )
    return {(Path(d["path"]).as_posix(), d["line"]) for d in json.loads(result.stdout or "[]")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--packages", default=DEFAULT)
    args = parser.parse_args()
    rows = []
    scratch = Path(tempfile.mkdtemp())
    for spec in pinned(set(args.packages.split(",")), include_big=True):
        root = unsilence(fetch(spec), scratch)
        mypy, ours = mypy_findings(root), asynclint_findings(root)
        rows.append((spec, mypy, ours))
        print(f"{spec}: mypy {len(mypy)}, asynclint {len(ours)}, both {len(mypy & ours)}", flush=True)
        for path, line in sorted(mypy - ours):
            print(f"  mypy only:      {root.name}/{path}:{line}")
        for path, line in sorted(ours - mypy):
            print(f"  asynclint only: {root.name}/{path}:{line}")
    print("\n| package | mypy unused-coroutine | asynclint ASL201 | both | mypy only | asynclint only |")
    print("|---|---|---|---|---|---|")
    for spec, mypy, ours in rows:
        print(f"| {spec} | {len(mypy)} | {len(ours)} | {len(mypy & ours)} | {len(mypy - ours)} | {len(ours - mypy)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
