"""Which async library a module runs under: its imports, else its project's (ASL101's fix safety)."""

from __future__ import annotations

import libcst as cst
import pytest

from asynclint.analysis import names as _names
from asynclint.analysis.cst.context import detect_library
from asynclint.analysis.index.indexer import index_source
from asynclint.analysis.index.model import ProjectIndex
from asynclint.rules.blocking.rule import BlockingSleep
from tests.test_cli import findings, project, run, write  # noqa: F401 (`project` is a fixture)

SLEEPS = "import time\n\n\nasync def handler(message):\n    time.sleep(1)\n"


@pytest.mark.parametrize(
    ("source", "library"),
    [
        ("import asyncio\n", "asyncio"),
        ("import trio\n", "trio"),
        ("import anyio\n", "anyio"),
        ("from aiogram import Router\n", "asyncio"),
        ("import discord.ext.commands\n", "asyncio"),
        ("from telegram.ext import Application\n", "asyncio"),
        ("from redis import asyncio as aioredis\n", "asyncio"),
        ("import redis.asyncio as redis\n", "asyncio"),
        ("from homeassistant.core import HomeAssistant\n", "asyncio"),
        ("try:\n    import uvloop\nexcept ImportError:\n    uvloop = None\n", "asyncio"),
        # Not asyncio-only: the sync client, the package whose sync half is the main one, look-alikes.
        ("import redis\n", None),
        ("import telegram\n", None),
        ("import aiohttp_like\n", None),
        ("from . import aiohttp\n", None),
        ("import time\n", None),
        # anyio runs on asyncio too; trio beside an asyncio-only package leaves it a guess.
        ("import anyio\nimport aiohttp\n", "anyio"),
        ("import trio\nimport aiohttp\n", None),
        ("import asyncio\nimport trio\n", "asyncio"),
    ],
)
def test_module_library_from_its_imports(source, library):
    assert detect_library(cst.parse_module(source)) == library


def _index(*sources: str) -> ProjectIndex:
    index = ProjectIndex()
    for number, source in enumerate(sources):
        entry = index_source(source, f"pkg/m{number}.py")
        assert entry is not None
        index.add(f"pkg.m{number}", entry[1])
    return index


@pytest.mark.parametrize(
    ("sources", "library"),
    [
        (("import asyncio\n", "import time\n"), "asyncio"),
        (("from aiohttp import web\n",), "asyncio"),
        (("import asyncio\n", "import anyio\n"), None),
        (("import asyncio\n", "from trio import sleep\n"), None),
        (("import time\n",), None),
    ],
)
def test_project_library(sources, library):
    assert _names.project_library(_index(*sources)) == library


def test_the_library_table_is_documented_in_the_rule():
    """The asyncio-only packages are listed in ASL101's "Fix safety" section, one place for users."""
    doc = BlockingSleep.__doc__ or ""
    safety = doc[doc.index("## Fix safety") :]
    for package in _names.ASYNCIO_ONLY_PACKAGES:
        assert f"`{package}`" in safety, package


def test_framework_module_gets_the_safe_fix(project):
    write(project, "bot.py", "from aiogram import Router\n" + SLEEPS)
    result = run("fix", "--no-color", ".")
    assert "await asyncio.sleep(1)" in (project / "bot.py").read_text(), result.output


def test_module_importing_nothing_follows_an_asyncio_project(project):
    write(project, "pkg/__init__.py", "")
    write(project, "pkg/main.py", "import asyncio\n")
    write(project, "pkg/handlers.py", SLEEPS)
    run("fix", "--no-color", ".")
    assert "await asyncio.sleep(1)" in (project / "pkg/handlers.py").read_text()


def test_module_importing_nothing_in_a_project_using_anyio_stays_unsafe(project):
    write(project, "pkg/__init__.py", "")
    write(project, "pkg/main.py", "import asyncio\n")
    write(project, "pkg/tasks.py", "import anyio\n")
    write(project, "pkg/handlers.py", SLEEPS)
    run("fix", "--no-color", ".")
    assert "time.sleep(1)" in (project / "pkg/handlers.py").read_text()
    run("fix", "--no-color", "--unsafe-fixes", ".")
    assert "await asyncio.sleep(1)" in (project / "pkg/handlers.py").read_text()


def test_cached_fix_safety_follows_the_project(project):
    """A cached finding's fix safety changes when another module starts importing trio."""
    write(project, "pkg/__init__.py", "")
    write(project, "pkg/main.py", "import asyncio\n")
    write(project, "pkg/handlers.py", SLEEPS)

    def safe_fixes() -> bool:
        result = run("check", "--no-color", "--exit-zero", ".")
        assert [f[3] for f in findings(result.stdout)] == ["ASL101"]
        return "[*]" in result.stdout

    assert safe_fixes()
    write(project, "pkg/tasks.py", "import trio\n")
    assert not safe_fixes()
    (project / "pkg/tasks.py").unlink()
    assert safe_fixes()
