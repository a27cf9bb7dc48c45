r"""Kernel proofs for T1 (the geometry of sinks): T1.a, T1.d, T1.e in general; T1.b, T1.c, T1.f per
sampled instance by exact certificates."""

from __future__ import annotations

import sympy as sp

from theory import sinks as T1
from theory.kernel import (
    Cite,
    Combine,
    Hyp,
    Monotone,
    Product,
    Proof,
    Subst,
    Use,
    eq,
    ge,
    gt,
    le,
    lt,
)
from theory.lemmas import (
    L1,
    Ln,
    attn_jj,
    attn_js,
    attn_sj,
    attn_ss,
    c_scale,
    competitor,
    eps,
    fro_norm,
    gamma_u,
    gamma_v,
    ip_js,
    log_odds,
    margin,
    n,
    nj2,
    ns2,
    rest,
    rest_max,
    rival_max,
    rival_sum,
    ux_row,
    vd_min,
)
from theory.proofs import ExactPerInstance, TheoremProof

HALF = sp.Rational(1, 2)


def n_minus_one_positive(prefix: str = "") -> tuple:
    """``n - 1 > 0`` from ``n >= 2`` (two steps)."""
    return (
        Use(f"{prefix}n2", ge(n, 2), "at_least_two_tokens"),
        Combine(f"{prefix}n1", gt(n - 1, 0), ((1, f"{prefix}n2"),)),
    )


def rival_max_positive(prefix: str = "") -> tuple:
    return (
        Use(f"{prefix}rm_def", eq(rival_max, sp.exp(-margin)), "rival_max_is_exp_minus_margin"),
        Use(f"{prefix}exp_pos", gt(sp.exp(-margin), 0), "exp_positive", {"x": -margin}),
        Subst(f"{prefix}rm_pos", gt(rival_max, 0), f"{prefix}exp_pos", f"{prefix}rm_def"),
    )


# T1.a, conclusion 1: log(A_is/(1 - A_is)) >= m - log(n - 1)
_T1A_SUFFICIENT = Proof(
    (
        Use("lo", eq(log_odds, -sp.log(rival_sum)), "log_odds_is_minus_log_rival_sum"),
        Use("sum_le", le(rival_sum, (n - 1) * rival_max), "sum_at_most_count_times_max"),
        Use("sum_pos", gt(rival_sum, 0), "rival_sum_positive"),
        Monotone(
            "log_le", ge(sp.log((n - 1) * rival_max), sp.log(rival_sum)), "log", "sum_le", "sum_pos"
        ),
        *n_minus_one_positive(),
        *rival_max_positive(),
        Use(
            "split",
            eq(sp.log((n - 1) * rival_max), sp.log(n - 1) + sp.log(rival_max)),
            "log_mul",
            {"a": n - 1, "b": rival_max},
            ("n1", "rm_pos"),
        ),
        Monotone("log_rm", eq(sp.log(rival_max), -margin), "log", "rm_def", "exp_pos"),
        Combine(
            "split_m",
            eq(sp.log((n - 1) * rival_max), sp.log(n - 1) - margin),
            ((1, "split"), (1, "log_rm")),
        ),
        Combine(
            "goal",
            ge(log_odds, margin - sp.log(n - 1)),
            ((1, "log_le"), (1, "lo"), (-1, "split_m")),
        ),
    )
)

# T1.a, conclusion 2: m >= log(A_is/(1 - A_is))
_T1A_NECESSARY = Proof(
    (
        Use("lo", eq(log_odds, -sp.log(rival_sum)), "log_odds_is_minus_log_rival_sum"),
        Use("sum_ge", ge(rival_sum, rival_max), "sum_at_least_max_term"),
        *rival_max_positive(),
        Monotone("log_ge", ge(sp.log(rival_sum), sp.log(rival_max)), "log", "sum_ge", "rm_pos"),
        Subst("log_ge_m", ge(sp.log(rival_sum), -margin), "log_ge", "rm_def"),
        Combine("goal", ge(margin, log_odds), ((1, "log_ge_m"), (-1, "lo"))),
    )
)


def ln_nonnegative(prefix: str = "", hyp: str = "eps_half") -> tuple:
    """``L_n(eps) > 0`` from ``eps < 1/2`` and ``n >= 2`` (the fact is named ``{prefix}Ln``)."""
    p = prefix
    return (
        Use(f"{p}e_pos", gt(eps, 0), "tolerance_positive"),
        Use(f"{p}e_lt1", lt(eps, 1), "tolerance_below_one"),
        Use(f"{p}n2", ge(n, 2), "at_least_two_tokens"),
        Product(f"{p}inv_e", gt(1 / eps, 0), ((f"{p}e_pos", -1),)),
        # (n-1)(1-eps)/eps - 1 = (1/eps) [ (1-eps)(n-2) + (1 - 2 eps) ]
        Product(f"{p}w", ge((1 - eps) / eps, 0), (f"{p}e_lt1", (f"{p}e_pos", -1))),
        Combine(
            f"{p}ratio",
            gt((n - 1) * (1 - eps) / eps, 1),
            (((1, f"{p}w"), f"{p}n2"), ((2, f"{p}inv_e"), hyp)),
        ),
        Combine(f"{p}one", gt(1, 0), ()),
        Monotone(f"{p}Ln", gt(Ln, 0), "log", f"{p}ratio", f"{p}one"),
    )


def l1_positive(prefix: str = "", hyp: str = "eps_half") -> tuple:
    """``L_1(eps) > 0`` from ``eps < 1/2``: ``(1 - eps)/eps - 1 = (2/eps)(1/2 - eps)``."""
    p = prefix
    return (
        Use(f"{p}e_pos1", gt(eps, 0), "tolerance_positive"),
        Product(f"{p}inv_e1", gt(1 / eps, 0), ((f"{p}e_pos1", -1),)),
        Combine(f"{p}odds1", gt((1 - eps) / eps, 1), (((2, f"{p}inv_e1"), hyp),)),
        Combine(f"{p}one1", gt(1, 0), ()),
        Monotone(f"{p}L1", gt(L1, 0), "log", f"{p}odds1", f"{p}one1"),
    )


def rest_below_eps_from_margin(prefix: str, margin_fact: str) -> tuple:
    """``rest <= eps`` from a fact ``margin >= L_n(eps)`` (T1.a, then exp and clearing denominators)."""
    p = prefix
    return (
        Cite(f"{p}t1a", ge(log_odds, margin - sp.log(n - 1)), "T1.a", 0),
        *n_minus_one_positive(p),
        Use(f"{p}e_pos", gt(eps, 0), "tolerance_positive"),
        Use(f"{p}e_lt1", lt(eps, 1), "tolerance_below_one"),
        Product(f"{p}odds_pos", gt((1 - eps) / eps, 0), (f"{p}e_lt1", (f"{p}e_pos", -1))),
        Use(
            f"{p}Ln_split",
            eq(Ln, sp.log(n - 1) + L1),
            "log_mul",
            {"a": n - 1, "b": (1 - eps) / eps},
            (f"{p}n1", f"{p}odds_pos"),
        ),
        Combine(
            f"{p}lo_L1",
            ge(log_odds, L1),
            ((1, f"{p}t1a"), (1, margin_fact), (1, f"{p}Ln_split")),
        ),
        Use(f"{p}lo_rest", eq(log_odds, sp.log((1 - rest) / rest)), "log_odds_of_rest"),
        Subst(f"{p}lr", ge(sp.log((1 - rest) / rest), L1), f"{p}lo_L1", f"{p}lo_rest"),
        Monotone(f"{p}odds", ge((1 - rest) / rest, (1 - eps) / eps), "exp", f"{p}lr"),
        Use(f"{p}r_pos", gt(rest, 0), "rest_positive"),
        Combine(
            f"{p}rest_le",
            le(rest, eps),
            (((1, f"{p}r_pos", f"{p}e_pos"), f"{p}odds"),),
        ),
    )


# T1.d, conclusion 1: 1 - A_is <= eps under W = c u* v*^T
_T1D_SINK = Proof(
    (
        Hyp("gu", gt(gamma_u, 0)),
        Hyp("gv", gt(gamma_v, 0)),
        Hyp("eps_half", lt(eps, HALF)),
        *ln_nonnegative(),
        Use("c_def", eq(c_scale, Ln / (gamma_u * gamma_v)), "construction_scale"),
        Product("c_expr", ge(Ln / (gamma_u * gamma_v), 0), ("Ln", ("gu", -1), ("gv", -1))),
        Subst("c_nn", ge(c_scale, 0), "c_expr", "c_def"),
        Use("ux", ge(ux_row, gamma_u), "halfspace_direction_attains_gamma_u"),
        Use("vd", ge(vd_min, gamma_v), "vertex_direction_attains_gamma_v"),
        Combine("vd_nn", ge(vd_min, 0), ((1, "vd"), (1, "gv"))),
        Use("m_def", eq(margin, c_scale * ux_row * vd_min), "rank_one_row_margin"),
        # margin - c gu gv = c vd (ux - gu) + c gu (vd - gv)
        Combine(
            "m_ge_cgg",
            ge(margin, c_scale * gamma_u * gamma_v),
            (((1, "c_nn", "vd_nn"), "ux"), ((1, "c_nn", "gu"), "vd"), (1, "m_def")),
        ),
        Subst("m_ge_Ln", ge(margin, Ln), "m_ge_cgg", "c_def"),
        *rest_below_eps_from_margin("r_", "m_ge_Ln"),
    )
)

_T1D_NORM = Proof((Use("fro", eq(fro_norm, c_scale), "rank_one_frobenius"),))


def _psd_row_inequality(
    prefix: str, big, small, ratio_lemma, big_lemma, small_lemma, small_pos_lemma, expo
):
    """From ``A_big >= 1 - rest_max``, ``A_small <= rest_max``, ``rest_max < 1/2`` and
    ``A_big/A_small = exp(expo)``: ``expo > 0``."""
    p = prefix
    return (
        Use(f"{p}big", ge(big, 1 - rest_max), big_lemma),
        Use(f"{p}small", le(small, rest_max), small_lemma, premises=("comp",)),
        Use(f"{p}small_pos", gt(small, 0), small_pos_lemma),
        # big - small >= 1 - 2 rest_max > 0
        Combine(f"{p}gap", gt(big - small, 0), ((1, f"{p}big"), (1, f"{p}small"), (2, "half"))),
        Product(f"{p}inv", gt(1 / small, 0), ((f"{p}small_pos", -1),)),
        Combine(f"{p}ratio_gt1", gt(big / small, 1), (((1, f"{p}inv"), f"{p}gap"),)),
        Combine(f"{p}one", gt(1, 0), ()),
        Monotone(f"{p}log", gt(sp.log(big / small), 0), "log", f"{p}ratio_gt1", f"{p}one"),
        Use(f"{p}ratio", eq(big / small, sp.exp(expo)), ratio_lemma),
        Subst(f"{p}expo", gt(expo, 0), f"{p}log", f"{p}ratio"),
    )


def _t1e_common() -> tuple:
    return (
        Hyp("half", lt(rest_max, HALF)),
        Hyp("comp", eq(competitor, 1)),
    )


_ROW_J = _psd_row_inequality(
    "j_",
    attn_js,
    attn_jj,
    "softmax_ratio_row_j",
    "sink_weight_at_least",
    "competitor_weight_at_most_row_j",
    "softmax_weight_positive_jj",
    ip_js - nj2,
)
_ROW_S = _psd_row_inequality(
    "s_",
    attn_ss,
    attn_sj,
    "softmax_ratio_row_s",
    "sink_own_weight_at_least",
    "competitor_weight_at_most_row_s",
    "softmax_weight_positive_sj",
    ns2 - ip_js,
)

_T1E_1 = Proof((*_t1e_common(), *_ROW_J, Combine("goal", gt(ip_js, nj2), ((1, "j_expo"),))))
_T1E_2 = Proof((*_t1e_common(), *_ROW_S, Combine("goal", gt(ns2, ip_js), ((1, "s_expo"),))))
_LONGER = (
    *_t1e_common(),
    *_ROW_J,
    *_ROW_S,
    Combine("sq", gt(ns2, nj2), ((1, "j_expo"), (1, "s_expo"))),
    Use("nj_nn", ge(nj2, 0), "psd_norm_nonnegative"),
    Monotone("longer", gt(sp.sqrt(ns2), sp.sqrt(nj2)), "sqrt", "sq", "nj_nn"),
)
_T1E_3 = Proof(_LONGER)
_T1E_4 = Proof(
    (
        *_LONGER,
        Hyp("nj_pos", gt(nj2, 0)),
        Combine("zero", ge(0, 0), ()),
        Monotone("rj_pos", gt(sp.sqrt(nj2), 0), "sqrt", "nj_pos", "zero"),
        Combine("rs_pos", gt(sp.sqrt(ns2), 0), ((1, "longer"), (1, "rj_pos"))),
        Product("w", gt(1 / (sp.sqrt(ns2) * sp.sqrt(nj2)), 0), (("rs_pos", -1), ("rj_pos", -1))),
        Combine(
            "goal",
            gt(ip_js / (sp.sqrt(ns2) * sp.sqrt(nj2)), sp.sqrt(nj2) / sp.sqrt(ns2)),
            (((1, "w"), "j_expo"),),
        ),
    )
)

PROOFS = (
    TheoremProof("T1.a", 0, _T1A_SUFFICIENT),
    TheoremProof("T1.a", 1, _T1A_NECESSARY),
    TheoremProof("T1.d", 0, _T1D_SINK),
    TheoremProof("T1.d", 1, _T1D_NORM),
    TheoremProof("T1.e", 0, _T1E_1),
    TheoremProof("T1.e", 1, _T1E_2),
    TheoremProof("T1.e", 2, _T1E_3),
    TheoremProof("T1.e", 3, _T1E_4),
)

_EXACT_NOTE = (
    "per instance, every relation of both sides proven in ball arithmetic on the exact (rational) "
    "tokens: gamma_u, gamma_v by exact minimum-norm points (0 exactly when 0 is in the hull), the "
    "LP optimum t* by a rounded primal W (lower bound) and an exact dual y (weak duality, upper "
    "bound; a Farkas certificate sum_k y_k g_k = 0 when t* = 0, so no W has every margin > 0). "
    "With t* > 0, W scaled by L_n(eps)/t* makes s an eps-sink for every eps (T1.a): (i), (ii); "
    "(iii) fails => no eps < 1/2 is reached (T1.a)"
)

EXACT = (
    ExactPerInstance(T1.SINK_GEOMETRY.id, "plain", ("farkas_convex_combination",), _EXACT_NOTE),
    ExactPerInstance(
        T1.SINK_GEOMETRY_CAUSAL.id, "causal", ("farkas_convex_combination",), _EXACT_NOTE
    ),
    ExactPerInstance(T1.SINK_KEY_BIAS.id, "key_bias", ("farkas_convex_combination",), _EXACT_NOTE),
)
