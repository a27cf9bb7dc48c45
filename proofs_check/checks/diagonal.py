r"""Compiled checks for T5 (diagonal patterns act token-wise) and its control.

Conventions of :mod:`theory.diagonal`: ``x_i`` rows, ``V = X W_V`` with ``W_V`` of shape
``(d, d_v)``, ``y_i`` the rows of ``A V``, and ``dy_i/dx_j`` the ``d_v x d`` matrix
``d(y_i)_a / d(x_j)_b``. The Jacobians are held as an ``(n, n, d_v, d)`` array ``J[i, j]``; the cases
of T5.b, T5.c and T5-F1 are the ``n^2`` ordered pairs (``competitor`` marks ``j != i``).

* T5.b compares the closed form with automatic differentiation: ``jax.jacrev`` in float64, and —
  should a case ever be escalated — forward-mode differentiation in ball arithmetic
  (``arb_series`` truncated at order 1, i.e. dual numbers over ``arb``), through the same head code.
* T5.c and T5-F1 need ``||J||_2`` and ``||W_V||_2``. In float64 they are exact SVD norms. In ball
  arithmetic, for certifying a violation, the left side is a rigorous *lower* bound
  ``||J u|| / ||u||`` (``u`` the float top right-singular vector, read exactly) and ``||W_V||_2`` a
  rigorous *upper* bound ``sqrt(mu)``, ``mu I - W_V^T W_V`` proven positive definite by an LDL^T
  factorisation in ball arithmetic whose pivots are all proven positive (falling back to
  ``||W_V||_F``). A violation proven with those bounds is a violation of the true norms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import flint
import jax
import jax.numpy as jnp
import numpy as np

from proofs_check import portable
from proofs_check.backend import JAX, as_float_array, to_arb_array
from proofs_check.checks.engine import Instance, Reported
from proofs_check.checks.smoothing import RoundingAwareRelationCheck
from proofs_check.compile_cache import call_compiled
from proofs_check.evidence import Evidence
from proofs_check.instances import (
    TOKEN_FAMILIES,
    WEIGHT_FAMILIES,
    choose,
    sample_eps,
    sample_score_matrices,
    sample_tokens,
)
from proofs_check.observables.attention import causal_mask, scores
from proofs_check.stable import MACHINE_KEY, decade_bound
from theory import diagonal as T5

OUTPUT_SHAPES = ((2, 1), (3, 2), (4, 3), (8, 8), (16, 4), (32, 16), (64, 64))
JACOBIAN_SHAPES = ((2, 1), (3, 2), (8, 8), (16, 4), (2, 64), (32, 2))
SENSITIVITY_SHAPES = ((2, 1), (3, 2), (8, 8), (16, 4), (2, 64), (64, 2))

SCORE_FAMILIES = (*WEIGHT_FAMILIES, "diagonal")
VALUE_PROJECTIONS = ("gaussian", "low_rank", "small")
SPECTRAL_SLACK = 1e-9  # mu = sigma_max^2 (1 + SPECTRAL_SLACK): the certified upper bound's margin


# ----------------------------------------------------------------------------------------------
# Sampling
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeadSampler:
    r"""Tokens, a score matrix ``W``, a value projection ``W_V`` (d, d + extra_width), a causal flag
    and ``eps``.

    Score families: every family of :mod:`proofs_check.instances` plus ``diagonal``
    (``c I + 0.1 G``, ``c`` from 0.3 to 300: patterns from barely to sharply diagonal).
    ``eps`` is, for 70% of the instances, just above the instance's ``max_i (1 - A_ii)`` (the
    eps-diagonal hypothesis met tightly, at whatever sharpness the pattern has: eps near 0 and
    near 1/2 both occur), otherwise drawn by :func:`~proofs_check.instances.sample_eps`.
    """

    extra_width: int = 0
    diagonal_share: float = 0.5
    causal_share: float = 0.3

    def __call__(self, rng: np.random.Generator, n: int, d: int, batch: int) -> Instance:
        dv = d + self.extra_width
        s = rng.integers(0, n, batch)
        tf = choose(rng, tuple(range(len(TOKEN_FAMILIES))), batch)
        X = sample_tokens(rng, tf, n, d, s)
        wf = choose(rng, tuple(range(len(WEIGHT_FAMILIES))), batch)
        diagonal = rng.random(batch) < self.diagonal_share
        wf = np.where(diagonal, SCORE_FAMILIES.index("diagonal"), wf)
        G = rng.standard_normal((batch, d, d)) / np.sqrt(d)
        planted = portable.log_uniform(rng, -0.5, 2.5, (batch, 1, 1)) * np.eye(d)[None] + 0.1 * G
        W = np.where(
            diagonal[:, None, None], planted, sample_score_matrices(rng, np.minimum(wf, 4), X, s)
        )
        vf = choose(rng, tuple(range(len(VALUE_PROJECTIONS))), batch)
        scale = portable.log_uniform(rng, -1.0, 1.0, (batch, 1, 1))
        a, b = rng.standard_normal((batch, d, 1)), rng.standard_normal((batch, 1, dv))
        W_V = np.stack(
            [
                scale * rng.standard_normal((batch, d, dv)) / np.sqrt(d),
                scale * a * b / np.sqrt(d),
                1e-3 * rng.standard_normal((batch, d, dv)),
            ]
        )[vf, np.arange(batch)]
        causal = rng.random(batch) < self.causal_share
        mask = np.where(causal[:, None, None], np.tril(np.ones((n, n), dtype=bool)), True)
        A = portable.softmax(X @ W @ np.swapaxes(X, 1, 2), mask)
        rest = np.where(np.eye(n, dtype=bool), 0.0, A).sum(axis=-1).max(axis=-1)
        tight = np.minimum(rest * (1.0 + portable.log_uniform(rng, -8.0, 0.0, batch)), 1.0 - 1e-12)
        eps = np.where(rng.random(batch) < 0.7, np.maximum(tight, 1e-300), sample_eps(rng, batch))
        return {
            "X": X,
            "W": W,
            "W_V": W_V,
            "causal": causal,
            "eps": eps,
            "token_family": tf,
            "score_family": wf,
        }


def head_family(inst: Instance) -> str:
    mask = "causal" if bool(inst["causal"]) else "full"
    return (
        f"{TOKEN_FAMILIES[int(inst['token_family'])]}/"
        f"{SCORE_FAMILIES[int(inst['score_family'])]}/{mask}"
    )


# ----------------------------------------------------------------------------------------------
# The head and its Jacobians (either backend)
# ----------------------------------------------------------------------------------------------


def attention_mask(ops: Any, n: int, causal: Any) -> Any:
    """All true, or lower-triangular when ``causal``."""
    return ops.xp.where(causal, causal_mask(ops, n), True)


def head_output(ops: Any, X: Any, W: Any, W_V: Any, causal: Any) -> tuple[Any, Any, Any]:
    r"""``(A, V, Y)``: ``A = softmax_rows(X W X^T)`` (masked), ``V = X W_V``, ``Y = A V``."""
    A = ops.softmax(scores(ops, X, W), attention_mask(ops, X.shape[0], causal))
    V = X @ W_V
    return A, V, A @ V


def off_diagonal_mass(ops: Any, A: Any) -> Any:
    r"""``1 - A_ii = sum_{j != i} A_ij`` per row (no cancellation in floats)."""
    n = A.shape[0]
    off = ops.xp.arange(n)[:, None] != ops.xp.arange(n)[None, :]
    return ops.xp.where(off, A, 0 * A).sum(axis=-1)


def jacobian_formula(ops: Any, X: Any, W: Any, W_V: Any, A: Any, V: Any, Y: Any) -> Any:
    r"""T5.b's closed form ``J[i, j] = A_ij (W_V^T + (v_j - y_i) (W^T x_i)^T)``, shape (n, n, d_v, d).

    (For ``j = i`` the true derivative has further terms; those cases are never compared.)
    """
    gap = V[None, :, :] - Y[:, None, :]  # v_j - y_i, (n, n, d_v)
    query = X @ W  # rows x_i^T W = (W^T x_i)^T, (n, d)
    score_term = gap[:, :, :, None] * query[:, None, None, :]
    return A[:, :, None, None] * (W_V.T[None, None, :, :] + score_term)


def autodiff_jacobian(X: jax.Array, W: jax.Array, W_V: jax.Array, causal: jax.Array) -> jax.Array:
    """``dy_i/dx_j`` by automatic differentiation (``jax.jacfwd``, float64), shape (n, n, d_v, d)."""
    jac = jax.jacfwd(lambda Z: head_output(JAX, Z, W, W_V, causal)[2])(X)  # (n, d_v, n, d)
    return jnp.transpose(jac, (0, 2, 1, 3))


def forward_jacobian_arb(ops: Any, X: Any, W: Any, W_V: Any, causal: Any) -> np.ndarray:
    r"""``dy_i/dx_j`` in ball arithmetic by forward mode: ``x_jb`` carries the tangent 1.

    Every entry of ``X`` becomes an ``arb_series`` truncated at order 1 (a dual number over ``arb``);
    :func:`head_output` runs unchanged on them and the order-1 coefficients are the derivatives.
    """
    n, d = X.shape
    dv = W_V.shape[1]
    J = np.empty((n, n, dv, d), dtype=object)
    for j in range(n):
        for b in range(d):
            dual = np.empty((n, d), dtype=object)
            for idx in np.ndindex(n, d):
                tangent = flint.arb(1 if idx == (j, b) else 0)
                dual[idx] = flint.arb_series([X[idx], tangent], prec=2)
            Y = head_output(ops, dual, W, W_V, causal)[2]
            for i in range(n):
                for a in range(dv):
                    J[i, j, a, b] = Y[i, a][1]
    return J


def _pairs(ops: Any, M: Any) -> Any:
    """(n, n, ...) -> (n^2, ...): ordered pairs (i, j) as cases."""
    return M.reshape((M.shape[0] * M.shape[1],) + tuple(M.shape[2:]))


def _competitor(ops: Any, n: int) -> Any:
    idx = ops.xp.arange(n)
    return _pairs(ops, ops.xp.where(idx[:, None] != idx[None, :], 1, 0))


# ----------------------------------------------------------------------------------------------
# Observables per statement
# ----------------------------------------------------------------------------------------------


def output_observables(inst: Instance, ops: Any) -> dict[str, Any]:
    r"""T5.a per row: ``||y_i - v_i||``, ``max_{j != i} ||v_j - v_i||``; ``R``, ``max_i (1 - A_ii)``."""
    X, W, W_V = inst["X"], inst["W"], inst["W_V"]
    A, V, _ = head_output(ops, X, W, W_V, inst["causal"])
    n = X.shape[0]
    off = ops.xp.arange(n)[:, None] != ops.xp.arange(n)[None, :]
    gaps = V[None, :, :] - V[:, None, :]  # v_j - v_i at [i, j], (n, n, d_v)
    # y_i - v_i = sum_j A_ij (v_j - v_i): rows of a softmax sum to 1 (step 1 of the derivation);
    # summed this way there is no cancellation against v_i when A is nearly diagonal
    deviation = (A[:, :, None] * gaps).sum(axis=1)
    return {
        "out_dev": ops.norm(deviation),
        "spread": ops.masked_max(ops.norm(gaps), off, axis=-1),
        "R": ops.max(ops.norm(V)),
        "rest_max": ops.max(off_diagonal_mass(ops, A)),
        "eps": inst["eps"],
    }


def jacobian_observables(inst: Instance, ops: Any) -> dict[str, Any]:
    r"""T5.b per pair: ``<J_auto, J_formula>``, ``||J_auto||^2``, ``||J_formula||^2`` (and, in float64,
    the relative error ``||J_auto - J_formula||_F / ||J_formula||_F`` for the report)."""
    X, W, W_V, causal = inst["X"], inst["W"], inst["W_V"], inst["causal"]
    A, V, Y = head_output(ops, X, W, W_V, causal)
    formula = jacobian_formula(ops, X, W, W_V, A, V, Y)
    if ops.name == "jax":
        # traced: part of the check's program; on NumPy values (the search's oracle): one compiled
        # program per shape, not JAX's primitive-by-primitive dispatch
        if ops.xp is np:
            auto = call_compiled(autodiff_jacobian, X, W, W_V, causal)
        else:
            auto = autodiff_jacobian(X, W, W_V, causal)
    else:
        auto = forward_jacobian_arb(ops, X, W, W_V, causal)
    formula_sq = _pairs(ops, (formula * formula).sum(axis=(-2, -1)))
    out = {
        "jac_pairing": _pairs(ops, (auto * formula).sum(axis=(-2, -1))),
        "jac_autodiff_sq": _pairs(ops, (auto * auto).sum(axis=(-2, -1))),
        "jac_formula_sq": formula_sq,
        "competitor": _competitor(ops, X.shape[0]),
    }
    if ops.name == "jax":
        diff = auto - formula
        error = ops.xp.sqrt(_pairs(ops, (diff * diff).sum(axis=(-2, -1))))
        # the size of the two terms, A_ij (||W_V||_F + ||v_j - y_i|| ||W^T x_i||): the scale at which
        # float64 can resolve J when the terms nearly cancel
        terms = A * (
            ops.norm(W_V.reshape(-1)) + ops.norm(V[None] - Y[:, None]) * ops.norm(X @ W)[:, None]
        )
        out["jac_rel_error"] = error / ops.xp.maximum(ops.xp.sqrt(formula_sq), 1e-300)
        out["jac_term_error"] = error / ops.xp.maximum(_pairs(ops, terms), 1e-300)
    return out


def sensitivity_observables(inst: Instance, ops: Any) -> dict[str, Any]:
    r"""T5.c / T5-F1 per pair: ``||J||_2``, ``A_ij``, ``||W_V||_2``, ``||v_j - y_i||``, ``||W^T x_i||``.

    Ball arithmetic: ``jac_norm`` is the lower bound ``||J u|| / ||u||`` and ``wv_norm`` the proven
    upper bound supplied by :func:`spectral_certificates` (the direction that certifies a violation).
    """
    X, W, W_V, causal = inst["X"], inst["W"], inst["W_V"], inst["causal"]
    A, V, Y = head_output(ops, X, W, W_V, causal)
    J = jacobian_formula(ops, X, W, W_V, A, V, Y)
    n = X.shape[0]
    if ops.name == "jax":
        jac_norm = ops.xp.linalg.svd(J, compute_uv=False)[..., 0]
        wv_norm = ops.xp.linalg.svd(W_V, compute_uv=False)[0]
    else:
        u = inst["test_vectors"]  # (n, n, d)
        image = (J * u[:, :, None, :]).sum(axis=-1)
        jac_norm = ops.norm(image) / ops.norm(u)
        wv_norm = inst["wv_upper"]
    query = ops.norm(X @ W)  # ||W^T x_i||
    return {
        "jac_norm": _pairs(ops, jac_norm),
        "attn": _pairs(ops, A),
        "wv_norm": wv_norm,
        "value_gap": _pairs(ops, ops.norm(V[None, :, :] - Y[:, None, :])),
        "query_gain": _pairs(ops, query[:, None] + 0 * A),
        "competitor": _competitor(ops, n),
        "rest_max": ops.max(off_diagonal_mass(ops, A)),
        "eps": inst["eps"],
    }


# -- rigorous norm bounds (for certification) ---------------------------------------------------


def certified_spectral_upper_bound(W_V: Any) -> flint.arb:
    r"""A ball whose every point is ``>= ||W_V||_2``, for an exact (Fraction) ``W_V``.

    ``mu = sigma^2 (1 + SPECTRAL_SLACK)`` from the float SVD; ``mu I - G`` (``G`` the smaller Gram
    matrix of ``W_V``, in balls) factorised as ``L D L^T`` in ball arithmetic: if every pivot is
    proven ``> 0`` the exact matrix is positive definite, so ``||W_V||_2^2 < mu``. Otherwise the
    Frobenius norm, always an upper bound.
    """
    M = to_arb_array(W_V)
    G = M.T @ M if M.shape[1] <= M.shape[0] else M @ M.T
    sigma = float(np.linalg.norm(as_float_array(W_V), ord=2))
    mu = Fraction(sigma * sigma * (1.0 + SPECTRAL_SLACK)) + Fraction(1, 2**1000)
    mu_ball = flint.arb(flint.fmpq(mu.numerator, mu.denominator))
    if _positive_definite(mu_ball * np.eye(G.shape[0], dtype=int) - G):
        return mu_ball.sqrt()
    return ((M * M).sum()).sqrt()


def _positive_definite(M: np.ndarray) -> bool:
    """``L D L^T`` of a symmetric ball matrix; ``True`` iff every pivot is proven positive."""
    k = M.shape[0]
    L = np.empty((k, k), dtype=object)
    D = [flint.arb(0)] * k
    for i in range(k):
        for j in range(i):
            acc = M[i, j]
            for m in range(j):
                acc -= L[i, m] * L[j, m] * D[m]
            L[i, j] = acc / D[j]
        pivot = M[i, i]
        for m in range(i):
            pivot -= L[i, m] * L[i, m] * D[m]
        if not pivot > 0:
            return False
        D[i] = pivot
    return True


def spectral_certificates(exact: Instance) -> dict[str, Any]:
    """``prepare_exact`` of T5.c / T5-F1: test vectors for ``||J||_2`` and the bound on ``||W_V||_2``."""
    X, W, W_V = (as_float_array(exact[k]) for k in ("X", "W", "W_V"))
    causal = bool(exact["causal"])
    n = X.shape[0]
    mask = np.tril(np.ones((n, n), dtype=bool)) if causal else np.ones((n, n), dtype=bool)
    A = portable.softmax(X @ W @ X.T, mask)
    V = X @ W_V
    Y = A @ V
    J = A[:, :, None, None] * (
        W_V.T[None, None] + (V[None] - Y[:, None])[..., None] * (X @ W)[:, None, None, :]
    )
    _, _, vt = np.linalg.svd(J)
    u = vt[:, :, 0, :]  # top right-singular vectors, (n, n, d)
    u = np.where(np.linalg.norm(u, axis=-1, keepdims=True) > 0, u, 1.0)
    return {
        "test_vectors": to_arb_array(u),
        "wv_upper": certified_spectral_upper_bound(exact["W_V"]),
    }


# ----------------------------------------------------------------------------------------------
# Checks
# ----------------------------------------------------------------------------------------------


AGREEMENT = (
    Reported("worst_relative_error", "jac_rel_error", "max", where="competitor", machine=True),
    Reported("worst_error_relative_to_terms", "jac_term_error", "max", "competitor", machine=True),
)


def agreement_note(ev: Evidence) -> str:
    r"""T5.b's note: the worst Frobenius error of the closed form against autodiff over the
    cross-token pairs, relative to ``||J||_F`` and to the size of the two terms
    ``A_ij (||W_V||_F + ||v_j - y_i|| ||W^T x_i||)`` (the two differ only where the terms nearly
    cancel; float64 cannot do better than the latter). Target: 1e-12. The values are this
    machine's (``machine["reported"]``); the note shows their decade."""
    found = ev.machine.get("reported", {})
    relative = found.get("worst_relative_error")
    to_terms = found.get("worst_error_relative_to_terms")
    return (
        f"closed form vs autodiff, worst Frobenius error: {_decade(to_terms)} relative to the "
        f"terms' size, {_decade(relative)} relative to ||J||_F (values: {MACHINE_KEY})"
    )


def _decade(x: float | None) -> str:
    return decade_bound(math.nan if x is None else x)


_OUTPUT = HeadSampler()
_JACOBIAN = HeadSampler(extra_width=1, diagonal_share=0.3)


def checks() -> list[Any]:
    """The compiled checks of T5, in THEORY.md order."""
    return [
        RoundingAwareRelationCheck(
            T5.DIAGONAL_OUTPUT, _OUTPUT, output_observables, OUTPUT_SHAPES, head_family
        ),
        RoundingAwareRelationCheck(
            T5.CROSS_TOKEN_JACOBIAN,
            _JACOBIAN,
            jacobian_observables,
            JACOBIAN_SHAPES,
            head_family,
            reported=AGREEMENT,
            describe=agreement_note,
        ),
        RoundingAwareRelationCheck(
            T5.CROSS_TOKEN_SENSITIVITY,
            _JACOBIAN,
            sensitivity_observables,
            SENSITIVITY_SHAPES,
            head_family,
            prepare_exact=spectral_certificates,
        ),
        RoundingAwareRelationCheck(
            T5.CONTROL_DROP_SCORE_TERM,
            _JACOBIAN,
            sensitivity_observables,
            SENSITIVITY_SHAPES,
            head_family,
            prepare_exact=spectral_certificates,
            prefer_small=True,
        ),
    ]


__all__ = ["checks", "HeadSampler", "jacobian_formula", "autodiff_jacobian"]
