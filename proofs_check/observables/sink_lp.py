r"""The sink LP of T1.b (iii) as a solver-defined observable: its optimum in float64 and in balls.

For tokens ``X`` (rows ``x_i``) and a sink ``s``, condition (iii) of T1.b asks for some ``W`` with
every margin ``x_i^T W (x_s - x_j) > 0``. It is the sign of the optimum of the linear program

.. math::

    t^* = \max \{ t : G w \ge t \mathbf{1},\ \|w\|_\infty \le 1 \},

with ``w = vec(W)`` (and the key bias ``b`` appended, T1.f) and one row of ``G`` per constraint
``(i, j)``: ``vec(x_i (x_s - x_j)^T)`` (``[.., x_s - x_j]`` with a key bias). A causal mask keeps
the rows ``i > s`` and the competitors ``j <= i`` (T1.c). ``t^* >= 0`` always (``w = 0``) and
``t^* > 0`` iff (iii) holds (the margins are homogeneous in ``W``, so the box loses nothing).

**Float64**: HiGHS; an optimum within :data:`~proofs_check.observables.solved.ZERO_TOL` of 0
(relative to ``max(1, max|x|)^2``, the scale of ``G``) is snapped to ``0.0``.

**Enclosure** (never uses T1.b itself):

* lower bound: the solver's primal ``w``, rounded to rationals and clipped to the box, is feasible
  with ``t = min_k (G w)_k``, evaluated in balls; and ``t^* >= 0``;
* upper bound, by weak duality: for any ``y >= 0`` with ``1^T y = 1`` and any feasible ``(w, t)``,
  ``t = y^T (t 1) <= y^T G w <= ||G^T y||_1 ||w||_inf <= ||G^T y||_1``; so
  ``t^* <= ||G^T y||_1`` for the solver's dual multipliers made exact, nonnegative and
  normalised (``y = e_k`` gives ``t^* <= ||g_k||_1``, the fallback). When the float optimum is 0, an exact ``y`` with ``G^T y = 0`` is sought by a rational
  solve on the dual support (a Farkas certificate): then the enclosure is exactly 0, and a strict
  ``> 0`` conclusion can be refuted.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import flint
import numpy as np
from scipy.optimize import linprog

from proofs_check.observables.solved import (
    ZERO_TOL,
    SolverObservable,
    _ball,
    _interval,
    as_ball,
    exact_rational,
)

SUPPORT_TOL = 1e-9  # a dual multiplier below this (relative to the largest) is off the support


def constraint_pairs(n: int, s: int, causal: bool = False) -> list[tuple[int, int]]:
    """The constraints ``(i, j)`` of (iii): every row ``i``, every competitor ``j != s``.

    With a causal mask the sink's own row and the rows before it are skipped (``i > s``) and only
    ``j <= i`` compete (T1.c).
    """
    return [
        (i, j)
        for i in range(n)
        if not (causal and i <= s)
        for j in range(n)
        if j != s and not (causal and j > i)
    ]


def constraint_matrix(X: np.ndarray, s: int, causal: bool, key_bias: bool) -> np.ndarray:
    """``G``: one row ``vec(x_i (x_s - x_j)^T)`` (then ``x_s - x_j`` with a key bias) per pair.

    Works on float arrays and on object arrays (balls, Fractions) alike.
    """
    n, d = X.shape
    rows = []
    for i, j in constraint_pairs(n, s, causal):
        diff = X[s] - X[j]
        row = np.outer(X[i], diff).reshape(-1)
        rows.append(np.concatenate([row, diff]) if key_bias else row)
    nvar = d * d + (d if key_bias else 0)
    return np.array(rows, dtype=X.dtype).reshape(len(rows), nvar)


def solve(G: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """``(t*, w, y)``: HiGHS's optimum, primal ``w`` and dual multipliers ``y >= 0`` of the rows."""
    k, nvar = G.shape
    c = np.zeros(nvar + 1)
    c[-1] = -1.0
    res = linprog(
        c,
        A_ub=np.hstack([-G, np.ones((k, 1))]),
        b_ub=np.zeros(k),
        bounds=[(-1.0, 1.0)] * nvar + [(None, None)],
        method="highs",
    )
    if res.status != 0:
        raise RuntimeError(f"HiGHS failed on the sink LP: {res.message}")
    y = np.maximum(-np.asarray(res.ineqlin.marginals, dtype=float), 0.0)
    return float(-res.fun), np.asarray(res.x[:nvar], dtype=float), y


def _scale(X: np.ndarray) -> float:
    return max(1.0, float(np.max(np.abs(X)))) ** 2 if X.size else 1.0


def _margin_float(X: np.ndarray, s: Any, causal: bool = False, key_bias: bool = False) -> float:
    X = np.asarray(X, dtype=float)
    G = constraint_matrix(X, int(s), causal, key_bias)
    if G.shape[0] == 0:
        return float("inf")  # no constraint (a single token): unbounded
    value = solve(G)[0]
    return 0.0 if value <= ZERO_TOL * _scale(X) else value


# ----------------------------------------------------------------------------------------------
# The enclosure
# ----------------------------------------------------------------------------------------------


Q = flint.fmpq


def _q(x: Any) -> flint.fmpq:
    """An exact ``fmpq`` for a Fraction, an int or a float (read exactly)."""
    f = Fraction(x) if not isinstance(x, Fraction) else x
    return Q(f.numerator, f.denominator)


def exact_dual(
    rows: dict[int, list[flint.fmpq]],
    y_float: np.ndarray,
    supports: list[tuple[int, ...]],
    zero: list[int],
) -> dict[int, flint.fmpq] | None:
    r"""Rational ``y >= 0``, ``1^T y = 1`` on one of ``supports`` with ``(G^T y)_v = 0`` for every
    ``v in zero`` (all of them: a Farkas certificate ``G^T y = 0``), exactly, or ``None``.

    ``rows[k]`` is row ``k`` of ``G`` (exact). On each candidate support the system is brought to
    reduced row echelon form; the free unknowns take the solver's values (rounded to rationals),
    the pivots follow, and the result is accepted only if it is nonnegative and solves the system
    exactly. (Weak duality needs only ``y >= 0``, ``1^T y = 1``; the zeros make ``||G^T y||_1``
    small: at an optimal basis ``G^T y`` vanishes where the primal ``w`` is inside the box.)
    """
    for support in supports:
        if not support:
            continue
        cols = list(support)
        m = len(cols)
        entries = [rows[c][v] for v in zero for c in cols] + [Q(1)] * m
        A = flint.fmpq_mat(len(zero) + 1, m, entries)
        b = flint.fmpq_mat(len(zero) + 1, 1, [Q(0)] * len(zero) + [Q(1)])
        aug = flint.fmpq_mat(len(zero) + 1, m + 1)
        for r in range(len(zero) + 1):
            for c in range(m):
                aug[r, c] = A[r, c]
            aug[r, m] = b[r, 0]
        R, rank = aug.rref()
        pivots = [next(c for c in range(m + 1) if R[r, c] != 0) for r in range(rank)]
        if m in pivots:
            continue  # inconsistent: 0 = 1
        free = [c for c in range(m) if c not in pivots]
        y_s = [Q(0)] * m
        for c in free:
            y_s[c] = max(_q(float(y_float[cols[c]])), Q(0))
        for r, lead in enumerate(pivots):
            acc = R[r, m]
            for c in free:
                acc -= R[r, c] * y_s[c]
            y_s[lead] = acc
        if any(v < 0 for v in y_s) or sum(y_s, Q(0)) != 1:
            continue
        y = {cols[c]: y_s[c] for c in range(m) if y_s[c] != 0}
        if all(_column_dot(rows, y, v) == 0 for v in zero):
            return y
    return None


def _column_dot(rows: dict[int, list[flint.fmpq]], y: dict[int, flint.fmpq], v: int) -> Any:
    return sum((rows[t][v] * q for t, q in y.items()), Q(0))


def _supports(G: np.ndarray, w: np.ndarray, t: float, y: np.ndarray) -> list[tuple[int, ...]]:
    """Candidate dual supports: the solver's multipliers, then the constraints active at ``w``."""
    out = []
    if y.size and y.max() > 0:
        out.append(tuple(int(k) for k in np.flatnonzero(y > SUPPORT_TOL * y.max())))
    slack = G @ w - t
    scale = max(1.0, float(np.max(np.abs(G)))) if G.size else 1.0
    out.append(tuple(int(k) for k in np.flatnonzero(np.abs(slack) <= 1e-9 * scale)))
    return list(dict.fromkeys(out))


def _dot_balls(row: np.ndarray, vec: list[Fraction]) -> flint.arb:
    total = flint.arb(0)
    for g, q in zip(row, vec, strict=True):
        if q != 0:
            total += g * _ball(q)
    return total


def _margin_enclosure(
    X: np.ndarray, s: Any, causal: bool = False, key_bias: bool = False
) -> flint.arb:
    r"""A ball containing the exact optimum ``t^*`` for the exact (ball) tokens ``X`` (module notes)."""
    s = int(np.asarray(s, dtype=object)[()]) if np.ndim(s) == 0 else int(s)
    balls = np.vectorize(as_ball, otypes=[object])(np.asarray(X, dtype=object))
    G_balls = constraint_matrix(balls, s, causal, key_bias)
    if G_balls.shape[0] == 0:
        return flint.arb("inf")  # no constraint (a single token): unbounded
    mids = np.vectorize(lambda b: exact_rational(flint.arb(b.mid())), otypes=[object])(balls)
    floats = np.vectorize(float, otypes=[float])(mids)
    G_float = constraint_matrix(floats, s, causal, key_bias)
    value, w, y = solve(G_float)
    if all(b.is_exact() for b in balls.flat):
        return _exact_enclosure(mids, s, causal, key_bias, G_float, value, w, y)
    # balls of positive radius: the same bounds, evaluated in balls
    w_q = _primal_candidates(w)[0]
    low = _dot_balls(G_balls[0], w_q)
    for row in G_balls[1:]:
        low = flint.arb.min(low, _dot_balls(row, w_q))
    low = flint.arb.max(flint.arb(0), low)
    upper = _row_l1(G_balls[0])
    for row in G_balls[1:]:
        upper = flint.arb.min(upper, _row_l1(row))
    y_q = [Fraction(float(v)) for v in y]
    norm = sum(y_q, Fraction(0))
    if norm > 0:
        y_q = [v / norm for v in y_q]
        l1 = flint.arb(0)
        for v in range(G_balls.shape[1]):
            l1 += abs(sum((G_balls[k, v] * _ball(q) for k, q in enumerate(y_q) if q), flint.arb(0)))
        upper = flint.arb.min(upper, l1)
    return _interval(low, upper)


def _primal_candidates(w: np.ndarray) -> list[list[Fraction]]:
    """The solver's ``w`` as rationals clipped to the box; and the same with entries within
    ``1e-9`` of ``0`` or ``+-1`` set there (the vertex the solver meant)."""
    exact = [min(max(Fraction(float(c)), Fraction(-1)), Fraction(1)) for c in w]
    clean = [
        Fraction(0) if abs(c) < 1e-9 else Fraction(int(np.sign(c))) if abs(c) > 1 - 1e-9 else q
        for c, q in zip(w, exact, strict=True)
    ]
    return [exact, clean] if clean != exact else [exact]


def _exact_enclosure(
    X: np.ndarray,
    s: int,
    causal: bool,
    key_bias: bool,
    G_float: np.ndarray,
    value: float,
    w: np.ndarray,
    y: np.ndarray,
) -> flint.arb:
    """The primal/dual bounds in exact rationals (exact tokens ``X``): ``[max(0, low), upper]``."""
    n, d = X.shape
    pairs = constraint_pairs(n, s, causal)
    Xq = [[_q(c) for c in row] for row in X]
    Xm = flint.fmpq_mat(n, d, [c for row in Xq for c in row])
    diffs = {j: [a - b for a, b in zip(Xq[s], Xq[j], strict=True)] for j in range(n)}

    def row(k: int) -> list[flint.fmpq]:
        i, j = pairs[k]
        out = [a * b for a in Xq[i] for b in diffs[j]]
        return out + diffs[j] if key_bias else out

    supports = _supports(G_float, w, value, y)
    needed = {k for sup in supports for k in sup}
    rows = {k: row(k) for k in sorted(needed)}
    nvar = G_float.shape[1]
    zero = value <= ZERO_TOL * max(1.0, float(np.max(np.abs(G_float))))
    if zero and exact_dual(rows, y, supports, list(range(nvar))) is not None:
        return flint.arb(0)  # a Farkas certificate: t* = 0 exactly
    low = Q(0)
    for cand in _primal_candidates(w):
        Wm = flint.fmpq_mat(d, d, [_q(c) for c in cand[: d * d]])
        S = Xm * Wm * Xm.transpose()
        bias = [Q(0)] * n
        if key_bias:
            bm = Xm * flint.fmpq_mat(d, 1, [_q(c) for c in cand[d * d :]])
            bias = [bm[i, 0] for i in range(n)]
        margin = min(S[i, s] - S[i, j] + bias[s] - bias[j] for i, j in pairs)
        low = max(low, margin)
    norms = {j: sum((abs(c) for c in diffs[j]), Q(0)) for j in range(n)}
    upper = min(
        sum((abs(c) for c in Xq[i]), Q(0)) * norms[j] + (norms[j] if key_bias else 0)
        for i, j in pairs
    )
    interior = [v for v in range(nvar) if abs(w[v]) < 1 - 1e-9]
    y_exact = exact_dual(rows, y, supports, interior)
    if y_exact is not None:
        upper = min(upper, sum((abs(_column_dot(rows, y_exact, v)) for v in range(nvar)), Q(0)))
    if low == upper:
        return flint.arb(low)  # primal and dual meet: the exact optimum
    return _interval(flint.arb(low), flint.arb(upper))


def _row_l1(row: np.ndarray) -> flint.arb:
    """``||g_k||_1``: ``t^* <= min_k (G w)_k <= ||g_k||_1`` for every ``w`` in the box."""
    return sum((abs(g) for g in row), flint.arb(0))


sink_lp_observable = SolverObservable(
    "sink_lp_margin",
    _margin_float,
    _margin_enclosure,
    doc="max t s.t. x_i^T W (x_s - x_j) >= t, |W_ab| <= 1 (T1.b (iii); HiGHS; primal/dual "
    "bounds, exact Farkas zero, when certifying)",
)


def sink_lp_margin(ops: Any, X: Any, s: Any, causal: bool = False, key_bias: bool = False) -> Any:
    r"""The optimum ``t^*`` of T1.b's LP (iii) for sink ``s`` (module notes); ``> 0`` iff a sink.

    ``causal``: T1.c's constraints (rows ``i > s``, competitors ``j <= i``); ``key_bias``: T1.f's
    (variables ``W`` and ``b``, margins ``x_i^T W (x_s - x_j) + b^T (x_s - x_j)``).
    """
    return sink_lp_observable(ops, X, s, causal=causal, key_bias=key_bias)


def best_sink_lp_margin(ops: Any, X: Any) -> Any:
    r"""``max_s t^*(X, s)``: positive iff some token can be made a sink (T1-F1's conclusion)."""
    n = np.shape(X)[0]
    values = [sink_lp_margin(ops, X, s) for s in range(n)]
    if ops.name == "arb":
        out = values[0]
        for v in values[1:]:
            out = flint.arb.max(out, v)
        return out
    return ops.xp.max(ops.xp.stack([ops.xp.asarray(v) for v in values]))


def min_squared_distance(ops: Any, X: Any) -> Any:
    r"""``min_{i < j} ||x_i - x_j||^2`` (exact in balls): ``> 0`` iff the rows are pairwise distinct."""
    n = np.shape(X)[0]
    if n < 2:
        return ops.xp.asarray(np.inf) if ops.name != "arb" else flint.arb("inf")
    diff = X[:, None, :] - X[None, :, :]
    sq = (diff * diff).sum(axis=-1)
    upper = np.triu(np.ones((n, n), dtype=bool), 1)
    if ops.name == "arb":
        return ops.masked_min(np.asarray(sq, dtype=object).reshape(-1), upper.reshape(-1))
    return ops.xp.min(ops.xp.where(upper, sq, ops.xp.inf))


__all__ = [
    "best_sink_lp_margin",
    "constraint_matrix",
    "constraint_pairs",
    "exact_dual",
    "min_squared_distance",
    "sink_lp_margin",
    "sink_lp_observable",
]
