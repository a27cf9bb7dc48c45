"""Every measurement of one sequence: forward pass, then sinks, T1, T2, T3, T4 and T6.

One sequence gives ``L x H`` head instances (layer ``l``, head ``h``). For each, with
``s`` the head's sink target (the encoder: its dominant key, largest mean attention mass;
the causal decoder: token 0): the sink profile of ``A``, T2.b's bound on every row, T3's
condition for the three targets and the five forms of ``smoothing_forms``; where scores are
bilinear (the encoder), T1's vertex margin of ``x_s`` and the bilinear/key-bias split of its
score margin. Per layer: the forms for the whole attention sublayer, T6 (``depth_bounds``),
and for the encoder T1's half-space margin of ``X_l`` and, when asked, T4's costs on a sampled
token subset whose sink candidate is the layer's most common dominant key.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

import numpy as np

from proofs_check.empirical.bert_weights import BertConfig, EncoderLayerWeights
from proofs_check.empirical.cost_measure import (
    COST_EPSILON,
    SUBSET_SIZE,
    CostComparison,
    choose_subset,
    compare_costs,
)
from proofs_check.empirical.depth_bounds import DepthRecord, depth_record
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
from proofs_check.empirical.sinks import (
    SinkProfile,
    first_token_importance,
    sink_profile,
    token_category,
)
from proofs_check.empirical.smoothing_forms import FORMS, LayerForms, layer_forms
from proofs_check.empirical.switch_bounds import SwitchBounds, switch_bounds
from proofs_check.empirical.tokenization import Encoding

TOKEN_CATEGORIES: tuple[str, ...] = ("[CLS]", "[SEP]", "punctuation", "word")
DECODER_CATEGORIES: tuple[str, ...] = ("first token", "punctuation", "word")
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
    """Everything measured on one head instance, ``s`` = its sink target."""

    sink: SinkProfile
    dominant_token: str
    dominant_category: str
    relative_mass_by_category: dict[str, float]  # mean of n * m_j over the category
    switch: SwitchBounds | None  # None beyond the run's bound_sequences (T2.b's hull distance)
    sink_value_ratio: float  # ||v_s|| / mean_{j != s} ||v_j||
    output_norms: np.ndarray  # ||y_i||
    vertex: SinkVertex | None  # None where scores are not bilinear (RoPE)
    score_split: SinkScoreSplit | None
    smoothing: dict[str, SmoothingRecord] | None  # set by the layer (``with_layer_extras``)
    first_token_importance: float  # sail-sg α_0 = mean_i A_i0
    target: int  # the sink target s


@dataclass(frozen=True)
class LayerMeasurement:
    """One layer of one sequence: its token geometry, its heads, T3's forms, T6, its T4 comparison."""

    attention_input: np.ndarray | None  # X_l, kept for the pooled geometry (encoder only)
    geometry: TokenGeometry | None  # None where scores are not bilinear (RoPE)
    heads: tuple[HeadMeasurement, ...]
    costs: CostComparison | None
    forms: LayerForms
    depth: DepthRecord | None  # None beyond the run's bound_sequences


@dataclass(frozen=True)
class SequenceMeasurement:
    """Everything measured on one sequence."""

    tokens: tuple[str, ...]
    layers: tuple[LayerMeasurement, ...]


def relative_mass_by_category(
    mass: np.ndarray, categories: list[str], names: tuple[str, ...] = TOKEN_CATEGORIES
) -> dict[str, float]:
    """Mean of ``n * m_j`` over the tokens of each category (1 = uniform attention)."""
    labels = np.asarray(categories)
    return {
        category: float(np.mean(len(mass) * mass[labels == category]))
        if np.any(labels == category)
        else float("nan")
        for category in names
    }


def layer_sink_candidate(dominant_keys: list[int]) -> int:
    """The most common dominant key among a layer's heads (ties: smallest position)."""
    counts = Counter(dominant_keys)
    return min(counts, key=lambda key: (-counts[key], key))


def smoothing_records(forms: LayerForms) -> list[dict[str, SmoothingRecord]]:
    """T3.b/T3.c for every head and target, reduced to row counts and a cosine histogram."""
    heads = next(iter(forms.heads.values())).holds.shape[0]
    return [
        {
            target: SmoothingRecord(
                rows=record.row_margins.shape[1],
                rows_holding=int(np.sum(record.row_margins[h] >= 0)),
                holds_for_head=bool(record.holds[h, FORMS.index("T3.b")]),
                holds_uniformly=bool(record.holds[h, FORMS.index("T3.c")]),
                cosine_counts=np.histogram(record.row_cosines[h], bins=COSINE_BINS)[0],
            )
            for target, record in forms.heads.items()
        }
        for h in range(heads)
    ]


def measure_head(
    tokens: np.ndarray,
    token_strings: tuple[str, ...],
    categories: list[str],
    attention: np.ndarray,
    values: np.ndarray,
    sink: int | None = None,
    category_names: tuple[str, ...] = TOKEN_CATEGORIES,
    head: HeadParameters | None = None,
    vertex_of: dict[int, SinkVertex] | None = None,
    with_bounds: bool = True,
) -> HeadMeasurement:
    """All per-head measurements. ``sink`` None: the dominant key. With ``head`` (bilinear scores)
    also T1's vertex margin (cached per sink in ``vertex_of``) and the key-bias split. T3 is filled
    in per layer (:func:`with_layer_extras`); ``with_bounds`` False skips T2.b."""
    profile = sink_profile(attention)
    s = profile.dominant_key if sink is None else sink
    vertex = None
    if head is not None and vertex_of is not None:
        if s not in vertex_of:
            vertex_of[s] = sink_vertex(tokens, s)
        vertex = vertex_of[s]
    return HeadMeasurement(
        sink=profile,
        dominant_token=token_strings[profile.dominant_key],
        dominant_category=categories[profile.dominant_key],
        relative_mass_by_category=relative_mass_by_category(
            profile.key_mass, categories, category_names
        ),
        switch=switch_bounds(attention, values, s) if with_bounds else None,
        sink_value_ratio=sink_value_ratio(values, s),
        output_norms=np.linalg.norm(attention @ values, axis=1),
        vertex=vertex,
        score_split=sink_score_split(tokens, head, s) if head is not None else None,
        smoothing=None,
        first_token_importance=first_token_importance(attention),
        target=s,
    )


def sink_value_ratio(values: np.ndarray, sink: int) -> float:
    """``||v_s|| / mean_{j != s} ||v_j||`` (the value norm of the sink token, relative)."""
    norms = np.linalg.norm(values, axis=1)
    return float(norms[sink] / np.delete(norms, sink).mean())


def with_layer_extras(
    tokens: np.ndarray,
    probs: np.ndarray,
    values: np.ndarray,
    heads: tuple[HeadMeasurement, ...],
    with_bounds: bool = True,
) -> tuple[tuple[HeadMeasurement, ...], LayerForms, DepthRecord | None]:
    """T3 (all forms, every head with its own sink target, and the sublayer) and T6 of one layer;
    returns the heads with their T3.b/T3.c records filled in."""
    sinks = np.array([head.target for head in heads])
    forms = layer_forms(tokens, probs, values, sinks)
    filled = tuple(
        replace(head, smoothing=records)
        for head, records in zip(heads, smoothing_records(forms), strict=True)
    )
    depth = depth_record(tokens, probs, values, probs @ values, sinks) if with_bounds else None
    return filled, forms, depth


def measure_layer(
    layer_weights: EncoderLayerWeights,
    config: BertConfig,
    trace: LayerTrace,
    token_strings: tuple[str, ...],
    cost_rng: np.random.Generator | None,
    cost_epsilon: float,
    subset_size: int,
    with_bounds: bool = True,
) -> LayerMeasurement:
    """Token geometry, every head, and (if ``cost_rng``) T4 on one sampled subset."""
    tokens = trace.attention_input
    vertex_of: dict[int, SinkVertex] = {}
    categories = [token_category(t) for t in token_strings]
    parameters = [
        head_parameters(layer_weights, config, h) for h in range(config.num_attention_heads)
    ]
    values = np.stack([head_values(tokens, head) for head in parameters])
    heads = tuple(
        measure_head(
            tokens,
            token_strings,
            categories,
            trace.attention_probs[h],
            values[h],
            head=parameters[h],
            vertex_of=vertex_of,
            with_bounds=with_bounds,
        )
        for h in range(config.num_attention_heads)
    )
    costs = None
    if cost_rng is not None:
        sink = layer_sink_candidate([head.sink.dominant_key for head in heads])
        subset = choose_subset(len(tokens), sink, subset_size, cost_rng)
        costs = compare_costs(tokens[subset], cost_epsilon)
    heads, forms, depth = with_layer_extras(
        tokens, trace.attention_probs, values, heads, with_bounds
    )
    return LayerMeasurement(
        attention_input=tokens,
        geometry=token_geometry(tokens),
        heads=heads,
        costs=costs,
        forms=forms,
        depth=depth,
    )


def measure_sequence(
    model: PretrainedModel,
    encoding: Encoding,
    cost_rng: np.random.Generator | None = None,
    cost_epsilon: float = COST_EPSILON,
    subset_size: int = SUBSET_SIZE,
    with_bounds: bool = True,
) -> SequenceMeasurement:
    """Run the model on one sequence and measure every layer; T4 only if ``cost_rng``, T2.b and
    T6 only ``with_bounds``."""
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
                with_bounds,
            )
            for layer_weights, layer_trace in zip(model.weights.layers, trace.layers, strict=True)
        ),
    )
