"""The five smoothing readings (``smoothing_forms``) and T6's real-stack bounds
(``depth_bounds``) against direct computation on small random instances (no model needed)."""

from __future__ import annotations

import numpy as np
import pytest

from proofs_check.empirical.depth_bounds import depth_record, dobrushin_terms
from proofs_check.empirical.smoothing_forms import (
    FORMS,
    ROW_FORMS,
    cosine_rise_fraction,
    layer_forms,
)
from proofs_check.empirical.smoothing_measure import smoothing_measurements


def _mu2(m: np.ndarray) -> float:
    c = m - m.mean(axis=0)
    return float(np.sum(c * c))


def _nu(m: np.ndarray) -> float:
    return _mu2(m) / float(np.sum(m * m))


def _instance(seed: int, n: int = 7, d: int = 5, heads: int = 3, causal: bool = False):
    rng = np.random.default_rng(seed)
    tokens = rng.normal(size=(n, d)) + rng.normal(size=d)
    scores = rng.normal(scale=2.0, size=(heads, n, n))
    if causal:
        scores = np.where(np.tril(np.ones((n, n), dtype=bool)), scores, -np.inf)
    probs = np.exp(scores - scores.max(axis=-1, keepdims=True))
    probs /= probs.sum(axis=-1, keepdims=True)
    values = rng.normal(size=(heads, n, d))
    return tokens, probs, values


def _target(name: str, n: int, sink: int) -> np.ndarray:
    return np.eye(n) if name == "diagonal" else np.eye(n)[[sink] * n]


@pytest.mark.parametrize("seed", range(6))
def test_forms_match_direct_comparisons(seed):
    tokens, probs, values = _instance(seed, causal=seed % 2 == 1)
    n, heads = tokens.shape[0], probs.shape[0]
    sinks = np.array([0, 2, 1]) if seed % 2 == 0 else np.zeros(heads, dtype=int)
    forms = layer_forms(tokens, probs, values, sinks)
    seen = {form: set() for form in FORMS}
    for target, record in forms.heads.items():
        for h in range(heads):
            v = values[h].copy()
            if target == "sink_zero_value":
                v[sinks[h]] = 0.0
            b = _target(target, n, sinks[h])
            dense, sparse = tokens + probs[h] @ v, tokens + b @ v
            old = smoothing_measurements(tokens, probs[h], values[h], int(sinks[h]))[target]
            np.testing.assert_allclose(record.row_margins[h], old.row_margins, atol=1e-12)
            holds = dict(zip(FORMS, record.holds[h], strict=True))
            assert holds["T3.b"] == old.holds_for_head
            assert holds["T3.c"] == old.holds_uniformly
            assert holds["T3.e"] == (_mu2(dense) <= _mu2(sparse))
            assert holds["T3.f"] == (_nu(dense) <= _nu(sparse))
            common = (probs[h] @ v).mean(axis=0)  # the update under this convention
            assert holds["T3.g"] == bool(np.all(tokens @ common >= 0))
            for form, value in holds.items():
                seen[form].add(bool(value))
            for i in range(n):
                mixed = probs[h].copy()
                mixed[i] = b[i]
                row = tokens + mixed @ v
                rows = dict(zip(ROW_FORMS, record.rows[:, h, i], strict=True))
                assert rows["T3.e"] == (_mu2(dense) <= _mu2(row))
                assert rows["T3.f"] == (_nu(dense) <= _nu(row))
    assert forms.layer["sink"].holds.shape == (1, len(FORMS))


def test_forms_can_fail_and_hold():
    """Over a few instances every form is seen both holding and failing (the checks can fail)."""
    outcomes = {form: set() for form in FORMS}
    for seed in range(60):
        tokens, probs, values = _instance(seed, n=3)
        forms = layer_forms(tokens, probs, values, np.zeros(3, dtype=int))
        for record in forms.heads.values():
            for k, form in enumerate(FORMS):
                outcomes[form] |= set(record.holds[:, k].tolist())
    assert all(seen == {True, False} for seen in outcomes.values()), outcomes


def test_layer_form_is_the_whole_sublayer():
    tokens, probs, values = _instance(3)
    forms = layer_forms(tokens, probs, values, np.zeros(3, dtype=int))
    dense = tokens + np.einsum("hij,hjd->id", probs, values)
    sparse = tokens + values[:, 0, :].sum(axis=0)  # every head's B V = 1 v_0^T
    holds = dict(zip(FORMS, forms.layer["sink"].holds[0], strict=True))
    assert holds["T3.e"] == (_mu2(dense) <= _mu2(sparse))
    assert holds["T3.f"] == (_nu(dense) <= _nu(sparse))


def test_cosine_rise_on_equal_norm_tokens_in_the_dual_cone():
    """T3.g: equal norms and <c, x_i> >= 0 for all i => every pair's cosine rises."""
    rng = np.random.default_rng(1)
    c = np.array([1.0, 0.0, 0.0])
    tokens = rng.normal(size=(9, 3))
    tokens[:, 0] = np.abs(tokens[:, 0])
    tokens /= np.linalg.norm(tokens, axis=1, keepdims=True)
    assert cosine_rise_fraction(tokens, c[None] * 0.7)[0] == 1.0
    # without the dual-cone hypothesis a pair's cosine can drop: (-1, ±0.1) + (1, 0) = (0, ±0.1)
    against = np.array([[-1.0, 0.1, 0.0], [-1.0, -0.1, 0.0]])
    assert cosine_rise_fraction(against, c[None])[0] == 0.0


def test_dobrushin_and_t6a_against_direct_computation():
    tokens, probs, values = _instance(5, n=9, causal=True)
    delta, diam_out, diam_in = dobrushin_terms(probs, tokens)
    for h in range(probs.shape[0]):
        a = probs[h]
        expected = 0.5 * max(np.abs(a[i] - a[k]).sum() for i in range(9) for k in range(9))
        assert delta[h] == pytest.approx(expected, abs=1e-12)
        out = a @ tokens
        direct = max(np.linalg.norm(out[i] - out[k]) for i in range(9) for k in range(9))
        assert diam_out[h] == pytest.approx(direct, rel=1e-9)
        assert diam_out[h] <= delta[h] * diam_in + 1e-12
    record = depth_record(tokens, probs, values, probs @ values, np.zeros(3, dtype=int))
    assert not record.t6a_violated and record.t6d_violations == 0
    zeroed = values.copy()
    zeroed[:, 0] = 0.0
    after = tokens + np.einsum("hij,hjd->id", probs, zeroed)
    assert record.mu_after_zero_sink == pytest.approx(np.sqrt(_mu2(after)), rel=1e-12)
    epsilon = 1.0 - probs[:, :, 0].min(axis=1)
    radius = np.linalg.norm(values[:, 1:], axis=-1).max(axis=1)
    bound = np.sqrt(_mu2(tokens)) - np.sqrt(9) * np.sum(epsilon * radius)
    assert record.t6a_bound == pytest.approx(bound, rel=1e-12)
