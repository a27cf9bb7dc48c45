r"""What may reach a report or a page: numbers and choices that do not depend on the machine.

The same seed must give the same JSON report and the same docs on any machine, CPU and thread
count. Two machines draw the same instances (the samplers use only correctly rounded arithmetic),
but their float64 observables and solver results can differ in the last few bits (other BLAS
kernels, other vector widths, other reduction orders in XLA). So:

* **One rounding rule** for every measured float that is printed or written:
  :func:`stable_float` keeps :data:`SIGNIFICANT` significant digits, and a scale-free slack of
  magnitude below :data:`ROUNDING_LEVEL` (a million float64 ulps) is rounding level and becomes 0
  (pages print it as "≈ 0").
* **Canonical choices**: :func:`canonical_worst` picks the worst of several candidates by value,
  treating values within :data:`TIE_TOLERANCE` (relative) of each other as tied and breaking ties
  by index, never by float64 order.
* **Machine-dependent diagnostics** (timings, counts of rounding-level violations, solver
  accuracies) live under one key, :data:`MACHINE_KEY`, which reproducibility comparisons skip
  (:func:`without_machine_dependent`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

SIGNIFICANT = 4
ROUNDING_LEVEL = 1e-9  # |scale-free slack| below this is rounding level, printed as 0 ("≈ 0")
TIE_TOLERANCE = 1e-9  # relative: values this close are tied (float64 noise is ~1e-16)
MACHINE_KEY = "machine_dependent"

T = TypeVar("T")


def stable_float(x: float | None, digits: int = SIGNIFICANT) -> float | None:
    """``x`` rounded to ``digits`` significant digits (``None``, ``inf`` and ``nan`` pass through)."""
    if x is None:
        return None
    x = float(x)
    if not math.isfinite(x) or x == 0.0:
        return x
    return float(f"{x:.{digits}g}")


def stable_slack(x: float | None) -> float | None:
    """A scale-free slack as written to reports: rounding level becomes 0, the rest 4 digits."""
    if x is None:
        return None
    x = float(x)
    if math.isfinite(x) and abs(x) < ROUNDING_LEVEL:
        return 0.0
    return stable_float(x)


def stable_text(x: float | None) -> str:
    """:func:`stable_slack` as text (``4 significant digits``; rounding level as ``0``)."""
    value = stable_slack(x)
    return "None" if value is None else f"{value:.{SIGNIFICANT}g}"


def stable_tree(obj: Any) -> Any:
    """Every float inside ``obj`` (dicts, lists, tuples) by the one rule of :func:`stable_slack`:
    4 significant digits, magnitudes below :data:`ROUNDING_LEVEL` as 0 (what reports hold are
    scale-free slacks, relative errors and ratios, where that level is float64 rounding)."""
    if isinstance(obj, bool) or obj is None:
        return obj
    if isinstance(obj, float):
        return stable_slack(obj)
    if isinstance(obj, dict):
        return {k: stable_tree(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [stable_tree(v) for v in obj]
    return obj


def decade_bound(x: float) -> str:
    """``"<= 1e-13"``: the least power of ten at or above ``x`` (stable where the digits are not)."""
    x = float(x)
    if not math.isfinite(x):
        return str(x)
    if x <= 0:
        return "0"
    return f"<= 1e{math.ceil(math.log10(x)):d}"


def tied(a: float, b: float) -> bool:
    """``a`` and ``b`` are equal up to :data:`TIE_TOLERANCE` (relative to the larger magnitude)."""
    if a == b:
        return True
    if not (math.isfinite(a) and math.isfinite(b)):
        return False
    return abs(a - b) <= TIE_TOLERANCE * max(abs(a), abs(b), 1e-300)


def canonical_worst(
    items: Sequence[T], value: Callable[[T], float], index: Callable[[T], Any]
) -> list[T]:
    """``items`` ordered worst (smallest value) first, canonically.

    The smallest value ``v0`` is found; every item tied with it (:func:`tied`) comes first, in
    ``index`` order; then the rest, recursively the same way. Two machines whose values differ
    by rounding order the items the same, unless two values differ by about
    :data:`TIE_TOLERANCE` exactly, which the tolerance makes astronomically rare (float64 noise is
    seven orders of magnitude below it).
    """
    ranked = sorted(items, key=lambda it: (value(it), index(it)))
    ordered: list[T] = []
    start = 0
    while start < len(ranked):  # one pass: the items tied with a group's head follow it
        head, end = value(ranked[start]), start + 1
        while end < len(ranked) and tied(value(ranked[end]), head):
            end += 1
        ordered += sorted(ranked[start:end], key=index)
        start = end
    return ordered


def without_machine_dependent(obj: Any) -> Any:
    """``obj`` with every :data:`MACHINE_KEY` entry removed, at any depth."""
    if isinstance(obj, dict):
        return {k: without_machine_dependent(v) for k, v in obj.items() if k != MACHINE_KEY}
    if isinstance(obj, list):
        return [without_machine_dependent(v) for v in obj]
    return obj


def first_difference(a: Iterable[str], b: Iterable[str]) -> tuple[int, str, str] | None:
    """The first differing line ``(line number from 1, line of a, line of b)``, or ``None``."""
    la, lb = list(a), list(b)
    for k in range(max(len(la), len(lb))):
        x = la[k] if k < len(la) else "<end of file>"
        y = lb[k] if k < len(lb) else "<end of file>"
        if x != y:
            return k + 1, x, y
    return None
