"""SARIF 2.1.0: one run, the rules with their docs, results with locations and fixes."""

from __future__ import annotations

import json
import os
from typing import Any, Sequence

from asynclint import __version__
from asynclint.core.diagnostic import Diagnostic, TextEdit

HOME = "https://pypi.org/project/asynclint/"


def _rule(rule: Any) -> dict[str, Any]:
    from asynclint.app.docs import RULE_DOCS, explain, summary

    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": summary(rule)},
        "fullDescription": {"text": explain(rule)},
        "help": {"text": explain(rule), "markdown": explain(rule)},
        "helpUri": f"{RULE_DOCS}/{rule.code}.md",
        "defaultConfiguration": {"enabled": rule.default_enabled, "level": "error"},
        "properties": {"fixSafety": rule.fix_safety.value},
    }


def _region(start: tuple[int, int], end: tuple[int, int]) -> dict[str, int]:
    return {"startLine": start[0], "startColumn": start[1] + 1, "endLine": end[0], "endColumn": end[1] + 1}


def _fix(d: Diagnostic, edit: TextEdit) -> list[dict[str, Any]]:
    """The edit as a SARIF fix (only self-contained replacements have a text edit: no import to add)."""
    assert d.fix is not None
    return [
        {
            "description": {"text": f"{d.fix.value} fix"},
            "artifactChanges": [
                {
                    "artifactLocation": {"uri": _uri(d.path)},
                    "replacements": [
                        {
                            "deletedRegion": _region(edit.start, edit.end),
                            "insertedContent": {"text": edit.text},
                        }
                    ],
                }
            ],
        }
    ]


def _code_flows(d: Diagnostic) -> list[dict[str, Any]]:
    """The steps that lead to the finding (ASL107: the call, then each helper to the blocking call) as one thread flow."""
    steps = [(d.path, d.line, d.message), *d.flow]
    locations = [
        {
            "location": {
                "physicalLocation": {"artifactLocation": {"uri": _uri(_shown(path))}, "region": {"startLine": line}},
                "message": {"text": text},
            }
        }
        for path, line, text in steps
    ]
    return [{"threadFlows": [{"locations": locations}]}]


def _shown(path: str) -> str:
    """A path below the working folder relative to it (as the findings' own paths usually are)."""
    if os.path.isabs(path):
        relative = os.path.relpath(path)
        if not relative.startswith(".."):
            return relative
    return path


def _uri(path: str) -> str:
    return path.replace("\\", "/")


def render(diagnostics: Sequence[Diagnostic]) -> str:
    """A SARIF log with one run of asynclint."""
    # The rules (libcst visitors) are loaded only for this format, which describes them all.
    from asynclint.rules.registry import all_rules

    rules = list(all_rules())
    index = {rule.code: i for i, rule in enumerate(rules)}
    results = []
    for d in diagnostics:
        result: dict[str, Any] = {
            "ruleId": d.code,
            "level": "error",
            "message": {"text": d.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(d.path)},
                        "region": _region((d.line, d.col), (d.end_line, d.end_col)),
                    }
                }
            ],
        }
        if d.code in index:
            result["ruleIndex"] = index[d.code]
        if d.text_edit is not None:
            result["fixes"] = _fix(d, d.text_edit)
        if d.flow:
            result["codeFlows"] = _code_flows(d)
        results.append(result)
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "asynclint",
                        "version": __version__,
                        "informationUri": HOME,
                        "rules": [_rule(rule) for rule in rules],
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2) + "\n"
