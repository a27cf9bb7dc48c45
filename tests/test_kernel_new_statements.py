"""Kernel proofs of T3.e, T3.f, T3.g and T6.d (and T6.c as a citation of T6.d): accepted, with honest
statuses, and refused against their controls or with any step removed."""

from __future__ import annotations

import dataclasses

import pytest
import sympy as sp

from proofs_check.lemma_check import check_lemma
from theory import all_statements
from theory.kernel import Proof, check, eq, ge
from theory.lemmas import LEMMAS
from theory.proofs import (
    PROVED,
    PROVED_ON_INSTANCE,
    TESTED,
    accepted_conclusions,
    context_for,
    evaluate,
    proof_statuses,
    registered,
)

BY_ID = {s.id: s for s in all_statements()}
NEW = ("T3.e", "T3.f", "T3.g", "T6.d")
CONTROLS = ("T3-F3", "T3-F4", "T3-F5", "T3-F6", "T3-F7", "T6-F2")
NEW_LEMMAS = (
    "am_gm",
    "endpoint_identity",
    "sink_target_leaves_mu",
    "dense_update_expansion",
    "diagonal_endpoint_margin",
    "nu_definition",
    "frobenius_pythagoras",
    "mu_nonnegative",
    "mean_norm_nonnegative",
    "nu_lhs_definition",
    "nu_rhs_definition",
    "cosine_after_common_update",
    "token_norm_sq_positive",
    "update_norm_sq_nonnegative",
    "cosine_at_most_one",
    "dobrushin_is_pair_mass",
)


def _new_proofs():
    proofs, _ = registered()
    return [tp for tp in proofs if tp.statement_id in (*NEW, "T6.c") and tp.goal is None]


def _accepted():
    return accepted_conclusions([s.id for s in all_statements() if s.kind.name == "THEOREM"])


def _goal(tp):
    return tp.goal if tp.goal is not None else BY_ID[tp.statement_id].conclusions[tp.index].relation


# -- statuses --------------------------------------------------------------------------------------


def test_every_conclusion_of_the_new_theorems_is_kernel_proved():
    statuses = proof_statuses(NEW)
    for sid in NEW:
        st = BY_ID[sid]
        concl = statuses[sid].conclusions
        assert [c.index for c in concl] == list(range(len(st.conclusions))), sid
        for c in concl:
            assert c.accepted, (sid, c.index, c.refusal and c.refusal.summary())


def test_statuses_are_no_stronger_than_what_the_proofs_rest_on():
    statuses = proof_statuses(NEW)
    t3e = statuses["T3.e"]
    assert t3e.status == PROVED_ON_INSTANCE  # conclusions 1, 2, 6, 7 rest on T3.a (n = 3 instance)
    assert "T3.a" in t3e.instance
    by_index = {c.index: c for c in t3e.conclusions}
    for idx in (0, 1, 5, 6):
        assert by_index[idx].status == PROVED_ON_INSTANCE
        assert "T3.a" in by_index[idx].theorems
    for idx in (2, 3, 4):  # the sink case: (I - J) 1 = 0 and expanding a square, no T3.a
        assert by_index[idx].status == PROVED
        assert "T3.a" not in by_index[idx].theorems
    assert "endpoint_identity" in t3e.lemmas and "sink_target_leaves_mu" in t3e.lemmas
    for sid in ("T3.f", "T3.g", "T6.d"):
        assert statuses[sid].status == PROVED, sid
        assert statuses[sid].instance is None
    assert "frobenius_pythagoras" in statuses["T3.f"].lemmas
    assert "am_gm" in statuses["T3.g"].lemmas
    assert statuses["T6.d"].lemmas == (
        "dobrushin_pair_bound",
        "dobrushin_is_pair_mass",
        "dobrushin_mass_bound",
    )


def test_without_t3a_the_endpoint_conclusions_are_only_tested():
    proofs, exact = registered()
    kept = [tp for tp in proofs if tp.statement_id != "T3.a"]
    out = evaluate(all_statements(), kept, exact)
    assert out["T3.a"].status == TESTED
    by_index = {c.index: c for c in out["T3.e"].conclusions}
    assert out["T3.e"].status == TESTED
    assert all(by_index[i].status == TESTED for i in (0, 1, 5, 6))
    assert all(by_index[i].status == PROVED for i in (2, 3, 4))


def test_t6c_is_a_citation_of_t6d():
    statuses = proof_statuses(["T6.c"])
    layer = statuses["T6.c"].conclusions[0]
    assert layer.status == PROVED and "T6.d" in layer.theorems
    assert "dobrushin_pair_bound" not in layer.lemmas  # it comes through T6.d
    proofs, exact = registered()
    kept = [tp for tp in proofs if tp.statement_id != "T6.d"]
    out = evaluate(all_statements(), kept, exact)
    refused = out["T6.c"].conclusions[0]
    assert refused.status == TESTED and not refused.accepted
    assert "not an accepted theorem" in refused.refusal.reason


# -- negative tests ------------------------------------------------------------------------------


@pytest.mark.parametrize("control_id", CONTROLS)
def test_every_new_proof_is_refused_against_the_controls(control_id):
    control = BY_ID[control_id]
    accepted = _accepted()
    for tp in _new_proofs():
        for idx, cond in enumerate(control.conclusions):
            verdict = check(tp.proof, cond.relation, context_for(control, idx, accepted))
            assert not verdict.accepted, (control_id, tp.statement_id, tp.index)


def test_the_angular_proof_fails_where_its_controls_drop_a_hypothesis():
    proofs, _ = registered()
    (tp,) = [t for t in proofs if t.statement_id == "T3.g"]
    accepted = _accepted()
    f6 = check(
        tp.proof, BY_ID["T3-F6"].conclusions[0].relation, context_for(BY_ID["T3-F6"], 0, accepted)
    )
    assert "needs the setting" in f6.refusal.reason  # no equal norms
    f7 = check(
        tp.proof, BY_ID["T3-F7"].conclusions[0].relation, context_for(BY_ID["T3-F7"], 0, accepted)
    )
    assert "not a hypothesis" in f7.refusal.reason  # no <c, x_i> >= 0


def test_removing_any_step_of_a_new_proof_is_refused():
    accepted = _accepted()
    checked = 0
    for tp in _new_proofs():
        st = BY_ID[tp.statement_id]
        ctx = context_for(st, tp.index, accepted)
        assert check(tp.proof, _goal(tp), ctx).accepted
        for k in range(len(tp.proof.steps)):
            steps = tp.proof.steps[:k] + tp.proof.steps[k + 1 :]
            verdict = check(Proof(steps), _goal(tp), ctx)
            assert not verdict.accepted, (tp.statement_id, tp.index, k)
            checked += 1
    assert checked >= 60


def test_a_wrong_weight_in_the_scale_free_combination_is_refused():
    proofs, _ = registered()
    (tp,) = [t for t in proofs if t.statement_id == "T3.f" and t.index == 0]
    last = tp.proof.steps[-1]
    (w, name), *rest = last.terms
    doubled = dataclasses.replace(last, terms=(((2, *w[1:]), name), *rest))
    verdict = check(
        Proof((*tp.proof.steps[:-1], doubled)), _goal(tp), context_for(BY_ID["T3.f"], 0)
    )
    assert not verdict.accepted
    assert "not the stated combination" in verdict.refusal.reason


# -- the new lemmas are tested, and the tests can fail ----------------------------------------------


def test_new_lemmas_hold_on_their_worlds_and_have_symbolic_proofs_where_sympy_can():
    for lid in NEW_LEMMAS:
        lem = LEMMAS[lid]
        assert lem.citation and (lem.variables or lem.rests_on), lid
        res = check_lemma(lem, seed=1, draws=8)
        assert res.met > 0 and res.failures == 0, res
    symbolic = [lid for lid in NEW_LEMMAS if LEMMAS[lid].symbolic is not None]
    assert len(symbolic) >= 8
    assert all(LEMMAS[lid].proved_symbolically for lid in symbolic)


def test_wrong_variants_of_the_new_lemmas_fail_their_worlds():
    s = {
        name: sp.Symbol(name, real=True)
        for name in ("f_one", "f_zero", "endpoint_margin", "dobrushin")
    }
    wrong_endpoint = dataclasses.replace(
        LEMMAS["endpoint_identity"],
        id="endpoint_identity",
        relation=eq(s["f_one"], s["f_zero"] + 2 * s["endpoint_margin"]),
    )
    assert check_lemma(wrong_endpoint, seed=0, draws=8).failures > 0
    lem = LEMMAS["cosine_after_common_update"]
    no_update_term = dataclasses.replace(
        lem,
        relation=eq(lem.relation.lhs, lem.relation.rhs - sp.Symbol("update_norm_sq", real=True)),
    )
    assert check_lemma(no_update_term, seed=0, draws=8).failures > 0
    half = dataclasses.replace(
        LEMMAS["dobrushin_is_pair_mass"],
        relation=ge(sp.Symbol("mass_diff", real=True), 2 * s["dobrushin"]),
    )
    assert check_lemma(half, seed=0, draws=8).failures > 0
