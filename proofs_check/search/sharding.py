r"""Scale-out: restarts (or instances) split into fixed-size blocks, spread over every JAX device.

A batch is cut into blocks of ``BLOCK`` rows (the last one padded by repeating its last row; the
padding is dropped afterwards). Block ``k`` is placed on device ``k mod D``
(``jax.sharding.SingleDeviceSharding``) and every block runs the same jitted program; JAX dispatches
asynchronously, so the ``D`` devices work concurrently, with no communication (restarts are
independent).

Why blocks rather than one SPMD-partitioned array: each block is computed by exactly the same
compiled program whatever the number of devices, so results are *bit-for-bit* identical on one
device and on many (XLA may fuse a partitioned program differently, which changes the last bits of
a few restarts, and gradient descent amplifies that). This is tested with
``XLA_FLAGS=--xla_force_host_platform_device_count=4`` on the CPU.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import numpy as np
from jax.sharding import SingleDeviceSharding

BLOCK = 16


def device_count() -> int:
    return len(jax.devices())


def padded_size(batch: int, block: int = BLOCK) -> int:
    """The smallest multiple of ``block`` that holds ``batch`` rows."""
    return -(-batch // block) * block


def pad_batch(tree: Any, size: int) -> Any:
    """Pad the leading axis of every leaf to ``size`` by repeating its last row."""

    def pad(x: Any) -> Any:
        x = np.asarray(x)
        if x.shape[0] == size:
            return x
        extra = np.repeat(x[-1:], size - x.shape[0], axis=0)
        return np.concatenate([x, extra], axis=0)

    return jax.tree_util.tree_map(pad, tree)


def split_blocks(tree: Any, count: int, block: int = BLOCK) -> list[Any]:
    """Cut a padded batch into ``count`` blocks, block ``k`` placed on device ``k mod D``."""
    leaves = jax.tree_util.tree_leaves(tree)
    if not leaves:
        return [tree] * count
    size = leaves[0].shape[0]
    assert size == count * block, (size, count, block)
    devices = jax.devices()
    out = []
    for k, start in enumerate(range(0, size, block)):
        place = SingleDeviceSharding(devices[k % len(devices)])
        out.append(
            jax.tree_util.tree_map(
                lambda x, s=start, p=place: jax.device_put(np.asarray(x)[s : s + block], p), tree
            )
        )
    return out


def join_blocks(blocks: list[Any], batch: int) -> Any:
    """Concatenate blocks back into one NumPy batch and drop the padding."""
    return jax.tree_util.tree_map(
        lambda *xs: np.concatenate([np.asarray(x) for x in xs], axis=0)[:batch], *blocks
    )


def map_blocks(fn: Callable[..., Any], *trees: list[Any]) -> list[Any]:
    """``fn`` on every block (each on its own device; dispatched asynchronously)."""
    return [fn(*args) for args in zip(*trees, strict=True)]
