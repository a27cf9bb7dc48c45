r"""Kernel proofs for T5 (diagonal patterns): T5.a and T5.c in general (T5.c rests on T5.b's formula);
T5.b on the symbolic instance ``n = 3``, ``d = d_v = 2`` (SymPy differentiates the softmax)."""

from __future__ import annotations

import sympy as sp

from theory import diagonal as T5
from theory.kernel import Combine, Hyp, Identity, Product, Proof, Use, eq, ge, gt, le
from theory.lemmas import (
    R,
    attn,
    competitor,
    eps,
    jac_norm,
    out_dev,
    query_gain,
    rest_max,
    rest_row,
    spread,
    value_gap,
    wv_norm,
)
from theory.proofs import TheoremProof

_T5A_0 = Proof(
    (
        Hyp("diag", le(rest_max, eps)),
        Use("tri", le(out_dev, rest_row * spread), "diagonal_deviation_triangle"),
        Use("row", le(rest_row, rest_max), "row_rest_at_most_max"),
        Use("sp_nn", ge(spread, 0), "spread_nonnegative"),
        # eps spread - out_dev = spread (eps - rest_max) + spread (rest_max - rest_row) + (rest_row spread - out_dev)
        Combine(
            "goal",
            le(out_dev, eps * spread),
            (("sp_nn", "diag"), ("sp_nn", "row"), (1, "tri")),
        ),
    )
)
_T5A_1 = Proof(
    (
        Use("e_pos", gt(eps, 0), "tolerance_positive"),
        Use("sp2", le(spread, 2 * R), "spread_at_most_two_radius"),
        Combine("goal", le(eps * spread, 2 * eps * R), (("e_pos", "sp2"),)),
    )
)

_T5B_INSTANCE = "n = 3 tokens, d = d_v = 2, X, W, W_V symbolic; the pair (i, j) = (1, 2)"
_tau = sp.Matrix(2, 2, sp.symbols("tau1:3_1:3", real=True))
_formula = T5._jacobian_formula(0, 1)
_T5B_GOAL = eq(
    sum(_tau[a, b] * sp.diff(T5._Y[0, a], T5._X[1, b]) for a in range(2) for b in range(2)),
    sum(_tau[a, b] * _formula[a, b] for a in range(2) for b in range(2)),
)

_K = wv_norm + value_gap * query_gain
_T5C_STEPS = (
    Hyp("comp", eq(competitor, 1)),
    Use("tri", le(jac_norm, attn * wv_norm + attn * value_gap * query_gain), "jacobian_triangle"),
)
_K_NN = (
    Use("wv", ge(wv_norm, 0), "wv_norm_nonnegative"),
    Use("gap", ge(value_gap, 0), "value_gap_nonnegative"),
    Use("gain", ge(query_gain, 0), "query_gain_nonnegative"),
    Product("gg", ge(value_gap * query_gain, 0), ("gap", "gain")),
    Combine("K", ge(_K, 0), ((1, "wv"), (1, "gg"))),
)

PROOFS = (
    TheoremProof("T5.a", 0, _T5A_0),
    TheoremProof("T5.a", 1, _T5A_1),
    TheoremProof(
        "T5.b",
        0,
        Proof((Identity("jacobian", _T5B_GOAL),), instance=_T5B_INSTANCE),
        goal=_T5B_GOAL,
        goal_text="dy_1/dx_2 = A_12 (W_V^T + (v_2 - y_1) x_1^T W), paired with a generic tau",
    ),
    TheoremProof(
        "T5.b",
        1,
        Proof((Identity("jacobian", _T5B_GOAL),), instance=_T5B_INSTANCE),
        goal=_T5B_GOAL,
        goal_text="the same matrix identity (both checked equations pin J_auto to it)",
    ),
    TheoremProof(
        "T5.c",
        0,
        Proof((*_T5C_STEPS, Combine("goal", le(jac_norm, attn * _K), ((1, "tri"),)))),
    ),
    TheoremProof(
        "T5.c",
        1,
        Proof(
            (
                *_T5C_STEPS,
                *_K_NN,
                Hyp("diag", le(rest_max, eps)),
                Use("a_le", le(attn, rest_max), "cross_weight_at_most_rest", premises=("comp",)),
                # eps K - jac = K (eps - rest_max) + K (rest_max - attn) + (attn K - jac)
                Combine(
                    "goal",
                    le(jac_norm, eps * _K),
                    (("K", "diag"), ("K", "a_le"), (1, "tri")),
                ),
            )
        ),
    ),
)
