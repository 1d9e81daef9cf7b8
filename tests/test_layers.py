"""The package's layers: imports go one way, core <- analysis <- rules <- engine <- app, with no circle.

Every import counts, a deferred one (inside a function) included: a deferred import may keep
libcst out of a warm run, never hide a circle. A typing-only import (`if TYPE_CHECKING:`) may not
point up a layer either; within a layer it may point back (annotations are never run). Each
module is also imported alone in a fresh interpreter, which must load nothing above its layer.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import asynclint

PACKAGE = Path(asynclint.__file__).parent
LAYERS = ("core", "analysis", "rules", "engine", "app")


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def layer(module: str) -> int:
    """The layer of a module: its index in LAYERS (`asynclint` itself and `__main__` are the app's)."""
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in LAYERS:
        return LAYERS.index(parts[1])
    if module in ("asynclint.__main__", "asynclint.dev"):
        return LAYERS.index("app")
    if module == "asynclint":
        return -1  # the package: imports nothing at import time (its API imports what it needs when called)
    raise AssertionError(f"{module} is in no layer: put it under one of {LAYERS}")


def imports(module: str, typing: bool = True) -> set[str]:
    """The asynclint modules a module imports, anywhere in it (`typing`: typing-only imports too)."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = set()
    if not typing:
        for block in ast.walk(tree):
            if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test):
                skipped.update(id(node) for statement in block.body for node in ast.walk(statement))
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, *([base] if base else [])])
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
    return {name for name in found if name in MODULES and name != module}


def test_every_module_is_in_a_layer():
    for module in MODULES:
        layer(module)


@pytest.mark.parametrize("module", [m for m in MODULES if m != "asynclint"])
def test_imports_go_down_the_layers(module):
    upward = sorted(name for name in imports(module) if name != "asynclint" and layer(name) > layer(module))
    assert not upward, f"{module} ({LAYERS[layer(module)]}) imports a layer above it: {upward}"


def test_no_import_circle():
    graph = {module: imports(module, typing=False) - {"asynclint"} for module in MODULES}
    # Tarjan's strongly connected components: any with two modules or more is a circle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                connect(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for module in graph:
        if module not in index:
            connect(module)
    assert not circles, f"import circles: {circles}"


def test_each_module_alone_loads_nothing_above_its_layer():
    # One fresh interpreter imports each module in layer order, each time after forgetting every
    # asynclint module imported before (a module must not rely on one imported earlier).
    ordered = sorted((m for m in MODULES if m not in ("asynclint", "asynclint.__main__", "asynclint.dev")), key=lambda m: (layer(m), m))
    script = f"""
import importlib, sys
LAYERS = {LAYERS!r}
def layer(name):
    parts = name.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else -1
bad = []
for module in {ordered!r}:
    for name in [n for n in sys.modules if n == "asynclint" or n.startswith("asynclint.")]:
        del sys.modules[name]
    importlib.import_module(module)
    above = sorted(n for n in sys.modules if n.startswith("asynclint.") and layer(n) > layer(module))
    if above:
        bad.append((module, above))
print(bad)
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]", result.stdout
