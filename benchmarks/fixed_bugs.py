"""Does asynclint find the real bugs maintainers fixed, for the rules other than ASL107 and ASL2xx receivers?

    python benchmarks/fixed_bugs.py            # the table (markdown), one row a bug
    python benchmarks/fixed_bugs.py --txt      # the lines of benchmarks/fixed_bugs.txt

Each bug below is a fix found in a public project's issue or pull request, with the shape of the
code before the fix written again as a small snippet (the shape, not the project's code). Each
snippet is written to a temporary folder, all checked in one `asynclint check --select` run; a bug
is `found` when asynclint reports the snippet's marked line (`# bug`) with that code. `covered`
says whether the rule contract (RULES.md) promises the shape: a miss the contract does not cover
is recorded, not built. Exits 1 when a bug the contract covers is missed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Bug:
    project: str
    where: str
    fix: str
    code: str
    shape: str
    snippet: str
    covered: bool = True
    note: str = ""


BUGS = (
    Bug(
        "hotosm/tasking-manager", "backend/services/messaging/message_service.py `_push_messages`",
        "https://github.com/hotosm/tasking-manager/pull/7305", "ASL101",
        "`time.sleep(0.5)` under an `if` in the `for` loop of an async static method",
        """\
import time


class MessageService:
    @staticmethod
    async def push_messages(messages):
        for i, message in enumerate(messages):
            await message.send()
            if (i + 1) % 10 == 0:
                time.sleep(0.5)  # bug
""",
    ),
    Bug(
        "zksync-sdk/zksync-python", "zksync_sdk/zksync_provider/transaction.py `await_committed`",
        "https://github.com/zksync-sdk/zksync-python/issues/29", "ASL101",
        "`time.sleep(timeout / 1000)` in the `while True` polling loop of an async method",
        """\
import time


class Transaction:
    async def await_committed(self, attempts_timeout=None):
        while True:
            details = await self.provider.get_tx_receipt(self.tx_hash)
            if details.get("block"):
                return details
            if attempts_timeout is not None:
                time.sleep(attempts_timeout / 1000)  # bug
""",
    ),
    Bug(
        "ogx-ai/ogx", "remote inference providers",
        "https://github.com/ogx-ai/ogx/pull/5162", "ASL102",
        "`requests.get(...)` on a URL built from the config, in an async provider method",
        """\
import requests


class RemoteProvider:
    async def list_models(self):
        response = requests.get(f"{self.config.url}/v1/models", timeout=30)  # bug
        response.raise_for_status()
        return response.json()["data"]
""",
    ),
    Bug(
        "agiletec-inc/airis-mcp-gateway", "apps/api/src/app/api/endpoints/gateway.py",
        "https://github.com/agiletec-inc/airis-mcp-gateway/issues/82 (commit 2139dacd)", "ASL103",
        "`subprocess.run([...], capture_output=True)` assigned in an async FastAPI endpoint",
        """\
import subprocess


async def gateway_status():
    result = subprocess.run(  # bug
        ["docker", "compose", "ps"], capture_output=True, text=True, timeout=10
    )
    return result.returncode == 0
""",
    ),
    Bug(
        "modrisb/chirp", "custom_components/chirp/__init__.py `async_setup`",
        "https://github.com/modrisb/chirp/issues/12 (fixed in 1.2.0)", "ASL104",
        "`with Path.open(str(module_dir) + '/classes.json') as file:`: Path's method called on the class",
        """\
import json
from pathlib import Path


async def async_setup(hass, module_dir):
    with Path.open(str(module_dir) + "/classes.json") as file:  # bug
        hass.data["classes"] = json.load(file)
""",
    ),
    Bug(
        "mongodb/mongo-python-driver", "pymongo/asynchronous/auth.py `_canonicalize_hostname`",
        "https://github.com/mongodb/mongo-python-driver/pull/2059 (PYTHON-5021)", "ASL105",
        "`socket.getaddrinfo(host, None, 0, 0, IPPROTO_TCP, AI_CANONNAME)[0]` unpacked into five names",
        """\
import socket


async def canonicalize_hostname(hostname):
    af, socktype, proto, canonname, sockaddr = socket.getaddrinfo(  # bug
        hostname, None, 0, 0, socket.IPPROTO_TCP, socket.AI_CANONNAME
    )[0]
    return canonname.lower()
""",
    ),
    Bug(
        "linw1995/lightsocks-python", "lightsocks/server.py `handleConn`",
        "https://github.com/linw1995/lightsocks-python/issues/5", "ASL105",
        "`socket.create_connection((host, port))` in a `try` of an async connection handler",
        """\
import socket


class Server:
    async def handle_conn(self, conn, host, port):
        try:
            remote = socket.create_connection((host, port))  # bug
        except OSError:
            conn.close()
            return
        await self.relay(conn, remote)
""",
    ),
    Bug(
        "Project-N-E-K-O/N.E.K.O", "main_server.py `initialize_character_data`",
        "https://github.com/Project-N-E-K-O/N.E.K.O/pull/840", "ASL105",
        "`sync_process[k].join(timeout=3)`: a `Thread` kept in a module-level dict, joined in async code",
        """\
from threading import Thread

sync_process = {}


async def initialize_character_data(characters, removed, worker):
    for k in removed:
        if sync_process.get(k) is not None:
            sync_process[k].join(timeout=3)  # bug
            del sync_process[k]
    for k in characters:
        if sync_process.get(k) is None:
            sync_process[k] = Thread(target=worker, args=(k,), daemon=True)
            sync_process[k].start()
""",
    ),
    Bug(
        "cocoindex-io/cocoindex", "python/cocoindex/connectorkits/async_adapters.py `sync_to_async_iter`",
        "https://github.com/cocoindex-io/cocoindex/issues/2373", "ASL105",
        "`thread.join(timeout=1.0)` in the `finally` of an async generator",
        """\
import asyncio
import threading


async def sync_to_async_iter(make_iter):
    queue = asyncio.Queue(16)
    thread = threading.Thread(target=make_iter, args=(queue,), daemon=True)
    thread.start()
    try:
        while (item := await queue.get()) is not None:
            yield item
    finally:
        thread.join(timeout=1.0)  # bug
""",
    ),
    Bug(
        "fetchai/agents-aea", "aea/connections/stub/connection.py `disconnect`",
        "https://github.com/fetchai/agents-aea/issues/1245", "ASL105",
        "`self._observer.join()` on a watchdog `Observer` (a `threading.Thread` subclass of a library)",
        """\
from watchdog.observers import Observer


class StubConnection:
    def __init__(self):
        self._observer = Observer()

    async def disconnect(self):
        self._observer.stop()
        self._observer.join()  # bug
""",
        covered=False,
        note="a library's Thread subclass is not in the catalogue",
    ),
    Bug(
        "empicano/aiomqtt", "aiomqtt/client.py `_on_socket_register_write`",
        "https://github.com/empicano/aiomqtt/issues/174", "ASL105",
        "`run_coroutine_threadsafe(coro, self._loop).result()` in a sync callback that also runs on the loop",
        """\
import asyncio


class Client:
    def _on_socket_register_write(self, client, userdata, sock):
        async def on_loop():
            self._loop.add_writer(sock, self._on_write)

        fut = asyncio.run_coroutine_threadsafe(on_loop(), self._loop)
        fut.result()  # bug
""",
        covered=False,
        note="sync code: nothing says the callback runs on the loop",
    ),
    Bug(
        "annetutil/annet", "`old_new` (its CLI's diff generator)",
        "https://github.com/annetutil/annet/pull/238", "ASL106",
        "`asyncio.run(...)` in a sync helper that an async caller reaches",
        """\
import asyncio


async def fetch(device):
    return device


def old_new(devices):
    return [asyncio.run(fetch(d)) for d in devices]  # bug


async def main(devices):
    return old_new(devices)
""",
        covered=False,
        note="ASL106 is lexical: the call sits in sync code",
    ),
    Bug(
        "Azure/azure-sdk-for-python", "azure/core/pipeline/policies/_authentication_async.py `on_request`",
        "https://github.com/Azure/azure-sdk-for-python/pull/11591", "ASL503",
        "`with self._lock:` (`threading.Lock()` set in `__init__`) around `await credential.get_token(...)`",
        """\
import threading


class AsyncBearerTokenCredentialPolicy:
    def __init__(self, credential, *scopes):
        self._credential = credential
        self._scopes = scopes
        self._token = None
        self._lock = threading.Lock()

    async def on_request(self, request):
        with self._lock:  # bug
            if self._token is None:
                self._token = await self._credential.get_token(*self._scopes)
        request.headers["Authorization"] = "Bearer " + self._token.token
""",
    ),
    Bug(
        "agntcy/app-sdk", "SessionManager `request_reply_session`",
        "https://github.com/agntcy/app-sdk/pull/69", "ASL503",
        "`with self._lock:` on `from threading import Lock` around an awaited session creation",
        """\
from threading import Lock


class SessionManager:
    def __init__(self, transport):
        self._transport = transport
        self._sessions = {}
        self._lock = Lock()

    async def request_reply_session(self, name):
        with self._lock:  # bug
            if name not in self._sessions:
                self._sessions[name] = await self._transport.create_session(name)
            return self._sessions[name]
""",
    ),
    Bug(
        "Delgan/loguru", "loguru/_handler.py `complete_async`",
        "https://github.com/Delgan/loguru/pull/972 (issue 906)", "ASL503",
        "`with self._protected_lock():`, a `@contextmanager` method taking a `threading.Lock`, around an `await`",
        """\
import threading
from contextlib import contextmanager


class Handler:
    def __init__(self, sink):
        self._sink = sink
        self._lock = threading.Lock()

    @contextmanager
    def _protected_lock(self):
        with self._lock:
            yield

    async def complete_async(self):
        with self._protected_lock():  # bug
            await self._sink.complete_async()
""",
        covered=False,
        note="the lock is taken inside a context-manager helper",
    ),
    Bug(
        "esphome/aioesphomeapi", "aioesphomeapi/connection.py `_cleanup`",
        "https://github.com/esphome/aioesphomeapi/pull/382", "ASL206",
        "`asyncio.create_task(self.on_stop(...))` as a statement in a sync method",
        """\
import asyncio


class APIConnection:
    def _cleanup(self):
        if self.on_stop and self._connect_complete:
            asyncio.create_task(self.on_stop(self._expected_disconnect))  # bug
""",
    ),
    Bug(
        "automicus/PyISY", "pyisy/events/websocket.py",
        "https://github.com/automicus/PyISY/pull/425", "ASL206",
        "`self._loop.create_task(...)` on an event loop kept as an attribute, result dropped",
        """\
class WebSocketClient:
    def __init__(self, loop):
        self._loop = loop

    def start(self):
        self._loop.create_task(self._websocket())  # bug

    async def _websocket(self):
        return None
""",
    ),
    Bug(
        "IBM/mcp-context-forge", "mcp_session_pool `_rpc_listener` (and 12 more)",
        "https://github.com/IBM/mcp-context-forge/pull/2941", "ASL401",
        "`except asyncio.CancelledError: break` out of a `while True` listener loop",
        """\
import asyncio


class SessionPool:
    async def rpc_listener(self, pubsub):
        while True:
            try:
                message = await pubsub.get_message(timeout=1.0)
            except asyncio.CancelledError:  # bug
                break
            if message:
                await self.dispatch(message)
        await pubsub.unsubscribe()
""",
    ),
    Bug(
        "lablup/backend.ai", "manager/sokovan/scheduler/launcher/launcher.py (and 4 more)",
        "https://github.com/lablup/backend.ai/pull/11225 (BA-5799; that PR was closed, the maintainer's issue 11221 lists the sites as bugs)", "ASL402",
        "`await asyncio.gather(*[...], return_exceptions=True)` as a statement",
        """\
import asyncio


class Launcher:
    async def trigger_image_pulls(self, agents, image):
        await asyncio.gather(  # bug
            *[self.pull_on_agent(agent, image) for agent in agents],
            return_exceptions=True,
        )
""",
    ),
    Bug(
        "menkhus/mcp_local_service_registry", "mcp_registry/bridge.py",
        "https://github.com/menkhus/mcp_local_service_registry/issues/7", "ASL502",
        "`loop = asyncio.get_event_loop()` in a coroutine, then `await loop.run_in_executor(...)`",
        """\
import asyncio


class Bridge:
    async def call_tool(self, name, args):
        loop = asyncio.get_event_loop()  # bug
        return await loop.run_in_executor(None, self.call_sync, name, args)
""",
    ),
)


def reported(folder: Path, codes: set[str]) -> set[tuple[str, int, str]]:
    """(file name, line, code) of every finding of `codes` in `folder`, in one asynclint run."""
    out = subprocess.run(
        [sys.executable, "-m", "asynclint", "check", "--select", ",".join(sorted(codes)), "--no-cache", "-q",
         "--exit-zero", "--config", str(folder / "pyproject.toml"), str(folder)],
        capture_output=True, text=True, check=True,
    ).stdout
    found = set()
    for line in out.splitlines():
        path, lineno, _col, rest = line.split(":", 3)
        found.add((Path(path).name, int(lineno), rest.split()[0]))
    return found


def check(bugs: tuple[Bug, ...]) -> list[bool]:
    """Whether asynclint reports each bug's marked line with the bug's code."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "pyproject.toml").write_text("[tool.asynclint]\n")
        wanted = []
        for i, bug in enumerate(bugs):
            name = f"bug_{i:02d}.py"
            (folder / name).write_text(bug.snippet)
            marked = [n for n, text in enumerate(bug.snippet.splitlines(), 1) if text.endswith("# bug")]
            assert len(marked) == 1, bug.project
            wanted.append((name, marked[0], bug.code))
        found = reported(folder, {bug.code for bug in bugs})
        return [w in found for w in wanted]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--txt", action="store_true", help="print the lines of benchmarks/fixed_bugs.txt")
    args = parser.parse_args()
    found = check(BUGS)
    if args.txt:
        for bug, ok in zip(BUGS, found):
            result = f"found {bug.code}" if ok else "missed" + ("" if bug.covered else f" (not in the contract: {bug.note})")
            print("\t".join((bug.project, bug.where, bug.fix, bug.code, bug.shape, result)))
    else:
        print("| project | shape | rule | found? |\n|---|---|---|---|")
        for bug, ok in zip(BUGS, found):
            result = "yes" if ok else "no" + ("" if bug.covered else f" (not in the contract: {bug.note})")
            print(f"| {bug.project} | {bug.shape} | {bug.code} | {result} |")
        covered = [ok for bug, ok in zip(BUGS, found) if bug.covered]
        print(f"\n{sum(found)} of {len(BUGS)} found; {sum(covered)} of the {len(covered)} the contract covers.")
    return 0 if all(ok for bug, ok in zip(BUGS, found) if bug.covered) else 1


if __name__ == "__main__":
    sys.exit(main())
