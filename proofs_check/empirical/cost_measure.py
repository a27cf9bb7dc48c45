"""T4 on real token sets: is a sink cheaper than a diagonal pattern?

A sampled subset of ``n`` tokens of one layer input (the sink candidate placed
first, ``s = 0``) is expressed in coordinates of its own span (exact for the costs:
an optimal ``W`` lies in ``span ⊗ span``, see ``span_coordinates``). Then

    c_sink = min{ ||W||_* : A_is >= 1 - ε ∀i },   c_diag = min{ ||W||_* : A_ii >= 1 - ε ∀i }

come from the shared convex programs ``sink_cost`` / ``diag_cost``, and T4.e's
sufficient condition for ``c_sink <= c_diag`` is

    L_n(ε) · σ_max(X~)^2  <=  (n - 1) · L_1(ε) · gamma_u · gamma_v,

with ``X~ = (I - J) X``, ``L_1 = log((1-ε)/ε)``, ``L_n = log((n-1)(1-ε)/ε)``.
The theorem's bounds T4.a–d are evaluated alongside: on real data each must hold up
to the solver's accuracy, and a miss is a bug (reported, not hidden).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from proofs_check.empirical.span_coordinates import span_coordinates
from proofs_check.observables.costs import diag_cost, sink_cost
from proofs_check.observables.geometry import halfspace_margin, vertex_margin

COST_EPSILON = 0.1
SUBSET_SIZE = 8
BOUND_TOLERANCE = 1e-5


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
    sink_cost: float
    diag_cost: float
    sink_gap: float
    diag_gap: float
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

    def bound_violations(self, tolerance: float = BOUND_TOLERANCE) -> dict[str, bool]:
        """Which of T4.a–e the computed costs miss by more than ``tolerance`` (relative)."""

        def above(value: float, bound: float) -> bool:
            return value > bound * (1.0 + tolerance)

        return {
            "T4.a": above(self.sink_cost, self.sink_upper),
            "T4.b": above(self.sink_lower, self.sink_cost),
            "T4.c": above(self.diag_lower, self.diag_cost),
            "T4.d": above(self.diag_cost, self.diag_upper),
            "T4.e": self.t4e_condition and above(self.sink_cost, self.diag_cost),
        }


def choose_subset(n_tokens: int, sink: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """``[sink]`` followed by ``size - 1`` other positions drawn without replacement."""
    others = np.delete(np.arange(n_tokens), sink)
    picked = rng.choice(others, size=min(size - 1, len(others)), replace=False)
    return np.concatenate([[sink], np.sort(picked)])


def compare_costs(tokens: np.ndarray, epsilon: float = COST_EPSILON) -> CostComparison:
    """All of T4 on a small token set whose first row is the sink candidate."""
    points = span_coordinates(tokens).coordinates
    n, dimension = points.shape
    l1, ln = log_odds(epsilon), log_odds_n(epsilon, n)
    gamma_u = float(halfspace_margin(points).distance)
    gamma_v = float(vertex_margin(points, 0).distance)
    centred = points - points.mean(axis=0)
    sigma_sq = float(np.linalg.norm(centred, ord=2) ** 2)
    norms = np.linalg.norm(points, axis=1)
    sink_gaps = np.linalg.norm(points[1:] - points[0], axis=1)
    pair_gaps_sq = [
        float(np.sum((points[i] - points[j]) ** 2)) for i in range(n) for j in range(i + 1, n)
    ]
    gram = points @ points.T
    g = min(gram[i, i] - gram[i, j] for i in range(n) for j in range(n) if i != j)
    sink = sink_cost(points, 0, epsilon)
    diag = diag_cost(points, epsilon)
    return CostComparison(
        n=n,
        dimension=dimension,
        epsilon=epsilon,
        sink_cost=float(sink.value),
        diag_cost=float(diag.value),
        sink_gap=float(sink.duality_gap),
        diag_gap=float(diag.duality_gap),
        converged=bool(sink.converged and diag.converged),
        halfspace_margin=gamma_u,
        vertex_margin=gamma_v,
        centred_sigma_max_sq=sigma_sq,
        sink_upper=ln / (gamma_u * gamma_v) if gamma_u * gamma_v > 0 else math.inf,
        sink_lower=l1 / float(np.min(np.outer(norms, sink_gaps))),
        diag_lower=max(l1 * (n - 1) / sigma_sq, 2.0 * l1 / min(pair_gaps_sq)),
        diag_upper=dimension * ln / g if g > 0 else math.inf,
    )
