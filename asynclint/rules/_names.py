"""Catalogues of qualified names (data only): what blocks, what constructs a known receiver."""

from __future__ import annotations

import functools
from typing import AbstractSet, Mapping

HTTP_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request")

# ASL101
SLEEP_CALLS = frozenset({"time.sleep"})

# ASL102
HTTP_CALLS = frozenset(
    {f"requests.{verb}" for verb in HTTP_VERBS}
    | {f"requests.api.{verb}" for verb in HTTP_VERBS}
    | {f"httpx.{verb}" for verb in HTTP_VERBS}
    | {"httpx.stream", "urllib.request.urlopen", "urllib3.request", "httpx.Client"}
)

# ASL103
SUBPROCESS_CALLS = frozenset(
    {f"subprocess.{fn}" for fn in ("run", "call", "check_call", "check_output", "getoutput", "getstatusoutput")}
    | {f"os.{fn}" for fn in ("system", "popen", "wait", "waitpid", "wait3", "wait4", "waitid")}
    | {f"os.spawn{suffix}" for suffix in ("l", "le", "lp", "lpe", "v", "ve", "vp", "vpe")}
)

# ASL104
FILE_CALLS = frozenset(
    {"builtins.open", "io.open"}
    | {f"shutil.{fn}" for fn in ("copy", "copy2", "copyfile", "copyfileobj", "copytree", "copymode", "copystat")}
    | {"shutil.move", "shutil.rmtree"}
)

# ASL105
BLOCKING_CALLS = frozenset(
    {
        "builtins.input",
        "socket.create_connection",
        "socket.getaddrinfo",
        "socket.gethostbyname",
        "select.select",
    }
)

# ASL106
LOOP_RUNNERS = frozenset({"asyncio.run", "trio.run", "anyio.run"})

# Receiver types: a tag per kind of object whose methods block.
SESSION = "requests.Session"
HTTPX_CLIENT = "httpx.Client"
POOL_MANAGER = "urllib3.PoolManager"
POPEN = "subprocess.Popen"
PATH = "pathlib.Path"
THREAD = "threading.Thread"
QUEUE = "queue.Queue"
BOUNDED_QUEUE = "queue.Queue(maxsize>0)"
EXECUTOR = "concurrent.futures.Executor"
FUTURE = "concurrent.futures.Future"
EVENT_LOOP = "asyncio.AbstractEventLoop"
THREAD_LOCK = "threading.Lock"
ASYNC_QUEUE = "asyncio.Queue"
ASYNC_LOCK = "asyncio.Lock"
ASYNC_EVENT = "asyncio.Event"
ASYNC_CONDITION = "asyncio.Condition"
TASK = "asyncio.Task"

#: Qualified name of a callable -> the tag of what it returns.
CONSTRUCTORS: dict[str, str] = {
    "requests.Session": SESSION,
    "requests.session": SESSION,
    "requests.sessions.Session": SESSION,
    "requests.sessions.session": SESSION,
    "httpx.Client": HTTPX_CLIENT,
    "urllib3.PoolManager": POOL_MANAGER,
    "urllib3.ProxyManager": POOL_MANAGER,
    "urllib3.poolmanager.PoolManager": POOL_MANAGER,
    "urllib3.poolmanager.ProxyManager": POOL_MANAGER,
    "subprocess.Popen": POPEN,
    "pathlib.Path": PATH,
    "pathlib.PosixPath": PATH,
    "pathlib.WindowsPath": PATH,
    "pathlib.Path.home": PATH,
    "pathlib.Path.cwd": PATH,
    "threading.Thread": THREAD,
    "threading.Timer": THREAD,
    "queue.Queue": QUEUE,
    "queue.LifoQueue": QUEUE,
    "queue.PriorityQueue": QUEUE,
    "queue.SimpleQueue": QUEUE,
    "concurrent.futures.ThreadPoolExecutor": EXECUTOR,
    "concurrent.futures.ProcessPoolExecutor": EXECUTOR,
    "concurrent.futures.thread.ThreadPoolExecutor": EXECUTOR,
    "concurrent.futures.process.ProcessPoolExecutor": EXECUTOR,
    "asyncio.get_event_loop": EVENT_LOOP,
    "asyncio.new_event_loop": EVENT_LOOP,
    "asyncio.get_running_loop": EVENT_LOOP,
    "asyncio.events.get_event_loop": EVENT_LOOP,
    "asyncio.events.new_event_loop": EVENT_LOOP,
    "uvloop.new_event_loop": EVENT_LOOP,
    "threading.Lock": THREAD_LOCK,
    "threading.RLock": THREAD_LOCK,
    "asyncio.Queue": ASYNC_QUEUE,
    "asyncio.LifoQueue": ASYNC_QUEUE,
    "asyncio.PriorityQueue": ASYNC_QUEUE,
    "asyncio.Lock": ASYNC_LOCK,
    "asyncio.Semaphore": ASYNC_LOCK,
    "asyncio.BoundedSemaphore": ASYNC_LOCK,
    "asyncio.Event": ASYNC_EVENT,
    "asyncio.Condition": ASYNC_CONDITION,
    "asyncio.create_task": TASK,
    "asyncio.ensure_future": TASK,
}

#: (receiver tag, method) -> tag of the result, for methods that return a known receiver.
METHOD_RESULTS: dict[tuple[str, str], str] = {
    **{
        (PATH, method): PATH
        for method in ("joinpath", "with_name", "with_suffix", "with_stem", "absolute", "resolve", "expanduser")
    },
    (EXECUTOR, "submit"): FUTURE,
    (EVENT_LOOP, "create_task"): TASK,
}

#: (receiver tag, attribute) -> tag of the attribute's value.
ATTRIBUTE_RESULTS: dict[tuple[str, str], str] = {(PATH, "parent"): PATH}

#: Types whose `__enter__` returns the object itself, so `with X() as x` binds an X.
ENTER_RETURNS_SELF = frozenset({SESSION, HTTPX_CLIENT, POOL_MANAGER, POPEN, EXECUTOR})


@functools.lru_cache(maxsize=None)
def constructors_of(types: frozenset[str]) -> frozenset[str]:
    """The constructors whose result is, or leads through methods and attributes to, one of these types."""
    wanted = set(types) | ({QUEUE} if BOUNDED_QUEUE in types else set())
    grown = True
    while grown:
        grown = False
        for (owner, _), result in (*METHOD_RESULTS.items(), *ATTRIBUTE_RESULTS.items()):
            if result in wanted and owner not in wanted:
                wanted.add(owner)
                grown = True
    return frozenset(name for name, made in CONSTRUCTORS.items() if made in wanted)


def may_be_typed(attr: str, methods: Mapping[str, frozenset[str]], called: AbstractSet[str]) -> bool:
    """For pre-screens: whether a call of method `attr` can be one of `methods` (type -> names).

    A receiver's type is only ever known from a constructor call in the file (`called`: every
    name the file's calls may resolve to), so the method name counts only where a constructor
    of a type having that method is called.
    """
    types = frozenset(kind for kind, names in methods.items() if attr in names)
    return bool(types) and not called.isdisjoint(constructors_of(types))


# Blocking methods per receiver type, by rule.
HTTP_METHODS = {
    SESSION: frozenset({*HTTP_VERBS, "send"}),
    HTTPX_CLIENT: frozenset({*HTTP_VERBS, "send", "stream"}),
    POOL_MANAGER: frozenset({"request", "urlopen", "request_encode_url", "request_encode_body"}),
}
SUBPROCESS_METHODS = {POPEN: frozenset({"wait", "communicate"})}
PATH_METHODS = {PATH: frozenset({"read_text", "read_bytes", "write_text", "write_bytes", "open"})}
BLOCKING_METHODS = {
    THREAD: frozenset({"join"}),
    FUTURE: frozenset({"result"}),
    QUEUE: frozenset({"get"}),
    # `put` only blocks when the queue has a bound; on an unbounded queue it never waits.
    BOUNDED_QUEUE: frozenset({"get", "put"}),
}
LOOP_METHODS = {EVENT_LOOP: frozenset({"run_until_complete", "run_forever"})}

#: What to suggest, per async library.
LIBRARY_ADVICE: dict[str, dict[str, str]] = {
    "asyncio": {
        "sleep": "asyncio.sleep",
        "to_thread": "asyncio.to_thread",
        "subprocess": "asyncio.create_subprocess_exec",
        "files": "`aiofiles`",
    },
    "trio": {
        "sleep": "trio.sleep",
        "to_thread": "trio.to_thread.run_sync",
        "subprocess": "trio.run_process",
        "files": "`trio.Path` / `trio.open_file`",
    },
    "anyio": {
        "sleep": "anyio.sleep",
        "to_thread": "anyio.to_thread.run_sync",
        "subprocess": "anyio.run_process",
        "files": "`anyio.Path` / `anyio.open_file`",
    },
}


# ASL2xx: what returns a coroutine that must be awaited.
COROUTINE_FUNCTIONS = frozenset(
    {f"asyncio.{fn}" for fn in (
        "sleep", "wait_for", "wait", "open_connection", "open_unix_connection", "start_server",
        "start_unix_server", "create_subprocess_exec", "create_subprocess_shell", "to_thread",
    )}
    | {f"trio.{fn}" for fn in (
        "sleep", "sleep_forever", "sleep_until", "open_tcp_stream", "open_ssl_over_tcp_stream", "open_file",
        "run_process", "to_thread.run_sync", "serve_tcp", "open_tcp_listeners",
    )}
    | {f"anyio.{fn}" for fn in (
        "sleep", "sleep_forever", "sleep_until", "open_file", "connect_tcp", "connect_unix", "run_process",
        "to_thread.run_sync", "create_tcp_listener", "wait_all_tasks_blocked",
    )}
)
#: Coroutine methods of receivers of a known type.
ASYNC_METHODS = {
    ASYNC_QUEUE: frozenset({"get", "put", "join"}),
    ASYNC_LOCK: frozenset({"acquire"}),
    ASYNC_EVENT: frozenset({"wait"}),
    ASYNC_CONDITION: frozenset({"acquire", "wait", "wait_for"}),
    EVENT_LOOP: frozenset({
        "sock_recv", "sock_recv_into", "sock_sendall", "sock_connect", "sock_accept", "getaddrinfo",
        "getnameinfo", "create_connection", "create_server", "create_unix_connection", "shutdown_asyncgens",
        "connect_read_pipe", "connect_write_pipe", "subprocess_exec", "subprocess_shell",
    }),
}
#: Calls that start a task (ASL206, ASL208); `loop.create_task` on a known loop too.
TASK_FACTORIES = frozenset({"asyncio.create_task", "asyncio.ensure_future"})
#: What `asyncio.run()` cannot take (ASL207): futures and tasks, not coroutines.
NOT_COROUTINES = frozenset({"asyncio.gather", "asyncio.wait", "asyncio.create_task", "asyncio.ensure_future"})

#: Identifiers a file must mention for a catalogue coroutine, task or future to be involved.
CATALOGUE_IDENTIFIERS = frozenset(
    {name.rsplit(".", 1)[-1] for name in COROUTINE_FUNCTIONS | TASK_FACTORIES | NOT_COROUTINES}
    | {method for methods in ASYNC_METHODS.values() for method in methods}
    | {"create_task"}
)


# Names the screens and the rules both judge by (`_screens` needs them without libcst).

#: Calls whose name says the code is paced or ordered on purpose (a sleep, a rate limit, a lock,
#: a context exit, a flush): any of these fragments in a called name keeps the rules silent.
ORDERING_FRAGMENTS = (
    "sleep", "throttle", "ratelimit", "rate_limit", "limiter", "backoff", "acquire", "release",
    "lock", "wait", "drain", "flush", "commit", "rollback", "aexit", "aenter", "close", "shutdown",
    "join",
)  # fmt: skip


def is_ordering_call(name: str) -> bool:
    """Whether a called name says the code is paced or ordered on purpose."""
    lowered = name.lower()
    return any(fragment in lowered for fragment in ORDERING_FRAGMENTS)


#: Awaited callees that already run things together, or wait on purpose.
NOT_SEQUENTIAL = frozenset({"gather", "as_completed", "wait"})

#: ASL302: callee names that do something (create, send, start...) rather than fetch: the order of
#: such calls is usually the point, and nothing in the syntax says otherwise.
EFFECT_PREFIXES = (
    "create", "insert", "update", "upsert", "delete", "remove", "set", "put", "post", "patch", "send",
    "write", "save", "store", "commit", "start", "stop", "close", "open", "connect", "disconnect",
    "login", "logout", "init", "setup", "install", "register", "unregister", "publish", "subscribe",
    "unsubscribe", "run", "exec", "apply", "migrate", "kill", "cancel", "reset", "clear", "add",
    "append", "push", "pop", "move", "copy", "rename", "upload", "notify", "emit", "dispatch",
    "trigger", "enable", "disable", "mark", "ack", "lock", "unlock", "sync", "flush", "prepare",
    "refresh", "reload", "restart", "mount", "unmount", "build", "make", "bind", "handle", "process",
    "do", "perform", "invoke", "call", "submit", "enqueue", "schedule", "claim", "acquire", "release",
    "grant", "revoke", "approve", "reject", "confirm", "verify", "validate", "check", "ensure",
    "wait", "join", "sleep", "step", "tick", "advance", "consume", "produce", "flip", "toggle",
    "anext", "next", "recv", "receive",
)  # fmt: skip


#: ASL301: loop variables named like these hold code to run (handlers, hooks, steps), not data.
CALLBACK_FRAGMENTS = (
    "handler", "callback", "hook", "listener", "observer", "subscriber", "middleware", "plugin",
    "receiver", "signal", "trace", "method", "func", "fn", "cb", "step", "migration", "coro", "task",
    "waiter", "fut",
)  # fmt: skip


def looks_like_callback(name: str) -> bool:
    """Whether a loop variable's name says it holds something to call, in order."""
    lowered = name.lower()
    return any(fragment in lowered for fragment in CALLBACK_FRAGMENTS)


def is_effect(name: str) -> bool:
    lowered = name.lower().lstrip("_")
    return lowered.startswith(EFFECT_PREFIXES)


def may_run_together(callee: str) -> bool:
    """ASL302: an awaited callee (final name) that may join a run: it fetches, and nothing orders it."""
    return bool(callee) and not is_effect(callee) and not is_ordering_call(callee) and callee not in NOT_SEQUENTIAL


#: What a handler catches when it catches cancellation.
CANCELLATION = frozenset(
    {
        "asyncio.CancelledError",
        "asyncio.exceptions.CancelledError",
        "builtins.BaseException",
        "trio.Cancelled",
    }
)


#: Calls that always raise: a handler calling one re-raises (`pytest.fail("not cancelled")`).
RAISING_CALLS = frozenset({"pytest.fail", "pytest.skip", "pytest.xfail", "pytest.exit", "sys.exit", "_pytest.outcomes.fail"})
#: Calls that never return until cancelled: a `try` awaiting only these ends by cancellation by design.
FOREVER_CALLS = frozenset({"sleep_forever"})
#: What `asyncio.shield` resolves to: awaiting it with the cancellation caught ignores cancellation by design.
SHIELD = frozenset({"asyncio.shield", "asyncio.tasks.shield"})


#: Calls whose failures are routinely ignored on purpose: closing, stopping, joining, cancelling.
CLEANUP_FRAGMENTS = ("close", "stop", "shutdown", "disconnect", "cancel", "join", "wait", "kill", "terminate", "cleanup", "release", "unsubscribe", "finalize")


GATHER = ("asyncio.gather", "asyncio.tasks.gather")


def is_cleanup(name: str) -> bool:
    """Whether a called name is a clean-up (closing, joining...): its failures are routinely ignored."""
    return any(fragment in name.lower() for fragment in CLEANUP_FRAGMENTS)


GET_EVENT_LOOP = frozenset({"asyncio.get_event_loop", "asyncio.events.get_event_loop"})
