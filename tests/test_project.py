"""The project-wide index: module names, cross-module resolution, its cache, the escape hatches."""

from __future__ import annotations

import gc
import hashlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from asynclint.analysis.index.positions import shape
from asynclint.analysis.modules import absolutize, module_name, module_names
from asynclint.app.cli import cli
from asynclint.engine.project import build_index
from asynclint.engine.screening import read_facts


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def codes(root: Path, *args: str) -> list[tuple[str, int, str]]:
    result = CliRunner().invoke(cli, ["check", "--format", "json", *args, str(root)], catch_exceptions=False)
    return [(Path(d["path"]).relative_to(root).as_posix(), d["line"], d["code"]) for d in json.loads(result.stdout)]


def test_module_names(tmp_path):
    write(tmp_path, {"src/pkg/__init__.py": "", "src/pkg/sub/__init__.py": "", "src/pkg/sub/mod.py": "", "script.py": ""})
    assert module_name(tmp_path / "src/pkg/sub/mod.py") == "pkg.sub.mod"
    assert module_name(tmp_path / "src/pkg/sub/__init__.py") == "pkg.sub"
    assert module_name(tmp_path / "script.py") == "script"
    reals = [str((tmp_path / p).resolve()) for p in ("src/pkg/sub/mod.py", "src/pkg/sub/__init__.py", "script.py", "src/pkg/__init__.py")]
    assert module_names([*reals, "/top.py"]) == ["pkg.sub.mod", "pkg.sub", "script", "pkg", "top"]  # as one by one


@pytest.mark.parametrize(
    ("name", "module", "package_init", "expected"),
    [
        (".client.fetch", "pkg.api", False, "pkg.client.fetch"),
        ("..core.run", "pkg.sub.api", False, "pkg.core.run"),
        (".client.fetch", "pkg", True, "pkg.client.fetch"),
        ("os.path", "pkg.api", False, "os.path"),
    ],
)
def test_relative_names(name, module, package_init, expected):
    assert absolutize(name, module, package_init) == expected


PACKAGE = {
    "app/__init__.py": "from .api import fetch\n",
    "app/api.py": """\
        async def fetch():
            return 1

        class Base:
            async def save(self):
                pass
        """,
    "app/views.py": """\
        import app.api
        from app import fetch as exported
        from .api import Base, fetch

        class View(Base):
            async def post(self):
                self.save()

        async def handler():
            fetch()
            app.api.fetch()
            exported()
            if fetch():
                pass
            unused = fetch()
        """,
}


def test_cross_module_resolution(tmp_path):
    write(tmp_path, PACKAGE)
    assert codes(tmp_path) == [
        ("app/views.py", 7, "ASL201"),
        ("app/views.py", 10, "ASL201"),
        ("app/views.py", 11, "ASL201"),
        ("app/views.py", 12, "ASL201"),
        ("app/views.py", 13, "ASL204"),
        ("app/views.py", 15, "ASL202"),
    ]


def test_checking_one_file_resolves_through_the_project(tmp_path):
    write(tmp_path, PACKAGE)
    alone = CliRunner().invoke(cli, ["check", "--format", "json", str(tmp_path / "app/views.py")])
    assert json.loads(alone.stdout) == []  # outside any project, the one file is all there is
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'app'\n")
    alone = CliRunner().invoke(cli, ["check", "--format", "json", str(tmp_path / "app/views.py")])
    assert len(json.loads(alone.stdout)) == 6  # as pre-commit runs it: same as checking everything
    assert (tmp_path / ".asynclint_cache" / "index.txt").is_file()


def test_ambiguous_module_names_do_not_resolve(tmp_path):
    write(
        tmp_path,
        {
            "one/helpers.py": "async def go():\n    pass\n",
            "two/helpers.py": "def go():\n    pass\n",
            "three/main.py": "from helpers import go\n\nasync def main():\n    go()\n",
        },
    )
    assert codes(tmp_path) == []


def _index_lines(cache: Path) -> list[list[str]]:
    """The index cache's files, as [real, size, mtime, module, info] ("": unreadable; the shape is left out)."""
    _, _, sizes, rest = (cache / "index.txt").read_text().split("\n", 3)
    count, head = (int(n) for n in sizes.split())
    lines, infos = rest[:head].split("\n"), rest[head + 1 :]
    assert len(lines) == count
    found = []
    for line in lines:
        *fields, length, _ = line.split("\t")
        found.append([*fields, infos[: max(0, int(length))]])
        infos = infos[max(0, int(length)) :]
    return found


def _write_index_lines(cache: Path, lines: list[list[str]]) -> None:
    """Write these files (as `_index_lines` gives them) in the index cache, its header and names kept."""
    head = (cache / "index.txt").read_text().split("\n")[:2]
    rows = "\n".join("\t".join([*fields[:4], str(len(fields[4]) if fields[4] else -1), shape(fields[4].encode())]) for fields in lines)
    infos = "".join(fields[4] for fields in lines)
    (cache / "index.txt").write_text("\n".join([*head, f"{len(lines)} {len(rows.encode())}", rows, infos]))


def test_index_cache_hit_invalidation_and_corruption(tmp_path):
    write(tmp_path, {"pkg/__init__.py": "", "pkg/a.py": "async def go():\n    pass\n"})
    files = [str(tmp_path / "pkg/__init__.py"), str(tmp_path / "pkg/a.py")]
    cache = tmp_path / ".asynclint_cache"
    cold = build_index(files, cache_dir=cache)
    assert cold.is_coroutine_function("pkg.a.go")
    assert (cache / "index.txt").is_file() and (cache / ".gitignore").is_file()
    assert build_index(files, cache_dir=cache).is_coroutine_function("pkg.a.go")  # warm
    (tmp_path / "pkg/a.py").write_text("def go():\n    return 1\n")  # a different size: a changed file
    assert not build_index(files, cache_dir=cache).is_coroutine_function("pkg.a.go")
    (cache / "index.txt").write_text("{not an index")
    assert build_index(files, cache_dir=cache).kind("pkg.a.go") == "sync"
    (cache / "index.txt").write_bytes(b"asynclint project index 20 (argument guards, idle awaits, raising defs, sync summaries, shapes, declared types, declared receivers, coroutine returns, derived sets, assigned unions, rebound coroutines, awaited and entered types)\nnull\n1 16\n\xff\xfe\t1\t2\tpkg.a\t2\tx\n{}")  # not UTF-8
    assert build_index(files, cache_dir=cache).kind("pkg.a.go") == "sync"
    (cache / "index.txt").write_text("asynclint project index 6\nnull\n1\n" + "\t".join([files[1], "1", "2", "pkg.a", "10"]) + "\n[{},{},{}]")
    assert build_index(files, cache_dir=cache).kind("pkg.a.go") == "sync"  # another version: rebuilt
    lines = _index_lines(cache)
    assert (cache / "index.txt").read_text().startswith("asynclint project index 20 (argument guards, idle awaits, raising defs, sync summaries, shapes, declared types, declared receivers, coroutine returns, derived sets, assigned unions, rebound coroutines, awaited and entered types)\n") and len(lines) == 2
    written = (cache / "index.txt").read_text()
    _write_index_lines(cache, [[real, "x", mtime, module, info] for real, _, mtime, module, info in lines])
    for malformed in ((cache / "index.txt").read_text(), written + "]", written[:-1]):  # no number; infos too long, short
        (cache / "index.txt").write_text(malformed)
        assert build_index(files, cache_dir=cache).kind("pkg.a.go") == "sync"  # rebuilt, never trusted
        assert _index_lines(cache) == lines
    (tmp_path / "pkg/a.py").write_text("async def go():\n    pass\n")
    assert build_index(files, cache_dir=cache).is_coroutine_function("pkg.a.go")
    for bad in ("{not json", '["too", "short"]', '[1, 2, 3]', '"text"'):
        # Entries are decoded when first used: a malformed one then reads its file again.
        lines = _index_lines(cache)
        _write_index_lines(cache, [[*fields[:4], bad if fields[3] == "pkg.a" else fields[4]] for fields in lines])
        assert build_index(files, cache_dir=cache).is_coroutine_function("pkg.a.go"), bad


def test_index_cache_is_not_rewritten_for_a_few_files_whose_definitions_did_not_change(tmp_path, monkeypatch):
    from asynclint.analysis.index import store

    monkeypatch.setattr(store, "_REWRITE_PER_REFRESHED", 2)  # rewritten when over half of the files
    write(tmp_path, {"a.py": "async def go():\n    pass\n", "b.py": "x = 1\n", "c.py": "y = 2\n"})
    files = [str(tmp_path / name) for name in ("a.py", "b.py", "c.py")]
    cache = tmp_path / ".asynclint_cache"
    build_index(files, cache_dir=cache).load()
    written = (cache / "index.txt").read_text()
    (tmp_path / "a.py").write_text("async def go():\n    return 2  # a body edit\n")
    touched = build_index(files, cache_dir=cache).load()
    assert touched.is_coroutine_function("a.go") and (cache / "index.txt").read_text() == written
    assert touched.facts.keys() == {str((tmp_path / "a.py").resolve())}  # read again, as it will be next time
    assert build_index(files, cache_dir=cache).load().facts.keys() == touched.facts.keys()
    for name, text in (("b.py", "x = 3\n"), ("c.py", "y = 4\n")):
        (tmp_path / name).write_text(text)
    assert len(build_index(files, cache_dir=cache).load().facts) == 3  # all three read again: rewritten
    assert (cache / "index.txt").read_text() != written and not build_index(files, cache_dir=cache).load().facts
    (tmp_path / "a.py").write_text("def go():\n    pass\n")  # a new definition: rewritten
    assert not build_index(files, cache_dir=cache).is_coroutine_function("a.go")
    assert not build_index(files, cache_dir=cache).load().facts


def test_index_cache_leaves_out_paths_its_lines_cannot_hold(tmp_path):
    write(tmp_path, {"tab\there.py": "async def go():\n    pass\n", "b.py": "from tab import go\n"})
    files = [str(tmp_path / "tab\there.py"), str(tmp_path / "b.py")]
    cache = tmp_path / ".asynclint_cache"
    assert build_index(files, cache_dir=cache).module("tab\there") is not None
    assert [fields[3] for fields in _index_lines(cache)] == ["b"]  # one line per file it can hold
    assert build_index(files, cache_dir=cache).module("tab\there") is not None  # read again


def test_coroutine_names_are_stored_with_the_definitions_they_come_from(tmp_path, monkeypatch):
    from asynclint.analysis.index import model

    write(tmp_path, {"a.py": "async def go():\n    pass\n", "b.py": "from a import go as run\n"})
    files = [str(tmp_path / "a.py"), str(tmp_path / "b.py")]
    cache = tmp_path / ".asynclint_cache"
    assert build_index(files, cache_dir=cache).coroutine_names() == {"go", "run"}

    def resolving(*args):  # type: ignore[no-untyped-def]
        raise AssertionError("the names were resolved again")

    with monkeypatch.context() as patched:
        patched.setattr(model, "_async_names", resolving)
        (tmp_path / "a.py").write_text("async def go():\n    return 1  # a body edit: same definitions\n")
        assert build_index(files, cache_dir=cache).coroutine_names() == {"go", "run"}
    (tmp_path / "a.py").write_text("def go():\n    pass\n")
    assert build_index(files, cache_dir=cache).coroutine_names() == frozenset()
    header, names, *lines = (cache / "index.txt").read_text().split("\n")
    key, check, text = names.split(" ", 2)
    stored = json.loads(text)
    stored["coroutine_names"] = ["go"]  # not what was written for these definitions
    (cache / "index.txt").write_text("\n".join([header, f"{key} {check} {json.dumps(stored)}", *lines]))
    (tmp_path / "b.py").write_text("from a import go as run  # touched\n")
    assert build_index(files, cache_dir=cache).coroutine_names() == frozenset()
    header, names, *lines = (cache / "index.txt").read_text().split("\n")
    key, check, text = names.split(" ", 2)
    for malformed in ({**json.loads(text), "ascii": "yes"}, {**json.loads(text), "declared_members": {"x": [1]}}, [], "text"):
        text = json.dumps(malformed)  # checked as written, but not what `derive` writes
        (cache / "index.txt").write_text("\n".join([header, f"{key} {hashlib.sha1(text.encode()).hexdigest()} {text}", *lines]))
        (tmp_path / "b.py").write_text(f"from a import go as run  # touched {text}\n")
        assert build_index(files, cache_dir=cache).coroutine_names() == frozenset()


def test_declared_sets_are_stored_with_the_definitions_they_come_from(tmp_path, monkeypatch):
    """What every module declares (the pre-screens' project-wide sets) is computed when definitions
    change, and read back as it was when only bodies or lines changed: never decoded from every module."""
    from asynclint.analysis.index import declared, model

    write(
        tmp_path,
        {
            "bot.py": "from typing import Any, Coroutine\n\nReply = Coroutine[Any, Any, None]\n\n"
            "class Bot:\n    async def send(self):\n        pass\n\n    def close(self):\n        pass\n",
            "app.py": "from bot import Bot\n\nclass App:\n    bot: Bot\n\n    def make(self) -> Bot:\n        return Bot()\n",
        },
    )
    files = [str(tmp_path / "bot.py"), str(tmp_path / "app.py")]
    cache = tmp_path / ".asynclint_cache"

    def sets(index):  # type: ignore[no-untyped-def]
        return (
            index.declared_type_names(),
            index.declared_async_methods(),
            index.declared_members(),
            index.coroutine_aliases(),
            index.sync_method_names(),
            index.async_method_classes(),
        )

    cold = sets(build_index(files, cache_dir=cache))
    assert cold == sets(build_index(files))  # as computed without a cache
    assert cold[1] == {"send"} and cold[2]["bot"] == {"bot.Bot"} and cold[3] and cold[4] == {"close", "make"}
    assert cold[5] == {"send": {"bot.Bot"}}

    def computing(*args):  # type: ignore[no-untyped-def]
        raise AssertionError("computed again")

    with monkeypatch.context() as patched:
        for name in ("declared_type_names", "declared_async_methods", "declared_members", "coroutine_aliases"):
            patched.setattr(declared, name, computing)
        patched.setattr(model, "_sync_method_names", computing)
        patched.setattr(model, "_async_method_classes", computing)
        (tmp_path / "app.py").write_text((tmp_path / "app.py").read_text().replace("return Bot()", "return Bot()  # same"))
        assert sets(build_index(files, cache_dir=cache)) == cold
        (tmp_path / "bot.py").write_text("\n\n" + (tmp_path / "bot.py").read_text())  # lines moved
        assert sets(build_index(files, cache_dir=cache)) == cold
    (tmp_path / "bot.py").write_text("class Bot:\n    def send(self):\n        pass\n")  # no longer `async def`
    changed = sets(build_index(files, cache_dir=cache))
    assert changed == sets(build_index(files)) and changed[1] == frozenset() and changed[3] == frozenset()
    assert changed[4] == {"send", "make"} and changed[5] == {}
    (tmp_path / "app.py").write_text("from bot import Bot\n\nclass App:\n    robot: Bot\n")
    renamed = sets(build_index(files, cache_dir=cache))
    assert renamed == sets(build_index(files)) and "bot" not in renamed[2] and renamed[2]["robot"] == {"bot.Bot"}


def test_index_cache_remembers_unreadable_files_and_renamed_modules(tmp_path):
    write(tmp_path, {"pkg/a.py": "async def go():\n    pass\n", "pkg/new.py": "def f(:\n"})
    files = [str(tmp_path / "pkg/a.py"), str(tmp_path / "pkg/new.py")]
    cache = tmp_path / ".asynclint_cache"
    assert build_index(files, cache_dir=cache).is_coroutine_function("a.go")
    assert [fields[4] for fields in _index_lines(cache) if fields[3] == "new"] == [""]  # unreadable, remembered
    warm = build_index(files, cache_dir=cache)
    assert warm.is_coroutine_function("a.go") and not warm.facts  # nothing read again
    (tmp_path / "pkg/__init__.py").write_text("")  # `a` is now `pkg.a`: same file, new module name
    renamed = build_index(files, cache_dir=cache)
    assert renamed.is_coroutine_function("pkg.a.go") and not renamed.is_coroutine_function("a.go")


def test_coroutine_functions_and_ignore_coroutines_settings(tmp_path):
    write(
        tmp_path,
        {
            "pyproject.toml": """\
                [tool.asynclint]
                coroutine-functions = ["vendor.client.*"]
                ignore-coroutines = ["app.jobs.fire_and_forget"]
                """,
            "app/__init__.py": "",
            "app/jobs.py": """\
                import asyncio
                from vendor.client import send

                async def fire_and_forget():
                    pass

                async def main():
                    send("x")
                    fire_and_forget()
                    asyncio.create_task(fire_and_forget())
                """,
        },
    )
    assert codes(tmp_path) == [("app/jobs.py", 8, "ASL201")]
    result = CliRunner().invoke(cli, ["check", "--format", "json", str(tmp_path)])
    assert json.loads(result.stdout)[0]["fix"] == "unsafe"  # known only through the setting


def test_flake8_resolves_across_modules_and_caches_the_index(tmp_path):
    write(tmp_path, {"pyproject.toml": "[project]\nname = 'x'\n", **PACKAGE})
    flake8 = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "ASL", "--isolated", "app/views.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    lines = sorted(line.split(": ")[1].split()[0] + "@" + line.split(":")[1] for line in flake8.stdout.splitlines())
    assert lines == ["ASL201@10", "ASL201@11", "ASL201@12", "ASL201@7", "ASL202@15", "ASL204@13"]
    assert (tmp_path / ".asynclint_cache" / "index.txt").is_file()


def test_flake8_reports_a_bad_config_in_one_line(tmp_path):
    write(tmp_path, {"pyproject.toml": "[tool.asynclint]\nselct = ['ASL1']\n", "a.py": "x = 1\n"})
    flake8 = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "ASL", "--isolated", "a.py"],
        cwd=tmp_path, capture_output=True, text=True,
    )
    output = flake8.stdout + flake8.stderr
    assert flake8.returncode != 0
    assert "Traceback" not in output
    assert "unknown key in [tool.asynclint]: 'selct'" in output


def test_an_index_read_by_two_processes_equals_one_read_here(tmp_path):
    from asynclint.engine.project import _READ_IN_PROCESS_BELOW

    count = _READ_IN_PROCESS_BELOW + 6  # enough to start workers
    write(tmp_path, {f"pkg/m{i}.py": f"async def f{i}():\n    pass\n\n\ndef g{i}():\n    f{i}()\n" for i in range(count)})
    write(tmp_path, {"pkg/__init__.py": "", "pkg/bad.py": "def f(:\n"})
    files = sorted(str(p) for p in (tmp_path / "pkg").glob("*.py"))
    one, two = build_index(files, jobs=1), build_index(files, jobs=2)
    assert one.modules == two.modules and len(two.modules) == count + 1  # the unreadable file is no module
    assert two.is_coroutine_function(f"pkg.m{count - 1}.f{count - 1}")
    assert one.facts.keys() == two.facts.keys() and len(two.facts) == count + 1
    assert all(one.facts[k][0] == two.facts[k][0] for k in one.facts)  # same content read
    assert all(isinstance(facts, bytes) for _, facts in two.facts.values())  # kept pickled in this process
    assert gc.get_freeze_count() == 0  # what the pool froze out of the collector is back in
    read = [(path, Path(path).read_bytes()) for path in files if not path.endswith("bad.py")]
    assert all(read_facts(data, path, one) == read_facts(data, path, two) is not None for path, data in read)


def test_an_async_generator_is_not_indexed_as_a_coroutine_function(tmp_path):
    from asynclint.analysis.index.indexer import ASYNC, UNKNOWN, index_source

    source = b"async def gen():\n    yield 1\n\n\nasync def coro():\n    def inner():\n        yield 2\n    return inner\n"
    entry = index_source(source, "m.py")
    assert entry is not None and entry[1].functions == {"gen": UNKNOWN, "coro": ASYNC, "coro.<locals>.inner": "sync"}
    (tmp_path / "m.py").write_bytes(source)
    (tmp_path / "n.py").write_bytes(source.replace(b"yield", b"return"))  # no `yield` anywhere: nothing walked
    index = build_index([str(tmp_path / "m.py"), str(tmp_path / "n.py")])
    assert index.kind("m.gen") == UNKNOWN and index.kind("m.coro") == ASYNC
    assert index.kind("n.gen") == ASYNC and index.kind("n.coro") == ASYNC


def test_never_suspends_knows_the_async_defs_whose_own_code_never_awaits(tmp_path):
    write(
        tmp_path,
        {
            "pkg/__init__.py": "from .a import shape as reexported\n",
            "pkg/b.py": "async def idle(row):\n    return row\n",
            "pkg/a.py": """
                import asyncio

                from .b import idle as reexported_idle

                async def shape(row):
                    async def later():
                        await row.fetch()
                    return row

                async def waits(client):
                    await client.get()

                async def sleeps_only():
                    await asyncio.sleep(0)

                async def through_idle_ones(row):
                    await shape(row)
                    return await reexported_idle(row)

                async def through_one_that_waits(row):
                    await shape(row)
                    await waits(row)

                async def loops(rows):
                    async for row in rows:
                        pass

                async def enters(lock):
                    async with lock:
                        pass

                def sync():
                    return 1

                async def gen():
                    yield 1

                class Store:
                    async def render(self, item):
                        return str(item)

                    async def save(self, item):
                        await asyncio.sleep(0)

                class Child(Store):
                    pass
            """,
        },
    )
    files = [str(tmp_path / f"pkg/{name}.py") for name in ("__init__", "a", "b")]
    for cache in (None, tmp_path / "cache", tmp_path / "cache"):  # uncached, cold, warm
        index = build_index(files, cache_dir=cache)
        assert index.never_suspends("pkg.a.shape") and index.never_suspends("pkg.reexported")
        assert index.never_suspends("pkg.a.Store.render") and not index.never_suspends("pkg.a.sleeps_only")
        assert index.never_suspends("pkg.a.through_idle_ones")
        assert not index.never_suspends("pkg.a.shape.<locals>.later")
        assert index.reaches("pkg.a.through_one_that_waits") == {"pkg.a.shape", "pkg.a.waits"}
        assert index.reaches("pkg.a.through_idle_ones") == {"pkg.a.shape", "pkg.b.idle"}
        assert index.reaches("pkg.a.waits") == index.reaches("pkg.a.sleeps_only") == frozenset()
        for name in ("waits", "through_one_that_waits", "loops", "enters", "sync", "gen", "Store.save", "Child.render", "missing"):
            assert not index.never_suspends(f"pkg.a.{name}"), name


def test_a_callee_that_starts_awaiting_is_checked_again(tmp_path):
    write(
        tmp_path,
        {
            "helpers.py": "async def shape(row):\n    return row\n",
            "main.py": "from helpers import shape\n\nasync def main(rows):\n    return [await shape(r) for r in rows]\n",
        },
    )
    cache = str(tmp_path / "cache")
    assert codes(tmp_path, "--select", "ASL301", "--cache-dir", cache) == []
    write(tmp_path, {"helpers.py": "import asyncio\n\nasync def shape(row):\n    await asyncio.sleep(0)\n    return row\n"})
    assert [c for _, _, c in codes(tmp_path, "--select", "ASL301", "--cache-dir", cache)] == ["ASL301"]


def test_a_callee_whose_callee_starts_awaiting_is_checked_again(tmp_path):
    write(
        tmp_path,
        {
            "deep.py": "async def leaf(row):\n    return row\n",
            "helpers.py": "from deep import leaf\n\nasync def shape(row):\n    return await leaf(row)\n",
            "main.py": "from helpers import shape\n\nasync def main(rows):\n    return [await shape(r) for r in rows]\n",
        },
    )
    cache = str(tmp_path / "cache")
    assert codes(tmp_path, "--select", "ASL301", "--cache-dir", cache) == []
    write(tmp_path, {"deep.py": "async def leaf(row):\n    await row.save()\n    return row\n"})
    assert [c for _, _, c in codes(tmp_path, "--select", "ASL301", "--cache-dir", cache)] == ["ASL301"]
def test_a_def_that_always_raises_is_indexed_as_raising():
    from asynclint.analysis.index.indexer import RAISES, SYNC, index_source

    source = (
        b"def fail(m):\n    raise ValueError(m)\n\n\ndef either(m, x):\n    if x:\n        raise KeyError(m)\n    else:\n"
        b"        raise ValueError(m)\n\n\ndef maybe(m, x):\n    if x:\n        return None\n    raise ValueError(m)\n\n\n"
        b"def one_branch(m, x):\n    if x:\n        raise ValueError(m)\n\n\ndef gen(m):\n    yield m\n    raise ValueError(m)\n\n\n"
        b"class C:\n    def _fail(self, m):\n        raise ValueError(m)\n"
    )
    entry = index_source(source, "m.py")
    assert entry is not None
    functions = entry[1].functions
    assert functions == {"fail": RAISES, "either": RAISES, "maybe": SYNC, "one_branch": SYNC, "gen": SYNC}
    assert entry[1].classes["C"]["methods"] == {"_fail": RAISES}


def test_a_module_is_indexed_to_the_same_text_whatever_the_hash_seed(tmp_path):
    """The index's text decides re-checks (its shape goes into the definitions key): it must not
    depend on set order, which changes with the string hash seed from one process to the next."""
    attributes = "\n".join(f"        self.a{i}: Lock = Lock()\n        self.b{i} = Event()" for i in range(40))
    module = tmp_path / "mod.py"
    module.write_text(
        "from asyncio import Event, Lock\n\n"
        + "\n".join(f"g{i}: Lock = Lock()\nh{i} = Event()" for i in range(40))
        + f"\n\n\nclass Box:\n    c: Event\n\n    def __init__(self):\n{attributes}\n"
    )
    script = (
        "import ast, sys\n"
        "from asynclint.analysis.index.indexer import index_tree\n"
        "tree = ast.parse(open(sys.argv[1]).read())\n"
        "print(index_tree(tree, sys.argv[1], 'mod', may_yield=False)[1].to_text())\n"
    )
    texts = {
        subprocess.run(
            [sys.executable, "-c", script, str(module)],
            capture_output=True, text=True, check=True, env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2", "3", "4")
    }
    assert len(texts) == 1 and "Box.a39" in texts.pop()


def test_declared_coroutine_returns_are_read_strictly():
    """`-> Coroutine[...]` (any spelling, aliases) is a coroutine's return; a `Union` or `Optional` of one is
    not; and marking a `Union`'s members keeps `Optional[X]` agreeing with `X` for an attribute."""
    from asynclint.analysis.index.declared import COROUTINE
    from asynclint.analysis.index.indexer import index_source
    from asynclint.analysis.index.model import ProjectIndex

    source = (
        "from typing import Any, Coroutine, Optional, Union\n"
        "import collections.abc as cabc\n"
        "Response = Coroutine[Any, Any, int]\n"
        "class Bot: ...\n"
        "class C:\n"
        "    def __init__(self, a: Optional[Bot], b: Bot) -> None:\n"
        "        self.bot = a\n"
        "    def again(self, b: Bot) -> None:\n"
        "        self.bot = b\n"
        "    def plain(self) -> Coroutine[Any, Any, None]: ...\n"
        "    def spelled(self) -> 'cabc.Coroutine[Any, Any, None]': ...\n"
        "    def aliased(self) -> Response: ...\n"
        "    def optional(self) -> Optional[Coroutine[Any, Any, None]]: ...\n"
        "    def union(self) -> Union[Response, int]: ...\n"
        "    def piped(self) -> Response | None: ...\n"
    )
    name, info = index_source(source, "m.py")
    index = ProjectIndex()
    index.add(name, info, "m.py")
    assert info.declared["Response="] == [COROUTINE]
    for method in ("plain", "spelled", "aliased"):
        assert index.method_makes_coroutine("m.C", method), method
    for method in ("optional", "union", "piped", "again"):
        assert not index.method_makes_coroutine("m.C", method), method
    assert index.attribute_types("m.C", "bot") == ("m.Bot",)


def test_index_cache_infos_are_read_when_used_from_the_file_that_was_read(tmp_path):
    """A warm index reads each module's info from its cache file only when first used; another run
    that rewrites that file meanwhile (atomically) leaves what this index reads unchanged."""
    write(tmp_path, {"a.py": "async def go():\n    pass\n", "b.py": "def stay():\n    pass\n"})
    files = [str(tmp_path / "a.py"), str(tmp_path / "b.py")]
    cache = tmp_path / ".asynclint_cache"
    build_index(files, cache_dir=cache).load()
    warm = build_index(files, cache_dir=cache).load()
    assert not warm.facts  # nothing read again
    (tmp_path / "a.py").write_text("def go():\n    pass\n\n\ndef more():\n    pass\n")
    assert build_index(files, cache_dir=cache).kind("a.go") == "sync"  # the cache file rewritten
    assert warm.kind("a.go") == "async" and warm.kind("a.more") is None  # as it was read
    assert warm.kind("b.stay") == "sync"
    again = build_index(files, cache_dir=cache)
    assert again.kind("a.go") == "sync" and again.kind("a.more") == "sync" and not again.load().facts


def test_a_stored_info_pickles_as_its_text(tmp_path):
    """A worker that is not forked gets the index pickled: an info still in the cache's file travels as its text."""
    import pickle

    write(tmp_path, {"a.py": "async def go():\n    pass\n\n\nclass C:\n    def m(self):\n        pass\n"})
    files = [str(tmp_path / "a.py")]
    cache = tmp_path / ".asynclint_cache"
    build_index(files, cache_dir=cache).load()
    warm = build_index(files, cache_dir=cache).load()
    (_, stored) = warm.by_path[str((tmp_path / "a.py").resolve())]
    copy = pickle.loads(pickle.dumps(stored))
    assert copy.to_text() == stored.to_text() and copy == stored and copy.functions == {"go": "async"}
    decoded = pickle.loads(pickle.dumps(copy))  # (decoded: its tables travel)
    assert decoded.classes == {"C": {"bases": [], "methods": {"m": "sync"}}}


def test_reading_files_for_the_index_leaves_no_cyclic_garbage():
    # The collector is off while the index reads files (`_read_batch`): that is only sound while
    # reading makes no reference cycles, which would then pile up until the index is built.
    from asynclint.engine.project import _read_batch

    files = sorted(str(p) for p in (Path(__file__).parent.parent / "fixtures").glob("*/*.py"))
    assert len(files) > 50
    gc.collect()
    saved = gc.get_debug()
    gc.set_debug(gc.DEBUG_SAVEALL)  # (what the collector finds is kept in gc.garbage, to be counted)
    try:
        read = _read_batch([(path, module_name(path)) for path in files])
        assert gc.isenabled()  # (back on after reading)
        gc.collect()
        cyclic = len(gc.garbage)
    finally:
        gc.set_debug(saved)
        gc.garbage.clear()
    assert len(read) == len(files) and all(facts is not None for _, _, facts in read.values())
    assert cyclic == 0


def test_class_look_ups_kept_for_the_run_follow_a_changed_index_and_a_file_s_own_view():
    """`class_definition` answers are kept (asked about a million times a cold run), but never past a
    change of the index (`add`: the server, a fix), nor from the project's answers in a view whose
    own module differs from the project's (an unsaved buffer)."""
    from asynclint.analysis.index.indexer import index_source
    from asynclint.analysis.index.model import ProjectIndex

    index = ProjectIndex()
    index.add(*index_source("from b import Store as Kept\n", "a.py"), "a.py")
    index.add(*index_source("def Store():\n    pass\n", "b.py"), "b.py")
    assert index.class_definition("a.Kept") is None and index.class_entry("b.Store") is None
    index.add(*index_source("class Store:\n    async def get(self):\n        pass\n", "b.py"), "b.py")
    assert index.class_definition("a.Kept") == ("b.Store", {"bases": [], "methods": {"get": "async"}})
    assert index.method_kind("a.Kept", "get") == "async"
    saved = index.for_file("b.py")
    assert saved.class_definition("b.Store") is not None
    buffer = index.for_source("b.py", "class Other:\n    pass\n")
    assert buffer.class_definition("b.Store") is None and buffer.class_definition("a.Kept") is None
    assert buffer.class_definition("b.Other") is not None and index.class_definition("b.Other") is None
    assert index.class_definition("a.Kept") is not None  # (the project's answers are its own still)
