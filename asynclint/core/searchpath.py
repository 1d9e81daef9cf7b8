"""Where installed libraries are looked for: the environment's search path, or a virtualenv's."""

from __future__ import annotations

import os
import sys
import sysconfig
from pathlib import Path


def environment_path() -> list[str]:
    """The environment's search path: `sys.path` less the standard library, archives, and the folder
    Python put first for the program itself: the current one (`-m`, `-c`) or its script's (the
    `bin` folder of a console script such as `asynclint` or `flake8`). That one differs from one
    program to the next, and holds no installed library: were it read, `check` and flake8 would
    each find the libraries changed after the other ran, and read them again."""
    paths = sysconfig.get_paths()
    stdlib = {os.path.realpath(paths[key]) for key in ("stdlib", "platstdlib") if key in paths}
    program = {os.path.realpath(os.getcwd())}
    if sys.argv and sys.argv[0] not in ("", "-c", "-m"):
        program.add(os.path.dirname(os.path.realpath(sys.argv[0])))
    found = []
    for entry in sys.path:
        if not entry or not os.path.isdir(entry):
            continue
        real = os.path.realpath(entry)
        if real in stdlib or real in program:
            continue
        if os.path.dirname(real) in stdlib and os.path.basename(real) not in ("site-packages", "dist-packages"):
            continue  # (`lib-dynload`; a virtualenv's site-packages sits in its `platstdlib`)
        if real not in found:
            found.append(real)
    return found


def venv_site_packages(venv: str) -> list[str]:
    """The site-packages folders of a virtualenv (empty: none there)."""
    root = Path(venv)
    found = sorted(str(p) for p in root.glob("lib/python3*/site-packages") if p.is_dir())
    if (root / "Lib" / "site-packages").is_dir():  # Windows
        found.append(str(root / "Lib" / "site-packages"))
    return found
