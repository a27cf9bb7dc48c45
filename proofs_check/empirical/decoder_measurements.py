"""The per-sequence measurements of ``measurements`` on the causal decoder (SmolLM2).

Same records as the encoder, with the differences the architecture forces:

- the sink target of every head is token 0 (THEORY.md's causal note: ``s = 1``, 0-based here),
  the first token of the text, since the tokenizer prepends no BOS;
- ``X`` is the residual stream entering the block, ``V^h`` the head's values in the model width
  (computed from the RMS-normalised ``X``, which is why they are taken from the forward trace);
- no T1 vertex/half-space margins, no key-bias split and no T4 costs: with RoPE the score is
  ``x_i^T W_Q R_{j-i} W_K^T x_j``, no single bilinear ``W`` (see ``llama_forward``).
"""

from __future__ import annotations

from proofs_check.empirical.decoder_model import PretrainedDecoder
from proofs_check.empirical.measurements import (
    DECODER_CATEGORIES,
    LayerMeasurement,
    SequenceMeasurement,
    measure_head,
    with_layer_extras,
)
from proofs_check.empirical.sinks import decoder_token_category
from proofs_check.empirical.tokenization import Encoding

DECODER_SINK = 0


def measure_decoder_sequence(
    model: PretrainedDecoder, encoding: Encoding, with_bounds: bool = True
) -> SequenceMeasurement:
    """Run the decoder on one sequence and measure every head of every block (T2.b and T6 only
    ``with_bounds``)."""
    trace = model.forward(encoding.ids)
    tokens = encoding.tokens
    categories = [decoder_token_category(i, t) for i, t in enumerate(tokens)]
    layers = []
    for x, probs, values in zip(
        trace.attention_inputs, trace.attention_probs, trace.head_values, strict=True
    ):
        heads = tuple(
            measure_head(
                x,
                tokens,
                categories,
                probs[h],
                values[h],
                sink=DECODER_SINK,
                category_names=DECODER_CATEGORIES,
                with_bounds=with_bounds,
            )
            for h in range(probs.shape[0])
        )
        heads, forms, depth = with_layer_extras(x, probs, values, heads, with_bounds)
        layers.append(
            LayerMeasurement(
                attention_input=None,
                geometry=None,
                heads=heads,
                costs=None,
                forms=forms,
                depth=depth,
            )
        )
    return SequenceMeasurement(tokens=tokens, layers=tuple(layers))
