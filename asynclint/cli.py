"""The `asynclint` command: parse arguments, call the engine, render. Nothing else."""

from __future__ import annotations

import json
import sys
from typing import NoReturn, Sequence

import click

from asynclint import __version__
from asynclint.config import ConfigError, load_config, split_codes
from asynclint.docs import explain as explain_rule
from asynclint.docs import rules_markdown, rules_table
from asynclint.engine.files import PathError, discover
from asynclint.engine.lint import lint_paths
from asynclint.registry import rules_by_code
from asynclint.report import FORMATS
from asynclint.report import text as text_report

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def fail(message: str) -> NoReturn:
    """A one-line error on stderr and exit status 2."""
    click.echo(f"asynclint: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="asynclint")
def cli() -> None:
    """Find and fix the mistakes people make with async/await."""


@cli.command()
@click.argument("paths", nargs=-1)
@click.option("--select", multiple=True, help="Codes or prefixes to enable (comma-separated; ALL for every rule).")
@click.option("--ignore", multiple=True, help="Codes or prefixes to disable.")
@click.option("--extend-select", multiple=True, help="Codes or prefixes to enable on top of the selection.")
@click.option("--format", "output_format", type=click.Choice(sorted(FORMATS)), default="text", show_default=True)
@click.option("--statistics", is_flag=True, help="Print the number of findings per code.")
@click.option("--config", "config_file", metavar="FILE", help="A pyproject.toml to read [tool.asynclint] from.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
def check(
    paths: Sequence[str],
    select: Sequence[str],
    ignore: Sequence[str],
    extend_select: Sequence[str],
    output_format: str,
    statistics: bool,
    config_file: str | None,
    exit_zero: bool,
) -> None:
    """Check PATHS (default: the current folder) for async pitfalls."""
    targets = list(paths) or ["."]
    try:
        config = load_config(
            targets,
            config_file=config_file,
            select=split_codes(select),
            ignore=split_codes(ignore),
            extend_select=split_codes(extend_select),
        )
        files = discover(targets, config)
    except (ConfigError, PathError) as exc:
        fail(str(exc))
    results = lint_paths(files, config)
    diagnostics = sorted(d for result in results for d in result.diagnostics)
    click.echo(FORMATS[output_format](diagnostics), nl=False)
    if output_format == "text":
        if statistics and diagnostics:
            click.echo(text_report.statistics(diagnostics), nl=False)
        click.echo(text_report.summary(diagnostics), nl=False)
    errors = [result.error for result in results if result.error]
    for error in errors:
        click.echo(f"asynclint: error: {error}", err=True)
    if errors:
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FINDINGS if diagnostics and not exit_zero else EXIT_CLEAN)


@cli.command()
@click.option("--format", "output_format", type=click.Choice(["table", "json", "markdown"]), default="table")
def rules(output_format: str) -> None:
    """List every rule: code, name, what it catches, fix safety."""
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
    rule = rules_by_code().get(code.upper())
    if rule is None:
        fail(f"unknown rule code: {code!r} (see `asynclint rules`)")
    click.echo(explain_rule(rule), nl=False)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="asynclint")
