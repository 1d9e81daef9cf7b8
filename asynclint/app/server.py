"""`asynclint server`: the linter as a language server (LSP over stdio), built on pygls.

Diagnostics come from the same engine as `asynclint check`, run on the editor's unsaved text;
code actions from the same verified fix engine as `asynclint fix`, run on that text, never on
disk. The project index (what is a coroutine function, across modules) is loaded once per
project from the index cache and kept current from the open buffers, saves and file-watch
notifications, so that turning `def fetch` into `async def fetch` in one buffer updates the
findings of another buffer before anything is saved.

A buffer is linted in a thread, so the server keeps reading messages meanwhile; changes that
arrive during a lint coalesce into one more lint of the latest text.
"""

from __future__ import annotations

import asyncio
import functools
import io
import logging
import os
import tokenize
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from asynclint import __version__
from asynclint.analysis.index.indexer import index_source
from asynclint.analysis.index.model import ProjectIndex
from asynclint.core.config import (
    Config,
    ConfigError,
    find_config_file,
    load_config,
    read_table,
    split_codes,
)
from asynclint.core.diagnostic import Diagnostic, FileResult, FixSafety
from asynclint.core.noqa import NOQA_RE, logical_line_spans
from asynclint.engine.lint import lint_source
from asynclint.engine.project import find_project_root, project_for
from asynclint.engine.source import text_as_read

SOURCE = "asynclint"
FIX_ALL_KIND = f"{types.CodeActionKind.SourceFixAll.value}.asynclint"
#: The client settings that may choose rules, in `initializationOptions` or the "asynclint" section.
SETTING_KEYS = {"select": "select", "ignore": "ignore", "extend-select": "extend_select", "extendSelect": "extend_select"}

log = logging.getLogger(__name__)


@dataclass
class ClientSettings:
    """What the editor asked for; the project's `[tool.asynclint]` wins for every key it sets itself."""

    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] | None = None

    @classmethod
    def read(cls, options: Any) -> ClientSettings:
        """Settings from a JSON object: lists or comma-separated strings; anything else is ignored."""
        if not isinstance(options, Mapping):
            return cls()
        if isinstance(options.get("asynclint"), Mapping):  # some clients nest the section
            options = options["asynclint"]
        values: dict[str, tuple[str, ...] | None] = {}
        for key, attribute in SETTING_KEYS.items():
            value = options.get(key)
            if isinstance(value, str):
                value = [value]
            if isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
                values[attribute] = split_codes(list(value))
        return cls(**values)


@dataclass
class Project:
    """One project root's configuration and index, as the server keeps them."""

    root: Path | None
    config: Config
    index: ProjectIndex | None


@dataclass
class Document:
    """An open buffer: its latest text and version, and the findings published for it."""

    uri: str
    path: str
    text: str
    version: int | None
    findings: list[Diagnostic] = field(default_factory=list)


class AsyncLintServer(LanguageServer):
    """The language server: state per project and per open document, and the handlers' work."""

    def __init__(self) -> None:
        super().__init__("asynclint", __version__)
        self.settings = ClientSettings()
        self.projects: dict[str, Project] = {}
        self.documents: dict[str, Document] = {}
        #: Buffers being linted, and those whose text changed since their lint started.
        self._running: dict[str, asyncio.Task[None]] = {}
        self._dirty: set[str] = set()
        self._lint_lock: asyncio.Lock | None = None
        self._config_errors: set[str] = set()

    # -- configuration and index ------------------------------------------------------------

    def config_for(self, path: str) -> Config:
        """The project's config for this file, with the client's settings where the project sets none.

        A `[tool.asynclint]` that does not validate is shown once as a message, and the defaults apply.
        """
        source = find_config_file(Path(path).parent)
        table = (read_table(source) or {}) if source is not None else {}
        given = {
            attribute: value
            for key, attribute in (("select", "select"), ("ignore", "ignore"), ("extend-select", "extend_select"))
            if (value := getattr(self.settings, attribute)) is not None and key not in table
        }
        try:
            return load_config([path], **given)
        except ConfigError as exc:
            if str(exc) not in self._config_errors:
                self._config_errors.add(str(exc))
                self.window_show_message(
                    types.ShowMessageParams(type=types.MessageType.Warning, message=f"asynclint: {exc}; using the defaults")
                )
            root = source.resolve().parent if source is not None else Path.cwd()
            try:
                return Config(root=root, **given)
            except ConfigError:  # the client's own codes are what is wrong
                return Config(root=root)

    def project_of(self, path: str) -> Project:
        """The project the file belongs to, its index loaded once (from the index cache where it can)."""
        root = find_project_root(path)
        key = str(root) if root is not None else os.path.dirname(path)
        project = self.projects.get(key)
        if project is None:
            config = self.config_for(path)
            index = project_for([path], config, jobs=1)
            if index is not None:
                index.load()
            project = self.projects[key] = Project(root, config, index)
        return project

    def note_text(self, path: str, text: str) -> bool:
        """Put a module's current definitions in its project's index; whether they changed."""
        project = self.project_of(path)
        if project.index is None:
            return False
        entry = index_source(text, path)
        if entry is None:
            return False
        name, info = entry
        known = project.index.by_path.get(os.path.realpath(path))
        if known is not None and known[0] == name and known[1] == info:
            return False
        project.index.add(name, info, path)
        return True

    def forget_settings(self) -> None:
        """The settings changed: every project's config is read again (its index is kept)."""
        for project in self.projects.values():
            if project.index is not None and project.root is not None:
                project.config = self.config_for(str(project.root / "__init__.py"))

    # -- linting ----------------------------------------------------------------------------

    def lint(self, path: str, text: str) -> tuple[bool, FileResult]:
        """A buffer's findings, as `asynclint check` would report them for the file; and whether
        its definitions changed in the project index (then other buffers' findings may have too)."""
        changed = self.note_text(path, text)
        project = self.project_of(path)
        config = self.config_for(path)
        # The index holds this text's definitions now (`note_text`): the file's view of it is current.
        index = project.index.for_file(path) if project.index is not None else None
        return changed, lint_source(text_as_read(text), path, config, project=index)

    def publish(self, document: Document, result: FileResult) -> None:
        """Send the findings; a rule crash becomes one log line, and the rest still show."""
        if result.error:
            self.log(types.MessageType.Error, f"asynclint: {result.error}")
        document.findings = list(result.diagnostics)
        lines = document.text.splitlines()
        diagnostics = [to_lsp(d, lines) for d in document.findings]
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=document.uri, diagnostics=diagnostics, version=document.version)
        )

    def schedule(self, uri: str) -> None:
        """Lint the buffer now; while it is being linted, once more when that ends, with the latest text.

        Typing faster than the linter coalesces into one more lint, never a queue of stale ones.
        """
        self._dirty.add(uri)
        if uri not in self._running:
            self._running[uri] = asyncio.get_running_loop().create_task(self._lint_until_clean(uri))

    async def _lint_until_clean(self, uri: str) -> None:
        if self._lint_lock is None:
            self._lint_lock = asyncio.Lock()
        try:
            while uri in self._dirty:
                self._dirty.discard(uri)
                await asyncio.sleep(0)  # the rest of a burst of changes already read arrives first
                document = self.documents.get(uri)
                if document is None:
                    return
                snapshot = (document.version, document.text)
                async with self._lint_lock:  # one lint at a time: they share the project index
                    try:
                        changed, result = await asyncio.to_thread(self.lint, document.path, document.text)
                    except Exception as exc:  # the server keeps running, whatever one file does
                        self.log(types.MessageType.Error, f"asynclint: {document.path}: internal error: {type(exc).__name__}: {exc}")
                        continue
                if changed:
                    self.relint_others(uri)
                current = self.documents.get(uri)
                if current is not None and (current.version, current.text) == snapshot:
                    self.publish(current, result)
        finally:
            self._running.pop(uri, None)

    def relint_others(self, changed_uri: str | None) -> None:
        """Another module's definitions changed: the open buffers' findings may have too."""
        for uri in list(self.documents):
            if uri != changed_uri:
                self.schedule(uri)

    def log(self, kind: types.MessageType, message: str) -> None:
        """One line in the client's log (`window/logMessage`)."""
        self.window_log_message(types.LogMessageParams(type=kind, message=message))

    # -- code actions -----------------------------------------------------------------------

    def fix_text(self, document: Document, unsafe: bool, only: Callable[[Diagnostic], bool] | None) -> str | None:
        """The buffer's text with the chosen fixes applied by the verified engine, or None if none applies."""
        from asynclint.app.fixes.apply import fix_source

        project = self.project_of(document.path)
        config = self.config_for(document.path)
        index = project.index.for_source(document.path, document.text) if project.index is not None else None
        outcome = fix_source(document.text, document.path, config, unsafe=unsafe, project=index, only=only)
        if outcome.error is not None:
            self.log(types.MessageType.Warning, f"asynclint: {outcome.error}")
            return None
        fixed = outcome.fixed
        assert isinstance(fixed, str)
        return fixed if fixed != document.text else None


def to_lsp(d: Diagnostic, lines: Sequence[str]) -> types.Diagnostic:
    """One finding as an LSP diagnostic (positions in UTF-16 code units, as LSP counts by default)."""
    start = _position(lines, d.line - 1, d.col)
    end = _position(lines, (d.end_line or d.line) - 1, d.end_col if d.end_line else d.col)
    if (end.line, end.character) < (start.line, start.character):
        end = start
    fix = d.fix.value if d.fix is not None else FixSafety.NONE.value
    href = rule_doc_href(d.code)
    return types.Diagnostic(
        range=types.Range(start=start, end=end),
        message=d.message,
        severity=types.DiagnosticSeverity.Error if d.code == "ASL000" else types.DiagnosticSeverity.Warning,
        code=d.code,
        code_description=types.CodeDescription(href=href) if href else None,
        source=SOURCE,
        data={"fix": fix, "name": d.name, "line": d.line, "col": d.col},
    )


def _position(lines: Sequence[str], line: int, col: int) -> types.Position:
    """A (line, code-point column) as an LSP position."""
    if line < 0:
        return types.Position(line=0, character=0)
    text = lines[line] if line < len(lines) else ""
    prefix = text[: max(col, 0)]
    return types.Position(line=line, character=len(prefix.encode("utf-16-le")) // 2)


@functools.lru_cache(maxsize=None)
def rule_doc_href(code: str) -> str | None:
    """Where the rule's doc is: the `docs/rules/CODE.md` beside the package, when it is there."""
    path = Path(__file__).resolve().parents[2] / "docs" / "rules" / f"{code}.md"
    return from_fs_path(str(path)) if path.is_file() else None


def whole_text_edit(before: str, after: str) -> types.TextEdit:
    """One edit turning `before` into `after`: the changed lines only, so the cursor and folds stay put."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    head = 0
    while head < min(len(old), len(new)) and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < min(len(old), len(new)) - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    end_line = len(old) - tail
    if end_line == len(old) and old and not old[-1].endswith(("\n", "\r")):
        # The edit runs to the end of a file without a final newline: end on that last line.
        end = types.Position(line=len(old) - 1, character=len(old[-1].encode("utf-16-le")) // 2)
    else:
        end = types.Position(line=end_line, character=0)
    return types.TextEdit(
        range=types.Range(start=types.Position(line=head, character=0), end=end),
        new_text="".join(new[head : len(new) - tail]),
    )


def noqa_edit(text: str, line: int, code: str) -> types.TextEdit | None:
    """Add `code` to the `# noqa` of the finding's logical line, or a new `# noqa: CODE` at its end.

    The comment goes on the logical line's last physical line, where no string can be open.
    """
    lines = text.splitlines(keepends=True)
    first, last = logical_line_spans(text).get(line, (line, line))
    for number in range(first, last + 1):
        if number <= len(lines):
            body = lines[number - 1].rstrip("\r\n")
            match = NOQA_RE.search(body)
            if match is not None and not match.group("codes"):
                return None  # a bare `# noqa` silences everything already
            if match is not None:
                end = match.end("codes")
                codes = match.group("codes").rstrip(", \t")
                new = body[: match.start("codes")] + codes + f", {code}" + body[match.start("codes") + len(codes) : end] + body[end:]
                return types.TextEdit(
                    range=types.Range(
                        start=types.Position(line=number - 1, character=0),
                        end=types.Position(line=number - 1, character=_utf16(body)),
                    ),
                    new_text=new,
                )
    if last > len(lines):
        return None
    body = lines[last - 1].rstrip("\r\n")
    comment = _comment_column(text, last)
    if comment is not None:
        # An existing comment: the noqa goes before it, so that both still read.
        new = body[:comment].rstrip() + f"  # noqa: {code} " + body[comment:]
    else:
        new = body.rstrip() + f"  # noqa: {code}"
    return types.TextEdit(
        range=types.Range(start=types.Position(line=last - 1, character=0), end=types.Position(line=last - 1, character=_utf16(body))),
        new_text=new,
    )


def _comment_column(text: str, line: int) -> int | None:
    """The code-point column where a comment starts on that line, if one does."""
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT and token.start[0] == line:
                return token.start[1]
            if token.start[0] > line:
                return None
    except (tokenize.TokenError, SyntaxError):
        return None
    return None


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _same_finding(target: Diagnostic, d: Diagnostic) -> bool:
    return (d.line, d.col, d.code) == (target.line, target.col, target.code)


def create_server() -> AsyncLintServer:
    """A server with every handler registered."""
    server = AsyncLintServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: AsyncLintServer, params: types.InitializeParams) -> None:
        ls.settings = ClientSettings.read(params.initialization_options)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: AsyncLintServer, params: types.InitializedParams) -> None:
        """Ask for the "asynclint" settings section when the client can tell."""
        capabilities = ls.client_capabilities.workspace
        if capabilities is None or not capabilities.configuration:
            return
        try:
            result = await ls.workspace_configuration_async(
                types.ConfigurationParams(items=[types.ConfigurationItem(section="asynclint")])
            )
        except Exception as exc:  # a client that says it can but cannot: the settings stay as they were
            ls.log(types.MessageType.Warning, f"asynclint: workspace/configuration failed: {exc}")
            return
        if isinstance(result, (list, tuple)) and result and isinstance(result[0], Mapping):
            ls.settings = ClientSettings.read(result[0])
            ls.forget_settings()
            ls.relint_others(None)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    def did_change_configuration(ls: AsyncLintServer, params: types.DidChangeConfigurationParams) -> None:
        if isinstance(params.settings, Mapping) and params.settings:
            ls.settings = ClientSettings.read(params.settings)
            ls.forget_settings()
            ls.relint_others(None)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: AsyncLintServer, params: types.DidOpenTextDocumentParams) -> None:
        item = params.text_document
        path = to_fs_path(item.uri) or item.uri
        ls.documents[item.uri] = Document(item.uri, path, item.text, item.version)
        ls.schedule(item.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: AsyncLintServer, params: types.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        document = ls.documents.get(uri)
        if document is None:
            return
        # pygls applies the (full or incremental) changes to its own copy of the buffer.
        document.text = ls.workspace.get_text_document(uri).source
        document.version = params.text_document.version
        ls.schedule(uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: AsyncLintServer, params: types.DidSaveTextDocumentParams) -> None:
        if params.text_document.uri in ls.documents:
            ls.schedule(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: AsyncLintServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        document = ls.documents.pop(uri, None)
        if document is not None:
            # What is on disk counts again for the other modules.
            try:
                with open(document.path, encoding="utf-8", errors="surrogateescape") as handle:
                    if ls.note_text(document.path, handle.read()):
                        ls.relint_others(uri)
            except OSError:
                pass
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(ls: AsyncLintServer, params: types.DidChangeWatchedFilesParams) -> None:
        changed = False
        for event in params.changes:
            if event.uri in ls.documents or not event.uri.endswith(".py"):
                continue  # an open buffer's text wins over the disk
            path = to_fs_path(event.uri)
            if path is None or event.type == types.FileChangeType.Deleted:
                continue
            try:
                with open(path, "rb") as handle:
                    data = handle.read()
            except OSError:
                continue
            changed |= ls.note_text(path, data.decode("utf-8", "surrogateescape"))
        if changed:
            ls.relint_others(None)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL_KIND],
            resolve_provider=False,
        ),
    )
    def code_action(ls: AsyncLintServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        document = ls.documents.get(params.text_document.uri)
        if document is None:
            return []
        wanted = params.context.only
        actions: list[types.CodeAction] = []
        kinds = [str(getattr(k, "value", k)) for k in wanted] if wanted is not None else None
        if kinds is None or any(k.startswith(types.CodeActionKind.QuickFix.value) for k in kinds):
            actions += quick_fixes(ls, document, params)
        if kinds is None or any(FIX_ALL_KIND.startswith(k) for k in kinds):
            fixed = ls.fix_text(document, unsafe=False, only=None)
            if fixed is not None:
                actions.append(
                    types.CodeAction(
                        title="asynclint: fix all safely fixable problems",
                        kind=FIX_ALL_KIND,
                        edit=_edit(document, whole_text_edit(document.text, fixed)),
                    )
                )
        return actions

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: AsyncLintServer, params: types.HoverParams) -> types.Hover | None:
        document = ls.documents.get(params.text_document.uri)
        if document is None:
            return None
        line = params.position.line + 1
        codes = sorted({d.code for d in document.findings if d.line <= line <= (d.end_line or d.line)})
        if not codes:
            return None
        return types.Hover(
            contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n\n".join(rule_hover(c) for c in codes))
        )

    return server


def quick_fixes(ls: AsyncLintServer, document: Document, params: types.CodeActionParams) -> list[types.CodeAction]:
    """Per finding in the request's context: its fix (safe ones preferred), and a noqa for its line."""
    from asynclint.rules.registry import rules_by_code

    actions: list[types.CodeAction] = []
    rules = rules_by_code()
    lines = document.text.splitlines()
    for diagnostic in params.context.diagnostics:
        finding = _finding_for(document, diagnostic, lines)
        if finding is None:
            continue
        code = finding.code
        rule = rules.get(code)
        if rule is not None and finding.fix in (FixSafety.SAFE, FixSafety.UNSAFE):
            unsafe = finding.fix is FixSafety.UNSAFE
            fixed = ls.fix_text(document, unsafe=unsafe, only=functools.partial(_same_finding, finding))
            if fixed is not None:
                title = f"asynclint: {fix_title(rule.fix_title, code)}" + (" (unsafe)" if unsafe else "")
                actions.append(
                    types.CodeAction(
                        title=title,
                        kind=types.CodeActionKind.QuickFix,
                        diagnostics=[diagnostic],
                        is_preferred=not unsafe,
                        edit=_edit(document, whole_text_edit(document.text, fixed)),
                    )
                )
        if code != "ASL000":
            edit = noqa_edit(document.text, finding.line, code)
            if edit is not None:
                actions.append(
                    types.CodeAction(
                        title=f"asynclint: ignore {code} on this line",
                        kind=types.CodeActionKind.QuickFix,
                        diagnostics=[diagnostic],
                        edit=_edit(document, edit),
                    )
                )
    return actions


class _Named(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return key


def fix_title(template: str | None, code: str) -> str:
    """The rule's fix title; the fields only the finding knew (`{sleep}`) read as their names."""
    if not template:
        return f"Fix {code}"
    try:
        return template.format_map(_Named())
    except (ValueError, IndexError):
        return template


def _finding_for(document: Document, diagnostic: types.Diagnostic, lines: Sequence[str]) -> Diagnostic | None:
    """The published finding a client's diagnostic stands for (found by code and start, not `data`,
    which some clients drop)."""
    if diagnostic.source != SOURCE:
        return None
    for finding in document.findings:
        if finding.code == str(diagnostic.code) and to_lsp(finding, lines).range.start == diagnostic.range.start:
            return finding
    return None


def rule_hover(code: str) -> str:
    """The rule's summary and fix safety, for a hover."""
    from asynclint.app.docs import fix_label, summary
    from asynclint.rules.registry import rules_by_code

    rule = rules_by_code().get(code)
    if rule is None:
        return f"**{code}** cannot parse this file"
    fix = {"safe": "safe fix", "unsafe": "unsafe fix (not applied by `fix` without `--unsafe-fixes`)", "none": "no automatic fix"}
    return f"**{code}** `{rule.name}`: {summary(rule)}\n\n*{fix[fix_label(rule)]}*"


def _edit(document: Document, edit: types.TextEdit) -> types.WorkspaceEdit:
    return types.WorkspaceEdit(
        document_changes=[
            types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(uri=document.uri, version=document.version),
                edits=[edit],
            )
        ]
    )


def serve() -> None:
    """Run over stdio until the client says exit."""
    create_server().start_io()
