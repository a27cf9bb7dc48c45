"""T6: verdicts, symbolic steps, the stacks on both backends, hand-made instances."""

import dataclasses
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

from proofs_check.backend import ARB, JAX, to_arb_array
from proofs_check.certify import precision
from proofs_check.checks import depth as D
from proofs_check.checks.engine import RelationCheck
from theory import depth as T6
from theory.core import Combination, verify_steps

THEOREMS = ["T6.a", "T6.b", "T6.c"]


@pytest.mark.parametrize("sid", THEOREMS)
def test_theorem_holds(evidence, sid):
    ev = evidence(sid)
    assert ev.verdict == "HOLDS", ev.to_json()
    assert ev.met >= ev.min_met
    assert ev.steps_verified == len(ev.symbolic) > 0
    assert ev.uncertified_violations == 0


def test_attention_can_spread_tokens(evidence):
    ev = evidence("T6-F1")
    assert ev.verdict == "REFUTED", ev.to_json()
    cert = ev.counterexample.certificate
    assert cert.certified and cert.method == "arb ball arithmetic"
    inst = {k: np.asarray(v) for k, v in ev.counterexample.instance.items()}
    out = D.dense_stack_observables(inst, JAX)
    layer = ev.counterexample.case
    assert float(out["mu_next"][layer]) > float(out["mu_prev"][layer])


def test_every_symbolic_step_verifies_and_a_wrong_weight_fails():
    for st in T6.STATEMENTS:
        assert all(r.verified for r in verify_steps(st.derivation)), st.id
    step = T6.SINK_LAYERS.derivation[2]
    assert step.verify()
    broken = Combination(step.text, step.conclusion, step.premises[:-1])
    assert not broken.verify()


def _small_stack(kind: str, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    sampler = {
        "sink": D.SinkStackSampler({(3, 2): 3}),
        "diag": D.DiagonalStackSampler({(3, 2): 3}),
        "dense": D.DenseStackSampler({(3, 2): 3}),
    }[kind]
    batch = sampler(rng, 3, 2, 1)
    inst = {k: np.asarray(v)[0] for k, v in batch.items()}
    if kind == "diag":
        inst.update(D.sigma_min_float(inst))
    return inst


OBSERVABLES = {
    "sink": D.sink_stack_observables,
    "diag": D.diagonal_stack_observables,
    "dense": D.dense_stack_observables,
}


@pytest.mark.parametrize("kind", sorted(OBSERVABLES))
def test_float_and_ball_stacks_agree(kind):
    inst = _small_stack(kind)
    floats = OBSERVABLES[kind](inst, JAX)
    with precision(106):
        exact = {
            k: to_arb_array(np.vectorize(Fraction, otypes=[object])(v))
            if np.asarray(v).dtype.kind == "f"
            else v
            for k, v in inst.items()
        }
        if kind == "diag":
            exact.update(
                D.sigma_min_exact(
                    {
                        k: np.vectorize(Fraction, otypes=[object])(v)
                        for k, v in inst.items()
                        if k == "WVs"
                    }
                )
            )
        if "s" in exact:
            exact["s"] = int(exact["s"])
        balls = OBSERVABLES[kind](exact, ARB)
        for name in ("mu_prev", "mu_next"):
            for f, b in zip(np.asarray(floats[name]), balls[name], strict=True):
                assert b.contains(f) or abs(float(b.mid()) - f) <= 1e-12 * max(1.0, abs(f)), (
                    name,
                    f,
                    b,
                )


def test_two_tokens_contract_by_exactly_the_dobrushin_coefficient():
    r"""n = 2: ``y_1 - y_2 = (A_11 - A_21)(x_1 - x_2)``, and ``|A_11 - A_21| <= 1 - tau``."""
    rng = np.random.default_rng(1)
    X, W = rng.standard_normal((2, 3)), rng.standard_normal((1, 3, 3))
    out = D.dense_stack_observables({"X": X, "Ws": W}, JAX)
    S = X @ W[0] @ X.T
    A = np.exp(S - S.max(axis=1, keepdims=True))
    A /= A.sum(axis=1, keepdims=True)
    ratio = float(out["diam_next"][0]) / float(out["diam_prev"][0])
    assert ratio == pytest.approx(abs(A[0, 0] - A[1, 0]), rel=1e-9)
    assert ratio <= float(out["one_minus_tau"][0])


def test_one_minus_tau_matches_the_naive_formula():
    rng = np.random.default_rng(2)
    X, W = rng.standard_normal((5, 3)), rng.standard_normal((1, 3, 3))
    out = D.dense_stack_observables({"X": X, "Ws": W}, JAX)
    S = X @ W[0] @ X.T
    A = np.exp(S - S.max(axis=1, keepdims=True))
    A /= A.sum(axis=1, keepdims=True)
    assert float(out["one_minus_tau"][0]) == pytest.approx(1 - 5 * A.min(), rel=1e-12)
    Y = A @ X
    diam = max(np.linalg.norm(a - b) for a in Y for b in Y)
    assert float(out["diam_next"][0]) == pytest.approx(diam, rel=1e-12)


def test_a_zero_value_sink_with_no_leak_leaves_the_tokens_unchanged():
    X = np.array([[3.0, 0.0], [1.0, 1.0], [1.0, -1.0]])
    W = 1e3 * np.outer([1.0, 0.0], [1.0, 0.0])  # every row attends (to rounding) only to token 0
    inst = {"X": X, "s": 0, "Ws": W[None], "WVs": np.eye(2)[None]}
    out = D.sink_stack_observables(inst, JAX)
    assert float(out["eps_l"][0]) < 1e-300 or float(out["eps_l"][0]) == 0.0
    assert float(out["mu_next"][0]) == pytest.approx(float(out["mu_prev"][0]), rel=1e-15)


def test_sigma_min_enclosure_contains_the_float_value():
    rng = np.random.default_rng(3)
    WV = rng.standard_normal((2, 4, 4)) / 2
    floats = D.sigma_min_float({"WVs": WV})["sigma_min_v"]
    balls = D.sigma_min_exact({"WVs": np.vectorize(Fraction, otypes=[object])(WV)})["sigma_min_v"]
    for f, b in zip(floats, balls, strict=True):
        assert b.contains(f) or abs(float(b.mid()) - f) <= 1e-12


def _variant(statement, relation):
    conclusion = dataclasses.replace(statement.conclusions[0], relation=relation)
    return dataclasses.replace(statement, id=statement.id + "-variant", conclusions=(conclusion,))


SQRT_N = sp.sqrt(T6.n)
FALSE_VARIANTS = {
    # T6.a with a quarter of the leakage budget
    "sink": (
        _variant(
            T6.SINK_LAYERS, sp.GreaterThan(T6.mu_next, T6.mu_prev - SQRT_N * T6.eps_l * T6.R_l / 4)
        ),
        D.SinkStackSampler({(4, 3): 8}),
        D.sink_stack_observables,
        {},
    ),
    # T6.b without the factor sigma_min(I + W_V)
    "diag": (
        _variant(
            T6.DIAGONAL_LAYERS,
            sp.GreaterThan(T6.mu_next, T6.mu_prev - 2 * SQRT_N * T6.eps_l * T6.R_l),
        ),
        D.DiagonalStackSampler({(4, 3): 8}),
        D.diagonal_stack_observables,
        {"prepare": D.sigma_min_float, "prepare_exact": D.sigma_min_exact},
    ),
    # T6.c with the square of Dobrushin's coefficient
    "dense": (
        _variant(T6.DENSE_COLLAPSE, sp.LessThan(T6.diam_next, T6.one_minus_tau**2 * T6.diam_prev)),
        D.DenseStackSampler({(4, 3): 4}),
        D.dense_stack_observables,
        {},
    ),
}


@pytest.mark.parametrize("kind", sorted(FALSE_VARIANTS))
def test_the_same_engine_refutes_a_sharpened_variant(kind):
    statement, sampler, observables, extra = FALSE_VARIANTS[kind]
    check = RelationCheck(statement, sampler, observables, ((4, 3),), D.stack_family, **extra)
    ev = check.run(0, 200)
    assert ev.verdict == "REFUTED" and ev.counterexample.certificate.certified, ev.to_json()


# -- T6.d and T6-F2 -----------------------------------------------------------------------------


def _dobrushin(X, A) -> dict:
    out = D.dobrushin_observables({"X": np.asarray(X, float), "A": np.asarray(A, float)}, JAX)
    return {k: float(v) for k, v in out.items()}


def test_pairwise_dobrushin_holds_and_its_best_pair_control_is_refuted(evidence):
    ev = evidence("T6.d")
    assert ev.verdict == "HOLDS", ev.to_json()
    assert ev.met >= ev.min_met and ev.uncertified_violations == 0 and ev.float_noise == 0
    assert ev.worst_slack > -1e-12  # n = 2 meets the bound with equality: rounding only
    control = evidence("T6-F2")
    assert control.verdict == "REFUTED", control.to_json()
    cert = control.counterexample.certificate
    assert cert.certified and cert.method == "arb ball arithmetic"


def test_two_rows_meet_the_pairwise_coefficient_with_equality():
    """n = 2: y_1 - y_2 = (A_11 - A_21)(x_1 - x_2) and delta(A) = |A_11 - A_21|."""
    out = _dobrushin([[1.0, 2.0], [-1.0, 0.5]], [[0.7, 0.3], [0.2, 0.8]])
    assert out["dobrushin"] == pytest.approx(0.5, rel=1e-15)
    assert out["diam_next"] == pytest.approx(out["dobrushin"] * out["diam_prev"], rel=1e-14)
    assert out["one_minus_tau"] == pytest.approx(1 - 2 * 0.2, rel=1e-15)


def test_two_equal_rows_make_the_best_pair_vanish():
    """Rows 1 and 2 equal, row 3 different: the best pair's coefficient is 0 but diam(AX) > 0."""
    A = [[0.5, 0.5, 0.0], [0.5, 0.5, 0.0], [0.0, 0.0, 1.0]]
    out = _dobrushin([[0.0], [1.0], [3.0]], A)
    assert out["dobrushin_best_pair"] == 0.0 and out["dobrushin"] == 1.0
    assert out["diam_next"] == pytest.approx(2.5)
    assert out["diam_next"] <= out["dobrushin"] * out["diam_prev"]


def test_the_pairwise_coefficient_is_not_vacuous_for_long_softmax_sequences():
    """n = 64, softmax rows: T6.c's 1 - tau is often ~1 (a tiny entry somewhere) while delta(A) < 0.9."""
    batch = D.RowStochasticSampler()(np.random.default_rng(0), 64, 16, 600)
    softmax = np.flatnonzero(batch["attention_kind"] == D.ROW_STOCHASTIC_KINDS.index("softmax"))
    informative = 0
    for b in softmax:
        out = _dobrushin(batch["X"][b], batch["A"][b])
        assert out["dobrushin"] <= out["one_minus_tau"] + 1e-12  # it implies T6.c
        informative += out["one_minus_tau"] > 0.99 and out["dobrushin"] < 0.9
    assert informative >= 3


def test_row_stochastic_float_and_ball_observables_agree():
    batch = D.RowStochasticSampler()(np.random.default_rng(4), 4, 3, 6)
    for b in range(6):
        floats = _dobrushin(batch["X"][b], batch["A"][b])
        exact = {k: np.vectorize(Fraction, otypes=[object])(batch[k][b]) for k in ("X", "A")}
        balls = D.dobrushin_observables(
            {"X": to_arb_array(exact["X"]), **D.exactly_row_stochastic(exact)}, ARB
        )
        for name, value in floats.items():
            assert abs(float(balls[name].mid()) - value) <= 1e-12 * max(1.0, abs(value)), name
