"""T3 (dense vs sparse smoothing) and E3: verdicts, symbolic steps, the public condition, witnesses."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import sympy as sp

from proofs_check.backend import ARB, JAX, to_arb_array
from proofs_check.checks import smoothing as C
from proofs_check.evidence import HOLDS, REFUTED, REPORTED, VACUOUS
from proofs_check.instances import rng_for
from proofs_check.observables import smoothing as O
from theory import smoothing as T3
from theory.core import Identity, verify_steps

SAMPLES = 240
TEST_SHAPES = ((2, 1), (3, 2), (8, 8), (32, 16))


def _light(check):
    """The shipped check on fewer shapes (each shape costs a compilation)."""
    if check.statement.id == "E3":
        return dataclasses.replace(check, shapes=((2, 2), (3, 2), (8, 4)))
    return dataclasses.replace(check, shapes=TEST_SHAPES)


@pytest.fixture(scope="module")
def t3() -> dict[str, object]:
    return {c.statement.id: _light(c).run(0, SAMPLES) for c in C.checks()}


# -- verdicts ------------------------------------------------------------------------------------


def test_statement_ids_follow_theory_order() -> None:
    ids = ["T3.a", "T3.b", "T3.c", "T3.d", "T3-F1", "T3-F2", "T3.e", "T3.f", "T3.g"]
    ids += ["T3-F3", "T3-F4", "T3-F5", "T3-F6", "T3-F7", "E3"]
    assert [s.id for s in T3.STATEMENTS] == ids
    assert [c.statement.id for c in C.checks()] == ids


@pytest.mark.parametrize("sid", ["T3.a", "T3.b", "T3.c", "T3.d"])
def test_theorems_hold(t3, sid: str) -> None:
    ev = t3[sid]
    assert ev.verdict == HOLDS, ev.to_json()
    assert ev.met >= ev.min_met
    assert ev.counterexample is None and ev.uncertified_violations == 0
    assert ev.worst_slack is not None and ev.worst_slack > -1e-10


@pytest.mark.parametrize("sid", ["T3.b", "T3.c"])
def test_both_directions_of_each_iff_are_exercised_for_every_target(t3, sid: str) -> None:
    ev = t3[sid]
    sides = ev.extra["sides"]
    assert len(sides) == 2
    assert all(side["instances"] >= 30 for side in sides.values())
    by_kind = ev.extra["sides_by_kind"]
    for target in C.TARGETS:
        for side in sides:
            assert by_kind.get(f"{target}: {side}", 0) >= 1, (target, side, by_kind)


def test_a_barely_exercised_direction_is_vacuous() -> None:
    check = dataclasses.replace(C.checks()[1], shapes=((3, 2),), min_per_side=10**6)
    assert check.run(0, 40).verdict == VACUOUS


@pytest.mark.parametrize("sid", ["T3-F1", "T3-F2"])
def test_controls_are_refuted_with_an_arb_certificate(t3, sid: str) -> None:
    ev = t3[sid]
    assert ev.verdict == REFUTED
    cert = ev.counterexample.certificate
    assert cert.certified and cert.method == "arb ball arithmetic"
    assert "renormalised" in cert.note


def test_exploration_is_reported_with_its_findings(t3) -> None:
    ev = t3["E3"]
    assert ev.verdict == REPORTED
    counts = ev.extra["family_counts"]
    per_kind = ev.extra["reported"][C.DECREASES + " per W_V"]
    assert set(counts) == set(C.E3_VALUE_KINDS)
    assert all(0 <= per_kind.get(k, 0) <= counts[k] for k in counts)
    per_shape = ev.extra["reported"][C.DECREASES + " per shape"]
    assert sum(per_shape.values()) == sum(per_kind.values())
    # a contracting W_V = -c I undoes the residual as A_beta -> I: decreases are common there
    assert per_kind["contracting"] > 0
    assert ev.counterexample is not None and ev.counterexample.certificate.certified
    assert ev.detail.startswith("NOT monotone")


def test_exploration_finds_nothing_where_monotonicity_is_known() -> None:
    """n = 2 with a symmetric PSD W_V: mu^2 = ||(x_1 - x_2)(I + (p + q - 1) W_V)||^2 / 2 with
    p + q increasing in beta, so mu is monotone: the exploration must report no decrease."""
    check = next(c for c in C.checks() if c.statement.id == "E3")
    psd = (C.E3_VALUE_KINDS.index("psd_symmetric"), C.E3_VALUE_KINDS.index("scaled_identity"))
    check = dataclasses.replace(check, sample=C.TemperatureSampler(kinds=psd), shapes=((2, 2),))
    ev = check.run(0, 120)
    assert ev.verdict == REPORTED and ev.met == 120
    assert ev.counterexample is None and ev.float_noise == 0
    assert sum(ev.extra["reported"][C.DECREASES + " per W_V"].values()) == 0
    assert ev.detail.startswith("no certified decrease")


# -- symbolic steps --------------------------------------------------------------------------------


@pytest.mark.parametrize("statement", T3.STATEMENTS, ids=lambda s: s.id)
def test_every_symbolic_step_verifies(statement) -> None:
    assert all(r.verified for r in verify_steps(statement.derivation))


def test_the_identity_step_rejects_a_wrong_coefficient() -> None:
    """The T3.a identity would not verify with the linear term's factor 2 dropped."""
    step = T3.SMOOTHING_IDENTITY.derivation[1]
    assert isinstance(step, Identity) and step.verify()
    wrong = Identity("wrong", step.lhs, T3._lin + T3._quad)
    assert not wrong.verify()


def test_named_cases_are_substitutions_into_the_row_margin() -> None:
    texts = [s.text for s in T3.NAMED_CASES.derivation]
    assert any("zero-value sink" in t for t in texts) and any("diagonal" in t for t in texts)
    assert T3.NAMED_CASES.conclusions[0].given == (sp.Eq(T3.target_kind, 0),)


# -- the public condition on hand-made instances -------------------------------------------------


def test_diagonal_target_with_uniform_attention_by_hand() -> None:
    """X = (1, -1)^T, A uniform, V = X, B = I: AV = 0, Z = X, Delta = V: margins 1, 1."""
    X = np.array([[1.0], [-1.0]])
    A = np.full((2, 2), 0.5)
    cond = O.smoothing_condition(X, A, O.diagonal_target(2), X.copy())
    np.testing.assert_allclose(cond.row_margins, [1.0, 1.0])
    assert cond.uniform_margin == pytest.approx(2.0)
    assert cond.dense_smooths_more and cond.dense_smooths_more_uniform
    assert cond.fraction_of_rows_holding == 1.0


def test_zero_value_sink_by_hand() -> None:
    """X = (0, 1)^T, A uniform, V = (0, 2)^T (v_1 = 0), B = 1 e_1^T: AV = 1, Z = (-1/2, 1/2)^T,
    Delta = -AV = (-1, -1)^T: margins 1/2 and -1/2, <Z, Delta>_F = 0."""
    X = np.array([[0.0], [1.0]])
    A = np.full((2, 2), 0.5)
    V = O.zero_sink_value(np.array([[5.0], [2.0]]), 0)
    cond = O.smoothing_condition(X, A, O.sink_target(2, 0), V)
    np.testing.assert_allclose(cond.row_margins, [0.5, -0.5])
    assert cond.uniform_margin == pytest.approx(0.0)
    assert not cond.dense_smooths_more
    assert cond.dense_smooths_more_uniform
    # T3.d: the sink's margin is -<z_i, a_i>
    Z = O.centred_dense_output(O.NUMPY, X, A, V)
    np.testing.assert_allclose(O.named_sink_margins(O.NUMPY, Z, A @ V), cond.row_margins)


def test_edge_change_matches_the_identity_by_hand() -> None:
    """In the zero-value sink example, f(t e_2) = (1 - t)^2 / 2 = f(0) - t + t^2/2 (T3.a)."""
    X, A = np.array([[0.0], [1.0]]), np.full((2, 2), 0.5)
    V, B = np.array([[0.0], [2.0]]), O.sink_target(2, 0)
    for t in (0.0, 0.25, 1.0):
        alpha = np.array([0.0, t])
        assert O.smoothing_objective(O.NUMPY, X, A, B, V, alpha) == pytest.approx((1 - t) ** 2 / 2)
    Delta = O.sparsification_shift(O.NUMPY, A, B, V)
    np.testing.assert_allclose(O.row_curvatures(O.NUMPY, Delta), [0.5, 0.5])
    witness = O.row_witness(np.array([0.5, -0.5]), np.array([0.5, 0.5]))
    np.testing.assert_allclose(witness, [0.0, 1.0])  # -m/q = 1: the vertex e_2
    assert O.smoothing_objective(O.NUMPY, X, A, B, V, witness) < 0.5


def test_witness_step_is_half_the_root_or_the_vertex() -> None:
    assert O.edge_step(-1.0, 4.0) == 0.25
    assert O.guaranteed_change(-1.0, 4.0) == pytest.approx(-0.25)  # -m^2/q
    assert O.edge_step(-1.0, 0.5) == 1.0
    assert O.guaranteed_change(-1.0, 0.5) == pytest.approx(-1.5)  # 2m + q
    with pytest.raises(ValueError):
        O.edge_step(0.0, 1.0)
    np.testing.assert_array_equal(O.row_witness(np.array([0.0, 1.0]), np.ones(2)), [0.0, 0.0])


def test_targets() -> None:
    np.testing.assert_array_equal(O.sink_target(3, 1), [[0, 1, 0]] * 3)
    np.testing.assert_array_equal(O.diagonal_target(2), np.eye(2))
    with pytest.raises(ValueError):
        O.sink_target(3, 3)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda X, A, B, V: (X[0], A, B, V), "X must be a 2-d array"),
        (lambda X, A, B, V: (X, A[:, :2], B, V), "A must be"),
        (lambda X, A, B, V: (X, A * 1.1, B, V), "row 0 sums to"),
        (lambda X, A, B, V: (X, A, B + np.outer(np.eye(3)[0], [0.5, -0.5, 0]), V), "negative"),
        (lambda X, A, B, V: (X, A, B, V[:, :1]), "V must have the shape of X"),
        (lambda X, A, B, V: (X, A, B, np.where(V > 0, np.nan, V)), "non-finite"),
        (lambda X, A, B, V: (X.astype(complex), A, B, V), "real numbers"),
        (lambda X, A, B, V: (X[:1], A[:1, :1], B[:1, :1], V[:1]), "at least 2 tokens"),
    ],
)
def test_input_validation(change, message: str) -> None:
    rng = np.random.default_rng(0)
    X, V = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    A = np.full((3, 3), 1 / 3)
    B = O.diagonal_target(3)
    with pytest.raises(ValueError, match=message):
        O.smoothing_condition(*change(X, A, B, V))


def test_tolerance_for_row_sums_is_a_parameter() -> None:
    X = np.eye(2)
    A = np.array([[0.5, 0.5 + 1e-7], [0.5, 0.5]])
    O.smoothing_condition(X, A, np.eye(2), X)
    with pytest.raises(ValueError):
        O.smoothing_condition(X, A, np.eye(2), X, atol=1e-9)


# -- one observable code path, three backends ---------------------------------------------------


def test_numpy_jax_and_arb_agree_on_the_observables() -> None:
    sampler = C.SmoothingSampler(favour_condition=0.5)
    batch = sampler(rng_for(0, "test", 0), 4, 3, 3)
    inst = {k: v[0] for k, v in batch.items()}
    inst.update(C.row_witness_of(inst))
    as_jax = C.rowwise_observables(inst, JAX)
    exact = {k: to_arb_array(np.asarray(inst[k])) for k in ("X", "A", "B", "V", "alpha", "witness")}
    as_arb = C.rowwise_observables(exact, ARB)
    for key in ("f_zero", "f_witness", "margin_min"):
        value = float(as_jax[key])
        assert abs(float(as_arb[key].mid()) - value) <= 1e-10 * (1 + abs(value))
        assert as_arb[key].rad() < 1e-10 * (1 + abs(value))
    X, A, B, V = (np.asarray(inst[k]) for k in ("X", "A", "B", "V"))
    cond = O.smoothing_condition(X, A, B, V)
    assert float(as_jax["margin_min"]) == pytest.approx(cond.row_margins.min(), abs=1e-12)


def test_exact_renormalisation_makes_rows_sum_to_one() -> None:
    from fractions import Fraction

    A = np.array([[Fraction(1, 3), Fraction(1, 3)], [Fraction(1, 4), Fraction(3, 4)]], dtype=object)
    out = C.exactly_row_stochastic({"A": A})
    assert all(row.sum().contains(1) for row in out["A"])
    assert out["A"][0, 0].contains(0.5) and out["A"][1, 1].contains(0.75)
