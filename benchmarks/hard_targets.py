r"""Two extra targets outside the samplers' typical set, to show what the gradient adds.

Every control and known-false mutant of the project is violated by instances its sampler draws in
its first batch: there, any method that looks at the sampler's instances finds one at once. These
two are not (they are reported in a separate table and not counted in the main medians):

* ``flat``: "every attention row stays below 0.99" with score matrices ``W`` a thousand times too
  small for any row to concentrate -- false (scale ``W`` up), never seen by sampling;
* ``T1.a~const:1/1000``: T1.a's bound tightened by 1/1000 on the ``log(n - 1)`` term,
  ``log_odds >= m - (999/1000) log(n - 1)`` -- false only where all sink margins are nearly
  equal, a thin set for a sampler.
"""

from __future__ import annotations

import dataclasses

import sympy as sp

from proofs_check.checks import registry
from proofs_check.checks.engine import RelationCheck
from proofs_check.search.adversary import relation_check_of
from proofs_check.search.mutate import _variant, _with_constant_scaled
from theory.core import Condition, Kind, Statement

top = sp.Symbol("top")


def _top_weight(inst, ops):
    A = ops.softmax(inst["X"] @ inst["W"] @ inst["X"].T)
    return {"top": ops.max(A, axis=-1)}


def _flat_attention(rng, n, d, batch):
    return {"X": rng.standard_normal((batch, n, d)), "W": 1e-3 * rng.standard_normal((batch, d, d))}


def flat() -> RelationCheck:
    statement = Statement(
        "flat",
        "flat_attention",
        "every attention row stays below 0.99 (W sampled 1000x too small)",
        Kind.CONTROL,
        "bench",
        (),
        (Condition("max_j A_ij <= 99/100", sp.LessThan(top, sp.Rational(99, 100))),),
    )
    return RelationCheck(statement, _flat_attention, _top_weight, ((3, 2), (4, 3), (8, 8)))


def t1a_tightened() -> RelationCheck:
    rc = relation_check_of(registry()["T1.a"])
    concl = rc.statement.conclusions[0].relation
    tightened = _with_constant_scaled(concl, 0, sp.Rational(999, 1000))
    hyps = [c.relation for c in rc.statement.hypotheses if c.relation is not None]
    statement = _variant(rc.statement, "const:1/1000", hyps, [(tightened, ())])
    return dataclasses.replace(rc, statement=statement)


HARD = {"flat": flat, "T1.a~const:1/1000": t1a_tightened}
