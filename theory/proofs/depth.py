r"""Kernel proofs for T6 (depth): the one-layer bounds of T6.a, T6.b, T6.c in general; the stacked
bounds (T6.a, T6.c, second conclusions) on explicit stacks of three and two layers, each layer an
instance of the one-layer theorem (the kernel has no induction rule).

T6.d (``diam(A X) <= delta(A) diam(X)``) is the lemma ``dobrushin_pair_bound`` and the definition
lemma ``dobrushin_is_pair_mass`` (``delta(A) = max_{a,b} sum_j (A_aj - A_bj)_+``); its second
conclusion adds ``dobrushin_mass_bound``. T6.c's one-layer bound is a citation of both conclusions
of T6.d (the kernel checks a theorem after the theorems it cites).
"""

from __future__ import annotations

import sympy as sp

from theory.kernel import Cite, Combine, Proof, Use, eq, ge, le
from theory.lemmas import (
    R_l,
    diam_next,
    diam_prev,
    dobrushin,
    eps_l,
    err_centered,
    err_fro,
    mass_diff,
    mu_next,
    mu_prev,
    n,
    one_minus_tau,
    sigma_min_v,
    update_centered,
    update_fro,
    xm_norm,
)
from theory.proofs import TheoremProof

_T6A_LAYER = Proof(
    (
        Use("tri", ge(mu_next, mu_prev - update_centered), "mu_reverse_triangle"),
        Use("proj", le(update_centered, update_fro), "centering_contracts_update"),
        Use("rows", le(update_fro, sp.sqrt(n) * eps_l * R_l), "sink_layer_update_rows"),
        Combine(
            "goal",
            ge(mu_next, mu_prev - sp.sqrt(n) * eps_l * R_l),
            ((1, "tri"), (1, "proj"), (1, "rows")),
        ),
    )
)

_mu = [sp.Symbol(f"mu_{k}", real=True) for k in range(4)]
_e = [sp.Symbol(f"eps_{k}", real=True) for k in range(3)]
_r = [sp.Symbol(f"R_{k}", real=True) for k in range(3)]
_T6A_STACK_GOAL = ge(_mu[3], _mu[0] - sp.sqrt(n) * sum(_e[k] * _r[k] for k in range(3)))
_T6A_STACK = Proof(
    tuple(
        Cite(
            f"layer{k}",
            ge(_mu[k + 1], _mu[k] - sp.sqrt(n) * _e[k] * _r[k]),
            "T6.a",
            0,
            rename={
                "mu_prev": f"mu_{k}",
                "mu_next": f"mu_{k + 1}",
                "eps_l": f"eps_{k}",
                "R_l": f"R_{k}",
            },
        )
        for k in range(3)
    )
    + (Combine("goal", _T6A_STACK_GOAL, tuple((1, f"layer{k}") for k in range(3))),),
    instance="a stack of L = 3 layers (each an instance of the one-layer bound)",
)

_T6B = Proof(
    (
        Use("split", ge(mu_next, xm_norm - err_centered), "diagonal_layer_split"),
        Use("sig", ge(xm_norm, sigma_min_v * mu_prev), "least_singular_value_bound"),
        Use("proj", le(err_centered, err_fro), "centering_contracts_error"),
        Use("rows", le(err_fro, 2 * sp.sqrt(n) * eps_l * R_l), "diagonal_layer_error_rows"),
        Combine(
            "goal",
            ge(mu_next, sigma_min_v * mu_prev - 2 * sp.sqrt(n) * eps_l * R_l),
            ((1, "split"), (1, "sig"), (1, "proj"), (1, "rows")),
        ),
    )
)

_T6C_LAYER = Proof(
    (
        Cite("pair", le(diam_next, dobrushin * diam_prev), "T6.d", 0),
        Cite("tau", le(dobrushin, one_minus_tau), "T6.d", 1),  # dobrushin_mass_bound
        Use("D_nn", ge(diam_prev, 0), "diameter_nonnegative"),
        # (1 - tau) D - diam' = (delta D - diam') + D (1 - tau - delta)
        Combine("goal", le(diam_next, one_minus_tau * diam_prev), ((1, "pair"), ("D_nn", "tau"))),
    )
)

_D = [sp.Symbol(f"diam_{k}", real=True) for k in range(3)]
_k = [sp.Symbol(f"one_minus_tau_{k}", real=True) for k in range(2)]
_T6C_STACK_GOAL = le(_D[2], _k[0] * _k[1] * _D[0])
_T6C_STACK = Proof(
    (
        *(
            Cite(
                f"layer{k}",
                le(_D[k + 1], _k[k] * _D[k]),
                "T6.c",
                0,
                rename={
                    "diam_prev": f"diam_{k}",
                    "diam_next": f"diam_{k + 1}",
                    "one_minus_tau": f"one_minus_tau_{k}",
                },
            )
            for k in range(2)
        ),
        Use(
            "k1_nn",
            ge(_k[1], 0),
            "contraction_factor_nonnegative",
            rename={"one_minus_tau": "one_minus_tau_1"},
        ),
        # k0 k1 D0 - D2 = k1 (k0 D0 - D1) + (k1 D1 - D2)
        Combine("goal", _T6C_STACK_GOAL, (("k1_nn", "layer0"), (1, "layer1"))),
    ),
    instance="a stack of L = 2 layers (each an instance of the one-layer bound)",
)

# -- T6.d: the pairwise Dobrushin coefficient delta(A) is the largest pair mass ---------------------

_T6D_PAIR = Proof(
    (
        Use("pair", le(diam_next, mass_diff * diam_prev), "dobrushin_pair_bound"),
        Use("delta", eq(dobrushin, mass_diff), "dobrushin_is_pair_mass"),
        # delta D - diam' = (P D - diam') + D (delta - P), the second an equation
        Combine(
            "goal",
            le(diam_next, dobrushin * diam_prev),
            ((1, "pair"), (diam_prev, "delta")),
        ),
    )
)

_T6D_TAU = Proof(
    (
        Use("delta", eq(dobrushin, mass_diff), "dobrushin_is_pair_mass"),
        Use("mass", le(mass_diff, one_minus_tau), "dobrushin_mass_bound"),
        Combine("goal", le(dobrushin, one_minus_tau), ((1, "mass"), (-1, "delta"))),
    )
)

PROOFS = (
    TheoremProof("T6.a", 0, _T6A_LAYER),
    TheoremProof(
        "T6.a",
        1,
        _T6A_STACK,
        goal=_T6A_STACK_GOAL,
        goal_text="mu(X_3) >= mu(X_0) - sqrt(n) sum_{l<3} eps_l R_l",
    ),
    TheoremProof("T6.b", 0, _T6B),
    TheoremProof("T6.c", 0, _T6C_LAYER),
    TheoremProof(
        "T6.c",
        1,
        _T6C_STACK,
        goal=_T6C_STACK_GOAL,
        goal_text="diam(X_2) <= (1 - tau_0)(1 - tau_1) diam(X_0)",
    ),
    TheoremProof("T6.d", 0, _T6D_PAIR),
    TheoremProof("T6.d", 1, _T6D_TAU),
)
