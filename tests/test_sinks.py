"""T1: every statement gets its intended verdict; hand-made instances with known answers."""

from fractions import Fraction

import numpy as np
import pytest

from proofs_check.backend import ARB, JAX
from proofs_check.checks.sinks import margin_observables
from proofs_check.observables.geometry import hull_distance
from proofs_check.search.numeric import FLOAT
from theory import sinks as T1

THEOREMS = ["T1.a", "T1.b", "T1.c", "T1.d", "T1.e", "T1.f"]
CONTROLS = ["T1-F1", "T1-F2", "T1-F3", "T1-F4"]


@pytest.mark.parametrize("sid", THEOREMS)
def test_theorem_holds(evidence, sid):
    ev = evidence(sid)
    assert ev.verdict == "HOLDS", ev.to_json()
    assert ev.met >= ev.min_met
    assert ev.steps_verified == len(ev.symbolic) > 0


@pytest.mark.parametrize("sid", CONTROLS)
def test_control_refuted_with_certificate(evidence, sid):
    ev = evidence(sid)
    assert ev.verdict == "REFUTED", ev.to_json()
    cert = ev.counterexample.certificate
    assert cert.certified and cert.method in ("arb ball arithmetic", "exact rational arithmetic")


def test_equivalence_checks_exercise_both_sides(evidence):
    for sid in ("T1.b", "T1.c", "T1.f"):
        ev = evidence(sid)
        assert set(ev.sides) == set(T1.SIDE_NAMES) and ev.min_per_side == 10
        assert min(ev.sides.values()) >= 10, ev.sides
        # every sampled instance proved exactly (both sides' relations in balls)
        exact = ev.extra["exact_proofs"]
        assert exact["proved"] == exact["instances"] == ev.met, exact
        assert ev.proof["status"] == "PROVED_ON_INSTANCE"


def _lp(X, s: int = 0, **options):
    from proofs_check.backend import to_arb_array
    from proofs_check.observables.sink_lp import sink_lp_margin

    X = np.asarray(X, dtype=float)
    return sink_lp_margin(FLOAT, X, s, **options), sink_lp_margin(
        ARB, to_arb_array(X), s, **options
    )


def test_sink_lp_margin_is_exactly_zero_on_antipodal_tokens():
    value, ball = _lp([[1.0, 2.0], [-1.0, -2.0], [0.5, 3.0]], 2)
    assert value == 0.0
    assert ball.is_exact() and ball.is_zero()  # an exact Farkas certificate: > 0 is refutable


def test_sink_lp_enclosure_contains_the_float_value():
    rng = np.random.default_rng(3)
    for options in ({}, {"causal": True}, {"key_bias": True}):
        for _ in range(6):
            X = rng.standard_normal((5, 3)) + np.array([2.0, 0.0, 0.0])
            value, ball = _lp(X, 0, **options)
            assert value > 0 and ball > 0
            assert ball.contains(value) or abs(float(ball.mid()) - value) <= 1e-9 * value
            assert float(ball.rad()) <= 1e-9 * value  # primal and dual bounds nearly meet


def test_sink_lp_one_dimension_is_exact_and_equals_the_rank_one_margin():
    """d = 1: W is a scalar, t* = min_i |x_i| * min_j |x_s - x_j| = gamma_u gamma_v exactly."""
    from proofs_check.backend import to_arb_array
    from proofs_check.observables.solved import gamma_u, gamma_v

    X = np.array([[2.0], [1.0], [0.5]])
    value, ball = _lp(X, 0)
    assert value == 0.5 and ball.is_exact() and ball == 0.5
    balls = to_arb_array(X)
    assert gamma_u(ARB, balls) * gamma_v(ARB, balls, 0) == ball


def test_sink_lp_interior_sink_has_no_sink():
    """x_s in conv of the others: gamma_v = 0 and the LP optimum is exactly 0 (T1.b, T1.f)."""
    X = [[1.0, 0.0], [1.0, 0.5], [1.0, -0.5]]
    for options in ({}, {"key_bias": True}):
        value, ball = _lp(X, 0, **options)
        assert value == 0.0 and ball.is_exact() and ball.is_zero()
        value, ball = _lp(X, 1, **options)  # the vertex can be a sink
        assert value > 0 and ball > 0


def test_key_bias_removes_the_halfspace_condition():
    X = [[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]]  # 0 in conv X: no sink without a bias ...
    assert _lp(X, 2)[1].is_zero()
    value, ball = _lp(X, 2, key_bias=True)  # ... but x_3 is a vertex
    assert value > 0 and ball > 0


def _relation_check(statement_id: str, conclusions):
    """The built-in check of ``statement_id`` with its relation conclusions replaced."""
    import dataclasses

    from proofs_check.checks import registry
    from theory.core import Condition, Kind

    rc = registry()[statement_id]
    st = dataclasses.replace(
        rc.statement,
        id=f"{statement_id}-wrong",
        kind=Kind.CONTROL,
        mirrors=statement_id,
        conclusions=tuple(Condition(str(c), c, g) for c, g in conclusions),
    )
    return dataclasses.replace(rc, statement=st)


def test_swapped_sides_are_refuted_with_a_certificate():
    """(iv) => not (iii) and not (iv) => (iii): each false, each refuted by ball arithmetic."""
    import sympy as sp

    positive = (sp.StrictGreaterThan(T1.gamma_u, 0), sp.StrictGreaterThan(T1.gamma_v, 0))
    failing = (sp.LessThan(sp.Min(T1.gamma_u, T1.gamma_v), 0),)
    for rel, given in (
        (sp.LessThan(T1.lp_margin, 0), positive),
        (sp.StrictGreaterThan(T1.lp_margin, 0), failing),
    ):
        ev = _relation_check("T1.b", [(rel, given)]).run(0, 300)
        assert ev.verdict == "REFUTED", ev.to_json()
        assert ev.counterexample.certificate.method == "arb ball arithmetic"


def test_rank_one_bound_is_tight_but_not_improvable():
    """t* >= gamma_u gamma_v holds with room 0 (d = 1): 1.1 gamma_u gamma_v is refuted."""
    import sympy as sp

    positive = (sp.StrictGreaterThan(T1.gamma_u, 0), sp.StrictGreaterThan(T1.gamma_v, 0))
    rel = sp.GreaterThan(T1.lp_margin, sp.Rational(11, 10) * T1.gamma_u * T1.gamma_v)
    ev = _relation_check("T1.b", [(rel, positive)]).run(0, 300)
    assert ev.verdict == "REFUTED", ev.to_json()


def test_every_token_set_control_refuted_by_an_exact_zero(evidence):
    cx = evidence("T1-F1").counterexample
    X = np.array(cx.instance["X"], dtype=float)
    assert len({tuple(r) for r in X.tolist()}) == X.shape[0]  # distinct tokens
    assert hull_distance(X).distance < 1e-12  # 0 in conv X: no token can be a sink
    assert cx.certificate.certified and cx.certificate.violated == "lp_best > 0"


def test_margin_observables_agree_on_both_backends():
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    W = np.array([[2.0, 0.0], [0.0, 1.0]])
    inst = {"X": X, "W": W, "s": 2}
    flt = margin_observables({k: np.asarray(v) for k, v in inst.items()}, JAX)
    from proofs_check.backend import to_arb_array

    arb = margin_observables({"X": to_arb_array(X), "W": to_arb_array(W), "s": 2}, ARB)
    for name in ("margin", "log_odds", "rest"):
        for a, b in zip(np.asarray(flt[name]), arb[name], strict=True):
            assert b.contains(float(a)) or abs(float(b.mid()) - float(a)) < 1e-12


def test_exact_min_norm_point_matches_closed_form():
    from proofs_check.observables.geometry import exact_min_norm_point

    P = np.array([[Fraction(1), Fraction(0)], [Fraction(0), Fraction(1)]], dtype=object)
    exact = exact_min_norm_point(P, (0, 1))
    assert exact is not None and exact.squared_distance == Fraction(1, 2)
    assert exact.weights == (Fraction(1, 2), Fraction(1, 2))


def test_construction_constant_is_the_theory_expression():
    from proofs_check.checks.sinks import CONSTRUCTION_SCALE

    assert CONSTRUCTION_SCALE.free_symbols >= {T1.gamma_u, T1.gamma_v}


def test_per_instance_proofs_can_fail():
    """``prove_instances`` proves the theorem on an instance, and refuses a wrong statement there."""
    import sympy as sp

    from proofs_check.checks import registry

    antipodal = {"X": np.array([[1.0, 2.0], [-1.0, -2.0], [0.5, 3.0]]), "s": np.int64(2)}
    antipodal["token_family"] = np.int64(0)
    sink = {"X": np.array([[2.0], [1.0]]), "s": np.int64(0), "token_family": np.int64(0)}
    theorem = registry()["T1.b"]
    assert theorem.proves(antipodal) and theorem.proves(sink)
    positive = (sp.StrictGreaterThan(T1.gamma_v, 0),)  # the half-space condition dropped
    wrong = _relation_check("T1.b", [(sp.StrictGreaterThan(T1.lp_margin, 0), positive)])
    assert wrong.proves(sink) and not wrong.proves(antipodal)
