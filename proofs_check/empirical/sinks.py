"""Attention sinks of one head on one sequence (THEORY.md §0).

For a row-stochastic ``A`` (n x n, bidirectional: BERT has no causal mask):

- key mass ``m_j = (1/n) sum_i A_ij`` (mass a key receives, averaged over query rows);
- dominant key ``s* = argmax_j m_j`` (the sink candidate of the head);
- ``s`` is an ε-sink iff ``A_is >= 1 - ε`` for every row ``i``; the smallest ε for
  which *some* column is an ε-sink is ``ε* = 1 - max_s min_i A_is`` (so an ε-sink
  exists iff ``ε >= ε*``, and for ``ε < 1/2`` that column is unique);
- row-wise: the fraction of rows with ``A_{i s*} >= 1 - ε``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SINK_EPSILONS: tuple[float, ...] = (0.1, 0.3, 0.5)


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
    if stripped and not any(ch.isalnum() for ch in stripped):
        return "punctuation"
    return "word"
