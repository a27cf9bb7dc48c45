r"""Kernel proofs for T3 (when dense attention smooths more): T3.a and T3.d on the symbolic instance
``n = 3``, ``d = 2`` (every entry of ``X``, ``A``, ``B``, ``V``, ``alpha`` free); T3.b and T3.c at the
level of the observables, from T3.a (so no stronger than T3.a).

A statement T3.e (``mu(X + AV) <= mu(X + BV)`` iff ``2<Z, Delta>_F + ||(I - J) Delta||_F^2 >= 0``)
is T3.a at ``alpha = 1``: with a lemma ``f_one == f_zero + 2 uniform_margin + q_unif`` (T3.a at
``alpha = 1``, resting on T3.a) the "if" direction is one :class:`~theory.kernel.Combine`; T3.f's
ratio form follows from ``nu = mu^2 / ||X||_F^2`` and ``||X||_F^2 = mu^2 + n ||mean||^2`` (a lemma)
by clearing the positive denominators (one Combine with certified weights).
"""

from __future__ import annotations

import sympy as sp

from theory import smoothing as T3
from theory.kernel import Combine, Hyp, Identity, Product, Proof, Use, eq, ge, gt, lt
from theory.lemmas import (
    f_alpha,
    f_witness,
    f_zero,
    lin_neg,
    lin_pos,
    margin_min,
    q_edge,
    q_unif,
    quad_term,
    t_star,
    t_unif,
    t_unif_star,
    uniform_margin,
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

PROOFS = (*_T3A, *_T3B, *_T3C, *_T3D)
