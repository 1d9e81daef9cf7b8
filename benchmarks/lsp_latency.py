"""Time `asynclint server` as an editor sees it: from `didChange` to `publishDiagnostics`.

    pip install -e '.[server,bench]'
    python benchmarks/lsp_latency.py                 # 2,000+ files of the pinned corpus as the project
    python benchmarks/lsp_latency.py --changes 30 --whole-corpus

Copies part of the pinned corpus (fetched as real_code.py does) into a temporary project with a
pyproject.toml, starts the real server over stdio, opens a ~300-line and a ~2,000-line file, and
sends --changes edits to each (a comment line added, then removed), waiting each time for the
diagnostics of that version. Prints the median and 90th percentile per file, the first
diagnostics' time (the project index is built then), and the server's peak RSS (psutil).
`--whole-corpus` makes the whole corpus the project, for the memory figure.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from real_code import fetch, pinned  # noqa: E402


def make_project(target: Path, whole: bool) -> list[Path]:
    """Copy corpus packages into `target` until it holds 2,000+ files (or all of them)."""
    (target / "pyproject.toml").write_text("[tool.asynclint]\n")
    count = 0
    for spec in pinned(None, include_big=True):
        if not whole and count >= 2000:
            break
        source = fetch(spec)
        shutil.copytree(source, target / source.name)
        count += sum(1 for _ in (target / source.name).rglob("*.py"))
    return sorted(p for p in target.rglob("*.py") if p.is_file())


def pick(files: list[Path], lines: int) -> Path:
    """The file whose length is closest to `lines` and that has an `async def`."""
    candidates = []
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        if "async def" in text:
            candidates.append((abs(text.count("\n") - lines), str(path)))
    return Path(min(candidates)[1])


async def measure(project: Path, files: list[Path], changes: int) -> dict[str, object]:
    import psutil

    client = LanguageClient("bench", "1")
    published: dict[str, tuple[int | None, float]] = {}
    arrived = asyncio.Event()

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
        published[params.uri] = (params.version, time.perf_counter())
        arrived.set()

    @client.feature(types.WINDOW_LOG_MESSAGE)
    def on_log(params: types.LogMessageParams) -> None:
        print("server:", params.message, file=sys.stderr)

    await client.start_io(sys.executable, "-m", "asynclint", "server", cwd=str(project))
    server = psutil.Process(client._server.pid)  # the process pygls started
    await client.initialize_async(types.InitializeParams(capabilities=types.ClientCapabilities(), root_uri=project.as_uri()))
    client.initialized(types.InitializedParams())

    async def until(uri: str, version: int) -> float:
        while published.get(uri, (None, 0.0))[0] != version:
            arrived.clear()
            await asyncio.wait_for(arrived.wait(), 120)
        return published[uri][1]

    results: dict[str, object] = {}
    peak = 0
    for label, lines in (("300 lines", 300), ("2,000 lines", 2000)):
        path = pick(files, lines)
        uri = path.as_uri()
        text = path.read_text(encoding="utf-8", errors="replace")
        started = time.perf_counter()
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text))
        )
        first = await until(uri, 1) - started
        times = []
        for version in range(2, changes + 2):
            edited = text + ("# edited\n" if version % 2 == 0 else "")
            sent = time.perf_counter()
            client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                    content_changes=[types.TextDocumentContentChangeWholeDocument(text=edited)],
                )
            )
            times.append(await until(uri, version) - sent)
            peak = max(peak, server.memory_info().rss)
        times.sort()
        results[label] = {
            "file": str(path.relative_to(project)),
            "lines": text.count("\n"),
            "first_diagnostics_s": round(first, 3),
            "median_ms": round(1000 * statistics.median(times), 1),
            "p90_ms": round(1000 * times[int(0.9 * (len(times) - 1))], 1),
        }
    results["peak_rss_mib"] = round(peak / 2**20)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--whole-corpus", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        files = make_project(project, args.whole_corpus)
        print(f"project: {len(files)} files")
        results = asyncio.run(measure(project, files, args.changes))
    for key, value in results.items():
        print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
