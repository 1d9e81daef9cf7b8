"""The options rules read from `[tool.asynclint]`: one frozen dataclass per rule family.

A field `blocking_calls` is the config key `blocking-calls`; its default's type is the type
the key must have. They live here, not beside their rules, so that reading the config needs
no rule (nor libcst): a run whose findings are all cached loads neither.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class CoroutineOptions:
    """Options shared by the ASL2xx rules."""

    coroutine_functions: tuple[str, ...] = dataclasses.field(
        default=(),
        metadata={"doc": "qualified-name globs of extra coroutine functions (e.g. `myclient.Client.*`)"},
    )
    ignore_coroutines: tuple[str, ...] = dataclasses.field(
        default=(),
        metadata={"doc": "qualified-name globs whose coroutines and tasks may be dropped on purpose"},
    )


@dataclasses.dataclass(frozen=True)
class BlockingCallOptions:
    """Options of ASL105."""

    blocking_calls: tuple[str, ...] = dataclasses.field(
        default=(),
        metadata={"doc": "extra qualified names (e.g. `mylib.db.query`) reported as blocking calls in async code"},
    )


@dataclasses.dataclass(frozen=True)
class HelperOptions:
    """Options of ASL107 (which also follows `blocking-calls`)."""

    helper_depth: int = dataclasses.field(
        default=4,
        metadata={"doc": "how many sync helpers deep a blocking call is looked for"},
    )
    nonblocking_helpers: tuple[str, ...] = dataclasses.field(
        default=(),
        metadata={"doc": "qualified-name globs of project helpers known not to block (e.g. cached after first use)"},
    )


#: Every options dataclass; a rule's `Options` is one of these (the registry checks it).
ALL_OPTIONS: tuple[type, ...] = (CoroutineOptions, BlockingCallOptions, HelperOptions)
