r"""Statements run side by side in worker processes (``verify --jobs``, the docs).

Each statement's evidence is a function of the statement, the seed and the sample count only:
every random stream is derived from ``(seed, label)`` (:func:`proofs_check.instances.rng_for`),
and what a process caches (compiled programs, lambdified relations, adversaries) changes no
number. So running statements in other processes, in another order, gives the same evidence; the
report lists them in the targets' order whichever worker finishes first
(``tests/test_workers.py`` compares ``--jobs 2`` with ``--jobs 1``).

Workers are started with ``spawn`` (JAX is not fork-safe). They share the caller's store of
compiled programs (safe for concurrent runs, :mod:`proofs_check.compile_cache`). SIGINT reaches
every process of a terminal's foreground group: the workers leave it to the caller, which, once
Ctrl-C was pressed, sets an event that each worker turns into its own
:func:`proofs_check.interrupt.request` (the statement in progress finishes early, as in one
process); no further statement starts. A worker whose caller is gone exits.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

MAX_JOBS = 8  # each worker holds its own JAX runtime and compiled programs (~1-2 GB)
POLL_S = 0.5  # how often the caller looks for Ctrl-C while workers run


def default_jobs(tasks: int | None = None, fewest: int = 1) -> int:
    """One worker per CPU this process may use, at most :data:`MAX_JOBS` (and ``tasks``); 1 for
    fewer than ``fewest`` tasks (a worker first spends seconds importing JAX and loading its
    programs, more than a few short statements take)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    jobs = max(1, min(MAX_JOBS, cpus))
    if tasks is None:
        return jobs
    return 1 if tasks < fewest else max(1, min(jobs, tasks))


def prepare_worker(
    cache: str | None,
    parent: int,
    stop: Any,
    initializer: Callable[..., None],
    initargs: tuple[Any, ...],
) -> None:
    """Runs first in each worker: SIGINT left to the caller (a ``KeyboardInterrupt`` here is user
    code's own), the caller's compile cache, a watcher that turns the caller's stop event into a
    request and exits if the caller died, then the task's own initializer."""
    from proofs_check import interrupt

    interrupt.leave_to_caller()
    if cache is not None:
        from proofs_check.compile_cache import enable

        enable(cache)
    threading.Thread(target=_watch_caller, args=(parent, stop), daemon=True).start()
    initializer(*initargs)


def _watch_caller(parent: int, stop: Any) -> None:
    """Turn the caller's stop event into :func:`interrupt.request`; exit once orphaned (the caller
    was killed: nothing to report to)."""
    from proofs_check import interrupt

    while os.getppid() == parent:
        if stop is None:
            time.sleep(POLL_S)
        elif stop.wait(POLL_S):
            interrupt.request()
            stop = None
    os._exit(1)


def run_in_workers(
    task: Callable[[int], Any],
    count: int,
    jobs: int,
    initializer: Callable[..., None],
    initargs: tuple[Any, ...] = (),
    on_result: Callable[[int, Any], None] | None = None,
    stopped: Callable[[], bool] = lambda: False,
    cache: str | None = None,
) -> dict[int, Any]:
    """``task(k)`` for ``k`` in ``range(count)`` on ``jobs`` workers, started in order, at most
    ``jobs`` at a time; ``{k: result}`` of those that ran. Once ``stopped()`` is true no further
    task starts and the running ones are told to finish early (an event the workers watch).
    ``cache``: the workers' compile cache (default: the one this process uses)."""
    ctx = multiprocessing.get_context("spawn")
    stop = ctx.Event()
    if cache is None:
        from proofs_check.compile_cache import store_in_use

        used = store_in_use()
        cache = str(used) if used is not None else None
    results: dict[int, Any] = {}
    with ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=ctx,
        initializer=prepare_worker,
        initargs=(cache, os.getpid(), stop, initializer, initargs),
    ) as pool:
        pending: dict[Future, int] = {}
        upcoming = iter(range(count))
        while True:
            while len(pending) < jobs and not stopped():
                k = next(upcoming, None)
                if k is None:
                    break
                pending[pool.submit(task, k)] = k
            if not pending:
                break
            done, _ = wait(pending, timeout=POLL_S, return_when=FIRST_COMPLETED)
            if stopped():
                stop.set()
            for future in sorted(done, key=pending.__getitem__):
                k = pending.pop(future)
                results[k] = future.result()
                if on_result is not None:
                    on_result(k, results[k])
    return results


def in_order(results: dict[int, Any], count: int) -> Sequence[Any]:
    """The results that exist, in task order."""
    return [results[k] for k in range(count) if k in results]
