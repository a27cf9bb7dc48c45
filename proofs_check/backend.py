"""Two array backends for one observable code path: JAX float64 and python-flint ``arb`` balls.

Observables are written once against :class:`Ops`. With :data:`JAX` they run jitted and vmapped in
float64; with :func:`arb_ops` the very same code runs on NumPy object arrays of ``arb`` balls, which
is how a counterexample is certified (NumPy's ufuncs call ``.exp()``, ``.log()``, ``.sqrt()`` on
object elements, and ``@``/``sum`` use the elements' own ``+`` and ``*``).

Only ``min``/``max``/``softmax`` differ: comparisons of overlapping balls are undecided, so the arb
backend reduces with ``arb.min``/``arb.max`` (which return a ball containing the true extremum), and
its softmax needs no max-shift (balls have an unbounded exponent range).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import reduce
from typing import Any

import flint
import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)


@dataclass(frozen=True)
class Ops:
    """The handful of operations an observable may use beyond ``xp`` arithmetic."""

    name: str
    xp: Any  # jax.numpy or numpy

    def masked_min(self, a: Any, mask: Any, axis: int = -1) -> Any:
        """``min`` of ``a`` over the entries where ``mask`` is true (``+inf`` if none)."""
        if self.name == "jax":
            return jnp.min(jnp.where(mask, a, jnp.inf), axis=axis)
        return _reduce_masked(a, mask, axis, flint.arb.min)

    def masked_max(self, a: Any, mask: Any, axis: int = -1) -> Any:
        """``max`` of ``a`` over the entries where ``mask`` is true (``-inf`` if none)."""
        if self.name == "jax":
            return jnp.max(jnp.where(mask, a, -jnp.inf), axis=axis)
        return _reduce_masked(a, mask, axis, flint.arb.max)

    def masked_logsumexp(self, a: Any, mask: Any, axis: int = -1) -> Any:
        """``log sum_{mask} e^{a}`` along ``axis`` (``-inf`` if the mask is empty)."""
        if self.name == "jax":
            return jax.nn.logsumexp(jnp.where(mask, a, -jnp.inf), axis=axis)
        e = np.where(mask, np.exp(np.asarray(a, dtype=object)), flint.arb(0))
        return np.log(e.sum(axis=axis))

    def min(self, a: Any, axis: int = -1) -> Any:
        return self.masked_min(a, self.xp.ones(np.shape(a), dtype=bool), axis)

    def max(self, a: Any, axis: int = -1) -> Any:
        return self.masked_max(a, self.xp.ones(np.shape(a), dtype=bool), axis)

    def softmax(self, scores: Any, mask: Any | None = None) -> Any:
        r"""Row softmax ``A_ij = e^{s_ij} / sum_k e^{s_ik}``, with ``A_ij = 0`` where ``mask`` is false."""
        if self.name == "jax":
            if mask is None:
                return jax.nn.softmax(scores, axis=-1)
            shifted = jnp.where(mask, scores, -jnp.inf)
            return jax.nn.softmax(shifted, axis=-1)
        e = np.exp(scores)
        if mask is not None:
            e = np.where(mask, e, flint.arb(0))
        return e / e.sum(axis=-1, keepdims=True)

    def norm(self, v: Any, axis: int = -1) -> Any:
        """Euclidean norm along ``axis``."""
        return self.xp.sqrt(self.xp.sum(v * v, axis=axis))

    def minimum(self, a: Any, b: Any) -> Any:
        """Elementwise ``min(a, b)``; on balls a ball containing the minimum (exact on exact balls)."""
        if self.name == "jax":
            return self.xp.minimum(a, b)
        return _elementwise(flint.arb.min, a, b)

    def maximum(self, a: Any, b: Any) -> Any:
        """Elementwise ``max(a, b)``; on balls a ball containing the maximum (exact on exact balls)."""
        if self.name == "jax":
            return self.xp.maximum(a, b)
        return _elementwise(flint.arb.max, a, b)


def _elementwise(combine: Any, a: Any, b: Any) -> Any:
    a, b = np.broadcast_arrays(np.asarray(a, dtype=object), np.asarray(b, dtype=object))
    out = np.empty(a.shape, dtype=object)
    for idx in np.ndindex(a.shape):
        out[idx] = combine(flint.arb(a[idx]), flint.arb(b[idx]))
    return out if out.shape else out[()]


def _reduce_masked(a: Any, mask: Any, axis: int, combine: Any) -> Any:
    a = np.asarray(a, dtype=object)
    mask = np.broadcast_to(np.asarray(mask, dtype=bool), a.shape)
    a_m = np.moveaxis(a, axis, -1)
    mask_m = np.moveaxis(mask, axis, -1)
    out = np.empty(a_m.shape[:-1], dtype=object)
    for idx in np.ndindex(out.shape):
        picked = [x for x, keep in zip(a_m[idx], mask_m[idx], strict=True) if keep]
        out[idx] = reduce(combine, picked) if picked else flint.arb("inf")
    return out if out.shape else out[()]


JAX = Ops("jax", jnp)
ARB = Ops("arb", np)


def to_fraction(x: float | int | Fraction) -> Fraction:
    """The exact rational value of a float (every float is a dyadic rational)."""
    return x if isinstance(x, Fraction) else Fraction(x)


def to_arb_array(values: Any) -> np.ndarray:
    """Exact rationals (or floats, read exactly) as an object array of ``arb`` balls.

    A dyadic rational is represented exactly; any other rational becomes a ball of radius one ulp at
    the working precision (``flint.ctx.prec``), which contains it.
    """
    arr = np.asarray(values, dtype=object)
    out = np.empty(arr.shape, dtype=object)
    for idx in np.ndindex(arr.shape):
        q = to_fraction(arr[idx]) if not isinstance(arr[idx], Fraction) else arr[idx]
        out[idx] = flint.arb(flint.fmpq(q.numerator, q.denominator))
    return out


def to_fraction_array(values: Any) -> np.ndarray:
    """Exact rational copy of an array of floats or Fractions (object dtype)."""
    arr = np.asarray(values, dtype=object)
    out = np.empty(arr.shape, dtype=object)
    for idx in np.ndindex(arr.shape):
        v = arr[idx]
        if isinstance(v, (bool, np.bool_)):
            out[idx] = bool(v)
        elif isinstance(v, (int, np.integer)):
            out[idx] = Fraction(int(v))
        else:
            out[idx] = to_fraction(float(v)) if not isinstance(v, Fraction) else v
    return out


def as_float_array(values: Sequence[Any] | np.ndarray) -> np.ndarray:
    """Float64 copy of an array that may hold Fractions."""
    return np.asarray(np.vectorize(float, otypes=[float])(np.asarray(values, dtype=object)))
