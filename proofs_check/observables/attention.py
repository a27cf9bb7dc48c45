r"""Attention observables, written once for both backends (:mod:`proofs_check.backend`).

Notation of THEORY.md §0: scores ``S = X W X^T`` (plus an optional key bias ``1 b^T X^T``),
``A = softmax_rows(S)`` (causal: ``A_ij = 0`` for ``j > i``), head output ``Y = A V``.
"""

from __future__ import annotations

from typing import Any

from proofs_check.backend import Ops


def scores(ops: Ops, X: Any, W: Any) -> Any:
    r"""``S = X W X^T``, ``s_ij = x_i^T W x_j``."""
    return X @ W @ X.T


def causal_mask(ops: Ops, n: int) -> Any:
    """``mask_ij = (j <= i)``."""
    idx = ops.xp.arange(n)
    return idx[None, :] <= idx[:, None]


def attention(ops: Ops, X: Any, W: Any, causal: bool = False) -> Any:
    r"""``A = softmax_rows(X W X^T)``, causal mask optional."""
    S = scores(ops, X, W)
    return ops.softmax(S, causal_mask(ops, S.shape[0]) if causal else None)


def sink_margins(ops: Ops, S: Any, s: Any, causal: bool = False) -> Any:
    r"""Per row ``i``: ``m_i = min_{j != s} (s_is - s_ij)`` (causal: over ``j <= i``).

    Rows with no competitor (causal row ``i = s``) get ``+inf``.
    """
    n = S.shape[0]
    cols = ops.xp.arange(n)
    competitor = cols[None, :] != s
    if causal:
        competitor = competitor & causal_mask(ops, n)
    diffs = S[:, s][:, None] - S
    return ops.masked_min(diffs, competitor, axis=-1)


def non_sink_mask(ops: Ops, n: int, s: Any) -> Any:
    """``True`` at every token but the sink."""
    return ops.xp.arange(n) != s
