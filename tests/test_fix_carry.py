"""`fix` after a pass's edits: libcst checks again only the blocks the edits changed and what
depends on them, the other findings are carried over (`app/fixes/carry.py`). Each case is
fixed twice, with that and with the whole fixed module checked again (what `fix` did before):
the fixed code and what is left must be the same, on the same lines."""

from __future__ import annotations

import textwrap
from typing import Any, Callable

import pytest

import asynclint.app.fixes.apply as apply
from asynclint.app.fixes.apply import FixOutcome, fix_source
from asynclint.core.config import Config
from asynclint.core.diagnostic import Diagnostic
from asynclint.engine.screening import single_file_index

ALL = Config(select=("ALL",))


def _fix(source: str, config: Config, unsafe: bool, only: Callable[[Diagnostic], bool] | None = None) -> FixOutcome:
    data = source.encode()
    project = single_file_index(data, "t.py")
    outcome = fix_source(data, "t.py", config, unsafe=unsafe, raise_errors=True, project=project, only=only)
    assert outcome.error is None, outcome.error
    return outcome


def _shown(outcome: FixOutcome) -> list[tuple[Any, ...]]:
    return [(d.line, d.col, d.code, d.end_line, d.end_col, d.message, d.fix, d.text_edit, d.flow) for d in outcome.remaining]


def both(
    monkeypatch: pytest.MonkeyPatch,
    source: str,
    *,
    config: Config = ALL,
    unsafe: bool = True,
    carried: bool = True,
    newline: str = "\n",
    only: Callable[[Diagnostic], bool] | None = None,
) -> FixOutcome:
    """Fix `source` as `fix` does, and with the whole fixed module checked again; assert they agree.

    `carried`: whether the findings must have been carried over (else the whole module was checked).
    """
    source = textwrap.dedent(source).replace("\n", newline)
    answers: list[object] = []
    real = apply.recheck

    def spy(*args: Any, **kwargs: Any) -> object:
        answers.append(real(*args, **kwargs))
        return answers[-1]

    monkeypatch.setattr(apply, "recheck", spy)
    outcome = _fix(source, config, unsafe, only)
    monkeypatch.setattr(apply, "recheck", lambda *args, **kwargs: None)
    whole = _fix(source, config, unsafe, only)
    assert outcome.fixed == whole.fixed
    assert outcome.applied == whole.applied
    assert _shown(outcome) == _shown(whole)
    assert answers, "no pass after edits"
    assert isinstance(answers[-1], list) is carried, answers[-1]
    return outcome


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_finding_below_the_edits_moves_with_the_lines_they_add(monkeypatch: pytest.MonkeyPatch, newline: str) -> None:
    # ASL206's fix adds two lines in `start` and a module-level set: `Store`'s finding (no fix)
    # is carried over, four lines further down.
    outcome = both(
        monkeypatch,
        """\
        import asyncio
        import threading


        async def start():
            asyncio.create_task(work())


        async def work():
            pass


        class Store:
            def __init__(self):
                self.lock = threading.Lock()

            async def save(self):
                with self.lock:
                    await asyncio.sleep(0)
        """,
        newline=newline,
    )
    assert outcome.applied == {"ASL206": 1}
    assert isinstance(outcome.fixed, bytes) and outcome.fixed.count(b"\r\n") == outcome.fixed.count(b"\n") * (newline == "\r\n")
    assert [(d.code, d.line) for d in outcome.remaining] == [("ASL503", 18 + 4)]


def test_a_fix_that_changes_what_another_block_reports_makes_it_checked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    # ASL208 leaves alone a task whose coroutine function catches every error. The ASL401 fix
    # re-raises in `job`'s handler: `main`'s task is reported now, though `main` did not change.
    outcome = both(
        monkeypatch,
        """\
        import asyncio


        async def job():
            try:
                await asyncio.sleep(1)
            except BaseException:
                pass


        async def main():
            t = asyncio.create_task(job())
            return 1


        async def other():
            t = asyncio.create_task(asyncio.sleep(1))
            return t
        """,
    )
    assert outcome.applied == {"ASL401": 1}
    assert [(d.code, d.line) for d in outcome.remaining] == [("ASL208", 12)]


def test_a_block_that_names_an_added_module_level_name_is_checked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    # ASL206's fix binds `_background_tasks` at module level; `report` names it (undefined
    # before): it is checked again with the name bound, and its finding moves.
    both(
        monkeypatch,
        """\
        import asyncio
        import time


        async def start():
            asyncio.create_task(work())


        async def work():
            pass


        async def report():
            time.sleep(len(_background_tasks))
        """,
        unsafe=False,
    )


def test_carried_findings_of_an_unsafe_fix_not_applied_keep_their_text_edit(monkeypatch: pytest.MonkeyPatch) -> None:
    # Without --unsafe-fixes, ASL401's edit is not applied: its finding is carried over, its
    # text edit too, below the safe ASL101 fix.
    outcome = both(
        monkeypatch,
        """\
        import asyncio
        import time


        async def work():
            time.sleep(1)


        async def job():
            try:
                await asyncio.sleep(1)
            except asyncio.CancelledError:
                pass
        """,
        unsafe=False,
    )
    assert "ASL401" in {d.code for d in outcome.remaining}


def test_a_method_edit_checks_its_whole_class_again(monkeypatch: pytest.MonkeyPatch) -> None:
    # `self.lock` is a thread lock set in `__init__`: an edit in the class's other method
    # checks the class again (ASL503 reads the class), the finding stays where it is.
    outcome = both(
        monkeypatch,
        """\
        import asyncio
        import threading
        import time


        class Store:
            def __init__(self):
                self.lock = threading.Lock()

            async def save(self):
                with self.lock:
                    await asyncio.sleep(0)

            async def load(self):
                time.sleep(1)
        """,
    )
    assert [(d.code, d.line) for d in outcome.remaining] == [("ASL503", 11)]


def test_an_added_import_checks_the_whole_module(monkeypatch: pytest.MonkeyPatch) -> None:
    # The fix adds `import asyncio`: the module-level code changed, so the whole module is checked.
    both(
        monkeypatch,
        """\
        import time
        import subprocess


        async def work():
            time.sleep(1)


        async def later():
            subprocess.run(["make"])
        """,
        carried=False,
    )


def test_a_subclass_edited_checks_its_base_class_again(monkeypatch: pytest.MonkeyPatch) -> None:
    # ASL503 on `self._lock`, a class attribute, holds unless a subclass binds it otherwise:
    # the subclass names the base, so an edit in it checks the base again.
    both(
        monkeypatch,
        """\
        import asyncio
        import threading
        import time


        class Base:
            _lock = threading.Lock()

            async def save(self):
                with self._lock:
                    await asyncio.sleep(0)


        class Child(Base):
            _lock = threading.Lock()

            async def load(self):
                time.sleep(1)
        """,
    )


def test_the_default_rules_on_a_file_of_many_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = "".join(
        f"\n\nasync def poll_{i}(client):\n    # comment {i}\n    time.sleep(1)\n    subprocess.run(['x'])\n    return await client.get()\n"
        for i in range(30)
    )
    both(monkeypatch, "import asyncio\nimport subprocess\nimport time\n" + blocks, config=Config(), unsafe=False)


def test_a_rule_that_may_fire_anywhere_and_reads_other_blocks_unnamed_checks_the_whole_module(monkeypatch: pytest.MonkeyPatch) -> None:
    # ASL303 (preview) has no screen by block and does not read by name: the whole module is checked.
    both(
        monkeypatch,
        """\
        import asyncio
        import time


        async def fetch_all(urls):
            return await asyncio.gather(*(fetch(u) for u in urls))


        async def fetch(url):
            time.sleep(1)
        """,
        carried=False,
    )


def test_a_file_without_a_final_newline(monkeypatch: pytest.MonkeyPatch) -> None:
    outcome = both(
        monkeypatch,
        """\
        import asyncio
        import threading
        import time


        async def nap():
            time.sleep(1)


        lock = threading.Lock()


        async def held():
            with lock:
                await asyncio.sleep(0)""",
    )
    assert [(d.code, d.line) for d in outcome.remaining] == [("ASL503", 14)]


def test_one_finding_fixed_alone_leaves_the_others_carried_over(monkeypatch: pytest.MonkeyPatch) -> None:
    # An editor's quick fix for one ASL206 finding: the other block's finding (its edit not
    # wanted) is carried over, though its fix could now use the module-level set the first added.
    outcome = both(
        monkeypatch,
        """\
        import asyncio


        async def one():
            asyncio.create_task(work())


        async def two():
            asyncio.create_task(work())


        async def work():
            pass
        """,
        only=lambda d: d.line == 5,
    )
    assert outcome.applied == {"ASL206": 1}
    assert [(d.code, d.line) for d in outcome.remaining] == [("ASL206", 13)]
