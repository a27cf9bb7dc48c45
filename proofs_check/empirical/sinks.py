"""Attention sinks of one head on one sequence (THEORY.md §0).

For a row-stochastic ``A`` (n x n, bidirectional: BERT has no causal mask):

- key mass ``m_j = (1/n) sum_i A_ij`` (mass a key receives, averaged over query rows);
- dominant key ``s* = argmax_j m_j`` (the sink candidate of the head);
- ``s`` is an ε-sink iff ``A_is >= 1 - ε`` for every row ``i``; the smallest ε for
  which *some* column is an ε-sink is ``ε* = 1 - max_s min_i A_is`` (so an ε-sink
  exists iff ``ε >= ε*``, and for ``ε < 1/2`` that column is unique);
- row-wise: the fraction of rows with ``A_{i s*} >= 1 - ε``;
- **first-token importance** (Gu et al., "When Attention Sink Emerges in Language Models",
  ``sail-sg/Attention-Sink``, ``compute_attention_sink``): key ``k`` (0-based) gets
  ``α_k = sum_i A_ik / (n - k)``, its attention averaged over the ``n - k`` query rows that can see
  it under a causal mask; for the first token ``α_0 = mean_i A_i0`` (any mask). A head instance
  has a first-token sink at ``ε`` iff ``α_0 > ε`` (strict, as there), ``ε = 0.3`` by default.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SINK_EPSILONS: tuple[float, ...] = (0.1, 0.3, 0.5)
IMPORTANCE_EPSILON = 0.3


@dataclass(frozen=True)
class SinkProfile:
    """Sink statistics of one attention matrix."""

    key_mass: np.ndarray  # m_j, (n,)
    dominant_key: int  # s* = argmax_j m_j
    dominant_mass: float  # m_{s*}
    min_sink_epsilon: float  # ε* = 1 - max_s min_i A_is
    strongest_column: int  # argmax_s min_i A_is (the ε*-sink)
    row_sink_fractions: dict[float, float]  # ε -> fraction of rows with A_{i s*} >= 1 - ε

    def has_sink(self, epsilon: float) -> bool:
        """Whether some column is an ε-sink: ``ε >= ε*``."""
        return self.min_sink_epsilon <= epsilon


def key_mass(attention: np.ndarray) -> np.ndarray:
    """``m_j = mean_i A_ij``; sums to 1 for a row-stochastic ``A``."""
    return attention.mean(axis=0)


def min_sink_epsilon(attention: np.ndarray) -> tuple[float, int]:
    """``(ε*, s)`` with ``ε* = 1 - max_s min_i A_is`` and ``s`` the maximising column."""
    column_minima = attention.min(axis=0)
    column = int(np.argmax(column_minima))
    return float(1.0 - column_minima[column]), column


def sink_profile(attention: np.ndarray, epsilons: tuple[float, ...] = SINK_EPSILONS) -> SinkProfile:
    """All sink statistics of one head's ``A``."""
    mass = key_mass(attention)
    dominant = int(np.argmax(mass))
    epsilon_star, column = min_sink_epsilon(attention)
    dominant_column = attention[:, dominant]
    return SinkProfile(
        key_mass=mass,
        dominant_key=dominant,
        dominant_mass=float(mass[dominant]),
        min_sink_epsilon=epsilon_star,
        strongest_column=column,
        row_sink_fractions={eps: float(np.mean(dominant_column >= 1.0 - eps)) for eps in epsilons},
    )


def token_category(token: str) -> str:
    """``[CLS]``, ``[SEP]``, ``punctuation`` (no letter or digit) or ``word``."""
    if token in ("[CLS]", "[SEP]"):
        return token
    stripped = token.removeprefix("##")
    if not any(ch.isalnum() for ch in stripped):
        return "punctuation"
    return "word"


def first_token_importance(attention: np.ndarray) -> float:
    """``α_0 = mean_i A_i0``, the sail-sg importance score of the first token."""
    return float(attention[:, 0].mean())


def decoder_token_category(position: int, token: str) -> str:
    """``first token`` (position 0, where the causal sink sits), ``punctuation`` (no letter or
    digit, whitespace included) or ``word``.

    Byte-level BPE strings carry the GPT-2 space/newline markers ``Ġ``/``Ċ``, stripped here.
    """
    if position == 0:
        return "first token"
    stripped = token.replace("\u0120", "").replace("\u010a", "")
    if not any(ch.isalnum() for ch in stripped):
        return "punctuation"
    return "word"
