r"""Checks for T6 (depth: oversmoothing with and without switches) and its control.

One instance is a whole stack: initial tokens ``X_0`` and per-layer ``W_l``, ``W_{V,l}``; one *case* is
one layer. The sampler runs the stack forward in NumPy to *construct* each layer from the tokens it
will see (a planted rank-one sink ``c u v^T`` from T1.d for sink layers, a scaled identity from T4.d
for diagonal layers, both aimed at a random target ``eps``), and the observables then recompute the
whole stack from ``(X_0, W_l, W_{V,l})`` with the shared :class:`~proofs_check.backend.Ops` code, in
float64 (JAX, ``lax.scan`` over layers) or in ball arithmetic (the same step, a Python loop), so a
violation can be certified on the exact rational instance. The tolerances ``eps_l`` are *measured*
(``max_i (1 - A_is)``, ``max_i (1 - A_ii)``, ``1 - n min A_ij``), never assumed.

Numerics. Tokens are carried as ``X = Z + 1 m^T`` with ``Z`` centred: ``mu(X) = ||Z||_F`` and
``diam(X) = diam(Z)`` keep their relative accuracy when the stack collapses, and the softmax reads the
scores ``X W Z^T`` (row shifts of ``X W X^T``, hence the same attention). ``1 - tau`` is computed
without cancellation: ``1 - n A_ij = r/(1 + r)`` with ``r = mean_k expm1(s_ik - s_ij)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from proofs_check import portable
from proofs_check.checks.engine import Instance, RelationCheck
from proofs_check.checks.smoothing import exactly_row_stochastic
from proofs_check.instances import (
    TOKEN_FAMILIES,
    WEIGHT_FAMILIES,
    choose,
    sample_eps,
    sample_score_matrices,
    sample_tokens,
)
from proofs_check.observables.costs import EigenEnclosure, eigenvalue_enclosure
from theory import depth as T6

# (n, d) -> number of layers L (five shapes per statement: each costs one XLA compilation, ~1 s)
SINK_LAYERS = {(2, 1): 8, (4, 3): 16, (8, 4): 32, (32, 16): 16, (64, 64): 4}
DIAG_LAYERS = {(2, 1): 8, (3, 2): 16, (8, 4): 32, (16, 8): 32, (64, 64): 2}
DENSE_LAYERS = {(2, 1): 8, (4, 3): 8, (8, 4): 16, (32, 16): 8, (64, 64): 4}
SPREAD_LAYERS = {(2, 1): 1, (4, 2): 2, (8, 4): 2}

_SINKY = tuple(
    TOKEN_FAMILIES.index(f) for f in ("cone", "long_sink", "unit", "collapsed", "massive")
)
_DIAGONAL = tuple(
    TOKEN_FAMILIES.index(f)
    for f in ("unit", "cone", "gaussian", "clustered", "massive", "long_sink")
)
_ALL = tuple(range(len(TOKEN_FAMILIES)))

VALUE_FAMILIES = ("gaussian", "near_singular", "orthogonal", "contractive")

# ----------------------------------------------------------------------------------------------
# The stacks, written once for both backends: a state recursion, then per-layer observables
# computed for all layers at once (a leading layer axis) from the states before and after
# ----------------------------------------------------------------------------------------------


def _centred(ops: Any, X: Any) -> Any:
    """``(I - J) X`` (also batched over leading axes)."""
    return X - X.sum(axis=-2)[..., None, :] / X.shape[-2]


def _mu(ops: Any, Z: Any) -> Any:
    """``mu = ||Z||_F`` for centred ``Z`` (batched over leading axes)."""
    return ops.xp.sqrt((Z * Z).sum(axis=(-2, -1)))


def _diam(ops: Any, Z: Any) -> Any:
    r"""``max_{i,k} ||z_i - z_k||`` from the Gram matrix (accurate for the max when ``Z`` is centred:
    then ``diam^2 >= max_i ||z_i||^2``); ``sqrt`` of the largest squared distance only."""
    sq = (Z * Z).sum(axis=-1)
    dist_sq = sq[..., :, None] + sq[..., None, :] - 2 * (Z @ _t(ops, Z))
    flat = dist_sq.reshape(dist_sq.shape[:-2] + (-1,))
    return ops.xp.sqrt(ops.max(flat, axis=-1))


def _t(ops: Any, M: Any) -> Any:
    return ops.xp.swapaxes(M, -1, -2)


def _off_target_mass(ops: Any, A: Any, target: Any) -> Any:
    """``max_i sum_{j != t_i} A_ij`` (= ``max_i (1 - A_{i t_i})`` without cancellation)."""
    return ops.max(ops.xp.where(target, 0 * A, A).sum(axis=-1), axis=-1)


def _max_row_norm(ops: Any, V: Any) -> Any:
    return ops.xp.sqrt(ops.max((V * V).sum(axis=-1), axis=-1))


def _sink_values(ops: Any, X: Any, WV: Any, s: Any) -> Any:
    """``V = X W_V`` with the sink's row set to 0 (a zero-value sink)."""
    keep = (ops.xp.arange(X.shape[-2]) != s)[:, None]
    return ops.xp.where(keep, X @ WV, 0 * X[..., :1])


def run_states(
    ops: Any,
    step: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]],
    state: dict[str, Any],
    layers: dict[str, Any],
) -> dict[str, Any]:
    """States after each layer, stacked on a leading axis (``lax.scan`` on JAX arrays, else a loop:
    balls, or plain NumPy floats)."""
    if ops.xp is jnp:

        def body(carry: dict[str, Any], layer: dict[str, Any]) -> tuple[Any, Any]:
            new = step(carry, layer)
            return new, new

        return jax.lax.scan(body, state, layers)[1]
    depth = len(next(iter(layers.values())))
    seen = []
    for index in range(depth):
        state = step(state, {k: v[index] for k, v in layers.items()})
        seen.append(state)
    return {k: np.stack([st[k] for st in seen]) for k in seen[0]}


def _before(ops: Any, first: Any, after: Any) -> Any:
    """States before each layer: ``[first, after_0, ..., after_{L-2}]``."""
    return ops.xp.concatenate([first[None], after[:-1]])


def sink_step(ops: Any, state: dict[str, Any], layer: dict[str, Any], s: Any) -> dict[str, Any]:
    r"""``X' = X + A V`` with ``v_s = 0``."""
    X = state["X"]
    A = ops.softmax(X @ layer["W"] @ X.T)
    return {"X": X + A @ _sink_values(ops, X, layer["WV"], s)}


def diagonal_step(ops: Any, state: dict[str, Any], layer: dict[str, Any]) -> dict[str, Any]:
    r"""``X' = X + A X W_V`` in centred form: ``Z' = Z + (I - J) A Z W_V``, ``m' = m + mean(A X W_V)``."""
    Z, m = state["Z"], state["m"]
    X = Z + m[None, :]
    A = ops.softmax(X @ layer["W"] @ Z.T)  # row shifts of X W X^T: the same attention
    V = X @ layer["WV"]
    return {
        "Z": Z + _centred(ops, A @ (Z @ layer["WV"])),
        "m": m + (A @ V).sum(axis=0) / X.shape[0],
    }


def _dense_attention_parts(ops: Any, X: Any, W: Any, Z: Any) -> tuple[Any, Any, Any]:
    r"""``E = expm1(s_ij - min_k s_ik)`` and its row mean ``r``: ``n A_ij = (1 + E_ij)/(1 + r_i)``,
    so ``A - 11^T/n = (E - r)/(n (1 + r))`` and ``1 - n min_j A_ij = r/(1 + r)``, all cancellation-free."""
    T = X @ W @ _t(ops, Z)
    E = ops.xp.expm1(T - ops.min(T, axis=-1)[..., None])
    r = E.sum(axis=-1) / T.shape[-1]
    return T, E, r


def dense_step(ops: Any, state: dict[str, Any], layer: dict[str, Any]) -> dict[str, Any]:
    r"""``X' = A X`` in centred form: ``A Z = (A - 11^T/n) Z`` (as ``1^T Z = 0``), ``Z' = (I - J) A Z``."""
    Z, m = state["Z"], state["m"]
    n = Z.shape[0]
    _, E, r = _dense_attention_parts(ops, Z + m[None, :], layer["W"], Z)
    AZ = ((E - r[:, None]) / (n * (1 + r))[:, None]) @ Z
    return {"Z": _centred(ops, AZ), "m": m + AZ.sum(axis=0) / n}


# ----------------------------------------------------------------------------------------------
# Observables
# ----------------------------------------------------------------------------------------------


def sink_stack_observables(inst: Instance, ops: Any) -> dict[str, Any]:
    X0, s, Ws, WVs = inst["X"], inst["s"], inst["Ws"], inst["WVs"]
    after = run_states(
        ops, lambda st, layer: sink_step(ops, st, layer, s), {"X": X0}, {"W": Ws, "WV": WVs}
    )["X"]
    before = _before(ops, X0, after)
    A = ops.softmax(before @ Ws @ _t(ops, before))
    V = _sink_values(ops, before, WVs, s)
    eps_l = _off_target_mass(ops, A, (ops.xp.arange(X0.shape[0]) == s)[None, :])
    R_l = _max_row_norm(ops, V)
    return {
        "mu_prev": _mu(ops, _centred(ops, before)),
        "mu_next": _mu(ops, _centred(ops, after)),
        "eps_l": eps_l,
        "R_l": R_l,
        "drift": ops.xp.cumsum(eps_l * R_l),
        "mu_first": _mu(ops, _centred(ops, X0)),
        "n": X0.shape[0],
    }


def diagonal_stack_observables(inst: Instance, ops: Any) -> dict[str, Any]:
    X0, Ws, WVs = inst["X"], inst["Ws"], inst["WVs"]
    n = X0.shape[0]
    first = {"Z": _centred(ops, X0), "m": X0.sum(axis=0) / n}
    after = run_states(
        ops, lambda st, layer: diagonal_step(ops, st, layer), first, {"W": Ws, "WV": WVs}
    )
    Z = _before(ops, first["Z"], after["Z"])
    X = Z + _before(ops, first["m"], after["m"])[:, None, :]
    A = ops.softmax(X @ Ws @ _t(ops, Z))
    cols = ops.xp.arange(n)
    return {
        "mu_prev": _mu(ops, Z),
        "mu_next": _mu(ops, after["Z"]),
        "eps_l": _off_target_mass(ops, A, cols[None, :] == cols[:, None]),
        "R_l": _max_row_norm(ops, X @ WVs),
        "sigma_min_v": inst["sigma_min_v"],
        "n": n,
    }


def dense_stack_observables(inst: Instance, ops: Any) -> dict[str, Any]:
    X0, Ws = inst["X"], inst["Ws"]
    n = X0.shape[0]
    first = {"Z": _centred(ops, X0), "m": X0.sum(axis=0) / n}
    after = run_states(ops, lambda st, layer: dense_step(ops, st, layer), first, {"W": Ws})
    Z = _before(ops, first["Z"], after["Z"])
    X = Z + _before(ops, first["m"], after["m"])[:, None, :]
    _, _, r = _dense_attention_parts(ops, X, Ws, Z)
    one_minus_tau = ops.max(r / (1 + r), axis=-1)
    return {
        "one_minus_tau": one_minus_tau,
        "contraction": ops.xp.cumprod(one_minus_tau),
        "diam_prev": _diam(ops, Z),
        "diam_next": _diam(ops, after["Z"]),
        "diam_first": _diam(ops, first["Z"]),
        "mu_prev": _mu(ops, Z),
        "mu_next": _mu(ops, after["Z"]),
        "n": n,
    }


# ----------------------------------------------------------------------------------------------
# Samplers: the stack is run forward in NumPy to build each layer for the tokens it will see
# ----------------------------------------------------------------------------------------------


def _targets(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    return sample_eps(rng, shape[0] * shape[1]).reshape(shape)


def _value_maps(rng: np.random.Generator, B: int, L: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    """``W_V`` per layer: Gaussian, ``I + W_V`` near-singular, orthogonal, contractive."""
    G = rng.standard_normal((B, L, d, d)) / np.sqrt(d)
    scale = portable.log_uniform(rng, -1.5, 0.5, (B, L))[:, :, None, None]
    Q = portable.settle(np.linalg.qr(rng.standard_normal((B, L, d, d)))[0])  # LAPACK: settle
    eye = np.eye(d)
    delta = portable.log_uniform(rng, -4.0, -1.0, (B, L))[:, :, None, None]
    kind = rng.integers(0, len(VALUE_FAMILIES), (B, L))
    variants = np.stack(
        [scale * G, -eye + delta * G, Q - eye, -0.5 * eye + 0.1 * scale * G]
    )  # (4, B, L, d, d)
    WV = np.take_along_axis(variants, kind[None, :, :, None, None], axis=0)[0]
    return WV, kind


@dataclass(frozen=True)
class SinkStackSampler:
    """Stacks whose layers plant a zero-value sink ``c u v^T`` aimed at a random ``eps`` (T1.d)."""

    layers: dict[tuple[int, int], int]
    token_families: tuple[int, ...] = _SINKY
    no_sink_fraction: float = (
        0.1  # layers with a plain Gaussian W (eps_l large): the bound still applies
    )

    def __call__(self, rng: np.random.Generator, n: int, d: int, batch: int) -> Instance:
        L = self.layers[(n, d)]
        s = rng.integers(0, n, batch)
        tf = choose(rng, self.token_families, batch)
        X = sample_tokens(rng, tf, n, d, s)
        WVs = (
            rng.standard_normal((batch, L, d, d))
            / np.sqrt(d)
            * portable.log_uniform(rng, -1.5, 0.0, (batch, L))[:, :, None, None]
        )
        target = _targets(rng, (batch, L))
        plain = rng.random((batch, L)) < self.no_sink_fraction
        G = rng.standard_normal((batch, L, d, d)) / np.sqrt(d)
        Ws = np.zeros((batch, L, d, d))
        rows = np.arange(batch)
        keep = (np.arange(n)[None, :] != s[:, None])[:, :, None]
        Xl = X.copy()
        for layer in range(L):
            u = Xl.mean(axis=1)
            u /= np.linalg.norm(u, axis=-1, keepdims=True) + 1e-300
            others = np.where(keep, Xl, 0.0).sum(axis=1) / max(n - 1, 1)
            v = Xl[rows, s] - others
            v /= np.linalg.norm(v, axis=-1, keepdims=True) + 1e-300
            gu = np.einsum("bnd,bd->bn", Xl, u).min(axis=1)
            gaps = np.einsum("bnd,bd->bn", Xl[rows, s][:, None, :] - Xl, v)
            gv = np.where(keep[:, :, 0], gaps, np.inf).min(axis=1)
            ok = (gu > 0) & (gv > 0) & ~plain[:, layer]
            eps = target[:, layer]
            c = portable.log((n - 1) * (1 - eps) / eps) / np.where(ok, gu * gv, 1.0)
            W = np.where(
                ok[:, None, None], c[:, None, None] * u[:, :, None] * v[:, None, :], G[:, layer]
            )
            Ws[:, layer] = W
            A = portable.softmax(Xl @ W @ np.swapaxes(Xl, 1, 2))
            V = np.where(keep, Xl @ WVs[:, layer], 0.0)
            Xl = Xl + A @ V
        return {"X": X, "s": s, "Ws": Ws, "WVs": WVs, "token_family": tf}


@dataclass(frozen=True)
class DiagonalStackSampler:
    """Stacks whose layers use ``W = (L_n(eps)/g) I`` (T4.d) when ``g > 0``, else a scaled ``I + G``."""

    layers: dict[tuple[int, int], int]
    token_families: tuple[int, ...] = _DIAGONAL

    def __call__(self, rng: np.random.Generator, n: int, d: int, batch: int) -> Instance:
        L = self.layers[(n, d)]
        tf = choose(rng, self.token_families, batch)
        X = sample_tokens(rng, tf, n, d, np.zeros(batch, dtype=int))
        WVs, kinds = _value_maps(rng, batch, L, d)
        target = _targets(rng, (batch, L))
        G = rng.standard_normal((batch, L, d, d)) / np.sqrt(d)
        fallback = portable.log_uniform(rng, 0.0, 1.5, (batch, L))
        Ws = np.zeros((batch, L, d, d))
        off = ~np.eye(n, dtype=bool)
        Xl = X.copy()
        for layer in range(L):
            gram = Xl @ np.swapaxes(Xl, 1, 2)
            diag = np.diagonal(gram, axis1=1, axis2=2)
            g = np.where(off[None], diag[:, :, None] - gram, np.inf).min(axis=(1, 2))
            eps = target[:, layer]
            c = np.where(
                g > 0,
                portable.log(max(n - 1, 1) * (1 - eps) / eps) / np.where(g > 0, g, 1.0),
                fallback[:, layer],
            )
            W = c[:, None, None] * (
                np.eye(d)[None] + np.where(g > 0, 0.0, 0.3)[:, None, None] * G[:, layer]
            )
            Ws[:, layer] = W
            A = portable.softmax(Xl @ W @ np.swapaxes(Xl, 1, 2))
            Xl = Xl + A @ (Xl @ WVs[:, layer])
        return {"X": X, "Ws": Ws, "WVs": WVs, "token_family": tf, "value_kinds": kinds}


@dataclass(frozen=True)
class DenseStackSampler:
    """Stacks without residual: ``W_l`` Gaussian, PSD or low-rank, scaled to the tokens' size."""

    layers: dict[tuple[int, int], int]
    token_families: tuple[int, ...] = _ALL

    def __call__(self, rng: np.random.Generator, n: int, d: int, batch: int) -> Instance:
        L = self.layers[(n, d)]
        tf = choose(rng, self.token_families, batch)
        X = sample_tokens(rng, tf, n, d, rng.integers(0, n, batch))
        size = np.max(np.sum(X * X, axis=-1), axis=1)[:, None, None, None]
        kappa = portable.log_uniform(rng, -1.0, 1.5, (batch, L))[:, :, None, None]
        G = rng.standard_normal((batch, L, d, d)) / np.sqrt(d)
        a, b = rng.standard_normal((2, batch, L, d))
        kind = rng.integers(0, 3, (batch, L))[:, :, None, None]
        variants = np.where(
            kind == 0,
            G,
            np.where(kind == 1, G @ np.swapaxes(G, 2, 3), a[..., :, None] * b[..., None, :] / d),
        )
        return {"X": X, "Ws": kappa * variants / size, "token_family": tf}


def stack_family(inst: Instance) -> str:
    label = TOKEN_FAMILIES[int(inst["token_family"])]
    return f"{label}/L={np.shape(inst['Ws'])[0]}"


# ----------------------------------------------------------------------------------------------
# sigma_min(I + W_V) per layer: float (prepare) and proven balls (prepare_exact)
# ----------------------------------------------------------------------------------------------


def sigma_min_float(inst: Instance) -> dict[str, np.ndarray]:
    WV = np.asarray(inst["WVs"], dtype=float)
    M = np.eye(WV.shape[-1])[None] + WV
    return {"sigma_min_v": np.linalg.svd(M, compute_uv=False)[:, -1]}


def sigma_min_exact(inst: Instance) -> dict[str, np.ndarray]:
    r"""``sigma_min(I + W_V)`` as a proven ball: ``sqrt`` of an enclosure of ``lambda_min(M^T M)``.

    The rational enclosure does not depend on the working precision; it is computed once per matrix
    (the certifier calls this at every precision) and only turned into a ball at the current one.
    """
    WV = inst["WVs"]
    out = np.empty(WV.shape[0], dtype=object)
    for layer in range(WV.shape[0]):
        lo, hi = _singular_square_enclosure(tuple(Fraction(v) for v in WV[layer].reshape(-1)))
        out[layer] = EigenEnclosure(lo, hi, "min").ball().sqrt()
    return {"sigma_min_v": out}


@lru_cache(maxsize=256)
def _singular_square_enclosure(entries: tuple[Fraction, ...]) -> tuple[Fraction, Fraction]:
    """Proven ``[lo, hi]`` around ``sigma_min(I + W_V)^2`` (``lo >= 0``), ``W_V`` given row-major."""
    d = math.isqrt(len(entries))
    M = np.eye(d, dtype=object) + np.array(entries, dtype=object).reshape(d, d)
    enclosure = eigenvalue_enclosure(M.T.dot(M), "min")
    if enclosure is None:
        raise ArithmeticError("no proven enclosure of sigma_min(I + W_V)")
    lo = max(enclosure.lo, Fraction(0))
    return lo, max(enclosure.hi, lo)


# ----------------------------------------------------------------------------------------------
# T6.d and T6-F2: one row-stochastic A acting on X (no residual), every kind of A
# ----------------------------------------------------------------------------------------------

ROW_STOCHASTIC_KINDS = ("softmax", "causal", "dirichlet", "near_one_hot", "near_uniform", "sparse")
DOBRUSHIN_SHAPES = ((2, 1), (3, 2), (4, 3), (8, 4), (32, 16), (64, 64))
ROUNDING = 1e-12  # a bound met with equality (n = 2) is violated by rounding only


def _pair_diam(ops: Any, diffs: Any) -> Any:
    r"""``max_{i,k} ||y_i - y_k||`` from the differences ``(n, n, d)`` themselves (no Gram matrix)."""
    return ops.xp.sqrt(ops.max((diffs * diffs).sum(axis=-1).reshape(-1)))


def dobrushin_observables(inst: Instance, ops: Any) -> dict[str, Any]:
    r"""T6.d: ``diam(X)``, ``diam(A X)``, ``delta(A) = (1/2) max_{i,k} ||a_i - a_k||_1``, the best
    pair's ``(1/2) min_{i != k} ||a_i - a_k||_1`` (T6-F2) and ``1 - tau = max_i sum_j (A_ij - min_j A_ij)``
    (``= 1 - n min_ij A_ij`` for stochastic rows, without cancellation).

    ``y_i - y_k = (a_i - a_k) X`` is computed as ``(a_i - a_k) X~`` (``X~`` centred): the same for
    exactly stochastic rows (the certificate renormalises them), and accurate when two rows are
    nearly equal (nearly one-hot onto one sink, nearly uniform), where ``y_i - y_k`` would cancel."""
    X, A = inst["X"], inst["A"]
    n = X.shape[0]
    row_diffs = A[:, None, :] - A[None, :, :]
    l1 = ops.xp.abs(row_diffs).sum(axis=-1) / 2
    off = ~np.eye(n, dtype=bool)
    return {
        "diam_prev": _pair_diam(ops, X[:, None, :] - X[None, :, :]),
        "diam_next": _pair_diam(ops, row_diffs @ _centred(ops, X)),
        "dobrushin": ops.max(l1.reshape(-1)),
        "dobrushin_best_pair": ops.masked_min(l1.reshape(-1), off.reshape(-1)),
        "one_minus_tau": ops.max((A - ops.min(A)[:, None]).sum(axis=-1)),
    }


@dataclass(frozen=True)
class RowStochasticSampler:
    r"""``(X, A)``: every token family; ``A`` the softmax of ``X W X^T`` (every score family, so long
    sequences have tiny entries and T6.c's ``1 - tau`` is near 1), causal softmax (zeros above the
    diagonal: ``tau = 0``), Dirichlet rows, nearly one-hot rows (a sink, or each row its own token),
    nearly uniform rows, and random sparse supports."""

    def __call__(self, rng: np.random.Generator, n: int, d: int, batch: int) -> Instance:
        s = rng.integers(0, n, batch)
        tf = choose(rng, _ALL, batch)
        X = sample_tokens(rng, tf, n, d, s)
        W = sample_score_matrices(rng, choose(rng, tuple(range(len(WEIGHT_FAMILIES))), batch), X, s)
        S = X @ W @ np.swapaxes(X, 1, 2)
        causal = np.tril(np.ones((n, n), dtype=bool))
        G = rng.standard_normal((batch, n, n))
        gamma = portable.log_uniform(rng, -6.0, -1.0, (batch, 1, 1))
        hot = np.where(rng.random((batch, 1, 1)) < 0.5, np.eye(n)[None], np.eye(n)[s][:, None, :])
        support = (rng.random((batch, n, n)) < 0.5) | np.eye(n, dtype=bool)[None]
        concentration = portable.log_uniform(rng, -1.3, 1.0, (batch, 1, 1))
        dirichlet = rng.gamma(np.broadcast_to(concentration, (batch, n, n)))
        dirichlet = np.maximum(dirichlet, 1e-300)
        variants = np.stack(
            [
                portable.softmax(S),
                portable.softmax(np.where(causal, S, -np.inf)),
                dirichlet / dirichlet.sum(axis=-1, keepdims=True),
                (1.0 - gamma) * hot + gamma * portable.softmax(G),
                portable.softmax(gamma * G),
                portable.softmax(np.where(support, G, -np.inf)),
            ]
        )
        kind = rng.integers(0, len(ROW_STOCHASTIC_KINDS), batch)
        A = variants[kind, np.arange(batch)]
        return {"X": X, "A": A, "token_family": tf, "attention_kind": kind}


def row_stochastic_family(inst: Instance) -> str:
    return (
        f"{TOKEN_FAMILIES[int(inst['token_family'])]}/"
        f"{ROW_STOCHASTIC_KINDS[int(inst['attention_kind'])]}"
    )


# ----------------------------------------------------------------------------------------------


def dobrushin_check(statement: Any, prefer_small: bool = False) -> RelationCheck:
    """A relation check on one row-stochastic ``A`` and tokens ``X`` (rows renormalised exactly)."""
    return RelationCheck(
        statement,
        RowStochasticSampler(),
        dobrushin_observables,
        DOBRUSHIN_SHAPES,
        row_stochastic_family,
        prepare_exact=exactly_row_stochastic,
        rounding_floor=ROUNDING,
        prefer_small=prefer_small,
    )


def checks() -> list[Any]:
    """The checks of T6, in THEORY.md order."""
    return [
        RelationCheck(
            T6.SINK_LAYERS,
            SinkStackSampler(SINK_LAYERS),
            sink_stack_observables,
            tuple(SINK_LAYERS),
            stack_family,
        ),
        RelationCheck(
            T6.DIAGONAL_LAYERS,
            DiagonalStackSampler(DIAG_LAYERS),
            diagonal_stack_observables,
            tuple(DIAG_LAYERS),
            stack_family,
            prepare=sigma_min_float,
            prepare_exact=sigma_min_exact,
        ),
        RelationCheck(
            T6.DENSE_COLLAPSE,
            DenseStackSampler(DENSE_LAYERS),
            dense_stack_observables,
            tuple(DENSE_LAYERS),
            stack_family,
        ),
        dobrushin_check(T6.PAIRWISE_DOBRUSHIN),
        RelationCheck(
            T6.CONTROL_ATTENTION_NEVER_SPREADS,
            DenseStackSampler(SPREAD_LAYERS),
            dense_stack_observables,
            tuple(SPREAD_LAYERS),
            stack_family,
        ),
        dobrushin_check(T6.CONTROL_BEST_PAIR_DOBRUSHIN, prefer_small=True),
    ]
