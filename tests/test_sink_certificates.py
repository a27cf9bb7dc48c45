"""Exact per-instance proofs of T1.b, T1.c, T1.f."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from proofs_check.checks.sinks import AttentionSampler, sink_sides
from proofs_check.instances import rng_for
from proofs_check.observables.sink_certificates import NO_SINK, SINK, certify_sink_instance


def test_antipodal_tokens_have_an_exact_farkas_certificate():
    X = np.array([[1.0, 0.5], [-1.0, -0.5], [0.3, 2.0]])
    cert = certify_sink_instance(X, 2, "plain", expect_sink=False)
    assert cert.certified and cert.side == NO_SINK
    lam = [Fraction(w) for w in cert.data["lambda"]]
    assert sum(lam) == 1 and min(lam) >= 0
    # the same tokens have no sink proof: the check could have failed
    assert not certify_sink_instance(X, 2, "plain", expect_sink=True).certified


def test_key_bias_needs_only_the_vertex():
    X = np.array([[1.0, 0.5], [-1.0, -0.5], [0.3, 2.0]])
    cert = certify_sink_instance(X, 2, "key_bias", expect_sink=True)
    assert cert.certified and cert.side == SINK and Fraction(cert.data["min_margin"]) > 0


def test_sink_certificate_margins_are_exact():
    X = np.array([[2.0, 0.1], [1.0, 0.4], [1.0, -0.3]])
    cert = certify_sink_instance(X, 0, "plain", expect_sink=True)
    assert cert.certified
    u = [Fraction(c) for c in cert.data["u"]]
    v = [Fraction(c) for c in cert.data["v"]]
    Xq = [[Fraction(float(c)) for c in row] for row in X]
    for xi in Xq:
        for j in (1, 2):
            diff = [a - b for a, b in zip(Xq[0], Xq[j], strict=True)]
            m = sum(a * b for a, b in zip(xi, u, strict=True)) * sum(
                a * b for a, b in zip(v, diff, strict=True)
            )
            assert m > 0


def test_every_sampled_instance_is_proved_exactly():
    for mode in ("plain", "causal", "key_bias"):
        batch = AttentionSampler()(rng_for(0, "exact-" + mode, 0), 5, 3, 12)
        for b in range(12):
            X = np.asarray(batch["X"][b], dtype=float)
            s = 0 if mode == "causal" else int(batch["s"][b])
            sides = sink_sides(X, s, mode)
            if sides.ambiguous:
                continue
            assert certify_sink_instance(X, s, mode, sides.geometric).certified, (mode, b)
