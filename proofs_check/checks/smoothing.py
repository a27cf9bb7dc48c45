r"""Compiled checks for T3 (dense vs sparse smoothing), its controls, and the exploration E3.

* T3.a, T3.d and the controls T3-F1, T3-F2 are relation checks: sampled instances ``(X, A, B, V)``
  and probe points ``alpha`` of the box, observables from :mod:`proofs_check.observables.smoothing`
  (one code path for float64 and ball arithmetic), the statements' SymPy relations.
* T3.b and T3.c are "iff" statements, each direction a conclusion with its own ``given`` (one
  side, counted by the engine): when the condition holds, ``f(alpha) >= f(0)`` at every probe
  (vertices and interior points of the box); when it fails, the explicit witness ``t* e_i``
  (``t* 1`` for T3.c) must decrease ``f``. A side met by fewer than ``min_per_side`` instances makes
  the verdict VACUOUS; a violation within ``ROUNDING`` times the instance's ``rounding_scale`` is
  not escalated (``rounding_multiple``).
* E3 (:func:`temperature_check`) is a relation check too, on a grid of temperatures: the engine's
  phases find and certify a decrease of ``mu(X + A_beta V)``; what it finds is REPORTED.

Certification reads the instance as exact rationals; ``A`` and ``B`` are then renormalised so that
every row sums to exactly 1 (the float rows sum to 1 only up to rounding), so a certified
counterexample is about genuinely row-stochastic matrices.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from proofs_check import portable
from proofs_check.backend import to_arb_array
from proofs_check.certify import Certificate
from proofs_check.checks.engine import VIOLATED, Instance, RelationCheck, Reported
from proofs_check.evidence import Evidence
from proofs_check.instances import (
    TOKEN_FAMILIES,
    WEIGHT_FAMILIES,
    choose,
    sample_score_matrices,
    sample_tokens,
    sample_values,
)
from proofs_check.observables.smoothing import (
    NUMPY,
    centred,
    centred_dense_output,
    linear_term_parts,
    mu,
    mu_squared,
    named_diagonal_margins,
    named_sink_margins,
    quadratic_term,
    row_curvatures,
    row_margins,
    row_witness,
    smoothing_objective,
    sparsification_shift,
    squared_frobenius,
    uniform_margin,
    uniform_witness,
)
from proofs_check.stable import MACHINE_KEY, stable_text
from theory import smoothing as T3

SHAPES = ((2, 1), (3, 2), (4, 3), (8, 8), (32, 16), (64, 64))

TARGETS = ("sink_zero_value", "diagonal", "sink", "random")  # codes 0, 1 match theory.smoothing
ATTENTION_KINDS = ("softmax", "causal", "dirichlet", "near_uniform", "near_target")
VALUE_KINDS = (
    "gaussian",
    "psd",
    "contracting",
    "low_rank",
    "equal_others",
    "cancelling",
    "near_zero_hull",
    "condition_favouring",  # only through SmoothingSampler.favour_condition
    "mean_cancelling",  # only through SmoothingSampler.cancel_mean
)
PROBES = 8  # probe points alpha per instance

_ALL_TARGETS = tuple(range(len(TARGETS)))
_NAMED_TARGETS = (TARGETS.index("sink_zero_value"), TARGETS.index("diagonal"))
_ZERO_SINK_ONLY = (TARGETS.index("sink_zero_value"),)


# ----------------------------------------------------------------------------------------------
# Sampling
# ----------------------------------------------------------------------------------------------


def _softmax_rows(S: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    if mask is not None:
        S = np.where(mask, S, -np.inf)
    S = S - S.max(axis=-1, keepdims=True)
    E = portable.exp(S)
    return E / E.sum(axis=-1, keepdims=True)


def _dirichlet_rows(rng: np.random.Generator, batch: int, n: int) -> np.ndarray:
    concentration = portable.pow10(rng.uniform(-1.3, 1.0, batch))[:, None, None]
    G = rng.gamma(np.broadcast_to(concentration, (batch, n, n)))
    G = np.maximum(G, 1e-300)
    return G / G.sum(axis=-1, keepdims=True)


def _targets(rng: np.random.Generator, kinds: np.ndarray, s: np.ndarray, n: int) -> np.ndarray:
    batch = kinds.shape[0]
    sink = np.zeros((batch, n, n))
    sink[np.arange(batch), :, s] = 1.0
    eye = np.broadcast_to(np.eye(n), (batch, n, n))
    variants = np.stack([sink, eye, sink, _dirichlet_rows(rng, batch, n)])
    return variants[kinds, np.arange(batch)]


def _attention(
    rng: np.random.Generator, kinds: np.ndarray, S: np.ndarray, B: np.ndarray
) -> np.ndarray:
    batch, n, _ = S.shape
    causal = np.tril(np.ones((n, n), dtype=bool))
    scale = np.max(np.abs(S), axis=(1, 2), keepdims=True) + 1e-300
    temperature = portable.log_uniform(rng, -3.0, -1.0, (batch, 1, 1))
    gamma = portable.log_uniform(rng, -6.0, -1.0, (batch, 1, 1))
    dense = _softmax_rows(S)
    variants = np.stack(
        [
            dense,
            _softmax_rows(S, causal),
            _dirichlet_rows(rng, batch, n),
            _softmax_rows(temperature * S / scale),
            (1.0 - gamma) * B + gamma * dense,  # delta near 0
        ]
    )
    return variants[kinds, np.arange(batch)]


def _values(
    rng: np.random.Generator, kinds: np.ndarray, X: np.ndarray, s: np.ndarray
) -> np.ndarray:
    batch, n, d = X.shape
    G = rng.standard_normal((batch, d, d)) / np.sqrt(d)
    scale = portable.log_uniform(rng, -1.0, 1.0, (batch, 1, 1))
    eye = np.eye(d)[None]
    c = rng.uniform(0.05, 0.95, (batch, 1, 1))
    a, b = rng.standard_normal((2, batch, d))
    projections = [
        scale * G,
        scale * (eye + G @ np.swapaxes(G, 1, 2)),
        -c * eye + 0.1 * G,
        scale * a[:, :, None] * b[:, None, :] / d,
    ]
    projected = np.stack([X @ W for W in projections])[np.minimum(kinds, 3), np.arange(batch)]
    # equal non-sink values, cancelling pairs, a hull nearly through 0 (instances.VALUE_FAMILIES 2-4)
    structured = sample_values(rng, np.where(kinds >= 4, kinds - 2, 0), X, s, d)
    return np.where((kinds >= 4)[:, None, None], structured, projected)


@dataclass(frozen=True)
class SmoothingSampler:
    r"""Instances ``(X, A, B, V)`` of T3 with probe points of the box.

    Tokens: every family of :mod:`proofs_check.instances`. Attention ``A``: softmax of ``X W X^T``
    (every score family), causal, random row-stochastic (Dirichlet rows), nearly uniform, and
    ``(1 - gamma) B + gamma softmax`` with ``gamma`` down to ``1e-6`` (``Delta`` near 0). Targets
    ``B``: zero-value sink (``v_s = 0``), diagonal, sink with its own value, Dirichlet rows. Values
    ``V = X W_V`` (Gaussian, expanding PSD, contracting, low-rank ``W_V``) or structured values (equal
    non-sink values, cancelling pairs, a hull nearly through 0).

    ``favour_condition``: the fraction of instances whose values are drawn so that T3.b's condition
    tends to hold (:func:`condition_favouring_values`), for every target, so that both directions
    of the "iff" are exercised at every ``n`` and for every kind of ``B``. ``probes``: ``"box"``
    (vertices, interior points, short steps along an edge) or ``"uniform"`` (``t 1``).
    """

    targets: tuple[int, ...] = _ALL_TARGETS
    probes: str = "box"
    favour_condition: float = 0.0
    cancel_mean: float = 0.0

    def __call__(self, rng: np.random.Generator, n: int, d: int, batch: int) -> Instance:
        ak = choose(rng, tuple(range(len(ATTENTION_KINDS))), batch)
        # with a causal mask the sink of T3 is the first token, as in decoder models
        s = np.where(ak == ATTENTION_KINDS.index("causal"), 0, rng.integers(0, n, batch))
        tf = choose(rng, tuple(range(len(TOKEN_FAMILIES))), batch)
        X = redraw_consensus(rng, sample_tokens(rng, tf, n, d, s))
        wf = choose(rng, tuple(range(len(WEIGHT_FAMILIES))), batch)
        W = sample_score_matrices(rng, wf, X, s)
        S = X @ W @ np.swapaxes(X, 1, 2)
        tk = choose(rng, self.targets, batch)
        vk = choose(rng, tuple(range(VALUE_KINDS.index("condition_favouring"))), batch)
        favoured = rng.random(batch) < self.favour_condition
        B = _targets(rng, tk, s, n)
        A = _attention(rng, ak, S, B)
        zero_sink = (tk == TARGETS.index("sink_zero_value"))[:, None, None]
        sink_row = np.arange(n)[None, :, None] == s[:, None, None]
        V = _values(rng, vk, X, s)
        if favoured.any():
            frozen = (zero_sink & sink_row[:, None, :, 0])[favoured]
            favouring = condition_favouring_values(
                rng, X[favoured], A[favoured], B[favoured], frozen
            )
            usable = np.all(np.isfinite(favouring), axis=(1, 2))
            favoured[np.flatnonzero(favoured)[~usable]] = False
            V[favoured] = favouring[usable]
        vk = np.where(favoured, VALUE_KINDS.index("condition_favouring"), vk)
        V = np.where(zero_sink & sink_row, 0.0, V)
        if self.cancel_mean > 0:
            cancelled = mean_cancelling(rng, self.cancel_mean, zero_sink[:, 0, 0])
            V = np.where(cancelled[:, None, None], mean_cancelling_values(X, A, V), V)
            vk = np.where(cancelled, VALUE_KINDS.index("mean_cancelling"), vk)
        inst: Instance = {
            "X": X,
            "A": A,
            "B": B,
            "V": V,
            "target_kind": tk,
            "token_family": tf,
            "attention_kind": ak,
            "value_kind": vk,
        }
        if self.probes == "uniform":
            inst["t"] = _uniform_steps(rng, batch)
        elif self.probes == "box":
            inst["alpha"] = _box_probes(rng, batch, n)
            inst["beta"] = _box_probes(rng, batch, n)
        return inst


def mean_cancelling(rng: np.random.Generator, fraction: float, zero_sink: np.ndarray) -> np.ndarray:
    """About ``fraction`` of the instances, never one with a zero-value sink (its row must stay 0)."""
    return (rng.random(zero_sink.shape[0]) < fraction) & ~zero_sink


def mean_cancelling_values(X: np.ndarray, A: np.ndarray, V: np.ndarray) -> np.ndarray:
    r"""``V + 1 w^T`` with ``w = -x_bar - mean(A V)``: then ``m_A = -x_bar`` (T3-F5's regime).

    ``A`` is row-stochastic, so ``A (V + 1 w^T) = A V + 1 w^T``: the mean row of the new ``A V`` is
    ``-x_bar``, ``X + A V`` is centred and ``nu(X + A V) = 1``.
    """
    w = -X.mean(axis=1) - portable.matmul(A, V).mean(axis=1)  # BLAS-free: the same bits anywhere
    return V + w[:, None, :]


def condition_favouring_values(
    rng: np.random.Generator, X: np.ndarray, A: np.ndarray, B: np.ndarray, frozen: np.ndarray
) -> np.ndarray:
    r"""Small values ``V`` with ``(B - A) V`` close to ``eps (I - J) X``: sparsifying a row moves the
    token away from the mean, the regime where T3.b's condition holds.

    Then ``delta_i ~ eps (x_i - x_bar)`` and ``z_i = x_i - x_bar + O(eps)``, so every margin is about
    ``eps ||x_i - x_bar||^2 >= 0`` (larger ``eps`` and the least-squares residual push some rows
    across: both sides of the "iff" occur). ``frozen[b, 0, j]`` marks value rows held at 0 (a
    zero-value sink): those columns of ``B - A`` are dropped, so the solution's row is 0 too.
    """
    centred_X = X - X.mean(axis=1, keepdims=True)
    M = np.where(frozen, 0.0, B - A)
    M = np.where(np.abs(M) < 1e-150, 0.0, M)  # no subnormals in the SVD (they make it crawl)
    # a ridge least-squares solution written with correctly rounded operations: LAPACK's pinv of
    # this ill-conditioned M differed between BLAS kernels far beyond the last bit
    V = portable.ridge_solve(M, centred_X, rcond=1e-6)
    size = np.linalg.norm(portable.matmul(M, V), axis=(1, 2), keepdims=True) + 1e-300
    target = portable.pow10(rng.uniform(-3.0, 0.0, (X.shape[0], 1, 1))) * np.linalg.norm(
        centred_X, axis=(1, 2), keepdims=True
    )
    with np.errstate(over="ignore", invalid="ignore"):
        V = V * (target / size)
        # B - A nearly 0 (A already sparse) would need huge values: not this construction's regime
        reasonable = np.linalg.norm(V, axis=(1, 2)) <= 1e3 * (1.0 + np.linalg.norm(X, axis=(1, 2)))
    return np.where(reasonable[:, None, None], V, np.nan)


def redraw_consensus(rng: np.random.Generator, X: np.ndarray) -> np.ndarray:
    r"""Token sets already at consensus (every row equal, ``mu(X) = 0``) are redrawn as Gaussian.

    They occur in ``d = 1`` (unit tokens are ``±1``) and for ties at ``n = 2``; there every quantity of
    T3 is 0 and only rounding is left to compare. Near-consensus sets (collapsed, clustered) stay.
    """
    at_consensus = np.all(X[:, :1, :] == X, axis=(1, 2))
    return np.where(at_consensus[:, None, None], rng.standard_normal(X.shape), X)


def _box_probes(rng: np.random.Generator, batch: int, n: int) -> np.ndarray:
    """``PROBES`` points of ``[0, 1]^n``: 1, a unit vertex, random vertices, interior, short edges."""
    unit = np.eye(n)[rng.integers(0, n, batch)]
    short = portable.log_uniform(rng, -4.0, 0.0, (batch, 1)) * np.eye(n)[rng.integers(0, n, batch)]
    small_uniform = portable.log_uniform(rng, -4.0, 0.0, (batch, 1)) * np.ones((batch, n))
    probes = [
        np.ones((batch, n)),
        unit,
        (rng.random((batch, n)) < 0.5).astype(float),
        (rng.random((batch, n)) < 0.5).astype(float),
        rng.random((batch, n)),
        rng.random((batch, n)),
        short,
        small_uniform,
    ]
    return np.stack(probes, axis=1)


def _uniform_steps(rng: np.random.Generator, batch: int) -> np.ndarray:
    """``PROBES`` uniform sparsities ``t`` (the probe points are ``t 1``): 1, uniform, and small."""
    return np.concatenate(
        [
            np.ones((batch, 1)),
            rng.random((batch, PROBES - 3)),
            portable.log_uniform(rng, -6.0, -1.0, (batch, 2)),
        ],
        axis=1,
    )


def target_name(inst: Instance) -> str:
    return TARGETS[int(inst["target_kind"])]


def smoothing_family(inst: Instance) -> str:
    return (
        f"{TOKEN_FAMILIES[int(inst['token_family'])]}/"
        f"{ATTENTION_KINDS[int(inst['attention_kind'])]}/{TARGETS[int(inst['target_kind'])]}"
    )


# ----------------------------------------------------------------------------------------------
# Observables per statement (one instance; either backend)
# ----------------------------------------------------------------------------------------------


def _dense_parts(inst: Instance, ops: Any) -> tuple[Any, Any, Any, Any, Any, Any]:
    X, A, B, V = inst["X"], inst["A"], inst["B"], inst["V"]
    Z = centred_dense_output(ops, X, A, V)
    Delta = sparsification_shift(ops, A, B, V)
    return X, A, B, V, Z, Delta


def _objective_at(ops: Any, inst: Instance, probes: Any, residual: bool = True) -> Any:
    """``f`` at every probe point (k, n) at once."""
    return smoothing_objective(
        ops, inst["X"], inst["A"], inst["B"], inst["V"], probes, residual=residual
    )


def _objective_with_zero(
    ops: Any, inst: Instance, probes: Any, residual: bool = True
) -> tuple[Any, Any]:
    """``(f(0), f(probes))`` from one batched evaluation: at ``alpha = 0`` the two agree bitwise."""
    zero = 0 * probes[:1]
    values = _objective_at(ops, inst, ops.xp.concatenate([zero, probes], axis=0), residual)
    return values[0], values[1:]


def identity_observables(inst: Instance, ops: Any) -> dict[str, Any]:
    r"""T3.a per probe ``k``: ``f(alpha_k)``, ``f(beta_k)``, ``f`` at the midpoint, and the terms."""
    X, A, B, V, Z, Delta = _dense_parts(inst, ops)
    alphas, betas = inst["alpha"], inst["beta"]
    lin_pos, lin_neg = linear_term_parts(ops, row_margins(ops, Z, Delta), alphas)
    f_zero, f_alpha = _objective_with_zero(ops, inst, alphas)
    return {
        "f_alpha": f_alpha,
        "f_beta": _objective_at(ops, inst, betas),
        "f_mid": _objective_at(ops, inst, (alphas + betas) / 2),
        "f_zero": f_zero,
        "lin_pos": lin_pos,
        "lin_neg": lin_neg,
        "quad_term": quadratic_term(ops, Delta, alphas),
        "midpoint_gap": quadratic_term(ops, Delta, (alphas - betas) / 2),
    }


def rowwise_observables(inst: Instance, ops: Any) -> dict[str, Any]:
    r"""T3.b: ``f`` at the probes and at the witness; ``f(0)``; ``min_i <z_i, delta_i>``."""
    X, A, B, V, Z, Delta = _dense_parts(inst, ops)
    f_zero, f_probes = _objective_with_zero(
        ops, inst, ops.xp.concatenate([inst["alpha"], inst["witness"][None, :]], axis=0)
    )
    return {
        "f_alpha": f_probes[:-1],
        "f_zero": f_zero,
        "f_witness": f_probes[-1],
        "margin_min": ops.min(row_margins(ops, Z, Delta)),
    }


def uniform_observables(inst: Instance, ops: Any) -> dict[str, Any]:
    r"""T3.c: ``f(t 1)`` at the probe sparsities ``t`` and at the witness ``t*``; ``f(0)``;
    ``<Z, Delta>_F``. The instance holds the scalars ``t``, so every probe is uniform by construction."""
    X, A, B, V, Z, Delta = _dense_parts(inst, ops)
    steps = ops.xp.concatenate([inst["t"], inst["t_witness"][None]], axis=0)
    uniform = steps[:, None] * ops.xp.ones((1, X.shape[0]), dtype=int)
    f_zero, f_probes = _objective_with_zero(ops, inst, uniform)
    return {
        "f_alpha": f_probes[:-1],
        "f_zero": f_zero,
        "f_witness": f_probes[-1],
        "uniform_margin": uniform_margin(ops, Z, Delta),
    }


def named_case_observables(inst: Instance, ops: Any) -> dict[str, Any]:
    r"""T3.d per row: the general margin ``<z_i, delta_i>`` and the named case's formula."""
    X, A, B, V, Z, Delta = _dense_parts(inst, ops)
    AV = A @ V
    kind = inst["target_kind"]
    sink_form = named_sink_margins(ops, Z, AV)
    diagonal_form = named_diagonal_margins(ops, Z, V, AV)
    named = ops.xp.where(kind == T3.TARGET_ZERO_VALUE_SINK, sink_form, diagonal_form)
    return {"margin": row_margins(ops, Z, Delta), "named_margin": named, "target_kind": kind}


def always_smooths_observables(inst: Instance, ops: Any) -> dict[str, Any]:
    r"""T3-F1: ``f`` at the probes (the last one T3.b's row witness) and ``f(0)``."""
    f_zero, f_alpha = _objective_with_zero(ops, inst, inst["alpha"])
    return {"f_alpha": f_alpha, "f_zero": f_zero}


def no_residual_observables(inst: Instance, ops: Any) -> dict[str, Any]:
    r"""T3-F2: ``mu(A_alpha V)^2`` at the probes and ``mu(A V)^2`` (no residual)."""
    g_zero, g_alpha = _objective_with_zero(ops, inst, inst["alpha"], residual=False)
    return {"g_alpha": g_alpha, "g_zero": g_zero}


# -- witnesses (NumPy, per instance, before the compiled phase) -----------------------------------


def _numpy_parts(inst: Instance) -> tuple[np.ndarray, np.ndarray]:
    X, A, B, V = (np.asarray(inst[k], dtype=float) for k in ("X", "A", "B", "V"))
    return centred_dense_output(NUMPY, X, A, V), sparsification_shift(NUMPY, A, B, V)


def rounding_scale(inst: Instance) -> float:
    r"""``(||(I-J) X||_F + ||(I-J) A V||_F + ||Delta||_F)^2``: the size of what ``f`` is computed from.

    A float64 difference ``f(alpha) - f(0)`` is resolved only when it exceeds ``ROUNDING`` times this.
    """
    X, A, B, V = (np.asarray(inst[k], dtype=float) for k in ("X", "A", "B", "V"))
    parts = (centred(NUMPY, X), centred(NUMPY, A @ V), sparsification_shift(NUMPY, A, B, V))
    return float(sum(np.linalg.norm(p) for p in parts) ** 2)


def row_witness_of(inst: Instance) -> dict[str, Any]:
    r"""T3.b's witness ``t* e_i`` (zero when every margin is ``>= 0``), and the rounding scale."""
    Z, Delta = _numpy_parts(inst)
    return {
        "witness": row_witness(row_margins(NUMPY, Z, Delta), row_curvatures(NUMPY, Delta)),
        "rounding_scale": rounding_scale(inst),
    }


def probes_with_row_witness(inst: Instance) -> dict[str, np.ndarray]:
    r"""The probes with T3.b's row witness appended as one more probe point."""
    return {"alpha": np.vstack([inst["alpha"], row_witness_of(inst)["witness"]])}


def uniform_witness_of(inst: Instance) -> dict[str, Any]:
    r"""T3.c's witness ``t*`` (the point ``t* 1``), ``t* = min(1, -<Z, Delta>_F / ||(I - J) Delta||_F^2)``
    when ``<Z, Delta>_F < 0`` (else 0), and the rounding scale."""
    Z, Delta = _numpy_parts(inst)
    total = float(uniform_margin(NUMPY, Z, Delta))
    witness = uniform_witness(total, float(mu_squared(NUMPY, Delta)), Z.shape[0])
    return {"t_witness": float(witness[0]), "rounding_scale": rounding_scale(inst)}


def exactly_row_stochastic(exact: Instance) -> dict[str, Any]:
    r"""``A`` and ``B`` with every row divided by its exact sum: exactly row-stochastic balls."""
    out: dict[str, Any] = {}
    for key in ("A", "B"):
        if key in exact:
            M = np.asarray(exact[key], dtype=object)
            rows = [[v / sum(row, Fraction(0)) for v in row] for row in M.tolist()]
            out[key] = to_arb_array(np.array(rows, dtype=object))
    return out


ROUNDING = 1e-12  # relative float64 resolution of f(alpha) - f(0), with room for n <= 64 terms
RENORMALISED = "A and B rows renormalised to sum exactly 1 before certification"


# ----------------------------------------------------------------------------------------------
# Checks
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundingAwareRelationCheck(RelationCheck):
    """A relation check that does not escalate violations at the level of rounding.

    A float64 violation whose scale-free slack lies in ``[-ROUNDING, 0]`` (a bound met with
    equality, computed two ways) cannot be a counterexample that float64 resolves: it is counted in
    ``machine["rounding_level_violations"]`` instead of being sent to ball arithmetic, where it would
    only come back uncertified (``rounding_floor``). Larger violations are escalated as usual, only
    the worst case of each instance (``worst_case_per_instance``). Both options, and
    ``prefer_small`` (for controls), are :class:`RelationCheck`'s.
    """

    rounding_floor: float = ROUNDING
    worst_case_per_instance: bool = True


@dataclass(frozen=True)
class SmoothingRelationCheck(RoundingAwareRelationCheck):
    """A relation check whose certificates are about exactly row-stochastic ``A`` and ``B``."""

    prepare_exact: Callable[[Instance], dict[str, Any]] | None = exactly_row_stochastic
    probe_keys: tuple[str, ...] = ("alpha", "beta")  # per-case arrays: certify only the failing one

    def certify(self, instance: Instance, case: int) -> Certificate:
        """Certify one case; when cases are probe points, only that probe is re-evaluated."""
        sliced = [k for k in self.probe_keys if k in instance]
        if sliced:
            instance = {k: (v[case : case + 1] if k in sliced else v) for k, v in instance.items()}
            case = 0
        cert = super().certify(instance, case)
        note = f"{cert.note}; {RENORMALISED}" if cert.note else RENORMALISED
        return dataclasses.replace(cert, note=note)


def smoothing_check(
    statement: Any, sampler: SmoothingSampler, observables: Any, **options: Any
) -> SmoothingRelationCheck:
    """A check of T3's instances ``(X, A, B, V)`` at :data:`SHAPES`, labelled by family."""
    return SmoothingRelationCheck(
        statement, sampler, observables, SHAPES, smoothing_family, **options
    )


MIN_PER_SIDE = 30  # instances each direction of an "iff" must have, or the verdict is VACUOUS


def two_sided(
    statement: Any,
    sampler: SmoothingSampler,
    observables: Callable[[Instance, Any], dict[str, Any]],
    witness: Callable[[Instance], dict[str, Any]],
    side_names: tuple[str, str],
    **options: Any,
) -> SmoothingRelationCheck:
    """An "iff" of T3 checked both ways: each conclusion's ``given`` is one side of the condition.

    Every instance meets exactly one side; each side must be met by :data:`MIN_PER_SIDE` instances
    (per target, ``extra["sides_by_kind"]``) or the verdict is VACUOUS. ``witness`` adds the "only
    if" direction's witness and the instance's ``rounding_scale``: a float64 violation below
    ``ROUNDING`` times it (a margin within rounding of 0, a decrease below float resolution) is
    counted in ``machine["rounding_level_violations"]`` and not escalated; every larger one is
    escalated (the conclusion's ``given`` is then a hypothesis to prove).
    """
    return smoothing_check(
        statement,
        sampler,
        observables,
        prepare=witness,
        min_per_side=MIN_PER_SIDE,
        side_names=side_names,
        side_breakdown=target_name,
        rounding_multiple=ROUNDING,
        describe=sides_note,
        **options,
    )


def sides_note(ev: Evidence) -> str:
    """The check's note of an "iff": instances per side, and what is not escalated."""
    counts = ", ".join(f"{name}: {count} instances" for name, count in ev.sides.items())
    return (
        f"{counts}; float64 violations within rounding ({ROUNDING:g} x the instance's scale) are "
        f"not escalated (their count depends on the machine: {MACHINE_KEY})"
    )


# ----------------------------------------------------------------------------------------------
# E3: temperature
# ----------------------------------------------------------------------------------------------

E3_SHAPES = ((2, 2), (3, 2), (4, 3), (8, 4), (16, 8), (64, 64))
BETA_GRID = (0.0, 0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 64.0)
E3_VALUE_KINDS = ("gaussian", "contracting", "psd_symmetric", "scaled_identity")
DECREASES = "instances with a resolved decrease"
LARGEST = "least slack (minus the largest relative decrease)"


def diagonal_dominant_scores(rng: np.random.Generator, X: np.ndarray) -> np.ndarray:
    r"""Scores with ``s_ii > s_ij`` (``j != i``): Gaussian or ``X X^T``-based, diagonal lifted."""
    batch, n, _ = X.shape
    scale = portable.log_uniform(rng, -1.0, 1.0, (batch, 1, 1))
    gram = X @ np.swapaxes(X, 1, 2)
    S = np.where(rng.random((batch, 1, 1)) < 0.5, scale * rng.standard_normal((batch, n, n)), gram)
    off = np.where(np.eye(n, dtype=bool)[None], -np.inf, S)
    lift = portable.log_uniform(rng, -3.0, 0.5, (batch, n))
    diag = off.max(axis=-1) + lift
    return np.where(np.eye(n, dtype=bool)[None], diag[:, :, None], S)


def temperature_values(rng: np.random.Generator, kinds: np.ndarray, X: np.ndarray) -> np.ndarray:
    batch, n, d = X.shape
    G = rng.standard_normal((batch, d, d)) / np.sqrt(d)
    scale = portable.log_uniform(rng, -1.0, 0.5, (batch, 1, 1))
    eye = np.eye(d)[None]
    c = rng.uniform(0.05, 0.95, (batch, 1, 1))
    projections = np.stack(
        [scale * G, -c * eye + 0.1 * G, scale * G @ np.swapaxes(G, 1, 2), scale * eye]
    )
    W_V = projections[kinds, np.arange(batch)]
    return X @ W_V


@dataclass(frozen=True)
class TemperatureSampler:
    r"""E3's instances: tokens (every family), diagonal-dominant scores ``S``, values ``V = X W_V``
    for four kinds of ``W_V`` (Gaussian, contracting ``-c I``, symmetric PSD, ``c I`` with
    ``c > 0``), and the temperatures ``beta`` (the grid :data:`BETA_GRID`; a searched instance may
    move them). ``kinds``: the ``W_V`` kinds drawn (indices into :data:`E3_VALUE_KINDS`)."""

    kinds: tuple[int, ...] = tuple(range(len(E3_VALUE_KINDS)))

    def __call__(self, rng: np.random.Generator, n: int, d: int, batch: int) -> Instance:
        tf = choose(rng, tuple(range(len(TOKEN_FAMILIES))), batch)
        X = redraw_consensus(rng, sample_tokens(rng, tf, n, d, rng.integers(0, n, batch)))
        S = diagonal_dominant_scores(rng, X)
        vk = choose(rng, self.kinds, batch)
        return {
            "X": X,
            "S": S,
            "V": temperature_values(rng, vk, X),
            "beta": np.tile(np.asarray(BETA_GRID), (batch, 1)),
            "token_family": tf,
            "value_kind": vk,
        }


def temperature_kind(inst: Instance) -> str:
    return E3_VALUE_KINDS[int(inst["value_kind"])]


def temperature_shape(inst: Instance) -> str:
    n, d = np.shape(inst["X"])
    return f"{n}x{d}"


def temperature_observables(inst: Instance, ops: Any) -> dict[str, Any]:
    r"""Per pair of neighbouring temperatures ``beta_k < beta_{k+1}``: ``mu(X + softmax(beta S) V)^2``
    at both (``mu_sq_low``, ``mu_sq_high``), the temperatures, and ``S``'s dominance
    ``min_i (s_ii - max_{j != i} s_ij)``."""
    X, S, V, beta = inst["X"], inst["S"], inst["V"], inst["beta"]
    n = S.shape[0]
    off = ~(ops.xp.arange(n)[:, None] == ops.xp.arange(n)[None, :])
    rival = ops.masked_max(S, off, axis=-1)
    diag = ops.xp.diagonal(S) if ops.name == "jax" else np.array([S[i, i] for i in range(n)])
    values = [mu_squared(ops, X + ops.softmax(b * S) @ V) for b in beta]
    mu_sq = np.array(values, dtype=object) if ops.name == "arb" else ops.xp.stack(values)
    return {
        "mu_sq_low": mu_sq[:-1],
        "mu_sq_high": mu_sq[1:],
        "beta_low": beta[:-1],
        "beta_high": beta[1:],
        "diagonal_dominance": ops.min(diag - rival),
    }


def temperature_rounding_scale(inst: Instance) -> dict[str, float]:
    r"""``(||X||_F + ||V||_F)^2``: a decrease of ``mu^2`` below ``ROUNDING`` times this is not
    resolved in float64 (``mu`` at rounding level on both sides) and is not a finding."""
    X, V = np.asarray(inst["X"], dtype=float), np.asarray(inst["V"], dtype=float)
    return {"rounding_scale": float((np.linalg.norm(X) + np.linalg.norm(V)) ** 2)}


def temperature_finding(ev: Evidence) -> str:
    r"""E3's note: the certified decrease (if any), then per ``W_V`` kind and per shape how many
    instances have a resolved decrease, and the largest relative decrease per kind."""
    reported = ev.extra["reported"]
    cex = ev.counterexample
    if cex is not None and cex.certificate.certified:
        n, d = cex.shape
        head = (
            "NOT monotone: mu(X + A_beta V) can decrease as beta grows; certified (arb) decrease "
            f"for W_V {cex.family} at n = {n}, d = {d}"
        )
    else:
        head = f"no certified decrease in {ev.tried} instances"
    counts = ev.extra["family_counts"]
    per_kind = ", ".join(
        f"{k} {reported[DECREASES + ' per W_V'].get(k, 0)}/{counts.get(k, 0)}"
        for k in E3_VALUE_KINDS
    )
    by_shape = reported[DECREASES + " per shape"]
    shapes = sorted(by_shape, key=lambda s: tuple(int(k) for k in s.split("x")))
    per_shape = ", ".join(f"n x d = {s}: {by_shape[s]}" for s in shapes)
    largest = ", ".join(
        f"{k} {stable_text(max(0.0, -slack))}"
        for k, slack in reported[LARGEST + " per W_V"].items()
    )
    return (
        f"{head}. Temperatures {', '.join(f'{b:g}' for b in BETA_GRID)}; instances with a "
        f"resolved decrease between neighbours: {per_kind} (per shape: {per_shape}); largest "
        f"relative decrease: {largest}"
    )


def temperature_check() -> RelationCheck:
    r"""E3: is ``mu(X + softmax(beta S) V)`` non-decreasing in ``beta`` for diagonal-dominant ``S``?

    The relation ``mu^2(beta_high) >= mu^2(beta_low)`` on every pair of neighbouring temperatures of
    the grid; a decrease is a violation only when float64 resolves it (``rounding_multiple``).
    Like every statement it goes through the random phase, the adversary, certification (the
    smallest clear decrease first, the hypotheses ``s_ii > s_ij`` and ``beta_low < beta_high``
    proven too) and the database; it is an EXPLORE item, so what it finds is REPORTED: the
    certified decrease, and per ``W_V`` kind and per shape the instances with a decrease.
    """
    return RelationCheck(
        T3.TEMPERATURE_EXPLORATION,
        TemperatureSampler(),
        temperature_observables,
        E3_SHAPES,
        temperature_kind,
        prepare=temperature_rounding_scale,
        min_met=1,
        prefer_small=True,
        rounding_multiple=ROUNDING,
        reported=(
            Reported(DECREASES + " per W_V", VIOLATED, "instances", group=temperature_kind),
            Reported(DECREASES + " per shape", VIOLATED, "instances", group=temperature_shape),
            Reported(LARGEST + " per W_V", "slack:0", "min", group=temperature_kind),
        ),
        describe=temperature_finding,
    )


# ----------------------------------------------------------------------------------------------
# T3.e - T3.g and the controls T3-F3 ... T3-F7: one observable function each for T3.e (its controls
# F3, F4 share it), T3.f (F5 shares it) and T3.g (F6, F7 share it)
# ----------------------------------------------------------------------------------------------


def endpoint_observables(inst: Instance, ops: Any) -> dict[str, Any]:
    r"""T3.e at ``alpha = 1``: ``f(0) = mu(X + AV)^2``, ``f(1) = mu(X + BV)^2``, the endpoint margin
    ``2 <Z, Delta>_F + ||(I - J) Delta||_F^2`` and its two named forms (sink target:
    ``2 <X~, AV>_F + ||(I - J) AV||_F^2``; ``B = I``: ``2 <Z, V - AV>_F + ||(I - J)(V - AV)||_F^2``),
    ``mu(X)^2``; for the controls T3-F3/F4, ``<Z, Delta>_F`` and ``min_i <z_i, delta_i>``."""
    X, A, B, V, Z, Delta = _dense_parts(inst, ops)
    AV = A @ V
    kind = inst["target_kind"]
    f_zero, f_one = _objective_with_zero(ops, inst, ops.xp.ones((1, X.shape[0]), dtype=int))
    sink = (kind == TARGETS.index("sink_zero_value")) | (kind == TARGETS.index("sink"))
    return {
        "f_zero": f_zero,
        "f_one": f_one[0],
        "endpoint_margin": 2 * uniform_margin(ops, Z, Delta) + mu_squared(ops, Delta),
        "mu_sq_x": mu_squared(ops, X),
        "sink_target": ops.xp.where(sink, 1, 0),
        "sink_update_change": 2 * (centred(ops, X) * AV).sum() + mu_squared(ops, AV),
        "diagonal_endpoint": 2 * (Z * (V - AV)).sum() + mu_squared(ops, V - AV),
        "target_kind": kind,
        "uniform_margin": uniform_margin(ops, Z, Delta),
        "margin_min": ops.min(row_margins(ops, Z, Delta)),
    }


def scale_free_observables(inst: Instance, ops: Any) -> dict[str, Any]:
    r"""T3.f: ``nu = mu^2 / ||.||_F^2`` of ``X + AV``, ``X + BV`` and ``X``, the squared norms, and
    the two sides ``mu(X + AV) ||x_bar + m_B||``, ``mu(X + BV) ||x_bar + m_A||`` (mean rows of the
    outputs: ``x_bar + m_A`` is the mean row of ``X + AV``). ``nu`` is read off ``||.||_F^2``, the
    sides off ``mu`` and the means: the two agree only through Pythagoras, which is what is checked."""
    X, A, B, V = inst["X"], inst["A"], inst["B"], inst["V"]
    dense, sparse = X + A @ V, X + B @ V
    norms = {k: squared_frobenius(ops, Y) for k, Y in (("d", dense), ("s", sparse), ("x", X))}
    mean_norm = {k: ops.norm(Y.sum(axis=0) / Y.shape[0]) for k, Y in (("d", dense), ("s", sparse))}
    return {
        "nu_dense": mu_squared(ops, dense) / norms["d"],
        "nu_sparse": mu_squared(ops, sparse) / norms["s"],
        "nu_x": mu_squared(ops, X) / norms["x"],
        "norm_sq_dense": norms["d"],
        "norm_sq_sparse": norms["s"],
        "norm_sq_x": norms["x"],
        "nu_lhs": mu(ops, dense) * mean_norm["s"],
        "nu_rhs": mu(ops, sparse) * mean_norm["d"],
    }


def angular_observables(inst: Instance, ops: Any) -> dict[str, Any]:
    r"""T3.g per pair ``i < j``: ``cos(x_i, x_j)``, ``cos(x_i + c, x_j + c)``, ``<c, x_i>``, ``<c, x_j>``.

    Tokens are ``x_i = p_i / ||p_i||`` (rows of ``X``, normalised here, so equal norms hold exactly
    on the exact instance: the cosine is scale-free in ``(x, c)`` jointly), or ``rho_i p_i / ||p_i||``
    where the instance has radii ``rho`` (T3-F6, norms free)."""
    P, c = inst["X"], inst["c"]
    tokens = P / ops.norm(P)[:, None]
    if "rho" in inst:
        tokens = inst["rho"][:, None] * tokens
    moved = tokens + c[None, :]
    i, j = np.triu_indices(P.shape[0], 1)
    return {
        "cos_before": _cosines(ops, tokens, i, j),
        "cos_after": _cosines(ops, moved, i, j),
        "dual_i": tokens[i] @ c,
        "dual_j": tokens[j] @ c,
    }


def _cosines(ops: Any, Y: Any, i: np.ndarray, j: np.ndarray) -> Any:
    norms = ops.norm(Y)
    return (Y[i] * Y[j]).sum(axis=-1) / (norms[i] * norms[j])


ANGULAR_TOKENS = ("unit", "cone", "clustered", "antipodal", "ties", "gaussian")
UPDATE_KINDS = ("uniform_head", "aligned", "gaussian", "zero", "tiny", "large")


@dataclass(frozen=True)
class AngularSampler:
    r"""T3.g's instances: token directions ``X`` (normalised rows), one common update ``c``.

    Tokens: unit (sphere), a narrow cone, clusters, antipodal pairs, ties, Gaussian directions.
    Updates: a uniform-attention head ``c = v_bar = mean_j x_j W_V``, ``c`` along the tokens' mean
    direction (the dual cone holds for cone tokens), Gaussian, ``c = 0`` (a zero-value sink: every
    cosine unchanged), tiny and large ``c``. ``radii``: per-token norms ``rho_i`` (T3-F6).
    """

    radii: bool = False

    def __call__(self, rng: np.random.Generator, n: int, d: int, batch: int) -> Instance:
        names = [TOKEN_FAMILIES.index(f) for f in ANGULAR_TOKENS]
        tf = choose(rng, tuple(names), batch)
        X = sample_tokens(rng, tf, n, d, np.zeros(batch, dtype=int))
        X = X / np.linalg.norm(X, axis=-1, keepdims=True)
        mean = X.mean(axis=1)
        direction = mean / (np.linalg.norm(mean, axis=-1, keepdims=True) + 1e-300)
        W_V = rng.standard_normal((batch, d, d)) / np.sqrt(d)
        size = portable.log_uniform(rng, -1.0, 1.0, (batch, 1))
        gaussian = rng.standard_normal((batch, d)) / np.sqrt(d)
        kinds = rng.integers(0, len(UPDATE_KINDS), batch)
        variants = np.stack(
            [
                np.einsum("bd,bde->be", mean, W_V),
                size * direction + 0.1 * size * gaussian,
                size * gaussian,
                np.zeros((batch, d)),
                1e-4 * gaussian,
                1e2 * gaussian,
            ]
        )
        inst: Instance = {
            "X": X,
            "c": variants[kinds, np.arange(batch)],
            "token_family": tf,
            "update_kind": kinds,
        }
        if self.radii:
            inst["rho"] = portable.log_uniform(rng, -1.5, 1.5, (batch, n))
        return inst


def angular_family(inst: Instance) -> str:
    return f"{TOKEN_FAMILIES[int(inst['token_family'])]}/{UPDATE_KINDS[int(inst['update_kind'])]}"


# ----------------------------------------------------------------------------------------------

_BOX = SmoothingSampler()
_ROWS = SmoothingSampler(favour_condition=0.3)
_UNIFORM = SmoothingSampler(probes="uniform", favour_condition=0.1)
_NAMED = SmoothingSampler(targets=_NAMED_TARGETS)
_ZERO_SINK = SmoothingSampler(targets=_ZERO_SINK_ONLY)
_ENDPOINT = SmoothingSampler(probes="none", favour_condition=0.2)
_SCALE_FREE = SmoothingSampler(probes="none", favour_condition=0.1, cancel_mean=0.1)


def _unprobed(
    statement: Any, sampler: SmoothingSampler, observables: Any, control: bool = False
) -> SmoothingRelationCheck:
    """A check of ``(X, A, B, V)`` without probe points (one case per instance)."""
    return smoothing_check(statement, sampler, observables, probe_keys=(), prefer_small=control)


def checks() -> list[Any]:
    """The compiled checks of T3, in THEORY.md order."""
    return [
        SmoothingRelationCheck(
            T3.SMOOTHING_IDENTITY, _BOX, identity_observables, SHAPES, smoothing_family
        ),
        two_sided(
            T3.DENSE_SMOOTHS_MORE_ROWWISE,
            _ROWS,
            rowwise_observables,
            row_witness_of,
            ("all row margins >= 0", "some row margin < 0"),
        ),
        two_sided(
            T3.DENSE_SMOOTHS_MORE_UNIFORM,
            _UNIFORM,
            uniform_observables,
            uniform_witness_of,
            ("<Z, Delta>_F >= 0", "<Z, Delta>_F < 0"),
            probe_keys=("t",),
        ),
        SmoothingRelationCheck(
            T3.NAMED_CASES,
            _NAMED,
            named_case_observables,
            SHAPES,
            smoothing_family,
            probe_keys=(),  # cases are rows
        ),
        SmoothingRelationCheck(
            T3.CONTROL_DENSE_ALWAYS_SMOOTHS_MORE,
            _BOX,
            always_smooths_observables,
            SHAPES,
            smoothing_family,
            prepare=probes_with_row_witness,
            prefer_small=True,
        ),
        SmoothingRelationCheck(
            T3.CONTROL_NO_RESIDUAL_SINK,
            _ZERO_SINK,
            no_residual_observables,
            SHAPES,
            smoothing_family,
            prefer_small=True,
        ),
        _unprobed(T3.FULLY_SPARSE_ENDPOINT, _ENDPOINT, endpoint_observables),
        _unprobed(T3.SCALE_FREE_SMOOTHING, _SCALE_FREE, scale_free_observables),
        RoundingAwareRelationCheck(
            T3.ANGULAR_SMOOTHING, AngularSampler(), angular_observables, SHAPES, angular_family
        ),
        _unprobed(T3.CONTROL_ENDPOINT_GIVES_UNIFORM_MARGIN, _ENDPOINT, endpoint_observables, True),
        _unprobed(T3.CONTROL_ENDPOINT_GIVES_ROW_CONDITION, _ENDPOINT, endpoint_observables, True),
        _unprobed(T3.CONTROL_DENSE_NEVER_RAISES_NU, _SCALE_FREE, scale_free_observables, True),
        RoundingAwareRelationCheck(
            T3.CONTROL_ANGULAR_WITHOUT_EQUAL_NORMS,
            AngularSampler(radii=True),
            angular_observables,
            SHAPES,
            angular_family,
            prefer_small=True,
        ),
        RoundingAwareRelationCheck(
            T3.CONTROL_ANGULAR_WITHOUT_DUAL_CONE,
            AngularSampler(),
            angular_observables,
            SHAPES,
            angular_family,
            prefer_small=True,
        ),
        temperature_check(),
    ]


__all__ = ["checks", "SmoothingSampler", "two_sided", "temperature_check"]
