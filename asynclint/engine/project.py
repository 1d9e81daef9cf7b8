"""The project-wide index of coroutine functions, built before the rules run.

Every linted file is read with `ast` (cheap) for what it defines: module functions, nested
functions (`outer.<locals>.inner`), classes with their bases and methods, and the names its
imports bind (re-exports). Each definition is `async` (a coroutine function), `sync`, or
`unknown` (an unknown decorator, an async generator, a name defined twice): only `async`
is ever reported on. Lookups follow re-exports and base classes.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import hashlib
import json
import os
import pickle
import re
import warnings
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

from asynclint.engine.cachedir import Caches, write_cache_file
from asynclint.engine.callgraph import flatten as _flatten, summarize
from asynclint.engine import declared
from asynclint.engine.declared import DeclaredReader
from asynclint.engine.files import discover, read_source
from asynclint.engine.newsyntax import without_type_parameters
from asynclint.engine.paths import forget, package_name, real_path, real_paths, stat_signature
from asynclint.engine.positions import shape

if TYPE_CHECKING:
    from asynclint.config import Config
    from asynclint.engine.facts import FileFacts
    from asynclint.engine.libraries import Libraries

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


class ModuleInfo:
    """What one module defines, as far as coroutine resolution needs.

    Read from the index cache, it stays JSON text until first used (`stored`): a warm run
    reads thousands and uses few.
    """

    __slots__ = ("_functions", "_classes", "_aliases", "_idle", "_summaries", "_declared", "_stored")

    def __init__(
        self,
        functions: dict[str, str] | None = None,
        classes: dict[str, dict[str, Any]] | None = None,  # name -> {"bases": [...], "methods": {...}}
        aliases: dict[str, str] | None = None,  # bound name -> absolute qualified target
        idle: dict[str, list[str]] | None = None,  # `async def`s that may never suspend -> what they await
        summaries: dict[str, str] | None = None,  # sync function key -> what it calls (engine/callgraph.py)
        declared: dict[str, list[str]] | None = None,  # declared types (engine/declared.py)
    ) -> None:
        self._functions = {} if functions is None else functions
        self._classes = {} if classes is None else classes
        self._aliases = {} if aliases is None else aliases
        self._idle = {} if idle is None else idle
        self._summaries = {} if summaries is None else summaries
        self._declared = {} if declared is None else declared
        self._stored: tuple[str | bytes, str, str] | None = None

    @classmethod
    def stored(cls, text: str | bytes, path: str, module: str) -> ModuleInfo:
        """The info `to_text` wrote for the file at `path`, decoded when first used (read again if malformed)."""
        info = cls.__new__(cls)  # (the fields are set when decoded)
        info._stored = (text, path, module)
        return info

    def to_text(self) -> str:
        """The info as compact JSON text (the text it was read from, while not decoded)."""
        if self._stored is not None:
            text = self._stored[0]
            return text if isinstance(text, str) else text.decode()
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
        """Sync function key -> its blocking calls and other resolved calls, as text (`engine/callgraph.py`)."""
        if self._stored is not None:
            self._decode()
        return self._summaries

    @property
    def declared(self) -> dict[str, list[str]]:
        """Declared types: key (`Class.attr`, `f()`, `name`...) -> qualified class names (`engine/declared.py`)."""
        if self._stored is not None:
            self._decode()
        return self._declared

    def _decode(self) -> None:
        assert self._stored is not None
        text, path, module = self._stored
        self._stored = None
        try:
            functions, classes, aliases, idle, summaries, declared = json.loads(text)
            if not all(isinstance(table, dict) for table in (functions, classes, aliases, summaries, declared)):
                raise ValueError(text)
            if not (isinstance(idle, dict) and all(isinstance(v, list) for v in idle.values())):
                raise ValueError(text)
        except (ValueError, TypeError):  # a corrupt cache entry is never trusted: the file is read again
            again = _read_batch([(path, module)]).get(path)
            fresh = again[1][1] if again is not None and again[1] is not None else ModuleInfo()
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


def module_name(path: str | os.PathLike[str]) -> str:
    """`pkg/sub/mod.py` -> `pkg.sub.mod`, walking up while folders are packages (`src/` layouts too)."""
    folder, name = os.path.split(real_path(path))
    return _module_in(package_name(folder), name)


def module_names(reals: Iterable[str]) -> list[str]:
    """`module_name` of each real path, each folder looked at once (a project has few folders, many files)."""
    packages: dict[str, str] = {}
    found = []
    for real in reals:
        cut = real.rfind(os.sep) + 1
        head = real[:cut]
        package = packages.get(head)
        if package is None:
            package = packages[head] = package_name(os.path.split(real)[0])
        found.append(_module_in(package, real[cut:]))
    return found


def _module_in(package: str, name: str) -> str:
    """The module a file of this name is in this package ("": none)."""
    stem = name[:-3] if name.endswith(".py") else os.path.splitext(name)[0]
    if name == "__init__.py":
        return package or stem
    return f"{package}.{stem}" if package else stem


def is_package_init(path: str | os.PathLike[str]) -> bool:
    """Whether the file is a package's `__init__.py` (its module is the package)."""
    return Path(path).name == "__init__.py"


def absolutize(name: str, module: str, package_init: bool) -> str:
    """`.client.fetch` seen in `pkg.api` -> `pkg.client.fetch` (relative imports made absolute)."""
    if not name.startswith("."):
        return name
    level = len(name) - len(name.lstrip("."))
    package = module.split(".") if package_init else module.split(".")[:-1]
    base = package[: len(package) - (level - 1)] if level > 1 else package
    rest = name.lstrip(".")
    return ".".join([*base, rest] if rest else base)


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
        self.info._summaries = summarize(tree, self.module, self.info)
        methods = {name: entry["methods"] for name, entry in self.info.classes.items()}
        self.info._declared = DeclaredReader(self._qualify_type, methods, self.info.functions).run(tree)
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

    def _body(self, body: Iterable[ast.stmt], prefix: str, functions: dict[str, str]) -> None:
        for stmt in _flatten(body):
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                _define(functions, prefix + stmt.name, self._kind(stmt, prefix + stmt.name))
                self._body(stmt.body, f"{prefix}{stmt.name}.<locals>.", functions)
            elif isinstance(stmt, ast.ClassDef) and not prefix:
                methods: dict[str, str] = {}
                for item in _flatten(stmt.body):
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        _define(methods, item.name, self._kind(item, f"{stmt.name}.{item.name}"))
                bases = [self._resolve(b) for b in stmt.bases]
                entry = {"bases": [b for b in bases if b], "methods": methods}
                if stmt.name in self.info.classes or stmt.name in functions:
                    functions[stmt.name] = UNKNOWN
                self.info.classes[stmt.name] = entry

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
        if isinstance(child, (ast.Return, ast.Yield, ast.YieldFrom)):
            return True
        if type(child) not in _NESTED:
            stack.extend(ast.iter_child_nodes(child))
    return False


_NESTED = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef})
_LEAVES = frozenset({ast.Name, ast.Constant, ast.Load, ast.Store, ast.Pass})


def _own_code(node: ast.AST, may_yield: bool) -> tuple[bool, list[str] | None]:
    """One walk of an `async def`'s own code (not nested functions, lambdas, classes): whether it
    yields (looked for only when the file `may_yield`: an async generator is no coroutine function),
    and the dotted names it awaits calls of (`await helper(x)`, `await asyncio.sleep(1)`), sorted;
    None when it has an `async for`, an `async with`, or awaits anything else (a method, a task)."""
    found: set[str] | None = set()
    stack = [node]
    while stack:
        for child in ast.iter_child_nodes(stack.pop()):
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
                stack.append(child)
    return False, sorted(found) if found is not None else None


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


def parse_ast(source: bytes | str) -> ast.Module | None:
    """The `ast` of a source; None when this Python's `ast` cannot read it.

    Type parameters and `type` statements newer than this Python are erased first
    (`engine/newsyntax.py`): line numbers stay, and they bind nothing the rules look at.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return ast.parse(source)
        except SyntaxError:
            older = without_type_parameters(source)
        except (ValueError, UnicodeDecodeError, RecursionError, MemoryError):
            return None
        try:
            return ast.parse(older) if older is not None else None
        except (SyntaxError, ValueError, UnicodeDecodeError, RecursionError, MemoryError):
            return None


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


class ProjectIndex:
    """Qualified name -> is it a coroutine function? Across every indexed module."""

    def __init__(self) -> None:
        self._modules: dict[str, ModuleInfo] = {}
        self._ambiguous: set[str] = set()
        self._by_path: dict[str, tuple[str, ModuleInfo]] = {}
        self._facts: dict[str, tuple[int, FileFacts | bytes]] = {}
        #: Set by `build_index`: fills the tables above when they are first asked for.
        self._pending: Callable[[], None] | None = None
        #: Real path -> [size, mtime in ns] of each file indexed, as this run found it.
        self.stats: dict[str, list[int]] = {}
        self._own: tuple[str, ModuleInfo] | None = None
        self._names: frozenset[str] | None = None
        self._ascii: bool | None = None
        self._imported: frozenset[str] | None = None
        self._declared_methods: frozenset[str] | None = None
        self._declared_types: frozenset[str] | None = None
        self._declared_members: dict[str, frozenset[str]] | None = None
        #: A file's view: the above with its own module's (`declared_async_methods`, `declared_members`).
        self._own_declared: frozenset[str] | None = None
        self._own_members: dict[str, frozenset[str]] | None = None
        #: Qualified name -> `kind`, as resolved so far (the cache's digests ask for every import's target).
        self._kinds: dict[str, str | None] = {}
        self._parent: ProjectIndex | None = None
        #: What was indexed, when it was built with a cache (each file's path, size and mtime).
        self.content_key: str | None = None
        self._definitions_key: str | None = None
        #: The installed libraries its lookups fall back on (`engine/libraries.py`), if any.
        self.libraries: Libraries | None = None
        #: `Libraries.key` as the run started ("": no libraries).
        self.libraries_key = ""
        self._project_tops: frozenset[str] | None = None
        self._primed = False

    def load(self) -> ProjectIndex:
        """The index with its tables filled (`build_index` defers that: a warm run may never ask).

        Call it before starting workers, which would otherwise each fill their own.
        """
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending()
        return self

    @property
    def root(self) -> ProjectIndex:
        """The whole project's index (a file's view, `for_file`, is a view of it)."""
        return self._parent or self

    @property
    def definitions_key(self) -> str | None:
        """What the indexed files define (each one's path, module name and definitions), when built with a cache.

        Unlike `content_key`, editing a function's body or a comment leaves it as it was.
        """
        return self.load()._definitions_key

    @property
    def modules(self) -> dict[str, ModuleInfo]:
        """Module name -> what it defines."""
        return self.load()._modules

    @property
    def ambiguous(self) -> set[str]:
        """Module names that two files claim (`conftest`, scripts with one name): never resolved through."""
        return self.load()._ambiguous

    @property
    def by_path(self) -> dict[str, tuple[str, ModuleInfo]]:
        """Real path -> its module name and info."""
        return self.load()._by_path

    @property
    def facts(self) -> dict[str, tuple[int, FileFacts | bytes]]:
        """Real path -> (CRC-32 of the content read, the pre-screen's facts), for files read while
        building the index (not cached on disk): the check reuses that read. Facts read by
        worker processes stay pickled until a file's check asks for them (`screening.read_facts`):
        the parent holds one bytes object per file, which the workers it forks share."""
        return self.load()._facts

    def add(self, name: str, info: ModuleInfo, path: str | None = None) -> None:
        """Add a module; a second file with the same module name makes the name ambiguous."""
        self.load()
        self._enter(name, info, real_path(path) if path is not None else None)
        self._names = self._ascii = self._imported = self._project_tops = None
        self._declared_methods = self._declared_types = self._declared_members = None
        self._kinds = {}

    def _enter(self, name: str, info: ModuleInfo, real: str | None) -> None:
        """`add`, for a table being filled (nothing derived from it yet)."""
        if name in self._modules and (real is None or self._by_path.get(real, (None,))[0] != name):
            self._ambiguous.add(name)
        self._modules[name] = info
        if real is not None:
            self._by_path[real] = (name, info)

    def for_file(self, path: str) -> ProjectIndex:
        """The index as seen from one file: its own module is always its own definitions."""
        if self._own is not None:  # seen from the file already (`for_source`: from its unsaved text)
            return self
        own = self.by_path.get(real_path(path))
        if own is None:
            return self
        return self._view(own)

    def _view(self, own: tuple[str, ModuleInfo]) -> ProjectIndex:
        view = ProjectIndex()
        view._modules, view._ambiguous, view._by_path, view._own = self.modules, self.ambiguous, self.by_path, own
        view._facts = self.facts
        view._parent = self
        view.libraries = self.libraries
        if self.module(own[0]) is own[1]:
            # The file's module is the project's entry for it: every name resolves as it does there.
            view._kinds = self._kinds
        return view

    def for_source(self, path: str, source: bytes | str) -> ProjectIndex:
        """`for_file`, with the file's definitions read from `source` (an editor's unsaved buffer)."""
        entry = index_source(source, path)
        return self.for_file(path) if entry is None else self._view(entry)

    def module(self, name: str) -> ModuleInfo | None:
        """What a module defines, unless the name is ambiguous (this file's own module always is known)."""
        if self._own is not None and self._own[0] == name:
            return self._own[1]
        if name in self.ambiguous:
            return None
        found = self.modules.get(name)
        if found is None and self.libraries is not None and name:
            if name.split(".")[0] not in self.root._tops():  # (a project module always wins)
                found = self.libraries.module(name)
        return found

    def library_modules(self) -> dict[str, ModuleInfo]:
        """The library modules the project's imports and class bases reach (read once; then
        also whatever lookups read since): what `coroutine_names` and the result cache's
        digests know of the libraries."""
        root = self.root
        libraries = root.libraries
        if libraries is None:
            return {}
        if not root._primed:
            root._primed = True
            for info in list(root.modules.values()):
                for target in info.aliases.values():
                    imported = root.module(target)
                    if imported is None:  # (a name in a module)
                        root.kind(target)
                        root._bases(target, 0)
                    elif target.split(".")[0] not in root._tops():  # (`import lib`: `lib.Class`, `lib.f`)
                        for exported in list(imported.aliases.values()):
                            root.kind(exported)
                            root._bases(exported, 0)
                for entry in info.classes.values():
                    for base in entry["bases"]:
                        root._bases(base, 0)
            for name, found in list(libraries.loaded.items()):
                for entry in found.classes.values() if found is not None else ():
                    for base in entry["bases"]:
                        root._bases(base, 0)
        return {name: info for name, info in libraries.loaded.items() if info is not None}

    def in_library(self, qualified: str) -> bool:
        """Whether a qualified name is looked for in the installed libraries (not in the project)."""
        top = qualified.split(".")[0]
        return self.libraries is not None and top not in self.root._tops() and self.libraries.has_top(top)

    def _tops(self) -> frozenset[str]:
        """The top-level names of the project's modules (no library module is looked for under them)."""
        if self._project_tops is None:
            self._project_tops = frozenset(module.split(".")[0] for module in self.modules)
        return self._project_tops

    def _bases(self, qualified: str, depth: int) -> None:
        """Read the modules that define a class and its bases (`library_modules`)."""
        found = self._class(qualified, 0) if depth <= 8 else None
        for base in found[1]["bases"] if found is not None else ():
            self._bases(base, depth + 1)

    def kind(self, qualified: str) -> str | None:
        """`async`, `sync` or `unknown` for a defined name; None when nothing defines it here."""
        if qualified in self._kinds:
            return self._kinds[qualified]
        found = self._kinds[qualified] = self._kind(qualified, 0)
        return found

    def _kind(self, qualified: str, depth: int) -> str | None:
        found = self.locate(qualified, depth)
        if found is None:
            return None
        module, info, rest, depth = found
        key = ".".join(rest)
        if key in info.functions:
            return info.functions[key]
        return self.method_kind(f"{module}.{rest[0]}", rest[1], depth)

    def locate(self, qualified: str, depth: int = 0) -> tuple[str, ModuleInfo, list[str], int] | None:
        """Where the project defines a qualified name, following re-exports: (module, its info,
        the rest of the name: `f` or `Class.method`, the re-exports followed so far), or None."""
        while depth <= 8:
            parts = qualified.split(".")
            for cut in range(len(parts) - 1, 0, -1):
                module = ".".join(parts[:cut])
                info = self.module(module)
                if info is None:
                    continue
                rest = parts[cut:]
                if ".".join(rest) in info.functions or (rest[0] in info.classes and len(rest) == 2):
                    return module, info, rest, depth
                target = info.aliases.get(rest[0])
                if target is None or target == f"{module}.{rest[0]}":
                    return None
                qualified, depth = ".".join([target, *rest[1:]]), depth + 1
                break
            else:
                return None
        return None

    def _class(self, qualified: str, depth: int) -> tuple[str, dict[str, Any]] | None:
        """The defining class of a qualified class name, following re-exports."""
        if depth > 8:
            return None
        module, _, name = qualified.rpartition(".")
        info = self.module(module)
        if info is None:
            return None
        if name in info.classes:
            return qualified, info.classes[name]
        if name in info.aliases and info.aliases[name] != qualified:
            return self._class(info.aliases[name], depth + 1)
        return None

    def class_entry(self, qualified: str) -> dict[str, Any] | None:
        """A project class's {"bases": [...], "methods": {...}}, following re-exports; None if not one."""
        found = self._class(qualified, 0)
        return found[1] if found is not None else None

    def class_definition(self, qualified: str) -> tuple[str, dict[str, Any]] | None:
        """Where a class is defined (its qualified name there) and its entry, following re-exports."""
        return self._class(qualified, 0)

    def attribute_types(self, class_qualified: str, attr: str) -> tuple[str, ...] | None:
        """The classes an attribute (or a `@property`) of a class is declared as, through its bases (`engine/declared.py`)."""
        return declared.member_types(self, class_qualified, attr)

    def return_types(self, qualified: str, awaited: bool = False) -> tuple[str, ...] | None:
        """The classes a function or `Class.method` is declared to return (`awaited`: an `async def`'s, when awaited)."""
        return declared.return_types(self, qualified, awaited)

    def call_types(self, qualified: str) -> tuple[str, ...] | None:
        """What calling a class (an instance) or a function (its declared return) of the index gives."""
        return declared.call_types(self, qualified)

    def value_types(self, qualified: str) -> tuple[str, ...] | None:
        """The classes a module-level name is declared as, or bound to by one constructor call."""
        return declared.value_types(self, qualified)

    def method_kind(self, class_qualified: str, method: str, depth: int = 0) -> str | None:
        """The kind of `method` on a class, looking through its bases (depth first, as the MRO mostly does)."""
        found = self._class(class_qualified, depth)
        if found is None or depth > 8:
            return None
        _, entry = found
        if method in entry["methods"]:
            kind: str = entry["methods"][method]
            return kind
        for base in entry["bases"]:
            inherited = self.method_kind(base, method, depth + 1)
            if inherited is not None:
                return inherited
        return None

    def declared_type_names(self) -> frozenset[str]:
        """Every type some module declares an attribute, a return or a name as (`engine/declared.py`)."""
        root = self.root
        if root._declared_types is None:
            root._declared_types = declared.declared_type_names(root.modules.values())
        if self._own is not None and root.module(self._own[0]) is not self._own[1]:
            return root._declared_types | declared.declared_type_names([self._own[1]])
        return root._declared_types

    def declared_members(self) -> dict[str, frozenset[str]]:
        """Attribute name -> the types some class declares an attribute of that name as (`engine/declared.py`)."""
        root = self.root
        if root._declared_members is None:
            root._declared_members = declared.declared_members(root, root.modules.values())
        if self._own is not None and self.root.module(self._own[0]) is not self._own[1]:  # (an unsaved buffer)
            if self._own_members is None:
                own = declared.declared_members(self, [self._own[1]])
                members = root._declared_members
                self._own_members = {**members, **{k: v | members.get(k, frozenset()) for k, v in own.items()}}
            return self._own_members
        return root._declared_members

    def declared_async_methods(self) -> frozenset[str]:
        """Names of the `async def` methods of the classes some module declares a type as (`engine/declared.py`)."""
        root = self.root
        if root._declared_methods is None:
            root._declared_methods = declared.declared_async_methods(root, root.declared_type_names())
        if self._own is not None and self.root.module(self._own[0]) is not self._own[1]:
            if self._own_declared is None:
                own = declared.declared_async_methods(self, declared.declared_type_names([self._own[1]]))
                self._own_declared = root._declared_methods | own
            return self._own_declared
        return root._declared_methods

    def coroutine_names(self) -> frozenset[str]:
        """Every identifier that can name a coroutine function of the project.

        Function and method names of `async def`s, and the names that imports bind to them
        (`from .client import fetch as get_items` makes `get_items` one). A file that mentions
        none of these (nor the catalogue's) cannot call one.
        """
        self.load()  # (which may set them, from the cache)
        if self._names is None:
            if self._parent is not None and self._own is not None:
                # A file's view: the project's names and its own (an unsaved buffer may add some;
                # usually it adds none, and the project's set is not copied).
                names, own = self._parent.coroutine_names(), _async_names(self._own[1], self)
                self._names = names if own <= names else names | own
            else:
                self._names = frozenset(n for info in self.modules.values() for n in _async_names(info, self))
                if self.libraries is not None:  # (what a library defines as `async def`, a file may call)
                    found = self.library_modules()
                    self._names |= frozenset(n for info in found.values() for n in _async_names(info, self))
                    # A file that calls any other one imports its library by its top-level name.
                    self._names |= frozenset(self.libraries.tops())
        return self._names

    def imported_names(self) -> frozenset[str]:
        """What the project's modules import (absolute dotted targets: `asyncio`, `aiohttp.web`), for
        telling its async library (`engine.context.project_library`)."""
        if self._parent is not None:
            return self._parent.imported_names()
        if self._imported is None:
            self._imported = frozenset(target for info in self.modules.values() for target in info.aliases.values())
        return self._imported

    def names_are_ascii(self) -> bool:
        """Whether every coroutine name is ASCII (what the identifier screen can read); computed once."""
        self.load()
        if self._ascii is None and self._parent is not None and self._own is not None and self._parent.names_are_ascii():
            # A file's view (an unsaved buffer): its names are the project's (all ASCII) and its own.
            self._ascii = all(n.isascii() for n in self.coroutine_names())
        if self._ascii is None:
            infos = [*self.modules.values(), *self.library_modules().values(), *([self._own[1]] if self._own is not None else [])]
            # Coroutine names are among the names modules define and bind: when those are all
            # ASCII (the usual case), no import needs resolving to know it.
            self._ascii = all(_names_ascii(info) for info in infos) or all(n.isascii() for n in self.coroutine_names())
        return self._ascii

    def is_coroutine_function(self, qualified: str) -> bool:
        """Defined here as an `async def` (not a generator, no unknown decorator)."""
        return self.kind(qualified) == ASYNC

    def never_suspends(self, qualified: str, depth: int = 0) -> bool:
        """An `async def` of the project that never lets other tasks run (`ModuleInfo.idle`): its
        own code awaits nothing, or only such `async def`s of the project. A module function, a
        nested one, or a method of the class that defines it (not inherited)."""
        found = self._awaited(qualified, depth)
        return found is not None and all(self.never_suspends(name, depth + 1) for name in found)

    def reaches(self, qualified: str, depth: int = 0) -> frozenset[str]:
        """The project `async def`s an `async def` awaits, and those they await in turn, as far
        as `ModuleInfo.idle` tells (empty when it awaits anything else). Two calls that reach one
        (a cached get-or-create helper) wait for the same thing: nothing to overlap (ASL302)."""
        found = [name for name in self._awaited(qualified, depth) or () if self.kind(name) == ASYNC]
        return frozenset(found).union(*(self.reaches(name, depth + 1) for name in found))

    def _awaited(self, qualified: str, depth: int) -> list[str] | None:
        """What an `async def` of the project awaits (`ModuleInfo.idle`), as qualified names;
        None when it awaits anything else, or a name that resolves to nothing of the project."""
        if depth > 8 or self.kind(qualified) != ASYNC:
            return None
        found = self.locate(qualified, depth)
        if found is None:
            return None
        module, info, rest, _ = found
        awaited = info.idle.get(".".join(rest))
        if awaited is None:
            return None
        names = [self._qualify(info, module, name) for name in awaited]
        return None if any(name is None for name in names) else names  # type: ignore[return-value]

    @staticmethod
    def _qualify(info: ModuleInfo, module: str, name: str) -> str | None:
        """A dotted name as spelled in `module`, qualified through its imports and definitions."""
        root, _, rest = name.partition(".")
        if root in info.aliases:
            return info.aliases[root] + ("." + rest if rest else "")
        if root in info.functions or root in info.classes:
            return f"{module}.{name}"
        return None  # a parameter, a local: anything


def _names_ascii(info: ModuleInfo) -> bool:
    """Whether every name a module defines or binds is ASCII."""
    methods = (method for entry in info.classes.values() for method in entry["methods"])
    return all(name.isascii() for names in (info.functions, info.aliases, methods) for name in names)


def _async_names(info: ModuleInfo, index: ProjectIndex) -> frozenset[str]:
    """A module's identifiers that name coroutine functions: defs, methods, import aliases."""
    names = {key.rsplit(".", 1)[-1] for key, kind in info.functions.items() if kind == ASYNC}
    for entry in info.classes.values():
        names.update(m for m, kind in entry["methods"].items() if kind == ASYNC)
    names.update(alias for alias, target in info.aliases.items() if index.kind(target) == ASYNC)
    return frozenset(names)


def build_index(
    paths: Iterable[str],
    cache_dir: Path | None = None,
    jobs: int = 1,
    *,
    fresh: bool = True,
    write: bool = True,
    library_path: Sequence[str] | None = None,
) -> ProjectIndex:
    """Index these files, reusing cached entries of files whose size and mtime are unchanged.

    The files are only listed and `stat`ed here; their definitions are read when the index is
    first asked for any (`load`): a warm run whose findings are all cached never does.
    `library_path`: the folders the installed libraries are looked for in (`engine/libraries.py`;
    None: no library is read). The
    files the cache does not know are read in `jobs` processes when there are many. With a
    cache, `index.content_key` names what is indexed (each file's path, size and mtime), so
    that what is derived from the whole index can be cached under it too. `fresh`: a new
    run, which forgets the folders resolved earlier in this process (one may have gained or
    lost an `__init__.py` since). `write=False`: the cache is read, never written (`fix --diff`).
    """
    if fresh:
        forget()
    index = ProjectIndex()
    paths = list(paths)
    files = [(path, real, stat_signature(path)) for path, real in zip(paths, real_paths(paths))]
    index.stats = {real: stat for _, real, stat in files if stat is not None}
    libraries_key = ""
    if library_path is not None:
        from asynclint.engine.libraries import Libraries

        index.libraries = Libraries(library_path, cache_dir, write=write)
        libraries_key = index.libraries_key = index.libraries.key()
    if cache_dir is not None:
        listed = "".join(f"{real}\0{stat}\n" for _, real, stat in files) + libraries_key
        index.content_key = hashlib.sha1(listed.encode()).hexdigest()
    index._pending = functools.partial(_fill, index, files, cache_dir, jobs, write)
    return index


def _fill(
    index: ProjectIndex, files: list[tuple[str, str, list[int] | None]], cache_dir: Path | None, jobs: int, write: bool = True
) -> None:
    """Add the definitions of these (path, real path, stat) files to the index, from the cache or read."""
    cache = _IndexCache(cache_dir) if cache_dir is not None else None
    planned: list[tuple[str, str, list[int] | None, str, tuple[tuple[str, ModuleInfo] | None] | None]] = []
    for (path, real, stat), module in zip(files, module_names(real for _, real, _ in files)):
        found = cache.get(real, stat, module) if cache is not None and stat is not None else None
        planned.append((path, real, stat, module, found))
    read = _read_all([(path, module) for path, _, _, module, found in planned if found is None], jobs)
    definitions = hashlib.sha1(index.libraries_key.encode())  # (what the libraries say is part of what is defined)
    for path, real, stat, module, found in planned:
        if found is None:
            if path not in read:
                continue  # cannot be read
            crc, entry, facts = read[path]
            if facts is not None:  # the check reuses this read for its pre-screen
                index._facts[real] = (crc, facts)
            if cache is not None and stat is not None:
                cache.put(real, stat, module, entry)
        else:
            entry = found[0]
        if cache is not None and stat is not None:
            definitions.update(f"{real}\0{module}\0".encode())
            definitions.update(cache.shape(real) + b"\n")  # (without line numbers: engine/positions.py)
        if entry is not None:
            index._enter(entry[0], entry[1], real)
    if cache is not None:
        index._definitions_key = key = definitions.hexdigest()
        derived = cache.derived(key)
        if derived is not None:  # what the whole index yields, as computed when it last changed
            index._names, index._ascii = derived
        else:
            cache.derive(key, index.coroutine_names(), index.names_are_ascii())
        if write:
            cache.save()
            if index.libraries is not None:
                index.libraries.save()


_Read = tuple[int, "tuple[str, ModuleInfo] | None", "FileFacts | bytes | None"]

#: Fewer files than this to read are read in this process: starting workers would cost more.
_READ_IN_PROCESS_BELOW = 64


def _read_all(files: list[tuple[str, str]], jobs: int) -> dict[str, _Read]:
    """(path, module name) -> what reading the file gives (files that cannot be read are left out)."""
    if jobs <= 1 or len(files) < _READ_IN_PROCESS_BELOW:
        return _read_batch(files)
    from asynclint.engine.pool import BrokenProcessPool, process_pool

    size = max(1, min(64, len(files) // (jobs * 8)))
    batches = [files[i : i + size] for i in range(0, len(files), size)]
    found: dict[str, _Read] = {}
    try:
        with process_pool(min(jobs, len(batches))) as pool:
            for part in pool.map(_read_packed, batches):
                found.update(part)
    except BrokenProcessPool:  # a worker died: read what is left here
        found.update(_read_batch([f for f in files if f[0] not in found]))
    return found


def _read_packed(files: list[tuple[str, str]]) -> dict[str, _Read]:
    """`_read_batch` in a worker process: the facts come back pickled, and stay so in the parent;
    each module's info comes back as the text the index cache stores (decoded when first used)."""
    packed: dict[str, _Read] = {}
    for path, (crc, entry, facts) in _read_batch(files).items():
        if entry is not None:
            entry = (entry[0], ModuleInfo.stored(entry[1].to_text(), path, entry[0]))
        packed[path] = (crc, entry, None if facts is None else pickle.dumps(facts, pickle.HIGHEST_PROTOCOL))
    return packed


def _read_batch(files: list[tuple[str, str]]) -> dict[str, _Read]:
    """Read, parse with `ast`, index and collect the pre-screen's facts of each file."""
    from asynclint.engine.facts import collect_facts  # (facts resolve names with this module's helpers)

    found: dict[str, _Read] = {}
    for path, module in files:
        try:
            data = read_source(path)[1]  # (never a FIFO or device: reading one may block forever)
        except OSError:
            continue
        tree = parse_ast(data)
        entry = index_tree(tree, path, module, may_yield=_may_yield(data)) if tree is not None else None
        facts = collect_facts(tree, module, is_package_init(path)) if entry is not None and tree is not None else None
        found[path] = (zlib.crc32(data), entry, facts)
    return found


PROJECT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", ".git")


def find_project_root(start: str) -> Path | None:
    """The nearest folder at or above `start` holding a pyproject.toml, setup.cfg, setup.py or .git."""
    here = Path(start).resolve()
    for folder in (here, *here.parents):
        if any((folder / marker).exists() for marker in PROJECT_MARKERS):
            return folder
    return None


class _IndexCache:
    """`<cache_dir>/index.txt`: per real path, its size and mtime and module info. Never trusted blindly.

    Files `ast` cannot read (newer syntax than the running Python's) are remembered as such,
    so that a warm run does not read them again. Beside them, what the whole index yields
    (its coroutine names), under the index's `definitions_key`: editing a function's body
    changes a file, not the names, and then they need no resolving of every import again.

    After a header line, the names' JSON, and the number of files and the byte length of
    their lines, one line per file: `real<TAB>size<TAB>mtime<TAB>module<TAB>length<TAB>shape`
    (shape: a digest of the info without line numbers, `positions.shape`); then
    every file's info (the compact JSON of `ModuleInfo.to_text`, `length` bytes; -1: `ast`
    cannot read the file) one after the other. Only the short lines are decoded and split:
    each info is cut out of the rest, and decoded when first used (`ModuleInfo`, which reads
    a malformed one's file again). As JSON, every info would be decoded, each a string with
    every quote escaped: 0.13 s against 0.04 s on a project of 11,000 files.
    """

    HEADER = b"asynclint project index 13 (idle awaits, raising defs, sync summaries, shapes, declared types)"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.file = folder / "index.txt"
        #: Real path -> ([size, mtime], module name, info or None, shape of the info: "" for none).
        self.entries: dict[str, tuple[list[int], str, bytes | None, str]] = {}
        self.names: Any = None
        self.dirty = False
        #: Files read again whose definitions were as stored (only their size or mtime changed).
        self.refreshed = 0
        try:
            self._read(self.file.read_bytes())
        except (OSError, ValueError, IndexError):
            self.entries, self.names = {}, None  # missing, corrupt or foreign: rebuilt

    def _read(self, data: bytes) -> None:
        header, names, sizes, rest = data.split(b"\n", 3)  # (the rest is copied once, not split)
        if header != self.HEADER:
            return
        self.names = json.loads(names)
        count, head = (int(n) for n in sizes.split())
        lines = rest[:head].decode("utf-8").split("\n") if count else []
        if len(lines) != count:
            raise ValueError("not the number of lines the header says")
        at = head + 1
        entries = self.entries
        for line in lines:
            real, size, mtime, module, length, shaped = line.split("\t")
            cut = int(length)
            if cut < -1:
                raise ValueError(length)
            entries[real] = ([int(size), int(mtime)], module, rest[at : at + cut] if cut >= 0 else None, shaped)
            at += max(cut, 0)
        if at != len(rest):
            raise ValueError("the infos are not the length the lines say")

    def get(self, real: str, stat: list[int], module: str) -> tuple[tuple[str, ModuleInfo] | None] | None:
        """`(entry,)` when the file is known at this size, mtime and module name (`(None,)`: `ast` cannot read it).

        The module name is checked too: a folder that gains an `__init__.py` renames its modules.
        """
        entry = self.entries.get(real)
        if entry is None or entry[0] != stat or entry[1] != module:
            return None
        info = entry[2]
        return (None,) if info is None else ((module, ModuleInfo.stored(info, real, module)),)

    def shape(self, real: str) -> bytes:
        """The shape of a file's stored info (`positions.shape`; empty: none, or `ast` cannot read it)."""
        entry = self.entries.get(real)
        return entry[3].encode() if entry is not None else b""

    def derived(self, definitions_key: str) -> tuple[frozenset[str], bool] | None:
        """The coroutine names and their ASCII-ness stored for these definitions, if they are the stored ones."""
        stored = self.names
        if not isinstance(stored, dict) or stored.get("key") != definitions_key:
            return None
        names, ascii_names = stored.get("coroutine_names"), stored.get("ascii")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names) or not isinstance(ascii_names, bool):
            return None
        if stored.get("check") != _names_check(definitions_key, names, ascii_names):
            return None  # not what was written
        return frozenset(names), ascii_names

    def derive(self, definitions_key: str, names: frozenset[str], ascii_names: bool) -> None:
        """Remember what `derived` gives for these definitions."""
        listed = sorted(names)
        check = _names_check(definitions_key, listed, ascii_names)
        self.names = {"key": definitions_key, "coroutine_names": listed, "ascii": ascii_names, "check": check}
        self.dirty = True

    def put(self, real: str, stat: list[int], module: str, entry: tuple[str, ModuleInfo] | None) -> None:
        info = entry[1].to_text().encode() if entry is not None else None
        before = self.entries.get(real)
        if before is not None and before[1] == module and before[2] == info:
            self.refreshed += 1  # read again (touched, saved unchanged): only its stat is new
            shaped = before[3]
        else:
            self.dirty = True
            shaped = shape(info) if info is not None else ""
        self.entries[real] = (stat, module, info, shaped)

    def save(self) -> None:
        """Write the cache, unless all that changed is the stat of a few files whose definitions did not.

        Rewriting every file's entry costs about what reading 300 files again costs: the
        files whose edits changed no definition (the usual edit) are read again by the runs
        that fill the index, until one rewrites it anyway. Files whose path or module name
        holds a tab, a line break or undecodable bytes are left out (read again each time).
        """
        if not (self.dirty or self.refreshed * _REWRITE_PER_REFRESHED > len(self.entries)):
            return
        kept = [(real, entry) for real, entry in self.entries.items() if not _UNSAFE_FIELD.search(real + entry[1])]
        rows = "\n".join(
            f"{real}\t{stat[0]}\t{stat[1]}\t{module}\t{-1 if info is None else len(info)}\t{shaped}"
            for real, (stat, module, info, shaped) in kept
        ).encode()
        names = json.dumps(self.names, separators=(",", ":")).encode()
        infos = b"".join(info for _, (_, _, info, _) in kept if info is not None)
        write_cache_file(self.file, b"\n".join([self.HEADER, names, b"%d %d" % (len(kept), len(rows)), rows, infos]))
        with contextlib.suppress(OSError):
            (self.folder / "index.json").unlink(missing_ok=True)  # the format before this one


#: What a field of an index line cannot hold (surrogates: a file name that is not UTF-8).
_UNSAFE_FIELD = re.compile("[\t\n\r\ud800-\udfff]")


#: Rewrite the index cache when more than one in this many of its files were read again only for a new stat.
_REWRITE_PER_REFRESHED = 300


def _names_check(definitions_key: str, names: list[str], ascii_names: bool) -> str:
    return hashlib.sha1(f"{definitions_key}\n{ascii_names}\n{chr(10).join(names)}".encode()).hexdigest()


#: Bytes -> themselves for ASCII letters, digits and `_`, a space for every other byte.
_WORD_BYTES = bytes(c if c == 95 or (c < 128 and chr(c).isalnum()) else 32 for c in range(256))


@functools.lru_cache(maxsize=1)  # the screen, then the result cache, ask about the same source
def identifiers(source: bytes | str) -> frozenset[str]:
    """The ASCII identifiers a source mentions (the index screen and the result cache read the same).

    Every run of ASCII letters, digits and `_`: the identifiers of the code among them (and
    numbers, words of strings and comments, which name no function). Non-ASCII bytes split runs.
    """
    data = source if isinstance(source, bytes) else source.encode("utf-8", "surrogatepass")
    return frozenset(data.translate(_WORD_BYTES).decode("ascii").split())


def project_for(
    paths: Sequence[str], config: Config, jobs: int = 1, *, fresh: bool = True, caches: Caches = Caches()
) -> ProjectIndex | None:
    """The coroutine index for a run, when an enabled rule needs one.

    The whole project (below the nearest pyproject.toml, setup.cfg, setup.py or .git) is
    indexed, so that checking a few files (pre-commit) resolves what they import exactly as
    checking everything does. Outside any project, the files being checked are the project.
    Where the index is cached (if at all) is `caches`' choice. `jobs` processes read
    the files the index cache does not know. `fresh`: a new run (False: the caller's
    discovery of `paths` just started it), as for `discover`.
    """
    if not config.uses_project_index():
        return None
    if fresh:
        forget()
    root = find_project_root(paths[0] if paths else ".")
    if root is None:
        files = list(paths)
    else:
        files = discover([str(root)], config, fresh=False)
        known = set(real_paths(files))
        files += [p for p, real in zip(paths, real_paths(paths)) if real not in known and not os.path.isdir(real)]
    folder = caches.index(config, root, files)
    library_path = config.library_path()
    return build_index(files, cache_dir=folder, jobs=jobs, fresh=False, write=caches.write, library_path=library_path)
