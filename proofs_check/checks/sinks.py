r"""Compiled checks for T1 (geometry of sinks) and its controls.

Every statement is a relation check: sampled instances, observables written once for float64 and
ball arithmetic, and the statement's SymPy relations. The equivalences (T1.b, T1.c, T1.f) and the
control T1-F1 are relations over solver-defined observables (the hull distances ``gamma_u``,
``gamma_v`` and the optimum of the sink LP (iii), :mod:`proofs_check.observables.sink_lp`); each
direction of an equivalence is one side, counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import flint
import numpy as np

from proofs_check import portable
from proofs_check.checks.engine import EvenShare, Instance, RelationCheck, theory_value
from proofs_check.instances import (
    TOKEN_FAMILIES,
    WEIGHT_FAMILIES,
    choose,
    sample_eps,
    sample_score_matrices,
    sample_tokens,
)
from proofs_check.observables.attention import attention, causal_mask, scores, sink_margins
from proofs_check.observables.geometry import exact_min_norm_point, vertex_points
from proofs_check.observables.geometry import hull_distance as wolfe_hull
from proofs_check.observables.sink_lp import (
    best_sink_lp_margin,
    min_squared_distance,
    sink_lp_margin,
)
from proofs_check.observables.solved import gamma_u, gamma_v, hull_distance
from theory import sinks as T1
from theory.symbols import eps as eps_symbol
from theory.symbols import log_odds_all
from theory.symbols import n as n_symbol

SHAPES = ((2, 1), (2, 2), (3, 2), (4, 3), (8, 8), (16, 4), (32, 16), (64, 64))
LP_SHAPES = ((2, 1), (3, 2), (4, 2), (5, 3), (8, 3), (12, 6), (16, 8))
LP_SAMPLE_DIVISOR = 4  # an HiGHS solve per instance (T1-F1: one per token) is dearer than a vmap
LP_TARGET_BUDGET = (8, 10)  # verify's adversary: (restarts, steps), an LP solve per step
F1_SHAPES = LP_SHAPES[:5]  # n LPs per instance: the small shapes suffice to refute T1-F1
CONSTRUCTION_SCALE = log_odds_all(n_symbol, eps_symbol) / (T1.gamma_u * T1.gamma_v)

_TOKENS_ALL = tuple(range(len(TOKEN_FAMILIES)))
_WEIGHTS_ALL = tuple(range(len(WEIGHT_FAMILIES)))
_PSD_WEIGHTS = (WEIGHT_FAMILIES.index("psd"), WEIGHT_FAMILIES.index("identity"))
_SINKY_TOKENS = tuple(
    TOKEN_FAMILIES.index(f) for f in ("long_sink", "cone", "unit", "massive", "collapsed")
)


@dataclass(frozen=True)
class AttentionSampler:
    """Tokens, a score matrix and a sink index, each family drawn from the allowed tuples."""

    token_families: tuple[int, ...] = _TOKENS_ALL
    weight_families: tuple[int, ...] = _WEIGHTS_ALL
    with_eps: bool = False
    tight_eps: bool = (
        False  # eps just inside "margin >= L_1(eps)" (the boundary of T1-F2's hypothesis)
    )
    with_weights: bool = True  # False: tokens and a sink only (T1.b, T1.c, T1.f, T1-F1)
    sink_first: bool = False  # the sink is token 1 (T1.c, causal)

    def __call__(self, rng: np.random.Generator, n: int, d: int, batch: int) -> Instance:
        s = rng.integers(0, n, batch)
        if self.sink_first:
            s = np.zeros(batch, dtype=s.dtype)
        tf = choose(rng, self.token_families, batch)
        X = sample_tokens(rng, tf, n, d, s)
        if not self.with_weights:
            return {"X": X, "s": s, "token_family": tf}
        wf = choose(rng, self.weight_families, batch)
        W = sample_score_matrices(rng, wf, X, s)
        inst: Instance = {"X": X, "W": W, "s": s, "token_family": tf, "weight_family": wf}
        if self.with_eps:
            eps = sample_eps(rng, batch)
            if self.tight_eps:
                S = X @ W @ np.swapaxes(X, 1, 2)
                diffs = S[np.arange(batch), :, s][:, :, None] - S
                diffs[np.arange(batch), :, s] = np.inf
                m_min = diffs.min(axis=(1, 2))
                inside = 1.0 + portable.log_uniform(rng, -6.0, -1.0, batch)
                tight = np.clip(
                    inside / (1.0 + portable.exp(np.clip(m_min, -700, 700))), 1e-12, 1 - 1e-12
                )
                eps = np.where(rng.random(batch) < 0.7, tight, eps)
            inst["eps"] = eps
        return inst


def attention_family(inst: Instance) -> str:
    return (
        f"{TOKEN_FAMILIES[int(inst['token_family'])]}/{WEIGHT_FAMILIES[int(inst['weight_family'])]}"
    )


def _competitors(ops: Any, n: int, s: Any) -> Any:
    return ops.xp.arange(n) != s


def _rest_mass(ops: Any, A: Any, s: Any) -> Any:
    """``1 - A_is`` summed over the competitors (no cancellation in floats)."""
    n = A.shape[1]
    return ops.xp.where(_competitors(ops, n, s)[None, :], A, 0 * A).sum(axis=-1)


# -- T1.a / T1-F2: margins and the sink weight ---------------------------------------------------


def margin_observables(inst: Instance, ops: Any) -> dict[str, Any]:
    r"""Per row: ``margin = min_{j!=s}(s_is - s_ij)``, ``log_odds = -log sum_{j!=s} e^{s_ij - s_is}``, ``rest``."""
    X, W, s = inst["X"], inst["W"], inst["s"]
    S = scores(ops, X, W)
    n = X.shape[0]
    comp = _competitors(ops, n, s)
    rel = S - S[:, s][:, None]
    out = {
        "margin": sink_margins(ops, S, s),
        "log_odds": -ops.masked_logsumexp(rel, comp[None, :], axis=-1),
        "rest": _rest_mass(ops, ops.softmax(S), s),
        "n": n,
    }
    if "eps" in inst:
        out["eps"] = inst["eps"]
    return out


# -- T1.d / T1-F3: the rank-one construction -----------------------------------------------------


def _directions(inst: Instance) -> dict[str, np.ndarray]:
    X, s = np.asarray(inst["X"], dtype=float), int(inst["s"])
    return {"u": wolfe_hull(X).direction, "v": wolfe_hull(vertex_points(X, s)).direction}


def _exact_directions(inst: Instance) -> dict[str, Any]:
    X = inst["X"]
    s = int(inst["s"])
    Xf = np.vectorize(float, otypes=[float])(X)
    half = exact_min_norm_point(X, wolfe_hull(Xf).support)
    diffs = np.delete(X[s][None, :] - X, s, axis=0)
    vert = exact_min_norm_point(diffs, wolfe_hull(vertex_points(Xf, s)).support)
    if half is None or vert is None or half.squared_distance == 0 or vert.squared_distance == 0:
        raise CertificationUnavailable("no exact minimum-norm point for this instance")
    return {
        "u": np.array(half.direction_arb(), dtype=object),
        "v": np.array(vert.direction_arb(), dtype=object),
    }


class CertificationUnavailable(Exception):
    """The exact side computation needed for a certificate could not be carried out."""


@dataclass(frozen=True)
class ConstructionObservables:
    """Observables of ``W = factor * c u v^T`` with ``c = L_n(eps)/(gamma_u gamma_v)`` (T1.d)."""

    factor: Fraction

    def __call__(self, inst: Instance, ops: Any) -> dict[str, Any]:
        X, s, u, v, eps = inst["X"], inst["s"], inst["u"], inst["v"], inst["eps"]
        n = X.shape[0]
        comp = _competitors(ops, n, s)
        gamma_u = ops.min(X @ u)
        gamma_v = ops.masked_min((X[s][None, :] - X) @ v, comp)
        c = theory_value(ops, CONSTRUCTION_SCALE, n=n, eps=eps, gamma_u=gamma_u, gamma_v=gamma_v)
        if (
            ops.name == "jax"
        ):  # the construction exists only under its hypotheses gamma_u, gamma_v > 0
            c = ops.xp.where((gamma_u > 0) & (gamma_v > 0), c, 0.0)
        factor = (
            float(self.factor)
            if ops.name == "jax"
            else flint.arb(flint.fmpq(self.factor.numerator, self.factor.denominator))
        )
        W = factor * c * (u[:, None] * v[None, :])
        A = attention(ops, X, W)
        return {
            "rest": _rest_mass(ops, A, s),
            "gamma_u": gamma_u,
            "gamma_v": gamma_v,
            "fro_norm": ops.norm(W.reshape(-1)),
            "c_scale": factor * c,
            "eps": eps,
        }


# -- T1.e / T1-F4: PSD score matrices --------------------------------------------------------------


def psd_observables(inst: Instance, ops: Any) -> dict[str, Any]:
    r"""Per competitor ``j``: ``<x_j,x_s>_W``, ``||x_j||_W^2``, ``||x_s||_W^2``, and ``max_i (1 - A_is)``."""
    X, W, s = inst["X"], inst["W"], inst["s"]
    n = X.shape[0]
    A = attention(ops, X, W)
    G = X @ W @ X.T
    comp = _competitors(ops, n, s)
    rest_max = ops.max(_rest_mass(ops, A, s))
    ns2 = G[s, s]
    return {
        "ip_js": G[:, s],
        "nj2": ops.xp.diagonal(G),
        "ns2": ns2 + 0 * G[:, s],
        "rest_max": rest_max,
        "competitor": ops.xp.where(comp, 1, 0),
    }


# ----------------------------------------------------------------------------------------------
# T1.b, T1.c, T1.f and the control T1-F1: relations over solver-defined observables (the hull
# distances gamma_u, gamma_v and the optimum of the sink LP (iii)).
# ----------------------------------------------------------------------------------------------


def token_family(inst: Instance) -> str:
    return TOKEN_FAMILIES[int(inst["token_family"])]


@dataclass(frozen=True)
class SinkGeometryObservables:
    r"""``gamma_v``, ``lp_margin`` and the half-space margin of T1.b (``gamma_u``), T1.c
    (``gamma_rest``: the non-sink tokens) or none (T1.f, a key bias), for the instance's sink."""

    causal: bool = False
    key_bias: bool = False

    def __call__(self, inst: Instance, ops: Any) -> dict[str, Any]:
        X, s = inst["X"], inst["s"]
        out = {
            "gamma_v": gamma_v(ops, X, s),
            "lp_margin": sink_lp_margin(ops, X, s, causal=self.causal, key_bias=self.key_bias),
        }
        if self.causal:
            out["gamma_rest"] = hull_distance(ops, X, ops.xp.arange(X.shape[0]) != s)
        elif not self.key_bias:
            out["gamma_u"] = gamma_u(ops, X)
        return out


def every_token_set_observables(inst: Instance, ops: Any) -> dict[str, Any]:
    r"""T1-F1: ``min_sq_dist = min_{i<j} ||x_i - x_j||^2`` and ``lp_best = max_s t*(X, s)``."""
    X = inst["X"]
    return {"min_sq_dist": min_squared_distance(ops, X), "lp_best": best_sink_lp_margin(ops, X)}


# ----------------------------------------------------------------------------------------------

_MARGIN_SAMPLER = AttentionSampler(with_eps=True)
_TIGHT_SAMPLER = AttentionSampler(with_eps=True, tight_eps=True)
_CONSTRUCTION_SAMPLER = AttentionSampler(token_families=_SINKY_TOKENS, with_eps=True)
_PSD_SAMPLER = AttentionSampler(token_families=_SINKY_TOKENS, weight_families=_PSD_WEIGHTS)
_TOKEN_SAMPLER = AttentionSampler(with_weights=False)
_SINK_FIRST_SAMPLER = AttentionSampler(with_weights=False, sink_first=True)


def _sink_geometry(
    statement: Any, sample: Any, causal: bool = False, key_bias: bool = False
) -> RelationCheck:
    return RelationCheck(
        statement,
        sample,
        SinkGeometryObservables(causal, key_bias),
        LP_SHAPES,
        token_family,
        min_per_side=10,
        side_names=T1.SIDE_NAMES,
        prove_instances=True,
        instances_per_shape=EvenShare(len(LP_SHAPES), LP_SAMPLE_DIVISOR),
        target_budget=LP_TARGET_BUDGET,
    )


def checks() -> list[Any]:
    """The compiled checks of T1, in THEORY.md order."""
    return [
        RelationCheck(
            T1.SINK_MARGIN_LEMMA, _MARGIN_SAMPLER, margin_observables, SHAPES, attention_family
        ),
        _sink_geometry(T1.SINK_GEOMETRY, _TOKEN_SAMPLER),
        _sink_geometry(T1.SINK_GEOMETRY_CAUSAL, _SINK_FIRST_SAMPLER, causal=True),
        RelationCheck(
            T1.SINK_CONSTRUCTION,
            _CONSTRUCTION_SAMPLER,
            ConstructionObservables(Fraction(1)),
            SHAPES,
            attention_family,
            prepare=_directions,
            prepare_exact=_exact_directions,
        ),
        RelationCheck(T1.SINK_TIED_QK, _PSD_SAMPLER, psd_observables, SHAPES, attention_family),
        _sink_geometry(T1.SINK_KEY_BIAS, _TOKEN_SAMPLER, key_bias=True),
        RelationCheck(
            T1.CONTROL_EVERY_TOKEN_SET_HAS_SINK,
            _TOKEN_SAMPLER,
            every_token_set_observables,
            F1_SHAPES,
            token_family,
            min_met=1,
            prefer_small=True,
            instances_per_shape=EvenShare(len(F1_SHAPES), LP_SAMPLE_DIVISOR),
            target_budget=LP_TARGET_BUDGET,
        ),
        RelationCheck(
            T1.CONTROL_L1_SUFFICES, _TIGHT_SAMPLER, margin_observables, SHAPES, attention_family
        ),
        RelationCheck(
            T1.CONTROL_CONSTRUCTION_SHRUNK,
            _CONSTRUCTION_SAMPLER,
            ConstructionObservables(Fraction(9, 10)),
            SHAPES,
            attention_family,
            prepare=_directions,
            prepare_exact=_exact_directions,
        ),
        RelationCheck(
            T1.CONTROL_SINK_TEN_PERCENT_LONGER,
            _PSD_SAMPLER,
            psd_observables,
            SHAPES,
            attention_family,
        ),
    ]


__all__ = ["checks", "causal_mask"]
