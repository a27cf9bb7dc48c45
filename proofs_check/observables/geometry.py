r"""Convex-hull geometry: distance from 0 to a hull and the margins gamma_u and gamma_v.

The primitive is the minimum-norm point of a convex hull,

    p* = argmin { ||p|| : p in conv{p_1..p_k} },   dist(0, conv P) = ||p*||,

and its duality: when ``p* != 0``, ``u = p*/||p*||`` attains
``max_{||u||=1} min_i u^T p_i = ||p*||``. Hence

* ``gamma_u(X) = dist(0, conv{x_i})`` (when positive) and ``u*`` is its direction;
* ``gamma_v(X, s) = dist(0, conv{x_s - x_j : j != s})`` and ``v*`` is its direction;
* ``delta = dist(0, conv{v_j : j != s})`` of T2.b.

:func:`hull_distance` solves the problem in float64 with Wolfe's active-set algorithm, then
:func:`exact_min_norm_point` re-solves the final face in exact rational arithmetic and *proves*
optimality (``p*^T p_k >= ||p*||^2`` for every ``k``, ``lambda >= 0``): this is what lets the
certifier evaluate an optimisation-defined observable rigorously.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import flint
import numpy as np

from proofs_check.perturb import perturb_host


@dataclass(frozen=True)
class HullDistance:
    """``distance = ||weights @ P||``; ``direction`` is the unit ``p*/||p*||`` (zeros if 0 in hull)."""

    distance: float
    weights: np.ndarray
    direction: np.ndarray
    support: tuple[int, ...]

    @property
    def contains_origin(self) -> bool:
        return self.distance <= 1e-12 * max(1.0, float(np.max(np.abs(self.weights))))


def _affine_minimizer(points: np.ndarray) -> np.ndarray | None:
    """Weights ``alpha`` (summing to 1) of the min-norm point of the affine hull of ``points``."""
    k = points.shape[0]
    gram = points @ points.T
    kkt = np.zeros((k + 1, k + 1))
    kkt[:k, :k] = gram
    kkt[:k, k] = 1.0
    kkt[k, :k] = 1.0
    rhs = np.zeros(k + 1)
    rhs[k] = 1.0
    sol, *_ = np.linalg.lstsq(kkt, rhs, rcond=None)
    alpha = sol[:k]
    return alpha if np.isfinite(alpha).all() else None


def hull_distance(P: np.ndarray, tol: float = 1e-13, max_iter: int = 500) -> HullDistance:
    r"""Minimum-norm point of ``conv{rows of P}`` by Wolfe's algorithm (1976).

    Major cycle: add the point most violating ``p_j^T x >= ||x||^2``. Minor cycle: move towards the
    affine minimiser of the current support, dropping points whose weight reaches zero.
    """
    P = np.asarray(P, dtype=float)
    if P.ndim != 2 or P.shape[0] == 0:
        raise ValueError("hull_distance needs a non-empty (k, d) array of points")
    if not np.isfinite(P).all():
        raise ValueError("hull_distance got a NaN or infinite point")
    k = P.shape[0]
    scale = max(1.0, float(np.max(np.sum(P * P, axis=1))))
    support = [int(np.argmin(np.sum(P * P, axis=1)))]
    lam = np.array([1.0])
    for _ in range(max_iter):
        x = lam @ P[support]
        j = int(np.argmin(P @ x))
        if x @ x - P[j] @ x <= tol * scale or j in support:
            break
        support.append(j)
        lam = np.append(lam, 0.0)
        for _ in range(max_iter):
            alpha = _affine_minimizer(P[support])
            if alpha is None:
                break
            if np.all(alpha > tol):
                lam = alpha
                break
            neg = alpha <= tol
            theta = float(np.min(lam[neg] / (lam[neg] - alpha[neg])))
            lam = theta * alpha + (1.0 - theta) * lam
            keep = lam > tol
            support = [s for s, kp in zip(support, keep, strict=True) if kp]
            lam = lam[keep] / lam[keep].sum()
    weights = np.zeros(k)
    weights[support] = lam
    p = weights @ P
    dist = float(np.linalg.norm(p))
    direction = p / dist if dist > 0 else np.zeros_like(p)
    return HullDistance(
        perturb_host(dist), perturb_host(weights), perturb_host(direction), tuple(sorted(support))
    )


@dataclass(frozen=True)
class ExactMinNormPoint:
    """An exactly verified minimum-norm point: rational weights, rational point, ``||p||^2``."""

    weights: tuple[Fraction, ...]
    point: tuple[Fraction, ...]
    squared_distance: Fraction

    def distance_arb(self) -> flint.arb:
        """``||p*||`` as a ball (``sqrt`` of an exact rational)."""
        q = self.squared_distance
        return flint.arb(flint.fmpq(q.numerator, q.denominator)).sqrt()

    def direction_arb(self) -> list[flint.arb]:
        """``p*/||p*||`` as balls (requires ``p* != 0``)."""
        norm = self.distance_arb()
        return [flint.arb(flint.fmpq(c.numerator, c.denominator)) / norm for c in self.point]


def exact_min_norm_point(P_exact: np.ndarray, support: tuple[int, ...]) -> ExactMinNormPoint | None:
    r"""Solve the KKT system of the face ``support`` in rationals and prove global optimality.

    On the face: ``G alpha + mu 1 = 0``, ``1^T alpha = 1`` with ``G = P_S P_S^T``. The point
    ``p = alpha^T P_S`` is the min-norm point of the hull iff ``alpha >= 0`` and
    ``p^T p_k >= p^T p`` for every ``k`` (first-order optimality of a convex QP). Returns ``None``
    when the face is degenerate or the optimality check fails (the caller then has no certificate).
    """
    rows = [[Fraction(v) for v in P_exact[i]] for i in range(P_exact.shape[0])]
    sub = [rows[i] for i in support]
    k = len(sub)
    kkt = [
        [sum((a * b for a, b in zip(sub[r], sub[c], strict=True)), Fraction(0)) for c in range(k)]
        + [Fraction(1)]
        for r in range(k)
    ]
    kkt.append([Fraction(1)] * k + [Fraction(0)])
    mat = flint.fmpq_mat(
        k + 1, k + 1, [flint.fmpq(v.numerator, v.denominator) for row in kkt for v in row]
    )
    rhs = flint.fmpq_mat(k + 1, 1, [0] * k + [1])
    try:
        sol = mat.solve(rhs)
    except ZeroDivisionError:
        return None
    alpha = [Fraction(int(sol[i, 0].p), int(sol[i, 0].q)) for i in range(k)]
    if any(a < 0 for a in alpha):
        return None
    dim = len(rows[0])
    point = [sum((alpha[t] * sub[t][c] for t in range(k)), Fraction(0)) for c in range(dim)]
    sq = sum((c * c for c in point), Fraction(0))
    for r in rows:
        if sum((a * b for a, b in zip(point, r, strict=True)), Fraction(0)) < sq:
            return None
    weights = [Fraction(0)] * len(rows)
    for t, i in enumerate(support):
        weights[i] = alpha[t]
    return ExactMinNormPoint(tuple(weights), tuple(point), sq)


def halfspace_margin(X: np.ndarray) -> HullDistance:
    r"""``gamma_u(X) = max_{||u||=1} min_i u^T x_i`` when positive (else 0): ``dist(0, conv X)``."""
    return hull_distance(X)


def vertex_points(X: np.ndarray, s: int) -> np.ndarray:
    """The differences ``x_s - x_j`` for ``j != s``."""
    X = np.asarray(X)
    return np.delete(X[s][None, :] - X, s, axis=0)


def vertex_margin(X: np.ndarray, s: int) -> HullDistance:
    r"""``gamma_v(X, s) = max_{||v||=1} min_{j!=s} v^T (x_s - x_j)`` when positive (else 0)."""
    return hull_distance(vertex_points(X, s))
