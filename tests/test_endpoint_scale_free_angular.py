"""T3.e (fully sparse endpoint), T3.f (scale-free nu), T3.g (angular) and the controls T3-F3..F7:
verdicts, both sides of each "iff" exercised, the causal sink, hand-made instances, symbolic steps."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import jax.numpy as jnp
import numpy as np
import pytest

from proofs_check.backend import ARB, JAX, to_arb_array
from proofs_check.checks import registry
from proofs_check.checks import smoothing as C
from proofs_check.checks.relations import relation_holds, relation_slack, sympy_relations_of
from proofs_check.evidence import HOLDS, REFUTED
from proofs_check.instances import rng_for
from theory import smoothing as T3
from theory.core import Combination, verify_steps

SAMPLES = 240
TEST_SHAPES = ((2, 1), (3, 2), (8, 8), (32, 16))
THEOREMS = ("T3.e", "T3.f", "T3.g")
CONTROLS = ("T3-F3", "T3-F4", "T3-F5", "T3-F6", "T3-F7")


def _light(sid: str):
    return dataclasses.replace(registry()[sid], shapes=TEST_SHAPES)


@pytest.fixture(scope="module")
def runs() -> dict[str, object]:
    return {sid: _light(sid).run(0, SAMPLES) for sid in THEOREMS + CONTROLS}


@pytest.mark.parametrize("sid", THEOREMS)
def test_theorems_hold(runs, sid: str) -> None:
    ev = runs[sid]
    assert ev.verdict == HOLDS, ev.to_json()
    assert ev.met >= ev.min_met
    assert ev.counterexample is None and ev.uncertified_violations == 0
    assert ev.worst_slack is not None and ev.worst_slack > -1e-12
    assert ev.steps_verified == len(ev.symbolic) > 0


@pytest.mark.parametrize("sid", CONTROLS)
def test_controls_are_refuted_with_an_arb_certificate(runs, sid: str) -> None:
    ev = runs[sid]
    assert ev.verdict == REFUTED, ev.to_json()
    cert = ev.counterexample.certificate
    assert cert.certified and cert.method == "arb ball arithmetic"
    if sid in ("T3-F3", "T3-F4", "T3-F5"):
        assert "renormalised" in cert.note  # about exactly row-stochastic A and B


def _given_counts(sid: str, samples_per_shape: int = 40) -> list[int]:
    """Instances meeting each conclusion's ``given`` (and the hypotheses), over the test shapes."""
    check = _light(sid)
    _, concls = sympy_relations_of(check.statement)
    counts = [0] * len(concls)
    for idx, (n, d) in enumerate(check.shapes):
        batch = check.sample(rng_for(1, sid, idx), n, d, samples_per_shape)
        out = check.evaluate(batch)
        obs = {k: np.asarray(v) for k, v in _observed(check, out["batch"]).items()}
        for k, (_, given) in enumerate(concls):
            mask = np.asarray(out["met"])
            for g in given:
                raw, rel = relation_slack(g, obs, jnp)
                mask = mask & np.asarray(relation_holds(g, raw, rel))
            counts[k] += int(np.any(mask, axis=1).sum())
    return counts


def _observed(check, batch) -> dict[str, np.ndarray]:
    rows = [
        check.observables({k: v[b] for k, v in batch.items()}, JAX)
        for b in range(next(iter(batch.values())).shape[0])
    ]
    return {
        k: np.stack([np.atleast_1d(np.asarray(r[k], dtype=float)) for r in rows]) for k in rows[0]
    }


@pytest.mark.parametrize("sid", ["T3.e", "T3.f"])
def test_every_side_of_each_iff_is_exercised(sid: str) -> None:
    counts = _given_counts(sid)
    assert min(counts) >= 5, counts


def test_causal_instances_put_the_sink_on_the_first_token() -> None:
    batch = C.SmoothingSampler(probes="none")(rng_for(0, "causal", 0), 6, 3, 200)
    causal = batch["attention_kind"] == C.ATTENTION_KINDS.index("causal")
    sink = np.isin(
        batch["target_kind"], [C.TARGETS.index("sink"), C.TARGETS.index("sink_zero_value")]
    )
    chosen = causal & sink
    assert chosen.sum() >= 10
    np.testing.assert_array_equal(batch["B"][chosen][:, :, 0], 1.0)
    assert np.all(np.triu(batch["A"][causal], 1) == 0.0)


# -- T3.e by hand -------------------------------------------------------------------------------------


def _endpoint(X, A, B, V, kind: int) -> dict[str, float]:
    inst = {"X": X, "A": A, "B": B, "V": V, "target_kind": np.int64(kind)}
    return {k: float(v) for k, v in C.endpoint_observables(inst, JAX).items()}


def test_endpoint_margin_is_the_change_of_mu_squared_by_hand() -> None:
    """X = (0, 1)^T, A uniform, V = (0, 2)^T, B = 1 e_1^T: AV = 1, mu(X + AV)^2 = 1/2 = mu(X)^2:
    the endpoint margin 2<Z, Delta> + ||(I-J) Delta||^2 = 0 and the sink form is 0 too."""
    X, V = np.array([[0.0], [1.0]]), np.array([[0.0], [2.0]])
    out = _endpoint(X, np.full((2, 2), 0.5), np.array([[1.0, 0.0], [1.0, 0.0]]), V, 0)
    assert out["f_zero"] == pytest.approx(0.5) and out["f_one"] == pytest.approx(0.5)
    assert out["endpoint_margin"] == pytest.approx(0.0, abs=1e-15)
    assert out["sink_update_change"] == pytest.approx(0.0, abs=1e-15)
    assert out["sink_target"] == 1.0 and out["mu_sq_x"] == pytest.approx(0.5)


def test_a_quadratic_term_can_beat_a_negative_linear_term() -> None:
    """B = I, A uniform, X = (0.1, -0.1)^T, V = (-0.25, 0.25)^T: AV = 0, Z = X, Delta = V, so
    <Z, Delta>_F = -0.05 < 0 while the endpoint margin is -0.1 + 0.125 = 0.025 >= 0 (T3-F3)."""
    X = np.array([[0.1], [-0.1]])
    V = np.array([[-0.25], [0.25]])
    out = _endpoint(X, np.full((2, 2), 0.5), np.eye(2), V, 1)
    assert out["uniform_margin"] < 0 <= out["endpoint_margin"]
    assert out["f_zero"] <= out["f_one"]  # dense smooths more at the endpoint ...
    assert out["endpoint_margin"] == pytest.approx(out["f_one"] - out["f_zero"], abs=1e-15)


# -- T3.f and T3-F5 -------------------------------------------------------------------------------------


def test_mean_cancelling_values_give_nu_one() -> None:
    sampler = C.SmoothingSampler(
        probes="none", cancel_mean=1.0, targets=(C.TARGETS.index("diagonal"),)
    )
    batch = sampler(rng_for(0, "cancel", 0), 5, 3, 20)
    assert np.all(batch["value_kind"] == C.VALUE_KINDS.index("mean_cancelling"))
    for b in range(20):
        inst = {k: v[b] for k, v in batch.items()}
        out = C.scale_free_observables(inst, JAX)
        assert float(out["nu_dense"]) == pytest.approx(1.0, abs=1e-12)


def test_a_mean_cancelling_instance_refutes_t3_f5_exactly() -> None:
    """X = (1, 1; 2, 3) has nu(X) < 1; A uniform and V = -X: m_A = -x_bar, nu(X + AV) = 1."""
    X = np.array([[1.0, 1.0], [2.0, 3.0]])
    inst = {
        "X": X,
        "A": np.full((2, 2), 0.5),
        "B": np.eye(2),
        "V": -X,
        "target_kind": np.int64(1),
        "token_family": np.int64(0),
        "attention_kind": np.int64(0),
        "value_kind": np.int64(0),
    }
    check = registry()["T3-F5"]
    cert = check.certify(inst, 0)
    assert cert.certified, cert.note
    assert not registry()["T3.f"].certify({**inst, "B": np.full((2, 2), 0.5)}, 0).certified


def test_scale_free_sides_agree_with_nu_on_a_zero_value_sink() -> None:
    rng = np.random.default_rng(3)
    X, W = rng.standard_normal((4, 3)), rng.standard_normal((3, 3))
    V = X @ W
    V[0] = 0.0
    B = np.zeros((4, 4))
    B[:, 0] = 1.0
    A = np.full((4, 4), 0.25)
    out = {
        k: float(v)
        for k, v in C.scale_free_observables({"X": X, "A": A, "B": B, "V": V}, JAX).items()
    }
    assert out["nu_sparse"] == pytest.approx(out["nu_x"], rel=1e-14)  # B V = 0
    assert (out["nu_dense"] <= out["nu_sparse"]) == (out["nu_lhs"] <= out["nu_rhs"])


# -- T3.g by hand --------------------------------------------------------------------------------------


def _angular(X, c, rho=None) -> dict[str, np.ndarray]:
    inst = {"X": np.asarray(X, dtype=float), "c": np.asarray(c, dtype=float)}
    if rho is not None:
        inst["rho"] = np.asarray(rho, dtype=float)
    return {k: np.asarray(v) for k, v in C.angular_observables(inst, JAX).items()}


def test_common_update_in_the_dual_cone_raises_the_cosine() -> None:
    """x_i = e_1, x_j = e_2, c = (1, 1): cos 0 -> (2, 1).(1, 2) / 5 = 4/5."""
    out = _angular([[1, 0], [0, 1]], [1, 1])
    assert float(out["cos_before"][0]) == pytest.approx(0.0, abs=1e-16)
    assert float(out["cos_after"][0]) == pytest.approx(0.8)
    assert float(out["dual_i"][0]) == 1.0 and float(out["dual_j"][0]) == 1.0


def test_zero_update_leaves_every_cosine_unchanged() -> None:
    rng = np.random.default_rng(0)
    out = _angular(rng.standard_normal((5, 3)), np.zeros(3))
    np.testing.assert_array_equal(out["cos_after"], out["cos_before"])
    assert out["cos_before"].shape == (10,)  # one case per pair i < j


def test_outside_the_dual_cone_or_with_unequal_norms_the_cosine_can_drop() -> None:
    # T3-F7: c against x_i: x_i = e_1, x_j = (0.6, 0.8), c = (-0.9, 0)
    out = _angular([[1, 0], [0.6, 0.8]], [-0.9, 0])
    assert float(out["cos_after"][0]) < float(out["cos_before"][0])
    # T3-F6: parallel tokens of norms 0.01 and 1, c orthogonal to both (dual cone holds: 0 >= 0)
    out = _angular([[1, 0], [1, 0]], [0, 0.5], rho=[0.01, 1.0])
    assert float(out["dual_i"][0]) == 0.0
    assert float(out["cos_after"][0]) < float(out["cos_before"][0]) == pytest.approx(1.0)


def test_the_exact_instance_has_exactly_equal_norms_in_ball_arithmetic() -> None:
    """The observable normalises the rows: on exact rationals the norms are balls around 1 and
    the float and ball cosines agree."""
    P = np.array(
        [[Fraction(1, 3), Fraction(2, 7)], [Fraction(-5, 11), Fraction(1, 2)]], dtype=object
    )
    c = np.array([Fraction(1, 5), Fraction(3, 4)], dtype=object)
    balls = C.angular_observables({"X": to_arb_array(P), "c": to_arb_array(c)}, ARB)
    floats = _angular(P.astype(float), c.astype(float))
    for key in ("cos_before", "cos_after"):
        assert (
            balls[key][0].contains(float(floats[key][0]))
            or abs(float(balls[key][0].mid()) - float(floats[key][0])) <= 1e-15
        )
        assert balls[key][0].rad() < 1e-14


# -- symbolic steps --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement", [s for s in T3.STATEMENTS if s.id in THEOREMS], ids=lambda s: s.id
)
def test_every_symbolic_step_verifies(statement) -> None:
    assert all(r.verified for r in verify_steps(statement.derivation))


def test_the_angular_proof_fails_without_the_dual_cone_term() -> None:
    step = T3.ANGULAR_SMOOTHING.derivation[3]  # rho <= 0: (a + b + k) + (-rho)(S - 1)
    assert isinstance(step, Combination) and step.verify()
    assert not Combination(step.text, step.conclusion, step.premises[1:]).verify()
