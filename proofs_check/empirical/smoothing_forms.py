r"""The five readings of "dense attention smooths more than sparse attention" on real heads.

One layer: ``X`` (n, d) the residual stream entering it, per head ``h`` the dense output
``Y^h = A^h V^h`` and the target's output ``T^h = B^h V^h`` (n, d each). With
``Z = (I - J)(X + Y)``, ``Δ = T - Y`` (THEORY.md T3), per head:

- **T3.b** (every row-wise sparsification): row ``i`` holds iff ``<z_i, δ_i> >= 0``; the head iff all
  rows do.
- **T3.c** (uniform sparsification ``α = t 1``): the head holds iff ``<Z, Δ>_F >= 0`` (no row form).
- **T3.e** (the fully sparse endpoint ``α = 1``): the head holds iff
  ``2 <Z, Δ>_F + ||(I - J) Δ||_F^2 >= 0``, i.e. ``mu(X + Y) <= mu(X + T)``. Row ``i``: the endpoint
  of sparsifying row ``i`` alone (``α = e_i``), ``2 <z_i, δ_i> + (1 - 1/n) ||δ_i||^2 >= 0`` (T3.a).
- **T3.f** (scale-free): the head holds iff ``nu(X + Y) <= nu(X + T)``, ``nu(M) = mu(M)^2 / ||M||_F^2``.
  Row ``i``: the same comparison with row ``i`` alone sparsified, ``X + Y + e_i δ_i^T``.
- **T3.g** (angular, common update): with ``c = mean_i y_i`` the common part of the head's update,
  row ``i`` holds iff ``<c, x_i> >= 0`` (token ``i`` in the dual cone of ``c``); the head iff all
  rows do. Then by T3.g the common update raises the cosine of every equal-norm pair, while a
  zero-value sink leaves it unchanged. Real tokens have only roughly equal norms; the fraction of
  token pairs whose cosine the common update actually raises is reported alongside.

A **layer** holds when the comparison holds for its whole attention sublayer, every head
sparsified with the same ``α``: ``X + sum_h Y^h`` against ``X + sum_h T^h`` (T3.a's algebra is the
same with ``Y = sum_h Y^h``, ``Δ = sum_h (T^h - Y^h)``; T3.g with ``c`` the mean row of ``sum_h Y^h``).

Everything is computed with the shared observables (``observables.smoothing``), batched over the
heads (leading axis); no attention matrix is needed beyond ``Y`` and ``T``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from proofs_check.observables.smoothing import (
    NUMPY,
    centred,
    mu_squared,
    row_curvatures,
    row_margins,
    squared_frobenius,
    uniform_margin,
)

FORMS: tuple[str, ...] = ("T3.b", "T3.c", "T3.e", "T3.f", "T3.g")
ROW_FORMS: tuple[str, ...] = ("T3.b", "T3.e", "T3.f", "T3.g")
MARGIN_DECADES = 8
MARGIN_BINS = np.concatenate(
    [
        -np.logspace(0, -MARGIN_DECADES, MARGIN_DECADES + 1),
        [0.0],
        np.logspace(-MARGIN_DECADES, 0, MARGIN_DECADES + 1),
    ]
)  # signed decades: [-1, -0.1), ..., [-1e-8, 0), [0, 1e-8), ..., [0.1, 1]


@dataclass(frozen=True)
class FormsRecord:
    """The five forms for a batch of ``k`` comparisons (heads, or one layer: ``k = 1``)."""

    rows: np.ndarray  # (len(ROW_FORMS), k, n) bool, in ROW_FORMS order
    holds: np.ndarray  # (k, len(FORMS)) bool, in FORMS order
    row_margins: np.ndarray  # (k, n) <z_i, δ_i>
    row_cosines: np.ndarray  # (k, n) cos(z_i, δ_i), 0 where a vector vanishes
    uniform_margins: np.ndarray  # (k,) <Z, Δ>_F
    nu_dense: np.ndarray  # (k,) nu(X + Y)
    nu_sparse: np.ndarray  # (k,) nu(X + T)

    @property
    def relative_nu_margin(self) -> np.ndarray:
        """``(nu(X+T) - nu(X+Y)) / (nu(X+T) + nu(X+Y))`` in ``[-1, 1]``: T3.f holds iff ``>= 0``."""
        total = self.nu_dense + self.nu_sparse
        gap = self.nu_sparse - self.nu_dense
        return np.divide(gap, total, out=np.zeros_like(gap), where=total > 0)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    return np.divide(numerator, denominator, out=np.zeros_like(numerator), where=denominator > 0)


def smoothing_forms(tokens: np.ndarray, dense: np.ndarray, sparse: np.ndarray) -> FormsRecord:
    """All five forms for ``X`` (n, d) and batched outputs ``Y``, ``T`` (k, n, d).

    Every quantity follows from ``Z``, ``Δ`` and ``M = X + Y`` by T3.a's expansion:
    ``mu(M + D_α Δ)^2 = mu(M)^2 + 2 sum_i α_i <z_i, δ_i> + ||(I - J) D_α Δ||_F^2`` and
    ``||M + D_α Δ||_F^2 = ||M||_F^2 + 2 sum_i α_i <m_i, δ_i> + sum_i α_i^2 ||δ_i||^2``.
    """
    x = np.asarray(tokens, dtype=np.float64)
    dense, sparse = np.asarray(dense, dtype=np.float64), np.asarray(sparse, dtype=np.float64)
    updated = x[None] + dense  # M = X + Y
    z = centred(NUMPY, updated)
    delta = sparse - dense
    margins = row_margins(NUMPY, z, delta)  # <z_i, δ_i>, (k, n)
    curvatures = np.stack([row_curvatures(NUMPY, d) for d in delta])  # (1 - 1/n) ||δ_i||^2
    total = np.array([uniform_margin(NUMPY, zk, dk) for zk, dk in zip(z, delta, strict=True)])
    quadratic = mu_squared(NUMPY, delta)  # ||(I-J) Δ||_F^2, (k,)
    mu2_dense = squared_frobenius(NUMPY, z)
    mu2_sparse = mu2_dense + 2.0 * total + quadratic  # T3.a at α = 1
    row_cross = row_margins(NUMPY, updated, delta)  # <m_i, δ_i>
    row_square = (delta * delta).sum(axis=-1)  # ||δ_i||^2
    energy_dense = squared_frobenius(NUMPY, updated)
    energy_sparse = energy_dense + 2.0 * row_cross.sum(axis=-1) + row_square.sum(axis=-1)
    nu_dense, nu_sparse = _ratio(mu2_dense, energy_dense), _ratio(mu2_sparse, energy_sparse)
    row_endpoint = 2.0 * margins + curvatures  # T3.a at α = e_i
    row_nu = _ratio(
        mu2_dense[:, None] + row_endpoint, energy_dense[:, None] + 2.0 * row_cross + row_square
    )
    common = dense.mean(axis=-2)  # c = mean_i y_i, (k, d)
    dual_cone = common @ x.T >= 0  # <c, x_i> >= 0, (k, n)
    norms = np.sqrt((z * z).sum(axis=-1) * row_square)
    rows = np.stack(
        [margins >= 0, row_endpoint >= 0, nu_dense[:, None] <= row_nu, dual_cone], axis=0
    )
    holds = np.stack(
        [
            np.all(margins >= 0, axis=-1),
            total >= 0,
            2.0 * total + quadratic >= 0,
            nu_dense <= nu_sparse,
            np.all(dual_cone, axis=-1),
        ],
        axis=-1,
    )
    return FormsRecord(
        rows=rows,
        holds=holds,
        row_margins=margins,
        row_cosines=_ratio(margins, norms),
        uniform_margins=total,
        nu_dense=nu_dense,
        nu_sparse=nu_sparse,
    )


def cosine_rise_fraction(tokens: np.ndarray, common: np.ndarray) -> np.ndarray:
    """Per update ``c`` (k, d): the fraction of pairs ``i < j`` with ``cos(x_i+c, x_j+c) >= cos(x_i, x_j)``.

    From the Gram matrix ``G = X X^T``: ``(X + 1c^T)(X + 1c^T)^T = G + g 1^T + 1 g^T + ||c||^2``
    with ``g = X c``.
    """
    x = np.asarray(tokens, dtype=np.float64)
    n = x.shape[0]
    upper = np.triu_indices(n, 1)
    gram = x @ x.T
    norms = np.sqrt(np.diag(gram))
    before = (gram / np.outer(norms, norms))[upper]
    g = common @ x.T  # (k, n)
    shifted = gram[None] + g[:, :, None] + g[:, None, :] + (common * common).sum(-1)[:, None, None]
    shifted_norms = np.sqrt(np.einsum("kii->ki", shifted))
    after = (shifted / (shifted_norms[:, :, None] * shifted_norms[:, None, :]))[
        :, upper[0], upper[1]
    ]
    return np.mean(after >= before[None], axis=-1)


TARGETS: tuple[str, ...] = ("sink", "sink_zero_value", "diagonal")


@dataclass(frozen=True)
class LayerForms:
    """The forms of one layer for every target: per head (k = H) and for the sublayer (k = 1)."""

    heads: dict[str, FormsRecord]
    layer: dict[str, FormsRecord]
    cosine_rise_heads: np.ndarray  # (H,) fraction of pairs whose cosine the common update raises
    cosine_rise_layer: float
    norm_spread: float  # max_i ||x_i|| / min_i ||x_i|| (T3.g assumes equal norms)


def target_outputs(
    probs: np.ndarray, values: np.ndarray, sinks: np.ndarray
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``(Y, T)`` per target, batched over heads: ``A`` (H, n, n), ``V`` (H, n, d), ``s`` (H,).

    ``sink``: ``T = B V = 1 v_s^T``; ``sink_zero_value``: ``v_s := 0`` in both, so
    ``Y = A V - A_{:s} v_s^T`` and ``T = 0``; ``diagonal``: ``T = V``.
    """
    heads = np.arange(probs.shape[0])
    dense = probs @ values
    sink_values = values[heads, sinks][:, None, :]  # (H, 1, d)
    sink_weights = probs[heads, :, sinks][:, :, None]  # (H, n, 1)
    sink_rows = np.broadcast_to(sink_values, dense.shape)
    return {
        "sink": (dense, sink_rows),
        "sink_zero_value": (dense - sink_weights * sink_values, np.zeros_like(dense)),
        "diagonal": (dense, values),
    }


def layer_forms(
    tokens: np.ndarray, probs: np.ndarray, values: np.ndarray, sinks: np.ndarray
) -> LayerForms:
    """Every form, target and head of one layer, and the layer's sublayer as a whole."""
    outputs = target_outputs(probs, values, sinks)
    heads = {t: smoothing_forms(tokens, y, b) for t, (y, b) in outputs.items()}
    layer = {
        t: smoothing_forms(tokens, y.sum(axis=0)[None], b.sum(axis=0)[None])
        for t, (y, b) in outputs.items()
    }
    dense = outputs["sink"][0]
    norms = np.linalg.norm(tokens, axis=1)
    return LayerForms(
        heads=heads,
        layer=layer,
        cosine_rise_heads=cosine_rise_fraction(tokens, dense.mean(axis=1)),
        cosine_rise_layer=float(
            cosine_rise_fraction(tokens, dense.sum(axis=0).mean(axis=0)[None])[0]
        ),
        norm_spread=float(norms.max() / norms.min()),
    )
