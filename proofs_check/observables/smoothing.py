r"""T3 observables: how much a residual attention block smooths, dense versus sparse attention.

Notation (THEORY.md §0 and T3). Tokens ``X`` (n, d); a dense attention ``A`` and a sparse target
``B`` (n, n), both row-stochastic; values ``V`` (n, d), the width of ``X`` because the block is
residual, ``X' = X + A V``. Centering ``J = 1 1^T / n``, ``mu(X) = ||(I - J) X||_F``.

Per-row sparsity ``alpha in [0, 1]^n``::

    A_alpha = (I - D_alpha) A + D_alpha B = A + D_alpha (B - A),    f(alpha) = mu(X + A_alpha V)^2,
    Z = (I - J)(X + A V)   (rows z_i),    Delta = (B - A) V   (rows delta_i).

T3.a:  ``f(alpha) - f(0) = 2 sum_i alpha_i <z_i, delta_i> + ||(I - J) D_alpha Delta||_F^2``.
T3.b:  ``f(0) <= f(alpha)`` on the whole box iff every *row margin* ``<z_i, delta_i>`` is ``>= 0``.
T3.c:  ``f(0) <= f(t 1)`` for ``t in [0, 1]`` iff the *uniform margin* ``<Z, Delta>_F`` is ``>= 0``.

The observables are written once against :class:`~proofs_check.backend.Ops` and use nothing but
``ops.xp`` arithmetic, so the same code runs in float64 JAX, in ball arithmetic (``arb``), and — for
:func:`smoothing_condition`, the public entry point used on real models — in plain NumPy float64.
None of the identities uses row-stochasticity; the theorems' *statements* do (``A_alpha`` is then an
attention matrix for every ``alpha`` in the box), so :func:`smoothing_condition` validates it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from proofs_check.backend import Ops

NUMPY = Ops("numpy", np)
"""Plain float64 NumPy. Only for observables that use ``ops.xp`` arithmetic alone (this module's)."""

ROW_STOCHASTIC_ATOL = 1e-6


# ----------------------------------------------------------------------------------------------
# Targets
# ----------------------------------------------------------------------------------------------


def sink_target(n: int, sink: int) -> np.ndarray:
    r"""``B = 1 e_s^T``: every row puts all its mass on the sink ``s``."""
    if not 0 <= sink < n:
        raise ValueError(f"sink index {sink} is outside 0..{n - 1}")
    target = np.zeros((n, n))
    target[:, sink] = 1.0
    return target


def diagonal_target(n: int) -> np.ndarray:
    r"""``B = I``: every token attends to itself only."""
    return np.eye(n)


def zero_sink_value(values: np.ndarray, sink: int) -> np.ndarray:
    r"""``V`` with ``v_s := 0`` (the zero-value sink of T3.d and T2)."""
    zeroed = np.array(values, dtype=float, copy=True)
    zeroed[sink] = 0.0
    return zeroed


# ----------------------------------------------------------------------------------------------
# Observables (one instance; any backend)
# ----------------------------------------------------------------------------------------------


def centred(ops: Ops, M: Any) -> Any:
    r"""``(I - J) M = M - 1 (1^T M) / n``: each column minus its mean (leading axes are a batch)."""
    return M - M.sum(axis=-2, keepdims=True) / M.shape[-2]


def squared_frobenius(ops: Ops, M: Any) -> Any:
    r"""``||M||_F^2`` over the last two axes."""
    return (M * M).sum(axis=(-2, -1))


def mu_squared(ops: Ops, X: Any) -> Any:
    r"""``mu(X)^2 = ||(I - J) X||_F^2`` (a polynomial: exact in ball arithmetic)."""
    return squared_frobenius(ops, centred(ops, X))


def mu(ops: Ops, X: Any) -> Any:
    r"""``mu(X) = ||(I - J) X||_F``, the distance from ``X`` to the nearest consensus ``1 c^T``."""
    return ops.xp.sqrt(mu_squared(ops, X))


def sparsified_attention(ops: Ops, A: Any, B: Any, alpha: Any) -> Any:
    r"""``A_alpha = (I - D_alpha) A + D_alpha B = A + D_alpha (B - A)`` (``alpha`` may be a batch)."""
    return A + alpha[..., :, None] * (B - A)


def smoothing_objective(
    ops: Ops, X: Any, A: Any, B: Any, V: Any, alpha: Any, residual: bool = True
) -> Any:
    r"""``f(alpha) = mu(X + A_alpha V)^2``; with ``residual=False``, ``mu(A_alpha V)^2`` (T3-F2).

    Computed directly from ``A_alpha`` (never through ``Z`` and ``Delta``), as
    ``||(I - J) X + (I - J) A_alpha V||_F^2``: centring each part first keeps a large common
    component of ``X`` or of the update from swamping the variation that ``mu`` measures.
    ``alpha`` (n,) or a batch of probes (k, n).
    """
    update = centred(ops, sparsified_attention(ops, A, B, alpha) @ V)
    return squared_frobenius(ops, centred(ops, X) + update if residual else update)


def centred_dense_output(ops: Ops, X: Any, A: Any, V: Any) -> Any:
    r"""``Z = (I - J)(X + A V)``: the centred output of the dense block (rows ``z_i``)."""
    return centred(ops, X + A @ V)


def sparsification_shift(ops: Ops, A: Any, B: Any, V: Any) -> Any:
    r"""``Delta = (B - A) V = B V - A V``: how sparsifying row ``i`` moves ``x'_i`` (rows ``delta_i``)."""
    return B @ V - A @ V


def row_margins(ops: Ops, Z: Any, Delta: Any) -> Any:
    r"""``<z_i, delta_i>`` for every row: T3.b's condition is that all are ``>= 0``."""
    return (Z * Delta).sum(axis=-1)


def uniform_margin(ops: Ops, Z: Any, Delta: Any) -> Any:
    r"""``<Z, Delta>_F = sum_i <z_i, delta_i>``: T3.c's condition is that it is ``>= 0``."""
    return (Z * Delta).sum()


def quadratic_term(ops: Ops, Delta: Any, alpha: Any) -> Any:
    r"""``||(I - J) D_alpha Delta||_F^2``: the convex part of ``f(alpha) - f(0)`` (T3.a)."""
    return mu_squared(ops, alpha[..., :, None] * Delta)


def linear_term_parts(ops: Ops, margins: Any, alpha: Any) -> tuple[Any, Any]:
    r"""``sum_i alpha_i <z_i, delta_i>`` split into its positive and negative parts (both ``>= 0``).

    ``(sum_i alpha_i m_i^+, sum_i alpha_i m_i^-)`` with ``m^± = (|m| ± m)/2``: written this way an
    identity has only nonnegative terms on each side, and its relative error is a rounding error.
    """
    size = ops.xp.abs(margins)
    return (alpha * (size + margins) / 2).sum(axis=-1), (alpha * (size - margins) / 2).sum(axis=-1)


def row_curvatures(ops: Ops, Delta: Any) -> Any:
    r"""``q_i = ||(I - J) e_i delta_i^T||_F^2 = (1 - 1/n) ||delta_i||^2``.

    Along the edge ``alpha = t e_i``: ``f(t e_i) - f(0) = 2 t <z_i, delta_i> + t^2 q_i`` (T3.a).
    """
    n = Delta.shape[0]
    return (Delta * Delta).sum(axis=-1) * (n - 1) / n


def named_sink_margins(ops: Ops, Z: Any, AV: Any) -> Any:
    r"""T3.d, zero-value sink: the row margin is ``-<z_i, a_i>`` with ``a_i = (A V)_i``."""
    return -(Z * AV).sum(axis=-1)


def named_diagonal_margins(ops: Ops, Z: Any, V: Any, AV: Any) -> Any:
    r"""T3.d, diagonal target ``B = I``: the row margin is ``<z_i, v_i - a_i>``."""
    return (Z * (V - AV)).sum(axis=-1)


# ----------------------------------------------------------------------------------------------
# Witnesses for the "only if" directions (NumPy float64; the point is then data, read exactly)
# ----------------------------------------------------------------------------------------------


def edge_step(margin: float, curvature: float) -> float:
    r"""``t* = min(1, -m/q)`` for ``m < 0``: half the positive root of ``2 t m + t^2 q``.

    Then ``2 t* m + t*^2 q`` is ``-m^2/q`` (``t* < 1``) or ``2m + q <= m`` (``t* = 1``): ``< 0`` either
    way, with room for rounding (the root is at ``-2m/q``).
    """
    if not margin < 0:
        raise ValueError("a witness step needs a negative margin")
    return 1.0 if curvature <= -margin else float(-margin / curvature)


def guaranteed_change(margin: float, curvature: float) -> float:
    r"""``2 t* m + t*^2 q`` at :func:`edge_step`'s ``t*`` (negative for ``m < 0``)."""
    t = edge_step(margin, curvature)
    return 2.0 * t * margin + t * t * curvature


def row_witness(margins: np.ndarray, curvatures: np.ndarray) -> np.ndarray:
    r"""A point ``alpha = t* e_i`` of the box with ``f(alpha) < f(0)``, if some margin is negative.

    Picks the row whose guaranteed decrease (:func:`guaranteed_change`) is largest; returns the zero
    vector (no witness) when every margin is ``>= 0``.
    """
    alpha = np.zeros(len(margins))
    negative = [i for i, m in enumerate(margins) if m < 0]
    if negative:
        i = min(negative, key=lambda k: guaranteed_change(margins[k], curvatures[k]))
        alpha[i] = edge_step(margins[i], curvatures[i])
    return alpha


def uniform_witness(margin: float, curvature: float, n: int) -> np.ndarray:
    r"""``alpha = t* 1`` with ``f(t* 1) < f(0)`` when ``<Z, Delta>_F < 0`` (``q = ||(I-J) Delta||_F^2``)."""
    return np.full(n, edge_step(margin, curvature) if margin < 0 else 0.0)


# ----------------------------------------------------------------------------------------------
# The public condition (real models call this)
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmoothingCondition:
    r"""T3's condition for one block and one target ``B``.

    ``row_margins[i] = <z_i, delta_i>``; ``uniform_margin = <Z, Delta>_F``;
    ``dense_smooths_more``: all row margins ``>= 0`` — by T3.b, ``mu(X'_0) <= mu(X'_alpha)`` for every
    row-wise sparsification ``alpha in [0, 1]^n``; ``dense_smooths_more_uniform``:
    ``<Z, Delta>_F >= 0`` — by T3.c, the same for every uniform sparsification ``alpha = t 1``.
    """

    row_margins: np.ndarray
    uniform_margin: float
    dense_smooths_more: bool
    dense_smooths_more_uniform: bool

    @property
    def fraction_of_rows_holding(self) -> float:
        return float(np.mean(self.row_margins >= 0))


def smoothing_condition(
    X: np.ndarray,
    A: np.ndarray,
    B: np.ndarray,
    V: np.ndarray,
    *,
    atol: float = ROW_STOCHASTIC_ATOL,
) -> SmoothingCondition:
    r"""Does the dense attention ``A`` smooth at least as much as sparsifying it towards ``B``?

    ``X`` (n, d) tokens entering the residual block, ``A`` (n, n) the dense attention, ``B`` (n, n)
    the sparse target (:func:`sink_target`, :func:`diagonal_target`, or any row-stochastic matrix),
    ``V`` (n, d) the values in the model's width (output projection merged). For a zero-value sink
    pass ``zero_sink_value(V, s)``. ``A`` and ``B`` must be row-stochastic within ``atol``.
    Returns ``Z = (I-J)(X + AV)``, ``Delta = (B - A) V`` reduced to the margins of T3.b and T3.c.
    """
    X, A, B, V = (
        _validated_matrix(name, M) for name, M in (("X", X), ("A", A), ("B", B), ("V", V))
    )
    n = X.shape[0]
    if n < 2:
        raise ValueError(f"X needs at least 2 tokens (rows), got {n}")
    for name, M in (("A", A), ("B", B)):
        if M.shape != (n, n):
            raise ValueError(f"{name} must be ({n}, {n}) for {n} tokens, got {M.shape}")
        _check_row_stochastic(name, M, atol)
    if V.shape != X.shape:
        raise ValueError(
            f"V must have the shape of X, {X.shape} (values in the model width: X + A V), got {V.shape}"
        )
    Z = centred_dense_output(NUMPY, X, A, V)
    Delta = sparsification_shift(NUMPY, A, B, V)
    margins = np.asarray(row_margins(NUMPY, Z, Delta), dtype=np.float64)
    total = float(uniform_margin(NUMPY, Z, Delta))
    return SmoothingCondition(
        row_margins=margins,
        uniform_margin=total,
        dense_smooths_more=bool(np.all(margins >= 0)),
        dense_smooths_more_uniform=bool(total >= 0),
    )


def _validated_matrix(name: str, M: Any) -> np.ndarray:
    arr = np.asarray(M)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-d array, got {arr.ndim} dimension(s)")
    if not np.issubdtype(arr.dtype, np.number) or np.iscomplexobj(arr):
        raise ValueError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} has non-finite entries (NaN or infinity)")
    return arr


def _check_row_stochastic(name: str, M: np.ndarray, atol: float) -> None:
    worst_negative = float(M.min())
    if worst_negative < -atol:
        raise ValueError(
            f"{name} must be row-stochastic: it has a negative entry {worst_negative:.3g}"
        )
    deviation = np.abs(M.sum(axis=1) - 1.0)
    row = int(np.argmax(deviation))
    if deviation[row] > atol:
        raise ValueError(
            f"{name} must be row-stochastic: row {row} sums to {M[row].sum():.12g} "
            f"(tolerance {atol:g})"
        )
