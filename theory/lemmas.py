r"""The trusted base: every lemma a proof may use, with its name, citation and what it rests on.

Two kinds:

* **schemata** (``variables`` non-empty): standard facts about real numbers (``log(ab) = log a +
  log b`` for ``a, b > 0``, ``exp x > 0``, ...), instantiated by substituting expressions for their
  variables; their side conditions (``requires``) must be discharged by facts;
* **observable lemmas** (no variables): a standard result (Cauchy–Schwarz, the triangle inequality,
  the minimum-norm-point characterisation of a hull distance, Hölder's inequality for Schatten
  norms, positivity and normalisation of softmax weights, ...) applied to the observables of
  THEORY.md, which ``rests_on`` names. ``settings`` are structural hypotheses (sentences of a
  statement) the lemma needs, e.g. the construction ``W = c u* v*^T``; ``theorems`` are THEOREMs of
  THEORY.md it rests on (a proof using the lemma is then no stronger than theirs).

Nothing here is trusted untested: :mod:`proofs_check.lemma_check` evaluates every lemma on random
and adversarial (near-equality) instances; ``symbolic`` proves a lemma on a symbolic instance where
SymPy can (``None``: tested, not proved).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import sympy as sp

from theory.kernel import KernelError, eq, ge, gt, le, lt, orient, plain, to_rel


def _s(name: str) -> sp.Symbol:
    return sp.Symbol(name, real=True)


@dataclass(frozen=True)
class Instance:
    relation: sp.Basic
    requires: tuple[sp.Basic, ...]


@dataclass(frozen=True)
class Lemma:
    id: str
    relation: sp.Basic
    citation: str
    rests_on: tuple[str, ...] = ()  # observable definitions (THEORY.md §0 / the claim's notation)
    variables: tuple[str, ...] = ()  # schema variables (substitutable)
    requires: tuple[sp.Basic, ...] = ()  # side conditions over the variables / observables
    settings: tuple[str, ...] = ()  # sentences a statement's hypotheses must contain
    theorems: tuple[str, ...] = ()  # THEOREMs it rests on
    symbolic: Callable[[], bool] | None = field(default=None, compare=False, repr=False)

    def instantiate(self, subs: Mapping[str, sp.Expr]) -> Instance:
        if set(subs) != set(self.variables):
            raise KernelError(
                f"lemma {self.id} has variables {list(self.variables)}, substituted {sorted(subs)}"
            )
        mapping = {_s(v): sp.sympify(e) for v, e in subs.items()}

        def sub(rel: sp.Basic) -> sp.Basic:
            lhs, op, rhs = orient(rel)
            return to_rel(plain(lhs).xreplace(mapping), op, plain(rhs).xreplace(mapping))

        return Instance(sub(self.relation), tuple(sub(r) for r in self.requires))

    @property
    def proved_symbolically(self) -> bool | None:
        return None if self.symbolic is None else bool(self.symbolic())


# -- symbolic proofs of lemmas (on symbolic instances) --------------------------------------------


def _lagrange_cs(dim: int = 3) -> bool:
    r"""Cauchy–Schwarz in ``R^dim``: ``||a||^2 ||b||^2 - (a.b)^2 = sum_{k<l} (a_k b_l - a_l b_k)^2``."""
    a = sp.symbols(f"a1:{dim + 1}", real=True)
    b = sp.symbols(f"b1:{dim + 1}", real=True)
    lhs = (
        sum(x * x for x in a) * sum(y * y for y in b)
        - sum(x * y for x, y in zip(a, b, strict=True)) ** 2
    )
    rhs = sum((a[k] * b[l] - a[l] * b[k]) ** 2 for k in range(dim) for l in range(k + 1, dim))
    return sp.expand(lhs - rhs) == 0


def _triangle_sq(dim: int = 3) -> bool:
    r"""``(||a|| + ||b||)^2 - ||a + b||^2 = 2 (||a|| ||b|| - a.b)``: the triangle inequality is CS."""
    a = sp.Matrix(sp.symbols(f"a1:{dim + 1}", real=True))
    b = sp.Matrix(sp.symbols(f"b1:{dim + 1}", real=True))
    na, nb = sp.sqrt(a.dot(a)), sp.sqrt(b.dot(b))
    return sp.expand((na + nb) ** 2 - (a + b).dot(a + b) - 2 * (na * nb - a.dot(b))) == 0 and (
        _lagrange_cs(dim)
    )


def _log_mul() -> bool:
    a, b = sp.symbols("a b", positive=True)
    return sp.expand_log(sp.log(a * b)) == sp.log(a) + sp.log(b)


def _exp_positive() -> bool:
    return bool(sp.exp(sp.Symbol("x", real=True)).is_positive)


def _softmax_row(n: int = 4) -> tuple[list[sp.Expr], tuple[sp.Symbol, ...]]:
    scores = sp.symbols(f"s1:{n + 1}", real=True)
    e = [sp.exp(x) for x in scores]
    return [x / sum(e) for x in e], scores


def _softmax_normalised() -> bool:
    row, _ = _softmax_row()
    return sp.simplify(sum(row) - 1) == 0 and all(w.is_positive for w in row)


def _softmax_ratio() -> bool:
    row, s = _softmax_row()
    return sp.simplify(row[0] / row[1] - sp.exp(s[0] - s[1])) == 0


def _log_odds_of_row() -> bool:
    r"""``log(A_1/(1 - A_1)) = -log sum_{j>1} e^{s_j - s_1}`` on a row of 4 (positive stand-ins)."""
    e = sp.symbols("e1:5", positive=True)
    a1 = e[0] / sum(e)
    lhs = sp.log(a1 / (1 - a1))
    rhs = -sp.log(sum(x / e[0] for x in e[1:]))
    return (
        sp.simplify(sp.expand_log(lhs - rhs, force=False)) == 0
        or sp.simplify(sp.exp(lhs) - sp.exp(rhs)) == 0
    )


def _hull_weights_on_row() -> bool:
    r"""On a softmax row of 4 (sink 1): ``A_2/(1 - A_1) = e_2/(e_2 + e_3 + e_4)``, and these weights
    give ``y = A_1 v_1 + (1 - A_1) c`` coordinate-wise."""
    row, s = _softmax_row()
    e = [sp.exp(x) for x in s]
    v = sp.symbols("v1:5", real=True)
    rest = 1 - row[0]
    c = sum(row[j] * v[j] for j in (1, 2, 3)) / rest
    y = sum(row[j] * v[j] for j in range(4))
    return (
        sp.simplify(row[1] / rest - e[1] / (e[1] + e[2] + e[3])) == 0
        and sp.simplify(y - row[0] * v[0] - rest * c) == 0
    )


def _min_norm_point() -> bool:
    r"""For a point ``c = w2 v2 + w3 v3`` of a hull and the min-norm point ``p`` with optimality
    ``p.(v_j - p) >= 0``: ``p.c - ||p||^2 = w2 p.(v2 - p) + w3 p.(v3 - p)`` when ``w2 + w3 = 1``."""
    w2 = sp.Symbol("w2", real=True)
    p = sp.Matrix(sp.symbols("p1:3", real=True))
    v2 = sp.Matrix(sp.symbols("v2_1:3", real=True))
    v3 = sp.Matrix(sp.symbols("v3_1:3", real=True))
    c = w2 * v2 + (1 - w2) * v3
    lhs = p.dot(c) - p.dot(p)
    rhs = w2 * p.dot(v2 - p) + (1 - w2) * p.dot(v3 - p)
    return sp.expand(lhs - rhs) == 0 and _lagrange_cs(2)


def _rank_one_fro() -> bool:
    u = sp.Matrix(sp.symbols("u1:4", real=True))
    v = sp.Matrix(sp.symbols("v1:4", real=True))
    c = sp.Symbol("c", real=True)
    M = c * u * v.T
    return sp.expand(sum(x**2 for x in M) - c**2 * u.dot(u) * v.dot(v)) == 0


def _centering_projection() -> bool:
    P = sp.eye(3) - sp.ones(3, 3) / 3
    return P * P == P and P.T == P


def _pair_sum_gram() -> bool:
    x = sp.Matrix(3, 2, sp.symbols("x1:4_1:3", real=True))
    W = sp.Matrix(2, 2, sp.symbols("w1:3_1:3", real=True))
    rows = [x.row(k) for k in range(3)]
    pair = sum(
        ((rows[i] - rows[j]) * W * (rows[i] - rows[j]).T)[0, 0]
        for i in range(3)
        for j in range(i + 1, 3)
    )
    Xc = (sp.eye(3) - sp.ones(3, 3) / 3) * x
    G = Xc.T * Xc
    return sp.expand(pair - 3 * sum(W[a, b] * G[a, b] for a in range(2) for b in range(2))) == 0


def _dobrushin_identity() -> bool:
    p = sp.symbols("p1:4", nonnegative=True)
    q = sp.symbols("q1:4", nonnegative=True)
    x = sp.symbols("x1:4", real=True)
    P = sum(p)
    lhs = sum((p[j] - q[j]) * x[j] for j in range(3))
    rhs = sum((p[j] * q[k] / P) * (x[j] - x[k]) for j in range(3) for k in range(3))
    sub = {q[2]: P - q[0] - q[1]}
    return sp.simplify((lhs - rhs).subs(sub)) == 0


def _endpoint_identity() -> bool:
    r"""T3.a at ``alpha = 1`` (``n = 3``, ``d = 2``, every entry free): ``||(I - J)(X + BV)||_F^2 -
    ||(I - J)(X + AV)||_F^2 = 2 <Z, Delta>_F + ||(I - J) Delta||_F^2``, ``Z = (I - J)(X + AV)``,
    ``Delta = (B - A) V``."""
    P = sp.eye(3) - sp.ones(3, 3) / 3
    X = sp.Matrix(3, 2, sp.symbols("x1:4_1:3", real=True))
    V = sp.Matrix(3, 2, sp.symbols("v1:4_1:3", real=True))
    A = sp.Matrix(3, 3, sp.symbols("a1:4_1:4", real=True))
    B = sp.Matrix(3, 3, sp.symbols("b1:4_1:4", real=True))
    fro = lambda M: sum(e**2 for e in M)  # noqa: E731
    Z, Delta = P * (X + A * V), (B - A) * V
    ip = sum(a * b for a, b in zip(Z, Delta, strict=True))
    return sp.expand(fro(P * (X + B * V)) - fro(Z) - 2 * ip - fro(P * Delta)) == 0


def _centering_kills_common_row() -> bool:
    r"""``(I - J) 1 = 0``, so ``(I - J)(X + 1 v^T) = (I - J) X`` (``n = 3``, ``d = 2``)."""
    P = sp.eye(3) - sp.ones(3, 3) / 3
    X = sp.Matrix(3, 2, sp.symbols("x1:4_1:3", real=True))
    v = sp.Matrix(1, 2, sp.symbols("v1:3", real=True))
    return P * sp.ones(3, 1) == sp.zeros(3, 1) and sp.expand(
        P * (X + sp.ones(3, 1) * v) - P * X
    ) == (sp.zeros(3, 2))


def _dense_update_expansion() -> bool:
    r"""``||(I - J)(X + Y)||_F^2 = ||(I - J) X||_F^2 + 2 <(I - J) X, Y>_F + ||(I - J) Y||_F^2`` (``I - J``
    symmetric and idempotent; ``n = 3``, ``d = 2``)."""
    P = sp.eye(3) - sp.ones(3, 3) / 3
    X = sp.Matrix(3, 2, sp.symbols("x1:4_1:3", real=True))
    Y = sp.Matrix(3, 2, sp.symbols("y1:4_1:3", real=True))
    fro = lambda M: sum(e**2 for e in M)  # noqa: E731
    ip = sum(a * b for a, b in zip(P * X, Y, strict=True))
    return sp.expand(fro(P * (X + Y)) - fro(P * X) - 2 * ip - fro(P * Y)) == 0


def _diagonal_endpoint() -> bool:
    r"""``B = I``: ``Delta = (I - A) V = V - AV`` (``n = 3``, ``d = 2``, ``A``, ``V`` free)."""
    A = sp.Matrix(3, 3, sp.symbols("a1:4_1:4", real=True))
    V = sp.Matrix(3, 2, sp.symbols("v1:4_1:3", real=True))
    return sp.expand((sp.eye(3) - A) * V - (V - A * V)) == sp.zeros(3, 2)


def _pythagoras_mean() -> bool:
    r"""``||Y||_F^2 = ||(I - J) Y||_F^2 + n ||y_bar||^2`` (``n = 3``, ``d = 2``)."""
    Y = sp.Matrix(3, 2, sp.symbols("y1:4_1:3", real=True))
    P = sp.eye(3) - sp.ones(3, 3) / 3
    ybar = sp.ones(1, 3) * Y / 3
    return (
        sp.expand(sum(e**2 for e in Y) - sum(e**2 for e in P * Y) - 3 * sum(e**2 for e in ybar))
        == 0
    )


def _am_gm() -> bool:
    r"""``(a + b)/2 - sqrt(a b) = (sqrt a - sqrt b)^2 / 2`` for ``a, b >= 0``."""
    a, b = sp.symbols("a b", nonnegative=True)
    return sp.expand((a + b) / 2 - sp.sqrt(a * b) - (sp.sqrt(a) - sp.sqrt(b)) ** 2 / 2) == 0


def _cosine_after_common_update() -> bool:
    r"""``(x_i + c).(x_j + c) = x_i.x_j + c.x_i + c.x_j + ||c||^2`` and ``||x + c||^2 = ||x||^2 + 2 c.x
    + ||c||^2`` (``d = 2``): divided by ``||x_i||^2 = ||x_j||^2`` these give the scale-free form."""
    xi = sp.Matrix(sp.symbols("p1:3", real=True))
    xj = sp.Matrix(sp.symbols("q1:3", real=True))
    c = sp.Matrix(sp.symbols("c1:3", real=True))
    cross = (xi + c).dot(xj + c) - (xi.dot(xj) + c.dot(xi) + c.dot(xj) + c.dot(c))
    own = (xi + c).dot(xi + c) - (xi.dot(xi) + 2 * c.dot(xi) + c.dot(c))
    return sp.expand(cross) == 0 and sp.expand(own) == 0


def _dobrushin_two_forms() -> bool:
    r"""Rows ``a = m + p``, ``b = m + q`` (``m = min(a, b)``, ``n = 3``) summing to 1: ``sum_j p_j
    = 1 - sum_j m_j``, i.e. ``sum_j (a_j - b_j)_+ = 1 - sum_j min(a_j, b_j)``."""
    m = sp.symbols("m1:4", real=True)
    p = sp.symbols("p1:4", real=True)
    a = [m[j] + p[j] for j in range(3)]
    p3 = sp.solve(sp.Eq(sum(a), 1), p[2])[0]
    return sp.expand(sum(p).subs(p[2], p3) - (1 - sum(m))) == 0


# -- observables (names shared with the statements) -----------------------------------------------

eps, n, d = _s("eps"), _s("n"), _s("d")
margin, log_odds, rest, rest_max = _s("margin"), _s("log_odds"), _s("rest"), _s("rest_max")
rival_sum, rival_max = _s("rival_sum"), _s("rival_max")
gamma_u, gamma_v, c_scale, fro_norm = _s("gamma_u"), _s("gamma_v"), _s("c_scale"), _s("fro_norm")
ux_row, vd_min = _s("ux_row"), _s("vd_min")
attn_ss, attn_sj, attn_js, attn_jj = _s("attn_ss"), _s("attn_sj"), _s("attn_js"), _s("attn_jj")
ip_js, nj2, ns2, competitor = _s("ip_js"), _s("nj2"), _s("ns2"), _s("competitor")
resid_norm, out_norm, c_norm, delta, R = (
    _s("resid_norm"),
    _s("out_norm"),
    _s("c_norm"),
    _s("delta"),
    _s("R"),
)
sink_value_norm = _s("sink_value_norm")
attn_weight, conv_weight, conv_weight_sum, off_mass = (
    _s("attn_weight"),
    _s("conv_weight"),
    _s("conv_weight_sum"),
    _s("off_mass"),
)
rest_zero, delta_zero, R_zero, cz_norm = (
    _s("rest_zero"),
    _s("delta_zero"),
    _s("R_zero"),
    _s("cz_norm"),
)
eta = _s("eta")
f_alpha, f_zero, f_witness = _s("f_alpha"), _s("f_zero"), _s("f_witness")
lin_pos, lin_neg, quad_term = _s("lin_pos"), _s("lin_neg"), _s("quad_term")
margin_min, uniform_margin = _s("margin_min"), _s("uniform_margin")
t_star, q_edge, t_unif, t_unif_star, q_unif = (
    _s("t_star"),
    _s("q_edge"),
    _s("t_unif"),
    _s("t_unif_star"),
    _s("q_unif"),
)
c_sink, c_diag = _s("c_sink"), _s("c_diag")
sink_pair_min, sigma_max_sq, pair_dist_min_sq, g = (
    _s("sink_pair_min"),
    _s("sigma_max_sq"),
    _s("pair_dist_min_sq"),
    _s("g"),
)
opt_margin, opt_pairing, opt_pair_quad = _s("opt_margin"), _s("opt_pairing"), _s("opt_pair_quad")
rest_sink_construction, rest_diag_construction, id_margin, gap_row = (
    _s("rest_sink_construction"),
    _s("rest_diag_construction"),
    _s("id_margin"),
    _s("gap_row"),
)
out_dev, spread, rest_row = _s("out_dev"), _s("spread"), _s("rest_row")
jac_norm, attn, wv_norm, value_gap, query_gain = (
    _s("jac_norm"),
    _s("attn"),
    _s("wv_norm"),
    _s("value_gap"),
    _s("query_gain"),
)
mu_prev, mu_next, eps_l, R_l = _s("mu_prev"), _s("mu_next"), _s("eps_l"), _s("R_l")
update_centered, update_fro, xm_norm, err_centered, err_fro, sigma_min_v = (
    _s("update_centered"),
    _s("update_fro"),
    _s("xm_norm"),
    _s("err_centered"),
    _s("err_fro"),
    _s("sigma_min_v"),
)
diam_prev, diam_next, one_minus_tau, mass_diff = (
    _s("diam_prev"),
    _s("diam_next"),
    _s("one_minus_tau"),
    _s("mass_diff"),
)

# T3.e, T3.f, T3.g, T6.d
_NEW_OBSERVABLES = (
    "f_one endpoint_margin mu_sq_x sink_target sink_update_change diagonal_endpoint target_kind "
    "nu_dense norm_sq_dense mu_dense mean_dense nu_sparse norm_sq_sparse mu_sparse mean_sparse "
    "nu_lhs nu_rhs cos_before cos_after dual_i dual_j token_norm_sq update_norm_sq dobrushin"
)
(
    f_one,
    endpoint_margin,
    mu_sq_x,
    sink_target,
    sink_update_change,
    diagonal_endpoint,
    target_kind,
    nu_dense,
    norm_sq_dense,
    mu_dense,
    mean_dense,
    nu_sparse,
    norm_sq_sparse,
    mu_sparse,
    mean_sparse,
    nu_lhs,
    nu_rhs,
    cos_before,
    cos_after,
    dual_i,
    dual_j,
    token_norm_sq,
    update_norm_sq,
    dobrushin,
) = sp.symbols(_NEW_OBSERVABLES, real=True)

# T3.g in scale-free form (divided by ||x_i||^2 = ||x_j||^2): p = ||x_i + c||^2 / ||x_i||^2, ...
_ga, _gb, _gk = dual_i / token_norm_sq, dual_j / token_norm_sq, update_norm_sq / token_norm_sq
ANGLE_P, ANGLE_Q = 1 + 2 * _ga + _gk, 1 + 2 * _gb + _gk
ANGLE_S = sp.sqrt(ANGLE_P * ANGLE_Q)
ANGLE_NUMERATOR = cos_before + _ga + _gb + _gk
EQUAL_NORMS = "||x_i|| = ||x_j|| > 0"

a_, b_, x_ = _s("a"), _s("b"), _s("x")
farkas_pairing, hull_residual = _s("farkas_pairing"), _s("hull_residual")

L1 = sp.log((1 - eps) / eps)
Ln = sp.log((n - 1) * (1 - eps) / eps)

_SOFTMAX = "softmax weights are positive and each row sums to 1 (THEORY.md §0: A = softmax_rows(S))"

LEMMAS_LIST: tuple[Lemma, ...] = (
    # -- schemata over the reals ------------------------------------------------------------------
    Lemma(
        "log_mul",
        eq(sp.log(a_ * b_), sp.log(a_) + sp.log(b_)),
        "functional equation of the natural logarithm on (0, inf)",
        variables=("a", "b"),
        requires=(gt(a_, 0), gt(b_, 0)),
        symbolic=_log_mul,
    ),
    Lemma(
        "am_gm",
        le(sp.sqrt(a_ * b_), (a_ + b_) / 2),
        "the inequality of arithmetic and geometric means for two reals a, b >= 0",
        variables=("a", "b"),
        requires=(ge(a_, 0), ge(b_, 0)),
        symbolic=_am_gm,
    ),
    Lemma(
        "exp_positive",
        gt(sp.exp(x_), 0),
        "the exponential is positive on the reals",
        variables=("x",),
        symbolic=_exp_positive,
    ),
    Lemma(
        "farkas_convex_combination",
        eq(farkas_pairing, 0),
        "if sum_k lambda_k p_k = 0 with lambda >= 0, sum lambda = 1, then sum_k lambda_k l(p_k) = 0 for "
        "every linear l: the l(p_k) cannot all be > 0 (Farkas' lemma, the easy direction); used by the "
        "exact per-instance certificates of T1.b, T1.c, T1.f, checked there in rational arithmetic",
        rests_on=(
            "farkas_pairing = sum_k lambda_k l(p_k) for a linear l (a margin, linear in each token)",
            "hull_residual = ||sum_k lambda_k p_k|| with lambda convex weights",
        ),
        requires=(eq(hull_residual, 0),),
    ),
    # -- domains of the scalars of THEORY.md §0 ------------------------------------------------
    Lemma(
        "tolerance_positive",
        gt(eps, 0),
        "THEORY.md §0: the tolerance eps lies in (0, 1)",
        rests_on=("eps",),
    ),
    Lemma(
        "tolerance_below_one",
        lt(eps, 1),
        "THEORY.md §0: the tolerance eps lies in (0, 1)",
        rests_on=("eps",),
    ),
    Lemma(
        "at_least_two_tokens",
        ge(n, 2),
        "a sink has at least one competitor: n >= 2 tokens",
        rests_on=("n",),
    ),
    Lemma(
        "output_target_positive",
        gt(eta, 0),
        "THEORY.md T2.d: the output target satisfies 0 < eta < R",
        rests_on=("eta",),
    ),
    # -- softmax rows (T1, T2) -------------------------------------------------------------------
    Lemma(
        "log_odds_is_minus_log_rival_sum",
        eq(log_odds, -sp.log(rival_sum)),
        "definition: A_is/(1 - A_is) = e^{s_is}/sum_{j!=s} e^{s_ij} = 1/sum_{j!=s} e^{s_ij - s_is}; "
        + _SOFTMAX,
        rests_on=("log_odds = log(A_is/(1 - A_is))", "rival_sum = sum_{j!=s} e^{s_ij - s_is}"),
        symbolic=_log_odds_of_row,
    ),
    Lemma(
        "rival_sum_positive",
        gt(rival_sum, 0),
        "a sum of n - 1 >= 1 exponentials is positive",
        rests_on=("rival_sum = sum_{j!=s} e^{s_ij - s_is}",),
    ),
    Lemma(
        "rival_max_is_exp_minus_margin",
        eq(rival_max, sp.exp(-margin)),
        "definition: the largest rival term is e^{-min_j (s_is - s_ij)} (exp is increasing)",
        rests_on=("rival_max = max_{j!=s} e^{s_ij - s_is}", "margin = min_{j!=s} (s_is - s_ij)"),
    ),
    Lemma(
        "sum_at_most_count_times_max",
        le(rival_sum, (n - 1) * rival_max),
        "a sum of n - 1 terms is at most n - 1 times the largest",
        rests_on=("rival_sum", "rival_max"),
    ),
    Lemma(
        "sum_at_least_max_term",
        ge(rival_sum, rival_max),
        "a sum of positive terms is at least its largest term",
        rests_on=("rival_sum", "rival_max"),
    ),
    Lemma(
        "log_odds_of_rest",
        eq(log_odds, sp.log((1 - rest) / rest)),
        "definition: A_is = 1 - rest with rest = 1 - A_is = sum_{j!=s} A_ij; " + _SOFTMAX,
        rests_on=("log_odds", "rest = 1 - A_is"),
    ),
    Lemma(
        "rest_positive",
        gt(rest, 0),
        "softmax weights are positive, so the mass off the sink is > 0 (n >= 2)",
        rests_on=("rest = 1 - A_is",),
        symbolic=_softmax_normalised,
    ),
    # -- T1.d: the rank-one construction ---------------------------------------------------------
    Lemma(
        "construction_scale",
        eq(c_scale, Ln / (gamma_u * gamma_v)),
        "definition of T1.d's scale c = L_n(eps)/(gamma_u gamma_v)",
        rests_on=("c_scale", "gamma_u", "gamma_v"),
    ),
    Lemma(
        "rank_one_row_margin",
        eq(margin, c_scale * ux_row * vd_min),
        "row i's margin under W = c u v^T is min_j c (u^T x_i)(v^T(x_s - x_j)) = c (u^T x_i) min_j "
        "v^T(x_s - x_j), as c u^T x_i > 0 (bilinearity of the score)",
        rests_on=("margin", "ux_row = u*^T x_i", "vd_min = min_{j!=s} v*^T (x_s - x_j)"),
        settings=("W = c u* v*^T",),
    ),
    Lemma(
        "halfspace_direction_attains_gamma_u",
        ge(ux_row, gamma_u),
        "u* attains gamma_u = max_{||u||=1} min_i u^T x_i, so u*^T x_i >= gamma_u for every i",
        rests_on=("gamma_u", "ux_row"),
        settings=("u*, v* unit vectors attaining gamma_u, gamma_v",),
    ),
    Lemma(
        "vertex_direction_attains_gamma_v",
        ge(vd_min, gamma_v),
        "v* attains gamma_v = max_{||v||=1} min_{j!=s} v^T (x_s - x_j)",
        rests_on=("gamma_v", "vd_min"),
        settings=("u*, v* unit vectors attaining gamma_u, gamma_v",),
    ),
    Lemma(
        "rank_one_frobenius",
        eq(fro_norm, c_scale),
        "||c u v^T||_F = c ||u|| ||v|| = c for unit u, v (one singular value c)",
        rests_on=("fro_norm = ||W||_F",),
        settings=("W = c u* v*^T",),
        symbolic=_rank_one_fro,
    ),
    # -- T1.e: a PSD W ------------------------------------------------------------------------------
    Lemma(
        "psd_norm_nonnegative",
        ge(nj2, 0),
        "||x_j||_W^2 = x_j^T W x_j >= 0 for W positive semidefinite",
        rests_on=("nj2 = ||x_j||_W^2",),
        settings=("W symmetric positive semidefinite",),
    ),
    Lemma(
        "softmax_ratio_row_j",
        eq(attn_js / attn_jj, sp.exp(ip_js - nj2)),
        "A_js/A_jj = e^{s_js - s_jj} with s_js = x_j^T W x_s = <x_j, x_s>_W, s_jj = ||x_j||_W^2",
        rests_on=("attn_js = A_js", "attn_jj = A_jj", "ip_js", "nj2"),
        settings=("W symmetric positive semidefinite",),
        symbolic=_softmax_ratio,
    ),
    Lemma(
        "softmax_ratio_row_s",
        eq(attn_ss / attn_sj, sp.exp(ns2 - ip_js)),
        "A_ss/A_sj = e^{s_ss - s_sj} with s_sj = x_s^T W x_j = <x_j, x_s>_W (W symmetric)",
        rests_on=("attn_ss = A_ss", "attn_sj = A_sj", "ns2", "ip_js"),
        settings=("W symmetric positive semidefinite",),
        symbolic=_softmax_ratio,
    ),
    Lemma(
        "sink_weight_at_least",
        ge(attn_js, 1 - rest_max),
        "definition of rest_max = max_i (1 - A_is): row j puts mass >= 1 - rest_max on s",
        rests_on=("attn_js", "rest_max"),
    ),
    Lemma(
        "sink_own_weight_at_least",
        ge(attn_ss, 1 - rest_max),
        "definition of rest_max (the sink's own row is a row)",
        rests_on=("attn_ss", "rest_max"),
    ),
    Lemma(
        "competitor_weight_at_most_row_j",
        le(attn_jj, rest_max),
        "for j != s, A_jj <= sum_{k!=s} A_jk = 1 - A_js <= rest_max; " + _SOFTMAX,
        rests_on=("attn_jj", "rest_max"),
        requires=(eq(competitor, 1),),
    ),
    Lemma(
        "competitor_weight_at_most_row_s",
        le(attn_sj, rest_max),
        "for j != s, A_sj <= 1 - A_ss <= rest_max; " + _SOFTMAX,
        rests_on=("attn_sj", "rest_max"),
        requires=(eq(competitor, 1),),
    ),
    Lemma(
        "softmax_weight_positive_jj",
        gt(attn_jj, 0),
        _SOFTMAX,
        rests_on=("attn_jj",),
    ),
    Lemma(
        "softmax_weight_positive_sj",
        gt(attn_sj, 0),
        _SOFTMAX,
        rests_on=("attn_sj",),
    ),
    # -- T2: the switch -------------------------------------------------------------------------
    Lemma(
        "hull_weight_definition",
        eq(conv_weight, attn_weight / rest),
        "definition of c_i's weights: w_ij = A_ij / (1 - A_is) for j != s (the softmax of row i with "
        "the sink removed)",
        rests_on=("conv_weight = w_ij", "attn_weight = A_ij", "rest"),
        symbolic=_hull_weights_on_row,
    ),
    Lemma(
        "hull_weight_sum_definition",
        eq(conv_weight_sum, off_mass / rest),
        "sum_{j != s} w_ij = (sum_{j != s} A_ij) / (1 - A_is)",
        rests_on=("conv_weight_sum", "off_mass = sum_{j != s} A_ij", "rest"),
    ),
    Lemma(
        "softmax_normalisation_off_sink",
        eq(off_mass, rest),
        "rows sum to 1: sum_{j != s} A_ij = 1 - A_is; " + _SOFTMAX,
        rests_on=("off_mass", "rest"),
        symbolic=_softmax_normalised,
    ),
    Lemma(
        "residual_is_rest_times_hull_point",
        eq(resid_norm, rest * c_norm),
        "y_i - A_is v_s = sum_{j!=s} A_ij v_j = (1 - A_is) c_i (T2.a) and ||t c|| = t ||c|| for t >= 0",
        rests_on=("resid_norm = ||y_i - A_is v_s||", "c_norm = ||c_i||", "rest"),
        theorems=("T2.a",),
    ),
    Lemma(
        "hull_point_at_least_distance",
        ge(c_norm, delta),
        "c_i is in conv{v_j : j != s}; delta = dist(0, conv) = ||p*|| and p*^T(v_j - p*) >= 0 for the "
        "min-norm point p* give p*^T c_i >= ||p*||^2, so ||c_i|| >= ||p*|| (Cauchy–Schwarz)",
        rests_on=("c_norm", "delta = dist(0, conv{v_j : j != s})"),
        theorems=("T2.a",),
        symbolic=_min_norm_point,
    ),
    Lemma(
        "hull_point_at_most_radius",
        le(c_norm, R),
        "||sum_j w_j v_j|| <= sum_j w_j ||v_j|| <= max_j ||v_j|| for convex weights (triangle inequality)",
        rests_on=("c_norm", "R = max_{j!=s} ||v_j||"),
        theorems=("T2.a",),
        symbolic=_triangle_sq,
    ),
    Lemma(
        "rest_nonnegative",
        ge(rest, 0),
        _SOFTMAX,
        rests_on=("rest",),
    ),
    Lemma(
        "zero_value_sink_output",
        eq(out_norm, resid_norm),
        "||v_s|| = 0 means v_s = 0 (a norm), so y_i - A_is v_s = y_i",
        rests_on=("out_norm = ||y_i||", "resid_norm", "sink_value_norm = ||v_s||"),
        requires=(eq(sink_value_norm, 0),),
    ),
    Lemma(
        "radius_nonnegative",
        ge(R, 0),
        "a maximum of norms is >= 0",
        rests_on=("R",),
    ),
    Lemma(
        "output_is_rest_zero_times_hull_point",
        eq(out_norm, rest_zero * cz_norm),
        "v_j = 0 on Z, so y_i = sum_{j not in Z} A_ij v_j = rest_Z c_Z with c_Z in conv{v_j : j not in Z}",
        rests_on=("out_norm", "rest_zero = 1 - sum_{j in Z} A_ij", "cz_norm = ||c_Z||"),
    ),
    Lemma(
        "zero_hull_point_at_least_distance",
        ge(cz_norm, delta_zero),
        "c_Z in conv{v_j : j not in Z}: the min-norm-point characterisation of delta_Z",
        rests_on=("cz_norm", "delta_zero"),
        symbolic=_min_norm_point,
    ),
    Lemma(
        "zero_hull_point_at_most_radius",
        le(cz_norm, R_zero),
        "triangle inequality over the convex combination c_Z",
        rests_on=("cz_norm", "R_zero = max_{j not in Z} ||v_j||"),
        symbolic=_triangle_sq,
    ),
    Lemma(
        "rest_zero_nonnegative",
        ge(rest_zero, 0),
        _SOFTMAX,
        rests_on=("rest_zero",),
    ),
    # -- T3: smoothing ---------------------------------------------------------------------------
    Lemma(
        "sparsification_identity",
        eq(f_alpha + 2 * lin_neg, f_zero + 2 * lin_pos + quad_term),
        "T3.a's identity f(alpha) - f(0) = 2 sum_i alpha_i <z_i, delta_i> + ||(I - J) D_alpha Delta||_F^2, "
        "with the linear part split as lin^+ - lin^-",
        rests_on=("f_alpha", "f_zero", "lin_pos", "lin_neg", "quad_term"),
        theorems=("T3.a",),
    ),
    Lemma(
        "linear_part_nonnegative",
        ge(lin_pos, 0),
        "lin^+ = sum_i alpha_i max(0, <z_i, delta_i>) with alpha_i >= 0",
        rests_on=("lin_pos",),
    ),
    Lemma(
        "negative_part_vanishes",
        eq(lin_neg, 0),
        "lin^- = sum_i alpha_i max(0, -<z_i, delta_i>) = 0 when every margin is >= margin_min >= 0",
        rests_on=("lin_neg", "margin_min = min_i <z_i, delta_i>"),
        requires=(ge(margin_min, 0),),
    ),
    Lemma(
        "quadratic_part_nonnegative",
        ge(quad_term, 0),
        "a squared Frobenius norm is >= 0",
        rests_on=("quad_term = ||(I - J) D_alpha Delta||_F^2",),
    ),
    Lemma(
        "edge_witness_value",
        eq(f_witness, f_zero + 2 * t_star * margin_min + t_star**2 * q_edge),
        "T3.a at alpha = t* e_i (row i attaining margin_min): the linear part is t* <z_i, delta_i>, "
        "the quadratic part t*^2 q_i",
        rests_on=("f_witness = f(t* e_i)", "t_star = min(1, -m_i/q_i)", "q_edge = q_i"),
        theorems=("T3.a",),
    ),
    Lemma(
        "edge_step_positive",
        gt(t_star, 0),
        "t* = min(1, -m_i/q_i) > 0 when m_i < 0 (and q_i >= 0)",
        rests_on=("t_star",),
        requires=(lt(margin_min, 0),),
    ),
    Lemma(
        "edge_step_below_root",
        ge(-margin_min - t_star * q_edge, 0),
        "t* <= -m_i/q_i, so t* q_i <= -m_i (definition of the clipped step)",
        rests_on=("t_star", "q_edge"),
        requires=(lt(margin_min, 0),),
    ),
    Lemma(
        "uniform_probe_value",
        eq(f_alpha, f_zero + 2 * t_unif * uniform_margin + t_unif**2 * q_unif),
        "T3.a at alpha = t 1: the linear part is t <Z, Delta>_F, the quadratic part t^2 ||(I - J) Delta||_F^2",
        rests_on=("f_alpha = f(t 1)", "t_unif = t", "q_unif = ||(I - J) Delta||_F^2"),
        theorems=("T3.a",),
    ),
    Lemma(
        "uniform_probe_in_unit_interval",
        ge(t_unif, 0),
        "the probe t lies in [0, 1]",
        rests_on=("t_unif",),
    ),
    Lemma(
        "uniform_curvature_nonnegative",
        ge(q_unif, 0),
        "a squared Frobenius norm is >= 0",
        rests_on=("q_unif",),
    ),
    Lemma(
        "uniform_witness_value",
        eq(f_witness, f_zero + 2 * t_unif_star * uniform_margin + t_unif_star**2 * q_unif),
        "T3.a at alpha = t* 1",
        rests_on=("f_witness = f(t* 1)", "t_unif_star = min(1, -<Z,Delta>_F / q_unif)", "q_unif"),
        theorems=("T3.a",),
    ),
    Lemma(
        "uniform_step_positive",
        gt(t_unif_star, 0),
        "t* = min(1, -U/Q) > 0 when U < 0",
        rests_on=("t_unif_star",),
        requires=(lt(uniform_margin, 0),),
    ),
    Lemma(
        "uniform_step_below_root",
        ge(-uniform_margin - t_unif_star * q_unif, 0),
        "t* <= -U/Q, so t* Q <= -U",
        rests_on=("t_unif_star", "q_unif"),
        requires=(lt(uniform_margin, 0),),
    ),
    # -- T3.e: the fully sparse endpoint alpha = 1 -------------------------------------------------
    Lemma(
        "endpoint_identity",
        eq(f_one, f_zero + endpoint_margin),
        "T3.a at alpha = 1: f(1) - f(0) = 2 <Z, Delta>_F + ||(I - J) Delta||_F^2 (D_1 = I)",
        rests_on=(
            "f_one = f(1) = mu(X + BV)^2",
            "f_zero = f(0) = mu(X + AV)^2",
            "endpoint_margin = 2 <Z, Delta>_F + ||(I - J) Delta||_F^2",
        ),
        theorems=("T3.a",),
        symbolic=_endpoint_identity,
    ),
    Lemma(
        "sink_target_leaves_mu",
        eq(f_one, mu_sq_x),
        "(I - J) 1 = 0: a sink target B = 1 e_s^T gives BV = 1 v_s^T, a common row, so "
        "(I - J)(X + BV) = (I - J) X and mu(X + BV) = mu(X), whatever v_s",
        rests_on=("f_one", "mu_sq_x = mu(X)^2", "sink_target = 1 iff B = 1 e_s^T"),
        requires=(eq(sink_target, 1),),
        symbolic=_centering_kills_common_row,
    ),
    Lemma(
        "dense_update_expansion",
        eq(f_zero, mu_sq_x + sink_update_change),
        "||X~ + (I - J) AV||_F^2 = ||X~||_F^2 + 2 <X~, (I - J) AV>_F + ||(I - J) AV||_F^2 and "
        "<X~, (I - J) AV>_F = <X~, AV>_F (I - J symmetric, idempotent)",
        rests_on=("f_zero", "mu_sq_x", "sink_update_change = 2 <X~, AV>_F + ||(I - J) AV||_F^2"),
        symbolic=_dense_update_expansion,
    ),
    Lemma(
        "diagonal_endpoint_margin",
        eq(diagonal_endpoint, endpoint_margin),
        "B = I: Delta = (I - A) V = V - AV, so the endpoint margin is 2 <Z, V - AV>_F + "
        "||(I - J)(V - AV)||_F^2",
        rests_on=(
            "diagonal_endpoint = 2 <Z, V - AV>_F + ||(I - J)(V - AV)||_F^2",
            "endpoint_margin",
            "target_kind = 1 iff B = I",
        ),
        requires=(eq(target_kind, 1),),
        symbolic=_diagonal_endpoint,
    ),
    # -- T3.f: scale-free smoothing (one output Y; renamed for X + AV and X + BV) -----------------
    Lemma(
        "nu_definition",
        eq(nu_dense * norm_sq_dense, mu_dense**2),
        "definition nu(Y) = mu(Y)^2 / ||Y||_F^2, cleared of its denominator",
        rests_on=(
            "nu_dense = nu(Y)",
            "norm_sq_dense = ||Y||_F^2",
            "mu_dense = mu(Y) = ||(I - J) Y||_F",
        ),
    ),
    Lemma(
        "frobenius_pythagoras",
        eq(norm_sq_dense, mu_dense**2 + n * mean_dense**2),
        "Y = (I - J) Y + 1 y_bar^T, orthogonal parts (1^T (I - J) = 0): ||Y||_F^2 = mu(Y)^2 + n ||y_bar||^2",
        rests_on=(
            "norm_sq_dense",
            "mu_dense",
            "mean_dense = ||y_bar|| (y_bar the mean row of Y)",
            "n",
        ),
        symbolic=_pythagoras_mean,
    ),
    Lemma("mu_nonnegative", ge(mu_dense, 0), "a Frobenius norm is >= 0", rests_on=("mu_dense",)),
    Lemma("mean_norm_nonnegative", ge(mean_dense, 0), "a norm is >= 0", rests_on=("mean_dense",)),
    Lemma(
        "nu_lhs_definition",
        eq(nu_lhs, mu_dense * mean_sparse),
        "definition: the mean row of X + BV is x_bar + m_B",
        rests_on=(
            "nu_lhs = mu(X + AV) ||x_bar + m_B||",
            "mu_dense = mu(X + AV)",
            "mean_sparse = ||x_bar + m_B||",
        ),
    ),
    Lemma(
        "nu_rhs_definition",
        eq(nu_rhs, mu_sparse * mean_dense),
        "definition: the mean row of X + AV is x_bar + m_A",
        rests_on=(
            "nu_rhs = mu(X + BV) ||x_bar + m_A||",
            "mu_sparse = mu(X + BV)",
            "mean_dense = ||x_bar + m_A||",
        ),
    ),
    # -- T3.g: a common update of two equal-norm tokens -----------------------------------------
    Lemma(
        "cosine_after_common_update",
        eq(cos_after * ANGLE_S, ANGLE_NUMERATOR),
        "with r^2 = ||x_i||^2 = ||x_j||^2: (x_i + c).(x_j + c) = r^2 (cos(x_i, x_j) + a + b + k) and "
        "||x_i + c||^2 = r^2 p, ||x_j + c||^2 = r^2 q (a = <c, x_i>/r^2, b = <c, x_j>/r^2, k = ||c||^2/r^2, "
        "p = 1 + 2a + k, q = 1 + 2b + k), so cos(x_i + c, x_j + c) sqrt(p q) = cos(x_i, x_j) + a + b + k",
        rests_on=(
            "cos_after = cos(x_i + c, x_j + c)",
            "cos_before = cos(x_i, x_j)",
            "dual_i = <c, x_i>",
            "dual_j = <c, x_j>",
            "token_norm_sq = ||x_i||^2 = ||x_j||^2",
            "update_norm_sq = ||c||^2",
        ),
        settings=(EQUAL_NORMS,),
        symbolic=_cosine_after_common_update,
    ),
    Lemma(
        "token_norm_sq_positive",
        gt(token_norm_sq, 0),
        "the tokens are nonzero: ||x_i||^2 > 0",
        rests_on=("token_norm_sq",),
        settings=(EQUAL_NORMS,),
    ),
    Lemma(
        "update_norm_sq_nonnegative",
        ge(update_norm_sq, 0),
        "a squared norm is >= 0",
        rests_on=("update_norm_sq",),
    ),
    Lemma(
        "cosine_at_most_one",
        le(cos_before, 1),
        "Cauchy–Schwarz: x_i.x_j <= ||x_i|| ||x_j||",
        rests_on=("cos_before",),
        symbolic=_lagrange_cs,
    ),
    # -- T4: costs -------------------------------------------------------------------------------
    Lemma(
        "sink_cost_at_most_construction",
        le(c_sink, c_scale),
        "c_sink is a minimum over eps-sink W; W = c u* v*^T is one (every row: T1.d) and ||W||_* = c "
        "(one singular value)",
        rests_on=("c_sink", "c_scale"),
        requires=(le(rest_sink_construction, eps),),
        theorems=("T1.d",),
    ),
    Lemma(
        "sink_cost_positive",
        gt(c_sink, 0),
        "an eps-sink with eps < 1/2 has every margin >= L_1(eps) > 0 (T1.a), so W != 0 and ||W||_* > 0",
        rests_on=("c_sink",),
        requires=(lt(eps, sp.Rational(1, 2)),),
        theorems=("T1.a",),
    ),
    Lemma(
        "optimal_margin_single_rival",
        ge(opt_margin, L1),
        "an eps-sink W has every margin >= L_1(eps) (T1.a, second conclusion: A_is <= 1/(1 + e^{-m_j}))",
        rests_on=(
            "opt_margin = x_i^T W* (x_s - x_j) at the pair minimising ||x_i|| ||x_s - x_j||",
        ),
        theorems=("T1.a",),
    ),
    Lemma(
        "margin_at_most_nuclear_times_pair",
        le(opt_margin, c_sink * sink_pair_min),
        "|x_i^T W (x_s - x_j)| <= ||W||_2 ||x_i|| ||x_s - x_j|| (Cauchy–Schwarz) and ||W||_2 <= ||W||_*",
        rests_on=("opt_margin", "c_sink = ||W*||_*", "sink_pair_min"),
        symbolic=_lagrange_cs,
    ),
    Lemma(
        "pair_sum_at_least",
        ge(opt_pairing, (n - 1) * L1),
        "sum over ordered pairs of margins >= n(n-1) L_1 (T1.a per row, the diagonal as sink) and the "
        "pair sum equals n <W*, X~^T X~>",
        rests_on=("opt_pairing = <W*, X~^T X~>",),
        theorems=("T1.a",),
        symbolic=_pair_sum_gram,
    ),
    Lemma(
        "holder_nuclear_spectral",
        le(opt_pairing, c_diag * sigma_max_sq),
        "Hölder's inequality for Schatten norms: <W, G> <= ||W||_* ||G||_2, ||X~^T X~||_2 = sigma_max(X~)^2",
        rests_on=("opt_pairing", "c_diag = ||W*||_*", "sigma_max_sq"),
    ),
    Lemma(
        "closest_pair_quadratic_at_least",
        ge(opt_pair_quad, 2 * L1),
        "(x_i - x_j)^T W* (x_i - x_j) = (s_ii - s_ij) + (s_jj - s_ji) >= 2 L_1 (T1.a in rows i and j)",
        rests_on=("opt_pair_quad at the closest pair",),
        theorems=("T1.a",),
    ),
    Lemma(
        "closest_pair_quadratic_at_most",
        le(opt_pair_quad, c_diag * pair_dist_min_sq),
        "a^T W a <= ||W||_2 ||a||^2 <= ||W||_* ||a||^2 (Cauchy–Schwarz, Hölder)",
        rests_on=("opt_pair_quad", "c_diag", "pair_dist_min_sq"),
    ),
    Lemma(
        "scaled_identity_row_margin",
        eq(id_margin, (Ln / g) * gap_row),
        "under W = (L_n/g) I the diagonal margin of row i is (L_n/g) min_j (||x_i||^2 - x_i^T x_j)",
        rests_on=("id_margin", "gap_row = min_{j!=i} (||x_i||^2 - x_i^T x_j)"),
        requires=(gt(g, 0), gt(Ln, 0)),
    ),
    Lemma(
        "gap_at_least_g",
        ge(gap_row, g),
        "definition of g as the minimum over rows",
        rests_on=("gap_row", "g"),
    ),
    Lemma(
        "diag_cost_at_most_construction",
        le(c_diag, d * Ln / g),
        "c_diag is a minimum over eps-diagonal W; W = (L_n/g) I is one and ||W||_* = d L_n/g",
        rests_on=("c_diag", "d"),
        requires=(ge(id_margin, Ln), gt(g, 0)),
        theorems=("T1.a",),
    ),
    # -- T5: diagonal patterns -------------------------------------------------------------------
    Lemma(
        "diagonal_deviation_triangle",
        le(out_dev, rest_row * spread),
        "y_i - v_i = sum_{j!=i} A_ij (v_j - v_i) (rows sum to 1) and the triangle inequality",
        rests_on=("out_dev = ||y_i - v_i||", "rest_row = 1 - A_ii", "spread"),
        symbolic=_triangle_sq,
    ),
    Lemma(
        "row_rest_at_most_max",
        le(rest_row, rest_max),
        "definition of rest_max = max_i (1 - A_ii)",
        rests_on=("rest_row", "rest_max"),
    ),
    Lemma(
        "spread_nonnegative",
        ge(spread, 0),
        "a maximum of norms is >= 0",
        rests_on=("spread",),
    ),
    Lemma(
        "spread_at_most_two_radius",
        le(spread, 2 * R),
        "||v_j - v_i|| <= ||v_j|| + ||v_i|| <= 2R (triangle inequality)",
        rests_on=("spread", "R = max_j ||v_j||"),
        symbolic=_triangle_sq,
    ),
    Lemma(
        "jacobian_triangle",
        le(jac_norm, attn * wv_norm + attn * value_gap * query_gain),
        "T5.b's formula, the triangle inequality for ||.||_2, ||W_V^T||_2 = ||W_V||_2 and "
        "||a b^T||_2 = ||a|| ||b|| (rank one)",
        rests_on=("jac_norm", "attn = A_ij", "wv_norm", "value_gap", "query_gain"),
        theorems=("T5.b",),
        symbolic=_rank_one_fro,
    ),
    Lemma(
        "cross_weight_at_most_rest",
        le(attn, rest_max),
        "for j != i: A_ij <= 1 - A_ii <= rest_max; " + _SOFTMAX,
        rests_on=("attn", "rest_max"),
        requires=(eq(competitor, 1),),
    ),
    Lemma("attn_nonnegative", ge(attn, 0), _SOFTMAX, rests_on=("attn",)),
    Lemma("wv_norm_nonnegative", ge(wv_norm, 0), "a norm", rests_on=("wv_norm",)),
    Lemma("value_gap_nonnegative", ge(value_gap, 0), "a norm", rests_on=("value_gap",)),
    Lemma("query_gain_nonnegative", ge(query_gain, 0), "a norm", rests_on=("query_gain",)),
    # -- T6: depth -------------------------------------------------------------------------------
    Lemma(
        "mu_reverse_triangle",
        ge(mu_next, mu_prev - update_centered),
        "mu(X + Y) = ||X~ + Y~||_F >= ||X~||_F - ||Y~||_F (triangle inequality for ||.||_F)",
        rests_on=("mu_next", "mu_prev", "update_centered = ||(I - J) Y||_F"),
        settings=("residual stack",),
    ),
    Lemma(
        "centering_contracts_update",
        le(update_centered, update_fro),
        "I - J is an orthogonal projection: ||(I - J) Y||_F <= ||Y||_F",
        rests_on=("update_centered", "update_fro = ||Y||_F"),
        symbolic=_centering_projection,
    ),
    Lemma(
        "sink_layer_update_rows",
        le(update_fro, sp.sqrt(n) * eps_l * R_l),
        "each row ||y_i|| <= (1 - A_is) R_l <= eps_l R_l (T2.b with v_s = 0), so ||Y||_F <= sqrt(n) eps_l R_l",
        rests_on=("update_fro", "eps_l", "R_l"),
        settings=("zero-value sink",),
        theorems=("T2.b",),
    ),
    Lemma(
        "diagonal_layer_split",
        ge(mu_next, xm_norm - err_centered),
        "X + A X W_V = X (I + W_V) + (A - I) X W_V, then the triangle inequality for ||(I - J) .||_F",
        rests_on=(
            "mu_next",
            "xm_norm = ||X~ (I + W_V)||_F",
            "err_centered = ||(I - J)(A - I) V||_F",
        ),
        settings=("residual stack",),
    ),
    Lemma(
        "least_singular_value_bound",
        ge(xm_norm, sigma_min_v * mu_prev),
        "||X~ M||_F >= sigma_min(M) ||X~||_F (row by row: ||M^T x|| >= sigma_min(M) ||x||)",
        rests_on=("xm_norm", "sigma_min_v", "mu_prev"),
    ),
    Lemma(
        "centering_contracts_error",
        le(err_centered, err_fro),
        "I - J is an orthogonal projection",
        rests_on=("err_centered", "err_fro = ||(A - I) V||_F"),
        symbolic=_centering_projection,
    ),
    Lemma(
        "diagonal_layer_error_rows",
        le(err_fro, 2 * sp.sqrt(n) * eps_l * R_l),
        "row i of (A - I) V is y_i - v_i, of norm <= 2 eps_l R_l (T5.a), so ||(A - I) V||_F <= 2 sqrt(n) eps_l R_l",
        rests_on=("err_fro", "eps_l", "R_l"),
        theorems=("T5.a",),
    ),
    Lemma(
        "dobrushin_pair_bound",
        le(diam_next, mass_diff * diam_prev),
        "y_a - y_b = sum_{j,k} (p_j q_k / P)(x_j - x_k) with p, q the positive and negative parts of "
        "a - b and P = sum_j p_j (an identity), so ||y_a - y_b|| <= P diam(X)",
        rests_on=("diam_next", "diam_prev", "mass_diff = max_{a,b} sum_j (A_aj - A_bj)_+"),
        symbolic=_dobrushin_identity,
    ),
    Lemma(
        "dobrushin_mass_bound",
        le(mass_diff, one_minus_tau),
        "sum_j (a_j - b_j)_+ = 1 - sum_j min(a_j, b_j) <= 1 - n (tau/n) when every entry is >= tau/n",
        rests_on=("mass_diff", "one_minus_tau = 1 - n min_ij A_ij"),
    ),
    Lemma(
        "dobrushin_is_pair_mass",
        eq(dobrushin, mass_diff),
        "rows a, b summing to 1: sum_j (a_j - b_j)_+ = 1 - sum_j min(a_j, b_j), so delta(A) = 1 - "
        "min_{a,b} sum_j min(A_aj, A_bj) = max_{a,b} sum_j (A_aj - A_bj)_+ (a definition)",
        rests_on=("dobrushin = delta(A) = 1 - min_{i,k} sum_j min(A_ij, A_kj)", "mass_diff"),
        symbolic=_dobrushin_two_forms,
    ),
    Lemma(
        "contraction_factor_nonnegative",
        ge(one_minus_tau, 0),
        "tau = n min_ij A_ij <= sum_j A_ij = 1 (rows sum to 1), so 1 - tau >= 0",
        rests_on=("one_minus_tau",),
    ),
    Lemma("diameter_nonnegative", ge(diam_prev, 0), "a maximum of norms", rests_on=("diam_prev",)),
)

LEMMAS: dict[str, Lemma] = {lem.id: lem for lem in LEMMAS_LIST}
assert len(LEMMAS) == len(LEMMAS_LIST), "duplicate lemma id"
