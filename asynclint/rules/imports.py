"""Naming a module's attribute at a fix site: reuse an existing import, else schedule one."""

from __future__ import annotations

from typing import Iterator, Sequence

import libcst as cst
from libcst.metadata import Assignment, ScopeProvider

from asynclint.analysis.cst.context import dotted, top_level_statements
from asynclint.rules.base import Rule


def dotted_name(dotted: str) -> cst.Name | cst.Attribute:
    """`a.b.c` as a libcst expression."""
    head, *rest = dotted.split(".")
    node: cst.Name | cst.Attribute = cst.Name(head)
    for part in rest:
        node = cst.Attribute(value=node, attr=cst.Name(part))
    return node


def binding_for(rule: Rule, site: cst.CSTNode, module: str, attr: str) -> tuple[cst.BaseExpression, tuple[str, ...]] | None:
    """An expression for `module.attr` at `site`, and the imports it needs; None if no safe spelling.

    An existing import is reused (`import asyncio as aio` -> `aio.sleep`, `from asyncio import
    sleep` -> `sleep`) when, at the site, its name means that import and nothing else. Otherwise
    `module.attr` is spelled out with `import module` scheduled, unless `module` already names
    something else there (a parameter called `asyncio`): then there is no fix.
    """
    scope = rule.get_metadata(ScopeProvider, site, None)
    if scope is None:
        return None
    found = rule.ctx.import_bindings.get((module, attr))
    if found is None:
        found = tuple(_import_bindings(rule.ctx.imports, module, attr.split(".")))
        rule.ctx.import_bindings[module, attr] = found
    bound: dict[str, object] = {}  # name -> its one assignment at the site (None: not exactly one)
    for stmt, head, rest in found:
        if head not in bound:  # (a module may import the same name many times: look it up once)
            assignments = scope[head]
            bound[head] = next(iter(assignments)) if len(assignments) == 1 else None
        only = bound[head]
        if isinstance(only, Assignment) and only.node is stmt:
            return dotted_name(".".join((head, *rest))), ()
    top = module.split(".")[0]
    if scope[top]:
        return None
    return dotted_name(f"{module}.{attr}"), (module,)


def _import_bindings(
    imports: Sequence[cst.Import | cst.ImportFrom], module: str, parts: Sequence[str]
) -> Iterator[tuple[cst.CSTNode, str, tuple[str, ...]]]:
    """(import statement, the name it binds, the attribute path left) for each import of `module`."""
    for stmt in imports:
        if isinstance(stmt, cst.Import):
            for alias in stmt.names:
                name = dotted(alias.name)
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    if name == module:
                        yield stmt, alias.asname.name.value, tuple(parts)
                elif name == module or name.startswith(module + "."):
                    # `import asyncio.subprocess` binds `asyncio` too.
                    yield stmt, name.split(".")[0], (*module.split(".")[1:], *parts)
        elif isinstance(stmt, cst.ImportFrom) and not stmt.relative and stmt.module is not None:
            if dotted(stmt.module) != module or isinstance(stmt.names, cst.ImportStar):
                continue
            for alias in stmt.names:
                if dotted(alias.name) == parts[0]:
                    bound = alias.asname.name if alias.asname is not None else alias.name
                    if isinstance(bound, cst.Name):
                        yield stmt, bound.value, tuple(parts[1:])


def add_imports(module: cst.Module, modules: Sequence[str]) -> cst.Module:
    """Add `import X` for each module not already imported plainly, where isort would keep it.

    After the docstring and `from __future__` imports; in the leading block of imports, in
    alphabetical order among the plain `import` lines and before the `from` lines; with no
    leading imports, right before the first statement of code, separated from it as PEP 8 asks.
    """
    wanted = sorted(set(modules) - _plainly_imported(module))
    body = list(module.body)
    for name in wanted:
        stmt = cst.parse_statement(f"import {name}\n", config=module.config_for_parsing)
        start = _first_import(body)
        index = _insertion_index(body, name)
        following = body[index] if index < len(body) else None
        has_imports = start < len(body) and _is_import(body[start])
        if following is not None and (index == start or not has_imports):
            # The new line takes over the spacing (and comments) above the statement it precedes.
            stmt = stmt.with_changes(leading_lines=getattr(following, "leading_lines", ()))
            spacing = () if has_imports else _blank_lines(2 if _is_definition(following) else 1)
            body[index] = following.with_changes(leading_lines=spacing)
        body.insert(index, stmt)
    return module.with_changes(body=body) if wanted else module


def _blank_lines(count: int) -> tuple[cst.EmptyLine, ...]:
    return tuple(cst.EmptyLine() for _ in range(count))


def _is_definition(stmt: cst.BaseStatement) -> bool:
    return isinstance(stmt, (cst.FunctionDef, cst.ClassDef))


def _plainly_imported(module: cst.Module) -> set[str]:
    found: set[str] = set()
    for stmt in top_level_statements(module.body):
        if isinstance(stmt, cst.Import):
            found.update(dotted(a.name) for a in stmt.names if a.asname is None)
    return found


def _is_import(stmt: cst.BaseStatement | None) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and all(
        isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body
    )


def _is_future(stmt: cst.BaseStatement) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and isinstance(stmt.body[0], cst.ImportFrom)
        and isinstance(stmt.body[0].module, cst.Name)
        and stmt.body[0].module.value == "__future__"
    )


def _is_docstring(stmt: cst.BaseStatement) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def _first_import(body: Sequence[cst.BaseStatement]) -> int:
    start = 1 if body and _is_docstring(body[0]) else 0
    while start < len(body) and _is_future(body[start]):
        start += 1
    return start


def _insertion_index(body: Sequence[cst.BaseStatement], name: str) -> int:
    start = _first_import(body)
    index = start
    while index < len(body) and _is_import(body[index]):
        stmt = body[index]
        assert isinstance(stmt, cst.SimpleStatementLine)
        first = stmt.body[0]
        if isinstance(first, cst.Import) and dotted(first.names[0].name) >= name:
            return index
        if isinstance(first, cst.ImportFrom):
            return index  # plain imports of the stdlib block come before `from` imports
        index += 1
        if index < len(body) and _is_import(body[index]):
            following = body[index]
            assert isinstance(following, cst.SimpleStatementLine)
            if following.leading_lines:
                return index  # a blank line ends the block (isort's section)
    return index


def simple_statements(module: cst.Module) -> set[str]:
    """The code of each simple statement line of the module's body, stripped.

    What a module statement (`Fix.module_statements`, one simple statement) is compared with:
    a compound statement (a `def`, a `class`) cannot be one, and generating its code would
    generate most of a big module.
    """
    return {module.code_for_node(stmt).strip() for stmt in module.body if isinstance(stmt, cst.SimpleStatementLine)}


def add_module_statements(module: cst.Module, statements: Sequence[str]) -> cst.Module:
    """Add each module-level statement not already there, after the leading imports."""
    if not statements:
        return module  # (below, every statement's code is generated)
    present = simple_statements(module)
    wanted = [text for text in dict.fromkeys(statements) if text not in present]
    if not wanted:
        return module
    body = list(module.body)
    index = _first_import(body)
    while index < len(body) and _is_import(body[index]):
        index += 1
    new = [cst.parse_statement(text + "\n", config=module.config_for_parsing) for text in wanted]
    new[0] = new[0].with_changes(leading_lines=_blank_lines(1 if index else 0))
    body[index:index] = new  # the statement after keeps its own spacing and comments
    return module.with_changes(body=body)
