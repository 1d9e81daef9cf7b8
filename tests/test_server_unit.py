"""The language server's pieces that need no client: edits, noqa placement, crash reporting."""

from __future__ import annotations

import pytest

pytest.importorskip("pygls")

from lsprotocol import types  # noqa: E402

from asynclint.app.server import fix_title, noqa_edit, whole_text_edit  # noqa: E402


def apply(text: str, edit: types.TextEdit) -> str:
    lines = text.splitlines(keepends=True)

    def offset(position: types.Position) -> int:
        return sum(len(line) for line in lines[: position.line]) + position.character

    return text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]


@pytest.mark.parametrize(
    "before, after",
    [
        ("a\nb\nc\n", "a\nB\nc\n"),
        ("a\nb\nc", "a\nb\nC"),  # no final newline, change at the end
        ("a\nb\n", "x\na\nb\n"),  # a line added at the top
        ("a\r\nb\r\n", "a\r\nb2\r\n"),
        ("", "import asyncio\n"),
    ],
)
def test_whole_text_edit_turns_before_into_after_touching_only_changed_lines(before: str, after: str) -> None:
    edit = whole_text_edit(before, after)
    assert apply(before, edit) == after
    assert edit.range.start.line == next((i for i, (x, y) in enumerate(zip(before.splitlines(), after.splitlines())) if x != y), edit.range.start.line)


@pytest.mark.parametrize(
    "text, line, expected",
    [
        ("x = f()\n", 1, "x = f()  # noqa: ASL101\n"),
        ("x = f()  # why\n", 1, "x = f()  # noqa: ASL101 # why\n"),
        ("x = f()  # noqa: E501\n", 1, "x = f()  # noqa: E501, ASL101\n"),
        ("x = f(\n    1,\n)\n", 1, "x = f(\n    1,\n)  # noqa: ASL101\n"),  # the logical line's end
        ('x = f("""\nabc""")\n', 1, 'x = f("""\nabc""")  # noqa: ASL101\n'),  # never inside the string
        ("x = f()\r\n", 1, "x = f()  # noqa: ASL101\r\n"),
    ],
)
def test_noqa_edit(text: str, line: int, expected: str) -> None:
    edit = noqa_edit(text, line, "ASL101")
    assert edit is not None
    assert apply(text, edit) == expected


def test_bare_noqa_needs_no_edit() -> None:
    assert noqa_edit("x = f()  # noqa\n", 1, "ASL101") is None


def test_fix_title_names_the_fields_only_the_finding_knew() -> None:
    assert fix_title("Replace with `await {sleep}(...)`", "ASL101") == "Replace with `await sleep(...)`"
    assert fix_title(None, "ASL201") == "Fix ASL201"


def test_a_rule_crash_is_one_log_line_and_the_other_findings_still_show(monkeypatch: pytest.MonkeyPatch) -> None:
    from asynclint.app.server import AsyncLintServer, Document
    from asynclint.core.diagnostic import FileResult

    server = AsyncLintServer()
    logged: list[types.LogMessageParams] = []
    published: list[types.PublishDiagnosticsParams] = []
    monkeypatch.setattr(server, "window_log_message", logged.append)
    monkeypatch.setattr(server, "text_document_publish_diagnostics", published.append)
    document = Document("file:///x.py", "/x.py", "x = 1\n", 3)
    server.publish(document, FileResult("/x.py", (), error="/x.py: internal error in ASL101 (blocking-sleep): boom"))
    assert [m.message for m in logged] == ["asynclint: /x.py: internal error in ASL101 (blocking-sleep): boom"]
    assert published[0].uri == "file:///x.py" and published[0].version == 3


def test_text_as_read_is_utf8_bytes_unless_a_cookie_names_another_encoding() -> None:
    from asynclint.engine.source import text_as_read

    assert text_as_read("x = 'é'\n") == "x = 'é'\n".encode()
    assert text_as_read("# -*- coding: utf-8 -*-\nx = 'é'\n") == "# -*- coding: utf-8 -*-\nx = 'é'\n".encode()
    latin = "# -*- coding: latin-1 -*-\nx = 'é'\n"
    assert text_as_read(latin) == latin
