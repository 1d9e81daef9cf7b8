"""The pre-screen never hides a finding: every rule reports the same with and without it.

`ASYNCLINT_NO_SCREEN=1` turns the screen off (trigger words, index identifiers, the rules'
`ast` screens and the reduced source libcst is given). The fixtures alone cannot show the
screen is sound (test_fixtures.py compares them one by one), so these programs are built to
break it: fixture modules combined two by two into one module, their top-level statements
reordered, their names reused across functions (as globals, locals, attributes and
parameters), async modules composed from a small pool of names, and hypothesmith's
arbitrary programs given coroutine functions to call.
"""

from __future__ import annotations

import ast
import itertools
import os
import re
from contextlib import contextmanager
from typing import Iterator

import hypothesmith
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from asynclint.app.testing import fixture_files
from asynclint.core.config import Config
from asynclint.engine.lint import lint_source

ALL = Config(select=("ALL",))
# Derandomized and small: CI runs the same examples every time, in bounded time.
SAMPLES = settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
#: hypothesmith's programs are slow to make, and rarely reach a rule: fewer of them.
ARBITRARY = settings(SAMPLES, max_examples=20)
FIXTURE_SOURCES = {path.parent.name + "/" + path.name: path.read_text("utf-8") for path in fixture_files()}


@contextmanager
def _no_screen() -> Iterator[None]:
    saved = os.environ.get("ASYNCLINT_NO_SCREEN")
    os.environ["ASYNCLINT_NO_SCREEN"] = "1"
    try:
        yield
    finally:
        if saved is None:
            del os.environ["ASYNCLINT_NO_SCREEN"]
        else:
            os.environ["ASYNCLINT_NO_SCREEN"] = saved


def _findings(source: str) -> list[tuple[int, int, str, str]]:
    # Bytes, as `asynclint check` reads files: the screen then also gives libcst a reduced source.
    result = lint_source(source.encode("utf-8"), "stressed.py", ALL, raise_errors=True)
    return sorted((d.line, d.col, d.code, d.message) for d in result.diagnostics)


def assert_screen_hides_nothing(source: str) -> None:
    screened = _findings(source)
    with _no_screen():
        unscreened = _findings(source)
    assert screened == unscreened, f"the screen changes the findings of:\n{source}"


def test_a_local_named_as_a_global_read_elsewhere():
    # Issue 18: `value` read as a global in `load` hid the unused coroutine in `forgot_await`.
    source = (
        "async def load(key):\n    return key, value\n\n"
        "async def forgot_await(key):\n    value = load(key)\n    return key\n"
    )
    assert_screen_hides_nothing(source)
    assert [f[:3] for f in _findings(source)] == [(5, 4, "ASL202")]  # t.py:5:5


# --- Fixtures, combined and rearranged -----------------------------------------------------------

_FUTURE = re.compile(r"^from __future__ import [^\n]*\n", re.MULTILINE)


def combined(*sources: str) -> str:
    """One module made of several: `from __future__` imports first, then each source in turn."""
    futures = sorted({line for source in sources for line in _FUTURE.findall(source)})
    return "".join(futures) + "\n\n".join(_FUTURE.sub("", source) for source in sources)


def _spans(tree: ast.Module) -> list[tuple[int, int, ast.stmt]]:
    return [
        (min([s.lineno, *(d.lineno for d in getattr(s, "decorator_list", ()))]), s.end_lineno or s.lineno, s)
        for s in tree.body
    ]


def reordered(source: str) -> str:
    """The module with its top-level statements in reverse order, imports (and a docstring) first."""
    lines = source.splitlines(keepends=True)
    first, rest = [], []
    for start, end, stmt in _spans(ast.parse(source)):
        text = "".join(lines[start - 1 : end])
        header = isinstance(stmt, (ast.Import, ast.ImportFrom)) or (
            isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and not first and not rest
        )
        (first if header else rest).append(text if text.endswith("\n") else text + "\n")
    return "".join(first) + "\n\n" + "\n\n".join(reversed(rest))


def _names_of(tree: ast.Module) -> tuple[list[str], list[str], list[str]]:
    """The module's local variables and parameters, its attributes, and its top-level definitions."""
    defined = {s.name for s in tree.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    local: set[str] = set()
    attributes: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            local.add(node.id)
        elif isinstance(node, ast.arg):
            local.add(node.arg)
        elif isinstance(node, ast.Attribute):
            attributes.add(node.attr)
    keywords = {"self", "cls", "__class__"}
    return sorted(local - defined - keywords), sorted(attributes - keywords), sorted(defined)


def names_reused(source: str) -> str:
    """The module, with every local name of it also read as a global elsewhere, made a global,
    a parameter and an attribute, and each of its definitions' names read, stored and passed on."""
    local, attributes, defined = _names_of(ast.parse(source))
    everything = sorted({*local, *attributes, *defined})
    if not everything:
        return source
    read = ", ".join(everything)
    params = ", ".join(f"{name}=None" for name in everything)
    lines = [
        source,
        "\n\ndef _reads_globals():",
        f"    return ({read},)",
        "\n\nasync def _binds_locals():",
        *(f"    {name} = _reads_globals()" for name in local),
        *(f"    {name} = {name}()" for name in defined),
        "    return None",
        "\n\nclass _Reuses:",
        f"    def __init__(self, {params}):",
        *(f"        self.{name} = {name}" for name in everything),
        "",
        "    async def reads(self, other):",
        *(f"        other.{name}(self.{name})" for name in everything),
        "",
        *(f"{name} = None" for name in local),
        "",
    ]
    return "\n".join(lines)


_FIXTURES = sorted(FIXTURE_SOURCES)
#: A deterministic sample of the pairs (all of them take minutes): each fixture with the one
#: halfway round the sorted list, so that pairs mix rule families.
_PAIRS = [(a, _FIXTURES[(i + len(_FIXTURES) // 2) % len(_FIXTURES)]) for i, a in enumerate(_FIXTURES)]


def test_pairs_cover_every_fixture():
    assert {name for pair in _PAIRS for name in pair} == set(_FIXTURES)


def test_fixtures_combined_in_pairs():
    for a, b in _PAIRS:
        assert_screen_hides_nothing(combined(FIXTURE_SOURCES[a], FIXTURE_SOURCES[b]))


def test_fixtures_reordered_with_names_reused():
    for name in _FIXTURES:
        source = FIXTURE_SOURCES[name]
        if not _compiles(source):
            continue  # newer syntax than this Python's `ast` reads: nothing to rearrange by
        assert_screen_hides_nothing(names_reused(reordered(source)))


# --- Composed async modules: a small pool of names, reused in every role ------------------------

NAMES = ["value", "task", "loop", "key", "fetch", "items", "session"]
STATEMENTS = [
    "{a} = {f}({b})", "{a} = asyncio.create_task({f}({b}))", "{a} = asyncio.ensure_future({f}())",
    "await {f}({a})", "{f}({a})", "return {a}", "print({a})", "{a}.{b}()", "{a}.{b} = {f}()",
    "del {a}", "{a} = [{f}(x) for x in {b}]", "{a} = [{b} for {b} in {a}]", "{a} = lambda {b}: {b}",
    "{a} = lambda: {b}", "global {a}", "nonlocal {a}", "import {a}", "from os import {a}",
    "for {a} in {b}:\n{i}    await {f}({a})", "try:\n{i}    await {f}()\n{i}except Exception as {a}:\n{i}    pass",
    "with {f}() as {a}:\n{i}    await asyncio.sleep(0)", "{a} = {b} = {f}()", "{a} += 1", "{a}: int = {f}()",
    "if {f}():\n{i}    pass", "{a} = asyncio.run({f}())", "{a} = loop.run_until_complete({f}())",
    "x = await asyncio.gather({f}(), return_exceptions=True)", "{a} = {b}.{a}",
    "match {a}:\n{i}    case {b}:\n{i}        pass", "self.{f}()", "{a} = self.{f}()", "{a} = await self.{f}({b})",
    "{a} = {f}\n{i}{a}()", "for {a} in {b}:\n{i}    {a} = {f}({a})",
]
HEADERS = ["async def {n}({p}):", "def {n}({p}):", "class {N}:\n    async def {n}(self, {p}):", "async def {n}(*, {p}=None):"]


@st.composite
def async_modules(draw: st.DrawFn) -> str:
    name = st.sampled_from(NAMES)
    lines = ["import asyncio", ""]
    if draw(st.booleans()):
        lines += [f"{draw(name)} = None", ""]
    for number in range(draw(st.integers(2, 4))):
        header = draw(st.sampled_from(HEADERS))
        indent = "        " if header.startswith("class") else "    "
        lines.append(header.format(n=draw(name), N=draw(name).title(), p=draw(name)))
        nested = draw(st.booleans())
        if nested:  # the statements in a function nested in it
            lines.append(f"{indent}{draw(st.sampled_from(['async def', 'def']))} {draw(name)}({draw(name)}):")
            indent += "    "
        for _ in range(draw(st.integers(1, 5))):
            statement = draw(st.sampled_from(STATEMENTS))
            lines.append(indent + statement.format(a=draw(name), b=draw(name), f=draw(name), i=indent))
        if nested and draw(st.booleans()):
            lines.append(indent[:-4] + draw(st.sampled_from(STATEMENTS)).format(a=draw(name), b=draw(name), f=draw(name), i=indent[:-4]))
        lines.append("")
    return "\n".join(lines) + "\n"


def _compiles(source: str) -> bool:
    try:
        compile(source, "stressed.py", "exec", flags=ast.PyCF_ONLY_AST)
        compile(source, "stressed.py", "exec", dont_inherit=True)  # symbol table errors (`nonlocal` without binding)
    except (SyntaxError, ValueError):
        return False
    return True


@SAMPLES
@given(async_modules())
def test_composed_async_modules(source: str) -> None:
    assume(_compiles(source))
    assert_screen_hides_nothing(source)


# --- hypothesmith programs, given coroutine functions to call -----------------------------------


def with_coroutine_functions(source: str) -> str:
    """The program after an `async def` of every name it reads (so its calls make coroutines)."""
    tree = ast.parse(source)
    read = sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)})
    prelude = "".join(f"async def {name}(*args, **kwargs):\n    pass\n" for name in read[:20])
    return "import asyncio\n" + prelude + "\n" + source


@ARBITRARY
@given(hypothesmith.from_node())
def test_hypothesmith_programs(source: str) -> None:
    assume(len(source) < 2000 and "__future__" not in source)
    try:
        program = with_coroutine_functions(source)
    except (SyntaxError, ValueError, RecursionError):
        assume(False)
    assume(_compiles(program))
    assert_screen_hides_nothing(program)


def test_combining_keeps_every_module_whole():
    # The builders themselves: a combined, reordered or renamed module still holds its parts.
    a, b = (FIXTURE_SOURCES[name] for name in itertools.islice(_FIXTURES, 2))
    assert _compiles(combined(a, b)) and _compiles(reordered(a)) and _compiles(names_reused(a))
    tree = ast.parse(reordered(a))
    assert sorted(ast.dump(s) for s in tree.body) == sorted(ast.dump(s) for s in ast.parse(a).body)
