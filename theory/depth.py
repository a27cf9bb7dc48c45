r"""T6 — depth: oversmoothing with and without switches.

Stacks ``X_{l+1} = X_l + A_l V_l`` (residual; T6.a, T6.b) and ``X_{l+1} = A_l X_l`` (no residual;
T6.c, T6-F1), each layer with its own ``W_l`` and ``W_{V,l}``. One *case* is one layer ``l``:

* ``mu_prev = mu(X_l)``, ``mu_next = mu(X_{l+1})``, ``mu_first = mu(X_0)`` (``mu(X) = ||X~||_F``);
* ``eps_l``: the layer's measured tolerance, ``max_i (1 - A_is)`` (sink) or ``max_i (1 - A_ii)``
  (diagonal), every row included; ``R_l = max_j ||v_j^{(l)}||``;
* ``drift = sum_{k <= l} eps_k R_k`` (the cumulative budget of T6.a);
* ``sigma_min_v = sigma_min(I + W_{V,l})``;
* ``one_minus_tau = 1 - n min_{ij} A_ij`` (the largest ``tau`` with ``A_ij >= tau/n``),
  ``diam_prev``, ``diam_next``, ``diam_first``, ``contraction = prod_{k <= l} (1 - tau_k)``;
* T6.d, T6-F2 (one row-stochastic ``A``, no residual): ``dobrushin = delta(A) = (1/2) max_{i,k}
  ||a_i - a_k||_1`` (``= 1 - min_{i,k} sum_j min(A_ij, A_kj)``) and ``dobrushin_best_pair``, the same
  with the minimum over ``i != k``.
"""

from __future__ import annotations

import sympy as sp

from theory.core import Combination, Condition, Identity, Kind, Statement
from theory.symbols import n

mu_prev = sp.Symbol("mu_prev", nonnegative=True)
mu_next = sp.Symbol("mu_next", nonnegative=True)
mu_first = sp.Symbol("mu_first", nonnegative=True)
eps_l = sp.Symbol("eps_l", nonnegative=True)
R_l = sp.Symbol("R_l", nonnegative=True)
drift = sp.Symbol("drift", nonnegative=True)
sigma_min_v = sp.Symbol("sigma_min_v", nonnegative=True)
one_minus_tau = sp.Symbol("one_minus_tau", nonnegative=True)
diam_prev = sp.Symbol("diam_prev", nonnegative=True)
diam_next = sp.Symbol("diam_next", nonnegative=True)
diam_first = sp.Symbol("diam_first", nonnegative=True)
contraction = sp.Symbol("contraction", nonnegative=True)

SINK_LAYER_FLOOR = mu_prev - sp.sqrt(n) * eps_l * R_l  # T6.a, one layer
SINK_STACK_FLOOR = mu_first - sp.sqrt(n) * drift  # T6.a, the stack so far
DIAGONAL_LAYER_FLOOR = sigma_min_v * mu_prev - 2 * sp.sqrt(n) * eps_l * R_l  # T6.b
DOBRUSHIN_CEILING = one_minus_tau * diam_prev  # T6.c, one layer
DOBRUSHIN_STACK_CEILING = contraction * diam_first  # T6.c, the stack so far

# Positive stand-ins used inside derivations only.
_e, _R, _rt = sp.symbols("epsilon R sqrt_n", positive=True)
_mp, _mn, _y, _yc = sp.symbols("mu mu' Y_F Ytilde_F", positive=True)
_sig, _xm, _E, _Ec = sp.symbols("sigma XM_F E_F Etilde_F", positive=True)
_A = sp.symbols("A1:4", nonnegative=True)  # one row of attention, n = 3
_r = sp.symbols("r1:4", nonnegative=True)  # ||v_j||
_mu = sp.symbols("mu0:4", positive=True)  # mu(X_0..X_3)
_er = sp.symbols("b0:3", positive=True)  # eps_l R_l per layer
_m = sp.symbols("m1:4", nonnegative=True)  # min(a_j, b_j)
_p = sp.symbols("p1:4", nonnegative=True)  # (a_j - b_j)_+
_q = sp.symbols("q1:4", nonnegative=True)  # (b_j - a_j)_+
_x = sp.symbols("x1:4", real=True)  # one coordinate of three tokens
_tau = sp.Symbol("tau", positive=True)
_D, _N, _P = sp.symbols("D N P", positive=True)
_D0, _D1, _D2, _k0, _k1 = sp.symbols("D_0 D_1 D_2 k_0 k_1", positive=True)


def _pairing(M: sp.Matrix, tag: str) -> sp.Expr:
    """``<T, M>`` with a generic symbolic ``T``: zero identically iff ``M = 0`` (a matrix identity)."""
    T = sp.Matrix(M.shape[0], M.shape[1], sp.symbols(f"{tag}1:{M.shape[0] + 1}_1:{M.shape[1] + 1}"))
    return sum(
        (T[i, j] * M[i, j] for i in range(M.shape[0]) for j in range(M.shape[1])), sp.Integer(0)
    )


_J3 = sp.ones(3, 3) / 3
_P3 = sp.eye(3) - _J3
_Xs = sp.Matrix(2, 2, sp.symbols("x1:3_1:3", real=True))
_As = sp.Matrix(2, 2, sp.symbols("a1:3_1:3", real=True))
_Wv = sp.Matrix(2, 2, sp.symbols("v1:3_1:3", real=True))

SINK_LAYERS = Statement(
    id="T6.a",
    name="zero_value_sink_layers_keep_tokens_apart",
    title="zero-value eps_l-sink layers: mu(X_{l+1}) >= mu(X_l) - sqrt(n) eps_l R_l, "
    "so mu(X_L) >= mu(X_0) - sqrt(n) sum_l eps_l R_l",
    kind=Kind.THEOREM,
    claim="T6",
    hypotheses=(
        Condition("residual stack X_{l+1} = X_l + A_l V_l, each layer with its own W_l, W_{V,l}"),
        Condition("layer l has a zero-value sink: v_s^{(l)} = 0"),
        Condition(
            "eps_l = max_i (1 - A_is^{(l)}) over all rows, the sink's own included (measured, so s is an "
            "eps_l-sink by definition); R_l = max_j ||v_j^{(l)}||"
        ),
    ),
    conclusions=(
        Condition(
            "mu(X_{l+1}) >= mu(X_l) - sqrt(n) eps_l R_l", sp.GreaterThan(mu_next, SINK_LAYER_FLOOR)
        ),
        Condition(
            "mu(X_{l+1}) >= mu(X_0) - sqrt(n) sum_{k<=l} eps_k R_k",
            sp.GreaterThan(mu_next, SINK_STACK_FLOOR),
        ),
    ),
    derivation=(
        Combination(
            "row bound (T2.b with v_s = 0; n = 3, s = 1): eps R - ||y_i|| >= eps R - sum_{j != s} A_ij ||v_j|| "
            "= R (eps - (A_i2 + A_i3)) + A_i2 (R - ||v_2||) + A_i3 (R - ||v_3||) >= 0, as 1 - A_is <= eps",
            _e * _R - (_A[1] * _r[1] + _A[2] * _r[2]),
            ((_R, _e - (_A[1] + _A[2])), (_A[1], _R - _r[1]), (_A[2], _R - _r[2])),
        ),
        Identity(
            "I - J is an orthogonal projection ((I - J)^2 = I - J, symmetric; n = 3): "
            "||(I - J) Y||_F <= ||Y||_F",
            _pairing(_P3 * _P3 - _P3, "t"),
            sp.Integer(0),
        ),
        Combination(
            "mu(X + Y) >= mu(X) - ||Y~||_F (triangle inequality), ||Y~||_F <= ||Y||_F <= sqrt(n) eps R (rows): "
            "mu' - (mu - sqrt(n) eps R) = (mu' - mu + ||Y~||) + (||Y|| - ||Y~||) + (sqrt(n) eps R - ||Y||)",
            _mn - (_mp - _rt * _e * _R),
            (
                (sp.Integer(1), _mn - _mp + _yc),
                (sp.Integer(1), _y - _yc),
                (sp.Integer(1), _rt * _e * _R - _y),
            ),
        ),
        Combination(
            "telescoping over three layers: mu_3 - (mu_0 - sqrt(n) sum_l eps_l R_l) = "
            "sum_l (mu_{l+1} - mu_l + sqrt(n) eps_l R_l)",
            _mu[3] - (_mu[0] - _rt * (_er[0] + _er[1] + _er[2])),
            tuple((sp.Integer(1), _mu[k + 1] - _mu[k] + _rt * _er[k]) for k in range(3)),
        ),
    ),
)

DIAGONAL_LAYERS = Statement(
    id="T6.b",
    name="diagonal_layers_act_tokenwise",
    title="eps_l-diagonal layers: mu(X_{l+1}) >= sigma_min(I + W_{V,l}) mu(X_l) - 2 sqrt(n) eps_l R_l",
    kind=Kind.THEOREM,
    claim="T6",
    hypotheses=(
        Condition("residual stack X_{l+1} = X_l + A_l X_l W_{V,l} (values V_l = X_l W_{V,l})"),
        Condition(
            "eps_l = max_i (1 - A_ii^{(l)}) (measured, so A_l is eps_l-diagonal by definition); "
            "R_l = max_j ||v_j^{(l)}||; sigma_min(I + W_{V,l}) its least singular value"
        ),
    ),
    conclusions=(
        Condition(
            "mu(X_{l+1}) >= sigma_min(I + W_{V,l}) mu(X_l) - 2 sqrt(n) eps_l R_l",
            sp.GreaterThan(mu_next, DIAGONAL_LAYER_FLOOR),
        ),
    ),
    derivation=(
        Identity(
            "X + A X W_V = X (I + W_V) + (A - I) X W_V (n = d = 2, generic matrices)",
            _pairing(
                _Xs + _As * _Xs * _Wv - (_Xs * (sp.eye(2) + _Wv) + (_As - sp.eye(2)) * _Xs * _Wv),
                "t",
            ),
            sp.Integer(0),
        ),
        Combination(
            "row i of (A - I) V is y_i - v_i = sum_{j != i} A_ij (v_j - v_i) (n = 3, i = 1): "
            "2 eps R - sum_{j != i} A_ij (||v_j|| + ||v_i||) = 2R (eps - (A_12 + A_13)) "
            "+ A_12 (2R - ||v_2|| - ||v_1||) + A_13 (2R - ||v_3|| - ||v_1||) >= 0 (T5.a)",
            2 * _e * _R - (_A[1] * (_r[1] + _r[0]) + _A[2] * (_r[2] + _r[0])),
            (
                (2 * _R, _e - (_A[1] + _A[2])),
                (_A[1], 2 * _R - _r[1] - _r[0]),
                (_A[2], 2 * _R - _r[2] - _r[0]),
            ),
        ),
        Combination(
            "with M = I + W_V and E = (A - I) V: ||X~ M||_F >= sigma_min(M) ||X~||_F (stated), "
            "||E~||_F <= ||E||_F <= 2 sqrt(n) eps R; mu' - (sigma mu - 2 sqrt(n) eps R) = (mu' - ||X~M|| + ||E~||) "
            "+ (||X~M|| - sigma mu) + (||E|| - ||E~||) + (2 sqrt(n) eps R - ||E||)",
            _mn - (_sig * _mp - 2 * _rt * _e * _R),
            (
                (sp.Integer(1), _mn - _xm + _Ec),
                (sp.Integer(1), _xm - _sig * _mp),
                (sp.Integer(1), _E - _Ec),
                (sp.Integer(1), 2 * _rt * _e * _R - _E),
            ),
        ),
    ),
)

DENSE_COLLAPSE = Statement(
    id="T6.c",
    name="dense_attention_without_residual_collapses",
    title="without the residual, A_ij >= tau/n gives diam(A X) <= (1 - tau) diam(X) (Dobrushin)",
    kind=Kind.THEOREM,
    claim="T6",
    hypotheses=(
        Condition("stack without residual X_{l+1} = A_l X_l, A_l row-stochastic (softmax)"),
        Condition("tau_l = n min_ij A_ij^{(l)}: every entry is >= tau_l / n by definition"),
    ),
    conclusions=(
        Condition(
            "diam(X_{l+1}) <= (1 - tau_l) diam(X_l)",
            sp.LessThan(diam_next, DOBRUSHIN_CEILING),
        ),
        Condition(
            "diam(X_{l+1}) <= prod_{k<=l} (1 - tau_k) diam(X_0): geometric collapse with depth",
            sp.LessThan(diam_next, DOBRUSHIN_STACK_CEILING),
        ),
    ),
    derivation=(
        Combination(
            "rows a, b of A (n = 3): a_j = m_j + p_j with m_j = min(a_j, b_j) >= tau/n, p_j = (a_j - b_j)_+; "
            "as sum_j a_j = 1: 1 - tau - sum_j p_j = sum_j (m_j - tau/n) >= 0",
            sum((_m[j] + _p[j] for j in range(3)), sp.Integer(0)) - _tau - sum(_p),
            tuple((sp.Integer(1), _m[j] - _tau / 3) for j in range(3)),
        ),
        Identity(
            "a - b = p - q with sum p = sum q = P: sum_j (p_j - q_j) x_j = sum_{j,k} (p_j q_k / P)(x_j - x_k), "
            "a difference of two convex combinations scaled by P, so ||y_a - y_b|| <= P diam(X)",
            sum((_p[j] - _q[j]) * _x[j] for j in range(3)).subs(_q[2], sum(_p) - _q[0] - _q[1]),
            sum(
                (_p[j] * _q[k] / sum(_p)) * (_x[j] - _x[k]) for j in range(3) for k in range(3)
            ).subs(_q[2], sum(_p) - _q[0] - _q[1]),
        ),
        Combination(
            "(1 - tau) D - ||y_a - y_b|| = (P D - ||y_a - y_b||) + D (1 - tau - P) >= 0",
            (1 - _tau) * _D - _N,
            ((sp.Integer(1), _P * _D - _N), (_D, 1 - _tau - _P)),
        ),
        Combination(
            "two layers (k_l = 1 - tau_l): k_0 k_1 D_0 - D_2 = k_1 (k_0 D_0 - D_1) + (k_1 D_1 - D_2)",
            _k0 * _k1 * _D0 - _D2,
            ((_k1, _k0 * _D0 - _D1), (sp.Integer(1), _k1 * _D1 - _D2)),
        ),
    ),
)

CONTROL_ATTENTION_NEVER_SPREADS = Statement(
    id="T6-F1",
    name="control_row_stochastic_never_spreads",
    title="mu(A X) <= mu(X) for every row-stochastic A (false: attention can also spread tokens)",
    kind=Kind.CONTROL,
    claim="T6",
    hypotheses=(Condition("A = softmax(X W X^T), row-stochastic; no residual"),),
    conclusions=(Condition("mu(A X) <= mu(X)", sp.LessThan(mu_next, mu_prev)),),
    mirrors="T6.c",
)

# -- T6.d and T6-F2 (appended) ---------------------------------------------------------------------

dobrushin = sp.Symbol("dobrushin", nonnegative=True)  # delta(A) = (1/2) max_{i,k} ||a_i - a_k||_1
dobrushin_best_pair = sp.Symbol("dobrushin_best_pair", nonnegative=True)  # ... min over i != k

PAIRWISE_DOBRUSHIN_CEILING = dobrushin * diam_prev  # T6.d
_delta_coefficient = sp.Symbol("delta", positive=True)

PAIRWISE_DOBRUSHIN = Statement(
    id="T6.d",
    name="pairwise_dobrushin_contraction",
    title="diam(A X) <= delta(A) diam(X), delta(A) = 1 - min_{i,k} sum_j min(A_ij, A_kj) "
    "= (1/2) max_{i,k} ||a_i - a_k||_1, for every row-stochastic A",
    kind=Kind.THEOREM,
    claim="T6",
    hypotheses=(
        Condition(
            "A row-stochastic (softmax of long sequences, causal, Dirichlet, nearly one-hot, ...; rows "
            "renormalised to sum exactly 1 before certification); X in R^{n x d}; no residual"
        ),
    ),
    conclusions=(
        Condition(
            "diam(A X) <= delta(A) diam(X)", sp.LessThan(diam_next, PAIRWISE_DOBRUSHIN_CEILING)
        ),
        Condition(
            "it implies T6.c: delta(A) <= 1 - tau with tau = n min_ij A_ij",
            sp.LessThan(dobrushin, one_minus_tau),
        ),
    ),
    derivation=(
        Identity(
            "rows a, b (n = 3): a_j = m_j + p_j, b_j = m_j + q_j with m_j = min(a_j, b_j), p_j q_j = 0; "
            "sum a = sum b = 1 eliminates p_3, q_3, and ||a - b||_1 = sum_j (p_j + q_j) "
            "= 2 (1 - sum_j m_j): the two forms of delta(A) agree",
            (sum(_p) + sum(_q)).subs(
                {_p[2]: 1 - sum(_m) - _p[0] - _p[1], _q[2]: 1 - sum(_m) - _q[0] - _q[1]}
            ),
            2 * (1 - sum(_m)),
        ),
        DENSE_COLLAPSE.derivation[1],
        Combination(
            "delta D - ||y_a - y_b|| = (P D - ||y_a - y_b||) + D (delta - P) >= 0, delta the largest P",
            _delta_coefficient * _D - _N,
            ((sp.Integer(1), _P * _D - _N), (_D, _delta_coefficient - _P)),
        ),
        Combination(
            "T6.c from T6.d: every m_j >= tau/n gives 1 - tau - (1 - sum_j m_j) = sum_j (m_j - tau/n) >= 0",
            (1 - _tau) - (1 - sum(_m)),
            tuple((sp.Integer(1), _m[j] - _tau / 3) for j in range(3)),
        ),
    ),
)

CONTROL_BEST_PAIR_DOBRUSHIN = Statement(
    id="T6-F2",
    name="control_dobrushin_with_the_best_pair",
    title="T6.d with the best pair instead of the worst: diam(A X) <= (1 - max_{i != k} sum_j "
    "min(A_ij, A_kj)) diam(X) (false)",
    kind=Kind.CONTROL,
    claim="T6",
    hypotheses=PAIRWISE_DOBRUSHIN.hypotheses,
    conclusions=(
        Condition(
            "diam(A X) <= (1 - max_{i != k} sum_j min(A_ij, A_kj)) diam(X)",
            sp.LessThan(diam_next, dobrushin_best_pair * diam_prev),
        ),
    ),
    mirrors="T6.d",
)

STATEMENTS = (
    SINK_LAYERS,
    DIAGONAL_LAYERS,
    DENSE_COLLAPSE,
    PAIRWISE_DOBRUSHIN,
    CONTROL_ATTENTION_NEVER_SPREADS,
    CONTROL_BEST_PAIR_DOBRUSHIN,
)
