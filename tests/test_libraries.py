"""Installed libraries in the project index (`analysis/index/libraries.py`): a fake site-packages on `python-path`."""

from __future__ import annotations

import json
import os
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from asynclint.analysis.index.libraries import Libraries
from asynclint.app.cli import cli
from asynclint.core.config import ConfigError, load_config
from asynclint.core.searchpath import environment_path

LIBRARY = {
    "chatlib/__init__.py": """\
        from .client import Client, fetch, Channel
        from ._sync import ping
        from .typed import Mixed, Loose
        """,
    "chatlib/client.py": """\
        class Base:
            async def close(self): ...
            def name(self): return "x"

        class Client(Base):
            async def get(self, url): ...
            def sync_get(self, url): ...

        class Channel:
            def send(self, text): ...

        async def fetch(url): ...
        """,
    # The stub says what the compiled (or untyped) code does not: `send` is a coroutine function.
    "chatlib/client.pyi": """\
        class Base:
            async def close(self) -> None: ...
            def name(self) -> str: ...

        class Client(Base):
            async def get(self, url: str) -> bytes: ...
            async def download(self, url: str) -> bytes: ...
            def sync_get(self, url: str) -> bytes: ...

        class Channel:
            async def send(self, text: str) -> None: ...

        class SyncClient:
            def get(self, url: str) -> bytes: ...

        async def fetch(url: str) -> bytes: ...
        """,
    "chatlib/_sync.py": "def ping(): ...\n",
    "chatlib/typed.py": """\
        from typing import overload

        class Mixed:
            @overload
            def go(self, x: int) -> int: ...
            @overload
            async def go(self, x: str) -> str: ...
            def go(self, x): ...

        class Loose:
            def go(self): ...
        """,
    "chatlib-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: chatlib\nVersion: 1.0\n",
}

APP = {
    "pyproject.toml": '[tool.asynclint]\npython-path = ["../site"]\n',
    "app/__init__.py": "",
    "app/main.py": """\
        import chatlib
        import chatlib as chat
        from chatlib import fetch as get_it, ping
        from chatlib.client import Client, Channel, SyncClient
        from typing import Any
        from notinstalled import later


        async def calls(c: Client, ch: Channel, anything: Any, both: chatlib.Mixed, loose: "chatlib.Loose", either: Client | SyncClient, bare):
            chatlib.fetch("u")  # error
            get_it("u")  # error
            chat.fetch("u")  # error
            ping()
            later()
            c.get("u")  # error
            c.close()  # error
            c.sync_get("u")
            c.name()
            ch.send("hi")  # error
            anything.get("u")
            both.go(1)
            loose.go()
            either.get("u")
            bare.get("u")
            made = chatlib.Client()
            made.sync_get("u")


        class Mine(chatlib.Client):
            async def run(self):
                self.get("u")  # error
                self.sync_get("u")
                super().close()  # error
        """,
}


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def expected(root: Path, name: str) -> list[int]:
    lines = (root / name).read_text().splitlines()
    return [i for i, line in enumerate(lines, 1) if line.endswith("# error")]


def lines(project: Path, *args: str, env: dict[str, str] | None = None) -> list[int]:
    result = CliRunner().invoke(cli, ["check", "--format", "json", *args, str(project)], catch_exceptions=False, env=env)
    found = json.loads(result.stdout)
    assert all(d["code"] == "ASL201" for d in found), found
    return sorted(d["line"] for d in found)


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path]:
    write(tmp_path / "site", LIBRARY)
    write(tmp_path / "project", APP)
    return tmp_path / "site", tmp_path / "project"


def test_library_coroutine_functions_and_methods_are_known(setup):
    site, project = setup
    want = expected(project, "app/main.py")
    assert lines(project, "--no-cache") == want
    assert lines(project) == want  # cold, with the caches
    assert lines(project) == want  # warm
    assert lines(project, "--no-cache", env={"ASYNCLINT_NO_SCREEN": "1"}) == want  # the screen drops none
    assert (project / ".asynclint_cache" / "libraries.json").is_file()


def test_not_installed_is_silent(setup):
    site, project = setup
    (project / "pyproject.toml").write_text('[tool.asynclint]\npython-path = ["app"]\n')
    assert lines(project, "--no-cache") == []


def test_stub_is_preferred_over_the_source(setup):
    site, project = setup
    want = expected(project, "app/main.py")
    (site / "chatlib/client.pyi").unlink()
    without_stub = lines(project, "--no-cache")
    assert [n for n in want if n not in without_stub] == [19]  # `ch.send`: async in the stub only


def test_a_project_module_shadows_the_library(setup):
    site, project = setup
    write(project, {"chatlib/__init__.py": "def fetch(url): ...\n"})
    assert lines(project, "--no-cache") == []  # no name under the project's `chatlib` is read from the library


def test_read_once_per_version_and_again_when_the_version_changes(setup):
    site, project = setup
    want = expected(project, "app/main.py")
    assert lines(project) == want
    client = site / "chatlib/client.pyi"
    client.write_text(client.read_text().replace("async def fetch", "def fetch"))
    assert lines(project) == want  # the same version installed: what was read is trusted
    fewer = [n for n in want if n not in (10, 11, 12)]
    assert lines(project, "--no-cache") == fewer
    (site / "chatlib-1.0.dist-info").rename(site / "chatlib-1.1.dist-info")
    assert lines(project) == fewer  # a new version: read again, and the files that use it checked again


def test_modules_of_no_distribution_are_read_again_when_their_file_changes(setup):
    site, project = setup
    want = expected(project, "app/main.py")
    for file in (site / "chatlib-1.0.dist-info").iterdir():
        file.unlink()
    (site / "chatlib-1.0.dist-info").rmdir()
    assert lines(project) == want
    client = site / "chatlib/client.pyi"
    client.write_text(client.read_text().replace("async def fetch", "def fetch"))
    os.utime(client, ns=(1, 1))  # (another size and mtime, whatever the file system's clock)
    assert lines(project) == [n for n in want if n not in (10, 11, 12)]


def test_stub_only_package_and_distribution_named_unlike_its_package(tmp_path):
    write(
        tmp_path / "site",
        {
            "tgbot/__init__.py": "def send(): ...\n",
            "tgbot-stubs/__init__.pyi": "async def send() -> None: ...\n",
            "python_tgbot-2.0.dist-info/top_level.txt": "tgbot\n",
        },
    )
    write(tmp_path / "project", {"pyproject.toml": '[tool.asynclint]\npython-path = ["../site"]\n', "m.py": "import tgbot\n\nasync def f():\n    tgbot.send()\n"})
    assert lines(tmp_path / "project", "--no-cache") == [4]
    libraries = Libraries([str(tmp_path / "site")])
    assert libraries.distribution("tgbot.send") == "python_tgbot==2.0"
    assert libraries.distribution("missing.x") == ""


def test_venv_setting_reads_its_site_packages(tmp_path):
    site = tmp_path / "env/lib/python3.99/site-packages"
    write(site, LIBRARY)
    write(tmp_path / "project", {**APP, "pyproject.toml": '[tool.asynclint]\nvenv = "../env"\n'})
    assert lines(tmp_path / "project", "--no-cache") == expected(tmp_path / "project", "app/main.py")


@pytest.mark.parametrize(
    "setting, message",
    [
        ('python-path = ["nowhere"]', "python-path: no such folder: nowhere"),
        ('venv = "nowhere"', "venv: no virtualenv with a site-packages folder at nowhere"),
        ("venv = 3", "venv must be a folder path"),
    ],
)
def test_bad_settings_are_one_line_errors(tmp_path, setting, message):
    (tmp_path / "pyproject.toml").write_text(f"[tool.asynclint]\n{setting}\n")
    with pytest.raises(ConfigError, match=message):
        load_config([str(tmp_path)])
    result = CliRunner().invoke(cli, ["check", str(tmp_path)])
    assert result.exit_code == 2 and message in result.output and len(result.output.strip().splitlines()) == 1


def test_environment_path_leaves_out_the_folder_of_the_running_program(tmp_path, monkeypatch):
    # (`asynclint` and `flake8` run from their console scripts' folder, `python -m` from the current
    # one: were it read, each would find the libraries changed after the other ran)
    scripts, installed = tmp_path / "bin", tmp_path / "site"
    scripts.mkdir()
    installed.mkdir()
    monkeypatch.setattr(sys, "argv", [str(scripts / "flake8"), "x.py"])
    monkeypatch.setattr(sys, "path", [str(scripts), str(installed), *sys.path])
    assert str(scripts) not in environment_path()
    assert str(installed.resolve()) in environment_path()


def test_environment_path_leaves_out_the_standard_library():
    import sysconfig

    paths = sysconfig.get_paths()
    stdlib, site = os.path.realpath(paths["stdlib"]), os.path.realpath(paths["purelib"])
    assert stdlib not in environment_path()
    assert site in environment_path()  # (the tests run with their site-packages on sys.path)
    assert all(os.path.isdir(folder) for folder in environment_path())


def test_blocking_helpers_of_a_library_are_followed(tmp_path):
    write(
        tmp_path / "site",
        {
            "iolib/__init__.py": "from ._files import load, quick\n",
            "iolib/_files.py": """\
                def load(path):
                    return _read(path)


                def _read(path):
                    with open(path) as f:
                        return f.read()


                def quick(text):
                    return text.upper()
                """,
        },
    )
    app = "import iolib\nfrom iolib import load as fetch_config\n\n\nasync def f():\n    iolib.load('x')\n    fetch_config('x')\n    iolib.quick('x')\n"
    write(tmp_path / "project", {"pyproject.toml": '[tool.asynclint]\npython-path = ["../site"]\n', "m.py": app})
    for env in ({}, {"ASYNCLINT_NO_SCREEN": "1"}):
        result = CliRunner().invoke(cli, ["check", "--no-cache", "--select", "ASL107", "--format", "json", str(tmp_path / "project")], env=env)
        found = json.loads(result.stdout)
        assert [(d["line"], d["code"]) for d in found] == [(6, "ASL107"), (7, "ASL107")]
        assert "iolib/_files.py:6" in found[0]["message"]


def test_a_corrupt_library_cache_is_read_again(setup):
    site, project = setup
    want = expected(project, "app/main.py")
    assert lines(project) == want
    stored = project / ".asynclint_cache" / "libraries.json"
    data = json.loads(stored.read_text())
    for entry in data["files"].values():
        entry[2] = "[not json"
    stored.write_text(json.dumps(data))
    for cache in (project / ".asynclint_cache").glob("results-*.json"):
        cache.unlink()
    (project / ".asynclint_cache" / "index.txt").unlink()
    assert lines(project) == want
    stored.write_text("garbage")
    assert lines(project) == want


def test_a_method_of_a_class_re_exported_by_the_library_package(setup):
    site, project = setup
    # `Client` is the library package's re-export of `chatlib.client.Client`.
    write(project, {"app/main.py": "import chatlib\n\n\nasync def f(c: chatlib.Client):\n    c.download('u')\n"})
    assert lines(project, "--no-cache") == [5]


def test_a_function_of_a_submodule_nothing_re_exports_passes_the_screen(setup):
    site, project = setup
    write(site, {"chatlib/extra/__init__.py": "", "chatlib/extra/deep.py": "async def deep_call(): ...\n"})
    # No `async def` in the file, no name of a module read before the check.
    write(project, {"app/main.py": "import chatlib.extra.deep\n\n\ndef later():\n    chatlib.extra.deep.deep_call()\n"})
    assert lines(project, "--no-cache", env={"ASYNCLINT_NO_SCREEN": "1"}) == [5]
    assert lines(project, "--no-cache") == [5]


CORO_LIBRARY = {
    "wirelib/__init__.py": "from .http import HTTPClient, ping\n",
    "wirelib/py.typed": "",
    "wirelib/http.py": """\
        from typing import TYPE_CHECKING, Any, Coroutine, Optional, TypeVar

        if TYPE_CHECKING:
            T = TypeVar("T")
            Response = Coroutine[Any, Any, T]

        class HTTPClient:
            async def request(self, route): ...
            def get_channel(self, channel_id: int) -> "Response[dict]":
                return self.request(channel_id)
            def maybe(self, route) -> Optional[Coroutine[Any, Any, None]]:
                return None
            def plain(self) -> dict:
                return {}

        def ping() -> Coroutine[Any, Any, None]:
            return HTTPClient().request("/ping")
        """,
    "wirelib-2.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: wirelib\nVersion: 2.0\n",
}

CORO_APP = {
    "pyproject.toml": '[tool.asynclint]\npython-path = ["../site"]\n',
    "app/__init__.py": "",
    "app/bot.py": """\
        import wirelib
        from wirelib import ping as beat
        from wirelib.http import HTTPClient


        class State:
            http: HTTPClient


        class Bot:
            def __init__(self, state: State) -> None:
                self._connection = state

            async def run(self, client: HTTPClient) -> None:
                self._connection.http.get_channel(1)  # error
                client.get_channel(2)  # error
                wirelib.ping()  # error
                beat()  # error
                client.maybe("/x")
                client.plain()
                await client.get_channel(3)
        """,
}


def assert_found_through_the_library(tmp_path, library, app, path, count):
    """The ASL201 findings marked in `path` of `app`, with `library` installed: without caches, cold,
    warm and without the screen; none when the library is not on the path."""
    write(tmp_path / "site", library)
    write(tmp_path / "project", app)
    project = tmp_path / "project"
    want = expected(project, path)
    assert len(want) == count
    assert lines(project, "--no-cache", "--select", "ASL201") == want
    assert lines(project, "--select", "ASL201") == want  # cold, with the caches
    assert lines(project, "--select", "ASL201") == want  # warm
    assert lines(project, "--no-cache", "--select", "ASL201", env={"ASYNCLINT_NO_SCREEN": "1"}) == want
    (project / "pyproject.toml").write_text('[tool.asynclint]\npython-path = ["app"]\n')
    assert lines(project, "--no-cache", "--select", "ASL201") == []  # not installed: silent


def test_library_sync_functions_declared_to_return_coroutines(tmp_path):
    """`def get_channel(...) -> Response[dict]` with `Response = Coroutine[Any, Any, T]` in an installed library."""
    assert_found_through_the_library(tmp_path, CORO_LIBRARY, CORO_APP, "app/bot.py", 4)


CHANNEL_LIBRARY = {
    "chanlib/__init__.py": (
        "from ._channel import insecure_channel, secure_channel, sync_channel, loose_channel, any_channel, coro_channel,"
        " proto_channel, either_channel\n"
    ),
    "chanlib/_base.py": """\
        import abc


        class Channel(abc.ABC):
            @abc.abstractmethod
            async def close(self) -> None: ...
        """,
    "chanlib/_channel.py": """\
        from typing import Any, Coroutine, Protocol, overload

        from . import _base


        class _Channel(_base.Channel):
            async def close(self) -> None: ...


        class SyncChannel:
            def close(self) -> None: ...


        def insecure_channel(target: str) -> _base.Channel:
            return _Channel()


        def secure_channel(target: str, creds: object) -> _base.Channel:
            return _Channel()


        def sync_channel(target: str) -> SyncChannel:
            return SyncChannel()


        def loose_channel(target):
            return _Channel()


        def any_channel(target: str) -> Any:
            return _Channel()


        def coro_channel(target: str) -> Coroutine[Any, Any, None]:
            return _Channel().close()


        class ChannelLike(Protocol):
            async def close(self) -> None: ...


        def proto_channel(target: str) -> ChannelLike:
            return _Channel()


        @overload
        def either_channel(target: str) -> _base.Channel: ...
        @overload
        def either_channel(target: bytes) -> SyncChannel: ...
        def either_channel(target):
            return _Channel()
        """,
    "chanlib-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: chanlib\nVersion: 1.0\n",
}

CHANNEL_APP = {
    "pyproject.toml": '[tool.asynclint]\npython-path = ["../site"]\n',
    "app/__init__.py": "",
    "app/clients.py": """\
        import chanlib
        from chanlib import insecure_channel as plain


        class One:
            def __init__(self, target: str) -> None:
                self._channel = chanlib.insecure_channel(target)

            async def close(self) -> None:
                self._channel.close()  # error


        class Either:
            def __init__(self, target: str, creds: object = None) -> None:
                self._channel = None
                if creds is not None:
                    self._channel = chanlib.secure_channel(target, creds)
                else:
                    self._channel = plain(target)

            async def close(self) -> None:
                if self._channel:
                    self._channel.close()  # error


        class Mixed:
            def __init__(self, target: str, fast: bool) -> None:
                if fast:
                    self._channel = chanlib.sync_channel(target)
                else:
                    self._channel = chanlib.insecure_channel(target)

            async def close(self) -> None:
                self._channel.close()  # (a `SyncChannel` may stand there: its `close` is sync)


        class Untyped:
            def __init__(self, target: str, loose: bool) -> None:
                if loose:
                    self._channel = chanlib.loose_channel(target)
                else:
                    self._channel = chanlib.insecure_channel(target)

            async def close(self) -> None:
                self._channel.close()  # (`loose_channel` declares nothing)


        class Anything:
            def __init__(self, target: str, other: bool) -> None:
                if other:
                    self._channel = chanlib.any_channel(target)
                else:
                    self._channel = chanlib.insecure_channel(target)

            async def close(self) -> None:
                self._channel.close()  # (`Any`)


        class Coro:
            def __init__(self, target: str, other: bool) -> None:
                if other:
                    self._channel = chanlib.coro_channel(target)
                else:
                    self._channel = chanlib.insecure_channel(target)

            async def close(self) -> None:
                self._channel.close()  # (a coroutine object, not a channel, may stand there)


        class Structural:
            def __init__(self, target: str, other: bool) -> None:
                if other:
                    self._channel = chanlib.proto_channel(target)
                else:
                    self._channel = chanlib.proto_channel(target + "/2")

            async def close(self) -> None:
                self._channel.close()  # (a `Protocol`: what stands there may differ)


        class Overloaded:
            def __init__(self, target: str, other: bool) -> None:
                if other:
                    self._channel = chanlib.either_channel(target)
                else:
                    self._channel = chanlib.insecure_channel(target)

            async def close(self) -> None:
                self._channel.close()  # (an overload with a sync variant declares nothing)


        class Rebound:
            def __init__(self, target: str, channel) -> None:
                self._channel = chanlib.insecure_channel(target)

            def swap(self, channel) -> None:
                self._channel = channel

            async def close(self) -> None:
                self._channel.close()  # (an unannotated parameter is assigned too)
        """,
}


def test_attributes_assigned_from_library_functions_declared_to_return_a_class(tmp_path):
    """`self._channel = grpc.aio.secure_channel(...)` in one branch and `insecure_channel(...)` in the other:
    both declared `-> Channel`, whose `close` is `async def` (the shape of dapr/python-sdk#642). Differing
    assignments are a `Union`, reported only when the method is `async def` in every member."""
    assert_found_through_the_library(tmp_path, CHANNEL_LIBRARY, CHANNEL_APP, "app/clients.py", 2)


SOCKET_LIBRARY = {
    # Re-exported for type checkers only (the shape of `websockets`' lazy imports).
    "socklib/__init__.py": """\
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            from .client import connect, Connection
        """,
    "socklib/client.py": """\
        from collections.abc import Generator
        from typing import Any
        from typing_extensions import Self

        class Connection:
            async def send(self, data): ...
            async def close(self): ...
            async def __aenter__(self) -> Self: return self

        class connect:
            def __init__(self, uri): ...
            def __await__(self) -> Generator[Any, None, Connection]: ...
            async def __aenter__(self) -> Connection: ...

        class loose:
            def __await__(self): ...
            async def __aenter__(self): ...
        """,
}

SOCKET_APP = {
    "pyproject.toml": '[tool.asynclint]\npython-path = ["../site"]\n',
    "app/__init__.py": "",
    "app/rpc.py": """\
        import socklib
        from socklib.client import loose

        class Client:
            def __init__(self):
                self._ws = None
                self._loose = None

            async def connect(self, uri):
                self._ws = await socklib.connect(uri)
                self._loose = await loose()

            async def close(self):
                self._ws.close()  # error
                self._loose.close()

        class Bot:
            def __init__(self):
                self.websocket = None

            def run(self, uri):
                async def listen():
                    async with socklib.connect(uri) as ws:
                        self.websocket = ws
                return listen

            def ack(self):
                self.websocket.send("ack")  # error

        async def once(uri):
            ws = await socklib.connect(uri)
            ws.close()  # error
            async with socklib.connect(uri) as entered:
                entered.send("x")  # error
            async with loose() as other:
                other.close()
        """,
}


def test_receivers_awaited_or_entered_from_library_classes(tmp_path):
    """`self._ws = await socklib.connect(...)` (the class's `__await__` declared `Generator[Any, None,
    Connection]`) and a closure's `async with socklib.connect(...) as ws: self.websocket = ws` (its
    `__aenter__` declared `-> Connection`): the shapes of fastapi_websocket_rpc#43 and webex_bot#6; locals
    bound so too. An unannotated `__await__` or `__aenter__` gives nothing known."""
    assert_found_through_the_library(tmp_path, SOCKET_LIBRARY, SOCKET_APP, "app/rpc.py", 4)
