r"""Compiled checks for T1 (geometry of sinks) and its controls.

Relation checks (T1.a, T1.d, T1.e, T1-F2, T1-F3, T1-F4) sample instances, compute observables with
one code path for float64 and ball arithmetic, and evaluate the statement's SymPy relations.
Equivalence checks (T1.b, T1.c, T1.f) solve the linear programs of each side with HiGHS, instance by
instance, and require every side to agree; the failing side is backed by the convex-combination
certificate that makes the proof of necessity work (``sum_i lambda_i x_i = 0``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import flint
import numpy as np

from proofs_check import portable
from proofs_check.certify import Certificate
from proofs_check.checks.engine import Instance, RelationCheck, _take, theory_value
from proofs_check.evidence import Counterexample, Evidence
from proofs_check.instances import (
    TOKEN_FAMILIES,
    WEIGHT_FAMILIES,
    choose,
    rng_for,
    sample_eps,
    sample_score_matrices,
    sample_tokens,
)
from proofs_check.observables.attention import attention, causal_mask, scores, sink_margins
from proofs_check.observables.geometry import (
    bilinear_sink_lp,
    exact_min_norm_point,
    hull_distance,
    strict_separation_lp,
    vertex_points,
)
from proofs_check.observables.sink_certificates import certify_sink_instance
from theory import sinks as T1
from theory.core import verify_steps
from theory.symbols import eps as eps_symbol
from theory.symbols import log_odds_all
from theory.symbols import n as n_symbol

SHAPES = ((2, 1), (2, 2), (3, 2), (4, 3), (8, 8), (16, 4), (32, 16), (64, 64))
LP_SHAPES = ((2, 1), (3, 2), (4, 2), (5, 3), (8, 3), (12, 6), (16, 8))
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

    def __call__(self, rng: np.random.Generator, n: int, d: int, batch: int) -> Instance:
        s = rng.integers(0, n, batch)
        tf = choose(rng, self.token_families, batch)
        X = sample_tokens(rng, tf, n, d, s)
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
    return {"u": hull_distance(X).direction, "v": hull_distance(vertex_points(X, s)).direction}


def _exact_directions(inst: Instance) -> dict[str, Any]:
    X = inst["X"]
    s = int(inst["s"])
    Xf = np.vectorize(float, otypes=[float])(X)
    half = exact_min_norm_point(X, hull_distance(Xf).support)
    diffs = np.delete(X[s][None, :] - X, s, axis=0)
    vert = exact_min_norm_point(diffs, hull_distance(vertex_points(Xf, s)).support)
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
# Equivalence checks solved by linear programs: T1.b, T1.c, T1.f and the control T1-F1.
# ----------------------------------------------------------------------------------------------

LP_TOL = 1e-8
LP_ZERO = 1e-12


def _scale(P: np.ndarray) -> float:
    return max(1.0, float(np.max(np.abs(P)))) ** 2


@dataclass
class SinkSides:
    """What each side of an equivalence says about one instance."""

    lp_sink: bool  # (iii): the margin LP has a strictly positive optimum
    geometric: bool  # (iv): the separation LPs have positive optima
    rank_one: bool | None  # (v): the rank-one W from the separating u, v has positive margins
    constructed: bool | None  # (i)/(ii): that W, scaled, is an eps-sink for eps = 0.49 and 0.01
    certificate_residual: float | None  # when (iv) fails: ||sum_k lambda_k p_k|| (0 proves no sink)
    ambiguous: bool

    @property
    def agree(self) -> bool:
        if self.lp_sink != self.geometric:
            return False
        if self.geometric:
            return bool(self.rank_one and self.constructed)
        return self.certificate_residual is not None and self.certificate_residual <= 1e-9


def _construction_is_sink(
    X: np.ndarray, s: int, u: np.ndarray, v: np.ndarray, causal: bool, bias_only: bool
) -> bool:
    """Scale the rank-one (or bias-only) construction to eps = 0.49 and 0.01; is s an eps-sink?"""
    n = X.shape[0]
    comp = np.arange(n) != s
    gv = float(np.min((X[s] - X[comp]) @ v))
    rows = np.arange(n) > s if causal else np.ones(n, dtype=bool)
    gu = 1.0 if bias_only else float(np.min(X[rows] @ u)) if rows.any() else 1.0
    if gu <= 0 or gv <= 0:
        return False
    mask = np.tril(np.ones((n, n), dtype=bool)) if causal else None
    for eps in (0.49, 0.01):
        c = np.log((n - 1) * (1 - eps) / eps) / (gu * gv)
        S = np.tile((c * v) @ X.T, (n, 1)) if bias_only else X @ (c * np.outer(u, v)) @ X.T
        A = portable.softmax(S, mask)
        if np.any(1 - A[rows, s] > eps * (1 + 1e-9)):
            return False
    return True


def sink_sides(X: np.ndarray, s: int, mode: str) -> SinkSides:
    """Evaluate (iii), (iv), (v), (i)/(ii) for ``mode`` in {"plain", "causal", "key_bias"}."""
    causal, bias = mode == "causal", mode == "key_bias"
    scale = _scale(X)
    lp = bilinear_sink_lp(X, s, causal=causal, key_bias=bias)
    others = np.delete(X, s, axis=0)
    half_set = others if causal else X
    half = strict_separation_lp(half_set)
    vert = strict_separation_lp(vertex_points(X, s))
    values = [lp.value, vert.value] + ([] if bias else [half.value])
    # each LP's optimum is >= 0 (t = 0 is feasible) and > 0 iff the strict condition holds; an optimum
    # strictly between rounding level and LP_TOL cannot be told apart from either side
    ambiguous = any(LP_ZERO * scale < v <= LP_TOL * scale for v in values)
    geometric = vert.value > LP_TOL * scale and (bias or half.value > LP_TOL * scale)
    rank_one = constructed = residual = None
    if geometric:
        u, v = half.solution, vert.solution
        rows = np.arange(X.shape[0]) > s if causal else np.ones(X.shape[0], dtype=bool)
        margins = np.outer(X[rows] @ u, (X[s] - np.delete(X, s, axis=0)) @ v)
        rank_one = bias or bool(np.all(margins > 0))
        constructed = _construction_is_sink(X, s, u, v, causal, bias)
    else:
        failing = vertex_points(X, s) if (bias or vert.value <= LP_TOL * scale) else half_set
        h = hull_distance(failing)
        residual = h.distance / max(1.0, float(np.max(np.abs(failing))))
    return SinkSides(
        lp.value > LP_TOL * scale, geometric, rank_one, constructed, residual, ambiguous
    )


@dataclass(frozen=True)
class SinkEquivalenceCheck:
    """T1.b / T1.c / T1.f: every side of the equivalence agrees on every unambiguous instance."""

    statement: Any
    mode: str  # "plain" | "causal" | "key_bias"
    shapes: tuple[tuple[int, int], ...] = LP_SHAPES
    min_per_side: int = 10
    sample: Callable[[np.random.Generator, int, int, int], Instance] = AttentionSampler()

    def run(self, seed: int, samples: int) -> Evidence:
        ev = Evidence(self.statement, symbolic=verify_steps(self.statement.derivation))
        per_shape = max(
            1, -(-samples // (4 * len(self.shapes)))
        )  # LPs are dearer than vmapped checks
        counts = dict.fromkeys(
            ("sink", "no_sink", "ambiguous", "disagree", "exact", "not_exact"), 0
        )
        families: dict[str, int] = {}
        for idx, (n, d) in enumerate(self.shapes):
            batch = self.sample(rng_for(seed, self.statement.id, idx), n, d, per_shape)
            for b in range(per_shape):
                inst = _take(batch, b)
                X = np.asarray(inst["X"], dtype=float)
                s = 0 if self.mode == "causal" else int(inst["s"])
                ev.tried += 1
                sides = sink_sides(X, s, self.mode)
                if sides.ambiguous:
                    counts["ambiguous"] += 1
                    continue
                ev.met += 1
                label = attention_family(inst)
                families[label] = families.get(label, 0) + 1
                counts["sink" if sides.geometric else "no_sink"] += 1
                exact = certify_sink_instance(X, s, self.mode, sides.geometric)
                counts["exact" if exact.certified else "not_exact"] += 1
                if not sides.agree:
                    counts["disagree"] += 1
                    ev.uncertified_violations += 1
                    ev.extra.setdefault("disagreements", []).append(
                        {"X": X.tolist(), "s": s, "sides": sides.__dict__}
                    )
        ev.families = sorted(families)
        ev.extra["family_counts"] = dict(sorted(families.items()))
        ev.extra["sides"] = counts
        ev.min_met = 2 * self.min_per_side
        ev.worst_slack = None
        ev.detail = (
            f"sink possible {counts['sink']}, impossible {counts['no_sink']}, "
            f"ambiguous (an LP optimum in ({LP_ZERO:g}, {LP_TOL:g}]) {counts['ambiguous']}, disagreements {counts['disagree']}; "
            f"proved on {counts['exact']} of {ev.met} instances by exact rational certificates"
        )
        ev.extra["exact_proofs"] = {"proved": counts["exact"], "instances": ev.met}
        if min(counts["sink"], counts["no_sink"]) < self.min_per_side:
            ev.met = min(
                ev.met, ev.min_met - 1
            )  # one side of the iff was barely exercised: VACUOUS
            ev.detail += f"; fewer than {self.min_per_side} instances on one side"
        if counts["disagree"]:
            ev.error = f"{counts['disagree']} instance(s) where the sides disagree in float64 (not certified; see extra.disagreements)"
        return ev


@dataclass(frozen=True)
class EveryTokenSetHasSinkControl:
    """T1-F1: refuted by an exact convex combination ``sum_i lambda_i x_i = 0`` of distinct tokens."""

    statement: Any
    shapes: tuple[tuple[int, int], ...] = LP_SHAPES
    sample: Callable[[np.random.Generator, int, int, int], Instance] = AttentionSampler()

    def run(self, seed: int, samples: int) -> Evidence:
        ev = Evidence(self.statement, symbolic=verify_steps(self.statement.derivation), min_met=1)
        per_shape = max(1, -(-samples // (4 * len(self.shapes))))
        for idx, (n, d) in enumerate(self.shapes):
            batch = self.sample(rng_for(seed, self.statement.id, idx), n, d, per_shape)
            for b in range(per_shape):
                inst = _take(batch, b)
                X = np.asarray(inst["X"], dtype=float)
                ev.tried += 1
                if len({tuple(r) for r in X.tolist()}) < X.shape[0]:
                    continue  # the hypothesis: distinct tokens
                ev.met += 1
                if ev.counterexample is not None:
                    continue
                h = hull_distance(X)
                if h.distance > 1e-9 * _scale(X):
                    continue
                cert = certify_origin_in_hull(X, h.support)
                if cert.certified:
                    ev.counterexample = Counterexample(
                        self.statement.id,
                        {"X": X.tolist(), "s": "any"},
                        0,
                        attention_family(inst),
                        (n, d),
                        cert,
                    )
                else:
                    ev.float_noise += 1
        return ev


def certify_origin_in_hull(X: np.ndarray, support: tuple[int, ...]) -> Certificate:
    """Exact proof that ``0 in conv{x_i}`` for distinct rational tokens, hence no sink (T1.b, T1.a)."""
    Xq = np.array([[Fraction(float(v)) for v in row] for row in X], dtype=object)
    exact = exact_min_norm_point(Xq, support)
    distinct = len({tuple(r) for r in Xq.tolist()}) == Xq.shape[0]
    if exact is None or exact.squared_distance != 0 or not distinct:
        return Certificate(
            "not certified", False, None, "", "", note="0 in conv X not proven exactly"
        )
    weights = ", ".join(str(w) for w in exact.weights)
    return Certificate(
        "exact rational arithmetic",
        True,
        None,
        "some s and W make s an eps-sink (eps = 1/4)",
        f"sum_i lambda_i x_i = 0 exactly with lambda = ({weights}); so for every s, W and j != s, "
        "sum_i lambda_i (s_is - s_ij) = 0: some row has a margin <= 0, hence A_is <= 1/2 < 3/4",
        {"rows pairwise distinct": "exact"},
    )


# ----------------------------------------------------------------------------------------------

_MARGIN_SAMPLER = AttentionSampler(with_eps=True)
_TIGHT_SAMPLER = AttentionSampler(with_eps=True, tight_eps=True)
_CONSTRUCTION_SAMPLER = AttentionSampler(token_families=_SINKY_TOKENS, with_eps=True)
_PSD_SAMPLER = AttentionSampler(token_families=_SINKY_TOKENS, weight_families=_PSD_WEIGHTS)


def checks() -> list[Any]:
    """The compiled checks of T1, in THEORY.md order."""
    return [
        RelationCheck(
            T1.SINK_MARGIN_LEMMA, _MARGIN_SAMPLER, margin_observables, SHAPES, attention_family
        ),
        SinkEquivalenceCheck(T1.SINK_GEOMETRY, "plain"),
        SinkEquivalenceCheck(T1.SINK_GEOMETRY_CAUSAL, "causal"),
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
        SinkEquivalenceCheck(T1.SINK_KEY_BIAS, "key_bias"),
        EveryTokenSetHasSinkControl(T1.CONTROL_EVERY_TOKEN_SET_HAS_SINK),
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
