"""The cache folder (`.asynclint_cache/`): JSON files read with suspicion and written atomically."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

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
