r"""Exact per-instance proofs of T1.b, T1.c, T1.f: rational certificates checked in ``Fraction``s.

The float64 inputs are rationals (every float is one), so each instance is proved exactly:

* **a sink exists** (every condition (i)–(v) holds): rational directions ``u``, ``v`` with
  ``u^T x_i > 0`` for every row that must share a half-space and ``v^T (x_s - x_j) > 0`` for every
  competitor ``j``, checked exactly. Then ``W = u v^T`` (key bias: ``W = 0``, ``b = v``) has every
  margin ``(u^T x_i)(v^T (x_s - x_j)) > 0`` exactly ((iii), (iv), (v)); scaled by
  ``L_n(eps) / min margin`` every margin is ``>= L_n(eps)``, so ``s`` is an ε-sink for every ε by
  T1.a (kernel-proved): (i) and (ii). The directions are the exact minimum-norm points of the hulls
  (:func:`~proofs_check.observables.geometry.exact_min_norm_point`: ``p^T p_k >= ||p||^2 > 0``), or
  the rationalised LP solution when that face is degenerate.
* **no sink** (every condition fails): rational convex weights ``lambda`` with
  ``sum_k lambda_k p_k = 0`` exactly, for ``p`` the tokens (``0 in conv X``; causal: the non-sink
  tokens) or the differences ``x_s - x_j`` (``x_s in conv{x_j : j != s}``): a Farkas certificate.
  Every ``W`` (and bias) then has ``sum_k lambda_k m_k(W) = 0`` over margins that all appear in the
  constraints of (iii) (causal: token 2 competes in every row ``i >= 2``; the last row sees every
  token), so (iii) fails, (v) with it; (ii) would force margins ``>= L_1(eps) > 0`` (T1.a) and
  (i) implies (ii).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import flint
import numpy as np

from proofs_check.observables.geometry import (
    exact_min_norm_point,
    hull_distance,
    strict_separation_lp,
)

SINK, NO_SINK = "sink", "no_sink"


@dataclass(frozen=True)
class SinkCertificate:
    """One instance's exact proof (or why there is none)."""

    side: str  # SINK or NO_SINK
    certified: bool
    detail: str
    data: dict[str, object] = field(default_factory=dict)


def _q(X: np.ndarray) -> list[list[Fraction]]:
    return [[Fraction(float(v)) for v in row] for row in np.asarray(X, dtype=float)]


def _dot(a: list[Fraction], b: list[Fraction]) -> Fraction:
    return sum((x * y for x, y in zip(a, b, strict=True)), Fraction(0))


def _sub(a: list[Fraction], b: list[Fraction]) -> list[Fraction]:
    return [x - y for x, y in zip(a, b, strict=True)]


def positive_direction(points: list[list[Fraction]], P_float: np.ndarray) -> list[Fraction] | None:
    """A rational ``w`` with ``w^T p_k > 0`` for every point, checked exactly (or ``None``)."""
    h = hull_distance(P_float)

    def candidates():
        exact = exact_min_norm_point(np.array(points, dtype=object), h.support)
        if exact is not None and exact.squared_distance > 0:
            yield list(exact.point)
        yield [Fraction(float(x)) for x in h.direction]
        yield [Fraction(float(x)) for x in strict_separation_lp(P_float).solution]

    for w in candidates():
        if all(_dot(w, p) > 0 for p in points):
            return w
    return None


def _rref_solution(A: list[list[Fraction]], b: list[Fraction]) -> list[Fraction] | None:
    """A basic solution of ``A x = b`` in rationals (free variables 0), or ``None`` if inconsistent."""
    rows, cols = len(A), len(A[0])
    aug = flint.fmpq_mat(
        rows,
        cols + 1,
        [flint.fmpq(v.numerator, v.denominator) for r in range(rows) for v in [*A[r], b[r]]],
    )
    R, rank = aug.rref()
    x = [Fraction(0)] * cols
    for r in range(rank):
        lead = next(c for c in range(cols + 1) if R[r, c] != 0)
        if lead == cols:
            return None  # 0 = 1: inconsistent
        val = R[r, cols]
        x[lead] = Fraction(int(val.p), int(val.q))
    return x


def zero_in_hull(points: list[list[Fraction]], P_float: np.ndarray) -> list[Fraction] | None:
    """Rational ``lambda >= 0``, ``sum lambda = 1``, ``sum lambda_k p_k = 0`` exactly (or ``None``)."""
    k, dim = len(points), len(points[0])
    supports = [hull_distance(P_float).support]
    supports.append(tuple(int(i) for i in np.argsort(np.linalg.norm(P_float, axis=1))[: dim + 1]))
    supports.append(tuple(range(k)))
    for support in supports:
        sub = [points[i] for i in support]
        A = [[sub[t][c] for t in range(len(sub))] for c in range(dim)] + [[Fraction(1)] * len(sub)]
        sol = _rref_solution(A, [Fraction(0)] * dim + [Fraction(1)])
        if sol is None or any(w < 0 for w in sol):
            continue
        lam = [Fraction(0)] * k
        for t, i in enumerate(support):
            lam[i] = sol[t]
        total = [sum((lam[i] * points[i][c] for i in range(k)), Fraction(0)) for c in range(dim)]
        if sum(lam) == 1 and all(t == 0 for t in total):
            return lam
    return None


def _sets(X: np.ndarray, s: int, mode: str) -> tuple[list[int] | None, list[int]]:
    """Rows that must share an open half-space (None for a key bias), and the competitors ``j``."""
    n = X.shape[0]
    others = [j for j in range(n) if j != s]
    if mode == "key_bias":
        return None, others
    return (others if mode == "causal" else list(range(n))), others


def certify_sink_instance(X: np.ndarray, s: int, mode: str, expect_sink: bool) -> SinkCertificate:
    """Prove exactly that ``X`` (with sink ``s``) has a sink (``expect_sink``) or has none."""
    X = np.asarray(X, dtype=float)
    Xq = _q(X)
    half_rows, comp = _sets(X, s, mode)
    diffs = [_sub(Xq[s], Xq[j]) for j in comp]
    diffs_f = np.array([X[s] - X[j] for j in comp])
    if expect_sink:
        v = positive_direction(diffs, diffs_f)
        if v is None:
            return SinkCertificate(SINK, False, "no exact vertex direction v")
        vd = min(_dot(v, p) for p in diffs)
        if half_rows is None:
            return SinkCertificate(
                SINK,
                True,
                "W = 0, b = v: every margin v^T(x_s - x_j) > 0 exactly",
                {"v": [str(c) for c in v], "min_margin": str(vd)},
            )
        pts = [Xq[i] for i in half_rows]
        u = positive_direction(pts, X[half_rows])
        if u is None:
            return SinkCertificate(SINK, False, "no exact half-space direction u")
        rows = (
            [i for i in range(X.shape[0]) if i > s] if mode == "causal" else list(range(X.shape[0]))
        )
        ux = min((_dot(u, Xq[i]) for i in rows), default=Fraction(1))
        if ux <= 0:
            return SinkCertificate(SINK, False, "u^T x_i <= 0 in a constrained row")
        return SinkCertificate(
            SINK,
            True,
            "W = u v^T: every margin (u^T x_i)(v^T(x_s - x_j)) > 0 exactly",
            {"u": [str(c) for c in u], "v": [str(c) for c in v], "min_margin": str(ux * vd)},
        )
    lam = zero_in_hull(diffs, diffs_f)
    if lam is not None:
        return SinkCertificate(
            NO_SINK,
            True,
            "x_s in conv{x_j : j != s}: sum_j lambda_j (x_s - x_j) = 0 exactly",
            {"lambda": [str(w) for w in lam], "set": "x_s - x_j"},
        )
    if half_rows is not None:
        pts = [Xq[i] for i in half_rows]
        lam = zero_in_hull(pts, X[half_rows])
        if lam is not None:
            return SinkCertificate(
                NO_SINK,
                True,
                "0 in conv of the rows that must share a half-space: sum lambda_i x_i = 0 exactly",
                {"lambda": [str(w) for w in lam], "set": "tokens"},
            )
    return SinkCertificate(NO_SINK, False, "no exact Farkas certificate")
