"""Compare asynclint's ASL201 with mypy's `unused-coroutine` check on real packages.

    python benchmarks/compare_mypy.py                     # the default package set
    python benchmarks/compare_mypy.py --packages httpx,anyio
    python benchmarks/compare_mypy.py --bugs              # the fixed bugs of benchmarks/mypy_bugs.txt

Both run on the same .py files of the pinned wheels (fetched as in real_code.py), copied
with `unused-coroutine` taken out of every `# type: ignore[...]`: released packages are
mypy-clean, so the lines their maintainers silenced are exactly where mypy's check fires.
mypy runs with `--check-untyped-defs` (without it, it never looks inside unannotated
functions), imports it cannot find ignored. Prints, per package, what each tool reports
and every line where they differ.

With `--bugs`, each line of the file names a release on PyPI with a bug its maintainers fixed
later (`package==version<TAB>path:line<TAB>fix reference<TAB>shape`). The release is downloaded
and installed with its dependencies in a virtualenv of its own (kept under `--cache`); mypy
reads the libraries through `--python-executable` (module names from the paths, so that
namespace packages resolve) and asynclint through a `venv` setting; asynclint runs ASL201-204,
not only ASL201. Prints, per bug, whether each tool reports its line, then anything else either
reports in those files, and a table.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import tarfile
import tempfile
import sys
import venv
import zipfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from real_code import fetch, pinned  # noqa: E402

DEFAULT = (
    "httpx,httpcore,starlette,anyio,uvicorn,websockets,aiofiles,redis,discord.py,aiogram,motor,"
    "python-telegram-bot,pymongo,trio,sqlalchemy,aiohttp,asyncpg,fastapi,textual"
)
IGNORE = re.compile(r"#\s*type:\s*ignore\[(?P<codes>[^\]]*)\]")


def unsilence(root: Path, into: Path) -> Path:
    """A copy of the package with `unused-coroutine` removed from its type-ignore comments."""
    target = into / root.name
    shutil.copytree(root, target)
    strip_ignores(target)
    return target


def strip_ignores(target: Path) -> None:
    """Take `unused-coroutine` out of every `# type: ignore[...]` below `target`, in place."""
    for path in target.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if "unused-coroutine" not in text:
            continue

        def strip(match: re.Match[str]) -> str:
            codes = [c.strip() for c in match["codes"].split(",") if c.strip() != "unused-coroutine"]
            return f"# type: ignore[{', '.join(codes)}]" if codes else ""

        path.write_text(IGNORE.sub(strip, text), encoding="utf-8")


MYPY_LINE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?:\d+:)? error: .*\[unused-coroutine\]$")


def top_level_packages(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.is_dir() and (p / "__init__.py").is_file())


def mypy_findings(root: Path, targets: list[str] | None = None, python: str | None = None) -> set[tuple[str, int]]:
    """mypy's `unused-coroutine` lines in `targets` (default: every top-level package of `root`),
    with the libraries of the interpreter `python` (default: none beyond mypy's own; when given, module
    names are taken from the paths below `root`, so that namespace packages such as `dapr` resolve)."""
    targets = top_level_packages(root) if targets is None else targets
    if not targets:
        return set()
    result = subprocess.run(
        [
            sys.executable, "-m", "mypy", "--check-untyped-defs", "--ignore-missing-imports",
            "--follow-imports=silent", "--no-error-summary", "--hide-error-context", "--no-color-output",
            "--show-column-numbers", "--no-incremental", "--python-version", "3.11",
            *(["--python-executable", python, "--explicit-package-bases"] if python else []), *targets,
        ],
        cwd=root, capture_output=True, text=True,
    )
    if "errors prevented further checking" in result.stdout + result.stderr or result.returncode > 1:
        raise SystemExit(f"mypy failed on {root}:\n{result.stdout}{result.stderr}")
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


BUGS = Path(__file__).resolve().parent / "mypy_bugs.txt"
BUG_CODES = "ASL201,ASL202,ASL203,ASL204"


@dataclass(frozen=True)
class Bug:
    spec: str  # the last release before the fix, as `package==version`
    path: str  # inside the wheel (or below the sdist's top folder)
    line: int
    ref: str
    shape: str


def quiet(command: list[str]) -> None:
    """Run `command`, showing its output only when it fails."""
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")


def read_bugs(path: Path) -> list[Bug]:
    """`package==version<TAB>path:line<TAB>fix reference<TAB>shape` lines; `#` starts a comment line."""
    bugs = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        spec, where, ref, shape = raw.split("\t")
        file, line = where.rsplit(":", 1)
        bugs.append(Bug(spec, file, int(line), ref, shape))
    return bugs


def bug_project(spec: str, paths: list[str], cache: Path) -> Path:
    """The release's .py files as a project folder of their own (`unused-coroutine` unsilenced),
    downloaded and extracted once into `cache`."""
    project = cache / spec / "project"
    if project.is_dir():
        return project
    download = cache / spec / "download"
    download.mkdir(parents=True, exist_ok=True)
    if not any(download.iterdir()):
        quiet([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(download), spec])
    extracted = cache / spec / "extracted"
    shutil.rmtree(extracted, ignore_errors=True)
    for archive in download.iterdir():
        if archive.suffix == ".whl":
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(extracted, [m for m in zf.namelist() if m.endswith(".py")])
        elif archive.name.endswith(".tar.gz"):
            with tarfile.open(archive) as tf:
                members = [m for m in tf.getmembers() if m.name.endswith(".py") and m.isfile()]
                tf.extractall(extracted, members=members, filter="data")
    # A wheel holds the paths as given; an sdist puts them below `name-version/` (and maybe `src/`).
    roots = [extracted, *extracted.glob("*"), *extracted.glob("*/src")]
    root = next((r for r in roots if all((r / p).is_file() for p in paths)), None)
    if root is None:
        raise SystemExit(f"{spec}: {', '.join(paths)} not found in the release")
    shutil.copytree(root, project)
    strip_ignores(project)
    return project


def bug_venv(spec: str, cache: Path) -> Path:
    """A virtualenv with the release and its dependencies installed, made once into `cache`."""
    env = cache / spec / "venv"
    python = env / "bin" / "python"
    if not (env / "installed").is_file():
        shutil.rmtree(env, ignore_errors=True)
        venv.create(env, with_pip=True)
        quiet([str(python), "-m", "pip", "install", "--quiet", spec])
        (env / "installed").write_text(spec + "\n")
    return env


def asynclint_bug_findings(project: Path, paths: list[str], env: Path) -> dict[tuple[str, int], str]:
    """asynclint's ASL201-204 findings in `paths`, reading the installed libraries of `env`."""
    config = project.parent / "asynclint.toml"
    config.write_text(f'[tool.asynclint]\nvenv = "{env}"\n', encoding="utf-8")
    # The project's root is its own pyproject.toml, so that the index holds the whole release.
    (project / "pyproject.toml").write_text("", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "asynclint", "check", "--config", str(config), "--select", BUG_CODES,
         "--format", "json", "--no-cache", "--exit-zero", *paths],
        cwd=project, capture_output=True, text=True,
    )
    if result.returncode != 0:
        raise SystemExit(f"asynclint failed on {project}:\n{result.stderr}")
    return {(Path(d["path"]).as_posix(), d["line"]): d["code"] for d in json.loads(result.stdout or "[]")}


def compare_bugs(bugs: list[Bug], cache: Path) -> int:
    specs = list(dict.fromkeys(b.spec for b in bugs))
    counts = {"mypy": 0, "asynclint": 0, "both": 0, "neither": 0}
    rows = []
    for spec in specs:
        mine = [b for b in bugs if b.spec == spec]
        paths = sorted({b.path for b in mine})
        project = bug_project(spec, paths, cache)
        env = bug_venv(spec, cache)
        mypy = mypy_findings(project, paths, python=str(env / "bin" / "python"))
        ours = asynclint_bug_findings(project, paths, env)
        print(f"{spec}:", flush=True)
        for bug in mine:
            where = (bug.path, bug.line)
            by_mypy, by_us = where in mypy, where in ours
            counts["mypy"] += by_mypy
            counts["asynclint"] += by_us
            counts["both"] += by_mypy and by_us
            counts["neither"] += not (by_mypy or by_us)
            rows.append((bug, by_mypy, ours.get(where, "")))
            print(f"  {bug.path}:{bug.line}  mypy {'yes' if by_mypy else 'no'}, "
                  f"asynclint {ours[where] if by_us else 'no'}  ({bug.shape})")
        known = {(b.path, b.line) for b in mine}
        for path, line in sorted(mypy - known):
            print(f"  also mypy:      {path}:{line}")
        for (path, line), code in sorted(ours.items()):
            if (path, line) not in known:
                print(f"  also asynclint: {path}:{line} {code}")
    print("\n| release | line | shape | mypy | asynclint |")
    print("|---|---|---|---|---|")
    for bug, by_mypy, code in rows:
        print(f"| {bug.spec} | `{bug.path}:{bug.line}` | {bug.shape} | {'yes' if by_mypy else 'no'} | {code or 'no'} |")
    print(f"\n{len(bugs)} bugs: mypy finds {counts['mypy']}, asynclint finds {counts['asynclint']}, "
          f"both {counts['both']}, neither {counts['neither']}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--packages", default=DEFAULT)
    parser.add_argument(
        "--bugs", nargs="?", const=str(BUGS), metavar="FILE",
        help="compare on the fixed bugs listed in FILE (default benchmarks/mypy_bugs.txt), each release installed with its dependencies in a virtualenv of its own",
    )
    parser.add_argument(
        "--cache", default=str(Path(tempfile.gettempdir()) / "asynclint-mypy-bugs"),
        help="where --bugs keeps the downloaded releases and their virtualenvs",
    )
    args = parser.parse_args()
    if args.bugs:
        return compare_bugs(read_bugs(Path(args.bugs)), Path(args.cache))
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
