r"""The compiled relation check: statement -> sampled instances -> observables -> slacks -> evidence.

A :class:`RelationCheck` pairs a :class:`~theory.core.Statement` with

* a jittable sampler of one instance (a dict of arrays) for static shapes ``(n, d)``;
* an observable function ``observables(instance, ops) -> {symbol name: per-case array}`` written
  once for both backends (float64 JAX, vmapped; arb balls, for certification);
* optional side computations that need a solver (``prepare`` in float64, ``prepare_exact`` in
  exact/ball arithmetic), e.g. the distance from 0 to a convex hull.

The statement's SymPy relations are compiled with ``lambdify`` (JAX) for the float phase and walked
by :func:`proofs_check.certify.arb_eval` for certification: the bound is written once, in ``theory/``.

Per case the *scale-free slack* of ``lhs >= rhs`` is ``(lhs - rhs) / (|lhs| + |rhs|)`` (sign
flipped for ``<=``; ``-|lhs - rhs| / (|lhs| + |rhs|)`` for an equation): ``>= 0`` means it holds.
"""

from __future__ import annotations

import math
import operator
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import cache, cached_property
from typing import Any, Protocol

import jax
import jax.numpy as jnp
import numpy as np
import sympy as sp

from proofs_check import portable
from proofs_check.backend import ARB, JAX, to_arb_array, to_fraction_array
from proofs_check.certify import (
    PRECISIONS,
    Certificate,
    certify_relations,
    precision,
    proven_false,
    proven_true,
    relation_gap,
)
from proofs_check.checks.relations import (
    case_environment,
    evaluate_cases,
    sympy_relations_of,
)
from proofs_check.compile_cache import builtin_program, compiled
from proofs_check.evidence import Counterexample, Evidence
from proofs_check.instances import rng_for
from proofs_check.perturb import perturb_host, perturbed_observables
from proofs_check.profile import phase
from proofs_check.stable import canonical_worst
from theory.core import Kind, Statement, verify_steps
from theory.domain import Domain, DomainError

NOISE_TOL = (
    1e-9  # float violations smaller than this (relative) are presumed rounding when not escalated
)
PREPARED_BITS = 36  # significant bits kept of a solver output (``RelationCheck.prepared``)
CLEAR = 0.1  # a violation this large (scale-free) is far from any rounding question
ROUNDING_LEVEL_VIOLATIONS = "rounding_level_violations"  # the ``machine`` key of the count

Instance = dict[str, Any]
# a float64 violation that may be escalated: (slack, instance, case, family, (n, d))
Candidate = tuple[float, Instance, int, str, tuple[int, int]]


class StatementCheck(Protocol):
    """Anything that can produce evidence for one statement."""

    statement: Statement

    def run(self, seed: int, samples: int) -> Evidence: ...


SLACK = "slack:"  # ``Reported.value`` ``"slack:K"``: conclusion ``K``'s scale-free slack
VIOLATED = (
    "violated"  # ``Reported.value``: 1 on a float64 violation beyond rounding_multiple, else 0
)
_REDUCE = {"min": min, "max": max, "max_abs": max, "cases": operator.add, "instances": operator.add}
_EMPTY: dict[str, Any] = {"min": None, "max": None, "max_abs": None, "cases": 0, "instances": 0}


@dataclass(frozen=True)
class Reported:
    r"""One summary a :class:`RelationCheck` reports (never judges), under ``name``.

    ``value``: an observable, ``"slack:K"`` (conclusion ``K``'s scale-free slack, on the cases
    meeting the hypotheses and its own ``given``) or ``"violated"``. Over the cases meeting the
    hypotheses (and, if ``where`` names an observable, where it is ``> 0``), ``reduce`` is
    ``"min"``, ``"max"``, ``"max_abs"`` (``None`` without a case), ``"cases"`` (how many) or
    ``"instances"`` (how many instances have a case with ``value > 0``). ``group(instance)`` splits
    the summary by a label (``None``: the instance is left out). ``machine``: the value depends on
    float64 rounding, so it is reported under ``Evidence.machine``.
    """

    name: str
    value: str
    reduce: str = "max"
    where: str | None = None
    group: Callable[[Instance], str | None] | None = None
    machine: bool = False

    def __post_init__(self) -> None:
        if self.reduce not in _REDUCE:
            raise ValueError(f"Reported {self.name!r}: reduce must be one of {sorted(_REDUCE)}")


def _reported_observables(reported: tuple[Reported, ...]) -> list[str]:
    names = {v for r in reported for v in (r.value, r.where) if v is not None}
    return sorted(v for v in names if not v.startswith(SLACK) and v != VIOLATED)


def _per_instance(r: Reported, out: Mapping[str, Any], escalated: np.ndarray, b: int) -> Any:
    """``r.reduce`` of ``r.value`` over instance ``b``'s cases (``None``: no case to reduce)."""
    if not _available(r, out):
        return None
    mask = np.asarray(out["met"][b])
    if r.value.startswith(SLACK):
        values = np.asarray(out["side_slack"][int(r.value[len(SLACK) :])][b])
        mask = np.isfinite(values)
    elif r.value == VIOLATED:
        values = escalated[b].astype(float)
    else:
        values = np.broadcast_to(np.asarray(out["reported"][r.value][b], dtype=float), mask.shape)
    if r.where is not None:
        mask = mask & (np.asarray(out["reported"][r.where][b]) > 0)
    if r.reduce == "cases":
        return int(mask.sum())
    if r.reduce == "instances":
        return int(np.any(mask & (values > 0)))
    if not mask.any():
        return None
    values = np.abs(values) if r.reduce == "max_abs" else values
    return float(np.min(values[mask]) if r.reduce == "min" else np.max(values[mask]))


def _available(r: Reported, out: Mapping[str, Any]) -> bool:
    """Whether the statement has what ``r`` summarises (a mutant may lack a conclusion)."""
    if r.value.startswith(SLACK) and int(r.value[len(SLACK) :]) >= len(out["side_slack"]):
        return False
    return all(v in out["reported"] for v in _reported_observables((r,)))


def _accumulate(r: Reported, acc: dict[Any, Any], inst: Instance, value: Any) -> None:
    key = None if r.group is None else r.group(inst)
    if (r.group is not None and key is None) or value is None:
        return
    acc[key] = value if acc.get(key) is None else _REDUCE[r.reduce](acc[key], value)


@dataclass(frozen=True)
class RelationCheck:
    """Check a statement whose hypotheses and conclusions are scalar relations between observables.

    Three options decide which float64 violations are sent to ball arithmetic; their defaults send
    every one, worst slack first (at most ``max_certify``):

    * ``rounding_floor``: a violation whose scale-free slack lies in ``[-rounding_floor, 0]`` is
      counted in ``machine["rounding_level_violations"]`` and not escalated. A bound that holds with
      equality on a whole family (``W = 0``, equal values, ...) comes out violated by a relative
      ``1e-16`` on about half of those cases; ball arithmetic can never certify an exact equality
      as violated, so each such escalation costs every precision of the certifier and ends as
      float noise. A genuine violation this small could not be told from rounding in float64
      anyway. ``0`` (the default) turns this off: every violation is escalated and no count is kept.
    * ``worst_case_per_instance``: keep only the worst violated case of each instance (see
      :meth:`evaluate`).
    * ``prefer_small`` (for controls): first try to certify the smallest instance whose violation
      is clear (slack below ``-CLEAR``), with the most moderate numbers among those, so that the
      reported counterexample is easy to read; then the usual order (worst slack first).
    * ``rounding_multiple``: with a per-instance ``rounding_scale`` field in the batch, or an
      observable of that name (the size of float64 rounding, or of a solver's tolerance, in that
      instance's bound), a violation with ``-(lhs - rhs)`` at most this multiple of it is counted
      as rounding-level and not escalated.

    ``instances_per_shape(samples)`` (optional) gives the number of instances drawn at each shape
    for a sample budget (default ``ceil(samples / len(shapes))`` at every shape): a check whose
    observables cost a solve per instance draws fewer, and may weight its shapes.

    **Sides.** A conclusion with its own ``given`` relations is one side of an "iff" or one
    direction of an equivalence. The instances meeting the hypotheses and each side's ``given``
    are counted (``Evidence.sides``, named by ``side_names`` or by the ``given`` relations); each
    side must reach ``min_per_side`` or the verdict is VACUOUS (a direction barely exercised
    proves nothing). ``side_breakdown(instance)`` further splits the counts (e.g. per target).

    **Per-instance proofs.** With ``prove_instances``, every sampled instance meeting the
    hypotheses is also re-evaluated exactly (:meth:`proves`: the instance as rationals, every
    observable as a ball, solver-defined ones by their rigorous enclosures): the statement is
    *proved on it* when every conclusion is proven in balls or one of its ``given`` is proven
    false. The counts go to ``extra["exact_proofs"]`` (``proved``, ``instances``).

    **Budgets.** ``instances_per_shape(samples)`` (e.g. :class:`EvenShare` with a divisor) lets a
    check whose observables call a solver per instance draw fewer instances; ``target_budget``
    ``(restarts, steps)`` caps verify's adversary rounds for the same reason (a solve per step).

    **Reported summaries.** ``reported`` (:class:`Reported`) names per-case values the run
    summarises besides judging: an observable, a conclusion's slack or the escalated violations,
    reduced over the cases and grouped (per family, per kind, ...), in ``extra["reported"]`` (or
    ``machine["reported"]``). They never change a verdict; for an EXPLORE item (REPORTED) they are
    the findings. ``describe(evidence)`` writes the check's note (``Evidence.detail``) from them.
    """

    statement: Statement
    sample: Callable[[np.random.Generator, int, int, int], Instance]  # (rng, n, d, batch) -> batch
    observables: Callable[[Instance, Any], dict[str, Any]]  # (instance, ops) -> per-case values
    shapes: tuple[tuple[int, int], ...]
    family_label: Callable[[Instance], str] = lambda inst: "default"
    prepare: Callable[[Instance], dict[str, float]] | None = None
    prepare_exact: Callable[[Instance], dict[str, Any]] | None = None
    min_met: int = 30
    max_certify: int = 6
    rounding_floor: float = 0.0
    worst_case_per_instance: bool = False
    prefer_small: bool = False
    rounding_multiple: float = 0.0
    min_per_side: int = 0
    side_names: tuple[str, ...] = ()
    side_breakdown: Callable[[Instance], str] | None = None
    prove_instances: bool = False
    target_budget: tuple[int, int] | None = None
    domain: Domain | None = None
    instances_per_shape: Callable[[int], tuple[int, ...]] | None = None
    reported: tuple[Reported, ...] = ()
    describe: Callable[[Evidence], str] | None = None

    def __post_init__(self) -> None:
        """Validated when built: every declared shape lies in the domain's sizes."""
        if self.domain is not None:
            outside = [s for s in self.shapes if not self.domain.sizes.admits(*s)]
            if outside:
                raise DomainError(
                    f"{self.statement.id}: shape {outside[0]} is outside its domain "
                    f"({self.domain.sizes.describe()})"
                )

    # -- the float64 phase ---------------------------------------------------------------------

    def evaluate(self, batch: Instance) -> dict[str, Any]:
        """Observables and slacks of a batch (numpy in, numpy out): masks ``met`` (B, k), slacks.

        With ``worst_case_per_instance``, only the worst violated case of each instance stays in
        ``case_violated``. Only the worst few candidates are ever escalated; a control violated in
        most of its ``n^2`` cases would otherwise hand the engine one candidate per case. Counts of
        uncertified violations are then per instance.
        """
        batch = {k: np.asarray(v) for k, v in batch.items()}
        for k, v in batch.items():
            if v.dtype.kind == "f" and not np.all(np.isfinite(v)):
                raise FloatingPointError(
                    f"{self.statement.id}: the sampler produced a NaN or infinite {k!r}"
                )
        if self.prepare is not None:
            with phase("solvers"):
                rows = [self.prepared(_take(batch, b)) for b in range(_batch_size(batch))]
            for name in rows[0]:
                batch[name] = np.array([r[name] for r in rows])
        executable = self._executable(batch)
        with phase("evaluation"):
            out = jax.device_get(executable(batch))
        if out["any_nan"]:
            raise FloatingPointError(
                f"{self.statement.id}: an observable is NaN on a sampled instance"
            )
        if not np.all(np.isfinite(np.where(out["met"], out["raw_min"], 0.0))):
            raise FloatingPointError(
                f"{self.statement.id}: a conclusion is NaN or infinite on an instance meeting the hypotheses"
            )
        out["batch"] = batch
        if self.worst_case_per_instance:
            out["case_violated"] = _worst_case_only(out["case_violated"], out["case_slack"])
        return out

    def prepared(self, inst: Instance) -> dict[str, Any]:
        """``prepare(inst)`` (solver outputs for one instance), as every phase must see them.

        A value that replaces a drawn field (T3's probes, extended by a witness) becomes part of
        the instance that is certified and reported: its floats are settled onto
        :data:`PREPARED_BITS` significant bits (:func:`proofs_check.portable.settle`), so that a
        solver's or LAPACK's last bits, which differ between machines, do not change the
        counterexample. The other values (hull distances, directions) never leave the float phase
        (a counterexample keeps only drawn fields, and ``prepare_exact`` recomputes them exactly).
        """
        if self.prepare is None:
            return {}
        out = {k: perturb_host(np.asarray(v)) for k, v in self.prepare(inst).items()}
        return {
            k: portable.settle(v, PREPARED_BITS) if k in inst and v.dtype.kind == "f" else v
            for k, v in out.items()
        }

    @cached_property
    def _compiled_evaluate(self) -> Callable[[Instance], dict[str, Any]]:
        return jax.jit(self._evaluate_traced)

    @cached_property
    def _executables(self) -> dict[tuple, Any]:
        return {}

    def _executable(self, batch: Instance) -> Callable[[Instance], dict[str, Any]]:
        """The compiled program for this batch's shapes and dtypes (compiled ahead of time, once,
        so that ``--profile`` can tell compilation from evaluation)."""
        key = tuple((k, np.shape(v), np.asarray(v).dtype.str) for k, v in sorted(batch.items()))
        if key not in self._executables:
            with phase("compile"):
                self._executables[key] = compiled(
                    self._compiled_evaluate, (batch,), builtin_program(self, "evaluate")
                )
        return self._executables[key]

    def _evaluate_traced(self, batch: Instance) -> dict[str, Any]:
        """:func:`~proofs_check.checks.relations.evaluate_cases` on every instance (vmapped)."""

        def one(inst: Instance) -> dict[str, Any]:
            obs = perturbed_observables(self.observables, inst, JAX)
            out = evaluate_cases(self.statement, obs, inst, jnp)
            env = case_environment(obs, inst, jnp)
            out["reported"] = {k: env[k] for k in _reported_observables(self.reported) if k in env}
            return out

        out = jax.vmap(one)(batch)
        out["side"] = jnp.moveaxis(out["side"], 0, 1)  # (conclusions, B, k)
        out["side_firm"] = jnp.moveaxis(out["side_firm"], 0, 1)
        out["side_slack"] = jnp.moveaxis(out["side_slack"], 0, 1)
        out["any_nan"] = jnp.any(out["any_nan"])
        out["case_violated"] = out.pop("violated")
        return out

    def side_labels(self) -> list[str | None]:
        """Each conclusion's side name (``None``: a conclusion without ``given`` is no side)."""
        _, concls = sympy_relations_of(self.statement)
        names = iter(self.side_names)
        out: list[str | None] = []
        for _c, given in concls:
            if not given:
                out.append(None)
                continue
            out.append(next(names, None) or " and ".join(str(g) for g in given))
        return out

    def run(self, seed: int, samples: int) -> Evidence:
        """The random phase: every shape's batch, evaluated; violations escalated to balls."""
        st = self.statement
        with phase("symbolic"):
            steps = verify_steps(st.derivation)
        ev = Evidence(
            st,
            symbolic=steps,
            min_met=self.min_met,
            min_per_side=self.min_per_side,
        )
        proved = 0
        share = self.instances_per_shape or EvenShare(len(self.shapes))
        sizes = share(samples)
        families: Counter[str] = Counter()
        breakdown: Counter[str] = Counter()
        labels = self.side_labels()
        side_counts: Counter[str] = Counter({lab: 0 for lab in labels if lab is not None})
        side_worst: dict[str, float] = {lab: math.inf for lab in side_counts}
        side_ties = 0
        candidates: list[Candidate] = []
        worst = math.inf
        rounding_level = 0
        summaries: list[dict[str, Any]] = [{} for _ in self.reported]
        for idx, (n, d) in enumerate(self.shapes):
            per_shape = sizes[idx]
            with phase("sampling"):
                batch = self.sample(rng_for(seed, st.id, idx), n, d, per_shape)
            drawn = tuple(batch)  # the instance itself; ``prepare`` adds solver outputs to it
            out = self.evaluate(batch)
            met_inst = np.any(out["met"], axis=1)
            on_side = np.any(out["side"], axis=2)  # (conclusions, B)
            # a side is counted where its given holds clearly; ties decided by rounding apart
            firm = np.any(out["side_firm"], axis=2)
            ev.tried += per_shape
            ev.met += int(met_inst.sum())
            for k, lab in enumerate(labels):
                if lab is not None:
                    side_counts[lab] += int(firm[k].sum())
                    side_ties += int((on_side[k] & ~firm[k]).sum())
                    side_worst[lab] = min(side_worst[lab], float(np.min(out["side_slack"][k])))
            case_slack, case_violated = out["case_slack"], out["case_violated"]
            if met_inst.any():
                worst = min(worst, float(np.min(case_slack)))
            for b in range(per_shape):
                if met_inst[b]:
                    inst = _take(out["batch"], b)
                    families[self.family_label(inst)] += 1
                    if self.prove_instances:
                        proved += self.proves({key: inst[key] for key in drawn})
                    if self.side_breakdown is not None:
                        for k, lab in enumerate(labels):
                            if lab is not None and firm[k, b]:
                                breakdown[f"{self.side_breakdown(inst)}: {lab}"] += 1
            scale = out.get("rounding_scale", out["batch"].get("rounding_scale"))
            rounding_only: set[int] = set()
            escalated = np.zeros(np.shape(case_violated), dtype=bool)
            for b, k in np.argwhere(case_violated):
                if self.is_rounding_multiple(
                    float(out["raw_min"][b, k]), None if scale is None else float(scale[b])
                ):
                    rounding_only.add(int(b))
                    continue
                # a counterexample holds only what was drawn: solver outputs (float, machine-
                # dependent) are recomputed exactly by ``prepare_exact`` when it is certified
                inst = _take({key: out["batch"][key] for key in drawn}, int(b))
                escalated[b, k] = True
                candidates.append(
                    (float(case_slack[b, k]), inst, int(k), self.family_label(inst), (n, d))
                )
            rounding_level += len(rounding_only)
            for b in np.flatnonzero(met_inst) if self.reported else ():
                inst = _take(out["batch"], int(b))
                for r, acc in zip(self.reported, summaries, strict=True):
                    _accumulate(r, acc, inst, _per_instance(r, out, escalated, int(b)))
        ev.worst_slack = worst if math.isfinite(worst) else None
        ev.families = sorted(families)
        ev.extra["family_counts"] = dict(sorted(families.items()))
        if side_counts:
            ev.machine["side_ties"] = side_ties  # whether a tie falls on a side is rounding
            ev.sides = dict(side_counts)
            ev.extra["sides"] = {
                lab: {
                    "instances": side_counts[lab],
                    "worst_slack": side_worst[lab] if math.isfinite(side_worst[lab]) else None,
                }
                for lab in side_counts
            }
        if self.prove_instances:
            ev.extra["exact_proofs"] = {"proved": proved, "instances": ev.met}
        if self.side_breakdown is not None:
            ev.extra["sides_by_kind"] = dict(sorted(breakdown.items()))
        self._escalate(ev, candidates)
        if self.rounding_multiple > 0:
            ev.machine[ROUNDING_LEVEL_VIOLATIONS] = (
                ev.machine.get(ROUNDING_LEVEL_VIOLATIONS, 0) + rounding_level
            )
        for r, acc in zip(self.reported, summaries, strict=True):
            if not _available(r, out):  # e.g. a mutant without that conclusion: nothing to report
                continue
            where = ev.machine if r.machine else ev.extra
            where.setdefault("reported", {})[r.name] = (
                dict(sorted(acc.items()))
                if r.group is not None
                else acc.get(None, _EMPTY[r.reduce])
            )
        if self.describe is not None:
            ev.detail = "; ".join(t for t in (ev.detail, self.describe(ev)) if t)
        return ev

    def is_rounding_multiple(self, raw: float, scale: float | None) -> bool:
        """A violation by ``-raw`` within ``rounding_multiple`` of the instance's rounding scale."""
        return (
            self.rounding_multiple > 0
            and scale is not None
            and -raw <= self.rounding_multiple * scale
        )

    def within_rounding_floor(self, sigma: float) -> bool:
        """A violation (``sigma <= 0``) whose scale-free slack is within ``rounding_floor``."""
        return self.rounding_floor > 0 and sigma >= -self.rounding_floor

    def is_rounding_level(self, sigma: float, raw: float, scale: float | None) -> bool:
        """A float64 violation the random phase counts as rounding and never escalates: within
        ``rounding_floor`` (scale-free) or ``rounding_multiple`` (of ``rounding_scale``)."""
        return self.within_rounding_floor(sigma) or self.is_rounding_multiple(raw, scale)

    # -- the rigorous phase -----------------------------------------------------------------------

    def _ball_environments(
        self, instance: Instance
    ) -> Callable[[], tuple[Callable[[int], dict[str, Any]], int]]:
        """``compute()``, at the current precision: ``(case -> {name: ball}, number of cases)``."""
        exact = {k: to_fraction_array(v) if _is_float_array(v) else v for k, v in instance.items()}

        def compute() -> tuple[Callable[[int], dict[str, Any]], int]:
            arb_inst = {
                k: to_arb_array(v) if _is_fraction_array(v) else _plain(v) for k, v in exact.items()
            }
            if self.prepare_exact is not None:
                arb_inst.update(self.prepare_exact(exact))
            obs = self.observables(arb_inst, ARB)
            arrays = {k: np.asarray(v, dtype=object) for k, v in {**arb_inst, **obs}.items()}

            def at(case: int) -> dict[str, Any]:
                env = {}
                for k, arr in arrays.items():
                    env[k] = (
                        arr[case]
                        if arr.ndim >= 1 and k in obs
                        else (arr[()] if arr.ndim == 0 else None)
                    )
                return {k: v for k, v in env.items() if v is not None}

            cases = max((a.shape[0] for k, a in arrays.items() if k in obs and a.ndim), default=1)
            return at, cases

        return compute

    def proves(self, instance: Instance, max_bits: int = PRECISIONS[2]) -> bool:
        """Whether ball arithmetic proves the statement on every case of the exact ``instance``.

        A case is proved when every hypothesis is proven and each conclusion is proven true, or
        one of its own ``given`` is proven false (the case is not on that side). A solver that
        gives up (raises) proves nothing.
        """
        hyps, concls = sympy_relations_of(self.statement)
        compute = self._ball_environments(instance)
        for bits in [b for b in PRECISIONS if b <= max_bits]:
            with precision(bits):
                try:
                    at, cases = compute()
                    if all(_case_proved(hyps, concls, at(k)) for k in range(cases)):
                        return True
                except Exception:
                    return False
        return False

    def certify(self, instance: Instance, case: int) -> Certificate:
        """Re-evaluate one case on the exact instance in ball arithmetic (see :mod:`certify`)."""
        hyps, concls = sympy_relations_of(self.statement)
        compute = self._ball_environments(instance)

        def environment_at(bits: int) -> dict[str, Any]:
            return compute()[0](case)

        conclusions = []
        for c, given in concls:
            conclusions.append((c, given))
        # a conclusion with its own 'given' hypotheses is certified with those added
        best = Certificate("not certified", False, None, "", "", note="no conclusion to certify")
        for c, given in conclusions:
            cert = certify_relations(hyps + list(given), [c], environment_at)
            if cert.certified:
                return cert
            best = cert
        return best

    def certify_saved(self, instance: Instance, case: int) -> Certificate:
        """:meth:`certify` for an instance from outside the random phase (the database, the
        search, a user's snippet): it holds only drawn fields, so the ``prepare`` outputs are
        recomputed first from its float64 image (``prepare_exact``, where given, still overrides)."""
        if self.prepare is not None:
            floats = {
                k: np.vectorize(float, otypes=[float])(v)
                if isinstance(v, np.ndarray) and v.dtype == object
                else np.asarray(v)
                for k, v in instance.items()
            }
            extra = {k: v for k, v in self.prepared(floats).items() if k not in instance}
            instance = {
                **instance,
                **{
                    k: to_fraction_array(v) if np.asarray(v).dtype.kind == "f" else v
                    for k, v in extra.items()
                },
            }
        return self.certify(instance, case)

    def _escalate(self, ev: Evidence, candidates: list[Candidate]) -> None:
        """Send float64 violations to ball arithmetic, as ``rounding_floor`` and ``prefer_small`` say."""
        if self.rounding_floor > 0:
            resolved = [c for c in candidates if not self.within_rounding_floor(c[0])]
            ev.machine[ROUNDING_LEVEL_VIOLATIONS] = len(candidates) - len(resolved)
            candidates = resolved
        clear = [c for c in candidates if c[0] < -CLEAR] if self.prefer_small else []
        if clear:
            smallest = min(clear, key=lambda c: (c[4][0] * c[4][1], _magnitude(c[1])))
            self._certify_worst(ev, [smallest])
            if ev.counterexample is not None:
                return
            candidates = [c for c in candidates if c is not smallest]
        self._certify_worst(ev, candidates)

    def _certify_worst(self, ev: Evidence, candidates: list[Candidate]) -> None:
        """Certify the ``max_certify`` worst candidates until one is certified; count the rest.

        "Worst" is canonical (:func:`proofs_check.stable.canonical_worst`): candidates whose
        slacks tie up to rounding are taken in the order they were drawn (shape, instance, case),
        so the counterexample reported does not depend on the machine's last bits.
        """
        drawn = canonical_worst(list(enumerate(candidates)), lambda t: t[1][0], lambda t: t[0])
        candidates[:] = [c for _, c in drawn]
        for _slack, inst, case, family, shape in candidates[: self.max_certify]:
            with phase("certification"):
                cert = self.certify(inst, case)
            if cert.certified:
                ev.counterexample = Counterexample(
                    self.statement.id, _jsonable(inst), case, family, shape, cert
                )
                break
            ev.float_noise += 1
        rest = candidates[self.max_certify :] if ev.counterexample is None else []
        ev.uncertified_violations = sum(1 for s, *_ in rest if s < -NOISE_TOL)
        if ev.statement.kind is Kind.THEOREM and ev.counterexample is not None:
            ev.detail = (
                "certified counterexample: the conjecture is false"
                if ev.statement.claim == "user"
                else "FINDING: certified counterexample to a THEOREM of THEORY.md"
            )


def _case_proved(
    hyps: list[sp.Rel], concls: list[tuple[sp.Rel, tuple[sp.Rel, ...]]], env: Mapping[str, Any]
) -> bool:
    """Every hypothesis proven (a case where one is proven false is vacuous); every conclusion
    proven, or one of its ``given`` proven false."""
    gaps = [(h, relation_gap(h, env)) for h in hyps]
    if any(proven_false(h, gap) for h, gap in gaps):
        return True
    if not all(proven_true(h, gap) for h, gap in gaps):
        return False
    for c, given in concls:
        gaps = [(g, relation_gap(g, env)) for g in given]
        if any(proven_false(g, gap) for g, gap in gaps):
            continue
        if not all(proven_true(g, gap) for g, gap in gaps) or not proven_true(
            c, relation_gap(c, env)
        ):
            return False
    return True


@dataclass(frozen=True)
class EvenShare:
    """``ceil(samples / (divisor * count))`` instances at each of ``count`` shapes (the default
    share is ``divisor = 1``; a check that solves a program per instance divides further)."""

    count: int
    divisor: int = 1

    def __call__(self, samples: int) -> tuple[int, ...]:
        each = max(1, math.ceil(samples / (self.divisor * self.count)))
        return (each,) * self.count


def _worst_case_only(violated: np.ndarray, case_slack: np.ndarray) -> np.ndarray:
    """``violated`` (B, k) with only each row's worst (least slack) violated case left set."""
    violated = np.asarray(violated)
    if not violated.any():
        return violated
    rows = np.arange(violated.shape[0])
    worst = np.argmin(np.where(violated, case_slack, np.inf), axis=1)
    kept = np.zeros_like(violated)
    kept[rows, worst] = violated[rows, worst]
    return kept


def _magnitude(inst: Instance) -> float:
    """The largest absolute entry of an instance's float arrays."""
    return max(
        (float(np.max(np.abs(v))) for v in inst.values() if np.asarray(v).dtype.kind == "f"),
        default=0.0,
    )


def _batch_size(batch: Instance) -> int:
    return int(next(iter(batch.values())).shape[0])


def _take(batch: Instance, b: int) -> Instance:
    return {k: np.asarray(v[b]) for k, v in batch.items()}


def _is_float_array(v: Any) -> bool:
    return isinstance(v, np.ndarray) and v.dtype.kind == "f"


def _is_fraction_array(v: Any) -> bool:
    return (
        isinstance(v, np.ndarray)
        and v.dtype == object
        and v.size > 0
        and isinstance(v.flat[0], Fraction)
    )


def _plain(v: Any) -> Any:
    if isinstance(v, np.ndarray) and v.dtype.kind in "iub":
        return int(v) if v.ndim == 0 else v
    return v


def _jsonable(inst: Instance) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in inst.items():
        arr = np.asarray(v)
        out[k] = arr.tolist()
    return out


def theory_value(ops: Any, expr: sp.Expr, **values: Any) -> Any:
    """Evaluate a SymPy expression from ``theory/`` on either backend (floats: lambdify; balls: arb).

    This is how a construction's constant (e.g. T1.d's ``c = L_n(eps)/(gamma_u gamma_v)``) enters an
    observable without being typed a second time.
    """
    names = tuple(sorted(s.name for s in expr.free_symbols))
    if ops.name == "arb":
        from proofs_check.certify import arb_eval

        return arb_eval(expr, values)
    f = _lambdified(expr, names)
    return f(*[values[nm] for nm in names])


@cache
def _lambdified(expr: sp.Expr, names: tuple[str, ...]) -> Callable[..., Any]:
    relabel = {s: sp.Symbol(s.name) for s in expr.free_symbols}
    return sp.lambdify([sp.Symbol(nm) for nm in names], expr.xreplace(relabel), modules="jax")
