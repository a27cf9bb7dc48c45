"""The BERT encoder forward pass in float64 numpy, keeping what the theory needs.

For one unpadded sequence of ``n`` tokens (no attention mask), with ``d`` the width,
``H`` heads of width ``d_h = d / H``:

    E      = LN(word[ids] + position[0:n] + token_type[type_ids])        (embeddings)
    X_0    = E
    for layer l:
        Q = X_l W_Q + b_Q,  K = X_l W_K + b_K,  U = X_l W_V + b_V   (n x d each)
        per head h (columns h*d_h : (h+1)*d_h):
            A^h = softmax_rows(Q^h K^h^T / sqrt(d_h))                  (n x n)
            C^h = A^h U^h
        attn  = [C^1 .. C^H] W_O + b_O
        M_l   = LN(X_l + attn)                                         (post-LN)
        X_l+1 = LN(M_l + GELU(M_l W_1 + b_1) W_2 + b_2)

``X_l`` is the "attention input" of layer ``l`` (the residual stream entering the
block), the object the theory calls ``X``. GELU is the exact ``x Phi(x)`` (erf form).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import erf

from proofs_check.empirical.bert_weights import BertWeights, LayerNormWeights, Linear


@dataclass(frozen=True)
class LayerTrace:
    """What one encoder layer saw and did."""

    attention_input: np.ndarray  # X_l, (n, d)
    attention_probs: np.ndarray  # A^h for every head, (H, n, n)
    attention_output: np.ndarray  # [C^1..C^H] W_O + b_O, (n, d), before the residual
    layer_output: np.ndarray  # X_{l+1}, (n, d)


@dataclass(frozen=True)
class ForwardTrace:
    """A full forward pass: ``hidden_states[0]`` is the embedding output, then each layer's."""

    layers: tuple[LayerTrace, ...]

    @property
    def hidden_states(self) -> tuple[np.ndarray, ...]:
        """``(X_0, X_1, ..., X_L)``, as ``transformers``' ``output_hidden_states``."""
        return (self.layers[0].attention_input,) + tuple(t.layer_output for t in self.layers)


def layer_norm(x: np.ndarray, norm: LayerNormWeights, eps: float) -> np.ndarray:
    """``gamma * (x - mean) / sqrt(var + eps) + beta`` over the last axis (biased var)."""
    centred = x - x.mean(axis=-1, keepdims=True)
    variance = np.mean(centred * centred, axis=-1, keepdims=True)
    return centred / np.sqrt(variance + eps) * norm.gamma + norm.beta


def affine(x: np.ndarray, linear: Linear) -> np.ndarray:
    """``x @ W + b``."""
    return x @ linear.weight + linear.bias


def gelu(x: np.ndarray) -> np.ndarray:
    """Exact GELU ``x * Phi(x) = x (1 + erf(x / sqrt 2)) / 2`` (BERT's ``"gelu"``)."""
    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))


def softmax_rows(scores: np.ndarray) -> np.ndarray:
    """Row-wise softmax over the last axis, shifted by the row maximum for stability."""
    shifted = scores - scores.max(axis=-1, keepdims=True)
    weights = np.exp(shifted)
    return weights / weights.sum(axis=-1, keepdims=True)


def split_heads(x: np.ndarray, num_heads: int) -> np.ndarray:
    """``(n, H * d_h) -> (H, n, d_h)``."""
    n, width = x.shape
    return x.reshape(n, num_heads, width // num_heads).transpose(1, 0, 2)


def embed(weights: BertWeights, ids: np.ndarray, type_ids: np.ndarray) -> np.ndarray:
    """``X_0 = LN(word[ids] + position[0:n] + token_type[type_ids])``."""
    n = len(ids)
    if n > weights.config.max_position_embeddings:
        raise ValueError(f"sequence of {n} tokens exceeds the position table")
    summed = (
        weights.word_embeddings[ids]
        + weights.position_embeddings[:n]
        + weights.token_type_embeddings[type_ids]
    )
    return layer_norm(summed, weights.embedding_norm, weights.config.layer_norm_eps)


def encoder_forward(weights: BertWeights, ids: np.ndarray, type_ids: np.ndarray) -> ForwardTrace:
    """Run the encoder on one unpadded sequence and keep every layer's trace."""
    config = weights.config
    eps = config.layer_norm_eps
    scale = 1.0 / np.sqrt(config.head_dim)
    x = embed(weights, np.asarray(ids), np.asarray(type_ids))
    traces = []
    for layer in weights.layers:
        q = split_heads(affine(x, layer.query), config.num_attention_heads)
        k = split_heads(affine(x, layer.key), config.num_attention_heads)
        u = split_heads(affine(x, layer.value), config.num_attention_heads)
        probs = softmax_rows(q @ k.transpose(0, 2, 1) * scale)
        context = (probs @ u).transpose(1, 0, 2).reshape(x.shape)
        attention_output = affine(context, layer.attention_output)
        middle = layer_norm(x + attention_output, layer.attention_norm, eps)
        mlp = affine(gelu(affine(middle, layer.intermediate)), layer.output)
        output = layer_norm(middle + mlp, layer.output_norm, eps)
        traces.append(
            LayerTrace(
                attention_input=x,
                attention_probs=probs,
                attention_output=attention_output,
                layer_output=output,
            )
        )
        x = output
    return ForwardTrace(layers=tuple(traces))
