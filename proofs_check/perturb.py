r"""A test-only switch: perturb every float64 observable and solver result by a few ulps.

Another machine computes the same observables with other kernels (BLAS, vector widths, XLA's
reduction order) and its conic and linear solvers stop at other last digits. Setting the
environment variable ``PROOFS_CHECK_PERTURB_ULPS=k`` (``k >= 1``) makes this machine behave like
such a machine: each float64 observable, each solver optimum and solution, is multiplied by
``1 + k u 2^-52`` with a pseudo-random ``u in [-1, 1]`` derived from the value's own bits
(:func:`_unit_noise`: stateless, the same on every call, under ``jit`` and in NumPy). Unset or 0:
every function here is the identity and costs nothing.

The reproducibility test (``tests/test_reproducible.py``) regenerates the docs and the report with
this switch on (and one thread) and requires them byte-identical to the committed ones: a choice or a
printed number that depends on float64 noise shows up there, on one machine.

Exact phases (ball arithmetic, rational certificates) are never perturbed: they are the same on
every machine by construction.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

ENV = "PROOFS_CHECK_PERTURB_ULPS"
_MIX = 0x9E3779B97F4A7C15  # odd 64-bit constant (golden ratio): a multiplicative hash


def ulps() -> int:
    """The perturbation in ulps (0: off). Read from the environment at every call (cheap)."""
    raw = os.environ.get(ENV, "").strip()
    if not raw:
        return 0
    try:
        return max(0, int(raw))
    except ValueError:
        return 0


def _unit_noise(bits: Any, xp: Any) -> Any:
    """A value in ``[-1, 1]`` from the 64 bits of each float (a multiplicative hash)."""
    mixed = bits * xp.uint64(_MIX)
    mixed = mixed ^ (mixed >> xp.uint64(29))
    top = (mixed >> xp.uint64(11)).astype(xp.float64)  # 53 bits
    return top / 2.0**52 - 1.0


def perturb_host(x: Any) -> Any:
    """``x`` (a float, or a NumPy array; other values pass through) perturbed by :func:`ulps`."""
    k = ulps()
    if k == 0:
        return x
    if isinstance(x, (bool, np.bool_)) or x is None:
        return x
    if isinstance(x, float):
        return float(perturb_host(np.asarray(x, dtype=np.float64)))
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        return x
    finite = np.isfinite(x)
    bits = np.where(finite, x, 0.0).view(np.uint64)
    with np.errstate(over="ignore"):
        noise = _unit_noise(bits, np)
    return np.where(finite, x * (1.0 + k * noise * 2.0**-52), x)


def perturb_traced(x: Any) -> Any:
    """The same perturbation for a JAX array inside ``jit`` (float64 arrays only)."""
    k = ulps()
    if k == 0:
        return x
    import jax
    import jax.numpy as jnp

    x = jnp.asarray(x)
    if x.dtype != jnp.float64:
        return x
    finite = jnp.isfinite(x)
    bits = jax.lax.bitcast_convert_type(jnp.where(finite, x, 0.0), jnp.uint64)
    noise = jax.lax.stop_gradient(_unit_noise(bits, jnp))  # the adversary differentiates through
    return jnp.where(finite, x * (1.0 + k * noise * 2.0**-52), x)


def perturb_mapping(values: Mapping[str, Any], traced: bool = False) -> dict[str, Any]:
    """Every float64 value of a mapping perturbed (observables of one batch or one instance)."""
    if ulps() == 0:
        return dict(values)
    f = perturb_traced if traced else perturb_host
    return {k: f(v) for k, v in values.items()}


def perturbed_observables(
    observables: Callable[[Any, Any], Mapping[str, Any]], inst: Any, ops: Any
) -> dict[str, Any]:
    """``observables(inst, ops)`` in the float64 phase, perturbed when the switch is on."""
    out = observables(inst, ops)
    if ulps() == 0 or getattr(ops, "name", "") == "arb":
        return dict(out)
    traced = getattr(ops, "xp", np) is not np
    return perturb_mapping(out, traced=traced)
