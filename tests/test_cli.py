"""The `asynclint` command as users run it: exit codes, formats, selection, config, errors."""

from __future__ import annotations

import json
import re
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from asynclint.app.cli import cli
from asynclint.rules.blocking.rule import BlockingSleep

BAD = "import time\n\n\nasync def main():\n    time.sleep(1)\n"
BOTH = "import time\nimport requests\n\n\nasync def main(url):\n    time.sleep(1)\n    requests.get(url)\n"
CLEAN = "import asyncio\n\n\nasync def main():\n    await asyncio.sleep(1)\n"
TEXT_LINE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<code>ASL\d{3}) .+$")


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A folder to lint, made the working directory."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(root: Path, name: str, text: str | bytes) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def findings(output: str) -> list[tuple[str, int, int, str]]:
    return [
        (m["path"], int(m["line"]), int(m["col"]), m["code"])
        for m in map(TEXT_LINE.match, output.splitlines())
        if m
    ]


def test_clean_exits_zero(project):
    write(project, "ok.py", CLEAN)
    result = run("check", ".")
    assert result.exit_code == 0, result.output
    assert findings(result.stdout) == []
    assert "All checks passed!" in result.stdout


def test_findings_exit_one_in_flake8_format(project):
    write(project, "bad.py", BAD)
    result = run("check", "bad.py")
    assert result.exit_code == 1
    assert findings(result.stdout) == [("bad.py", 5, 5, "ASL101")]
    assert "Found 1 finding in 1 file." in result.stdout


def test_default_path_is_current_folder(project):
    write(project, "pkg/bad.py", BAD)
    result = run("check")
    assert result.exit_code == 1
    assert [f[0] for f in findings(result.stdout)] == [str(Path("pkg/bad.py"))]


def test_exit_zero_flag(project):
    write(project, "bad.py", BAD)
    assert run("check", "--exit-zero", "bad.py").exit_code == 0


def test_json_format_schema(project):
    write(project, "bad.py", BAD)
    result = run("check", "--format", "json", "bad.py")
    assert result.exit_code == 1
    [item] = json.loads(result.stdout)
    assert item == {
        "path": "bad.py",
        "line": 5,
        "col": 5,
        "end_line": 5,
        "end_col": 18,
        "code": "ASL101",
        "name": "blocking-sleep",
        "message": "`time.sleep()` blocks the event loop; use `await asyncio.sleep(...)`",
        "fix": "unsafe",  # the module imports no async library: asyncio is a guess
    }


def test_json_clean_is_empty_list(project):
    write(project, "ok.py", CLEAN)
    result = run("check", "--format", "json", ".")
    assert json.loads(result.stdout) == []


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ((), {"ASL101", "ASL102"}),
        (("--select", "ASL101"), {"ASL101"}),
        (("--select", "ASL10"), {"ASL101", "ASL102"}),
        (("--select", "ALL"), {"ASL101", "ASL102"}),
        (("--ignore", "ASL101"), {"ASL102"}),
        (("--select", "ASL102", "--extend-select", "ASL101"), {"ASL101", "ASL102"}),
        (("--select", "ASL101,ASL102", "--ignore", "ASL1"), set()),
    ],
)
def test_select_and_ignore(project, flags, expected):
    write(project, "both.py", BOTH)
    result = run("check", *flags, "both.py")
    assert {f[3] for f in findings(result.stdout)} == expected
    assert result.exit_code == (1 if expected else 0)


@pytest.mark.parametrize(
    "args",
    [
        ("check", "--select", "ASL999", "."),
        ("check", "--ignore", "XYZ", "."),
        ("check", "does-not-exist.py"),
        ("explain", "ASL999"),
    ],
)
def test_usage_errors_are_one_line_and_exit_two(project, args):
    write(project, "ok.py", CLEAN)
    result = run(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("asynclint: error: ")


def test_bad_toml_is_a_one_line_error(project):
    write(project, "pyproject.toml", "[tool.asynclint]\nselect = [\n")
    write(project, "bad.py", BAD)
    result = run("check", ".")
    assert result.exit_code == 2
    assert "invalid TOML" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("selct = ['ASL1']", "unknown key in [tool.asynclint]: 'selct'"),
        ("select = 'ASL1'\nignore = [1]", "ignore must be a list of strings"),
        ("select = ['ASL77']", "unknown rule code or prefix: 'ASL77'"),
        ("blocking-calls = 'x'", None),
    ],
)
def test_config_validation(project, table, message):
    write(project, "pyproject.toml", f"[tool.asynclint]\n{table}\n")
    write(project, "bad.py", BAD)
    result = run("check", ".")
    if message is None:  # a single string is accepted as a one-item list
        assert result.exit_code == 1
    else:
        assert result.exit_code == 2
        assert message in result.stderr


def test_config_is_found_above_the_first_path_and_cli_overrides_it(project):
    write(project, "pyproject.toml", "[tool.asynclint]\nselect = ['ASL102']\n")
    write(project, "src/pkg/both.py", BOTH)
    assert {f[3] for f in findings(run("check", "src/pkg").stdout)} == {"ASL102"}
    assert {f[3] for f in findings(run("check", "--select", "ASL101", "src/pkg").stdout)} == {"ASL101"}


def test_explicit_config_file(project):
    write(project, "conf/settings.toml", "[tool.asynclint]\nignore = ['ASL101']\n")
    write(project, "both.py", BOTH)
    result = run("check", "--config", "conf/settings.toml", "both.py")
    assert {f[3] for f in findings(result.stdout)} == {"ASL102"}
    assert run("check", "--config", "missing.toml", "both.py").exit_code == 2


def test_per_file_ignores(project):
    write(project, "pyproject.toml", '[tool.asynclint]\nper-file-ignores = { "tests/*" = ["ASL1"] }\n')
    write(project, "tests/test_x.py", BAD)
    write(project, "app.py", BAD)
    assert [f[0] for f in findings(run("check", ".").stdout)] == ["app.py"]


def test_blocking_calls_option(project):
    write(project, "pyproject.toml", "[tool.asynclint]\nblocking-calls = ['mydb.query']\n")
    write(
        project,
        "app.py",
        "import mydb\nfrom mydb import query as q\n\n\nasync def main():\n    mydb.query('x')\n    q('y')\n\n"
        "def sync():\n    mydb.query('z')\n",
    )
    result = run("check", "app.py")
    assert findings(result.stdout) == [("app.py", 6, 5, "ASL105"), ("app.py", 7, 5, "ASL105")]


def test_excluded_folders_and_globs(project):
    write(project, "pyproject.toml", "[tool.asynclint]\nexclude = ['generated', '*_pb2.py']\n")
    for folder in (".venv", "venv", "build", "dist", "node_modules", ".tox", "generated", "myenv"):
        write(project, f"{folder}/bad.py", BAD)
    write(project, "myenv/pyvenv.cfg", "home = /usr/bin\n")
    write(project, "api_pb2.py", BAD)
    write(project, "src/bad.py", BAD)
    result = run("check", ".")
    assert [f[0] for f in findings(result.stdout)] == [str(Path("src/bad.py"))]
    # An explicit path is always checked, excluded or not.
    assert findings(run("check", "api_pb2.py").stdout) == [("api_pb2.py", 5, 5, "ASL101")]
    # A folder given on the command line is searched even when a glob names it; its files are not.
    assert findings(run("check", "generated").stdout) == []


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
def test_exclude_globs_see_through_links(project):
    write(project, "pyproject.toml", "[tool.asynclint]\nexclude = ['vendor', 'src/deep/gen_*.py']\n")
    write(project, "vendor/real.py", BAD)
    write(project, "src/deep/gen_a.py", BAD)
    write(project, "src/deep/ok.py", BAD)
    write(project, "elsewhere/target.py", BAD)
    (project / "src/to_vendor.py").symlink_to(project / "vendor/real.py")  # excluded where it really is
    (project / "src/to_elsewhere.py").symlink_to(project / "elsewhere/target.py")
    (project / "src/linked_folder").symlink_to(project / "elsewhere")  # links to folders are not followed
    found = sorted(f[0] for f in findings(run("check", "src").stdout))
    assert found == [str(Path("src/deep/ok.py")), str(Path("src/to_elsewhere.py"))]


def test_noqa(project):
    write(
        project,
        "n.py",
        textwrap.dedent(
            """\
            import time
            import requests


            async def main(url):
                time.sleep(1)  # noqa
                time.sleep(2)  # noqa: ASL101
                time.sleep(3)  # noqa: ASL102
                time.sleep(4)  # NOQA:ASL1
                requests.get(  # a multi-line call, silenced on its last line
                    url,
                )  # noqa: ASL102
                time.sleep(5)  # noqa: ASL102, ASL101
            """
        ),
    )
    assert findings(run("check", "n.py").stdout) == [("n.py", 8, 5, "ASL101")]


def test_unparsable_and_binary_files_are_reported_and_the_rest_checked(project):
    write(project, "a_broken.py", "async def main(:\n    pass\n")
    write(project, "b_binary.py", b"\x00\x01\x02async def\xff")
    write(project, "c_latin1.py", b"# -*- coding: utf-8 -*-\nx = '\xff'\nasync def f(): pass\n")
    write(project, "d_bad.py", BAD)
    result = run("check", ".")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    found = findings(result.stdout)
    assert [(f[0], f[3]) for f in found] == [
        ("a_broken.py", "ASL000"),
        ("b_binary.py", "ASL000"),
        ("c_latin1.py", "ASL000"),
        ("d_bad.py", "ASL101"),
    ]
    assert "cannot parse" in result.stdout


def test_syntax_error_in_a_file_without_async_code_is_still_reported(project):
    write(project, "broken.py", "def f(:\n    pass\n")
    result = run("check", "broken.py")
    assert [f[3] for f in findings(result.stdout)] == ["ASL000"]


def test_newer_syntax_is_not_an_error(project):
    # PEP 695 syntax: libcst parses it even where the running `ast` may not.
    write(project, "new.py", "type Pair = tuple[int, int]\n")
    assert run("check", "new.py").exit_code == 0


def test_encodings_bom_and_crlf_keep_positions(project):
    write(project, "crlf.py", BAD.replace("\n", "\r\n"))
    write(project, "bom.py", b"\xef\xbb\xbf" + BAD.encode())
    latin = "# -*- coding: latin-1 -*-\n# caf\xe9\n" + BAD
    write(project, "latin.py", latin.encode("latin-1"))
    result = run("check", ".")
    assert findings(result.stdout) == [
        ("bom.py", 5, 5, "ASL101"),
        ("crlf.py", 5, 5, "ASL101"),
        ("latin.py", 7, 5, "ASL101"),
    ]


def test_a_crashing_rule_is_one_line_and_other_files_still_run(project, monkeypatch):
    def explode(self, node):
        raise ValueError("boom")

    explode.__name__ = "visit_Call"  # libcst collects visitor methods by name
    monkeypatch.setattr(BlockingSleep, "visit_Call", explode)
    write(project, "a.py", BAD)
    write(project, "b.py", BOTH)
    result = run("check", ".")
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert result.stderr.strip().splitlines() == [
        "asynclint: error: a.py: internal error in ASL101 (blocking-sleep): ValueError: boom",
        "asynclint: error: b.py: internal error in ASL101 (blocking-sleep): ValueError: boom",
    ]


def test_statistics(project):
    write(project, "both.py", BOTH)
    write(project, "bad.py", BAD)
    result = run("check", "--statistics", ".")
    assert "    2  ASL101  blocking-sleep" in result.stdout
    assert "    1  ASL102  blocking-http" in result.stdout


def test_rules_and_explain():
    table = run("rules")
    assert table.exit_code == 0 and "ASL101  blocking-sleep" in table.stdout
    rows = json.loads(run("rules", "--format", "json").stdout)
    assert {"code", "name", "summary", "fix", "default"} <= set(rows[0])
    text = run("explain", "asl101").stdout
    assert text.startswith("# ASL101 blocking-sleep") and "## Why is this bad?" in text


def test_version():
    result = run("--version")
    assert result.exit_code == 0 and result.stdout.startswith("asynclint, version ")


def test_brackets_nested_past_what_libcst_survives_are_asl000_and_the_run_goes_on(project):
    """libcst's native parser overflows its stack (killing the process) past about 1,300 nested
    brackets: such a file is reported without being given to it, in one process too."""
    import subprocess

    from asynclint.engine.source import MAX_BRACKET_NESTING, nests_too_deeply

    write(project, "deep.py", "async def f():\n    x = " + "[" * 5000 + "1" + "]" * 5000 + "\n")
    write(project, "bad.py", BAD)
    command = [sys.executable, "-m", "asynclint", "check", "--no-cache", "--jobs", "1", "."]
    result = subprocess.run(command, capture_output=True, text=True, cwd=project)
    assert result.returncode == 1, result.stderr
    assert [(f[0], f[3]) for f in findings(result.stdout)] == [("bad.py", "ASL101"), ("deep.py", "ASL000")]
    assert "nests too deeply" in result.stdout
    limit = MAX_BRACKET_NESTING
    assert not nests_too_deeply("x = " + "(" * limit + ")" * limit) and nests_too_deeply("x = " + "{" * (limit + 1))
    assert not nests_too_deeply("s = '" + ")" * 5000 + "'\n" + "x = [" * limit + "]" * limit)  # closing first


def test_a_file_nested_too_deeply_is_asl000_not_a_rule_crash(project):
    # 600 nested lists: libcst parses them (it crashes the process past about 1,300), the
    # tree walk (two frames per level) does not follow them within Python's recursion limit.
    write(project, "deep.py", "async def f():\n    x = " + "[" * 600 + "1" + "]" * 600 + "\n")
    write(project, "bad.py", BAD)
    result = run("check", ".")
    assert result.exit_code == 1
    assert "internal error" not in result.stderr
    assert [(f[0], f[3]) for f in findings(result.stdout)] == [("bad.py", "ASL101"), ("deep.py", "ASL000")]
    assert "nests too deeply" in result.stdout
    fixed = run("fix", "deep.py")
    assert fixed.exit_code == 1 and "ASL000" in fixed.stdout and "internal error" not in fixed.stderr
