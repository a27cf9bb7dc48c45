r"""Kernel proofs for T4 (the cost of a sink versus a diagonal pattern), in general: each bound from
the definition of the optimum (a minimum over feasible ``W``), T1.a/T1.d for feasibility and the
margins, Cauchy–Schwarz and Hölder's inequality for Schatten norms."""

from __future__ import annotations

from theory.kernel import Cite, Combine, Hyp, Product, Proof, Subst, Use, eq, ge, gt, le, lt
from theory.lemmas import (
    L1,
    Ln,
    c_diag,
    c_scale,
    c_sink,
    d,
    eps,
    g,
    gamma_u,
    gamma_v,
    gap_row,
    id_margin,
    n,
    opt_margin,
    opt_pair_quad,
    opt_pairing,
    pair_dist_min_sq,
    rest_sink_construction,
    sigma_max_sq,
    sink_pair_min,
)
from theory.proofs import TheoremProof
from theory.proofs.sinks import HALF, l1_positive, ln_nonnegative, n_minus_one_positive

_U = Ln / (gamma_u * gamma_v)  # T4.a's bound
_D = L1 * (n - 1) / sigma_max_sq  # T4.c's bound (pair-sum form)
_RATIO = (n - 1) * L1 * gamma_u * gamma_v / (Ln * sigma_max_sq)

_T4A_STEPS = (
    Hyp("gu", gt(gamma_u, 0)),
    Hyp("gv", gt(gamma_v, 0)),
    Hyp("eps_half", lt(eps, HALF)),
    Cite(
        "feasible",
        le(rest_sink_construction, eps),
        "T1.d",
        0,
        premises=("gu", "gv", "eps_half"),
        rename={"rest": "rest_sink_construction"},
    ),
    Use("below", le(c_sink, c_scale), "sink_cost_at_most_construction", premises=("feasible",)),
    Use("c_def", eq(c_scale, _U), "construction_scale"),
    Subst("t4a", le(c_sink, _U), "below", "c_def"),
)

_T4B = Proof(
    (
        Hyp("p_pos", gt(sink_pair_min, 0)),
        Use("m_ge", ge(opt_margin, L1), "optimal_margin_single_rival"),
        Use("m_le", le(opt_margin, c_sink * sink_pair_min), "margin_at_most_nuclear_times_pair"),
        Product("inv_p", gt(1 / sink_pair_min, 0), (("p_pos", -1),)),
        Combine("goal", ge(c_sink, L1 / sink_pair_min), (("inv_p", "m_le"), ("inv_p", "m_ge"))),
    )
)


def _diag_lower(prefix: str = "") -> tuple:
    p = prefix
    return (
        Hyp(f"{p}sig", gt(sigma_max_sq, 0)),
        Use(f"{p}pair", ge(opt_pairing, (n - 1) * L1), "pair_sum_at_least"),
        Use(f"{p}holder", le(opt_pairing, c_diag * sigma_max_sq), "holder_nuclear_spectral"),
        Product(f"{p}inv_s", gt(1 / sigma_max_sq, 0), ((f"{p}sig", -1),)),
        Combine(
            f"{p}t4c",
            ge(c_diag, _D),
            ((f"{p}inv_s", f"{p}holder"), (f"{p}inv_s", f"{p}pair")),
        ),
    )


_T4C_PAIR = Proof(
    (
        Hyp("q_pos", gt(pair_dist_min_sq, 0)),
        Use("q_ge", ge(opt_pair_quad, 2 * L1), "closest_pair_quadratic_at_least"),
        Use("q_le", le(opt_pair_quad, c_diag * pair_dist_min_sq), "closest_pair_quadratic_at_most"),
        Product("inv_q", gt(1 / pair_dist_min_sq, 0), (("q_pos", -1),)),
        Combine(
            "goal", ge(c_diag, 2 * L1 / pair_dist_min_sq), (("inv_q", "q_le"), ("inv_q", "q_ge"))
        ),
    )
)

_T4D = Proof(
    (
        Hyp("g_pos", gt(g, 0)),
        Hyp("eps_half", lt(eps, HALF)),
        *ln_nonnegative(),
        Use(
            "m_def",
            eq(id_margin, (Ln / g) * gap_row),
            "scaled_identity_row_margin",
            premises=("g_pos", "Ln"),
        ),
        Use("gap", ge(gap_row, g), "gap_at_least_g"),
        Product("scale", ge(Ln / g, 0), ("Ln", ("g_pos", -1))),
        Combine("m_ge", ge(id_margin, Ln), (("scale", "gap"), (1, "m_def"))),
        Use(
            "goal",
            le(c_diag, d * Ln / g),
            "diag_cost_at_most_construction",
            premises=("m_ge", "g_pos"),
        ),
    )
)

_T4E_CHEAPER = Proof(
    (
        *_T4A_STEPS,
        *_diag_lower(),
        Hyp("cond", le(Ln * sigma_max_sq, (n - 1) * L1 * gamma_u * gamma_v)),
        Product(
            "w",
            gt(1 / (sigma_max_sq * gamma_u * gamma_v), 0),
            (("sig", -1), ("gu", -1), ("gv", -1)),
        ),
        # c_diag - c_sink = (c_diag - D) + (D - U) + (U - c_sink), D - U = cond / (sigma^2 gamma_u gamma_v)
        Combine("goal", le(c_sink, c_diag), ((1, "t4c"), ("w", "cond"), (1, "t4a"))),
    )
)

_T4E_RATIO = Proof(
    (
        *_T4A_STEPS,
        *_diag_lower(),
        *ln_nonnegative(),
        *l1_positive(),
        *n_minus_one_positive("k_"),
        Product("r_nn", ge(_RATIO, 0), ("k_n1", "L1", "gu", "gv", ("Ln", -1), ("sig", -1))),
        # c_diag - r c_sink = (c_diag - D) + r (U - c_sink), as r U = D
        Combine("lin", ge(c_diag - _RATIO * c_sink, 0), ((1, "t4c"), ("r_nn", "t4a"))),
        Use("cs_pos", gt(c_sink, 0), "sink_cost_positive", premises=("eps_half",)),
        Product("inv_cs", gt(1 / c_sink, 0), (("cs_pos", -1),)),
        Combine("goal", ge(c_diag / c_sink, _RATIO), (("inv_cs", "lin"),)),
    )
)

PROOFS = (
    TheoremProof("T4.a", 0, Proof(_T4A_STEPS)),
    TheoremProof("T4.b", 0, _T4B),
    TheoremProof("T4.c", 0, Proof(_diag_lower())),
    TheoremProof("T4.c", 1, _T4C_PAIR),
    TheoremProof("T4.d", 0, _T4D),
    TheoremProof("T4.e", 0, _T4E_CHEAPER),
    TheoremProof("T4.e", 1, _T4E_RATIO),
)
