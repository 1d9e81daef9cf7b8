"""Worker processes: forked where the platform allows (the parent's data is shared, not pickled).

Importing this module loads `multiprocessing` (30 ms): its users import it when they start a pool.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable

__all__ = ["BrokenProcessPool", "process_pool"]


def process_pool(workers: int, initializer: Callable[..., None] | None = None, initargs: tuple[Any, ...] = ()) -> ProcessPoolExecutor:
    """A pool of `workers` processes; `initializer(*initargs)` runs once in each."""
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    context = multiprocessing.get_context(method)
    return ProcessPoolExecutor(workers, mp_context=context, initializer=initializer, initargs=initargs)
