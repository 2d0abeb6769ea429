"""Doing one thing to many files on every core: forms written, returns checked.

Each file is independent, so the work is spread over worker processes (threads would
share one interpreter lock).  Workers are forked with the shared context already in
memory -- the plan, the template -- so nothing large is copied per file; only the small
per-file arguments go out and the results come back.  Results come back in input order.
Below a handful of files, or with one core, everything runs in this process.

Nothing is shared through module state: a worker gets the context as it stood at the
fork (with whatever indexes the plan had already built on itself) and what it builds
stays in that worker; the only global here, the context, is set in the workers alone.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

Progress = Callable[[int, int], None]
"""Called with (done, total) as results arrive."""

MIN_PARALLEL = 8
"""Fewer files than this are not worth starting workers for."""

_context: Any = None


def cores() -> int:
    """Cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def _init(context: Any) -> None:
    global _context
    _context = context


def _call(job: tuple[Callable[[Any, Any], Any], Any]) -> Any:
    fn, item = job
    return fn(_context, item)


def map_files(
    fn: Callable[[Any, T], R],
    context: Any,
    items: Iterable[T],
    jobs: int | None = None,
    progress: Progress | None = None,
) -> list[R]:
    """``[fn(context, item) for item in items]``, on ``jobs`` processes (default: all
    cores).  ``fn`` must be a module-level function; ``context`` is shared, not copied
    per item.  An exception in ``fn`` is raised here, as it would be in a loop."""
    todo = list(items)
    jobs = min(jobs or cores(), len(todo))
    results: list[R] = []
    if jobs <= 1 or len(todo) < MIN_PARALLEL or "fork" not in _methods():
        for item in todo:
            results.append(fn(context, item))
            if progress:
                progress(len(results), len(todo))
        return results
    fork = multiprocessing.get_context("fork")
    # A national plan is millions of objects: frozen, the workers' garbage collector does
    # not walk them (nor touch their pages, which fork would then copy).
    gc.freeze()
    try:
        with ProcessPoolExecutor(jobs, fork, initializer=_init, initargs=(context,)) as pool:
            chunk = max(1, min(16, len(todo) // (jobs * 8)))
            done: Iterator[R] = pool.map(_call, [(fn, item) for item in todo], chunksize=chunk)
            for result in done:
                results.append(result)
                if progress:
                    progress(len(results), len(todo))
    finally:
        gc.unfreeze()
    return results


def _methods() -> list[str]:
    return multiprocessing.get_all_start_methods()
