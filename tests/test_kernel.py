"""The proof kernel: what it accepts (the theorems' proofs) and what it must refuse."""

from __future__ import annotations

import dataclasses

import pytest
import sympy as sp

from theory import all_statements
from theory.core import Kind
from theory.kernel import (
    Cite,
    Combine,
    Fact,
    Hyp,
    Identity,
    KernelError,
    Monotone,
    Product,
    Proof,
    Use,
    check,
    eq,
    ge,
    gt,
    le,
)
from theory.lemmas import LEMMAS, n, rival_max
from theory.proofs import (
    PROVED,
    PROVED_ON_INSTANCE,
    TESTED,
    accepted_conclusions,
    context_for,
    proof_statuses,
    registered,
)

THEOREMS = [
    s
    for s in all_statements()
    if s.kind is Kind.THEOREM and s.claim in {f"T{k}" for k in range(1, 7)}
]
BY_ID = {s.id: s for s in all_statements()}
x, y = sp.Symbol("x", real=True), sp.Symbol("y", real=True)
p = sp.Symbol("p", positive=True)


def _ctx(*hyps: sp.Basic, texts: tuple[str, ...] = ()):
    from theory.kernel import Context

    return Context(hypotheses=hyps, settings=texts, lemmas=LEMMAS)


def _refused(proof: Proof, goal: sp.Basic, ctx) -> str:
    verdict = check(proof, goal, ctx)
    assert not verdict.accepted
    assert verdict.refusal is not None
    return verdict.refusal.reason


# -- the theorems ------------------------------------------------------------------------------


def test_twenty_nine_theorems_at_least_twenty_four_proved():
    statuses = proof_statuses()
    assert len(THEOREMS) == 29
    proved = [s.id for s in THEOREMS if statuses[s.id].status in (PROVED, PROVED_ON_INSTANCE)]
    assert len(proved) >= 24, proved
    general = {s.id for s in THEOREMS if statuses[s.id].status == PROVED}
    assert {"T1.a", "T1.d", "T1.e", "T2.b", "T2.d", "T4.a", "T4.e", "T5.a", "T6.b"} <= general
    assert {"T3.f", "T3.g", "T6.d"} <= general
    for sid in ("T3.a", "T3.d", "T5.b"):  # symbolic instances, and the status says which
        assert statuses[sid].status == PROVED_ON_INSTANCE
        assert "n = 3" in statuses[sid].instance
    assert statuses["T3.b"].status == PROVED_ON_INSTANCE  # no stronger than T3.a
    assert "T3.a" in statuses["T3.b"].instance


def test_every_registered_proof_is_accepted_and_ends_in_its_goal():
    statuses = proof_statuses()
    unproved = []
    for st in THEOREMS:
        for c in statuses[st.id].conclusions:
            if c.proof is None:  # no proof registered: TESTED, and the status says so
                assert c.status == TESTED and not c.accepted
                unproved.append((st.id, c.index))
                continue
            assert c.accepted, (st.id, c.index, c.refusal and c.refusal.summary())
    assert unproved == [("T4.d", 1)]  # the projector bound c_diag <= rank(X) L_n / g
    assert statuses["T4.d"].status == TESTED


def test_every_lemma_a_proof_uses_is_in_the_trusted_base_and_listed():
    statuses = proof_statuses()
    for st in THEOREMS:
        for lem in statuses[st.id].lemmas:
            assert lem in LEMMAS
            assert LEMMAS[lem].citation


# -- facts only from the kernel ------------------------------------------------------------------


def test_a_fact_cannot_be_forged():
    with pytest.raises(KernelError):
        Fact("f", x, ">=", 0, "hypothesis", ())
    verdict = check(Proof((Hyp("h", ge(x, 0)),)), ge(x, 0), _ctx(ge(x, 0)))
    fact = verdict.facts[0]
    with pytest.raises((KernelError, ValueError)):
        dataclasses.replace(fact, lhs=y)
    with pytest.raises(KernelError):
        dataclasses.replace(fact, lhs=y, token=object())


# -- negative tests --------------------------------------------------------------------------------


def test_untraced_premise_is_refused():
    # the old Combination("", x - 1, ((1, x - 1),)) "verified"; here x - 1 >= 0 must be a fact
    reason = _refused(Proof((Combine("c", ge(x, 1), ((1, "h"),)),)), ge(x, 1), _ctx())
    assert "untraced" in reason


def test_a_relation_that_is_not_a_hypothesis_is_refused():
    reason = _refused(Proof((Hyp("h", ge(x, 1)),)), ge(x, 1), _ctx(ge(x, 0)))
    assert "not a hypothesis" in reason


def test_positivity_needs_facts_not_declared_assumptions():
    # p is *declared* positive: that proves nothing; a weight must be a rational or a fact
    reason = _refused(
        Proof((Hyp("h", ge(x, 0)), Combine("c", ge(p * x, 0), ((p, "h"),)))),
        ge(p * x, 0),
        _ctx(ge(x, 0)),
    )
    assert "not certified nonnegative" in reason
    reason = _refused(Proof((Product("c", gt(p * p, 0), ("p_pos",)),)), gt(p * p, 0), _ctx())
    assert "untraced" in reason
    # an identity SymPy shows only from the declared signs: log(p q) = log p + log q
    q = sp.Symbol("q", positive=True)
    rel = eq(sp.log(p * q), sp.log(p) + sp.log(q))
    assert sp.simplify(sp.expand_log(rel.lhs - rel.rhs)) == 0  # SymPy alone would accept it
    assert "not an identity" in _refused(Proof((Identity("i", rel),)), rel, _ctx())


def test_a_strict_conclusion_needs_a_strict_premise():
    reason = _refused(
        Proof((Hyp("h", ge(x, 0)), Combine("c", gt(x, 0), ((1, "h"),)))), gt(x, 0), _ctx(ge(x, 0))
    )
    assert "strict" in reason


def test_lemma_with_wrong_substitution_is_refused():
    split = sp.log((n - 1) * rival_max)
    good = Use(
        "s",
        eq(split, sp.log(n - 1) + sp.log(rival_max)),
        "log_mul",
        {"a": n - 1, "b": rival_max},
        ("a", "b"),
    )
    facts = (Hyp("a", gt(n - 1, 0)), Hyp("b", gt(rival_max, 0)))
    ctx = _ctx(gt(n - 1, 0), gt(rival_max, 0))
    assert check(Proof((*facts, good)), good.rel, ctx).accepted
    wrong = dataclasses.replace(good, subs={"a": n, "b": rival_max})  # another instance
    assert "side condition" in _refused(Proof((*facts, wrong)), good.rel, ctx)
    bad_rel = eq(split, sp.log(n - 1) - sp.log(rival_max))  # not what the lemma says
    misstated = dataclasses.replace(good, rel=bad_rel)
    assert "under this substitution" in _refused(Proof((*facts, misstated)), bad_rel, ctx)
    no_side = dataclasses.replace(good, premises=("b", "a"))  # side conditions swapped
    assert "side condition" in _refused(Proof((*facts, no_side)), good.rel, ctx)
    unknown = dataclasses.replace(good, subs={"a": n - 1, "b": rival_max, "c": 1})
    assert "variables" in _refused(Proof((*facts, unknown)), good.rel, ctx)


def test_lemma_outside_its_setting_is_refused():
    st = BY_ID["T1-F3"]  # W = 0.9 c u* v*^T: the rank-one margin lemma of T1.d does not apply
    proofs, _ = registered()
    (t1d,) = [tp for tp in proofs if tp.statement_id == "T1.d" and tp.index == 0]
    verdict = check(t1d.proof, st.conclusions[0].relation, context_for(st, 0, _accepted()))
    assert not verdict.accepted


def test_removing_any_step_of_a_proof_is_refused():
    proofs, _ = registered()
    statuses = proof_statuses()
    for tp in proofs:
        if tp.statement_id not in ("T1.a", "T2.d", "T4.e", "T6.b"):
            continue
        st = BY_ID[tp.statement_id]
        goal = tp.goal if tp.goal is not None else st.conclusions[tp.index].relation
        assert statuses[st.id].status != TESTED
        for k in range(len(tp.proof.steps)):
            steps = tp.proof.steps[:k] + tp.proof.steps[k + 1 :]
            verdict = check(Proof(steps), goal, context_for(st, tp.index, _accepted()))
            assert not verdict.accepted, (tp.statement_id, tp.index, k)


def test_a_last_fact_that_is_not_the_conclusion_is_refused():
    proofs, _ = registered()
    (tp,) = [t for t in proofs if t.statement_id == "T2.b" and t.index == 1]
    st = BY_ID["T2.b"]
    truncated = Proof(tp.proof.steps[:-1])
    reason = _refused(truncated, st.conclusions[1].relation, context_for(st, 1))
    assert "is not the conclusion" in reason


def test_citing_a_theorem_needs_its_hypotheses():
    st = BY_ID["T2.b"]
    cite = Cite("c", le(sp.Symbol("out_norm"), sp.Symbol("rest") * sp.Symbol("R")), "T2.b", 3)
    reason = _refused(Proof((cite,)), cite.rel, context_for(st, 1, _accepted()))
    assert "premise" in reason


def test_a_monotone_map_does_not_use_declared_signs():
    a, b = sp.Symbol("a", positive=True), sp.Symbol("b", positive=True)
    hyp = ge(a**2, b**2)
    proof = Proof(
        (
            Hyp("h", hyp),
            Hyp("b2", ge(b**2, 0)),
            Monotone("m", ge(a, b), "sqrt", "h", "b2"),
        )
    )
    reason = _refused(proof, ge(a, b), _ctx(hyp, ge(b**2, 0)))
    assert "not sqrt applied" in reason


def test_monotone_log_needs_the_domain():
    reason = _refused(
        Proof((Hyp("h", ge(x, y)), Monotone("m", ge(sp.log(x), sp.log(y)), "log", "h"))),
        ge(sp.log(x), sp.log(y)),
        _ctx(ge(x, y)),
    )
    assert "domain" in reason


def _accepted():
    """The theorem conclusions the kernel accepted (what a Cite may use)."""
    return accepted_conclusions([s.id for s in THEOREMS])


def test_each_theorem_proof_fails_against_its_controls():
    proofs, _ = registered()
    accepted = _accepted()
    controls = [s for s in all_statements() if s.kind is Kind.CONTROL and s.mirrors]
    replayed = 0
    for control in controls:
        for tp in (t for t in proofs if t.statement_id == control.mirrors):
            for idx, cond in enumerate(control.conclusions):
                if cond.relation is None:
                    continue
                verdict = check(tp.proof, cond.relation, context_for(control, idx, accepted))
                assert not verdict.accepted, (control.id, tp.statement_id, tp.index)
                replayed += 1
    assert replayed >= 15
