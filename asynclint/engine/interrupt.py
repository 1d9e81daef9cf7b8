"""Stopping a run cleanly on SIGINT or SIGTERM: no new write starts, a write under way completes.

The command line's process and each worker install `on_signal` for both signals. It raises
`Interrupted` where the work may be abandoned at any point (`interruptible`), and otherwise
only notes the signal: inside `shielded` (replacing a file), and in a worker between two
pieces of work, where raising would break the pool's own bookkeeping. A shielded section
that was signalled raises when it ends; a worker that was signalled refuses further work.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Any, Iterator

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(BaseException):
    """The run was asked to stop. A BaseException, so no `except Exception` around a rule swallows it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_status(self) -> int:
        """128 + the signal number, as shells report a process a signal ended (130 SIGINT, 143 SIGTERM)."""
        return 128 + self.signum

    @property
    def signal_name(self) -> str:
        return signal.Signals(self.signum).name


class _State:
    received = 0  # the first stop signal received, 0 for none
    may_raise = False  # inside `interruptible` and outside `shielded`


_state = _State()


def on_signal(signum: int, frame: Any) -> None:
    """The handler: note the first signal, and raise `Interrupted` where that is safe.

    Only the first signal raises: a second one (an impatient Ctrl-C) must not interrupt the
    clean-up that the first started.
    """
    if _state.received:
        return
    _state.received = signum
    if _state.may_raise:
        raise Interrupted(signum)


def install(*, raising: bool) -> None:
    """Handle SIGINT and SIGTERM in this process; `raising`: this whole process is interruptible."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, on_signal)
    _state.received = 0
    _state.may_raise = raising


@contextmanager
def handling() -> Iterator[None]:
    """`install(raising=True)` while the block runs (a command), then the handlers that were there before.

    Signal handlers belong to the main thread: elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS}
    install(raising=True)
    try:
        yield
    finally:
        _state.may_raise = False
        for signum, handler in before.items():
            signal.signal(signum, handler)
        _state.received = 0


def check() -> None:
    """Raise `Interrupted` if a stop signal arrived (where work is about to start)."""
    if _state.received:
        raise Interrupted(_state.received)


@contextmanager
def interruptible() -> Iterator[None]:
    """A stop signal raises `Interrupted` at once inside (and at entry, if one came before)."""
    before = _state.may_raise
    check()
    _state.may_raise = True
    try:
        yield
    finally:
        _state.may_raise = before


@contextmanager
def shielded() -> Iterator[None]:
    """A stop signal only waits inside; the section completes, then `Interrupted` is raised."""
    before = _state.may_raise
    _state.may_raise = False
    try:
        yield
    finally:
        _state.may_raise = before
    if before:
        check()
