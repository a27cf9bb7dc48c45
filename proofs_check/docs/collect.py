"""Gather what the pages print: derivation steps (their algebra checked by SymPy) and each statement's evidence.

Evidence comes from :func:`proofs_check.runner.run_all`, the call ``proofs-check verify`` makes
(the check, then the adversarial phase of :mod:`proofs_check.search` where it exists, run without
a counterexample database), so each page's reproduce command prints the page's numbers. The docs
run each statement at
``samples`` instances; a statement whose verdict is VACUOUS (too few instances met its hypotheses),
or a control not refuted yet, is rerun at 4x the count, up to :data:`SAMPLE_CAP` (the default of
``verify``). The count finally used is recorded and printed in the reproduce command.

Checks run in worker processes (``spawn``: JAX is not fork-safe), one statement per task; results
are keyed by id, so the order in which workers finish never shows in the pages. The workers keep
compiled programs in the store (:mod:`proofs_check.compile_cache`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from theory.core import Kind, Statement, StepResult, verify_steps

SAMPLE_CAP = 2000
ESCALATION = 4


class DerivationError(AssertionError):
    """A derivation step that SymPy does not verify: the docs refuse to print it as verified."""


def verified_derivation(
    statement: Statement, verified: Sequence[bool] | None = None
) -> list[StepResult]:
    """Every step of ``statement``'s derivation with its SymPy verdict; raise if any step fails.

    ``verified`` are the verdicts the statement's check already computed (the same
    :func:`verify_steps` call, made in the worker); without them SymPy runs here.
    """
    if verified is None or len(verified) != len(statement.derivation):
        results = verify_steps(statement.derivation)
    else:
        results = [
            StepResult(k + 1, step.text, "", bool(ok))
            for k, (step, ok) in enumerate(zip(statement.derivation, verified, strict=True))
        ]
    failed = [r for r in results if not r.verified]
    if failed:
        listing = "; ".join(f"step {r.index}: {r.text}" for r in failed)
        raise DerivationError(f"{statement.id}: SymPy does not verify {listing}")
    return results


def step_verdicts(statement: Statement, symbolic: Sequence[StepResult]) -> tuple[bool, ...]:
    """The check's own step verdicts when they are this derivation's; else SymPy runs now."""
    if [r.text for r in symbolic] != [step.text for step in statement.derivation]:
        symbolic = verify_steps(statement.derivation)
    return tuple(r.verified for r in symbolic)


@dataclass(frozen=True)
class EvidenceRecord:
    """One statement's evidence as JSON-ready data, with the run that produced it."""

    statement_id: str
    seed: int
    samples: int  # the count of the run shown (after any escalation)
    attempts: tuple[int, ...]  # every count tried, in order
    evidence: dict[str, Any]  # Evidence.to_json()
    steps_verified: tuple[bool, ...]  # SymPy's verdict on each derivation step
    adversary: bool = True  # whether verify's adversarial phase ran after the check
    cpu_seconds: float = 0.0  # the worker's CPU time (for tuning; never printed on a page)


def needs_more(kind: str, verdict: str) -> bool:
    """Rerun with more instances: too few met the hypotheses, or a control is not refuted yet."""
    return verdict == "VACUOUS" or (kind == Kind.CONTROL.value and verdict == "HOLDS")


def adversarial_phase(seed: int) -> Any:
    """The phases ``verify --no-db`` runs around each check (:mod:`proofs_check.search`): the same
    adversarial round, without the counterexample database, so the pages do not depend on what
    one machine found earlier. ``None`` where the search stage is not installed."""
    if seed not in _PHASES:
        try:
            from proofs_check.search.commands import verify_phases
        except ModuleNotFoundError:
            _PHASES[seed] = None
        else:
            _PHASES[seed] = verify_phases(seed, None, True)
    return _PHASES[seed]


_PHASES: dict[int, Any] = {}


def run_statement(
    statement_id: str, seed: int, samples: int, adversary: bool = True
) -> EvidenceRecord:
    """Run one statement as ``verify`` does (its check, then the adversarial phase), escalating
    the sample count as described above."""
    from proofs_check.checks import registry
    from proofs_check.runner import run_all

    start = time.process_time()
    check = registry()[statement_id]
    phases = adversarial_phase(seed) if adversary else None
    adversary = phases is not None
    attempts: list[int] = []
    count = samples
    while True:
        attempts.append(count)
        (ev,) = run_all([check], seed, count, phases=phases)
        if count >= SAMPLE_CAP or not needs_more(check.statement.kind.value, ev.verdict):
            break
        count = min(SAMPLE_CAP, count * ESCALATION)
    verdicts = step_verdicts(check.statement, ev.symbolic)
    cpu = time.process_time() - start
    return EvidenceRecord(
        statement_id, seed, count, tuple(attempts), ev.to_json(), verdicts, adversary, cpu
    )


_TASKS: list[tuple[str, int, int, bool]] = []  # a docs worker's tasks (set once per worker)


def _set_tasks(tasks: list[tuple[str, int, int, bool]]) -> None:
    _TASKS[:] = tasks


def _run_task(k: int) -> EvidenceRecord:
    return run_statement(*_TASKS[k])


def collect_evidence(
    statement_ids: list[str],
    seed: int,
    samples: Mapping[str, int],
    jobs: int | None = None,
    on_done: Callable[[EvidenceRecord], None] | None = None,
    adversary: bool = True,
) -> dict[str, EvidenceRecord]:
    """Evidence for every id (``samples[id]`` instances each), on ``jobs`` worker processes
    (:mod:`proofs_check.workers`; default one per CPU) sharing the store of compiled programs."""
    from proofs_check.compile_cache import cache_dir
    from proofs_check.workers import default_jobs, in_order, run_in_workers

    tasks = [(sid, seed, samples[sid], adversary) for sid in statement_ids]
    if not tasks:
        return {}
    jobs = default_jobs(len(tasks)) if jobs is None else max(1, min(jobs, len(tasks)))
    cache = cache_dir()
    results = run_in_workers(
        _run_task,
        len(tasks),
        jobs,
        _set_tasks,
        (tasks,),
        on_result=(lambda k, record: on_done(record)) if on_done is not None else None,
        cache=str(cache) if cache is not None else None,
    )
    return {record.statement_id: record for record in in_order(results, len(tasks))}
