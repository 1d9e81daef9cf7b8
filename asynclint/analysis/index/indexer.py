"""The indexer: what one module defines, read with `ast` (see `model.py` for what is kept)."""

from __future__ import annotations

import ast
import json
from typing import Any, Iterable, SupportsBytes

from asynclint.analysis.modules import flatten as _flatten
from asynclint.analysis.callgraph import summarize
from asynclint.analysis.index.declared import DeclaredReader, rebound_names
from asynclint.analysis.modules import (
    LEAF_FIELDS,
    absolutize,
    is_package_init,
    module_name,
    parse_ast,
)
from asynclint.core.paths import read_source

ASYNC, SYNC, UNKNOWN = "async", "sync", "unknown"
#: A plain `def` that always ends by raising (`def _fail(msg): raise Error(msg)`): a sync function
#: that a handler may call to re-raise on its behalf (ASL401).
RAISES = "raises"

#: Decorators known to leave a coroutine function a coroutine function (qualified names;
#: `pytest.mark.` is a prefix). Anything else makes the function unresolved.
KEEPS_COROUTINE = frozenset(
    {
        "staticmethod",
        "classmethod",
        "abc.abstractmethod",
        "typing.override",
        "typing_extensions.override",
        "functools.wraps",
    }
)
KEEPS_COROUTINE_PREFIXES = ("pytest.mark.",)
#: The key prefix of a star import in `ModuleInfo.aliases` (`*pkg.client` -> `pkg.client`).
STAR = "*"


class ModuleInfo:
    """What one module defines, as far as coroutine resolution needs.

    Read from the index cache, it stays JSON text until first used (`stored`): a warm run
    reads thousands and uses few.
    """

    __slots__ = ("_functions", "_classes", "_aliases", "_idle", "_summaries", "_declared", "_stored", "_stars")

    def __init__(
        self,
        functions: dict[str, str] | None = None,
        classes: dict[str, dict[str, Any]] | None = None,  # name -> {"bases": [...], "methods": {...}}
        aliases: dict[str, str] | None = None,  # bound name -> absolute qualified target
        idle: dict[str, list[str]] | None = None,  # `async def`s that may never suspend -> what they await
        summaries: dict[str, str] | None = None,  # sync function key -> what it calls (analysis/callgraph.py)
        declared: dict[str, list[str]] | None = None,  # declared types (analysis/index/declared.py)
    ) -> None:
        self._functions = {} if functions is None else functions
        self._classes = {} if classes is None else classes
        self._aliases = {} if aliases is None else aliases
        self._idle = {} if idle is None else idle
        self._summaries = {} if summaries is None else summaries
        self._declared = {} if declared is None else declared
        self._stored: tuple[str | bytes | SupportsBytes, str, str] | None = None

    @classmethod
    def stored(cls, text: str | bytes | SupportsBytes, path: str, module: str) -> ModuleInfo:
        """The info `to_text` wrote for the file at `path`, decoded when first used (read again if malformed).

        `text` may be a part of the index cache's file (`store.py`), read only when used.
        """
        info = cls.__new__(cls)  # (the fields are set when decoded)
        info._stored = (text, path, module)
        return info

    def __reduce__(self) -> tuple[Any, ...]:
        # (pickled for a worker process that is not forked: a part of the cache's file cannot be)
        if self._stored is not None:
            return (ModuleInfo.stored, (self.to_text(), *self._stored[1:]))
        return (ModuleInfo, (self._functions, self._classes, self._aliases, self._idle, self._summaries, self._declared))

    def to_text(self) -> str:
        """The info as compact JSON text (the text it was read from, while not decoded)."""
        if self._stored is not None:
            text = self._stored[0]
            return text if isinstance(text, str) else (text if isinstance(text, bytes) else bytes(text)).decode()
        tables = [self.functions, self.classes, self.aliases, self.idle, self.summaries, self.declared]
        return json.dumps(tables, separators=(",", ":"))

    @property
    def functions(self) -> dict[str, str]:
        """Function name (`f`, `Class.method`) -> `async`, `sync` or `unknown`."""
        if self._stored is not None:
            self._decode()
        return self._functions

    @property
    def classes(self) -> dict[str, dict[str, Any]]:
        """Class name -> {"bases": [...], "methods": {...}}."""
        if self._stored is not None:
            self._decode()
        return self._classes

    @property
    def aliases(self) -> dict[str, str]:
        """Bound name -> absolute qualified target."""
        if self._stored is not None:
            self._decode()
        return self._aliases

    def star_sources(self) -> tuple[str, ...]:
        """The modules this one star-imports (`from .client import *`), the last import first (it
        binds last): asked for every name a lookup does not find bound here, so made once."""
        try:
            return self._stars
        except AttributeError:  # (not asked yet: the slot is unset)
            self._stars: tuple[str, ...] = tuple(source for key, source in reversed(self.aliases.items()) if key.startswith(STAR))
            return self._stars

    @property
    def idle(self) -> dict[str, list[str]]:
        """Key (`f`, `Class.method`, `outer.<locals>.f`) -> the dotted names it awaits (`helper`,
        `mod.helper`), for each `async def` whose own code has no `async for`/`async with` and
        awaits only calls of dotted names (none at all: an empty list). It never suspends when
        each of those never does (`ProjectIndex.never_suspends`, ASL301-303)."""
        if self._stored is not None:
            self._decode()
        return self._idle

    @property
    def summaries(self) -> dict[str, str]:
        """Sync function key -> its blocking calls and other resolved calls, as text (`analysis/callgraph.py`)."""
        if self._stored is not None:
            self._decode()
        return self._summaries

    @property
    def declared(self) -> dict[str, list[str]]:
        """Declared types: key (`Class.attr`, `f()`, `name`...) -> qualified class names (`analysis/index/declared.py`)."""
        if self._stored is not None:
            self._decode()
        return self._declared

    def _decode(self) -> None:
        assert self._stored is not None
        text, path, module = self._stored
        self._stored = None
        try:
            functions, classes, aliases, idle, summaries, declared = json.loads(text if isinstance(text, (str, bytes)) else bytes(text))
            if not all(isinstance(table, dict) for table in (functions, classes, aliases, summaries, declared)):
                raise ValueError(text)
            if not (isinstance(idle, dict) and all(isinstance(v, list) for v in idle.values())):
                raise ValueError(text)
        except (ValueError, TypeError):  # a corrupt cache entry is never trusted: the file is read again
            fresh = _read_again(path, module)
            functions, classes, aliases, idle, summaries = fresh.functions, fresh.classes, fresh.aliases, fresh.idle, fresh.summaries
            declared = fresh.declared
        self._functions, self._classes, self._aliases, self._idle = functions, classes, aliases, idle
        self._summaries, self._declared = summaries, declared

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ModuleInfo):
            return NotImplemented
        mine = (self.functions, self.classes, self.aliases, self.idle, self.summaries, self.declared)
        return mine == (other.functions, other.classes, other.aliases, other.idle, other.summaries, other.declared)

    def __repr__(self) -> str:
        return (
            f"ModuleInfo(functions={self.functions!r}, classes={self.classes!r}, aliases={self.aliases!r}, idle={self.idle!r})"
        )



class _Indexer:
    """Collects a module's definitions from its `ast`."""

    def __init__(self, module: str, package_init: bool, may_yield: bool = True) -> None:
        self.module = module
        self.package_init = package_init
        #: False when the source has no `yield` at all: no function of it is a generator.
        self.may_yield = may_yield
        self.info = ModuleInfo()

    def run(self, tree: ast.Module) -> ModuleInfo:
        self._imports(tree.body)
        self._body(tree.body, prefix="", functions=self.info.functions)
        methods = {name: entry["methods"] for name, entry in self.info.classes.items()}
        reader = DeclaredReader(self._qualify_type, methods, self.info.functions)
        self.info._declared = reader.run(tree)
        # (after the declared types: a summary reads its parameters' annotations as they do)
        self.info._summaries = summarize(tree, self.module, self.info, reader.types)
        return self.info

    def _imports(self, body: Iterable[ast.stmt]) -> None:
        for stmt in _flatten(body):
            if isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    if alias.asname:
                        self.info.aliases[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".")[0]
                        self.info.aliases[top] = top
            elif isinstance(stmt, ast.ImportFrom):
                source = absolutize("." * stmt.level + (stmt.module or ""), self.module, self.package_init)
                for alias in stmt.names:
                    if alias.name != "*":
                        self.info.aliases[alias.asname or alias.name] = f"{source}.{alias.name}".lstrip(".")
                    elif source:  # (`from .client import *`: a key no name can be, `ProjectIndex` follows it)
                        self.info.aliases[STAR + source] = source

    def _body(self, body: list[ast.stmt], prefix: str, functions: dict[str, str]) -> None:
        defined: list[str] = []
        for stmt in _flatten(body):
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                _define(functions, prefix + stmt.name, self._kind(stmt, prefix + stmt.name))
                defined.append(stmt.name)
                self._body(stmt.body, f"{prefix}{stmt.name}.<locals>.", functions)
            elif isinstance(stmt, ast.ClassDef) and not prefix:
                methods: dict[str, str] = {}
                for item in _flatten(stmt.body):
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        _define(methods, item.name, self._kind(item, f"{stmt.name}.{item.name}"))
                        # (a function nested in a method: `Class.method.<locals>.inner`)
                        self._body(item.body, f"{stmt.name}.{item.name}.<locals>.", functions)
                _unknown_if_rebound(methods, "", list(methods), stmt.body)
                bases = [self._resolve(b) for b in stmt.bases]
                entry = {"bases": [b for b in bases if b], "methods": methods}
                if stmt.name in self.info.classes or stmt.name in functions:
                    functions[stmt.name] = UNKNOWN
                self.info.classes[stmt.name] = entry
        _unknown_if_rebound(functions, prefix, defined, body)

    def _kind(self, node: ast.FunctionDef | ast.AsyncFunctionDef, key: str) -> str:
        if not all(self._keeps_coroutine(d) for d in node.decorator_list):
            return UNKNOWN
        if isinstance(node, ast.FunctionDef):
            return RAISES if _always_raises(node.body) and not _returns(node) else SYNC
        yields, awaited = _own_code(node, self.may_yield)
        if yields:
            return UNKNOWN
        if awaited is not None:
            self.info.idle[key] = awaited  # (a name defined twice is UNKNOWN: `never_suspends` asks for ASYNC)
        return ASYNC

    def _keeps_coroutine(self, decorator: ast.expr) -> bool:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = self._resolve(target)
        return name is not None and (name in KEEPS_COROUTINE or name.startswith(KEEPS_COROUTINE_PREFIXES))

    def _qualify_type(self, node: ast.expr) -> str | None:
        """`_resolve`, for a name the module imports or defines only (None for a builtin, a local, a type variable)."""
        root = node
        while isinstance(root, ast.Attribute):
            root = root.value
        if not isinstance(root, ast.Name):
            return None
        known = root.id in self.info.aliases or root.id in self.info.classes or root.id in self.info.functions
        return self._resolve(node) if known else None

    def _resolve(self, node: ast.expr) -> str | None:
        """A dotted expression as a qualified name, through the module's imports."""
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.insert(0, node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        head = self.info.aliases.get(node.id)
        if head is None:
            local = f"{self.module}.{node.id}"
            head = local if node.id in self.info.classes or node.id in self.info.functions else node.id
        return ".".join([head, *parts])


def _unknown_if_rebound(table: dict[str, str], prefix: str, names: list[str], body: list[ast.stmt]) -> None:
    """A coroutine function whose name the same scope also assigns (`fetch = wrap(fetch)`,
    `inner = lambda: None`) may not be one where it is called: not known for sure."""
    coroutines = {name for name in names if table.get(prefix + name) == ASYNC}
    if coroutines:
        for name in coroutines & rebound_names(body, definitions=False):
            table[prefix + name] = UNKNOWN


def _define(table: dict[str, str], name: str, kind: str) -> None:
    # A name defined twice (`if PY3: async def f` / `else: def f`) is not known for sure.
    table[name] = UNKNOWN if name in table else kind


def _always_raises(body: list[ast.stmt]) -> bool:
    """Whether a block ends in a `raise` on every path (an `if` whose branches all do counts)."""
    last = body[-1] if body else None
    if isinstance(last, ast.If):
        return _always_raises(last.body) and _always_raises(last.orelse)
    return isinstance(last, ast.Raise)


def _returns(node: ast.FunctionDef) -> bool:
    """Whether a function's own code has a `return` or a `yield` (nested functions aside)."""
    stack: list[ast.AST] = list(node.body)
    while stack:
        child = stack.pop()
        kind = type(child)
        if kind is ast.Return or kind is ast.Yield or kind is ast.YieldFrom:
            return True
        if kind not in _NESTED and kind not in _LEAVES:
            _push_children(stack, child, kind)
    return False


_NESTED = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef})
_LEAVES = frozenset({ast.Name, ast.Constant, ast.Load, ast.Store, ast.Pass})


def _own_code(node: ast.AST, may_yield: bool) -> tuple[bool, list[str] | None]:
    """One walk of an `async def`'s own code (not nested functions, lambdas, classes): whether it
    yields (looked for only when the file `may_yield`: an async generator is no coroutine function),
    and the dotted names it awaits calls of (`await helper(x)`, `await asyncio.sleep(1)`), sorted;
    None when it has an `async for`, an `async with`, or awaits anything else (a method, a task)."""
    found: set[str] | None = set()
    stack: list[ast.AST] = []
    _push_children(stack, node, type(node))
    while stack:
        child = stack.pop()
        kind = type(child)
        if kind is ast.Yield or kind is ast.YieldFrom:
            if may_yield:
                return True, None
        elif found is not None:
            if kind is ast.AsyncFor or kind is ast.AsyncWith:
                found = None
            elif kind is ast.Await:
                call = child.value  # type: ignore[attr-defined]
                name = _dotted(call.func) if isinstance(call, ast.Call) else None
                if name is None:
                    found = None
                else:
                    found.add(name)
        if found is None and not may_yield:
            return False, None
        if kind not in _NESTED and kind not in _LEAVES:
            fields = _CHILD_FIELDS.get(kind)  # (`_push_children`, inlined: this walks every `async def` of the project)
            if fields is None:
                _push_children(stack, child, kind)
                continue
            for field in fields:
                value = getattr(child, field, None)
                if type(value) is list:
                    stack.extend(value)
                elif isinstance(value, ast.AST):
                    stack.append(value)
    return False, sorted(found) if found is not None else None


#: Node type -> its fields that may hold nodes (none for what is not a node: a `global` statement's names).
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def _push_children(stack: list[Any], node: Any, kind: type) -> None:
    """Push what is right below `node` onto `stack` (`ast.iter_child_nodes`, without its two generators
    per node; the walks here do not depend on the order)."""
    fields = _CHILD_FIELDS.get(kind)
    if fields is None:
        names = getattr(kind, "_fields", ()) if issubclass(kind, ast.AST) else ()
        fields = _CHILD_FIELDS[kind] = tuple(f for f in names if f not in LEAF_FIELDS)
    for field in fields:
        value = getattr(node, field, None)
        if type(value) is list:
            stack.extend(value)
        elif isinstance(value, ast.AST):
            stack.append(value)


def _dotted(expr: ast.expr) -> str | None:
    """`a.b.c` as text; None for anything but names and attributes."""
    parts: list[str] = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    if not isinstance(expr, ast.Name):
        return None
    parts.append(expr.id)
    return ".".join(reversed(parts))


def index_source(source: bytes | str, path: str) -> tuple[str, ModuleInfo] | None:
    """The module name and info of one file; None when `ast` cannot read it."""
    tree = parse_ast(source)
    return index_tree(tree, path, may_yield=_may_yield(source)) if tree is not None else None


def index_tree(tree: ast.Module, path: str, name: str | None = None, *, may_yield: bool = True) -> tuple[str, ModuleInfo]:
    """The module name and info of one parsed file (`name`: its module name, when known; `may_yield`:
    False when its source has no `yield`, so that no function of it is walked to find one)."""
    name = module_name(path) if name is None else name
    return name, _Indexer(name, is_package_init(path), may_yield).run(tree)


def _may_yield(source: bytes | str) -> bool:
    return b"yield" in source if isinstance(source, bytes) else "yield" in source


def _read_again(path: str, module: str) -> ModuleInfo:
    """What a file defines, read again (its stored info is corrupt); empty when it cannot be read."""
    try:
        data = read_source(path)[1]  # (never a FIFO or device: reading one may block forever)
    except OSError:
        return ModuleInfo()
    tree = parse_ast(data)
    return index_tree(tree, path, module, may_yield=_may_yield(data))[1] if tree is not None else ModuleInfo()
