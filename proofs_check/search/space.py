r"""The hypothesis set of a statement as unconstrained parameters: declared, else inferred.

The adversary moves every float field of an instance, through a map from ``R^k`` *into* the set the
check samples from, so that every point it reaches is an instance of the statement. A field the
check's domain declares (:mod:`theory.domain`: ``psd("W")``, ``interval("eps", 0, 0.5)``, ...) is
moved in exactly that set (:func:`space_of`). A field it does not declare is classified by what
holds on **every** instance the check's own sampler draws (probed at all of its shapes): the
sampler enforces the structural hypotheses (``W`` PSD, rows stochastic, ``v_s = 0``, ``eps`` in
``(0, 1/2)``), so its invariants are the structural part of the hypothesis set.

=============  ==================================================  ========================================
kind           invariant on every sample                           map ``theta -> x`` (per instance)
=============  ==================================================  ========================================
``frozen``     integer or boolean (sink index, mask, family)       not moved
``stochastic`` entries >= 0, last-axis sums 1                      ``softmax`` over the nonzero pattern
``psd``        square, symmetric, eigenvalues >= 0                 ``W = c^2 L L^T`` (``L = theta``)
``symmetric``  square, symmetric                                   ``c (theta + theta^T)/2``
``unit_rows``  every last-axis row has norm 1                      ``theta / ||theta||``
``interval``   every entry in (0, 1/2), (0, 1) or (0, inf)         ``lo + (hi - lo) sigmoid``, or ``exp``
``free``       none of the above                                   ``c theta``
=============  ==================================================  ========================================

``c`` is the start's root-mean-square (so ``theta`` is O(1) and one step size fits every field), and
**exact zeros are kept**: an entry that is 0 at the start stays 0 (a zero-value sink ``v_s = 0``, the
zero set ``Z`` of T2.c, ``W = 0``, a masked attention entry). Closed intervals (a sample sits on the
bound) use a clip instead of a sigmoid.

:func:`exact_instance` turns a float instance into exact rationals that satisfy the invariants
*exactly* (PSD as ``L L^T`` of a rational ``L``; stochastic rows renormalised; unit rows through the
rational stereographic parametrisation of the sphere), optionally rounding every parameter to a
small denominator first (the shrinker's "simple rationals").

Scalar fields are kept *dyadic* (``k / 2^j``). The certifier (``proofs_check.certify.arb_eval``)
converts a value that is neither a ball, a Fraction nor an int with ``float()``; a scalar field
reaches it as a 0-d array of balls, so a non-dyadic scalar (``1/10``) would silently become the
double nearest to it, radius dropped -- a certificate about a different instance. Dyadic scalars
are represented exactly both ways. (Reported to the lead: the generic fix is to unwrap 0-d arrays
in ``arb_eval`` and refuse anything ``float()`` would round.)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import flint
import numpy as np

from theory.domain import (
    FREE,
    FROZEN,
    INTERVAL,
    PSD,
    STOCHASTIC,
    SYMMETRIC,
    UNIT_ROWS,
    Domain,
    FieldSpec,
)

__all__ = [
    "FREE",
    "FROZEN",
    "INTERVAL",
    "PSD",
    "STOCHASTIC",
    "SYMMETRIC",
    "UNIT_ROWS",
    "FieldSpec",
    "SearchSpace",
    "space_of",
    "decode",
    "encode",
    "exact_instance",
    "float_instance",
    "infer_space",
]

CANDIDATE_INTERVALS = ((0.0, 0.5), (0.0, 1.0), (0.0, np.inf))
TOL = 1e-9
PROBE_PER_SHAPE = 32


@dataclass(frozen=True)
class SearchSpace:
    """The parametrisation of every sampled field (prepared fields are recomputed, not moved)."""

    fields: tuple[FieldSpec, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def moving(self) -> tuple[FieldSpec, ...]:
        return tuple(f for f in self.fields if f.kind != FROZEN)

    def spec(self, name: str) -> FieldSpec:
        return next(f for f in self.fields if f.name == name)

    def describe(self) -> str:
        return "; ".join(f.describe() for f in self.moving)


# ----------------------------------------------------------------------------------------------
# Inference from the sampler
# ----------------------------------------------------------------------------------------------


def space_of(
    sample: Callable[..., dict[str, Any]],
    shapes: tuple[tuple[int, int], ...],
    domain: Domain | None = None,
) -> SearchSpace:
    """The search space of a check: the fields its domain declares, as declared; a field it does
    not declare is read off the sampler's invariants (:func:`infer_space`)."""
    declared = {f.name: f for f in (domain.fields if domain is not None else ())}
    inferred = infer_space(sample, shapes)
    unknown = sorted(set(declared) - set(inferred.names))
    if unknown:
        raise ValueError(f"the domain declares {unknown[0]!r}, which the sampler does not draw")
    return SearchSpace(tuple(declared.get(f.name, f) for f in inferred.fields))


def infer_space(
    sample: Callable[..., dict[str, Any]],
    shapes: tuple[tuple[int, int], ...],
    seed: int = 0,
    per_shape: int = PROBE_PER_SHAPE,
) -> SearchSpace:
    """Classify every field by the invariants that hold on all samples at all ``shapes``."""
    batches = [
        sample(np.random.default_rng([seed, k]), n, d, per_shape) for k, (n, d) in enumerate(shapes)
    ]
    specs = []
    for name in batches[0]:
        values = [np.asarray(b[name]) for b in batches]
        specs.append(_classify(name, values))
    return SearchSpace(tuple(specs))


def _classify(name: str, values: list[np.ndarray]) -> FieldSpec:
    if any(v.dtype.kind not in "f" for v in values):
        return FieldSpec(name, FROZEN)
    per = [v[b] for v in values for b in range(v.shape[0])]
    if all(_is_stochastic(x) for x in per):
        return FieldSpec(name, STOCHASTIC)
    if all(_is_square(x) for x in per) and all(_is_symmetric(x) for x in per):
        return FieldSpec(name, PSD if all(_is_psd(x) for x in per) else SYMMETRIC)
    if all(_is_unit_rows(x) for x in per):
        return FieldSpec(name, UNIT_ROWS)
    flat = np.concatenate([np.ravel(x) for x in per])
    for lo, hi in CANDIDATE_INTERVALS:
        nonzero = flat[flat != 0] if lo == 0 else flat
        if nonzero.size and np.all(nonzero >= lo) and np.all(nonzero <= hi):
            closed = bool(np.any(nonzero == lo) or np.any(nonzero == hi))
            return FieldSpec(name, INTERVAL, lo, hi, closed)
    return FieldSpec(name, FREE)


def _is_square(x: np.ndarray) -> bool:
    return x.ndim == 2 and x.shape[0] == x.shape[1]


def _is_symmetric(x: np.ndarray) -> bool:
    return bool(np.all(np.abs(x - x.T) <= TOL * max(1.0, float(np.max(np.abs(x))))))


def _is_psd(x: np.ndarray) -> bool:
    lam = np.linalg.eigvalsh((x + x.T) / 2)
    return bool(lam.min() >= -TOL * max(1.0, float(np.max(np.abs(lam)))))


def _is_stochastic(x: np.ndarray) -> bool:
    return (
        x.ndim >= 1
        and x.shape[-1] >= 2
        and bool(np.all(x >= 0))
        and bool(np.all(np.abs(x.sum(axis=-1) - 1.0) <= TOL))
    )


def _is_unit_rows(x: np.ndarray) -> bool:
    return (
        x.ndim >= 1
        and x.shape[-1] >= 2
        and bool(np.all(np.abs(np.linalg.norm(x, axis=-1) - 1.0) <= TOL))
    )


# ----------------------------------------------------------------------------------------------
# theta <-> x (batched over restarts, NumPy in, ``xp`` out)
# ----------------------------------------------------------------------------------------------


def _rms(x: np.ndarray) -> np.ndarray:
    """Per-instance root-mean-square of a batch ``(B, ...)`` as ``(B, 1, ..., 1)`` (1 where all 0)."""
    axes = tuple(range(1, x.ndim))
    r = np.sqrt(np.mean(x * x, axis=axes, keepdims=True)) if axes else np.abs(x)
    return np.where(r > 0, r, 1.0)


def encode(space: SearchSpace, batch: Mapping[str, Any]) -> tuple[dict, dict, dict]:
    """``(theta, aux, frozen)`` for a batch of instances: parameters, fixed scales/masks, the rest."""
    theta, aux, frozen = {}, {}, {}
    for f in space.fields:
        x = np.asarray(batch[f.name])
        if f.kind == FROZEN:
            frozen[f.name] = x
            continue
        x = x.astype(float)
        mask = (x != 0).astype(float)
        if f.kind in (FREE, SYMMETRIC):
            scale = _rms(x)
            theta[f.name], aux[f.name] = x / scale, {"scale": scale, "mask": mask}
        elif f.kind == PSD:
            lam, Q = np.linalg.eigh((x + np.swapaxes(x, -1, -2)) / 2)
            L = Q * np.sqrt(np.maximum(lam, 0.0))[..., None, :]
            scale = _rms(L)
            theta[f.name], aux[f.name] = L / scale, {"scale": scale}
        elif f.kind == STOCHASTIC:
            with np.errstate(divide="ignore"):
                theta[f.name] = np.where(mask > 0, np.log(np.where(mask > 0, x, 1.0)), 0.0)
            aux[f.name] = {"mask": mask}
        elif f.kind == UNIT_ROWS:
            theta[f.name], aux[f.name] = x, {"mask": mask}
        elif f.kind == INTERVAL:
            theta[f.name], aux[f.name] = _interval_theta(f, x, mask), {"mask": mask}
        else:  # pragma: no cover - every kind is listed above
            raise ValueError(f.kind)
    return theta, aux, frozen


def _interval_theta(f: FieldSpec, x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    safe = np.where(mask > 0, x, f.lo + 0.5 * min(1.0, f.hi - f.lo))
    if not np.isfinite(f.hi):
        return np.log(safe - f.lo)
    t = (safe - f.lo) / (f.hi - f.lo)
    if f.closed:
        return t
    t = np.clip(t, 1e-300, 1 - 1e-16)
    return np.log(t) - np.log1p(-t)


def decode(space: SearchSpace, theta: Mapping, aux: Mapping, frozen: Mapping, xp: Any) -> dict:
    """The instance(s) of ``theta``: works batched or per instance, in NumPy or ``jax.numpy``."""
    out = dict(frozen)
    for f in space.moving:
        t, a = theta[f.name], aux[f.name]
        if f.kind == FREE:
            out[f.name] = a["scale"] * t * a["mask"]
        elif f.kind == SYMMETRIC:
            out[f.name] = a["scale"] * 0.5 * (t + xp.swapaxes(t, -1, -2)) * a["mask"]
        elif f.kind == PSD:
            L = a["scale"] * t
            out[f.name] = L @ xp.swapaxes(L, -1, -2)
        elif f.kind == STOCHASTIC:
            logits = xp.where(a["mask"] > 0, t, -xp.inf)
            top = xp.max(logits, axis=-1, keepdims=True)
            e = xp.where(a["mask"] > 0, xp.exp(logits - top), 0.0)
            out[f.name] = e / xp.sum(e, axis=-1, keepdims=True)
        elif f.kind == UNIT_ROWS:
            v = t * a["mask"]
            out[f.name] = v / xp.sqrt(xp.sum(v * v, axis=-1, keepdims=True) + 1e-300)
        elif f.kind == INTERVAL:
            out[f.name] = _interval_value(f, t, xp) * a["mask"]
    return out


def _interval_value(f: FieldSpec, t: Any, xp: Any) -> Any:
    if not np.isfinite(f.hi):
        return f.lo + xp.exp(xp.clip(t, -700.0, 700.0))
    if f.closed:
        return f.lo + (f.hi - f.lo) * xp.clip(t, 0.0, 1.0)
    return f.lo + (f.hi - f.lo) / (1.0 + xp.exp(-t))


# ----------------------------------------------------------------------------------------------
# Exact instances: the invariants hold exactly in rational arithmetic
# ----------------------------------------------------------------------------------------------


def _q(x: float, denominator: int | None) -> Fraction:
    exact = Fraction(float(x))
    if denominator is None or exact == 0:
        return exact
    r = exact.limit_denominator(denominator)
    return r if r != 0 else exact  # a nonzero entry stays nonzero (the zero pattern is structure)


def _q_array(x: np.ndarray, denominator: int | None) -> np.ndarray:
    out = np.empty(x.shape, dtype=object)
    for idx in np.ndindex(x.shape):
        out[idx] = _q(x[idx], denominator)
    return out


def _dyadic(x: float, denominator: int | None) -> Fraction:
    """``x`` rounded to a multiple of ``2^-j`` with ``2^j >= denominator`` (nonzero stays nonzero)."""
    exact = Fraction(float(x))
    if denominator is None or exact == 0:
        return exact
    scale = 1 << max(0, (int(denominator) - 1).bit_length())
    r = Fraction(round(exact * scale), scale)
    return r if r != 0 else exact


def exact_field(f: FieldSpec, x: np.ndarray, denominator: int | None = None) -> np.ndarray:
    """One field as exact rationals meeting its invariant exactly (rounded to ``denominator``).

    A scalar field (``eps``, ``delta``, ...) is rounded to a *dyadic* rational (``k / 2^j``):
    ``certify.arb_eval`` reads a scalar that reaches it as a 0-d array through ``float()``, which
    is exact only for dyadic values (see the module notes of :mod:`proofs_check.search.space`).
    """
    x = np.asarray(x, dtype=float)
    if x.ndim == 0 and f.kind in (FREE, INTERVAL):
        return _scalar_exact(f, float(x), denominator)
    if f.kind == FREE:
        return _q_array(x, denominator)
    if f.kind == SYMMETRIC:
        upper = np.triu(x) + np.triu(x, 1).T
        return _q_array(upper, denominator)
    if f.kind == PSD:
        lam, Q = np.linalg.eigh((x + x.T) / 2)
        L = Q * np.sqrt(np.maximum(lam, 0.0))[None, :]
        keep = lam > TOL * max(1.0, float(np.max(np.abs(lam))))
        return _gram(_q_array(L[:, keep], denominator))
    if f.kind == STOCHASTIC:
        rows = _q_array(np.where(x > 0, x, 0.0), denominator)
        return _renormalise(rows)
    if f.kind == UNIT_ROWS:
        return _unit_rows_exact(x, denominator)
    if f.kind == INTERVAL:
        return _interval_exact(f, x, denominator)
    raise ValueError(f"cannot make a {f.kind} field exact")


def _gram(L: np.ndarray) -> np.ndarray:
    """``L L^T`` exactly (FLINT rational matrices)."""
    if L.shape[1] == 0:
        return np.full((L.shape[0], L.shape[0]), Fraction(0), dtype=object)
    M = flint.fmpq_mat(
        L.shape[0], L.shape[1], [flint.fmpq(v.numerator, v.denominator) for v in L.flat]
    )
    G = M * M.transpose()
    out = np.empty((L.shape[0], L.shape[0]), dtype=object)
    for i in range(L.shape[0]):
        for j in range(L.shape[0]):
            q = G[i, j]
            out[i, j] = Fraction(int(q.p), int(q.q))
    return out


class OutsideHypotheses(ValueError):
    """A candidate (e.g. after deleting a token) that no longer meets a field's invariant."""


def _renormalise(rows: np.ndarray) -> np.ndarray:
    out = rows.copy()
    for idx in np.ndindex(rows.shape[:-1]):
        total = sum(rows[idx], Fraction(0))
        if total == 0:
            raise OutsideHypotheses("a stochastic row has no mass left")
        out[idx] = [v / total for v in rows[idx]]
    return out


def _unit_rows_exact(x: np.ndarray, denominator: int | None) -> np.ndarray:
    r"""Rational unit rows: stereographic coordinates ``t`` (rounded), then
    ``x_0 = ±(1 - |t|^2)/(1 + |t|^2)``, ``x_k = 2 t_k/(1 + |t|^2)``: exactly on the sphere."""
    out = np.empty(x.shape, dtype=object)
    for idx in np.ndindex(x.shape[:-1]):
        row = x[idx] / np.linalg.norm(x[idx])
        sign = 1.0 if row[0] >= 0 else -1.0
        t = [_q(v / (1.0 + sign * row[0]), denominator) for v in row[1:]]
        t = [v if row[k + 1] != 0 else Fraction(0) for k, v in enumerate(t)]
        tt = sum((v * v for v in t), Fraction(0))
        head = Fraction(int(sign)) * (1 - tt) / (1 + tt)
        out[idx] = [head] + [2 * v / (1 + tt) for v in t]
    return out


def _scalar_exact(f: FieldSpec, x: float, denominator: int | None) -> np.ndarray:
    exact, r = Fraction(x), _dyadic(x, denominator)
    if f.kind == INTERVAL:
        hi = Fraction(f.hi) if np.isfinite(f.hi) else None
        lo = Fraction(f.lo)
        inside = (r >= lo if f.closed else r > lo) and (
            hi is None or (r <= hi if f.closed else r < hi)
        )
        r = r if inside or exact == 0 else exact
    return np.array(r, dtype=object)


def _interval_exact(f: FieldSpec, x: np.ndarray, denominator: int | None) -> np.ndarray:
    out = np.empty(x.shape, dtype=object)
    lo = Fraction(f.lo)
    hi = Fraction(f.hi) if np.isfinite(f.hi) else None
    for idx in np.ndindex(x.shape):
        exact = Fraction(float(x[idx]))
        r = _q(x[idx], denominator)
        if exact == 0:
            out[idx] = exact
            continue
        inside = (r >= lo if f.closed else r > lo) and (
            hi is None or (r <= hi if f.closed else r < hi)
        )
        out[idx] = r if inside else exact
    return out


def exact_instance(
    space: SearchSpace, inst: Mapping[str, Any], denominator: int | None = None
) -> dict[str, Any]:
    """An instance with every moving field exact (Fractions), its invariant holding exactly.

    Fields that are not in ``space`` (prepared by the check) are dropped: the check recomputes them.
    """
    out: dict[str, Any] = {}
    for f in space.fields:
        v = np.asarray(inst[f.name])
        out[f.name] = v if f.kind == FROZEN else exact_field(f, v, denominator)
    return out


def float_instance(inst: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Float64 copy of an instance that may hold Fractions (integers stay integers)."""
    out = {}
    for k, v in inst.items():
        arr = np.asarray(v)
        out[k] = np.vectorize(float, otypes=[float])(arr) if arr.dtype == object else arr
    return out
