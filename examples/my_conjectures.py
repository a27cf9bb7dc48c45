"""Example user conjectures, checked with `proofs-check verify examples/my_conjectures.py`.

Each is an inequality between quantities of an instance. `quantities` is written against `ops`
(`ops.xp` is jax.numpy in the fast float64 phase, NumPy over arb balls when a counterexample is
certified), so the same code serves both.
"""

import sympy as sp

from proofs_check.conjecture import Conjecture, attention_instances
from proofs_check.observables.attention import attention

rest, n, top = sp.symbols("rest n top")


def sink_quantities(inst, ops):
    """Per row i: rest = 1 - A_is (mass off the sink), top = max_j A_ij, and n."""
    A = attention(ops, inst["X"], inst["W"])
    others = ops.xp.arange(A.shape[0]) != inst["s"]
    return {
        "rest": ops.xp.where(others[None, :], A, 0 * A).sum(axis=-1),
        "top": ops.max(A, axis=-1),
        "n": A.shape[0],
    }


# Softmax weights are positive, so some mass always stays off the sink... but how much? This
# variant claims at least 1/n^2 does, which large score margins break: we expect it REFUTED
# (leave `expect` out, and a refutation makes the run exit 1, like a failing test).
rest_at_least_one_over_n_squared = Conjecture(
    name="rest_at_least_one_over_n_squared",
    title="1 - A_is >= 1/n^2 in every row (false: a large margin drives the rest to 0)",
    conclusion=sp.GreaterThan(rest, 1 / n**2),
    quantities=sink_quantities,
    instances=attention_instances(
        token_families=["cone", "unit"], weight_families=["planted_sink"]
    ),
    expect="REFUTED",
)

# True for every row-stochastic A: the largest weight of a row is at least 1/n.
largest_weight_at_least_uniform = Conjecture(
    name="largest_weight_at_least_uniform",
    title="max_j A_ij >= 1/n in every row",
    conclusion=sp.GreaterThan(top, 1 / n),
    quantities=sink_quantities,
    instances=attention_instances(),
)
