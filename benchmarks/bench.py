"""Time asynclint against the libcst floor and its peers on real async code, on this machine.

    pip install -e '.[bench]'
    python benchmarks/bench.py --small          # the pinned corpus less homeassistant (~2,450 files)
    python benchmarks/bench.py                  # everything (~11,000 files; long)
    python benchmarks/bench.py --runs 1 --skip-slow-peers   # the targets only (about 5 minutes)
    python benchmarks/bench.py --runs 5 --json results.json

Downloads the packages pinned in benchmarks/corpus.txt (once, only their .py files kept, as
real_code.py does) and copies them to a temporary folder (so that nothing here writes to
benchmarks/corpus/, and so that the copy is a project of its own, or no project at all). Then,
on the same files and in one run, it times with the median of --runs:

- the libcst parse floor, on every file, in one process;
- asynclint cold with --jobs 1, cold with every CPU, warm (nothing changed, cache hit), and
  after touching one file, in a project (a pyproject.toml at the copy's root);
- asynclint warm outside any project (no pyproject.toml, setup.cfg, setup.py or .git above
  the files: the index is cached under the cache folder, keyed by the files' common folder);
- `ruff check --select ASYNC`, cold and warm;
- unless --skip-slow-peers: libcst parse + the metadata asynclint uses (position, scope,
  qualified names), and `flake8 --select ASYNC` with flake8-async in one process. Both
  would take over an hour on the whole corpus: they run on a fixed sample of --sample files
  and are scaled to the corpus, labelled "scaled", and compared with no target.

Every ratio compared with a target is made of whole-corpus measures only. Prints files/s,
the ratios, and the peak RSS of each command's whole process tree (psutil, sampled every
20 ms), and writes everything as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from real_code import CORPUS, fetch, pinned  # noqa: E402

#: The file the touched run edits (it has a finding), relative to the corpus; the first file when it is left out.
TOUCHED = "aiogram/aiogram/dispatcher/dispatcher.py"
#: What makes a folder a project (`asynclint.engine.project.PROJECT_MARKERS`).
MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", ".git")

FLOOR = """
import sys, time
import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider, QualifiedNameProvider, ScopeProvider
metadata = sys.argv[1] == "metadata"
paths = open(sys.argv[2], encoding="utf-8").read().splitlines()  # (a listing: 11,000 paths would not fit a command line)
for path in paths:
    data = open(path, "rb").read()
    try:
        module = cst.parse_module(data)
    except Exception:
        continue
    if metadata:
        try:
            MetadataWrapper(module, unsafe_skip_copy=True).resolve_many(
                [PositionProvider, ScopeProvider, QualifiedNameProvider])
        except Exception:
            pass
"""


def corpus_files(small: bool) -> list[str]:
    folders = [fetch(spec) for spec in pinned(None, include_big=not small)]
    return sorted(str(p) for folder in folders for p in folder.rglob("*.py"))


def timed(command: list[str], cwd: Path | None = None) -> tuple[float, int]:
    """Wall time and peak RSS (bytes, summed over the process tree) of one command."""
    import psutil

    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    watched = psutil.Process(process.pid)
    while process.poll() is None:
        try:
            tree = [watched, *watched.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.02)
    elapsed = time.perf_counter() - start
    if process.returncode not in (0, 1):
        raise SystemExit(f"failed ({process.returncode}): {' '.join(command[:6])} ...")
    return elapsed, peak


def median_of(runs: int, command: list[str], prepare: Any = None, cwd: Path | None = None) -> dict[str, float]:
    times, peaks = [], []
    for _ in range(runs):
        if prepare is not None:
            prepare()
        elapsed, peak = timed(command, cwd)
        times.append(elapsed)
        peaks.append(peak)
    return {"seconds": statistics.median(times), "peak_rss_mib": max(peaks) / 2**20, "runs": runs}


def verify_screen(python: str, config: Path, folders: list[str], cpus: int) -> dict[str, Any]:
    """Findings with and without the pre-screen (which skips libcst where no rule can fire)."""
    command = [python, "-m", "asynclint", "check", "--config", str(config), "--select", "ALL", "--format", "json",
               "--no-cache", "--exit-zero", "--jobs", str(cpus), *folders]  # fmt: skip
    found = []
    for off in ("", "1"):
        env = {**os.environ, "ASYNCLINT_NO_SCREEN": off}
        start = time.perf_counter()
        out = subprocess.run(command, capture_output=True, text=True, env=env, check=True).stdout
        found.append((json.loads(out), time.perf_counter() - start))
    (screened, t_screened), (unscreened, t_unscreened) = found
    same = screened == unscreened
    print(f"\npre-screen: {len(screened)} findings with it ({t_screened:.0f} s), {len(unscreened)} without "
          f"({t_unscreened:.0f} s): {'identical' if same else 'DIFFERENT'}")  # fmt: skip
    return {"identical": same, "findings": len(screened), "seconds_with": t_screened, "seconds_without": t_unscreened}


def copy_corpus(files: list[str], work: Path) -> tuple[Path, list[str]]:
    """The corpus's folders copied under `work/corpus` (mtimes kept), and the files' paths there."""
    copy = work / "corpus"
    for folder in sorted({Path(f).relative_to(CORPUS).parts[0] for f in files}):
        shutil.copytree(CORPUS / folder, copy / folder, symlinks=True)
    return copy, [str(copy / Path(f).relative_to(CORPUS)) for f in files]


def outside_any_project(folder: Path) -> bool:
    return not any((above / marker).exists() for above in folder.parents for marker in MARKERS)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="leave out homeassistant")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (the median is kept)")
    parser.add_argument("--sample", type=int, default=400, help="files for the slow peers (scaled, not compared)")
    parser.add_argument(
        "--skip-slow-peers", action="store_true", help="leave out the libcst metadata floor and flake8-async (scaled ones)"
    )
    parser.add_argument(
        "--json", help="where to write the results (default: benchmarks/results.json, results-small.json with --small)"
    )
    parser.add_argument(
        "--verify-screen", action="store_true", help="also check that the pre-screen changes no finding (two more runs)"
    )
    args = parser.parse_args()
    args.json = args.json or str(HERE / ("results-small.json" if args.small else "results.json"))

    original_files = corpus_files(args.small)
    python = sys.executable
    # As a regular install does (pip compiles what it installs; an editable install of a
    # checkout, with PYTHONDONTWRITEBYTECODE set, would compile asynclint on every start).
    import asynclint

    subprocess.run([python, "-m", "compileall", "-q", str(Path(asynclint.__file__).parent)], check=True)
    work = Path(tempfile.mkdtemp(prefix="asynclint-bench-"))
    if not outside_any_project(work):
        raise SystemExit(f"{work} is inside a project (a {'/'.join(MARKERS)} above it): set TMPDIR elsewhere")
    corpus, files = copy_corpus(original_files, work)
    sample = sorted(random.Random(1).sample(files, min(args.sample, len(files))))
    scale = len(files) / len(sample)
    # Defaults, and no `exclude` from this repo's own config. The config is beside the copy, not
    # above it: the copy is a project only while it has a marker of its own.
    settings = work / "settings"
    settings.mkdir()
    config = settings / "pyproject.toml"
    config.write_text("[tool.asynclint]\n")
    listing = work / "files.txt"
    listing.write_text("\n".join(files))
    sample_listing = work / "sample.txt"
    sample_listing.write_text("\n".join(sample))
    folders = sorted({str(corpus / Path(f).relative_to(corpus).parts[0]) for f in files})
    cache = work / "cache"
    cpus = os.cpu_count() or 1
    results: dict[str, Any] = {
        "machine": f"{platform.machine()}, {cpus} CPUs, {platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "files": len(files),
        "sample": len(sample),
    }
    marker = corpus / "pyproject.toml"

    def clear_cache() -> None:
        # Cold means nothing cached: the results and the project index (both under --cache-dir).
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(corpus / ".asynclint_cache", ignore_errors=True)

    def asynclint(*extra: str) -> list[str]:
        return [python, "-m", "asynclint", "check", "--config", str(config), "-q", "--exit-zero",
                "--cache-dir", str(cache), *extra, *folders]  # fmt: skip

    measures: dict[str, dict[str, float]] = {}

    def measure(name: str, command: list[str], prepare: Any = None, runs: int = args.runs) -> None:
        measures[name] = median_of(runs, command, prepare=prepare)
        print(f"{name}: {measures[name]['seconds']:.2f} s", flush=True)

    print(f"{len(files)} files, copied to {corpus}", flush=True)
    measure("libcst parse floor", [python, "-c", FLOOR, "parse", str(listing)])
    # In a project: the copy is one of its own (as a user's repository is).
    marker.write_text('[project]\nname = "asynclint-bench-corpus"\n')
    measure("asynclint cold -j1", asynclint("--jobs", "1"), prepare=clear_cache)
    measure(f"asynclint cold -j{cpus}", asynclint("--jobs", str(cpus)), prepare=clear_cache)
    clear_cache()
    timed(asynclint())
    measure("asynclint warm", asynclint())
    touched = corpus / TOUCHED if (corpus / TOUCHED).is_file() else Path(files[0])
    original = touched.read_bytes()

    def touch() -> None:
        touched.write_bytes(original + f"\n# touched {time.time()}\n".encode())

    try:
        measure("asynclint one file touched", asynclint(), prepare=touch)
    finally:
        touched.write_bytes(original)
    # Outside any project: the same files with no marker above them.
    marker.unlink()
    clear_cache()
    timed(asynclint())
    measure("asynclint warm, outside a project", asynclint())
    beside = Path(sys.executable).with_name("ruff")  # installed by `.[bench]` into this venv
    ruff_binary = str(beside) if beside.exists() else shutil.which("ruff")
    if ruff_binary:
        ruff = [ruff_binary, "check", "--select", "ASYNC", "--exit-zero", "--quiet", "--isolated"]
        measure("ruff cold", [*ruff, "--no-cache", *folders])
        ruff_cache = work / "ruff-cache"
        timed([*ruff, "--cache-dir", str(ruff_cache), *folders])
        measure("ruff warm", [*ruff, "--cache-dir", str(ruff_cache), *folders])
    scaled: dict[str, dict[str, float]] = {}
    if not args.skip_slow_peers:
        m = median_of(args.runs, [python, "-c", FLOOR, "metadata", str(sample_listing)])
        m["seconds"] *= scale
        scaled["libcst parse + metadata (scaled)"] = m
        print(f"libcst parse + metadata (scaled): {m['seconds']:.0f} s", flush=True)
        try:
            import flake8_async  # noqa: F401

            flake8 = [python, "-m", "flake8", "--isolated", "--select", "ASYNC", "--jobs", "1", "--exit-zero", *sample]
            m = median_of(args.runs, flake8)
            m["seconds"] *= scale
            scaled["flake8-async -j1 (scaled)"] = m
            print(f"flake8-async -j1 (scaled): {m['seconds']:.0f} s", flush=True)
        except ImportError:
            print("flake8-async is not installed: pip install -e '.[bench]'", flush=True)

    floor = measures["libcst parse floor"]["seconds"]
    print(f"\n{'measure':<40}{'seconds':>10}{'files/s':>10}{'x parse floor':>15}{'peak RSS MiB':>14}")
    for name, m in [*measures.items(), *scaled.items()]:
        m["files_per_second"] = len(files) / m["seconds"]
        m["ratio_to_parse_floor"] = m["seconds"] / floor
        print(f"{name:<40}{m['seconds']:>10.2f}{m['files_per_second']:>10.0f}{m['ratio_to_parse_floor']:>15.2f}{m['peak_rss_mib']:>14.0f}")
    cold = measures["asynclint cold -j1"]["seconds"]
    warm = measures["asynclint warm"]["seconds"]
    # Whole-corpus measures only: a figure scaled from a sample is never held against a target.
    ratios = {
        "cold -j1 / libcst parse floor (target <= 0.5)": cold / floor,
        f"cold -j1 / cold -j{cpus} (target >= 1.7)": cold / measures[f"asynclint cold -j{cpus}"]["seconds"],
        "one file touched / warm (target <= 2)": measures["asynclint one file touched"]["seconds"] / warm,
    }
    if "ruff warm" in measures:
        ruff_warm = measures["ruff warm"]["seconds"]
        ratios["warm outside a project / ruff warm (target <= 3)"] = measures["asynclint warm, outside a project"]["seconds"] / ruff_warm
        ratios["warm / ruff warm (target <= 3)"] = warm / ruff_warm
    unmatched = {}  # (scaled: shown, compared with nothing)
    if "libcst parse + metadata (scaled)" in scaled:
        unmatched["libcst parse + metadata (scaled) / cold -j1"] = scaled["libcst parse + metadata (scaled)"]["seconds"] / cold
    if "flake8-async -j1 (scaled)" in scaled:
        unmatched["flake8-async -j1 (scaled) / cold -j1"] = scaled["flake8-async -j1 (scaled)"]["seconds"] / cold
    print()
    for name, value in ratios.items():
        print(f"{name:<56}{value:>8.2f}")
    for name, value in unmatched.items():
        print(f"{name:<56}{value:>8.2f}  (scaled, not compared)")
    results["measures"], results["scaled"], results["ratios"], results["scaled_ratios"] = measures, scaled, ratios, unmatched
    if args.verify_screen:
        results["screen"] = verify_screen(python, config, folders, cpus)
    Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwritten to {args.json}")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
