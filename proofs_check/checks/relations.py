r"""The one float64 evaluator of a statement's relations, per case (NumPy or ``jax.numpy``).

Every phase reads a statement's relations through :func:`evaluate_cases`: the engine's random
phase (vmapped and jitted over a batch), the adversary's objective (traced, differentiated), the
search's NumPy oracle, the shrinker and the mutation screen. Certification reads the same SymPy
relations in ball arithmetic (:func:`proofs_check.certify.certify_relations`), with the same
orientation (:func:`oriented`).

Per case ``k`` (a row, a pair, ...) and relation ``big >= small`` the **scale-free slack** is

    sigma = (big - small) / (|big| + |small|)     (``-|big - small| / (...)`` for an equation),

``>= 0`` meaning it holds. A relation *holds in float64* when ``big - small >= 0`` (``> 0`` if
strict; ``sigma >= -EQ_TOL`` for an equation). The penalised score the adversary minimises is

    score_k = min_c [ sigma_c,k + LAMBDA * ( sum_h pen_h,k + sum_{g in given(c)} pen_g,k ) ],
    pen = max(0, TAU - sigma)  (inequalities),   pen = |sigma|  (equations),

so ``score_k < 0`` is reached only where a conclusion fails while every hypothesis holds (up to
``TAU``): the hypothesis set enters as a penalty, the conclusion as the objective. Where a
relation has a side 0 (``delta > 0``), ``sigma`` is a sign and has no gradient; the objective
then differentiates ``raw / scale`` at a fixed scale (:func:`objective_slack`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

import numpy as np
import sympy as sp

from theory.core import Statement

EQ_TOL = 1e-10  # relative tolerance for an equation to count as holding in float64
LAMBDA = 10.0  # weight of a hypothesis violation against the conclusion's slack (both in [-1, 1])
TAU = 1e-6  # hypotheses are pushed to hold with this much relative room, so rounding keeps them
NOISE = 1e-12  # relative violations smaller than this are rounding, not search candidates
# both sides of a relation below this are in float64's subnormal range, where relative precision is
# lost (and XLA on CPU flushes to 0 what NumPy keeps): such a comparison is never a candidate
RESOLVABLE = float(np.finfo(np.float64).tiny / np.finfo(np.float64).eps)  # ~1e-292
SIDE_TIE = 1e-9  # a ``given`` within this (relative) of its threshold is a tie (unless both of its
# sides are exactly 0): its side is decided by rounding, so it is counted apart (machine-dependent)


def sympy_relations_of(
    statement: Statement,
) -> tuple[list[sp.Rel], list[tuple[sp.Rel, tuple[sp.Rel, ...]]]]:
    """``(hypotheses, [(conclusion, its own given), ...])``: the statement's scalar relations."""
    hyps = [c.relation for c in statement.hypotheses if c.relation is not None]
    concls = [(c.relation, c.given) for c in statement.conclusions if c.relation is not None]
    return hyps, concls


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
        modules=lambdify_modules(module),
    )
    return f, names


def lambdify_modules(module: str) -> Any:
    """``lambdify``'s ``modules`` for ``module``: NumPy as the module object (the generated code is
    the same), because the string ``"numpy"`` makes SymPy run ``from numpy import *``, which
    imports NumPy's lazy submodules (``f2py``, ``testing``, ...): 0.09 s of a process's first
    evaluation of a relation."""
    return [{"I": 1j}, np] if module == "numpy" else module


def relation_slack(rel: sp.Rel, env: Mapping[str, Any], xp: Any) -> tuple[Any, Any]:
    """``(raw, sigma)``: ``big - small`` (``-|.|`` for an equation) and the scale-free slack."""
    raw, sigma, _ = relation_terms(rel, env, xp)
    return raw, sigma


def relation_terms(rel: sp.Rel, env: Mapping[str, Any], xp: Any) -> tuple[Any, Any, Any]:
    """``(raw, sigma, scale)``: :func:`relation_slack` and its ``scale = |big| + |small|``."""
    f, names = lambdified(rel, "numpy" if xp is np else "jax")
    with np.errstate(all="ignore"):
        big, small = f(*[env[nm] for nm in names])
        big = xp.asarray(big, dtype=xp.float64)
        small = xp.asarray(small, dtype=xp.float64)
        raw = big - small
        if isinstance(rel, sp.Eq):
            raw = -xp.abs(raw)
        scale = xp.abs(big) + xp.abs(small) + 1e-300
        return raw, raw / scale, scale


def has_zero_side(rel: sp.Rel) -> bool:
    """One side of the relation is the number 0 (``delta > 0``): its sigma is then only a sign."""
    return any(side.is_number and side == 0 for side in (rel.lhs, rel.rhs))


def objective_slack(rel: sp.Rel, raw: Any, sigma: Any, scale: Any, xp: Any) -> Any:
    """``sigma`` as the adversary's objective reads it: the same value, and where one side is 0
    (so ``sigma = sign(big)`` has no gradient) the gradient of ``raw / scale`` with the scale
    held fixed, i.e. of ``log |big|``, so that ``delta > 0`` is pushed towards ``delta = 0``."""
    if xp is np or not has_zero_side(rel):
        return sigma
    from jax import lax

    return sigma + (raw - lax.stop_gradient(raw)) / lax.stop_gradient(scale)


def relation_holds(rel: sp.Rel, raw: Any, sigma: Any) -> Any:
    """The float64 reading of a relation: ``raw >= 0`` (``> 0`` strict; equations up to EQ_TOL)."""
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


def evaluate_cases(
    statement: Statement, obs: Mapping[str, Any], inst: Mapping[str, Any], xp: Any
) -> dict[str, Any]:
    """A statement's relations on one instance, per case ``k``:

    * ``met`` (k,): every hypothesis holds; ``side`` (C, k): ``met`` and conclusion ``c``'s own
      ``given`` hold (its side); ``side_firm``: and every ``given`` holds by more than
      ``SIDE_TIE`` (not a tie that rounding decides); ``side_slack`` (C, k): its sigma on the side;
    * ``case_slack`` (k,): the least conclusion sigma where its side holds;
    * ``violated`` (k,): some conclusion fails in float64 on its side; ``violated_clear``: and
      by more than ``NOISE``, with a side above the subnormal range (:data:`RESOLVABLE`), or a
      strict relation met with equality -- a search candidate;
    * ``raw_min`` (k,): the least ``big - small`` on the sides (non-finite: the engine's error);
    * ``score`` (k,): the adversary's penalised objective; ``any_nan``: an observable is NaN;
    * ``rounding_scale`` (scalar), where an observable of that name gives the size of float64
      rounding (or of a solver's tolerance) in this instance's bound.
    """
    env = case_environment(obs, inst, xp)
    hyps, concls = sympy_relations_of(statement)
    if not concls:
        raise ValueError(f"{statement.id}: no scalar conclusion to evaluate")
    shape = next(iter(env.values())).shape
    met = xp.ones(shape, dtype=bool)
    pen = xp.zeros(shape)
    for h in hyps:
        raw, sigma, scale = relation_terms(h, env, xp)
        met = met & relation_holds(h, raw, sigma) & xp.isfinite(raw)
        pen = pen + _finite(penalty(h, objective_slack(h, raw, sigma, scale, xp), xp), xp)
    sides, firm, slacks, violated, clear, raws, scores = [], [], [], [], [], [], []
    for c, given in concls:
        mask, cpen = met, pen
        decided = met
        for g in given:
            graw, gsigma, gscale = relation_terms(g, env, xp)
            mask = mask & relation_holds(g, graw, gsigma) & xp.isfinite(graw)
            decided = decided & ((xp.abs(gsigma) > SIDE_TIE) | _both_zero(g, env, xp))
            gobjective = objective_slack(g, graw, gsigma, gscale, xp)
            cpen = cpen + _finite(penalty(g, gobjective, xp), xp)
        firm.append(mask & decided)
        raw, sigma, scale = relation_terms(c, env, xp)
        finite = xp.isfinite(sigma)
        fails = mask & ~relation_holds(c, raw, sigma)
        beyond_noise = (sigma < -NOISE) & (scale > RESOLVABLE)
        if isinstance(c, (sp.StrictGreaterThan, sp.StrictLessThan)):
            beyond_noise = beyond_noise | (raw == 0)  # equality refutes a strict relation
        sides.append(mask)
        slacks.append(xp.where(mask & finite, sigma, xp.inf))
        violated.append(fails)
        clear.append(fails & finite & beyond_noise)
        raws.append(xp.where(mask, raw, 0.0))
        objective = objective_slack(c, raw, sigma, scale, xp)
        scores.append(xp.where(finite, objective, 1.0) + LAMBDA * cpen)
    slack_stack = xp.stack(slacks)
    extra = {}
    if "rounding_scale" in obs:
        extra["rounding_scale"] = xp.ravel(xp.asarray(obs["rounding_scale"]))[0]
    return {
        **extra,
        "met": met,
        "side": xp.stack(sides),
        "side_firm": xp.stack(firm),
        "side_slack": slack_stack,
        "case_slack": xp.min(slack_stack, axis=0),
        "violated": xp.any(xp.stack(violated), axis=0),
        "violated_clear": xp.any(xp.stack(clear), axis=0),
        "raw_min": xp.min(xp.stack(raws), axis=0),
        "score": xp.min(xp.stack(scores), axis=0),
        "any_nan": xp.any(xp.stack([xp.any(xp.isnan(v)) for v in env.values()])),
    }


def _both_zero(rel: sp.Rel, env: Mapping[str, Any], xp: Any) -> Any:
    """Both sides exactly 0 (e.g. a solver value snapped to 0 against 0): decided, not a tie."""
    f, names = lambdified(rel, "numpy" if xp is np else "jax")
    with np.errstate(all="ignore"):
        big, small = f(*[env[nm] for nm in names])
    return (xp.asarray(big, dtype=xp.float64) == 0) & (xp.asarray(small, dtype=xp.float64) == 0)


def _finite(x: Any, xp: Any) -> Any:
    return xp.where(xp.isfinite(x), x, 1.0)
