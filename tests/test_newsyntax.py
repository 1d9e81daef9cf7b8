"""Type parameters erased for an `ast` older than the syntax (analysis/newsyntax.py)."""

from __future__ import annotations

import ast

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from asynclint.analysis.astwalk import facts_of_source
from asynclint.analysis.newsyntax import without_type_parameters
from asynclint.analysis.modules import parse_ast
from asynclint.analysis.index.indexer import index_source

SOURCE = (
    "type X = int\n"
    "type Y[T] = list[T]  # a comment\n"
    "class A[\n"
    "    T: int = str,  # a comment in the parameters\n"
    "    **P,\n"
    "](B):\n"
    "    type Z = int\n"
    "\n"
    "    async def m[U](self, u: U) -> U:\n"
    "        return await g(u)\n"
    "\n"
    "def f[T](x: T) -> T: return x\n"
    "class C[T]: pass\n"
    "x = 1; type W = int\n"
    "async def h[\n"
    "    T,\n"
    "](x):\n"
    "    type = 3\n"
    "    return type(x), x.type\n"
)


def spans_by_libcst(source: str) -> list[tuple[str, int, int]]:
    """(name, first line, last line) of every def and class, as libcst reads the original."""
    wrapper = MetadataWrapper(cst.parse_module(source))
    positions = wrapper.resolve(PositionProvider)
    return sorted(
        (node.name.value, positions[node].start.line, positions[node].end.line)
        for node in positions
        if isinstance(node, (cst.FunctionDef, cst.ClassDef))
    )


def spans_by_ast(tree: ast.Module) -> list[tuple[str, int, int]]:
    return sorted(
        (node.name, node.lineno, node.end_lineno or 0)
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    )


def test_the_erased_source_parses_with_every_definition_on_its_lines():
    erased = without_type_parameters(SOURCE.encode())
    assert erased is not None
    tree = ast.parse(erased)
    assert spans_by_ast(tree) == spans_by_libcst(SOURCE)
    assert len(erased.splitlines()) == len(SOURCE.splitlines())
    # `type` statements read as assignments; `type` as a name is left alone.
    assigned = {t.id for n in ast.walk(tree) if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
    assert assigned == {"X", "Y", "Z", "W", "x", "type"}
    assert "return type(x), x.type" in erased
    # The same from text, and from a file whose lines end in CRLF.
    assert without_type_parameters(SOURCE) == erased
    crlf = without_type_parameters(SOURCE.replace("\n", "\r\n").encode())
    assert crlf is not None and spans_by_ast(ast.parse(crlf)) == spans_by_libcst(SOURCE)


def test_parse_ast_reads_type_parameters_whatever_the_python():
    tree = parse_ast(SOURCE.encode())
    assert tree is not None
    assert spans_by_ast(tree) == spans_by_libcst(SOURCE)
    # The index knows the coroutine functions of such a file, and the pre-screen has its facts.
    entry = index_source(SOURCE.encode(), "example.py")
    assert entry is not None and entry[1].functions.get("h") == "async"
    facts = facts_of_source(SOURCE.encode(), "example", False)
    assert facts is not None and {b.header for b in facts.blocks.values()} >= {3, 9, 12, 13, 15}


@pytest.mark.parametrize(
    "source",
    [
        b"x = 1\n",
        b"type = 3\nprint(type(x))\n",
        b"def f(x):\n    return x[0]\n",
        b"\xff\xfe not python\n",
        # In strings and comments it is no syntax.
        b'x = """\ntype X = 1\ndef f[T]():\n"""\n# class C[T]:\ny = f"def g[T]" + \'type Y = 2\'\n',
    ],
)
def test_nothing_to_erase(source):
    assert without_type_parameters(source) is None


@pytest.mark.parametrize(
    "source",
    [
        b"type X = \n",  # a syntax error of its own
        b"def f[T](x:\n    pass\n",
        b"class C[T:\n    pass\n",
    ],
)
def test_a_syntax_error_stays_unreadable(source):
    assert parse_ast(source) is None
