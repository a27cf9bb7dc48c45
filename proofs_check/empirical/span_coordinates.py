"""Exact dimension reduction: a point set in coordinates of its own linear span.

If the rows of ``P`` (n x d) span an ``r``-dimensional subspace with orthonormal basis
``Q`` (r x d, rows), then ``P = C Q`` with ``C = P Q^T`` (n x r) and for every weight
vector ``λ``: ``||λ^T P|| = ||λ^T C||``. Hence every quantity that depends on the
points only through inner products (``dist(0, conv P)``, the vertex margin, the
nuclear-norm costs of T4, whose optimal ``W`` can be taken in ``span ⊗ span``) is the
same for ``C`` as for ``P``. T4 uses it: ``n = 8`` tokens of width 384 become 8 points
in ``R^8``, and the ``8 x 8`` convex program gives the exact 384-dimensional cost.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SpanCoordinates:
    """``points = coordinates @ basis`` with orthonormal ``basis`` rows."""

    coordinates: np.ndarray  # C, (n, r)
    basis: np.ndarray  # Q, (r, d)

    def lift(self, vector: np.ndarray) -> np.ndarray:
        """A vector given in span coordinates, back in the ambient space: ``c -> c Q``."""
        return vector @ self.basis


def span_coordinates(
    points: np.ndarray, relative_tolerance: float | None = None
) -> SpanCoordinates:
    """Coordinates of the rows of ``points`` in an orthonormal basis of their row span.

    Directions with singular value below ``relative_tolerance * sigma_max`` (default
    ``max(n, d) * machine epsilon``) are numerically absent and dropped.
    """
    points = np.asarray(points, dtype=np.float64)
    if relative_tolerance is None:
        relative_tolerance = max(points.shape) * np.finfo(np.float64).eps
    _, singular_values, right = np.linalg.svd(points, full_matrices=False)
    if singular_values.size == 0 or singular_values[0] == 0.0:
        return SpanCoordinates(
            coordinates=np.zeros((points.shape[0], 1)), basis=np.zeros((1, points.shape[1]))
        )
    rank = int(np.sum(singular_values > relative_tolerance * singular_values[0]))
    basis = right[:rank]
    return SpanCoordinates(coordinates=points @ basis.T, basis=basis)
