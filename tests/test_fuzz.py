"""Property tests: `check` and `fix` never crash, and `fix` never writes code that does not parse.

Two sources of programs: hypothesmith's arbitrary ones (syntax coverage), and async modules
composed here, which put blocking calls in every kind of expression context (fix coverage).
"""

from __future__ import annotations

import hypothesmith
import libcst as cst
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from asynclint.app.fixes.apply import allowed, fix_source
from asynclint.core.config import Config
from asynclint.engine.lint import lint_source

ALL = Config(select=("ALL",))
# Derandomized: CI runs the same examples every time, in bounded time.
FUZZ = settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))


def check_and_fix(source: str) -> None:
    lint_source(source, "fuzz.py", ALL, raise_errors=True)
    for unsafe in (False, True):
        outcome = fix_source(source, "fuzz.py", ALL, unsafe=unsafe, raise_errors=True)
        assert outcome.error is None, outcome.error
        assert isinstance(outcome.fixed, str)
        cst.parse_module(outcome.fixed)  # never unparsable
        assert not [d for d in outcome.remaining if d.fix is not None and allowed(d.fix, unsafe)]
        again = fix_source(outcome.fixed, "fuzz.py", ALL, unsafe=unsafe, raise_errors=True)
        assert again.fixed == outcome.fixed  # idempotent


@FUZZ
@given(hypothesmith.from_node())
def test_arbitrary_programs(source: str) -> None:
    assume(len(source) < 2000)  # huge generated programs cost time and find nothing more
    check_and_fix(source)


IMPORTS = [
    "import time", "import time as t", "from time import sleep", "import asyncio", "import asyncio as aio",
    "from asyncio import sleep as asleep", "import trio", "import anyio", "import requests", "import subprocess",
    "from pathlib import Path", "import shutil", "import os", '"""Module docstring."""', "from __future__ import annotations",
]
CALLS = [
    "time.sleep(1)", "t.sleep(0.5)", "sleep(2)", "requests.get(url)", "requests.post(url, json={'a': 1})",
    "subprocess.run(['ls'], check=True)", "Path(url).read_text()", "shutil.rmtree(url)", "os.system(url)",
    "requests.get(\n        url,\n        timeout=3,  # note\n    )",
]
CONTEXTS = [
    "{c}", "x = {c}", "x = {c}.attr", "x = {c}[0]", "x = {c}()", "return {c}", "x = [{c} for _ in range(2)]",
    "x = any({c} for _ in range(2))", "x = f'{{{c}}}'", "with {c} as h:\n        pass", "if not {c}:\n        pass",
    "x = ({c})", "x = g({c}, k={c})", "x = lambda: {c}", "def inner():\n        return {c}", "x = -{c} ** 2",
    "x = 1 if {c} else 2", "await g({c})",
]


@st.composite
def async_modules(draw: st.DrawFn) -> str:
    imports = draw(st.lists(st.sampled_from(IMPORTS), max_size=6, unique=True))
    lines = [*imports, "", ""]
    for n in range(draw(st.integers(1, 3))):
        body = draw(st.lists(st.tuples(st.sampled_from(CONTEXTS), st.sampled_from(CALLS)), min_size=1, max_size=4))
        lines.append(f"async def f{n}(url, g):")
        lines.extend("    " + ctx.format(c=call) for ctx, call in body)
        lines.append("")
    source = "\n".join(lines) + "\n"
    if draw(st.booleans()):
        source = source.replace("\n", "\r\n")
    return source


@FUZZ
@given(async_modules())
def test_blocking_calls_in_every_context(source: str) -> None:
    try:
        cst.parse_module(source)
    except cst.ParserSyntaxError:
        return  # an impossible combination (e.g. `return` with a value in a generator)
    check_and_fix(source)
