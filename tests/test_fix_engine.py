"""The fix engine through its public entry points: fix_source and `asynclint fix`."""

from __future__ import annotations

import os
import stat
import subprocess
import textwrap
from pathlib import Path

import libcst as cst
import pytest
from click.testing import CliRunner

from asynclint.app.cli import cli
from asynclint.app.fixes.apply import MAX_PASSES, fix_source
from asynclint.core.config import Config
from asynclint.rules.base import Fix
from asynclint.rules.blocking.rule import BlockingSleep

ALL = Config(select=("ALL",))


def fixed(source: str, unsafe: bool = True, config: Config = ALL) -> str:
    """Fix with unsafe fixes on by default: most tests here are about mechanics, not safety."""
    outcome = fix_source(textwrap.dedent(source), "t.py", config, unsafe=unsafe, raise_errors=True)
    assert outcome.error is None, outcome.error
    assert isinstance(outcome.fixed, str)
    return outcome.fixed


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


# Imports: reuse what the module has, add what it lacks, where isort would put it.


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (  # an existing plain import is reused
            "import asyncio\nimport time\n\nasync def f():\n    time.sleep(1)\n",
            "import asyncio\nimport time\n\nasync def f():\n    await asyncio.sleep(1)\n",
        ),
        (  # an alias is reused
            "import asyncio as aio\nimport time\n\nasync def f():\n    time.sleep(1)\n",
            "import asyncio as aio\nimport time\n\nasync def f():\n    await aio.sleep(1)\n",
        ),
        (  # `from asyncio import sleep` is reused
            "from asyncio import sleep\nimport time\n\nasync def f():\n    time.sleep(1)\n",
            "from asyncio import sleep\nimport time\n\nasync def f():\n    await sleep(1)\n",
        ),
        (  # a from-import of something else does not count: a plain import is added
            "from asyncio import Queue\nimport time\n\nasync def f():\n    time.sleep(1)\n",
            "import asyncio\nfrom asyncio import Queue\nimport time\n\nasync def f():\n    await asyncio.sleep(1)\n",
        ),
        (  # alphabetical among plain imports, after docstring and __future__
            '"""Doc."""\nfrom __future__ import annotations\n\nimport os\nimport time\n\nasync def f():\n    time.sleep(1)\n',
            '"""Doc."""\nfrom __future__ import annotations\n\nimport asyncio\nimport os\nimport time\n\nasync def f():\n'
            "    await asyncio.sleep(1)\n",
        ),
        (  # after `a...` imports, before `t...`
            "import abc\nimport time\n\nasync def f():\n    time.sleep(1)\n",
            "import abc\nimport asyncio\nimport time\n\nasync def f():\n    await asyncio.sleep(1)\n",
        ),
    ],
)
def test_imports(source, expected):
    assert fixed(source) == expected


def test_import_added_to_a_file_without_imports():
    source = '"""Doc."""\n\n\nasync def f(time):\n    pass\n'
    # Nothing to fix here (the name is a parameter), so nothing changes.
    assert fixed(source) == source
    source = '"""Doc."""\nfrom time import sleep as nap\nasync def f():\n    nap(1)\n'
    assert fixed(source) == (
        '"""Doc."""\nimport asyncio\nfrom time import sleep as nap\nasync def f():\n    await asyncio.sleep(1)\n'
    )


def test_import_inside_a_function_only():
    source = "async def f():\n    import time\n    time.sleep(1)\n"
    assert fixed(source) == "import asyncio\n\n\nasync def f():\n    import time\n    await asyncio.sleep(1)\n"


def test_sleep_fix_is_safe_only_when_the_module_names_its_library():
    guessed = "import time\n\nasync def f():\n    time.sleep(1)\n"
    assert fixed(guessed, unsafe=False) == guessed  # could be trio code: not safe to pick asyncio
    assert fixed(guessed) == "import asyncio\nimport time\n\nasync def f():\n    await asyncio.sleep(1)\n"
    for library in ("asyncio", "trio", "anyio"):
        known = f"import {library}\nimport time\n\nasync def f():\n    time.sleep(1)\n"
        assert fixed(known, unsafe=False) == known.replace("time.sleep(1)", f"await {library}.sleep(1)")


def test_no_fix_when_the_library_name_is_shadowed():
    source = "import time\n\nasync def f(asyncio):\n    time.sleep(1)\n"
    outcome = fix_source(source, "t.py", ALL, raise_errors=True)
    assert outcome.fixed == source
    assert [(d.code, d.fix) for d in outcome.remaining] == [("ASL101", None)]


def test_no_fix_that_would_change_a_generator_into_an_async_generator():
    source = "import time\n\nasync def f(xs):\n    return any(time.sleep(0) for x in xs)\n"
    assert fixed(source) == source


def test_existing_binding_is_not_reused_where_it_is_shadowed():
    source = "import asyncio as aio\nimport time\n\nasync def f(aio):\n    time.sleep(1)\n"
    # `aio` is a parameter here: the module's `asyncio` is imported plainly and used.
    assert fixed(source) == (
        "import asyncio\nimport asyncio as aio\nimport time\n\nasync def f(aio):\n    await asyncio.sleep(1)\n"
    )


# Expressions: `await` binds looser than attribute access, subscripts and calls.


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("x = requests.get(u).json()", "x = (await asyncio.to_thread(requests.get, u)).json()"),
        ("x = requests.get(u)['k']", "x = (await asyncio.to_thread(requests.get, u))['k']"),
        ("x = (requests.get(u)).ok", "x = (await asyncio.to_thread(requests.get, u)).ok"),
        ("x = not requests.get(u)", "x = not await asyncio.to_thread(requests.get, u)"),
        ("x = [requests.get(u) for u in us]", "x = [await asyncio.to_thread(requests.get, u) for u in us]"),
        ("x = f(requests.get(u), k=requests.head(u))",
         "x = f(await asyncio.to_thread(requests.get, u), k=await asyncio.to_thread(requests.head, u))"),
    ],
)
def test_await_precedence(source, expected):
    prefix = "import asyncio\nimport requests\n\nasync def handler(u, us, f):\n    "
    blocking_only = Config(select=("ASL1",))
    assert fixed(prefix + source + "\n", unsafe=True, config=blocking_only) == prefix + expected + "\n"


def test_fixes_chain_to_a_fixpoint():
    # ASL102 awaits the call in a worker thread; the comprehension now awaits in a loop (ASL301).
    prefix = "import asyncio\nimport requests\n\nasync def handler(us):\n    "
    source = prefix + "return [requests.get(u) for u in us]\n"
    assert fixed(source) == prefix + "return await asyncio.gather(*[asyncio.to_thread(requests.get, u) for u in us])\n"


def test_nested_fixes_take_two_passes():
    source = "import asyncio\nimport requests\n\nasync def f(u):\n    requests.post(u, data=requests.get(u).text)\n"
    assert fixed(source, unsafe=True) == (
        "import asyncio\nimport requests\n\nasync def f(u):\n    await asyncio.to_thread(requests.post, u, "
        "data=(await asyncio.to_thread(requests.get, u)).text)\n"
    )


def test_unsafe_fixes_need_the_flag():
    source = "import requests\n\nasync def f(u):\n    requests.get(u)\n"
    assert fixed(source, unsafe=False) == source
    assert "to_thread" in fixed(source, unsafe=True)


def test_trio_keyword_arguments_get_no_fix():
    source = "import requests\nimport trio\n\nasync def f(u):\n    requests.get(u, timeout=5)\n    requests.get(u)\n"
    assert fixed(source, unsafe=True) == (
        "import requests\nimport trio\n\nasync def f(u):\n    requests.get(u, timeout=5)\n"
        "    await trio.to_thread.run_sync(requests.get, u)\n"
    )


def test_noqa_findings_are_not_fixed():
    source = "import asyncio\nimport time\n\nasync def f():\n    time.sleep(1)  # noqa: ASL101\n"
    assert fixed(source) == source


# Bytes: untouched lines stay identical, whatever the line endings and encoding.


def test_crlf_bom_and_encoding_cookie_are_kept():
    body = "import time\r\n\r\nasync def f():\r\n    time.sleep(1)  # keep me\r\n"
    source = b"\xef\xbb\xbf# -*- coding: utf-8 -*-\r\n" + body.encode()
    outcome = fix_source(source, "t.py", ALL, unsafe=True, raise_errors=True)
    assert outcome.fixed == (
        b"\xef\xbb\xbf# -*- coding: utf-8 -*-\r\nimport asyncio\r\nimport time\r\n\r\nasync def f():\r\n"
        b"    await asyncio.sleep(1)  # keep me\r\n"
    )
    latin = "# -*- coding: latin-1 -*-\nimport time\n# caf\xe9\nasync def f():\n    time.sleep(1)\n".encode("latin-1")
    outcome = fix_source(latin, "t.py", ALL, unsafe=True, raise_errors=True)
    assert outcome.fixed == latin.replace(b"import time\n", b"import asyncio\nimport time\n").replace(
        b"    time.sleep(1)", b"    await asyncio.sleep(1)"
    )


def test_file_without_trailing_newline():
    source = "import time\n\nasync def f():\n    time.sleep(1)"
    assert fixed(source) == "import asyncio\nimport time\n\nasync def f():\n    await asyncio.sleep(1)"


# Verification: a bad fix never reaches the file.


def _break_fix(monkeypatch, make):
    original = BlockingSleep.fix_for

    def broken(self, call, qualified, kind):
        fix = original(self, call, qualified, kind)
        return None if fix is None else make(fix)

    monkeypatch.setattr(BlockingSleep, "fix_for", broken)


def test_a_fix_that_does_not_remove_its_finding_is_refused(monkeypatch):
    # The "fix" rewrites the call as itself: the finding stays, pass after pass.
    _break_fix(monkeypatch, lambda fix: Fix(fix.node, fix.node.deep_clone()))
    source = "import time\n\nasync def f():\n    time.sleep(1)\n"
    outcome = fix_source(source, "t.py", ALL)
    assert outcome.fixed == source
    assert outcome.error == "t.py: fix for ASL101 did not remove its finding; file left unchanged"


def test_verifier_refuses_changes_outside_the_edits():
    from asynclint.app.fixes.verify import untouched_lines_identical
    from asynclint.core.diagnostic import FixSafety
    from asynclint.rules.base import Edit

    node = cst.Name("x")
    edit = Edit(Fix(node, node), "ASL101", FixSafety.SAFE, (2, 4), (2, 9))
    old = "a = 1\nb = 2\nc = 3\n"
    assert untouched_lines_identical(old, "a = 1\nb = 20\nc = 3\n", [edit]) is None
    requested = frozenset({"import asyncio"})
    assert untouched_lines_identical(old, "import asyncio\na = 1\nb = 20\nc = 3\n", [edit], requested) is None
    assert untouched_lines_identical(old, "import os\na = 1\nb = 20\nc = 3\n", [edit], requested) == (
        "unexpected lines inserted before line 1"
    )
    grown = Edit(Fix(node, cst.parse_expression("(\n  20)")), "ASL101", FixSafety.SAFE, (2, 4), (2, 9))
    assert untouched_lines_identical(old, "a = 1\nb = (\n  20)\nc = 3\n", [grown]) is None
    assert untouched_lines_identical(old, "a = 1\nb = (\n  20)\nc = 3\n", [edit]) == "line 3 changed outside the fixed code"
    assert untouched_lines_identical(old, "a = 1\nb = 20\nc = 4\n", [edit]) == "line 3 changed outside the fixed code"
    assert untouched_lines_identical(old, "a = 1\r\nb = 20\nc = 3\n", [edit]) == "line 1 changed outside the fixed code"
    assert untouched_lines_identical(old, "x()\na = 1\nb = 20\nc = 3\n", [edit]) == (
        "unexpected lines inserted before line 1"
    )


def test_a_fix_that_keeps_creating_work_is_stopped(monkeypatch):
    # Each pass wraps the call in another time.sleep: never settles.
    def grow(fix):
        call = fix.node
        return Fix(call, cst.Call(func=call.func, args=[cst.Arg(call.deep_clone())]))

    _break_fix(monkeypatch, grow)
    source = "import time\n\nasync def f():\n    time.sleep(1)\n"
    outcome = fix_source(source, "t.py", ALL)
    assert outcome.fixed == source
    assert outcome.error is not None
    assert MAX_PASSES == 10


# The command: writes, diffs, exit codes, summaries.

BAD = "import asyncio\nimport time\n\n\nasync def main():\n    time.sleep(1)\n"
MIXED = "import asyncio\nimport requests\nimport time\n\n\nasync def main(u):\n    time.sleep(1)\n    requests.get(u)\n"


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_fix_writes_and_summarizes(project):
    (project / "a.py").write_text(MIXED)
    result = run("fix", "a.py")
    assert result.exit_code == 1  # the unsafe finding is left
    assert (project / "a.py").read_text() == MIXED.replace("    time.sleep(1)", "    await asyncio.sleep(1)")
    assert "a.py:8:5: ASL102 " in result.stdout
    assert "1 fix applied in 1 file, 1 finding left without a fix (1 fixable with `--unsafe-fixes`)." in result.stdout
    again = run("fix", "--unsafe-fixes", "a.py")
    assert again.exit_code == 0
    assert "1 fix applied in 1 file, 0 findings left without a fix." in again.stdout
    assert run("fix", "--unsafe-fixes", "a.py").stdout == "0 fixes applied in 0 files, 0 findings left without a fix.\n"


def test_check_fix_is_fix(project):
    (project / "a.py").write_text(BAD)
    result = run("check", "--fix", "a.py")
    assert result.exit_code == 0
    assert "await asyncio.sleep(1)" in (project / "a.py").read_text()


def test_check_marks_fixable_findings(project):
    (project / "a.py").write_text(MIXED)
    result = run("check", "a.py")
    assert "a.py:7:5: ASL101 [*] `time.sleep()`" in result.stdout
    assert "a.py:8:5: ASL102 `requests.get()`" in result.stdout
    assert "[*] 1 fixable with `asynclint fix` (1 more with `--unsafe-fixes`)." in result.stdout
    assert "[*] 2 fixable with `asynclint fix --unsafe-fixes`." in run("check", "--unsafe-fixes", "a.py").stdout


def test_select_limits_the_fixes(project):
    (project / "a.py").write_text(MIXED)
    run("fix", "--unsafe-fixes", "--select", "ASL102", "a.py")
    text = (project / "a.py").read_text()
    assert "time.sleep(1)" in text and "to_thread(requests.get, u)" in text


def test_diff_writes_nothing_and_applies_with_patch_and_git(project):
    (project / "pkg").mkdir()
    (project / "pkg" / "a.py").write_text(MIXED)
    (project / "pkg" / "b.py").write_bytes(BAD.replace("\n", "\r\n").encode())
    (project / "pkg" / "c.py").write_text(BAD.rstrip("\n"))
    (project / "clean.py").write_text("x = 1\n")
    before = {p: p.read_bytes() for p in project.rglob("*.py")}
    result = run("fix", "--unsafe-fixes", "--diff", ".")
    assert result.exit_code == 1
    assert {p: p.read_bytes() for p in project.rglob("*.py")} == before
    assert "4 fixes would be applied in 3 files, 0 findings left without a fix." in result.stderr
    diff = result.stdout_bytes  # `.stdout` would normalize the CRLF file's lines
    assert diff.startswith(f"--- {Path('pkg/a.py')}\n".encode())
    run("fix", "--unsafe-fixes", ".")
    expected = {p: p.read_bytes() for p in project.glob("*.py")} | {p: p.read_bytes() for p in project.glob("pkg/*.py")}
    for p, data in before.items():
        p.write_bytes(data)
    subprocess.run(["patch", "-p0", "--quiet", "--binary"], input=diff, cwd=project, check=True)
    assert {p: p.read_bytes() for p in expected} == expected
    for p, data in before.items():
        p.write_bytes(data)
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    subprocess.run(["git", "apply", "-p0", "-"], input=diff, cwd=project, check=True)
    assert {p: p.read_bytes() for p in expected} == expected


def test_diff_exit_zero_when_nothing_to_change(project):
    (project / "a.py").write_text("x = 1\n")
    result = run("fix", "--diff", "a.py")
    assert result.exit_code == 0 and result.stdout == ""


def test_write_errors_are_one_line_and_others_proceed(project, monkeypatch):
    (project / "a.py").write_text(BAD)
    (project / "b.py").write_text(BAD)
    real_access = os.access

    def deny_a(path, mode, *args, **kwargs):
        if str(path).endswith("a.py") and mode == os.W_OK:
            return False
        return real_access(path, mode, *args, **kwargs)

    monkeypatch.setattr(os, "access", deny_a)
    result = run("fix", ".")
    assert result.exit_code == 2
    assert result.stderr.strip() == "asynclint: error: a.py: file is read-only; left as it is"
    assert (project / "a.py").read_text() == BAD
    assert "await asyncio.sleep(1)" in (project / "b.py").read_text()


def test_atomic_write_keeps_permission_bits_and_leaves_no_temp_files(project):
    path = project / "a.py"
    path.write_text(BAD)
    path.chmod(0o640 | stat.S_IXUSR)
    assert run("fix", "a.py").exit_code == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o640 | stat.S_IXUSR
    assert sorted(p.name for p in project.iterdir() if p.name != ".asynclint_cache") == ["a.py"]  # (the index cache)


def test_a_file_changed_or_vanished_meanwhile_is_not_overwritten(project, monkeypatch):
    from asynclint.app.fixes import write

    path = project / "a.py"
    path.write_text(BAD)
    with pytest.raises(write.WriteError, match="changed while it was being fixed"):
        write.write_atomically(str(path), b"new", b"something else")
    assert path.read_text() == BAD
    with pytest.raises(write.WriteError, match="vanished"):
        write.write_atomically(str(project / "gone.py"), b"new", b"old")


def test_unparsable_file_is_reported_and_left_alone(project):
    (project / "a.py").write_text("async def f(:\n")
    (project / "b.py").write_text(BAD)
    result = run("fix", ".")
    assert "a.py:1:" in result.stdout and "ASL000" in result.stdout
    assert (project / "a.py").read_text() == "async def f(:\n"
    assert "await asyncio.sleep(1)" in (project / "b.py").read_text()


def test_a_symlinked_file_is_fixed_through_the_link(project):
    (project / "real").mkdir()
    target = project / "real" / "a.py"
    target.write_text(BAD)
    (project / "link.py").symlink_to(Path("real") / "a.py")
    assert run("fix", "link.py").exit_code == 0
    assert (project / "link.py").is_symlink()
    assert "await asyncio.sleep(1)" in target.read_text()


def test_no_statement_fix_for_a_call_in_a_compound_statement_header():
    # ASL207 wraps a statement; in an `if` header there is none, so there is no fix (and no error).
    source = "import asyncio\n\nasync def a():\n    pass\n\nx = 1\nif asyncio.run(asyncio.gather(a())):\n    pass\n"
    outcome = fix_source(source, "t.py", ALL, unsafe=True, raise_errors=True)
    assert outcome.error is None
    assert outcome.fixed == source
    assert [(d.code, d.fix) for d in outcome.remaining] == [("ASL207", None)]


# ASL206's task set: looked for among the module's simple statement lines.


def test_the_task_set_a_module_already_has_is_reused_and_not_added_again():
    source = """\
        import asyncio

        _background_tasks = set()


        class Worker:
            async def run(self):
                pass


        async def start(worker):
            asyncio.create_task(worker.run())
        """
    result = fixed(source)
    assert result.count("_background_tasks = set()") == 1
    assert "_background_tasks.add(" in result


@pytest.mark.parametrize(
    "binding",
    [
        "_background_tasks = []",  # the name means something else
        "if True:\n    _background_tasks = set()",  # a compound statement is not the set's own line
    ],
)
def test_the_task_set_name_bound_otherwise_gets_no_fix(binding: str):
    source = f"import asyncio\n\n{binding}\n\n\nasync def start(job):\n    asyncio.create_task(job())\n"
    outcome = fix_source(source, "t.py", ALL, unsafe=True, raise_errors=True)
    assert outcome.error is None
    assert outcome.fixed == source
    assert [d.code for d in outcome.remaining if d.code == "ASL206"] == ["ASL206"]
