"""`[tool.asynclint]` and CLI flags -> one frozen Config; select/ignore by code or prefix."""

from __future__ import annotations

import dataclasses
import fnmatch
import functools
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from asynclint.core.catalog import RULES, RuleInfo
from asynclint.core.options import ALL_OPTIONS
from asynclint.core.paths import real_path
from asynclint.core.searchpath import environment_path, venv_site_packages

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

GLOBAL_KEYS = (
    "select", "ignore", "extend-select", "exclude", "extend-exclude", "per-file-ignores", "cache-dir",
    "respect-gitignore", "force-exclude",
)


class ConfigError(Exception):
    """A configuration or selection problem, said in one line to the user."""


@dataclass(frozen=True)
class Config:
    """The resolved configuration: which rules run where, and their options."""

    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    root: Path = field(default_factory=Path.cwd)
    source: Path | None = None
    rule_options: Mapping[type, Any] = field(default_factory=dict)
    #: Where the caches live (relative to `root`); None: `.asynclint_cache`.
    cache_dir: str | None = None
    #: Globs added to `exclude` (which replaces nothing built in: it is empty by default).
    extend_exclude: tuple[str, ...] = ()
    #: Whether discovery skips what git ignores (`.gitignore` files, `.git/info/exclude`).
    respect_gitignore: bool = True
    #: Whether `exclude` applies to files named on the command line too (pre-commit names them).
    force_exclude: bool = False
    #: Folders the installed libraries are looked for in (relative to `root`); None: the environment's.
    python_path: tuple[str, ...] | None = None
    #: A virtualenv (relative to `root`) whose site-packages hold the installed libraries.
    venv: str | None = None

    def __post_init__(self) -> None:
        for selector in (*(self.select or ()), *self.ignore, *self.extend_select):
            validate_selector(selector)
        for _, codes in self.per_file_ignores:
            for selector in codes:
                validate_selector(selector)
        where = self.source or "config"
        for folder in self.python_path or ():
            if not (self.root / folder).is_dir():
                raise ConfigError(f"{where}: python-path: no such folder: {folder}")
        if self.venv is not None and not self.library_path():
            raise ConfigError(f"{where}: venv: no virtualenv with a site-packages folder at {self.venv}")

    def library_path(self) -> list[str]:
        """The folders the installed libraries are read from (`analysis/index/libraries.py`): `python-path`,
        then the `venv`'s site-packages; when neither is set, the environment asynclint runs in."""
        if self.python_path is None and self.venv is None:
            return environment_path()
        found = [str(self.root / folder) for folder in self.python_path or ()]
        return found + (venv_site_packages(str(self.root / self.venv)) if self.venv is not None else [])

    def enabled_rules(self) -> tuple[RuleInfo, ...]:
        """Rules turned on by select/extend-select and not turned off by ignore, by code."""
        return self._enabled

    @functools.cached_property
    def _enabled(self) -> tuple[RuleInfo, ...]:
        if self.select is None:
            chosen = [r for r in RULES if r.default_enabled]
        else:
            chosen = [r for r in RULES if matches(r.code, self.select)]
        chosen += [r for r in RULES if matches(r.code, self.extend_select) and r not in chosen]
        return tuple(sorted((r for r in chosen if not matches(r.code, self.ignore)), key=lambda r: r.code))

    def codes_for(self, path: str) -> tuple[str, ...]:
        """The codes of the enabled rules less those `per-file-ignores` turns off for `path`."""
        ignored: list[str] = []
        if self.per_file_ignores:
            rel = self.relative_path(path)
            for pattern, codes in self.per_file_ignores:
                if glob_matches(rel, pattern):
                    ignored.extend(codes)
        return tuple(r.code for r in self.enabled_rules() if not matches(r.code, ignored))

    def uses_project_index(self, path: str | None = None) -> bool:
        """Whether a rule enabled (for `path`, when given) asks the project-wide index which functions are coroutine functions."""
        codes = self.codes_for(path) if path is not None else None
        return any(r.uses_project_index for r in self.enabled_rules() if codes is None or r.code in codes)

    def relative_path(self, path: str) -> str:
        """The resolved path relative to the config's folder, as globs are matched."""
        return relative_to(path, self.root)

    @property
    def excluded(self) -> tuple[str, ...]:
        """The `exclude` and `extend-exclude` globs."""
        return self.exclude + self.extend_exclude

    def excludes(self, rel: str) -> bool:
        """Whether a path relative to the config's folder matches a configured `exclude` or `extend-exclude` glob."""
        return globs_match(rel, self.excluded)


def matches(code: str, selectors: Iterable[str]) -> bool:
    """Whether `code` is named by any selector: `ALL`, a full code or a prefix (`ASL1`)."""
    return any(sel == "ALL" or code.startswith(sel) for sel in selectors)


def validate_selector(selector: str) -> None:
    """An unknown code or prefix is an error, not a silent no-op."""
    if selector == "ALL":
        return
    if not any(rule.code.startswith(selector) for rule in RULES):
        raise ConfigError(f"unknown rule code or prefix: {selector!r}")


def relative_to(path: str, root: Path) -> str:
    """The resolved path relative to the resolved root, with `/` separators (may start with `..`)."""
    real, top = real_path(path), real_path(root)
    if real == top:
        return "."
    if real.startswith(top) and real[len(top) : len(top) + 1] == os.sep:
        rel = real[len(top) + 1 :]
    else:
        folder, name = os.path.split(real)
        try:
            above = _folder_relative_to(folder, top)
            rel = name if above == "." else os.path.join(above, name)
        except ValueError:  # another drive on Windows
            return Path(path).as_posix()
    return rel.replace(os.sep, "/") if os.sep != "/" else rel


@functools.lru_cache(maxsize=4096)
def _folder_relative_to(folder: str, top: str) -> str:
    return os.path.relpath(folder, top)


def glob_matches(rel: str, pattern: str) -> bool:
    """Whether a root-relative path matches an `exclude`/`per-file-ignores` glob.

    The glob matches the whole path or a folder of it (`build/gen`); a glob without a slash
    names a file or folder anywhere (`tests`, `*_pb2.py`).
    """
    return globs_match(rel, (pattern,))


def globs_match(rel: str, patterns: tuple[str, ...]) -> bool:
    """Whether any of the globs matches the path, as `glob_matches` says (one regex for them all)."""
    if not patterns:
        return False
    whole, anywhere = _compiled(patterns)
    if whole(rel):
        return True
    if anywhere is None:
        return False
    folder, _, name = rel.rpartition("/")
    return anywhere(name) is not None or (bool(folder) and _names_a_folder(folder, patterns))


@functools.lru_cache(maxsize=4096)
def _names_a_folder(folder: str, patterns: tuple[str, ...]) -> bool:
    """Whether a slash-free glob matches a part of this root-relative folder (asked for each of its files)."""
    anywhere = _compiled(patterns)[1]
    return anywhere is not None and any(anywhere(part) for part in folder.split("/"))


@functools.lru_cache(maxsize=256)
def _compiled(patterns: tuple[str, ...]) -> tuple[Callable[[str], Any], Callable[[str], Any] | None]:
    """A matcher of the whole path or a folder of it, and one of a name (slash-free globs only; None: none is)."""
    stripped = [pattern.rstrip("/") for pattern in patterns]
    whole = "|".join(f"(?:{fnmatch.translate(p)})|(?:{fnmatch.translate(p + '/*')})" for p in stripped)
    names = "|".join(f"(?:{fnmatch.translate(p)})" for p in stripped if "/" not in p)
    return re.compile(whole).match, (re.compile(names).match if names else None)


def split_codes(values: Sequence[str] | None) -> tuple[str, ...] | None:
    """CLI `--select A,B --select C` -> ('A', 'B', 'C'); None when not given."""
    if not values:
        return None
    return tuple(code.strip() for value in values for code in value.split(",") if code.strip())


def find_config_file(start: Path) -> Path | None:
    """The nearest `pyproject.toml` at or above `start` with a `[tool.asynclint]` table."""
    here = start.resolve()
    if not here.is_dir():
        here = here.parent
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and _mentions_asynclint(candidate) and read_table(candidate) is not None:
            return candidate
    return None


def _mentions_asynclint(path: Path) -> bool:
    """Cheap test before parsing: other tools' pyproject files are not ours to validate."""
    try:
        return b"asynclint" in path.read_bytes()
    except OSError:
        return False


def read_table(path: Path) -> dict[str, Any] | None:
    """The `[tool.asynclint]` table of a TOML file (None when it has none)."""
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    tool = data.get("tool", {})
    table = tool.get("asynclint") if isinstance(tool, dict) else None
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.asynclint] must be a table")
    return table


def options_types() -> dict[str, tuple[type, str]]:
    """Config key -> (the rule Options dataclass that reads it, its field name)."""
    keys: dict[str, tuple[type, str]] = {}
    for options_type in ALL_OPTIONS:
        for f in dataclasses.fields(options_type):
            keys[f.name.replace("_", "-")] = (options_type, f.name)
    return keys


def load_config(
    paths: Sequence[str],
    config_file: str | None = None,
    select: Sequence[str] | None = None,
    ignore: Sequence[str] | None = None,
    extend_select: Sequence[str] | None = None,
    force_exclude: bool | None = None,
) -> Config:
    """Read the config for these paths and apply the CLI flags on top of it."""
    source: Path | None
    if config_file is not None:
        explicit = Path(config_file)
        if not explicit.is_file():
            raise ConfigError(f"config file not found: {config_file}")
        source, table = explicit, read_table(explicit) or {}
    else:
        source = find_config_file(Path(paths[0] if paths else "."))
        table = (read_table(source) or {}) if source is not None else {}
    root = source.resolve().parent if source is not None else Path.cwd()
    config_kwargs = parse_table(table, str(source) if source else "config")
    if select is not None:
        config_kwargs["select"] = select
    if ignore is not None:
        config_kwargs["ignore"] = ignore
    if extend_select is not None:
        config_kwargs["extend_select"] = tuple(config_kwargs.get("extend_select", ())) + tuple(extend_select)
    if force_exclude:
        config_kwargs["force_exclude"] = True
    return Config(root=root, source=source, **config_kwargs)


def parse_table(table: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Validate `[tool.asynclint]`: known keys, right types. Unknown keys are errors."""
    rule_keys = options_types()
    kwargs: dict[str, Any] = {}
    option_values: dict[type, dict[str, Any]] = {}
    for key, value in table.items():
        if key in ("select", "ignore", "extend-select", "exclude", "extend-exclude"):
            kwargs[key.replace("-", "_")] = _string_list(value, key, where)
        elif key in ("respect-gitignore", "force-exclude"):
            if not isinstance(value, bool):
                raise ConfigError(f"{where}: {key} must be true or false")
            kwargs[key.replace("-", "_")] = value
        elif key == "per-file-ignores":
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: per-file-ignores must be a table of glob = [codes]")
            kwargs["per_file_ignores"] = tuple(
                (glob, _string_list(codes, f"per-file-ignores.{glob}", where)) for glob, codes in value.items()
            )
        elif key == "python-path":
            kwargs["python_path"] = _string_list(value, key, where)
        elif key == "venv":
            if not isinstance(value, str) or not value:
                raise ConfigError(f"{where}: venv must be a folder path (a string)")
            kwargs["venv"] = value
        elif key == "cache-dir":
            if not isinstance(value, str) or not value:
                raise ConfigError(f"{where}: cache-dir must be a folder path (a string)")
            kwargs["cache_dir"] = value
        elif key in rule_keys:
            options_type, name = rule_keys[key]
            default = next(f for f in dataclasses.fields(options_type) if f.name == name).default
            option_values.setdefault(options_type, {})[name] = _typed(value, default, key, where)
        else:
            raise ConfigError(f"{where}: unknown key in [tool.asynclint]: {key!r}")
    kwargs["rule_options"] = {t: t(**values) for t, values in option_values.items()}
    return kwargs


def _string_list(value: Any, key: str, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: {key} must be a list of strings")
    return tuple(value)


def _typed(value: Any, default: Any, key: str, where: str) -> Any:
    if isinstance(default, tuple):
        return _string_list(value, key, where)
    if not isinstance(value, type(default)):
        raise ConfigError(f"{where}: {key} must be a {type(default).__name__}")
    return value
