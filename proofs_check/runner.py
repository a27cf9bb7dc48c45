"""Resolve targets (ids, claim prefixes, conjecture files) and run their checks into evidence.

A check that raises is reported as ERROR with a one-line reason; the other statements still run.
User code that calls ``sys.exit`` or raises ``KeyboardInterrupt`` is an ERROR of its statement too.
After Ctrl-C (:mod:`proofs_check.interrupt`) the statement in progress finishes and no other starts.
:func:`run_targets_in_workers` runs the same :func:`run_statement` in worker processes
(:mod:`proofs_check.workers`), which changes no evidence, only the wall-clock time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

from proofs_check import interrupt
from proofs_check.checks import registry
from proofs_check.conjecture import (
    ConjectureError,
    is_conjecture_target,
    is_users_own,
    load_targets,
)
from proofs_check.evidence import Evidence


class TargetError(Exception):
    """A target that names nothing we can check (one clear line for the user)."""


def resolve(targets: Iterable[str]) -> list[Any]:
    """Checks for ``targets``: ``T1.a``, ``T1-F2``, a claim ``T1``, ``FILE.py`` or ``FILE.py::NAME``.

    No targets means every implemented statement. Conjecture ids are ``FILE.py::NAME``, qualified
    by the file's path when two files share a name.
    """
    known = registry()
    targets = list(targets)
    if not targets:
        return list(known.values())
    try:
        conjectures = load_targets(targets)
    except ConjectureError as exc:
        raise TargetError(str(exc)) from None
    out: list[Any] = []
    for t in targets:
        if is_conjecture_target(t):
            out.extend(conjectures[t])
        elif t in known:
            out.append(known[t])
        elif any(c.statement.claim == t for c in known.values()):
            # a whole claim: its theorems, controls and explore items (E3 belongs to T3)
            out.extend(c for c in known.values() if c.statement.claim == t)
        else:
            raise TargetError(f"unknown statement id {t!r} (see `proofs-check list`)")
    return out


_TRACER_ERRORS = (
    "TracerArrayConversionError",
    "ConcretizationTypeError",
    "TracerBoolConversionError",
    "TracerIntegerConversionError",
)


def error_line(exc: BaseException) -> str:
    """One line for an exception; JAX's tracing errors (user code calling NumPy, or Python ``if``
    on a traced value) get a sentence that says what to change."""
    name = type(exc).__name__
    if isinstance(exc, ConjectureError):
        return str(exc).splitlines()[0]
    if name in _TRACER_ERRORS:
        return (
            f"{name}: the quantities must be computed with ops.xp / ops (jax.numpy when traced), "
            "not NumPy or Python control flow on the values"
        )
    text = str(exc).strip().splitlines()
    return f"{name}: {text[0]}" if text else name


def run_check(check: Any, seed: int, samples: int) -> Evidence:
    """Run one check; any exception becomes an ERROR row with a one-line reason."""
    try:
        return check.run(seed, samples)
    except (Exception, SystemExit, KeyboardInterrupt) as exc:
        # a failing check must not take the other statements down
        if not isinstance(exc, Exception) and not is_users_own(exc):
            raise
        ev = Evidence(check.statement)
        ev.error = error_line(exc)
        return ev


class Phases(Protocol):
    """What runs around a statement's random phase (:class:`proofs_check.search.driver.Searcher`)."""

    def reuse(self, check: Any) -> Any: ...

    def target(
        self,
        check: Any,
        ev: Evidence,
        reused: Any = None,
        adversary: bool = True,
        samples: int | None = None,
    ) -> None: ...


def run_statement(
    check: Any, seed: int, samples: int, phases: Phases | None = None, adversary: bool = True
) -> Evidence:
    """One statement through the fixed phases, in order: **reuse** (replay the database's saved
    counterexamples), **generate** (the random phase, ``check.run``: sample, evaluate, certify),
    **target** (the gradient adversary; certify), **save** (what is certified, to the database)."""
    reused = None
    if phases is not None:
        try:
            reused = phases.reuse(check)
        except Exception:  # a database that cannot be replayed never fails a run (it warned)
            reused = None
    ev = run_check(check, seed, samples)
    if phases is not None and ev.error is None:
        phases.target(check, ev, reused, adversary, samples)
    return ev


def run_all(
    checks: list[Any],
    seed: int,
    samples: int,
    on_done: Callable[[Evidence], None] | None = None,
    phases: Phases | None = None,
    adversary: bool = True,
) -> list[Evidence]:
    """Run every check through :func:`run_statement`. After Ctrl-C, the statements not started
    are left out (the caller reports them as not run)."""
    results = []
    for check in checks:
        if interrupt.requested():
            break
        ev = run_statement(check, seed, samples, phases, adversary)
        results.append(ev)
        if on_done is not None:
            on_done(ev)
    return results


# -- the same statements in worker processes ------------------------------------------------------

_WORKER: dict[str, Any] = {}  # one worker process's targets, options and phases (set once)


def run_targets_in_workers(
    targets: Sequence[str],
    count: int,
    jobs: int,
    seed: int,
    samples: int,
    db_dir: Path | None,
    use_db: bool,
    adversary: bool = True,
    on_done: Callable[[Evidence], None] | None = None,
) -> list[Evidence]:
    """:func:`run_statement` on each of the ``count`` checks that :func:`resolve` gives for
    ``targets``, on ``jobs`` worker processes, each resolving the targets itself (checks hold
    compiled programs and user code, which do not travel between processes; evidence does).
    Returned in the targets' order; after Ctrl-C, only the statements that ran. With
    ``--profile`` (:func:`proofs_check.profile.active_profile`) the workers' phases are summed."""
    from proofs_check.profile import active_profile
    from proofs_check.workers import in_order, run_in_workers

    prof = active_profile()

    def received(k: int, result: tuple[Evidence, Any]) -> None:
        ev, rows = result
        if prof is not None and rows is not None:
            prof.merge(*rows)
        if on_done is not None:
            on_done(ev)

    options = (tuple(targets), seed, samples, db_dir, use_db, adversary, prof is not None)
    results = run_in_workers(
        _statement_in_worker,
        count,
        jobs,
        _start_worker,
        options,
        on_result=received,
        stopped=interrupt.requested,
    )
    if prof is not None:
        prof.workers = jobs
    return [ev for ev, _ in in_order(results, count)]


def _start_worker(
    targets: tuple[str, ...],
    seed: int,
    samples: int,
    db_dir: Path | None,
    use_db: bool,
    adversary: bool,
    profile: bool,
) -> None:
    from proofs_check.profile import IMPORT_STARTED
    from proofs_check.search.commands import open_db, verify_phases

    checks = resolve(targets)
    db = open_db(db_dir, use_db)
    _WORKER.update(
        checks=checks,
        seed=seed,
        samples=samples,
        adversary=adversary,
        phases=verify_phases(seed, db, adversary),
        profile=profile,
        import_s=time.perf_counter() - IMPORT_STARTED,
    )


def _statement_in_worker(k: int) -> tuple[Evidence, Any]:
    """Task ``k`` in a worker: its evidence, and (profiling) its phases and their remainder."""
    from contextlib import nullcontext

    from proofs_check.profile import profiling

    w = _WORKER
    with profiling() if w["profile"] else nullcontext() as prof:
        ev = run_statement(w["checks"][k], w["seed"], w["samples"], w["phases"], w["adversary"])
    if prof is None:
        return ev, None
    prof.charge_import(w.pop("import_s", 0.0))
    return ev, prof.shares()
