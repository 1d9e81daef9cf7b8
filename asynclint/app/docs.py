"""Rule documentation rendered from the rule classes: `explain`, `rules`, the README table."""

from __future__ import annotations

import dataclasses
import inspect
import os
from typing import Any

from asynclint.core.diagnostic import FixSafety
from asynclint.rules.base import Rule
from asynclint.rules.registry import all_rules

TABLE_START = "<!-- rules:start -->"
TABLE_END = "<!-- rules:end -->"


def summary(rule: type[Rule]) -> str:
    """The first line of the rule's docstring: what it does."""
    return inspect.cleandoc(rule.__doc__ or "").splitlines()[0]


def fix_label(rule: type[Rule]) -> str:
    """`safe`, `unsafe` or `none`."""
    return rule.fix_safety.value


def explain(rule: type[Rule]) -> str:
    """The full user doc of one rule, as Markdown."""
    doc = inspect.cleandoc(rule.__doc__ or "")
    parts = [f"# {rule.code} {rule.name}", "", doc, ""]
    example = rule.INVALID[0] if rule.INVALID else None
    if example is not None:
        parts += ["## Example", "```python", example.code.rstrip("\n"), "```", ""]
        better = example.fixed if example.fixed is not None else example.use_instead
        if better is not None:
            parts += ["## Use instead", "```python", better.rstrip("\n"), "```", ""]
    if rule.Options is not None:
        parts += ["## Options"]
        for f in dataclasses.fields(rule.Options):
            key = f.name.replace("_", "-")
            parts.append(f"- `{key}` (default `{_toml(f.default)}`): {f.metadata.get('doc', '')}")
        parts.append("")
    state = "on by default" if rule.default_enabled else "preview: off unless selected"
    fix = "no automatic fix" if rule.fix_safety is FixSafety.NONE else f"{rule.fix_safety.value} fix"
    parts.append(f"*{state}; {fix}.*")
    return "\n".join(parts) + "\n"


def _toml(value: Any) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(f'"{v}"' for v in value) + "]"
    if isinstance(value, bool):
        return str(value).lower()
    return repr(value)


def rules_table() -> list[dict[str, Any]]:
    """One row per rule, for `asynclint rules` (text or JSON)."""
    return [
        {
            "code": rule.code,
            "name": rule.name,
            "summary": summary(rule),
            "fix": fix_label(rule),
            "default": rule.default_enabled,
        }
        for rule in all_rules()
    ]


RULE_DOCS = "docs/rules"


def rules_markdown() -> str:
    """The README rule table, between its markers; each name links to its generated doc."""
    lines = ["| Code | Name | What it catches | Fix |", "|---|---|---|---|"]
    for row in rules_table():
        name = f"[{row['name']}]({RULE_DOCS}/{row['code']}.md)"
        name = name if row["default"] else f"{name} (preview)"
        lines.append(f"| {row['code']} | {name} | {row['summary']} | {row['fix']} |")
    return "\n".join(lines) + "\n"


def write_rule_docs(folder: str = RULE_DOCS) -> None:
    """Write `docs/rules/CODE.md` for every rule (what `asynclint explain CODE` prints)."""
    os.makedirs(folder, exist_ok=True)
    for rule in all_rules():
        with open(os.path.join(folder, f"{rule.code}.md"), "w", encoding="utf-8") as handle:
            handle.write(explain(rule))


def update_readme(path: str = "README.md") -> None:
    """Rewrite the rule table between the README's markers, and the rule docs beside it, from the registry."""
    write_rule_docs(os.path.join(os.path.dirname(path), RULE_DOCS))
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    start, end = text.index(TABLE_START) + len(TABLE_START), text.index(TABLE_END)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text[:start] + "\n" + rules_markdown() + text[end:])
