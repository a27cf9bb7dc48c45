r"""Hard benchmark statements: false statements of this field whose violations are rare under their
own sampler, each with a true twin (the untightened bound, or the statement restricted to where it
holds). Issue 14, item 3.

Every statement is a :class:`proofs_check.Conjecture` over one attention head with the sink at
token 0: tokens ``X`` (n x d), scores ``W`` (d x d, ``S = X W X^T``), values ``V`` (n x d) where a
statement uses them. Notation (THEORY.md §0): ``A = softmax_rows(S)``, ``a_i = A_i0``,
``rest_i = 1 - a_i``, sink margins ``m_i = min_{j != 0} (s_i0 - s_ij)``, zero-value sink
``y_i = sum_{j != 0} A_ij v_j``, ``R = max_{j != 0} ||v_j||``.

Kinds (the issue's):

* **thin**: a THEORY.md bound with its constant tightened by 1/1000, false only near the bound's
  equality case (all margins equal, all non-sink values equal, mass on the farthest token, ...);
* **large n**: a bound true for small ``n`` because ``(n - 1)`` is replaced by a constant ``c``
  (``c = 8``: false only for ``n >= 10``; ``c = 52``: false only for ``n >= 54``);
* **structure**: a causal sink over tokens whose hull contains 0 (only the non-sink tokens must share
  a half-space, T1.c), which the sampler (tokens in a common cone) never draws.

``FALSE`` and ``TRUE`` map a target name to its conjecture; ``TWIN[name]`` is the true twin of a
false target. The exact witnesses of the false ones live in ``tests/test_hard_targets.py`` and are
never given to any search.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import sympy as sp

from proofs_check import Conjecture, attention, hull_distance
from theory.domain import Domain, Sizes, psd

a, rest, m, n, R, ynorm, delta, lhs, rhs, rest_max, ratio = sp.symbols(
    "a rest m n R ynorm delta lhs rhs rest_max ratio"
)
K = sp.Rational(999, 1000)  # a constant tightened by 1/1000
K_UP = sp.Rational(1001, 1000)
SMALL = ((4, 3), (8, 4), (16, 4))

# -- samplers: Gaussian tokens, scores and values; nothing planted at an equality case ------------


def _gaussian(
    scale: float,
    values: bool = False,
    offset: float = 0.0,
    unit: bool = False,
    orthogonal: bool = False,
) -> Callable[..., Any]:
    """``X`` standard normal (``unit``: rows normalised), ``W = scale * G / sqrt(d)`` (``orthogonal``:
    ``scale * Q`` with ``Q`` the QR factor of ``G``, so every unit query scores at ``scale``);
    ``V`` normal (+ ``offset`` on axis 0)."""

    def sample(rng: np.random.Generator, n: int, d: int, batch: int) -> dict[str, np.ndarray]:
        X = rng.standard_normal((batch, n, d))
        if unit:
            X /= np.linalg.norm(X, axis=-1, keepdims=True)
        G = rng.standard_normal((batch, d, d))
        W = scale * (np.linalg.qr(G)[0] if orthogonal else G / np.sqrt(d))
        out = {"X": X, "W": W}
        if values:
            V = rng.standard_normal((batch, n, d))
            V[..., 0] += offset
            out["V"] = V
        return out

    return sample


def _psd_planted(rng: np.random.Generator, n: int, d: int, batch: int) -> dict[str, np.ndarray]:
    """Tied queries and keys: ``W = L L^T / d + 4 x_0 x_0^T / ||x_0||^2`` (PSD, sink-favouring)."""
    X = rng.standard_normal((batch, n, d))
    L = rng.standard_normal((batch, d, d))
    x0 = X[:, 0, :] / np.linalg.norm(X[:, 0, :], axis=-1, keepdims=True)
    W = L @ np.swapaxes(L, -1, -2) / d + 4.0 * x0[:, :, None] * x0[:, None, :]
    return {"X": X, "W": W}


def _cone_causal(rng: np.random.Generator, n: int, d: int, batch: int) -> dict[str, np.ndarray]:
    """Tokens in a cone around ``e_1`` (``2 e_1 + N(0, I)``), ``W = c e_1 (x_0 - x̄)^T``, planted
    causal sink at token 0 with ``c`` log-uniform in ``[1/4, 4]``."""
    X = rng.standard_normal((batch, n, d))
    X[..., 0] += 2.0
    v = X[:, 0, :] - X.mean(axis=1)
    c = np.exp(rng.uniform(np.log(0.25), np.log(4.0), size=(batch, 1, 1)))
    e1 = np.zeros((batch, d, 1))
    e1[:, 0, 0] = 1.0
    W = c * e1 * v[:, None, :] + 0.1 * rng.standard_normal((batch, d, d))
    return {"X": X, "W": W}


# -- quantities (written once against ops: jax.numpy in float64, NumPy over arb balls) ------------


def _sink(inst: dict[str, Any], ops: Any, causal: bool = False) -> dict[str, Any]:
    xp = ops.xp
    X, W = inst["X"], inst["W"]
    S = X @ W @ X.T
    A = attention(ops, X, W, causal=causal)
    size = S.shape[0]
    others = xp.arange(size) != 0
    margins = ops.masked_min(S[:, 0][:, None] - S, others[None, :], axis=-1)
    return {"A": A, "a": A[:, 0], "rest": 1 - A[:, 0], "m": margins, "n": size, "others": others}


def sink_quantities(inst: dict[str, Any], ops: Any) -> dict[str, Any]:
    """Per row ``i``: ``a = A_i0``, ``rest = 1 - A_i0``, ``m = m_i``; and ``n``."""
    q = _sink(inst, ops)
    return {"a": q["a"], "rest": q["rest"], "m": q["m"], "n": q["n"]}


def zero_value_quantities(inst: dict[str, Any], ops: Any) -> dict[str, Any]:
    """Zero-value sink (``v_0 = 0``): per row ``ynorm = ||y_i||``, ``rest``, ``m``; ``R``, ``n``."""
    q = _sink(inst, ops)
    xp = ops.xp
    V = inst["V"] * xp.where(q["others"], 1, 0)[:, None]
    Y = q["A"] @ V
    norms = ops.norm(V, axis=-1)
    return {
        "ynorm": ops.norm(Y, axis=-1),
        "rest": q["rest"],
        "m": q["m"],
        "R": ops.masked_max(norms, q["others"]),
        "n": q["n"],
    }


def lower_switch_quantities(inst: dict[str, Any], ops: Any) -> dict[str, Any]:
    """T2.b's lower side: per row ``ynorm = ||y_i - a_i v_0||``, ``rest``; and
    ``delta = dist(0, conv{v_j : j != 0})``."""
    q = _sink(inst, ops)
    V = inst["V"]
    Y = q["A"] @ V - q["a"][:, None] * V[0][None, :]
    return {
        "ynorm": ops.norm(Y, axis=-1),
        "rest": q["rest"],
        "delta": hull_distance(ops, V, q["others"]),
    }


def dobrushin_quantities(inst: dict[str, Any], ops: Any) -> dict[str, Any]:
    """T6.d squared (no square root of a ball that straddles 0): ``lhs = diam(A X)^2``,
    ``rhs = delta(A)^2 diam(X)^2``, ``delta(A) = max_{i,k} ||a_i - a_k||_1 / 2``."""
    xp = ops.xp
    X, W = inst["X"], inst["W"]
    A = attention(ops, X, W)
    size = X.shape[0]

    def diam2(P: Any) -> Any:
        diffs = P[:, None, :] - P[None, :, :]
        return ops.max(xp.sum(diffs * diffs, axis=-1).reshape(size * size))

    l1 = xp.sum(xp.abs(A[:, None, :] - A[None, :, :]), axis=-1).reshape(size * size)
    dob = ops.max(l1) / 2
    return {"lhs": diam2(A @ X), "rhs": dob * dob * diam2(X)}


def diagonal_quantities(inst: dict[str, Any], ops: Any) -> dict[str, Any]:
    """T5.a per row: ``lhs = ||y_i - v_i||``, ``rhs = (1 - A_ii) max_{j != i} ||v_j - v_i||``
    (``Y = A V``, ``V = X``: the values are the tokens)."""
    xp = ops.xp
    X, W = inst["X"], inst["W"]
    A = attention(ops, X, W)
    size = X.shape[0]
    Y = A @ X
    diffs = X[None, :, :] - X[:, None, :]
    dist = xp.sqrt(xp.sum(diffs * diffs, axis=-1))
    off = xp.arange(size)[None, :] != xp.arange(size)[:, None]
    far = ops.masked_max(dist, off, axis=-1)
    diag = xp.sum(A * xp.where(off, 0, 1), axis=-1)
    return {"lhs": ops.norm(Y - X, axis=-1), "rhs": (1 - diag) * far}


def tied_quantities(inst: dict[str, Any], ops: Any) -> dict[str, Any]:
    """T1.e: ``rest_max = max_i (1 - A_i0)``; per token ``j != 0`` the squared-length
    ``ratio = ||x_0||_W^2 / ||x_j||_W^2`` (PSD ``W``); the sink's own entry is set to 2."""
    xp = ops.xp
    X, W = inst["X"], inst["W"]
    q = _sink(inst, ops)
    lengths = xp.sum((X @ W) * X, axis=-1)
    ratio_ = lengths[0] / xp.where(q["others"], lengths, lengths[0] / 2)
    return {"rest_max": ops.max(q["rest"]), "ratio": ratio_}


def causal_quantities(inst: dict[str, Any], ops: Any) -> dict[str, Any]:
    """Causal mask, sink first: ``rest_max = max_{i >= 1} (1 - A_i0)``; ``delta = dist(0, conv X)``,
    and ``delta_others = dist(0, conv{x_j : j != 0})`` (T1.c's half-space condition)."""
    q = _sink(inst, ops, causal=True)
    later = q["others"]
    return {
        "rest_max": ops.masked_max(q["rest"], later),
        "delta": hull_distance(ops, inst["X"]),
        "delta_others": hull_distance(ops, inst["X"], later),
    }


# -- the statements -----------------------------------------------------------------------------


def _c(name: str, title: str, conclusion: sp.Rel, quantities: Any, instances: Any, **kw: Any):
    return Conjecture(
        name=name,
        title=title,
        conclusion=conclusion,
        quantities=quantities,
        instances=instances,
        expect=kw.pop("expect", "REFUTED"),
        shapes=kw.pop("shapes", SMALL),
        **kw,
    )


def _margin_bound(c: Any) -> sp.Expr:
    return 1 / (1 + c * sp.exp(-m))


def _upper_switch(c: Any) -> sp.Expr:
    return R * c * sp.exp(-m) / (1 + c * sp.exp(-m))


N3 = Domain(sizes=Sizes(n_min=3))
TIED = Domain(fields=(psd("W"),))
# unit tokens throughout the sink statements: no flat row from a short token, no outlier token
SINKY = _gaussian(12.0, unit=True, orthogonal=True)  # rows spread over +-12: few top near-ties
SPREAD = _gaussian(1.0, unit=True)
FLAT = _gaussian(0.3)  # rows near uniform: concentration on one token is rare
VALUES = _gaussian(0.5, values=True, unit=True)  # |s_ij| <~ 1: no row concentrates
OFFSET_VALUES = _gaussian(0.5, values=True, offset=2.0, unit=True)
HALF = sp.Rational(1, 2)
QUARTER = sp.Rational(1, 4)


def _pairs() -> list[tuple[Conjecture, Conjecture]]:
    """(false, true twin) pairs."""
    return [
        (
            _c(
                "t1a_thin",
                "T1.a tightened: A_i0 >= 1/(1 + (999/1000)(n-1) e^{-m_i})",
                sp.Ge(a, _margin_bound(K * (n - 1))),
                sink_quantities,
                SINKY,
            ),
            _c(
                "t1a",
                "T1.a: A_i0 >= 1/(1 + (n-1) e^{-m_i})",
                sp.Ge(a, _margin_bound(n - 1)),
                sink_quantities,
                SINKY,
                expect="HOLDS",
            ),
        ),
        (
            _c(
                "t1a_converse_thin",
                "T1.a converse tightened: m_i >= (1001/1000) log(A_i0/(1 - A_i0)), n >= 3",
                sp.Ge(m, K_UP * sp.log(a / rest)),
                sink_quantities,
                FLAT,
                domain=N3,
            ),
            _c(
                "t1a_converse",
                "T1.a converse: m_i >= log(A_i0/(1 - A_i0))",
                sp.Ge(m, sp.log(a / rest)),
                sink_quantities,
                FLAT,
                expect="HOLDS",
            ),
        ),
        (
            _c(
                "margin_8",
                "margins suffice with 8 for n-1: A_i0 >= 1/(1 + 8 e^{-m_i}) (false only n >= 10)",
                sp.Ge(a, _margin_bound(8)),
                sink_quantities,
                SINKY,
                shapes=((4, 3), (8, 4), (12, 3), (16, 4)),
            ),
            _c(
                "margin_8_small_n",
                "A_i0 >= 1/(1 + 8 e^{-m_i}) for n <= 9 (T1.a)",
                sp.Ge(a, _margin_bound(8)),
                sink_quantities,
                SINKY,
                shapes=((4, 3), (8, 4), (9, 3), (12, 3), (16, 4)),
                domain=Domain(sizes=Sizes(n_max=9)),
                expect="HOLDS",
            ),
        ),
        (
            _c(
                "margin_52",
                "margins suffice with 52 for n-1: A_i0 >= 1/(1 + 52 e^{-m_i}) (false only n >= 54)",
                sp.Ge(a, _margin_bound(52)),
                sink_quantities,
                SINKY,
                shapes=((8, 4), (16, 4), (32, 4), (64, 4)),
            ),
            _c(
                "margin_52_small_n",
                "A_i0 >= 1/(1 + 52 e^{-m_i}) for n <= 53 (T1.a)",
                sp.Ge(a, _margin_bound(52)),
                sink_quantities,
                SINKY,
                shapes=((8, 4), (16, 4), (32, 4), (53, 4), (64, 4)),
                domain=Domain(sizes=Sizes(n_max=53)),
                expect="HOLDS",
            ),
        ),
        (
            _c(
                "t2b_upper_thin",
                "T2.b upper, zero-value sink, tightened: ||y_i|| <= (999/1000)(1 - A_i0) R",
                sp.Le(ynorm, K * rest * R),
                zero_value_quantities,
                VALUES,
            ),
            _c(
                "t2b_upper",
                "T2.b upper, zero-value sink: ||y_i|| <= (1 - A_i0) R",
                sp.Le(ynorm, rest * R),
                zero_value_quantities,
                VALUES,
                expect="HOLDS",
            ),
        ),
        (
            _c(
                "t2b_lower_thin",
                "T2.b lower tightened: ||y_i - A_i0 v_0|| >= (1001/1000)(1 - A_i0) delta",
                sp.Ge(ynorm, K_UP * rest * delta),
                lower_switch_quantities,
                OFFSET_VALUES,
                shapes=((8, 2), (16, 3)),
            ),
            _c(
                "t2b_lower",
                "T2.b lower: ||y_i - A_i0 v_0|| >= (1 - A_i0) delta",
                sp.Ge(ynorm, rest * delta),
                lower_switch_quantities,
                OFFSET_VALUES,
                shapes=((8, 2), (16, 3)),
                expect="HOLDS",
            ),
        ),
        (
            _c(
                "t2d_thin",
                "T2.d tightened: ||y_i|| <= (999/1000) R (n-1)e^{-m_i}/(1 + (n-1)e^{-m_i})",
                sp.Le(ynorm, K * _upper_switch(n - 1)),
                zero_value_quantities,
                VALUES,
            ),
            _c(
                "t2d",
                "T2.d: ||y_i|| <= R (n-1)e^{-m_i}/(1 + (n-1)e^{-m_i})",
                sp.Le(ynorm, _upper_switch(n - 1)),
                zero_value_quantities,
                VALUES,
                expect="HOLDS",
            ),
        ),
        (
            _c(
                "t2d_8",
                "T2.d with 8 for n-1: ||y_i|| <= 8 R e^{-m_i}/(1 + 8 e^{-m_i}) (false only n >= 10)",
                sp.Le(ynorm, _upper_switch(8)),
                zero_value_quantities,
                VALUES,
                shapes=((4, 3), (8, 4), (12, 3), (16, 4)),
            ),
            _c(
                "t2d_8_small_n",
                "||y_i|| <= 8 R e^{-m_i}/(1 + 8 e^{-m_i}) for n <= 9 (T2.d)",
                sp.Le(ynorm, _upper_switch(8)),
                zero_value_quantities,
                VALUES,
                shapes=((4, 3), (8, 4), (9, 3), (12, 3), (16, 4)),
                domain=Domain(sizes=Sizes(n_max=9)),
                expect="HOLDS",
            ),
        ),
        (
            _c(
                "t6d_thin",
                "T6.d tightened: diam(AX) <= (999/1000) delta(A) diam(X), n >= 3",
                sp.Le(lhs, K**2 * rhs),
                dobrushin_quantities,
                SPREAD,
                domain=N3,
                shapes=((8, 4), (16, 4)),
            ),
            _c(
                "t6d",
                "T6.d: diam(AX) <= delta(A) diam(X)",
                sp.Le(lhs, rhs),
                dobrushin_quantities,
                SPREAD,
                expect="HOLDS",
            ),
        ),
        (
            _c(
                "t5a_thin",
                "T5.a tightened: ||y_i - v_i|| <= (999/1000)(1 - A_ii) max_j ||v_j - v_i||, n >= 3",
                sp.Le(lhs, K * rhs),
                diagonal_quantities,
                FLAT,
                domain=N3,
            ),
            _c(
                "t5a",
                "T5.a: ||y_i - v_i|| <= (1 - A_ii) max_j ||v_j - v_i||",
                sp.Le(lhs, rhs),
                diagonal_quantities,
                FLAT,
                expect="HOLDS",
            ),
        ),
        (
            _c(
                "t1e_thin",
                "T1.e tightened: PSD W, 1/2-sink => ||x_0||_W^2 >= (1001/1000) ||x_j||_W^2",
                sp.Ge(ratio, K_UP),
                tied_quantities,
                _psd_planted,
                hypotheses=[sp.Lt(rest_max, HALF)],
                domain=TIED,
                shapes=((2, 2), (4, 3), (8, 4)),
            ),
            _c(
                "t1e",
                "T1.e: PSD W, 1/2-sink => ||x_0||_W^2 > ||x_j||_W^2",
                sp.Gt(ratio, 1),
                tied_quantities,
                _psd_planted,
                hypotheses=[sp.Lt(rest_max, HALF)],
                domain=TIED,
                shapes=((2, 2), (4, 3), (8, 4)),
                expect="HOLDS",
            ),
        ),
        (
            _c(
                "causal_hull",
                "causal 1/4-sink at token 0 => 0 not in conv{x_i} (false: only j != 0 need a half-space)",
                sp.Gt(delta, 0),
                causal_quantities,
                _cone_causal,
                hypotheses=[sp.Le(rest_max, QUARTER)],
            ),
            _c(
                "causal_hull_others",
                "T1.c: causal 1/4-sink at token 0 => 0 not in conv{x_j : j != 0}",
                sp.Gt(sp.Symbol("delta_others"), 0),
                causal_quantities,
                _cone_causal,
                hypotheses=[sp.Le(rest_max, QUARTER)],
                expect="HOLDS",
            ),
        ),
    ]


PAIRS = _pairs()
FALSE = {f.name: f for f, _ in PAIRS}
TRUE = {t.name: t for _, t in PAIRS}
TWIN = {f.name: t.name for f, t in PAIRS}
ALL = {**FALSE, **TRUE}
KIND = {
    "t1a_thin": "thin",
    "t1a_converse_thin": "thin",
    "margin_8": "n >= 10",
    "margin_52": "n >= 54",
    "t2b_upper_thin": "thin, zero-value sink",
    "t2b_lower_thin": "thin, solver observable",
    "t2d_thin": "thin, zero-value sink",
    "t2d_8": "n >= 10, zero-value sink",
    "t6d_thin": "thin",
    "t5a_thin": "thin",
    "t1e_thin": "thin, PSD domain",
    "causal_hull": "structure, solver observable",
}
