"""`--write-baseline` / `--baseline`: adopt on a big codebase, then see only what is new."""

from __future__ import annotations

import json

from click.testing import CliRunner

from asynclint.app.cli import cli

CODE = """\
import asyncio
import time


async def poll():
    time.sleep(1)


class Worker:
    async def run(self):
        time.sleep(1)
        time.sleep(1)
"""


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def codes(result):
    return [line.split(": ")[1].split()[0] + "@" + line.split(":")[1] for line in result.stdout.splitlines() if ": ASL" in line]


def test_baseline_survives_unrelated_edits_and_reports_only_new_findings(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app.py").write_text(CODE)
    written = run("check", "--write-baseline", "baseline.json", ".")
    assert written.exit_code == 0 and "Recorded 3 findings in baseline.json." in written.stdout
    assert len(json.loads((tmp_path / "baseline.json").read_text())["findings"]) == 3

    # Unrelated edits move every line: nothing new.
    (tmp_path / "app.py").write_text('"""Docs."""\n\n\n' + CODE.replace("async def poll", "# note\nasync def poll"))
    clean = run("check", "--baseline", "baseline.json", ".")
    assert clean.exit_code == 0 and codes(clean) == []

    # A new finding in a function that had none is reported; the recorded ones stay silent.
    (tmp_path / "app.py").write_text(CODE + "\n\nasync def fresh():\n    time.sleep(2)\n")
    new = run("check", "--baseline", "baseline.json", ".")
    assert new.exit_code == 1 and codes(new) == ["ASL101@16"]

    # The same line added a third time in `run` is new too (each recorded finding matches once).
    (tmp_path / "app.py").write_text(CODE + "        time.sleep(1)\n")
    assert codes(run("check", "--baseline", "baseline.json", ".")) == ["ASL101@13"]

    # Fixed findings are counted.
    (tmp_path / "app.py").write_text(CODE.replace("        time.sleep(1)\n        time.sleep(1)\n", "        pass\n"))
    fixed = run("check", "--baseline", "baseline.json", ".")
    assert fixed.exit_code == 0 and "2 baseline entries are now fixed." in fixed.stdout


def test_bad_baseline_is_a_one_line_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app.py").write_text(CODE)
    (tmp_path / "bad.json").write_text("{nope")
    for args in (["--baseline", "bad.json"], ["--baseline", "missing.json"]):
        result = run("check", *args, ".")
        assert result.exit_code == 2 and result.stderr.startswith("asynclint: error: ")
