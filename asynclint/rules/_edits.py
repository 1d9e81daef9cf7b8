"""Fix builders shared by rules: await the library's own call, or run the call in a thread."""

from __future__ import annotations

import libcst as cst

from asynclint.core.diagnostic import FixSafety
from asynclint.rules.base import Fix, Rule
from asynclint.rules.imports import binding_for


def await_library_call(rule: Rule, call: cst.Call, attr: str) -> Fix | None:
    """`time.sleep(x)` -> `await asyncio.sleep(x)`: same arguments, the module library's callee."""
    if "#" in rule.ctx.code_for(call.func):
        return None  # replacing the callee would drop the comment inside it
    target = binding_for(rule, call, rule.ctx.library, attr)
    if target is None:
        return None
    func, imports = target
    replacement = awaited(rule, call, call.with_changes(func=func, lpar=(), rpar=()))
    # A module that imports no async library may run under any of them: the library is a guess.
    return Fix(call, replacement, imports, None if rule.ctx.library_known else FixSafety.UNSAFE)


def to_thread(rule: Rule, call: cst.Call) -> Fix | None:
    """`f(a, k=v)` -> `await asyncio.to_thread(f, a, k=v)` (trio/anyio: `to_thread.run_sync`)."""
    library = rule.ctx.library
    if call in rule.ctx.tracker.with_items:
        return None  # `with await to_thread(open, p) as f:` leaves every read in the body blocking
    if call in rule.ctx.tracker.awaited:
        return None  # `await f()`: f returns an awaitable, made for the event loop's thread, not a worker's
    if library != "asyncio" and any(arg.keyword is not None or arg.star == "**" for arg in call.args):
        return None  # run_sync takes positional arguments only
    target = binding_for(rule, call, library, "to_thread" if library == "asyncio" else "to_thread.run_sync")
    if target is None:
        return None
    runner, imports = target
    opening = call.whitespace_before_args
    # Keep the call's layout: on a multi-line call the callable goes on its own line.
    after_callable: cst.BaseParenthesizableWhitespace = cst.SimpleWhitespace(" ")
    if isinstance(opening, cst.ParenthesizedWhitespace):
        # Same indentation as the first argument, but not the comment that follows `(`.
        after_callable = opening.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=())
    first = cst.Arg(
        value=call.func,
        comma=cst.Comma(whitespace_after=after_callable) if call.args else cst.MaybeSentinel.DEFAULT,
    )
    inner = cst.Call(func=runner, args=[first, *call.args], whitespace_before_args=opening)
    return Fix(call, awaited(rule, call, inner), imports)


def awaited(rule: Rule, original: cst.BaseExpression, inner: cst.BaseExpression) -> cst.Await:
    """`await inner` in place of `original`, parenthesized where a primary must stand.

    `f(x).read()` must become `(await g(x)).read()`: `await g(x).read()` awaits `.read()`.
    """
    lpar, rpar = original.lpar, original.rpar
    if not lpar and original in rule.ctx.tracker.primaries:
        lpar, rpar = [cst.LeftParen()], [cst.RightParen()]
    return cst.Await(expression=inner, lpar=lpar, rpar=rpar)
