import sympy as sp

from proofs_check import Conjecture, attention, attention_instances, gamma_u

eps, rest_max, g_u = sp.symbols("eps rest_max gamma_u")


def causal_sink_quantities(inst, ops):
    """rest_max = max_{i > s} (1 - A_is) under a causal mask (s = 0), gamma_u = dist(0, conv X)."""
    X, W = inst["X"], inst["W"]
    A = attention(ops, X, W, causal=True)
    rest = 1 - A[:, 0]
    later = ops.xp.arange(A.shape[0]) > 0
    return {
        "rest_max": ops.masked_max(rest, later),
        "gamma_u": gamma_u(ops, X),
        "eps": inst["eps"],
    }


def plain_sink_quantities(inst, ops):
    X, W, s = inst["X"], inst["W"], inst["s"]
    A = attention(ops, X, W)
    return {"rest_max": ops.max(1 - A[:, s]), "gamma_u": gamma_u(ops, X), "eps": inst["eps"]}


causal_sink_needs_halfspace = Conjecture(
    name="causal_sink_needs_halfspace",
    title="causal mask: if token 1 is an eps-sink (eps < 1/2), then 0 is not in conv{x_i}",
    hypotheses=[sp.Le(rest_max, eps), sp.Lt(eps, sp.Rational(1, 2))],
    conclusion=sp.Gt(g_u, 0),
    quantities=causal_sink_quantities,
    instances=attention_instances(with_eps=True),
    expect="REFUTED",
)

sink_needs_halfspace = Conjecture(
    name="sink_needs_halfspace",
    title="no mask: if s is an eps-sink (eps < 1/2), then 0 is not in conv{x_i} (T1.b)",
    hypotheses=[sp.Le(rest_max, eps), sp.Lt(eps, sp.Rational(1, 2))],
    conclusion=sp.Gt(g_u, 0),
    quantities=plain_sink_quantities,
    instances=attention_instances(with_eps=True),
)
