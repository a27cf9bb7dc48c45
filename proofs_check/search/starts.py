r"""Structured starting points: the near-degenerate corners where bounds are tight or break.

A fraction of the restarts drawn from the check's sampler is moved to a corner of the hypothesis set
(each transformation keeps the start's exact zeros, so it stays inside the set):

* ``tie``       two tokens equal (every free field with a token axis, same pair);
* ``near_tie``  the later of two tokens a contraction ``(1 - s) x_i`` of the earlier, ``s``
  log-uniform in ``[1e-5, 1e-3]``: a tie broken towards the earlier token (a sink is token 0), where
  a strict hypothesis (a sink's share above a half, ...) can still hold and a ratio bound is at its
  equality case;
* ``massive``   one token 10-100 times longer than the rest (one free field with a token axis);
* ``collapse``  all tokens within ``1e-3`` of their mean (nearly collapsed);
* ``low_rank``  a free or PSD square matrix replaced by its best rank-one approximation;
* ``sharpen``   every free or PSD square matrix scaled by 10-100 (score rows concentrate);
* ``reflect``   one token reflected through the origin (every free field with a token axis), so
  that the origin can fall inside the tokens' hull;
* ``edge_lo`` / ``edge_hi``  an interval field (``eps``, ``delta``, ...) within ``1e-6`` of a bound.

The structured restarts are the first ``round(fraction * size)`` of the batch and take the
transforms in turn (restart ``b`` gets ``TRANSFORMS[b % len(TRANSFORMS)]``), so that every corner
is tried in every round of at least ``len(TRANSFORMS) / fraction`` restarts; a transform that does
not apply to the statement's fields leaves its restart as sampled.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from proofs_check.search.axes import AxisRoles
from proofs_check.search.space import FREE, INTERVAL, PSD, SearchSpace

TRANSFORMS = (
    "collapse",
    "low_rank",
    "tie",
    "massive",
    "sharpen",
    "reflect",
    "edge_lo",
    "edge_hi",
    "near_tie",
)
TOKEN_TRANSFORMS = ("tie", "near_tie", "massive", "collapse", "reflect")


def structured_starts(
    space: SearchSpace,
    axes: AxisRoles,
    batch: dict[str, Any],
    rng: np.random.Generator,
    fraction: float = 0.5,
) -> tuple[dict[str, Any], list[str]]:
    """Move the first ``fraction`` of the batch to structured corners, the transforms in turn;
    returns the batch and each restart's label."""
    batch = {k: np.array(v, copy=True) for k, v in batch.items()}
    size = next(iter(batch.values())).shape[0]
    labels = ["sampled"] * size
    applicable = [t for t in TRANSFORMS if _applies(t, space, axes)]
    for b in range(int(round(fraction * size)) if applicable else 0):
        name = applicable[b % len(applicable)]
        if _apply(name, space, axes, batch, b, rng):
            labels[b] = name
    return batch, labels


def _applies(name: str, space: SearchSpace, axes: AxisRoles) -> bool:
    """Whether the transform can change an instance of this space (else it is not cycled through)."""
    if name in TOKEN_TRANSFORMS:
        return bool(_token_fields(space, axes))
    if name in ("low_rank", "sharpen"):
        return any(f.kind in (FREE, PSD) for f in space.fields)
    return any(f.kind == INTERVAL and not f.closed for f in space.fields)


def _token_fields(space: SearchSpace, axes: AxisRoles) -> list[str]:
    return [f.name for f in space.fields if f.kind == FREE and len(axes.token_axes[f.name]) == 1]


def _apply(
    name: str, space: SearchSpace, axes: AxisRoles, batch: dict[str, Any], b: int, rng: Any
) -> bool:
    tokens = _token_fields(space, axes)
    changed = False
    if name in TOKEN_TRANSFORMS and tokens:
        n = batch[tokens[0]][b].shape[axes.token_axes[tokens[0]][0]]
        if n < 2:
            return False
        i, j = rng.choice(n, 2, replace=False)
        chosen = tokens if name != "massive" else [tokens[int(rng.integers(0, len(tokens)))]]
        factor = 10.0 ** rng.uniform(1.0, 2.0)
        contraction = 1.0 - 10.0 ** rng.uniform(-5.0, -3.0)
        for field in chosen:
            x = np.moveaxis(batch[field][b], axes.token_axes[field][0], 0).copy()
            zero = x == 0
            if name == "tie":
                x[j] = x[i]
            elif name == "massive":
                x[i] = factor * x[i]
            elif name == "near_tie":  # the later onto the earlier: a special token comes first
                x[max(i, j)] = contraction * x[min(i, j)]
            elif name == "reflect":
                x[i] = -x[i]
            else:
                mean = x.mean(axis=0, keepdims=True)
                x = mean + 1e-3 * (x - mean)
            x[zero] = 0.0
            batch[field][b] = np.moveaxis(x, 0, axes.token_axes[field][0])
            changed = True
    elif name == "low_rank":
        for f in space.fields:
            x = batch[f.name][b]
            if f.kind in (FREE, PSD) and x.ndim == 2 and x.shape[0] == x.shape[1] > 1:
                U, S, Vt = np.linalg.svd(x)
                lr = S[0] * np.outer(U[:, 0], Vt[0])
                batch[f.name][b] = np.where(x == 0, 0.0, lr) if f.kind == FREE else lr
                changed = True
    elif name == "sharpen":
        factor = 10.0 ** rng.uniform(1.0, 2.0)
        for f in space.fields:
            x = batch[f.name][b]
            if f.kind in (FREE, PSD) and x.ndim == 2 and x.shape[0] == x.shape[1] > 1:
                batch[f.name][b] = factor * x
                changed = True
    elif name in ("edge_lo", "edge_hi"):
        for f in space.fields:
            if f.kind != INTERVAL or f.closed:
                continue
            x = batch[f.name][b]
            width = min(f.hi - f.lo, 1.0)
            edge = (
                f.lo + 1e-6 * width
                if name == "edge_lo" or not np.isfinite(f.hi)
                else f.hi - 1e-6 * width
            )
            batch[f.name][b] = np.where(x == 0, 0.0, edge)
            changed = True
    return changed
