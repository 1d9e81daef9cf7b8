"""ASL3xx: awaits that run one after another although nothing orders them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import libcst as cst
from libcst.metadata import Assignment, ScopeProvider

from asynclint.analysis import names as _names
from asynclint.analysis.cst.context import FileContext
from asynclint.core.diagnostic import FixSafety
from asynclint.rules._coroutines import PROJECT, CoroutineResolver
from asynclint.rules._edits import awaited
from asynclint.rules._flow import (
    Facts,
    facts_of,
    final_name,
    imported_modules,
    looks_shared,
    names_in,
    root_name,
    sets_state,
)
from asynclint.rules._match import resolve, site_for
from asynclint.rules.base import Fix, Invalid, Rule, Valid
from asynclint.rules.concurrency.screen import (
    AwaitInLoopScreen,
    ConcurrencyScreen,
    SequentialAwaitsScreen,
    UnboundedGatherScreen,
)
from asynclint.rules.imports import binding_for

GATHER_ADVICE = {
    "asyncio": "`asyncio.gather()`",
    "trio": "a nursery (`nursery.start_soon`)",
    "anyio": "a task group (`tg.start_soon`)",
}


def _advice(rule: Rule) -> str:
    return GATHER_ADVICE[rule.ctx.library]


def _gather_text(rule: Rule, site: cst.CSTNode) -> tuple[str, tuple[str, ...]] | None:
    """How to spell `asyncio.gather` at `site`, and the imports that needs (asyncio modules only)."""
    if rule.ctx.library != "asyncio":
        return None  # trio and anyio have no gather: the message suggests a nursery / task group
    target = binding_for(rule, site, "asyncio", "gather")
    if target is None:
        return None
    func, imports = target
    return cst.Module([]).code_for_node(func), imports


def _has_comment(nodes: Sequence[cst.CSTNode]) -> bool:
    return any("#" in cst.Module([]).code_for_node(node) for node in nodes)


_ATOMS = (
    cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.List, cst.Set, cst.Dict,
    cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp, cst.SimpleString,
)  # fmt: skip


def _iter_text(rule: Rule, iterable: cst.BaseExpression) -> str:
    """The loop's iterable as it may stand after `in` in a comprehension (`a if c else b` needs parentheses)."""
    text = rule.ctx.code_for(iterable)
    if isinstance(iterable, _ATOMS) or iterable.lpar:
        return text
    return f"({text})"


_ON_CONFIGURATION = re.compile(r"validat|from_config", re.IGNORECASE)


def _works_on_configuration(callee: str) -> bool:
    """`async_validate_config_item`, `async_from_config`: a callee that validates, or builds from configuration."""
    return _ON_CONFIGURATION.search(callee) is not None


#: The method's own object: handing it to each call does not make the calls share a resource.
_OWNERS = frozenset({"self", "cls"})


@dataclass(frozen=True)
class _Loop:
    """One `for` loop (or comprehension) seen from its single await."""

    awaited: cst.Await
    call: cst.Call


class ConcurrencyRule(ConcurrencyScreen, Rule):
    """Family base: the shared independence checks of the concurrency rules."""

    METADATA_DEPENDENCIES = (ScopeProvider,)

    def modules(self, at: cst.CSTNode, facts: Facts) -> set[str]:
        """Names in `facts` that are imported modules (`asyncio` in `asyncio.wait_for`): not objects."""
        return imported_modules(self, at, facts.touched)

    def _never_suspends(self, call: cst.Call) -> bool:
        """Whether the callee is a project `async def` that never suspends (the project index says)."""
        found = self._project_coroutine(call)
        return found is not None and self.ctx.project.never_suspends(found)

    def _project_coroutine(self, call: cst.Call) -> str | None:
        """The qualified name of the project `async def` a call calls, if it resolves to one."""
        found = CoroutineResolver(self).call(call, site_for(self, call.func, call))
        return found.name if found is not None and found.source == PROJECT else None


class AwaitInLoop(AwaitInLoopScreen, ConcurrencyRule):
    """Checks for `await` in a loop whose iterations do not depend on each other.

    A `for` loop (or a list, set or dict comprehension) that awaits one call per item waits for
    each call to finish before starting the next. The rule fires only when each iteration's
    await hands the loop variable (or what is computed from it) to a function, nothing an
    iteration writes is read by a later one, the loop has no `break`/`continue`/`return`
    after its await, and nothing in it sleeps, locks or waits. Left alone: a callee that is a
    project `async def` whose own code never awaits (nothing to overlap); loops whose steps set
    state a later call may read (`self.iteration = i`, a statement call such as
    `set_repeat_var(i)`; filling a collection or logging does not count); callees that
    validate, or build from configuration (`async_validate_config(c)`, `async_from_config(c)`:
    CPU work that rarely suspends, and a task each costs more than it saves); awaited methods of
    an object, shared (`conn.execute(row)`, `self.save(x)`) or each item's own
    (`listener.notify(e)`, `site.start()`), since dispatching and starting things in turn is
    usually the point; loops whose variable holds code (`handler`, `hook`, `step`...); calls
    handed a name that looks like a connection, stream or lock (handing `self` to each call
    orders nothing by itself); `async for`, `while` and
    loops with several awaits. In a comprehension, which collects values, a method of each
    item is reported (`[await c.payload() for c in children]`).

    A preview rule, off unless selected: on the pinned corpus of real async packages 6 of its 20
    findings are right, 8 wrong and 6 debatable (precision 0.43, `benchmarks/ecosystem.py`).
    Whether steps really are independent depends on what they share at run time (one device or
    bus, a rate-limited API, state a step writes and the next reads), which the syntax does not
    show.

    ## Why is this bad?
    The loop takes the sum of all the latencies when it could take the longest one: ten
    50 ms requests take half a second instead of 50 ms. `asyncio.gather()` (a nursery or
    task group in trio and anyio) runs them together and returns the results in order.

    ## Fix safety
    The fix is unsafe: the calls now run concurrently, so a callee that relies on the
    previous call having finished (a shared resource the rule could not see, a server's rate
    limit) may break, every call starts even when an early one fails, and the first
    exception is raised only once it happens. It is offered for `for x in xs: await f(x)`
    (`await asyncio.gather(*(f(x) for x in xs))`), for `out.append(await f(x))` (`out.extend(...)`
    of the gather) and for `[await f(x) for x in xs]`, when the loop variable is not used after
    the loop and no comment would be lost; never in trio or anyio modules.
    """

    code = "ASL301"
    default_enabled = False
    name = "await-in-loop"
    message = "`await` in a loop runs its independent iterations one at a time; run them together with {advice}"
    fix_title = "Run the calls together with `asyncio.gather()`"
    fix_safety = FixSafety.UNSAFE

    def visit_For(self, node: cst.For) -> None:
        tracker = self.ctx.tracker
        if not self.ctx.in_async_code() or node.asynchronous is not None or node.orelse is not None:
            return
        if tracker.in_generator_expression():
            return
        body = list(node.body.body)
        found = self._independent_loop(node.target, node.iter, body)
        if found is not None:
            self.report(found.awaited, self._loop_fix(node, body, found), advice=_advice(self))

    def visit_ListComp(self, node: cst.ListComp) -> None:
        self._comprehension(node, node.elt)

    def visit_SetComp(self, node: cst.SetComp) -> None:
        self._comprehension(node, node.elt)

    def visit_DictComp(self, node: cst.DictComp) -> None:
        self._comprehension(node, node.value)

    def _comprehension(self, node: cst.BaseComp, element: cst.BaseExpression) -> None:
        clause = node.for_in
        if not self.ctx.in_async_code() or clause.asynchronous is not None or clause.inner_for_in is not None:
            return
        if facts_of(clause.ifs).awaits or (isinstance(node, cst.DictComp) and facts_of([node.key]).awaits):
            return
        # The element and the filters make one "body" whose await must depend on the targets.
        # A comprehension collects values: a method of each item (`[await c.payload() for c in cs]`)
        # computes data there, where a loop statement would dispatch or start things in turn.
        found = self._independent_loop(clause.target, clause.iter, [element, *clause.ifs], item_methods=True)
        if found is None:
            return
        fix = None
        if isinstance(node, cst.ListComp) and node.elt is found.awaited and not _has_comment([node]):
            fix = self._comprehension_fix(node, found)
        self.report(found.awaited, fix, advice=_advice(self))

    def _independent_loop(
        self,
        target: cst.BaseExpression,
        iterable: cst.BaseExpression,
        body: Sequence[cst.CSTNode],
        item_methods: bool = False,
    ) -> _Loop | None:
        """The loop's single await, when its iterations are independent; None when in doubt."""
        facts = facts_of(body)
        if len(facts.awaits) != 1 or facts.blocks or any(_names.is_ordering_call(name) for name in facts.callees):
            return None
        (the_await,) = facts.awaits
        targets = facts_of([target]).reads
        if any(_names.looks_like_callback(name) for name in targets):
            return None  # `for handler in handlers: await invoke(handler, event)`: dispatch, in order
        per_item = set(targets)
        carried = (facts.binds | facts.writes) - targets
        if carried & facts_of([iterable]).touched:
            return None  # the loop changes what it iterates over
        defined: set[str] = set()  # names bound earlier in the same iteration, unconditionally
        await_seen = False
        for stmt in body:
            stmt_facts = facts_of([stmt])
            if (stmt_facts.reads - defined) & carried:
                return None  # reads what an earlier iteration wrote
            holds_await = the_await in stmt_facts.awaits
            if not holds_await and sets_state(stmt, per_item):
                return None  # `self.iteration = i; await run()`: the call may read what the step set
            await_seen = await_seen or holds_await
            if stmt_facts.exits and await_seen:
                return None  # a break/continue/return/raise after the await may depend on it
            if (stmt_facts.reads | stmt_facts.receivers) & per_item:
                per_item |= stmt_facts.binds
            if holds_await:
                awaited = facts_of([the_await])
                if not ((awaited.reads | awaited.receivers) & per_item):
                    return None  # the same call each time (`for _ in range(3): await f()`)
            if isinstance(stmt, cst.SimpleStatementLine):
                defined |= stmt_facts.binds
        call = self._awaited_call_ok(the_await, per_item, item_methods)
        return _Loop(the_await, call) if call is not None else None

    def _awaited_call_ok(self, awaited: cst.Await, per_item: set[str], item_methods: bool) -> cst.Call | None:
        """The awaited call, when it hands each item to one function that nothing says is ordered.

        `per_item`: the loop's targets and the names derived from them. A method of an object
        (`trace.send()`, `site.start()`, `conn.execute()`) is left alone, whether the object is
        shared or each item's own: dispatching to each listener, starting each server in turn,
        or talking to one connection is sequential on purpose far more often than not.
        """
        call = awaited.expression
        if not isinstance(call, cst.Call):
            return None  # `await task`: already running, awaiting it in turn costs nothing
        facts = facts_of([call])
        if any(_names.is_ordering_call(name) for name in facts.callees) or final_name(call.func) in _names.NOT_SEQUENTIAL:
            return None
        func = call.func
        if isinstance(func, cst.Attribute):
            root = root_name(func)
            if root is None or not (imported_modules(self, call, [root]) or (item_methods and root in per_item)):
                return None  # a method, not a module's function
        elif not isinstance(func, cst.Name) or func.value in per_item or self._bound_to_object(func):
            return None  # `for hook in hooks: await hook()`, or `req = self.http.add_role; await req(...)`
        modules = self.modules(call, facts)
        if facts.receivers - per_item - modules:
            return None  # an argument computed by a method of a shared object
        # `self` handed to each call orders nothing by itself (what the loop sets on it does, above).
        if any(looks_shared(name) for name in facts.reads - per_item - modules - _OWNERS):
            return None  # a shared connection or stream handed to every call
        if self._never_suspends(call):
            return None  # an `async def` that never awaits: its calls cannot overlap
        if _works_on_configuration(final_name(call.func)):
            return None  # validating or building from configuration: CPU work that rarely suspends
        return call

    def _bound_to_object(self, name: cst.Name) -> bool:
        """A local name bound to an attribute or a call result: a bound method or a partial, of some object."""
        scope = self.get_metadata(ScopeProvider, name, None)
        if scope is None:
            return True
        for assignment in scope[name.value]:
            node = assignment.node if isinstance(assignment, Assignment) else None
            value = self.ctx.tracker.values.get(node) if isinstance(node, cst.Name) else None
            if isinstance(value, (cst.Attribute, cst.Call, cst.Subscript)):
                return True
        return False

    def _target_used_elsewhere(self, loop: cst.For) -> bool:
        """Whether a loop target is read outside the loop (the rewrite no longer binds it)."""
        inside = {id(n) for n in names_in(loop)}
        scope = self.get_metadata(ScopeProvider, loop, None)
        if scope is None:
            return True
        for name in facts_of([loop.target]).reads:
            if any(id(access.node) not in inside for access in scope.accesses[name]):
                return True
            if any(isinstance(a, Assignment) and id(a.node) not in inside for a in scope[name]):
                return True  # bound elsewhere too: after the loop it would keep the other value
        return False

    def _loop_fix(self, loop: cst.For, body: Sequence[cst.CSTNode], found: _Loop) -> Fix | None:
        if len(body) != 1:
            return None
        only = body[0]
        if isinstance(loop.body, cst.SimpleStatementSuite):
            small, trailing = only, loop.body.trailing_whitespace
        elif isinstance(loop.body, cst.IndentedBlock) and isinstance(only, cst.SimpleStatementLine) and len(only.body) == 1:
            small, trailing = only.body[0], only.trailing_whitespace
            if _has_comment([*only.leading_lines, *loop.body.footer]) or loop.body.header.comment is not None:
                return None
        else:
            return None
        if _has_comment([loop.target, loop.iter, found.call]) or self._target_used_elsewhere(loop):
            return None
        if not isinstance(small, cst.Expr):
            return None
        gather = _gather_text(self, loop)
        if gather is None:
            return None
        spelled, imports = gather
        inner = f"{spelled}(*({self.ctx.code_for(found.call)} for {self.ctx.code_for(loop.target)} in {_iter_text(self, loop.iter)}))"
        value = small.value
        if value is found.awaited:
            text = f"await {inner}"
        elif (
            isinstance(value, cst.Call)
            and isinstance(value.func, cst.Attribute)
            and value.func.attr.value == "append"
            and len(value.args) == 1
            and value.args[0].value is found.awaited
            and value.args[0].keyword is None
            and not value.args[0].star
        ):
            text = f"{self.ctx.code_for(value.func.value)}.extend(await {inner})"
        else:
            return None
        statement = cst.parse_statement(text, config=self.ctx.module.config_for_parsing)
        assert isinstance(statement, cst.SimpleStatementLine)
        replacement = statement.with_changes(leading_lines=loop.leading_lines, trailing_whitespace=trailing)
        return Fix(loop, replacement, imports)

    def _comprehension_fix(self, node: cst.ListComp, found: _Loop) -> Fix | None:
        gather = _gather_text(self, node)
        if gather is None:
            return None
        spelled, imports = gather
        clause = node.for_in
        ifs = "".join(f" if {self.ctx.code_for(test.test)}" for test in clause.ifs)
        text = (
            f"{spelled}(*[{self.ctx.code_for(found.call)} for {self.ctx.code_for(clause.target)} "
            f"in {_iter_text(self, clause.iter)}{ifs}])"
        )
        inner = cst.parse_expression(text, config=self.ctx.module.config_for_parsing)
        return Fix(node, awaited(self, node, inner), imports)

    VALID = (
        Valid(
            "async def pages(client):\n    cursor = None\n    while True:\n"
            "        cursor = await client.page(cursor)\n        if cursor is None:\n            break\n"
        ),
        Valid("async def crawl(urls, fetch):\n    for url in urls:\n        body = await fetch(url)\n        if body:\n            break\n"),
        Valid("import asyncio\n\nasync def poll(jobs, check):\n    for job in jobs:\n        await check(job)\n        await asyncio.sleep(1)\n"),
        Valid("async def save(conn, rows):\n    for row in rows:\n        await conn.execute('INSERT ...', row)\n"),
        Valid("async def total(items, price):\n    t = 0\n    for item in items:\n        t += await price(item)\n    return t\n"),
    )
    INVALID = (
        Invalid(
            "import asyncio\n\n\nasync def upload_all(paths, upload):\n    for path in paths:\n        await upload(path)\n",
            line=6,
            fixed=(
                "import asyncio\n\n\nasync def upload_all(paths, upload):\n"
                "    await asyncio.gather(*(upload(path) for path in paths))\n"
            ),
        ),
        Invalid(
            "import asyncio\n\nasync def fetch_all(urls, fetch):\n    return [await fetch(u) for u in urls]\n",
            line=4,
            fixed="import asyncio\n\nasync def fetch_all(urls, fetch):\n    return await asyncio.gather(*[fetch(u) for u in urls])\n",
        ),
        Invalid(
            "import trio\n\nasync def upload_all(paths, upload):\n    for path in paths:\n        await upload(path)\n",
            message=(
                "`await` in a loop runs its independent iterations one at a time; "
                "run them together with a nursery (`nursery.start_soon`)"
            ),
        ),
    )


@dataclass(frozen=True)
class _Candidate:
    """One `target = await call(...)` statement of a block."""

    line: cst.SimpleStatementLine
    assign: cst.Assign
    call: cst.Call
    facts: Facts
    #: The project `async def` it calls, and those that one awaits in the end (`ProjectIndex.reaches`).
    coroutine: str | None
    reaches: frozenset[str]


class SequentialAwaits(SequentialAwaitsScreen, ConcurrencyRule):
    """Checks for consecutive `x = await f()` assignments that do not depend on each other.

    The rule looks at runs of consecutive statements of the form `target = await call(...)` in
    one block, outside `try` bodies that handle exceptions (there the order decides which
    failure stops what). A statement joins the run when it reads nothing an earlier one binds or
    changes, calls no method on the same object, shares no argument that looks like a
    connection, stream or lock, and neither call sleeps, locks, waits or closes. Calls whose
    name says they do something (`create_…`, `send_…`, `update_…`, `start_…`...) rather than
    fetch something are left alone, as are bare `await f()` statements: both are made for
    their effects, whose order the syntax cannot show to be free. So is a call of a project
    `async def` whose own code never awaits (an in-memory lookup): it has nothing to overlap;
    and so are two calls of project `async def`s that both await one project `async def` in
    the end (a cached get-or-create helper): the second waits for what the first awaited.

    A preview rule, off unless selected: on the pinned corpus of real async packages its
    findings are right 4 times in 9 (precision 0.44, `benchmarks/ecosystem.py`). Whether two
    awaits really are independent depends on what the callees share (one device, a
    get-or-create singleton, a helper passed in), which the syntax does not show.

    ## Why is this bad?
    `a = await get_user(uid)` then `b = await get_orders(uid)` waits for the user before it
    even asks for the orders: the total is the sum of both latencies. `asyncio.gather()` runs
    them together and takes the longest one.

    ## Fix safety
    The fix, `a, b = await asyncio.gather(get_user(uid), get_orders(uid))`, is unsafe: the
    calls now run concurrently, which changes behaviour if one relies on the other's side
    effects, and if one fails the other keeps running. A comment on one of the statements is
    kept next to its call. It is never offered in trio or anyio modules.
    """

    code = "ASL302"
    default_enabled = False
    name = "sequential-awaits"
    message = "this `await` waits for the previous one although it does not use its result; run them together with {advice}"
    fix_title = "Run the calls together with `asyncio.gather()`"
    fix_safety = FixSafety.UNSAFE

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        #: Bodies of `try` statements with handlers: there the order says which failure stops what.
        self._guarded: set[cst.BaseSuite] = set()

    def visit_Try(self, node: cst.Try) -> None:
        if node.handlers:
            self._guarded.add(node.body)

    def visit_TryStar(self, node: cst.TryStar) -> None:
        self._guarded.add(node.body)

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        if not self.ctx.in_async_code() or self.ctx.tracker.in_generator_expression() or node in self._guarded:
            return
        run: list[_Candidate] = []
        for stmt in [*node.body, None]:
            candidate = self._candidate(stmt) if stmt is not None else None
            if candidate is not None and run and self._independent(run, candidate):
                run.append(candidate)
                continue
            self._report_run(node, run)
            run = [candidate] if candidate is not None else []

    def _candidate(self, stmt: cst.BaseStatement) -> _Candidate | None:
        if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
            return None
        assign = stmt.body[0]
        if not isinstance(assign, cst.Assign) or len(assign.targets) != 1:
            return None
        value = assign.value
        if not isinstance(value, cst.Await) or not isinstance(value.expression, cst.Call):
            return None
        call = value.expression
        if not _names.may_run_together(final_name(call.func)):
            return None
        facts = facts_of([assign])
        if len(facts.awaits) != 1 or any(_names.is_ordering_call(name) for name in facts.callees):
            return None
        found = self._project_coroutine(call)
        if found is not None and self.ctx.project.never_suspends(found):
            return None  # a project `async def` that never awaits: it has nothing to overlap
        reaches = self.ctx.project.reaches(found) if found is not None else frozenset()
        # Receivers and shared arguments are compared pairwise: one object used by two statements orders them.
        return _Candidate(stmt, assign, call, facts, found, reaches)

    def _independent(self, run: list[_Candidate], new: _Candidate) -> bool:
        for earlier in run:
            modules = self.modules(new.call, earlier.facts) | self.modules(new.call, new.facts)
            first, second = earlier.facts, new.facts
            if (first.binds | first.writes) - modules & second.touched:
                return False
            if (second.binds | second.writes) - modules & first.touched:
                return False
            shared = (first.touched & second.touched) - modules
            if any(looks_shared(name) for name in shared):
                return False
            if earlier.reaches & new.reaches or earlier.coroutine in new.reaches or new.coroutine in earlier.reaches:
                return False  # both wait for one project `async def` (a cached get-or-create helper)
        return True

    def _report_run(self, block: cst.IndentedBlock, run: list[_Candidate]) -> None:
        if len(run) < 2:
            return
        fix = self._run_fix(block, run)
        for candidate in run[1:]:
            self.report(candidate.assign.value, fix, advice=_advice(self))

    def _run_fix(self, block: cst.IndentedBlock, run: list[_Candidate]) -> Fix | None:
        if any(_has_comment(c.line.leading_lines) or _has_comment([c.assign]) for c in run[1:]):
            return None
        if _has_comment([run[0].assign]):
            return None
        gather = _gather_text(self, block)
        if gather is None:
            return None
        spelled, imports = gather
        targets = ", ".join(self._target_text(c.assign.targets[0].target) for c in run)
        comments = [c.line.trailing_whitespace.comment for c in run]
        calls = [self.ctx.code_for(c.call) for c in run]
        if any(comment is not None for comment in comments):
            indent = self.ctx.module.default_indent
            lines = [
                f"{indent}{call},{'  ' + comment.value if comment is not None else ''}"
                for call, comment in zip(calls, comments)
            ]
            text = f"{targets} = await {spelled}(\n" + "\n".join(lines) + "\n)\n"
        else:
            text = f"{targets} = await {spelled}({', '.join(calls)})\n"
        statement = cst.parse_statement(text, config=self.ctx.module.config_for_parsing)
        assert isinstance(statement, cst.SimpleStatementLine)
        statement = statement.with_changes(leading_lines=run[0].line.leading_lines)
        first = block.body.index(run[0].line)
        body = [*block.body[:first], statement, *block.body[first + len(run) :]]
        return Fix(block, block.with_changes(body=body), imports)

    def _target_text(self, target: cst.BaseAssignTargetExpression) -> str:
        text = self.ctx.code_for(target)
        if isinstance(target, cst.Tuple) and not target.lpar:
            return f"({text})"
        return text

    VALID = (
        Valid("async def load(api, uid):\n    user = await api.user(uid)\n    orders = await api.orders(uid)\n"),
        Valid("async def load(get_user, get_orders, uid):\n    user = await get_user(uid)\n    orders = await get_orders(user.id)\n"),
        Valid("async def setup(create_schema, create_rows):\n    a = await create_schema()\n    b = await create_rows()\n"),
        Valid("async def copy(conn, src, dst):\n    a = await read_table(conn, src)\n    b = await read_table(conn, dst)\n"),
    )
    INVALID = (
        Invalid(
            "import asyncio\n\n\nasync def dashboard(uid):\n    user = await get_user(uid)\n"
            "    orders = await get_orders(uid)\n    return user, orders\n",
            line=6,
            fixed=(
                "import asyncio\n\n\nasync def dashboard(uid):\n"
                "    user, orders = await asyncio.gather(get_user(uid), get_orders(uid))\n    return user, orders\n"
            ),
        ),
        Invalid(
            "import anyio\n\nasync def dashboard(uid):\n    user = await get_user(uid)\n    orders = await get_orders(uid)\n",
            message=(
                "this `await` waits for the previous one although it does not use its result; "
                "run them together with a task group (`tg.start_soon`)"
            ),
        ),
    )


class UnboundedGather(UnboundedGatherScreen, ConcurrencyRule):
    """Checks for `asyncio.gather(*(f(x) for x in xs))` where the number of items comes from data.

    Fires when the gathered coroutines come from a comprehension or a `map()` whose items
    come from data the code does not bound: a parameter of the function (`urls`, `msg["ids"]`),
    or what a query, a request or a file returned (`rows = await conn.fetch(...)`,
    `await resp.json()`, `json.load(f)`, `cursor.fetchall()`), directly or through
    `enumerate()`, `zip()`, `sorted()`, `.items()`, a filtering comprehension... The gathered
    call must do I/O: left alone are already-running tasks and futures, waits on events
    (`event.wait()`, `wait_for(...)`), clean-ups of what exists (`close()`, `disconnect()`,
    `unload()`...), also wrapped in `create_task()`, and project `async def`s that never await
    (pure in-memory work). Collections the code builds or owns (`self.entries`, a literal, a
    registry's values, a config entry's options) are small by construction and left alone,
    as is every module that mentions a semaphore or a limiter. This rule is in preview:
    select it with `--select ASL303`.

    ## Why is this bad?
    Gathering one coroutine per item starts all of them at once: ten thousand rows open ten
    thousand connections, exhaust file descriptors, or trip the server's rate limit. Bound the
    concurrency with an `asyncio.Semaphore` acquired in the worker, or process the items in
    chunks.
    """

    code = "ASL303"
    name = "unbounded-gather"
    message = "`gather()` starts one task per item of {source}, however many there are; bound it with a semaphore"
    default_enabled = False

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._candidates: list[tuple[cst.Call, str]] = []
        self._limited = False

    def visit_Name(self, node: cst.Name) -> None:
        lowered = node.value.lower()
        if "semaphore" in lowered or "limit" in lowered:
            self._limited = True

    def visit_Call(self, node: cst.Call) -> None:
        if resolve(self, node.func) != "asyncio.gather" or not self.ctx.tracker.in_live_code():
            return
        for arg in node.args:
            source = self._unbounded(arg.value) if arg.star == "*" else None
            if source is not None:
                self._candidates.append((node, source))
                return

    def _unbounded(self, gathered: cst.BaseExpression) -> str | None:
        """What the gathered items come from, when it is data of unbounded size and each item does I/O."""
        if isinstance(gathered, (cst.GeneratorExp, cst.ListComp)):
            clause = gathered.for_in
            if clause.inner_for_in is not None or not self._does_io(gathered.elt):
                return None
            if any(_small_by_construction(name) for name in facts_of([clause.target]).reads):
                return None  # `for device in ...`, `for state in ...`: a home's devices, a scene's states
            return _DataSource(self).of(clause.iter)
        if isinstance(gathered, cst.Call) and resolve(self, gathered.func) == "builtins.map" and len(gathered.args) == 2:
            function = gathered.args[0].value
            if _names.is_cleanup(final_name(function)) or not isinstance(function, (cst.Name, cst.Attribute)):
                return None
            return _DataSource(self).of(gathered.args[1].value)
        return None

    def _does_io(self, element: cst.BaseExpression) -> bool:
        """A call that may do I/O: not a clean-up or a wait (a task's too), not an `async def` that never awaits."""
        if not isinstance(element, cst.Call):
            return False  # a task or a future, already running
        name = final_name(element.func)
        if _names.wraps_in_task(name):
            inner = element.args[0].value if element.args else None
            return isinstance(inner, cst.Call) and self._does_io(inner)
        if _names.is_cleanup(name) or _names.is_ordering_call(name):
            return False  # `conn.close()`, `event.wait()`, `wait_for(...)`: nothing starts
        if "executor" in name.lower() or name == "to_thread":
            return False  # a thread pool's workers bound it already
        return not self._never_suspends(element)

    def finish(self) -> None:
        if self._limited:
            return
        for call, source in self._candidates:
            self.report(call, source=source)

    VALID = (
        Valid("import asyncio\n\nasync def main(f):\n    await asyncio.gather(*(f(x) for x in [1, 2, 3]))\n"),
        Valid(
            "import asyncio\n\nasync def close_all(self):\n"
            "    await asyncio.gather(*(c.close() for c in self.connections))\n"
        ),
        Valid(
            "import asyncio\n\nsem = asyncio.Semaphore(10)\n\nasync def fetch(url):\n    async with sem:\n        ...\n\n"
            "async def main(urls):\n    await asyncio.gather(*(fetch(u) for u in urls))\n"
        ),
    )
    INVALID = (
        Invalid(
            "import asyncio\n\nasync def main(fetch, urls):\n    await asyncio.gather(*(fetch(u) for u in urls))\n",
            line=4,
            message=(
                "`gather()` starts one task per item of the parameter `urls`, however many there are; "
                "bound it with a semaphore"
            ),
            use_instead=(
                "import asyncio\n\nasync def main(fetch, urls):\n    sem = asyncio.Semaphore(20)\n\n"
                "    async def bounded(u):\n        async with sem:\n            return await fetch(u)\n\n"
                "    await asyncio.gather(*(bounded(u) for u in urls))\n"
            ),
        ),
        Invalid(
            "import asyncio\n\nasync def sync_rows(conn, push):\n    rows = await conn.fetch('SELECT id FROM items')\n"
            "    await asyncio.gather(*(push(r) for r in rows))\n",
            line=5,
            message=(
                "`gather()` starts one task per item of what `conn.fetch()` returned, however many there are; "
                "bound it with a semaphore"
            ),
        ),
    )


#: Calls that keep the items of the iterable(s) they are given (as many, or fewer).
_PASS_THROUGH = frozenset(
    {"builtins.enumerate", "builtins.zip", "builtins.sorted", "builtins.list", "builtins.set", "builtins.tuple"}
    | {"builtins.reversed", "builtins.filter", "builtins.iter", "itertools.chain", "itertools.islice"}
    | {"builtins.range", "builtins.len"}  # `range(count)`, `range(len(rows))`: as many as the parameter says
)
#: Methods that give a collection's items, or a copy of them.
_VIEWS = frozenset({"items", "values", "keys", "copy"})
#: Methods that read data from a file, a response or a cursor.
_READ_METHODS = frozenset({"readlines", "fetchall", "fetchmany", "json"})
#: Functions that read data from a file or a text.
_READERS = frozenset(
    {"json.load", "json.loads", "yaml.safe_load", "yaml.load", "csv.reader", "csv.DictReader"}
    | {"tomllib.load", "tomllib.loads", "pickle.load", "pickle.loads"}
)


class _DataSource:
    """Where a gathered iterable's items come from, when that is data of unbounded size.

    Data: a parameter of the function (not `self`/`cls`; a subscript of one, `msg["ids"]`, too),
    or what an awaited call or a read returned (`await api.devices()`, `json.load(f)`), and
    anything taken from those (`rows["items"]`, `page.results`, a comprehension over them).
    Anything else (an attribute of a parameter or of `self`, a module constant, a local built
    from literals, a sync call's result) the code owns, and its size is known to it.
    """

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.seen: set[str] = set()

    def of(self, expr: cst.BaseExpression, attributes: bool = False) -> str | None:
        rule = self.rule
        if isinstance(expr, cst.Await):
            call = expr.expression
            if not isinstance(call, cst.Call) or final_name(call.func) in _names.NOT_SEQUENTIAL:
                return None  # what a gather returned: as many as the code gave it
            if _small_by_construction(final_name(call.func)):
                return None  # `await api.get_devices()`
            return f"what `{_callee_text(rule, call)}` returned"
        if isinstance(expr, cst.Call):
            qualified = resolve(rule, expr.func)
            if qualified in _PASS_THROUGH:
                return next((s for a in expr.args if (s := self.of(a.value)) is not None), None)
            name = final_name(expr.func)
            if isinstance(expr.func, cst.Attribute) and name in _VIEWS and not expr.args:
                return self.of(expr.func.value)
            if (name in _READ_METHODS and isinstance(expr.func, cst.Attribute)) or qualified in _READERS:
                return f"what `{_callee_text(rule, expr)}` read"
            return None
        if isinstance(expr, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
            clause = expr.for_in
            if clause.inner_for_in is not None or any(self._kept_by_membership(test.test) for test in clause.ifs):
                return None  # `[r for r in records if r.name in wanted]`: no more than `wanted` holds
            return self.of(clause.iter)
        if isinstance(expr, cst.Subscript):
            return self.of(expr.value, attributes)
        if isinstance(expr, cst.Attribute):
            # `page.items` of fetched data; never of a parameter (`entry.options`) or of `self`.
            return self.of(expr.value, attributes=True)
        if isinstance(expr, cst.Name):
            return self._name(expr, attributes)
        return None

    def _kept_by_membership(self, test: cst.BaseExpression) -> bool:
        """A filter `x in wanted` (in an `and` too) where `wanted` is no data: it bounds what passes."""
        if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
            return self._kept_by_membership(test.left) or self._kept_by_membership(test.right)
        if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
            return False
        target = test.comparisons[0]
        return isinstance(target.operator, cst.In) and _DataSource(self.rule).of(target.comparator) is None

    def _name(self, name: cst.Name, attributes: bool) -> str | None:
        if name.value in self.seen or name.value in _OWNERS or _small_by_construction(name.value):
            return None
        self.seen.add(name.value)
        scope = self.rule.get_metadata(ScopeProvider, name, None)
        if scope is None:
            return None
        assignments = list(scope[name.value])
        if not assignments or not all(isinstance(a, Assignment) for a in assignments):
            return None
        found: str | None = None
        for assignment in assignments:
            node = assignment.node if isinstance(assignment, Assignment) else None
            if isinstance(node, cst.Param):
                source = None if attributes else f"the parameter `{name.value}`"
            elif isinstance(node, cst.Name) and node in self.rule.ctx.tracker.values:
                source = self.of(self.rule.ctx.tracker.values[node])
            else:
                source = None
            if source is None:
                return None  # one binding the code owns: it may well be the one gathered
            found = found or source
        return found


#: Name fragments of things a deployment has a handful of, by construction: devices and their
#: entities, a scene's states, configured accounts, hosts and platforms, network interfaces.
_SMALL_BY_CONSTRUCTION = (
    "device", "entit", "state", "config", "account", "vehicle", "module", "interface", "adapter", "address",
    "coordinator", "platform", "domain", "agent", "provider", "handler", "updater", "health", "entry", "entries",
    "host", "server", "node", "hub", "bridge", "zone", "trackable", "integration", "component", "subentr",
    "_ip", "lock",
)  # fmt: skip


def _small_by_construction(name: str) -> bool:
    lowered = name.lower()
    return lowered in ("ip", "ips") or any(fragment in lowered for fragment in _SMALL_BY_CONSTRUCTION)


def _callee_text(rule: Rule, call: cst.Call) -> str:
    """`conn.fetch()` for `conn.fetch("SELECT ...")`: how the message names a call."""
    func = call.func
    text = rule.ctx.code_for(func) if isinstance(func, (cst.Name, cst.Attribute)) else final_name(func)
    return f"{text}()"
