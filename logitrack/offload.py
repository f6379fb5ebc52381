"""CPU-bound work (route optimisation) in a child process, so the process that asks keeps answering.

OR-Tools holds the GIL while it builds and searches: run in the web process of the embedded default, a 3 s solve
kept `/healthz` and every driver ping waiting for seconds. `run()` hands a plain function and plain data to a small
pool of child processes and waits for plain data back; the caller writes the results, so a database (SQLite in
the embedded default) only ever sees the parent write. The pool is started on first use (a web process that never
optimises never starts one), bounded (OFFLOAD_PROCESSES children; more callers wait their turn), and uses `spawn`,
not `fork`: a forked child of a process with threads can inherit a lock held by another thread and hang.
Once the interpreter is shutting down (a command that queued an embedded job is exiting) no pool takes new work, so
the work runs in this process instead: nobody is waiting on it for an answer any more.
"""

from __future__ import annotations

import concurrent.futures.process
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

import structlog
from django.conf import settings

log = structlog.get_logger(__name__)
T = TypeVar("T")


class _Pool:
    """The process's one pool, started on first use and replaced when a child died."""

    def __init__(self) -> None:
        self.executor: ProcessPoolExecutor | None = None
        self.lock = threading.Lock()

    def get(self) -> ProcessPoolExecutor:
        with self.lock:
            if self.executor is None:
                self.executor = ProcessPoolExecutor(
                    max_workers=max(1, settings.OFFLOAD_PROCESSES), mp_context=multiprocessing.get_context("spawn")
                )
            return self.executor

    def discard(self, executor: ProcessPoolExecutor) -> None:
        """A pool whose child died is broken for good: the next call starts a new one."""
        with self.lock:
            if self.executor is executor:
                self.executor = None
        executor.shutdown(wait=False, cancel_futures=True)


_pool = _Pool()


class ChildDied(Exception):
    """The child process running the work ended without an answer (killed, out of memory, crashed)."""


def run(fn: Callable[..., T], /, *args: Any, timeout: float | None = None, **kwargs: Any) -> T:
    """`fn(*args, **kwargs)` in a child process: `fn` is a module-level function, arguments and answer pickle.
    An exception `fn` raises comes back as itself; a child that dies raises ChildDied, and so does one that has not
    answered within `timeout` seconds (it is killed: a wedged child would hold the pool, and the one embedded jobs
    thread waiting on it, for good)."""
    if concurrent.futures.process._global_shutdown:  # set by the pool's exit hook, before embedded jobs are joined
        return _in_this_process(fn, *args, **kwargs)
    pool = _pool.get()
    try:
        future = pool.submit(fn, *args, **kwargs)
    except BrokenProcessPool as exc:  # a RuntimeError too, but a child death, not the shutdown
        raise _died(pool, fn) from exc
    except RuntimeError:  # "cannot schedule new futures after (interpreter) shutdown": exiting since the check
        return _in_this_process(fn, *args, **kwargs)
    try:
        return future.result(timeout=timeout)
    except BrokenProcessPool as exc:
        raise _died(pool, fn) from exc
    except TimeoutError as exc:
        if future.done():  # `fn` itself raised TimeoutError: that is its answer
            raise
        for process in list((pool._processes or {}).values()):  # the executor has no public way to stop a child
            process.kill()
        raise _died(pool, fn, f"the child process did not answer within {timeout} s") from exc


def _died(
    pool: ProcessPoolExecutor, fn: Callable[..., Any], why: str = "the child process stopped before it answered"
) -> ChildDied:
    _pool.discard(pool)
    log.error("offload.child_died", function=getattr(fn, "__qualname__", repr(fn)), why=why)
    return ChildDied(why)


def _in_this_process(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    log.info("offload.in_process", function=getattr(fn, "__qualname__", repr(fn)), reason="interpreter shutting down")
    return fn(*args, **kwargs)
