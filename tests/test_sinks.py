"""T1: every statement gets its intended verdict; hand-made instances with known answers."""

from fractions import Fraction

import numpy as np
import pytest

from proofs_check.backend import ARB, JAX
from proofs_check.checks.sinks import certify_origin_in_hull, margin_observables, sink_sides
from proofs_check.observables.geometry import hull_distance
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
        sides = evidence(sid).extra["sides"]
        assert sides["sink"] >= 10 and sides["no_sink"] >= 10 and sides["disagree"] == 0


def test_antipodal_tokens_have_no_sink_exactly():
    X = np.array([[1.0, 2.0], [-1.0, -2.0], [0.5, 3.0]])
    h = hull_distance(X)
    assert h.distance < 1e-12
    cert = certify_origin_in_hull(X, h.support)
    assert cert.certified and "lambda" in cert.gap
    assert not sink_sides(X, 2, "plain").geometric


def test_cone_tokens_with_vertex_sink_admit_a_sink():
    X = np.array([[1.0, 0.0], [1.0, 0.5], [1.0, -0.5]])
    sides = sink_sides(X, 1, "plain")
    assert sides.geometric and sides.lp_sink and sides.agree
    # the middle token is not a vertex: no sink there
    assert not sink_sides(X, 0, "plain").geometric


def test_key_bias_removes_the_halfspace_condition():
    X = np.array([[1.0, 0.0], [-1.0, 0.1], [0.0, 1.0]])  # 0 is inside no half-space test needed
    assert sink_sides(X, 2, "key_bias").geometric


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
