r"""T3 — when dense attention smooths more than sparse attention (the central condition).

Residual block with a dense attention ``A`` and a sparse row-stochastic target ``B`` (the sink
``1 e_s^T``, the diagonal ``I``, or any other). Per-row sparsity ``alpha in [0, 1]^n``:
``A_alpha = (I - D_alpha) A + D_alpha B``, ``X'_alpha = X + A_alpha V``, ``f(alpha) = mu(X'_alpha)^2``;
``Z = (I - J)(X + A V)`` (rows ``z_i``), ``Delta = (B - A) V`` (rows ``delta_i``).

Observables (symbols below; computed by :mod:`proofs_check.observables.smoothing`):

* per probe ``alpha``: ``f_alpha``, ``f_beta``, ``f_mid`` (at ``(alpha + beta)/2``), ``lin_pos`` and
  ``lin_neg`` (``sum_i alpha_i <z_i, delta_i> = lin_pos - lin_neg``, both ``>= 0``),
  ``quad_term = ||(I - J) D_alpha Delta||_F^2``, ``midpoint_gap = ||(I - J) D_{(alpha - beta)/2}
  Delta||_F^2``. Identities are checked with every term on the side where it is nonnegative, so
  that their float64 relative error is a rounding error and not a cancellation;
* per instance: ``f_zero = f(0)``, ``margin_min = min_i <z_i, delta_i>``, ``uniform_margin
  = <Z, Delta>_F``, ``f_witness`` (``f`` at the witness of the "only if" direction);
* per row (T3.d): ``margin = <z_i, delta_i>``, ``named_margin`` (the named case's formula);
* T3.e (the endpoint ``alpha = 1``): ``f_one = mu(X + B V)^2``, ``endpoint_margin = 2 <Z, Delta>_F
  + ||(I - J) Delta||_F^2``, ``mu_sq_x = mu(X)^2``, ``sink_target`` (1 for ``B = 1 e_s^T``, any sink
  value), ``sink_update_change = 2 <X~, AV>_F + ||(I - J) AV||_F^2``, ``diagonal_endpoint
  = 2 <Z, V - AV>_F + ||(I - J)(V - AV)||_F^2``;
* T3.f: ``nu_dense``, ``nu_sparse``, ``nu_x`` (``nu = mu^2 / ||.||_F^2`` of ``X + AV``, ``X + BV``,
  ``X``), the squared norms ``norm_sq_*``, ``nu_lhs = mu(X + AV) ||x_bar + m_B||`` and
  ``nu_rhs = mu(X + BV) ||x_bar + m_A||``;
* T3.g, per pair ``i < j``: ``cos_before = cos(x_i, x_j)``, ``cos_after = cos(x_i + c, x_j + c)``,
  ``dual_i = <c, x_i>``, ``dual_j = <c, x_j>``.

With a causal mask the sink of T3 is the first token (``s = 1``), as in decoder models.

The symbolic instance is ``n = 3`` tokens in ``d = 2`` dimensions with every entry of ``X``, ``A``,
``B``, ``V`` and ``alpha`` a free symbol (the identities do not need row-stochasticity).
"""

from __future__ import annotations

import sympy as sp

from theory.core import Combination, Condition, Identity, Kind, Positive, Root, Statement

# -- observables --------------------------------------------------------------------------------

f_alpha = sp.Symbol("f_alpha", nonnegative=True)
f_beta = sp.Symbol("f_beta", nonnegative=True)
f_mid = sp.Symbol("f_mid", nonnegative=True)
f_zero = sp.Symbol("f_zero", nonnegative=True)
f_witness = sp.Symbol("f_witness", nonnegative=True)
lin_pos = sp.Symbol("lin_pos", nonnegative=True)  # sum_i alpha_i <z_i, delta_i>^+
lin_neg = sp.Symbol("lin_neg", nonnegative=True)  # sum_i alpha_i <z_i, delta_i>^-
quad_term = sp.Symbol("quad_term", nonnegative=True)
midpoint_gap = sp.Symbol("midpoint_gap", nonnegative=True)
margin_min = sp.Symbol("margin_min", real=True)
uniform_margin = sp.Symbol("uniform_margin", real=True)
margin = sp.Symbol("margin", real=True)
named_margin = sp.Symbol("named_margin", real=True)
target_kind = sp.Symbol("target_kind", nonnegative=True)  # 0: zero-value sink, 1: diagonal
g_alpha = sp.Symbol("g_alpha", nonnegative=True)  # mu(A_alpha V)^2, no residual (T3-F2)
g_zero = sp.Symbol("g_zero", nonnegative=True)
mu_sq_low = sp.Symbol("mu_sq_low", nonnegative=True)  # E3: mu(X + A_beta V)^2 at the smaller beta
mu_sq_high = sp.Symbol("mu_sq_high", nonnegative=True)  # ... at the larger beta
beta_low = sp.Symbol("beta_low", nonnegative=True)
beta_high = sp.Symbol("beta_high", nonnegative=True)
diagonal_dominance = sp.Symbol("diagonal_dominance", real=True)  # min_i (s_ii - max_{j!=i} s_ij)

TARGET_ZERO_VALUE_SINK, TARGET_DIAGONAL = 0, 1

# -- the symbolic instance: n = 3, d = 2 ----------------------------------------------------------

_N, _D = 3, 2
_X = sp.Matrix(_N, _D, sp.symbols("x1:4_1:3", real=True))
_A = sp.Matrix(_N, _N, sp.symbols("a1:4_1:4", real=True))
_B = sp.Matrix(_N, _N, sp.symbols("b1:4_1:4", real=True))
_V = sp.Matrix(_N, _D, sp.symbols("v1:4_1:3", real=True))
_alpha = sp.symbols("alpha1:4", real=True)
_t = sp.Symbol("t", real=True)
_P = sp.eye(_N) - sp.ones(_N, _N) / _N  # I - J
_tau = sp.Matrix(_N, _N, sp.symbols("tau1:4_1:4", real=True))  # a generic test matrix


def _frobenius_sq(M: sp.Matrix) -> sp.Expr:
    return sum((e**2 for e in M), sp.Integer(0))


def _frobenius_ip(M: sp.Matrix, N: sp.Matrix) -> sp.Expr:
    return sum((a * b for a, b in zip(M, N, strict=True)), sp.Integer(0))


def _tested(M: sp.Matrix) -> sp.Expr:
    r"""``<tau, M>_F`` for a generic symbolic ``tau``: ``<tau, L> = <tau, R>`` identically iff ``L = R``."""
    return _frobenius_ip(_tau[: M.rows, : M.cols], M)


def _f(alpha: tuple[sp.Expr, ...], residual: bool = True) -> sp.Expr:
    r"""``f(alpha) = ||(I - J)(X + A_alpha V)||_F^2`` on the symbolic instance."""
    D = sp.diag(*alpha)
    update = ((sp.eye(_N) - D) * _A + D * _B) * _V
    return _frobenius_sq(_P * (_X + update if residual else update))


_Z = _P * (_X + _A * _V)
_Delta = (_B - _A) * _V
_zeros = (sp.Integer(0),) * _N


def _rows_ip(M: sp.Matrix, N: sp.Matrix, i: int) -> sp.Expr:
    return (M.row(i) * N.row(i).T)[0, 0]


_lin = sum((_alpha[i] * _rows_ip(_Z, _Delta, i) for i in range(_N)), sp.Integer(0))
_quad = _frobenius_sq(_P * sp.diag(*_alpha) * _Delta)

# Abstract scalars of the derivations (with their signs as assumptions).
_m = sp.Symbol("m", negative=True)  # a negative margin
_q = sp.Symbol("q", positive=True)  # its curvature
_ts = sp.Symbol("t", real=True)
_a_nn = sp.symbols("alpha1:4", nonnegative=True)
_m_any = sp.symbols("m1:4", real=True)
_Q = sp.Symbol("Q", nonnegative=True)
_n = sp.Symbol("n", positive=True, integer=True)
_dl = sp.Matrix(_N, _D, sp.symbols("delta1:4_1:3", real=True))  # a generic Delta
_al_any = sp.Matrix(sp.symbols("alpha1:4", real=True))

# (I - J) o (Delta Delta^T) written as a Gram matrix: w_i = (P_li delta_ic)_{l,c}.
_hadamard = sp.Matrix(
    _N, _N, lambda i, k: _P[i, k] * (_dl.row(i) * _dl.row(k).T)[0, 0]
)  # (I - J) o (Delta Delta^T)
_gram_squares = tuple(
    sum((_al_any[i] * _P[l, i] * _dl[i, c] for i in range(_N)), sp.Integer(0)) ** 2
    for l in range(_N)
    for c in range(_D)
)

# A generic quadratic c + 2 b.alpha + alpha^T H alpha with H symmetric.
_H_sym = sp.Matrix(_N, _N, lambda i, k: sp.Symbol(f"h{min(i, k) + 1}_{max(i, k) + 1}", real=True))
_b_vec = sp.Matrix(sp.symbols("b1:4", real=True))
_be_any = sp.Matrix(sp.symbols("beta1:4", real=True))
_c0 = sp.Symbol("c", real=True)


def _quadratic(a: sp.Matrix) -> sp.Expr:
    return _c0 + 2 * (_b_vec.T * a)[0, 0] + (a.T * _H_sym * a)[0, 0]


# ----------------------------------------------------------------------------------------------

SMOOTHING_IDENTITY = Statement(
    id="T3.a",
    name="sparsification_change_is_linear_plus_convex",
    title="f(alpha) - f(0) = 2 sum_i alpha_i <z_i, delta_i> + ||(I - J) D_alpha Delta||_F^2, a convex quadratic",
    kind=Kind.THEOREM,
    claim="T3",
    hypotheses=(
        Condition(
            "X in R^{n x d}; A, B in R^{n x n} (row-stochastic; the identity does not use it)"
        ),
        Condition("V in R^{n x d}; alpha, beta in [0, 1]^n; A_alpha = (I - D_alpha) A + D_alpha B"),
    ),
    conclusions=(
        Condition(
            "f(alpha) = f(0) + 2 sum_i alpha_i <z_i, delta_i> + ||(I - J) D_alpha Delta||_F^2, with the "
            "linear term split into positive and negative parts: f(alpha) + 2 lin^- = f(0) + 2 lin^+ + quad",
            sp.Eq(f_alpha + 2 * lin_neg, f_zero + 2 * lin_pos + quad_term),
        ),
        Condition(
            "f is a convex quadratic: f(alpha) + f(beta) = 2 f((alpha + beta)/2) + "
            "2 ||(I - J) D_{(alpha - beta)/2} Delta||_F^2 (so f at the midpoint is <= the mean)",
            sp.Eq(f_alpha + f_beta, 2 * f_mid + 2 * midpoint_gap),
        ),
    ),
    derivation=(
        Identity(
            "I - J is a projection, (I - J)^2 = I - J (tested against a generic matrix tau), so "
            "<Z, (I - J) M>_F = <Z, M>_F for Z in its range",
            _tested(_P * _P),
            _tested(_P),
        ),
        Identity(
            "T3.a on the symbolic instance (n = 3, d = 2, every entry of X, A, B, V, alpha free): "
            "f(alpha) - f(0) = 2 sum_i alpha_i <z_i, delta_i> + ||(I - J) D_alpha Delta||_F^2",
            _f(_alpha) - _f(_zeros),
            2 * _lin + _quad,
        ),
        Identity(
            "the Hessian in alpha is 2 (I - J) o (Delta Delta^T) (Hadamard product; tested against "
            "a generic matrix tau)",
            _tested(sp.hessian(_f(_alpha), _alpha)),
            _tested(
                sp.Matrix(
                    _N,
                    _N,
                    lambda i, k: 2 * _P[i, k] * (_Delta.row(i) * _Delta.row(k).T)[0, 0],
                )
            ),
        ),
        Identity(
            "midpoint form of a quadratic c + 2 b.alpha + alpha^T H alpha (H symmetric): q(alpha) + q(beta) "
            "- 2 q((alpha + beta)/2) = (alpha - beta)^T H (alpha - beta)/2; with T3.a's H = (I - J) o Delta "
            "Delta^T this is 2 ||(I - J) D_{(alpha - beta)/2} Delta||_F^2",
            _quadratic(_al_any) + _quadratic(_be_any) - 2 * _quadratic((_al_any + _be_any) / 2),
            ((_al_any - _be_any).T * _H_sym * (_al_any - _be_any))[0, 0] / 2,
        ),
        Combination(
            "Schur product: (I - J) = P^T P and Delta Delta^T are Gram matrices, so "
            "alpha^T ((I - J) o Delta Delta^T) alpha = sum_{l,c} (sum_i alpha_i P_li delta_ic)^2, a sum "
            "of squares for every real alpha: the Hessian is PSD and f is convex",
            (_al_any.T * _hadamard * _al_any)[0, 0],
            tuple((sp.Integer(1), sq) for sq in _gram_squares),
        ),
    ),
)

# -- T3.b ---------------------------------------------------------------------------------------

_change_along_edge = 2 * _ts * _m + _ts**2 * _q

_ROOT_OF_EDGE = Root(
    "along an edge, 2 t m + t^2 q = 0 has the roots t = 0 and t = -2m/q > 0",
    sp.Eq(_change_along_edge, 0),
    _ts,
    (sp.Integer(0), -2 * _m / _q),
)
_VALUE_AT_HALF_ROOT = Identity(
    "at half the root, t* = -m/q: 2 t* m + t*^2 q = -m^2/q",
    _change_along_edge.subs(_ts, -_m / _q),
    -(_m**2) / _q,
)
_HALF_ROOT_DECREASES = Positive(
    "m < 0 and q > 0 give m^2/q > 0: f(t* e_i) < f(0) (a strict decrease)",
    _m**2 / _q,
)
_CLIPPED_STEP_DECREASES = Combination(
    "if -m/q >= 1 the step is clipped to t* = 1 (a vertex) and -(2m + q) = (-m) + (-m - q) > 0",
    -(2 * _m + _q),
    ((sp.Integer(1), -_m), (sp.Integer(1), -_m - _q)),
)

DENSE_SMOOTHS_MORE_ROWWISE = Statement(
    id="T3.b",
    name="dense_smooths_more_iff_row_margins_nonnegative",
    title="mu(X'_0) <= mu(X'_alpha) for every alpha in [0,1]^n iff <z_i, delta_i> >= 0 for every row i",
    kind=Kind.THEOREM,
    claim="T3",
    hypotheses=(
        Condition("A, B row-stochastic (n x n); X, V in R^{n x d}; A_alpha = A + D_alpha (B - A)"),
    ),
    conclusions=(
        Condition(
            "(if) all row margins >= 0  =>  f(alpha) >= f(0) at every probe alpha of the box "
            "(vertices and interior points)",
            sp.GreaterThan(f_alpha, f_zero),
            given=(sp.GreaterThan(margin_min, 0),),
        ),
        Condition(
            "(only if) some row margin m_i < 0  =>  f(t* e_i) < f(0) at t* = min(1, -m_i/q_i), "
            "q_i = ||(I - J) e_i delta_i^T||_F^2",
            sp.StrictLessThan(f_witness, f_zero),
            given=(sp.StrictLessThan(margin_min, 0),),
        ),
    ),
    derivation=(
        Combination(
            "(if): by T3.a, f(alpha) - f(0) = sum_i 2 alpha_i m_i + Q with alpha_i >= 0, m_i >= 0 and "
            "Q = ||(I - J) D_alpha Delta||_F^2 >= 0",
            sum((2 * _a_nn[i] * _m_any[i] for i in range(_N)), sp.Integer(0)) + _Q,
            tuple((2 * _a_nn[i], _m_any[i]) for i in range(_N)) + ((sp.Integer(1), _Q),),
        ),
        Identity(
            "the edge's curvature: column i of I - J has squared norm (1 - 1/n)^2 + (n - 1)/n^2 "
            "= (n - 1)/n, so q_i = ||(I - J) e_i delta_i^T||_F^2 = (1 - 1/n) ||delta_i||^2",
            (1 - 1 / _n) ** 2 + (_n - 1) / _n**2,
            (_n - 1) / _n,
        ),
        Identity(
            "the same on the symbolic instance (n = 3, row i = 1): ||(I - J) e_1 delta_1^T||_F^2 "
            "= (2/3) ||delta_1||^2",
            _frobenius_sq(_P * sp.Matrix(_N, 1, [1, 0, 0]) * _dl.row(0)),
            sp.Rational(2, 3) * (_dl[0, 0] ** 2 + _dl[0, 1] ** 2),
        ),
        Identity(
            "(only if): by T3.a at alpha = t e_i, f(t e_i) - f(0) = 2 t <z_i, delta_i> + t^2 q_i "
            "(symbolic instance, i = 1)",
            _f((_t, 0, 0)) - _f(_zeros),
            2 * _t * _rows_ip(_Z, _Delta, 0)
            + _t**2 * _frobenius_sq(_P * sp.diag(1, 0, 0) * _Delta),
        ),
        _ROOT_OF_EDGE,
        _VALUE_AT_HALF_ROOT,
        _HALF_ROOT_DECREASES,
        _CLIPPED_STEP_DECREASES,
    ),
)

# -- T3.c ---------------------------------------------------------------------------------------

_ones_t = (_t,) * _N

DENSE_SMOOTHS_MORE_UNIFORM = Statement(
    id="T3.c",
    name="dense_smooths_more_uniformly_iff_frobenius_margin_nonnegative",
    title="mu(X'_0) <= mu(X'_{t 1}) for every t in [0,1] iff <Z, Delta>_F >= 0",
    kind=Kind.THEOREM,
    claim="T3",
    hypotheses=DENSE_SMOOTHS_MORE_ROWWISE.hypotheses,
    conclusions=(
        Condition(
            "(if) <Z, Delta>_F >= 0  =>  f(t 1) >= f(0) at every probe t in [0, 1]",
            sp.GreaterThan(f_alpha, f_zero),
            given=(sp.GreaterThan(uniform_margin, 0),),
        ),
        Condition(
            "(only if) <Z, Delta>_F < 0  =>  f(t* 1) < f(0) at t* = min(1, -<Z,Delta>_F / ||(I-J) Delta||_F^2)",
            sp.StrictLessThan(f_witness, f_zero),
            given=(sp.StrictLessThan(uniform_margin, 0),),
        ),
    ),
    derivation=(
        Identity(
            "T3.a at alpha = t 1 (symbolic instance): f(t 1) - f(0) = 2 t <Z, Delta>_F + "
            "t^2 ||(I - J) Delta||_F^2",
            _f(_ones_t) - _f(_zeros),
            2 * _t * _frobenius_ip(_Z, _Delta) + _t**2 * _frobenius_sq(_P * _Delta),
        ),
        Combination(
            "(if): 2 t U + t^2 Q >= 0 for t >= 0, U = <Z, Delta>_F >= 0, Q >= 0",
            2 * _a_nn[0] * _m_any[0] + _a_nn[0] ** 2 * _Q,
            ((2 * _a_nn[0], _m_any[0]), (_a_nn[0] ** 2, _Q)),
        ),
        _ROOT_OF_EDGE,
        _VALUE_AT_HALF_ROOT,
        _HALF_ROOT_DECREASES,
        _CLIPPED_STEP_DECREASES,
    ),
)

# -- T3.d ---------------------------------------------------------------------------------------

_sink_B = sp.Matrix(_N, _N, lambda i, k: 1 if k == 0 else 0)  # s = 1
_V_zero_sink = _V.copy()
_V_zero_sink[0, :] = sp.zeros(1, _D)
_Z_sink = _P * (_X + _A * _V_zero_sink)
_AV_sink = _A * _V_zero_sink
_Delta_sink = (_sink_B - _A) * _V_zero_sink
_Z_diag = _Z
_Delta_diag = (sp.eye(_N) - _A) * _V
_row_weights = sp.symbols("tau1:4", real=True)


def _weighted_rows(expr_of_row) -> sp.Expr:
    return sum((_row_weights[i] * expr_of_row(i) for i in range(_N)), sp.Integer(0))


NAMED_CASES = Statement(
    id="T3.d",
    name="named_cases_zero_value_sink_and_diagonal",
    title="zero-value sink: <z_i, a_i> <= 0 for all i; diagonal: <z_i, v_i - a_i> >= 0 for all i",
    kind=Kind.THEOREM,
    claim="T3",
    hypotheses=(
        Condition(
            "target_kind 0: B = 1 e_s^T with v_s = 0 (zero-value sink); target_kind 1: B = I (diagonal)"
        ),
    ),
    conclusions=(
        Condition(
            "zero-value sink: <z_i, delta_i> = -<z_i, a_i> (a_i = (A V)_i), so T3.b's condition reads "
            "<z_i, a_i> <= 0 for every i",
            sp.Eq(margin, named_margin),
            given=(sp.Eq(target_kind, TARGET_ZERO_VALUE_SINK),),
        ),
        Condition(
            "diagonal: <z_i, delta_i> = <z_i, v_i - a_i>, so T3.b's condition reads "
            "<z_i, v_i - a_i> >= 0 for every i",
            sp.Eq(margin, named_margin),
            given=(sp.Eq(target_kind, TARGET_DIAGONAL),),
        ),
    ),
    derivation=(
        Identity(
            "zero-value sink (s = 1, v_1 = 0): B V = 1 v_s^T = 0, so Delta = -A V (tested against a "
            "generic tau)",
            _tested(_Delta_sink),
            _tested(-_AV_sink),
        ),
        Identity(
            "substituted into T3.b's margins: sum_i tau_i <z_i, delta_i> = -sum_i tau_i <z_i, a_i>",
            _weighted_rows(lambda i: _rows_ip(_Z_sink, _Delta_sink, i)),
            -_weighted_rows(lambda i: _rows_ip(_Z_sink, _AV_sink, i)),
        ),
        Identity(
            "diagonal (B = I): Delta = V - A V, so sum_i tau_i <z_i, delta_i> = sum_i tau_i <z_i, v_i - a_i>",
            _weighted_rows(lambda i: _rows_ip(_Z_diag, _Delta_diag, i)),
            _weighted_rows(lambda i: _rows_ip(_Z_diag, _V - _A * _V, i)),
        ),
    ),
)

# -- controls -----------------------------------------------------------------------------------

CONTROL_DENSE_ALWAYS_SMOOTHS_MORE = Statement(
    id="T3-F1",
    name="control_dense_always_smooths_at_least_as_much",
    title="dense attention always smooths at least as much as sparse attention (false)",
    kind=Kind.CONTROL,
    claim="T3",
    hypotheses=DENSE_SMOOTHS_MORE_ROWWISE.hypotheses,
    conclusions=(
        Condition(
            "f(alpha) >= f(0) for every alpha in [0, 1]^n, without T3.b's condition",
            sp.GreaterThan(f_alpha, f_zero),
        ),
    ),
    mirrors="T3.b",
)

_ones = (sp.Integer(1),) * _N

CONTROL_NO_RESIDUAL_SINK = Statement(
    id="T3-F2",
    name="control_sparse_sink_smooths_less_without_residual",
    title="without the residual (X' = A_alpha V) a zero-value sink smooths less than dense attention (false)",
    kind=Kind.CONTROL,
    claim="T3",
    hypotheses=(Condition("B = 1 e_s^T, v_s = 0; X' = A_alpha V (no residual)"),),
    conclusions=(
        Condition(
            "mu(A_alpha V) >= mu(A V) for every alpha in [0, 1]^n",
            sp.GreaterThan(g_alpha, g_zero),
        ),
    ),
    derivation=(
        Identity(
            "why it fails: at alpha = 1, A_1 V = 1 v_s^T = 0, so mu(A_1 V) = 0 <= mu(A V) "
            "(symbolic instance, s = 1, v_1 = 0; tested against a generic tau)",
            _tested(((sp.eye(_N) - sp.eye(_N)) * _A + sp.eye(_N) * _sink_B) * _V_zero_sink),
            sp.Integer(0),
        ),
    ),
    mirrors="T3.b",
)

TEMPERATURE_EXPLORATION = Statement(
    id="E3",
    name="explore_temperature_monotonicity",
    title="with A_beta = softmax(beta S), S diagonal-dominant: is mu(X + A_beta V) non-decreasing in beta?",
    kind=Kind.EXPLORE,
    claim="T3",
    hypotheses=(
        Condition(
            "S diagonal-dominant in the attention sense: s_ii > s_ij for every i and j != i "
            "(so A_beta -> I as beta -> infinity)",
            sp.StrictGreaterThan(diagonal_dominance, 0),
        ),
        Condition("0 <= beta_low < beta_high", sp.StrictGreaterThan(beta_high, beta_low)),
        Condition("V = X W_V in R^{n x d}; X' = X + A_beta V"),
    ),
    conclusions=(
        Condition(
            "mu(X + A_beta V) is non-decreasing in beta: mu^2 at beta_high >= mu^2 at beta_low",
            sp.GreaterThan(mu_sq_high, mu_sq_low),
        ),
    ),
)

# ----------------------------------------------------------------------------------------------
# T3.e - T3.g and the controls T3-F3 ... T3-F7 (appended; THEORY.md order is kept in STATEMENTS)
# ----------------------------------------------------------------------------------------------

f_one = sp.Symbol("f_one", nonnegative=True)  # f(1) = mu(X + B V)^2, the fully sparse endpoint
endpoint_margin = sp.Symbol("endpoint_margin", real=True)  # 2 <Z, Delta>_F + ||(I - J) Delta||_F^2
mu_sq_x = sp.Symbol("mu_sq_x", nonnegative=True)  # mu(X)^2
sink_target = sp.Symbol("sink_target", nonnegative=True)  # 1 when B = 1 e_s^T (any sink value)
sink_update_change = sp.Symbol("sink_update_change", real=True)  # 2 <X~, AV>_F + ||(I - J) AV||_F^2
diagonal_endpoint = sp.Symbol(
    "diagonal_endpoint", real=True
)  # 2<Z, V - AV>_F + ||(I-J)(V - AV)||^2
nu_dense = sp.Symbol("nu_dense", nonnegative=True)  # nu(X + A V) = mu^2 / ||.||_F^2
nu_sparse = sp.Symbol("nu_sparse", nonnegative=True)  # nu(X + B V)
nu_x = sp.Symbol("nu_x", nonnegative=True)  # nu(X)
norm_sq_dense = sp.Symbol("norm_sq_dense", nonnegative=True)  # ||X + A V||_F^2
norm_sq_sparse = sp.Symbol("norm_sq_sparse", nonnegative=True)  # ||X + B V||_F^2
norm_sq_x = sp.Symbol("norm_sq_x", nonnegative=True)  # ||X||_F^2
nu_lhs = sp.Symbol("nu_lhs", nonnegative=True)  # mu(X + A V) ||x_bar + m_B||
nu_rhs = sp.Symbol("nu_rhs", nonnegative=True)  # mu(X + B V) ||x_bar + m_A||
cos_before = sp.Symbol("cos_before", real=True)  # cos(x_i, x_j), one case per pair i < j
cos_after = sp.Symbol("cos_after", real=True)  # cos(x_i + c, x_j + c)
dual_i = sp.Symbol("dual_i", real=True)  # <c, x_i>
dual_j = sp.Symbol("dual_j", real=True)  # <c, x_j>

# -- T3.e ---------------------------------------------------------------------------------------

_Delta_any_sink = (_sink_B - _A) * _V  # B = 1 e_1^T with any value v_1
_AV = _A * _V

FULLY_SPARSE_ENDPOINT = Statement(
    id="T3.e",
    name="dense_smooths_more_than_fully_sparse_iff_endpoint_margin",
    title="mu(X + AV) <= mu(X + BV) iff 2<Z, Delta>_F + ||(I - J) Delta||_F^2 >= 0 (T3.a at alpha = 1); "
    "sink target: iff 2<X~, AV>_F + ||(I - J) AV||_F^2 <= 0",
    kind=Kind.THEOREM,
    claim="T3",
    hypotheses=(
        Condition(
            "A, B row-stochastic (n x n; A softmax, causal, Dirichlet, ...; with a causal mask a sink "
            "target is the first token); X, V in R^{n x d}"
        ),
    ),
    conclusions=(
        Condition(
            "(if) endpoint margin >= 0  =>  f(1) = mu(X + BV)^2 >= f(0) = mu(X + AV)^2",
            sp.GreaterThan(f_one, f_zero),
            given=(sp.GreaterThan(endpoint_margin, 0),),
        ),
        Condition(
            "(only if) endpoint margin < 0  =>  mu(X + BV)^2 < mu(X + AV)^2",
            sp.StrictLessThan(f_one, f_zero),
            given=(sp.StrictLessThan(endpoint_margin, 0),),
        ),
        Condition(
            "sink target B = 1 e_s^T, any sink value: mu(X + BV) = mu(X) (a common row is invisible)",
            sp.Eq(f_one, mu_sq_x),
            given=(sp.Eq(sink_target, 1),),
        ),
        Condition(
            "sink target: 2<X~, AV>_F + ||(I - J) AV||_F^2 <= 0  =>  mu(X + AV) <= mu(X + BV)",
            sp.LessThan(f_zero, f_one),
            given=(sp.Eq(sink_target, 1), sp.LessThan(sink_update_change, 0)),
        ),
        Condition(
            "sink target: 2<X~, AV>_F + ||(I - J) AV||_F^2 > 0  =>  mu(X + AV) > mu(X + BV)",
            sp.StrictGreaterThan(f_zero, f_one),
            given=(sp.Eq(sink_target, 1), sp.StrictGreaterThan(sink_update_change, 0)),
        ),
        Condition(
            "B = I: 2<Z, V - AV>_F + ||(I - J)(V - AV)||_F^2 >= 0  =>  mu(X + AV) <= mu(X + V)",
            sp.GreaterThan(f_one, f_zero),
            given=(sp.Eq(target_kind, TARGET_DIAGONAL), sp.GreaterThan(diagonal_endpoint, 0)),
        ),
        Condition(
            "B = I: 2<Z, V - AV>_F + ||(I - J)(V - AV)||_F^2 < 0  =>  mu(X + AV) > mu(X + V)",
            sp.StrictLessThan(f_one, f_zero),
            given=(sp.Eq(target_kind, TARGET_DIAGONAL), sp.StrictLessThan(diagonal_endpoint, 0)),
        ),
    ),
    derivation=(
        Identity(
            "T3.a at alpha = 1 (symbolic instance): f(1) - f(0) = 2 <Z, Delta>_F + ||(I - J) Delta||_F^2, "
            "so f(1) >= f(0) iff the endpoint margin is >= 0 (and f(1) < f(0) iff it is < 0)",
            _f(_ones) - _f(_zeros),
            2 * _frobenius_ip(_Z, _Delta) + _frobenius_sq(_P * _Delta),
        ),
        Identity(
            "a sink target with any value: (I - J) B V = (I - J) 1 v_s^T = 0, so mu(X + BV) = mu(X) "
            "(s = 1; tested against a generic tau)",
            _tested(_P * _sink_B * _V),
            sp.Integer(0),
        ),
        Identity(
            "substituted (Delta = 1 v_s^T - AV, (I - J) Delta = -(I - J) AV): the endpoint margin is "
            "-(2 <X~, AV>_F + ||(I - J) AV||_F^2)",
            2 * _frobenius_ip(_Z, _Delta_any_sink) + _frobenius_sq(_P * _Delta_any_sink),
            -(2 * _frobenius_ip(_P * _X, _AV) + _frobenius_sq(_P * _AV)),
        ),
        Identity(
            "B = I: Delta = V - AV, so the endpoint margin is 2 <Z, V - AV>_F + ||(I - J)(V - AV)||_F^2",
            2 * _frobenius_ip(_Z, _Delta_diag) + _frobenius_sq(_P * _Delta_diag),
            2 * _frobenius_ip(_Z, _V - _AV) + _frobenius_sq(_P * (_V - _AV)),
        ),
    ),
)

# -- T3.f ---------------------------------------------------------------------------------------

_Y = sp.Matrix(_N, _D, sp.symbols("y1:4_1:3", real=True))
_ybar = sp.ones(1, _N) * _Y / _N
_M1, _M2 = sp.symbols("M_1 M_2", nonnegative=True)  # mu^2 of the two outputs
_C1, _C2 = sp.symbols("C_1 C_2", nonnegative=True)  # n ||mean row||^2 of the two outputs
_F1, _F2 = sp.symbols("F_1 F_2", positive=True)  # their ||.||_F^2 = M + C > 0
_mu1, _mu2, _b1, _b2 = sp.symbols("mu_1 mu_2 b_1 b_2", nonnegative=True)

SCALE_FREE_SMOOTHING = Statement(
    id="T3.f",
    name="dense_smooths_more_scale_free_iff_mean_weighted_comparison",
    title="nu = mu^2/||X||_F^2: nu(X + AV) <= nu(X + BV) iff mu(X + AV) ||x_bar + m_B|| <= "
    "mu(X + BV) ||x_bar + m_A||",
    kind=Kind.THEOREM,
    claim="T3",
    hypotheses=(
        Condition("A, B row-stochastic; X, V in R^{n x d}; m_A, m_B the mean rows of AV, BV"),
        Condition("X + AV != 0", sp.StrictGreaterThan(norm_sq_dense, 0)),
        Condition("X + BV != 0", sp.StrictGreaterThan(norm_sq_sparse, 0)),
    ),
    conclusions=(
        Condition(
            "(if) mu(X + AV) ||x_bar + m_B|| <= mu(X + BV) ||x_bar + m_A||  =>  nu(X + AV) <= nu(X + BV) "
            "(zero-value sink, BV = 0: mu(X + AV) ||x_bar|| <= mu(X) ||x_bar + m_A||)",
            sp.LessThan(nu_dense, nu_sparse),
            given=(sp.LessThan(nu_lhs, nu_rhs),),
        ),
        Condition(
            "(only if) mu(X + AV) ||x_bar + m_B|| > mu(X + BV) ||x_bar + m_A||  =>  nu(X + AV) > nu(X + BV)",
            sp.StrictGreaterThan(nu_dense, nu_sparse),
            given=(sp.StrictGreaterThan(nu_lhs, nu_rhs),),
        ),
    ),
    derivation=(
        Identity(
            "Pythagoras (symbolic 3 x 2 Y): ||Y||_F^2 = mu(Y)^2 + n ||y_bar||^2, so nu(Y) = M/(M + C) with "
            "M = mu(Y)^2, C = n ||y_bar||^2; the mean row of X + AV is x_bar + m_A",
            _frobenius_sq(_Y),
            _frobenius_sq(_P * _Y) + _N * _frobenius_sq(_ybar),
        ),
        Identity(
            "nu_2 - nu_1 = M_2/(M_2 + C_2) - M_1/(M_1 + C_1) = (M_2 C_1 - M_1 C_2) / ((M_1 + C_1)(M_2 + C_2))",
            _M2 / (_M2 + _C2) - _M1 / (_M1 + _C1),
            (_M2 * _C1 - _M1 * _C2) / ((_M1 + _C1) * (_M2 + _C2)),
        ),
        Positive(
            "the denominator is ||X + AV||_F^2 ||X + BV||_F^2 > 0 (the hypotheses)", _F1 * _F2
        ),
        Identity(
            "with M = mu^2 and C = n b^2 (b = ||mean row||): M_2 C_1 - M_1 C_2 = n (mu_2 b_1 - mu_1 b_2)"
            "(mu_2 b_1 + mu_1 b_2), and the second factor is >= 0: nu_1 <= nu_2 iff mu_1 b_2 <= mu_2 b_1",
            _mu2**2 * _n * _b1**2 - _mu1**2 * _n * _b2**2,
            _n * (_mu2 * _b1 - _mu1 * _b2) * (_mu2 * _b1 + _mu1 * _b2),
        ),
        Identity(
            "zero-value sink (s = 1, v_1 = 0): B V = 1 v_s^T = 0, so X + BV = X and m_B = 0 "
            "(tested against a generic tau)",
            _tested(_sink_B * _V_zero_sink),
            sp.Integer(0),
        ),
    ),
)

# -- T3.g ---------------------------------------------------------------------------------------

_xi = sp.Matrix(sp.symbols("p1:3", real=True))
_xj = sp.Matrix(sp.symbols("q1:3", real=True))
_cv = sp.Matrix(sp.symbols("c1:3", real=True))
_ga, _gb, _gk = sp.symbols("a b k", nonnegative=True)  # <c, x_i>, <c, x_j>, ||c||^2 (unit x)
_rho_neg = sp.Symbol("rho", nonpositive=True)
_rho_pos = sp.Symbol("rho", positive=True)
_S = sp.Symbol("S", positive=True)  # sqrt((1 + 2a + k)(1 + 2b + k))
_sp_, _sq_ = sp.symbols("sqrt_p sqrt_q", positive=True)

ANGULAR_SMOOTHING = Statement(
    id="T3.g",
    name="common_update_raises_cosine_of_equal_norm_tokens_in_dual_cone",
    title="||x_i|| = ||x_j|| > 0, <c, x_i> >= 0, <c, x_j> >= 0  =>  cos(x_i + c, x_j + c) >= cos(x_i, x_j)",
    kind=Kind.THEOREM,
    claim="T3",
    hypotheses=(
        Condition(
            "||x_i|| = ||x_j|| > 0: the tokens are rho p_i / ||p_i|| for one radius rho (built so, exactly)"
        ),
        Condition(
            "c is one common update (uniform attention: c = v_bar; a zero-value sink: c = 0)"
        ),
        Condition("<c, x_i> >= 0", sp.GreaterThan(dual_i, 0)),
        Condition("<c, x_j> >= 0", sp.GreaterThan(dual_j, 0)),
    ),
    conclusions=(
        Condition(
            "cos(x_i + c, x_j + c) >= cos(x_i, x_j) for every pair i < j",
            sp.GreaterThan(cos_after, cos_before),
        ),
    ),
    derivation=(
        Identity(
            "(x_i + c).(x_j + c) = rho + a + b + k for unit x (scale-free: divide x and c by ||x||), "
            "with rho = x_i.x_j, a = <c, x_i>, b = <c, x_j>, k = ||c||^2 (d = 2)",
            ((_xi + _cv).T * (_xj + _cv))[0, 0],
            (_xi.T * _xj)[0, 0] + (_cv.T * _xi)[0, 0] + (_cv.T * _xj)[0, 0] + (_cv.T * _cv)[0, 0],
        ),
        Identity(
            "||x_i + c||^2 = ||x_i||^2 + 2 a + k = 1 + 2a + k =: p (and q = 1 + 2b + k): both >= 1",
            ((_xi + _cv).T * (_xi + _cv))[0, 0],
            (_xi.T * _xi)[0, 0] + 2 * (_cv.T * _xi)[0, 0] + (_cv.T * _cv)[0, 0],
        ),
        Combination(
            "p q >= 1: p q - 1 = (2a + k)(1 + 2b + k) + (2b + k), so S = sqrt(p q) >= 1",
            (1 + 2 * _ga + _gk) * (1 + 2 * _gb + _gk) - 1,
            ((1 + 2 * _gb + _gk, 2 * _ga + _gk), (sp.Integer(1), 2 * _gb + _gk)),
        ),
        Combination(
            "rho <= 0: (rho + a + b + k) - rho S = (a + b + k) + (-rho)(S - 1) >= 0, i.e. cos after >= rho",
            (_rho_neg + _ga + _gb + _gk) - _rho_neg * _S,
            ((sp.Integer(1), _ga + _gb + _gk), (-_rho_neg, _S - 1)),
        ),
        Identity(
            "AM-GM: (p + q)/2 - sqrt(p q) = (sqrt p - sqrt q)^2 / 2 >= 0, and (p + q)/2 = 1 + a + b + k",
            (_sp_**2 + _sq_**2) / 2 - _sp_ * _sq_,
            (_sp_ - _sq_) ** 2 / 2,
        ),
        Combination(
            "0 < rho <= 1: (rho + a + b + k) - rho S = rho ((1 + a + b + k) - S) + (1 - rho)(a + b + k) >= 0",
            (_rho_pos + _ga + _gb + _gk) - _rho_pos * _S,
            (
                (_rho_pos, 1 + _ga + _gb + _gk - _S),
                (sp.Integer(1), (1 - _rho_pos) * (_ga + _gb + _gk)),
            ),
        ),
    ),
)

# -- controls T3-F3 ... T3-F7 ----------------------------------------------------------------------

CONTROL_ENDPOINT_GIVES_UNIFORM_MARGIN = Statement(
    id="T3-F3",
    name="control_endpoint_comparison_implies_frobenius_margin",
    title="mu(X + AV) <= mu(X + BV) implies <Z, Delta>_F >= 0 (false: T3.e's quadratic term matters)",
    kind=Kind.CONTROL,
    claim="T3",
    hypotheses=FULLY_SPARSE_ENDPOINT.hypotheses,
    conclusions=(
        Condition(
            "f(0) <= f(1)  =>  <Z, Delta>_F >= 0",
            sp.GreaterThan(uniform_margin, 0),
            given=(sp.LessThan(f_zero, f_one),),
        ),
    ),
    mirrors="T3.e",
)

CONTROL_ENDPOINT_GIVES_ROW_CONDITION = Statement(
    id="T3-F4",
    name="control_endpoint_comparison_implies_row_condition",
    title="T3.e's endpoint comparison implies T3.b's per-row condition (false: one aggregate "
    "inequality, not n of them)",
    kind=Kind.CONTROL,
    claim="T3",
    hypotheses=FULLY_SPARSE_ENDPOINT.hypotheses,
    conclusions=(
        Condition(
            "f(0) <= f(1)  =>  <z_i, delta_i> >= 0 for every row i",
            sp.GreaterThan(margin_min, 0),
            given=(sp.LessThan(f_zero, f_one),),
        ),
    ),
    mirrors="T3.e",
)

CONTROL_DENSE_NEVER_RAISES_NU = Statement(
    id="T3-F5",
    name="control_dense_attention_never_raises_nu",
    title="dense attention never raises nu: nu(X + AV) <= nu(X) (false: m_A = -x_bar gives nu = 1)",
    kind=Kind.CONTROL,
    claim="T3",
    hypotheses=(
        Condition("A row-stochastic; X, V in R^{n x d}"),
        Condition("X + AV != 0", sp.StrictGreaterThan(norm_sq_dense, 0)),
        Condition("X != 0", sp.StrictGreaterThan(norm_sq_x, 0)),
    ),
    conclusions=(Condition("nu(X + AV) <= nu(X)", sp.LessThan(nu_dense, nu_x)),),
    mirrors="T3.f",
)

CONTROL_ANGULAR_WITHOUT_EQUAL_NORMS = Statement(
    id="T3-F6",
    name="control_common_update_raises_cosine_without_equal_norms",
    title="T3.g without equal norms: <c, x_i>, <c, x_j> >= 0 => cos(x_i + c, x_j + c) >= cos(x_i, x_j) (false)",
    kind=Kind.CONTROL,
    claim="T3",
    hypotheses=(
        Condition("x_i = rho_i p_i / ||p_i|| with a radius rho_i > 0 per token (norms may differ)"),
        *ANGULAR_SMOOTHING.hypotheses[1:],
    ),
    conclusions=ANGULAR_SMOOTHING.conclusions,
    mirrors="T3.g",
)

CONTROL_ANGULAR_WITHOUT_DUAL_CONE = Statement(
    id="T3-F7",
    name="control_common_update_raises_cosine_outside_dual_cone",
    title="T3.g without <c, x_i>, <c, x_j> >= 0: equal norms => cos(x_i + c, x_j + c) >= cos(x_i, x_j) (false)",
    kind=Kind.CONTROL,
    claim="T3",
    hypotheses=ANGULAR_SMOOTHING.hypotheses[:2],
    conclusions=ANGULAR_SMOOTHING.conclusions,
    mirrors="T3.g",
)

STATEMENTS = (
    SMOOTHING_IDENTITY,
    DENSE_SMOOTHS_MORE_ROWWISE,
    DENSE_SMOOTHS_MORE_UNIFORM,
    NAMED_CASES,
    CONTROL_DENSE_ALWAYS_SMOOTHS_MORE,
    CONTROL_NO_RESIDUAL_SINK,
    FULLY_SPARSE_ENDPOINT,
    SCALE_FREE_SMOOTHING,
    ANGULAR_SMOOTHING,
    CONTROL_ENDPOINT_GIVES_UNIFORM_MARGIN,
    CONTROL_ENDPOINT_GIVES_ROW_CONDITION,
    CONTROL_DENSE_NEVER_RAISES_NU,
    CONTROL_ANGULAR_WITHOUT_EQUAL_NORMS,
    CONTROL_ANGULAR_WITHOUT_DUAL_CONE,
    TEMPERATURE_EXPLORATION,
)
