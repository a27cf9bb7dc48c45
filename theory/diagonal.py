r"""T5 — diagonal patterns: attention that acts token-wise (like an MLP).

Conventions (THEORY.md §0): tokens are rows ``x_i`` of ``X in R^{n x d}``; scores
``s_ij = x_i^T W x_j``; ``A = softmax_rows(S)`` (a causal mask optional); values are rows of
``V = X W_V in R^{n x d_v}`` (``W_V in R^{d x d_v}``, output projection merged), i.e.
``v_j = W_V^T x_j`` as a column; the head output is the row ``y_i = sum_j A_ij v_j``. The Jacobian
``dy_i/dx_j`` is the ``d_v x d`` matrix with entries ``d(y_i)_a / d(x_j)_b``.

``A`` has an **eps-diagonal pattern** when ``A_ii >= 1 - eps`` for every ``i``, i.e.
``max_i (1 - A_ii) <= eps`` (``1 - A_ii = sum_{j != i} A_ij``, computed without cancellation).

Observables (per case: a row ``i`` for T5.a; an ordered pair ``(i, j)`` for T5.b, T5.c, T5-F1):
``out_dev = ||y_i - v_i||``, ``spread = max_{j != i} ||v_j - v_i||``, ``R = max_j ||v_j||``,
``rest_max = max_i (1 - A_ii)``, ``eps``; ``jac_pairing = <J_auto, J_formula>_F``,
``jac_autodiff_sq = ||J_auto||_F^2``, ``jac_formula_sq = ||J_formula||_F^2``; ``jac_norm``
``= ||dy_i/dx_j||_2``, ``attn = A_ij``, ``wv_norm = ||W_V||_2``, ``value_gap = ||v_j - y_i||``,
``query_gain = ||W^T x_i||``; ``competitor`` is 1 when ``j != i``.
"""

from __future__ import annotations

import sympy as sp

from theory.core import Combination, Condition, Identity, Kind, Statement
from theory.symbols import R, eps

out_dev = sp.Symbol("out_dev", nonnegative=True)
spread = sp.Symbol("spread", nonnegative=True)
rest_max = sp.Symbol("rest_max", nonnegative=True)
competitor = sp.Symbol("competitor", nonnegative=True)
jac_pairing = sp.Symbol("jac_pairing", real=True)
jac_autodiff_sq = sp.Symbol("jac_autodiff_sq", nonnegative=True)
jac_formula_sq = sp.Symbol("jac_formula_sq", nonnegative=True)
jac_norm = sp.Symbol("jac_norm", nonnegative=True)
attn = sp.Symbol("attn", nonnegative=True)
wv_norm = sp.Symbol("wv_norm", nonnegative=True)
value_gap = sp.Symbol("value_gap", nonnegative=True)
query_gain = sp.Symbol("query_gain", nonnegative=True)

EPS_DIAGONAL = Condition(
    "A is eps-diagonal: A_ii >= 1 - eps for every i, i.e. max_i (1 - A_ii) <= eps",
    sp.LessThan(rest_max, eps),
)
CROSS_TOKEN = sp.Eq(competitor, 1)  # the pair (i, j) has j != i

# -- the symbolic instance: n = 3 tokens, d = 2, d_v = 2 -----------------------------------------

_N, _D, _DV = 3, 2, 2
_X = sp.Matrix(_N, _D, sp.symbols("x1:4_1:3", real=True))
_W = sp.Matrix(_D, _D, sp.symbols("w1:3_1:3", real=True))
_WV = sp.Matrix(_D, _DV, sp.symbols("u1:3_1:3", real=True))  # W_V, generic (not symmetric)
_S = _X * _W * _X.T
_E = _S.applyfunc(sp.exp)
_A = sp.Matrix(_N, _N, lambda i, k: _E[i, k] / sum(_E[i, :]))
_V = _X * _WV  # rows v_j = (W_V^T x_j)^T
_Y = _A * _V  # rows y_i


def _jacobian_formula(i: int, j: int) -> sp.Matrix:
    r"""``A_ij (W_V^T + (v_j - y_i) x_i^T W)`` (``d_v x d``; ``v_j - y_i`` a column)."""
    return _A[i, j] * (_WV.T + (_V.row(j) - _Y.row(i)).T * (_X.row(i) * _W))


def _entry_steps(i: int, j: int) -> tuple[Identity, ...]:
    formula = _jacobian_formula(i, j)
    return tuple(
        Identity(
            f"entry ({a + 1},{b + 1}) of dy_{i + 1}/dx_{j + 1} (SymPy differentiates y_{i + 1} = "
            f"sum_k A_{i + 1}k v_k on the symbolic instance n = 3, d = d_v = 2) equals entry "
            f"({a + 1},{b + 1}) of A_{i + 1}{j + 1} (W_V^T + (v_{j + 1} - y_{i + 1}) x_{i + 1}^T W)",
            sp.diff(_Y[i, a], _X[j, b]),
            formula[a, b],
        )
        for a in range(_DV)
        for b in range(_D)
    )


# Abstract scalars of the inequality steps.
_a2, _a3 = sp.symbols("A_12 A_13", nonnegative=True)
_g2, _g3 = sp.symbols("g_2 g_3", nonnegative=True)  # ||v_j - v_1||
_sp, _e = sp.symbols("sigma epsilon", nonnegative=True)
_nj, _ni, _nd = sp.symbols("n_j n_i n_ji", nonnegative=True)
_Rs = sp.Symbol("R", nonnegative=True)
_vv = sp.Matrix(_N, _DV, sp.symbols("v1:4_1:3", real=True))
_tau = sp.symbols("tau1:3", real=True)
_p = sp.Matrix(sp.symbols("p1:5", real=True))  # a flattened Jacobian (autodiff)
_q = sp.Matrix(sp.symbols("q1:5", real=True))  # the formula
_uu = sp.Matrix(sp.symbols("r1:3", real=True))
_ww = sp.Matrix(sp.symbols("s1:3", real=True))
_K, _tri, _Ai, _Ri = sp.symbols("K T a rho", nonnegative=True)

# ----------------------------------------------------------------------------------------------

DIAGONAL_OUTPUT = Statement(
    id="T5.a",
    name="diagonal_head_output_near_own_value",
    title="eps-diagonal A: ||y_i - v_i|| <= eps max_{j != i} ||v_j - v_i|| <= 2 eps R (token-wise map)",
    kind=Kind.THEOREM,
    claim="T5",
    hypotheses=(
        Condition("X in R^{n x d}, W in R^{d x d}, W_V in R^{d x d}; y_i = sum_j A_ij v_j"),
        EPS_DIAGONAL,
    ),
    conclusions=(
        Condition(
            "||y_i - v_i|| <= eps max_{j != i} ||v_j - v_i||",
            sp.LessThan(out_dev, eps * spread),
        ),
        Condition(
            "eps max_{j != i} ||v_j - v_i|| <= 2 eps R (R = max_j ||v_j||): the block is x -> x + W_V^T x "
            "up to 2 eps R per token",
            sp.LessThan(eps * spread, 2 * eps * R),
        ),
    ),
    derivation=(
        Identity(
            "rows sum to 1, so y_1 - v_1 = sum_{j != 1} A_1j (v_j - v_1) (A_11 = 1 - A_12 - A_13; "
            "tested against a generic tau)",
            sum(
                (
                    _tau[c]
                    * ((1 - _a2 - _a3) * _vv[0, c] + _a2 * _vv[1, c] + _a3 * _vv[2, c] - _vv[0, c])
                    for c in range(_DV)
                ),
                sp.Integer(0),
            ),
            sum(
                (
                    _tau[c] * (_a2 * (_vv[1, c] - _vv[0, c]) + _a3 * (_vv[2, c] - _vv[0, c]))
                    for c in range(_DV)
                ),
                sp.Integer(0),
            ),
        ),
        Combination(
            "triangle inequality, then g_j <= sigma = max_{j != i} ||v_j - v_i|| and "
            "sum_{j != i} A_ij = 1 - A_ii <= eps: eps sigma - sum_j A_ij g_j >= 0",
            _e * _sp - (_a2 * _g2 + _a3 * _g3),
            ((_a2, _sp - _g2), (_a3, _sp - _g3), (_sp, _e - _a2 - _a3)),
        ),
        Combination(
            "||v_j - v_i|| <= ||v_j|| + ||v_i|| <= 2R",
            2 * _Rs - _nd,
            (
                (sp.Integer(1), _Rs - _nj),
                (sp.Integer(1), _Rs - _ni),
                (sp.Integer(1), _nj + _ni - _nd),
            ),
        ),
    ),
)

CROSS_TOKEN_JACOBIAN = Statement(
    id="T5.b",
    name="cross_token_jacobian_formula",
    title="for j != i: dy_i/dx_j = A_ij (W_V^T + (v_j - y_i) x_i^T W)",
    kind=Kind.THEOREM,
    claim="T5",
    hypotheses=(
        Condition(
            "y_i row of A V, V = X W_V, A = softmax_rows(X W X^T) (causal mask optional); "
            "J_auto = automatic differentiation (float64), J_formula = the closed form"
        ),
        Condition("the pair (i, j) has j != i", CROSS_TOKEN),
    ),
    conclusions=(
        Condition(
            "<J_auto, J_formula>_F = ||J_formula||_F^2",
            sp.Eq(jac_pairing, jac_formula_sq),
        ),
        Condition(
            "||J_auto||_F^2 = ||J_formula||_F^2 (with the first: ||J_auto - J_formula||_F = 0)",
            sp.Eq(jac_autodiff_sq, jac_formula_sq),
        ),
    ),
    derivation=(
        *_entry_steps(0, 1),
        Identity(
            "the two checked equations pin the Jacobian: ||p - q||^2 = (||p||^2 - ||q||^2) - "
            "2 (<p, q> - ||q||^2) for any matrices p (autodiff) and q (formula)",
            sum(((_p[k] - _q[k]) ** 2 for k in range(4)), sp.Integer(0)),
            (_p.dot(_p) - _q.dot(_q)) - 2 * (_p.dot(_q) - _q.dot(_q)),
        ),
    ),
)

_rank_one = _uu * _ww.T

CROSS_TOKEN_SENSITIVITY = Statement(
    id="T5.c",
    name="cross_token_sensitivity_bound",
    title="||dy_i/dx_j||_2 <= A_ij (||W_V||_2 + ||v_j - y_i|| ||W^T x_i||); <= eps (...) if eps-diagonal",
    kind=Kind.THEOREM,
    claim="T5",
    hypotheses=CROSS_TOKEN_JACOBIAN.hypotheses[:1]
    + (Condition("the pair (i, j) has j != i", CROSS_TOKEN),),
    conclusions=(
        Condition(
            "||dy_i/dx_j||_2 <= A_ij (||W_V||_2 + ||v_j - y_i|| ||W^T x_i||)",
            sp.LessThan(jac_norm, attn * (wv_norm + value_gap * query_gain)),
        ),
        Condition(
            "with an eps-diagonal pattern, A_ij <= 1 - A_ii <= eps: "
            "||dy_i/dx_j||_2 <= eps (||W_V||_2 + ||v_j - y_i|| ||W^T x_i||)",
            sp.LessThan(jac_norm, eps * (wv_norm + value_gap * query_gain)),
            given=(EPS_DIAGONAL.relation,),
        ),
    ),
    derivation=(
        Identity(
            "the score term is rank one: ||u w^T||_F^2 = ||u||^2 ||w||^2, and a rank-one matrix has "
            "||u w^T||_2 = ||u w^T||_F = ||u|| ||w||",
            sum((e**2 for e in _rank_one), sp.Integer(0)),
            _uu.dot(_uu) * _ww.dot(_ww),
        ),
        Combination(
            "triangle inequality T = ||W_V^T|| + ||u w^T|| - ||W_V^T + u w^T|| >= 0 and "
            "||W_V^T||_2 = ||W_V||_2: A_ij (||W_V|| + ||u|| ||w||) - ||J|| = A_ij T",
            _Ai * _tri,
            ((_Ai, _tri),),
        ),
        Combination(
            "A_ij <= sum_{k != i} A_ik = 1 - A_ii = rho <= eps, and K = ||W_V|| + ||u|| ||w|| >= 0",
            _e * _K - _Ai * _K,
            ((_K, _e - _Ri), (_K, _Ri - _Ai)),
        ),
    ),
)

CONTROL_DROP_SCORE_TERM = Statement(
    id="T5-F1",
    name="control_sensitivity_without_score_term",
    title="||dy_i/dx_j||_2 <= A_ij ||W_V||_2 (drops the score term: false)",
    kind=Kind.CONTROL,
    claim="T5",
    hypotheses=CROSS_TOKEN_SENSITIVITY.hypotheses,
    conclusions=(
        Condition("||dy_i/dx_j||_2 <= A_ij ||W_V||_2", sp.LessThan(jac_norm, attn * wv_norm)),
    ),
    mirrors="T5.c",
)

STATEMENTS = (
    DIAGONAL_OUTPUT,
    CROSS_TOKEN_JACOBIAN,
    CROSS_TOKEN_SENSITIVITY,
    CONTROL_DROP_SCORE_TERM,
)
