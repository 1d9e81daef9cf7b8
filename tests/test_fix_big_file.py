"""`fix` on a big file of repeated code: every guarantee holds (its speed is benchmarks/fix_scale.py's)."""

from __future__ import annotations

import ast

import libcst as cst

from asynclint.app.fixes.apply import fix_source
from asynclint.app.fixes.verify import untouched_lines_identical
from asynclint.core.config import Config
from asynclint.core.diagnostic import FixSafety
from asynclint.rules.base import Edit, Fix
from asynclint.rules.registry import rules_named

BLOCK = """

async def poll_{i}(client, job_id, interval=2.0):
    # keep this comment: {i}
    while True:
        status = await client.status(job_id)  # trailing {i}
        if status in ("done", "failed"):
            return status
        time.sleep(interval); time.sleep(0)
        time.sleep(
            interval,  # inside the call
        )


def sync_{i}():
    time.sleep({i})  # not in an async def: left alone
"""
HEADER = '"""Generated."""\nimport time\n'


def _source(blocks: int, newline: str = "\n") -> str:
    return (HEADER + "".join(BLOCK.format(i=i) for i in range(blocks))).replace("\n", newline)


def _expected(blocks: int, newline: str = "\n") -> str:
    fixed = "".join(
        BLOCK.format(i=i)
        .replace("        time.sleep(interval); time.sleep(0)", "        await asyncio.sleep(interval); await asyncio.sleep(0)")
        .replace("        time.sleep(\n", "        await asyncio.sleep(\n")
        for i in range(blocks)
    )
    return ('"""Generated."""\nimport asyncio\nimport time\n' + fixed).replace("\n", newline)


def test_a_big_file_of_repeated_functions_is_fixed_exactly(tmp_path):
    blocks = 150
    for newline in ("\n", "\r\n"):
        source = _source(blocks, newline).encode()
        outcome = fix_source(source, "big.py", Config(select=("ASL101",)), unsafe=True)
        assert outcome.error is None
        assert outcome.applied["ASL101"] == 3 * blocks
        assert outcome.fixed == _expected(blocks, newline).encode()  # every other byte as it was
        ast.parse(outcome.fixed)
        again = fix_source(outcome.fixed, "big.py", Config(select=("ASL101",)), unsafe=True)
        assert again.fixed == outcome.fixed and not again.applied


def _edit(start: tuple[int, int], end: tuple[int, int], replacement: str = "x") -> Edit:
    node = cst.Name("y")
    return Edit(Fix(node, cst.parse_expression(replacement)), "ASL101", FixSafety.SAFE, start, end)


def test_the_positional_check_with_edits_sharing_a_line_and_an_import_above_the_first():
    old = "a = f(y, y)\nb = 2\n"
    two = [_edit((1, 6), (1, 7)), _edit((1, 9), (1, 10))]
    assert untouched_lines_identical(old, "a = f(x, x)\nb = 2\n", two) is None
    assert untouched_lines_identical(old, "a = f(x, x)\nb = 3\n", two) == "line 2 changed outside the fixed code"
    added = frozenset({"import asyncio"})
    assert untouched_lines_identical(old, "import asyncio\na = f(x, x)\nb = 2\n", two, added) is None
    assert untouched_lines_identical(old, "import asyncio\na = f(x, x)\n", two, added) is not None  # b = 2 lost
    # A replacement that grows by a line, and one that removes a line it did not span.
    grown = [_edit((1, 6), (1, 7), "(\n  x)")]
    assert untouched_lines_identical(old, "a = f((\n  x), y)\nb = 2\n", grown) is None
    assert untouched_lines_identical(old, "a = f(x, y)\n", [_edit((1, 6), (1, 7))]) == "line 2 changed outside the fixed code"
    # Lines are counted as Python counts them: a form feed is no line break.
    assert untouched_lines_identical("\x0ca = y\nb = 2\n", "\x0ca = x\nb = 2\n", [_edit((1, 5), (1, 6))]) is None


def test_the_fixed_code_is_checked_as_check_does_and_what_is_left_is_a_whole_checks(monkeypatch):
    """After the edits, libcst reads only the blocks where a rule may fire: the findings left are the same."""
    from asynclint.app.fixes import apply

    source = (
        _source(3)
        + "\n\nasync def read(path):\n    with open(path) as f:  # reported, no fix\n        return f.read()\n"
        + "\n\ndef plain():\n    return 1  # nothing to check here\n"
    ).encode()
    whole_module_checks = []
    real = apply._whole
    monkeypatch.setattr(apply, "_whole", lambda *a, **k: whole_module_checks.append(1) or real(*a, **k))
    screened = fix_source(source, "big.py", Config(select=("ALL",)), unsafe=True)
    assert len(whole_module_checks) == 1  # the first pass's; what is left came from the reduced check
    monkeypatch.setenv("ASYNCLINT_NO_SCREEN", "1")  # every pass reads the whole module
    whole = fix_source(source, "big.py", Config(select=("ALL",)), unsafe=True)
    assert len(whole_module_checks) == 3
    assert screened.error is None and screened.fixed == whole.fixed != source
    assert screened.applied == whole.applied and screened.applied["ASL101"] == 9
    line = screened.fixed.split(b"\n").index(b"    with open(path) as f:  # reported, no fix") + 1
    assert [(d.code, d.line, d.fix) for d in screened.remaining] == [("ASL104", line, None)]
    assert screened.remaining == whole.remaining


def test_the_fixed_code_is_read_with_ast_once_when_the_whole_module_is_checked_again(monkeypatch):
    """A rule that may fire anywhere (ASL503 here) makes the check of the fixed code read all of it with libcst:
    the `ast` read its screen made is reused, not made again."""
    from asynclint.engine import screening

    source = (
        "import asyncio\nimport threading\nimport time\n\nlock = threading.Lock()\n\n\n"
        "async def held():\n    with lock:\n        await asyncio.sleep(0)\n\n\n"
        "async def nap():\n    time.sleep(1)\n"
    ).encode()
    config = Config(select=("ASL101", "ASL503"))
    reads: list[bytes | str] = []
    real = screening.facts_of_source
    monkeypatch.setattr(screening, "facts_of_source", lambda text, *a: reads.append(text) or real(text, *a))
    outcome = fix_source(source, "m.py", config, unsafe=True)
    assert outcome.error is None and outcome.applied["ASL101"] == 1
    assert b"    await asyncio.sleep(1)\n" in outcome.fixed
    assert [d.code for d in outcome.remaining] == ["ASL503"]
    assert reads.count(outcome.fixed) == 1
    # (The premise: the fixed code's screen cannot leave a block out.)
    assert screening.screen_blocks(rules_named(config.codes_for("m.py")), outcome.fixed, "m.py", config, None).keep is None
