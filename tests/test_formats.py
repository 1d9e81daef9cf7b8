"""Golden tests of the `github` and `grouped` formats, and `--output-file`."""

from __future__ import annotations

import json

from click.testing import CliRunner

from asynclint.cli import cli

SOURCE = "import time\nimport requests\n\n\nasync def main(url):\n\ttime.sleep(1)\n    # a comment, with: commas\n"
SOURCE += "async def other(url):\n    requests.get(url,\n                 timeout=5)\n"


def run(tmp_path, monkeypatch, *args):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "g.py").write_text(SOURCE)
    return CliRunner().invoke(cli, ["check", *args, "g.py"], catch_exceptions=False)


def test_github(tmp_path, monkeypatch):
    result = run(tmp_path, monkeypatch, "--format", "github")
    assert result.exit_code == 1
    assert result.stdout == (
        "::error file=g.py,line=6,col=2,endLine=6,endColumn=15,title=ASL101::ASL101 `time.sleep()` blocks the "
        "event loop; use `await asyncio.sleep(...)`\n"
        "::error file=g.py,line=9,col=5,endLine=10,endColumn=28,title=ASL102::ASL102 `requests.get()` is a "
        "blocking HTTP call; use an async client (`httpx.AsyncClient`, `aiohttp`) or `await asyncio.to_thread(...)`\n"
    )


def test_github_escapes_properties_and_data():
    from asynclint.report.github import render
    from asynclint.rule import Diagnostic

    found = render([Diagnostic("a,b:c.py", 1, 0, "ASL101", "50% done\nnext", end_line=1, end_col=3)])
    assert found == "::error file=a%2Cb%3Ac.py,line=1,col=1,endLine=1,endColumn=4,title=ASL101::ASL101 50%25 done%0Anext\n"


def test_grouped(tmp_path, monkeypatch):
    result = run(tmp_path, monkeypatch, "--format", "grouped")
    assert result.exit_code == 1
    assert result.stdout == (
        "g.py:\n"
        "  6:2 ASL101 `time.sleep()` blocks the event loop; use `await asyncio.sleep(...)`\n"
        "    |  time.sleep(1)\n"
        "    |  ^^^^^^^^^^^^^\n"
        "  9:5 ASL102 `requests.get()` is a blocking HTTP call; use an async client (`httpx.AsyncClient`, "
        "`aiohttp`) or `await asyncio.to_thread(...)`\n"
        "    |     requests.get(url,\n"
        "    |     ^^^^^^^^^^^^^^^^^\n"
        "\n"
        "Found 2 findings in 1 file.\n"
        "2 fixable with `asynclint fix --unsafe-fixes`.\n"
    )


def test_output_file(tmp_path, monkeypatch):
    result = run(tmp_path, monkeypatch, "--format", "json", "--output-file", "out.json")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert [d["code"] for d in json.loads((tmp_path / "out.json").read_text())] == ["ASL101", "ASL102"]
    bad = CliRunner().invoke(cli, ["check", "--output-file", str(tmp_path / "missing" / "out.txt"), "g.py"])
    assert bad.exit_code == 2 and bad.stderr.startswith("asynclint: error: cannot write")
