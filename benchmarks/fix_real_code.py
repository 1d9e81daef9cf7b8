"""Apply `asynclint fix --unsafe-fixes` to copies of real packages and check the result.

    python benchmarks/fix_real_code.py                       # aiohttp, redis, python-telegram-bot, discord.py, trio
    python benchmarks/fix_real_code.py --packages httpx,anyio

For each package (fetched as in real_code.py): lint a copy with `check --format json` to
learn the fixable findings and their lines, run `fix --unsafe-fixes` on it, then check
independently of the fixer's own verification that every file still parses and that every
line that changed lies in a statement with a fixable finding (new `import` lines aside, and
the module-level set that ASL206's fix keeps its tasks in, `_background_tasks = set()`).
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import libcst as cst

sys.path.insert(0, str(Path(__file__).resolve().parent))
from real_code import fetch, pinned  # noqa: E402

DEFAULT = "aiohttp,redis,python-telegram-bot,discord.py,trio"
#: Lines a fix may insert outside the statement it fixes: an import, the ASL206 fix's task set, a blank.
ADDED_ALONE = re.compile(r"^(import [\w.]+|_background_tasks = set\(\))?\s*$")


def statement_lines(source: str, lines: set[int]) -> set[int]:
    """The lines of every simple statement that holds one of `lines` (1-based)."""
    wrapper = cst.MetadataWrapper(cst.parse_module(source))
    positions = wrapper.resolve(cst.metadata.PositionProvider)
    covered: set[int] = set()
    for node, pos in positions.items():
        if isinstance(node, cst.SimpleStatementLine) or isinstance(node, cst.BaseCompoundStatement):
            span = range(pos.start.line, pos.end.line + 1)
            if isinstance(node, cst.SimpleStatementLine) and lines.intersection(span):
                covered.update(span)
            elif isinstance(node, cst.With) and lines.intersection([pos.start.line]):
                covered.add(pos.start.line)
    return covered


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--packages", default=DEFAULT)
    args = parser.parse_args()
    names = set(args.packages.split(","))
    total = {"files": 0, "changed": 0, "fixes": 0, "unparsable": 0, "outside": 0}
    with tempfile.TemporaryDirectory() as tmp:
        for spec in pinned(names, include_big=True):
            source_root = fetch(spec)
            work = Path(tmp) / source_root.name
            shutil.copytree(source_root, work)
            before = {p: p.read_bytes() for p in work.rglob("*.py")}
            check = subprocess.run(
                [sys.executable, "-m", "asynclint", "check", "--select", "ALL", "--format", "json", str(work)],
                capture_output=True, text=True,
            )
            fixable: dict[Path, set[int]] = {}
            for item in json.loads(check.stdout):
                if item["fix"] is not None:
                    fixable.setdefault(Path(item["path"]).resolve(), set()).update(
                        range(item["line"], item["end_line"] + 1)
                    )
            fix = subprocess.run(
                [sys.executable, "-m", "asynclint", "fix", "--unsafe-fixes", "--select", "ALL", str(work)],
                capture_output=True, text=True,
            )
            summary = fix.stdout.strip().splitlines()[-1]
            applied = int(summary.split()[0])
            changed = unparsable = outside = 0
            for path, old_bytes in before.items():
                new_bytes = path.read_bytes()
                if new_bytes == old_bytes:
                    continue
                changed += 1
                new = new_bytes.decode("utf-8")
                old = old_bytes.decode("utf-8")
                try:
                    cst.parse_module(new)
                except cst.ParserSyntaxError:
                    unparsable += 1
                    print(f"  does not parse after fixing: {path.relative_to(tmp)}")
                    continue
                allowed = statement_lines(old, fixable.get(path.resolve(), set()))
                old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
                for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False).get_opcodes():
                    if tag == "equal":
                        continue
                    if tag == "insert" and all(ADDED_ALONE.match(line) for line in new_lines[j1:j2]):
                        continue
                    touched = range(i1 + 1, i2 + 1) if i2 > i1 else [i1, i1 + 1]
                    if not any(n in allowed for n in touched) or (tag != "insert" and not all(n in allowed for n in touched)):
                        outside += 1
                        print(f"  changed outside a fixed statement: {path.relative_to(tmp)}:{i1 + 1}")
            errors = [line for line in fix.stderr.splitlines() if line.startswith("asynclint: error")]
            print(f"{spec}: {len(before)} files, {changed} changed, {applied} fixes applied, "
                  f"{unparsable} unparsable, {outside} changes outside fixed statements, {len(errors)} fix errors")
            for error in errors:
                print(f"  {error}")
            for key, value in zip(total, (len(before), changed, applied, unparsable, outside)):
                total[key] += value
    print("total: " + ", ".join(f"{k} {v}" for k, v in total.items()))
    return 0 if total["unparsable"] == 0 and total["outside"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
