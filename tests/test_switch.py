"""T2 (sinks are hard attention switches): verdicts, symbolic steps, hand-made instances, mutations."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import flint
import numpy as np
import pytest
import sympy as sp

from proofs_check.backend import ARB, JAX, to_arb_array
from proofs_check.checks import switch as C
from proofs_check.checks.engine import RelationCheck
from proofs_check.evidence import HOLDS, REFUTED
from proofs_check.instances import rng_for
from theory import switch as T2
from theory.core import Combination, Condition, Kind, Root, verify_steps
from theory.symbols import R, eta, m, n

SAMPLES = 160
SMALL_SHAPES = ((2, 2), (3, 2), (4, 3), (8, 8))
TEST_SHAPES = (
    (2, 1),
    (3, 2),
    (8, 8),
    (32, 16),
)  # n = 2 and odd n, up to n = 32 (fewer compilations)


def _light(check):
    """The shipped check on fewer shapes (each shape costs a compilation); F1 keeps its even n."""
    if check.shapes == C.EVEN_SHAPES:
        return dataclasses.replace(check, shapes=((2, 1), (4, 3), (8, 8), (16, 4)))
    return dataclasses.replace(check, shapes=TEST_SHAPES)


@pytest.fixture(scope="module")
def t2_evidence() -> dict[str, object]:
    return {c.statement.id: _light(c).run(0, SAMPLES) for c in C.checks()}


# -- verdicts ------------------------------------------------------------------------------------


def test_statement_ids_follow_theory_order() -> None:
    assert [c.statement.id for c in C.checks()] == [
        "T2.a",
        "T2.b",
        "T2.c",
        "T2.d",
        "T2-F1",
        "T2-F2",
        "T2-F3",
    ]
    assert [s.id for s in T2.STATEMENTS] == [c.statement.id for c in C.checks()]


@pytest.mark.parametrize("sid", ["T2.a", "T2.b", "T2.c", "T2.d"])
def test_theorems_hold(t2_evidence: dict, sid: str) -> None:
    ev = t2_evidence[sid]
    assert ev.verdict == HOLDS, ev.to_json()
    assert ev.met >= ev.min_met
    assert ev.counterexample is None
    assert ev.worst_slack is not None and ev.worst_slack > -C.ROUNDING_FLOOR
    assert len(ev.families) > 10


@pytest.mark.parametrize("sid", ["T2-F1", "T2-F2", "T2-F3"])
def test_controls_refuted_with_certificate(t2_evidence: dict, sid: str) -> None:
    ev = t2_evidence[sid]
    assert ev.verdict == REFUTED, ev.to_json()
    cert = ev.counterexample.certificate
    assert cert.certified and cert.method == "arb ball arithmetic"
    assert cert.precision_bits is not None


def test_zero_output_control_proves_y_is_exactly_zero(t2_evidence: dict) -> None:
    cert = t2_evidence["T2-F1"].counterexample.certificate
    (hyp_ball,) = cert.hypotheses.values()
    assert hyp_ball == "0"  # the ball of max_i ||y_i|| - 0 is exact: Y = 0 is proven
    inst = t2_evidence["T2-F1"].counterexample.instance
    assert np.all(np.asarray(inst["W"]) == 0)  # uniform attention, the values cancel


def test_bounds_attained_on_equal_values(t2_evidence: dict) -> None:
    for sid in ("T2.b", "T2.c", "T2.d"):
        reported = t2_evidence[sid].extra["reported"]
        attained = [k for k in reported if k.endswith("max |slack| where attained")]
        assert attained, sid
        for name in attained:
            cases = reported[name.replace("max |slack|", "cases")]
            assert len(cases) == 1 and next(iter(cases.values())) > 0, (sid, name, cases)
            assert next(iter(reported[name].values())) < 1e-14, (sid, name, reported[name])


def test_every_conclusion_is_exercised(t2_evidence: dict) -> None:
    for sid in ("T2.b", "T2.c", "T2.d"):
        reported = t2_evidence[sid].extra["reported"]
        cases = [k for k in reported if k.endswith(" cases")]
        assert len(cases) == len(C.sympy_relations_of(t2_evidence[sid].statement)[1])
        for name in cases:
            assert reported[name] > 20, (sid, name, reported[name])


# -- symbolic steps ------------------------------------------------------------------------------


@pytest.mark.parametrize("statement", T2.STATEMENTS, ids=lambda s: s.id)
def test_derivation_steps_verify(statement) -> None:
    assert all(r.verified for r in verify_steps(statement.derivation))


def test_theorems_have_derivations() -> None:
    for st in T2.STATEMENTS:
        if st.kind is Kind.THEOREM:
            assert len(st.derivation) >= 5, st.id


def test_threshold_root_and_wrong_root() -> None:
    cap = R * (n - 1) * sp.exp(-m) / (1 + (n - 1) * sp.exp(-m))
    assert Root("", sp.Eq(cap, eta), m, (T2.margin_threshold(n, eta, R),)).verify()
    wrong = sp.log((n - 1) * R / eta)
    assert not Root("", sp.Eq(cap, eta), m, (wrong,)).verify()


def test_shrunk_upper_bound_has_no_combination_proof() -> None:
    a2, a3, n2, n3 = sp.symbols("a2 a3 n2 n3", positive=True)
    good = Combination("", (a2 + a3) * R - (a2 * n2 + a3 * n3), ((a2, R - n2), (a3, R - n3)))
    shrunk = Combination(
        "",
        sp.Rational(9, 10) * (a2 + a3) * R - (a2 * n2 + a3 * n3),
        ((a2, R - n2), (a3, R - n3)),
    )
    assert good.verify() and not shrunk.verify()


def test_output_cap_equals_theory_form() -> None:
    theory_form = R * (n - 1) * sp.exp(-m) / (1 + (n - 1) * sp.exp(-m))
    assert sp.simplify(T2.output_bound_from_margin() - theory_form) == 0


# -- hand-made instances -------------------------------------------------------------------------


def _instance(X, W, V, s=0, causal=0, **extra) -> dict:
    return {
        "X": np.asarray(X, dtype=float),
        "W": np.asarray(W, dtype=float),
        "V": np.asarray(V, dtype=float),
        "s": np.asarray(s),
        "causal": np.asarray(causal),
        **extra,
    }


def test_equality_case_of_two_sided_bound() -> None:
    """v_s = 0, all other values equal v: ||y_i|| = (1 - A_is) ||v|| = (1 - A_is) delta = (1 - A_is) R."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((5, 3))
    W = rng.standard_normal((3, 3))
    v = np.array([3.0, -4.0])
    V = np.vstack([np.zeros(2), np.tile(v, (4, 1))])
    inst = _instance(X, W, V, s=0)
    inst.update(C.prepare_delta(inst))
    assert inst["delta"] == pytest.approx(5.0, rel=1e-15)
    obs = {k: np.asarray(x) for k, x in C.bound_observables(inst, JAX).items()}
    assert float(obs["R"]) == 5.0
    assert float(obs["sink_value_norm"]) == 0.0
    np.testing.assert_allclose(obs["out_norm"], obs["rest"] * 5.0, rtol=1e-14)
    np.testing.assert_allclose(obs["resid_norm"], obs["out_norm"], rtol=0)


def test_uniform_attention_on_cancelling_values_is_exactly_off() -> None:
    """W = 0, n = 4, values v, -v, w, -w: Y = 0 exactly in ball arithmetic, yet no mass on Z = {}."""
    X = np.arange(12, dtype=float).reshape(4, 3)
    V = np.array([[1.5, -2.0], [-1.5, 2.0], [0.25, 3.0], [-0.25, -3.0]])
    inst = _instance(X, np.zeros((3, 3)), V)
    arb_inst = {
        k: (to_arb_array(v) if np.asarray(v).dtype.kind == "f" else int(v)) for k, v in inst.items()
    }
    obs = C.switch_off_observables(arb_inst, ARB)
    assert obs["out_max"].is_exact() and obs["out_max"].is_zero()
    assert obs["rest_zero_max"] == 1
    check = C.checks()[4]
    cert = check.certify(inst, 0)
    assert cert.certified


def test_zero_set_lower_bound_by_hand() -> None:
    """Z = {0, 3}; the others (1, 0) and (0, 1): delta_Z = 1/sqrt(2)."""
    X = np.eye(4)
    W = np.diag([2.0, 0.0, 1.0, 3.0])
    V = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    inst = _instance(X, W, V, s=0)
    inst.update(C.prepare_delta_zero(inst))
    assert inst["delta_zero"] == pytest.approx(2**-0.5, rel=1e-15)
    obs = {k: np.asarray(x) for k, x in C.zero_set_observables(inst, JAX).items()}
    rows = np.exp(W) / np.exp(W).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(obs["rest_zero"], rows[:, 1] + rows[:, 2], rtol=1e-15)
    y = rows @ V
    np.testing.assert_allclose(obs["out_norm"], np.linalg.norm(y, axis=1), rtol=1e-14)
    assert np.all(obs["out_norm"] >= obs["rest_zero"] * inst["delta_zero"])


def test_decomposition_weights_by_hand() -> None:
    """Row i: A_ij = (1 - A_is) w_ij with w the softmax over j != s; causal row s has no competitor."""
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    W = np.array([[0.5, -1.0], [2.0, 0.25]])
    inst = _instance(X, W, np.ones((3, 1)), s=0, causal=1)
    obs = {
        k: np.asarray(x).reshape(3, 3) for k, x in C.decomposition_observables(inst, JAX).items()
    }
    S = X @ W @ X.T
    for i in range(3):
        comp = [j for j in range(1, i + 1)]
        assert list(np.flatnonzero(obs["competitor"][i])) == comp
        if not comp:
            assert obs["rest"][i, 0] == 0.0
            continue
        w = np.exp(S[i, comp]) / np.exp(S[i, comp]).sum()
        np.testing.assert_allclose(obs["conv_weight"][i, comp], w, rtol=1e-15)
        np.testing.assert_allclose(obs["attn_weight"][i, comp], obs["rest"][i, 0] * w, rtol=1e-14)


def test_margin_cap_by_hand() -> None:
    """W = 0: margins 0, v_s = 0, others equal with norm R: ||y_i|| = R (n-1)/n, the cap exactly."""
    n_tok = 4
    V = np.vstack([np.zeros(2), np.tile([0.6, 0.8], (n_tok - 1, 1))])
    eta_rows = np.full(n_tok, 0.9)
    inst = _instance(np.ones((n_tok, 2)), np.zeros((2, 2)), V, eta=eta_rows)
    obs = {k: np.asarray(x) for k, x in C.margin_observables(inst, JAX).items()}
    np.testing.assert_allclose(obs["margin"], 0.0)
    np.testing.assert_allclose(obs["out_norm"], (n_tok - 1) / n_tok, rtol=1e-15)
    threshold = float(T2.margin_threshold(n_tok, sp.Rational(9, 10), 1))  # log(3 * 0.1/0.9) < 0
    assert threshold < 0 and np.all(obs["out_norm"] <= 0.9)


# -- delta: float and rigorous ---------------------------------------------------------------------


def test_delta_float_is_zero_when_origin_in_hull() -> None:
    P = np.array([[1.0, 2.0], [-1.0, -2.0], [0.3, 0.1]])
    assert C.delta_float(P) == 0.0
    assert C.delta_float(np.array([[1.0, 0.0], [0.0, 1.0]])) == pytest.approx(2**-0.5, rel=1e-15)
    assert C.delta_float(np.zeros((0, 2))) == 0.0


def _fractions(P) -> np.ndarray:
    return np.array([[Fraction(x) for x in row] for row in P], dtype=object)


def test_delta_exact_contains_truth() -> None:
    ball = C.delta_exact(_fractions([[1.0, 0.0], [0.0, 1.0], [2.0, 2.0]]))
    assert (ball - flint.arb(2).sqrt() / 2).contains(0)
    assert ball.rad() < 1e-15
    zero = C.delta_exact(_fractions([[1.0, 2.0], [-1.0, -2.0]]))
    assert zero.is_zero()


def test_delta_enclosure_on_a_degenerate_face() -> None:
    """Repeated points make the exact KKT system singular; the duality enclosure still holds."""
    P = _fractions([[3.0, 4.0], [3.0, 4.0], [3.0, 4.0]])
    h = C.hull_distance(np.array([[3.0, 4.0]] * 3))
    ball = C.delta_enclosure(P, h)
    assert ball.contains(5) and ball.rad() < 1e-12
    assert C.delta_exact(P).contains(5)


# -- samplers --------------------------------------------------------------------------------------


def test_planted_zero_set_sizes() -> None:
    rng = rng_for(0, "test", 0)
    V = rng.standard_normal((400, 6, 3)) + 5.0
    s = rng.integers(0, 6, 400)
    Z = np.all(C.plant_zero_values(rng, V, s) == 0, axis=-1)
    sizes = Z.sum(axis=1)
    assert sizes.min() >= 1 and sizes.max() <= 5
    assert 0.4 < np.mean(Z[np.arange(400), s]) < 0.8  # s in Z about half the time (plus chance)


def test_eta_in_open_interval() -> None:
    inst = C.SwitchSampler(zero_sink=True, with_eta=True)(rng_for(0, "test", 1), 8, 4, 200)
    others = np.arange(8)[None, :] != inst["s"][:, None]
    R_ = np.where(others, np.linalg.norm(inst["V"], axis=-1), 0).max(axis=1)
    assert np.all(inst["eta"] > 0) and np.all(inst["eta"] < R_[:, None])
    assert np.all(inst["V"][np.arange(200), inst["s"]] == 0)
    assert np.all(inst["s"][inst["causal"] == 1] == 0)


# -- the checks can fail: slightly strengthened theorems are refuted --------------------------------


def _mutated(check, conclusion: sp.Rel, given=()) -> RelationCheck:
    st = dataclasses.replace(
        check.statement,
        id=check.statement.id + "-strengthened",
        kind=Kind.CONTROL,
        conclusions=(Condition("strengthened", conclusion, given),),
        derivation=(),
    )
    return dataclasses.replace(check, statement=st, shapes=SMALL_SHAPES)


def _refuted(check) -> None:
    ev = check.run(3, 64)
    assert ev.verdict == REFUTED, ev.to_json()
    assert ev.counterexample.certificate.certified


# where T2.b and T2.c are attained: v_s = 0 and all other values equal (outside the zero set Z)
_EQUAL_VALUES = C.SwitchSampler(value_families=(C._EQUAL,))
_EQUAL_OUTSIDE_Z = C.SwitchSampler(value_families=(C._EQUAL,), zero_set=True)


def test_lower_bound_off_by_one_millionth_is_refuted() -> None:
    check = C.checks()[1]  # T2.b, delta from the exact min-norm point when certifying
    bigger = sp.Rational(1_000_001, 1_000_000)
    _refuted(
        dataclasses.replace(
            _mutated(check, sp.GreaterThan(T2.resid_norm, bigger * T2.rest * T2.delta)),
            sample=_EQUAL_VALUES,
        )
    )


def test_upper_bound_off_by_one_millionth_is_refuted() -> None:
    check = C.checks()[1]
    smaller = sp.Rational(999_999, 1_000_000)
    _refuted(
        dataclasses.replace(
            _mutated(check, sp.LessThan(T2.resid_norm, smaller * T2.rest * R)),
            sample=_EQUAL_VALUES,
        )
    )


def test_zero_set_lower_bound_strengthened_is_refuted() -> None:
    check = C.checks()[2]
    rel = sp.GreaterThan(T2.out_norm, sp.Rational(11, 10) * T2.rest_zero * T2.delta_zero)
    _refuted(dataclasses.replace(_mutated(check, rel), sample=_EQUAL_OUTSIDE_Z))


def test_margin_cap_strengthened_is_refuted() -> None:
    check = C.checks()[3]
    rel = sp.LessThan(T2.out_norm, sp.Rational(9, 10) * T2.output_bound_from_margin())
    _refuted(dataclasses.replace(_mutated(check, rel), sample=C._T2D_SAMPLER.other))


def test_decomposition_without_rest_factor_is_refuted() -> None:
    check = C.checks()[0]
    _refuted(_mutated(check, sp.Eq(T2.attn_weight, T2.conv_weight)))


def test_rounding_floor_is_small() -> None:
    assert 0 < C.ROUNDING_FLOOR <= 1e-10


def test_every_check_keeps_its_rounding_floor_through_replace() -> None:
    for check in C.checks():
        rc = check
        assert rc.rounding_floor == C.ROUNDING_FLOOR
        assert dataclasses.replace(rc, shapes=SMALL_SHAPES).rounding_floor == C.ROUNDING_FLOOR
