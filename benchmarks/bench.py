"""Time asynclint against the libcst floor and its peers on real async code, on this machine.

    pip install -e '.[bench]'
    python benchmarks/bench.py --small          # the pinned corpus less homeassistant (~2,450 files)
    python benchmarks/bench.py                  # everything (~11,000 files; long)
    python benchmarks/bench.py --runs 5 --json results.json

Downloads the packages pinned in benchmarks/corpus.txt (once, only their .py files kept, as
real_code.py does), then, on the same files and in one run, times with the median of --runs:

- libcst floor, parse only, and parse + the metadata asynclint uses (position, scope,
  qualified names): measured on a fixed sample of --sample files and scaled to the corpus
  (the full floor would take half an hour per run);
- asynclint cold with --jobs 1, cold with every CPU, warm (nothing changed, cache hit), and
  after touching one file;
- `flake8 --select ASYNC` with flake8-async, one process (on the same sample, scaled), and
  `ruff check --select ASYNC`, cold and warm.

Prints files/s, the ratios, and the peak RSS of each command's whole process tree (psutil,
sampled every 20 ms), and writes everything as JSON.
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

FLOOR = """
import sys, time
import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider, QualifiedNameProvider, ScopeProvider
metadata = sys.argv[1] == "metadata"
paths = sys.argv[2:]
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="leave out homeassistant")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (the median is kept)")
    parser.add_argument("--sample", type=int, default=400, help="files for the libcst floors and flake8")
    parser.add_argument(
        "--json", help="where to write the results (default: benchmarks/results.json, results-small.json with --small)"
    )
    parser.add_argument(
        "--verify-screen", action="store_true", help="also check that the pre-screen changes no finding (two more runs)"
    )
    args = parser.parse_args()
    args.json = args.json or str(HERE / ("results-small.json" if args.small else "results.json"))

    files = corpus_files(args.small)
    python = sys.executable
    # As a regular install does (pip compiles what it installs; an editable install of a
    # checkout, with PYTHONDONTWRITEBYTECODE set, would compile asynclint on every start).
    import asynclint

    subprocess.run([python, "-m", "compileall", "-q", str(Path(asynclint.__file__).parent)], check=True)
    sample = sorted(random.Random(1).sample(files, min(args.sample, len(files))))
    scale = len(files) / len(sample)
    work = Path(tempfile.mkdtemp(prefix="asynclint-bench-"))
    config = work / "pyproject.toml"
    # Defaults, and no `exclude` from this repo's own config; --small leaves homeassistant out of
    # the project index too. The corpus is one project of its own (as a user's repository is):
    # without a marker, the project root would be this repository, and its index everything in it.
    left_out = ', "homeassistant"' if args.small else ""
    config.write_text(f'[tool.asynclint]\nexclude = ["_downloads"{left_out}]\n')
    (CORPUS / "pyproject.toml").write_text('[project]\nname = "asynclint-bench-corpus"\n')
    listing = work / "files.txt"
    listing.write_text("\n".join(files))
    folders = sorted({str(CORPUS / Path(f).relative_to(CORPUS).parts[0]) for f in files})
    cache = work / "cache"
    cpus = os.cpu_count() or 1
    results: dict[str, Any] = {
        "machine": f"{platform.machine()}, {cpus} CPUs, {platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "files": len(files),
        "sample": len(sample),
    }

    def clear_cache() -> None:
        # Cold means nothing cached: the results, and the project index kept in the corpus's own
        # `.asynclint_cache/` (where a user's repository keeps it).
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(CORPUS / ".asynclint_cache", ignore_errors=True)

    def asynclint(*extra: str) -> list[str]:
        return [python, "-m", "asynclint", "check", "--config", str(config), "-q", "--exit-zero",
                "--cache-dir", str(cache), *extra, *folders]  # fmt: skip

    measures: dict[str, dict[str, float]] = {}
    print(f"{len(files)} files; floors and flake8 on {len(sample)} of them, scaled x{scale:.2f}", flush=True)
    for kind in ("parse", "metadata"):
        m = median_of(args.runs, [python, "-c", FLOOR, kind, *sample])
        m["seconds"] *= scale
        measures[f"libcst {kind} (scaled)"] = m
        print(f"libcst {kind}: {m['seconds']:.1f} s", flush=True)
    measures["asynclint cold -j1"] = median_of(args.runs, asynclint("--jobs", "1"), prepare=clear_cache)
    print(f"asynclint cold -j1: {measures['asynclint cold -j1']['seconds']:.1f} s", flush=True)
    measures[f"asynclint cold -j{cpus}"] = median_of(args.runs, asynclint("--jobs", str(cpus)), prepare=clear_cache)
    clear_cache()
    timed(asynclint())
    measures["asynclint warm"] = median_of(args.runs, asynclint())
    touched = Path(sample[0])
    original = touched.read_bytes()

    def touch() -> None:
        touched.write_bytes(original + f"\n# touched {time.time()}\n".encode())

    try:
        measures["asynclint one file touched"] = median_of(args.runs, asynclint(), prepare=touch)
    finally:
        touched.write_bytes(original)
    beside = Path(sys.executable).with_name("ruff")  # installed by `.[bench]` into this venv
    ruff_binary = str(beside) if beside.exists() else shutil.which("ruff")
    if ruff_binary:
        ruff = [ruff_binary, "check", "--select", "ASYNC", "--exit-zero", "--quiet", "--isolated"]
        measures["ruff cold"] = median_of(args.runs, [*ruff, "--no-cache", *folders])
        ruff_cache = work / "ruff-cache"
        timed([*ruff, "--cache-dir", str(ruff_cache), *folders])
        measures["ruff warm"] = median_of(args.runs, [*ruff, "--cache-dir", str(ruff_cache), *folders])
    flake8 = [python, "-m", "flake8", "--isolated", "--select", "ASYNC", "--jobs", "1", "--exit-zero", *sample]
    try:
        import flake8_async  # noqa: F401

        m = median_of(args.runs, flake8)
        m["seconds"] *= scale
        measures["flake8-async -j1 (scaled)"] = m
    except ImportError:
        print("flake8-async is not installed: pip install -e '.[bench]'", flush=True)

    floor = measures["libcst parse (scaled)"]["seconds"]
    print(f"\n{'measure':<32}{'seconds':>10}{'files/s':>10}{'x parse floor':>15}{'peak RSS MiB':>14}")
    for name, m in measures.items():
        m["files_per_second"] = len(files) / m["seconds"]
        m["ratio_to_parse_floor"] = m["seconds"] / floor
        print(f"{name:<32}{m['seconds']:>10.2f}{m['files_per_second']:>10.0f}{m['ratio_to_parse_floor']:>15.2f}{m['peak_rss_mib']:>14.0f}")
    cold = measures["asynclint cold -j1"]["seconds"]
    ratios = {
        "cold -j1 / libcst parse floor (target <= 0.5)": cold / floor,
        "libcst metadata floor / cold -j1 (target >= 15)": measures["libcst metadata (scaled)"]["seconds"] / cold,
        f"cold -j1 / cold -j{cpus} (target >= 1.7)": cold / measures[f"asynclint cold -j{cpus}"]["seconds"],
        "one file touched / warm (target <= 2)": measures["asynclint one file touched"]["seconds"]
        / measures["asynclint warm"]["seconds"],
    }
    if "ruff warm" in measures:
        ratios["warm / ruff warm (target <= 3)"] = measures["asynclint warm"]["seconds"] / measures["ruff warm"]["seconds"]
    if "flake8-async -j1 (scaled)" in measures:
        ratios["flake8-async -j1 / cold -j1 (target >= 50)"] = measures["flake8-async -j1 (scaled)"]["seconds"] / cold
    print()
    for name, value in ratios.items():
        print(f"{name:<52}{value:>8.2f}")
    results["measures"], results["ratios"] = measures, ratios
    if args.verify_screen:
        results["screen"] = verify_screen(python, config, folders, cpus)
    Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwritten to {args.json}")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
