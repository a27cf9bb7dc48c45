"""T1 on real attention inputs: can the sink be represented, and who pays for it?

Bias-free attention (T1.b (iv)) can make ``s`` a sink iff

    0 ∉ conv{x_1..x_n}          <=>  gamma_u(X) > 0   (all tokens in an open half-space)
    x_s ∉ conv{x_j : j != s}    <=>  gamma_v(X, s) > 0 (the sink token is a vertex)

and with a query-independent key bias (T1.f) only the vertex condition is needed.
Both margins come from the shared ``halfspace_margin`` / ``vertex_margin``. A margin
counts as positive when it exceeds ``tolerance`` times the median token norm.

In a BERT head the score of key ``j`` in row ``i`` is, up to terms constant in ``j``,
``x_i^T W x_j + b^T x_j`` (see ``heads``). The sink's margin over key ``j`` splits as

    s_is - s_ij = x_i^T W (x_s - x_j)   +   b^T (x_s - x_j)
                  `-- bilinear part --'     `-- key-bias part --'

and we report both parts' means over all ``(i, j != s)``, the bias share of the mean
margin, and in how many rows each part alone already ranks ``s`` first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from proofs_check.empirical.heads import HeadParameters, bilinear_scores, key_bias_scores
from proofs_check.observables.geometry import halfspace_margin, vertex_margin

MARGIN_TOLERANCE = 1e-9


@dataclass(frozen=True)
class TokenGeometry:
    """Margins of one token set ``X`` (one sequence at one layer's input)."""

    halfspace_margin: float  # gamma_u(X)
    median_token_norm: float
    tolerance: float

    @property
    def in_open_halfspace(self) -> bool:
        """``0 ∉ conv{x_j}``."""
        return self.halfspace_margin > self.tolerance * self.median_token_norm

    @property
    def relative_halfspace_margin(self) -> float:
        """``gamma_u / median ||x_j||`` (scale-free)."""
        return self.halfspace_margin / self.median_token_norm


@dataclass(frozen=True)
class SinkVertex:
    """How exposed the sink token ``x_s`` is as a vertex of the token set."""

    sink: int
    vertex_margin: float  # gamma_v(X, s)
    median_gap: float  # median_{j != s} ||x_s - x_j||
    tolerance: float

    @property
    def is_vertex(self) -> bool:
        """``x_s ∉ conv{x_j : j != s}``."""
        return self.vertex_margin > self.tolerance * self.median_gap

    @property
    def relative_vertex_margin(self) -> float:
        """``gamma_v / median ||x_s - x_j||`` (scale-free)."""
        return self.vertex_margin / self.median_gap


@dataclass(frozen=True)
class SinkScoreSplit:
    """The sink's score margin ``s_is - s_ij`` split into bilinear and key-bias parts."""

    sink: int
    bilinear_mean: float  # mean_{i, j != s} x_i^T W (x_s - x_j)
    bias_mean: float  # mean_{j != s} b^T (x_s - x_j)
    rows_won: float  # fraction of rows with min_{j != s} (s_is - s_ij) > 0
    rows_won_by_bilinear: float  # ... with min_{j != s} x_i^T W (x_s - x_j) > 0
    bias_alone_ranks_sink_first: bool  # min_{j != s} b^T (x_s - x_j) > 0

    @property
    def total_mean(self) -> float:
        return self.bilinear_mean + self.bias_mean

    @property
    def bias_share(self) -> float:
        """``bias_mean / (bilinear_mean + bias_mean)``; NaN unless the mean margin is positive."""
        return self.bias_mean / self.total_mean if self.total_mean > 0 else float("nan")


def token_geometry(tokens: np.ndarray, tolerance: float = MARGIN_TOLERANCE) -> TokenGeometry:
    """``gamma_u`` of the token set."""
    return TokenGeometry(
        halfspace_margin=float(halfspace_margin(tokens).distance),
        median_token_norm=float(np.median(np.linalg.norm(tokens, axis=1))),
        tolerance=tolerance,
    )


def pooled_token_geometry(
    token_sets: list[np.ndarray], tolerance: float = MARGIN_TOLERANCE
) -> TokenGeometry:
    """``gamma_u`` of the union of many token sets (one layer, all sequences).

    A single sequence has ``n <= 128 < d = 384`` tokens, which in general position
    never contain 0 in their hull; the pooled cloud (``sum n >> d``) makes the half-space
    condition a real test of the model's anisotropy.
    """
    return token_geometry(np.concatenate(token_sets, axis=0), tolerance)


def sink_vertex(tokens: np.ndarray, sink: int, tolerance: float = MARGIN_TOLERANCE) -> SinkVertex:
    """``gamma_v(X, s)``."""
    gaps = np.linalg.norm(np.delete(tokens, sink, axis=0) - tokens[sink], axis=1)
    return SinkVertex(
        sink=sink,
        vertex_margin=float(vertex_margin(tokens, sink).distance),
        median_gap=float(np.median(gaps)),
        tolerance=tolerance,
    )


def sink_score_split(tokens: np.ndarray, head: HeadParameters, sink: int) -> SinkScoreSplit:
    """Split every margin ``s_is - s_ij`` (all rows ``i``, keys ``j != s``) into its two parts."""
    others = np.arange(tokens.shape[0]) != sink
    bilinear = bilinear_scores(tokens, head)
    bias = key_bias_scores(tokens, head)
    bilinear_margins = bilinear[:, [sink]] - bilinear[:, others]  # (n, n-1)
    bias_margins = bias[sink] - bias[others]  # (n-1,)
    total_margins = bilinear_margins + bias_margins
    return SinkScoreSplit(
        sink=sink,
        bilinear_mean=float(bilinear_margins.mean()),
        bias_mean=float(bias_margins.mean()),
        rows_won=float(np.mean(total_margins.min(axis=1) > 0)),
        rows_won_by_bilinear=float(np.mean(bilinear_margins.min(axis=1) > 0)),
        bias_alone_ranks_sink_first=bool(bias_margins.min() > 0),
    )
