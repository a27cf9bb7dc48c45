"""T2.b on real heads: the sink's share of the output and the two-sided bound.

For a head with attention ``A``, values ``V`` (rows ``v_j``, model dimension) and a
sink candidate ``s``, write ``y_i = (A V)_i``. T2.a: ``y_i - A_is v_s = (1 - A_is) c_i``
with ``c_i`` a convex combination of ``{v_j : j != s}``, so (T2.b)

    (1 - A_is) * delta  <=  ||y_i - A_is v_s||  <=  (1 - A_is) * R,
    delta = dist(0, conv{v_j : j != s}),   R = max_{j != s} ||v_j||.

``delta`` is computed by the shared ``hull_distance`` (Wolfe's min-norm point). A row
violates a side when it misses it by more than ``tolerance * (1 - A_is) R`` (the row's
own scale): every violation is a bug.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from proofs_check.observables.geometry import hull_distance

VIOLATION_TOLERANCE = 1e-9


@dataclass(frozen=True)
class SwitchBounds:
    """T2.b for one head, one sequence and one sink candidate ``s``."""

    sink: int
    sink_value_norm: float  # ||v_s||
    mean_other_value_norm: float  # mean_{j != s} ||v_j||
    delta: float  # dist(0, conv{v_j : j != s})
    radius: float  # R = max_{j != s} ||v_j||
    lower: np.ndarray  # (1 - A_is) delta, per row
    residual: np.ndarray  # ||y_i - A_is v_s||, per row
    upper: np.ndarray  # (1 - A_is) R, per row
    lower_violations: int
    upper_violations: int

    @property
    def sink_value_ratio(self) -> float:
        """``||v_s|| / mean_{j != s} ||v_j||``: < 1 means a "quiet" (near zero-value) sink."""
        return self.sink_value_norm / self.mean_other_value_norm


def switch_bounds(
    attention: np.ndarray,
    values: np.ndarray,
    sink: int,
    tolerance: float = VIOLATION_TOLERANCE,
) -> SwitchBounds:
    """Evaluate both sides of T2.b in every row and count the rows that break one."""
    others = np.delete(values, sink, axis=0)
    other_norms = np.linalg.norm(others, axis=1)
    radius = float(other_norms.max())
    delta = float(hull_distance(others).distance)
    sink_weight = attention[:, sink]
    outputs = attention @ values
    residual = np.linalg.norm(outputs - np.outer(sink_weight, values[sink]), axis=1)
    lower = (1.0 - sink_weight) * delta
    upper = (1.0 - sink_weight) * radius
    slack = tolerance * upper
    return SwitchBounds(
        sink=sink,
        sink_value_norm=float(np.linalg.norm(values[sink])),
        mean_other_value_norm=float(other_norms.mean()),
        delta=delta,
        radius=radius,
        lower=lower,
        residual=residual,
        upper=upper,
        lower_violations=int(np.sum(lower - residual > slack)),
        upper_violations=int(np.sum(residual - upper > slack)),
    )
