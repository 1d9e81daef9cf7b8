"""The `asynclint` command: parse arguments, call the engine, render. Nothing else.

The rules are libcst visitors, and importing libcst costs more than a whole warm run: this
module and what it imports at the top never load them (see `asynclint.core.catalog`). Commands
that describe the rules import them when they run; the engine does when a file needs checking.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, Callable, NoReturn, Sequence

import click

from asynclint import __version__
from asynclint.app import baseline
from asynclint.app.report import FORMATS
from asynclint.app.report import text as text_report
from asynclint.core.cachedir import Caches
from asynclint.core.config import Config, ConfigError, load_config, split_codes
from asynclint.core.diagnostic import FileResult
from asynclint.engine import interrupt
from asynclint.engine.collector import collect_less
from asynclint.engine.files import discover, ignore_skipped, path_problem
from asynclint.engine.runner import check_files, check_text, default_jobs

if TYPE_CHECKING:
    from asynclint.app.fixes.run import FixReport

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def fail(message: str) -> NoReturn:
    """A one-line error on stderr and exit status 2."""
    click.echo(f"asynclint: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="asynclint")
def cli() -> None:
    """Find and fix the mistakes people make with async/await."""


@dataclass(frozen=True)
class CommonOptions:
    """What `check` and `fix` share: what to lint, with which rules, how to talk."""

    paths: tuple[str, ...]
    select: tuple[str, ...]
    ignore: tuple[str, ...]
    extend_select: tuple[str, ...]
    config_file: str | None
    unsafe_fixes: bool
    quiet: bool
    verbose: bool
    no_color: bool
    jobs: int | None
    stdin_filename: str | None
    force_exclude: bool


def common_options(command: Callable[..., None]) -> Callable[..., None]:
    """Add the shared options; the command receives them as one `CommonOptions` first argument."""
    names = [f.name for f in fields(CommonOptions)]

    @functools.wraps(command)
    def packed(**kwargs: Any) -> None:
        command(CommonOptions(**{name: kwargs.pop(name) for name in names}), **kwargs)

    wrapped: Callable[..., None] = packed
    for option in reversed(
        [
            click.argument("paths", nargs=-1),
            click.option("--select", multiple=True, help="Codes or prefixes to enable (comma-separated; ALL for every rule)."),
            click.option("--ignore", multiple=True, help="Codes or prefixes to disable."),
            click.option("--extend-select", multiple=True, help="Codes or prefixes to enable on top of the selection."),
            click.option("--config", "config_file", metavar="FILE", help="A pyproject.toml to read [tool.asynclint] from."),
            click.option("--unsafe-fixes", is_flag=True, help="Also apply (with fix) or count as fixable the unsafe fixes."),
            click.option("-q", "--quiet", is_flag=True, help="Print only the findings: no summary, no progress."),
            click.option("-v", "--verbose", is_flag=True, help="Also say which files and folders were skipped, and why."),
            click.option("--no-color", is_flag=True, help="No colors (also off when piped, or with NO_COLOR set)."),
            click.option(
                "-j",
                "--jobs",
                type=click.IntRange(min=1),
                help="Worker processes (default: the number of CPUs; 1 runs everything in this process).",
            ),
            click.option(
                "--stdin-filename",
                metavar="PATH",
                help="Read the source from stdin (also with `-` as the only path) and treat it as PATH: "
                "its config, excludes, per-file-ignores and project.",
            ),
            click.option(
                "--force-exclude",
                is_flag=True,
                help="Apply exclude and extend-exclude to files named on the command line too (as pre-commit names them).",
            ),
        ]
    ):
        wrapped = option(wrapped)
    return wrapped


@dataclass(frozen=True)
class Targets:
    """What a run checks: files found on disk, or the text of stdin standing for one path."""

    files: list[str]
    #: One line each: a path named on the command line that does not exist or is not a regular file.
    path_errors: list[str]
    #: The source read from stdin, and the path it stands for ("-" when none was given).
    stdin: tuple[bytes, str] | None = None


def load(common: CommonOptions) -> tuple[Config, Targets]:
    """The configuration and what to check, or a one-line error and exit 2.

    A path that does not exist, or is not a regular file or a folder, does not stop the run:
    the others are checked, and the run ends with its error and exit status 2.
    """
    reading_stdin = common.paths == ("-",) or (common.stdin_filename is not None and not common.paths)
    if "-" in common.paths and not reading_stdin:
        fail("`-` (read stdin) must be the only path")
    if common.stdin_filename is not None and not reading_stdin:
        fail("--stdin-filename reads stdin: give `-` as the only path, or no path")
    if common.select and not split_codes(common.select):
        fail("--select needs at least one code or prefix (ALL for every rule)")
    stdin_path = common.stdin_filename or "-"
    errors: list[str] = []
    if reading_stdin:
        targets = [stdin_path if common.stdin_filename else "."]
    else:  # the paths that cannot be checked are left out before the config is looked for from the first
        named = list(common.paths) or ["."]
        problems = [path_problem(path) for path in named]
        errors = [problem for problem in problems if problem is not None]
        targets = [path for path, problem in zip(named, problems) if problem is None]
        if not targets:  # nothing named can be checked: only the errors
            for error in errors:
                click.echo(f"asynclint: error: {error}", err=True)
            sys.exit(EXIT_ERROR)
    try:
        config = load_config(
            targets,
            config_file=common.config_file,
            select=split_codes(common.select),
            ignore=split_codes(common.ignore),
            extend_select=split_codes(common.extend_select),
            force_exclude=common.force_exclude,
        )
    except ConfigError as exc:
        fail(str(exc))
    if reading_stdin:
        return config, Targets([], [], (sys.stdin.buffer.read(), stdin_path))
    skipped = _say_skipped if common.verbose else ignore_skipped
    return config, Targets(discover(targets, config, on_skip=skipped, on_error=errors.append), errors)


def _stdin_excluded(config: Config, path: str) -> bool:
    """Whether the file stdin stands for matches an `exclude` glob (a buffer piped by an editor is not named by the user)."""
    return path != "-" and config.excludes(config.relative_path(path))


def stop_on_signals(fixing: bool) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Run the command so that SIGINT/SIGTERM stop it cleanly: one line, exit 130/143, no traceback.

    `fixing`: the command writes files (`check` does with `--fix`), and the line says what it left.
    """

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(command)
        def guarded(*args: Any, **kwargs: Any) -> None:
            try:
                with interrupt.handling():
                    command(*args, **kwargs)
            except interrupt.Interrupted as stop:
                after = STOPPED_FIXING if fixing or kwargs.get("apply_fixes") else ""
                click.echo(f"asynclint: stopped by {stop.signal_name}{after}", err=True)
                sys.exit(stop.exit_status)

        return guarded

    return decorate


def _say_skipped(path: str, reason: str) -> None:
    click.echo(f"asynclint: skipped {path}: {reason}", err=True)


PROGRESS_THRESHOLD = 200
#: Every write either finished or never started: no file is half-written.
STOPPED_FIXING = "; each file is either fixed or as it was"


def use_color(no_color: bool) -> bool:
    """Colors on a terminal only, and never with --no-color or NO_COLOR (https://no-color.org)."""
    return not no_color and not os.environ.get("NO_COLOR") and sys.stdout.isatty()


def lint_with_progress(files: Sequence[str], config: Config, quiet: bool, jobs: int, caches: Caches) -> list[FileResult]:
    """Lint, with a progress bar on stderr for long runs on a terminal."""
    cache = caches.results(config)
    if quiet or len(files) <= PROGRESS_THRESHOLD or not sys.stderr.isatty():
        return check_files(files, config, jobs=jobs, cache_dir=cache, fresh=False, caches=caches)
    with click.progressbar(length=len(files), label="Checking", file=sys.stderr) as bar:
        return check_files(files, config, jobs=jobs, cache_dir=cache, on_file=lambda: bar.update(1), fresh=False, caches=caches)


no_cache_option = click.option("--no-cache", is_flag=True, help="Read and write no cache: nothing is written but the fixes.")
cache_dir_option = click.option(
    "--cache-dir",
    metavar="DIR",
    help="The folder for every cache: results and project index (default: .asynclint_cache at the project's root).",
)


@cli.command()
@common_options
@click.option("--format", "output_format", type=click.Choice(sorted(FORMATS)), default="text", show_default=True)
@click.option("--statistics", is_flag=True, help="Print the number of findings per code.")
@click.option("--output-file", type=click.Path(dir_okay=False, writable=True), help="Write the findings there, not to stdout.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--write-baseline", metavar="FILE", help="Record today's findings in FILE and exit 0.")
@click.option("--baseline", "baseline_file", metavar="FILE", help="Report only findings not recorded in FILE.")
@click.option("--fix", "apply_fixes", is_flag=True, help="Apply fixes, as `asynclint fix` does.")
@click.option("--diff", is_flag=True, help="With --fix: print the changes instead of writing them.")
@no_cache_option
@cache_dir_option
@stop_on_signals(fixing=False)
def check(
    common: CommonOptions,
    output_format: str,
    statistics: bool,
    output_file: str | None,
    exit_zero: bool,
    write_baseline: str | None,
    baseline_file: str | None,
    apply_fixes: bool,
    diff: bool,
    no_cache: bool,
    cache_dir: str | None,
) -> None:
    """Check PATHS (default: the current folder; `-`: stdin) for async pitfalls."""
    config, targets = load(common)
    quiet, unsafe_fixes = common.quiet, common.unsafe_fixes
    jobs = common.jobs or default_jobs()
    if apply_fixes:
        caches = Caches.for_run(config, cache_dir, no_cache=no_cache, dry_run=diff)
        run_fix(targets, config, unsafe_fixes, diff, exit_zero, quiet, jobs, caches)
    if targets.stdin is not None:
        source, path = targets.stdin
        results = [] if _stdin_excluded(config, path) else [check_text(source, path, config)]
    else:
        results = lint_with_progress(targets.files, config, quiet, jobs, Caches.for_run(config, cache_dir, no_cache=no_cache))
    diagnostics = sorted(d for result in results for d in result.diagnostics)
    fixed_since = None
    try:
        if write_baseline is not None:
            count = baseline.write(write_baseline, baseline.entries(diagnostics, config.root))
            click.echo(f"Recorded {count} finding{'s' if count != 1 else ''} in {write_baseline}.")
            sys.exit(EXIT_CLEAN)
        if baseline_file is not None:
            recorded = baseline.load(baseline_file)
            diagnostics, fixed_since = baseline.without_baseline(diagnostics, recorded, config.root)
    except baseline.BaselineError as exc:
        fail(str(exc))
    if output_format == "text" and output_file is None and use_color(common.no_color):
        rendered = text_report.render(diagnostics, color=True)
    else:
        rendered = FORMATS[output_format](diagnostics)
    if output_file is not None:
        try:
            with open(output_file, "w", encoding="utf-8") as handle:
                handle.write(rendered)
        except OSError as exc:
            fail(f"cannot write {output_file}: {exc.strerror or exc}")
    else:
        click.echo(rendered, nl=False)
    if output_format in ("text", "grouped") and not quiet:
        if statistics and diagnostics:
            click.echo(text_report.statistics(diagnostics), nl=False)
        click.echo(text_report.summary(diagnostics), nl=False)
        click.echo(text_report.fixable(diagnostics, unsafe_fixes), nl=False)
    if fixed_since and not quiet:
        plural = "entries are" if fixed_since != 1 else "entry is"
        click.echo(f"{fixed_since} baseline {plural} now fixed.", err=output_format not in ("text", "grouped"))
    errors = targets.path_errors + [result.error for result in results if result.error]
    for error in errors:
        click.echo(f"asynclint: error: {error}", err=True)
    if errors:
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FINDINGS if diagnostics and not exit_zero else EXIT_CLEAN)


@cli.command()
@common_options
@click.option("--diff", is_flag=True, help="Print a unified diff of the changes instead of writing them.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings are left (errors still exit 2).")
@no_cache_option
@cache_dir_option
@stop_on_signals(fixing=True)
def fix(common: CommonOptions, diff: bool, exit_zero: bool, no_cache: bool, cache_dir: str | None) -> None:
    """Apply the fixes of the selected rules to PATHS (safe ones; --unsafe-fixes for all).

    With `-` (or --stdin-filename), the fixed text of stdin goes to stdout, the rest to stderr.
    """
    config, targets = load(common)
    caches = Caches.for_run(config, cache_dir, no_cache=no_cache, dry_run=diff)
    run_fix(targets, config, common.unsafe_fixes, diff, exit_zero, common.quiet, common.jobs or default_jobs(), caches)


def run_fix(
    targets: Targets,
    config: Config,
    unsafe: bool,
    diff: bool,
    exit_zero: bool = False,
    quiet: bool = False,
    jobs: int = 1,
    caches: Caches = Caches(),
) -> NoReturn:
    """Fix every file (or print the diff), report what is left, and exit."""
    from asynclint.app.fixes.run import fix_files  # (libcst: `check` never loads it)

    if targets.stdin is not None:
        run_fix_stdin(*targets.stdin, config, unsafe, diff, exit_zero, quiet)
    reports = fix_files(targets.files, config, unsafe=unsafe, diff=diff, jobs=jobs, fresh=False, caches=caches)
    errors = targets.path_errors + [report.error for report in reports if report.error]
    if diff:
        for report in reports:
            click.echo(report.diff, nl=False)
    done = [report.outcome for report in reports if report.changed]
    remaining = sorted(d for report in reports for d in report.outcome.remaining)
    if not diff:
        click.echo(text_report.render(remaining), nl=False)
    if not quiet:
        refused = [report.outcome for report in reports if report.error and report.outcome.applied]
        click.echo(text_report.fix_summary(done, remaining, unsafe, dry_run=diff, refused=refused), nl=False, err=diff)
    for error in errors:
        click.echo(f"asynclint: error: {error}", err=True)
    if errors:
        sys.exit(EXIT_ERROR)
    if diff:
        sys.exit(EXIT_FINDINGS if done and not exit_zero else EXIT_CLEAN)
    sys.exit(EXIT_FINDINGS if remaining and not exit_zero else EXIT_CLEAN)


def run_fix_stdin(source: bytes, path: str, config: Config, unsafe: bool, diff: bool, exit_zero: bool, quiet: bool) -> NoReturn:
    """`fix -`: the fixed text (or with --diff, the diff) on stdout; findings left and the summary on stderr."""
    if _stdin_excluded(config, path):  # echoed as it came, as for a file that is not checked
        if not diff:
            sys.stdout.buffer.write(source)
        sys.exit(EXIT_CLEAN)
    report = _fix_stdin_report(source, path, config, unsafe, diff)
    if diff:
        click.echo(report.diff, nl=False)
    else:
        fixed = report.outcome.fixed if report.changed else source
        sys.stdout.buffer.write(fixed if isinstance(fixed, bytes) else fixed.encode("utf-8"))
        sys.stdout.flush()
    remaining = sorted(report.outcome.remaining)
    click.echo(text_report.render(remaining), nl=False, err=True)
    if not quiet:
        done = [report.outcome] if report.changed else []
        click.echo(text_report.fix_summary(done, remaining, unsafe, dry_run=diff), nl=False, err=True)
    if report.error:
        click.echo(f"asynclint: error: {report.error}", err=True)
        sys.exit(EXIT_ERROR)
    if diff:
        sys.exit(EXIT_FINDINGS if report.changed and not exit_zero else EXIT_CLEAN)
    sys.exit(EXIT_FINDINGS if remaining and not exit_zero else EXIT_CLEAN)


def _fix_stdin_report(source: bytes, path: str, config: Config, unsafe: bool, diff: bool) -> FixReport:
    from asynclint.app.fixes.run import FixReport, fix_text
    from asynclint.app.fixes.write import unified_diff

    outcome = fix_text(source, path, config, unsafe=unsafe)
    if outcome.error:
        return FixReport(path, False, outcome, error=outcome.error)
    if not outcome.changed:
        return FixReport(path, False, outcome)
    return FixReport(path, True, outcome, diff=unified_diff(path, outcome.text_before, outcome.text_after) if diff else "")


@cli.command()
@click.option("--format", "output_format", type=click.Choice(["table", "json", "markdown"]), default="table")
def rules(output_format: str) -> None:
    """List every rule: code, name, what it catches, fix safety."""
    from asynclint.app.docs import rules_markdown, rules_table

    rows = rules_table()
    if output_format == "json":
        click.echo(json.dumps(rows, indent=2))
    elif output_format == "markdown":
        click.echo(rules_markdown(), nl=False)
    else:
        for row in rows:
            flag = "" if row["default"] else " (preview)"
            click.echo(f"{row['code']}  {row['name']:<28} fix: {row['fix']:<7} {row['summary']}{flag}")


@cli.command()
@click.argument("code")
def explain(code: str) -> None:
    """Show the documentation of one rule, e.g. `asynclint explain ASL101`."""
    from asynclint.app.docs import explain as explain_rule
    from asynclint.rules.registry import rules_by_code

    rule = rules_by_code().get(code.upper())
    if rule is None:
        fail(f"unknown rule code: {code!r} (see `asynclint rules`)")
    click.echo(explain_rule(rule), nl=False)


@cli.command()
def server() -> None:
    """Run the language server over stdio (diagnostics and quick fixes in your editor)."""
    try:
        from asynclint.app.server import serve
    except ImportError as exc:
        fail(f"the language server needs pygls: pip install 'asynclint[server]' ({exc})")
    serve()


def main() -> None:
    """Console-script entry point."""
    collect_less()
    cli(prog_name="asynclint")

