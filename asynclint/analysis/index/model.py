"""The project-wide index of coroutine functions, built before the rules run.

Every linted file is read with `ast` (cheap) for what it defines: module functions, nested
functions (`outer.<locals>.inner`), classes with their bases and methods, and the names its
imports bind (re-exports). Each definition is `async` (a coroutine function), `sync`, or
`unknown` (an unknown decorator, an async generator, a name defined twice): only `async`
is ever reported on. Lookups follow re-exports and base classes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterable

from asynclint.analysis.callgraph import SYNC_KINDS
from asynclint.analysis.index import declared
from asynclint.analysis.index.indexer import ASYNC, SYNC, ModuleInfo, index_source
from asynclint.core.paths import real_path

if TYPE_CHECKING:
    from asynclint.analysis.astwalk import FileFacts
    from asynclint.analysis.index.libraries import Libraries


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
        #: The names of a coroutine's type aliases (`coroutine_aliases`).
        self._coroutine_aliases: frozenset[str] | None = None
        self._ascii: bool | None = None
        self._imported: frozenset[str] | None = None
        self._declared_methods: frozenset[str] | None = None
        self._declared_types: frozenset[str] | None = None
        self._declared_members: dict[str, frozenset[str]] | None = None
        #: The names of the project classes' sync methods (`sync_method_names`).
        self._sync_methods: frozenset[str] | None = None
        #: Method name -> the project classes defining it `async def` (`async_method_classes`).
        self._async_methods: dict[str, frozenset[str]] | None = None
        #: A file's view: the above with its own module's (`declared_async_methods`, `declared_members`).
        self._own_declared: frozenset[str] | None = None
        self._own_members: dict[str, frozenset[str]] | None = None
        #: Qualified name -> `kind`, as resolved so far (the cache's digests ask for every import's target).
        self._kinds: dict[str, str | None] = {}
        #: Qualified name -> `class_definition`, as resolved so far (asked about a million times a cold run).
        self._class_definitions: dict[str, tuple[str, dict[str, Any]] | None] = {}
        self._parent: ProjectIndex | None = None
        #: What was indexed, when it was built with a cache (each file's path, size and mtime).
        self.content_key: str | None = None
        self._definitions_key: str | None = None
        #: The installed libraries its lookups fall back on (`analysis/index/libraries.py`), if any.
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
        self._names = self._ascii = self._imported = self._project_tops = self._coroutine_aliases = None
        self._declared_methods = self._declared_types = self._declared_members = self._sync_methods = self._async_methods = None
        self._kinds, self._class_definitions = {}, {}

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
            view._kinds, view._class_definitions = self._kinds, self._class_definitions
        return view

    def for_source(self, path: str, source: bytes | str) -> ProjectIndex:
        """`for_file`, with the file's definitions read from `source` (an editor's unsaved buffer)."""
        entry = index_source(source, path)
        return self.for_file(path) if entry is None else self._view(entry)

    def module(self, name: str) -> ModuleInfo | None:
        """What a module defines, unless the name is ambiguous (this file's own module always is known)."""
        own = self._own
        if own is not None and own[0] == name:
            return own[1]
        if self._pending is not None:  # (asked millions of times: the tables, not their properties)
            self.load()
        if name in self._ambiguous:
            return None
        found = self._modules.get(name)
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
                if target is None and rest[0] not in info.classes:
                    for star in _starred(info, rest[0]):  # (`from .client import *`)
                        found = self.locate(".".join([star, *rest[1:]]), depth + 1)
                        if found is not None:
                            return found
                if target is None or target == f"{module}.{rest[0]}":
                    return None
                qualified, depth = ".".join([target, *rest[1:]]), depth + 1
                break
            else:
                return None
        return None

    def _class(self, qualified: str, depth: int) -> tuple[str, dict[str, Any]] | None:
        """The defining class of a qualified class name, following re-exports."""
        if depth == 0:  # (the answer does not depend on the depth but for the limit: kept from the first ask)
            memo = self._class_definitions
            if qualified in memo:
                return memo[qualified]
            found = memo[qualified] = self._follow_class(qualified, 0)
            return found
        return self._follow_class(qualified, depth)

    def _follow_class(self, qualified: str, depth: int) -> tuple[str, dict[str, Any]] | None:
        if depth > 8:
            return None
        module, _, name = qualified.rpartition(".")
        info = self.module(module)
        if info is None:
            return None
        if name in info.classes:
            return qualified, info.classes[name]
        if name in info.aliases and info.aliases[name] != qualified:
            return self._follow_class(info.aliases[name], depth + 1)
        if name in info.functions:
            return None
        alias = info.declared.get(name + declared.ALIAS)
        if alias is not None:  # (`connect = Connect`: another name of one class)
            plain = len(alias) == 1 and alias[0] != declared.COROUTINE and not alias[0].startswith(_MARKED)
            return self._follow_class(alias[0], depth + 1) if plain else None
        for star in _starred(info, name):  # (`from .client import *`)
            found = self._follow_class(star, depth + 1)
            if found is not None:
                return found
        return None

    def class_entry(self, qualified: str) -> dict[str, Any] | None:
        """A project class's {"bases": [...], "methods": {...}}, following re-exports; None if not one."""
        found = self._class(qualified, 0)
        return found[1] if found is not None else None

    def class_definition(self, qualified: str) -> tuple[str, dict[str, Any]] | None:
        """Where a class is defined (its qualified name there) and its entry, following re-exports."""
        return self._class(qualified, 0)

    def attribute_types(self, class_qualified: str, attr: str) -> tuple[str, ...] | None:
        """The classes an attribute (or a `@property`) of a class is declared as, through its bases (`analysis/index/declared.py`)."""
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
        """Every type some module declares an attribute, a return or a name as (`analysis/index/declared.py`)."""
        root = self.root.load()  # (which may set them, from the cache)
        if root._declared_types is None:
            root._declared_types = declared.declared_type_names(root.modules.values())
        if self._own is not None and root.module(self._own[0]) is not self._own[1]:
            return root._declared_types | declared.declared_type_names([self._own[1]])
        return root._declared_types

    def declared_members(self) -> dict[str, frozenset[str]]:
        """Attribute name -> the types some class declares an attribute of that name as (`analysis/index/declared.py`)."""
        root = self.root.load()  # (which may set them, from the cache)
        if root._declared_members is None:
            root._declared_members = declared.declared_members(root, root.modules.values())
        if self._own is not None and self.root.module(self._own[0]) is not self._own[1]:  # (an unsaved buffer)
            if self._own_members is None:
                own = declared.declared_members(self, [self._own[1]])
                members = root._declared_members
                self._own_members = {**members, **{k: v | members.get(k, frozenset()) for k, v in own.items()}}
            return self._own_members
        return root._declared_members

    def sync_method_names(self) -> frozenset[str]:
        """The names of the project classes' sync methods (what ASL107 may follow through a declared receiver)."""
        root = self.root.load()  # (which may set them, from the cache)
        if root._sync_methods is None:
            root._sync_methods = _sync_method_names(root.modules.values())
        if self._own is not None and root.module(self._own[0]) is not self._own[1]:  # (an unsaved buffer)
            return root._sync_methods | _sync_method_names([self._own[1]])
        return root._sync_methods

    def async_method_classes(self) -> dict[str, frozenset[str]]:
        """Method name -> the project classes (qualified) that define it `async def`."""
        root = self.root.load()  # (which may set them, from the cache)
        if root._async_methods is None:
            root._async_methods = _async_method_classes(root.modules)
        return root._async_methods

    def declared_async_methods(self) -> frozenset[str]:
        """Names of the `async def` methods of the classes some module declares a type as (`analysis/index/declared.py`)."""
        root = self.root.load()  # (which may set them, from the cache)
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
                names, aliases = self._parent.coroutine_names(), self._parent.coroutine_aliases()
                own = _async_names(self._own[1], self, aliases | declared.coroutine_aliases([self._own[1]]))
                self._names = names if own <= names else names | own
            else:
                found = self.library_modules()
                # (names of functions declared to return a coroutine count: `-> Coroutine[...]`, through aliases)
                aliases = self.coroutine_aliases()
                self._names = frozenset(n for info in self.modules.values() for n in _async_names(info, self, aliases))
                if self.libraries is not None:  # (what a library defines as `async def`, a file may call)
                    self._names |= frozenset(n for info in found.values() for n in _async_names(info, self, aliases))
                    # A file that calls any other one imports its library by its top-level name.
                    self._names |= frozenset(self.libraries.tops())
        return self._names

    def coroutine_aliases(self) -> frozenset[str]:
        """The names of the project's and its libraries' type aliases of a coroutine (`declared.coroutine_aliases`)."""
        root = self.root
        if root._coroutine_aliases is None:
            root._coroutine_aliases = declared.coroutine_aliases([*root.modules.values(), *root.library_modules().values()])
        return root._coroutine_aliases

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

    def returns_coroutine(self, qualified: str) -> bool:
        """A sync function or method declared to return a coroutine (`-> Coroutine[...]`): its call makes one.

        Only names among `coroutine_names` (or of an installed library) are looked up: what the
        pre-screens know, and the look-up is skipped for the many sync functions."""
        return self._may_return_coroutine(qualified.rpartition(".")[2], qualified) and declared.returns_coroutine(self, qualified)

    def method_returns_coroutine(self, class_qualified: str, method: str) -> bool:
        """`returns_coroutine` for a method of a class, through its bases."""
        return self._may_return_coroutine(method, class_qualified) and declared.method_returns_coroutine(
            self, class_qualified, method
        )

    def _may_return_coroutine(self, name: str, qualified: str) -> bool:
        return name in self.coroutine_names() or self.in_library(qualified)

    def makes_coroutine(self, qualified: str) -> bool:
        """Calling it makes a coroutine: an `async def`, or a sync def declared to return one (`returns_coroutine`)."""
        kind = self.kind(qualified)
        return kind == ASYNC or (kind == SYNC and self.returns_coroutine(qualified))

    def method_makes_coroutine(self, class_qualified: str, method: str) -> bool:
        """`makes_coroutine` for a method of a class, through its bases."""
        kind = self.method_kind(class_qualified, method)
        return kind == ASYNC or (kind == SYNC and self.method_returns_coroutine(class_qualified, method))

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


def _async_names(info: ModuleInfo, index: ProjectIndex, aliases: frozenset[str]) -> frozenset[str]:
    """A module's identifiers that name coroutine functions: defs, methods, import aliases; and sync
    ones that may be declared to return a coroutine (`aliases`: the names of a coroutine's type aliases)."""
    names = {key.rsplit(".", 1)[-1] for key, kind in info.functions.items() if kind == ASYNC}
    for entry in info.classes.values():
        names.update(m for m, kind in entry["methods"].items() if kind == ASYNC)
    returners = {
        key[: -len(declared.RETURNS)].rsplit(".", 1)[-1]
        for key, types in info.declared.items()
        if key.endswith(declared.RETURNS) and declared.may_return_coroutine(types, aliases)
    }
    names.update(returners)
    for alias, target in info.aliases.items():
        kind = index.kind(target)
        if kind == ASYNC or (kind == SYNC and alias != target.rpartition(".")[2] and declared.returns_coroutine(index, target)):
            names.add(alias)  # (imported under its own name, a sync one is named by its module's names)
    return frozenset(names)


def _sync_method_names(infos: Iterable[ModuleInfo]) -> frozenset[str]:
    return frozenset(
        defined for info in infos for entry in info.classes.values() for defined, kind in entry["methods"].items() if kind in SYNC_KINDS
    )


def _async_method_classes(modules: dict[str, ModuleInfo]) -> dict[str, frozenset[str]]:
    owners: dict[str, set[str]] = {}
    for module, info in modules.items():
        for name, entry in info.classes.items():
            for defined, kind in entry["methods"].items():
                if kind == ASYNC:
                    owners.setdefault(defined, set()).add(f"{module}.{name}")
    return {method: frozenset(classes) for method, classes in owners.items()}


#: Type names that are not one class's (`declared.MEMBER`, `GENERIC`, `CALLED`).
_MARKED = (declared.MEMBER, declared.GENERIC, declared.CALLED)


def _starred(info: ModuleInfo, name: str) -> list[str]:
    """Where a name a module does not bind itself may come from through its star imports, the last
    import first (it binds last); none for a private name (`import *` leaves those out)."""
    if name.startswith("_"):
        return []
    return [f"{source}.{name}" for source in info.star_sources()]
