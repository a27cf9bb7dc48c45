r"""Observables: functions ``f(ops, ...)`` written once for float64 (JAX or NumPy) and ``arb`` balls.

The public ones, importable from here (and from ``proofs_check``):

* attention: :func:`scores` ``X W X^T``, :func:`attention` (row softmax, optionally causal),
  :func:`causal_mask`, :func:`sink_margins` ``min_{j != s}(s_is - s_ij)`` per row;
* solver-defined (:mod:`.solved`): :func:`hull_distance` (distance from 0 to the convex hull of
  the rows of ``P``), :func:`gamma_u`, :func:`gamma_v` -- a float value with the solver's
  tolerance in float64, a proven enclosure (exact where it can be) when certifying.
"""

from __future__ import annotations

# eager: the module ``attention`` and the function ``attention`` share a name, and only a binding
# made here, after the submodule is imported, keeps the function on the package
from proofs_check.observables.attention import attention, causal_mask, scores, sink_margins
from proofs_check.observables.solved import SolverObservable, gamma_u, gamma_v, hull_distance

__all__ = [
    "SolverObservable",
    "attention",
    "causal_mask",
    "gamma_u",
    "gamma_v",
    "hull_distance",
    "scores",
    "sink_margins",
]
