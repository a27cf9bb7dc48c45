r"""T4 — the cost of a sink versus a diagonal pattern.

Cost of a head = nuclear norm ``||W||_*`` (what weight decay on ``W_Q, W_K`` pays). With
``L_1 = log((1-eps)/eps)`` and ``L_n = log((n-1)(1-eps)/eps)``:

    c_sink(X, s, eps) = min { ||W||_* : A_is >= 1 - eps for every row i },
    c_diag(X, eps)    = min { ||W||_* : A_ii >= 1 - eps for every row i },

both convex programs (log-sum-exp constraints), computed exactly by a conic solver.

Observables (one value per instance):

* ``c_sink``, ``c_diag``       the two optima (solver, compared within its duality gap);
* ``gamma_u``, ``gamma_v``     the margins of THEORY.md §0 (half-space, vertex);
* ``sink_pair_min``            ``min ||x_i|| ||x_s - x_j||`` over the constrained pairs ``(i, j != s)``;
* ``sigma_max_sq``             ``sigma_max(X~)^2``, ``X~ = (I - J) X`` the centred tokens;
* ``pair_dist_min_sq``         ``min_{i != j} ||x_i - x_j||^2``;
* ``g``                        ``min_{i != j} (||x_i||^2 - x_i^T x_j)``;
* ``rank_x``                   ``rank(X)`` (exact, over the rationals), the dimension of the row span;
* ``sink_margin``              ``min(gamma_u, gamma_v)`` (causal mask: ``gamma_u`` of the tokens other
                               than ``s``): ``> 0`` makes the sink program feasible (T1.b, T1.c);
* ``diag_margin``              ``max t`` with ``x_i^T W (x_i - x_j) >= t`` for all ``i != j`` and
                               ``|W_ab| <= 1`` (a linear program): ``> 0`` iff the diagonal program is
                               feasible;
* ``n``, ``d``, ``eps``.
"""

from __future__ import annotations

import sympy as sp

from theory.core import Combination, Condition, Identity, Kind, Root, Statement
from theory.sinks import TOLERANCE_BELOW_HALF, gamma_u, gamma_v
from theory.symbols import d, eps, log_odds_all, log_odds_single, n, sink_weight_from_margin

c_sink = sp.Symbol("c_sink", positive=True)
c_diag = sp.Symbol("c_diag", positive=True)
sink_pair_min = sp.Symbol("sink_pair_min", nonnegative=True)
sigma_max_sq = sp.Symbol("sigma_max_sq", nonnegative=True)
pair_dist_min_sq = sp.Symbol("pair_dist_min_sq", nonnegative=True)
g = sp.Symbol("g", real=True)
rank_x = sp.Symbol(
    "rank_x", nonnegative=True, integer=True
)  # rank(X), the dimension of the row span
sink_margin = sp.Symbol("sink_margin", real=True)  # > 0: the sink program is feasible
diag_margin = sp.Symbol("diag_margin", real=True)  # > 0: the diagonal program is feasible
SINK_FEASIBLE = Condition(
    "the sink program is feasible: 0 not in conv X and x_s a vertex (T1.b); with a causal mask "
    "and s first, the non-sink tokens share a half-space and x_s is a vertex (T1.c): "
    "sink_margin > 0",
    sp.StrictGreaterThan(sink_margin, 0),
)
DIAG_FEASIBLE = Condition(
    "the diagonal program is feasible: some W has x_i^T W (x_i - x_j) > 0 for all i != j "
    "(a linear program decides it): diag_margin > 0",
    sp.StrictGreaterThan(diag_margin, 0),
)

L_1 = log_odds_single(eps)
L_n = log_odds_all(n, eps)

SINK_UPPER = L_n / (gamma_u * gamma_v)  # T4.a = T1.d: the rank-one sink's cost
SINK_LOWER = L_1 / sink_pair_min  # T4.b
DIAG_LOWER_SPECTRAL = L_1 * (n - 1) / sigma_max_sq  # T4.c, pair-sum form
DIAG_LOWER_CLOSEST_PAIR = 2 * L_1 / pair_dist_min_sq  # T4.c, closest-pair form
DIAG_UPPER = d * L_n / g  # T4.d: W = (L_n/g) I
DIAG_UPPER_PROJECTOR = rank_x * L_n / g  # T4.d, sharper: W = (L_n/g) Pi, Pi onto the row span of X
RATIO_BOUND = (
    (n - 1) * L_1 * gamma_u * gamma_v / (L_n * sigma_max_sq)
)  # T4.e: c_diag/c_sink >= this

# Positive stand-ins used inside derivations only.
_L, _Lone, _Ln = sp.symbols("L L_1 L_n", positive=True)
_N = sp.Symbol("N", positive=True)  # ||W||_* of a feasible W
_p = sp.Symbol("p", positive=True)  # ||x_i|| ||x_s - x_j|| of one pair
_m = sp.Symbol("m", positive=True)  # a score margin
_m_ij, _m_ji = sp.symbols("m_ij m_ji", real=True)
_q = sp.Symbol("q", positive=True)  # ||x_i - x_j||^2 of the closest pair
_ip = sp.Symbol("ip", real=True)  # <W, X~^T X~>
_s2 = sp.Symbol("sigma2", positive=True)  # sigma_max(X~)^2
_gu, _gv = sp.symbols("gamma_u gamma_v", positive=True)
_ux, _vd = sp.symbols("u_x v_Delta", positive=True)
_a, _b = sp.symbols("a b", positive=True)  # c_sink, c_diag in the T4.e combination
_h, _g = sp.symbols("h g", positive=True)  # ||x_i||^2 - x_i^T x_j >= g > 0

# A symbolic instance: three tokens in R^2 and a generic W.
_x = sp.Matrix(3, 2, sp.symbols("x1:4_1:3", real=True))
_W = sp.Matrix(2, 2, sp.symbols("w1:3_1:3", real=True))
_u = sp.Matrix(sp.symbols("u1:3", real=True))
_v = sp.Matrix(sp.symbols("v1:3", real=True))


_PI = sp.diag(1, 1, 0)  # the orthogonal projector onto span{e_1, e_2} in R^3
_prows = sp.Matrix(2, 3, [*sp.symbols("a b", real=True), 0, *sp.symbols("e f", real=True), 0])


def _prow(k: int) -> sp.Matrix:
    """Token ``k`` (a column) of the rank-2 token set in R^3 that T4.d's projector step uses."""
    return _prows.row(k).T


def _quad(a: sp.Matrix, b: sp.Matrix) -> sp.Expr:
    """``a^T W b`` for row vectors ``a``, ``b``."""
    return (a * _W * b.T)[0, 0]


def _pair_sum() -> sp.Expr:
    r"""``sum_{i<j} (x_i - x_j)^T W (x_i - x_j)`` on the symbolic instance."""
    rows = [_x.row(k) for k in range(3)]
    return sum(
        (_quad(rows[i] - rows[j], rows[i] - rows[j]) for i in range(3) for j in range(i + 1, 3)),
        sp.Integer(0),
    )


def _centred_pairing() -> sp.Expr:
    r"""``n <W, X~^T X~>`` with ``n = 3``: the pairing of a generic ``W`` with ``n X~^T X~``."""
    J = sp.ones(3, 3) / 3
    Xc = (sp.eye(3) - J) * _x
    G = Xc.T * Xc
    return 3 * sum((_W[a, b] * G[a, b] for a in range(2) for b in range(2)), sp.Integer(0))


# ----------------------------------------------------------------------------------------------

SINK_COST_UPPER = Statement(
    id="T4.a",
    name="sink_cost_at_most_rank_one_cost",
    title="c_sink <= L_n(eps) / (gamma_u gamma_v): the rank-one construction of T1.d is feasible",
    kind=Kind.THEOREM,
    claim="T4",
    hypotheses=(
        Condition(
            "gamma_u > 0 (all tokens in an open half-space)", sp.StrictGreaterThan(gamma_u, 0)
        ),
        Condition("gamma_v > 0 (x_s an exposed vertex)", sp.StrictGreaterThan(gamma_v, 0)),
        TOLERANCE_BELOW_HALF,
        Condition(
            "c_sink is the optimum of the convex program, computed by a conic solver that converged; "
            "it is compared within a tolerance tied to the solver's duality gap"
        ),
    ),
    conclusions=(
        Condition("c_sink <= L_n(eps) / (gamma_u gamma_v)", sp.LessThan(c_sink, SINK_UPPER)),
    ),
    derivation=(
        Combination(
            "W = c u* v*^T, c = L_n/(gamma_u gamma_v), has every margin >= L_n (T1.d): "
            "c (u^T x_i)(v^T D_j) - L = c (u^T x_i - gamma_u) v^T D_j + c gamma_u (v^T D_j - gamma_v)",
            (_L / (_gu * _gv)) * _ux * _vd - _L,
            (((_L / (_gu * _gv)) * _vd, _ux - _gu), ((_L / (_gu * _gv)) * _gu, _vd - _gv)),
        ),
        Identity(
            "||c u v^T||_F^2 = c^2 for unit u, v: one singular value c, so ||W||_* = c and c_sink <= c",
            sum(((_L * _u[i] * _v[j]) ** 2 for i in range(2) for j in range(2)), sp.Integer(0)),
            _L**2 * (_u[0] ** 2 + _u[1] ** 2) * (_v[0] ** 2 + _v[1] ** 2),
        ),
    ),
)

SINK_COST_LOWER = Statement(
    id="T4.b",
    name="sink_cost_at_least_single_rival_bound",
    title="c_sink >= L_1(eps) / min_{i, j != s} ||x_i|| ||x_s - x_j|| (also with a causal mask)",
    kind=Kind.THEOREM,
    claim="T4",
    hypotheses=(
        SINK_FEASIBLE,
        Condition(
            "min over the constrained pairs (i, j != s; causal: j <= i) of ||x_i|| ||x_s - x_j|| is > 0",
            sp.StrictGreaterThan(sink_pair_min, 0),
        ),
        Condition("c_sink from a converged conic solve, compared within its duality-gap tolerance"),
    ),
    conclusions=(
        Condition("c_sink >= L_1(eps) / sink_pair_min", sp.GreaterThan(c_sink, SINK_LOWER)),
    ),
    derivation=(
        Root(
            "one rival already caps the sink (T1.a): A_is >= 1 - eps forces s_is - s_ij >= m with "
            "1/(1 + e^{-m}) = 1 - eps, i.e. m = L_1(eps)",
            sp.Eq(sink_weight_from_margin(2, _m_ij), 1 - eps),
            _m_ij,
            (log_odds_single(eps),),
        ),
        Combination(
            "|x_i^T W (x_s - x_j)| <= ||W||_2 ||x_i|| ||x_s - x_j|| <= ||W||_* p (stated: operator norm "
            "<= nuclear norm); with margin m >= L: ||W||_* - L/p = (1/p)(||W||_* p - m) + (1/p)(m - L); "
            "the pair with the smallest p gives the largest bound",
            _N - _L / _p,
            ((1 / _p, _N * _p - _m), (1 / _p, _m - _L)),
        ),
    ),
)

DIAG_COST_LOWER = Statement(
    id="T4.c",
    name="diagonal_cost_at_least_pair_sum_bound",
    title="c_diag >= L_1(eps)(n-1)/sigma_max(X~)^2 and c_diag >= 2 L_1(eps)/min_{i!=j} ||x_i - x_j||^2",
    kind=Kind.THEOREM,
    claim="T4",
    hypotheses=(
        DIAG_FEASIBLE,
        Condition(
            "the tokens are not all equal: sigma_max(X~)^2 > 0",
            sp.StrictGreaterThan(sigma_max_sq, 0),
        ),
        Condition("the tokens are distinct", sp.StrictGreaterThan(pair_dist_min_sq, 0)),
        Condition("c_diag from a converged conic solve, compared within its duality-gap tolerance"),
    ),
    conclusions=(
        Condition(
            "c_diag >= L_1(eps) (n - 1) / sigma_max(X~)^2",
            sp.GreaterThan(c_diag, DIAG_LOWER_SPECTRAL),
        ),
        Condition(
            "c_diag >= 2 L_1(eps) / min_{i != j} ||x_i - x_j||^2",
            sp.GreaterThan(c_diag, DIAG_LOWER_CLOSEST_PAIR),
        ),
    ),
    derivation=(
        Identity(
            "the two orientations of a pair add up: (s_ii - s_ij) + (s_jj - s_ji) = (x_i - x_j)^T W (x_i - x_j)",
            (_quad(_x.row(0), _x.row(0)) - _quad(_x.row(0), _x.row(1)))
            + (_quad(_x.row(1), _x.row(1)) - _quad(_x.row(1), _x.row(0))),
            _quad(_x.row(0) - _x.row(1), _x.row(0) - _x.row(1)),
        ),
        Combination(
            "each orientation's margin is >= L_1 (T1.a, the diagonal entry as the row's sink): "
            "m_ij + m_ji - 2L = (m_ij - L) + (m_ji - L)",
            _m_ij + _m_ji - 2 * _L,
            ((sp.Integer(1), _m_ij - _L), (sp.Integer(1), _m_ji - _L)),
        ),
        Identity(
            "pair sum (n = 3, d = 2, generic W, i.e. the matrix identity "
            "sum_{i<j} (x_i - x_j)(x_i - x_j)^T = n X~^T X~): sum_{i<j} (x_i-x_j)^T W (x_i-x_j) = n <W, X~^T X~>",
            _pair_sum(),
            _centred_pairing(),
        ),
        Combination(
            "duality <W, G> <= ||W||_* ||G||_2 (stated; G = X~^T X~, ||G||_2 = sigma_max(X~)^2) and the pair sum "
            "n <W, G> >= n(n-1) L give ||W||_* - (n-1)L/sigma^2 = (1/sigma^2)(||W||_* sigma^2 - <W,G>) "
            "+ (1/(n sigma^2))(n <W,G> - n(n-1) L)",
            _N - (n - 1) * _L / _s2,
            ((1 / _s2, _N * _s2 - _ip), (1 / (n * _s2), n * _ip - n * (n - 1) * _L)),
        ),
        Combination(
            "closest pair: (x_i-x_j)^T W (x_i-x_j) <= ||W||_* q with q = ||x_i - x_j||^2, and it is >= 2L: "
            "||W||_* - 2L/q = (1/q)(||W||_* q - (m_ij + m_ji)) + (1/q)(m_ij + m_ji - 2L)",
            _N - 2 * _L / _q,
            ((1 / _q, _N * _q - (_m_ij + _m_ji)), (1 / _q, _m_ij + _m_ji - 2 * _L)),
        ),
    ),
)

DIAG_COST_UPPER = Statement(
    id="T4.d",
    name="diagonal_cost_at_most_scaled_identity",
    title="if g = min_{i!=j} (||x_i||^2 - x_i^T x_j) > 0 then W = (L_n/g) I is eps-diagonal: c_diag <= d L_n/g; "
    "sharper, W = (L_n/g) Pi: c_diag <= rank(X) L_n/g",
    kind=Kind.THEOREM,
    claim="T4",
    hypotheses=(
        Condition("g = min_{i != j} (||x_i||^2 - x_i^T x_j) > 0", sp.StrictGreaterThan(g, 0)),
        TOLERANCE_BELOW_HALF,
        Condition("c_diag from a converged conic solve, compared within its duality-gap tolerance"),
    ),
    conclusions=(
        Condition("c_diag <= d L_n(eps) / g", sp.LessThan(c_diag, DIAG_UPPER)),
        Condition(
            "sharper: c_diag <= rank(X) L_n(eps) / g (W = (L_n/g) Pi, Pi the projector onto the row span)",
            sp.LessThan(c_diag, DIAG_UPPER_PROJECTOR),
        ),
    ),
    derivation=(
        Combination(
            "W = (L/g) I has diagonal margins s_ii - s_ij = (L/g)(||x_i||^2 - x_i^T x_j) >= L: "
            "(L/g) h - L = (L/g)(h - g); with L = L_n, T1.a (token i as row i's sink) gives A_ii >= 1 - eps",
            (_L / _g) * _h - _L,
            ((_L / _g, _h - _g),),
        ),
        Identity(
            "||c I_d||_* = d c (d equal singular values; shown for d = 3)",
            sum((sp.eye(3) * (_L / _g)).singular_values()),
            3 * _L / _g,
        ),
        Identity(
            "the projector Pi onto the row span gives the same scores, x_i^T Pi x_j = x_i^T x_j, as Pi x_j "
            "= x_j (shown for the span of x_1 = (a, b, 0), x_2 = (e, f, 0) in R^3: Pi = diag(1, 1, 0))",
            (_prow(0).T * _PI * _prow(1))[0, 0],
            (_prow(0).T * _prow(1))[0, 0],
        ),
        Identity(
            "||c Pi||_* = rank(X) c (Pi has rank(X) unit singular values; shown for rank 2 in R^3)",
            sum((_PI * (_L / _g)).singular_values()),
            2 * _L / _g,
        ),
    ),
)

SINK_CHEAPER = Statement(
    id="T4.e",
    name="sink_cheaper_than_diagonal_when_spread",
    title="if L_n sigma_max(X~)^2 <= (n-1) L_1 gamma_u gamma_v then c_sink <= c_diag; "
    "in general c_diag/c_sink >= (n-1) L_1 gamma_u gamma_v / (L_n sigma_max(X~)^2)",
    kind=Kind.THEOREM,
    claim="T4",
    hypotheses=(
        Condition("gamma_u > 0", sp.StrictGreaterThan(gamma_u, 0)),
        Condition("gamma_v > 0", sp.StrictGreaterThan(gamma_v, 0)),
        Condition("sigma_max(X~)^2 > 0", sp.StrictGreaterThan(sigma_max_sq, 0)),
        TOLERANCE_BELOW_HALF,
        DIAG_FEASIBLE,
        Condition(
            "both costs from converged conic solves, compared within their duality-gap tolerances"
        ),
    ),
    conclusions=(
        Condition(
            "c_sink <= c_diag whenever L_n sigma_max(X~)^2 <= (n-1) L_1 gamma_u gamma_v",
            sp.LessThan(c_sink, c_diag),
            given=(sp.LessThan(L_n * sigma_max_sq, (n - 1) * L_1 * gamma_u * gamma_v),),
        ),
        Condition(
            "c_diag / c_sink >= (n-1) L_1 gamma_u gamma_v / (L_n sigma_max(X~)^2)",
            sp.GreaterThan(c_diag / c_sink, RATIO_BOUND),
        ),
    ),
    derivation=(
        Combination(
            "T4.a (a <= U = L_n/(gamma_u gamma_v)) and T4.c (b >= D = L_1 (n-1)/sigma^2) give "
            "b - (D/U) a = (b - D) + (D/U)(U - a) >= 0",
            _b - ((_Lone * (n - 1) / _s2) / (_Ln / (_gu * _gv))) * _a,
            (
                (sp.Integer(1), _b - _Lone * (n - 1) / _s2),
                ((_Lone * (n - 1) / _s2) / (_Ln / (_gu * _gv)), _Ln / (_gu * _gv) - _a),
            ),
        ),
        Identity(
            "D/U is T4.e's ratio bound: (L_1 (n-1)/sigma^2) / (L_n/(gamma_u gamma_v)) = "
            "(n-1) L_1 gamma_u gamma_v / (L_n sigma^2)",
            (_Lone * (n - 1) / _s2) / (_Ln / (_gu * _gv)),
            (n - 1) * _Lone * _gu * _gv / (_Ln * _s2),
        ),
        Combination(
            "when the ratio bound r = D/U is >= 1 (the stated condition): b - a = (b - r a) + a (r - 1) >= 0",
            _b - _a,
            (
                (sp.Integer(1), _b - ((n - 1) * _Lone * _gu * _gv / (_Ln * _s2)) * _a),
                (_a, (n - 1) * _Lone * _gu * _gv / (_Ln * _s2) - 1),
            ),
        ),
    ),
)

# ----------------------------------------------------------------------------------------------
# Controls
# ----------------------------------------------------------------------------------------------

CONTROL_SINK_ALWAYS_CHEAPER = Statement(
    id="T4-F1",
    name="control_sink_never_dearer_than_diagonal",
    title="c_sink <= c_diag for every token set (false: antipodal tokens admit no sink at all)",
    kind=Kind.CONTROL,
    claim="T4",
    hypotheses=(
        Condition("the tokens are distinct", sp.StrictGreaterThan(pair_dist_min_sq, 0)),
        TOLERANCE_BELOW_HALF,
        DIAG_FEASIBLE,
    ),
    conclusions=(
        Condition(
            "for every s: c_sink(X, s, eps) <= c_diag(X, eps), written c_diag / c_sink >= 1 (both "
            "costs are > 0; c_sink = +inf, no feasible W, gives the ratio 0)",
            sp.GreaterThan(c_diag / c_sink, 1),
        ),
    ),
    mirrors="T4.e",
)

CONTROL_RANK_ONE_OPTIMAL = Statement(
    id="T4-F2",
    name="control_rank_one_sink_is_optimal",
    title="the rank-one construction is optimal: c_sink = L_n/(gamma_u gamma_v) (false: cheaper full-rank W)",
    kind=Kind.CONTROL,
    claim="T4",
    hypotheses=SINK_COST_UPPER.hypotheses[:2],
    conclusions=(Condition("c_sink = L_n(eps) / (gamma_u gamma_v)", sp.Eq(c_sink, SINK_UPPER)),),
    mirrors="T4.a",
)

STATEMENTS = (
    SINK_COST_UPPER,
    SINK_COST_LOWER,
    DIAG_COST_LOWER,
    DIAG_COST_UPPER,
    SINK_CHEAPER,
    CONTROL_SINK_ALWAYS_CHEAPER,
    CONTROL_RANK_ONE_OPTIMAL,
)
