"""The trusted base is tested, never merely trusted: every lemma on random and near-equality
instances, and its symbolic proof where it has one."""

from __future__ import annotations

import pytest
import sympy as sp

from proofs_check.lemma_check import check_all, check_lemma, world_of
from theory.kernel import ge
from theory.lemmas import LEMMAS, Lemma


@pytest.fixture(scope="module")
def results():
    return {r.lemma: r for r in check_all(seed=0, draws=8)}


def test_every_lemma_holds_on_random_and_adversarial_instances(results):
    assert set(results) == set(LEMMAS)
    failing = {k: r.failures for k, r in results.items() if r.failures}
    assert not failing, failing
    unexercised = [k for k, r in results.items() if r.met == 0]
    assert not unexercised, unexercised


def test_every_lemma_has_a_citation_and_what_it_rests_on():
    for lem in LEMMAS.values():
        assert lem.citation
        assert lem.variables or lem.rests_on, lem.id


def test_symbolic_proofs_of_lemmas_hold():
    proved = [lem.id for lem in LEMMAS.values() if lem.symbolic is not None]
    assert len(proved) >= 10
    for lem in LEMMAS.values():
        if lem.symbolic is not None:
            assert lem.proved_symbolically, lem.id


def test_the_lemma_check_can_fail():
    # a false "lemma" in a real world: every rival term is at most the largest (fine) ... reversed
    wrong = Lemma(
        "wrong",
        ge(sp.Symbol("rival_max", real=True), sp.Symbol("rival_sum", real=True)),
        "x",
        ("rival_sum",),
    )
    assert world_of(wrong) == "softmax"
    assert check_lemma(wrong, seed=0, draws=8).failures > 0
