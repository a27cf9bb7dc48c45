"""Minimum-norm points: Wolfe's algorithm against a conic solver, and the exact polish."""

import numpy as np
import pytest

from proofs_check.observables.geometry import exact_min_norm_point, hull_distance


@pytest.mark.parametrize(
    "k,d,shift", [(2, 2, 2.0), (5, 3, 2.0), (30, 5, 1.0), (64, 16, 0.5), (10, 2, 0.0)]
)
def test_hull_distance_matches_cvxpy(k, d, shift):
    import cvxpy as cp

    rng = np.random.default_rng(k * 100 + d)
    P = rng.normal(size=(k, d)) + shift
    h = hull_distance(P)
    lam = cp.Variable(k)
    prob = cp.Problem(cp.Minimize(cp.sum_squares(P.T @ lam)), [lam >= 0, cp.sum(lam) == 1])
    prob.solve()
    assert abs(h.distance - np.sqrt(max(prob.value, 0.0))) < 1e-6
    assert np.all(h.weights >= 0) and abs(h.weights.sum() - 1) < 1e-12
    exact = exact_min_norm_point(P, h.support)
    if h.distance > 1e-9:
        assert exact is not None
        assert abs(float(exact.squared_distance) - h.distance**2) < 1e-9


def test_direction_attains_the_margin():
    P = np.array([[2.0, 1.0], [2.0, -1.0], [3.0, 0.0]])
    h = hull_distance(P)
    assert h.distance == pytest.approx(2.0)
    assert np.min(P @ h.direction) == pytest.approx(h.distance)


def test_rejects_nan_points():
    with pytest.raises(ValueError, match="NaN"):
        hull_distance(np.array([[np.nan, 1.0]]))
