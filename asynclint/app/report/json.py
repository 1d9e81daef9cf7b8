"""A JSON list of finding objects; the schema is documented in the README and stable."""

from __future__ import annotations

import json
from typing import Sequence

from asynclint.core.diagnostic import Diagnostic


def render(diagnostics: Sequence[Diagnostic]) -> str:
    """The findings as a JSON array (an empty array when clean)."""
    return json.dumps([d.to_json() for d in diagnostics], indent=2) + "\n"
