"""Time only bench.py's warm and one-file-touched runs on the whole corpus, for one or more installs.

    python benchmarks/touched.py --runs 5 .venv/bin/python /other/checkout/.venv/bin/python

Copies the corpus once to `--work` (kept, so reruns skip the copy and the cold runs), makes it
a project (a `pyproject.toml` at its root) and, for each Python given, fills a cache folder of
its own with a cold run. Then, `--runs` times, each Python in turn (alternated, so that every
install meets the same moments of a shared machine): a warm run, then a run after touching
bench.py's file as bench.py does (a comment line with the time appended). Prints the medians
and the touched/warm ratio of each. The corpus copy and the command line are bench.py's.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench import TOUCHED, copy_corpus, corpus_files, outside_any_project  # noqa: E402
from real_code import CORPUS  # noqa: E402


def run(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    # (not from a checkout: `python -m` would import the asynclint found in the current folder, whichever the Python)
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=cwd)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"failed ({done.returncode}): {done.stderr.decode()[-2000:]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pythons", nargs="+", help="the Python of each install to time")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--work", default="/tmp/asynclint-touched", help="where the corpus copy and caches are kept")
    args = parser.parse_args()
    args.pythons = [str(Path(python).absolute()) for python in args.pythons]  # (run from `--work`)
    work = Path(args.work)
    if not outside_any_project(work):
        raise SystemExit(f"{work} is inside a project: choose another --work")
    first = work / "corpus-0"
    if not first.is_dir():
        work.mkdir(parents=True, exist_ok=True)
        copy_corpus(corpus_files(False), work)
        (work / "corpus").rename(first)
    settings = work / "settings"
    settings.mkdir(exist_ok=True)
    config = settings / "pyproject.toml"
    config.write_text("[tool.asynclint]\n")
    original = (CORPUS / TOUCHED).read_bytes()

    def corpus(i: int) -> Path:
        """Each install's own copy (mtimes kept): one's touched run leaves nothing changed for another's warm run."""
        copy = work / f"corpus-{i}"
        if not copy.is_dir():
            shutil.copytree(first, copy, symlinks=True)
        (copy / "pyproject.toml").write_text('[project]\nname = "asynclint-bench-corpus"\n')
        return copy

    def command(python: str, i: int) -> list[str]:
        folders = sorted(str(p) for p in corpus(i).iterdir() if p.is_dir() and not p.name.startswith("."))
        return [python, "-m", "asynclint", "check", "--config", str(config), "-q", "--exit-zero",
                "--cache-dir", str(work / f"cache-{i}"), *folders]  # fmt: skip

    times: dict[int, dict[str, list[float]]] = {i: {"warm": [], "touched": []} for i in range(len(args.pythons))}
    try:
        for i, python in enumerate(args.pythons):
            if not (work / f"cache-{i}").is_dir():
                print(f"cold run of {python} ...", flush=True)
                run(command(python, i), work)
            run(command(python, i), work)
        for n in range(args.runs):
            for i, python in enumerate(args.pythons):
                warm = run(command(python, i), work)
                (corpus(i) / TOUCHED).write_bytes(original + f"\n# touched {time.time()}\n".encode())
                hit = run(command(python, i), work)
                times[i]["warm"].append(warm)
                times[i]["touched"].append(hit)
                print(f"run {n + 1} {python}: warm {warm:.2f} s, touched {hit:.2f} s", flush=True)
    finally:
        for i in range(len(args.pythons)):
            (corpus(i) / TOUCHED).write_bytes(original)
    print()
    for i, python in enumerate(args.pythons):
        warm, hit = statistics.median(times[i]["warm"]), statistics.median(times[i]["touched"])
        print(f"{python}: warm {warm:.2f} s, one file touched {hit:.2f} s, touched/warm {hit / warm:.2f} (medians of {args.runs})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
