r"""Kernel proofs for T3 (when dense attention smooths more): T3.a and T3.d on the symbolic instance
``n = 3``, ``d = 2`` (every entry of ``X``, ``A``, ``B``, ``V``, ``alpha`` free); T3.b and T3.c at the
level of the observables, from T3.a (so no stronger than T3.a).

T3.e is T3.a at ``alpha = 1`` (the lemma ``endpoint_identity``, resting on T3.a): its "if" and
"only if" directions, and those for ``B = I``, are one :class:`~theory.kernel.Combine` each, so no
stronger than T3.a; its sink conclusions rest on ``(I - J) 1 = 0`` and the expansion of a square
only, and are PROVED. (The conclusions are stated in ``f = mu^2``: no square root is needed.)
T3.f clears the positive denominators of ``nu = mu^2 / ||.||_F^2`` with Pythagoras ``||Y||_F^2 = mu^2
+ n ||y_bar||^2`` in one Combine whose weight is a product of facts. T3.g needs no case split on
the sign of ``rho``: ``(rho + s) - rho S = (1 + s - S) + (1 - rho)(S - 1)`` with ``1 <= S <= 1 + s``
(AM-GM), ``rho <= 1``.
"""

from __future__ import annotations

import sympy as sp

from theory import smoothing as T3
from theory.kernel import Combine, Hyp, Identity, Monotone, Product, Proof, Use, eq, ge, gt, le, lt
from theory.lemmas import (
    ANGLE_NUMERATOR,
    ANGLE_P,
    ANGLE_Q,
    ANGLE_S,
    cos_after,
    cos_before,
    diagonal_endpoint,
    dual_i,
    dual_j,
    endpoint_margin,
    f_alpha,
    f_one,
    f_witness,
    f_zero,
    lin_neg,
    lin_pos,
    margin_min,
    mean_dense,
    mean_sparse,
    mu_dense,
    mu_sparse,
    mu_sq_x,
    n,
    norm_sq_dense,
    norm_sq_sparse,
    nu_dense,
    nu_lhs,
    nu_rhs,
    nu_sparse,
    q_edge,
    q_unif,
    quad_term,
    sink_update_change,
    t_star,
    t_unif,
    t_unif_star,
    token_norm_sq,
    uniform_margin,
    update_norm_sq,
)
from theory.proofs import TheoremProof

_INSTANCE = "n = 3 tokens, d = 2, every entry of X, A, B, V and alpha a free symbol"

# -- T3.a on the symbolic instance -----------------------------------------------------------------

_T3A_GOAL = eq(T3._f(T3._alpha) - T3._f(T3._zeros), 2 * T3._lin + T3._quad)
_beta = sp.symbols("beta1:4", real=True)
_mid = tuple((a + b) / 2 for a, b in zip(T3._alpha, _beta, strict=True))
_half_diff = tuple((a - b) / 2 for a, b in zip(T3._alpha, _beta, strict=True))
_T3A_MID_GOAL = eq(
    T3._f(T3._alpha) + T3._f(_beta),
    2 * T3._f(_mid) + 2 * T3._frobenius_sq(T3._P * sp.diag(*_half_diff) * T3._Delta),
)

_T3A = (
    TheoremProof(
        "T3.a",
        0,
        Proof((Identity("identity", _T3A_GOAL),), instance=_INSTANCE),
        goal=_T3A_GOAL,
        goal_text="f(alpha) - f(0) = 2 sum_i alpha_i <z_i, delta_i> + ||(I - J) D_alpha Delta||_F^2",
    ),
    TheoremProof(
        "T3.a",
        1,
        Proof((Identity("midpoint", _T3A_MID_GOAL),), instance=_INSTANCE),
        goal=_T3A_MID_GOAL,
        goal_text="f(alpha) + f(beta) = 2 f((alpha + beta)/2) + 2 ||(I - J) D_{(alpha - beta)/2} Delta||_F^2",
    ),
)

# -- T3.b / T3.c ---------------------------------------------------------------------------------


def _witness(prefix: str, witness_lemma: str, step_pos: str, step_root: str, m, t, q, hyp_rel):
    """``f_witness < f_zero`` from ``f_w = f_0 + 2 t m + t^2 q``, ``t > 0``, ``t q <= -m``, ``m < 0``:
    ``f_0 - f_w = t (-m) + t (-m - t q)``."""
    return (
        Hyp("neg", hyp_rel),
        Use("wit", eq(f_witness, f_zero + 2 * t * m + t**2 * q), witness_lemma),
        Use("t_pos", gt(t, 0), step_pos, premises=("neg",)),
        Use("root", ge(-m - t * q, 0), step_root, premises=("neg",)),
        Combine(
            "goal",
            lt(f_witness, f_zero),
            (("t_pos", "neg"), ("t_pos", "root"), (-1, "wit")),
        ),
    )


_T3B = (
    TheoremProof(
        "T3.b",
        0,
        Proof(
            (
                Hyp("m_nn", ge(margin_min, 0)),
                Use(
                    "t3a",
                    eq(f_alpha + 2 * lin_neg, f_zero + 2 * lin_pos + quad_term),
                    "sparsification_identity",
                ),
                Use("neg0", eq(lin_neg, 0), "negative_part_vanishes", premises=("m_nn",)),
                Use("lp", ge(lin_pos, 0), "linear_part_nonnegative"),
                Use("qt", ge(quad_term, 0), "quadratic_part_nonnegative"),
                Combine(
                    "goal",
                    ge(f_alpha, f_zero),
                    ((1, "t3a"), (-2, "neg0"), (2, "lp"), (1, "qt")),
                ),
            )
        ),
    ),
    TheoremProof(
        "T3.b",
        1,
        Proof(
            _witness(
                "",
                "edge_witness_value",
                "edge_step_positive",
                "edge_step_below_root",
                margin_min,
                t_star,
                q_edge,
                lt(margin_min, 0),
            )
        ),
    ),
)

_T3C = (
    TheoremProof(
        "T3.c",
        0,
        Proof(
            (
                Hyp("u_nn", ge(uniform_margin, 0)),
                Use(
                    "probe",
                    eq(f_alpha, f_zero + 2 * t_unif * uniform_margin + t_unif**2 * q_unif),
                    "uniform_probe_value",
                ),
                Use("t_nn", ge(t_unif, 0), "uniform_probe_in_unit_interval"),
                Use("q_nn", ge(q_unif, 0), "uniform_curvature_nonnegative"),
                Product("t_sq", ge(t_unif**2, 0), (("t_nn", 2),)),
                Combine(
                    "goal",
                    ge(f_alpha, f_zero),
                    ((1, "probe"), ((2, "t_nn"), "u_nn"), ("t_sq", "q_nn")),
                ),
            )
        ),
    ),
    TheoremProof(
        "T3.c",
        1,
        Proof(
            _witness(
                "",
                "uniform_witness_value",
                "uniform_step_positive",
                "uniform_step_below_root",
                uniform_margin,
                t_unif_star,
                q_unif,
                lt(uniform_margin, 0),
            )
        ),
    ),
)

# -- T3.d on the symbolic instance -----------------------------------------------------------------

_T3D_SINK_GOAL = eq(
    T3._weighted_rows(lambda i: T3._rows_ip(T3._Z_sink, T3._Delta_sink, i)),
    -T3._weighted_rows(lambda i: T3._rows_ip(T3._Z_sink, T3._AV_sink, i)),
)
_T3D_DIAG_GOAL = eq(
    T3._weighted_rows(lambda i: T3._rows_ip(T3._Z_diag, T3._Delta_diag, i)),
    T3._weighted_rows(lambda i: T3._rows_ip(T3._Z_diag, T3._V - T3._A * T3._V, i)),
)
_T3D_INSTANCE = _INSTANCE + "; sink s = 1 with v_1 = 0, or B = I; rows weighted by a generic tau"

_T3D = (
    TheoremProof(
        "T3.d",
        0,
        Proof((Identity("sink", _T3D_SINK_GOAL),), instance=_T3D_INSTANCE),
        goal=_T3D_SINK_GOAL,
        goal_text="sum_i tau_i <z_i, delta_i> = -sum_i tau_i <z_i, a_i> (zero-value sink)",
    ),
    TheoremProof(
        "T3.d",
        1,
        Proof((Identity("diag", _T3D_DIAG_GOAL),), instance=_T3D_INSTANCE),
        goal=_T3D_DIAG_GOAL,
        goal_text="sum_i tau_i <z_i, delta_i> = sum_i tau_i <z_i, v_i - a_i> (diagonal)",
    ),
)

# -- T3.e: the endpoint alpha = 1 (T3.a at alpha = 1; the sink case from (I - J) 1 = 0) ----------

_SINK = eq(T3.sink_target, 1)
_DIAG = eq(T3.target_kind, T3.TARGET_DIAGONAL)


def _endpoint(margin_hyp, goal, sign: int, *, diagonal: bool = False) -> Proof:
    """``f(1) - f(0) = endpoint margin`` (T3.a at ``alpha = 1``): the sign of the margin is the sign of
    ``f(1) - f(0)``; for ``B = I`` the margin is ``diagonal_endpoint`` (``Delta = V - AV``)."""
    steps: tuple = (Hyp("margin", margin_hyp),)
    terms: tuple = ((1, "margin"), (sign, "t3a"))
    if diagonal:
        steps = (
            Hyp("diag", _DIAG),
            *steps,
            Use(
                "dm",
                eq(diagonal_endpoint, endpoint_margin),
                "diagonal_endpoint_margin",
                premises=("diag",),
            ),
        )
        terms = (*terms, (-sign, "dm"))
    return Proof(
        (
            *steps,
            Use("t3a", eq(f_one, f_zero + endpoint_margin), "endpoint_identity"),
            Combine("goal", goal, terms),
        )
    )


def _sink_side(change_hyp, goal, sign: int) -> Proof:
    """Sink target: ``f(1) = mu(X)^2`` ((I - J) 1 = 0) and ``f(0) = mu(X)^2 + change`` (expanding the
    square), so ``f(0) - f(1) = change``."""
    return Proof(
        (
            Hyp("sink", _SINK),
            Hyp("change", change_hyp),
            Use("f1", eq(f_one, mu_sq_x), "sink_target_leaves_mu", premises=("sink",)),
            Use("f0", eq(f_zero, mu_sq_x + sink_update_change), "dense_update_expansion"),
            Combine("goal", goal, ((1, "change"), (sign, "f0"), (-sign, "f1"))),
        )
    )


_T3E = (
    TheoremProof("T3.e", 0, _endpoint(ge(endpoint_margin, 0), ge(f_one, f_zero), 1)),
    TheoremProof("T3.e", 1, _endpoint(lt(endpoint_margin, 0), lt(f_one, f_zero), -1)),
    TheoremProof(
        "T3.e",
        2,
        Proof(
            (
                Hyp("sink", _SINK),
                Use("goal", eq(f_one, mu_sq_x), "sink_target_leaves_mu", premises=("sink",)),
            )
        ),
    ),
    TheoremProof("T3.e", 3, _sink_side(le(sink_update_change, 0), le(f_zero, f_one), -1)),
    TheoremProof("T3.e", 4, _sink_side(gt(sink_update_change, 0), gt(f_zero, f_one), 1)),
    TheoremProof(
        "T3.e",
        5,
        _endpoint(ge(diagonal_endpoint, 0), ge(f_one, f_zero), 1, diagonal=True),
    ),
    TheoremProof(
        "T3.e",
        6,
        _endpoint(lt(diagonal_endpoint, 0), lt(f_one, f_zero), -1, diagonal=True),
    ),
)

# -- T3.f: nu = mu^2 / ||.||_F^2, Pythagoras, the positive denominators cleared ----------------------

_SPARSE = {
    "nu_dense": "nu_sparse",
    "norm_sq_dense": "norm_sq_sparse",
    "mu_dense": "mu_sparse",
    "mean_dense": "mean_sparse",
}


def _scale_free(strict: bool) -> Proof:
    r"""With ``M = mu^2``, ``F = ||.||_F^2 = M + n b^2`` (``b`` the mean row's norm) and ``nu F = M``:

    ``nu_s - nu_d = n (mu_s b_d - mu_d b_s)(mu_s b_d + mu_d b_s) / (F_d F_s)
    + E_s / F_s - E_d / F_d + (M_s P_d - M_d P_s) / (F_d F_s)``

    (``E``: the definitions of ``nu``, ``P``: Pythagoras, all equations): one combination whose
    inequality weight ``n (mu_s b_d + mu_d b_s) F_d^{-1} F_s^{-1}`` is a product of facts."""
    md, ms, bd, bs = mu_dense, mu_sparse, mean_dense, mean_sparse
    Fd, Fs = norm_sq_dense, norm_sq_sparse
    flip = -1 if strict else 1  # strict: the goal is nu_d - nu_s > 0
    p1 = (
        Use("ms_nn", ge(ms, 0), "mu_nonnegative", rename=_SPARSE),
        Use("bd_nn", ge(bd, 0), "mean_norm_nonnegative"),
        Product("p1", ge(ms * bd, 0), ("ms_nn", "bd_nn")),
    )
    if strict:  # mu_s b_d + mu_d b_s = (mu_d b_s - mu_s b_d) + 2 mu_s b_d > 0
        hyp = gt(nu_lhs, nu_rhs)
        gap = gt(md * bs - ms * bd, 0)
        weight_sum = (*p1, Combine("sum", gt(ms * bd + md * bs, 0), ((1, "gap"), (2, "p1"))))
        n_fact = Combine("n_pos", gt(n, 0), ((1, "two"),))
        goal = gt(nu_dense, nu_sparse)
    else:
        hyp = le(nu_lhs, nu_rhs)
        gap = ge(ms * bd - md * bs, 0)
        weight_sum = (
            *p1,
            Use("md_nn", ge(md, 0), "mu_nonnegative"),
            Use("bs_nn", ge(bs, 0), "mean_norm_nonnegative", rename=_SPARSE),
            Product("p2", ge(md * bs, 0), ("md_nn", "bs_nn")),
            Combine("sum", ge(ms * bd + md * bs, 0), ((1, "p1"), (1, "p2"))),
        )
        n_fact = Combine("n_pos", ge(n, 0), ((1, "two"),))
        goal = le(nu_dense, nu_sparse)
    w = 1 / (Fd * Fs)
    return Proof(
        (
            Hyp("Fd_pos", gt(Fd, 0)),
            Hyp("Fs_pos", gt(Fs, 0)),
            Hyp("cmp", hyp),
            Use("lhs", eq(nu_lhs, md * bs), "nu_lhs_definition"),
            Use("rhs", eq(nu_rhs, ms * bd), "nu_rhs_definition"),
            Combine("gap", gap, ((1, "cmp"), (flip, "lhs"), (-flip, "rhs"))),
            Use("nu_d", eq(nu_dense * Fd, md**2), "nu_definition"),
            Use("nu_s", eq(nu_sparse * Fs, ms**2), "nu_definition", rename=_SPARSE),
            Use("py_d", eq(Fd, md**2 + n * bd**2), "frobenius_pythagoras"),
            Use("py_s", eq(Fs, ms**2 + n * bs**2), "frobenius_pythagoras", rename=_SPARSE),
            *weight_sum,
            Use("two", ge(n, 2), "at_least_two_tokens"),
            n_fact,
            Product("inv_d", gt(1 / Fd, 0), (("Fd_pos", -1),)),
            Product("inv_s", gt(1 / Fs, 0), (("Fs_pos", -1),)),
            Combine(
                "goal",
                goal,
                (
                    ((1, "n_pos", "sum", "inv_d", "inv_s"), "gap"),
                    (flip / Fs, "nu_s"),
                    (-flip / Fd, "nu_d"),
                    (flip * ms**2 * w, "py_d"),
                    (-flip * md**2 * w, "py_s"),
                ),
            ),
        )
    )


_T3F = (
    TheoremProof("T3.f", 0, _scale_free(strict=False)),
    TheoremProof("T3.f", 1, _scale_free(strict=True)),
)

# -- T3.g: no case split: (rho + s) - rho S = (1 + s - S) + (1 - rho)(S - 1), 1 <= S <= 1 + s ------


def _angular() -> Proof:
    r"""Scale-free (divided by ``r^2 = ||x_i||^2``): ``a, b, k >= 0``, ``p = 1 + 2a + k``, ``q = 1 + 2b
    + k``, ``S = sqrt(p q)``, ``s = a + b + k``. ``p q - 1 = (2a + k) q + (2b + k) >= 0`` gives
    ``S >= 1``; AM-GM gives ``S <= (p + q)/2 = 1 + s``; and ``cos_after S = rho + s``, so

    ``cos_after - rho = (cos_after S - rho - s)/S + (1 + s - S)/S + (1 - rho)(S - 1)/S``

    with ``rho = cos(x_i, x_j) <= 1``. (THEORY.md's sketch splits on the sign of ``rho``; the kernel
    has no case rule, and the split is not needed.)"""
    r2, k = token_norm_sq, update_norm_sq
    a, b, kk = dual_i / r2, dual_j / r2, k / r2
    return Proof(
        (
            Hyp("di", ge(dual_i, 0)),
            Hyp("dj", ge(dual_j, 0)),
            Use("r2_pos", gt(r2, 0), "token_norm_sq_positive"),
            Use("k_nn", ge(k, 0), "update_norm_sq_nonnegative"),
            Use("rho_le", le(cos_before, 1), "cosine_at_most_one"),
            Use("cos", eq(cos_after * ANGLE_S, ANGLE_NUMERATOR), "cosine_after_common_update"),
            Product("inv_r2", gt(1 / r2, 0), (("r2_pos", -1),)),
            Product("a_nn", ge(a, 0), ("di", "inv_r2")),
            Product("b_nn", ge(b, 0), ("dj", "inv_r2")),
            Product("k_r", ge(kk, 0), ("k_nn", "inv_r2")),
            Combine("u", ge(2 * a + kk, 0), ((2, "a_nn"), (1, "k_r"))),
            Combine("v", ge(2 * b + kk, 0), ((2, "b_nn"), (1, "k_r"))),
            Combine("p_nn", ge(ANGLE_P, 0), ((1, "u"),)),
            Combine("q_nn", ge(ANGLE_Q, 0), ((1, "v"),)),
            # p q - 1 = (2a + k) q + (2b + k)
            Combine("pq", ge(ANGLE_P * ANGLE_Q, 1), (("u", "q_nn"), (1, "v"))),
            Combine("one", ge(sp.Integer(1), 0), ()),
            Monotone("S_ge", ge(ANGLE_S, 1), "sqrt", "pq", "one"),
            Use(
                "amgm",
                le(ANGLE_S, (ANGLE_P + ANGLE_Q) / 2),
                "am_gm",
                {"a": ANGLE_P, "b": ANGLE_Q},
                ("p_nn", "q_nn"),
            ),
            Combine("S_pos", gt(ANGLE_S, 0), ((1, "S_ge"),)),
            Product("inv_S", gt(1 / ANGLE_S, 0), (("S_pos", -1),)),
            Combine(
                "goal",
                ge(cos_after, cos_before),
                ((1 / ANGLE_S, "cos"), ("inv_S", "amgm"), ((1, "inv_S", "rho_le"), "S_ge")),
            ),
        )
    )


_T3G = (TheoremProof("T3.g", 0, _angular()),)

PROOFS = (*_T3A, *_T3B, *_T3C, *_T3D, *_T3E, *_T3F, *_T3G)
