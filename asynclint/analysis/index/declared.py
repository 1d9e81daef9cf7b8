"""Declared types, read on `ast` while the project index reads a module (issue 23).

What a module declares about the objects its names, attributes and calls hold, as qualified
class names, stored with the module's index entry (`ModuleInfo.declared`):

- `Class.attr`: an attribute's type: a class-level annotation (dataclass fields too), a
  `self.attr: X` annotation in a method, a `@property`'s return annotation; without any
  annotation, what every `self.attr = ...` of the class's methods assigns when they all agree
  (a constructor call, or a parameter annotated `X`; `None` is left out), or a `Union` of them
  when they differ (`grpc.aio.secure_channel(...)` in one branch, `insecure_channel(...)` in
  another); `await X(...)` (`AWAITED`), and a local bound once (a call, an awaited call, or the
  target of `async with X(...) as ws`, `ENTERED`), functions nested in the method included;
- `Class.__await__ await`: what awaiting an instance gives (`-> Generator[Any, None, T]`, or an
  unannotated `return self.impl().__await__()` of an annotated `async def impl`); a method
  declared `-> Self`, or unannotated and returning `self`, gives `SELF` (the class looked up);
- `Class.method()` / `func()`: a sync method's or function's return annotation;
  `Class.method await` / `func await`: an `async def`'s (what awaiting its call gives);
- `name`: a module-level name: its annotation, or the one constructor call that binds it;
- `Alias=`: a module-level type alias (`Alias = X`, `Alias: TypeAlias = Optional[X]`).

A type is a qualified name (`pkg.client.Client`), or `()pkg.make` for "what calling
`pkg.make` gives" (a class: an instance; a function: its declared return), resolved when
looked up. `Optional[X]`, `X | None`, `Union[...]`, string annotations, `Annotated`,
`ClassVar`, `Final`, imports under `if TYPE_CHECKING:` and the module's own aliases are
understood; anything else (`Any`, `list[X]`, a type variable, a builtin) is not recorded:
unknown, and the rules stay silent there. A function defined twice (overloads) or with an
unknown decorator declares nothing.
"""

from __future__ import annotations

import ast
import functools
from typing import TYPE_CHECKING, Any, Callable, Iterable

from asynclint.analysis.modules import flatten, is_staticmethod
from asynclint.analysis.names import CONSTRUCTORS

if TYPE_CHECKING:
    from asynclint.analysis.index.indexer import ModuleInfo
    from asynclint.analysis.index.model import ProjectIndex

#: A call of what follows it: `()pkg.Client` is what `pkg.Client(...)` gives.
CALLED = "()"
SYNC = "sync"  # (`indexer.SYNC`: the indexer imports this module)
#: Key suffixes: a sync def's return, an `async def`'s awaited result, a type alias.
RETURNS, AWAITS, ALIAS = "()", " await", "="
#: The type of a coroutine object (`Coroutine[Any, Any, T]`, any spelling): a sync function declared
#: to return one makes a coroutine when called, as an `async def` does (`returns_coroutine`).
COROUTINE = "typing.Coroutine"
#: What follows it is an alias of another module, subscripted (`Response[Channel]`): a coroutine when
#: that alias is one, else unknown (generics are not followed).
GENERIC = "[]"
#: What follows it is one member of a `Union` (or `Optional`): never a coroutine's alias, whatever it is.
MEMBER = "|"
#: What `await pkg.connect(...)` gives (`await pkg.connect`): an `async def`'s declared result, or what the
#: `__await__` of the class the call makes is declared to give (`Generator[Any, None, T]`: `T`).
AWAITED = "await "
#: What `async with pkg.connect(...) as x` binds (`async with pkg.connect`): what the `__aenter__` of the
#: class the call makes is declared to return.
ENTERED = "async with "
#: A method's declared `Self` (or, unannotated, `return self` on every path): the class it is looked up on.
SELF = "Self"
#: Keys of what awaiting an instance gives (`Class.__await__ await`) and what `async with` enters.
AWAIT_KEY, AENTER_KEY = "__await__" + " await", "__aenter__" + " await"
_GENERATORS = frozenset({"typing.Generator", "typing_extensions.Generator", "collections.abc.Generator"})
_COROUTINE_TYPES = frozenset(
    {"typing.Coroutine", "typing_extensions.Coroutine", "collections.abc.Coroutine", "types.CoroutineType"}
)

_TYPING = ("typing.", "typing_extensions.")
_OPTIONAL, _UNION = "Optional", "Union"
_UNWRAPPED = frozenset({"ClassVar", "Final", "Annotated", "Required", "NotRequired", "ReadOnly"})
_TYPE_ALIAS = "TypeAlias"
_PROPERTIES = frozenset({"builtins.property", "property", "functools.cached_property"})
_DEPTH = 6


def _flatten(body: Iterable[ast.stmt]) -> Iterable[ast.stmt]:
    return flatten(body)


class DeclaredReader:
    """Reads one module's declared types; `resolve` qualifies a dotted name through its imports
    and definitions (None: not a name of either), `kinds` are the module's function kinds and
    `methods` each class's method kinds (as the index read them)."""

    def __init__(
        self,
        resolve: Callable[[ast.expr], str | None],
        classes: dict[str, dict[str, str]],
        kinds: dict[str, str],
    ) -> None:
        self._resolve = resolve
        self._classes = classes
        self._kinds = kinds
        self._aliases: dict[str, list[str] | None] = {}
        self.found: dict[str, list[str]] = {}

    def run(self, tree: ast.Module) -> dict[str, list[str]]:
        body = list(_flatten(tree.body))
        self._module_aliases(body)
        assigned: dict[str, list[list[str] | None]] = {}
        annotated: dict[str, list[list[str] | None]] = {}
        for stmt in body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                if not self._is_type_alias(stmt.annotation):
                    annotated.setdefault(stmt.target.id, []).append(self.types(stmt.annotation))
            elif isinstance(stmt, ast.Assign):
                for target in stmt.targets:
                    for name in _names_in(target):
                        value = _call_type(stmt.value, self._resolve) if isinstance(target, ast.Name) else None
                        assigned.setdefault(name, []).append(value)
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self._returns(stmt, stmt.name, self._kinds.get(stmt.name))
            elif isinstance(stmt, ast.ClassDef) and stmt.name in self._classes:
                self._class(stmt)
        rebound: set[str] | None = None  # (the `global` names: walked for only when some name is found)
        for name in {**annotated, **assigned}:  # (a dict: source order, the same text every run)
            if name in self._aliases or name in self._classes or name in self._kinds:
                continue
            found = _agreed(annotated[name]) if name in annotated else _agreed(assigned[name])
            if found:
                if rebound is None:
                    rebound = _globals(tree)
                if name not in rebound:
                    self.found[name] = found
        for alias, types in self._aliases.items():
            if types:
                self.found[alias + ALIAS] = types
        return self.found

    # --- annotations ------------------------------------------------------------------------

    def types(self, node: ast.expr | None, depth: int = 0, returns: bool = False) -> list[str] | None:
        """The classes an annotation names (`None` left out); None when its shape is not understood.

        `returns`: a return annotation, where another module's generic subscripted (`GENERIC`) is kept,
        as it may be a coroutine's alias (elsewhere it is unknown, as any generic)."""
        found = self._types(node, depth, returns)
        if not returns and found and found[0].startswith(GENERIC):
            return None
        return found

    def _types(self, node: ast.expr | None, depth: int, returns: bool) -> list[str] | None:
        if node is None or depth > _DEPTH:
            return None
        if isinstance(node, ast.Constant):
            if node.value is None:
                return []
            if isinstance(node.value, str):
                parsed = _parse_annotation(node.value)
                return self.types(parsed, depth + 1, returns) if parsed is not None else None
            return None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            return _union([self.types(node.left, depth + 1), self.types(node.right, depth + 1)])
        if isinstance(node, ast.Subscript):
            value = node.value
            if isinstance(value, ast.Name) and value.id in self._aliases:  # `Response[Channel]`, an alias here
                return [COROUTINE] if self._aliases[value.id] == [COROUTINE] else None
            qualified = self._resolve(value) if isinstance(value, (ast.Name, ast.Attribute)) else None
            if qualified is None or qualified.startswith("builtins."):
                return None
            if qualified in _COROUTINE_TYPES:
                return [COROUTINE]
            if not qualified.startswith(_TYPING):
                # Another module's generic alias or class (`types.Response[Channel]`, `Box[T]`): followed
                # only when it is a coroutine's alias (`normalize`); anything else generic is unknown.
                return [GENERIC + qualified]
            generic = qualified.rpartition(".")[2]
            elements = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            if generic == _OPTIONAL and len(elements) == 1:
                return _union([self.types(elements[0], depth + 1), []])
            if generic == _UNION:
                return _union([self.types(element, depth + 1) for element in elements])
            if generic in _UNWRAPPED:
                return self.types(elements[0], depth + 1)
            return None
        if isinstance(node, (ast.Name, ast.Attribute)):
            if isinstance(node, ast.Name) and node.id in self._aliases:
                return self._aliases[node.id]
            if isinstance(node, ast.Name) and node.id == "None":
                return []
            qualified = self._resolve(node)
            if qualified in _COROUTINE_TYPES:
                return [COROUTINE]  # (`Coroutine`, however imported: aliased, under `TYPE_CHECKING`)
            if qualified is None or qualified.startswith(_TYPING) or qualified.startswith("builtins."):
                return None  # not a class of the code or a library (`Any`, a type variable, `int`)
            return [qualified]
        return None

    def _typing_name(self, node: ast.expr) -> str | None:
        qualified = self._resolve(node) if isinstance(node, (ast.Name, ast.Attribute)) else None
        if qualified is None or not qualified.startswith(_TYPING):
            return None
        return qualified.rpartition(".")[2]

    def _is_type_alias(self, annotation: ast.expr) -> bool:
        return self._typing_name(annotation) == _TYPE_ALIAS

    def _module_aliases(self, body: list[ast.stmt]) -> None:
        """`Alias = X`, `Alias = Optional[X]`, `Alias: TypeAlias = ...`: names standing for types."""
        counts: dict[str, int] = {}
        candidates: dict[str, ast.expr] = {}
        for stmt in body:
            if isinstance(stmt, ast.Assign):
                for target in stmt.targets:
                    for name in _names_in(target):
                        counts[name] = counts.get(name, 0) + 1
                if len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) and _is_type_shape(stmt.value):
                    candidates[stmt.targets[0].id] = stmt.value
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                counts[stmt.target.id] = counts.get(stmt.target.id, 0) + 1
                if stmt.value is not None and self._is_type_alias(stmt.annotation):
                    candidates[stmt.target.id] = stmt.value
        for name, value in candidates.items():
            if counts.get(name) == 1 and name not in self._classes and name not in self._kinds:
                self._aliases[name] = None  # (while read: an alias of itself is unknown)
                self._aliases[name] = self.types(value)

    # --- definitions ------------------------------------------------------------------------

    def _returns(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef, key: str, kind: str | None, method: bool = False
    ) -> None:
        if kind not in ("sync", "async"):
            return
        suffix = AWAITS if kind == "async" else RETURNS
        if method and (self._is_self_type(node.returns) or (node.returns is None and _returns_self(node))):
            self.found[key + suffix] = [SELF]  # (`-> Self`, `return self`: the class it is called on)
            return
        if node.returns is None:
            return
        types = self.types(node.returns, returns=kind == "sync")
        if types:
            self.found[key + suffix] = types

    def _class(self, cls: ast.ClassDef) -> None:
        methods = self._classes[cls.name]
        explicit: dict[str, list[list[str] | None]] = {}
        assigned: dict[str, list[list[str] | None]] = {}
        for item in _flatten(cls.body):
            if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                explicit.setdefault(item.target.id, []).append(self.types(item.annotation))
            elif isinstance(item, ast.Assign):
                for target in item.targets:
                    for name in _names_in(target):
                        value = _call_type(item.value, self._resolve) if isinstance(target, ast.Name) else None
                        assigned.setdefault(name, []).append(value)
            elif isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if self._is_property(item):
                    explicit.setdefault(item.name, []).append(self.types(item.returns) if item.returns else None)
                    continue
                self._returns(item, f"{cls.name}.{item.name}", methods.get(item.name), method=not is_staticmethod(item))
                self._self_attributes(item, explicit, assigned)
        awaits = [item for item in _flatten(cls.body) if isinstance(item, ast.FunctionDef) and item.name == "__await__"]
        if len(awaits) == 1 and methods.get("__await__") == SYNC:
            result = self._await_result(awaits[0], cls)
            if result:
                self.found[f"{cls.name}.{AWAIT_KEY}"] = result
        for attr in {**explicit, **assigned}:  # (a dict: source order, the same text every run)
            if attr in methods and attr not in explicit:
                continue
            found = _agreed(explicit[attr]) if attr in explicit else _agreed(assigned[attr], differing=_either)
            if found:
                self.found[f"{cls.name}.{attr}"] = found

    def _is_property(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        for decorator in node.decorator_list:
            name = self._resolve(decorator) if isinstance(decorator, (ast.Name, ast.Attribute)) else None
            if name in _PROPERTIES or (isinstance(decorator, ast.Name) and decorator.id == "property"):
                return True
        return False

    def _self_attributes(
        self,
        method: ast.FunctionDef | ast.AsyncFunctionDef,
        explicit: dict[str, list[list[str] | None]],
        assigned: dict[str, list[list[str] | None]],
    ) -> None:
        """`self.x: X = ...` and `self.x = value` in a method's code, and in the functions nested in it
        that see the same `self` (a closure: `async def listen(): self.ws = ws` inside `run`)."""
        args = method.args
        params = [*args.posonlyargs, *args.args]
        if not params or is_staticmethod(method):
            return
        self._scope_attributes(method, params[0].arg, explicit, assigned, method=True)

    def _scope_attributes(
        self,
        function: ast.FunctionDef | ast.AsyncFunctionDef,
        me: str,
        explicit: dict[str, list[list[str] | None]],
        assigned: dict[str, list[list[str] | None]],
        method: bool,
    ) -> None:
        args = function.args
        params = [*args.posonlyargs, *args.args, *args.kwonlyargs]
        annotations = {
            a.arg: a.annotation for a in params[1 if method else 0 :] if a.annotation is not None and a.arg != me
        }
        unannotated = {a.arg for a in params if a.annotation is None} | {
            a.arg for a in (args.vararg, args.kwarg) if a is not None
        }
        rebound: set[str] | None = None
        local: dict[str, list[Any]] | None = None
        nested: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
        stack: list[Any] = list(function.body)
        while stack:  # (statements only: an expression binds no attribute)
            node = stack.pop()
            kind = type(node)
            if kind is ast.Expr or kind is ast.Return or kind is ast.Pass:
                continue  # (the most common statements: no binding, no block)
            if kind is ast.AnnAssign and _is_self_attr(node.target, me):
                explicit.setdefault(node.target.attr, []).append(self.types(node.annotation))
            elif kind is ast.Assign:
                for target in node.targets:
                    for sub in _targets(target):
                        if not _is_self_attr(sub, me):
                            continue
                        value: list[str] | None = None
                        if sub is target:
                            if isinstance(node.value, ast.Name) and node.value.id in annotations:
                                if rebound is None:
                                    rebound = rebound_names(function.body)
                                if node.value.id not in rebound:
                                    value = self.types(annotations[node.value.id])
                            elif isinstance(node.value, ast.Name):
                                # A local bound once, to what can be typed (`async with connect() as ws`).
                                if local is None:
                                    local = _local_bindings(function.body)
                                bound = local.get(node.value.id)
                                if node.value.id not in unannotated and bound is not None and len(bound) == 1:
                                    value = self._bound_type(bound[0])
                            else:
                                value = _value_type(node.value, self._resolve)
                        assigned.setdefault(sub.attr, []).append(value)  # type: ignore[attr-defined]
            elif isinstance(node, (ast.AugAssign, ast.Delete, ast.For, ast.AsyncFor, ast.With, ast.AsyncWith)):
                for target in _binding_targets(node):
                    for sub in _targets(target):
                        if _is_self_attr(sub, me):
                            assigned.setdefault(sub.attr, []).append(None)  # type: ignore[attr-defined]
            if kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
                nested.append(node)
                continue
            if kind is not ast.ClassDef:
                _push_blocks(node, stack)
        for inner in nested:
            # (the same `self` unless the nested function names its own: a parameter, a local)
            inner_args = inner.args
            names = {a.arg for a in [*inner_args.posonlyargs, *inner_args.args, *inner_args.kwonlyargs]}
            names |= {a.arg for a in (inner_args.vararg, inner_args.kwarg) if a is not None}
            if me not in names and me not in rebound_names(inner.body):
                self._scope_attributes(inner, me, explicit, assigned, method=False)

    def _bound_type(self, binding: Any) -> list[str] | None:
        """What a local's one binding (`_local_bindings`) gives: `x = Client(...)`, `x = await connect(...)`,
        `async with connect(...) as x` (what its class's `__aenter__` is declared to return)."""
        if isinstance(binding, tuple):
            made = _call_type(binding[1], self._resolve)
            return [ENTERED + made[0][len(CALLED) :]] if made else None
        if binding is None or (isinstance(binding, ast.Constant) and binding.value is None):
            return None
        return _value_type(binding, self._resolve)

    def _is_self_type(self, node: ast.expr | None) -> bool:
        """`Self` (`typing`, `typing_extensions`; a string annotation too)."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            node = _parse_annotation(node.value)
        return node is not None and self._typing_name(node) == "Self"

    def _await_result(self, node: ast.FunctionDef, cls: ast.ClassDef) -> list[str] | None:
        """What awaiting an instance gives, as its `__await__` says: `-> Generator[Any, None, T]`
        (any spelling of `Generator`) is `T`; an unannotated `return self.impl().__await__()` is what
        awaiting the class's `async def impl` gives (as that one is declared)."""
        returns = node.returns
        if isinstance(returns, ast.Constant) and isinstance(returns.value, str):
            returns = _parse_annotation(returns.value)
        if isinstance(returns, ast.Subscript) and isinstance(returns.value, (ast.Name, ast.Attribute)):
            if self._resolve(returns.value) in _GENERATORS and isinstance(returns.slice, ast.Tuple):
                elements = returns.slice.elts
                if len(elements) == 3:
                    if self._is_self_type(elements[2]):
                        return [SELF]
                    found = self.types(elements[2])
                    return found if found and COROUTINE not in found else None
            return None
        body = [stmt for stmt in node.body if not _is_docstring(stmt)]
        if returns is not None or len(body) != 1 or not isinstance(body[0], ast.Return):
            return None
        value = body[0].value
        params = [*node.args.posonlyargs, *node.args.args]
        if not (isinstance(value, ast.Call) and not value.args and isinstance(value.func, ast.Attribute)):
            return None
        if value.func.attr != "__await__" or not params or not isinstance(value.func.value, ast.Call):
            return None
        inner = value.func.value.func
        if not (isinstance(inner, ast.Attribute) and _is_self_attr(inner, params[0].arg)):
            return None
        if self._classes[cls.name].get(inner.attr) != "async":
            return None
        return self.found.get(f"{cls.name}.{inner.attr}{AWAITS}")


#: The fields of a statement (or handler, match case) holding blocks of statements.
_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")


@functools.lru_cache(maxsize=4096)
def _parse_annotation(text: str) -> ast.expr | None:
    """A string annotation's expression (shared: never changed by its readers); None when not one."""
    try:
        return ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _globals(tree: ast.Module) -> set[str]:
    """Names a `global` statement of some function binds (a module name it may rebind to anything)."""
    found: set[str] = set()
    stack: list[Any] = list(tree.body)
    while stack:
        stmt = stack.pop()
        kind = type(stmt)
        if kind is ast.Global:
            found.update(stmt.names)
        else:
            _push_blocks(stmt, stack)
    return found


def _push_blocks(stmt: Any, stack: list[Any]) -> None:
    """Put the statements of a compound statement's blocks on a walk's stack (a simple one has none)."""
    if type(stmt) in _SIMPLE:
        return
    for field in _BLOCKS:
        block = getattr(stmt, field, None)
        if block:
            stack.extend(block)


#: Statements holding no block of statements.
_SIMPLE = frozenset(
    {ast.Expr, ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Return, ast.Pass, ast.Raise, ast.Import, ast.ImportFrom,
     ast.Delete, ast.Assert, ast.Break, ast.Continue, ast.Nonlocal}
)


def _binding_targets(node: ast.AST) -> list[ast.expr]:
    if isinstance(node, ast.AugAssign):
        return [node.target]
    if isinstance(node, ast.Delete):
        return list(node.targets)
    if isinstance(node, (ast.For, ast.AsyncFor)):
        return [node.target]
    if isinstance(node, (ast.With, ast.AsyncWith)):
        return [item.optional_vars for item in node.items if item.optional_vars is not None]
    return []


def _targets(target: ast.expr) -> Iterable[ast.expr]:
    yield target
    if isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from _targets(element)
    elif isinstance(target, ast.Starred):
        yield from _targets(target.value)


def _names_in(target: ast.expr) -> list[str]:
    return [t.id for t in _targets(target) if isinstance(t, ast.Name)]


def _is_self_attr(node: ast.expr, me: str) -> bool:
    return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == me


def rebound_names(body: list[ast.stmt], definitions: bool = True) -> set[str]:
    """Names the statements of one scope bind, in any of its blocks (for a method: a parameter
    rebound holds anything): assignments, `del`, `for`/`with` targets, and with `definitions`
    the names of the `def`s and classes in it; what nested functions and a walrus bind aside."""
    found: set[str] = set()
    stack: list[Any] = list(body)
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if definitions:
                found.add(stmt.name)
            continue
        targets = stmt.targets if isinstance(stmt, (ast.Assign, ast.Delete)) else _binding_targets(stmt)
        if isinstance(stmt, ast.AnnAssign):
            targets = [stmt.target]
        found.update(name for target in targets for name in _names_in(target))
        _push_blocks(stmt, stack)
    return found


def _value_type(value: ast.expr, resolve: Callable[[ast.expr], str | None]) -> list[str] | None:
    """`_call_type`, and `await pkg.connect(...)`: what awaiting that call gives (`AWAITED`)."""
    if isinstance(value, ast.Await):
        made = _call_type(value.value, resolve) if isinstance(value.value, ast.Call) else None
        return [AWAITED + made[0][len(CALLED) :]] if made else None
    return _call_type(value, resolve)


def _local_bindings(body: list[ast.stmt]) -> dict[str, list[Any]]:
    """Name -> each binding of it in one function's own code: the value of `x = value` (`x: X = value`),
    `("async with", call)` for `async with call as x`, None for any other (a tuple's element, a loop or
    `with` target, an import, a `def`, `global`/`nonlocal`, `del`, `except ... as x`)."""
    found: dict[str, list[Any]] = {}

    def other(target: ast.expr | None) -> None:
        for name in _names_in(target) if target is not None else ():
            found.setdefault(name, []).append(None)

    stack: list[Any] = list(body)
    while stack:
        stmt = stack.pop()
        kind = type(stmt)
        if kind is ast.Assign:
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    found.setdefault(target.id, []).append(stmt.value)
                else:
                    other(target)
        elif kind is ast.AnnAssign:
            if stmt.value is not None and isinstance(stmt.target, ast.Name):
                found.setdefault(stmt.target.id, []).append(stmt.value)
        elif kind is ast.AsyncWith:
            for item in stmt.items:
                if isinstance(item.optional_vars, ast.Name) and isinstance(item.context_expr, ast.Call):
                    found.setdefault(item.optional_vars.id, []).append((ENTERED, item.context_expr))
                else:
                    other(item.optional_vars)
        elif kind in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
            found.setdefault(stmt.name, []).append(None)
            continue
        elif kind in (ast.Import, ast.ImportFrom):
            for alias in stmt.names:
                found.setdefault((alias.asname or alias.name).split(".")[0], []).append(None)
        elif kind in (ast.Global, ast.Nonlocal):
            for name in stmt.names:
                found.setdefault(name, []).append(None)
        elif kind is ast.ExceptHandler and stmt.name:
            found.setdefault(stmt.name, []).append(None)
        else:
            targets = stmt.targets if kind is ast.Delete else _binding_targets(stmt)
            for target in targets:
                other(target)
        _push_blocks(stmt, stack)
    return found


def _is_docstring(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)


def _returns_self(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether a method's own code ends in `return self` and returns nothing else (nested code aside)."""
    params = [*node.args.posonlyargs, *node.args.args]
    if not params or not node.body:
        return False
    me = params[0].arg
    last = node.body[-1]
    if not (isinstance(last, ast.Return) and isinstance(last.value, ast.Name) and last.value.id == me):
        return False
    stack: list[ast.AST] = list(node.body)
    while stack:
        child = stack.pop()
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        if isinstance(child, (ast.Yield, ast.YieldFrom)):
            return False
        if isinstance(child, ast.Return) and not (isinstance(child.value, ast.Name) and child.value.id == me):
            return False
        stack.extend(ast.iter_child_nodes(child))
    return me not in rebound_names(node.body)


def _call_type(value: ast.expr, resolve: Callable[[ast.expr], str | None]) -> list[str] | None:
    """`Client(...)`, `pkg.make(...)`: what calling that name gives; `None` itself: nothing; else unknown."""
    if isinstance(value, ast.Constant) and value.value is None:
        return []
    if isinstance(value, ast.Call) and isinstance(value.func, (ast.Name, ast.Attribute)):
        qualified = resolve(value.func)
        if qualified is not None and not qualified.startswith("builtins.") and "." in qualified:
            return [CALLED + qualified]
    return None


def _is_type_shape(value: ast.expr) -> bool:
    """Whether an assigned value looks like a type: a dotted name, `X | Y`, `Optional[X]`/`Union[...]`."""
    if isinstance(value, ast.Attribute):
        return _is_type_shape(value.value)
    if isinstance(value, ast.Name):
        return True
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.BitOr):
        return _is_type_shape(value.left) and _is_type_shape(value.right)
    if isinstance(value, ast.Subscript):
        return isinstance(value.value, (ast.Name, ast.Attribute))
    return isinstance(value, ast.Constant) and value.value is None


def _unique(types: list[str]) -> list[str]:
    return list(dict.fromkeys(types))


def _union(members: list[list[str] | None]) -> list[str] | None:
    """The classes of a `Union` (`None` left out); None when a member is unknown, or when it holds a
    coroutine beside anything else, `None` too (`Optional[Coroutine[...]]` may make no coroutine)."""
    if any(types is None for types in members):
        return None
    found = _unique([name for types in members for name in types])  # type: ignore[union-attr]
    if len(members) == 1:
        return found
    if any(name == COROUTINE or name.startswith(GENERIC) for name in found):
        return None
    return [name if name.startswith((MEMBER, CALLED)) else MEMBER + name for name in found]


def _either(kept: list[list[str] | None]) -> list[str] | None:
    """What differing assignments of a class's attribute give: the `Union` of their types, each a
    member (a member that is a coroutine makes the whole unknown, as in `_union`)."""
    names = [name for types in kept for name in types or ()]
    if any(name == COROUTINE or name.startswith(GENERIC) for name in names):
        return None
    return _unique([name if name.startswith(MEMBER) else MEMBER + name for name in names])


def _agreed(
    found: list[list[str] | None], differing: Callable[[list[list[str] | None]], list[str] | None] | None = None
) -> list[str] | None:
    """The types every binding gives (`None` values aside); None when one is unknown, or when they differ
    (unless `differing` says what they give then: for what a class assigns, the `Union` of them)."""
    kept = [types for types in found if types != []]
    if not kept or any(types is None for types in kept):
        return None
    # (`Optional[X]` and `X` agree: the classes are the same; a `Union`'s member marks are kept)
    plain = [[name.removeprefix(MEMBER) for name in types] for types in kept]  # type: ignore[union-attr]
    if any(types != plain[0] for types in plain):
        return differing(kept) if differing is not None else None
    return next((types for types in kept if types != plain[0]), kept[0])


# --- look-ups (run time, across the index) ---------------------------------------------------

#: Steps a look-up follows (bases, re-exports, aliases, call results) before it gives up.
LOOKUP_DEPTH = 8


def member_types(index: ProjectIndex, cls: str, key: str, depth: int = 0, owner: str | None = None) -> tuple[str, ...] | None:
    """What a class declares for `key` (`attr`, `method()`, `method await`), looking through its bases
    as `ProjectIndex.method_kind` does; None when not declared (or a base outside the index comes first).
    A method declared to return `Self` gives the class asked about (`owner`: that one, for its bases)."""
    found = index.class_definition(cls) if depth <= LOOKUP_DEPTH else None
    if found is None:
        return None
    qualified, entry = found
    owner = owner or qualified
    module, _, name = qualified.rpartition(".")
    info = index.module(module)
    if info is None:
        return None
    types = info.declared.get(f"{name}.{key}")
    if types == [SELF]:
        return (owner,)
    if types is not None:
        return normalize(index, types, depth + 1)
    member = key.partition("(")[0].partition(" ")[0]
    if member in entry["methods"]:
        return None  # defined here, with no type declared
    for base in entry["bases"]:
        inherited = member_types(index, base, key, depth + 1, owner)
        if inherited is not None:
            return inherited
        if index.class_entry(base) is None and base not in ("object", "typing.Generic", "abc.ABC"):
            return None  # a base the index does not know may define it
    return None


def value_types(index: ProjectIndex, qualified: str, depth: int = 0) -> tuple[str, ...] | None:
    """The declared type of a module-level name (`pkg.globals.bot`), following re-exports."""
    while depth <= LOOKUP_DEPTH:
        module, _, name = qualified.rpartition(".")
        info = index.module(module) if module else None
        if info is None:
            return None
        types = info.declared.get(name)
        if types is not None:
            return normalize(index, types, depth + 1)
        target = info.aliases.get(name)
        if target is None or target == qualified:
            return None
        qualified, depth = target, depth + 1
    return None


def return_types(index: ProjectIndex, qualified: str, awaited: bool = False, depth: int = 0) -> tuple[str, ...] | None:
    """What calling a function or method of the index gives (`awaited`: what awaiting an `async def`'s call gives)."""
    found = index.locate(qualified, depth)
    if found is None:
        return None
    module, info, rest, depth = found
    suffix = AWAITS if awaited else RETURNS
    if len(rest) == 2 and rest[0] in info.classes:
        return member_types(index, f"{module}.{rest[0]}", rest[1] + suffix, depth)
    types = info.declared.get(".".join(rest) + suffix)
    return normalize(index, types, depth + 1) if types is not None else None


def returns_coroutine(index: ProjectIndex, qualified: str) -> bool:
    """A sync function or method of the index declared to return a coroutine (`-> Coroutine[...]`, through
    aliases): calling it makes one, as calling an `async def` does. Overloads and decorated functions are
    not sync (`ProjectIndex.kind`), so never one."""
    return index.kind(qualified) == SYNC and return_types(index, qualified) == (COROUTINE,)


def method_returns_coroutine(index: ProjectIndex, cls: str, method: str) -> bool:
    """`returns_coroutine` for a method of a class, looking through its bases (`ProjectIndex.method_kind`)."""
    return index.method_kind(cls, method) == SYNC and member_types(index, cls, method + RETURNS) == (COROUTINE,)


def may_return_coroutine(types: list[str], coroutine_aliases: frozenset[str]) -> bool:
    """For the pre-screens: False only when a declared return (`ModuleInfo.declared`) is no coroutine's
    whatever its names resolve to (`coroutine_aliases`: the final names of the aliases of one)."""
    if len(types) != 1:
        return False
    name = types[0]
    return name == COROUTINE or name.startswith(GENERIC) or name.rpartition(".")[2] in coroutine_aliases


def coroutine_aliases(infos: Iterable[ModuleInfo]) -> frozenset[str]:
    """The names of the type aliases of a coroutine these modules define (`Response = Coroutine[Any, Any, T]`)."""
    return frozenset(
        key[: -len(ALIAS)] for info in infos for key, types in info.declared.items() if key.endswith(ALIAS) and types == [COROUTINE]
    )


def call_types(index: ProjectIndex, qualified: str, depth: int = 0) -> tuple[str, ...] | None:
    """What `qualified(...)` gives: an instance of a class, or a function's declared return."""
    if qualified in CONSTRUCTORS:
        return (qualified,)  # a catalogue constructor: the rules know what it makes
    found = index.class_definition(qualified)
    if found is not None:
        return (found[0],)
    if index.kind(qualified) != "sync":
        return None
    return return_types(index, qualified, False, depth)


def awaited_types(index: ProjectIndex, qualified: str, depth: int = 0) -> tuple[str, ...] | None:
    """What `await qualified(...)` gives: an `async def`'s declared result, or what the `__await__` of
    every class the call makes (an instance of a class, a function's declared return) gives."""
    if depth > LOOKUP_DEPTH:
        return None
    if index.kind(qualified) == "async":
        return return_types(index, qualified, True, depth + 1)
    return _through(index, call_types(index, qualified, depth + 1), AWAIT_KEY, depth + 1)


def entered_types(index: ProjectIndex, qualified: str, depth: int = 0) -> tuple[str, ...] | None:
    """What `async with qualified(...) as x` binds: what the `__aenter__` of every class the call makes
    is declared to return (an `async def __aenter__(self) -> Connection`, or `-> Self`)."""
    if depth > LOOKUP_DEPTH:
        return None
    return _through(index, call_types(index, qualified, depth + 1), AENTER_KEY, depth + 1)


def _through(index: ProjectIndex, classes: tuple[str, ...] | None, key: str, depth: int) -> tuple[str, ...] | None:
    """What each of `classes` declares for `key`, together; None when one of them declares nothing."""
    if not classes or COROUTINE in classes:
        return None
    found: list[str] = []
    for cls in classes:
        made = member_types(index, cls, key, depth)
        if made is None:
            return None
        found.extend(made)
    return tuple(dict.fromkeys(found))


def normalize(index: ProjectIndex, types: list[str], depth: int) -> tuple[str, ...] | None:
    """Stored types as classes: call results resolved, aliases of other modules followed."""
    if depth > LOOKUP_DEPTH:
        return None
    found: list[str] = []
    for name in types:
        made: tuple[str, ...] | None
        if name == COROUTINE:
            made = (COROUTINE,)
        elif name.startswith(GENERIC):  # (only a coroutine's alias is followed when subscripted)
            made = _alias(index, name[len(GENERIC) :], depth + 1)
            made = made if made == (COROUTINE,) else None
        elif name.startswith(MEMBER):  # (another module's alias of a coroutine, in a `Union`: unknown)
            made = normalize(index, [name[len(MEMBER) :]], depth + 1)
            made = None if made is None or COROUTINE in made else made
        elif name.startswith(CALLED):
            made = call_types(index, name[len(CALLED) :], depth + 1)
        elif name.startswith(AWAITED):
            made = awaited_types(index, name[len(AWAITED) :], depth + 1)
            made = None if made is not None and COROUTINE in made else made
        elif name.startswith(ENTERED):
            made = entered_types(index, name[len(ENTERED) :], depth + 1)
            made = None if made is not None and COROUTINE in made else made
        elif name == SELF:
            made = None  # (only a class's own look-up knows which class: `member_types`)
        elif index.class_definition(name) is not None:
            made = (index.class_definition(name)[0],)  # type: ignore[index]
        else:
            made = _alias(index, name, depth + 1)
        if made is None:
            return None
        found.extend(made)
    return tuple(dict.fromkeys(found))


def _alias(index: ProjectIndex, qualified: str, depth: int) -> tuple[str, ...] | None:
    """A type alias another module defines (`pkg.types.MaybeBot`); a class outside the index as named."""
    module, _, name = qualified.rpartition(".")
    info = index.module(module) if module else None
    if info is None:
        return (qualified,)  # a class of a library (or of nothing the index knows): as named
    types = info.declared.get(name + ALIAS)
    if types is not None:
        return normalize(index, types, depth + 1)
    target = info.aliases.get(name)
    if target is not None and target != qualified and depth <= LOOKUP_DEPTH:
        return _alias(index, target, depth + 1)
    return None  # a module of the index, and no class or alias of it


def declared_type_names(infos: Iterable[ModuleInfo], returns: bool = False) -> frozenset[str]:
    """Every type some module declares something as (`()f` as `f`; `returns`: what a function or
    method is declared to return only), for the pre-screens."""
    classes: set[str] = set()
    for info in infos:
        for key, types in info.declared.items():
            if not returns or key.endswith(RETURNS) or key.endswith(AWAITS):
                for name in types:
                    name = name.lstrip(MEMBER)
                    # (what is awaited or entered: resolved by `declared_async_methods`)
                    classes.add(name if name.startswith((AWAITED, ENTERED)) else name.lstrip(CALLED))
    return frozenset(classes)


def declared_async_methods(index: ProjectIndex, classes: Iterable[str]) -> frozenset[str]:
    """The names of the `async def` methods of these classes (`declared_type_names`) and of their
    bases: what a call through a declared receiver may resolve to, for the ASL2xx pre-screen."""
    found: set[str] = set()
    seen: set[str] = set()
    stack = [(name, 0) for name in classes]
    while stack:
        name, depth = stack.pop()
        if name.startswith((AWAITED, ENTERED)):
            if depth <= LOOKUP_DEPTH and name not in seen:
                seen.add(name)  # (`await pkg.connect`: the classes awaiting or entering it gives)
                stack.extend((cls, depth + 1) for cls in normalize(index, [name], depth) or ())
            continue
        definition = index.class_definition(name) if depth <= LOOKUP_DEPTH else None
        kind = index.kind(name) if definition is None and depth <= LOOKUP_DEPTH and name not in seen else None
        if kind == SYNC or kind == "async":
            seen.add(name)  # a function (`()pkg.make`): the classes it is declared to return (awaited: give)
            made = return_types(index, name, kind == "async", depth)
            stack.extend((cls, depth + 1) for cls in made or () if cls != COROUTINE)
            continue
        if definition is None or definition[0] in seen:
            continue
        seen.add(definition[0])
        entry = definition[1]
        found.update(method for method, kind in entry["methods"].items() if kind == "async")
        for key in (AWAIT_KEY, AENTER_KEY):  # (`await connect(...)`, `async with connect(...) as ws`: what they give)
            if key.partition(" ")[0] in entry["methods"]:
                stack.extend((cls, depth + 1) for cls in member_types(index, definition[0], key) or () if cls != COROUTINE)
        module, _, local = definition[0].rpartition(".")
        info = index.module(module)
        for method, kind in entry["methods"].items() if info is not None else ():
            if kind == SYNC:  # (declared to return a coroutine)
                types = info.declared.get(f"{local}.{method}{RETURNS}")  # type: ignore[union-attr]
                if types is not None and len(types) == 1 and normalize(index, types, 0) == (COROUTINE,):
                    found.add(method)
        stack.extend((base, depth + 1) for base in entry["bases"])
    return frozenset(found)


def derives(index: ProjectIndex, sub: str, cls: str, depth: int = 0) -> bool:
    """Whether the class `sub` has `cls` (a defining class's name, `ProjectIndex.class_definition`)
    among its bases, at any depth (re-exports followed; cycle-safe by depth)."""
    found = index.class_definition(sub) if depth <= LOOKUP_DEPTH else None
    if found is None:
        return False
    for base in found[1]["bases"]:
        defined = index.class_definition(base)
        if defined is not None and (defined[0] == cls or derives(index, base, cls, depth + 1)):
            return True
    return False


def subclasses(index: ProjectIndex, cls: str) -> list[str]:
    """The project's classes deriving from `cls` (a defining class's name), directly or not."""
    return [
        f"{module}.{name}"
        for module, info in index.root.modules.items()
        for name in info.classes
        if derives(index, f"{module}.{name}", cls)
    ]


_PROTOCOLS = frozenset({"typing.Protocol", "typing_extensions.Protocol"})


def is_protocol(index: ProjectIndex, cls: str, depth: int = 0) -> bool:
    """Whether a class of the index is a `Protocol` (a structural type: what really stands there
    may differ, a driver whose `close` is sync behind an `async def close` declaration)."""
    entry = index.class_entry(cls) if depth <= LOOKUP_DEPTH else None
    if entry is None:
        return False
    return any(base in _PROTOCOLS or is_protocol(index, base, depth + 1) for base in entry["bases"])


def declared_members(index: ProjectIndex, infos: Iterable[ModuleInfo]) -> dict[str, frozenset[str]]:
    """Attribute name -> every type a class of these modules declares an attribute of that name as,
    or a module-level name (as `normalize` gives them), for the pre-screens."""
    found: dict[str, set[str]] = {}
    for info in infos:
        for key, types in info.declared.items():
            owner, dot, attr = key.partition(".")
            if not dot:
                attr = owner  # a module-level name (`from .globals import bot`)
            if " " in attr or attr.endswith(RETURNS) or attr.endswith(ALIAS):
                continue  # (returns and aliases: not what a receiver is named)
            found.setdefault(attr, set()).update(normalize(index, types, 0) or ())
    return {attr: frozenset(types) for attr, types in found.items()}
