"""The rule unit: one class per rule, carrying its code, docs, examples and checks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import (
    TYPE_CHECKING,
    ClassVar,
    Collection,
    Iterator,
    Mapping,
    NamedTuple,
    Sequence,
)

import libcst as cst
from libcst.metadata import CodeRange, ProviderT, QualifiedName, ScopeProvider

from asynclint.analysis.cst.walk import Batchable
from asynclint.core.diagnostic import Diagnostic, FixSafety, TextEdit
from asynclint.rules.screen import Screen

if TYPE_CHECKING:
    from asynclint.analysis.cst.context import FileContext


@dataclass(frozen=True)
class Valid:
    """A snippet the rule must stay silent on."""

    code: str


@dataclass(frozen=True)
class Invalid:
    """A snippet the rule must report, with what the fixed code (or the advice) looks like."""

    code: str
    line: int | None = None
    message: str | None = None
    fixed: str | None = None
    use_instead: str | None = None


@dataclass(frozen=True)
class Fix:
    """An edit a rule offers: replace `node` by `replacement`, importing `imports` (module names)."""

    node: cst.CSTNode
    replacement: cst.CSTNode | cst.FlattenSentinel[cst.BaseStatement]
    imports: tuple[str, ...] = ()
    #: Set when this edit is less safe than the rule's usual fix (never more).
    safety: FixSafety | None = None
    #: Module-level statements the edit relies on (`_background_tasks = set()`: each a simple statement), added after the imports.
    module_statements: tuple[str, ...] = ()


@dataclass(frozen=True)
class Edit:
    """A fix placed in its file: the rule's code, its safety, and the span of the replaced node."""

    fix: Fix
    code: str
    safety: FixSafety
    start: tuple[int, int]  # (line, 0-based column)
    end: tuple[int, int]


class Finding(NamedTuple):
    """A finding as the rules make it: the diagnostic, and the fix's edit on this module's tree
    (what `fix` applies; a check keeps the diagnostic only, which holds no tree)."""

    diagnostic: Diagnostic
    edit: Edit | None


class Rule(Screen, Batchable):
    """Base of every rule: subclasses set the class attributes and `visit_*` methods.

    What the engine asks before reading a file with libcst (`could_fire`, `screen`...) comes
    from the rule's screen class (`asynclint.rules.screen`), its first base: libcst-free, so that a
    changed file that no rule can fire on is checked without loading libcst or the rules.
    """

    code: ClassVar[str]
    name: ClassVar[str]
    message: ClassVar[str]
    fix_title: ClassVar[str | None] = None
    fix_safety: ClassVar[FixSafety] = FixSafety.NONE
    default_enabled: ClassVar[bool] = True
    Options: ClassVar[type | None] = None
    VALID: ClassVar[Sequence[Valid]] = ()
    INVALID: ClassVar[Sequence[Invalid]] = ()
    #: Positions are not among them: they are resolved once a report needs them (most files have none).
    METADATA_DEPENDENCIES: ClassVar[tuple[ProviderT, ...]] = ()

    def __init__(self, ctx: FileContext) -> None:
        super().__init__()
        self.ctx = ctx
        #: Reports waiting for positions: (node, message fields, fix).
        self.reports: list[tuple[cst.CSTNode, Mapping[str, str], Fix | None]] = []

    def finish(self) -> None:
        """Called once after the traversal, for checks that need the whole module."""

    def report(self, node: cst.CSTNode, fix: Fix | None = None, **fields: str) -> None:
        """Report `node` with the rule's message filled in from `fields`, offering `fix`."""
        self.report_fields(node, fields, fix)

    def report_fields(self, node: cst.CSTNode, fields: Mapping[str, str], fix: Fix | None = None) -> None:
        """`report` with the message fields as a mapping."""
        self.reports.append((node, fields, fix))

    def reported_nodes(self) -> Iterator[cst.CSTNode]:
        """The nodes `diagnostics` needs the positions of."""
        for node, _, fix in self.reports:
            yield node
            if fix is not None and self.fix_safety is not FixSafety.NONE:
                yield fix.node

    def diagnostics(self, positions: Mapping[cst.CSTNode, CodeRange]) -> list[Finding]:
        """The findings reported, placed with the module's positions (resolved after the traversal)."""
        found = []
        for node, fields, fix in self.reports:
            pos = positions[node]
            edit = None
            if fix is not None and self.fix_safety is not FixSafety.NONE:
                span = positions[fix.node]
                edit = Edit(
                    fix,
                    self.code,
                    fix.safety or self.fix_safety,
                    (span.start.line, span.start.column),
                    (span.end.line, span.end.column),
                )
            text_edit = None
            if edit is not None and not edit.fix.imports and not edit.fix.module_statements:
                replacement = edit.fix.replacement
                if isinstance(replacement, cst.CSTNode):
                    text_edit = TextEdit(edit.start, edit.end, cst.Module(body=[]).code_for_node(replacement))
            diagnostic = Diagnostic(
                path=self.ctx.path,
                line=pos.start.line,
                col=pos.start.column,
                code=self.code,
                message=self.message.format(**fields),
                name=self.name,
                end_line=pos.end.line,
                end_col=pos.end.column,
                fix=edit.safety if edit is not None else None,
                text_edit=text_edit,
            )
            found.append(Finding(diagnostic, edit))
        return found

    def qualified_names(self, node: cst.CSTNode) -> Collection[QualifiedName] | None:
        """What `QualifiedNameProvider` gives for `node`, computed for this node only, when asked.

        The provider computes a value for every node of the module up front, which costs more
        than the parse; the rules ask about a few calls. None for a node outside the module.
        """
        scope = self.get_metadata(ScopeProvider, node, None)
        if scope is None:
            return None
        known = self.ctx.qualified
        if node not in known:
            known[node] = scope.get_qualified_names_for(node)
        return known[node]
