r"""T1 — which token sets can hold a sink (the geometry of sinks).

Observables (per case = per row ``i``, or per competitor ``j``):

* ``margin``   ``m_i = min_{j != s} (s_is - s_ij)``;
* ``log_odds`` ``log(A_is / (1 - A_is)) = -log sum_{j != s} e^{s_ij - s_is}`` (stable in floats);
* ``rest``     ``1 - A_is = sum_{j != s} A_ij``;
* ``eps``, ``n``; Gram quantities in the ``W`` inner product for T1.e.

Solver-defined observables (per instance; :mod:`proofs_check.observables.solved`,
:mod:`proofs_check.observables.sink_lp`):

* ``gamma_u``  ``max(0, gamma_u(X))`` = ``dist(0, conv{x_i})``: positive iff all tokens lie in one
  open half-space;
* ``gamma_rest`` the same for the non-sink tokens ``{x_j : j != s}`` (T1.c);
* ``gamma_v``  ``max(0, gamma_v(X, s))`` = ``dist(0, conv{x_s - x_j : j != s})``: positive iff
  ``x_s`` is a vertex strictly separated from the other tokens;
* ``lp_margin`` the optimum ``t*`` of the LP (iii): ``max t`` s.t. every constrained margin
  ``x_i^T W (x_s - x_j) [+ b^T (x_s - x_j)] >= t``, ``|W_ab|, |b_a| <= 1``; ``t* > 0``
  iff some ``W`` makes every margin positive;
* ``lp_best``  ``max_s t*(X, s)``; ``min_sq_dist`` ``min_{i<j} ||x_i - x_j||^2`` (T1-F1).
"""

from __future__ import annotations

import sympy as sp

from theory.core import Combination, Condition, Identity, Kind, Positive, Root, Statement
from theory.symbols import eps, log_odds_all, log_odds_single, m, n, sink_weight_from_margin

log_odds = sp.Symbol("log_odds", real=True)
rest = sp.Symbol("rest", nonnegative=True)
rest_max = sp.Symbol("rest_max", nonnegative=True)
gamma_u = sp.Symbol("gamma_u", real=True)
gamma_v = sp.Symbol("gamma_v", real=True)
fro_norm = sp.Symbol("fro_norm", nonnegative=True)
c_scale = sp.Symbol("c_scale", positive=True)
ip_js = sp.Symbol("ip_js", real=True)  # <x_j, x_s>_W
nj2 = sp.Symbol("nj2", nonnegative=True)  # ||x_j||_W^2
ns2 = sp.Symbol("ns2", nonnegative=True)  # ||x_s||_W^2
competitor = sp.Symbol("competitor", nonnegative=True)  # 1 when j != s
gamma_rest = sp.Symbol("gamma_rest", real=True)  # dist(0, conv{x_j : j != s})
lp_margin = sp.Symbol("lp_margin", real=True)  # the optimum t* of the sink LP (iii)
lp_best = sp.Symbol("lp_best", real=True)  # max over s of t*
min_sq_dist = sp.Symbol("min_sq_dist", real=True)  # min_{i<j} ||x_i - x_j||^2

# Symbols used only inside derivations (positive by construction).
_a, _b, _r = sp.symbols("a b r", positive=True)  # e^{s_is}, e^{s_ij}, the other terms
_ux, _vd, _gu, _gv = sp.symbols("u_x v_Delta gamma_u gamma_v", positive=True)
_L = sp.Symbol("L", positive=True)
_k = sp.Symbol("k", positive=True)  # n - 1 >= 1 rivals
_half_gap = sp.Symbol("h", positive=True)

# ----------------------------------------------------------------------------------------------

SINK_MARGIN_LEMMA = Statement(
    id="T1.a",
    name="sink_weight_between_margin_bounds",
    title="margin lemma: margins >= L_n(eps) suffice, margins >= L_1(eps) are necessary",
    kind=Kind.THEOREM,
    claim="T1",
    hypotheses=(
        Condition(
            "X in R^{n x d}, W in R^{d x d}, s a token, i any row; scores s_ij = x_i^T W x_j"
        ),
        Condition("m = min_{j != s} (s_is - s_ij) is the row's sink margin"),
    ),
    conclusions=(
        Condition(
            "A_is >= 1/(1 + (n-1) e^{-m}), written in log-odds: log(A_is/(1-A_is)) >= m - log(n-1)",
            sp.GreaterThan(log_odds, m - sp.log(n - 1)),
        ),
        Condition(
            "A_is >= 1 - eps implies m >= L_1(eps); at the tightest eps = 1 - A_is: m >= log(A_is/(1-A_is))",
            sp.GreaterThan(m, log_odds),
        ),
    ),
    derivation=(
        Identity(
            "with all n-1 margins equal to m the sink weight is 1/(1 + (n-1) e^{-m}) (equality case)",
            sp.exp(_L) / (sp.exp(_L) + (n - 1) * sp.exp(_L - m)),
            sink_weight_from_margin(n, m),
        ),
        Positive(
            "the sink weight 1/(1+k e^{-m}) (k = n-1 >= 1 rivals) is increasing in m: its derivative is > 0",
            sp.diff(1 / (1 + _k * sp.exp(-m)), m),
        ),
        Root(
            "1/(1+(n-1)e^{-m}) = 1 - eps solved for m gives L_n(eps): margins >= L_n(eps) suffice",
            sp.Eq(sink_weight_from_margin(n, m), 1 - eps),
            m,
            (log_odds_all(n, eps),),
        ),
        Positive(
            "one rival already caps the sink: a/(a+b) - a/(a+b+r) >= 0 (A_is <= 1/(1+e^{-m_j}))",
            _a / (_a + _b) - _a / (_a + _b + _r),
        ),
        Root(
            "1/(1+e^{-m}) = 1 - eps solved for m gives L_1(eps): margins >= L_1(eps) are necessary",
            sp.Eq(sink_weight_from_margin(2, m), 1 - eps),
            m,
            (log_odds_single(eps),),
        ),
        Identity(
            "log-odds form of the sufficient bound: log(w/(1-w)) = m - log(n-1) for w = 1/(1+(n-1)e^{-m})",
            sp.expand_log(
                sp.log(sink_weight_from_margin(n, m) / (1 - sink_weight_from_margin(n, m))),
                force=True,
            ),
            m - sp.log(n - 1),
        ),
    ),
)

_x = sp.symbols("x1:4_1:3", real=True)  # three tokens in R^2: x1_1, x1_2, x2_1, ...
_X = sp.Matrix(3, 2, _x)
_W = sp.Matrix(2, 2, sp.symbols("w1:3_1:3", real=True))
_lam = sp.symbols("lambda1:4", nonnegative=True)


_mu = sp.Symbol("mu", nonnegative=True)


def _row_margin(i: int, j: int, s: int = 0) -> sp.Expr:
    return (_X.row(i) * _W * (_X.row(s) - _X.row(j)).T)[0, 0]


def _row_margin_sub(i: int, j: int) -> sp.Expr:
    """Row-``i`` margin against ``j`` with the sink replaced by ``mu x_2 + (1 - mu) x_3``."""
    x_sink = _mu * _X.row(1) + (1 - _mu) * _X.row(2)
    return (_X.row(i) * _W * (x_sink - _X.row(j)).T)[0, 0]


def _sides(half: sp.Expr | None, text_half: str) -> tuple[Condition, ...]:
    """The relation conclusions of an equivalence (iii) <=> (iv), both directions, as sides.

    ``half`` is the half-space margin (``None`` with a key bias: no half-space condition). Side 1,
    (iv) => (iii) and (v): under (iv) the LP optimum is positive, and at least
    ``gamma_u gamma_v`` because the rank-one ``W = u* v*^T`` of the unit directions
    attaining the margins lies in the box ``|W_ab| <= 1`` and has every margin
    ``(u*^T x_i)(v*^T (x_s - x_j)) >= gamma_u gamma_v`` (key bias: ``W = 0, b = v*``, margin
    ``>= gamma_v``). Side 2, not (iv) => not (iii): the optimum is 0.
    """
    given = (sp.StrictGreaterThan(gamma_v, 0),)
    low = gamma_v
    failing = gamma_v
    if half is not None:
        given = (sp.StrictGreaterThan(half, 0), *given)
        low = half * gamma_v
        failing = sp.Min(half, gamma_v)
    return (
        Condition(
            f"(iv) => (iii): if {text_half}x_s is a vertex (gamma_v > 0), the LP (iii) has a "
            "positive optimum: some W has every margin > 0",
            sp.StrictGreaterThan(lp_margin, 0),
            given=given,
        ),
        Condition(
            (
                "(iv) => (v): W = 0, b = v* (the unit direction attaining gamma_v) is feasible for "
                "the LP with every margin >= gamma_v"
                if half is None
                else f"(iv) => (v): the rank-one W = u* v*^T (unit directions attaining {half}, "
                f"gamma_v) is feasible for the LP with every margin >= {half} gamma_v"
            )
            + ": the LP optimum is >= that",
            sp.GreaterThan(lp_margin, low),
            given=given,
        ),
        Condition(
            "not (iv) => not (iii): if "
            + ("" if half is None else f"{half} = 0 (0 in the hull) or ")
            + "gamma_v = 0 (x_s in conv of the others), no W has every margin > 0: the LP optimum is 0",
            sp.LessThan(lp_margin, 0),
            given=(sp.LessThan(failing, 0),),
        ),
    )


SIDE_NAMES = ("sink possible (iv => iii)", "sink possible (iv => v)", "no sink (not iv => not iii)")

_u = sp.Matrix(sp.symbols("u1:3", real=True))
_v = sp.Matrix(sp.symbols("v1:3", real=True))

SINK_GEOMETRY = Statement(
    id="T1.b",
    name="sink_exists_iff_halfspace_and_vertex",
    title="a sink exists iff all tokens lie in an open half-space and the sink is a vertex",
    kind=Kind.THEOREM,
    claim="T1",
    hypotheses=(
        Condition("fixed tokens X in R^{n x d} and a sink index s; no causal mask, no bias"),
    ),
    conclusions=(
        Condition(
            "(i) every eps in (0,1) has an eps-sink W <=> (ii) some eps < 1/2 has one <=> (iii) some W has "
            "x_i^T W (x_s - x_j) > 0 for all i, j != s <=> (iv) 0 not in conv{x_i} and x_s not in conv{x_j : j != s} "
            "<=> (v) (iii) holds with W = u v^T for any u, v separating as in (iv)"
        ),
        *_sides(gamma_u, "all tokens lie in an open half-space (gamma_u > 0) and "),
    ),
    derivation=(
        Identity(
            "(v): the rank-one margin factorises, x_i^T (u v^T)(x_s - x_j) = (u^T x_i)(v^T (x_s - x_j))",
            (_X.row(1) * (_u * _v.T) * (_X.row(0) - _X.row(2)).T)[0, 0],
            (_X.row(1) * _u)[0, 0] * ((_X.row(0) - _X.row(2)) * _v)[0, 0],
        ),
        Identity(
            "(iii) => (iv), half-space: if sum_i lambda_i x_i = 0 then sum_i lambda_i x_i^T W (x_s - x_j) = 0 "
            "for every W, so some row has a margin <= 0",
            sum((_lam[i] * _row_margin(i, 2) for i in range(3)), sp.Integer(0)),
            (
                (sum((_lam[i] * _X.row(i) for i in range(3)), sp.zeros(1, 2)))
                * _W
                * (_X.row(0) - _X.row(2)).T
            )[0, 0],
        ),
        Identity(
            "(iii) => (iv), vertex: if x_s = mu x_2 + (1-mu) x_3 then mu (s_i1 - s_i2) + (1-mu)(s_i1 - s_i3) = 0 "
            "in every row, so some margin is <= 0",
            _mu * _row_margin_sub(1, 1) + (1 - _mu) * _row_margin_sub(1, 2),
            sp.Integer(0),
        ),
        Combination(
            "(iii) => (i): scaling W by c = L/m_min multiplies every margin m >= m_min > 0 by c, giving c m - L "
            "= (L/m_min)(m - m_min) >= 0 with L = L_n(eps), so T1.a makes s an eps-sink for every eps",
            (_L / _gu) * _ux - _L,
            ((_L / _gu, _ux - _gu),),
        ),
    ),
)

SINK_GEOMETRY_CAUSAL = Statement(
    id="T1.c",
    name="causal_sink_exists_iff_nonsink_halfspace_and_vertex",
    title="causal mask, sink first: only the non-sink tokens must share a half-space",
    kind=Kind.THEOREM,
    claim="T1",
    hypotheses=(
        Condition("causal mask (A_ij = 0 for j > i) and the sink is the first token, s = 1"),
    ),
    conclusions=(
        Condition(
            "some W has x_i^T W (x_1 - x_j) > 0 for all 2 <= j <= i  <=>  0 not in conv{x_j : j != 1} and "
            "x_1 not in conv{x_j : j != 1}"
        ),
        *_sides(gamma_rest, "the non-sink tokens lie in an open half-space (gamma_rest > 0) and "),
    ),
    derivation=(
        Identity(
            "row s is trivial: with the mask, A_11 = e^{s_11}/e^{s_11} = 1 for every W",
            sp.exp(_L) / sp.exp(_L),
            sp.Integer(1),
        ),
        Identity(
            "necessity of the half-space: token 2 competes in every row i >= 2, so sum_{i>=2} lambda_i x_i = 0 "
            "forces sum_{i>=2} lambda_i (s_i1 - s_i2) = 0 for every W",
            _lam[1] * _row_margin(1, 1) + _lam[2] * _row_margin(2, 1),
            ((_lam[1] * _X.row(1) + _lam[2] * _X.row(2)) * _W * (_X.row(0) - _X.row(1)).T)[0, 0],
        ),
    ),
)

TOLERANCE_BELOW_HALF = Condition(
    "eps < 1/2 (the range the checks sample; the proof needs L_n(eps) >= 0, i.e. eps <= (n-1)/n: "
    "for larger eps, c < 0 and the construction fails)",
    sp.StrictLessThan(eps, sp.Rational(1, 2)),
)

SINK_CONSTRUCTION = Statement(
    id="T1.d",
    name="rank_one_sink_construction",
    title="W = c u* v*^T with c = L_n(eps)/(gamma_u gamma_v) makes s an eps-sink; ||W||_2 = ||W||_F = ||W||_* = c",
    kind=Kind.THEOREM,
    claim="T1",
    hypotheses=(
        Condition(
            "gamma_u > 0 (all tokens in an open half-space)", sp.StrictGreaterThan(gamma_u, 0)
        ),
        Condition("gamma_v > 0 (x_s an exposed vertex)", sp.StrictGreaterThan(gamma_v, 0)),
        Condition(
            "u*, v* unit vectors attaining gamma_u, gamma_v; W = c u* v*^T, c = L_n(eps)/(gamma_u gamma_v)"
        ),
        TOLERANCE_BELOW_HALF,
    ),
    conclusions=(
        Condition("every row puts mass >= 1 - eps on s: 1 - A_is <= eps", sp.LessThan(rest, eps)),
        Condition(
            "||W||_F = c (and ||W||_2 = ||W||_* = c: W has one singular value)",
            sp.Eq(fro_norm, c_scale),
        ),
    ),
    derivation=(
        Combination(
            "every margin is >= L_n(eps): c (u^T x_i)(v^T D_j) - L = c (u^T x_i - gamma_u) v^T D_j "
            "+ c gamma_u (v^T D_j - gamma_v), with c = L/(gamma_u gamma_v)",
            (_L / (_gu * _gv)) * _ux * _vd - _L,
            (((_L / (_gu * _gv)) * _vd, _ux - _gu), ((_L / (_gu * _gv)) * _gu, _vd - _gv)),
        ),
        Identity(
            "||c u v^T||_F^2 = c^2 ||u||^2 ||v||^2 = c^2 for unit u, v (one singular value c: 2-, F- and *-norms agree)",
            sum(((_L * _u[i] * _v[j]) ** 2 for i in range(2) for j in range(2)), sp.Integer(0)),
            _L**2 * (_u[0] ** 2 + _u[1] ** 2) * (_v[0] ** 2 + _v[1] ** 2),
        ),
    ),
)

SINK_TIED_QK = Statement(
    id="T1.e",
    name="psd_sink_is_longest_and_aligned",
    title="tied queries/keys (W PSD): an eps-sink with eps < 1/2 is longer than every token and aligned with it",
    kind=Kind.THEOREM,
    claim="T1",
    hypotheses=(
        Condition("W symmetric positive semidefinite"),
        Condition(
            "s is an eps-sink with eps < 1/2: max_i (1 - A_is) < 1/2",
            sp.StrictLessThan(rest_max, sp.Rational(1, 2)),
        ),
        Condition("j != s", sp.Eq(competitor, 1)),
    ),
    conclusions=(
        Condition("<x_j, x_s>_W > ||x_j||_W^2", sp.StrictGreaterThan(ip_js, nj2)),
        Condition("||x_s||_W^2 > <x_s, x_j>_W", sp.StrictGreaterThan(ns2, ip_js)),
        Condition(
            "||x_s||_W > ||x_j||_W (the massive activation)",
            sp.StrictGreaterThan(sp.sqrt(ns2), sp.sqrt(nj2)),
        ),
        Condition(
            "cos_W(x_s, x_j) > ||x_j||_W / ||x_s||_W",
            sp.StrictGreaterThan(
                ip_js / (sp.sqrt(ns2) * sp.sqrt(nj2)), sp.sqrt(nj2) / sp.sqrt(ns2)
            ),
            given=(sp.StrictGreaterThan(nj2, 0),),
        ),
    ),
    derivation=(
        Positive(
            "eps < 1/2 gives A_is >= 1 - eps > 1/2 > eps >= A_ij in every row: (1 - eps) - eps = 2h > 0 for eps = 1/2 - h",
            (1 - (sp.Rational(1, 2) - _half_gap)) - (sp.Rational(1, 2) - _half_gap),
        ),
        Combination(
            "rows j and s give <x_j,x_s> - ||x_j||^2 > 0 and ||x_s||^2 - <x_s,x_j> > 0; add them (W symmetric): "
            "||x_s||^2 - ||x_j||^2 = (||x_s||^2 - <x_s,x_j>) + (<x_j,x_s> - ||x_j||^2)",
            ns2 - nj2,
            ((sp.Integer(1), ns2 - ip_js), (sp.Integer(1), ip_js - nj2)),
        ),
        Identity(
            "cos_W(x_s,x_j) - ||x_j||/||x_s|| = (<x_s,x_j> - ||x_j||^2) / (||x_s|| ||x_j||) (positive denominator)",
            ip_js / (sp.sqrt(ns2) * sp.sqrt(nj2)) - sp.sqrt(nj2) / sp.sqrt(ns2),
            (ip_js - nj2) / (sp.sqrt(ns2) * sp.sqrt(nj2)),
        ),
    ),
)

SINK_KEY_BIAS = Statement(
    id="T1.f",
    name="key_bias_sink_iff_vertex",
    title="with a key bias, a sink is representable iff x_s is a vertex (no half-space condition)",
    kind=Kind.THEOREM,
    claim="T1",
    hypotheses=(
        Condition("scores s_ij = x_i^T W x_j + b^T x_j with a query-independent key bias b"),
    ),
    conclusions=(
        Condition(
            "some (W, b) has x_i^T W (x_s - x_j) + b^T (x_s - x_j) > 0 for all i, j != s  <=>  x_s not in conv{x_j : j != s}"
        ),
        *_sides(None, ""),
    ),
    derivation=(
        Identity(
            "W = 0, b = c v*: every margin is c v*^T (x_s - x_j) >= c gamma_v, the same in every row",
            (_X.row(1) * sp.zeros(2, 2) * (_X.row(0) - _X.row(2)).T)[0, 0]
            + (_L * _v.T * (_X.row(0) - _X.row(2)).T)[0, 0],
            _L * ((_X.row(0) - _X.row(2)) * _v)[0, 0],
        ),
    ),
)

# ----------------------------------------------------------------------------------------------
# Controls: false variants the engine must refute with a certified counterexample.
# ----------------------------------------------------------------------------------------------

CONTROL_EVERY_TOKEN_SET_HAS_SINK = Statement(
    id="T1-F1",
    name="control_every_distinct_token_set_admits_sink",
    title="every token set with distinct tokens admits a sink (false: antipodal tokens)",
    kind=Kind.CONTROL,
    claim="T1",
    hypotheses=(
        Condition(
            "the rows of X are pairwise distinct: min_{i<j} ||x_i - x_j||^2 > 0",
            sp.StrictGreaterThan(min_sq_dist, 0),
        ),
    ),
    conclusions=(
        Condition(
            "some s and some W make s an eps-sink for eps = 1/4; such a W has every margin > 0 "
            "(A_is >= 3/4 > 1/4 >= A_ij in every row), so some s has a positive LP optimum (iii): "
            "max_s t*(X, s) > 0",
            sp.StrictGreaterThan(lp_best, 0),
        ),
    ),
    mirrors="T1.b",
)

CONTROL_L1_SUFFICES = Statement(
    id="T1-F2",
    name="control_single_rival_margin_suffices",
    title="margins >= L_1(eps) suffice for an eps-sink (false for n >= 3)",
    kind=Kind.CONTROL,
    claim="T1",
    hypotheses=(
        Condition("every margin of row i is >= L_1(eps)", sp.GreaterThan(m, log_odds_single(eps))),
    ),
    conclusions=(Condition("1 - A_is <= eps", sp.LessThan(rest, eps)),),
    mirrors="T1.a",
)

CONTROL_CONSTRUCTION_SHRUNK = Statement(
    id="T1-F3",
    name="control_rank_one_construction_with_smaller_scale",
    title="T1.d with 0.9 c still makes s an eps-sink (false)",
    kind=Kind.CONTROL,
    claim="T1",
    hypotheses=SINK_CONSTRUCTION.hypotheses[:2]
    + (Condition("W = 0.9 c u* v*^T with c = L_n(eps)/(gamma_u gamma_v)"),),
    conclusions=(Condition("1 - A_is <= eps", sp.LessThan(rest, eps)),),
    mirrors="T1.d",
)

CONTROL_SINK_TEN_PERCENT_LONGER = Statement(
    id="T1-F4",
    name="control_psd_sink_ten_percent_longer",
    title="with PSD W an eps-sink is at least 10% longer than every other token (false: T1.e only forces >)",
    kind=Kind.CONTROL,
    claim="T1",
    hypotheses=SINK_TIED_QK.hypotheses,
    conclusions=(
        Condition(
            "||x_s||_W >= 1.1 ||x_j||_W",
            sp.GreaterThan(sp.sqrt(ns2), sp.Rational(11, 10) * sp.sqrt(nj2)),
        ),
    ),
    mirrors="T1.e",
)

STATEMENTS = (
    SINK_MARGIN_LEMMA,
    SINK_GEOMETRY,
    SINK_GEOMETRY_CAUSAL,
    SINK_CONSTRUCTION,
    SINK_TIED_QK,
    SINK_KEY_BIAS,
    CONTROL_EVERY_TOKEN_SET_HAS_SINK,
    CONTROL_L1_SUFFICES,
    CONTROL_CONSTRUCTION_SHRUNK,
    CONTROL_SINK_TEN_PERCENT_LONGER,
)
