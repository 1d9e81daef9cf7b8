"""Catalogues of qualified names (data only): what blocks, what constructs a known receiver."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, AbstractSet, Mapping

if TYPE_CHECKING:
    from asynclint.analysis.index.model import ProjectIndex

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
    # Listing and changing the file system (Home Assistant's and blockbuster's runtime detectors list these).
    | {f"os.{fn}" for fn in ("listdir", "scandir", "walk", "fwalk")}
    | {f"os.{fn}" for fn in ("remove", "unlink", "rename", "renames", "replace", "makedirs", "mkdir", "rmdir", "removedirs")}
    | {"glob.glob", "glob.iglob"}
)
#: `Path`'s reads and writes called on the class with the path as argument (`Path.open(name)`); on an
#: instance (`Path(name).open()`) they are receiver methods (`PATH_METHODS`).
PATH_CLASS_CALLS = frozenset(f"pathlib.Path.{fn}" for fn in ("read_text", "read_bytes", "write_text", "write_bytes", "open"))
FILE_CALLS |= PATH_CLASS_CALLS

#: File calls that return an iterator doing the I/O as it is read: a worker thread would not help.
LAZY_FILE_CALLS = frozenset({"os.walk", "os.fwalk", "os.scandir", "glob.iglob"})

# ASL105
BLOCKING_CALLS = frozenset(
    {
        "builtins.input",
        "socket.create_connection",
        "socket.getaddrinfo",
        "socket.gethostbyname",
        "select.select",
        # Imports a module: reads and compiles files unless it was imported before.
        "importlib.import_module",
        # Fetches the feed when given a URL, reads the file when given a path.
        "feedparser.parse",
        # Sync database clients: connecting opens a file or a network connection.
        "sqlite3.connect",
        "sqlite3.dbapi2.connect",
        "psycopg2.connect",
        "pymysql.connect",
        "pymysql.Connect",
    }
)

#: The `getaddrinfo` flag that makes it look no host name up: the host must be an address.
NUMERIC_HOST = "socket.AI_NUMERICHOST"

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
HTTP_CONNECTION = "http.client.HTTPConnection"
SSL_CONTEXT = "ssl.SSLContext"
DB_CONNECTION = "DB-API connection"  # sqlite3, psycopg2, pymysql
DB_CURSOR = "DB-API cursor"
SMTP = "smtplib.SMTP"
FTP = "ftplib.FTP"
BOTO3_SESSION = "boto3.Session"
BOTO3_CLIENT = "boto3 client"
SYNC_REDIS = "redis.Redis"

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
    "http.client.HTTPConnection": HTTP_CONNECTION,
    "http.client.HTTPSConnection": HTTP_CONNECTION,
    "ssl.SSLContext": SSL_CONTEXT,
    "ssl.create_default_context": SSL_CONTEXT,
    "ssl._create_unverified_context": SSL_CONTEXT,
    "sqlite3.connect": DB_CONNECTION,
    "sqlite3.dbapi2.connect": DB_CONNECTION,
    "psycopg2.connect": DB_CONNECTION,
    "pymysql.connect": DB_CONNECTION,
    "pymysql.Connect": DB_CONNECTION,
    "smtplib.SMTP": SMTP,
    "smtplib.SMTP_SSL": SMTP,
    "smtplib.LMTP": SMTP,
    "ftplib.FTP": FTP,
    "ftplib.FTP_TLS": FTP,
    "boto3.client": BOTO3_CLIENT,
    "boto3.Session": BOTO3_SESSION,
    "boto3.session.Session": BOTO3_SESSION,
    # The sync client only: `redis.asyncio.Redis` is another name.
    "redis.Redis": SYNC_REDIS,
    "redis.StrictRedis": SYNC_REDIS,
    "redis.client.Redis": SYNC_REDIS,
    "redis.client.StrictRedis": SYNC_REDIS,
    "redis.from_url": SYNC_REDIS,
    "redis.Redis.from_url": SYNC_REDIS,
}

#: (receiver tag, method) -> tag of the result, for methods that return a known receiver.
METHOD_RESULTS: dict[tuple[str, str], str] = {
    **{
        (PATH, method): PATH
        for method in ("joinpath", "with_name", "with_suffix", "with_stem", "absolute", "resolve", "expanduser")
    },
    (EXECUTOR, "submit"): FUTURE,
    (EVENT_LOOP, "create_task"): TASK,
    (DB_CONNECTION, "cursor"): DB_CURSOR,
    (BOTO3_SESSION, "client"): BOTO3_CLIENT,
}

#: (receiver tag, attribute) -> tag of the attribute's value.
ATTRIBUTE_RESULTS: dict[tuple[str, str], str] = {(PATH, "parent"): PATH}

#: Types whose `__enter__` returns the object itself, so `with X() as x` binds an X.
ENTER_RETURNS_SELF = frozenset(
    {SESSION, HTTPX_CLIENT, POOL_MANAGER, POPEN, EXECUTOR, DB_CONNECTION, DB_CURSOR, SMTP, FTP, SYNC_REDIS}
)


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
    HTTP_CONNECTION: frozenset({"request", "getresponse", "connect", "putrequest", "endheaders", "send"}),
}
SUBPROCESS_METHODS = {POPEN: frozenset({"wait", "communicate"})}
PATH_METHODS = {PATH: frozenset({"read_text", "read_bytes", "write_text", "write_bytes", "open"})}
BLOCKING_METHODS = {
    THREAD: frozenset({"join"}),
    FUTURE: frozenset({"result"}),
    QUEUE: frozenset({"get"}),
    # `put` only blocks when the queue has a bound; on an unbounded queue it never waits.
    BOUNDED_QUEUE: frozenset({"get", "put"}),
    # They read certificate files (`load_verify_locations(cadata=...)` alone reads none: see the rule).
    SSL_CONTEXT: frozenset({"load_default_certs", "load_verify_locations", "load_cert_chain", "set_default_verify_paths"}),
    DB_CONNECTION: frozenset({"execute", "executemany", "executescript", "commit", "rollback", "backup"}),
    DB_CURSOR: frozenset(
        {"execute", "executemany", "executescript", "fetchone", "fetchmany", "fetchall", "callproc", "copy_expert",
         "copy_from", "copy_to"}
    ),
    SMTP: frozenset(
        {"connect", "helo", "ehlo", "starttls", "login", "sendmail", "send_message", "verify", "noop", "quit", "auth"}
    ),
    FTP: frozenset(
        {"connect", "login", "cwd", "pwd", "nlst", "dir", "mlsd", "size", "delete", "rename", "mkd", "rmd",
         "retrbinary", "retrlines", "storbinary", "storlines", "sendcmd", "voidcmd", "quit"}
    ),
    # Service operations are generated per service; these are the common ones (each is a request).
    BOTO3_CLIENT: frozenset(
        {"get_object", "put_object", "delete_object", "delete_objects", "head_object", "copy_object",
         "list_objects", "list_objects_v2", "list_buckets", "create_bucket", "delete_bucket", "head_bucket",
         "upload_file", "download_file", "upload_fileobj", "download_fileobj", "invoke", "publish",
         "send_message", "receive_message", "delete_message", "get_item", "put_item", "update_item",
         "delete_item", "query", "scan", "batch_get_item", "batch_write_item", "get_secret_value",
         "get_parameter", "get_parameters", "put_parameter", "describe_instances", "start_execution",
         "put_record", "put_records", "put_metric_data", "get_caller_identity", "assume_role"}
    ),
    SYNC_REDIS: frozenset(
        {"get", "set", "setex", "setnx", "getset", "mget", "mset", "delete", "exists", "expire", "ttl", "incr",
         "incrby", "decr", "decrby", "keys", "scan", "hget", "hset", "hmget", "hmset", "hgetall", "hdel",
         "hincrby", "lpush", "rpush", "lpop", "rpop", "blpop", "brpop", "lrange", "llen", "sadd", "srem",
         "smembers", "sismember", "zadd", "zrem", "zrange", "zrangebyscore", "zscore", "publish", "ping",
         "flushdb", "flushall", "execute_command", "xadd", "xread", "xreadgroup", "eval", "evalsha"}
    ),
}
LOOP_METHODS = {EVENT_LOOP: frozenset({"run_until_complete", "run_forever"})}

#: Packages (or subpackages) that run on asyncio only: a module importing one of them runs its
#: async code under asyncio even when it never imports `asyncio` itself (an aiohttp handler, a
#: discord.py cog, an aiogram router). A name covers its submodules. Where trio or anyio is
#: imported too, that library counts instead (see `engine.context.detect_library`).
ASYNCIO_ONLY_PACKAGES = frozenset(
    {
        "aiohttp", "aiogram", "discord", "nextcord", "disnake", "telegram.ext", "pyrogram", "telethon",
        "asyncpg", "aiopg", "aiomysql", "aiosqlite", "motor.motor_asyncio", "redis.asyncio", "aioredis",
        "aiokafka", "aio_pika", "aiobotocore", "aioboto3", "aiofiles", "uvicorn", "uvloop", "sanic", "quart",
        "homeassistant",
    }
)  # fmt: skip


def asyncio_only(imported: str) -> bool:
    """Whether an imported module (dotted) is or lies in one of `ASYNCIO_ONLY_PACKAGES`."""
    parts = imported.split(".")
    return any(".".join(parts[:n]) in ASYNCIO_ONLY_PACKAGES for n in range(1, len(parts) + 1))


def library_of(imported: AbstractSet[str]) -> str | None:
    """The async library that imported (dotted) module names say the code runs under, or None."""
    roots = {name.split(".")[0] for name in imported}
    on_asyncio = any(asyncio_only(name) for name in imported)
    if "asyncio" in roots or "anyio" in roots:  # anyio code runs on asyncio too
        return "asyncio" if "asyncio" in roots else "anyio"
    if "trio" in roots:
        return None if on_asyncio else "trio"  # trio beside an asyncio-only package: which one runs it?
    return "asyncio" if on_asyncio else None


def project_library(project: ProjectIndex) -> str | None:
    """The async library of a project: asyncio when its modules import asyncio (or an asyncio-only
    package) and none imports trio or anyio; None when unknown or mixed."""
    return _library_importing(project.imported_names())


@functools.lru_cache(maxsize=4)  # (asked for each file libcst reads: the project's imports are one set)
def _library_importing(imported: frozenset[str]) -> str | None:
    if {name.split(".")[0] for name in imported} & {"trio", "anyio"}:
        return None
    return library_of(imported)


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
#: Attributes that hold an event loop by convention (`hass.loop`, `self._loop`): ASL206/ASL208 take
#: their `create_task` for a loop's unless the code binds them to something else.
LOOP_ATTRIBUTES = frozenset({"loop", "_loop", "event_loop"})
#: What `asyncio.run()` cannot take (ASL207): futures and tasks, not coroutines.
NOT_COROUTINES = frozenset({"asyncio.gather", "asyncio.wait", "asyncio.create_task", "asyncio.ensure_future"})

#: Identifiers a file must mention for a catalogue coroutine, task or future to be involved.
CATALOGUE_IDENTIFIERS = frozenset(
    {name.rsplit(".", 1)[-1] for name in COROUTINE_FUNCTIONS | TASK_FACTORIES | NOT_COROUTINES}
    | {method for methods in ASYNC_METHODS.values() for method in methods}
    | {"create_task"}
)


# Names the screens and the rules both judge by (the screens need them without libcst).

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
CLEANUP_FRAGMENTS = (
    "close", "stop", "shutdown", "disconnect", "cancel", "join", "wait", "kill", "terminate", "cleanup", "release",
    "unsubscribe", "finalize", "unload", "teardown",
)  # fmt: skip


GATHER = ("asyncio.gather", "asyncio.tasks.gather")


def is_cleanup(name: str) -> bool:
    """Whether a called name is a clean-up (closing, joining...): its failures are routinely ignored."""
    return any(fragment in name.lower() for fragment in CLEANUP_FRAGMENTS)


def wraps_in_task(name: str) -> bool:
    """A called name that wraps a coroutine in a task started at once: `create_task`, `ensure_future`,
    an eager-task factory (`create_eager_task`, `hass.async_create_task`...)."""
    lowered = name.lower()
    if lowered == "ensure_future":
        return True
    return lowered.endswith("_task") and any(word in lowered for word in ("create", "eager", "spawn", "background"))


GET_EVENT_LOOP = frozenset({"asyncio.get_event_loop", "asyncio.events.get_event_loop"})
