r"""Checks for T4 (the cost of a sink versus a diagonal pattern) and its controls: relation checks.

Every statement is an ordinary :class:`~proofs_check.checks.engine.RelationCheck`. What is
specific to T4:

* **The sampler** :func:`sample_costs`: every THEORY.md token family (weighted towards the ones
  where T4's hypotheses bite), causal masks on a quarter of the draws (sink first), ``eps`` near 0,
  in the bulk and near 1/2; the shapes :data:`COST_SHAPES` (``n`` from 2 to 32, ``d`` up to 16)
  with few instances each (:func:`instances_per_shape`: every instance costs conic solves).
* **The observables** :class:`CostObservables`: the costs ``c_sink``, ``c_diag`` are the
  solver-defined observables of :mod:`proofs_check.observables.cost_observables` (float64: the
  conic solver's optimum, one solve per instance and program; balls: ``[0, U]`` with ``U`` a proven
  bound from a rational feasible ``W``, exactly ``+inf`` where infeasibility is proven exactly);
  the feasibility hypotheses are margins (``sink_margin`` from exact minimum-norm points,
  ``diag_margin`` a linear program's optimum with a proven enclosure); ``sigma_max(X~)^2`` and
  ``rank(X)`` are proven enclosures; the rest is plain arithmetic on both backends.
* **The solver's accuracy** is the per-instance observable ``rounding_scale``: the first-order
  change of ``lhs - rhs`` of the statement's conclusions when each cost moves by its
  :attr:`~proofs_check.observables.costs.CostResult.tolerance` (``10 x (|duality gap| + |primal -
  dual objective| + |objective - ||W||_*|)``, at least ``1e-7`` relative), plus ``1e-12``
  relative; with ``rounding_multiple = 1`` a violation within it is counted under
  ``machine_dependent`` and not escalated (as before). A mutant is judged with its parent
  theorem's allowance (the observables keep the parent's conclusions).
* A solve that did not converge gives ``nan``: the engine refuses a NaN observable, and the
  statement's verdict is ERROR -- never evidence. (Every drawn instance is solved, whether or not
  it meets the hypotheses.)

A violation beyond the tolerance is certified like any other: every hypothesis proven in balls,
the conclusion proven false with the cost in ``[0, U]``. This proves violations of lower bounds on
a cost (T4.b, T4.c, the control T4-F2) and, with ``c_sink = +inf`` proven by an exact convex
combination ``sum_i lambda_i x_i = 0``, the control T4-F1. A violation of an *upper* bound on a cost
cannot be certified by a primal point (it would need a dual certificate): it is float noise.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import flint
import jax.numpy as jnp
import numpy as np
import sympy as sp

from proofs_check.checks.engine import RelationCheck
from proofs_check.checks.relations import lambdified, sympy_relations_of
from proofs_check.instances import TOKEN_FAMILIES, sample_eps, sample_tokens
from proofs_check.observables.cost_observables import (
    cost_tolerance,
    diag_cost,
    diag_margin,
    rank,
    sigma_max_sq,
    sink_cost,
)
from proofs_check.observables.solved import as_ball, gamma_u, gamma_v, hull_distance
from theory import costs as T4
from theory.core import Statement
from theory.sinks import TOLERANCE_BELOW_HALF

COST_SHAPES = ((2, 1), (2, 3), (3, 2), (4, 3), (6, 4), (8, 8), (12, 6), (16, 4), (32, 16))
BASE_COUNTS = (10, 10, 10, 10, 10, 5, 5, 5, 2)  # instances per shape at 2000 samples
BASE_SAMPLES = 2000
POOL_FLOOR = 0.5  # never below half the default counts (conic solves, not samples)
FAMILY_WEIGHTS = {  # all THEORY.md token families; more weight where T4's hypotheses bite
    "gaussian": 1.0,
    "unit": 2.0,
    "cone": 3.0,
    "clustered": 1.0,
    "collapsed": 1.0,
    "massive": 1.0,
    "ties": 1.0,
    "antipodal": 1.0,
    "long_sink": 2.0,
}
CAUSAL_FRACTION = 0.25
TARGET_BUDGET = (8, 10)  # verify's adversary (restarts, steps): a conic solve per step per restart
MIN_MET = 8
MIN_PER_SIDE = 5  # instances a conditional conclusion ("given") must see, else VACUOUS
FP_SLACK = 1e-12  # relative float64 rounding allowed in evaluating a bound itself
COSTS = ("c_sink", "c_diag")


# ----------------------------------------------------------------------------------------------
# The sampler
# ----------------------------------------------------------------------------------------------


def instances_per_shape(samples: int) -> tuple[int, ...]:
    """Instances at each of :data:`COST_SHAPES`: :data:`BASE_COUNTS` scaled by ``samples / 2000``
    (never below half of them)."""
    scale = max(samples / BASE_SAMPLES, POOL_FLOOR)
    return tuple(max(1, math.ceil(b * scale)) for b in BASE_COUNTS)


def _family_weights() -> np.ndarray:
    w = np.array([FAMILY_WEIGHTS[f] for f in TOKEN_FAMILIES])
    return w / w.sum()


def sample_costs(rng: np.random.Generator, n: int, d: int, batch: int) -> dict[str, np.ndarray]:
    """``batch`` token sets ``X`` (B, n, d) with a sink ``s``, a tolerance ``eps in (0, 1/2)`` and a
    causal flag ``causal`` (0/1; causal draws put the sink first)."""
    causal = rng.random(batch) < CAUSAL_FRACTION
    s = np.where(causal, 0, rng.integers(0, n, batch))
    fam = rng.choice(len(TOKEN_FAMILIES), size=batch, p=_family_weights())
    X = sample_tokens(rng, fam, n, d, s)
    eps = sample_eps(rng, batch)
    return {"X": X, "s": s, "eps": eps, "causal": causal.astype(np.int64), "token_family": fam}


def _sample_costs_any_eps(
    rng: np.random.Generator, n: int, d: int, batch: int
) -> dict[str, np.ndarray]:
    """:func:`sample_costs` with ``eps`` in ``(0, 1)``: half the draws in ``[1/2, 1)``."""
    out = sample_costs(rng, n, d, batch)
    beyond = rng.uniform(0.5, 1.0, batch)
    out["eps"] = np.where(rng.random(batch) < 0.5, out["eps"], beyond)
    return out


def _relaxed(hypothesis: sp.Rel) -> Callable[..., dict[str, np.ndarray]] | None:
    """The sampler without the structure that enforces ``hypothesis`` (mutants that drop it):
    only ``eps < 1/2`` is built into the draws."""
    return _sample_costs_any_eps if hypothesis == TOLERANCE_BELOW_HALF.relation else None


sample_costs.relaxed = _relaxed  # type: ignore[attr-defined]


def cost_family(inst: dict[str, Any]) -> str:
    causal = bool(np.asarray(inst["causal"]).item())
    return TOKEN_FAMILIES[int(np.asarray(inst["token_family"]).item())] + (
        "/causal" if causal else ""
    )


def exact_tokens(exact: dict[str, Any]) -> dict[str, Any]:
    """Certification: the solver observables get ``X`` as exact rationals (not rounded balls)."""
    return {"X": exact["X"]}


# ----------------------------------------------------------------------------------------------
# The observables
# ----------------------------------------------------------------------------------------------


def _min(ops: Any, a: Any, b: Any) -> Any:
    return flint.arb.min(as_ball(a), as_ball(b)) if ops.name == "arb" else ops.xp.minimum(a, b)


def _balls(X: Any) -> np.ndarray:
    return np.vectorize(as_ball, otypes=[object])(np.asarray(X, dtype=object))


@dataclass(frozen=True)
class CostObservables:
    r"""The observables of T4 on one instance (``X``, ``s``, ``eps``, ``causal``), computed only
    where the statement's relations name them.

    ``sink``: ``"plain"`` (the unmasked sink program, whatever the draw) or ``"masked"`` (the
    draw's causal flag selects the causal program, and the pairs of ``sink_pair_min``).
    """

    statement: Statement
    sink: str = "plain"

    @cached_property
    def needed(self) -> frozenset[str]:
        hyps, concls = sympy_relations_of(self.statement)
        rels = hyps + [c for c, _ in concls] + [g for _, given in concls for g in given]
        return frozenset(sym.name for r in rels for sym in r.free_symbols)

    def __call__(self, inst: dict[str, Any], ops: Any) -> dict[str, Any]:
        X, s, eps = inst["X"], inst["s"], inst["eps"]
        arb = ops.name == "arb"
        xp = ops.xp
        n, d = np.shape(X)
        causal = inst["causal"] if self.sink == "masked" else False
        if arb:
            causal = bool(np.asarray(causal, dtype=object)[()])
        Xb = _balls(X) if arb else X
        out: dict[str, Any] = {"n": n, "d": d}
        need = self.needed
        rows, cols = np.arange(n)[:, None], np.arange(n)[None, :]
        off = rows != cols
        if need & {"gamma_u", "gamma_v", "sink_margin"}:
            gv = gamma_v(ops, X, s)
            gu = gamma_u(ops, X)
            out["gamma_u"], out["gamma_v"] = gu, gv
            if "sink_margin" in need:
                if arb:
                    half = hull_distance(ops, X, np.arange(n) != s) if causal else gu
                else:
                    others = hull_distance(ops, X, xp.arange(n) != s)
                    half = xp.where(causal, others, gu)
                out["sink_margin"] = _min(ops, half, gv)
        if "sink_pair_min" in need:
            norms = ops.norm(Xb)
            to_sink = ops.norm(Xb[s][None, :] - Xb)
            pairs = (cols != s) & ((xp.asarray(causal) == 0) | ((rows >= s) & (cols <= rows)))
            prods = norms[:, None] * to_sink[None, :]
            out["sink_pair_min"] = ops.masked_min(prods.reshape(-1), pairs.reshape(-1))
        gram = Xb @ Xb.T
        sq = xp.diagonal(gram) if not arb else np.array([gram[i, i] for i in range(n)])
        if "pair_dist_min_sq" in need:
            dist = sq[:, None] + sq[None, :] - 2 * gram
            out["pair_dist_min_sq"] = ops.masked_min(dist.reshape(-1), off.reshape(-1))
        if "g" in need:
            out["g"] = ops.masked_min((sq[:, None] - gram).reshape(-1), off.reshape(-1))
        if "sigma_max_sq" in need:
            out["sigma_max_sq"] = sigma_max_sq(ops, X)
        if "rank_x" in need:
            out["rank_x"] = rank(ops, X)
        if "diag_margin" in need:
            out["diag_margin"] = diag_margin(ops, X)
        tolerances = {}
        if "c_sink" in need:
            out["c_sink"] = sink_cost(ops, X, s, eps, causal)
            if not arb:
                tolerances["c_sink"] = cost_tolerance(ops, "sink", X, s, eps, causal)
        if "c_diag" in need:
            out["c_diag"] = diag_cost(ops, X, eps)
            if not arb:
                tolerances["c_diag"] = cost_tolerance(ops, "diag", X, eps)
        if tolerances and xp is jnp:
            out["rounding_scale"] = self.rounding_scale({**out, "eps": eps}, tolerances)
        return out

    def rounding_scale(self, env: dict[str, Any], tolerances: dict[str, Any]) -> Any:
        r"""``max`` over conclusions of ``1e-12 (|big| + |small|) + sum_c |delta_c (big - small)|``,
        ``delta_c`` moving cost ``c`` by its solver tolerance (first order; 0 where not finite)."""
        _, concls = sympy_relations_of(self.statement)
        worst = jnp.asarray(0.0)
        for rel, _given in concls:
            raw, scale = _raw_and_scale(rel, env)
            total = FP_SLACK * scale
            for name, tol in tolerances.items():
                if name in {sym.name for sym in rel.free_symbols}:
                    moved, _ = _raw_and_scale(rel, {**env, name: env[name] + tol})
                    delta = jnp.abs(moved - raw)
                    total = total + jnp.where(jnp.isfinite(delta), delta, 0.0)
            worst = jnp.maximum(worst, jnp.where(jnp.isfinite(total), total, 0.0))
        return worst


def _raw_and_scale(rel: sp.Rel, env: dict[str, Any]) -> tuple[Any, Any]:
    f, names = lambdified(rel, "jax")
    big, small = (jnp.asarray(v, dtype=jnp.float64) for v in f(*[env[nm] for nm in names]))
    raw = big - small
    return (-jnp.abs(raw) if isinstance(rel, sp.Eq) else raw), jnp.abs(big) + jnp.abs(small)


# ----------------------------------------------------------------------------------------------
# The checks
# ----------------------------------------------------------------------------------------------


def cost_check(statement: Statement, sink: str = "plain", **options: Any) -> RelationCheck:
    """``statement`` as a relation check on T4's sampler and observables."""
    settings: dict[str, Any] = {
        "min_met": MIN_MET,
        "min_per_side": MIN_PER_SIDE,
        "max_certify": 4,
        "rounding_multiple": 1.0,
        "instances_per_shape": instances_per_shape,
        "prepare_exact": exact_tokens,
        "target_budget": TARGET_BUDGET,
    }
    return RelationCheck(
        statement,
        sample_costs,
        CostObservables(statement, sink),
        COST_SHAPES,
        cost_family,
        **(settings | options),
    )


CHECK_OPTIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "T4.a": ("plain", {}),
    "T4.b": ("masked", {}),
    "T4.c": ("plain", {}),
    "T4.d": ("plain", {}),
    "T4.e": ("plain", {}),
    "T4-F1": ("plain", {"min_met": 1, "prefer_small": True}),
    "T4-F2": ("plain", {"min_met": 1}),
}


def checks() -> list[RelationCheck]:
    """The checks of T4, in THEORY.md order."""
    out = []
    for st in T4.STATEMENTS:
        sink, options = CHECK_OPTIONS[st.id]
        out.append(cost_check(st, sink, **options))
    return out
