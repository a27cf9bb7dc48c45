r"""A statement's relations on one instance, per case: slacks, the hypothesis mask, a penalised score.

Two uses, one code path (``xp`` is NumPy or ``jax.numpy``):

* the **float oracle** of the shrinker and of the baselines: NumPy float64 on one instance, no
  compilation (a new shape costs nothing), via :data:`FLOAT`, an :class:`~proofs_check.backend.Ops`
  whose reductions are NumPy's (it answers to the name ``"jax"`` because observables branch on
  ``ops.name != "jax"`` for ball arithmetic only). Observables that need JAX itself (``lax.scan``)
  fall back to the same evaluation jitted by JAX;
* the **adversary's objective** (JAX, traced, vmapped): the same relations, lambdified for JAX.

Per case ``k`` (a row, a pair, ...) and relation ``big >= small`` the scale-free slack is
``sigma = (big - small)/(|big| + |small|)`` (engine convention, ``>= 0`` holds). The penalised score
the adversary minimises is

    score_k = min_c [ sigma_c,k + LAMBDA * ( sum_h pen_h,k + sum_{g in given(c)} pen_g,k ) ],
    pen = max(0, TAU - sigma)  (inequalities),   pen = |sigma|  (equations),

so ``score_k < 0`` is reached only where the conclusion fails while every hypothesis holds (up to
``TAU``): the hypothesis set enters as a penalty, the conclusion as the objective.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import sympy as sp

from proofs_check.backend import Ops
from proofs_check.checks.engine import EQ_TOL, sympy_relations_of
from proofs_check.perturb import perturbed_observables
from theory.core import Statement

LAMBDA = 10.0  # weight of a hypothesis violation against the conclusion's slack (both in [-1, 1])
TAU = 1e-6  # hypotheses are pushed to hold with this much relative room, so rounding keeps them
NOISE = 1e-12  # relative violations smaller than this are rounding, not candidates


@dataclass(frozen=True)
class FloatOps(Ops):
    """:class:`Ops` on NumPy float64 arrays (the JAX semantics, without tracing or compiling)."""

    def masked_min(self, a: Any, mask: Any, axis: int = -1) -> Any:
        return np.min(np.where(mask, a, np.inf), axis=axis)

    def masked_max(self, a: Any, mask: Any, axis: int = -1) -> Any:
        return np.max(np.where(mask, a, -np.inf), axis=axis)

    def masked_logsumexp(self, a: Any, mask: Any, axis: int = -1) -> Any:
        shifted = np.where(mask, a, -np.inf)
        top = np.max(shifted, axis=axis, keepdims=True)
        top = np.where(np.isfinite(top), top, 0.0)
        with np.errstate(divide="ignore"):
            total = np.log(np.sum(np.exp(shifted - top), axis=axis, keepdims=True)) + top
        return np.squeeze(total, axis=axis)

    def min(self, a: Any, axis: int = -1) -> Any:
        return np.min(a, axis=axis)

    def max(self, a: Any, axis: int = -1) -> Any:
        return np.max(a, axis=axis)

    def softmax(self, scores: Any, mask: Any | None = None) -> Any:
        scores = np.asarray(scores, dtype=float)
        if mask is not None:
            scores = np.where(mask, scores, -np.inf)
        top = np.max(scores, axis=-1, keepdims=True)
        e = np.exp(scores - np.where(np.isfinite(top), top, 0.0))
        return e / e.sum(axis=-1, keepdims=True)

    def norm(self, v: Any, axis: int = -1) -> Any:
        return np.sqrt(np.sum(v * v, axis=axis))


FLOAT = FloatOps("jax", np)


def oriented(rel: sp.Rel) -> tuple[sp.Expr, sp.Expr]:
    """``(big, small)`` with the relation meaning ``big >= small`` (or ``>``, or ``==``)."""
    if isinstance(rel, (sp.LessThan, sp.StrictLessThan)):
        return rel.rhs, rel.lhs
    return rel.lhs, rel.rhs


@cache
def lambdified(rel: sp.Rel, module: str) -> tuple[Callable[..., Any], tuple[str, ...]]:
    """``(f, names)``: ``f(*values) = [big, small]`` for the relation, in ``module`` (numpy / jax)."""
    big, small = oriented(rel)
    names = tuple(sorted(s.name for s in rel.free_symbols))
    relabel = {s: sp.Symbol(s.name) for s in rel.free_symbols}
    f = sp.lambdify(
        [sp.Symbol(nm) for nm in names],
        [big.xreplace(relabel), small.xreplace(relabel)],
        modules=module,
    )
    return f, names


def relation_slack(rel: sp.Rel, env: Mapping[str, Any], xp: Any) -> tuple[Any, Any]:
    """``(raw, sigma)``: ``big - small`` and the scale-free slack (``-|.|`` for an equation)."""
    f, names = lambdified(rel, "numpy" if xp is np else "jax")
    with np.errstate(all="ignore"):
        big, small = f(*[env[nm] for nm in names])
        big = xp.asarray(big, dtype=xp.float64)
        small = xp.asarray(small, dtype=xp.float64)
        raw = big - small
        if isinstance(rel, sp.Eq):
            raw = -xp.abs(raw)
        return raw, raw / (xp.abs(big) + xp.abs(small) + 1e-300)


def relation_holds(rel: sp.Rel, raw: Any, sigma: Any) -> Any:
    """The engine's float64 reading of a relation (``float_holds``)."""
    if isinstance(rel, sp.Eq):
        return sigma >= -EQ_TOL
    if isinstance(rel, (sp.StrictGreaterThan, sp.StrictLessThan)):
        return raw > 0
    return raw >= 0


def penalty(rel: sp.Rel, sigma: Any, xp: Any) -> Any:
    """How far a hypothesis is from holding with room ``TAU`` (0 when it does)."""
    if isinstance(rel, sp.Eq):
        return xp.abs(sigma)
    return xp.maximum(0.0, TAU - sigma)


def case_environment(obs: Mapping[str, Any], inst: Mapping[str, Any], xp: Any) -> dict[str, Any]:
    """Every observable broadcast to the per-case shape ``(k,)`` (instance scalars included)."""
    shape = max((xp.shape(v) for v in obs.values()), key=len, default=())
    shape = shape if len(shape) else (1,)
    env = {k: xp.broadcast_to(xp.asarray(v), shape) for k, v in obs.items()}
    for k, v in inst.items():
        if k not in env and xp.ndim(v) == 0:
            env[k] = xp.broadcast_to(xp.asarray(v), shape)
    return env


def case_slacks(statement: Statement, obs: Mapping[str, Any], inst: Mapping[str, Any], xp: Any):
    """Per case: ``met`` (hypotheses hold), ``slack`` (worst conclusion sigma where met, else inf),
    ``violated`` (met and a conclusion fails in float64), ``score`` (the penalised objective)."""
    env = case_environment(obs, inst, xp)
    hyps, concls = sympy_relations_of(statement)
    shape = next(iter(env.values())).shape
    met = xp.ones(shape, dtype=bool)
    pen = xp.zeros(shape)
    for h in hyps:
        raw, sigma = relation_slack(h, env, xp)
        met = met & relation_holds(h, raw, sigma) & xp.isfinite(raw)
        pen = pen + _finite(penalty(h, sigma, xp), xp)
    slacks, violated, scores = [], [], []
    for c, given in concls:
        mask, cpen = met, pen
        for g in given:
            graw, gsigma = relation_slack(g, env, xp)
            mask = mask & relation_holds(g, graw, gsigma) & xp.isfinite(graw)
            cpen = cpen + _finite(penalty(g, gsigma, xp), xp)
        raw, sigma = relation_slack(c, env, xp)
        finite = xp.isfinite(sigma)
        slacks.append(xp.where(mask & finite, sigma, xp.inf))
        beyond_noise = sigma < -NOISE
        if isinstance(c, (sp.StrictGreaterThan, sp.StrictLessThan)):
            beyond_noise = beyond_noise | (raw == 0)  # equality refutes a strict relation
        violated.append(mask & finite & ~relation_holds(c, raw, sigma) & beyond_noise)
        scores.append(xp.where(finite, sigma, 1.0) + LAMBDA * cpen)
    if not slacks:
        raise ValueError(f"{statement.id}: no scalar conclusion to search against")
    return {
        "met": met,
        "slack": xp.min(xp.stack(slacks), axis=0),
        "violated": xp.any(xp.stack(violated), axis=0),
        "score": xp.min(xp.stack(scores), axis=0),
    }


def _finite(x: Any, xp: Any) -> Any:
    return xp.where(xp.isfinite(x), x, 1.0)


@dataclass(frozen=True)
class OracleResult:
    """The float64 verdict on one instance: its worst case and whether some case is violated."""

    violated: bool
    case: int  # the most violated case (or the tightest met one)
    slack: float  # its scale-free slack (inf when no case meets the hypotheses)


def _jax_only_errors() -> tuple[type[Exception], ...]:
    import jax

    return (
        jax.errors.TracerArrayConversionError,
        jax.errors.ConcretizationTypeError,
        jax.errors.TracerBoolConversionError,
        jax.errors.TracerIntegerConversionError,
    )


_JAX_ONLY_ERRORS = _jax_only_errors()
_NEEDS_JAX: dict[int, tuple[Any, Any]] = {}  # id(check) -> (check, its jitted one-instance oracle)


def _jax_oracle(check: Any) -> Any:
    """The same evaluation traced by JAX and jitted (for observables that need JAX itself, e.g.
    ``lax.scan`` over layers): compiled once per shape."""
    import jax
    import jax.numpy as jnp

    from proofs_check.backend import JAX

    entry = _NEEDS_JAX.get(id(check))
    if entry is None:

        def run(inst: dict[str, Any]) -> dict[str, Any]:
            return case_slacks(
                check.statement, perturbed_observables(check.observables, inst, JAX), inst, jnp
            )

        entry = _NEEDS_JAX[id(check)] = (check, jax.jit(run))
    return entry[1]


def float_oracle(check: Any, inst: Mapping[str, Any]) -> OracleResult:
    """Evaluate ``check``'s relations on one instance in float64 (``prepare`` included): NumPy
    (:data:`FLOAT`) when the observables run on it, else the same code jitted by JAX."""
    inst = {k: np.asarray(v) for k, v in inst.items()}
    if check.prepare is not None:
        inst.update(check.prepared(inst))
    out = None
    if id(check) not in _NEEDS_JAX:
        try:
            with np.errstate(all="ignore"):
                obs = perturbed_observables(check.observables, inst, FLOAT)
                obs = {k: np.asarray(v, dtype=float) for k, v in obs.items()}
                out = case_slacks(check.statement, obs, inst, np)
        except _JAX_ONLY_ERRORS:  # the observables trace with JAX (lax.scan, ...): jit them
            out = None
    if out is None:
        out = {k: np.asarray(v) for k, v in _jax_oracle(check)(inst).items()}
    slack = np.asarray(out["slack"], dtype=float)
    violated = np.asarray(out["violated"], dtype=bool)
    if violated.any():
        k = int(np.argmin(np.where(violated, slack, np.inf)))
        return OracleResult(True, k, float(slack[k]))
    k = int(np.argmin(slack))
    return OracleResult(False, k, float(slack[k]))
