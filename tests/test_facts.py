"""The `ast` pre-screen (analysis/astwalk.py, the probes and each rule's `screen`): what it keeps and what it skips.

It may only skip a rule where the rule cannot fire; test_fixtures.py proves that over every
fixture (same findings with and without it). These tests pin down the approximations one by one.
"""

from __future__ import annotations

import pytest

from asynclint.analysis.astwalk import facts_of_source
from asynclint.core.config import Config
from asynclint.engine.screening import screen
from asynclint.rules.registry import all_rules


def kept(source: str, code: str) -> bool:
    """Whether the screen leaves rule `code` to run on this source."""
    rules = [rule for rule in all_rules() if rule.code == code]
    return bool(screen(rules, source.encode(), "example.py", Config(select=("ALL",)), None)[0])


@pytest.mark.parametrize(
    ("code", "source"),
    [
        ("ASL101", "from time import sleep as nap\n\nasync def f():\n    nap(1)\n"),
        ("ASL101", "import time as t\n\nasync def f():\n    def g():\n        pass\n    t.sleep(1)\n"),
        ("ASL104", "async def f(p):\n    return open(p).read()\n"),
        ("ASL102", "import requests\n\ns = requests.Session()\n\nasync def f(u):\n    return s.get(u)\n"),
        ("ASL201", "async def fetch():\n    pass\n\nasync def main():\n    fetch()\n"),
        ("ASL201", "class C:\n    async def a(self):\n        pass\n\n    async def b(self):\n        self.a()\n"),
        ("ASL201", "def outer():\n    async def inner():\n        pass\n\n    inner()\n"),
        ("ASL202", "async def fetch():\n    pass\n\nasync def main():\n    c = fetch()\n"),
        # A read of the same name elsewhere is another variable: a global, a comprehension's,
        # a lambda's parameter, or a local of a nested function (an import binds it too).
        ("ASL202", "async def fetch():\n    return c\n\nasync def main():\n    c = fetch()\n"),
        ("ASL202", "async def fetch():\n    pass\n\nasync def main(cs):\n    c = fetch()\n    return [c for c in cs]\n"),
        ("ASL202", "async def fetch():\n    pass\n\nasync def main():\n    c = fetch()\n    return lambda c: c\n"),
        ("ASL202", "async def fetch():\n    pass\n\nasync def main():\n    c = fetch()\n    def g():\n        import c\n        c.x()\n"),
        # libcst counts `c.b.x` a read of `c.b`, once a file imports `c.b`.
        ("ASL202", "import c.b\n\nasync def fetch():\n    pass\n\nasync def main():\n    c = fetch()\n    c.b.x()\n"),
        ("ASL203", "async def fetch(u):\n    pass\n\nasync def main(us):\n    jobs = []\n    for u in us:\n        jobs.append(fetch(u))\n"),
        # A read in a comprehension may be of the comprehension's own name.
        (
            "ASL203",
            "async def fetch(u):\n    pass\n\nasync def main(us, o):\n    jobs = [fetch(u) for u in us]\n"
            "    return [jobs for jobs in o]\n",
        ),
        ("ASL204", "import asyncio\n\nq = asyncio.Queue()\n\nasync def f():\n    if q.get():\n        pass\n"),
        # `super().m()` of an async base method; a dropped `gather`; a parameter annotated with a
        # project class (in a string too); a partial bound to a name; a loop-named attribute.
        ("ASL201", "class B:\n    async def m(self):\n        pass\n\nclass C(B):\n    async def m(self):\n        super().m()\n"),
        ("ASL201", "import asyncio as aio\n\nasync def f(js):\n    aio.gather(*js)\n"),
        ("ASL204", "class DB:\n    async def empty(self):\n        pass\n\nasync def f(db: 'DB'):\n    if db.empty():\n        pass\n"),
        (
            "ASL204",
            "from typing import Optional\n\nclass DB:\n    async def empty(self):\n        pass\n\n"
            "async def f(db: Optional[DB]):\n    if db.empty():\n        pass\n",
        ),
        ("ASL205", "from functools import partial\n\nasync def g():\n    pass\n\ndef f(loop):\n    job = partial(g)\n    loop.call_soon(job)\n"),
        ("ASL206", "async def g():\n    pass\n\nasync def f(hass):\n    hass.loop.create_task(g())\n"),
        # A receiver of a known type: bound by `with`, or a `self.` attribute set in the class.
        ("ASL102", "import requests\n\nasync def f(u):\n    with requests.Session() as s:\n        return s.get(u)\n"),
        (
            "ASL105",
            "import queue\n\nclass C:\n    def __init__(self):\n        self.q = queue.Queue()\n\n"
            "    async def f(self):\n        return self.q.get()\n",
        ),
        ("ASL105", "import queue\n\nasync def f():\n    return queue.Queue().get()\n"),
        (
            "ASL105",
            "import queue\n\nasync def f():\n    q = queue.Queue()\n\n    async def g():\n        return q.get()\n\n    return g\n",
        ),
        ("ASL301", "async def f(xs):\n    for x in xs:\n        await g(x)\n"),
        ("ASL301", "async def f():\n    return [await g(x) for x in await h()]\n"),
        ("ASL301", "async def f(xs):\n    for x in xs:\n        y = x + 1\n        await g(y)\n"),
        # What the rule does not read as the body's calls: a nested def's decorator, an annotation.
        ("ASL301", "async def f(xs):\n    for x in xs:\n        @lock()\n        def h(): pass\n        await g(x, h)\n"),
        ("ASL301", "async def f(xs):\n    for x in xs:\n        y: sleep() = x\n        await g(y)\n"),
        ("ASL301", "async def f(xs):\n    return {sleep(x): await g(x) for x in xs}\n"),
        # A module's function, a method of each item in a comprehension, an argument computed from the item.
        ("ASL301", "import api\n\nasync def f(xs):\n    for x in xs:\n        await api.users[0].load(x)\n"),
        ("ASL301", "async def f(cs):\n    return [await c.payload() for c in cs]\n"),
        ("ASL301", "async def f(xs):\n    for x in xs:\n        await g(x.parent.name())\n"),
        ("ASL301", "async def f(xs):\n    for x in xs:\n        if x is None:\n            continue\n        await g(x)\n"),
        (
            "ASL501",
            "import asyncio\n\ndef main():\n    loop = asyncio.new_event_loop()\n    asyncio.set_event_loop(loop=loop)\n"
            "    loop.run_until_complete(work())\n    loop.close()\n",
        ),
        ("ASL302", "async def f():\n    a = await get_user()\n    b = await get_orders()\n"),
        # A module is no object the calls share; a name read in a lambda is not looked at.
        ("ASL302", "import api\n\nasync def f():\n    a = await api.user()\n    b = await api.orders()\n"),
        ("ASL302", "async def f(uid):\n    a = await get_user(uid)\n    b = await get_orders(lambda: a)\n"),
        ("ASL302", "async def f():\n    try:\n        a = await get_a()\n        b = await get_b()\n    finally:\n        pass\n"),
        ("ASL401", "import asyncio\n\nasync def f(q):\n    while True:\n        try:\n            await q.get()\n        except asyncio.CancelledError:\n            pass\n"),
        ("ASL401", "async def f(q):\n    try:\n        await q.get()\n    except:\n        log()\n    await q.put(1)\n"),
        # A `raise` in a function defined in the handler does not re-raise.
        ("ASL401", "async def f(q):\n    while q:\n        try:\n            await q.get()\n        except:\n            def g():\n                raise\n"),
        ("ASL401", "async def f(q):\n    if q:\n        try:\n            await q.get()\n        except:\n            log()\n    return await q.get()\n"),
        # A handler that lets the task end quietly swallows the cancellation too.
        ("ASL401", "async def f(q):\n    try:\n        await q.get()\n    except:\n        log()\n    def later():\n        pass\n"),
        ("ASL401", "async def f(q):\n    async def inner():\n        try:\n            await q.get()\n        except:\n            log()\n    while True:\n        await inner()\n"),
        # `throw()` without the exception hands nothing on.
        ("ASL401", "import asyncio\n\nasync def f(q, g):\n    try:\n        await q.get()\n    except asyncio.CancelledError:\n        g.throw()\n"),
        ("ASL502", "from asyncio import get_event_loop as gel\n\nasync def f():\n    return gel()\n"),
        ("ASL402", "import asyncio\n\nasync def f(js):\n    await asyncio.gather(*(run(j) for j in js), return_exceptions=True)\n"),
        ("ASL402", "from asyncio import gather\n\nasync def f(js):\n    r = await gather(*map(run, js), return_exceptions=True)\n    return [r for r in js]\n"),
        ("ASL402", "import asyncio\n\nasync def f(a):\n    r = await asyncio.gather(a(), return_exceptions=True)\n    def g():\n        return r\n"),
        # `self.x.m()`: what the method's class declares `x` as; in a `staticmethod` the first
        # parameter is no `self` (here annotated with another class, whose `chan` is a `Chan`).
        ("ASL201", "class Chan:\n    async def close(self):\n        pass\n\nclass C:\n    chan: Chan\n\n    async def f(self):\n        self.chan.close()\n"),
        (
            "ASL201",
            "class Chan:\n    async def close(self):\n        pass\n\nclass Other:\n    chan: Chan\n\nclass C:\n    chan: int\n\n"
            "    @staticmethod\n    async def f(self: Other):\n        self.chan.close()\n",
        ),
        # `self.x.m()` with `x` declared in the method's class: a blocking method, a sync helper that blocks.
        ("ASL102", "import requests\n\nclass C:\n    s: requests.Session\n\n    async def f(self, u):\n        return self.s.get(u)\n"),
        (
            "ASL107",
            "import time\n\nclass Store:\n    def load(self):\n        time.sleep(1)\n\nclass C:\n    store: Store\n\n"
            "    async def f(self):\n        self.store.load()\n",
        ),
        # A class the file constructs, though some module also declares an attribute as it.
        (
            "ASL201",
            "class Client:\n    async def close(self):\n        pass\n\nclass Holder:\n    client: Client\n\n"
            "async def f():\n    x = Client()\n    x.close()\n",
        ),
        # No thread lock made in the file, but one declared: a parameter, an attribute, a name of another module.
        ("ASL503", "import threading\n\nasync def f(db, lock: threading.RLock):\n    with lock:\n        await db.write()\n"),
        ("ASL503", "from threading import Lock as L\n\nasync def f(db, *locks: 'L'):\n    with locks:\n        await db.write()\n"),
        (
            "ASL503",
            "import threading\n\nclass C:\n    _lock: threading.Lock\n\n    async def f(self, db):\n        with self._lock:\n"
            "            await db.write()\n",
        ),
    ],
)
def test_kept_where_the_rule_may_fire(code, source):
    assert kept(source, code)


@pytest.mark.parametrize(
    ("code", "source"),
    [
        # The blocking name is called in sync code only, or is another module's function.
        ("ASL101", "import time\n\ndef f():\n    time.sleep(1)\n\nasync def g():\n    pass\n"),
        ("ASL101", "import asyncio\n\nasync def f():\n    await asyncio.sleep(1)\n"),
        # A blocking method name, but no receiver of a known type can exist in the file.
        ("ASL102", "async def f(session, u):\n    return session.get(u)\n"),
        # `get` is a coroutine method of asyncio.Queue, but the file makes only a lock.
        ("ASL204", "import asyncio\n\nlock = asyncio.Lock()\n\nasync def f(d):\n    if d.get('x'):\n        pass\n"),
        # A queue is made, but the receiver is a parameter, or an attribute nothing in the file sets.
        ("ASL204", "import asyncio\n\nq = asyncio.Queue()\n\nasync def f(d):\n    if d.get('x'):\n        pass\n"),
        ("ASL105", "import queue\n\nq = queue.Queue()\n\nasync def f(self):\n    return self.data.get('x')\n"),
        ("ASL105", "import queue\n\ndef make():\n    q = queue.Queue()\n    return q\n\nasync def f(q):\n    return q.get()\n"),
        # The annotated class's method is sync; the receiver is not annotated; no attribute is named as a loop.
        ("ASL204", "class DB:\n    def empty(self):\n        pass\n\nasync def f(db: DB):\n    if db.empty():\n        pass\n"),
        ("ASL204", "class DB:\n    async def empty(self):\n        pass\n\nasync def f(db):\n    if db.empty():\n        pass\n"),
        ("ASL206", "async def g():\n    pass\n\nasync def f(app):\n    app.group.create_task(g())\n"),
        # The coroutine is awaited, or the variable holding it is read.
        ("ASL201", "async def fetch():\n    pass\n\nasync def main():\n    await fetch()\n"),
        ("ASL202", "async def fetch():\n    pass\n\nasync def main():\n    c = fetch()\n    return await c\n"),
        # Read in a nested function, lambda or comprehension that does not bind it; or a global.
        ("ASL202", "async def fetch():\n    pass\n\nasync def main():\n    c = fetch()\n    def g():\n        return c\n    return g\n"),
        ("ASL202", "async def fetch():\n    pass\n\nasync def main(xs):\n    c = fetch()\n    return [await c for x in xs], lambda: c\n"),
        ("ASL202", "async def fetch():\n    pass\n\nc = fetch()\n\nclass K:\n    d = fetch()\n"),
        # The collection is read (gathered, returned), kept on an object, or not a function's.
        (
            "ASL203",
            "import asyncio\n\nasync def fetch(u):\n    pass\n\nasync def main(us):\n    jobs = []\n    for u in us:\n"
            "        jobs.append(fetch(u))\n    await asyncio.gather(*jobs)\n",
        ),
        ("ASL203", "async def fetch(u):\n    pass\n\nasync def main(us):\n    jobs = [fetch(u) for u in us]\n    return jobs\n"),
        ("ASL203", "async def fetch(u):\n    pass\n\nasync def main(self, us):\n    for u in us:\n        self.jobs.append(fetch(u))\n"),
        ("ASL203", "async def fetch(u):\n    pass\n\njobs = [fetch(u) for u in range(3)]\n"),
        # Two awaits in the loop, a block in its body, a method of an object, or a `while` loop.
        ("ASL301", "async def f(xs):\n    for x in xs:\n        await g(x)\n        await h(x)\n"),
        ("ASL301", "async def f(xs):\n    for x in xs:\n        with lock:\n            await g(x)\n"),
        ("ASL301", "async def f(xs, conn):\n    for x in xs:\n        await conn.execute(x)\n"),
        ("ASL301", "async def f():\n    while True:\n        await g()\n"),
        # The same call on every turn: the await mentions nothing the loop binds.
        ("ASL301", "async def f(y):\n    for _ in range(3):\n        await g(y)\n"),
        ("ASL301", "async def f(xs):\n    for x in xs:\n        limiter.acquire_nowait()\n        await g(x)\n"),
        ("ASL301", "async def f(xs):\n    return [await g(x, wait_for(x)) for x in xs]\n"),
        ("ASL301", "async def f(hooks, e):\n    for hook in hooks:\n        await hook(e)\n"),
        ("ASL301", "async def f(handlers, e):\n    for handler in handlers:\n        await run(handler, e)\n"),
        # A method of an object reached through a call or a subscript, a callee that is not a
        # name, an argument computed by a method of an object outside the loop.
        ("ASL301", "async def f(hass, xs):\n    for x in xs:\n        await get_instance(hass).run(x)\n"),
        ("ASL301", "async def f(hass, xs):\n    for x in xs:\n        await hass.data['k'].refresh(x)\n"),
        ("ASL301", "async def f(self, xs):\n    return [await self.build(x) for x in xs]\n"),
        ("ASL301", "async def f(self, xs):\n    for x in xs:\n        await getattr(self, x)()\n"),
        ("ASL301", "async def f(handlers, xs):\n    for x in xs:\n        await handlers[x](x)\n"),
        ("ASL301", "async def f(self, xs):\n    for x in xs:\n        await g(self.session.get(x))\n"),
        # The loop is left in or after the statement that awaits.
        ("ASL301", "async def f(xs):\n    for x in xs:\n        y = await g(x)\n        if y is None:\n            continue\n        keep(y)\n"),
        ("ASL301", "async def f(xs):\n    for x in xs:\n        if await g(x):\n            return x\n"),
        # A local loop run twice, or used for anything but one run, `close()` and `set_event_loop()`.
        ("ASL501", "def main():\n    loop = new_event_loop()\n    loop.run_until_complete(a())\n    loop.run_until_complete(b())\n"),
        ("ASL501", "def main():\n    loop = new_event_loop()\n    start(loop)\n    loop.run_until_complete(a())\n"),
        ("ASL501", "def main():\n    loop = new_event_loop()\n    loop.run_until_complete(a())\n    print(loop.is_closed())\n"),
        # Callees named for their effect or their ordering never form a run.
        ("ASL302", "async def f():\n    a = await create_user()\n    b = await send_mail()\n"),
        # One statement changes what the other mentions: the same receiver, a target read, a target set twice.
        ("ASL302", "async def f(client):\n    a = await client.user()\n    b = await client.orders()\n"),
        ("ASL302", "async def f(s):\n    r = await s.fetch()\n    j = await r.json()\n"),
        ("ASL302", "class C:\n    async def f(self):\n        self.a = await get_a()\n        self.b = await get_b()\n"),
        ("ASL302", "async def f(d):\n    d[0] = await get_a()\n    x = await get_b(d)\n"),
        ("ASL302", "async def f():\n    a, *b = await get_a()\n    c = await get_c(b)\n"),
        # In a `try` body with handlers the order says which failure stops what.
        ("ASL302", "async def f():\n    try:\n        a = await get_a()\n        b = await get_b()\n    except OSError:\n        pass\n"),
        # The handler re-raises, uses the exception, or catches something else.
        ("ASL401", "import asyncio\n\nasync def f(q):\n    try:\n        await q.get()\n    except asyncio.CancelledError:\n        raise\n"),
        ("ASL401", "async def f(q):\n    try:\n        await q.get()\n    except BaseException as e:\n        keep(e)\n"),
        ("ASL401", "async def f(q):\n    try:\n        await q.get()\n    except ValueError:\n        pass\n"),
        # The result is read, the function cancels something, or the gathered calls clean up.
        ("ASL402", "import asyncio\n\nasync def f(a):\n    r = await asyncio.gather(a(), return_exceptions=True)\n    log(r)\n"),
        ("ASL402", "import asyncio\n\nasync def f(t, a):\n    t.cancel()\n    await asyncio.gather(a(), return_exceptions=True)\n"),
        ("ASL402", "import asyncio\n\nasync def f(cs):\n    await asyncio.gather(*(c.close() for c in cs), return_exceptions=True)\n"),
        # The handler throws the exception on into a generator (or greenlet), or it is sync code.
        ("ASL401", "import sys\n\nasync def f(q, g):\n    try:\n        await q.get()\n    except BaseException:\n        g.throw(*sys.exc_info())\n"),
        ("ASL401", "async def f(q):\n    def g():\n        try:\n            q.get()\n        except:\n            log()\n    return g\n"),
        ("ASL502", "import asyncio\n\ndef f():\n    return asyncio.get_event_loop()\n\nasync def g():\n    pass\n"),
        # Another class declares `chan` as a class with an `async def close`, not this method's class.
        (
            "ASL201",
            "class Chan:\n    async def close(self):\n        pass\n\nclass Other:\n    chan: Chan\n\nclass C:\n    chan: int\n\n"
            "    async def f(self):\n        self.chan.close()\n",
        ),
        # Only another class declares `s` (`store`) so: not what `self.s` is in this method.
        (
            "ASL102",
            "import requests\n\nclass Other:\n    s: requests.Session\n\nclass C:\n    s: int\n\n"
            "    async def f(self, u):\n        return self.s.get(u)\n",
        ),
        (
            "ASL107",
            "import time\n\nclass Store:\n    def load(self):\n        time.sleep(1)\n\nclass Other:\n    store: Store\n\n"
            "class C:\n    store: int\n\n    async def f(self):\n        self.store.load()\n",
        ),
        # A parameter nothing declares, named as some class's declared attribute; `gather` in sync code.
        (
            "ASL201",
            "class Client:\n    async def close(self):\n        pass\n\nclass Holder:\n    conn: Client\n\n"
            "async def f(conn):\n    conn.close()\n",
        ),
        ("ASL201", "import asyncio\n\ndef f(js):\n    asyncio.gather(*js)\n\nasync def g():\n    pass\n"),
        # A local variable named as some class's declared attribute: not a declared receiver.
        (
            "ASL102",
            "import requests\n\nclass Holder:\n    session: requests.Session\n\n"
            "async def f(hass, u):\n    session = hass.session()\n    return session.get(u)\n",
        ),
        # No thread lock made in the file, and none declared as what the `with` holds.
        ("ASL503", "import asyncio\n\nasync def f(db, lock: asyncio.Lock):\n    with lock:\n        await db.write()\n"),
        (
            "ASL503",
            "import threading\n\nclass D:\n    _other: threading.Lock\n\nclass C:\n    async def f(self, db):\n"
            "        with self._lock:\n            await db.write()\n",
        ),
    ],
)
def test_skipped_where_the_rule_cannot_fire(code, source):
    assert not kept(source, code)


def test_unreadable_source_has_no_facts_and_skips_nothing():
    source = "async def f():\n    match x:\n        case 1:\n            pass\n    print(f'{x!r:{w}}' \n"
    assert facts_of_source(source, "m", False) is None
    assert kept("async def f(p):\n    open(p)\n    x = (\n", "ASL104")


REDUCIBLE = b'''import time

X = 1


@decorator
async def far():
    time.sleep(1)


class Client:
    limit = 3

    def __init__(self):
        self.lock = make(self.conn)

    def other(self):
        return 2

    def setter(self):
        self.conn = None

    async def near(self):
        time.sleep(self.lock)


def counter():
    global X
    X += 1
'''


def test_reduced_source_keeps_the_blocks_asked_for_and_what_they_rely_on():
    from asynclint.analysis.reduce import reduced_source

    facts = facts_of_source(REDUCIBLE, "m", False)
    assert facts is not None
    near = next(n for n, b in facts.blocks.items() if b.stub == "def near(): pass")
    reduced = reduced_source(REDUCIBLE, facts, {near})
    lines, original = reduced.splitlines(), REDUCIBLE.splitlines()
    assert len(lines) == len(original)  # positions do not move
    kept = {n for n, (a, b) in enumerate(zip(original, lines), 1) if a == b and a.strip()}
    assert lines[6 - 1] == b"" and lines[7 - 1] == b"def far(): pass"  # decorator and body gone
    assert lines[17 - 1] == b"    def other(): pass" and lines[18 - 1] == b""
    # The class body, `__init__` (it sets `lock`, which `near` reads), `setter` (it sets `conn`,
    # which `__init__` reads), the function with `global`.
    for line in (1, 3, 11, 12, 14, 15, 20, 21, 23, 24, 27, 28, 29):
        assert line in kept, line
    compile(reduced, "m.py", "exec")  # still a module
    # A method that names none of the attributes they set needs neither.
    alone = REDUCIBLE.replace(b"time.sleep(self.lock)", b"time.sleep(1.0000000)")
    lines = reduced_source(alone, facts, {near}).splitlines()
    assert lines[14 - 1] == b"    def __init__(): pass" and lines[20 - 1] == b"    def setter(): pass"


COMMENTED = b'''# -*- coding: utf-8 -*-
# line 2 (an encoding declaration may be here too)
import time
# between statements
TEXT = """
# in a string
"""
OPTIONS = {
    # in a statement
    "a": 1,
}


async def tick():
    # in a kept block
    time.sleep(1)
# after the block


def other():
    pass
# at the end

'''


def test_comment_lines_between_module_statements_are_left_out_unless_module_code_is_kept():
    from asynclint.analysis.astwalk import MODULE
    from asynclint.analysis.reduce import reduced_source

    facts = facts_of_source(COMMENTED, "m", False)
    assert facts is not None
    tick = next(n for n, b in facts.blocks.items() if b.stub == "def tick(): pass")
    lines = reduced_source(COMMENTED, facts, {tick}).splitlines()
    original = COMMENTED.splitlines()
    left_out = [n for n, (a, b) in enumerate(zip(original, lines), 1) if a != b]
    assert left_out == [4, 17, 20]  # between statements, after a block; `other` becomes its stub
    assert lines[4 - 1] == lines[17 - 1] == b"" and lines[20 - 1] == b"def other(): pass"
    assert len(lines) == 20  # the blank lines at the end are gone, every other line is where it was
    kept = reduced_source(COMMENTED, facts, {tick, MODULE}).splitlines()  # a rule may report in module code
    assert [kept[n - 1] for n in (4, 17, 22)] == [original[n - 1] for n in (4, 17, 22)]


SETTERS = b'''class C:
    def __init__(self):
        self.lock = make()
        self.flag = True
        self.mode: str = "a"

    def toggle(self):
        self.flag = False

    def switch(self):
        self.mode = "b"

    def relock(self):
        self.lock = other(self.flag)

    async def near(self):
        await sleep(self.lock)
'''


def test_a_method_kept_for_what_it_sets_asks_only_for_the_setters_of_what_it_reads():
    from asynclint.analysis.reduce import reduced_source

    facts = facts_of_source(SETTERS, "m", False)
    assert facts is not None
    near = next(n for n, b in facts.blocks.items() if b.stub == "def near(): pass")
    lines = reduced_source(SETTERS, facts, {near}).splitlines()
    assert lines[2 - 1] == SETTERS.splitlines()[2 - 1]  # `__init__` sets `lock`, which `near` reads
    assert lines[13 - 1] == b"    def relock(self):"  # so does `relock`
    assert lines[7 - 1] == b"    def toggle(self):"  # it sets `flag`, which `relock` reads
    assert lines[10 - 1] == b"    def switch(): pass"  # `mode` is only set, in `__init__` too: not needed


def test_a_finding_in_a_method_is_found_in_the_reduced_source():
    config = Config(select=("ASL101",))
    from asynclint.engine.lint import lint_source

    found = lint_source(REDUCIBLE, "m.py", config).diagnostics
    assert [(d.line, d.code) for d in found] == [(8, "ASL101"), (24, "ASL101")]


LOOPS = b'''import asyncio

loop = asyncio.get_event_loop()


def other():
    loop.run_forever()


def unrelated():
    mine = 1
    return mine


def run():
    loop.run_until_complete(main())


def local():
    mine = asyncio.new_event_loop()
    mine.run_until_complete(main())
'''


def test_legacy_run_loop_reads_every_block_that_mentions_the_loop():
    from asynclint.engine.lint import lint_source
    from asynclint.engine.screening import screen_blocks

    rules = [rule for rule in all_rules() if rule.code == "ASL501"]
    screened = screen_blocks(rules, LOOPS, "m.py", Config(select=("ASL501",)), None)
    assert screened.facts is not None and screened.keep is not None
    stubs = {screened.facts.blocks[n].stub for n in screened.keep if n in screened.facts.blocks}
    # Not `unrelated`: its `mine` is another function's variable.
    assert stubs == {"def other(): pass", "def run(): pass", "def local(): pass"}
    # `loop` is used for more than one run in `other()`: only the local loop is reported.
    found = lint_source(LOOPS, "m.py", Config(select=("ASL501",))).diagnostics
    assert [d.line for d in found] == [21]


def test_asl401_keeps_the_methods_of_the_class_that_cancel_the_task_a_handler_reaps():
    from asynclint.analysis.reduce import reduced_source
    from asynclint.rules.cancellation.rule import SwallowedCancellation

    source = (
        b"import asyncio\n\n\nclass Conn:\n    def fail(self):\n        self._reader.cancel()\n\n"
        b"    def other(self):\n        return 1\n\n    async def wait(self):\n        try:\n            await self._reader\n"
        b"        except asyncio.CancelledError:\n            pass\n"
    )
    facts = facts_of_source(source, "m", False, SwallowedCancellation.probes)
    assert facts is not None
    blocks = SwallowedCancellation.screen(facts, None, {})  # type: ignore[arg-type]
    assert blocks is not None
    lines = reduced_source(source, facts, blocks).decode().splitlines()
    assert lines[5] == "        self._reader.cancel()"  # kept: it makes `await self._reader` a reap
    assert lines[7] == "    def other(): pass"


def _where(source: str, code: str) -> set[int] | None:
    from asynclint.engine.screening import screen_blocks

    rules = [rule for rule in all_rules() if rule.code == code]
    screened = screen_blocks(rules, source.encode(), "example.py", Config(select=("ALL",)), None)
    assert screened.rules, "the rule must be kept"
    return screened.where[screened.rules[0]]


def test_asl503_without_a_lock_made_in_the_file_keeps_only_the_blocks_of_declared_locks():
    declared = (
        "import threading\n\nclass C:\n    _lock: threading.Lock\n\n    def other(self):\n        pass\n\n"
        "    async def f(self, db):\n        with self._lock:\n            await db.write()\n\n"
        "async def g(db, lock):\n    with lock:\n        await db.write()\n"
    )
    facts = facts_of_source(declared, "example", False)
    assert facts is not None
    method = next(n for n, b in facts.blocks.items() if b.stub == "def f(): pass")
    assert _where(declared, "ASL503") == {method}
    # A class attribute of another type may hide the declared one, from any class of the file; a
    # lock made in the file may be a class attribute rebound anywhere: the whole file is read.
    assert _where(declared.replace("    def other", "    _lock = make()\n\n    def other"), "ASL503") is None
    assert _where(declared.replace("async def g(db, lock)", "L = threading.Lock()\n\nasync def g(db, lock)"), "ASL503") is None
