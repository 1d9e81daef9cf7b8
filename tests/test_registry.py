"""The registry's conventions, and everything rendered from it staying current."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from asynclint.app.docs import TABLE_END, TABLE_START, explain, rules_markdown
from asynclint.app.testing import FIXTURES
from asynclint.core import catalog
from asynclint.core.diagnostic import FixSafety
from asynclint.core.options import ALL_OPTIONS
from asynclint.rules.base import Rule
from asynclint.rules.registry import (
    RegistryError,
    all_rules,
    catalog_source,
    check_catalog,
    class_name_for,
    validate,
)

ROOT = Path(__file__).resolve().parent.parent
RULES = all_rules()
IDS = [rule.code for rule in RULES]


def test_codes_are_unique_and_well_formed():
    codes = [rule.code for rule in RULES]
    assert len(codes) == len(set(codes))
    assert all(re.fullmatch(r"ASL\d{3}", code) for code in codes)


def test_validate_rejects_a_bad_rule():
    class BadName(Rule):
        code = "ASL999"
        name = "no-bad-name"
        message = "x"

    with pytest.raises(RegistryError):
        validate([BadName])


def test_validate_rejects_options_the_config_cannot_read():
    class StrayOptionsRule(Rule):
        code = "ASL998"
        name = "stray-options-rule"
        message = "x"
        Options = type("StrayOptions", (), {})

    with pytest.raises(RegistryError, match="ALL_OPTIONS"):
        validate([StrayOptionsRule])


def test_validate_rejects_a_rule_that_screens_differently_from_its_screen():
    from asynclint.rules.blocking.screen import BlockingSleepScreen
    from asynclint.rules.event_loop.screen import LegacyRunLoopScreen

    class TriggersOwnWords(LegacyRunLoopScreen, Rule):
        code = "ASL997"
        name = "triggers-own-words"
        message = "x"
        triggers = ("something_else",)

    with pytest.raises(RegistryError, match="overrides 'triggers'"):
        validate([TriggersOwnWords])

    class SharesAScreen(BlockingSleepScreen, Rule):
        code = "ASL996"
        name = "shares-a-screen"
        message = "x"

    with pytest.raises(RegistryError, match="one screen per rule"):
        validate([*RULES, SharesAScreen])


def test_the_catalog_is_what_the_rules_generate():
    assert Path(catalog.__file__).read_text(encoding="utf-8") == catalog_source(RULES)
    assert [info.code for info in catalog.RULES] == IDS
    assert {rule.Options for rule in RULES} - {None} == set(ALL_OPTIONS)


def test_rules_that_disagree_with_the_catalog_are_refused():
    check_catalog(RULES)
    renamed = type("Renamed", (RULES[0],), {"code": RULES[0].code, "name": "renamed"})
    for stale in (RULES[:-1], (renamed, *RULES[1:])):
        with pytest.raises(RegistryError, match="out of date"):
            check_catalog(stale)


@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_naming(rule):
    assert rule.__name__ == class_name_for(rule.name)
    assert not rule.name.startswith(("no-", "use-", "avoid-", "prefer-"))


@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_docstring_sections(rule):
    doc = inspect.cleandoc(rule.__doc__ or "")
    headings = re.findall(r"^## (.+)$", doc, re.MULTILINE)
    assert doc.splitlines()[0].endswith("."), "first line says what the rule does"
    assert headings[0] == "Why is this bad?"
    if rule.fix_safety is FixSafety.UNSAFE:
        assert "Fix safety" in headings
    assert headings == [h for h in ("Why is this bad?", "Fix safety") if h in headings]


@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_message_style(rule):
    assert not rule.message.endswith("."), "no trailing period"
    assert rule.code not in rule.message


@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_examples_are_consistent_with_fix_safety(rule):
    assert rule.VALID and rule.INVALID
    has_fixed = any(example.fixed is not None for example in rule.INVALID)
    assert has_fixed == (rule.fix_safety is not FixSafety.NONE)
    first = rule.INVALID[0]
    assert first.fixed is not None or first.use_instead is not None, "the doc's `Use instead` comes from here"


def test_every_rule_has_fixtures_and_every_fixture_folder_a_rule():
    codes = {rule.code for rule in RULES}
    folders = {p.name for p in FIXTURES.iterdir() if p.is_dir() and p.name != "packages"}
    assert codes == folders


@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_explain_renders(rule):
    text = explain(rule)
    assert text.startswith(f"# {rule.code} {rule.name}\n")
    assert "## Example" in text and "## Use instead" in text


def test_readme_rule_table_is_current():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start, end = readme.index(TABLE_START) + len(TABLE_START), readme.index(TABLE_END)
    assert readme[start:end].strip() == rules_markdown().strip(), (
        "README rule table drifted: run `python -m asynclint.dev regen`"
    )


def test_rule_docs_are_current():
    from asynclint.app.docs import RULE_DOCS

    folder = ROOT / RULE_DOCS
    assert sorted(p.stem for p in folder.glob("*.md")) == [rule.code for rule in RULES]
    for rule in RULES:
        assert (folder / f"{rule.code}.md").read_text(encoding="utf-8") == explain(rule), (
            f"{rule.code}.md drifted: run `python -m asynclint.dev regen`"
        )
