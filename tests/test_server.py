"""`asynclint server` end to end: the real server process over stdio, driven by pytest-lsp's client."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pygls")
pytest_lsp = pytest.importorskip("pytest_lsp")

from lsprotocol import types  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient  # noqa: E402

pytestmark = pytest.mark.asyncio(loop_scope="function")

SLEEPY = "import asyncio\nimport time\n\n\nasync def handler():\n    time.sleep(1)\n"


def apply_edit(text: str, edit: types.TextEdit) -> str:
    """Apply one LSP edit (UTF-16 positions; the test texts are ASCII)."""
    lines = text.splitlines(keepends=True)

    def offset(position: types.Position) -> int:
        return sum(len(line) for line in lines[: position.line]) + position.character

    return text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]


def only_edit(action: types.CodeAction) -> types.TextEdit:
    assert action.edit is not None and action.edit.document_changes
    change = action.edit.document_changes[0]
    assert isinstance(change, types.TextDocumentEdit) and len(change.edits) == 1
    edit = change.edits[0]
    assert isinstance(edit, types.TextEdit)
    return edit


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.asynclint]\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    return tmp_path


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "asynclint", "server"]))
async def client(lsp_client: LanguageClient, project: Path) -> Any:
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(),
            root_uri=project.as_uri(),
            initialization_options={"extend-select": ["ASL303"]},
        )
    )
    yield
    await lsp_client.shutdown_session()


class Session:
    """Open documents and wait for the diagnostics the server publishes for them."""

    def __init__(self, client: LanguageClient, root: Path) -> None:
        self.client, self.root, self.versions = client, root, {}

    def uri(self, name: str) -> str:
        return (self.root / name).as_uri()

    async def open(self, name: str, text: str) -> list[types.Diagnostic]:
        (self.root / name).write_text(text)
        self.versions[name] = 1
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=self.uri(name), language_id="python", version=1, text=text)
            )
        )
        return await self.diagnostics(name, 1)

    def change(self, name: str, text: str) -> int:
        self.versions[name] += 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=self.uri(name), version=self.versions[name]),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )
        return self.versions[name]

    async def diagnostics(self, name: str, version: int | None = None, codes: set[str] | None = None) -> list[types.Diagnostic]:
        """The next diagnostics published for the file (at `version`, or with exactly `codes`)."""
        uri = self.uri(name)
        for _ in range(100):
            got = self.client.diagnostics.get(uri)
            versions = self.client.diagnostic_versions if hasattr(self.client, "diagnostic_versions") else {}
            if got is not None and (version is None or versions.get(uri, version) == version):
                if codes is None or {str(d.code) for d in got} == codes:
                    return got
            try:
                await asyncio.wait_for(self.client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), 10)
            except asyncio.TimeoutError:
                break
        raise AssertionError(f"no diagnostics {codes or ''} for {name}: {self.client.diagnostics.get(uri)}")

    async def actions(self, name: str, diagnostics: list[types.Diagnostic], only: list[str] | None = None) -> list[types.CodeAction]:
        result = await self.client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=self.uri(name)),
                range=diagnostics[0].range if diagnostics else types.Range(start=types.Position(0, 0), end=types.Position(0, 0)),
                context=types.CodeActionContext(
                    diagnostics=diagnostics, only=list(only) if only else None
                ),
            )
        )
        return [a for a in result or [] if isinstance(a, types.CodeAction)]


@pytest.fixture
def session(client: LanguageClient, project: Path) -> Session:
    return Session(client, project)


async def test_buggy_document_gets_diagnostics_with_code_source_and_fix_data(session: Session) -> None:
    found = await session.open("app/handlers.py", SLEEPY)
    assert [(str(d.code), d.range.start.line, d.range.start.character) for d in found] == [("ASL101", 5, 4)]
    (diagnostic,) = found
    assert diagnostic.source == "asynclint"
    assert diagnostic.severity == types.DiagnosticSeverity.Warning
    assert diagnostic.data["fix"] == "safe"
    assert diagnostic.code_description is None or diagnostic.code_description.href.endswith("ASL101.md")


async def test_quick_fix_applied_clears_the_diagnostic(session: Session) -> None:
    found = await session.open("app/handlers.py", SLEEPY)
    actions = await session.actions("app/handlers.py", found)
    fixes = [a for a in actions if "noqa" not in (only_edit(a).new_text) and a.kind == types.CodeActionKind.QuickFix]
    assert len(fixes) == 1 and fixes[0].is_preferred and "(unsafe)" not in fixes[0].title
    assert fixes[0].title == "asynclint: Replace with `await sleep(...)`"
    fixed = apply_edit(SLEEPY, only_edit(fixes[0]))
    assert "    await asyncio.sleep(1)\n" in fixed
    version = session.change("app/handlers.py", fixed)
    assert await session.diagnostics("app/handlers.py", version, codes=set()) == ()


async def test_unsafe_fix_is_titled_unsafe_and_not_preferred(session: Session) -> None:
    text = "import requests\n\n\nasync def fetch(url):\n    return requests.get(url)\n"
    found = await session.open("app/net.py", text)
    assert [str(d.code) for d in found] == ["ASL102"]
    assert found[0].data["fix"] == "unsafe"
    fixes = [a for a in await session.actions("app/net.py", found) if "ignore" not in a.title]
    assert len(fixes) == 1 and fixes[0].title.endswith("(unsafe)") and not fixes[0].is_preferred
    assert "to_thread" in apply_edit(text, only_edit(fixes[0]))


async def test_fix_all_applies_every_safe_fix_on_the_buffer_not_the_disk(session: Session, project: Path) -> None:
    text = SLEEPY + "\n\nasync def other():\n    time.sleep(2)\n"
    found = await session.open("app/handlers.py", text)
    assert len(found) == 2
    actions = await session.actions("app/handlers.py", [], only=["source.fixAll"])
    assert [a.kind for a in actions] == ["source.fixAll.asynclint"]
    fixed = apply_edit(text, only_edit(actions[0]))
    assert fixed.count("await asyncio.sleep(") == 2
    assert (project / "app" / "handlers.py").read_text() == text


async def test_noqa_action_silences_the_line(session: Session) -> None:
    found = await session.open("app/handlers.py", SLEEPY)
    (noqa,) = [a for a in await session.actions("app/handlers.py", found) if "ignore ASL101" in a.title]
    silenced = apply_edit(SLEEPY, only_edit(noqa))
    assert "    time.sleep(1)  # noqa: ASL101\n" in silenced
    version = session.change("app/handlers.py", silenced)
    assert await session.diagnostics("app/handlers.py", version, codes=set()) == ()


async def test_noqa_action_extends_an_existing_noqa(session: Session) -> None:
    text = SLEEPY.replace("time.sleep(1)", "time.sleep(1)  # noqa: E501")
    found = await session.open("app/handlers.py", text)
    (noqa,) = [a for a in await session.actions("app/handlers.py", found) if "ignore ASL101" in a.title]
    assert "time.sleep(1)  # noqa: E501, ASL101" in apply_edit(text, only_edit(noqa))


async def test_unsaved_async_def_in_one_buffer_updates_another(session: Session) -> None:
    await session.open("app/api.py", "def fetch():\n    return 1\n")
    caller = "from app.api import fetch\n\n\nasync def main():\n    fetch()\n"
    assert not await session.open("app/main.py", caller)
    session.change("app/api.py", "async def fetch():\n    return 1\n")  # not saved
    found = await session.diagnostics("app/main.py", codes={"ASL201"})
    assert found[0].range.start.line == 4


async def test_syntax_error_while_typing_then_fixed(session: Session) -> None:
    await session.open("app/handlers.py", SLEEPY)
    broken = SLEEPY.replace("async def handler():", "async def handler(:")
    version = session.change("app/handlers.py", broken)
    found = await session.diagnostics("app/handlers.py", version, codes={"ASL000"})
    assert found[0].severity == types.DiagnosticSeverity.Error
    version = session.change("app/handlers.py", SLEEPY)
    assert [str(d.code) for d in await session.diagnostics("app/handlers.py", version, codes={"ASL101"})] == ["ASL101"]


async def test_hover_shows_rule_summary_and_fix_safety(session: Session) -> None:
    await session.open("app/handlers.py", SLEEPY)
    hover = await session.client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=session.uri("app/handlers.py")), position=types.Position(5, 6))
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert "ASL101" in hover.contents.value and "safe fix" in hover.contents.value


async def test_initialization_options_select_rules(session: Session) -> None:
    # ASL303 is a preview rule: on only because the client's `extend-select` asked for it.
    text = "import asyncio\n\n\nasync def main(urls, fetch):\n    await asyncio.gather(*(fetch(u) for u in urls))\n"
    found = await session.open("app/gather.py", text)
    assert {str(d.code) for d in found} == {"ASL303"}


async def test_saved_change_of_a_closed_module_reaches_open_buffers(session: Session, project: Path) -> None:
    (project / "app" / "api.py").write_text("def fetch():\n    return 1\n")
    caller = "from app.api import fetch\n\n\nasync def main():\n    fetch()\n"
    assert not await session.open("app/main.py", caller)
    (project / "app" / "api.py").write_text("async def fetch():\n    return 1\n")  # another tool wrote it
    session.client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=session.uri("app/api.py"), type=types.FileChangeType.Changed)]
        )
    )
    assert [str(d.code) for d in await session.diagnostics("app/main.py", codes={"ASL201"})] == ["ASL201"]


async def test_bad_project_config_is_a_message_and_the_defaults_apply(session: Session, project: Path) -> None:
    (project / "other").mkdir()
    (project / "other" / "pyproject.toml").write_text("[tool.asynclint]\nno-such-key = 1\n")
    found = await session.open("other/handlers.py", SLEEPY)
    assert [str(d.code) for d in found] == ["ASL101"]
    assert any("no-such-key" in m.message for m in session.client.messages)



@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "asynclint", "server"]))
async def configured_client(lsp_client: LanguageClient, project: Path) -> Any:
    # The client answers `workspace/configuration` for the "asynclint" section: ASL105 only.
    lsp_client.set_configuration({"select": ["ASL105"]}, section="asynclint")
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(workspace=types.WorkspaceClientCapabilities(configuration=True)),
            root_uri=project.as_uri(),
        )
    )
    yield
    await lsp_client.shutdown_session()


async def test_workspace_configuration_selects_rules(configured_client: LanguageClient, project: Path) -> None:
    session = Session(configured_client, project)
    await session.open("app/handlers.py", SLEEPY)
    # ASL101 is not selected by the client's settings: once they arrive, nothing is reported.
    assert await session.diagnostics("app/handlers.py", codes=set()) == ()
