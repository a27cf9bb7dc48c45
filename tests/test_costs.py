"""T4: verdicts, symbolic steps, exact costs on hand-made instances, enclosures, certificates,
solver failures. Every T4 statement is a relation check over solver-defined observables."""

import dataclasses
import math
from fractions import Fraction

import flint
import numpy as np
import pytest
import sympy as sp

from proofs_check.backend import ARB, JAX
from proofs_check.checks import costs as C4
from proofs_check.checks.engine import RelationCheck
from proofs_check.observables import cost_observables as co
from proofs_check.observables import costs as oc
from proofs_check.observables.geometry import hull_distance
from proofs_check.search.numeric import FLOAT
from theory import costs as T4
from theory.core import Identity, Kind, Statement, verify_steps

THEOREMS = ["T4.a", "T4.b", "T4.c", "T4.d", "T4.e"]
CONTROLS = ["T4-F1", "T4-F2"]
L1 = lambda eps: math.log((1 - eps) / eps)  # noqa: E731


def _exact(X):
    return np.vectorize(Fraction, otypes=[object])(np.asarray(X, dtype=float))


@pytest.mark.parametrize("sid", THEOREMS + CONTROLS)
def test_every_t4_statement_is_a_relation_check(sid):
    from proofs_check.checks import registry

    check = registry()[sid]
    assert isinstance(check, RelationCheck)
    hyps, concls = C4.sympy_relations_of(check.statement)
    assert concls, sid  # every conclusion is a relation the engine evaluates


@pytest.mark.parametrize("sid", THEOREMS)
def test_theorem_holds(evidence, sid):
    ev = evidence(sid)
    assert ev.verdict == "HOLDS", ev.to_json()
    assert ev.met >= ev.min_met
    assert ev.steps_verified == len(ev.symbolic) > 0
    assert "rounding_level_violations" in ev.machine  # solver-tolerance counts: machine-dependent


@pytest.mark.parametrize("sid", CONTROLS)
def test_control_refuted_with_certificate(evidence, sid):
    ev = evidence(sid)
    assert ev.verdict == "REFUTED", ev.to_json()
    cert = ev.counterexample.certificate
    assert cert.certified
    assert "arb ball arithmetic" in cert.method


def test_rank_one_refutation_is_certified_from_a_proven_cheaper_w(evidence):
    """T4-F2's counterexample: c_sink's enclosure [lower, U] (U from a rational feasible W) lies
    below L_n/(gamma_u gamma_v): re-derived here from the saved instance."""
    ev = evidence("T4-F2")
    inst = ev.counterexample.instance
    X, s, eps = np.asarray(inst["X"]), int(inst["s"]), float(inst["eps"])
    ball = co._sink_enclosure(_exact(X), s, Fraction(eps), 0)
    rank_one = oc.rank_one_sink_bound(X, s, eps)
    assert ball.is_finite() and float(ball.upper()) < rank_one
    res = co.sink_result(X, s, eps, False)
    assert res.converged and float(ball.lower()) <= res.value <= float(ball.upper())


def test_no_sink_control_uses_an_exact_infinite_sink_cost(evidence):
    ev = evidence("T4-F1")
    inst = ev.counterexample.instance
    X, s, eps = np.asarray(inst["X"]), int(inst["s"]), Fraction(float(inst["eps"]))
    assert co._sink_enclosure(_exact(X), s, eps, 0) == flint.arb("inf")  # 0 in conv X, exactly
    assert ev.counterexample.shape == (2, 1)  # prefer_small: the smallest clear violation


def test_sink_is_cheaper_under_the_t4e_condition_on_enough_instances(evidence):
    ev = evidence("T4.e")
    assert ev.sides and min(ev.sides.values()) >= C4.MIN_PER_SIDE
    assert not ev.thin_sides


def test_every_symbolic_step_verifies_and_a_wrong_pair_sum_does_not():
    for st in T4.STATEMENTS:
        assert all(r.verified for r in verify_steps(st.derivation)), st.id
    pair_sum = T4.DIAG_COST_LOWER.derivation[2]
    assert pair_sum.verify()
    assert not Identity("wrong constant", pair_sum.lhs, 2 * pair_sum.rhs).verify()


# -- exact costs on hand-made instances -------------------------------------------------------------


def test_one_dimensional_sink_cost_is_l1_over_the_smallest_product():
    # x = (1, 2), s = 1: margins w x_i (x_s - x_j) = w x_i >= L_1 for i = 0, 1 -> w = L_1 / 1
    X = np.array([[1.0], [2.0]])
    res = oc.sink_cost(X, 1, 0.1)
    assert res.converged and res.status == "optimal"
    assert res.value == pytest.approx(L1(0.1), rel=1e-7)
    assert res.frobenius == pytest.approx(res.value, rel=1e-7)  # a 1 x 1 W
    assert abs(res.duality_gap) <= 1e-6 * res.value


def test_one_dimensional_diagonal_cost_of_opposite_tokens():
    # x = (1, -1): margins 2 w >= L_1 in both rows -> c_diag = L_1 / 2 = 2 L_1 / ||x_1 - x_2||^2
    res = oc.diag_cost(np.array([[1.0], [-1.0]]), 0.2)
    assert res.converged and res.value == pytest.approx(L1(0.2) / 2, rel=1e-7)


@pytest.mark.parametrize("eps", [1e-6, 0.1, 0.3, 0.5 - 1e-7])
def test_two_token_closed_forms(eps):
    r"""n = 2: ``c_sink = L_1/(dist(0,[x_1,x_2]) ||x_1 - x_2||)``, ``c_diag = L_1/(||x_1 - x_2|| dist(0,[x_1,-x_2]))``."""
    X = np.array([[2.0, 0.3, -0.1], [1.5, -0.4, 0.2]])
    gap = np.linalg.norm(X[0] - X[1])
    sink = oc.sink_cost(X, 0, eps)
    diag = oc.diag_cost(X, eps)
    assert sink.converged and diag.converged
    assert sink.value == pytest.approx(L1(eps) / (hull_distance(X).distance * gap), rel=1e-6)
    other = np.stack([X[0], -X[1]])
    assert diag.value == pytest.approx(L1(eps) / (gap * hull_distance(other).distance), rel=1e-6)
    # the true optimum lies within the reported tolerance of the value
    exact = L1(eps) / (hull_distance(X).distance * gap)
    assert abs(sink.value - exact) <= sink.tolerance


def test_rank_one_bound_is_feasible_and_above_the_optimum():
    rng = np.random.default_rng(3)
    X = np.array([1.0, 0.0, 0.0]) + 0.3 * rng.standard_normal((6, 3))
    bound = oc.rank_one_sink_bound(X, 0, 0.05)
    res = oc.sink_cost(X, 0, 0.05)
    assert res.converged and res.value <= bound * (1 + 1e-9)
    assert res.max_violation <= 0  # the returned W is feasible in float64


def test_causal_sink_is_no_dearer_and_respects_the_causal_lower_bound():
    rng = np.random.default_rng(4)
    X = np.array([0.0, 1.0, 0.0]) + 0.4 * rng.standard_normal((5, 3))
    X[0] *= 1.5
    plain, causal = oc.sink_cost(X, 0, 0.1), oc.sink_cost(X, 0, 0.1, causal=True)
    assert plain.converged and causal.converged
    assert causal.value <= plain.value * (1 + 1e-6)
    obs = C4.CostObservables(T4.SINK_COST_LOWER, "masked")(
        {"X": X, "s": np.int64(0), "eps": np.float64(0.1), "causal": np.bool_(True)}, FLOAT
    )
    assert float(obs["c_sink"]) == pytest.approx(causal.value)
    assert causal.value >= L1(0.1) / float(obs["sink_pair_min"]) * (1 - 1e-6)


def test_no_sink_and_no_diagonal_are_reported_infeasible():
    antipodal = np.array([[1.0, 2.0], [-1.0, -2.0], [0.5, 3.0]])
    res = oc.sink_cost(antipodal, 2, 0.1)
    assert res.infeasible and not res.converged and res.value == math.inf
    ties = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    assert oc.diag_cost(ties, 0.1).infeasible
    assert oc.diagonal_margin_lp(ties) <= 1e-12 < oc.diagonal_margin_lp(np.eye(3))


def test_span_reduction_is_exact():
    rng = np.random.default_rng(5)
    C = rng.standard_normal((4, 2)) + np.array([2.0, 0.0])
    Q, _ = np.linalg.qr(rng.standard_normal((6, 2)))
    X = C @ Q.T  # 4 tokens spanning a plane of R^6
    assert oc.span_basis(X).shape == (6, 2)
    wide, narrow = oc.sink_cost(X, 1, 0.1), oc.sink_cost(C, 1, 0.1)
    assert wide.value == pytest.approx(narrow.value, rel=1e-6)
    assert wide.W.shape == (6, 6)


# -- rigorous bounds ------------------------------------------------------------------------------


def test_cost_upper_bound_on_a_fine_grid_is_close_to_the_optimum():
    X = np.array([[1.0, 0.2], [0.9, -0.3], [1.1, 0.5], [0.8, 0.0]])
    res = oc.sink_cost(X, 2, 0.1)
    rows = oc.sink_rows(4, 2)
    fac = oc.certify_cost_upper_bound(X, res.W, rows, 0.1, levels=(30,))
    assert fac is not None
    assert res.value * (1 - 1e-9) <= float(fac.nuclear_upper) <= res.value * (1 + 1e-5)
    assert all(isinstance(v, Fraction) for v in fac.W.reshape(-1))
    # the default starts on a coarse grid: a looser bound, still within a percent
    coarse = oc.certify_cost_upper_bound(X, res.W, rows, 0.1)
    assert coarse is not None and coarse.grid_bits <= fac.grid_bits
    assert res.value <= float(coarse.nuclear_upper) <= res.value * 1.01
    # half the optimum is infeasible: no certificate
    assert oc.certify_cost_upper_bound(X, 0.5 * res.W, rows, 0.1) is None


def test_cost_upper_bound_ignores_the_solvers_last_digits():
    """Two solvers agreeing to 1e-9 (another machine) give the same certificate, digit for digit."""
    X = np.array([[1.0, 0.2], [0.9, -0.3], [1.1, 0.5], [0.8, 0.0]])
    res = oc.sink_cost(X, 2, 0.1)
    rows = oc.sink_rows(4, 2)
    rng = np.random.default_rng(0)
    wobbled = res.W * (1 + 1e-9 * rng.uniform(-1, 1, res.W.shape))
    a = oc.certify_cost_upper_bound(X, res.W, rows, 0.1)
    b = oc.certify_cost_upper_bound(X, wobbled, rows, 0.1)
    assert a is not None and b is not None
    assert a.nuclear_upper == b.nuclear_upper and a.worst_row_ball == b.worst_row_ball
    assert (a.W == b.W).all()


def test_eigenvalue_enclosure_ignores_the_last_digits_of_the_decomposition():
    G = np.array([[2.0, 0.5, 0.0], [0.5, 1.0, 0.25], [0.0, 0.25, 3.0]])
    base = oc.eigenvalue_enclosure(G, "max")
    wobbled = oc.eigenvalue_enclosure(G * (1 + 2.0**-50), "max")
    assert base is not None and wobbled is not None
    assert (base.lo, base.hi) == (wobbled.lo, wobbled.hi)  # grid points, not float digits
    assert float(base.lo) <= float(np.linalg.eigvalsh(G)[-1]) <= float(base.hi)


def test_eigenvalue_enclosure_contains_the_extreme_eigenvalues():
    rng = np.random.default_rng(6)
    M = rng.standard_normal((5, 5))
    G = np.vectorize(Fraction, otypes=[object])(M.T @ M)
    w = np.linalg.eigvalsh(M.T @ M)
    lo_min = oc.eigenvalue_enclosure(G, "min")
    hi_max = oc.eigenvalue_enclosure(G, "max")
    assert lo_min.lo <= Fraction(w[0]) * (1 + Fraction(1, 10**9)) and lo_min.lo <= lo_min.hi
    assert float(lo_min.lo) <= w[0] <= float(lo_min.hi) + 1e-12
    assert float(hi_max.lo) - 1e-12 <= w[-1] <= float(hi_max.hi)
    assert oc.is_positive_definite(np.eye(3, dtype=object))
    assert not oc.is_positive_definite(np.array([[1, 2], [2, 1]], dtype=object))


def test_a_false_lower_bound_is_refuted_with_a_certificate():
    """The theorem path can fail: 'c_sink >= L_n/(gamma_u gamma_v)' is false (T4-F2), and the same
    check that passes T4.a certifies a violation of it."""
    wrong = Statement(
        id="T4-test",
        name="wrong_lower_bound",
        title="c_sink >= rank-one cost (false)",
        kind=Kind.THEOREM,
        claim="T4",
        hypotheses=T4.SINK_COST_UPPER.hypotheses,
        conclusions=(
            dataclasses.replace(
                T4.SINK_COST_UPPER.conclusions[0], relation=sp.GreaterThan(T4.c_sink, T4.SINK_UPPER)
            ),
        ),
    )
    ev = dataclasses.replace(C4.cost_check(T4.SINK_COST_UPPER), statement=wrong).run(0, 600)
    assert ev.verdict == "REFUTED" and ev.counterexample.certificate.certified
    assert ev.detail.startswith("FINDING")


def test_a_wrong_upper_bound_is_refuted_by_the_dual_lower_bound():
    """An upper bound on a cost is refuted only through a proven *lower* bound on it: half of
    T4.a's rank-one cost is below c_sink on one-dimensional instances (where it is optimal)."""
    half = sp.LessThan(T4.c_sink, T4.SINK_UPPER / 2)
    wrong = dataclasses.replace(
        T4.SINK_COST_UPPER,
        id="T4-test-half",
        conclusions=(dataclasses.replace(T4.SINK_COST_UPPER.conclusions[0], relation=half),),
    )
    check = dataclasses.replace(C4.cost_check(T4.SINK_COST_UPPER), statement=wrong)
    inst = {
        "X": np.array([[1.0], [2.0]]),
        "s": np.array(1),
        "eps": np.array(0.125),
        "causal": np.array(False),
        "token_family": np.array(0),
    }
    cert = check.certify(inst, 0)
    assert cert.certified, cert.note
    assert not C4.cost_check(T4.SINK_COST_UPPER).certify(inst, 0).certified  # T4.a itself holds


# -- the observables: float value, tolerance, enclosure --------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_enclosures_contain_the_float_optimum(seed):
    """For drawn instances of every shape: the ball of each cost contains the solver's optimum."""
    shapes = [(2, 1), (3, 2), (6, 4), (8, 8)]
    for idx, (n, d) in enumerate(shapes):
        batch = C4.sample_costs(np.random.default_rng([seed, idx]), n, d, 3)
        for b in range(3):
            X, s, eps = batch["X"][b], int(batch["s"][b]), float(batch["eps"][b])
            causal = bool(batch["causal"][b])
            for value, ball in (
                (
                    co.sink_cost(FLOAT, X, s, eps, causal),
                    co.sink_cost(ARB, _exact(X), s, Fraction(eps), causal),
                ),
                (co.diag_cost(FLOAT, X, eps), co.diag_cost(ARB, _exact(X), Fraction(eps))),
            ):
                value = float(value)
                if math.isnan(value):
                    continue  # no usable solve: never evidence
                if math.isinf(value):
                    assert ball == flint.arb("inf") or not ball.is_finite()
                    continue
                if ball.is_finite():
                    assert float(ball.lower()) <= value * (1 + 1e-9)
                    assert value <= float(ball.upper()) * (1 + 1e-12)


def test_cost_observables_agree_under_jit_vmap_and_numpy():
    import jax

    batch = C4.sample_costs(np.random.default_rng(9), 4, 3, 4)
    co.clear_caches()
    direct = [
        float(co.sink_cost(FLOAT, batch["X"][b], batch["s"][b], batch["eps"][b])) for b in range(4)
    ]
    solves = len(co.SOLVES)
    traced = jax.jit(jax.vmap(lambda X, s, e: co.sink_cost(JAX, X, s, e)))(
        batch["X"], batch["s"], batch["eps"]
    )
    assert np.allclose(np.asarray(traced), direct, equal_nan=True)
    assert len(co.SOLVES) == solves  # the second phase reused the solves


def test_tolerance_is_zero_unless_converged_and_counted_under_machine():
    X = np.array([[1.0], [2.0]])
    tol = float(co.cost_tolerance(FLOAT, "sink", X, 1, 0.1))
    res = co.sink_result(X, 1, 0.1)
    assert res.converged and tol == pytest.approx(res.tolerance) and tol > 0
    antipodal = np.array([[1.0], [-1.0]])
    assert float(co.sink_cost(FLOAT, antipodal, 0, 0.1)) == math.inf
    assert float(co.cost_tolerance(FLOAT, "sink", antipodal, 0, 0.1)) == 0.0


def test_within_tolerance_is_not_a_violation():
    """rounding_scale: the first-order change of lhs - rhs when each cost moves by its tolerance."""
    obs = C4.CostObservables(T4.SINK_COST_LOWER, "masked")
    env = {"c_sink": 1.0, "eps": 0.1, "sink_pair_min": L1(0.1) / (1 + 1e-8), "n": 3.0}
    small = float(obs.rounding_scale(env, {"c_sink": 1e-6}))
    assert small == pytest.approx(1e-6, rel=1e-3)  # c_sink enters with coefficient 1
    ratio = C4.CostObservables(T4.SINK_CHEAPER)
    env = {
        "c_sink": 2.0,
        "c_diag": 4.0,
        "eps": 0.1,
        "n": 3.0,
        "gamma_u": 1.0,
        "gamma_v": 1.0,
        "sigma_max_sq": 1.0,
    }
    # c_diag / c_sink moves by 4 * 1e-6 / 2^2 when c_sink moves by 1e-6
    assert float(ratio.rounding_scale(env, {"c_sink": 1e-6, "c_diag": 0.0})) >= 1e-6


def test_feasibility_margins_are_exact_in_balls():
    ties = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    assert float(co.diag_margin(FLOAT, ties)) == 0.0
    assert float(co.diag_margin(FLOAT, np.eye(3))) > 0
    ball = co.diag_margin(ARB, _exact(np.eye(3)))
    assert bool(ball > 0)  # the hypothesis diag_margin > 0 is provable
    assert co.diag_cost(ARB, _exact(ties), Fraction(1, 10)) == flint.arb("inf")
    assert co.rank(ARB, _exact(np.vstack([np.eye(3)[:2], np.eye(3)[:2].sum(axis=0)]))) == 2


# -- the solver-failure path ----------------------------------------------------------------------


def _not_converged(*args, **kwargs):
    return oc.CostResult(1.0, 1.0, 0.5, False, "optimal_inaccurate", np.eye(1), 1.0, 0.5, 0.0)


def test_a_solve_that_did_not_converge_makes_the_verdict_error(monkeypatch):
    """A non-converged solve is nan: the engine refuses it, the runner reports ERROR."""
    from proofs_check.runner import run_check

    monkeypatch.setattr(co.programs, "sink_cost", _not_converged)
    co.clear_caches()
    try:
        ev = run_check(C4.cost_check(T4.SINK_COST_UPPER), 7, 200)
    finally:
        co.clear_caches()
    assert ev.verdict == "ERROR" and "NaN" in ev.error


def test_a_large_duality_gap_is_not_converged():
    X = np.array([[1.0], [2.0]])
    rows = oc.sink_rows(2, 1)
    W = np.array([[2.0 * L1(0.1)]])  # feasible, twice the optimum
    res = oc._result(X, rows, 0.1, W, 2 * L1(0.1), L1(0.1), "optimal", "CLARABEL")
    assert not res.converged and res.tolerance == math.inf
    ok = oc._result(X, rows, 0.1, W / 2 * (1 + 1e-12), L1(0.1), L1(0.1), "optimal", "CLARABEL")
    assert ok.converged
    assert not oc._result(
        X, rows, 0.1, W / 2, L1(0.1), L1(0.1), "optimal_inaccurate", "SCS"
    ).converged


@pytest.mark.parametrize("sid", CONTROLS)
def test_saved_counterexamples_replay(evidence, sid):
    """A counterexample's JSON instance is re-certified from scratch (solve, then prove)."""
    import json

    from proofs_check.checks import registry
    from proofs_check.search.replay import replayer_for

    ev = evidence(sid)
    instance = json.loads(json.dumps(ev.counterexample.instance))
    instance = {k: np.asarray(v) for k, v in instance.items()}
    co.clear_caches()
    assert replayer_for(registry()[sid])(instance, ev.counterexample.case).certified


def test_no_sink_control_certifies_its_hypotheses_exactly():
    """T4-F1 is about distinct tokens and eps < 1/2: a replayed instance outside them is not
    certified, however clear the rest of the proof."""
    from proofs_check.checks import registry

    check = registry()["T4-F1"]
    good = {
        "X": np.array([[0.5], [-0.5]]),
        "s": np.array(0),
        "eps": np.array(0.25),
        "causal": np.array(False),
        "token_family": np.array(7),
    }
    assert check.certify(good, 0).certified
    assert not check.certify({**good, "eps": np.array(0.5)}, 0).certified
    assert not check.certify({**good, "X": np.array([[0.5], [0.5], [-0.5]])}, 0).certified


def test_projector_bound_uses_the_exact_rank_and_is_sharper_below_full_width():
    """Two tokens in R^3 (rank 2): W = (L_n/g) Pi is eps-diagonal with ||W||_* = 2 L_n/g < 3 L_n/g."""
    X = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]])
    assert float(co.rank(FLOAT, X)) == 2.0
    assert float(co.rank(FLOAT, np.vstack([X, X.sum(axis=0)]))) == 2.0
    obs = C4.CostObservables(T4.DIAG_COST_UPPER)(
        {"X": X, "s": np.int64(0), "eps": np.float64(0.1), "causal": np.bool_(False)}, FLOAT
    )
    g = float(obs["g"])
    assert g == pytest.approx(1.0) and float(obs["rank_x"]) == 2.0
    eps = 0.1
    res = oc.diag_cost(X, eps)
    L_n = math.log((2 - 1) * (1 - eps) / eps)
    assert res.converged and res.value <= 2 * L_n / g * (1 + 1e-6) < 3 * L_n / g


# -- mutants of T4.a: generated, and the known-false ones certified ---------------------------------


def _cost_instance(X, s, eps):
    return {
        "X": np.asarray(X, dtype=float),
        "s": np.array(s),
        "eps": np.array(float(eps)),
        "causal": np.array(False),
        "token_family": np.array(0),
    }


# x = (1, 2), s = 1: c_sink = L_1 = L_n/(gamma_u gamma_v) (n = 2, d = 1: the rank-one W is optimal)
_TIGHT = _cost_instance([[1.0], [2.0]], 1, Fraction(1, 8))
T4A_KNOWN_FALSE = {
    # no room: c_sink equals the rank-one cost, the dual lower bound proves c_sink > 9/11 of it
    "T4.a~margin:c0": _TIGHT,
    # eps = 3/4 > (n-1)/n: L_n < 0, the bound is negative while c_sink >= 0 (W = 0 is feasible)
    "T4.a~drop:h2": _cost_instance([[1.0], [2.0]], 1, Fraction(3, 4)),
}


def test_t4a_mutants_are_generated():
    from proofs_check.checks import registry
    from proofs_check.search.mutate import mutants_of

    ids = {m.id for m in mutants_of(registry()["T4.a"])}
    assert {"T4.a~flip:c0", "T4.a~margin:c0", "T4.a~drop:h0", "T4.a~drop:h2"} <= ids


@pytest.mark.parametrize("mutant_id", sorted(T4A_KNOWN_FALSE))
def test_known_false_t4a_mutants_are_certified(mutant_id):
    from proofs_check.checks import registry
    from proofs_check.search.mutate import mutant_by_id

    mutant = mutant_by_id(mutant_id)
    instance = T4A_KNOWN_FALSE[mutant_id]
    cert = mutant.check.certify(instance, 0)
    assert cert.certified, cert.note
    assert not registry()["T4.a"].certify(instance, 0).certified  # the theorem holds there


def test_flipped_t4a_is_refuted_where_a_full_rank_w_is_cheaper(evidence):
    """T4.a~flip:c0 (c_sink >= the rank-one cost) is T4-F2's inequality: its counterexample."""
    from proofs_check.search.mutate import mutant_by_id

    cx = evidence("T4-F2").counterexample
    instance = {k: np.asarray(v) for k, v in cx.instance.items()}
    assert mutant_by_id("T4.a~flip:c0").check.certify(instance, 0).certified


CONJECTURE = """
import sympy as sp
from proofs_check.checks.costs import sample_costs
from proofs_check.conjecture import Conjecture
from proofs_check.observables.cost_observables import sink_cost
from proofs_check.observables.solved import gamma_u, gamma_v

c, gu, gv, n, eps = sp.symbols("c gu gv n eps")


def quantities(inst, ops):
    X, s = inst["X"], inst["s"]
    return {"c": sink_cost(ops, X, s, inst["eps"]), "gu": gamma_u(ops, X),
            "gv": gamma_v(ops, X, s), "n": X.shape[0]}


rank_one_is_optimal = Conjecture(
    name="rank_one_is_optimal",
    title="c_sink >= L_n/(gamma_u gamma_v)",
    hypotheses=(sp.StrictGreaterThan(gu, 0), sp.StrictGreaterThan(gv, 0)),
    conclusion=sp.GreaterThan(c, sp.log((n - 1) * (1 - eps) / eps) / (gu * gv)),
    quantities=quantities,
    instances=sample_costs,
    shapes=((3, 2), (4, 3)),
    min_met=5,
)
"""


def test_a_user_conjecture_over_the_sink_cost_is_refuted_and_certified(tmp_path):
    """sink_cost, gamma_u, gamma_v from a user's quantities: the false 'rank-one is optimal'."""
    from proofs_check.conjecture import load_conjectures

    path = tmp_path / "t4_conjecture.py"
    path.write_text(CONJECTURE)
    (check,) = load_conjectures(f"{path}::rank_one_is_optimal")
    ev = check.run(0, 40)
    assert ev.verdict == "REFUTED" and ev.counterexample.certificate.certified


def test_a_solver_derived_enclosure_is_widened_onto_a_grid_that_absorbs_the_solvers_last_digits():
    """The ends of ``c_sink``'s enclosure come from the solver (its multipliers make the dual bound),
    whose last digits differ between machines: rounded outward onto ``2^-14`` of the size, two
    solvers that agree to 1e-7 give the same ball, and the ball still contains the exact ends."""
    lo, hi = Fraction(469900306204929, 10**14), Fraction(469901707116515, 10**14)
    ball = co.settled_interval(lo, hi)
    assert ball.contains(flint.arb(flint.fmpq(lo.numerator, lo.denominator)))
    assert ball.contains(flint.arb(flint.fmpq(hi.numerator, hi.denominator)))
    assert bool(ball.rad() < 2.0**-11)  # at most two grid steps wider than [lo, hi]
    moved = co.settled_interval(lo * (1 - Fraction(1, 10**7)), hi * (1 + Fraction(1, 10**7)))
    assert moved.mid() == ball.mid() and moved.rad() == ball.rad()
    assert co.settled_interval(Fraction(0), Fraction(0)) == flint.arb(0)
