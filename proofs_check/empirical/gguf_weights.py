"""A Llama-architecture GGUF checkpoint as plain float64 numpy arrays.

Read with ``gguf.GGUFReader``; quantised tensors (Q4_1, Q8_0, ...) are expanded by
``gguf.quants.dequantize`` (float32, the values the quantised file stores) and widened to
float64 exactly. GGUF lists a 2-d tensor's shape as ``[in, out]`` (ggml's ``ne0, ne1``); the
dequantized numpy array is ``(out, in)``, torch's ``nn.Linear`` layout, and we store the transpose
``(in, out)`` so that the forward pass reads ``y = x @ W``.

**The Q/K permutation.** llama.cpp's converter (``convert_hf_to_gguf.py``, ``LlamaModel.permute``)
reorders the output rows of ``W_Q`` and ``W_K`` inside every head so that its RoPE can rotate
*adjacent* pairs ``(2i, 2i+1)`` (GPT-J style), while the Hugging Face checkpoint rotates the pairs
``(i, i + d_h/2)`` (``rotate_half``). Per head, with ``d_h`` rows::

    gguf_rows = hf_rows.reshape(2, d_h/2, in).swapaxes(0, 1).reshape(d_h, in)

:func:`unpermute_rope_rows` inverts it (as ``transformers``' GGUF loader does), so the weights here
are in the Hugging Face order and the forward pass uses ``rotate_half``. Both conventions give the
same scores; mixing them does not, which the cross-check against ``transformers`` would catch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


@dataclass(frozen=True)
class LlamaConfig:
    """The architecture numbers of a Llama GGUF (``llama.*`` metadata)."""

    num_layers: int
    hidden_size: int
    intermediate_size: int
    num_heads: int
    num_kv_heads: int
    head_dim: int
    rope_dimension: int
    rope_theta: float
    rms_norm_eps: float
    vocab_size: int
    context_length: int

    @property
    def group_size(self) -> int:
        """Query heads per key/value head (grouped-query attention): 3 for SmolLM2-135M."""
        return self.num_heads // self.num_kv_heads


@dataclass(frozen=True)
class LlamaLayerWeights:
    """One pre-RMSNorm Llama block, weights ``(in, out)``, Q/K rows in Hugging Face order."""

    attention_norm: np.ndarray  # (d,)
    query: np.ndarray  # (d, H d_h)
    key: np.ndarray  # (d, H_kv d_h)
    value: np.ndarray  # (d, H_kv d_h)
    output: np.ndarray  # (H d_h, d)
    mlp_norm: np.ndarray  # (d,)
    gate: np.ndarray  # (d, d_ff)
    up: np.ndarray  # (d, d_ff)
    down: np.ndarray  # (d_ff, d)


@dataclass(frozen=True)
class LlamaWeights:
    """Token embeddings, the blocks and the final norm (the LM head is not needed here)."""

    config: LlamaConfig
    token_embeddings: np.ndarray  # (vocab, d)
    layers: tuple[LlamaLayerWeights, ...]
    final_norm: np.ndarray  # (d,)


def _field(reader: Any, key: str) -> Any:
    field = reader.fields.get(key)
    if field is None:
        raise ValueError(f"the GGUF file has no metadata field {key!r}")
    return field.contents()


def read_config(reader: Any) -> LlamaConfig:
    """``LlamaConfig`` from the ``llama.*`` metadata; rejects other architectures."""
    architecture = _field(reader, "general.architecture")
    if architecture != "llama":
        raise ValueError(f"expected a llama GGUF, got general.architecture={architecture!r}")
    hidden = int(_field(reader, "llama.embedding_length"))
    heads = int(_field(reader, "llama.attention.head_count"))
    head_dim = hidden // heads
    rope_dimension = int(_field(reader, "llama.rope.dimension_count"))
    if rope_dimension != head_dim:
        raise ValueError(f"partial RoPE ({rope_dimension} of {head_dim} dims) is not implemented")
    if "llama.rope.scaling.type" in reader.fields:
        raise ValueError("RoPE scaling is not implemented")
    return LlamaConfig(
        num_layers=int(_field(reader, "llama.block_count")),
        hidden_size=hidden,
        intermediate_size=int(_field(reader, "llama.feed_forward_length")),
        num_heads=heads,
        num_kv_heads=int(_field(reader, "llama.attention.head_count_kv")),
        head_dim=head_dim,
        rope_dimension=rope_dimension,
        rope_theta=float(_field(reader, "llama.rope.freq_base")),
        rms_norm_eps=float(_field(reader, "llama.attention.layer_norm_rms_epsilon")),
        vocab_size=int(_field(reader, "llama.vocab_size")),
        context_length=int(_field(reader, "llama.context_length")),
    )


def unpermute_rope_rows(weight: np.ndarray, heads: int) -> np.ndarray:
    """Undo llama.cpp's per-head Q/K row interleaving on an ``(out, in)`` weight."""
    out, width = weight.shape
    head_dim = out // heads
    return weight.reshape(heads, head_dim // 2, 2, width).swapaxes(1, 2).reshape(out, width)


def _tensors(reader: Any) -> dict[str, Any]:
    return {tensor.name: tensor for tensor in reader.tensors}


def dequantized(tensor: Any) -> np.ndarray:
    """The tensor's stored values as float64, numpy layout (``(out, in)`` for a matrix)."""
    from gguf.quants import dequantize

    shape = tuple(int(n) for n in reversed(tensor.shape))
    values = dequantize(tensor.data, tensor.tensor_type)
    return np.ascontiguousarray(np.asarray(values, dtype=np.float64).reshape(shape))


def _layer(tensors: dict[str, Any], index: int, config: LlamaConfig) -> LlamaLayerWeights:
    def get(name: str) -> np.ndarray:
        key = f"blk.{index}.{name}.weight"
        if key not in tensors:
            raise ValueError(f"the GGUF file has no tensor {key!r}")
        return dequantized(tensors[key])

    return LlamaLayerWeights(
        attention_norm=get("attn_norm"),
        query=np.ascontiguousarray(unpermute_rope_rows(get("attn_q"), config.num_heads).T),
        key=np.ascontiguousarray(unpermute_rope_rows(get("attn_k"), config.num_kv_heads).T),
        value=np.ascontiguousarray(get("attn_v").T),
        output=np.ascontiguousarray(get("attn_output").T),
        mlp_norm=get("ffn_norm"),
        gate=np.ascontiguousarray(get("ffn_gate").T),
        up=np.ascontiguousarray(get("ffn_up").T),
        down=np.ascontiguousarray(get("ffn_down").T),
    )


def load_llama_gguf(path: Path, num_layers: int | None = None) -> tuple[LlamaWeights, Any]:
    """``(weights, reader)`` of a Llama GGUF; ``num_layers`` keeps only the first blocks (tests)."""
    from gguf import GGUFReader

    reader = GGUFReader(str(path))
    config = read_config(reader)
    tensors = _tensors(reader)
    kept = config.num_layers if num_layers is None else min(num_layers, config.num_layers)
    embeddings = dequantized(tensors["token_embd.weight"])
    if embeddings.shape != (config.vocab_size, config.hidden_size):
        raise ValueError(f"token embeddings {embeddings.shape} do not match the config")
    weights = LlamaWeights(
        config=config,
        token_embeddings=embeddings,
        layers=tuple(_layer(tensors, i, config) for i in range(kept)),
        final_norm=dequantized(tensors["output_norm.weight"]),
    )
    return weights, reader
