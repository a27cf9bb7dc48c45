r"""Which axes of an instance are token axes (length ``n``) or width axes (length ``d``), and which
integer fields index a token (the sink ``s``): read off the check's own sampler by probing it.

The sampler is called at shapes ``(n, d)``, ``(n + 1, d)`` and ``(n, d + 1)``: an axis whose length
follows ``n`` is a token axis, one that follows ``d`` is a width axis (a value width ``d_v = d`` too:
deleting coordinate ``k`` of both keeps every instance of a free field free). An integer scalar field
is a token index when it stays below ``n = 2`` at ``n = 2`` and exceeds 1 at ``n = 9``. The shrinker
deletes tokens and coordinates along these axes only, and renumbers token indices.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

PROBE_N, PROBE_D = 5, 7  # distinct, so that an axis of length n is never mistaken for one of d
PROBE_BATCH = 4
INDEX_PROBE_BATCH = 64


@dataclass(frozen=True)
class AxisRoles:
    """Per field: the per-instance axes that follow ``n`` and those that follow ``d``."""

    token_axes: dict[str, tuple[int, ...]]
    width_axes: dict[str, tuple[int, ...]]
    token_indices: tuple[
        str, ...
    ]  # integer scalar fields that name a token (renumbered on deletion)
    can_drop_tokens: bool  # every n-dependent axis is a plain token axis
    can_drop_width: bool  # every d-dependent axis is a plain width axis


def _per_instance_shapes(batch: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    return {k: np.shape(v)[1:] for k, v in batch.items()}


def probe_axes(sample: Any, shapes: tuple[tuple[int, int], ...] = (), seed: int = 0) -> AxisRoles:
    """Probe ``sample(rng, n, d, batch)`` for the roles of every axis (see the module docstring).

    A sampler that only accepts its own ``shapes`` (e.g. a layer count per shape) cannot be probed
    at ``(5, 7)``: then no axis is deletable (the shrinker only rounds), and token indices are
    probed at the smallest and largest ``n`` of ``shapes``.
    """

    def draw(n: int, d: int, batch: int = PROBE_BATCH) -> dict[str, Any]:
        return sample(np.random.default_rng(seed), n, d, batch)

    try:
        base = _per_instance_shapes(draw(PROBE_N, PROBE_D))
        more_n = _per_instance_shapes(draw(PROBE_N + 1, PROBE_D))
        more_d = _per_instance_shapes(draw(PROBE_N, PROBE_D + 1))
    except Exception:
        return _fixed_shape_roles(draw, shapes)
    token_axes, width_axes = {}, {}
    can_n = can_d = True
    for name, shape in base.items():
        tok, wid = [], []
        for ax, size in enumerate(shape):
            grows_n = more_n[name][ax] != size
            grows_d = more_d[name][ax] != size
            if grows_n:
                if size == PROBE_N and more_n[name][ax] == PROBE_N + 1 and not grows_d:
                    tok.append(ax)
                else:
                    can_n = False  # e.g. a flattened n*n axis: not deletable token by token
            if grows_d:
                if size == PROBE_D and more_d[name][ax] == PROBE_D + 1 and not grows_n:
                    wid.append(ax)
                else:
                    can_d = False
        token_axes[name], width_axes[name] = tuple(tok), tuple(wid)
    small, large = (2, 3), (9, 3)
    return AxisRoles(token_axes, width_axes, _token_index_fields(draw, small, large), can_n, can_d)


def _fixed_shape_roles(draw: Any, shapes: tuple[tuple[int, int], ...]) -> AxisRoles:
    if not shapes:
        raise ValueError("the sampler rejects probe shapes and no shapes of its own were given")
    names = list(draw(*shapes[0], 1))
    empty = {name: () for name in names}
    small, large = min(shapes), max(shapes)
    indices = _token_index_fields(draw, small, large) if large[0] > max(small[0], 2) else ()
    return AxisRoles(empty, dict(empty), indices, False, False)


def _token_index_fields(
    draw: Any, small_shape: tuple[int, int], large_shape: tuple[int, int]
) -> tuple[str, ...]:
    small, large = draw(*small_shape, INDEX_PROBE_BATCH), draw(*large_shape, INDEX_PROBE_BATCH)
    n_small, n_large = small_shape[0], large_shape[0]
    out = []
    for name, v in small.items():
        v = np.asarray(v)
        w = np.asarray(large[name])
        if v.dtype.kind not in "iu" or v.ndim != 1:
            continue
        if (
            v.min() >= 0
            and v.max() < n_small
            and w.min() >= 0
            and w.max() < n_large
            and w.max() >= n_small
        ):
            out.append(name)
    return tuple(out)
