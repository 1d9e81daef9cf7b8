"""ASL1xx: calls that block the event loop when made in async code."""

from __future__ import annotations

import libcst as cst
from libcst.metadata import ScopeProvider

from asynclint.analysis import names as _names
from asynclint.analysis.cst.context import FileContext
from asynclint.core.diagnostic import FixSafety
from asynclint.core.options import BlockingCallOptions
from asynclint.rules._edits import await_library_call, to_thread
from asynclint.rules._match import (
    ReceiverTypes,
    Site,
    binding_nodes,
    bindings,
    callee_text,
    resolve,
    site_for,
)
from asynclint.rules.base import Fix, Invalid, Rule, Valid
from asynclint.rules.blocking.screen import (
    BlockingCallScreen,
    BlockingFileIoScreen,
    BlockingHttpScreen,
    BlockingScreen,
    BlockingSleepScreen,
    BlockingSubprocessScreen,
    NestedEventLoopScreen,
)


class BlockingCallRule(BlockingScreen, Rule):
    """Family base: a call, in async code, to a known blocking function or receiver method."""

    METADATA_DEPENDENCIES = (ScopeProvider,)

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._sites: list[Site] = []
        #: Calls of blocking functions: (call, qualified name, fix).
        self._found: list[tuple[cst.Call, str, Fix | None]] = []
        self._method_names = frozenset().union(*self.methods.values()) if self.methods else frozenset()
        self._calls = self.calls_for(ctx.options)

    def visit_Call(self, node: cst.Call) -> None:
        if not self.ctx.in_async_code():
            return
        if isinstance(node.func, cst.Attribute) and node.func.attr.value in self._method_names:
            self._sites.append(site_for(self, node.func, node))
        # A function named through names only: on a call's result (`Path(name).read_text()`) the method
        # is typed as a receiver's, and libcst names a builtin's (`open(name).read`) as the builtin itself.
        qualified = resolve(self, node.func) if _names_only(node.func) else None
        if qualified is not None and qualified in self._calls:
            in_generator = self.ctx.tracker.in_generator_expression()
            self._found.append((node, qualified, None if in_generator else self.fix_for(node, qualified, None)))

    def finish(self) -> None:
        # Arguments are judged after the traversal: a module-level constant may follow the function.
        for found, qualified, fix in self._found:
            if self.call_blocks(found, qualified):
                self.report_call(found, fix)
        # Receivers are typed after the traversal: a module-level binding may follow the function.
        if not self._sites:
            return
        types = ReceiverTypes(self)
        for site in self._sites:
            kind = types.of_site(site, declared=True)
            call = site.call
            assert call is not None
            if kind is not None and site.method in self.methods.get(kind, ()) and self.blocks(site, kind):
                self.report_call(call, None if site.in_generator else self.fix_for(call, None, kind))

    def blocks(self, site: Site, kind: str) -> bool:
        """Whether this particular method call blocks (arguments may say it does not)."""
        return True

    def call_blocks(self, call: cst.Call, qualified: str) -> bool:
        """Whether this particular call of a blocking function blocks (arguments may say it does not)."""
        return True

    def fix_for(self, call: cst.Call, qualified: str | None, kind: str | None) -> Fix | None:
        """The edit offered for one finding: a module function (`qualified`) or a method (`kind`)."""
        return None

    def report_call(self, call: cst.Call, fix: Fix | None) -> None:
        """Report `call` with the advice of the module's async library."""
        fields = {"callee": callee_text(self, call.func), **_names.LIBRARY_ADVICE[self.ctx.library]}
        self.report_fields(call, fields, fix)


class BlockingSleep(BlockingSleepScreen, BlockingCallRule):
    """Checks for `time.sleep()` in async code.

    ## Why is this bad?
    `time.sleep()` suspends the whole thread, and with it the event loop: no other task
    runs, no socket is served and no timeout fires until it returns. In async code, sleep
    with the event loop's own sleep, which suspends only the current task.

    ## Fix safety
    The fix is safe: it awaits the library's own sleep with the same argument. The task now
    suspends there, so other tasks run during the pause, which is the point.

    The library is the one the module imports: asyncio, else anyio, else trio. A module that
    imports none of them but a package that runs on asyncio only counts as asyncio: `aio_pika`,
    `aioboto3`, `aiobotocore`, `aiofiles`, `aiogram`, `aiohttp`, `aiokafka`, `aiomysql`,
    `aiopg`, `aioredis`, `aiosqlite`, `asyncpg`, `discord`, `disnake`, `homeassistant`,
    `motor.motor_asyncio`, `nextcord`, `pyrogram`, `quart`, `redis.asyncio`, `sanic`,
    `telegram.ext`, `telethon`, `uvicorn`, `uvloop` (and their submodules). A module that
    imports none of these follows its project: asyncio when the project's modules import
    asyncio (or one of these) and none imports trio or anyio. Anywhere else (trio beside one
    of these packages, a project that uses trio or anyio, nothing known) the fix is unsafe:
    which library runs the code is a guess (asyncio). No fix is offered inside a generator
    expression, where `await` would make an async generator.
    """

    code = "ASL101"
    name = "blocking-sleep"
    message = "`{callee}()` blocks the event loop; use `await {sleep}(...)`"
    fix_title = "Replace with `await {sleep}(...)`"
    fix_safety = FixSafety.SAFE

    def fix_for(self, call: cst.Call, qualified: str | None, kind: str | None) -> Fix | None:
        return await_library_call(self, call, "sleep")

    VALID = (
        Valid("import asyncio\n\nasync def poll():\n    await asyncio.sleep(1)\n"),
        Valid("import time\n\nasync def main():\n    def backoff():\n        time.sleep(1)\n    return backoff\n"),
        Valid("import asyncio, time\n\nasync def main():\n    await asyncio.to_thread(time.sleep, 1)\n"),
        Valid("def sleep(x):\n    pass\n\nasync def main():\n    sleep(1)\n"),
        Valid("import time\n\ndef sync_retry():\n    time.sleep(1)\n"),
    )
    INVALID = (
        Invalid(
            "import time\n\n\nasync def poll(job):\n    while not job.done():\n        time.sleep(1)\n",
            line=6,
            fixed=(
                "import asyncio\nimport time\n\n\nasync def poll(job):\n    while not job.done():\n"
                "        await asyncio.sleep(1)\n"
            ),
        ),
        Invalid(
            "from time import sleep as nap\nimport trio as t\n\nasync def main():\n    nap(0.5)\n",
            line=5,
            fixed="from time import sleep as nap\nimport trio as t\n\nasync def main():\n    await t.sleep(0.5)\n",
        ),
        Invalid(
            "import time\nimport trio\n\nasync def main():\n    time.sleep(1)\n",
            message="`time.sleep()` blocks the event loop; use `await trio.sleep(...)`",
        ),
        Invalid(
            "import time\n\nasync def main():\n    (\n        time  # a comment in the chain\n        .sleep(1)\n    )\n",
            line=5,
            message="`time.sleep()` blocks the event loop; use `await asyncio.sleep(...)`",
        ),
    )


class BlockingHttp(BlockingHttpScreen, BlockingCallRule):
    """Checks for synchronous HTTP requests in async code.

    `requests` (module functions and `Session` methods), `urllib.request.urlopen`,
    `urllib3`, `http.client` (`HTTPConnection`/`HTTPSConnection` requests and responses)
    and `httpx`'s sync API (`httpx.get(...)`, `httpx.Client`) all wait on the network inside
    the calling thread.

    ## Why is this bad?
    A request can take seconds; while it waits, the event loop is frozen and every other
    task stalls with it. Use an async HTTP client, or at least run the call in a worker
    thread.

    ## Fix safety
    The fix runs the call in a worker thread with `await asyncio.to_thread(...)`
    (`to_thread.run_sync` under trio and anyio). It is unsafe: the call now runs in another
    thread, where thread-local state differs and objects shared with the event loop may not
    be thread-safe, and the task suspends there, so other tasks run in between. No fix is
    offered when the call is a `with` item (the body would still block).
    """

    code = "ASL102"
    name = "blocking-http"
    message = (
        "`{callee}()` is a blocking HTTP call; use an async client (`httpx.AsyncClient`, `aiohttp`) "
        "or `await {to_thread}(...)`"
    )
    fix_title = "Run it in a worker thread with `await {to_thread}(...)`"
    fix_safety = FixSafety.UNSAFE

    def fix_for(self, call: cst.Call, qualified: str | None, kind: str | None) -> Fix | None:
        return None if qualified == "httpx.Client" else to_thread(self, call)
    VALID = (
        Valid("import httpx\n\nasync def fetch(url):\n    async with httpx.AsyncClient() as c:\n        return await c.get(url)\n"),
        Valid("import asyncio, requests\n\nasync def fetch(url):\n    return await asyncio.to_thread(requests.get, url)\n"),
        Valid("async def fetch(session, url):\n    return await session.get(url)\n"),
        Valid("import requests\n\ndef fetch(url):\n    return requests.get(url)\n"),
    )
    INVALID = (
        Invalid(
            "import requests\n\n\nasync def fetch(url):\n    return requests.get(url).json()\n",
            line=5,
            use_instead=(
                "import httpx\n\n\nasync def fetch(url):\n    async with httpx.AsyncClient() as client:\n"
                "        return (await client.get(url)).json()\n"
            ),
        ),
        Invalid(
            "import requests\n\nsession = requests.Session()\n\nasync def fetch(url):\n    return session.post(url)\n",
            line=6,
            fixed=(
                "import asyncio\nimport requests\n\nsession = requests.Session()\n\nasync def fetch(url):\n"
                "    return await asyncio.to_thread(session.post, url)\n"
            ),
        ),
        Invalid("from urllib.request import urlopen\n\nasync def fetch(url):\n    return urlopen(url).read()\n", line=4),
    )


class BlockingSubprocess(BlockingSubprocessScreen, BlockingCallRule):
    """Checks for subprocess calls that wait for the child process in async code.

    ## Why is this bad?
    `subprocess.run()`, `os.system()` and `Popen.wait()` block until the child exits,
    freezing the event loop for as long as the process runs. The event loop has its own
    subprocess API that waits without blocking.

    ## Fix safety
    The fix runs the call in a worker thread with `await asyncio.to_thread(...)`
    (`to_thread.run_sync` under trio and anyio). It is unsafe: the call now runs in another
    thread, where thread-local state differs and objects shared with the event loop may not
    be thread-safe, and the task suspends there, so other tasks run in between. No fix is
    offered when the call is a `with` item (the body would still block).
    """

    code = "ASL103"
    name = "blocking-subprocess"
    message = "`{callee}()` blocks the event loop while the process runs; use `{subprocess}` or `await {to_thread}(...)`"
    fix_title = "Run it in a worker thread with `await {to_thread}(...)`"
    fix_safety = FixSafety.UNSAFE

    def fix_for(self, call: cst.Call, qualified: str | None, kind: str | None) -> Fix | None:
        return to_thread(self, call)
    VALID = (
        Valid(
            "import asyncio\n\nasync def run(cmd):\n    proc = await asyncio.create_subprocess_exec(*cmd)\n"
            "    await proc.wait()\n"
        ),
        Valid("import subprocess\n\nasync def start(cmd):\n    return subprocess.Popen(cmd)\n"),
        Valid("import subprocess\n\ndef build():\n    subprocess.run(['make'])\n"),
    )
    INVALID = (
        Invalid(
            "import subprocess\n\n\nasync def build():\n    subprocess.run(['make'], check=True)\n",
            line=5,
            use_instead=(
                "import asyncio\n\n\nasync def build():\n    proc = await asyncio.create_subprocess_exec('make')\n"
                "    await proc.wait()\n"
            ),
        ),
        Invalid("import subprocess\n\nasync def run(cmd):\n    p = subprocess.Popen(cmd)\n    p.wait()\n", line=5),
        Invalid(
            "import os\n\nasync def main():\n    os.system('ls')\n",
            line=4,
            fixed="import asyncio\nimport os\n\nasync def main():\n    await asyncio.to_thread(os.system, 'ls')\n",
        ),
    )


class BlockingFileIo(BlockingFileIoScreen, BlockingCallRule):
    """Checks for blocking file-system calls in async code.

    Builtin `open()`, `io.open()`, `pathlib.Path` reads and writes (on a receiver known to
    be a `Path`, including one built from another: `Path(__file__).parent / "x.json"`, or
    called on the class with the path as argument: `Path.open(name)`),
    `shutil`'s copy, move and remove functions, listing a folder (`os.listdir`, `os.scandir`,
    `os.walk`, `glob.glob`, `glob.iglob`) and changing the file system (`os.remove`,
    `os.unlink`, `os.rename`, `os.replace`, `os.makedirs`, `os.mkdir`, `os.rmdir`). Their
    async twins (`aiofiles.os`, `anyio.Path`, `trio.Path`) and calls handed uncalled to a
    worker thread are fine.

    ## Why is this bad?
    Disk I/O can take far longer than expected (network file systems, a busy disk) and
    the event loop waits for all of it. Use an async file API or a worker thread.

    ## Fix safety
    The fix runs the call in a worker thread with `await asyncio.to_thread(...)`
    (`to_thread.run_sync` under trio and anyio). It is unsafe: the call now runs in another
    thread, where thread-local state differs and objects shared with the event loop may not
    be thread-safe, and the task suspends there, so other tasks run in between. `open()` gets
    no fix (every read after it would still block), nor do `os.walk`, `os.scandir` and
    `glob.iglob`, whose iterators do the I/O as they are read.
    """

    code = "ASL104"
    name = "blocking-file-io"
    message = "`{callee}()` does blocking file I/O in async code; use {files} or `await {to_thread}(...)`"
    fix_title = "Run it in a worker thread with `await {to_thread}(...)`"
    fix_safety = FixSafety.UNSAFE

    def fix_for(self, call: cst.Call, qualified: str | None, kind: str | None) -> Fix | None:
        opens = qualified in ("builtins.open", "io.open") or (
            isinstance(call.func, cst.Attribute) and call.func.attr.value == "open"
        )
        return None if opens or qualified in _names.LAZY_FILE_CALLS else to_thread(self, call)
    VALID = (
        Valid("import aiofiles\n\nasync def read(p):\n    async with aiofiles.open(p) as f:\n        return await f.read()\n"),
        Valid("import anyio\n\nasync def read(p):\n    return await anyio.Path(p).read_text()\n"),
        Valid("import asyncio\nfrom pathlib import Path\n\nasync def read(p):\n    return await asyncio.to_thread(Path(p).read_text)\n"),
        Valid("async def read(path):\n    return path.read_text()\n"),
    )
    INVALID = (
        Invalid(
            "async def load(path):\n    with open(path) as f:\n        return f.read()\n",
            line=2,
            use_instead=(
                "import aiofiles\n\n\nasync def load(path):\n    async with aiofiles.open(path) as f:\n"
                "        return await f.read()\n"
            ),
        ),
        Invalid(
            "from pathlib import Path\n\nasync def load(name):\n    return Path(name).read_text()\n",
            line=4,
            fixed=(
                "import asyncio\nfrom pathlib import Path\n\nasync def load(name):\n"
                "    return await asyncio.to_thread(Path(name).read_text)\n"
            ),
        ),
        Invalid("import shutil\n\nasync def clean(d):\n    shutil.rmtree(d)\n", line=4),
        Invalid("async def load(path):\n    return open(path).read()\n", line=2),
    )


class BlockingCall(BlockingCallScreen, BlockingCallRule):
    """Checks for other calls that block the event loop in async code.

    `input()`, DNS look-ups and connections through `socket`, `select.select()`, joining a
    `threading.Thread`, waiting on a `concurrent.futures` future's `.result()`, and
    `queue.Queue` `get` (and `put` on a bounded queue) on a receiver known to be one;
    `importlib.import_module()`; an `ssl.SSLContext`'s certificate loading
    (`load_default_certs`, `load_verify_locations`, `load_cert_chain`,
    `set_default_verify_paths`); sync clients: `sqlite3`, `psycopg2` and `pymysql` connections
    and their cursors, `smtplib.SMTP`, `ftplib.FTP`, `boto3` clients and the sync
    `redis.Redis` (their method calls on a receiver bound from their constructor), and
    `feedparser.parse()`; plus every qualified name listed in the `blocking-calls` option.

    Left alone: `getaddrinfo` with `AI_NUMERICHOST` among its flags (no name is looked up),
    `load_verify_locations(cadata=...)` (no file is read), and joining a thread that has
    ended: after a `while t.is_alive():` loop not left by `break`, in the body of an
    `if not t.is_alive():` (also among the operands of an `and`), or after awaiting the future
    the thread's target resolves as its last act (`loop.call_soon_threadsafe(fut.set_result, ...)`).
    The async twins (`aiosqlite`, `redis.asyncio`) are different names and never match.

    ## Why is this bad?
    Each of these waits in the calling thread: for the user, the network, another
    thread or another process. The event loop is frozen meanwhile.
    """

    code = "ASL105"
    name = "blocking-call"
    message = "`{callee}()` blocks the event loop; use an async equivalent or `await {to_thread}(...)`"
    Options = BlockingCallOptions
    VALID = (
        Valid("import asyncio\n\nasync def main(q: asyncio.Queue):\n    return await q.get()\n"),
        Valid("import queue\n\nq = queue.Queue()\n\nasync def main():\n    return q.get_nowait()\n"),
        Valid("import queue\n\nq = queue.Queue()\n\nasync def main(x):\n    q.put(x)\n"),
        Valid("import socket\n\ndef resolve(host):\n    return socket.gethostbyname(host)\n"),
    )
    INVALID = (
        Invalid(
            "import socket\n\n\nasync def resolve(host):\n    return socket.gethostbyname(host)\n",
            line=5,
            use_instead=(
                "import asyncio\n\n\nasync def resolve(host):\n"
                "    infos = await asyncio.get_running_loop().getaddrinfo(host, None)\n    return infos[0][4][0]\n"
            ),
        ),
        Invalid("async def ask():\n    return input('name? ')\n", line=2),
        Invalid(
            "import threading\n\nasync def main(work):\n    t = threading.Thread(target=work)\n    t.start()\n    t.join()\n",
            line=6,
        ),
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        #: Statements that follow a loop awaiting until a thread has ended -> that thread, as written.
        self._thread_ended: dict[cst.CSTNode, set[str]] = {}
        #: `t.join()` calls on a thread that has ended.
        self._reaped: set[cst.Call] = set()
        self._statements: list[cst.CSTNode] = []
        #: `x.join()` calls -> the function they stand in.
        self._joins: dict[cst.Call, cst.FunctionDef | None] = {}
        #: Names whose binding is `name |= ...` (which keeps every flag set).
        self.or_assigned: set[cst.CSTNode] = set()
        #: Threads, as written, that have ended in the `if` bodies being visited (`if not t.is_alive():`).
        self._dead_in_if: list[set[str]] = []

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if isinstance(node.operator, cst.BitOrAssign):
            self.or_assigned.add(node.target)

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        ended: set[str] = set()
        for stmt in node.body:
            if ended:
                self._thread_ended[stmt] = set(ended)
            if isinstance(stmt, cst.While):
                thread = _polled_thread(self, stmt)
                if thread is not None:
                    ended.add(thread)
            elif ended:
                ended -= _assigned_texts(self, stmt)

    def visit_If_body(self, node: cst.If) -> None:
        # A thread the body binds again may be another one by the time it is joined.
        self._dead_in_if.append(_ended_threads(self, node.test) - _assigned_texts(self, node.body))

    def leave_If_body(self, node: cst.If) -> None:
        self._dead_in_if.pop()

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self._statements.append(node)

    def leave_SimpleStatementLine(self, original_node: cst.SimpleStatementLine) -> None:
        self._statements.pop()

    def visit_Call(self, node: cst.Call) -> None:
        super().visit_Call(node)
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "join":
            ended = self._thread_ended.get(self._statements[-1], ()) if self._statements else ()
            receiver = self.ctx.code_for(func.value)
            if (ended and receiver in ended) or any(receiver in dead for dead in self._dead_in_if):
                self._reaped.add(node)
            self._joins[node] = self.ctx.tracker.current_function()

    def blocks(self, site: Site, kind: str) -> bool:
        call = site.call
        if call is None:
            return True
        if kind in (_names.QUEUE, _names.BOUNDED_QUEUE):
            return not _non_blocking_queue_call(call, block_position=0 if site.method == "get" else 1)
        if kind == _names.THREAD:
            if any(_is_zero(arg.value) for arg in call.args if arg.keyword is None or arg.keyword.value == "timeout"):
                return False  # `t.join(timeout=0)` returns at once
            return call not in self._reaped and not self._awaited_its_last_act(call)
        if kind == _names.SSL_CONTEXT and site.method == "load_verify_locations":
            # `cadata=` alone is certificate data in memory: no file is read.
            return any(arg.keyword is None or arg.keyword.value != "cadata" for arg in call.args)
        return True

    def _awaited_its_last_act(self, join: cst.Call) -> bool:
        """`t.join()` of a thread whose target ends, on every path, by handing the event loop a
        future's result (`loop.call_soon_threadsafe(fut.set_result, ...)`), in a function that awaits
        that future: the join waits for a thread that has nothing left to do (asyncio's own
        `shutdown_default_executor` shape)."""
        function = self._joins.get(join)
        receiver = join.func.value if isinstance(join.func, cst.Attribute) else None
        if function is None or not isinstance(receiver, cst.Name):
            return False
        targets = bindings(self, receiver)
        made = self.ctx.tracker.values.get(targets[0]) if targets and len(targets) == 1 else None
        if not isinstance(made, cst.Call) or _names.CONSTRUCTORS.get(resolve(self, made.func) or "") != _names.THREAD:
            return False
        target = _argument(made, -1, "target")
        defined = _local_def(self, target) if isinstance(target, cst.Name) else None
        handed = _signalled_names(defined.body) if defined is not None else None
        if handed is None:
            return False
        given = _argument(made, -1, "args")
        if isinstance(given, (cst.Tuple, cst.List)):
            handed |= {e.value.value for e in given.elements if isinstance(e.value, cst.Name)}
        return not handed.isdisjoint(_awaited_names(function))

    def call_blocks(self, call: cst.Call, qualified: str) -> bool:
        if qualified == "socket.getaddrinfo":
            flags = _argument(call, 5, "flags")
            # With `AI_NUMERICHOST` the host must be an address: nothing is looked up.
            return flags is None or not _has_numeric_host(self, flags, set())
        return True


def _names_only(node: cst.BaseExpression) -> bool:
    """`a.b.c`: names and attributes only, no call or subscript on the way."""
    while isinstance(node, cst.Attribute):
        node = node.value
    return isinstance(node, cst.Name)


def _argument(call: cst.Call, position: int, keyword: str) -> cst.BaseExpression | None:
    """The argument passed at `position` or as `keyword=`, if it is one that can be told."""
    for index, arg in enumerate(call.args):
        if arg.star:
            return None
        if (arg.keyword is None and index == position) or (arg.keyword is not None and arg.keyword.value == keyword):
            return arg.value
    return None


def _has_numeric_host(rule: BlockingCall, expr: cst.BaseExpression, seen: set[int]) -> bool:
    """Whether `expr`, an `|` of flags, sets `socket.AI_NUMERICHOST`, directly or through names bound to it.

    A name counts when each of its bindings sets it (`FLAGS = socket.AI_NUMERICHOST`), or only adds
    flags to it (`FLAGS |= ...`).
    """
    if id(expr) in seen:
        return False
    seen.add(id(expr))
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.BitOr):
        return _has_numeric_host(rule, expr.left, seen) or _has_numeric_host(rule, expr.right, seen)
    if resolve(rule, expr) == _names.NUMERIC_HOST:
        return True
    targets = bindings(rule, expr) if isinstance(expr, cst.Name) else None
    if not targets:
        return False
    set_by = [target for target in targets if target not in rule.or_assigned]
    return bool(set_by) and all(
        (value := rule.ctx.tracker.values.get(target)) is not None and _has_numeric_host(rule, value, seen)
        for target in set_by
    )


def _polled_thread(rule: BlockingCallRule, loop: cst.While) -> str | None:
    """`while t.is_alive(): ...` not left by `break`: `t` as written, a thread that has ended after the loop."""
    thread = _alive_receiver(loop.test)
    if thread is None or loop.orelse is not None or _breaks(loop.body):
        return None
    return rule.ctx.code_for(thread)


def _ended_threads(rule: BlockingCallRule, test: cst.BaseExpression) -> set[str]:
    """`not t.is_alive()`, alone or among the operands of an `and`: the threads, as written, that have
    ended where the test is true."""
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        return _ended_threads(rule, test.left) | _ended_threads(rule, test.right)
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        thread = _alive_receiver(test.expression)
        if thread is not None:
            return {rule.ctx.code_for(thread)}
    return set()


def _alive_receiver(test: cst.BaseExpression) -> cst.BaseExpression | None:
    """`t` of a test `t.is_alive()`; None for any other test."""
    if isinstance(test, cst.Call) and not test.args and isinstance(test.func, cst.Attribute) and test.func.attr.value == "is_alive":
        return test.func.value
    return None


def _breaks(body: cst.CSTNode) -> bool:
    """Whether a loop body has a `break` of its own (not of a nested loop or function)."""
    finder = _Break()
    body.visit(finder)
    return finder.found


class _Break(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found = False
        self.loops = 0  # loops nested in the body: their `break` leaves them only

    def visit_Break(self, node: cst.Break) -> None:
        self.found = self.found or not self.loops

    def visit_For(self, node: cst.For) -> None:
        self.loops += 1

    def leave_For(self, original_node: cst.For) -> None:
        self.loops -= 1

    def visit_While(self, node: cst.While) -> None:
        self.loops += 1

    def leave_While(self, original_node: cst.While) -> None:
        self.loops -= 1

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False


def _local_def(rule: BlockingCall, name: cst.Name) -> cst.FunctionDef | None:
    """The function `name` refers to, when its only binding is a `def` (not `async def`)."""
    nodes = binding_nodes(rule, name)
    node = nodes[0] if nodes is not None and len(nodes) == 1 else None
    return node if isinstance(node, cst.FunctionDef) and node.asynchronous is None else None


def _signalled_names(block: cst.BaseSuite) -> set[str] | None:
    """When every path through `block` ends with `….call_soon_threadsafe(fut.set_result, ...)`: the
    names (`fut`) whose methods it hands to the loop; else None."""
    if not isinstance(block, cst.IndentedBlock) or not block.body:
        return None
    last = block.body[-1]
    if isinstance(last, cst.SimpleStatementLine):
        stmt = last.body[-1]
        call = stmt.value if isinstance(stmt, cst.Expr) else None
        if (
            isinstance(call, cst.Call)
            and isinstance(call.func, cst.Attribute)
            and call.func.attr.value == "call_soon_threadsafe"
            and call.args
            and isinstance(call.args[0].value, cst.Attribute)
            and isinstance(call.args[0].value.value, cst.Name)
        ):
            return {call.args[0].value.value.value}
        return None
    if isinstance(last, cst.Try) and last.finalbody is None:
        found = _signalled_names(last.orelse.body if last.orelse is not None else last.body)
        for handler in last.handlers:
            more = _signalled_names(handler.body)
            found = None if found is None or more is None else found | more
        return found
    return None


def _awaited_names(function: cst.FunctionDef) -> set[str]:
    """Names awaited as such (`await fut`) in a function's own body."""
    finder = _AwaitedNames()
    function.body.visit(finder)
    return finder.names


class _AwaitedNames(cst.CSTVisitor):
    def __init__(self) -> None:
        self.names: set[str] = set()

    def visit_Await(self, node: cst.Await) -> None:
        if isinstance(node.expression, cst.Name):
            self.names.add(node.expression.value)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False


def _assigned_texts(rule: BlockingCallRule, stmt: cst.CSTNode) -> set[str]:
    """What a statement (re)binds, as written (`t`, `self.t`): a thread polled before may be another now."""
    finder = _Targets()
    stmt.visit(finder)
    return {rule.ctx.code_for(target) for target in finder.targets}


class _Targets(cst.CSTVisitor):
    def __init__(self) -> None:
        self.targets: list[cst.BaseExpression] = []

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self.targets.append(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self.targets.append(node.target)

    def visit_AsName(self, node: cst.AsName) -> None:
        self.targets.append(node.name)

    def visit_For(self, node: cst.For) -> None:
        self.targets.append(node.target)


def _non_blocking_queue_call(call: cst.Call, block_position: int) -> bool:
    """`q.get(False)`, `q.put(x, block=False)` and `timeout=0` never wait."""
    for index, arg in enumerate(call.args):
        name = arg.keyword.value if arg.keyword is not None else None
        if name == "block" or (name is None and index == block_position):
            if isinstance(arg.value, cst.Name) and arg.value.value == "False":
                return True
        if name == "timeout" or (name is None and index == block_position + 1):
            if _is_zero(arg.value):
                return True
    return False


def _is_zero(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.Integer):
        return int(node.value, 0) == 0
    if isinstance(node, cst.Float):
        return float(node.value.replace("_", "")) == 0
    return False


class NestedEventLoop(NestedEventLoopScreen, BlockingCallRule):
    """Checks for starting or running an event loop from inside async code.

    `asyncio.run()` (and `trio.run()`, `anyio.run()`), `loop.run_until_complete()` and
    `loop.run_forever()` called in async code.

    ## Why is this bad?
    Async code already runs inside an event loop, and a loop cannot be started inside
    another in the same thread: the call raises `RuntimeError` (or, with a patched loop,
    blocks the outer one). Await the coroutine instead.
    """

    code = "ASL106"
    name = "nested-event-loop"
    message = "`{callee}()` starts an event loop inside a running one and raises `RuntimeError`; `await` the coroutine instead"
    VALID = (
        Valid("import asyncio\n\nasync def main():\n    return 1\n\nasyncio.run(main())\n"),
        Valid("import asyncio\n\nasync def main(coro):\n    return await coro\n"),
        Valid("import asyncio\n\ndef run_sync(coro):\n    return asyncio.new_event_loop().run_until_complete(coro)\n"),
    )
    INVALID = (
        Invalid(
            "import asyncio\n\n\nasync def handler(job):\n    return asyncio.run(job.process())\n",
            line=5,
            use_instead="import asyncio\n\n\nasync def handler(job):\n    return await job.process()\n",
        ),
        Invalid(
            "import asyncio\n\nasync def handler(job):\n    loop = asyncio.get_event_loop()\n"
            "    loop.run_until_complete(job.process())\n",
            line=5,
        ),
    )
