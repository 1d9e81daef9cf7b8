"""The fixed code generated in one pass with the replacements in place (fixes/splice.py) is the transform's, byte for byte."""

from __future__ import annotations

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from asynclint.app.fixes.apply import apply_edits, fixed_code, non_overlapping
from asynclint.app.fixes.splice import spliceable, spliced_code
from asynclint.app.fixes.verify import untouched_lines_identical
from asynclint.core.diagnostic import FixSafety
from asynclint.rules.base import Edit, Fix


def _edits(module: cst.Module, make) -> list[Edit]:
    """An edit for each node `make` gives a replacement for (a Fix's fields), placed as the engine places them."""
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    edits = []

    class Visit(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            fix = make(node)
            if fix is not None:
                span = positions[node]
                start, end = (span.start.line, span.start.column), (span.end.line, span.end.column)
                edits.append(Edit(fix, "ASL101", FixSafety.SAFE, start, end))
            return True

    module.visit(Visit())
    return non_overlapping(edits)


def _sleep_to_await(node: cst.CSTNode) -> Fix | None:
    """`time.sleep(x)` -> `await asyncio.sleep(x)`, importing asyncio."""
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "sleep":
        func = cst.Attribute(value=cst.Name("asyncio"), attr=cst.Name("sleep"))
        return Fix(node, cst.Await(node.with_changes(func=func, lpar=(), rpar=()), lpar=node.lpar, rpar=node.rpar), ("asyncio",))
    return None


def _names_doubled(node: cst.CSTNode) -> Fix | None:
    """Every one-letter name `a` -> `aa`: edits side by side, separated by one character."""
    if isinstance(node, cst.Name) and len(node.value) == 1:
        return Fix(node, node.with_changes(value=node.value * 2))
    return None


def _raise_at_end_of_except(node: cst.CSTNode) -> Fix | None:
    """An except body gets a `raise` at its end (a replaced indented block, as ASL401's fix)."""
    if isinstance(node, cst.ExceptHandler):
        body = node.body
        return Fix(body, body.with_changes(body=[*body.body, cst.SimpleStatementLine([cst.Raise()])]))
    return None


def _split_statement(node: cst.CSTNode) -> Fix | None:
    """A `go(x)` statement line -> two statements (a FlattenSentinel, as ASL202's fix)."""
    if isinstance(node, cst.SimpleStatementLine) and "go" in cst.Module([]).code_for_node(node):
        first = node.with_changes(body=[cst.Assign([cst.AssignTarget(cst.Name("t"))], node.body[0].value)])
        return Fix(node, cst.FlattenSentinel([first, cst.parse_statement("keep(t)\n")]))
    return None


SOURCES = {
    # An edit on the first line of the file and on the last, which has no line break.
    "start and end": "time.sleep(1)  # é\nx = 'ü€𝄞'\ntime.sleep(2)",
    "crlf, tabs, multi-byte": (
        "# -*- coding: utf-8 -*-\r\n\"\"\"Doc é.\"\"\"\r\nimport time\r\n\r\n"
        "async def f(x='€'):\r\n\tif x:  # 𝄞\r\n\t\ttime.sleep(\r\n\t\t\t1,  # inside\r\n\t\t)\r\n"
        "\t\ty = (time.sleep(2)).real; time.sleep(3)\r\n"
    ),
    "nested blocks": (
        "import time\n\nclass C:\n    async def m(self):\n        try:\n            pass\n"
        "        except BaseException:  # é\n            log('x')  # keep\n\n\n"
        "        while True:\n            try:\n                go(1)\n            except Exception:\n                pass\n"
    ),
}


@pytest.mark.parametrize("name", sorted(SOURCES))
@pytest.mark.parametrize("make", [_sleep_to_await, _names_doubled, _raise_at_end_of_except, _split_statement])
def test_spliced_code_is_the_transforms(name, make):
    for newline in ("\n", "\r\n", "\r"):
        text = SOURCES[name].replace("\r\n", "\n").replace("\n", newline)
        module = cst.parse_module(text.encode("utf-8"))
        edits = _edits(module, make)
        if not edits:
            continue
        assert spliceable(module, edits)
        expected = apply_edits(module, edits).code
        assert fixed_code(module, edits) == expected
        if newline == "\r":
            continue  # (libcst drops a file's last lone CR: the fixer's check refuses such a file)
        # Each untouched line is where the fixer's own check expects it.
        added = frozenset(f"import {n}" for e in edits for n in e.fix.imports)
        assert untouched_lines_identical(text, expected, edits, added) is None


def test_spliced_code_by_hand():
    """Adjacent edits, at the start and end of a file without a final line break, in CRLF with multi-byte text."""
    text = "a.b(c, d)  # é€\r\nx = '𝄞'\r\ne"
    module = cst.parse_module(text.encode("utf-8"))
    edits = _edits(module, _names_doubled)
    assert [edit.start for edit in edits] == [(1, 0), (1, 2), (1, 4), (1, 7), (2, 0), (3, 0)]
    assert spliced_code(module, edits) == "aa.bb(cc, dd)  # é€\r\nxx = '𝄞'\r\nee"
    # An indented block replaced inside a tab-indented function keeps the function's indentation.
    text = "def f():\n\ttry:\n\t\tpass\n\texcept E:\n\t\tg()  # é\n"
    module = cst.parse_module(text)
    edits = _edits(module, _raise_at_end_of_except)
    assert spliced_code(module, edits) == "def f():\n\ttry:\n\t\tpass\n\texcept E:\n\t\tg()  # é\n\t\traise\n"


def test_an_edit_of_a_module_statement_or_of_a_node_its_parent_generates_takes_the_transform():
    module = cst.parse_module("go(1)\nf(a, b)\n")
    line = _edits(module, _split_statement)
    assert not spliceable(module, line)  # add_imports may give it new leading lines
    assert fixed_code(module, line) == "t = go(1)\nkeep(t)\nf(a, b)\n"
    args = _edits(module, lambda n: Fix(n, n.with_changes(value=cst.Name("z"))) if isinstance(n, cst.Arg) else None)
    assert not spliceable(module, args)  # an Arg's comma comes from its parent
    assert fixed_code(module, args) == "go(z)\nf(z, z)\n"
