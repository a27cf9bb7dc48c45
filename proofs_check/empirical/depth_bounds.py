r"""T6 along a real stack: the switch bound of T6.a and the pairwise Dobrushin bound of T6.d.

One layer: ``X`` (n, d) its residual stream, heads ``h`` with attention ``A^h``, values ``V^h``
(model width) and sink target ``s``.

- **T6.a, head by head.** With the zero-value convention ``v_s := 0`` (``V^h_0``) and
  ``ε_h = 1 - min_i A^h_is`` (every row, the sink's own included), ``R_h = max_{j != s} ||v^h_j||``,
  T6.a's one-head step ``||A^h V^h_0||_F <= sqrt(n) ε_h R_h`` and the triangle inequality for ``mu``
  give, for the layer's zero-value-sink sublayer ``X + sum_h A^h V^h_0``::

      mu(X + sum_h A^h V^h_0) >= mu(X) - sqrt(n) sum_h ε_h R_h.

  We report the measured ``mu`` before and after, the bound, its violations (a bug if any) and
  whether it is informative (the right side positive).
- **T6.d.** For every head, without the residual: ``diam(A X) <= δ(A) diam(X)``,
  ``δ(A) = (1/2) max_{i,k} ||a_i - a_k||_1``, ``diam(M) = max_{i,k} ||m_i - m_k||``. Computed in
  jitted float64 JAX on inputs padded to a bucket length (padding rows and columns are masked).
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from proofs_check.backend import JAX
from proofs_check.empirical.llama_forward import padded_length
from proofs_check.observables.smoothing import NUMPY, mu

VIOLATION_TOLERANCE = 1e-9


@dataclass(frozen=True)
class DepthRecord:
    """T6 on one layer of one sequence."""

    mu_before: float  # mu(X)
    mu_after_zero_sink: float  # mu(X + sum_h A^h V^h_0)
    mu_after: float  # mu(X + sum_h A^h V^h), the model's own sublayer
    nu_before: float  # mu(X)^2 / ||X||_F^2
    t6a_bound: float  # mu(X) - sqrt(n) sum_h ε_h R_h
    t6a_violated: bool
    dobrushin: np.ndarray  # δ(A^h), (H,)
    diam_ratio: np.ndarray  # diam(A^h X) / diam(X), (H,)
    t6d_violations: int


@jax.jit
def _dobrushin_padded(probs: jnp.ndarray, tokens: jnp.ndarray, n: jnp.ndarray):
    """``δ(A^h)``, ``diam(A^h X)`` and ``diam(X)`` with rows/keys ``>= n`` masked out."""
    size = probs.shape[-1]
    valid = jnp.arange(size) < n
    pair = valid[:, None] & valid[None, :]

    def delta(a: jnp.ndarray) -> jnp.ndarray:
        l1 = jnp.abs(a[:, None, :] - a[None, :, :]).sum(-1)
        return 0.5 * JAX.masked_max(l1.reshape(-1), pair.reshape(-1))

    def diam(m: jnp.ndarray) -> jnp.ndarray:
        sq = (m * m).sum(-1)
        dist2 = jnp.maximum(sq[:, None] + sq[None, :] - 2.0 * m @ m.T, 0.0)
        return jnp.sqrt(JAX.masked_max(dist2.reshape(-1), pair.reshape(-1)))

    outputs = probs @ tokens
    return jax.vmap(delta)(probs), jax.vmap(diam)(outputs), diam(tokens)


def dobrushin_terms(probs: np.ndarray, tokens: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """``(δ(A^h), diam(A^h X), diam(X))`` for ``A`` (H, n, n), ``X`` (n, d)."""
    heads, n, _ = probs.shape
    size = padded_length(n)
    padded_probs = np.zeros((heads, size, size))
    padded_probs[:, :n, :n] = probs
    padded_tokens = np.zeros((size, tokens.shape[1]))
    padded_tokens[:n] = tokens
    delta, diam_out, diam_in = _dobrushin_padded(
        jnp.asarray(padded_probs), jnp.asarray(padded_tokens), jnp.asarray(n)
    )
    return np.asarray(delta), np.asarray(diam_out), float(diam_in)


def depth_record(
    tokens: np.ndarray,
    probs: np.ndarray,
    values: np.ndarray,
    outputs: np.ndarray,
    sinks: np.ndarray,
    tolerance: float = VIOLATION_TOLERANCE,
) -> DepthRecord:
    """T6 on one layer: ``X`` (n, d), ``A`` (H, n, n), ``V`` (H, n, d), ``Y = A V`` (H, n, d), ``s`` (H,)."""
    n = tokens.shape[0]
    heads = np.arange(probs.shape[0])
    sink_weights = probs[heads, :, sinks]  # (H, n): A^h_{i s_h}
    sink_values = values[heads, sinks]  # (H, d)
    zero_sink_outputs = outputs - sink_weights[:, :, None] * sink_values[:, None, :]
    norms = np.linalg.norm(values, axis=-1)
    norms[heads, sinks] = 0.0
    radius = norms.max(axis=-1)  # R_h = max_{j != s} ||v_j||
    epsilon = 1.0 - sink_weights.min(axis=-1)
    mu_before = float(mu(NUMPY, tokens))
    mu_zero = float(mu(NUMPY, tokens + zero_sink_outputs.sum(axis=0)))
    bound = mu_before - float(np.sqrt(n) * np.sum(epsilon * radius))
    delta, diam_out, diam_in = dobrushin_terms(probs, tokens)
    scale = max(diam_in, 1e-300)
    return DepthRecord(
        mu_before=mu_before,
        mu_after_zero_sink=mu_zero,
        mu_after=float(mu(NUMPY, tokens + outputs.sum(axis=0))),
        nu_before=mu_before**2 / float(np.sum(tokens * tokens)),
        t6a_bound=bound,
        t6a_violated=bool(bound - mu_zero > tolerance * max(mu_before, 1.0)),
        dobrushin=delta,
        diam_ratio=diam_out / scale,
        t6d_violations=int(np.sum(diam_out - delta * diam_in > tolerance * scale)),
    )
