r"""The Llama decoder forward pass in float64 JAX (jit, ``lax.scan`` over the blocks).

For one sequence of ``n`` tokens, width ``d``, ``H`` query heads of width ``d_h`` sharing
``H_kv`` key/value heads (grouped-query attention: head ``h`` reads key/value head
``h // (H / H_kv)``), positions ``p = 0..n-1``::

    X_0   = E[ids]                                                       (token embeddings)
    for block l:
        N   = RMS(X_l) * g_att,     RMS(x) = x / sqrt(mean(x^2) + eps)   (per token)
        Q^h = R_p (N W_Q^h),  K^g = R_p (N W_K^g),  U^g = N W_V^g         (RoPE R_p on q and k)
        A^h = softmax_rows(Q^h K^{g(h)T} / sqrt(d_h) + causal mask)       (n x n, A_ij = 0, j > i)
        V^h = U^{g(h)} W_O^h                                              (values in model width)
        X_l + sum_h A^h V^h                                               (attention sublayer)
        M   = RMS(X_l + sum_h A^h V^h) * g_mlp
        X_{l+1} = X_l + sum_h A^h V^h + (silu(M W_gate) * (M W_up)) W_down

RoPE in the Hugging Face ("rotate_half") convention, pairs ``(i, i + d_h/2)`` rotated by the angle
``p * theta^{-2i/d_h}``; the GGUF's Q/K rows were un-permuted to that order on loading
(``gguf_weights``). ``X_l`` (the residual stream entering block ``l``) is the theory's ``X``; the
block's attention update is ``sum_h A^h V^h`` with ``V^h`` in the model width (``W_O`` merged), so
the theory's residual block ``X + A V`` is one head's share of it.

**Why T1 does not apply here.** With RoPE the score is
``s_ij = x_i^T W_Q R_{j-i} W_K^T x_j / sqrt(d_h)`` (normalised ``x``), a bilinear form whose matrix
depends on the relative position ``j - i``: no single ``W`` with ``S = X W X^T`` exists, so T1's
geometry (a half-space and a vertex condition for one ``W``) and T4's costs of one ``W`` do not
describe a RoPE head.

Sequences are padded at the end to a bucket length; with a causal mask, padding after the last
token changes no earlier row, and callers slice ``[:n]``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from proofs_check.backend import JAX  # noqa: F401  (enables float64 before any array exists)
from proofs_check.empirical.gguf_weights import LlamaConfig, LlamaWeights

PAD_MULTIPLE = 32


@dataclass(frozen=True)
class DecoderTrace:
    """What every block saw and did on one sequence (all float64 numpy, sliced to ``n``)."""

    attention_inputs: np.ndarray  # X_l, (L, n, d)
    attention_probs: np.ndarray  # A^h, (L, H, n, n)
    head_values: np.ndarray  # V^h = U^{g(h)} W_O^h, (L, H, n, d)
    attention_outputs: np.ndarray  # sum_h A^h V^h, (L, n, d)
    final_hidden: np.ndarray  # X_L (before the final norm), (n, d)

    @property
    def hidden_states(self) -> tuple[np.ndarray, ...]:
        """``(X_0, ..., X_L)``, as ``transformers``' ``output_hidden_states`` minus the final norm."""
        return tuple(self.attention_inputs) + (self.final_hidden,)


def rope_tables(positions: int, head_dim: int, theta: float) -> tuple[jnp.ndarray, jnp.ndarray]:
    """``cos``, ``sin`` of ``p * theta^{-2i/d_h}``, each ``(positions, d_h)`` (halves repeated)."""
    inverse = 1.0 / theta ** (jnp.arange(0, head_dim, 2, dtype=jnp.float64) / head_dim)
    angles = jnp.arange(positions, dtype=jnp.float64)[:, None] * inverse[None, :]
    angles = jnp.concatenate([angles, angles], axis=-1)
    return jnp.cos(angles), jnp.sin(angles)


def rotate_half(x: jnp.ndarray) -> jnp.ndarray:
    """``[x_1, x_2] -> [-x_2, x_1]`` on the last axis."""
    half = x.shape[-1] // 2
    return jnp.concatenate([-x[..., half:], x[..., :half]], axis=-1)


def apply_rope(x: jnp.ndarray, cos: jnp.ndarray, sin: jnp.ndarray) -> jnp.ndarray:
    """``R_p x`` for every position ``p`` (rows of ``x``; leading axes are heads)."""
    return x * cos + rotate_half(x) * sin


def rms_norm(x: jnp.ndarray, gain: jnp.ndarray, eps: float) -> jnp.ndarray:
    """``gain * x / sqrt(mean(x^2) + eps)`` over the last axis."""
    return x / jnp.sqrt(jnp.mean(x * x, axis=-1, keepdims=True) + eps) * gain


def silu(x: jnp.ndarray) -> jnp.ndarray:
    """``x * sigmoid(x)``."""
    return x * jax.nn.sigmoid(x)


def stacked_layers(weights: LlamaWeights) -> dict[str, jnp.ndarray]:
    """The blocks' weights stacked along a leading layer axis (the ``scan`` carry's input)."""
    names = ("attention_norm", "query", "key", "value", "output", "mlp_norm", "gate", "up", "down")
    return {
        name: jnp.asarray(np.stack([getattr(layer, name) for layer in weights.layers]))
        for name in names
    }


def _block(config: LlamaConfig, cos: jnp.ndarray, sin: jnp.ndarray):
    n_heads, n_kv, head_dim = config.num_heads, config.num_kv_heads, config.head_dim
    group = config.group_size
    eps = config.rms_norm_eps

    def block(x: jnp.ndarray, layer: dict[str, jnp.ndarray]):
        n, width = x.shape
        normed = rms_norm(x, layer["attention_norm"], eps)
        q = (normed @ layer["query"]).reshape(n, n_heads, head_dim).transpose(1, 0, 2)
        k = (normed @ layer["key"]).reshape(n, n_kv, head_dim).transpose(1, 0, 2)
        u = (normed @ layer["value"]).reshape(n, n_kv, head_dim).transpose(1, 0, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        k, u = jnp.repeat(k, group, axis=0), jnp.repeat(u, group, axis=0)  # head h -> group h//g
        scores = q @ k.transpose(0, 2, 1) / jnp.sqrt(jnp.float64(head_dim))
        causal = jnp.arange(n)[None, :] <= jnp.arange(n)[:, None]
        probs = jax.nn.softmax(jnp.where(causal, scores, -jnp.inf), axis=-1)
        w_out = layer["output"].reshape(n_heads, head_dim, width)
        values = u @ w_out  # (H, n, d): V^h = U^{g(h)} W_O^h
        update = jnp.einsum("hij,hjd->id", probs, values)
        middle = x + update
        mlp_in = rms_norm(middle, layer["mlp_norm"], eps)
        mlp = (silu(mlp_in @ layer["gate"]) * (mlp_in @ layer["up"])) @ layer["down"]
        return middle + mlp, (x, probs, values, update)

    return block


@functools.partial(jax.jit, static_argnums=(0,))
def _forward(config: LlamaConfig, x0: jnp.ndarray, layers: dict[str, jnp.ndarray]):
    cos, sin = rope_tables(x0.shape[0], config.head_dim, config.rope_theta)
    return jax.lax.scan(_block(config, cos, sin), x0, layers)


def padded_length(n: int, multiple: int = PAD_MULTIPLE) -> int:
    """``n`` rounded up to a multiple of ``multiple`` (few distinct shapes, few compilations)."""
    return -(-n // multiple) * multiple


class DecoderForward:
    """A jitted forward pass bound to one checkpoint (weights stacked once)."""

    def __init__(self, weights: LlamaWeights) -> None:
        self.weights = weights
        self.config = weights.config
        self.layers = stacked_layers(weights)

    def __call__(self, ids: np.ndarray) -> DecoderTrace:
        """Run the decoder on one sequence and keep every block's trace."""
        ids = np.asarray(ids, dtype=np.int64)
        n = len(ids)
        if n < 1:
            raise ValueError("an empty sequence has no forward pass")
        padded = np.zeros(padded_length(n), dtype=np.int64)
        padded[:n] = ids
        x0 = jnp.asarray(self.weights.token_embeddings[padded])
        final, (inputs, probs, values, updates) = _forward(self.config, x0, self.layers)
        return DecoderTrace(
            attention_inputs=np.asarray(inputs)[:, :n],
            attention_probs=np.asarray(probs)[:, :, :n, :n],
            head_values=np.asarray(values)[:, :, :n],
            attention_outputs=np.asarray(updates)[:, :n],
            final_hidden=np.asarray(final)[:n],
        )
