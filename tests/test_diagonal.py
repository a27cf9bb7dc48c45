"""T5 (diagonal patterns act token-wise): verdicts, the symbolic Jacobian, autodiff agreement,
the rigorous norm bounds behind T5-F1's certificate."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import flint
import jax
import numpy as np
import pytest
import sympy as sp

from proofs_check.backend import ARB, JAX, to_arb_array, to_fraction_array
from proofs_check.checks import diagonal as C
from proofs_check.evidence import HOLDS, REFUTED
from proofs_check.instances import rng_for
from theory import diagonal as T5
from theory.core import verify_steps

SAMPLES = 240
TEST_SHAPES = ((2, 1), (3, 2), (8, 8), (16, 4))


@pytest.fixture(scope="module")
def t5() -> dict[str, object]:
    return {
        c.statement.id: dataclasses.replace(c, shapes=TEST_SHAPES).run(0, SAMPLES)
        for c in C.checks()
    }


def _instance(n: int, d: int, extra_width: int = 1, seed: int = 0) -> dict[str, np.ndarray]:
    batch = C.HeadSampler(extra_width=extra_width)(rng_for(seed, "test-T5", n), n, d, 4)
    return {k: v[0] for k, v in batch.items()}


# -- verdicts ------------------------------------------------------------------------------------


def test_statement_ids_follow_theory_order() -> None:
    ids = ["T5.a", "T5.b", "T5.c", "T5-F1"]
    assert [s.id for s in T5.STATEMENTS] == ids
    assert [c.statement.id for c in C.checks()] == ids


@pytest.mark.parametrize("sid", ["T5.a", "T5.b", "T5.c"])
def test_theorems_hold(t5, sid: str) -> None:
    ev = t5[sid]
    assert ev.verdict == HOLDS, ev.to_json()
    assert ev.met >= ev.min_met
    assert ev.counterexample is None and ev.uncertified_violations == 0


def test_diagonal_hypothesis_is_met_across_sharpness(t5) -> None:
    ev = t5["T5.a"]
    assert 0.3 * ev.tried <= ev.met < ev.tried  # eps-diagonal met tightly, and sometimes not at all
    assert any(f.endswith("/diagonal/causal") for f in ev.families)


def test_autodiff_matches_the_closed_form_to_1e_12(t5) -> None:
    ev = t5["T5.b"]
    found = ev.machine["reported"]
    assert found["worst_error_relative_to_terms"] <= 1e-12
    assert found["worst_relative_error"] <= 1e-10
    assert ev.detail.startswith("closed form vs autodiff")


def test_control_is_refuted_with_rigorous_norm_bounds(t5) -> None:
    ev = t5["T5-F1"]
    assert ev.verdict == REFUTED
    cert = ev.counterexample.certificate
    assert cert.certified and cert.method == "arb ball arithmetic"
    assert ev.counterexample.shape == (2, 1)  # the smallest clear violation is preferred


# -- symbolic steps --------------------------------------------------------------------------------


@pytest.mark.parametrize("statement", T5.STATEMENTS, ids=lambda s: s.id)
def test_every_symbolic_step_verifies(statement) -> None:
    assert all(r.verified for r in verify_steps(statement.derivation))


def test_symbolic_jacobian_has_every_entry_and_would_reject_a_dropped_term() -> None:
    entries = [s for s in T5.CROSS_TOKEN_JACOBIAN.derivation if "entry" in s.text]
    assert len(entries) == 4  # d_v x d = 2 x 2 entries of dy_1/dx_2
    step = entries[0]
    assert not dataclasses.replace(step, rhs=T5._A[0, 1] * T5._WV.T[0, 0]).verify()  # T5-F1's form


def test_symbolic_jacobian_at_a_numeric_point_matches_the_numeric_formula() -> None:
    """SymPy's derivative, evaluated at a rational point, equals the closed form in float64."""
    rng = np.random.default_rng(3)
    X, W, W_V = (
        rng.standard_normal((3, 2)),
        rng.standard_normal((2, 2)),
        rng.standard_normal((2, 2)),
    )
    point = {}
    for M, S in ((X, T5._X), (W, T5._W), (W_V, T5._WV)):
        point.update({S[k]: sp.Rational(Fraction(float(M.flat[k]))) for k in range(M.size)})
    A, V, Y = C.head_output(JAX, X, W, W_V, False)
    J = np.asarray(C.jacobian_formula(JAX, X, W, W_V, A, V, Y))
    for a in range(2):
        for b in range(2):
            value = float(sp.diff(T5._Y[0, a], T5._X[1, b]).subs(point).evalf(30))
            assert value == pytest.approx(J[0, 1, a, b], rel=1e-12, abs=1e-14)


# -- autodiff and the closed form ---------------------------------------------------------------


@pytest.mark.parametrize(("n", "d", "causal"), [(2, 1, False), (5, 3, True), (6, 4, False)])
def test_autodiff_agrees_off_the_diagonal_only(n: int, d: int, causal: bool) -> None:
    inst = _instance(n, d)
    X, W, W_V = inst["X"], inst["W"], inst["W_V"]
    A, V, Y = C.head_output(JAX, X, W, W_V, causal)
    formula = np.asarray(C.jacobian_formula(JAX, X, W, W_V, A, V, Y))
    auto = np.asarray(C.autodiff_jacobian(X, W, W_V, causal))
    off = ~np.eye(n, dtype=bool)
    scale = np.abs(formula).max() + 1e-300
    assert np.max(np.abs(auto - formula)[off]) <= 1e-12 * scale
    # on the diagonal j = i the true derivative has further terms: the formula is not it
    assert np.max(np.abs(auto - formula)[~off]) > 1e-6 * scale
    if causal:  # y_i does not depend on later tokens
        assert np.all(auto[np.triu(np.ones((n, n), dtype=bool), 1)] == 0)


def test_forward_mode_in_ball_arithmetic_encloses_autodiff() -> None:
    inst = _instance(3, 2)
    X, W, W_V = inst["X"], inst["W"], inst["W_V"]
    auto = np.asarray(C.autodiff_jacobian(X, W, W_V, False))
    exact = {k: to_arb_array(to_fraction_array(inst[k])) for k in ("X", "W", "W_V")}
    balls = C.forward_jacobian_arb(ARB, exact["X"], exact["W"], exact["W_V"], 0)
    for idx in np.ndindex(auto.shape):
        assert abs(float(balls[idx].mid()) - auto[idx]) <= 1e-12 * (1 + abs(auto[idx]))


def test_hand_made_two_token_head() -> None:
    """X = I (2 tokens in R^2), W = c I: A_11 = e^c / (e^c + 1); W_V = I so v_i = x_i, and
    ||y_1 - v_1|| = (1 - A_11) ||x_2 - x_1|| exactly: T5.a's first bound is attained."""
    c = 3.0
    inst = {
        "X": np.eye(2),
        "W": c * np.eye(2),
        "W_V": np.eye(2),
        "causal": np.bool_(False),
        "eps": np.float64(1 / (1 + np.exp(c))),
    }
    obs = C.output_observables(inst, JAX)
    rest = 1 / (1 + np.exp(c))
    assert float(obs["rest_max"]) == pytest.approx(rest)
    np.testing.assert_allclose(obs["out_dev"], rest * np.sqrt(2))
    np.testing.assert_allclose(obs["spread"], np.sqrt(2))
    assert float(obs["R"]) == pytest.approx(1.0)


# -- rigorous norm bounds -----------------------------------------------------------------------


def test_spectral_upper_bound_is_an_upper_bound_and_tight() -> None:
    rng = np.random.default_rng(1)
    M = rng.standard_normal((4, 5))
    bound = C.certified_spectral_upper_bound(to_fraction_array(M))
    sigma = np.linalg.norm(M, 2)
    assert float(bound.lower()) >= sigma
    assert float(bound.upper()) <= sigma * (1 + 1e-8)  # the LDL certificate, not Frobenius
    assert float(bound.upper()) < np.linalg.norm(M)


def test_positive_definiteness_certificate() -> None:
    good = to_arb_array(np.array([[2.0, 1.0], [1.0, 2.0]]))
    bad = to_arb_array(np.array([[1.0, 2.0], [2.0, 1.0]]))
    assert C._positive_definite(good)
    assert not C._positive_definite(bad)


def test_sensitivity_lower_bound_in_arb_is_below_the_true_norm() -> None:
    inst = _instance(3, 2)
    exact = {k: to_fraction_array(inst[k]) if inst[k].dtype.kind == "f" else inst[k] for k in inst}
    balls = {k: to_arb_array(v) if v.dtype == object else v for k, v in exact.items()}
    balls["causal"] = int(inst["causal"])
    balls["eps"] = balls["eps"][()]
    balls.update(C.spectral_certificates(exact))
    as_arb = C.sensitivity_observables(balls, ARB)
    as_jax = jax.device_get(C.sensitivity_observables(inst, JAX))
    lower = np.array([float(b.upper()) for b in as_arb["jac_norm"]])
    assert np.all(lower <= as_jax["jac_norm"] * (1 + 1e-9) + 1e-300)
    np.testing.assert_allclose(lower, as_jax["jac_norm"], rtol=1e-8)  # the test vectors are optimal
    assert float(as_arb["wv_norm"].lower()) >= float(as_jax["wv_norm"])
    assert isinstance(as_arb["wv_norm"], flint.arb)
