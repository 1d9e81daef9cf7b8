"""The cache folder (`.asynclint_cache/`): where a run's caches live, read with suspicion and written atomically.

A run keeps two caches: the result cache (`results-*.json`, one per configuration) and the
project index (`index.txt`). By default both are in `.asynclint_cache` at the project's root
(the result cache beside the config, which is usually the same folder). Outside any project,
the index of the files checked goes in the result cache's folder too, under `index/<key>/`,
keyed by the files' common folder. A folder named with `--cache-dir` or `cache-dir` holds
everything: the results, and the index under `index/<key>/` keyed by the project's root
(one folder may serve several projects). `--no-cache`: nothing is read or written.
`fix --diff` reads the caches and writes none, unless `--cache-dir` is on its command line.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from asynclint.core.config import Config

#: The cache folder's name, beside the config (the result cache) or at the project's root (the index).
DEFAULT_CACHE_DIR = ".asynclint_cache"


def read_cache_file(file: Path, version: int) -> dict[str, Any] | None:
    """The file's JSON object when it is ours, of this version, with a `files` table; else None."""
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # missing, corrupt or foreign: rebuilt
    if isinstance(data, dict) and data.get("version") == version and isinstance(data.get("files"), dict):
        return data
    return None


def write_cache_file(file: Path, payload: dict[str, Any] | bytes) -> None:
    """Write `payload` (as JSON, or bytes as they are) atomically, creating the folder with a `.gitignore` inside, like other linters."""
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        gitignore = file.parent / ".gitignore"
        if not gitignore.exists():
            gitignore.write_text("# Created by asynclint\n*\n", encoding="utf-8")
        temp = file.with_name(f"{file.name}.{os.getpid()}.tmp")
        data = payload if isinstance(payload, bytes) else json.dumps(payload, separators=(",", ":")).encode()
        temp.write_bytes(data)
        os.replace(temp, file)
    except OSError:
        pass  # a cache that cannot be written only costs time


@dataclass(frozen=True)
class Caches:
    """Where a run reads and writes its caches (see the module's docstring)."""

    #: False (`--no-cache`): nothing is read or written.
    enabled: bool = True
    #: The folder that holds everything, when one was named (`--cache-dir`, `cache-dir`).
    folder: Path | None = None
    #: False (`fix --diff`): the caches are read, never written.
    write: bool = True

    @classmethod
    def for_run(cls, config: Config, cache_dir: str | None = None, *, no_cache: bool = False, dry_run: bool = False) -> Caches:
        """The caches of a run given `--cache-dir` (or None), `--no-cache` and whether it must write nothing (`fix --diff`)."""
        if no_cache:
            return cls(enabled=False)
        chosen = cache_dir or config.cache_dir
        folder = None
        if chosen is not None:
            folder = Path(chosen) if Path(chosen).is_absolute() else (Path.cwd() if cache_dir else config.root) / chosen
        return cls(folder=folder, write=not dry_run or cache_dir is not None)

    def results(self, config: Config) -> Path | None:
        """The result cache's folder (None: no result cache)."""
        if not self.enabled:
            return None
        return self.folder if self.folder is not None else config.root / DEFAULT_CACHE_DIR

    def index(self, config: Config, project_root: Path | None, files: list[str]) -> Path | None:
        """The project index cache's folder, for a project at `project_root` (None: these files are outside any)."""
        if not self.enabled:
            return None
        if self.folder is None and project_root is not None:
            return project_root / DEFAULT_CACHE_DIR
        if project_root is None:
            if not files:
                return None
            key = _common_folder(files)
        else:
            key = str(project_root)
        base = self.folder if self.folder is not None else config.root / DEFAULT_CACHE_DIR
        return base / "index" / hashlib.sha1(os.fsencode(key)).hexdigest()[:16]


def _common_folder(files: list[str]) -> str:
    """The deepest folder holding every file (resolved: each distinct folder once, not each file,
    through `real_path`, which knows the folders discovery listed already)."""
    from asynclint.core.paths import real_path

    folders = {real_path(folder) for folder in {os.path.dirname(path) or "." for path in files}}
    try:
        return os.path.commonpath(sorted(folders))
    except ValueError:  # paths on different drives (Windows)
        return "\n".join(sorted(folders))
