"""T4 on real token sets: is a sink cheaper than a diagonal pattern?

A sampled subset of ``n`` tokens of one layer input (the sink candidate placed
first, ``s = 0``) is expressed in coordinates of its own span (exact for the costs:
an optimal ``W`` lies in ``span ⊗ span``, see ``span_coordinates``). Then

    c_sink = min{ ||W||_* : A_is >= 1 - ε ∀i },   c_diag = min{ ||W||_* : A_ii >= 1 - ε ∀i }

come from the shared convex programs ``sink_cost`` / ``diag_cost``, and T4.e's
sufficient condition for ``c_sink <= c_diag`` is

    L_n(ε) · σ_max(X~)^2  <=  (n - 1) · L_1(ε) · gamma_u · gamma_v,

with ``X~ = (I - J) X``, ``L_1 = log((1-ε)/ε)``, ``L_n = log((n-1)(1-ε)/ε)``.
The theorem's bounds T4.a–e are evaluated alongside: on real data each must hold up
to the solver's own error allowance (``CostResult.tolerance``) and a miss is a bug,
counted and reported, never hidden. Solves that did not converge are counted apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from proofs_check.empirical.span_coordinates import span_coordinates
from proofs_check.observables.costs import diag_cost, rank_one_sink_bound, sink_cost
from proofs_check.observables.geometry import halfspace_margin, vertex_margin

COST_EPSILON = 0.1
SUBSET_SIZE = 8


def log_odds(epsilon: float) -> float:
    """``L_1(ε) = log((1 - ε) / ε)``."""
    return math.log((1.0 - epsilon) / epsilon)


def log_odds_n(epsilon: float, n: int) -> float:
    """``L_n(ε) = log((n - 1)(1 - ε) / ε)``."""
    return math.log((n - 1) * (1.0 - epsilon) / epsilon)


@dataclass(frozen=True)
class CostComparison:
    """Sink versus diagonal cost on one token subset (sink at index 0)."""

    n: int
    dimension: int  # rank of the subset
    epsilon: float
    sink_cost: float  # ||W||_* at the optimum
    diag_cost: float
    sink_frobenius: float  # ||W||_F of the optimal W
    diag_frobenius: float
    sink_tolerance: float  # the solver's error allowance on sink_cost
    diag_tolerance: float
    duality_gap: float  # the larger |gap| of the two solves
    converged: bool
    halfspace_margin: float  # gamma_u
    vertex_margin: float  # gamma_v(X, 0)
    centred_sigma_max_sq: float  # σ_max(X~)^2
    sink_upper: float  # T4.a  L_n / (gamma_u gamma_v)
    sink_lower: float  # T4.b  L_1 / min_{i, j != s} ||x_i|| ||x_s - x_j||
    diag_lower: float  # T4.c  max(L_1 (n-1) / σ^2, 2 L_1 / min ||x_i - x_j||^2)
    diag_upper: float  # T4.d  r L_n / g  (inf when g <= 0)

    @property
    def sink_cheaper(self) -> bool:
        return self.sink_cost <= self.diag_cost

    @property
    def t4e_condition(self) -> bool:
        """``L_n σ_max(X~)^2 <= (n-1) L_1 gamma_u gamma_v``."""
        left = log_odds_n(self.epsilon, self.n) * self.centred_sigma_max_sq
        right = (self.n - 1) * log_odds(self.epsilon) * self.halfspace_margin * self.vertex_margin
        return left <= right

    @property
    def t4e_ratio_bound(self) -> float:
        """T4.e's guarantee ``c_diag / c_sink >= (n-1) L_1 gamma_u gamma_v / (L_n σ^2)``."""
        numerator = (self.n - 1) * log_odds(self.epsilon) * self.halfspace_margin
        return (
            numerator
            * self.vertex_margin
            / (log_odds_n(self.epsilon, self.n) * self.centred_sigma_max_sq)
        )

    def bound_violations(self) -> dict[str, bool]:
        """Which of T4.a–e the converged costs miss by more than the solver's allowance."""
        sink_slack, diag_slack = self.sink_tolerance, self.diag_tolerance
        return {
            "T4.a": self.sink_cost > self.sink_upper + sink_slack,
            "T4.b": self.sink_lower > self.sink_cost + sink_slack,
            "T4.c": self.diag_lower > self.diag_cost + diag_slack,
            "T4.d": self.diag_cost > self.diag_upper + diag_slack,
            "T4.e": self.t4e_condition
            and self.sink_cost > self.diag_cost + sink_slack + diag_slack,
        }


def choose_subset(n_tokens: int, sink: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """``[sink]`` followed by ``size - 1`` other positions drawn without replacement."""
    others = np.delete(np.arange(n_tokens), sink)
    picked = rng.choice(others, size=min(size - 1, len(others)), replace=False)
    return np.concatenate([[sink], np.sort(picked)])


def _min_offdiagonal(matrix: np.ndarray) -> float:
    return float(np.min(matrix[~np.eye(len(matrix), dtype=bool)]))


def compare_costs(tokens: np.ndarray, epsilon: float = COST_EPSILON) -> CostComparison:
    """All of T4 on a small token set whose first row is the sink candidate."""
    points = span_coordinates(tokens).coordinates
    n, dimension = points.shape
    l1, ln = log_odds(epsilon), log_odds_n(epsilon, n)
    centred = points - points.mean(axis=0)
    sigma_sq = float(np.linalg.norm(centred, ord=2) ** 2)
    norms = np.linalg.norm(points, axis=1)
    sink_gaps = np.linalg.norm(points[1:] - points[0], axis=1)
    gram = points @ points.T
    squared_distances = np.diag(gram)[:, None] + np.diag(gram)[None, :] - 2.0 * gram
    g = _min_offdiagonal(np.diag(gram)[:, None] - gram)  # min_{i != j} ||x_i||^2 - x_i^T x_j
    sink = sink_cost(points, 0, epsilon)
    diag = diag_cost(points, epsilon)
    return CostComparison(
        n=n,
        dimension=dimension,
        epsilon=epsilon,
        sink_cost=float(sink.value),
        diag_cost=float(diag.value),
        sink_frobenius=float(sink.frobenius),
        diag_frobenius=float(diag.frobenius),
        sink_tolerance=float(sink.tolerance),
        diag_tolerance=float(diag.tolerance),
        duality_gap=float(max(abs(sink.duality_gap), abs(diag.duality_gap))),
        converged=bool(sink.converged and diag.converged),
        halfspace_margin=float(halfspace_margin(points).distance),
        vertex_margin=float(vertex_margin(points, 0).distance),
        centred_sigma_max_sq=sigma_sq,
        sink_upper=rank_one_sink_bound(points, 0, epsilon),
        sink_lower=l1 / float(np.min(np.outer(norms, sink_gaps))),
        diag_lower=max(l1 * (n - 1) / sigma_sq, 2.0 * l1 / _min_offdiagonal(squared_distances)),
        diag_upper=dimension * ln / g if g > 0 else math.inf,
    )
