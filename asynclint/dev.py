"""Development commands: `python -m asynclint.dev regen` rewrites everything derived from the rule classes.

That is the catalog a run reads before it loads any rule (`asynclint/core/catalog.py`), each
rule's doc (`docs/rules/CODE.md`) and the README's rule table. Run it after adding, renaming
or documenting a rule; the registry refuses rules the catalog disagrees with, and a test fails
when the docs or the table drift.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def regen() -> None:
    """Rewrite the catalog, then (in a fresh interpreter, which reads the new catalog) the docs and the table."""
    from asynclint.rules.registry import write_catalog

    write_catalog()
    subprocess.run([sys.executable, "-m", "asynclint.dev", "docs"], check=True, cwd=ROOT)


def docs() -> None:
    """Rewrite `docs/rules/*.md` and the README's rule table."""
    from asynclint.app.docs import update_readme

    update_readme(str(ROOT / "README.md"))


COMMANDS = {"regen": regen, "docs": docs}


def main(argv: list[str]) -> int:
    """`regen` (everything) or `docs` (the docs and the table, from the catalog as it is)."""
    if len(argv) != 1 or argv[0] not in COMMANDS:
        print(f"usage: python -m asynclint.dev {{{'|'.join(COMMANDS)}}}", file=sys.stderr)
        return 2
    COMMANDS[argv[0]]()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
