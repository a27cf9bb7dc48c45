"""Aggregate per-sequence measurements into the JSON-ready summary of the run.

Every number is a plain ``float``/``int``/``bool``/``str`` (NaN becomes ``None``) and
every float is rounded to ``SIGNIFICANT_DIGITS`` significant digits, so the same seed
gives byte-identical JSON. A "head instance" is one head of one layer on one sequence, a
"layer instance" one layer on one sequence.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

from proofs_check.empirical.cost_measure import CostComparison
from proofs_check.empirical.depth_bounds import VIOLATION_TOLERANCE as DEPTH_TOLERANCE
from proofs_check.empirical.measurements import (
    COSINE_BINS,
    HeadMeasurement,
    LayerMeasurement,
    SequenceMeasurement,
)
from proofs_check.empirical.sink_geometry import pooled_token_geometry
from proofs_check.empirical.sinks import IMPORTANCE_EPSILON, SINK_EPSILONS
from proofs_check.empirical.smoothing_forms import FORMS, MARGIN_BINS, ROW_FORMS, TARGETS
from proofs_check.empirical.smoothing_measure import SMOOTHING_TARGETS
from proofs_check.empirical.switch_bounds import VIOLATION_TOLERANCE

SIGNIFICANT_DIGITS = 4
ROPE_NOTE = (
    "not measured: with RoPE the score is s_ij = x_i^T W_Q R_(j-i) W_K^T x_j / sqrt(d_h) (x the "
    "RMS-normalised token, R_(j-i) the rotation by the relative position), a bilinear form whose "
    "matrix changes with j - i; no single W gives S = X W X^T, so T1's half-space and vertex "
    "conditions for one W, and T4's costs of one W, do not describe a RoPE head"
)
TOP_TOKENS = 10


def clean(value: Any) -> Any:
    """Recursively turn numpy scalars/arrays into JSON types, round floats, NaN -> None."""
    if isinstance(value, dict):
        return {str(key): clean(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [clean(item) for item in value]
    if isinstance(value, np.ndarray):
        return clean(value.tolist())
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        value = float(value)
        if not math.isfinite(value):
            return None
        return float(f"{value:.{SIGNIFICANT_DIGITS}g}")
    return value


def describe(values: Any) -> dict[str, float | None]:
    """Mean, median, min and max of the finite entries (None when there are none)."""
    finite = np.asarray(values, dtype=np.float64).ravel()
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return {"mean": None, "median": None, "min": None, "max": None}
    return {
        "mean": float(finite.mean()),
        "median": float(np.median(finite)),
        "min": float(finite.min()),
        "max": float(finite.max()),
    }


def head_array(
    measurements: list[SequenceMeasurement], value: Callable[[HeadMeasurement], Any]
) -> np.ndarray:
    """``(S, L, H)`` array of one per-head quantity."""
    return np.array(
        [[[value(head) for head in layer.heads] for layer in m.layers] for m in measurements]
    )


def layer_array(
    measurements: list[SequenceMeasurement], value: Callable[[LayerMeasurement], Any]
) -> np.ndarray:
    """``(S, L)`` array of one per-layer quantity."""
    return np.array([[value(layer) for layer in m.layers] for m in measurements])


def _heads(measurements: list[SequenceMeasurement]) -> list[HeadMeasurement]:
    return [head for m in measurements for layer in m.layers for head in layer.heads]


def summarize_sinks(measurements: list[SequenceMeasurement]) -> dict[str, Any]:
    """How often heads have ε-sinks, and which tokens receive the mass."""
    epsilon_star = head_array(measurements, lambda h: h.sink.min_sink_epsilon)
    dominant_mass = head_array(measurements, lambda h: h.sink.dominant_mass)
    heads = _heads(measurements)
    names = list(heads[0].relative_mass_by_category)
    dominant = Counter(head.dominant_token for head in heads)
    categories = Counter(head.dominant_category for head in heads)
    importance = head_array(measurements, lambda h: h.first_token_importance)
    target_mass = head_array(measurements, lambda h: h.sink.key_mass[h.target])
    return {
        "definition": (
            "ε-sink: a column s with A_is >= 1-ε in every row i; ε* = 1 - max_s min_i A_is is "
            "the smallest ε for which a head instance has one; dominant key = argmax_j mean_i A_ij"
        ),
        "epsilons": list(SINK_EPSILONS),
        "head_instances": len(heads),
        "fraction_of_head_instances_with_eps_sink": {
            str(eps): float(np.mean(epsilon_star <= eps)) for eps in SINK_EPSILONS
        },
        "fraction_of_heads_with_eps_sink_on_most_sequences": {
            str(eps): float(np.mean(np.mean(epsilon_star <= eps, axis=0) > 0.5))
            for eps in SINK_EPSILONS
        },
        "min_sink_epsilon": describe(epsilon_star),
        "fraction_of_rows_giving_dominant_key_at_least_1_minus_eps": {
            str(eps): float(np.mean([head.sink.row_sink_fractions[eps] for head in heads]))
            for eps in SINK_EPSILONS
        },
        "dominant_key_mass": describe(dominant_mass),
        "dominant_key_tokens": dict(dominant.most_common(TOP_TOKENS)),
        "dominant_key_categories": {c: categories[c] / len(heads) for c in names},
        "eps_sink_tokens": {
            str(eps): dict(
                Counter(
                    head.dominant_token for head in heads if head.sink.has_sink(eps)
                ).most_common(TOP_TOKENS)
            )
            for eps in SINK_EPSILONS
        },
        "relative_key_mass_by_category": {
            c: describe([head.relative_mass_by_category[c] for head in heads])["mean"]
            for c in names
        },
        "dominant_key_mass_by_layer_head": dominant_mass.mean(axis=0),
        "eps_sink_rate_by_layer_head": {
            str(eps): np.mean(epsilon_star <= eps, axis=0) for eps in SINK_EPSILONS
        },
        "first_token_importance": {
            "definition": (
                "sail-sg/Attention-Sink: alpha_0 = mean_i A_i0 (the first token's attention "
                "averaged over the query rows); a head instance has a first-token sink iff "
                "alpha_0 > epsilon"
            ),
            "epsilon": IMPORTANCE_EPSILON,
            "sink_rate": float(np.mean(importance > IMPORTANCE_EPSILON)),
            "sink_rate_by_layer": np.mean(importance > IMPORTANCE_EPSILON, axis=(0, 2)),
            "mean": float(np.mean(importance)),
            "by_layer_head": importance.mean(axis=0),
        },
        "target_mass_by_layer_head": target_mass.mean(axis=0),
    }


def summarize_switch(measurements: list[SequenceMeasurement]) -> dict[str, Any]:
    """T2: value norms of the sink and the two-sided bound on every row."""
    ratio = head_array(measurements, lambda h: h.sink_value_ratio)
    heads = [head for head in _heads(measurements) if head.switch is not None]
    summary: dict[str, Any] = {
        "statement": "(1-A_is) delta <= ||y_i - A_is v_s|| <= (1-A_is) R, s = the sink target",
        "sink_value_norm_over_mean_other": describe(ratio),
        "fraction_of_head_instances_with_quieter_sink_value": float(np.mean(ratio < 1.0)),
        "sink_value_norm_over_mean_other_by_layer": np.median(ratio, axis=(0, 2)),
        "head_instances": len(heads),
    }
    if not heads:
        return summary
    return summary | {
        "rows_checked": int(sum(len(head.switch.residual) for head in heads)),
        "lower_bound_violations": int(sum(head.switch.lower_violations for head in heads)),
        "upper_bound_violations": int(sum(head.switch.upper_violations for head in heads)),
        "violation_tolerance": f"{VIOLATION_TOLERANCE:g} relative to (1-A_is) R",
        "delta_over_R": describe([head.switch.delta / head.switch.radius for head in heads]),
        "residual_over_upper_bound": describe(
            [
                np.mean(head.switch.residual[positive] / head.switch.upper[positive])
                for head in heads
                if np.any(positive := head.switch.upper > 0)
            ]
        ),
        "non_sink_share_of_output_norm": describe(
            [np.mean(head.switch.residual / head.output_norms) for head in heads]
        ),
    }


def summarize_geometry(measurements: list[SequenceMeasurement]) -> dict[str, Any]:
    """T1: the bias-free conditions on real attention inputs, and the key-bias contribution."""
    if measurements[0].layers[0].geometry is None:
        return {"applies": False, "note": ROPE_NOTE}
    in_halfspace = layer_array(measurements, lambda layer: layer.geometry.in_open_halfspace)
    is_vertex = head_array(measurements, lambda h: h.vertex.is_vertex)
    both = in_halfspace[:, :, None] & is_vertex
    with_sink = head_array(measurements, lambda h: h.sink.has_sink(max(SINK_EPSILONS)))
    bilinear = head_array(measurements, lambda h: h.score_split.bilinear_mean)
    bias = head_array(measurements, lambda h: h.score_split.bias_mean)
    share = head_array(measurements, lambda h: h.score_split.bias_share)
    layers = in_halfspace.shape[1]
    pooled = [
        pooled_token_geometry([m.layers[l].attention_input for m in measurements])
        for l in range(layers)
    ]
    return {
        "conditions": (
            "bias-free: 0 ∉ conv{x_j} and x_s ∉ conv{x_j: j≠s}; with key bias: vertex only"
        ),
        "note": (
            "one sequence has n <= 128 < d tokens, in general position: both conditions hold "
            "generically there and the margins are the informative numbers; the pooled cloud of "
            "all sequences' tokens (n >> d) is a genuine test of the half-space condition"
        ),
        "token_sets": int(in_halfspace.size),
        "fraction_of_token_sets_in_open_halfspace": float(np.mean(in_halfspace)),
        "relative_halfspace_margin": describe(
            layer_array(measurements, lambda layer: layer.geometry.relative_halfspace_margin)
        ),
        "pooled_tokens_per_layer": int(sum(len(m.tokens) for m in measurements)),
        "pooled_in_open_halfspace_by_layer": [g.in_open_halfspace for g in pooled],
        "pooled_relative_halfspace_margin_by_layer": [g.relative_halfspace_margin for g in pooled],
        "fraction_of_head_instances_sink_is_vertex": float(np.mean(is_vertex)),
        "relative_vertex_margin": describe(
            head_array(measurements, lambda h: h.vertex.relative_vertex_margin)
        ),
        "fraction_of_head_instances_bias_free_conditions_hold": float(np.mean(both)),
        "eps_sink_head_instances": {
            "epsilon": max(SINK_EPSILONS),
            "count": int(with_sink.sum()),
            "bias_free_conditions_hold": int(both[with_sink].sum()),
            "vertex_condition_holds": int(is_vertex[with_sink].sum()),
        },
        "key_bias": {
            "split": "s_is - s_ij = x_i^T W (x_s - x_j) [bilinear] + b^T (x_s - x_j) [key bias]",
            "mean_bilinear_margin": float(np.mean(bilinear)),
            "mean_bias_margin": float(np.mean(bias)),
            "bias_share_of_mean_margin": describe(share),
            "fraction_of_head_instances_bias_share_above_half": float(np.mean(share > 0.5)),
            "fraction_of_rows_sink_ranked_first": float(
                np.mean(head_array(measurements, lambda h: h.score_split.rows_won))
            ),
            "fraction_of_rows_sink_ranked_first_by_bilinear_part_alone": float(
                np.mean(head_array(measurements, lambda h: h.score_split.rows_won_by_bilinear))
            ),
            "fraction_of_head_instances_key_bias_alone_ranks_sink_first": float(
                np.mean(
                    head_array(measurements, lambda h: h.score_split.bias_alone_ranks_sink_first)
                )
            ),
            "median_bias_share_by_layer": [describe(share[:, l])["median"] for l in range(layers)],
        },
    }


def summarize_smoothing(measurements: list[SequenceMeasurement]) -> dict[str, Any]:
    """T3: fractions of rows and heads where dense attention smooths more than ``B``."""
    summary: dict[str, Any] = {
        "statement": "row i holds iff <z_i, δ_i> >= 0, Z = (I-J)(X + AV), Δ = (B - A)V",
        "cosine_bin_edges": COSINE_BINS,
    }
    heads = _heads(measurements)
    for target in SMOOTHING_TARGETS:
        rows = head_array(measurements, lambda h, t=target: h.smoothing[t].rows)
        holding = head_array(measurements, lambda h, t=target: h.smoothing[t].rows_holding)
        summary[target] = {
            "fraction_of_rows": float(holding.sum() / rows.sum()),
            "fraction_of_heads": float(
                np.mean([h.smoothing[target].holds_for_head for h in heads])
            ),
            "fraction_uniform": float(
                np.mean([h.smoothing[target].holds_uniformly for h in heads])
            ),
            "fraction_of_rows_by_layer": holding.sum(axis=(0, 2)) / rows.sum(axis=(0, 2)),
            "cosine_histogram": np.sum([h.smoothing[target].cosine_counts for h in heads], axis=0),
        }
    return summary


def summarize_costs(costs: list[CostComparison]) -> dict[str, Any]:
    """T4: sink versus diagonal cost on sampled token subsets (converged solves only)."""
    if not costs:
        return {"instances": 0}
    solved = [c for c in costs if c.converged]
    sink = np.array([c.sink_cost for c in solved])
    diag = np.array([c.diag_cost for c in solved])
    violations = {name: 0 for name in ("T4.a", "T4.b", "T4.c", "T4.d", "T4.e")}
    for comparison in solved:
        for name, missed in comparison.bound_violations().items():
            violations[name] += int(missed)
    return {
        "epsilon": costs[0].epsilon,
        "subset_size": costs[0].n,
        "instances": len(costs),
        "converged": len(solved),
        "fraction_sink_cheaper": float(np.mean(sink <= diag)) if solved else None,
        "fraction_t4e_condition_holds": float(np.mean([c.t4e_condition for c in costs])),
        "fraction_sink_cheaper_when_t4e_fails": float(
            np.mean([c.sink_cheaper for c in solved if not c.t4e_condition] or [np.nan])
        ),
        "sink_cost": describe(sink),
        "diag_cost": describe(diag),
        "sink_frobenius": describe([c.sink_frobenius for c in solved]),
        "diag_frobenius": describe([c.diag_frobenius for c in solved]),
        "diag_over_sink": describe(diag / sink),
        "t4e_guaranteed_ratio": describe([c.t4e_ratio_bound for c in costs]),
        "max_abs_duality_gap": float(max(c.duality_gap for c in solved)) if solved else None,
        "bound_violations": violations,
    }


def _fraction(values: Any) -> float:
    return float(np.mean(np.asarray(values, dtype=bool)))


def summarize_forms(measurements: list[SequenceMeasurement]) -> dict[str, Any]:
    """T3.b, T3.c, T3.e, T3.f, T3.g: fractions of rows, heads and layers where each holds."""
    layers = [layer.forms for m in measurements for layer in m.layers]
    summary: dict[str, Any] = {
        "definition": (
            "row: the form with row i alone sparsified (T3.b: <z_i, δ_i> >= 0; T3.e: "
            "2<z_i, δ_i> + (1-1/n)||δ_i||^2 >= 0; T3.f: nu(X+AV) <= nu(X+AV+e_i δ_i^T); T3.g: "
            "<c, x_i> >= 0 with c = mean_i y_i); head: the form for the head (T3.b all rows; "
            "T3.c <Z,Δ>_F >= 0; T3.e 2<Z,Δ>_F + ||(I-J)Δ||_F^2 >= 0; T3.f nu(X+AV) <= nu(X+BV); "
            "T3.g all tokens in the dual cone of c); layer: the same for the whole attention "
            "sublayer, X + sum_h A^h V^h against X + sum_h B^h V^h"
        ),
        "forms": list(FORMS),
        "row_forms": list(ROW_FORMS),
        "margin_bin_edges": MARGIN_BINS,
        "layer_instances": len(layers),
    }
    for target in TARGETS:
        heads = np.concatenate([f.heads[target].holds for f in layers])  # (instances, forms)
        whole = np.concatenate([f.layer[target].holds for f in layers])
        rows = {
            form: float(
                sum(f.heads[target].rows[k].sum() for f in layers)
                / sum(f.heads[target].rows[k].size for f in layers)
            )
            for k, form in enumerate(ROW_FORMS)
        }
        margins = np.concatenate([f.heads[target].relative_nu_margin for f in layers])
        layer_margins = np.concatenate([f.layer[target].relative_nu_margin for f in layers])
        summary[target] = {
            form: {
                "rows": rows.get(form),
                "heads": _fraction(heads[:, k]),
                "layers": _fraction(whole[:, k]),
            }
            for k, form in enumerate(FORMS)
        } | {
            "t3f_relative_margin_histogram": np.histogram(margins, bins=MARGIN_BINS)[0],
            "t3f_relative_margin": describe(margins),
            "t3f_relative_margin_layers": describe(layer_margins),
        }
    summary["T3.g_pairs"] = {
        "definition": (
            "fraction of token pairs i < j whose cosine the common update raises, "
            "cos(x_i + c, x_j + c) >= cos(x_i, x_j); T3.g's equal-norm hypothesis holds only "
            "roughly (norm_spread = max ||x_i|| / min ||x_i||)"
        ),
        "heads": float(np.mean(np.concatenate([f.cosine_rise_heads for f in layers]))),
        "layers": float(np.mean([f.cosine_rise_layer for f in layers])),
        "norm_spread": describe([f.norm_spread for f in layers]),
    }
    return summary


def summarize_depth(measurements: list[SequenceMeasurement]) -> dict[str, Any]:
    """T6 along the real stack: T6.a's zero-value-sink bound per layer, T6.d per head."""
    depth = [
        [layer.depth for layer in m.layers] for m in measurements if m.layers[0].depth is not None
    ]
    if not depth:
        return {"layer_instances": 0}
    records = [r for row in depth for r in row]
    mu_before = np.array([[r.mu_before for r in row] for row in depth])
    nu_before = np.array([[r.nu_before for r in row] for row in depth])
    ratio = np.array([[r.mu_after / r.mu_before for r in row] for row in depth])
    bound = np.array([r.t6a_bound for r in records])
    after = np.array([r.mu_after_zero_sink for r in records])
    before = np.array([r.mu_before for r in records])
    dobrushin = np.concatenate([r.dobrushin for r in records])
    return {
        "statement": (
            "T6.a head by head: mu(X + sum_h A^h V^h_0) >= mu(X) - sqrt(n) sum_h ε_h R_h "
            "(v_s := 0, ε_h = 1 - min_i A_is, R_h = max_(j≠s) ||v_j||); T6.d per head: "
            "diam(A X) <= δ(A) diam(X), δ(A) = max_(i,k) ||a_i - a_k||_1 / 2"
        ),
        "violation_tolerance": f"{DEPTH_TOLERANCE:g} relative",
        "sequences": len(depth),
        "layer_instances": len(records),
        "t6a_violations": int(sum(r.t6a_violated for r in records)),
        "t6a_fraction_informative": float(np.mean(bound > 0)),
        "t6a_bound_over_mu": describe(bound / before),
        "t6a_mu_after_zero_sink_over_mu": describe(after / before),
        "t6d_head_instances": int(dobrushin.size),
        "t6d_violations": int(sum(r.t6d_violations for r in records)),
        "t6d_dobrushin": describe(dobrushin),
        "t6d_fraction_below_0_9": float(np.mean(dobrushin < 0.9)),
        "t6d_diam_ratio": describe(np.concatenate([r.diam_ratio for r in records])),
        "mu_by_layer": np.median(mu_before, axis=0),
        "nu_by_layer": np.median(nu_before, axis=0),
        "mu_after_over_mu_by_layer": np.median(ratio, axis=0),
    }


def summarize(measurements: list[SequenceMeasurement]) -> dict[str, Any]:
    """The measurement part of the summary (everything but the run's metadata)."""
    costs = [layer.costs for m in measurements for layer in m.layers if layer.costs is not None]
    if measurements[0].layers[0].geometry is None:
        return {
            "sinks": summarize_sinks(measurements),
            "t1_geometry": summarize_geometry(measurements),
            "t2_switch": summarize_switch(measurements),
            "t3_smoothing": summarize_smoothing(measurements),
            "t4_costs": {"instances": 0, "note": ROPE_NOTE},
            "t3_forms": summarize_forms(measurements),
            "t6_depth": summarize_depth(measurements),
        }
    return {
        "sinks": summarize_sinks(measurements),
        "t1_geometry": summarize_geometry(measurements),
        "t2_switch": summarize_switch(measurements),
        "t3_smoothing": summarize_smoothing(measurements),
        "t4_costs": summarize_costs(costs),
        "t3_forms": summarize_forms(measurements),
        "t6_depth": summarize_depth(measurements),
    }
