"""The rules find nodes without `libcst.matchers` (a second to import): the same nodes its `findall` finds."""

from __future__ import annotations

import subprocess
import sys

import libcst as cst
import libcst.matchers as m
import pytest

from asynclint.rules.coroutines.rule import _all_under, _only_in_nested_defs

SOURCES = [
    "try:\n    pass\nexcept Exception:\n    raise\n",
    "try:\n    pass\nexcept Exception:\n    def later():\n        raise ValueError\n",
    "try:\n    pass\nexcept Exception:\n    class C:\n        def f(self):\n            def g():\n                raise X\n",
    "try:\n    pass\nexcept Exception:\n    async def f():\n        raise X\n    raise Y\n",
    "try:\n    pass\nexcept Exception:\n    log()\n",
]


@pytest.mark.parametrize("source", SOURCES)
def test_the_nodes_found_are_those_of_findall(source: str):
    body = cst.parse_module(source).body[0].handlers[0].body  # type: ignore[attr-defined]
    assert _all_under(body, cst.Raise) == m.findall(body, m.Raise())
    defs = m.findall(body, m.FunctionDef() | m.ClassDef())
    assert _all_under(body, (cst.FunctionDef, cst.ClassDef)) == defs
    expected = len(m.findall(body, m.Raise())) == len([r for d in defs for r in m.findall(d, m.Raise())])
    assert _only_in_nested_defs(body) is expected


def test_loading_the_rules_does_not_import_libcst_matchers():
    code = "import sys, asynclint.rules.registry as r, asynclint.engine.visit; r.all_rules(); print('libcst.matchers' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"
