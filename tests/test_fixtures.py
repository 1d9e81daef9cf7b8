"""Every fixture: the reported set equals the marked set, through the engine and through flake8."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from asynclint.app.testing import (
    FIXTURES,
    fixture_files,
    markers_to_noqa,
    read_markers,
    reported,
)

FILES = fixture_files()
IDS = [str(p.relative_to(FIXTURES)) for p in FILES]


def test_there_are_fixtures():
    assert len(FILES) >= 12


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_reported_equals_marked(path: Path):
    markers = read_markers(path.read_text(encoding="utf-8"))
    found = reported(path.read_bytes(), str(path))
    assert sorted(found - markers.errors) == [], "reported but not marked"
    assert sorted(markers.errors - found) == [], "marked but not reported"


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_hard_negatives_are_silent(path: Path):
    markers = read_markers(path.read_text(encoding="utf-8"))
    found = reported(path.read_bytes(), str(path))
    assert not (markers.oks & found)
    assert not (markers.oks & markers.errors), "a line cannot be both an error and a hard negative"


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_noqa_silences_every_marked_line(path: Path):
    text = path.read_text(encoding="utf-8")
    assert reported(markers_to_noqa(text), str(path)) == set()


def test_every_rule_has_enough_positive_and_negative_lines():
    from asynclint.rules.registry import all_rules

    counts: dict[str, list[int]] = {}
    for path in FILES:
        markers = read_markers(path.read_text(encoding="utf-8"))
        for _, code in markers.errors:
            counts.setdefault(code, [0, 0])[0] += 1
        for _, code in markers.oks:
            counts.setdefault(code, [0, 0])[1] += 1
    # The concurrency rules judge independence: they need the most hard negatives (issue 5).
    needed_negatives = {"ASL301": 15, "ASL302": 15}
    for rule in all_rules():
        positives, negatives = counts.get(rule.code, [0, 0])
        assert positives >= 8, f"{rule.code} has {positives} positive fixture lines"
        least = needed_negatives.get(rule.code, 8)
        assert negatives >= least, f"{rule.code} has {negatives} hard-negative fixture lines"


FLAKE8_LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>ASL\d{3}) ")


def test_flake8_reports_exactly_what_check_reports():
    """Parity over every fixture: same files, same lines, same columns, same codes."""
    flake8 = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "ASL", "--isolated", str(FIXTURES)],
        capture_output=True,
        text=True,
    )
    assert flake8.returncode in (0, 1), flake8.stderr
    via_flake8 = set()
    for line in flake8.stdout.splitlines():
        match = FLAKE8_LINE.match(line)
        assert match, line
        via_flake8.add((Path(match["path"]).resolve(), int(match["line"]), int(match["col"]), match["code"]))
    check = subprocess.run(
        [sys.executable, "-m", "asynclint", "check", "--format", "json", str(FIXTURES)],
        capture_output=True,
        text=True,
    )
    import json

    via_check = {
        (Path(d["path"]).resolve(), d["line"], d["col"], d["code"]) for d in json.loads(check.stdout)
    }
    assert via_check, "the fixtures must produce findings"
    # flake8 hands plugins its own `ast` tree: a file newer than this Python gets E999 there, no plugin.
    unreadable = {path.resolve() for path in FILES if not _readable_by_this_python(path)}
    assert via_flake8 == {finding for finding in via_check if finding[0] not in unreadable}


def _readable_by_this_python(path: Path) -> bool:
    try:
        ast.parse(path.read_bytes())
    except SyntaxError:
        return False
    return True


@pytest.mark.parametrize("unsafe", [False, True], ids=["safe", "unsafe"])
@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_fixed_output_matches_byte_for_byte(path: Path, unsafe: bool, update_fixtures: bool):
    """`case.py.fixed` holds what `fix` makes of `case.py`; no file when nothing changes."""
    from asynclint.app.testing import expected_fix_path, fixed_output

    source = path.read_bytes()
    fixed = fixed_output(source, str(path), unsafe)
    expected = expected_fix_path(path, unsafe)
    if update_fixtures:
        if fixed != source:
            expected.write_bytes(fixed)
        elif expected.exists():
            expected.unlink()
    if fixed == source:
        assert not expected.exists(), f"{expected.name} is stale: fixing changes nothing now"
    else:
        assert expected.exists(), f"missing {expected.name}; run pytest --update-fixtures and review it"
        assert fixed == expected.read_bytes()
        # Idempotence: a second run changes nothing and leaves no fixable finding.
        assert fixed_output(fixed, str(path), unsafe) == fixed


def test_every_fixable_rule_has_an_expected_fix_fixture():
    from asynclint.core.diagnostic import FixSafety
    from asynclint.rules.registry import all_rules

    expected = {p.name.split(".py.")[0] for p in FIXTURES.rglob("*.py.*fixed")}
    folders_with_fix = {p.parent.name for p in FIXTURES.rglob("*.py.*fixed")}
    assert expected
    for rule in all_rules():
        if rule.fix_safety is not FixSafety.NONE:
            assert rule.code in folders_with_fix, f"{rule.code} has no .fixed fixture"


def test_prescreen_never_hides_a_finding(monkeypatch):
    """Skipping libcst where no rule can fire must change no result (over every fixture).

    Every stage is off without the screen: trigger words, the index identifiers and the
    rules' `ast` screens. (Each rule's INVALID examples, checked one by one with the screen on
    in test_examples.py, cover single findings; benchmarks/bench.py --verify-screen real code.)
    """
    from asynclint.app.testing import fixture_index
    from asynclint.core.config import Config
    from asynclint.engine.screening import screen
    from asynclint.rules.registry import all_rules

    config = Config(select=("ALL",))
    kept = {p: screen(all_rules(), p.read_bytes(), str(p), config, fixture_index())[0] for p in FILES}
    with_screen = {p: reported(p.read_bytes(), str(p)) for p in FILES}
    monkeypatch.setenv("ASYNCLINT_NO_SCREEN", "1")
    without_screen = {p: reported(p.read_bytes(), str(p)) for p in FILES}
    assert with_screen == without_screen
    # The screen must actually skip work, also for rules that need the ast screen to skip.
    assert sum(len(rules) < len(all_rules()) for rules in kept.values()) > len(FILES) // 2
    by_code = {rule.code: sum(rule in rules for rules in kept.values()) for rule in all_rules()}
    assert by_code["ASL201"] < len(FILES) and by_code["ASL301"] < len(FILES) and by_code["ASL101"] < len(FILES)
