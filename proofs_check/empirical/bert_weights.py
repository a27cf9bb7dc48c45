"""The BERT checkpoint as plain float64 numpy arrays.

Weights are read with ``safetensors.numpy`` (no torch). Linear layers follow the
torch convention ``y = x W^T + b`` with ``W`` of shape ``(out, in)``; we store the
transposes, ``(in, out)``, so that the forward pass reads ``y = x @ W + b``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class BertConfig:
    """The architecture numbers of a BERT encoder, from its ``config.json``."""

    vocab_size: int
    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int
    max_position_embeddings: int
    type_vocab_size: int
    layer_norm_eps: float
    hidden_act: str

    @property
    def head_dim(self) -> int:
        """``d_h = d / H`` (32 for MiniLM-L6: 384 / 12)."""
        return self.hidden_size // self.num_attention_heads


def load_config(path: Path) -> BertConfig:
    """Read the fields of ``BertConfig`` from ``config.json``; reject non-BERT configs."""
    raw = json.loads(Path(path).read_text())
    if raw.get("model_type") != "bert":
        raise ValueError(f"expected a BERT config, got model_type={raw.get('model_type')!r}")
    if raw.get("position_embedding_type", "absolute") != "absolute":
        raise ValueError("only absolute position embeddings are implemented")
    if raw["hidden_size"] % raw["num_attention_heads"]:
        raise ValueError("hidden_size must be a multiple of num_attention_heads")
    return BertConfig(
        vocab_size=int(raw["vocab_size"]),
        hidden_size=int(raw["hidden_size"]),
        num_hidden_layers=int(raw["num_hidden_layers"]),
        num_attention_heads=int(raw["num_attention_heads"]),
        intermediate_size=int(raw["intermediate_size"]),
        max_position_embeddings=int(raw["max_position_embeddings"]),
        type_vocab_size=int(raw["type_vocab_size"]),
        layer_norm_eps=float(raw["layer_norm_eps"]),
        hidden_act=str(raw["hidden_act"]),
    )


@dataclass(frozen=True)
class LayerNormWeights:
    """``LN(x) = gamma * (x - mean(x)) / sqrt(var(x) + eps) + beta`` (per token)."""

    gamma: np.ndarray
    beta: np.ndarray


@dataclass(frozen=True)
class Linear:
    """An affine map ``x -> x @ weight + bias`` with ``weight`` of shape ``(in, out)``."""

    weight: np.ndarray
    bias: np.ndarray


@dataclass(frozen=True)
class EncoderLayerWeights:
    """One post-LayerNorm BERT block: self-attention, then the feed-forward MLP."""

    query: Linear
    key: Linear
    value: Linear
    attention_output: Linear
    attention_norm: LayerNormWeights
    intermediate: Linear
    output: Linear
    output_norm: LayerNormWeights


@dataclass(frozen=True)
class BertWeights:
    """Embeddings and encoder layers of a BERT model (no pooler)."""

    config: BertConfig
    word_embeddings: np.ndarray
    position_embeddings: np.ndarray
    token_type_embeddings: np.ndarray
    embedding_norm: LayerNormWeights
    layers: tuple[EncoderLayerWeights, ...]


def _strip_prefix(tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Accept both ``embeddings.*`` and ``bert.embeddings.*`` checkpoint key styles."""
    return {key.removeprefix("bert."): value for key, value in tensors.items()}


def _as_float64(array: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(array, dtype=np.float64)


def _linear(tensors: dict[str, np.ndarray], name: str) -> Linear:
    """Torch ``(out, in)`` weight -> stored transpose ``(in, out)``."""
    return Linear(
        weight=_as_float64(tensors[f"{name}.weight"].T),
        bias=_as_float64(tensors[f"{name}.bias"]),
    )


def _layer_norm(tensors: dict[str, np.ndarray], name: str) -> LayerNormWeights:
    return LayerNormWeights(
        gamma=_as_float64(tensors[f"{name}.weight"]),
        beta=_as_float64(tensors[f"{name}.bias"]),
    )


def _encoder_layer(tensors: dict[str, np.ndarray], index: int) -> EncoderLayerWeights:
    prefix = f"encoder.layer.{index}"
    return EncoderLayerWeights(
        query=_linear(tensors, f"{prefix}.attention.self.query"),
        key=_linear(tensors, f"{prefix}.attention.self.key"),
        value=_linear(tensors, f"{prefix}.attention.self.value"),
        attention_output=_linear(tensors, f"{prefix}.attention.output.dense"),
        attention_norm=_layer_norm(tensors, f"{prefix}.attention.output.LayerNorm"),
        intermediate=_linear(tensors, f"{prefix}.intermediate.dense"),
        output=_linear(tensors, f"{prefix}.output.dense"),
        output_norm=_layer_norm(tensors, f"{prefix}.output.LayerNorm"),
    )


def load_weights(weights_path: Path, config: BertConfig) -> BertWeights:
    """Load a BERT ``model.safetensors`` with the numpy API, as float64 arrays."""
    from safetensors.numpy import load_file

    tensors = _strip_prefix(load_file(str(weights_path)))
    weights = BertWeights(
        config=config,
        word_embeddings=_as_float64(tensors["embeddings.word_embeddings.weight"]),
        position_embeddings=_as_float64(tensors["embeddings.position_embeddings.weight"]),
        token_type_embeddings=_as_float64(tensors["embeddings.token_type_embeddings.weight"]),
        embedding_norm=_layer_norm(tensors, "embeddings.LayerNorm"),
        layers=tuple(_encoder_layer(tensors, i) for i in range(config.num_hidden_layers)),
    )
    expected = (config.vocab_size, config.hidden_size)
    if weights.word_embeddings.shape != expected:
        raise ValueError(f"word embeddings {weights.word_embeddings.shape} != {expected}")
    return weights
