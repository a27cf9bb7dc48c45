"""T3 on real heads: does the dense attention smooth more than a sparse target?

For one head: ``X`` the residual stream entering the block (the layer's attention
input), ``A`` the head's attention, ``V`` its values in model dimension (``W_O`` merged)
and a row-stochastic target ``B``. With ``Z = (I - J)(X + A V)``, ``Δ = (B - A) V``:
the condition holds in row ``i`` iff ``<z_i, δ_i> >= 0`` (T3.b), for the head iff it
holds in every row, and for uniform sparsification iff ``<Z, Δ>_F >= 0`` (T3.c).
All of that, and the targets, are the shared ``observables.smoothing``; this module
only picks the three targets we measure and adds a scale-free view of the margins:

- ``sink``: ``B = 1 e_s^T`` with the model's own values;
- ``sink_zero_value``: the same ``B`` under the zero-value convention ``v_s := 0``
  (row ``s`` of ``V`` zeroed, also inside ``A V``) — T3.d's ``<z_i, a_i> <= 0``;
- ``diagonal``: ``B = I``.

The row cosine ``<z_i, δ_i> / (||z_i|| ||δ_i||)`` has the margin's sign and lies in
``[-1, 1]``, which makes margins of different heads comparable in one histogram.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from proofs_check.observables.smoothing import (
    NUMPY,
    centred_dense_output,
    diagonal_target,
    row_margins,
    sink_target,
    smoothing_condition,
    sparsification_shift,
    zero_sink_value,
)

SMOOTHING_TARGETS: tuple[str, ...] = ("sink", "sink_zero_value", "diagonal")


@dataclass(frozen=True)
class SmoothingMeasurement:
    """T3's condition for one head, one sequence and one target ``B``."""

    target: str
    row_margins: np.ndarray  # <z_i, δ_i>
    row_cosines: np.ndarray  # <z_i, δ_i> / (||z_i|| ||δ_i||)
    uniform_margin: float  # <Z, Δ>_F
    holds_for_head: bool  # all rows
    holds_uniformly: bool  # <Z, Δ>_F >= 0

    @property
    def fraction_of_rows_holding(self) -> float:
        return float(np.mean(self.row_margins >= 0))


def row_cosines(
    tokens: np.ndarray, attention: np.ndarray, target: np.ndarray, values: np.ndarray
) -> np.ndarray:
    """``cos(z_i, δ_i)`` from the shared ``Z`` and ``Δ``; 0 where either vector vanishes."""
    z = centred_dense_output(NUMPY, tokens, attention, values)
    delta = sparsification_shift(NUMPY, attention, target, values)
    inner = row_margins(NUMPY, z, delta)
    norms = np.linalg.norm(z, axis=1) * np.linalg.norm(delta, axis=1)
    return np.divide(inner, norms, out=np.zeros_like(inner), where=norms > 0)


def measure_target(
    name: str, tokens: np.ndarray, attention: np.ndarray, target: np.ndarray, values: np.ndarray
) -> SmoothingMeasurement:
    """Run the shared condition for one target and keep the scale-free cosines too."""
    condition = smoothing_condition(tokens, attention, target, values)
    return SmoothingMeasurement(
        target=name,
        row_margins=np.asarray(condition.row_margins, dtype=np.float64),
        row_cosines=row_cosines(tokens, attention, target, values),
        uniform_margin=float(condition.uniform_margin),
        holds_for_head=bool(condition.dense_smooths_more),
        holds_uniformly=bool(condition.dense_smooths_more_uniform),
    )


def smoothing_measurements(
    tokens: np.ndarray, attention: np.ndarray, values: np.ndarray, sink: int
) -> dict[str, SmoothingMeasurement]:
    """T3 for the three targets: sink (actual values), sink (zero value), diagonal."""
    n = tokens.shape[0]
    sink_b = sink_target(n, sink)
    zeroed = zero_sink_value(values, sink)
    return {
        "sink": measure_target("sink", tokens, attention, sink_b, values),
        "sink_zero_value": measure_target("sink_zero_value", tokens, attention, sink_b, zeroed),
        "diagonal": measure_target("diagonal", tokens, attention, diagonal_target(n), values),
    }
