"""Every rule's VALID and INVALID examples: the docs users read run as tests."""

from __future__ import annotations

import pytest

from asynclint.core.config import Config
from asynclint.engine.lint import lint_source
from asynclint.rules.registry import all_rules

VALID = [(rule, ex) for rule in all_rules() for ex in rule.VALID]
VALID_IDS = [f"{rule.code}-valid-{i}" for rule in all_rules() for i, _ in enumerate(rule.VALID)]
INVALID = [(rule, ex) for rule in all_rules() for ex in rule.INVALID]
INVALID_IDS = [f"{rule.code}-invalid-{i}" for rule in all_rules() for i, _ in enumerate(rule.INVALID)]


def run(rule, code):
    return lint_source(code, "example.py", Config(select=(rule.code,)), raise_errors=True).diagnostics


@pytest.mark.parametrize(("rule", "example"), VALID, ids=VALID_IDS)
def test_valid(rule, example):
    assert run(rule, example.code) == ()


@pytest.mark.parametrize(("rule", "example"), INVALID, ids=INVALID_IDS)
def test_invalid(rule, example):
    found = run(rule, example.code)
    assert found, "expected a finding"
    assert {d.code for d in found} == {rule.code}
    if example.line is not None:
        assert [d.line for d in found] == [example.line]
    if example.message is not None:
        assert [d.message for d in found] == [example.message]


SHOWN = [(r, ex, i) for (r, ex), i in zip(INVALID, INVALID_IDS) if (ex.fixed or ex.use_instead) is not None]


@pytest.mark.parametrize(("rule", "example"), [s[:2] for s in SHOWN], ids=[s[2] for s in SHOWN])
def test_use_instead_is_clean(rule, example):
    better = example.fixed if example.fixed is not None else example.use_instead
    assert run(rule, better) == ()


FIXED = [(r, ex, i) for (r, ex), i in zip(INVALID, INVALID_IDS) if ex.fixed is not None]


@pytest.mark.parametrize(("rule", "example"), [f[:2] for f in FIXED], ids=[f[2] for f in FIXED])
def test_fixed(rule, example):
    from asynclint.app.fixes.apply import fix_source

    config = Config(select=(rule.code,))
    outcome = fix_source(example.code, "example.py", config, unsafe=True, raise_errors=True)
    assert outcome.error is None
    assert outcome.fixed == example.fixed
    again = fix_source(outcome.fixed, "example.py", config, unsafe=True, raise_errors=True)
    assert again.fixed == outcome.fixed
