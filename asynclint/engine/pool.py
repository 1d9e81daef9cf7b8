"""Worker processes: forked where the platform allows (the parent's data is shared, not pickled).

Importing this module loads `multiprocessing` (30 ms): its users import it when they start a pool.
"""

from __future__ import annotations

import gc
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any, Callable, Iterator

__all__ = ["BrokenProcessPool", "process_pool"]


@contextmanager
def process_pool(
    workers: int, initializer: Callable[..., None] | None = None, initargs: tuple[Any, ...] = ()
) -> Iterator[ProcessPoolExecutor]:
    """A pool of `workers` processes; `initializer(*initargs)` runs once in each.

    The parent's objects are frozen out of the garbage collector while the pool lives: a
    collection in a forked worker would otherwise write to every object it inherited, and so
    copy every page the parent holds (the index, the files' facts) into each worker.
    """
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    context = multiprocessing.get_context(method)
    gc.freeze()
    try:
        with ProcessPoolExecutor(workers, mp_context=context, initializer=initializer, initargs=initargs) as pool:
            yield pool
    finally:
        gc.unfreeze()
