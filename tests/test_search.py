"""The adversarial search: parametrised hypothesis sets, the float oracle, the gradient adversary,
shrinking, certified counterexamples for the controls, the verify phase, and the CLI."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from cli_runner import run_cli

from proofs_check.checks import registry
from proofs_check.checks.engine import RelationCheck, _take
from proofs_check.checks.relations import evaluate_cases
from proofs_check.instances import rng_for
from proofs_check.runner import resolve, run_all
from proofs_check.search.adversary import Adversary, AdversaryConfig, relation_check_of
from proofs_check.search.axes import probe_axes
from proofs_check.search.database import CounterexampleDB
from proofs_check.search.driver import (
    LARGEST_CONFIG,
    MIN_GROWN_STARTS,
    SEARCH_CONFIG,
    Searcher,
    grown_limits,
    screen_starts,
    shape_schedule,
)
from proofs_check.search.numeric import float_oracle
from proofs_check.search.shrink import shrink
from proofs_check.search.snippet import snippet
from proofs_check.search.space import (
    FREE,
    INTERVAL,
    PSD,
    STOCHASTIC,
    UNIT_ROWS,
    decode,
    encode,
    exact_instance,
    infer_space,
)
from theory.core import Condition, Kind, Statement

# -- the parametrisation ---------------------------------------------------------------------------


def _structured_sampler(rng, n, d, batch):
    """Every invariant the space recognises, one field each."""
    G = rng.standard_normal((batch, d, d))
    A = rng.random((batch, n, n)) * np.tril(np.ones((n, n)))  # causal: exact zeros above
    U = rng.standard_normal((batch, n, d))
    V = rng.standard_normal((batch, n, d))
    V[:, 0] = 0.0  # a zero-value sink
    return {
        "W": G @ np.swapaxes(G, 1, 2),
        "A": A / A.sum(axis=-1, keepdims=True),
        "U": U / np.linalg.norm(U, axis=-1, keepdims=True),
        "V": V,
        "eps": rng.uniform(1e-6, 0.49, batch),
        "delta": np.exp(rng.standard_normal(batch)),
        "s": rng.integers(0, n, batch),
    }


def test_space_is_inferred_from_the_samplers_invariants():
    space = infer_space(_structured_sampler, ((3, 2), (5, 4)))
    kinds = {f.name: f.kind for f in space.fields}
    assert kinds == {
        "W": PSD,
        "A": STOCHASTIC,
        "U": UNIT_ROWS,
        "V": FREE,
        "eps": INTERVAL,
        "delta": INTERVAL,
        "s": "frozen",
    }
    assert (space.spec("eps").lo, space.spec("eps").hi) == (0.0, 0.5)
    assert np.isinf(space.spec("delta").hi)
    # the theorems' samplers: PSD score matrices for T1.e, eps in (0, 1/2) for T1.a
    t1e = relation_check_of(registry()["T1.e"])
    assert infer_space(t1e.sample, t1e.shapes).spec("W").kind == PSD
    t1a = relation_check_of(registry()["T1.a"])
    eps = infer_space(t1a.sample, t1a.shapes).spec("eps")
    assert (eps.kind, eps.lo, eps.hi) == (INTERVAL, 0.0, 0.5)


def test_every_parameter_value_is_inside_the_hypothesis_set():
    rng = np.random.default_rng(1)
    batch = _structured_sampler(rng, 4, 3, 8)
    space = infer_space(_structured_sampler, ((4, 3),))
    theta, aux, frozen = encode(space, batch)
    back = decode(space, theta, aux, frozen, np)
    for k in ("W", "A", "U", "V", "eps", "delta"):
        np.testing.assert_allclose(back[k], batch[k], rtol=1e-12, atol=1e-12)
    moved = {k: v + 3.0 * rng.standard_normal(v.shape) for k, v in theta.items()}
    x = decode(space, moved, aux, frozen, np)
    assert np.all(np.linalg.eigvalsh(x["W"]) >= -1e-9)
    assert np.all(x["A"] >= 0) and np.allclose(x["A"].sum(-1), 1.0)
    assert np.all(x["A"][:, 0, 1:] == 0)  # the causal zeros stay exact zeros
    assert np.allclose(np.linalg.norm(x["U"], axis=-1), 1.0)
    assert np.all(x["V"][:, 0] == 0)  # the zero-value sink stays zero
    assert np.all((x["eps"] > 0) & (x["eps"] < 0.5)) and np.all(x["delta"] > 0)


def test_exact_instances_meet_the_invariants_exactly():
    rng = np.random.default_rng(2)
    batch = _structured_sampler(rng, 3, 3, 1)
    space = infer_space(_structured_sampler, ((3, 3),))
    inst = _take(batch, 0)
    for q in (None, 10):
        ex = exact_instance(space, inst, q)
        W = sp.Matrix(ex["W"].tolist())
        assert W == W.T and W.is_positive_semidefinite  # PSD as L L^T, exactly
        assert all(sum(row) == 1 for row in ex["A"].tolist())
        assert all(sum(v * v for v in row) == 1 for row in ex["U"].tolist())
        assert all(v == 0 for v in ex["V"][0]) and 0 < ex["eps"] < Fraction(1, 2)
        if q is not None:
            assert all(Fraction(v).denominator <= q for v in ex["V"].flat)
        for name in ("eps", "delta"):  # scalars stay dyadic: the certifier reads them exactly
            den = Fraction(ex[name][()]).denominator
            assert den & (den - 1) == 0 and (q is None or den <= 16)


def test_axes_roles_are_probed_from_the_sampler():
    axes = probe_axes(relation_check_of(registry()["T2-F3"]).sample)
    assert axes.token_axes["X"] == (0,) and axes.width_axes["X"] == (1,)
    assert axes.token_axes["V"] == (0,) and axes.token_axes["W"] == ()
    assert axes.width_axes["W"] == (0, 1)
    assert axes.token_indices == ("s",)  # the sink; not the causal flag or family labels


# -- the float oracle ---------------------------------------------------------------------------------


@pytest.mark.parametrize("sid", ["T1-F2", "T1.e", "T2-F3"])
def test_float_oracle_agrees_with_the_engine(sid):
    check = relation_check_of(registry()[sid])
    batch = check.sample(rng_for(0, sid, 0), 4, 3, 24)
    out = check.evaluate(batch)
    for b in range(24):
        result = float_oracle(check, _take(batch, b))
        slack = float(np.min(out["case_slack"][b]))
        if result.violated:
            assert out["case_violated"][b].any()
            assert result.slack == pytest.approx(slack, abs=1e-12)
        elif np.isfinite(slack):
            assert result.slack == pytest.approx(slack, abs=1e-12)


# -- the gradient adversary -----------------------------------------------------------------------------

top = sp.Symbol("top")


def _top_weight(inst, ops):
    A = ops.softmax(inst["X"] @ inst["W"] @ inst["X"].T)
    return {"top": ops.max(A, axis=-1)}


def _flat_attention(rng, n, d, batch):
    """Score matrices a thousand times too small for a row to concentrate: random search never
    sees ``max_j A_ij > 0.99``; the gradient simply scales ``W`` up."""
    return {
        "X": rng.standard_normal((batch, n, d)),
        "W": 1e-3 * rng.standard_normal((batch, d, d)),
    }


FLAT = RelationCheck(
    Statement(
        "TEST-F",
        "flat",
        "every attention row stays below 0.99",
        Kind.CONTROL,
        "test",
        (),
        (Condition("max_j A_ij <= 99/100", sp.LessThan(top, sp.Rational(99, 100))),),
    ),
    _flat_attention,
    _top_weight,
    ((4, 3),),
)


def test_gradient_reaches_violations_the_starts_do_not_have():
    # sampled starts only: a structured corner (``sharpen``: W times 10-100) is violated at once
    config = AdversaryConfig(restarts=16, steps=60, learning_rate=0.2, structured_fraction=0.0)
    adversary = Adversary(FLAT, config)
    starts, _ = adversary.starts(0, (4, 3), 0)
    assert not any(float_oracle(FLAT, _take(starts, b)).violated for b in range(16))
    result = adversary.run(0, (4, 3))
    assert result.violated.sum() >= 8 and result.worst_slack < 0
    searcher = Searcher(
        0, config=replace(SEARCH_CONFIG, structured_fraction=0.0, learning_rate=0.2)
    )
    outcome = searcher.search(FLAT, 20.0)
    assert outcome.found is not None and outcome.found.certificate.certified
    assert "adversary" in outcome.found.origin  # found by descent, not by screening the starts


# -- search on the controls: certified, shrunk, pasteable ------------------------------------------------

CONTROLS = [sid for sid, c in registry().items() if c.statement.kind is Kind.CONTROL]


@pytest.mark.parametrize("sid", CONTROLS)
def test_search_certifies_a_shrunk_counterexample_within_10_s(sid, tmp_path):
    db = CounterexampleDB(tmp_path)
    outcome = Searcher(0, db).search(registry()[sid], 10.0)
    found = outcome.found
    assert found is not None and found.certificate.certified, outcome.error
    assert found.elapsed_s < 10.0
    n, d = found.shape
    assert n <= 4 and d <= 3  # shrunk (the controls are refuted by two to four tokens)
    assert found.saved_to is not None and found.saved_to.exists()
    assert Searcher(0, db).search(registry()[sid], 10.0).found.origin.startswith("database")
    namespace: dict = {}
    exec(snippet(sid, found.instance, found.case, found.certificate.summary()), namespace)


def test_search_on_a_theorem_finds_nothing_and_reports_its_tightest_slack():
    outcome = Searcher(0).search(registry()["T1.a"], 2.0)
    assert outcome.found is None and outcome.error is None and outcome.rounds >= 1
    assert outcome.worst_slack is not None and outcome.worst_slack >= -1e-12


def test_shrinking_keeps_the_violation_and_simplifies():
    check = relation_check_of(registry()["T1-F4"])
    adversary = Adversary(check, AdversaryConfig(restarts=16, steps=20))
    result = adversary.run(0, (8, 8))
    hit = _take(result.instances, int(np.argmin(result.violation)))
    assert float_oracle(check, hit).violated
    shrunk = shrink(check, adversary.space, adversary.axes, hit)
    assert shrunk is not None and shrunk.oracle.violated
    assert shrunk.shape(adversary.axes) < (8, 8) and shrunk.denominator is not None
    assert check.certify(shrunk.exact, shrunk.oracle.case).certified


def test_shape_schedule_starts_small_but_not_trivial():
    assert shape_schedule(((2, 1), (64, 64), (4, 3), (3, 2), (8, 8)))[:3] == [
        (3, 2),
        (4, 3),
        (8, 8),
    ]


# -- verify's adversarial phase ---------------------------------------------------------------------------


def test_verify_phase_is_deterministic_and_reports_the_adversary():
    def report(seed: int) -> list[dict]:
        searcher = Searcher(seed)
        evs = run_all(resolve(["T1.a", "T1-F2"]), seed, 80, phases=searcher)
        return [ev.to_json() for ev in evs]

    first, second = report(3), report(3)
    assert json.dumps(first, sort_keys=True, default=str) == json.dumps(
        second, sort_keys=True, default=str
    )
    theorem, control = first
    reached = theorem["machine_dependent"]["adversary_worst_slack"]
    assert theorem["verdict"] == "HOLDS" and reached >= -1e-12
    assert "worst_slack" not in theorem["adversary"]  # trajectory-dependent: machine_dependent
    assert control["verdict"] == "REFUTED" and control["adversary"] is None  # random refuted it
    # gradient rounds: the smallest interesting shape, the smallest and the largest
    rounds = theorem["adversary"]["rounds"]
    assert [r["shape"] for r in rounds] == [[3, 2], [2, 1], [64, 64]]
    assert rounds[0]["restarts"] == Searcher(3).config.restarts
    assert rounds[2]["restarts"] == LARGEST_CONFIG.restarts
    # the screen: every declared shape, then n grown (doubled) up to four times the largest
    screened = theorem["adversary"]["screened"]["shapes"]
    declared = [list(s) for s in registry()["T1.a"].shapes]
    assert sorted(map(tuple, screened[: len(declared)])) == sorted(map(tuple, declared))
    assert screened[len(declared) :] == [[128, 64], [256, 64]]
    # fewer starts where n grew (the oracle's cost grows with n): 64 / 2 and 64 / 4
    starts = theorem["adversary"]["screened"]["starts"]
    assert starts[len(declared) :] == [32, 16]


def test_grown_shapes_screen_fewer_starts_but_every_corner():
    limits = grown_limits(((2, 1), (64, 64)), [(128, 64), (256, 64), (512, 64)], 64)
    assert limits == {(128, 64): 32, (256, 64): 16, (512, 64): MIN_GROWN_STARTS}
    adv = Adversary(registry()["T1.a"], SEARCH_CONFIG)
    batch, labels = adv.starts(0, (128, 64), 0, MIN_GROWN_STARTS)
    assert len(labels) == MIN_GROWN_STARTS and batch["X"].shape[0] == MIN_GROWN_STARTS
    corners = labels[: MIN_GROWN_STARTS // 2]
    assert len(set(corners)) == len(corners) and "sampled" not in corners  # each corner once
    assert set(labels[MIN_GROWN_STARTS // 2 :]) == {"sampled"}


def test_the_screen_skips_comparisons_in_the_subnormal_range():
    """T5.b's two sides of an equation near 1e-300 (A_ij tiny) differ by 1e-7 relative in NumPy,
    which keeps subnormals, while XLA flushes them: never a candidate (each one cost seconds)."""
    a, b = sp.symbols("a b", positive=True)
    st = Statement("X.eq", "eq", "a = b", Kind.CONTROL, "X", (), (Condition("a = b", sp.Eq(a, b)),))
    for scale, clear in ((1.0, True), (1e-300, False)):
        obs = {"a": np.array([scale]), "b": np.array([scale * (1 + 1e-7)])}
        out = evaluate_cases(st, obs, {}, np)
        assert bool(out["violated"][0]) and bool(out["violated_clear"][0]) is clear
    rc = registry()["T5.b"]
    assert screen_starts(rc, Adversary(rc, SEARCH_CONFIG), 0, (8, 8)) == []


def test_verify_phase_refutes_a_control_the_random_phase_misses():
    """One instance per shape: the random phase has nothing; the adversary's round certifies."""

    @dataclass(frozen=True)
    class OneSample:
        inner: RelationCheck

        @property
        def statement(self):
            return self.inner.statement

        def run(self, seed, samples):
            return self.inner.run(seed, 1)

    ev = OneSample(FLAT).run(0, 1)
    assert ev.counterexample is None
    Searcher(0, config=AdversaryConfig(restarts=16, steps=60, learning_rate=0.2)).verify_phase(
        FLAT, ev
    )
    assert ev.verdict == "REFUTED" and ev.counterexample.family.startswith("adversary/")


# -- the CLI -------------------------------------------------------------------------------------------------


def test_search_cli_prints_a_snippet_and_writes_json(tmp_path):
    out = tmp_path / "search.json"
    proc = run_cli(
        "search",
        "T1-F4",
        "T1.a",
        "--budget",
        "3",
        "--db",
        str(tmp_path / "db"),
        "--json",
        str(out),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (
        "T1-F4 (CONTROL): FOUND" in proc.stdout
        and "T1.a (THEOREM): no counterexample" in proc.stdout
    )
    assert "assert certify_instance('T1-F4', instance" in proc.stdout
    assert proc.stderr.strip() == ""  # no progress bar when stderr is not a terminal
    report = json.loads(out.read_text())
    statuses = {r["id"]: r["status"] for r in report["results"]}
    assert statuses == {"T1-F4": "FOUND", "T1.a": "NOT FOUND"} and report["all_as_expected"]
    assert report["results"][0]["counterexample"]["certificate"]["certified"]


def test_search_cli_errors_are_one_line():
    proc = run_cli("search", "T9.z")
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("proofs-check: error:") and "T9.z" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
