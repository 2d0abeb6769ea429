"""Doing one thing to many files on every core: forms written, returns checked.

Each file is independent, so the work is spread over worker processes (threads would
share one interpreter lock).  Only the small per-file arguments go out and the results
come back, in input order.  Below a handful of files, or with one core, everything runs
in this process.

**How workers get the shared context** (the plan, the template, a fingerprinter):

- *fork* (Linux): workers are forked with the context already in memory, frozen out of
  the garbage collector's reach, so nothing is copied;
- *spawn* (Windows, which cannot fork, and macOS, where forking is unsafe and Python
  spawns by default): each worker is a fresh interpreter and receives the context once,
  pickled once here, as the pool's initializer argument.  At national scale that costs
  each worker a few seconds; loading the plan again from its file would cost each worker
  the whole plan load (docs/performance.md).

``KPIBOOK_START_METHOD`` (``fork``, ``spawn`` or ``forkserver``) chooses the method; the
tests use it to run spawn on Linux.

**One failing file never stops the others.**  Every item is run; an exception in one is
kept and raised here once all the others are done (a kpibook error as it was raised, so
its message reaches the user; several at once as one :class:`ItemsFailed`).  Callers
that must report every file (``check``) turn their failures into results themselves.

**Ctrl-C** stops the run promptly: work not yet started is cancelled, an item being
worked on is interrupted (so its temporary file is removed), and workers that do not stop
within a few seconds are terminated.  Workers ignore Ctrl-C while idle, so it prints no
tracebacks of theirs.

Nothing is shared through module state: a worker gets the context as it stood at the
fork or in its initializer (with whatever indexes the plan had already built on itself)
and what it builds stays in that worker.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import pickle
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, TypeVar

from kpibook.collector import paused
from kpibook.errors import KpibookError
from kpibook.message import Message

T = TypeVar("T")
R = TypeVar("R")

Progress = Callable[[int, int], None]
"""Called with (done, total) as results arrive."""

MIN_PARALLEL = 8
"""Fewer files than this are not worth starting workers for."""

MAX_WORKERS = 61 if sys.platform == "win32" else 1024
"""Windows waits on at most 63 handles at once, so Python's pool refuses more than 61
workers there (a machine with more cores gets 61)."""

START_METHOD_ENV = "KPIBOOK_START_METHOD"
START_METHODS = ("fork", "spawn", "forkserver")

STOP_GRACE = 3.0
"""Seconds workers get to stop after Ctrl-C before they are terminated."""

POLL = 0.25
"""Seconds between checks for Ctrl-C while waiting for workers (a wait without a timeout
cannot be interrupted on Windows)."""

_context: Any = None
"""The shared context, in a worker."""
_stopping = False
"""Set in a worker once it has been interrupted: it takes on no more work."""


class StartMethodError(KpibookError):
    exit_code = 2


class ItemsFailed(KpibookError):
    """Several items failed; every one that did is listed, the others were completed."""

    def __init__(self, failures: Sequence[BaseException], total: int) -> None:
        self.failures = list(failures)
        listed = "".join(f"\n  - {exc}" for exc in self.failures)
        super().__init__(
            Message(
                ja=f"{total} 件中 {len(self.failures)} 件で失敗しました（ほかは完了しています）",
                en=f"{len(self.failures)} of {total} failed (the others were completed):{listed}",
            )
        )
        self.exit_code = max(getattr(e, "exit_code", 1) for e in self.failures)


class WorkerError(Exception):
    """An exception from a worker that could not be sent back as itself (it does not
    survive pickling); its type, text and traceback, as text."""


class WorkerKpibookError(KpibookError):
    """A kpibook error from a worker that could not be sent back as itself: its text and
    exit code, so the user still gets its message."""

    def __init__(self, text: str, exit_code: int) -> None:
        super().__init__(Message(ja=text, en=text))
        self.text = text
        """The error's message as it was rendered in the worker (both languages)."""
        self.exit_code = exit_code

    def __str__(self) -> str:
        return self.text

    def __reduce__(self) -> tuple[Any, ...]:
        return WorkerKpibookError, (str(self), self.exit_code)


class _Failed:
    """An item's exception, in place of its result."""

    __slots__ = ("exc",)

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def cores() -> int:
    """Cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def start_method(requested: str | None = None) -> str:
    """The start method to use: ``requested``, else ``KPIBOOK_START_METHOD``, else fork
    where the platform forks safely (not macOS), else spawn."""
    method = requested or os.environ.get(START_METHOD_ENV) or ""
    available = multiprocessing.get_all_start_methods()
    if not method:
        return "fork" if "fork" in available and sys.platform != "darwin" else "spawn"
    if method not in START_METHODS or method not in available:
        known = ", ".join(m for m in START_METHODS if m in available)
        raise StartMethodError(
            Message(
                ja=f"{START_METHOD_ENV}={method!r}: この環境で使えるのは {known} です",
                en=f"{START_METHOD_ENV}={method!r} is not a start method available here; "
                f"use one of: {known}",
            )
        )
    return method


def map_files(
    fn: Callable[[Any, T], R],
    context: Any,
    items: Iterable[T],
    jobs: int | None = None,
    progress: Progress | None = None,
    *,
    method: str | None = None,
) -> list[R]:
    """``[fn(context, item) for item in items]``, on ``jobs`` processes (default: all
    cores), in input order.

    ``fn`` must be a module-level function and, with spawn, ``context`` must pickle; it is
    shared, not copied per item.  Every item is run even when some fail; then the
    failure is raised (several: :class:`ItemsFailed`).  ``method`` overrides the start
    method (see :func:`start_method`)."""
    todo = list(items)
    jobs = min(jobs or cores(), len(todo), MAX_WORKERS)
    if jobs <= 1 or len(todo) < MIN_PARALLEL:
        outcomes = list(_here(fn, context, todo, progress))
    else:
        outcomes = _pooled(fn, context, todo, jobs, progress, start_method(method))
    failures = [o.exc for o in outcomes if isinstance(o, _Failed)]
    if any(isinstance(exc, KeyboardInterrupt) for exc in failures):
        raise KeyboardInterrupt
    if len(failures) == 1:
        raise failures[0]
    if failures:
        raise ItemsFailed(failures, len(todo))
    return outcomes  # no failure left among them


def _here(
    fn: Callable[[Any, T], R], context: Any, todo: list[T], progress: Progress | None
) -> Iterator[Any]:
    for n, item in enumerate(todo, 1):
        try:
            yield fn(context, item)
        except Exception as exc:
            yield _Failed(exc)
        if progress:
            progress(n, len(todo))


def _pooled(
    fn: Callable[[Any, T], R],
    context: Any,
    todo: list[T],
    jobs: int,
    progress: Progress | None,
    method: str,
) -> list[Any]:
    chunk = max(1, min(16, len(todo) // (jobs * 8)))
    chunks = [range(start, min(start + chunk, len(todo))) for start in range(0, len(todo), chunk)]
    outcomes: list[Any] = [None] * len(todo)
    if method == "fork":
        # A national plan is millions of objects: frozen, the workers' garbage collector
        # does not walk them (nor touch their pages, which fork would then copy).
        init: Callable[..., None] = _init_forked
        initargs: tuple[Any, ...] = (context,)
        gc.freeze()
    else:
        init, initargs = _init_spawned, (_pickled(context),)
    pool = ProcessPoolExecutor(
        jobs, multiprocessing.get_context(method), initializer=init, initargs=initargs
    )
    try:
        pending: dict[Future[list[Any]], range] = {
            pool.submit(_run_chunk, fn, [todo[i] for i in ids]): ids for ids in chunks
        }
        done_count = 0
        while pending:
            done, _ = wait(pending, timeout=POLL, return_when=FIRST_COMPLETED)
            for future in done:
                ids = pending.pop(future)
                try:
                    results = future.result()
                except Exception as exc:  # the chunk's results could not come back
                    results = [_Failed(exc)] * len(ids)
                for i, result in zip(ids, results, strict=True):
                    outcomes[i] = result
                done_count += len(ids)
                if progress:
                    progress(done_count, len(todo))
    except BaseException:
        _stop(pool)
        raise
    finally:
        if method == "fork":
            gc.unfreeze()
    pool.shutdown(wait=True)
    return outcomes


def _pickled(context: Any) -> bytes:
    """The context pickled once, not once per worker."""
    with paused():  # the pickler's memo holds a reference to every object it has written
        return pickle.dumps(context, protocol=pickle.HIGHEST_PROTOCOL)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started, give the workers a moment, then terminate them."""
    workers = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    deadline = time.monotonic() + STOP_GRACE
    for worker in workers:
        worker.join(max(0.0, deadline - time.monotonic()))
    for worker in workers:
        if worker.is_alive():
            worker.terminate()
            worker.join(1)


# -- in the workers ---------------------------------------------------------------------


def _init_forked(context: Any) -> None:
    global _context
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _context = context


def _init_spawned(blob: bytes) -> None:
    global _context
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Millions of objects come to life at once: the collector would walk them again and
    # again while they do; after, they are frozen out of its reach, as in a forked worker.
    with paused():
        _context = pickle.loads(blob)
    gc.freeze()


def _run_chunk(fn: Callable[[Any, T], R], items: list[T]) -> list[Any]:
    global _stopping
    out: list[Any] = []
    interrupt = KeyboardInterrupt("interrupted")
    if _stopping:
        return [_Failed(interrupt)] * len(items)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        for item in items:
            try:
                out.append(fn(_context, item))
            except Exception as exc:
                out.append(_Failed(_portable(exc)))
    except KeyboardInterrupt:
        # Interrupted mid-item: that item's clean-up has run; take on no more work.
        _stopping = True
        out += [_Failed(interrupt)] * (len(items) - len(out))
    finally:
        with contextlib.suppress(ValueError):
            signal.signal(signal.SIGINT, signal.SIG_IGN)
    return out


def _portable(exc: Exception) -> Exception:
    """``exc`` if it survives the trip back to the main process, else a stand-in with its
    text (and, for a bug, its traceback)."""
    trace = "".join(traceback.format_exception(exc)).rstrip()
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        if isinstance(exc, KpibookError):
            return WorkerKpibookError(str(exc), exc.exit_code)
        return WorkerError(trace)
    if not isinstance(exc, KpibookError):  # a bug: where it happened, for its report
        exc.add_note(f"in a worker process:\n{trace}")
    return exc
