"""Which sync functions of the project reach a blocking call (ASL107), read with `ast`.

Each module's sync functions and methods are summarized once, while the project index reads
the file (`summarize`): the blocking calls of the ASL101-105 catalogue each makes in its own
code (not in a nested `def`, `lambda` or class, which may never run), and what else it calls
by a name the module resolves (an import, a definition of the module, `self.`/`cls.`
methods). The summaries are stored with the module's index entry, so they are read again
only when the file changes. `Reach` then follows them across the project: a call to a sync
function that makes a blocking call, directly or through further sync functions, within a
number of steps. Nothing here needs libcst.
"""

from __future__ import annotations

import ast
import fnmatch
import ipaddress
import os
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, NamedTuple

from asynclint.analysis import names as _names
from asynclint.analysis.index.declared import is_protocol, normalize
from asynclint.analysis.modules import LEAF_FIELDS, flatten, is_staticmethod
from asynclint.core.options import BlockingCallOptions, HelperOptions

if TYPE_CHECKING:
    from asynclint.analysis.index.indexer import ModuleInfo
    from asynclint.analysis.index.model import ProjectIndex

#: Blocking calls that cost once per process: a module is imported once, then found in
#: `sys.modules`. A helper that imports lazily (a backend chosen at run time, a plugin loaded on
#: first use) is called again and again from async code and blocks only the first time, so the
#: helper's callers are not reported; `import_module` written in async code itself still is (ASL105).
ONCE_PER_PROCESS = frozenset({"importlib.import_module"})
#: Module-level functions the ASL101-105 rules report (what a helper may reach).
BLOCKING_FUNCTIONS = (
    _names.SLEEP_CALLS | _names.HTTP_CALLS | _names.SUBPROCESS_CALLS | _names.FILE_CALLS | _names.BLOCKING_CALLS
) - ONCE_PER_PROCESS
#: Receiver type -> its blocking methods, as ASL102-105 know them (unbounded queues: `get` only).
BLOCKING_METHODS: dict[str, frozenset[str]] = {
    **_names.HTTP_METHODS,
    **_names.SUBPROCESS_METHODS,
    **_names.PATH_METHODS,
    **{kind: methods for kind, methods in _names.BLOCKING_METHODS.items() if kind != _names.BOUNDED_QUEUE},
}
#: Every name of those methods (a receiver is typed only for a call of one of these).
_BLOCKING_METHOD_NAMES = frozenset().union(*BLOCKING_METHODS.values())
#: Statements and expressions that bind a name (a local receiver's type is read from them).
_BINDERS = frozenset({ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor, ast.NamedExpr, ast.withitem})
#: A call target standing for a method found through a class and its bases: `^pkg.mod.Class.method`.
METHOD_MARK = "^"
#: A call target standing for a method of a declared receiver: `&pkg.mod.Class>attr>method` is `method`
#: on what `attr` of an instance of `pkg.mod.Class` is declared as (`self._client.refresh()`), and
#: `&pkg.store.Store>load` `load` on an instance of `pkg.store.Store` (a parameter `store: Store`).
#: Read when the search runs, across the index (`Reach.receiver_target`): the declaration may be in another module.
RECEIVER_MARK = "&"
#: Attributes of a receiver chain a summary records (`self.a.b.method()`: two).
_RECEIVER_ATTRS = 3

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_SCOPE_KINDS = frozenset(_SCOPES)
#: Nodes with nothing below them that a summary reads.
_LEAVES = frozenset({ast.Pass, ast.Break, ast.Continue, ast.Global, ast.Nonlocal, ast.Load, ast.Store, ast.Del})
#: Node type -> the fields that may hold nodes (`_own_code`'s walk).
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


# --- summaries (index time, one module) ---------------------------------------------------------


#: The index's kinds of plain `def` (project.SYNC, and RAISES for one that always raises: it may block first).
SYNC_KINDS = ("sync", "raises")


def summarize(
    tree: ast.Module, module: str, info: ModuleInfo, annotation: Callable[[ast.expr], list[str] | None] | None = None
) -> dict[str, str]:
    """Function key (`f`, `Class.method`, `f.<locals>.g`) -> what each sync function calls, as text.

    The text is one `call@line` per call, separated by spaces: a blocking call `!callee@line`
    (the callee as written), another call `target@line`, its target a qualified name (through
    the module's imports and definitions), a `METHOD_MARK` method or a `RECEIVER_MARK` method of a
    declared receiver (`annotation`: the classes a parameter's annotation names). Text, not lists: an index
    holds hundreds of thousands of these for the whole run, and strings cost the garbage
    collector nothing. Functions that call nothing resolvable are left out.
    """
    bound = _module_bindings(tree)
    found: dict[str, str] = {}
    summarizer = _Summarizer(module, info, bound, annotation)
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            name = stmt.targets[0].id
            summarizer.values[name] = None if name in summarizer.values else stmt.value
    for stmt in _definitions(tree.body):
        if isinstance(stmt, ast.ClassDef):
            methods = info.classes.get(stmt.name, {}).get("methods", {})
            for item in _definitions(stmt.body):
                if isinstance(item, ast.FunctionDef) and methods.get(item.name) in SYNC_KINDS:
                    summarizer.function(item, f"{stmt.name}.{item.name}", f"{module}.{stmt.name}", found)
        elif isinstance(stmt, ast.FunctionDef) and info.functions.get(stmt.name) in SYNC_KINDS:
            summarizer.function(stmt, stmt.name, "", found)
    return found


def _definitions(body: Iterable[ast.stmt]) -> Iterable[ast.stmt]:
    """The `def`s and classes of a block, where the index finds them too (`flatten`)."""
    return (stmt for stmt in flatten(body) if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)))


def _module_bindings(tree: ast.Module) -> set[str]:
    """Names the module binds at its top level other than by `def`/`class`/import (assignments, loops...)."""
    names: set[str] = set()
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor, ast.With, ast.AsyncWith)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] if not isinstance(node, (ast.With, ast.AsyncWith)) else [i.optional_vars for i in node.items if i.optional_vars is not None]
            for target in targets:
                names.update(_stored(target))
        elif isinstance(node, ast.Global):
            names.update(node.names)
        if isinstance(node, (ast.If, ast.Try, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith)):
            stack.extend(ast.iter_child_nodes(node))
        elif isinstance(node, ast.ExceptHandler):
            stack.extend(node.body)
    return names


class _Summarizer:
    def __init__(
        self, module: str, info: ModuleInfo, bound: set[str], annotation: Callable[[ast.expr], list[str] | None] | None
    ) -> None:
        self.module = module
        self.annotation = annotation
        self.aliases = info.aliases
        self.functions = info.functions
        self.classes = info.classes
        self.bound = bound
        #: Module-level names assigned once, by a plain `name = value`: their values (receiver types).
        self.values: dict[str, ast.expr | None] = {}
        #: The types of those module-level names, as found so far.
        self.module_types: dict[str, str | None] = {}

    def function(self, node: ast.FunctionDef, key: str, owner: str, found: dict[str, str]) -> None:
        """Summarize one sync function (its kind checked by the caller), and the sync helpers nested in it."""
        params = [a.arg for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)]
        for extra in (node.args.vararg, node.args.kwarg):
            if extra is not None:
                params.append(extra.arg)
        self_name = params[0] if owner and params and not is_staticmethod(node) else ""
        own_calls, bound_here, binders, defs, ifs, scopes = _own_code(node)
        #: Parameter -> its annotation, for those never rebound (declared receivers).
        annotated = {
            a.arg: a.annotation
            for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)
            if a.annotation is not None and a.arg != self_name and a.arg not in bound_here
        }
        nested = {stmt.name for stmt in defs}
        local = set(params) | bound_here
        types: dict[str, str | None] = {}
        blocking: list[tuple[str, int, frozenset[str]]] = []
        #: Target -> (line, guard, forwarded arguments) of its first call (`_Guards`).
        calls: dict[str, tuple[int, frozenset[str], frozenset[str]]] = {}
        guards = _Guards(node, params, self_name, bound_here, ifs, scopes)

        def edge(target: str, call: ast.Call) -> None:
            made = (call.lineno, guards.of(call), guards.forwarded(call))
            known = calls.get(target)
            # Called twice: the weaker guard and the arguments both calls forward alike (either may run).
            calls[target] = made if known is None else (known[0], known[1] & made[1], known[2] & made[2])

        for call in own_calls:
            func = call.func
            line = call.lineno
            if isinstance(func, ast.Attribute):
                if self_name and isinstance(func.value, ast.Name) and func.value.id == self_name:
                    edge(f"{METHOD_MARK}{owner}.{func.attr}", call)
                    continue
                kind = self.type_of(func.value, binders, types, local) if func.attr in _BLOCKING_METHOD_NAMES else None
                if kind is not None and func.attr in BLOCKING_METHODS.get(kind, ()):
                    # The summary is space-separated: a kind's label (`DB-API cursor`) is cut to one word.
                    receiver = func.value.id if isinstance(func.value, ast.Name) else _label(kind)
                    blocking.append((f"{receiver}.{func.attr}", line, guards.of(call)))
                    continue
                declared = self._receiver(func, self_name, owner, annotated)
                if declared is not None:
                    edge(declared, call)
                    continue
            elif isinstance(func, ast.Name) and func.id in nested and func.id not in self.bound:
                edge(f"{self.module}.{key}.<locals>.{func.id}", call)
                continue
            target = self.resolve(func, local)
            if target is None:
                continue
            if target in BLOCKING_FUNCTIONS and not _numeric_lookup(target, call):
                blocking.append((_spelled(func), line, guards.of(call)))
            elif not target.startswith("builtins."):
                edge(target, call)
        if blocking or calls:
            entries = [_entry(f"!{callee}", line, guard, frozenset()) for callee, line, guard in blocking]
            entries.extend(_entry(t, line, guard, args) for t, (line, guard, args) in calls.items())
            if guards.used:
                entries.insert(0, _signature(node, self_name))
            found[key] = " ".join(entries)
        for stmt in defs:
            if self.functions.get(f"{key}.<locals>.{stmt.name}") in SYNC_KINDS:
                # A nested helper: summarized, reached only when called.
                self.function(stmt, f"{key}.<locals>.{stmt.name}", "", found)

    def _receiver(self, func: ast.Attribute, self_name: str, owner: str, annotated: dict[str, ast.expr]) -> str | None:
        """`&Class>attr>method` for `self.attr.method()` in a method of `Class`, `&Store>method` for
        `store.method()` with a parameter `store: Store` (one class; `Optional` is fine), else None."""
        attrs: list[str] = []
        receiver = func.value
        while isinstance(receiver, ast.Attribute) and len(attrs) < _RECEIVER_ATTRS:
            attrs.insert(0, receiver.attr)
            receiver = receiver.value
        if not isinstance(receiver, ast.Name):
            return None
        if self_name and receiver.id == self_name:
            start = owner  # (`self.method()` itself is a `METHOD_MARK` target)
        elif receiver.id in annotated and self.annotation is not None:
            classes = self.annotation(annotated[receiver.id])
            if not classes or len(classes) != 1:
                return None  # unknown, or a `Union`
            start = classes[0]
        else:
            return None
        return RECEIVER_MARK + ">".join([start, *attrs, func.attr])

    def resolve(self, func: ast.expr, local: set[str]) -> str | None:
        """The qualified name a callee refers to through the module's own bindings (None: unknown)."""
        parts: list[str] = []
        while isinstance(func, ast.Attribute):
            parts.insert(0, func.attr)
            func = func.value
        if not isinstance(func, ast.Name) or func.id in local:
            return None
        name = func.id
        imported = self.aliases.get(name)
        defined = name in self.functions or name in self.classes
        if imported is not None:
            if defined or name in self.bound:
                return None  # bound two ways (`try: from x import f` / `except ImportError: def f()`)
            head = imported
        elif defined:
            if name in self.bound:
                return None
            head = f"{self.module}.{name}"
        elif name in self.bound:
            return None
        else:
            head = f"builtins.{name}"
        return ".".join([head, *parts])

    def type_of(self, expr: ast.expr, function: list[ast.AST] | None, types: dict[str, str | None], local: set[str]) -> str | None:
        """The receiver type tag of an expression (`_names` tags), when the function's code says it."""
        if isinstance(expr, ast.Call):
            if isinstance(expr.func, ast.Attribute):
                owner = self.type_of(expr.func.value, function, types, local)
                if owner is not None:
                    return _names.METHOD_RESULTS.get((owner, expr.func.attr))
            target = self.resolve(expr.func, local)
            return _names.CONSTRUCTORS.get(target) if target is not None else None
        if isinstance(expr, ast.Attribute):
            owner = self.type_of(expr.value, function, types, local)
            return _names.ATTRIBUTE_RESULTS.get((owner, expr.attr)) if owner else None
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Div):
            left = self.type_of(expr.left, function, types, local)
            return left if left == _names.PATH else None
        if isinstance(expr, ast.Name) and expr.id not in local:
            return self._module_type(expr.id)
        if isinstance(expr, ast.Name) and function is not None:
            if expr.id not in types:
                types[expr.id] = None  # (a binding refers to itself: unknown)
                types[expr.id] = self._name_type(expr.id, function, types, local)
            return types[expr.id]
        return None

    def _module_type(self, name: str) -> str | None:
        """The type of a module-level name bound once, by an assignment of a known constructor's result."""
        if name not in self.module_types:
            self.module_types[name] = None  # (while its value is typed: a name refers to itself)
            value = self.values.get(name)
            if value is not None and name not in self.functions and name not in self.classes and name not in self.aliases:
                self.module_types[name] = self.type_of(value, None, {}, set())
        return self.module_types[name]

    def _name_type(self, name: str, function: list[ast.AST], types: dict[str, str | None], local: set[str]) -> str | None:
        """The type of a local name every binding of which (`function`: the binding nodes of the function's own code) agrees on one."""
        found: set[str | None] = set()
        for node in function:
            if isinstance(node, ast.Assign):
                if any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                    found.add(self.type_of(node.value, function, types, local))
                elif any(name in _stored(t) for t in node.targets):
                    return None
            elif isinstance(node, ast.withitem) and isinstance(node.optional_vars, ast.Name) and node.optional_vars.id == name:
                made = self.type_of(node.context_expr, function, types, local)
                found.add(made if made in _names.ENTER_RETURNS_SELF or made == _names.PATH else None)
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor, ast.NamedExpr)):
                if name in _stored(node.target):
                    if isinstance(node, ast.AnnAssign) and node.value is not None:
                        found.add(self.type_of(node.value, function, types, local))
                    else:
                        return None
        return found.pop() if len(found) == 1 else None


def _stored(target: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}


def _own_code(
    function: ast.FunctionDef,
) -> tuple[list[ast.Call], set[str], list[ast.AST], list[ast.FunctionDef], list[ast.If], list[ast.AST]]:
    """The calls the function's own code makes, in source order, the names it binds (by
    assignment, `for`, `with`, `except`, import, `del`), the nodes binding them by assignment,
    `for` or `with`, the sync functions it defines (nested defs, lambdas and classes left out),
    its `if` statements, and the functions and classes nested in it (lambdas left out: no
    statement of theirs can say `nonlocal`)."""
    defs: list[ast.FunctionDef] = []
    scopes: list[ast.AST] = []
    ifs: list[ast.If] = []
    calls: list[ast.Call] = []
    names: set[str] = set()
    binders: list[ast.AST] = []
    stack: list[ast.AST] = list(function.body)
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is ast.Call:
            calls.append(node)  # type: ignore[arg-type]
        elif kind is ast.Name:
            if type(node.ctx) is not ast.Load:  # type: ignore[attr-defined]
                names.add(node.id)  # type: ignore[attr-defined]
            continue
        elif kind is ast.Constant:
            continue
        elif kind in _SCOPE_KINDS:
            if kind is not ast.Lambda:
                names.add(node.name)  # type: ignore[attr-defined]
                scopes.append(node)
            if kind is ast.FunctionDef:
                defs.append(node)  # type: ignore[arg-type]
            continue
        elif kind is ast.Import or kind is ast.ImportFrom:
            names.update((a.asname or a.name).split(".")[0] for a in node.names)  # type: ignore[attr-defined]
            continue
        elif kind in _LEAVES or not isinstance(node, ast.AST):
            continue  # (and the strings of `global` names, match patterns' attribute names)
        elif kind is ast.ExceptHandler and node.name:  # type: ignore[attr-defined]
            names.add(node.name)  # type: ignore[attr-defined]
        elif kind in _BINDERS:
            binders.append(node)
        elif kind is ast.If:
            ifs.append(node)  # type: ignore[arg-type]
        elif kind in _MATCH_BINDERS:
            names.update(_match_names(node))
        fields = _CHILD_FIELDS.get(kind)
        if fields is None:
            fields = _CHILD_FIELDS[kind] = tuple(f for f in kind._fields if f not in LEAF_FIELDS)
        for field in fields:  # (`ast.iter_child_nodes`, inlined: this walk reads every sync function of the project)
            value = getattr(node, field, None)
            if type(value) is list:
                stack.extend(value)
            elif isinstance(value, ast.AST):
                stack.append(value)
    calls.sort(key=lambda c: (c.lineno, c.col_offset))
    return calls, names, binders, defs, ifs, scopes


#: Match patterns that bind a name (`case x:`, `case [*rest]:`, `case {**rest}:`).
_MATCH_BINDERS = frozenset({ast.MatchAs, ast.MatchStar, ast.MatchMapping})


def _match_names(node: ast.AST) -> list[str]:
    """The name a match pattern binds, if any."""
    name = getattr(node, "rest" if isinstance(node, ast.MatchMapping) else "name", None)
    return [name] if name else []


class _Guards:
    """What a sync function's calls need of its parameters, and which parameters they pass on.

    A call in the body of an `if` whose test requires a parameter (`if p:`, `if p and q:`,
    `if p is not None:`, `if p == "literal":`; nested `if`s: every test; never the `else`) runs only
    when the parameter is truthy (`p`) or not None (`p~`). A call forwarding a parameter as a plain
    name (`callee(host, port=port)`) passes it on (`0=host`, `port=port`). Both hold only for a
    parameter that nothing rebinds before the test or the call (nor in a loop around it, nor
    `nonlocal` in a nested function). `Reach` reads them to drop what an argument the async code
    leaves out (a falsy default) makes unreachable.
    """

    def __init__(
        self, node: ast.FunctionDef, params: list[str], self_name: str, bound: set[str], ifs: list[ast.If], scopes: list[ast.AST]
    ) -> None:
        self.node = node
        args = node.args
        self.plain = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)} - {self_name}
        #: The parameters a call forwards are recorded for those with a falsy default only: what a call
        #: may leave out (the start of what `Reach` knows falsy; a summary in three has one otherwise).
        positional = [*args.posonlyargs, *args.args]
        self.optional = {
            a.arg
            for a, default in (*zip(positional[len(positional) - len(args.defaults) :], args.defaults), *zip(args.kwonlyargs, args.kw_defaults))
            if _falsy_mark(default) is not None
        } - {self_name}
        self.bound = bound
        #: Whether a call of the summary has a guard or forwards a parameter (then it holds the signature).
        self.used = False
        self._guard: dict[int, frozenset[str]] = {}
        self._bindings: dict[str, list[tuple[int, int]]] | None = None
        self._loops: list[tuple[int, int]] = []
        #: The functions and classes nested in the function (`_own_code`), and the names they declare `nonlocal`.
        self._scopes = scopes
        self._nonlocal: set[str] | None = None
        for stmt in ifs:
            needs = frozenset(
                f"{name}~" if not_none else name
                for name, not_none in _requirements(stmt.test)
                if name in self.plain and self._unchanged(name, (stmt.test.end_lineno or 0, stmt.test.end_col_offset or 0), stmt.lineno)
            )
            if needs:
                for call in _calls_in(stmt.body):
                    self._guard[id(call)] = self._guard.get(id(call), frozenset()) | needs

    def of(self, call: ast.Call) -> frozenset[str]:
        """The parameters `call` needs truthy (`p`) or not None (`p~`)."""
        found = self._guard.get(id(call), frozenset()) if self._guard else frozenset()
        if found:
            self.used = True
        return found

    def forwarded(self, call: ast.Call) -> frozenset[str]:
        """`slot=param` for each parameter `call` passes on unchanged (slot: a position or a keyword)."""
        optional = self.optional
        if not optional:
            return frozenset()
        found: list[str] = []
        end = (call.end_lineno or 0, call.end_col_offset or 0)
        for index, arg in enumerate(call.args):
            if isinstance(arg, ast.Starred):
                break  # (the positions after it are unknown)
            if isinstance(arg, ast.Name) and arg.id in optional and self._unchanged(arg.id, end, call.lineno):
                found.append(f"{index}={arg.id}")
        for keyword in call.keywords:
            value = keyword.value
            if keyword.arg is not None and isinstance(value, ast.Name) and value.id in optional and self._unchanged(value.id, end, call.lineno):
                found.append(f"{keyword.arg}={value.id}")
        if found:
            self.used = True
        return frozenset(found)

    def _unchanged(self, name: str, after: tuple[int, int], line: int) -> bool:
        """Whether the parameter `name` still holds its argument at `after` (a test's or call's end, on `line`)."""
        if self._nonlocal is None:
            self._nonlocal = {n for scope in self._scopes for inner in ast.walk(scope) if isinstance(inner, ast.Nonlocal) for n in inner.names}
        if name in self._nonlocal:
            return False
        if name not in self.bound:
            return True  # (the function's own code never rebinds it: no walk needed)
        if self._bindings is None:
            self._bindings = self._walk_bindings()
        places = self._bindings.get(name)
        if not places or min(places) <= after:
            return False  # rebound before (or by a binding whose place is not read)
        return not any(start <= line <= end for start, end in self._loops)

    def _walk_bindings(self) -> dict[str, list[tuple[int, int]]]:
        """Parameter -> where the function's own code rebinds it; and the lines of its loops."""
        found: dict[str, list[tuple[int, int]]] = {}
        stack: list[ast.AST] = list(self.node.body)
        while stack:
            node = stack.pop()
            if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                named = [node.id]
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                found.setdefault(node.name, []).append((node.lineno, node.col_offset))
                continue
            elif isinstance(node, ast.Lambda):
                continue
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                named = [(a.asname or a.name).split(".")[0] for a in node.names]
            elif isinstance(node, ast.ExceptHandler) and node.name:
                named = [node.name]
            elif type(node) in _MATCH_BINDERS:
                named = _match_names(node)
            else:
                named = []
                if isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
                    self._loops.append((node.lineno, node.end_lineno or node.lineno))
            for name in named:
                if name in self.plain:
                    found.setdefault(name, []).append((getattr(node, "lineno", 0), getattr(node, "col_offset", 0)))
            stack.extend(ast.iter_child_nodes(node))
        return found


def _requirements(test: ast.expr) -> list[tuple[str, bool]]:
    """(name, whether only not-None is required) for each name a test needs truthy to pass."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return [need for value in test.values for need in _requirements(value)]
    if isinstance(test, ast.Name):
        return [(test.id, False)]
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.left, ast.Name):
        op, right = test.ops[0], test.comparators[0]
        if isinstance(right, ast.Constant):
            if isinstance(op, ast.IsNot) and right.value is None:
                return [(test.left.id, True)]
            if isinstance(op, ast.Eq) and right.value is not None and right.value:
                return [(test.left.id, False)]  # (equal to a truthy constant: no falsy value is)
    return []


def _calls_in(body: list[ast.stmt]) -> Iterable[ast.Call]:
    """The calls of a block's own code (nested defs, lambdas and classes left out)."""
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Call):
            yield node
        elif isinstance(node, _SCOPES):
            continue
        stack.extend(ast.iter_child_nodes(node))


def _falsy_mark(default: ast.expr | None) -> str | None:
    """`=` for a `None` default, `=0` for another falsy constant (`False`, `0`, `""`), else None."""
    if not isinstance(default, ast.Constant):
        return None
    value = default.value
    if value is None:
        return "="
    if value is False or (type(value) in (int, float) and value == 0) or value == "" or value == b"":
        return "=0"
    return None


def _signature(node: ast.FunctionDef, self_name: str) -> str:
    """`(a,b=,c=0;d=`: the parameters a call passes by position (the bound one left out), `;`
    those only by keyword, each with `=` for a `None` default and `=0` for another falsy one."""
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    marked = [a.arg + (_falsy_mark(d) or "") for a, d in zip(positional, defaults)]
    if self_name and positional and positional[0].arg == self_name:
        marked = marked[1:]
    text = "(" + ",".join(marked)
    if args.kwonlyargs:
        text += ";" + ",".join(a.arg + (_falsy_mark(d) or "") for a, d in zip(args.kwonlyargs, args.kw_defaults))
    return text


def _entry(target: str, line: int, guard: frozenset[str], args: frozenset[str]) -> str:
    """`target@line`, then `?p,q~` (its guard) and `:0=host,port=port` (what it forwards) when any."""
    text = f"{target}@{line}"
    if guard:
        text += "?" + ",".join(sorted(guard))
    if args:
        text += ":" + ",".join(sorted(args))
    return text


#: Resolver calls that return at once for a numeric address (no name to look up).
_LOOKUPS = frozenset({"socket.getaddrinfo", "socket.gethostbyname"})


def _label(kind: str) -> str:
    """`cursor` for `DB-API cursor`, `Queue` for `queue.Queue(maxsize>0)`, `SSLContext` for `ssl.SSLContext`."""
    return kind.rpartition(".")[2].split(" ")[-1].partition("(")[0]


class Signature(NamedTuple):
    """What a summary's signature (`_signature`) says: the parameters a call passes by position,
    parameter -> whether its falsy default is `None`, and the parameters its guards or forwards name."""

    positional: tuple[str, ...]
    falsy: dict[str, bool]
    relevant: frozenset[str]


#: A blocking call: (callee, line, guard); a call: (target, line, guard, forwarded `slot=param`).
Blocking = tuple[str, int, tuple[str, ...]]
Call = tuple[str, int, tuple[str, ...], tuple[str, ...]]


def _decoded(summary: str) -> tuple[Signature | None, list[Blocking], list[Call]]:
    """A summary's signature (None: no guard nor forward), its blocking calls and its other calls (`summarize`'s text)."""
    blocking: list[Blocking] = []
    calls: list[Call] = []
    entries = summary.split(" ")
    if summary[:1] != "(":
        for entry in entries:
            target, _, line = entry.rpartition("@")
            if target[:1] == "!":
                blocking.append((target[1:], int(line), ()))
            else:
                calls.append((target, int(line), (), ()))
        return None, blocking, calls
    head, *entries = entries
    relevant: set[str] = set()
    for entry in entries:
        target, _, rest = entry.partition("@")
        rest, _, forwarded = rest.partition(":")
        line, _, guarded = rest.partition("?")
        guard = tuple(guarded.split(",")) if guarded else ()
        args = tuple(forwarded.split(",")) if forwarded else ()
        relevant.update(g.rstrip("~") for g in guard)
        relevant.update(a.partition("=")[2] for a in args)
        if target[:1] == "!":
            blocking.append((target[1:], int(line), guard))
        else:
            calls.append((target, int(line), guard, args))
    positional_text, _, keyword_text = head[1:].partition(";")
    positional: list[str] = []
    falsy: dict[str, bool] = {}
    for names, by_position in ((positional_text, True), (keyword_text, False)):
        for text in names.split(",") if names else ():
            name, marked, mark = text.partition("=")
            if by_position:
                positional.append(name)
            if marked:
                falsy[name] = mark == ""
    return Signature(tuple(positional), falsy, frozenset(relevant)), blocking, calls


def _excluded(guard: tuple[str, ...], falsy: frozenset[tuple[str, bool]]) -> bool:
    """Whether a guard cannot pass with these parameters known falsy ((name, whether known None))."""
    for need in guard:
        if need[-1:] == "~":
            if (need[:-1], True) in falsy:
                return True
        elif (need, True) in falsy or (need, False) in falsy:
            return True
    return False


def _numeric_lookup(target: str, call: ast.Call) -> bool:
    """Whether a resolver call looks up a literal IP address (answered without the network)."""
    if target not in _LOOKUPS or not call.args:
        return False
    host = call.args[0]
    if not (isinstance(host, ast.Constant) and isinstance(host.value, str)):
        return False
    try:
        ipaddress.ip_address(host.value)
    except ValueError:
        return False
    return True


def _spelled(expr: ast.expr) -> str:
    """A short spelling of a callee (`requests.get`, `Path(...).read_text`)."""
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        return f"{_spelled(expr.value)}.{expr.attr}"
    if isinstance(expr, ast.Call):
        return f"{_spelled(expr.func)}(...)"
    return "..."


# --- reachability (the whole project) -----------------------------------------------------------


class Step(NamedTuple):
    """One link of a chain: a helper called (`name()`), or the blocking call it ends with."""

    name: str
    module: str
    line: int


Chain = tuple[Step, ...]


@dataclass(frozen=True)
class ReachOptions:
    """What the search follows: how many helpers deep, extra blocking names, helpers known to be fast."""

    depth: int = 4
    blocking_calls: frozenset[str] = frozenset()
    nonblocking_helpers: tuple[str, ...] = ()


def reach_options(options: Mapping[type, Any]) -> ReachOptions:
    """What ASL107 follows under these rule options (`helper-depth`, `blocking-calls`, `nonblocking-helpers`)."""
    helpers = options.get(HelperOptions) or HelperOptions()
    blocking = options.get(BlockingCallOptions) or BlockingCallOptions()
    return ReachOptions(helpers.helper_depth, frozenset(blocking.blocking_calls), helpers.nonblocking_helpers)


class Reach:
    """Chains from project sync functions to blocking calls, memoized (cycles end at the depth limit)."""

    def __init__(self, project: ProjectIndex, options: ReachOptions) -> None:
        self.project = project
        self.options = options
        self._memo: dict[tuple[str, str, int], Chain | None] = {}
        #: (class, method) -> its chain (`class_method`).
        self._declared: dict[tuple[str, str], Chain | None] = {}
        #: Class -> the defining names of its bases at any depth (`overridden_async`).
        self._bases_of: dict[str, frozenset[str]] = {}
        #: Qualified name -> whether it names a project class (`class_method`: asked for every name a file calls).
        self._is_class: dict[str, bool] = {}
        #: Class -> the method names it and its bases define (`class_method`).
        self._reached: dict[str, frozenset[str]] = {}
        #: Qualified name -> `of_name` (ASL107's screen asks it for every name a call in async code may resolve to).
        self._of_name: dict[str, Chain | None] = {}
        #: (module, function key) -> `signature` (each summary's text decoded once, not per call site).
        self._signatures: dict[tuple[str, str], Signature | None] = {}
        #: Module name -> real path of its file, made when first needed (`shown_path`).
        self._paths: dict[str, str] | None = None

    def of_name(self, qualified: str) -> Chain | None:
        """The chain from calling the function `qualified` names (through re-exports), or None."""
        if qualified in self._of_name:
            return self._of_name[qualified]
        found = self.definition(qualified)
        chain = self._of_name[qualified] = self._from(*found, self.options.depth) if found is not None else None
        return chain

    def of_method(self, owner: str, method: str) -> Chain | None:
        """The chain from calling `self.method()` in a method of the class `owner`, or None."""
        found = self.method_definition(owner, method, 0)
        return self._from(*found, self.options.depth) if found is not None else None

    def _from(self, module: str, key: str, budget: int, falsy: frozenset[tuple[str, bool]] = frozenset()) -> Chain | None:
        """The shortest chain (at most `budget` helpers) from the sync function `key` of `module`,
        with `falsy` its parameters known falsy ((name, whether known None): `at_call`)."""
        if budget <= 0:
            return None
        memo_key: tuple[Any, ...] = (module, key, budget, falsy) if falsy else (module, key, budget)
        if memo_key in self._memo:
            return self._memo[memo_key]
        self._memo[memo_key] = None  # a cycle back here finds nothing more
        info = self.project.module(module)
        summary = info.summaries.get(key) if info is not None else None
        best: Chain | None = None
        if summary is not None and not self._allowed(f"{module}.{key}"):
            name = key.rpartition(".")[2]
            _, blocks, calls = _decoded(summary)
            blocking = next((b for b in blocks if not (falsy and b[2] and _excluded(b[2], falsy))), None)
            if blocking is not None:
                callee, line, _ = blocking
                best = (Step(name, module, line), Step(callee, module, line))
            else:
                extra = self.options.blocking_calls
                for target, line, guard, forwarded in calls:
                    if falsy and guard and _excluded(guard, falsy):
                        continue
                    if target in extra:
                        best = (Step(name, module, line), Step(target.rpartition(".")[2], module, line))
                        break
                    declared = self.receiver_target(target[1:]) if target[0] == RECEIVER_MARK else None
                    if isinstance(declared, str):  # a blocking method of the catalogue (`Session.get`)
                        best = (Step(name, module, line), Step(declared, module, line))
                        break
                    if budget == 1:
                        continue
                    if target[0] == RECEIVER_MARK:
                        found = declared
                    else:
                        owner, _, method = target[1:].rpartition(".")
                        found = self.method_definition(owner, method, 0) if target[0] == METHOD_MARK else self.definition(target)
                    if found is None:
                        continue
                    passed = self._passed(found, target[0] != METHOD_MARK and target[0] != RECEIVER_MARK, forwarded, falsy) if falsy and forwarded else frozenset()
                    chain = self._from(*found, budget - 1, passed)
                    if chain is not None and (best is None or len(chain) + 1 < len(best)):
                        best = (Step(name, module, line), *chain)
                        if len(best) == 3:
                            break  # none can be shorter
        self._memo[memo_key] = best
        return best

    def _passed(
        self, found: tuple[str, str], by_name: bool, forwarded: tuple[str, ...], falsy: frozenset[tuple[str, bool]]
    ) -> frozenset[tuple[str, bool]]:
        """The parameters of the callee `found` known falsy: those a call forwards a parameter known falsy to
        (`slot=param`; a position only when the call binds as written: not `Class.method(obj, ...)`)."""
        signature = self.signature(*found)
        if signature is None:
            return frozenset()
        known = dict(falsy)
        exact = not by_name or "." not in found[1] or found[1].rsplit(".", 2)[-2] == "<locals>"
        passed: set[tuple[str, bool]] = set()
        for arg in forwarded:
            slot, _, param = arg.partition("=")
            if param not in known:
                continue
            if slot.isdigit():
                if not exact or int(slot) >= len(signature.positional):
                    continue
                slot = signature.positional[int(slot)]
            if slot in signature.relevant:
                passed.add((slot, known[param]))
        return frozenset(passed)

    def signature(self, module: str, key: str) -> Signature | None:
        """The signature a function's summary holds (only when a call of it has a guard or forwards a parameter)."""
        memo = self._signatures
        if (module, key) not in memo:
            info = self.project.module(module)
            summary = info.summaries.get(key) if info is not None else None
            memo[(module, key)] = _decoded(summary)[0] if summary is not None and summary[:1] == "(" else None
        return memo[(module, key)]

    def at_call(self, found: tuple[str, str], positional: int, keywords: frozenset[str], none: frozenset[str] = frozenset()) -> Chain | None:
        """The chain from a call of the function `found` with `positional` arguments by position and
        these keywords (no `*`/`**`): its parameters with a falsy default the call leaves out, and
        those it passes `None` (`none`), are known falsy, and what needs them truthy is left out."""
        signature = self.signature(*found)
        falsy: set[tuple[str, bool]] = set()
        if signature is not None:
            for name, is_none in signature.falsy.items():
                if name not in signature.relevant or name in keywords:
                    continue
                index = signature.positional.index(name) if name in signature.positional else len(signature.positional)
                if index >= positional:
                    falsy.add((name, is_none))
            falsy.update((name, True) for name in none if name in keywords and name in signature.relevant)
        return self._from(*found, self.options.depth, frozenset(falsy))

    def receiver_target(self, text: str) -> tuple[str, str] | str | None:
        """What a `RECEIVER_MARK` target (`pkg.Class>attr>method`, the mark left out) calls: the
        (module, `Class.method`) of a sync method (`method_of`), the label of a blocking method of
        the catalogue (`Session.get`), or None. Each attribute must be declared as one class."""
        start, *attrs, method = text.split(">")
        classes = normalize(self.project, [start], 0)
        for attr in attrs:
            if classes is None or len(classes) != 1:
                return None
            classes = self.project.attribute_types(classes[0], attr)
        if classes is None or len(classes) != 1:
            return None  # unknown, or a `Union`
        kind = _names.CONSTRUCTORS.get(classes[0])
        if kind is not None:
            return f"{_label(kind)}.{method}" if method in BLOCKING_METHODS.get(kind, ()) else None
        return self.method_of(classes[0], method)

    def method_of(self, cls: str, method: str) -> tuple[str, str] | None:
        """(module, `Class.method`) of the sync method a call on an object declared as `cls` runs, or None:
        not when `cls` is a `Protocol` (what stands there may be anything with that method) or when a
        subclass of the project redefines the method `async def` (the object may well be one of those)."""
        found = self.method_definition(cls, method, 0)
        if found is None or is_protocol(self.project, cls) or self.overridden_async(cls, method):
            return None
        return found

    def overridden_async(self, cls: str, method: str) -> bool:
        """Whether a class of the project derived from `cls` defines `method` as `async def`."""
        subs = self.project.async_method_classes().get(method)
        if not subs:
            return False
        defined = self.project.class_definition(cls)
        return defined is not None and any(defined[0] in self._ancestors(sub) for sub in subs)

    def _ancestors(self, cls: str) -> frozenset[str]:
        """The defining names of a project class's bases, at any depth (memoized; `declared.derives` walks the same)."""
        found = self._bases_of.get(cls)
        if found is None:
            self._bases_of[cls] = frozenset()  # (a cycle of bases ends here)
            names: set[str] = set()
            entry = self.project.class_definition(cls)
            for base in entry[1]["bases"] if entry is not None else ():
                defined = self.project.class_definition(base)
                if defined is not None:
                    names.add(defined[0])
                    names.update(self._ancestors(defined[0]))
            found = self._bases_of[cls] = frozenset(names)
        return found

    def is_class(self, qualified: str) -> bool:
        """Whether a qualified name is a project class (`ProjectIndex.class_definition`), memoized."""
        found = self._is_class.get(qualified)
        if found is None:
            found = self._is_class[qualified] = self.project.class_definition(qualified) is not None
        return found

    def _methods_reached(self, cls: str) -> frozenset[str]:
        """The method names a class and its bases at any depth define (re-exports followed, as
        `method_definition` follows them but without its depth limit: it finds no method left out)."""
        found = self._reached.get(cls)
        if found is None:
            names: set[str] = set()
            seen: set[str] = set()
            stack = [cls]
            while stack:
                name = stack.pop()
                if name in seen:
                    continue
                seen.add(name)
                defined = self._class(name, 0)
                if defined is not None:
                    names.update(defined[2]["methods"])
                    stack.extend(defined[2]["bases"])
            found = self._reached[cls] = frozenset(names)
        return found

    def class_method(self, cls: str, method: str) -> Chain | None:
        """The chain from calling `method` on an object declared as `cls`, when that runs a sync method
        of a project class (not an installed library's) reaching a blocking call (`method_of`)."""
        if method not in self.project.sync_method_names() or not self.is_class(cls):
            return None  # (asked for every name a file calls and every method name: kept only for classes)
        if method not in self._methods_reached(cls):
            return None  # (asked for every method name a file calls on anything: `method_definition` finds none)
        key = (cls, method)
        if key not in self._declared:
            found = self.method_of(cls, method)
            in_project = found is not None and found[0] in self.project.modules
            self._declared[key] = self._from(found[0], found[1], self.options.depth) if found is not None and in_project else None
        return self._declared[key]

    def _allowed(self, qualified: str) -> bool:
        return any(fnmatch.fnmatchcase(qualified, pattern) for pattern in self.options.nonblocking_helpers)

    def definition(self, qualified: str, depth: int = 0) -> tuple[str, str] | None:
        """(module, function key) of the sync function a qualified name refers to, following re-exports."""
        found = self.project.locate(qualified, depth)
        if found is None:
            return None
        module, info, rest, depth = found
        key = ".".join(rest)
        if key in info.functions:
            return (module, key) if info.functions[key] in SYNC_KINDS else None
        return self.method_definition(f"{module}.{rest[0]}", rest[1], depth + 1)

    def method_definition(self, owner: str, method: str, depth: int) -> tuple[str, str] | None:
        """(module, `Class.method`) of the sync method a class (or the first base having it) defines."""
        found = self._class(owner, depth)
        if found is None:
            return None
        module, name, entry = found
        kind = entry["methods"].get(method)
        if kind is not None:
            return (module, f"{name}.{method}") if kind in SYNC_KINDS else None
        for base in entry["bases"]:
            inherited = self.method_definition(base, method, depth + 1)
            if inherited is not None:
                return inherited
        return None

    def _class(self, qualified: str, depth: int) -> tuple[str, str, dict[str, Any]] | None:
        if depth > 8:
            return None
        module, _, name = qualified.rpartition(".")
        info = self.project.module(module)
        if info is None:
            return None
        if name in info.classes:
            return module, name, info.classes[name]
        target = info.aliases.get(name)
        return self._class(target, depth + 1) if target is not None and target != qualified else None


def reach_facts(reach: Reach) -> Iterable[tuple[str, str]]:
    """(identifier, fact) for every name that calls a project sync function reaching a blocking call
    (definitions, methods, import aliases), the fact naming the chain: the result cache's
    dependency keys, so that a helper that starts or stops blocking re-checks the files naming it."""
    reaching: set[str] = set()
    modules = [*reach.project.modules.items(), *reach.project.library_modules().items()]  # (installed libraries too)
    for module, info in modules:
        for key in info.summaries:
            chain = reach._from(module, key, reach.options.depth)
            if chain is not None:
                reaching.add(key.rpartition(".")[2])
                yield key.rpartition(".")[2], f"reaches {module}.{key} {_chain_text(chain)}{_narrowed_text(reach, module, key)}"
    for module, info in modules:
        for alias, target in info.aliases.items():
            # An alias of such a function ends with its name (`from .io import read as load`).
            if target.rpartition(".")[2] in reaching and target != f"{module}.{alias}":
                chain = reach.of_name(target)
                if chain is not None:
                    found = reach.definition(target)
                    narrowed = _narrowed_text(reach, *found) if found is not None else ""
                    yield alias, f"reaches {module}.{alias} {_chain_text(chain)}{narrowed}"


#: Parameters of a helper whose being left out `_narrowed_text` tries in every combination (the first ones beyond).
_NARROWED_PARAMETERS = 4


def _narrowed_text(reach: Reach, module: str, key: str) -> str:
    """The chains from a call of the function leaving out each combination of the parameters its
    guards or forwards need (`Reach.at_call`): what a call site finds changes with any guard on the way."""
    signature = reach.signature(module, key)
    if signature is None:
        return ""
    names = [name for name in signature.relevant if name in signature.falsy]
    names.sort()
    del names[_NARROWED_PARAMETERS:]
    parts = []
    for mask in range(1, 1 << len(names)):
        falsy = frozenset((name, signature.falsy[name]) for i, name in enumerate(names) if mask >> i & 1)
        chain = reach._from(module, key, reach.options.depth, falsy)
        parts.append(_chain_text(chain) if chain is not None else "-")
    return "".join(f" | {part}" for part in parts)


def _chain_text(chain: Chain) -> str:
    # Without lines: moving lines re-checks only the files whose findings show them (analysis/index/positions.py).
    return " ".join(f"{step.name}:{step.module}" for step in chain)


_REACHES: weakref.WeakKeyDictionary[ProjectIndex, dict[ReachOptions, Reach]] = weakref.WeakKeyDictionary()


def reach_for(project: ProjectIndex, options: ReachOptions) -> Reach:
    """The search over a project's index (shared by every file's view of it: each chain is found once)."""
    root = project.root
    per_options = _REACHES.setdefault(root, {})
    found = per_options.get(options)
    if found is None:
        found = per_options[options] = Reach(root, options)
    return found


def shown_path(reach: Reach, module: str) -> str:
    """How a finding names the file of a module: its path from the package root (`pkg/settings.py`)."""
    if reach._paths is None:
        reach._paths = {name: real for real, (name, _) in reach.project.by_path.items()}
    real = reach._paths.get(module)
    tail = "/__init__.py" if real is not None and os.path.basename(real) == "__init__.py" else ".py"
    return module.replace(".", "/") + tail


def real_file(reach: Reach, module: str) -> str | None:
    """The real path of a module's file, when indexed."""
    shown_path(reach, module)
    assert reach._paths is not None
    return reach._paths.get(module)
