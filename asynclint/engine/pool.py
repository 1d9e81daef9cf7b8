"""Worker processes: forked where the platform allows (the parent's data is shared, not pickled).

Workers never outlive the process that started them: on Linux the kernel kills each one when
its parent dies (`PR_SET_PDEATHSIG`), elsewhere a watchdog thread notices that the parent is
gone. A stop signal (SIGINT, SIGTERM) to the parent reaches the workers too: each finishes the
file it is writing, if any, and starts no other (see `interrupt`).

Importing this module loads `multiprocessing` (30 ms): its users import it when they start a pool.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from asynclint.engine import collector, interrupt

__all__ = ["BrokenProcessPool", "process_pool"]

#: <linux/prctl.h>: deliver a signal to this process when its parent dies.
PR_SET_PDEATHSIG = 1
#: How often the watchdog of a platform without PR_SET_PDEATHSIG looks for the parent (seconds).
WATCHDOG_INTERVAL = 0.5


@contextmanager
def process_pool(
    workers: int, initializer: Callable[..., None] | None = None, initargs: tuple[Any, ...] = ()
) -> Iterator[ProcessPoolExecutor]:
    """A pool of `workers` processes; `initializer(*initargs)` runs once in each.

    The parent's objects are frozen out of the garbage collector while the pool lives: a
    collection in a forked worker would otherwise write to every object it inherited, and so
    copy every page the parent holds (the index, the files' facts) into each worker. When the
    body raises (a stop signal), the work not yet started is cancelled and the workers are
    told to stop before the pool is shut down: it is not left to run to the end.
    """
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    context = multiprocessing.get_context(method)
    with collector.frozen():
        pool = ProcessPoolExecutor(
            workers, mp_context=context, initializer=_start_worker, initargs=(os.getpid(), initializer, initargs)
        )
        try:
            yield pool
        except BaseException:
            _stop_workers(pool)
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Send SIGTERM to each worker, which then completes the write under way and starts no other."""
    processes = getattr(pool, "_processes", None) or {}  # (concurrent.futures keeps them there)
    for process in list(processes.values()):
        try:
            os.kill(process.pid, signal.SIGTERM)
        except (OSError, AttributeError, TypeError):
            pass  # gone already


def _start_worker(parent: int, initializer: Callable[..., None] | None, initargs: tuple[Any, ...]) -> None:
    """In each worker, first: die with the parent, stop on a signal, then the caller's initializer."""
    if not _die_with_parent():
        threading.Thread(target=_watch_parent, args=(parent,), name="asynclint-watchdog", daemon=True).start()
    if os.getppid() != parent:  # the parent died before the kernel was told
        os._exit(1)
    interrupt.install(raising=False)
    if initializer is not None:
        initializer(*initargs)


def _die_with_parent() -> bool:
    """Ask Linux to SIGKILL this process when its parent dies; False where that cannot be asked."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)  # the running program, libc included
        return bool(libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int) -> None:
    """The portable fallback: once the parent is gone (this process was handed to another), exit."""
    while os.getppid() == parent:
        time.sleep(WATCHDOG_INTERVAL)
    os._exit(1)
