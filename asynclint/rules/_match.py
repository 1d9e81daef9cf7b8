"""Shared predicates for rules: resolve a name through imports, know what a receiver holds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Collection

import libcst as cst
from libcst.metadata import (
    Assignment,
    FunctionScope,
    QualifiedName,
    QualifiedNameSource,
    ScopeProvider,
)

from asynclint.analysis import names as _names
from asynclint.analysis.cst.context import self_name
from asynclint.analysis.index.declared import awaited_types, entered_types, normalize
from asynclint.analysis.index.indexer import SYNC
from asynclint.analysis.modules import absolutize
from asynclint.rules.base import Rule

_RESOLVED_SOURCES = (QualifiedNameSource.IMPORT, QualifiedNameSource.BUILTIN)


def resolve(rule: Rule, node: cst.CSTNode) -> str | None:
    """The one qualified name `node` refers to through the module's imports (or a builtin).

    None when the name is local, bound more than one way (`try: import x` / `except: x = None`),
    or not resolvable: a linter that guesses by spelling cries wolf.
    """
    names = rule.qualified_names(node)
    if not names:
        return None
    found = {q.name for q in names}
    if len(found) != 1 or any(q.source not in _RESOLVED_SOURCES for q in names):
        return None
    return found.pop()


def absolute_names(rule: Rule, names: Collection[QualifiedName]) -> list[str]:
    """libcst's qualified names as the project index spells them (absolute; this module's own prefixed)."""
    return [
        absolutize(q.name, rule.ctx.module_name, rule.ctx.package_init)
        if q.source is QualifiedNameSource.IMPORT
        else f"{rule.ctx.module_name}.{q.name}"
        for q in names
        if q.source is not QualifiedNameSource.BUILTIN
    ]


_OPTIONAL = frozenset({"typing.Optional", "typing_extensions.Optional"})
_UNION = frozenset({"typing.Union", "typing_extensions.Union"})


def declared_classes(rule: Rule, receiver: cst.BaseExpression) -> list[str] | None:
    """The classes a receiver is declared as: a parameter of the function around it, never rebound there,
    annotated `X`, `m.X`, `"X"`, `Optional[X]`, `X | None` or `Union[X, Y]` (qualified names, `None` left out).

    None when the receiver is anything else, or the annotation has another shape (`Any` and
    `list[X]` are classes the caller will not find in the project: it decides what they are worth).
    """
    if not isinstance(receiver, cst.Name):
        return None
    scope = rule.get_metadata(ScopeProvider, receiver, None)
    if not isinstance(scope, FunctionScope) or receiver.value not in scope.assignments:
        return None
    bindings = list(scope.assignments[receiver.value])
    if len(bindings) != 1 or not isinstance(bindings[0], Assignment) or not isinstance(bindings[0].node, cst.Param):
        return None
    annotation = bindings[0].node.annotation
    if annotation is None:
        return None
    where = rule.get_metadata(ScopeProvider, annotation.annotation, None) or scope.parent
    found: list[str] = []
    return found if _annotation_classes(rule, annotation.annotation, where, found, 0) and found else None


def _annotation_classes(rule: Rule, node: cst.BaseExpression, scope: object, found: list[str], depth: int) -> bool:
    """Add the classes `node` (an annotation) names to `found`; False when its shape is not one of those known."""
    if depth > 4:
        return False
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        try:
            parsed = cst.parse_expression(value.strip()) if isinstance(value, str) else None
        except cst.ParserSyntaxError:
            return False
        return parsed is not None and _annotation_classes(rule, parsed, scope, found, depth + 1)
    if isinstance(node, cst.Name) and node.value == "None":
        return True
    if isinstance(node, (cst.Name, cst.Attribute)):
        names = set(absolute_names(rule, _dotted_names(node, scope)))
        if len(names) != 1 or any(q.source is QualifiedNameSource.BUILTIN for q in _dotted_names(node, scope)):
            return False  # unbound, bound more than one way, or a builtin (`int`)
        found.append(names.pop())
        return True
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
        return _annotation_classes(rule, node.left, scope, found, depth + 1) and _annotation_classes(
            rule, node.right, scope, found, depth + 1
        )
    if isinstance(node, cst.Subscript) and isinstance(node.value, (cst.Name, cst.Attribute)):
        generic = {q.name for q in _dotted_names(node.value, scope)}
        if not generic or not (generic <= _OPTIONAL or generic <= _UNION):
            return False
        elements = [e.slice.value for e in node.slice if isinstance(e.slice, cst.Index)]
        return len(elements) == len(node.slice) and all(
            _annotation_classes(rule, e, scope, found, depth + 1) for e in elements
        )
    return False


def _dotted_names(node: cst.BaseExpression, scope: object) -> list[QualifiedName]:
    """What a dotted name in an annotation (possibly parsed from a string) refers to, through its scope."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.insert(0, node.attr.value)
        node = node.value
    getter = getattr(scope, "get_qualified_names_for", None)
    if not isinstance(node, cst.Name) or getter is None:
        return []
    rest = "".join("." + part for part in parts)
    return [QualifiedName(q.name + rest, q.source) for q in getter(node.value)]


def bound_value(rule: Rule, name: cst.Name) -> cst.BaseExpression | None:
    """The value a name holds where it is read, when a single plain assignment binds it (None otherwise)."""
    scope = rule.get_metadata(ScopeProvider, name, None)
    if scope is None:
        return None
    access = next((a for a in scope.accesses[name.value] if a.node is name), None)
    if access is None or len(access.referents) != 1:
        return None
    [referent] = access.referents
    if not isinstance(referent, Assignment) or not isinstance(referent.node, cst.Name):
        return None
    return rule.ctx.tracker.values.get(referent.node)


@dataclass(frozen=True)
class Site:
    """An expression (a callee, a receiver), kept until the traversal ends (bindings may come later).

    It carries the class context captured during the traversal, which `self.` lookups need.
    """

    call: cst.Call | None
    receiver: cst.BaseExpression
    method: str
    cls: cst.ClassDef | None
    self_name: str | None
    in_generator: bool = False


def site_for(rule: Rule, expr: cst.BaseExpression, call: cst.Call | None = None) -> Site:
    """A site for `expr` (a `receiver.method` splits in two), seen from where the visit is now."""
    tracker = rule.ctx.tracker
    method = tracker.current_method()
    return Site(
        call,
        expr.value if isinstance(expr, cst.Attribute) else expr,
        expr.attr.value if isinstance(expr, cst.Attribute) else "",
        tracker.current_class(),
        self_name(method) if method is not None else None,
        tracker.in_generator_expression(),
    )


class ReceiverTypes:
    """What kind of object an expression holds, when the code says so unambiguously.

    Known: bound from a resolved constructor (`requests.Session()`), by `with X() as x`, in the
    same function or at module level, or a `self.` attribute set in `__init__`. Every binding
    of the name must agree; a parameter, loop target or any other binding makes it unknown.
    An item of a dict or list (`workers[name]`) is known when the container is bound once, empty,
    and every `container[key] = value` of the file agrees (`_item_type`).
    """

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.tracker = rule.ctx.tracker

    def of_site(self, site: Site, declared: bool = False) -> str | None:
        """The type tag of a site's receiver (`declared`: or the one its declaration says, `declared_tag`)."""
        return self.type_of(site.receiver, site, set(), declared)

    def type_of(self, expr: cst.BaseExpression, site: Site, seen: set[int], declared: bool = False) -> str | None:
        """The type tag of `expr`, or None when unknown (`declared`: then the one its declaration says)."""
        if id(expr) in seen:
            return None
        found = self._bound_type(expr, site, seen)
        return self.declared_tag(expr, site) if found is None and declared else found

    def declared_tag(self, expr: cst.BaseExpression, site: Site) -> str | None:
        """The catalogue type a receiver is declared as: a parameter (`session: requests.Session`), an
        attribute declared so in its class (`self.transport.root`, `Transport.root: Path`), or a
        module-level name of another module (`from .net import session`, `net.session`), the shapes
        the pre-screens see (`Callee.declared`, `ProjectIndex.declared_members`)."""
        if isinstance(expr, cst.Name):
            found = declared_classes(self.rule, expr)
            classes = _classes(self.rule.ctx.project, found) if found is not None else self.imported_value(expr)
        elif isinstance(expr, cst.Attribute):
            classes = self.imported_value(expr)
            if classes is None:
                owner = self.classes_of(expr.value, site)
                classes = self.rule.ctx.project.attribute_types(owner[0], expr.attr.value) if owner and len(owner) == 1 else None
        else:
            return None
        return _names.CONSTRUCTORS.get(classes[0]) if classes is not None and len(classes) == 1 else None

    def _bound_type(self, expr: cst.BaseExpression, site: Site, seen: set[int]) -> str | None:
        seen.add(id(expr))
        if isinstance(expr, cst.Call):
            return self._call_result(expr, site, seen)
        if isinstance(expr, cst.Name):
            return self._name_type(expr, site, seen)
        if isinstance(expr, cst.Attribute):
            if isinstance(expr.value, cst.Name) and site.self_name is not None and expr.value.value == site.self_name:
                return self._self_attr_type(expr.attr.value, site, seen)
            owner = self.type_of(expr.value, site, seen)
            return _names.ATTRIBUTE_RESULTS.get((owner, expr.attr.value)) if owner else None
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Divide):
            left = self.type_of(expr.left, site, seen)
            return _names.PATH if left == _names.PATH else None
        if isinstance(expr, cst.Subscript):
            return self._item_type(expr.value, site, seen)
        return None

    def _item_type(self, container: cst.BaseExpression, site: Site, seen: set[int]) -> str | None:
        """The type of the items of a dict or list bound once, empty (`threads = {}`, `self.workers = []`
        in `__init__`), and filled in this file only by `c[key] = value` of one known type (`None`
        items aside): `threads[name] = Thread(...)`. Any other item assignment makes it unknown."""
        if isinstance(container, cst.Name):
            targets = bindings(self.rule, container)
            if targets is None or len(targets) != 1 or not self._empty(self.tracker.values.get(targets[0])):
                return None

            def same(other: cst.BaseExpression, cls: cst.ClassDef | None) -> bool:
                return isinstance(other, cst.Name) and other.value == container.value and bindings(self.rule, other) == targets

        elif (
            isinstance(container, cst.Attribute)
            and isinstance(container.value, cst.Name)
            and site.cls is not None
            and container.value.value == site.self_name
        ):
            attr = container.attr.value
            assigned = self.tracker.self_attrs.get(site.cls, {}).get(attr)
            if not assigned or len(assigned) != 1 or assigned[0][0] != "__init__" or not self._empty(assigned[0][1]):
                return None

            def same(other: cst.BaseExpression, cls: cst.ClassDef | None) -> bool:
                return cls is site.cls and isinstance(other, cst.Attribute) and other.attr.value == attr and (
                    isinstance(other.value, cst.Name) and other.value.value == site.self_name
                )

        else:
            return None
        kinds: set[str | None] = set()
        for target, value, cls in self.tracker.items:
            if not same(target, cls):
                continue
            if value is None:
                return None
            if not (isinstance(value, cst.Name) and value.value == "None"):
                kinds.add(self.type_of(value, site, seen.copy()))
        return kinds.pop() if len(kinds) == 1 else None

    def _empty(self, value: cst.BaseExpression | None) -> bool:
        """`{}`, `[]`, `dict()` or `list()`."""
        if isinstance(value, (cst.Dict, cst.List)):
            return not value.elements
        return (
            isinstance(value, cst.Call)
            and not value.args
            and resolve(self.rule, value.func) in ("builtins.dict", "builtins.list")
        )

    def _call_result(self, call: cst.Call, site: Site, seen: set[int]) -> str | None:
        qualified = resolve(self.rule, call.func)
        if qualified is not None and qualified in _names.CONSTRUCTORS:
            made = _names.CONSTRUCTORS[qualified]
            return _names.BOUNDED_QUEUE if made == _names.QUEUE and _is_bounded(call) else made
        if isinstance(call.func, cst.Attribute):
            owner = self.type_of(call.func.value, site, seen)
            if owner is not None:
                return _names.METHOD_RESULTS.get((owner, call.func.attr.value))
        return None

    def _name_type(self, name: cst.Name, site: Site, seen: set[int]) -> str | None:
        targets = bindings(self.rule, name)
        if targets is None:
            return None
        found: set[str | None] = set()
        for target in targets:
            value = self.tracker.values.get(target)
            if value is None:
                return None
            kind = self.type_of(value, site, seen.copy())
            if target in self.tracker.entered and kind not in _names.ENTER_RETURNS_SELF:
                kind = None
            found.add(kind)
        return found.pop() if len(found) == 1 else None

    def _self_attr_type(self, attr: str, site: Site, seen: set[int]) -> str | None:
        if site.cls is None:
            return None
        assigned = self.tracker.self_attrs.get(site.cls, {}).get(attr)
        if not assigned or all(method != "__init__" for method, _ in assigned):
            return None
        kinds = {self.type_of(value, site, seen.copy()) if value is not None else None for _, value in assigned}
        return kinds.pop() if len(kinds) == 1 else None


    # Declared types (issue 23): the classes an expression holds, as the code's annotations say.

    def classes_of(self, expr: cst.BaseExpression, site: Site, depth: int = 0) -> tuple[str, ...] | None:
        """The classes `expr` is declared to hold (qualified names, more than one for a `Union`), or None.

        Step by step through declared types (`ProjectIndex.attribute_types` and the like): from a
        parameter's annotation, `self`/`cls` in a method of a top-level class, a name bound once
        (a constructor), or a module-level name of another module; then `.attr` (annotated
        attributes, properties, what `__init__` assigns). Each step needs one class: a `Union` is
        followed no further. Depth-limited; any unknown step makes the whole chain unknown.
        """
        if depth > _DECLARED_DEPTH:
            return None
        project = self.rule.ctx.project
        if isinstance(expr, cst.Name):
            if expr.value == site.self_name and site.cls is not None:
                in_module = site.cls in self.rule.ctx.module.body
                return (f"{self.rule.ctx.module_name}.{site.cls.name.value}",) if in_module else None
            declared = declared_classes(self.rule, expr)
            if declared is not None:
                return _classes(project, declared)
            targets = bindings(self.rule, expr)
            if targets is not None:
                if len(targets) != 1 or self.tracker.values.get(targets[0]) is None:
                    return None
                value = self.tracker.values[targets[0]]
                if targets[0] in self.tracker.entered:  # (`async with connect(...) as ws`: what `__aenter__` gives)
                    return self._through(value, entered_types) if targets[0] in self.tracker.async_entered else None
                return self.classes_of(value, site, depth + 1)
            return self.imported_value(expr)
        if isinstance(expr, cst.Await):  # (`await connect(...)`: what `__await__`, or an `async def`, gives)
            return self._through(expr.expression, awaited_types)
        if isinstance(expr, cst.Attribute):
            imported = self.imported_value(expr)
            if imported is not None:
                return imported
            owner = self.classes_of(expr.value, site, depth + 1)
            return project.attribute_types(owner[0], expr.attr.value) if owner and len(owner) == 1 else None
        if not isinstance(expr, cst.Call):
            return None
        # A constructor (of a class of the index, or of the catalogue), or a sync function's declared
        # return (`redis.asyncio.from_url(...)`, `-> Redis`: the pre-screen follows it too,
        # `declared_async_methods` of the names a file calls). Not yet a method's declared return.
        names = _project_names(self.rule, expr.func)
        if len(names) != 1:
            return None
        if project.class_definition(names[0]) is None and names[0] not in _names.CONSTRUCTORS and project.kind(names[0]) != SYNC:
            return None
        return project.call_types(names[0])

    def _through(self, call: cst.BaseExpression, types: Callable[..., tuple[str, ...] | None]) -> tuple[str, ...] | None:
        """What awaiting (`awaited_types`) or entering (`entered_types`) a call of one resolved name gives."""
        if not isinstance(call, cst.Call):
            return None
        names = _project_names(self.rule, call.func)
        return types(self.rule.ctx.project, names[0]) if len(names) == 1 else None

    def imported_value(self, expr: cst.BaseExpression) -> tuple[str, ...] | None:
        """The declared classes of a module-level name of another module, `expr` naming it through an
        import (`from .globals import bot`, `config.client`)."""
        names = self.rule.qualified_names(expr)
        if not names or len(names) != 1:
            return None
        [name] = names
        if name.source is not QualifiedNameSource.IMPORT:
            return None
        return self.rule.ctx.project.value_types(absolutize(name.name, self.rule.ctx.module_name, self.rule.ctx.package_init))


#: Steps of an `x.a.b` chain followed through declared types.
_DECLARED_DEPTH = 8


def _project_names(rule: Rule, func: cst.BaseExpression) -> list[str]:
    """The one absolute name a callee resolves to (an import, a definition of the module); [] otherwise."""
    raw = rule.qualified_names(func)
    if not raw:
        return []
    names = list(dict.fromkeys(absolute_names(rule, raw)))
    return names if len(names) == 1 and len(raw) == 1 else []


def _classes(project: object, declared: list[str]) -> tuple[str, ...] | None:
    """A parameter's declared classes as the index names them (aliases of other modules followed)."""
    return normalize(project, declared, 0)  # type: ignore[arg-type]


def binding_nodes(rule: Rule, name: cst.Name) -> list[cst.CSTNode] | None:
    """What binds `name` where it stands (an assigned `Name`, a `def`, an import...), each binding's
    node; None when that is not known (no scope, no binding, or one that is not an assignment)."""
    scope = rule.get_metadata(ScopeProvider, name, None)
    if scope is None:
        return None
    access = next((a for a in scope.accesses[name.value] if a.node is name), None)
    if access is None or not access.referents:
        return None
    nodes = [referent.node for referent in access.referents if isinstance(referent, Assignment)]
    return nodes if len(nodes) == len(access.referents) else None


def bindings(rule: Rule, name: cst.Name) -> list[cst.Name] | None:
    """The target names of every binding `name` may refer to where it stands; None unless all are assignments."""
    nodes = binding_nodes(rule, name)
    if nodes is None or any(not isinstance(node, cst.Name) for node in nodes):
        return None
    return [node for node in nodes if isinstance(node, cst.Name)]


def _is_bounded(call: cst.Call) -> bool:
    """`queue.Queue(10)` / `Queue(maxsize=10)`: a positive literal bound."""
    for index, arg in enumerate(call.args):
        if (arg.keyword is None and index == 0) or (arg.keyword is not None and arg.keyword.value == "maxsize"):
            return isinstance(arg.value, cst.Integer) and int(arg.value.value, 0) > 0
    return False


def callee_text(rule: Rule, func: cst.BaseExpression) -> str:
    """How to name the called thing in a message: dotted as written, on one line, not too long."""
    text = _render(rule, func)
    if len(text) > 48 and isinstance(func, cst.Attribute):
        return f"….{func.attr.value}"
    return text


def _render(rule: Rule, node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_render(rule, node.value)}.{node.attr.value}"
    if isinstance(node, cst.Call):
        return f"{_render(rule, node.func)}()" if not node.args else f"{_render(rule, node.func)}(...)"
    # Anything else as written, on one line; a comment inside it is not worth showing.
    text = " ".join(rule.ctx.code_for(node).split())
    return "…" if "#" in text else text
