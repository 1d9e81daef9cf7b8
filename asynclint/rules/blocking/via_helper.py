"""ASL107: a call in async code to a sync helper of the project that reaches a blocking call."""

from __future__ import annotations

import dataclasses
from typing import Mapping

import libcst as cst
from libcst.metadata import CodeRange, ScopeProvider

from asynclint.analysis import names as _names
from asynclint.analysis.callgraph import Chain, Reach, real_file, shown_path
from asynclint.analysis.cst.context import FileContext
from asynclint.core.diagnostic import FixSafety
from asynclint.core.options import HelperOptions
from asynclint.rules._coroutines import project_names
from asynclint.rules._edits import to_thread
from asynclint.rules._match import ReceiverTypes, Site, bound_value, declared_classes, site_for
from asynclint.rules.base import Finding, Invalid, Rule, Valid
from asynclint.rules.blocking.via_helper_screen import (
    BlockingCallViaHelperScreen,
    reach_of,
)


def _with_arguments(chain: Chain | None, found: list[tuple[str, str] | None], call: cst.Call, reach: Reach) -> Chain | None:
    """The chain from `call` given its arguments (`Reach.at_call`): None when, for every function
    the callee may be (`found`), what blocks needs a parameter the call leaves at a falsy default
    (or passes `None`). Kept as found with `*`/`**` arguments or an unknown callee."""
    if chain is None or any(arg.star for arg in call.args) or any(f is None for f in found):
        return chain
    keywords = frozenset(arg.keyword.value for arg in call.args if arg.keyword is not None)
    none = frozenset(
        arg.keyword.value for arg in call.args if arg.keyword is not None and isinstance(arg.value, cst.Name) and arg.value.value == "None"
    )
    positional = sum(1 for arg in call.args if arg.keyword is None)
    chains = [reach.at_call(f, positional, keywords, none) for f in found if f is not None]
    return next((c for c in chains if c is not None), None)


class BlockingCallViaHelper(BlockingCallViaHelperScreen, Rule):
    """Checks for calls in async code to sync functions of the project that block.

    A sync function or method of the linted project (found through imports, re-exports,
    `self.`/`cls.`, base classes, and receivers declared as a project class: an annotated
    parameter `store: Store`, an attribute `self._client: Client` or one `__init__` sets from a
    constructor, a `@property` with a declared return) that makes a blocking call of ASL101-105's catalogue
    (`time.sleep`, `requests`, `subprocess`, `open`, ...), itself or through further sync
    functions of the project, blocks the event loop when async code calls it. The message
    names the chain of calls and where the blocking call is. A helper handed uncalled to
    `asyncio.to_thread`, `loop.run_in_executor` or an executor-job API is fine, and so is a
    blocking call in a nested `def` or `lambda` the helper does not call. Helpers with a
    decorator the index does not know to keep them plain (`functools.lru_cache`, a framework's
    `@callback`) are not followed, and ASL105's `blocking-calls` setting adds to what blocks.
    `importlib.import_module` in a helper is not followed either: a module is imported once
    per process, so a helper that imports lazily blocks only on its first call (written in
    async code itself, it is ASL105's). A blocking call (or a call leading to one) in the body of
    an `if` that needs a parameter truthy (`if host and port:`, `if mode == "fast":`) or not
    `None` (`if path is not None:`) is not followed from a call that leaves that parameter at a
    default that fails the test (`None`, `False`, `0`, `""`) or passes it `None` by keyword, also when helpers
    forward the parameter unchanged to the one testing it (`get_node(node_name=n)` ->
    `nodes.get_node(host, port, node_name)` -> `if host and port: socket.gethostbyname(host)`).

    ## Why is this bad?
    The blocking call freezes the event loop exactly as it would written in the `async def`
    itself; it is only harder to see. Run the helper in a worker thread, or give it an
    async version.

    ## Fix safety
    The fix runs the helper in a worker thread with `await asyncio.to_thread(...)`
    (`to_thread.run_sync` under trio and anyio). It is unsafe: the helper now runs in another
    thread, where thread-local state differs and objects it shares with the event loop may not
    be thread-safe, and the task suspends there, so other tasks run in between. No fix is
    offered when the call is a `with` item or in a generator expression.
    """

    code = "ASL107"
    name = "blocking-call-via-helper"
    message = "`{chain}` blocks the event loop ({where}); run the helper with `await {to_thread}(...)`"
    fix_title = "Run it in a worker thread with `await {to_thread}(...)`"
    fix_safety = FixSafety.UNSAFE
    Options = HelperOptions
    METADATA_DEPENDENCIES = (ScopeProvider,)

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._sites: list[Site] = []
        #: The chain of each report, in report order (for the findings' code flows).
        self._chains: list[Chain] = []
        self._types: ReceiverTypes | None = None

    def visit_Call(self, node: cst.Call) -> None:
        if self.ctx.in_async_code():
            self._sites.append(site_for(self, node.func, node))

    def finish(self) -> None:
        # Resolved after the traversal: a name may be bound (imported, defined) below its use.
        reach = reach_of(self.ctx.options, self.ctx.project)
        for site in self._sites:
            call = site.call
            assert call is not None
            chain = self._chain(call, site, reach)
            if chain is None:
                continue
            fix = None if site.in_generator else to_thread(self, call)
            end = chain[-1]
            fields = {
                "chain": " -> ".join(f"{step.name}()" for step in chain),
                "where": f"{shown_path(reach, end.module)}:{end.line}",
                **_names.LIBRARY_ADVICE[self.ctx.library],
            }
            self.report_fields(call, fields, fix)
            self._chains.append(chain)

    def _chain(self, call: cst.Call, site: Site, reach: Reach) -> Chain | None:
        """The chain from what `call` calls, when it is a project sync function reaching a blocking call
        with the arguments it is given (`_with_arguments`)."""
        func = call.func
        if (
            isinstance(func, cst.Attribute)
            and isinstance(func.value, cst.Name)
            and site.cls is not None
            and func.value.value == site.self_name
        ):
            owner = f"{self.ctx.module_name}.{site.cls.name.value}"
            chain = reach.of_method(owner, func.attr.value)
            return _with_arguments(chain, [reach.method_definition(owner, func.attr.value, 0)], call, reach)
        raw = self.qualified_names(func)
        names = project_names(self, func)
        chain = None
        if names and len(names) == len(raw or ()):  # (else unresolved, or a builtin among the bindings)
            chains = {reach.of_name(name) for name in names}
            chain = chains.pop() if len(chains) == 1 else None  # every binding must agree
            if chain is not None:
                return _with_arguments(chain, [reach.definition(name) for name in names], call, reach)
        if chain is None and isinstance(func, cst.Attribute):
            chain = self._declared_chain(func, site, reach)
            if chain is not None:
                cls = self._types.classes_of(func.value, site) if self._types is not None else None
                return _with_arguments(chain, [reach.method_of(cls[0], func.attr.value) if cls and len(cls) == 1 else None], call, reach)
        return chain

    def _declared_chain(self, func: cst.Attribute, site: Site, reach: Reach) -> Chain | None:
        """The chain from `receiver.method()`, the receiver declared as one project class
        (`ReceiverTypes.classes_of`: `store: Store`, `self._client`, a property) whose sync method it is."""
        if self._types is None:
            self._types = ReceiverTypes(self)
        receiver = func.value
        if isinstance(receiver, cst.Name) and declared_classes(self, receiver) is None and self._types.imported_value(receiver) is None:
            if not isinstance(bound_value(self, receiver), cst.Call):
                return None  # a local must be bound once, by a constructor (what the screen sees: `declared_receiver`)
        classes = self._types.classes_of(receiver, site)
        if classes is None or len(classes) != 1:
            return None  # unknown, or a `Union`
        return reach.class_method(classes[0], func.attr.value)

    def diagnostics(self, positions: Mapping[cst.CSTNode, CodeRange]) -> list[Finding]:
        found = super().diagnostics(positions)
        reach = reach_of(self.ctx.options, self.ctx.project)
        flows = [tuple((real_file(reach, s.module) or shown_path(reach, s.module), s.line, f"{s.name}()") for s in chain) for chain in self._chains]
        return [f._replace(diagnostic=dataclasses.replace(f.diagnostic, flow=flow)) for f, flow in zip(found, flows)]

    VALID = (
        Valid(
            "import asyncio\n\ndef load(p):\n    with open(p) as f:\n        return f.read()\n\n"
            "async def main(p):\n    return await asyncio.to_thread(load, p)\n"
        ),
        Valid("def sleep(x):\n    return x\n\nasync def main():\n    sleep(1)\n"),
        Valid(
            "import time\n\ndef later():\n    def backoff():\n        time.sleep(1)\n    return backoff\n\n"
            "async def main():\n    later()\n"
        ),
        Valid("import time\n\nasync def pause():\n    time.sleep(1)\n\nasync def main():\n    await pause()\n"),
        Valid("import json\n\ndef build(x):\n    return json.dumps({'x': x})\n\nasync def main():\n    build(1)\n"),
    )
    INVALID = (
        Invalid(
            "def load_settings(path):\n    with open(path) as f:\n        return f.read()\n\n\n"
            "async def setup(path):\n    return load_settings(path)\n",
            line=7,
            message=(
                "`load_settings() -> open()` blocks the event loop (example.py:2); run the helper with "
                "`await asyncio.to_thread(...)`"
            ),
            fixed=(
                "import asyncio\n\n\ndef load_settings(path):\n    with open(path) as f:\n        return f.read()\n\n\n"
                "async def setup(path):\n    return await asyncio.to_thread(load_settings, path)\n"
            ),
        ),
        Invalid(
            "import time\n\nclass Device:\n    def _retry(self):\n        time.sleep(1)\n\n"
            "    async def refresh(self):\n        self._retry()\n",
            line=8,
        ),
    )
