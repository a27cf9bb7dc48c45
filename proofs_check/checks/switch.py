r"""Compiled checks for T2 (sinks are hard attention switches) and its controls.

Every statement is a :class:`RelationCheck`: instances are tokens ``X``, a score matrix ``W`` (the
families of :mod:`proofs_check.instances`, plus ``W = 0``: exactly uniform attention), an optional
causal mask (then the sink is the first token), a sink index ``s`` and value rows ``V``. The
observables (one code path for float64 and for ``arb`` balls) are read off ``A = softmax(X W X^T)``
and ``V``:

* the row's mass off the sink, ``1 - A_is = sum_{j != s} A_ij`` (summed, never subtracted);
* ``||y_i - A_is v_s|| = ||sum_{j != s} A_ij v_j||`` and ``||y_i|| = ||(A V)_i||``;
* ``R = max_{j != s} ||v_j||``; the zero-value set ``Z = {j : v_j = 0}`` (exact zeros);
* ``delta = dist(0, conv{v_j : j != s})`` and ``delta_Z = dist(0, conv{v_j : j not in Z})``: Wolfe's
  minimum-norm point in float64 (``prepare``), and in ball arithmetic (``prepare_exact``) the exact
  rational minimum-norm point with its optimality proof, or, when that face is degenerate, the
  rigorous enclosure ``max(0, min_j u^T v_j/||u||) <= delta <= ||sum_j lambda_j v_j||`` from the
  float solution (weak duality), so a violation involving ``delta`` can still be certified.

T2.b, T2.c and T2.d also report, per conclusion, its cases and worst slack, and how close the bound
comes to equality on the instances where THEORY.md says it is attained (all non-sink values equal;
``W = 0`` for T2.d), as the engine's ``reported`` summaries of the same sample.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import flint
import numpy as np
import sympy as sp

from proofs_check import portable
from proofs_check.checks.engine import Instance, RelationCheck, Reported, sympy_relations_of
from proofs_check.instances import (
    TOKEN_FAMILIES,
    VALUE_FAMILIES,
    WEIGHT_FAMILIES,
    choose,
    sample_score_matrices,
    sample_tokens,
    sample_values,
)
from proofs_check.observables.attention import causal_mask, scores
from proofs_check.observables.geometry import HullDistance, exact_min_norm_point, hull_distance
from theory import switch as T2
from theory.core import Statement

SHAPES = ((2, 1), (2, 2), (3, 2), (4, 3), (8, 8), (16, 4), (32, 16), (64, 64))
# powers of two: W = 0 gives attention 1/n, exact in binary, so Y = 0 can be proven exactly (T2-F1)
EVEN_SHAPES = ((2, 1), (2, 2), (4, 3), (8, 8), (16, 4), (64, 16))
# controls: small instances make short, readable counterexamples (and cheap certificates)
CONTROL_SHAPES = ((2, 1), (2, 2), (3, 2), (4, 3), (8, 8), (16, 4))
MAX_VALUE_WIDTH = 16

# score matrices: the shared families plus W = 0 (exactly uniform attention)
SCORE_FAMILIES = (*WEIGHT_FAMILIES, "zero")
# values: the shared families plus the zero-sink equality case, a hull far from 0, a massive sink
SWITCH_VALUE_FAMILIES = (*VALUE_FAMILIES, "equal_zero_sink", "offset", "massive_sink")

_ALL_TOKENS = tuple(range(len(TOKEN_FAMILIES)))
_ALL_SCORES = tuple(range(len(SCORE_FAMILIES)))
_ALL_VALUES = tuple(range(len(SWITCH_VALUE_FAMILIES)))
_ZERO_W = SCORE_FAMILIES.index("zero")
_PLANTED = SCORE_FAMILIES.index("planted_sink")


def _family(name: str) -> int:
    return SWITCH_VALUE_FAMILIES.index(name)


def _value_width(d: int) -> int:
    return min(d, MAX_VALUE_WIDTH)


# ----------------------------------------------------------------------------------------------
# Instance sampling
# ----------------------------------------------------------------------------------------------


def sample_switch_values(
    rng: np.random.Generator, families: np.ndarray, X: np.ndarray, s: np.ndarray, dv: int
) -> np.ndarray:
    """Value rows (B, n, dv): the shared families of ``sample_values`` and three more.

    ``equal_zero_sink``: ``v_s = 0`` and every other value equal (T2.b's equality case);
    ``offset``: values ``X W_V + 3 (rms + 1) o`` for a unit ``o`` (a hull usually away from 0);
    ``massive_sink``: a sink value 10-100 times longer than the rest.
    """
    B, n, _ = X.shape
    # the three extra families start from the Gaussian projections X W_V (shared family 0)
    shared = np.where(families < len(VALUE_FAMILIES), families, 0)
    V = sample_values(rng, shared, X, s, dv)
    rows = np.arange(n)[None, :, None]
    sink = rows == s[:, None, None]
    target = rng.standard_normal((B, 1, dv))
    offset = rng.standard_normal((B, 1, dv))
    offset = offset / np.linalg.norm(offset, axis=-1, keepdims=True)
    scale = np.sqrt(np.mean(V * V, axis=(1, 2), keepdims=True)) + 1.0
    big = portable.pow10(rng.uniform(1.0, 2.0, (B, 1, 1)))
    extra = {
        "equal_zero_sink": np.where(sink, 0.0, target),
        "offset": V + 3.0 * scale * offset,
        "massive_sink": np.where(sink, big * target, V),
    }
    for name, values in extra.items():
        V = np.where((families == _family(name))[:, None, None], values, V)
    return V


def plant_zero_values(rng: np.random.Generator, V: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Zero the values of a random set ``Z`` of 1..n-1 tokens; ``s in Z`` for about half the batch."""
    B, n, _ = V.shape
    size = rng.integers(1, n, B)  # |Z| in [1, n - 1]
    order = np.argsort(rng.random((B, n)), axis=1)
    sink_first = rng.random(B) < 0.5
    # put the sink first in the random order for half the batch: then s is always in Z
    pos = np.argmax(order == s[:, None], axis=1)
    swapped = order.copy()
    swapped[np.arange(B), pos] = order[:, 0]
    swapped[:, 0] = s
    order = np.where(sink_first[:, None], swapped, order)
    ranks = np.argsort(order, axis=1)
    in_z = ranks < size[:, None]
    return np.where(in_z[:, :, None], 0.0, V)


def _row_margins_np(X: np.ndarray, W: np.ndarray, s: np.ndarray, causal: np.ndarray) -> np.ndarray:
    """``min_{j != s, visible} (s_is - s_ij)`` per row (``+inf`` without competitors), NumPy."""
    B, n, _ = X.shape
    S = X @ W @ np.swapaxes(X, 1, 2)
    diffs = S[np.arange(B), :, s][:, :, None] - S
    cols = np.arange(n)[None, None, :]
    visible = (cols <= np.arange(n)[None, :, None]) | (causal[:, None, None] == 0)
    comp = visible & (cols != s[:, None, None])
    return np.where(comp, diffs, np.inf).min(axis=2)


def sample_eta(
    rng: np.random.Generator, X: np.ndarray, W: np.ndarray, V: np.ndarray, s: np.ndarray, causal
) -> np.ndarray:
    """Per-row targets ``eta`` in (0, R): mostly just above the row's T2.d cap, else uniform."""
    B, n, _ = X.shape
    others = np.arange(n)[None, :] != s[:, None]
    R = np.where(others, np.linalg.norm(V, axis=-1), 0.0).max(axis=1)[:, None]
    m = _row_margins_np(X, W, s, causal)
    cap = R * (n - 1) / (n - 1 + portable.exp(np.clip(m, -700.0, 700.0)))
    above = cap * (1.0 + portable.pow10(rng.uniform(-10.0, 0.0, (B, n))))
    uniform = R * rng.uniform(0.0, 1.0, (B, n))
    eta = np.where(rng.random((B, n)) < 0.75, above, uniform)
    eta = np.where((eta > 0) & (eta < R), eta, R * rng.uniform(0.01, 0.99, (B, n)))
    return np.where(R > 0, eta, 1.0)


@dataclass(frozen=True)
class SwitchSampler:
    """Tokens, score matrix, sink, optional causal mask (sink first), values; families drawn per instance."""

    token_families: tuple[int, ...] = _ALL_TOKENS
    score_families: tuple[int, ...] = _ALL_SCORES
    value_families: tuple[int, ...] = _ALL_VALUES
    causal_fraction: float = 0.25
    zero_set: bool = False  # plant a set Z of zero-value tokens (T2.c)
    zero_sink: bool = False  # force v_s = 0 (T2.d)
    with_eta: bool = False  # per-row eta for T2.d's threshold form

    def __call__(self, rng: np.random.Generator, n: int, d: int, batch: int) -> Instance:
        causal = (rng.random(batch) < self.causal_fraction).astype(np.int64)
        s = np.where(causal == 1, 0, rng.integers(0, n, batch))
        tf = choose(rng, self.token_families, batch)
        X = sample_tokens(rng, tf, n, d, s)
        wf = choose(rng, self.score_families, batch)
        shared = np.clip(wf, 0, len(WEIGHT_FAMILIES) - 1)
        W = sample_score_matrices(rng, shared, X, s)
        W = np.where((wf == _ZERO_W)[:, None, None], 0.0, W)
        vf = choose(rng, self.value_families, batch)
        V = sample_switch_values(rng, vf, X, s, _value_width(d))
        if self.zero_set:
            V = plant_zero_values(rng, V, s)
        if self.zero_sink:
            V = np.where((np.arange(n)[None, :] == s[:, None])[:, :, None], 0.0, V)
        inst: Instance = {
            "X": X,
            "W": W,
            "V": V,
            "s": s,
            "causal": causal,
            "token_family": tf,
            "weight_family": wf,
            "value_family": vf,
        }
        if self.with_eta:
            inst["eta"] = sample_eta(rng, X, W, V, s, causal)
        return inst

    def relaxed(self, hypothesis: Any) -> SwitchSampler | None:
        """This sampler without the structure that builds ``hypothesis`` into every instance: ``v_s = 0``
        (``zero_sink``) is the one it enforces. For a mutant that drops that hypothesis."""
        if self.zero_sink and hypothesis == sp.Eq(T2.sink_value_norm, 0):
            return dataclasses.replace(self, zero_sink=False)
        return None


def switch_family(inst: Instance) -> str:
    """``tokens/scores/values`` (and ``/causal``) of one instance."""
    label = "/".join(
        (
            TOKEN_FAMILIES[int(inst["token_family"])],
            SCORE_FAMILIES[int(inst["weight_family"])],
            SWITCH_VALUE_FAMILIES[int(inst["value_family"])],
        )
    )
    return label + ("/causal" if int(inst["causal"]) else "")


# ----------------------------------------------------------------------------------------------
# Observables (one code path for float64 and arb balls)
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Head:
    """One head on one instance: scores, attention, and the masks every observable needs."""

    S: Any  # scores (n, n)
    A: Any  # attention (n, n), causal mask applied if asked
    competitor: Any  # (n, n) bool: j != s and j visible in row i
    others: Any  # (n,) bool: j != s
    value_norms: Any  # (n,) ||v_j||
    zero: Any  # (n,) bool: v_j = 0 exactly


def head(inst: Instance, ops: Any) -> Head:
    r"""``S = X W X^T``, ``A = softmax_rows(S)`` (causal: ``A_ij = 0`` for ``j > i``), masks, norms."""
    X, W, V, s, causal = inst["X"], inst["W"], inst["V"], inst["s"], inst["causal"]
    n = X.shape[0]
    S = scores(ops, X, W)
    visible = causal_mask(ops, n) | (causal == 0)
    A = ops.softmax(S, visible)
    others = ops.xp.arange(n) != s
    return Head(
        S=S,
        A=A,
        competitor=others[None, :] & visible,
        others=others,
        value_norms=norm(ops, V, axis=-1),
        zero=~ops.xp.any(V != 0, axis=-1),
    )


def norm(ops: Any, v: Any, axis: int = -1) -> Any:
    r"""Euclidean norm that neither underflows nor overflows in float64: ``m ||v/m||``, ``m = max|v_k|``.

    ``ops.norm`` squares first, so a row ``y_i`` of size ``1e-170`` (a strong sink) gets norm 0 in
    float64 while ``(1 - A_is) R`` does not. Balls have an unbounded exponent range: plain ``ops.norm``.
    """
    if ops.name != "jax":  # balls (the float backends, JAX or NumPy, answer to "jax")
        return ops.norm(v, axis=axis)
    xp = ops.xp
    big = xp.max(xp.abs(v), axis=axis, keepdims=True)
    safe = xp.where(big > 0, big, 1.0)
    return xp.squeeze(big, axis=axis) * xp.sqrt(xp.sum((v / safe) ** 2, axis=axis))


def _masked(ops: Any, mask: Any, a: Any) -> Any:
    """``a`` where ``mask``, exact zeros elsewhere (works for arb object arrays too)."""
    return ops.xp.where(mask, a, 0 * a)


def rest_mass(ops: Any, h: Head) -> Any:
    r"""``1 - A_is = sum_{j != s} A_ij`` per row (a sum of positive terms: no cancellation)."""
    return _masked(ops, h.competitor, h.A).sum(axis=-1)


def decomposition_observables(inst: Instance, ops: Any) -> dict[str, Any]:
    r"""T2.a per pair ``(i, j)``: ``A_ij``, ``1 - A_is``, ``w_ij = softmax_{j != s}(s_i.)_j``, ``sum_j w_ij``."""
    h = head(inst, ops)
    n = h.A.shape[0]
    has_competitor = ops.xp.any(h.competitor, axis=-1)[:, None]
    w = ops.softmax(h.S, h.competitor)
    w = ops.xp.where(has_competitor & h.competitor, w, 0 * h.A)  # rows without one: no weights
    rest = rest_mass(ops, h)
    ones = ops.xp.ones((n, n), dtype=int)
    return {
        "attn_weight": h.A.reshape(-1),
        "conv_weight": w.reshape(-1),
        "conv_weight_sum": (w.sum(axis=-1)[:, None] * ones).reshape(-1),
        "rest": (rest[:, None] * ones).reshape(-1),
        "competitor": ops.xp.where(h.competitor, 1, 0).reshape(-1),
    }


def bound_observables(inst: Instance, ops: Any) -> dict[str, Any]:
    r"""T2.b / T2-F2 / T2-F3 per row: ``1 - A_is``, ``||y_i - A_is v_s||``, ``||y_i||``, ``||v_s||``, ``R``."""
    h = head(inst, ops)
    V, s = inst["V"], inst["s"]
    out = {
        "rest": rest_mass(ops, h),
        "resid_norm": norm(ops, _masked(ops, h.competitor, h.A) @ V, axis=-1),
        "out_norm": norm(ops, h.A @ V, axis=-1),
        "sink_value_norm": h.value_norms[s],
        "R": ops.masked_max(h.value_norms, h.others),
    }
    if "delta" in inst:
        out["delta"] = inst["delta"]
    return out


def _mass_off_zero(ops: Any, h: Head) -> Any:
    r"""``1 - sum_{j in Z} A_ij = sum_{j not in Z} A_ij`` per row."""
    return _masked(ops, ~h.zero[None, :], h.A).sum(axis=-1)


def zero_set_observables(inst: Instance, ops: Any) -> dict[str, Any]:
    r"""T2.c per row: ``||y_i||``, ``1 - sum_{j in Z} A_ij``, ``R_Z``, ``delta_Z``."""
    h = head(inst, ops)
    return {
        "out_norm": norm(ops, h.A @ inst["V"], axis=-1),
        "rest_zero": _mass_off_zero(ops, h),
        "R_zero": ops.masked_max(h.value_norms, ~h.zero),
        "delta_zero": inst["delta_zero"],
    }


def margin_observables(inst: Instance, ops: Any) -> dict[str, Any]:
    r"""T2.d per row: ``||y_i||``, ``||v_s||``, ``R``, ``n``, the margin ``min_{j != s}(s_is - s_ij)``, ``eta``."""
    h = head(inst, ops)
    s = inst["s"]
    n = h.A.shape[0]
    return {
        "out_norm": norm(ops, h.A @ inst["V"], axis=-1),
        "sink_value_norm": h.value_norms[s],
        "R": ops.masked_max(h.value_norms, h.others),
        "n": n,
        "margin": ops.masked_min(h.S[:, s][:, None] - h.S, h.competitor, axis=-1),
        "eta": inst["eta"],
    }


def switch_off_observables(inst: Instance, ops: Any) -> dict[str, Any]:
    r"""T2-F1 per instance: ``max_i ||y_i||`` and ``max_i (1 - sum_{j in Z} A_ij)``."""
    h = head(inst, ops)
    return {
        "out_max": ops.max(norm(ops, h.A @ inst["V"], axis=-1)),
        "rest_zero_max": ops.max(_mass_off_zero(ops, h)),
    }


# ----------------------------------------------------------------------------------------------
# delta and delta_Z: float64 (Wolfe) and rigorous (exact min-norm point, or a duality enclosure)
# ----------------------------------------------------------------------------------------------


def non_sink_values(V: np.ndarray, s: int) -> np.ndarray:
    return np.delete(V, s, axis=0)


def non_zero_values(V: np.ndarray) -> np.ndarray:
    """The rows of ``V`` that are not exactly zero (``j not in Z``)."""
    keep = np.array([any(x != 0 for x in row) for row in V], dtype=bool)
    return V[keep]


def _float_hull(P: np.ndarray) -> HullDistance | None:
    P = np.vectorize(float, otypes=[float])(P) if P.dtype == object else P
    return hull_distance(P) if P.shape[0] else None


def delta_float(P: np.ndarray) -> float:
    r"""``dist(0, conv P)`` in float64, read from the dual side: ``max(0, min_j u^T p_j)``.

    ``u`` is the unit direction of Wolfe's minimum-norm point. The primal value ``||p||`` stops at a
    tolerance and is an *over*-estimate (about ``1e-12`` when ``0 in conv P``, where the truth is 0),
    which would fake violations of ``||y_i|| >= (1 - A_is) delta``; the dual value can only be low,
    and at Wolfe's optimum both agree to rounding. An empty set gives 0 (``delta_Z > 0`` fails).
    """
    P = np.asarray(P, dtype=float)
    h = _float_hull(P)
    if h is None or h.distance == 0.0:
        return 0.0
    return max(0.0, float(np.min(P @ h.direction)))


def _fq(x: Fraction) -> flint.fmpq:
    return flint.fmpq(x.numerator, x.denominator)


def _arb_of(x: Fraction) -> flint.arb:
    return flint.arb(_fq(x))


def delta_enclosure(P_exact: np.ndarray, h: HullDistance) -> flint.arb:
    r"""A ball that contains ``dist(0, conv P)``, from a float solution ``h`` (weak duality).

    Upper end: ``||sum_j lambda_j p_j||`` with ``lambda`` the float weights made exactly feasible
    (clipped at 0, divided by their exact sum). Lower end: ``max(0, min_j u^T p_j / ||u||)`` for the
    float direction ``u``, since ``||p|| >= u^T p/||u|| >= min_j u^T p_j/||u||`` on the hull.
    """
    rows = [[Fraction(v) for v in row] for row in P_exact]
    lam = [max(Fraction(float(w)), Fraction(0)) for w in h.weights]
    total = sum(lam, Fraction(0))
    if total == 0:
        lam, total = [Fraction(1)] + [Fraction(0)] * (len(rows) - 1), Fraction(1)
    point = [
        sum((lam[k] / total * rows[k][c] for k in range(len(rows))), Fraction(0))
        for c in range(len(rows[0]))
    ]
    upper = _arb_of(sum((c * c for c in point), Fraction(0))).sqrt()
    lower = flint.arb(0)
    u = [Fraction(float(c)) for c in h.direction]
    uu = sum((c * c for c in u), Fraction(0))
    if uu > 0:
        worst = min(sum((a * b for a, b in zip(u, r, strict=True)), Fraction(0)) for r in rows)
        if worst > 0:
            lower = _arb_of(worst) / _arb_of(uu).sqrt()
    return lower.union(upper)


def delta_exact(P_exact: np.ndarray) -> flint.arb:
    r"""``dist(0, conv P)`` as a ball: exact min-norm point when its face is regular, else the enclosure."""
    if P_exact.shape[0] == 0:
        return flint.arb(0)
    h = _float_hull(P_exact)
    exact = exact_min_norm_point(P_exact, h.support)
    if exact is not None:
        return exact.distance_arb()
    return delta_enclosure(P_exact, h)


def prepare_delta(inst: Instance) -> dict[str, float]:
    return {"delta": delta_float(non_sink_values(np.asarray(inst["V"]), int(inst["s"])))}


def prepare_delta_exact(inst: Instance) -> dict[str, Any]:
    return {"delta": delta_exact(non_sink_values(inst["V"], int(inst["s"])))}


def prepare_delta_zero(inst: Instance) -> dict[str, float]:
    return {"delta_zero": delta_float(non_zero_values(np.asarray(inst["V"])))}


def prepare_delta_zero_exact(inst: Instance) -> dict[str, Any]:
    return {"delta_zero": delta_exact(non_zero_values(inst["V"]))}


# ----------------------------------------------------------------------------------------------
# Rounding-level violations are not escalated
# ----------------------------------------------------------------------------------------------

ROUNDING_FLOOR = 1e-12  # relative slack: far above the ~1e-15 rounding of these sums and norms


def switch_check(
    statement: Statement,
    sample: Callable[[np.random.Generator, int, int, int], Instance],
    observables: Callable[[Instance, Any], dict[str, Any]],
    shapes: tuple[tuple[int, int], ...],
    **options: Any,
) -> RelationCheck:
    """A :class:`RelationCheck` of T2 that does not send rounding-level float violations to the
    certifier.

    T2's bounds hold *with equality* on whole families (equal non-sink values, ``W = 0``), so about
    half of those cases come out violated by a relative ``1e-16`` in float64. Ball arithmetic can
    never certify an exact equality as violated: each such escalation costs seven precisions of
    ball arithmetic and ends as float noise. Violations with relative slack in
    ``[-ROUNDING_FLOOR, 0]`` are counted in ``machine["rounding_level_violations"]`` instead
    (``rounding_floor``); anything larger is escalated as usual (a genuine violation this small
    could not be told from rounding).
    """
    return RelationCheck(
        statement,
        sample,
        observables,
        shapes,
        switch_family,
        rounding_floor=ROUNDING_FLOOR,
        **options,
    )


# ----------------------------------------------------------------------------------------------
# Attainment: how close each bound comes to equality where THEORY.md says it is attained
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attaining:
    """The instances where THEORY.md says a bound is attained, by their families (``which`` names
    them); the others are left out of the summary (``None``)."""

    which: str
    value_family: int
    weight_family: int | None = None  # also W of this family
    no_mask: bool = False  # also without a causal mask

    def __call__(self, inst: Instance) -> str | None:
        ok = int(inst["value_family"]) == self.value_family
        if self.weight_family is not None:
            ok = ok and int(inst["weight_family"]) == self.weight_family
        if self.no_mask:
            ok = ok and int(inst["causal"]) == 0
        return self.which if ok else None


def conclusion_summaries(
    statement: Statement, attaining: Attaining, attains: tuple[int, ...] | None = None
) -> tuple[Reported, ...]:
    """Per conclusion ``Ck`` (``extra["reported"]``): the cases meeting its hypotheses (its own
    ``given`` included) and its worst slack; and on the instances where the bound is attained
    (those of ``attains``, default all), their cases and the largest ``|slack|`` (0 means equality:
    the bound cannot be improved)."""
    _, concls = sympy_relations_of(statement)
    out: list[Reported] = []
    for k in range(len(concls)):
        slack = f"slack:{k}"
        out += [Reported(f"C{k + 1} cases", slack, "cases")]
        out += [Reported(f"C{k + 1} worst slack", slack, "min")]
        if attains is None or k in attains:
            out += [Reported(f"C{k + 1} cases where attained", slack, "cases", group=attaining)]
            out += [
                Reported(f"C{k + 1} max |slack| where attained", slack, "max_abs", group=attaining)
            ]
    return tuple(out)


@dataclass(frozen=True)
class WithShare:
    """``base``'s instances, the last ``share`` of every batch drawn by ``other`` instead (e.g.
    where a bound is attained, so that its summary has cases at every shape)."""

    base: SwitchSampler
    other: SwitchSampler
    share: float

    def __call__(self, rng: np.random.Generator, n: int, d: int, batch: int) -> Instance:
        m = int(batch * self.share)
        first = self.base(rng, n, d, batch - m)
        if m == 0:
            return first
        second = self.other(rng, n, d, m)
        return {k: np.concatenate([first[k], second[k]]) for k in first}

    def relaxed(self, hypothesis: Any) -> WithShare | None:
        """Both samplers without the structure that builds ``hypothesis`` in, where they have it."""
        base = self.base.relaxed(hypothesis)
        if base is None:
            return None
        return WithShare(base, self.other.relaxed(hypothesis) or self.other, self.share)


# ----------------------------------------------------------------------------------------------

_EQUAL = _family("equal_zero_sink")
_T2A_SAMPLER = SwitchSampler(value_families=(0,))
_T2B_SAMPLER = SwitchSampler()  # equal_zero_sink among its values: T2.b's equality case
_T2C_VALUES = tuple(
    _family(f)
    for f in (
        "gaussian",
        "offset",
        "equal_others",
        "near_zero_hull",
        "cancelling",
        "equal_zero_sink",
    )
)
_T2C_SAMPLER = SwitchSampler(value_families=_T2C_VALUES, zero_set=True)
_T2D_SAMPLER = WithShare(
    SwitchSampler(zero_sink=True, with_eta=True),
    SwitchSampler(
        score_families=(_ZERO_W,), value_families=(_EQUAL,), causal_fraction=0.0, with_eta=True
    ),
    share=0.1,
)
_T2B_ATTAINED = Attaining("v_s = 0 and all non-sink values equal", _EQUAL)
_T2C_ATTAINED = Attaining("all values outside Z equal", _EQUAL)
_T2D_ATTAINED = Attaining(
    "W = 0 (all margins 0), v_s = 0 and all non-sink values equal", _EQUAL, _ZERO_W, no_mask=True
)
_F1_SAMPLER = SwitchSampler(
    score_families=(_ZERO_W, _ZERO_W, _ZERO_W, *_ALL_SCORES),
    value_families=(_family("cancelling"),) * 3 + _ALL_VALUES,
    causal_fraction=0.0,
)
_F2_SAMPLER = SwitchSampler(
    score_families=(_PLANTED, _PLANTED, *_ALL_SCORES),
    value_families=tuple(
        _family(f) for f in ("gaussian", "massive_sink", "offset", "equal_others")
    ),
)


def checks() -> list[Any]:
    """The compiled checks of T2, in THEORY.md order."""
    t2b, t2c, t2d = T2.SWITCH_TWO_SIDED_BOUND, T2.SWITCH_EQUIVALENCE, T2.SWITCH_MARGIN_TO_OUTPUT
    return [
        switch_check(T2.SWITCH_DECOMPOSITION, _T2A_SAMPLER, decomposition_observables, SHAPES),
        switch_check(
            t2b,
            _T2B_SAMPLER,
            bound_observables,
            SHAPES,
            prepare=prepare_delta,
            prepare_exact=prepare_delta_exact,
            reported=conclusion_summaries(t2b, _T2B_ATTAINED),
        ),
        switch_check(
            t2c,
            _T2C_SAMPLER,
            zero_set_observables,
            SHAPES,
            prepare=prepare_delta_zero,
            prepare_exact=prepare_delta_zero_exact,
            reported=conclusion_summaries(t2c, _T2C_ATTAINED),
        ),
        switch_check(
            t2d,
            _T2D_SAMPLER,
            margin_observables,
            SHAPES,
            reported=conclusion_summaries(t2d, _T2D_ATTAINED, attains=(0,)),
        ),
        switch_check(
            T2.CONTROL_ZERO_OUTPUT_IMPLIES_SINK, _F1_SAMPLER, switch_off_observables, EVEN_SHAPES
        ),
        switch_check(
            T2.CONTROL_UPPER_WITHOUT_ZERO_SINK, _F2_SAMPLER, bound_observables, CONTROL_SHAPES
        ),
        switch_check(T2.CONTROL_UPPER_SHRUNK, _T2B_SAMPLER, bound_observables, CONTROL_SHAPES),
    ]


__all__ = ["checks"]
