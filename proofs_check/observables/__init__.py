r"""Observables: functions ``f(ops, ...)`` written once for float64 (JAX or NumPy) and ``arb`` balls.

The public ones, importable from here (and from ``proofs_check``):

* attention: :func:`scores` ``X W X^T``, :func:`attention` (row softmax, optionally causal),
  :func:`causal_mask`, :func:`sink_margins` ``min_{j != s}(s_is - s_ij)`` per row;
* solver-defined (:mod:`.solved`, :mod:`.sink_lp`, :mod:`.cost_observables`):
  :func:`hull_distance` (distance from 0 to the convex hull of the rows of ``P``),
  :func:`gamma_u`, :func:`gamma_v`, :func:`sink_lp_margin` (the optimum of T1.b's LP (iii)),
  :func:`sink_cost` / :func:`diag_cost` (T4's convex programs) -- a float value with the
  solver's tolerance in float64, a proven enclosure (exact where it can be) when certifying.
"""

from __future__ import annotations

import importlib
from typing import Any

# eager: the module ``attention`` and the function ``attention`` share a name, and only a binding
# made here, after the submodule is imported, keeps the function on the package
from proofs_check.observables.attention import attention, causal_mask, scores, sink_margins
from proofs_check.observables.solved import SolverObservable, gamma_u, gamma_v, hull_distance

# lazy: the conic programs import cvxpy (a second or two), only when a cost is asked for
_LAZY = {
    "diag_cost": "proofs_check.observables.cost_observables",
    "sink_cost": "proofs_check.observables.cost_observables",
    "sink_lp_margin": "proofs_check.observables.sink_lp",
}

__all__ = [
    "SolverObservable",
    "attention",
    "causal_mask",
    "diag_cost",
    "gamma_u",
    "gamma_v",
    "hull_distance",
    "scores",
    "sink_cost",
    "sink_lp_margin",
    "sink_margins",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'proofs_check.observables' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
