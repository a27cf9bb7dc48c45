"""Shrinking by certificate: every accepted step is a certified counterexample, the order is
tokens, coordinates, dyadic entries, zeros, eps, and the sink is never deleted."""

from __future__ import annotations

import time
from fractions import Fraction

import numpy as np

from proofs_check.certify import Certificate
from proofs_check.search.certified_shrink import (
    exact_token_instance,
    shrink_by_certificate,
    simplifications,
    token_matrix,
)


def _certificate(ok: bool) -> Certificate:
    return Certificate("toy", ok, None, "", "")


def test_shrinks_to_a_small_readable_instance_and_every_step_was_certified():
    """Toy 'violation': the sink token (s) has a coordinate above 1/2 and eps < 1/2."""
    seen: list[bool] = []

    def certify(inst: dict) -> Certificate:
        X, s = token_matrix(inst), int(inst["s"])
        ok = bool(np.max(X[s]) > 0.5) and float(inst["eps"]) < 0.5
        seen.append(ok)
        return _certificate(ok)

    rng = np.random.default_rng(0)
    X = rng.standard_normal((6, 4))
    X[3, 2] = 0.9123456789
    start = {"X": X, "s": 3, "eps": 0.1, "causal": False}
    shrunk = shrink_by_certificate(start, certify(start), certify, time.perf_counter() + 30)
    Y = token_matrix(shrunk.instance)
    assert Y.shape == (2, 1)  # n >= 2 is kept; one coordinate suffices
    assert int(shrunk.instance["s"]) in (0, 1) and np.max(Y[int(shrunk.instance["s"])]) > 0.5
    assert shrunk.instance["eps"] == 0.25  # the simplest dyadic eps below 1/2
    assert Fraction(float(np.max(Y))).denominator <= 2
    assert shrunk.certificate.certified and shrunk.log
    assert shrunk.attempts == len(seen) - 1  # every candidate went through the certifier


def test_the_sink_is_never_deleted_and_is_reindexed():
    inst = {"X": np.arange(8.0).reshape(4, 2), "s": 2}
    for description, candidate in simplifications(inst):
        if description.startswith("deleted token"):
            k = int(description.split()[-1])
            assert k != 2
            assert int(candidate["s"]) == (1 if k < 2 else 2)
            assert np.array_equal(token_matrix(candidate)[int(candidate["s"])], [4.0, 5.0])


def test_a_certifier_that_raises_rejects_the_candidate():
    def certify(inst: dict) -> Certificate:
        if token_matrix(inst).shape[0] < 3:
            raise ArithmeticError("solver gave up")
        return _certificate(True)

    start = {"X": np.ones((3, 1)) * np.array([[1.0], [2.0], [3.0]])}
    shrunk = shrink_by_certificate(start, _certificate(True), certify, time.perf_counter() + 10)
    assert token_matrix(shrunk.instance).shape[0] == 3


def test_exact_instance_is_fractions_equal_to_the_floats():
    exact = exact_token_instance({"X": [[0.1, 2.0]], "eps": 0.25})
    assert exact["X"][0, 0] == Fraction(0.1) and exact["eps"].item() == Fraction(1, 4)
