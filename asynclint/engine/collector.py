"""How asynclint runs Python's cyclic garbage collector: every choice about it is made here.

- `collect_less`: a higher first threshold for the whole run.
- `paused`: the collector off while a file is read or checked (no cycles are made that a
  collection meanwhile would find), what that allocated then moved to the oldest generation.
- `frozen` / `freeze_for_workers`: the parent's objects left out of the collector while forked
  workers share them (a collection in a worker would write to every inherited object, and so
  copy every page the parent holds into each worker).

This process knows whether it holds frozen objects without asking `gc.get_freeze_count()`,
which counts them one by one: in a forked worker, millions (about 15 ms a call on the corpus's
index, which a check of each file used to pay).
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator

#: The collector's first threshold while asynclint works. A run allocates millions of
#: short-lived nodes and keeps a large index: with the default (700) the collector rescans that
#: index thousands of times, about a third of a cold run. mypy does the same.
GC_THRESHOLD = 50_000

#: Why objects of this process are frozen now (0: none are). A forked child inherits the count,
#: as it inherits what its parent froze.
_holds = 0


def collect_less() -> None:
    """Have the collector run as asynclint runs it (`GC_THRESHOLD`), for the rest of this process.

    The flake8 plugin calls it too: flake8's own work on each file (its tokens, its `ast` tree)
    allocates as much as ours, and under the default each collection it triggers would rescan
    the index the plugin keeps (on 2,454 corpus files with `--jobs 1`, flake8's `ast` pass took
    11.5 s of CPU beside the plugin against 4.8 s with this)."""
    gc.set_threshold(GC_THRESHOLD, 20, 100)


@contextmanager
def paused() -> Iterator[None]:
    """The cyclic collector off while it lasts (it stays off if it was).

    What was allocated meanwhile then goes to the oldest generation unscanned, where two
    collections (the youngest, the middle one) would have moved what lived that long; any
    cycles it leaves (libcst's scopes hold their tree) are collected with that generation.
    Where objects are frozen, nothing is moved: unfreezing would thaw them too.
    """
    if not gc.isenabled():
        yield  # (nested, or off already)
        return
    gc.disable()
    try:
        yield
    finally:
        if not _holds:
            gc.freeze()
            gc.unfreeze()
        gc.enable()


@contextmanager
def frozen() -> Iterator[None]:
    """Every object of this process left out of the collector while it lasts (a pool of forked
    workers lives); afterwards back in, unless something else still holds them frozen."""
    global _holds
    gc.freeze()
    _holds += 1
    try:
        yield
    finally:
        _holds -= 1
        if not _holds:
            gc.unfreeze()


def freeze_for_workers() -> None:
    """Every object of this process left out of the collector for good: the flake8 parent's
    index, before flake8 forks the workers that use it."""
    global _holds
    gc.freeze()
    _holds += 1
