"""Run asynclint over real async packages from PyPI and prove every file is parsed once.

    python benchmarks/real_code.py            # the pinned corpus less homeassistant
    python benchmarks/real_code.py --all      # with homeassistant (~11,000 files)
    python benchmarks/real_code.py --packages aiohttp,httpx

Downloads the wheels (or sdists) pinned in benchmarks/corpus.txt into benchmarks/corpus/,
keeps only the .py files, then lints them in-process while counting, per file, how often
libcst parsed it and how often each metadata provider ran. Prints the counts, any crash,
every finding, and the time taken.
"""

from __future__ import annotations

import argparse
import collections
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"


def pinned(names: set[str] | None, include_big: bool) -> list[str]:
    specs = [line.strip() for line in (HERE / "corpus.txt").read_text().splitlines() if line.strip()]
    chosen = [s for s in specs if names is None or s.split("==")[0] in names]
    return [s for s in chosen if include_big or names is not None or not s.startswith("homeassistant")]


def fetch(spec: str) -> Path:
    """The package's .py files under corpus/<name>/, downloading once."""
    name = spec.split("==")[0]
    target = CORPUS / name
    if target.is_dir() and any(target.rglob("*.py")):
        return target
    download = CORPUS / "_downloads"
    download.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        # Only the source files are kept, so a package for a newer Python (homeassistant) is fine.
        [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--ignore-requires-python",
         "-d", str(download), spec],
        check=True,
    )
    stem = name.replace("-", "_").replace(".", "_").lower()
    for archive in sorted(download.iterdir()):
        if not archive.name.replace("-", "_").replace(".", "_").lower().startswith(stem):
            continue
        target.mkdir(parents=True, exist_ok=True)
        if archive.suffix == ".whl":
            with zipfile.ZipFile(archive) as zf:
                for member in zf.namelist():
                    if member.endswith(".py"):
                        zf.extract(member, target)
        elif archive.name.endswith(".tar.gz"):
            with tarfile.open(archive) as tf:
                members = [m for m in tf.getmembers() if m.name.endswith(".py") and m.isfile()]
                tf.extractall(target, members=members, filter="data")
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--all", action="store_true", help="include homeassistant")
    parser.add_argument("--packages", help="comma-separated package names from corpus.txt")
    args = parser.parse_args()
    names = set(args.packages.split(",")) if args.packages else None

    import libcst
    from libcst import metadata

    from asynclint.core.config import Config
    from asynclint.engine.files import discover
    from asynclint.engine.lint import lint_source
    from asynclint.engine.project import build_index

    roots = [fetch(spec) for spec in pinned(names, args.all)]
    config = Config(root=CORPUS, select=("ALL",))
    files = discover([str(r) for r in roots], config)
    index_started = time.perf_counter()
    project = build_index(files)
    index_time = time.perf_counter() - index_started

    # Count libcst parses and provider runs for the file being checked.
    counts: collections.Counter[str] = collections.Counter()
    real_parse = libcst.parse_module

    def counting_parse(*a, **k):
        # libcst's ScopeProvider also parses string annotations ("Foo") with parse_module:
        # those fragments are counted apart from parses of the file itself.
        caller = sys._getframe(1).f_globals.get("__name__", "")
        counts["parse" if caller.startswith("asynclint") else "annotation"] += 1
        return real_parse(*a, **k)

    libcst.parse_module = counting_parse  # type: ignore[assignment]
    providers = (metadata.ScopeProvider, metadata.QualifiedNameProvider, metadata.PositionProvider)
    for provider in providers:
        original = provider.__init__

        def counting_init(self, *a, _original=original, _name=provider.__name__, **k):
            counts[_name] += 1
            _original(self, *a, **k)

        provider.__init__ = counting_init  # type: ignore[method-assign]

    per_file_max: collections.Counter[str] = collections.Counter()
    annotation_parses = 0
    parsed_files = 0
    findings = []
    errors = []
    started = time.perf_counter()
    for path in files:
        counts.clear()
        with open(path, "rb") as handle:
            result = lint_source(handle.read(), path, config, project=project)
        annotation_parses += counts.pop("annotation", 0)
        for key, value in counts.items():
            per_file_max[key] = max(per_file_max[key], value)
        parsed_files += counts["parse"] > 0
        findings.extend(result.diagnostics)
        if result.error:
            errors.append(result.error)
    elapsed = time.perf_counter() - started

    print(f"project index of coroutine functions: {len(project.modules)} modules in {index_time:.1f} s")
    print(f"files: {len(files)} in {len(roots)} packages; checked in {elapsed:.1f} s "
          f"({1000 * elapsed / max(len(files), 1):.1f} ms/file, one process)")
    print(f"files parsed by libcst: {parsed_files} (the rest had no `async def`: syntax check only)")
    for key in ("parse", *(p.__name__ for p in providers)):
        print(f"  most {key} runs for one file: {per_file_max[key]}")
    print(f"  (string annotations parsed by libcst's ScopeProvider, not files: {annotation_parses})")
    print(f"internal errors: {len(errors)}")
    for error in errors:
        print(f"  {error}")
    by_code = collections.Counter(d.code for d in findings)
    print("findings: " + ", ".join(f"{code} {n}" for code, n in sorted(by_code.items())))
    for d in sorted(findings):
        print(f"  {Path(d.path).relative_to(CORPUS)}:{d.line}:{d.col + 1}: {d.code} {d.message}")
    once = all(per_file_max[k] <= 1 for k in per_file_max)
    print("every file parsed at most once, each provider run at most once per file:", once)
    return 0 if once and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
