"""flake8 with the asynclint plugin against `asynclint check`, on a copy of the pinned corpus.

    pip install -e '.[bench]'
    python benchmarks/flake8_latency.py                  # one ~2,000-line file, warm index
    python benchmarks/flake8_latency.py --whole          # and the first run in a fresh 11k-file project

Copies the pinned corpus (`benchmarks/corpus/`, never written to) into a temporary project
with a `pyproject.toml`, then measures, each side alternately in the same minute, `--rounds`
times (the median is printed, with the load average of each round):

- one file (`--file`, default httpx's `_client.py`, 2,019 lines) with a warm index: just
  touched (as an editor's save leaves it), and edited (a comment line added, a new one each
  time: the result cache's entry no longer matches the file, its findings are reused when
  libcst would be given the same blocks);
- `--whole`: the first run in the fresh project (every cache removed before each run):
  `asynclint check .` against `flake8 --select ASL .`, both with their default process count.

flake8 runs every installed plugin on every file whatever `--select` says. Three flake8 rows
tell the costs apart: flake8 with asynclint as its only plugin (what asynclint costs inside
flake8, with flake8's own reading, tokenizing and `ast` pass), and flake8 with no checker
at all (that reading, tokenizing and `ast` pass alone: the difference is asynclint's share);
flake8 with its default plugins (pyflakes, pycodestyle, mccabe) and asynclint, as a user runs
it, and the default plugins alone. Other installed plugins (flake8-async, of the bench
extra) are left out of all.
"""

from __future__ import annotations

import argparse
import ast
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
DEFAULT_FILE = "httpx/httpx/_client.py"

#: flake8 with only the named checker packages (its F/E/W/C90 checks come from pyflakes,
#: pycodestyle and mccabe), in this process: `python flake8_latency.py --flake8 PKGS -- ARGS`.
FLAKE8_ROWS = {
    "flake8, asynclint only": "asynclint",
    "flake8, no checks": "-",
    "flake8, defaults + asynclint": "pyflakes,pycodestyle,mccabe,asynclint",
    "flake8, defaults only": "pyflakes,pycodestyle,mccabe",
}
#: The rows whose findings must be check's.
WITH_ASYNCLINT = ("flake8, asynclint only", "flake8, defaults + asynclint")


def run_flake8_with(packages: set[str], argv: list[str]) -> int:
    from flake8.main.cli import main
    from flake8.plugins import finder

    found = finder._find_importlib_plugins

    def only_these() -> object:
        return (p for p in found() if p.package in packages or p.entry_point.group != "flake8.extension")

    finder._find_importlib_plugins = only_these  # type: ignore[assignment]
    return main(argv)


def flake8_command(packages: str, *args: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--flake8", packages, "--", "--select", "ASL", *args]


def check_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "asynclint", "check", "-q", "--exit-zero", *args]


def make_project(target: Path) -> int:
    """Copy the corpus's packages into `target` (a project); the number of .py files."""
    if not CORPUS.is_dir():
        sys.exit(f"no corpus at {CORPUS} (see benchmarks/real_code.py)")
    for package in sorted(CORPUS.resolve().iterdir()):
        if package.is_dir() and not package.name.startswith("_"):
            shutil.copytree(package, target / package.name, symlinks=True)
    (target / "pyproject.toml").write_text("[tool.asynclint]\n")
    return sum(1 for _ in target.rglob("*.py"))


#: As users run them: with bytecode caches (a `PYTHONDONTWRITEBYTECODE` here would add the
#: compiling of every module to every run).
ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def timed(command: list[str], cwd: Path) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=ENV)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1) or "Traceback" in done.stderr:
        sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return elapsed, done.stdout


def clear_caches(project: Path) -> None:
    for folder in project.rglob(".asynclint_cache"):
        shutil.rmtree(folder)


def findings(output: str, codes_only: bool = False) -> list[str]:
    """`path:line:col: CODE` of each finding line (the check and flake8 formats agree)."""
    found = []
    for line in output.splitlines():
        parts = line.split(":", 3)
        if len(parts) == 4 and parts[3].split()[:1] and parts[3].split()[0].startswith("ASL"):
            found.append(":".join([*parts[:3], parts[3].split()[0]]).removeprefix("./"))
    return sorted(found)


def one_file(project: Path, name: str, rounds: int, table: dict[str, dict[str, list[float]]], loads: list[float]) -> None:
    path = project / name
    original = path.read_bytes()
    sides: dict[str, list[str]] = {"asynclint check": check_command(name)}
    sides.update({row: flake8_command(packages, name) for row, packages in FLAKE8_ROWS.items()})
    outputs: dict[str, str] = {}
    try:
        for number in range(rounds):
            loads.append(os.getloadavg()[0])
            order = list(sides) if number % 2 == 0 else list(reversed(sides))
            for case in ("touched", "edited"):
                for side in order:
                    if case == "touched":
                        path.write_bytes(original)
                        os.utime(path)
                    else:
                        path.write_bytes(original + f"# edit {number} {side}\n".encode())
                    elapsed, out = timed(sides[side], project)
                    table.setdefault(f"{case}: {side}", {}).setdefault("s", []).append(elapsed)
                    if case == "touched":
                        outputs[side] = out
    finally:
        path.write_bytes(original)
    check = readable_by_ast(project, findings(outputs["asynclint check"]))
    for side in WITH_ASYNCLINT:
        if findings(outputs[side]) != check:
            sys.exit(f"{side} reports other findings than check on {name}")


def readable_by_ast(project: Path, found: list[str]) -> list[str]:
    """The findings in files this Python's `ast` reads: flake8 runs no plugin on the others (E999, see README)."""
    readable: dict[str, bool] = {}
    kept = []
    for finding in found:
        path = finding.split(":", 1)[0]
        if path not in readable:
            try:
                ast.parse((project / path).read_bytes())
                readable[path] = True
            except SyntaxError:
                readable[path] = False
        if readable[path]:
            kept.append(finding)
    return kept


def whole(project: Path, rounds: int, table: dict[str, dict[str, list[float]]], loads: list[float], defaults: bool) -> None:
    sides = {
        "asynclint check": check_command("."),
        "flake8, asynclint only": flake8_command("asynclint", "."),
        "flake8, no checks": flake8_command("-", "."),
    }
    if defaults:
        sides["flake8, defaults + asynclint"] = flake8_command(FLAKE8_ROWS["flake8, defaults + asynclint"], ".")
    outputs: dict[str, str] = {}
    for number in range(rounds):
        loads.append(os.getloadavg()[0])
        for side in list(sides) if number % 2 == 0 else list(reversed(sides)):
            clear_caches(project)
            elapsed, outputs[side] = timed(sides[side], project)
            table.setdefault(f"fresh project: {side}", {}).setdefault("s", []).append(elapsed)
    check = readable_by_ast(project, findings(outputs["asynclint check"]))
    for side in sides:
        if side in WITH_ASYNCLINT and findings(outputs[side]) != check:
            sys.exit(f"{side} reports other findings than check on the whole project")


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--flake8":
        raise SystemExit(run_flake8_with(set(sys.argv[2].split(",")), sys.argv[4:]))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--file", default=DEFAULT_FILE, help="the file, relative to the corpus (default: %(default)s)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--whole", action="store_true", help="also the first run in a fresh 11k-file project")
    parser.add_argument("--whole-rounds", type=int, default=2)
    parser.add_argument("--whole-defaults", action="store_true", help="also flake8 with its default plugins on the whole project (slow)")
    parser.add_argument("--project", type=Path, help="an existing copy made by an earlier run (kept)")
    args = parser.parse_args()
    temp = None
    if args.project is None:
        temp = tempfile.mkdtemp(prefix="flake8-latency-")
        project = Path(temp)
        print(f"copying the corpus into {project} ...", file=sys.stderr)
        count = make_project(project)
    else:
        project = args.project
        count = sum(1 for _ in project.rglob("*.py"))
    lines = (project / args.file).read_bytes().count(b"\n")
    table: dict[str, dict[str, list[float]]] = {}
    loads: list[float] = []
    try:
        if args.whole:
            whole(project, args.whole_rounds, table, loads, args.whole_defaults)
        else:
            clear_caches(project)
        print("warming the index ...", file=sys.stderr)
        for command in (check_command(args.file), *(flake8_command(p, args.file) for p in FLAKE8_ROWS.values())):
            subprocess.run(command, cwd=project, capture_output=True, env=ENV)
        one_file(project, args.file, args.rounds, table, loads)
    finally:
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)
    print(f"\n{count} files; the file: {args.file} ({lines} lines); {os.cpu_count()} CPUs")
    print(f"1-minute load average per round: {', '.join(f'{load:.1f}' for load in loads)}\n")
    print("| case | median s | runs | × check |")
    print("|---|---|---|---|")
    for key, values in table.items():
        case, side = key.split(": ", 1)
        median = statistics.median(values["s"])
        base = statistics.median(table[f"{case}: asynclint check"]["s"])
        runs = ", ".join(f"{v:.2f}" for v in values["s"])
        print(f"| {key} | {median:.2f} | {runs} | {median / base:.2f} |")
    print()
    for case in sorted({key.split(": ", 1)[0] for key in table}):
        row = {key.split(": ", 1)[1]: statistics.median(v["s"]) for key, v in table.items() if key.startswith(case + ":")}
        if "flake8, no checks" in row:
            share = row["flake8, asynclint only"] - row["flake8, no checks"]
            print(f"{case}: asynclint's share of flake8 (asynclint only - no checks) {share:.2f} s = {share / row['asynclint check']:.2f} x check")


if __name__ == "__main__":
    main()
