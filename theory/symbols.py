"""Shared symbols and the two log-odds thresholds of THEORY.md §0.

Symbols double as the names of numeric observables: a check supplies, per instance, a value for
every free symbol of a statement's relations (``eps``, ``n``, ``a_sink``, ``margin``, ...).
"""

from __future__ import annotations

import sympy as sp

# Scalars with their natural assumptions (SymPy uses them in Positive/Combination steps).
eps = sp.Symbol("eps", positive=True)  # the sink / diagonal tolerance, in (0, 1)
n = sp.Symbol("n", positive=True, integer=True)  # number of tokens
d = sp.Symbol("d", positive=True, integer=True)  # width
m = sp.Symbol("margin", real=True)  # a score margin s_is - s_ij
eta = sp.Symbol("eta", positive=True)  # an output-norm target
R = sp.Symbol("R", positive=True)  # max value norm
c = sp.Symbol("c", positive=True)  # a scale


def log_odds_single(eps_: sp.Expr = eps) -> sp.Expr:
    r"""``L_1(eps) = log((1 - eps) / eps)``: the margin every competitor must lose by."""
    return sp.log((1 - eps_) / eps_)


def log_odds_all(n_: sp.Expr = n, eps_: sp.Expr = eps) -> sp.Expr:
    r"""``L_n(eps) = log((n - 1)(1 - eps) / eps)``: a margin that suffices against ``n-1`` rivals."""
    return sp.log((n_ - 1) * (1 - eps_) / eps_)


def sink_weight_from_margin(n_: sp.Expr = n, margin: sp.Expr = m) -> sp.Expr:
    r"""``1 / (1 + (n-1) e^{-m})``: the sink's softmax weight when every margin equals ``m``."""
    return 1 / (1 + (n_ - 1) * sp.exp(-margin))
