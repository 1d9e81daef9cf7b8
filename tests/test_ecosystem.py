"""benchmarks/ecosystem.py's comparison of findings with the verdict file, on a tiny synthetic file."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "ecosystem.py"
spec = importlib.util.spec_from_file_location("ecosystem", SCRIPT)
eco = importlib.util.module_from_spec(spec)
sys.modules["ecosystem"] = eco  # dataclasses look their module up there
spec.loader.exec_module(eco)

VERDICTS = (
    "ASL101\tpkg/a.py:10\tTP\ttime.sleep in a handler\n"
    "ASL101\tpkg/b.py:3\tFP\tin a thread\n"
    "ASL101\tpkg/gone.py:7\tTP\twas right\n"
    "ASL303\tpkg/c.py:5\tdebatable\tcommented\n"
    "ASL303\tpkg/old.py:1\t?\t\n"
)


def output(*findings: tuple[str, str, int]) -> str:
    corpus = eco.CORPUS
    return json.dumps(
        [{"code": c, "path": str(corpus / p), "line": n, "col": 1, "message": f"{c} at {p}"} for c, p, n in findings]
    )


def test_counts_precision_unjudged_and_lost_true_positive():
    findings = eco.parse_findings(
        output(("ASL101", "pkg/a.py", 10), ("ASL101", "pkg/b.py", 3), ("ASL101", "pkg/new.py", 1), ("ASL303", "pkg/c.py", 5))
    )
    result = eco.compare(findings, eco.read_verdicts(VERDICTS))
    row = result.rows["ASL101"]
    assert (row.findings, row.new, row.gone, row.gone_tp, row.tp, row.fp, row.judged) == (3, 1, 1, 1, 1, 1, 2)
    assert row.precision == 0.5
    assert result.rows["ASL303"].debatable == 1 and result.rows["ASL303"].precision is None
    assert [k.location for k, _ in result.unjudged] == ["pkg/new.py:1"]
    # A `?` line no longer reported is not a gone finding; a judged TP is.
    assert [(k.location, v.verdict) for k, v in result.gone] == [("pkg/gone.py:7", "TP")]
    report = "\n".join(eco.report(result, {"ASL101"}, {"ASL303"}))
    assert "LOST TRUE POSITIVE" in report and "ASL303 (preview)" in report


def test_codes_restrict_the_comparison():
    findings = eco.parse_findings(output(("ASL303", "pkg/c.py", 5)))
    result = eco.compare(findings, eco.read_verdicts(VERDICTS), ["ASL3"])
    assert set(result.rows) == {"ASL303"} and not result.gone and not result.unjudged


def test_text_output_is_read_like_json():
    text = f"{eco.CORPUS}/pkg/a.py:10:5: ASL101 [*] blocking\nFound 1 finding.\n"
    assert eco.parse_findings(text) == {eco.Key("ASL101", "pkg/a.py", 10): "blocking"}


def test_update_adds_new_as_unjudged_drops_stale_unjudged_and_is_sorted_and_stable():
    verdicts = eco.read_verdicts(VERDICTS)
    findings = eco.parse_findings(output(("ASL101", "pkg/new.py", 1), ("ASL101", "pkg/a.py", 10)))
    text = eco.write_verdicts(eco.updated(findings, verdicts, None, prune=False))
    lines = text.splitlines()
    assert "ASL101\tpkg/new.py:1\t?\t" in lines
    assert not any("old.py" in line for line in lines)  # a `?` no longer reported
    assert any("gone.py" in line for line in lines)  # judged lines stay unless pruned
    assert lines == sorted(lines, key=lambda line: (line.split("\t")[0], *eco.parse_location(line.split("\t")[1])))
    assert eco.write_verdicts(eco.read_verdicts(text)) == text
    pruned = eco.write_verdicts(eco.updated(findings, verdicts, None, prune=True))
    assert "gone.py" not in pruned and "pkg/b.py" not in pruned


def test_malformed_verdicts_are_refused():
    with pytest.raises(ValueError):
        eco.read_verdicts("ASL101\tpkg/a.py:10\tmaybe\twhy\n")
    with pytest.raises(ValueError):
        eco.read_verdicts("ASL101\tpkg/a.py\tTP\twhy\n")


def test_main_exits_1_on_unjudged_and_update_records_them(tmp_path, capsys):
    verdicts = tmp_path / "findings.tsv"
    verdicts.write_text("ASL303\tpkg/c.py:5\tdebatable\tcommented\n")
    saved = tmp_path / "out.json"
    saved.write_text(output(("ASL101", "pkg/new.py", 1), ("ASL303", "pkg/c.py", 5)))
    args = ["--findings", str(saved), "--verdicts", str(verdicts)]
    assert eco.main(args) == 1
    assert "pkg/new.py:1 ASL101 ASL101 at pkg/new.py" in capsys.readouterr().out
    assert eco.main([*args, "--codes", "ASL3"]) == 0  # the unjudged one is not among these codes
    assert eco.main([*args, "--update", "--codes", "ASL1"]) == 1
    assert verdicts.read_text() == "ASL101\tpkg/new.py:1\t?\t\nASL303\tpkg/c.py:5\tdebatable\tcommented\n"
