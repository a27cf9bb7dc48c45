"""The derivation-step verifiers accept true steps and reject false ones (they can fail)."""

import sympy as sp

from theory import all_statements
from theory.core import Combination, Identity, Kind, Positive, Root, verify_steps

x, y = sp.symbols("x y", positive=True)
z = sp.Symbol("z", real=True)


def test_identity_accepts_and_rejects():
    assert Identity("square", (x + y) ** 2, x**2 + 2 * x * y + y**2).verify()
    assert not Identity("wrong square", (x + y) ** 2, x**2 + y**2).verify()


def test_positive_uses_assumptions_and_can_fail():
    assert Positive("sum of positives", x + y).verify()
    assert not Positive("real symbol", z).verify()
    assert Positive("square", z**2, strict=False).verify()


def test_root_checks_solution_set():
    assert Root("linear", sp.Eq(2 * z + 1, 5), z, (sp.Integer(2),)).verify()
    assert not Root("linear, wrong root", sp.Eq(2 * z + 1, 5), z, (sp.Integer(3),)).verify()


def test_combination_requires_identity_and_nonnegative_weights():
    assert Combination(
        "a-c = (a-b)+(b-c)", x - z, ((sp.Integer(1), x - y), (sp.Integer(1), y - z))
    ).verify()
    assert not Combination("negative weight", x - y, ((sp.Integer(-1), y - x),)).verify()
    assert not Combination("not an identity", x - z, ((sp.Integer(1), x - y),)).verify()


def test_every_theory_derivation_step_verifies():
    failed = [
        (st.id, r.index, r.text)
        for st in all_statements()
        for r in verify_steps(st.derivation)
        if not r.verified
    ]
    assert failed == []


def test_statement_ids_are_unique_and_kinds_consistent():
    statements = all_statements()
    ids = [s.id for s in statements]
    assert len(ids) == len(set(ids))
    for st in statements:
        if st.kind is Kind.CONTROL:
            assert "-F" in st.id
        assert st.hypotheses and st.conclusions
