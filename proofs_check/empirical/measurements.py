"""Every measurement of one sequence: forward pass, then sinks, T1, T2, T3 and T4.

One sequence gives ``L x H`` head instances (layer ``l``, head ``h``). For each, with
``s`` the head's dominant key (largest mean attention mass): the sink profile of
``A``, T2.b's bound on every row, T1's vertex margin of ``x_s`` and the
bilinear/key-bias split of its score margin, and T3's condition for the three
targets. Per layer: T1's half-space margin of ``X_l`` and, when asked, T4's costs on
a sampled token subset whose sink candidate is the layer's most common dominant key.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from proofs_check.empirical.bert_weights import BertConfig, EncoderLayerWeights
from proofs_check.empirical.cost_measure import (
    COST_EPSILON,
    SUBSET_SIZE,
    CostComparison,
    choose_subset,
    compare_costs,
)
from proofs_check.empirical.forward import LayerTrace, encoder_forward
from proofs_check.empirical.heads import HeadParameters, head_parameters, head_values
from proofs_check.empirical.model import PretrainedModel
from proofs_check.empirical.sink_geometry import (
    SinkScoreSplit,
    SinkVertex,
    TokenGeometry,
    sink_score_split,
    sink_vertex,
    token_geometry,
)
from proofs_check.empirical.sinks import SinkProfile, sink_profile, token_category
from proofs_check.empirical.smoothing_measure import smoothing_measurements
from proofs_check.empirical.switch_bounds import SwitchBounds, switch_bounds
from proofs_check.empirical.tokenization import Encoding

TOKEN_CATEGORIES: tuple[str, ...] = ("[CLS]", "[SEP]", "punctuation", "word")
COSINE_BINS = np.linspace(-1.0, 1.0, 41)


@dataclass(frozen=True)
class SmoothingRecord:
    """T3 for one head instance and one target, reduced to counts."""

    rows: int
    rows_holding: int  # rows with <z_i, δ_i> >= 0
    holds_for_head: bool
    holds_uniformly: bool
    cosine_counts: np.ndarray  # histogram of cos(z_i, δ_i) over COSINE_BINS


@dataclass(frozen=True)
class HeadMeasurement:
    """Everything measured on one head instance, ``s`` = the dominant key."""

    sink: SinkProfile
    dominant_token: str
    relative_mass_by_category: dict[str, float]  # mean of n * m_j over the category
    switch: SwitchBounds
    output_norms: np.ndarray  # ||y_i||
    vertex: SinkVertex
    score_split: SinkScoreSplit
    smoothing: dict[str, SmoothingRecord]


@dataclass(frozen=True)
class LayerMeasurement:
    """One layer of one sequence: its token geometry, its heads, its T4 comparison."""

    attention_input: np.ndarray  # X_l, kept for the pooled (all-sequence) geometry
    geometry: TokenGeometry
    heads: tuple[HeadMeasurement, ...]
    costs: CostComparison | None


@dataclass(frozen=True)
class SequenceMeasurement:
    """Everything measured on one sequence."""

    tokens: tuple[str, ...]
    layers: tuple[LayerMeasurement, ...]


def relative_mass_by_category(mass: np.ndarray, categories: list[str]) -> dict[str, float]:
    """Mean of ``n * m_j`` over the tokens of each category (1 = uniform attention)."""
    labels = np.asarray(categories)
    return {
        category: float(np.mean(len(mass) * mass[labels == category]))
        if np.any(labels == category)
        else float("nan")
        for category in TOKEN_CATEGORIES
    }


def layer_sink_candidate(dominant_keys: list[int]) -> int:
    """The most common dominant key among a layer's heads (ties: smallest position)."""
    counts = Counter(dominant_keys)
    return min(counts, key=lambda key: (-counts[key], key))


def smoothing_records(
    tokens: np.ndarray, attention: np.ndarray, values: np.ndarray, sink: int
) -> dict[str, SmoothingRecord]:
    """T3 for every target, reduced to row counts and a cosine histogram."""
    return {
        target: SmoothingRecord(
            rows=len(measured.row_margins),
            rows_holding=int(np.sum(measured.row_margins >= 0)),
            holds_for_head=measured.holds_for_head,
            holds_uniformly=measured.holds_uniformly,
            cosine_counts=np.histogram(measured.row_cosines, bins=COSINE_BINS)[0],
        )
        for target, measured in smoothing_measurements(tokens, attention, values, sink).items()
    }


def measure_head(
    tokens: np.ndarray,
    token_strings: tuple[str, ...],
    attention: np.ndarray,
    head: HeadParameters,
    vertex_of: dict[int, SinkVertex],
) -> HeadMeasurement:
    """All per-head measurements; ``vertex_of`` caches ``gamma_v`` per sink within a layer."""
    values = head_values(tokens, head)
    profile = sink_profile(attention)
    s = profile.dominant_key
    if s not in vertex_of:
        vertex_of[s] = sink_vertex(tokens, s)
    return HeadMeasurement(
        sink=profile,
        dominant_token=token_strings[s],
        relative_mass_by_category=relative_mass_by_category(
            profile.key_mass, [token_category(t) for t in token_strings]
        ),
        switch=switch_bounds(attention, values, s),
        output_norms=np.linalg.norm(attention @ values, axis=1),
        vertex=vertex_of[s],
        score_split=sink_score_split(tokens, head, s),
        smoothing=smoothing_records(tokens, attention, values, s),
    )


def measure_layer(
    layer_weights: EncoderLayerWeights,
    config: BertConfig,
    trace: LayerTrace,
    token_strings: tuple[str, ...],
    cost_rng: np.random.Generator | None,
    cost_epsilon: float,
    subset_size: int,
) -> LayerMeasurement:
    """Token geometry, every head, and (if ``cost_rng``) T4 on one sampled subset."""
    tokens = trace.attention_input
    vertex_of: dict[int, SinkVertex] = {}
    heads = tuple(
        measure_head(
            tokens,
            token_strings,
            trace.attention_probs[h],
            head_parameters(layer_weights, config, h),
            vertex_of,
        )
        for h in range(config.num_attention_heads)
    )
    costs = None
    if cost_rng is not None:
        sink = layer_sink_candidate([head.sink.dominant_key for head in heads])
        subset = choose_subset(len(tokens), sink, subset_size, cost_rng)
        costs = compare_costs(tokens[subset], cost_epsilon)
    return LayerMeasurement(
        attention_input=tokens, geometry=token_geometry(tokens), heads=heads, costs=costs
    )


def measure_sequence(
    model: PretrainedModel,
    encoding: Encoding,
    cost_rng: np.random.Generator | None = None,
    cost_epsilon: float = COST_EPSILON,
    subset_size: int = SUBSET_SIZE,
) -> SequenceMeasurement:
    """Run the model on one sequence and measure every layer; T4 only if ``cost_rng``."""
    trace = encoder_forward(model.weights, encoding.ids, encoding.type_ids)
    return SequenceMeasurement(
        tokens=encoding.tokens,
        layers=tuple(
            measure_layer(
                layer_weights,
                model.config,
                layer_trace,
                encoding.tokens,
                cost_rng,
                cost_epsilon,
                subset_size,
            )
            for layer_weights, layer_trace in zip(model.weights.layers, trace.layers, strict=True)
        ),
    )
