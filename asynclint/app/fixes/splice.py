"""The fixed module's code in one code generation: each edit's replacement is generated where its node was.

Applying a pass's edits by transforming the tree rebuilt every node above each edit and
visited all the others, and the new tree then had to be generated as well: on a file of
megabytes, seconds per pass, and two trees in memory at once. Here the module's code is
generated once, as libcst generates it; the tokens of an edited node are dropped and its
replacement is generated in its place, with the same indentation (the generator's state at
that point). The text is the one the transform would give, since libcst generates a node's
code from the node and that state only, except for the few nodes whose parent passes them an
argument (a comma or semicolon by default): `spliceable` tells, and those edits take the
transform.
"""

from __future__ import annotations

import functools
import inspect
from contextlib import nullcontext
from typing import Mapping, Sequence

import libcst as cst
from libcst._nodes.internal import CodegenState

from asynclint.rules.base import Edit


@functools.lru_cache(maxsize=None)
def _generated_alone(node_type: type[cst.CSTNode]) -> bool:
    """Whether a node of this type is generated from itself and the state only (no argument from its parent)."""
    return len(inspect.signature(node_type._codegen_impl).parameters) == 2  # (self, state)


def spliceable(module: cst.Module, edits: Sequence[Edit]) -> bool:
    """Whether `spliced_code` gives these edits' text: each node is generated alone, and none is a statement of
    the module's body itself (the imports added after the edits may rewrite one: its leading lines)."""
    top = {id(stmt) for stmt in module.body}
    return all(_generated_alone(type(edit.fix.node)) and id(edit.fix.node) not in top for edit in edits)


_NOT_RECORDED = nullcontext()


class _SplicingState(CodegenState):
    """libcst's code generator, generating each replaced node's replacement instead of the node."""

    def __init__(
        self, module: cst.Module, replacements: Mapping[int, cst.CSTNode | cst.FlattenSentinel[cst.BaseStatement]]
    ) -> None:
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
        self.replacements = replacements
        self.replaced: int | None = None  # id of the node whose tokens are being dropped
        self.replacing = False  # generating a replacement: its nodes are taken as they are

    def add_indent_tokens(self) -> None:
        if self.replaced is None:
            self.tokens.extend(self.indent_tokens)

    def add_token(self, value: str) -> None:
        if self.replaced is None:
            self.tokens.append(value)

    def record_syntactic_position(  # type: ignore[override]
        self, node: cst.CSTNode, *, start_node: cst.CSTNode | None = None, end_node: cst.CSTNode | None = None
    ) -> nullcontext[None]:
        return _NOT_RECORDED  # (libcst's is a generator's context manager, made per node generated, for nothing)

    def before_codegen(self, node: cst.CSTNode) -> None:
        if self.replaced is None and not self.replacing and id(node) in self.replacements:
            self.replaced = id(node)

    def after_codegen(self, node: cst.CSTNode) -> None:
        if self.replaced != id(node):
            return
        self.replaced = None
        replacement = self.replacements[id(node)]
        nodes = replacement.nodes if isinstance(replacement, cst.FlattenSentinel) else (replacement,)
        self.replacing = True
        try:
            for new in nodes:
                new._codegen(self)
        finally:
            self.replacing = False


def spliced_code(module: cst.Module, edits: Sequence[Edit]) -> str:
    """The code of `module` with each edit's node replaced (edits that do not overlap, `spliceable`).

    The module's nodes are alive while it is generated, so their `id`s name them (a node's
    hash is a Python call).
    """
    state = _SplicingState(module, {id(edit.fix.node): edit.fix.replacement for edit in edits})
    module._codegen(state)
    return "".join(state.tokens)
