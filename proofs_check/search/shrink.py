r"""Shrinking, as in Hypothesis: make a violating instance as simple as possible while it still
violates, then hand it to the certifier.

Moves, each kept only if the float oracle (:func:`.numeric.float_oracle`: the engine's float64
reading, hypotheses included) still finds a violated case:

1. **fewer tokens** -- delete blocks of tokens (halves, quarters, ..., single tokens: delta
   debugging) along every token axis; tokens named by an index field (the sink) are kept and the
   index is renumbered;
2. **smaller width** -- delete blocks of coordinates along every width axis;
3. **simple rationals** -- round every parameter to the smallest denominator in
   ``1, 2, 4, 10, 100, ..., 10^6`` that still violates, first all fields together, then field by
   field, then entry by entry towards integers.

Every candidate is made exact by :func:`.space.exact_instance` (so PSD, stochastic and unit-row
fields satisfy their invariant exactly), and the oracle sees the float value of that exact instance:
what is kept is what will be certified.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from proofs_check.search.axes import AxisRoles
from proofs_check.search.numeric import OracleResult, float_oracle
from proofs_check.search.space import (
    FREE,
    INTERVAL,
    SYMMETRIC,
    OutsideHypotheses,
    SearchSpace,
    exact_instance,
    float_instance,
)

DENOMINATORS = (1, 2, 4, 10, 100, 1000, 10**4, 10**6)
MIN_TOKENS = 2
MIN_WIDTH = 1


@dataclass
class Shrunk:
    """The simplest violating instance found: exact (Fractions) and its float64 image."""

    exact: dict[str, Any]
    floats: dict[str, np.ndarray]
    oracle: OracleResult
    denominator: int | None
    calls: int = 0
    log: list[str] = field(default_factory=list)

    def shape(self, axes: AxisRoles) -> tuple[int, int]:
        """``(n, d)`` of the shrunk instance."""
        return instance_shape(self.floats, axes)


def instance_shape(instance: dict[str, Any], axes: AxisRoles) -> tuple[int, int]:
    """``(n, d)`` of an instance: the length of its token axes and of its width axes."""
    return _length(instance, axes, "token"), _length(instance, axes, "width")


class _Budget:
    def __init__(self, seconds: float, calls: int) -> None:
        self.deadline = time.perf_counter() + seconds
        self.calls_left = calls
        self.calls = 0

    def spend(self) -> bool:
        if self.calls_left <= 0 or time.perf_counter() > self.deadline:
            return False
        self.calls_left -= 1
        self.calls += 1
        return True


def shrink(
    check: Any,
    space: SearchSpace,
    axes: AxisRoles,
    instance: dict[str, Any],
    seconds: float = 3.0,
    max_calls: int = 3000,
) -> Shrunk | None:
    """Shrink a violating float instance; ``None`` if its exact version does not violate."""
    budget = _Budget(seconds, max_calls)
    oracle = _oracle(check)
    start = exact_instance(space, instance)
    first = oracle(start)
    if first is None or not first.violated:
        return None
    best = Shrunk(start, float_instance(start), first, None)

    def attempt(candidate_floats: dict[str, Any], denominator: int | None) -> bool:
        if not budget.spend():
            return False
        try:
            exact = exact_instance(space, candidate_floats, denominator)
        except (OutsideHypotheses, ZeroDivisionError, ValueError):
            return False  # e.g. the deleted token carried a stochastic row's whole mass
        result = oracle(exact)
        if result is None or not result.violated:
            return False
        best.exact, best.floats, best.oracle = exact, float_instance(exact), result
        best.denominator = denominator
        return True

    sizes = getattr(getattr(check, "domain", None), "sizes", None)
    if axes.can_drop_tokens:
        _drop_blocks(best, axes, "token", attempt, sizes.n_min if sizes else 1)
    if axes.can_drop_width:
        _drop_blocks(best, axes, "width", attempt, sizes.d_min if sizes else 1)
    _round(best, space, attempt)
    best.calls = budget.calls
    return best


def _oracle(check: Any) -> Callable[[dict[str, Any]], OracleResult | None]:
    def run(exact: dict[str, Any]) -> OracleResult | None:
        try:
            return float_oracle(check, float_instance(exact))
        except Exception:  # an observable undefined on this candidate: not a violation
            return None

    return run


# -- deleting tokens and coordinates ----------------------------------------------------------


def _length(floats: dict[str, Any], axes: AxisRoles, role: str) -> int:
    table = axes.token_axes if role == "token" else axes.width_axes
    for name, ax in table.items():
        if ax and name in floats:
            return int(np.shape(floats[name])[ax[0]])
    return 0


def _delete(
    floats: dict[str, Any], axes: AxisRoles, role: str, drop: list[int]
) -> dict[str, Any] | None:
    table = axes.token_axes if role == "token" else axes.width_axes
    out = {}
    for name, v in floats.items():
        arr = np.asarray(v)
        for ax in table.get(name, ()):
            arr = np.delete(arr, drop, axis=ax)
        out[name] = arr
    if role == "token":
        for name in axes.token_indices:
            idx = int(out[name])
            if idx in drop:
                return None
            out[name] = np.asarray(
                idx - sum(1 for k in drop if k < idx), dtype=np.asarray(floats[name]).dtype
            )
    return out


def _drop_blocks(
    best: Shrunk, axes: AxisRoles, role: str, attempt: Callable, declared_min: int = 1
) -> None:
    """Delete blocks of tokens (or coordinates) while the instance still violates, never below
    the domain's declared ``n_min`` (``d_min``): a bound stated for ``n >= 9`` may hold trivially
    below it."""
    size = _length(best.floats, axes, role)
    floor = max(MIN_TOKENS if role == "token" else MIN_WIDTH, declared_min)
    protected = (
        {int(best.floats[name]) for name in axes.token_indices} if role == "token" else set()
    )
    block = max(1, size // 2)
    while block >= 1 and size > floor:
        start, progressed = 0, False
        while start < size and size > floor:
            drop = [k for k in range(start, min(start + block, size)) if k not in protected]
            if drop and size - len(drop) >= floor:
                candidate = _delete(best.floats, axes, role, drop)
                if candidate is not None and attempt(candidate, best.denominator):
                    best.log.append(f"dropped {role}s {drop[0]}..{drop[-1]}")
                    size = _length(best.floats, axes, role)
                    if role == "token":
                        protected = {int(best.floats[name]) for name in axes.token_indices}
                    progressed = True
                    continue
            start += block
        if not progressed:
            block //= 2


# -- rounding to simple rationals ---------------------------------------------------------------


def _round(best: Shrunk, space: SearchSpace, attempt: Callable) -> None:
    for q in DENOMINATORS:
        if attempt(best.floats, q):
            best.log.append(f"rounded to denominator {q}")
            break
    else:
        return
    for f in _entrywise(space):  # then each field on its own towards integers
        for q in DENOMINATORS:
            if best.denominator is not None and q >= best.denominator:
                break
            candidate = dict(best.floats)
            candidate[f.name] = _rounded(np.asarray(best.floats[f.name]), q)
            if attempt(candidate, best.denominator):
                best.log.append(f"{f.name} rounded to denominator {q}")
                break
    _integer_entries(best, space, attempt)


def _entrywise(space: SearchSpace) -> list[Any]:
    """Fields whose entries are the parameters themselves (PSD, stochastic, unit rows are not)."""
    return [f for f in space.moving if f.kind in (FREE, SYMMETRIC, INTERVAL)]


def _rounded(x: np.ndarray, q: int) -> np.ndarray:
    out = np.empty(x.shape, dtype=float)
    for idx in np.ndindex(x.shape):
        v = Fraction(float(x[idx]))
        r = v.limit_denominator(q)
        out[idx] = float(r) if (r != 0 or v == 0) else float(v)
    return out


def _integer_entries(best: Shrunk, space: SearchSpace, attempt: Callable) -> None:
    """Entry by entry: the nearest integer (small instances only, within the call budget)."""
    for f in _entrywise(space):
        x = np.asarray(best.floats[f.name])
        if x.size > 64:
            continue
        for idx in np.ndindex(x.shape):
            v = float(np.asarray(best.floats[f.name])[idx])
            target = float(round(v))
            if target == v or target == 0:
                continue
            candidate = dict(best.floats)
            arr = np.array(best.floats[f.name], dtype=float, copy=True)
            arr[idx] = target
            candidate[f.name] = arr
            attempt(candidate, best.denominator)
