"""Ecosystem check: every rule on the pinned corpus, compared with hand-judged verdicts.

    python benchmarks/ecosystem.py                   # run --select ALL on the corpus, compare, report
    python benchmarks/ecosystem.py --codes ASL401    # only these codes (prefixes allowed)
    python benchmarks/ecosystem.py --update          # also record new findings with verdict `?`
    python benchmarks/ecosystem.py --save out.json   # also keep the check's output, to compare again
    python benchmarks/ecosystem.py --findings out.json  # compare a saved `check` output (text or json)

Modelled on ruff's ecosystem check. The corpus (benchmarks/corpus.txt, homeassistant included) is
fetched as in real_code.py when missing, then linted with `asynclint check --select ALL --no-cache`,
with the corpus's packages as the `python-path` its installed libraries are read from.
Each finding is matched by (code, path, line) with the verdicts in benchmarks/ecosystem/findings.tsv,
one per line: `CODE<TAB>path:line<TAB>TP|FP|debatable|?<TAB>reason`, path relative to
benchmarks/corpus/. The corpus is pinned, so a finding only moves when the file does: exact lines.

Prints, per code: findings (distinct code, path and line), new (no verdict yet), gone (judged, no
longer reported: a gone TP is a lost true positive), judged, TP/FP/debatable, precision = TP / (TP + FP); totals over the default
rules (those on without --select, from the catalog); then every unjudged finding.
Exits 1 when a finding has no verdict or a judged TP is gone, else 0.
`--update` writes the new findings into the file with verdict `?` (judge them by editing the file)
and drops `?` lines no longer reported; `--prune` also drops judged lines no longer reported.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, NamedTuple

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Not resolved: benchmarks/corpus is usually a symlink, and the findings' paths go through it.
CORPUS = HERE / "corpus"
VERDICTS = HERE / "ecosystem" / "findings.tsv"
JUDGED = ("TP", "FP", "debatable")
UNJUDGED = "?"
TEXT_LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]+\d+)(?: \[\*\])? (?P<message>.*)$")


class Key(NamedTuple):
    """What a verdict is matched by."""

    code: str
    path: str  # relative to benchmarks/corpus/
    line: int

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Verdict:
    verdict: str
    reason: str


@dataclass
class Row:
    """One code's figures."""

    findings: int = 0
    new: int = 0
    gone: int = 0
    gone_tp: int = 0
    tp: int = 0
    fp: int = 0
    debatable: int = 0

    @property
    def judged(self) -> int:
        return self.tp + self.fp + self.debatable

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    def add(self, other: Row) -> None:
        for name in ("findings", "new", "gone", "gone_tp", "tp", "fp", "debatable"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Comparison:
    rows: dict[str, Row]
    unjudged: list[tuple[Key, str]]  # with the finding's message
    gone: list[tuple[Key, Verdict]]


# --- the verdict file ---------------------------------------------------------------------------


def parse_location(location: str) -> tuple[str, int]:
    path, _, line = location.rpartition(":")
    if not path or not line.isdigit():
        raise ValueError(f"not path:line: {location!r}")
    return path, int(line)


def read_verdicts(text: str) -> dict[Key, Verdict]:
    """The file's verdicts; blank lines and `#` comments are allowed, anything else malformed is an error."""
    verdicts: dict[Key, Verdict] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip() or raw.startswith("#"):
            continue
        fields = raw.split("\t")
        if len(fields) < 3:
            raise ValueError(f"line {number}: expected CODE<TAB>path:line<TAB>VERDICT<TAB>reason: {raw!r}")
        code, location, verdict = fields[0].strip(), fields[1].strip(), fields[2].strip()
        reason = "\t".join(fields[3:]).strip()
        if verdict not in (*JUDGED, UNJUDGED):
            raise ValueError(f"line {number}: verdict must be TP, FP, debatable or ?, not {verdict!r}")
        path, line = parse_location(location)
        key = Key(code, path, line)
        if key in verdicts and verdicts[key] != Verdict(verdict, reason):
            raise ValueError(f"line {number}: {code} {location} is judged twice, differently")
        verdicts[key] = Verdict(verdict, reason)
    return verdicts


def sort_key(key: Key) -> tuple[str, str, int]:
    return (key.code, key.path, key.line)


def write_verdicts(verdicts: dict[Key, Verdict]) -> str:
    """Sorted by code, path, line: the same verdicts always give the same file."""
    return "".join(
        f"{key.code}\t{key.location}\t{v.verdict}\t{v.reason}\n"
        for key, v in sorted(verdicts.items(), key=lambda item: sort_key(item[0]))
    )


# --- the findings -------------------------------------------------------------------------------


def corpus_relative(path: str) -> str:
    absolute = os.path.abspath(path)
    relative = os.path.relpath(absolute, CORPUS)
    if relative.startswith(".."):
        # A path through the symlink's target, or from another checkout's corpus.
        marker = "benchmarks/corpus/"
        relative = path.split(marker, 1)[1] if marker in path else relative
    return Path(relative).as_posix()


def parse_findings(text: str) -> dict[Key, str]:
    """A `check` output, `--format json` or text, as {key: message}; summary lines are skipped."""
    findings: dict[Key, str] = {}
    if text.lstrip().startswith("["):
        for item in json.loads(text):
            key = Key(item["code"], corpus_relative(item["path"]), int(item["line"]))
            findings.setdefault(key, item["message"])
        return findings
    for raw in text.splitlines():
        match = TEXT_LINE.match(raw.strip())
        if match:
            key = Key(match["code"], corpus_relative(match["path"]), int(match["line"]))
            findings.setdefault(key, match["message"])
    return findings


def run_check(codes: list[str] | None, jobs: int) -> str:
    """`asynclint check` on every pinned package, fetched first when missing; its JSON output."""
    sys.path.insert(0, str(HERE))
    from real_code import fetch, pinned

    roots = [fetch(spec) for spec in pinned(None, include_big=True)]
    select = ",".join(codes) if codes else "ALL"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "findings.json"
        # The repository's own [tool.asynclint] excludes benchmarks/corpus: one of our own instead. Its
        # `python-path` is the corpus: installed libraries are read from the pinned packages only,
        # never from whatever the environment running this holds (the verdicts stay reproducible).
        config = Path(tmp) / "pyproject.toml"
        config.write_text(f"[tool.asynclint]\npython-path = {json.dumps([str(r) for r in roots])}\n")
        command = [
            sys.executable, "-m", "asynclint", "check", "--config", str(config),
            "--select", select, "--no-cache", "-q", "--exit-zero",
            "-j", str(jobs), "--format", "json", "--output-file", str(out),
            *(str(r) for r in roots),  # absolute: the findings' paths do not depend on any cwd
        ]
        subprocess.run(command, cwd=ROOT, check=True)
        return out.read_text()


# --- the comparison -----------------------------------------------------------------------------


def selected(code: str, codes: list[str] | None) -> bool:
    return codes is None or any(code.startswith(prefix) for prefix in codes)


def compare(findings: dict[Key, str], verdicts: dict[Key, Verdict], codes: list[str] | None = None) -> Comparison:
    rows: dict[str, Row] = {}
    unjudged: list[tuple[Key, str]] = []
    gone: list[tuple[Key, Verdict]] = []
    for key, message in findings.items():
        if not selected(key.code, codes):
            continue
        row = rows.setdefault(key.code, Row())
        row.findings += 1
        verdict = verdicts.get(key)
        if verdict is None or verdict.verdict == UNJUDGED:
            row.new += 1
            unjudged.append((key, message))
        elif verdict.verdict == "TP":
            row.tp += 1
        elif verdict.verdict == "FP":
            row.fp += 1
        else:
            row.debatable += 1
    for key, verdict in verdicts.items():
        if key in findings or not selected(key.code, codes) or verdict.verdict == UNJUDGED:
            continue
        row = rows.setdefault(key.code, Row())
        row.gone += 1
        row.gone_tp += verdict.verdict == "TP"
        gone.append((key, verdict))
    unjudged.sort(key=lambda item: (item[0].path, item[0].line, item[0].code))
    gone.sort(key=lambda item: sort_key(item[0]))
    return Comparison(rows, unjudged, gone)


def updated(
    findings: dict[Key, str], verdicts: dict[Key, Verdict], codes: list[str] | None, prune: bool
) -> dict[Key, Verdict]:
    """The verdicts with every new finding as `?`, and without the `?` (or, pruning, any) lines gone."""
    result = {}
    for key, verdict in verdicts.items():
        reported = key in findings or not selected(key.code, codes)
        if reported or (verdict.verdict != UNJUDGED and not prune):
            result[key] = verdict
    for key in findings:
        if selected(key.code, codes) and key not in result:
            result[key] = Verdict(UNJUDGED, "")
    return result


# --- the report ---------------------------------------------------------------------------------


def rule_codes() -> tuple[set[str], set[str]]:
    """The codes of the rules on by default, and of those in preview, from the catalog."""
    from asynclint.core.catalog import RULES

    return {r.code for r in RULES if r.default_enabled}, {r.code for r in RULES if not r.default_enabled}


def format_row(label: str, row: Row) -> str:
    precision = "-" if row.precision is None else f"{row.precision:.2f}"
    gone = f"{row.gone} ({row.gone_tp} TP!)" if row.gone_tp else str(row.gone)
    return (
        f"{label:<22} {row.findings:>8} {row.new:>5} {gone:>12} {row.judged:>6} "
        f"{row.tp:>5} {row.fp:>5} {row.debatable:>9} {precision:>9}"
    )


def report(comparison: Comparison, defaults: set[str], previews: set[str] = frozenset()) -> Iterable[str]:
    yield f"{'code':<22} {'findings':>8} {'new':>5} {'gone':>12} {'judged':>6} {'TP':>5} {'FP':>5} {'debatable':>9} {'precision':>9}"
    total = Row()
    for code in sorted(comparison.rows):
        row = comparison.rows[code]
        if code in defaults:
            total.add(row)
        yield format_row(f"{code} (preview)" if code in previews else code, row)
    yield format_row("default rules", total)
    if comparison.gone:
        yield ""
        yield f"judged findings no longer reported ({len(comparison.gone)}):"
        for key, verdict in comparison.gone:
            flag = "  LOST TRUE POSITIVE" if verdict.verdict == "TP" else ""
            yield f"  {key.location} {key.code} was {verdict.verdict}: {verdict.reason}{flag}"
    yield ""
    yield f"unjudged findings ({len(comparison.unjudged)}):"
    for key, message in comparison.unjudged:
        yield f"  {key.location} {key.code} {message}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--codes", help="comma-separated codes or prefixes to check and compare (default: all)")
    parser.add_argument("-j", "--jobs", type=int, default=1, help="worker processes for the check (default: 1)")
    parser.add_argument("--findings", metavar="FILE", help="compare this saved `check` output (text or json) instead of running")
    parser.add_argument("--save", metavar="FILE", help="also write the check's JSON output there (for --findings)")
    parser.add_argument("--verdicts", metavar="FILE", default=str(VERDICTS), help="the verdict file (default: %(default)s)")
    parser.add_argument("--update", action="store_true", help="write new findings into the verdict file with verdict `?`")
    parser.add_argument("--prune", action="store_true", help="with --update: also drop judged lines no longer reported")
    args = parser.parse_args(argv)
    codes = [c.strip() for c in args.codes.split(",") if c.strip()] if args.codes else None

    verdict_file = Path(args.verdicts)
    verdicts = read_verdicts(verdict_file.read_text()) if verdict_file.exists() else {}
    output = Path(args.findings).read_text() if args.findings else run_check(codes, args.jobs)
    if args.save:
        Path(args.save).write_text(output)
    findings = parse_findings(output)
    comparison = compare(findings, verdicts, codes)
    for line in report(comparison, *rule_codes()):
        print(line)
    if args.update:
        verdict_file.parent.mkdir(parents=True, exist_ok=True)
        verdict_file.write_text(write_verdicts(updated(findings, verdicts, codes, args.prune)))
        print(f"\nwrote {verdict_file}")
    lost = any(verdict.verdict == "TP" for _, verdict in comparison.gone)
    return 1 if comparison.unjudged or lost else 0


if __name__ == "__main__":
    sys.exit(main())
