"""Lint one file: screen it, then (where a rule may fire) one parse, one traversal, then noqa.

Nothing here loads libcst: a file no rule can fire on, which the screens (`engine/screening.py`)
tell from an `ast` read, is checked without it. `engine/visit.py`, the libcst side, is
imported when a file needs it.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Callable, Sequence

from asynclint.analysis.index.model import ProjectIndex
from asynclint.analysis.modules import is_package_init, module_name
from asynclint.analysis.reduce import reduced_source
from asynclint.core.config import Config
from asynclint.core.diagnostic import Diagnostic, FileResult
from asynclint.core.errors import TOO_DEEP, RuleCrash, TooDeep
from asynclint.core.paths import real_path
from asynclint.engine import collector
from asynclint.engine.screening import screen_blocks, screens_named, was_read
from asynclint.engine.source import ParseFailure, parse, syntax_check
from asynclint.rules.screen import Screen

if TYPE_CHECKING:
    from asynclint.rules.base import Rule

PARSE_ERROR_CODE = "ASL000"
PARSE_ERROR_NAME = "cannot-parse"

def lint_source(
    source: bytes | str,
    path: str,
    config: Config,
    *,
    rules: Sequence[type[Rule]] | None = None,
    noqa: bool = True,
    raise_errors: bool = False,
    project: ProjectIndex | None = None,
    reuse: Callable[[str], tuple[Diagnostic, ...] | None] | None = None,
) -> FileResult:
    """Check one file's source with the rules the config enables for its path.

    `project` is the index of the whole linted tree; without one, the file is its own project.
    When libcst is to read only the blocks where a rule may fire, the result carries a digest
    of all it depends on besides the configuration and the rest of the index (what libcst is
    given, the rules, what the file itself defines, its module name): `reuse` gives the
    findings made from that same digest before, if known, and then libcst is not needed.
    """
    # Screened through the screen classes (a rule class is its own screen too): no libcst yet.
    codes = config.codes_for(path) if rules is None else tuple(rule.code for rule in rules)
    screens: Sequence[type[Screen]] = screens_named(codes) if rules is None else rules
    screened = screen_blocks(screens, source, path, config, project)
    kept = [code for code, screen in zip(codes, screens) if screen in screened.rules]
    project = screened.project
    if not screened.rules:
        # A file `ast` has read (to build the index, or to screen) parses: no second read to know it.
        read = screened.facts is not None or was_read(source, path, screened.project)
        failure = None if read else syntax_check(source)
        found = (parse_error(path, failure),) if failure else ()
        return FileResult(path, found)
    digest = None
    if screened.facts is not None and screened.keep is not None and isinstance(source, bytes):
        # libcst reads only the blocks where a rule may fire (findings carry no edit to apply then).
        source = reduced_source(source, screened.facts, screened.keep)
        digest = input_digest(source, path, kept, project)
        known = reuse(digest) if reuse is not None else None
        if known is not None:
            return FileResult(path, known, input_digest=digest)
    with collector.paused():  # (libcst's tree and scopes: millions of objects)
        module = parse(source)
        if isinstance(module, ParseFailure):
            return FileResult(path, (parse_error(path, module),), input_digest=digest)
        from asynclint.engine.visit import lint_parsed  # libcst, and the rules
        from asynclint.rules.registry import rules_named

        candidates = rules_named(kept) if rules is None else [rule for rule in rules if rule.code in kept]
        try:
            text = source.decode(module.encoding) if isinstance(source, bytes) else source
            diagnostics = lint_parsed(module, path, config, candidates, project, noqa, text)
        except (TooDeep, RecursionError):  # the walk, or libcst's code generator for noqa
            return FileResult(path, (parse_error(path, ParseFailure(TOO_DEEP)),))
        except RuleCrash as crash:
            if raise_errors:
                raise
            return FileResult(path, (), error=str(crash))
        return FileResult(path, tuple(diagnostics), input_digest=digest)


def input_digest(source: bytes, path: str, codes: Sequence[str], project: ProjectIndex | None) -> str:
    """What a file's findings are made from, besides the configuration and the other modules' definitions."""
    own = project.by_path.get(real_path(path)) if project is not None else None
    parts = [",".join(codes), module_name(path), str(is_package_init(path)), own[1].to_text() if own is not None else "-"]
    return hashlib.sha1("\n".join(parts).encode() + b"\n" + source).hexdigest()


def parse_error(path: str, failure: ParseFailure) -> Diagnostic:
    """The ASL000 finding for a file that cannot be parsed or read."""
    return Diagnostic(
        path=path,
        line=max(failure.line, 1),
        col=max(failure.col, 0),
        code=PARSE_ERROR_CODE,
        message=failure.message,
        name=PARSE_ERROR_NAME,
        end_line=max(failure.line, 1),
        end_col=max(failure.col, 0),
    )
