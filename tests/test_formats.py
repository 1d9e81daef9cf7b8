"""Golden tests of the `github` and `grouped` formats, and `--output-file`."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from asynclint.app.cli import cli

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
    from asynclint.app.report.github import render
    from asynclint.core.diagnostic import Diagnostic

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


def test_sarif_validates_against_the_official_schema(tmp_path, monkeypatch):
    import jsonschema

    schema = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app.py").write_text(
        "import asyncio\nimport time\n\n\nasync def job():\n    pass\n\n\nasync def main():\n"
        "    time.sleep(1)\n    job()\n"
    )
    (tmp_path / "broken.py").write_text("def f(:\n")
    result = CliRunner().invoke(cli, ["check", "--format", "sarif", "."], catch_exceptions=False)
    assert result.exit_code == 1
    log = json.loads(result.stdout)
    jsonschema.Draft4Validator(schema).validate(log)
    [run] = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules][:2] == ["ASL101", "ASL102"]
    assert rules[0]["helpUri"] == "docs/rules/ASL101.md" and "Why is this bad?" in rules[0]["help"]["markdown"]
    by_rule = {r["ruleId"]: r for r in run["results"]}
    assert set(by_rule) == {"ASL000", "ASL101", "ASL201"}
    sleep = by_rule["ASL101"]
    assert sleep["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "app.py"},
        "region": {"startLine": 10, "startColumn": 5, "endLine": 10, "endColumn": 18},
    }
    assert rules[sleep["ruleIndex"]]["id"] == "ASL101"
    # `await job()` needs no import: a self-contained fix. The sleep fix here reuses `asyncio`.
    [fix] = by_rule["ASL201"]["fixes"]
    [change] = fix["artifactChanges"]
    assert change["replacements"][0]["insertedContent"]["text"] == "await job()"
    assert by_rule["ASL101"]["fixes"][0]["artifactChanges"][0]["replacements"][0]["insertedContent"]["text"] == (
        "await asyncio.sleep(1)"
    )


def test_sarif_leaves_out_fixes_that_need_an_import(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app.py").write_text("import requests\n\n\nasync def main(u):\n    requests.get(u)\n")
    result = CliRunner().invoke(cli, ["check", "--format", "sarif", "app.py"], catch_exceptions=False)
    [finding] = json.loads(result.stdout)["runs"][0]["results"]
    assert finding["ruleId"] == "ASL102" and "fixes" not in finding
