r"""T2 — sinks are hard attention switches.

One head, one row ``i``: ``y_i = sum_j A_ij v_j`` with ``A`` row-stochastic (softmax, optionally
causal) and a distinguished token ``s`` (the sink).

Observables (per case: a row ``i``, or a pair ``(i, j)`` for T2.a; per instance for T2-F1):

* ``rest``             ``1 - A_is``, computed as ``sum_{j != s} A_ij`` (no cancellation in floats);
* ``attn_weight``      ``A_ij`` for a competitor ``j != s`` (T2.a);
* ``conv_weight``      ``w_ij``: the softmax of row ``i`` with the sink removed (T2.a);
* ``conv_weight_sum``  ``sum_{j != s} w_ij``;
* ``resid_norm``       ``||y_i - A_is v_s||``, computed as ``||sum_{j != s} A_ij v_j||``;
* ``out_norm``         ``||y_i||``;
* ``sink_value_norm``  ``||v_s||``;
* ``delta``            ``dist(0, conv{v_j : j != s})``; ``R`` = ``max_{j != s} ||v_j||``;
* ``rest_zero``        ``1 - sum_{j in Z} A_ij = sum_{j not in Z} A_ij`` with ``Z = {j : v_j = 0}``;
* ``delta_zero``       ``dist(0, conv{v_j : j not in Z})``; ``R_zero`` = ``max_{j not in Z} ||v_j||``;
* ``margin``           ``min_{j != s} (s_is - s_ij)`` over the row's competitors; ``n``; ``eta``;
* ``out_max``, ``rest_zero_max``  ``max_i ||y_i||`` and ``max_i (1 - sum_{j in Z} A_ij)`` (T2-F1).
"""

from __future__ import annotations

import sympy as sp

from theory.core import Combination, Condition, Identity, Kind, Positive, Root, Statement
from theory.symbols import R, eta, m, n, sink_weight_from_margin

# -- observables ---------------------------------------------------------------------------------

rest = sp.Symbol("rest", nonnegative=True)
attn_weight = sp.Symbol("attn_weight", nonnegative=True)
conv_weight = sp.Symbol("conv_weight", nonnegative=True)
conv_weight_sum = sp.Symbol("conv_weight_sum", nonnegative=True)
competitor = sp.Symbol("competitor", nonnegative=True)  # 1 when j != s and j is visible in row i
resid_norm = sp.Symbol("resid_norm", nonnegative=True)
out_norm = sp.Symbol("out_norm", nonnegative=True)
sink_value_norm = sp.Symbol("sink_value_norm", nonnegative=True)
delta = sp.Symbol("delta", nonnegative=True)
rest_zero = sp.Symbol("rest_zero", nonnegative=True)
delta_zero = sp.Symbol("delta_zero", nonnegative=True)
R_zero = sp.Symbol("R_zero", nonnegative=True)
out_max = sp.Symbol("out_max", nonnegative=True)
rest_zero_max = sp.Symbol("rest_zero_max", nonnegative=True)


def output_bound_from_margin(n_: sp.Expr = n, margin: sp.Expr = m, radius: sp.Expr = R) -> sp.Expr:
    r"""``R (n-1) / (n - 1 + e^m)``: T2.d's cap on ``||y_i||`` (THEORY's form divided by ``e^{-m}``).

    Equal to ``R (n-1) e^{-m} / (1 + (n-1) e^{-m})`` (derivation step 3); this form has no
    ``inf / inf`` in floats for very negative or very positive margins.
    """
    return radius * (n_ - 1) / (n_ - 1 + sp.exp(margin))


def margin_threshold(n_: sp.Expr = n, eta_: sp.Expr = eta, radius: sp.Expr = R) -> sp.Expr:
    r"""``log((n-1)(R - eta)/eta)``: the sink margin after which ``||y_i|| <= eta`` (T2.d)."""
    return sp.log((n_ - 1) * (radius - eta_) / eta_)


# -- symbols used only inside derivations ----------------------------------------------------------

# a symbolic row over n = 4 tokens with sink s = 1: e_j = e^{s_ij} > 0, A_ij = e_j / sum_k e_k
_e = sp.symbols("e1:5", positive=True)
_A = [e / sum(_e) for e in _e]
_v = sp.Matrix(4, 2, sp.symbols("v1:5_1:3", real=True))  # value rows v_1..v_4 in R^2
_rest4 = 1 - _A[0]
_c4 = [sum((_A[j] * _v[j, k] for j in (1, 2, 3)), sp.Integer(0)) / _rest4 for k in range(2)]
_y4 = [sum((_A[j] * _v[j, k] for j in range(4)), sp.Integer(0)) for k in range(2)]

# a row-stochastic row over three tokens with sink s = 1 (T2.b): weights a_2, a_3 of the others
_a2, _a3 = sp.symbols("a2 a3", positive=True)
_rest3 = _a2 + _a3
_w2, _w3 = _a2 / _rest3, _a3 / _rest3
_v2 = sp.Matrix(sp.symbols("v2_1:3", real=True))
_v3 = sp.Matrix(sp.symbols("v3_1:3", real=True))
_u = sp.Matrix(sp.symbols("u1:3", real=True))
_p = sp.Matrix(sp.symbols("p1:3", real=True))
_t2, _t3 = sp.symbols("t2 t3", real=True)  # u^T v_2, u^T v_3
_nc, _n2, _n3 = sp.symbols("nc n2 n3", nonnegative=True)  # ||c||, ||v_2||, ||v_3||
_rz, _dz, _Rz = sp.symbols("rest_Z delta_Z R_Z", positive=True)
_k = sp.Symbol("k", positive=True)  # n - 1 >= 1 rivals
_t = sp.Symbol("t", positive=True)  # e^m
_B = sp.Symbol("B", positive=True)  # the cap (n-1)e^{-m}/(1+(n-1)e^{-m}) on 1 - A_is


def _sq(vec: sp.Matrix) -> sp.Expr:
    return (vec.T * vec)[0, 0]


def _lagrange(a: sp.Matrix, b: sp.Matrix) -> sp.Expr:
    """``||a||^2 ||b||^2 - (a^T b)^2 = (a_1 b_2 - a_2 b_1)^2`` in ``R^2`` (Cauchy–Schwarz)."""
    return (a[0] * b[1] - a[1] * b[0]) ** 2


# ----------------------------------------------------------------------------------------------

SWITCH_DECOMPOSITION = Statement(
    id="T2.a",
    name="head_output_splits_into_sink_and_convex_rest",
    title="y_i = A_is v_s + (1 - A_is) c_i with c_i in conv{v_j : j != s}",
    kind=Kind.THEOREM,
    claim="T2",
    hypotheses=(
        Condition("A = softmax_rows(X W X^T) (optionally causal), V any values, s any token"),
        Condition(
            "1 - A_is > 0, so c_i = sum_{j != s} A_ij v_j / (1 - A_is) is defined",
            sp.StrictGreaterThan(rest, 0),
        ),
        Condition("j != s is a competitor visible in row i", sp.Eq(competitor, 1)),
    ),
    conclusions=(
        Condition(
            "A_ij = (1 - A_is) w_ij with w_i the softmax of row i with the sink removed; hence "
            "y_i = A_is v_s + (1 - A_is) c_i with c_i = sum_{j != s} w_ij v_j",
            sp.Eq(attn_weight, rest * conv_weight),
        ),
        Condition(
            "the weights of c_i are >= 0 and sum to 1: c_i in conv{v_j : j != s}",
            sp.Eq(conv_weight_sum, 1),
        ),
    ),
    derivation=(
        Identity(
            "1 - A_is is the mass of the others: 1 - A_i1 = A_i2 + A_i3 + A_i4",
            _rest4,
            _A[1] + _A[2] + _A[3],
        ),
        Identity(
            "c_i's weights are the softmax with the sink removed: A_i2/(1 - A_i1) = e_2/(e_2 + e_3 + e_4)",
            _A[1] / _rest4,
            _e[1] / (_e[1] + _e[2] + _e[3]),
        ),
        Identity(
            "c_i's weights sum to 1", sum((_A[j] / _rest4 for j in (1, 2, 3)), sp.Integer(0)), 1
        ),
        Positive("c_i's weights are positive (softmax weights are)", _A[2] / _rest4),
        Identity(
            "coordinate 1: y_i = A_i1 v_1 + (1 - A_i1) c_i",
            _y4[0],
            _A[0] * _v[0, 0] + _rest4 * _c4[0],
        ),
        Identity(
            "coordinate 2: y_i = A_i1 v_1 + (1 - A_i1) c_i",
            _y4[1],
            _A[0] * _v[0, 1] + _rest4 * _c4[1],
        ),
    ),
)

_c3 = (_a2 * _v2 + _a3 * _v3) / _rest3

SWITCH_TWO_SIDED_BOUND = Statement(
    id="T2.b",
    name="sink_residual_between_rest_times_delta_and_rest_times_R",
    title="(1 - A_is) delta <= ||y_i - A_is v_s|| <= (1 - A_is) R; with v_s = 0 the same for ||y_i||",
    kind=Kind.THEOREM,
    claim="T2",
    hypotheses=(
        Condition(
            "A row-stochastic with positive softmax weights (optionally causal), any V, any s"
        ),
        Condition("delta = dist(0, conv{v_j : j != s}), R = max_{j != s} ||v_j||"),
    ),
    conclusions=(
        Condition(
            "lower: ||y_i - A_is v_s|| >= (1 - A_is) delta",
            sp.GreaterThan(resid_norm, rest * delta),
        ),
        Condition("upper: ||y_i - A_is v_s|| <= (1 - A_is) R", sp.LessThan(resid_norm, rest * R)),
        Condition(
            "zero-value sink, lower: ||y_i|| >= (1 - A_is) delta",
            sp.GreaterThan(out_norm, rest * delta),
            given=(sp.Eq(sink_value_norm, 0),),
        ),
        Condition(
            "zero-value sink, upper: ||y_i|| <= (1 - A_is) R",
            sp.LessThan(out_norm, rest * R),
            given=(sp.Eq(sink_value_norm, 0),),
        ),
    ),
    derivation=(
        Identity(
            "||y_i - A_is v_s|| = (1 - A_is) ||c_i||: ||a_2 v_2 + a_3 v_3||^2 = (a_2 + a_3)^2 ||c_i||^2",
            _sq(_a2 * _v2 + _a3 * _v3),
            _rest3**2 * _sq(_c3),
        ),
        Identity(
            "min-norm point p of the hull, optimality p^T (v_j - p) >= 0 for every j != s: with "
            "u = p/||p||, u^T v_j - delta = p^T (v_j - p)/||p|| >= 0 (delta = ||p||)",
            (_p.T * _v2)[0, 0] / sp.sqrt(_sq(_p)) - sp.sqrt(_sq(_p)),
            (_p.T * (_v2 - _p))[0, 0] / sp.sqrt(_sq(_p)),
        ),
        Combination(
            "u^T c_i >= delta: u^T c_i - delta = w_2 (u^T v_2 - delta) + w_3 (u^T v_3 - delta), "
            "w_j = a_j/(a_2 + a_3) >= 0 summing to 1",
            (_a2 * _t2 + _a3 * _t3) / _rest3 - delta,
            ((_w2, _t2 - delta), (_w3, _t3 - delta)),
        ),
        Identity(
            "||c_i|| >= u^T c_i for unit u (Cauchy–Schwarz, Lagrange's identity): "
            "||u||^2 ||c||^2 - (u^T c)^2 = (u_1 c_2 - u_2 c_1)^2",
            _sq(_u) * _sq(_c3) - ((_u.T * _c3)[0, 0]) ** 2,
            _lagrange(_u, _c3),
        ),
        Combination(
            "lower: (1 - A_is)||c_i|| - (1 - A_is) delta = (1 - A_is)(||c_i|| - delta) >= 0",
            rest * _nc - rest * delta,
            ((rest, _nc - delta),),
        ),
        Identity(
            "triangle inequality: (a_2||v_2|| + a_3||v_3||)^2 - ||a_2 v_2 + a_3 v_3||^2 "
            "= 2 a_2 a_3 (||v_2|| ||v_3|| - v_2^T v_3) >= 0 (Cauchy–Schwarz)",
            (_a2 * sp.sqrt(_sq(_v2)) + _a3 * sp.sqrt(_sq(_v3))) ** 2 - _sq(_a2 * _v2 + _a3 * _v3),
            2 * _a2 * _a3 * (sp.sqrt(_sq(_v2)) * sp.sqrt(_sq(_v3)) - (_v2.T * _v3)[0, 0]),
        ),
        Combination(
            "upper: (1 - A_is) R - sum_{j != s} A_ij ||v_j|| = sum_{j != s} A_ij (R - ||v_j||) >= 0",
            _rest3 * R - (_a2 * _n2 + _a3 * _n3),
            ((_a2, R - _n2), (_a3, R - _n3)),
        ),
        Identity(
            "equality case, all non-sink values equal v: c_i = v, so ||c_i|| = ||v|| = delta = R "
            "and both sides are attained",
            ((_a2 * _v2 + _a3 * _v2) / _rest3)[0],
            _v2[0],
        ),
    ),
)

_yZ = [
    sum((_A[j] * _v[j, k] for j in range(4)), sp.Integer(0)).subs({_v[0, k]: 0, _v[3, k]: 0})
    for k in range(2)
]
_restZ4 = 1 - (_A[0] + _A[3])
_cZ = [(_A[1] * _v[1, k] + _A[2] * _v[2, k]) / (_A[1] + _A[2]) for k in range(2)]

SWITCH_EQUIVALENCE = Statement(
    id="T2.c",
    name="output_norm_squeezed_by_mass_off_zero_values",
    title="||y_i|| >= (1 - sum_{j in Z} A_ij) delta_Z: Y -> 0 iff the mass on zero-value tokens -> 1",
    kind=Kind.THEOREM,
    claim="T2",
    hypotheses=(
        Condition("Z = {j : v_j = 0}; A row-stochastic with positive softmax weights"),
        Condition(
            "delta_Z = dist(0, conv{v_j : j not in Z}) > 0", sp.StrictGreaterThan(delta_zero, 0)
        ),
    ),
    conclusions=(
        Condition(
            "||y_i|| >= (1 - sum_{j in Z} A_ij) delta_Z",
            sp.GreaterThan(out_norm, rest_zero * delta_zero),
        ),
        Condition(
            "and ||y_i|| <= (1 - sum_{j in Z} A_ij) R_Z with R_Z = max_{j not in Z} ||v_j|| "
            "(so ||y_i|| -> 0 iff the mass on Z -> 1)",
            sp.LessThan(out_norm, rest_zero * R_zero),
        ),
    ),
    derivation=(
        Identity(
            "Z = {1, 4} (v_1 = v_4 = 0): y_i = (1 - A_i1 - A_i4) c_Z, coordinate 1, with "
            "c_Z = (A_i2 v_2 + A_i3 v_3)/(A_i2 + A_i3) in conv{v_j : j not in Z}",
            _yZ[0],
            _restZ4 * _cZ[0],
        ),
        Identity("coordinate 2", _yZ[1], _restZ4 * _cZ[1]),
        Combination(
            "lower: ||c_Z|| >= delta_Z (T2.b's argument), so ||y_i|| - rest_Z delta_Z "
            "= rest_Z (||c_Z|| - delta_Z) >= 0",
            _rz * _nc - _rz * _dz,
            ((_rz, _nc - _dz),),
        ),
        Combination(
            "upper: rest_Z R_Z - sum_{j not in Z} A_ij ||v_j|| = sum_{j not in Z} A_ij (R_Z - ||v_j||)",
            (_a2 + _a3) * _Rz - (_a2 * _n2 + _a3 * _n3),
            ((_a2, _Rz - _n2), (_a3, _Rz - _n3)),
        ),
        Positive(
            "softmax weights are positive, so rest_Z > 0, and delta_Z > 0: ||y_i|| >= rest_Z delta_Z > 0, "
            "Y = 0 exactly is impossible (the switch is reached only in the limit)",
            _rz * _dz,
        ),
    ),
)

SWITCH_MARGIN_TO_OUTPUT = Statement(
    id="T2.d",
    name="zero_value_sink_margin_caps_output",
    title="v_s = 0 and sink margins >= m: ||y_i|| <= R (n-1) e^{-m}/(1 + (n-1) e^{-m}); "
    "||y_i|| <= eta once m >= log((n-1)(R - eta)/eta)",
    kind=Kind.THEOREM,
    claim="T2",
    hypotheses=(
        Condition("zero-value sink: v_s = 0", sp.Eq(sink_value_norm, 0)),
        Condition("m = min_{j != s} (s_is - s_ij) is the row's sink margin (the row sees s)"),
    ),
    conclusions=(
        Condition(
            "||y_i|| <= R (n-1) e^{-m} / (1 + (n-1) e^{-m}) = R (n-1)/(n - 1 + e^m)",
            sp.LessThan(out_norm, output_bound_from_margin(n, m, R)),
        ),
        Condition(
            "for 0 < eta < R: m >= log((n-1)(R - eta)/eta) implies ||y_i|| <= eta",
            sp.LessThan(out_norm, eta),
            given=(
                sp.StrictLessThan(eta, R),
                sp.GreaterThan(m, margin_threshold(n, eta, R)),
            ),
        ),
    ),
    derivation=(
        Identity(
            "T1.a bounds 1 - A_is by the complement of the sink weight: "
            "1 - 1/(1 + (n-1)e^{-m}) = (n-1)e^{-m}/(1 + (n-1)e^{-m})",
            1 - sink_weight_from_margin(n, m),
            (n - 1) * sp.exp(-m) / (1 + (n - 1) * sp.exp(-m)),
        ),
        Combination(
            "R B - ||y_i|| = R (B - (1 - A_is)) + ((1 - A_is) R - ||y_i||): T1.a's cap B on 1 - A_is "
            "and T2.b's upper bound (v_s = 0)",
            R * _B - out_norm,
            ((R, _B - rest), (sp.Integer(1), rest * R - out_norm)),
        ),
        Identity(
            "the stable form: R (n-1) e^{-m}/(1 + (n-1)e^{-m}) = R (n-1)/(n - 1 + e^m)",
            R * (n - 1) * sp.exp(-m) / (1 + (n - 1) * sp.exp(-m)),
            output_bound_from_margin(n, m, R),
        ),
        Positive(
            "the cap R k e^{-m}/(1 + k e^{-m}) (k = n - 1 >= 1) is decreasing in m: minus its derivative is > 0",
            -sp.diff(R * _k * sp.exp(-m) / (1 + _k * sp.exp(-m)), m),
        ),
        Root(
            "R (n-1) e^{-m}/(1 + (n-1) e^{-m}) = eta solved for m: m = log((n-1)(R - eta)/eta)",
            sp.Eq(R * (n - 1) * sp.exp(-m) / (1 + (n - 1) * sp.exp(-m)), eta),
            m,
            (margin_threshold(n, eta, R),),
        ),
        Combination(
            "with t = e^m >= t_0 = k (R - eta)/eta (the threshold): eta - R k/(k + t) "
            "= (eta/(k + t)) (t - t_0) >= 0",
            eta - R * _k / (_k + _t),
            ((eta / (_k + _t), _t - _k * (R - eta) / eta),),
        ),
    ),
)

# ----------------------------------------------------------------------------------------------
# Controls: false variants the engine must refute with a certified counterexample.
# ----------------------------------------------------------------------------------------------

CONTROL_ZERO_OUTPUT_IMPLIES_SINK = Statement(
    id="T2-F1",
    name="control_zero_output_implies_zero_value_sink",
    title="Y = 0 implies a sink: mass >= 1 - eps on zero-value tokens, eps = 1/4 (false without delta_Z > 0)",
    kind=Kind.CONTROL,
    claim="T2",
    hypotheses=(Condition("Y = 0: max_i ||y_i|| = 0 (no delta_Z > 0 assumed)", sp.Eq(out_max, 0)),),
    conclusions=(
        Condition(
            "every row puts mass >= 3/4 on Z = {j : v_j = 0}: max_i (1 - sum_{j in Z} A_ij) <= 1/4",
            sp.LessThan(rest_zero_max, sp.Rational(1, 4)),
        ),
    ),
    mirrors="T2.c",
)

CONTROL_UPPER_WITHOUT_ZERO_SINK = Statement(
    id="T2-F2",
    name="control_output_bound_without_zero_value_sink",
    title="||y_i|| <= (1 - A_is) R without v_s = 0 (false: the sink's own value passes through)",
    kind=Kind.CONTROL,
    claim="T2",
    hypotheses=(Condition("any values V, the sink's value v_s unconstrained"),),
    conclusions=(Condition("||y_i|| <= (1 - A_is) R", sp.LessThan(out_norm, rest * R)),),
    mirrors="T2.b",
)

CONTROL_UPPER_SHRUNK = Statement(
    id="T2-F3",
    name="control_two_sided_bound_upper_with_smaller_radius",
    title="T2.b's upper bound with 0.9 R (false: equal non-sink values attain (1 - A_is) R)",
    kind=Kind.CONTROL,
    claim="T2",
    hypotheses=SWITCH_TWO_SIDED_BOUND.hypotheses,
    conclusions=(
        Condition(
            "||y_i - A_is v_s|| <= 0.9 (1 - A_is) R",
            sp.LessThan(resid_norm, sp.Rational(9, 10) * rest * R),
        ),
    ),
    mirrors="T2.b",
)

STATEMENTS = (
    SWITCH_DECOMPOSITION,
    SWITCH_TWO_SIDED_BOUND,
    SWITCH_EQUIVALENCE,
    SWITCH_MARGIN_TO_OUTPUT,
    CONTROL_ZERO_OUTPUT_IMPLIES_SINK,
    CONTROL_UPPER_WITHOUT_ZERO_SINK,
    CONTROL_UPPER_SHRUNK,
)
