"""One attention head of a BERT layer in the theory's notation (THEORY.md §0, T1.f).

With ``W_Q^h, W_K^h, W_V^h`` the ``d x d_h`` column slices of the query/key/value
maps, ``b_Q^h, b_K^h, b_V^h`` their biases and ``W_O^h`` the ``d_h x d`` row slice of
the output projection, the head's pre-softmax score is

    s_ij = (x_i W_Q^h + b_Q^h)(x_j W_K^h + b_K^h)^T / sqrt(d_h)
         = x_i^T W x_j  +  b^T x_j  +  (terms constant in j),

    W = W_Q^h W_K^h^T / sqrt(d_h)          (d x d bilinear form)
    b = W_K^h b_Q^h / sqrt(d_h)            (query-independent "key bias" of T1.f)

The j-constant terms ``x_i^T W_Q^h b_K^h / sqrt(d_h) + b_Q^h . b_K^h / sqrt(d_h)``
cancel in the row softmax, so ``A = softmax_rows(X W X^T + 1 (X b)^T)`` exactly: the
key bias ``b_K`` itself plays no role. The head's values, in model dimension, merge
the output projection: ``v_j = (x_j W_V^h + b_V^h) W_O^h``, and the layer's
attention output is ``sum_h A^h V^h + b_O``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from proofs_check.empirical.bert_weights import BertConfig, EncoderLayerWeights


@dataclass(frozen=True)
class HeadParameters:
    """The factors of one head (all float64), sliced from its layer."""

    query: np.ndarray  # W_Q^h, (d, d_h)
    key: np.ndarray  # W_K^h, (d, d_h)
    query_bias: np.ndarray  # b_Q^h, (d_h,)
    value: np.ndarray  # W_V^h, (d, d_h)
    value_bias: np.ndarray  # b_V^h, (d_h,)
    output: np.ndarray  # W_O^h, (d_h, d)

    @property
    def head_dim(self) -> int:
        return self.query.shape[1]

    @property
    def bilinear(self) -> np.ndarray:
        """``W = W_Q^h W_K^h^T / sqrt(d_h)``, the ``d x d`` score form."""
        return self.query @ self.key.T / np.sqrt(self.head_dim)

    @property
    def key_bias(self) -> np.ndarray:
        """``b = W_K^h b_Q^h / sqrt(d_h)``: the score term ``b^T x_j`` shared by all queries."""
        return self.key @ self.query_bias / np.sqrt(self.head_dim)


def head_parameters(layer: EncoderLayerWeights, config: BertConfig, head: int) -> HeadParameters:
    """Slice head ``head``'s columns (rows, for ``W_O``) out of the layer's weights."""
    cols = slice(head * config.head_dim, (head + 1) * config.head_dim)
    return HeadParameters(
        query=layer.query.weight[:, cols],
        key=layer.key.weight[:, cols],
        query_bias=layer.query.bias[cols],
        value=layer.value.weight[:, cols],
        value_bias=layer.value.bias[cols],
        output=layer.attention_output.weight[cols, :],
    )


def bilinear_scores(x: np.ndarray, head: HeadParameters) -> np.ndarray:
    """``X W X^T`` (n x n), computed through the rank-``d_h`` factors."""
    return (x @ head.query) @ (x @ head.key).T / np.sqrt(head.head_dim)


def key_bias_scores(x: np.ndarray, head: HeadParameters) -> np.ndarray:
    """``X b`` (n,): the key-bias term ``b^T x_j`` of every key ``j``."""
    return x @ head.key_bias


def head_values(x: np.ndarray, head: HeadParameters) -> np.ndarray:
    """``V = (X W_V^h + 1 b_V^h) W_O^h`` (n x d): values in model dimension."""
    return (x @ head.value + head.value_bias) @ head.output
