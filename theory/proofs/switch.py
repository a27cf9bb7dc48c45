r"""Kernel proofs for T2 (sinks are hard switches): T2.b, T2.c, T2.d in general (at the level of the
observables ``rest``, ``delta``, ``R``, ``||c_i||``); T2.a on a symbolic row of four tokens."""

from __future__ import annotations

import sympy as sp

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
)
from theory.lemmas import (
    R,
    R_zero,
    attn_weight,
    c_norm,
    conv_weight,
    conv_weight_sum,
    cz_norm,
    delta,
    delta_zero,
    eta,
    log_odds,
    margin,
    n,
    off_mass,
    out_norm,
    resid_norm,
    rest,
    rest_zero,
    sink_value_norm,
)
from theory.proofs import TheoremProof
from theory.proofs.sinks import n_minus_one_positive
from theory.switch import margin_threshold, output_bound_from_margin

# -- T2.a, in general: the weights of c_i are A_ij / (1 - A_is) -----------------------------------

_T2A = (
    TheoremProof(
        "T2.a",
        0,
        Proof(
            (
                Hyp("r_pos", gt(rest, 0)),
                Use("w_def", eq(conv_weight, attn_weight / rest), "hull_weight_definition"),
                Combine("goal", eq(attn_weight, rest * conv_weight), ((-rest, "w_def"),)),
            )
        ),
    ),
    TheoremProof(
        "T2.a",
        1,
        Proof(
            (
                Use("sum_def", eq(conv_weight_sum, off_mass / rest), "hull_weight_sum_definition"),
                Use("norm", eq(off_mass, rest), "softmax_normalisation_off_sink"),
                Subst("goal", eq(conv_weight_sum, 1), "sum_def", "norm"),
            )
        ),
    ),
)

# -- T2.b ----------------------------------------------------------------------------------------

_DECOMP = (
    Use("dec", eq(resid_norm, rest * c_norm), "residual_is_rest_times_hull_point"),
    Use("r_nn", ge(rest, 0), "rest_nonnegative"),
)
_LOWER = (
    *_DECOMP,
    Use("c_ge", ge(c_norm, delta), "hull_point_at_least_distance"),
    Combine("lower", ge(resid_norm, rest * delta), (("r_nn", "c_ge"), (1, "dec"))),
)
_UPPER = (
    *_DECOMP,
    Use("c_le", le(c_norm, R), "hull_point_at_most_radius"),
    Combine("upper", le(resid_norm, rest * R), (("r_nn", "c_le"), (-1, "dec"))),
)
_ZERO = (
    Hyp("vs0", eq(sink_value_norm, 0)),
    Use("out", eq(out_norm, resid_norm), "zero_value_sink_output", premises=("vs0",)),
)

_T2B = (
    TheoremProof("T2.b", 0, Proof(_LOWER)),
    TheoremProof("T2.b", 1, Proof(_UPPER)),
    TheoremProof(
        "T2.b",
        2,
        Proof((*_LOWER, *_ZERO, Subst("goal", ge(out_norm, rest * delta), "lower", "out"))),
    ),
    TheoremProof(
        "T2.b", 3, Proof((*_UPPER, *_ZERO, Subst("goal", le(out_norm, rest * R), "upper", "out")))
    ),
)

# -- T2.c ----------------------------------------------------------------------------------------

_ZDEC = (
    Use("dec", eq(out_norm, rest_zero * cz_norm), "output_is_rest_zero_times_hull_point"),
    Use("r_nn", ge(rest_zero, 0), "rest_zero_nonnegative"),
)
_T2C = (
    TheoremProof(
        "T2.c",
        0,
        Proof(
            (
                *_ZDEC,
                Use("c_ge", ge(cz_norm, delta_zero), "zero_hull_point_at_least_distance"),
                Combine(
                    "goal", ge(out_norm, rest_zero * delta_zero), (("r_nn", "c_ge"), (1, "dec"))
                ),
            )
        ),
    ),
    TheoremProof(
        "T2.c",
        1,
        Proof(
            (
                *_ZDEC,
                Use("c_le", le(cz_norm, R_zero), "zero_hull_point_at_most_radius"),
                Combine("goal", le(out_norm, rest_zero * R_zero), (("r_nn", "c_le"), (-1, "dec"))),
            )
        ),
    ),
)

# -- T2.d ----------------------------------------------------------------------------------------

_E = sp.exp(margin)
_CAP = (n - 1) / (n - 1 + _E)  # T1.a's cap on 1 - A_is, in the stable form

_T2D_CAP = (
    Hyp("vs0", eq(sink_value_norm, 0)),
    Cite("t2b", le(out_norm, rest * R), "T2.b", 3, premises=("vs0",)),
    Cite("t1a", ge(log_odds, margin - sp.log(n - 1)), "T1.a", 0),
    Use("lo_rest", eq(log_odds, sp.log((1 - rest) / rest)), "log_odds_of_rest"),
    Subst("lr", ge(sp.log((1 - rest) / rest), margin - sp.log(n - 1)), "t1a", "lo_rest"),
    Monotone("odds", ge((1 - rest) / rest, sp.exp(margin - sp.log(n - 1))), "exp", "lr"),
    *n_minus_one_positive(),
    Use("exp_m", gt(_E, 0), "exp_positive", {"x": margin}),
    Combine("den", gt(n - 1 + _E, 0), ((1, "n1"), (1, "exp_m"))),
    Product("inv_den", gt(1 / (n - 1 + _E), 0), (("den", -1),)),
    Use("r_pos", gt(rest, 0), "rest_positive"),
    # cap - rest = rest (n-1)/(n-1+e^m) * ((1-rest)/rest - e^m/(n-1))
    Combine("rest_cap", le(rest, _CAP), (((1, "r_pos", "n1", "inv_den"), "odds"),)),
    Use("R_nn", ge(R, 0), "radius_nonnegative"),
    Combine(
        "goal",
        le(out_norm, output_bound_from_margin(n, margin, R)),
        (("R_nn", "rest_cap"), (1, "t2b")),
    ),
)

_T2D_ETA = (
    *_T2D_CAP,
    Hyp("thr", ge(margin, margin_threshold(n, eta, R))),
    Monotone("e_thr", ge(_E, (n - 1) * (R - eta) / eta), "exp", "thr"),
    Use("eta_pos", gt(eta, 0), "output_target_positive"),
    # eta - R(n-1)/(n-1+e^m) = (eta/(n-1+e^m)) (e^m - (n-1)(R - eta)/eta)
    Combine(
        "eta_cap",
        le(output_bound_from_margin(n, margin, R), eta),
        (((1, "eta_pos", "inv_den"), "e_thr"),),
    ),
    Combine("goal_eta", le(out_norm, eta), ((1, "goal"), (1, "eta_cap"))),
)

_T2D = (
    TheoremProof("T2.d", 0, Proof(_T2D_CAP)),
    TheoremProof("T2.d", 1, Proof(_T2D_ETA)),
)

PROOFS = (*_T2A, *_T2B, *_T2C, *_T2D)
