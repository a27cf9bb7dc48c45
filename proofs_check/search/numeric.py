r"""A statement's relations on one instance in float64 for the search: the NumPy oracle.

* the **float oracle** of the shrinker and of the baselines: NumPy float64 on one instance, no
  compilation (a new shape costs nothing), via :data:`FLOAT`, an :class:`~proofs_check.backend.Ops`
  whose reductions are NumPy's (it answers to the name ``"jax"`` because observables branch on
  ``ops.name != "jax"`` for ball arithmetic only). Observables that need JAX itself (``lax.scan``)
  fall back to the same evaluation jitted by JAX;
* the **adversary's objective** (JAX, traced, vmapped).

Both read the relations through the one evaluator,
:func:`proofs_check.checks.relations.evaluate_cases` (slacks, sides, the penalised score).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from proofs_check.backend import Ops
from proofs_check.checks.relations import (
    case_environment,
    evaluate_cases,
    oriented,
    relation_slack,
)
from proofs_check.perturb import perturbed_observables
from theory.core import Statement

__all__ = ["FLOAT", "case_environment", "case_slacks", "float_oracle", "oriented", "relation_slack"]


@dataclass(frozen=True)
class FloatOps(Ops):
    """:class:`Ops` on NumPy float64 arrays (the JAX semantics, without tracing or compiling)."""

    def masked_min(self, a: Any, mask: Any, axis: int = -1) -> Any:
        return np.min(np.where(mask, a, np.inf), axis=axis)

    def masked_max(self, a: Any, mask: Any, axis: int = -1) -> Any:
        return np.max(np.where(mask, a, -np.inf), axis=axis)

    def masked_logsumexp(self, a: Any, mask: Any, axis: int = -1) -> Any:
        shifted = np.where(mask, a, -np.inf)
        top = np.max(shifted, axis=axis, keepdims=True)
        top = np.where(np.isfinite(top), top, 0.0)
        with np.errstate(divide="ignore"):
            total = np.log(np.sum(np.exp(shifted - top), axis=axis, keepdims=True)) + top
        return np.squeeze(total, axis=axis)

    def min(self, a: Any, axis: int = -1) -> Any:
        return np.min(a, axis=axis)

    def max(self, a: Any, axis: int = -1) -> Any:
        return np.max(a, axis=axis)

    def softmax(self, scores: Any, mask: Any | None = None) -> Any:
        scores = np.asarray(scores, dtype=float)
        if mask is not None:
            scores = np.where(mask, scores, -np.inf)
        top = np.max(scores, axis=-1, keepdims=True)
        e = np.exp(scores - np.where(np.isfinite(top), top, 0.0))
        return e / e.sum(axis=-1, keepdims=True)

    def norm(self, v: Any, axis: int = -1) -> Any:
        return np.sqrt(np.sum(v * v, axis=axis))


FLOAT = FloatOps("jax", np)


def case_slacks(statement: Statement, obs: Mapping[str, Any], inst: Mapping[str, Any], xp: Any):
    """Per case: ``met``, ``slack`` (worst conclusion sigma where met, else inf), ``violated``
    (met and a conclusion fails by more than rounding: a candidate), ``score`` (the adversary's
    penalised objective) -- the search's reading of :func:`evaluate_cases`."""
    out = evaluate_cases(statement, obs, inst, xp)
    kept = {"rounding_scale": out["rounding_scale"]} if "rounding_scale" in out else {}
    return {
        **kept,
        "met": out["met"],
        "slack": out["case_slack"],
        "violated": out["violated_clear"],
        "score": out["score"],
        "raw": out["raw_min"],
    }


@dataclass(frozen=True)
class OracleResult:
    """The float64 verdict on one instance: its worst case and whether some case is violated."""

    violated: bool
    case: int  # the most violated case (or the tightest met one)
    slack: float  # its scale-free slack (inf when no case meets the hypotheses)
    raw: float = 0.0  # its ``big - small``
    rounding_scale: float | None = None  # the instance's ``rounding_scale`` (field or observable)


def _jax_only_errors() -> tuple[type[Exception], ...]:
    import jax

    return (
        jax.errors.TracerArrayConversionError,
        jax.errors.ConcretizationTypeError,
        jax.errors.TracerBoolConversionError,
        jax.errors.TracerIntegerConversionError,
    )


_JAX_ONLY_ERRORS = _jax_only_errors()
_NEEDS_JAX: dict[int, tuple[Any, dict[str, Any]]] = {}  # id(check) -> (check, its compiled oracles)


def _jax_oracle(check: Any, inst: dict[str, Any]) -> dict[str, Any]:
    """The same evaluation traced by JAX and compiled (for observables that need JAX itself, e.g.
    ``lax.scan`` over layers): once per instance shape, kept in the program store."""
    import jax
    import jax.numpy as jnp

    from proofs_check import compile_cache
    from proofs_check.backend import JAX

    entry = _NEEDS_JAX.setdefault(id(check), (check, {}))
    key = compile_cache.signature((inst,))
    if key not in entry[1]:

        def run(inst: dict[str, Any]) -> dict[str, Any]:
            return case_slacks(
                check.statement, perturbed_observables(check.observables, inst, JAX), inst, jnp
            )

        name = compile_cache.builtin_program(check, "oracle")
        entry[1][key] = compile_cache.compiled(jax.jit(run), (inst,), name)
    return entry[1][key](inst)


def float_oracle(check: Any, inst: Mapping[str, Any]) -> OracleResult:
    """Evaluate ``check``'s relations on one instance in float64 (``prepare`` included): NumPy
    (:data:`FLOAT`) when the observables run on it, else the same code jitted by JAX."""
    inst = {k: np.asarray(v) for k, v in inst.items()}
    if check.prepare is not None:
        inst.update(check.prepared(inst))
    out = None
    if id(check) not in _NEEDS_JAX:
        try:
            with np.errstate(all="ignore"):
                obs = perturbed_observables(check.observables, inst, FLOAT)
                obs = {k: np.asarray(v, dtype=float) for k, v in obs.items()}
                out = case_slacks(check.statement, obs, inst, np)
        except _JAX_ONLY_ERRORS:  # the observables trace with JAX (lax.scan, ...): jit them
            out = None
    if out is None:
        out = {k: np.asarray(v) for k, v in _jax_oracle(check, inst).items()}
    slack = np.asarray(out["slack"], dtype=float)
    violated = np.asarray(out["violated"], dtype=bool)
    raw = np.broadcast_to(np.asarray(out["raw"], dtype=float), slack.shape)
    scale = out.get("rounding_scale", inst.get("rounding_scale"))
    scale = None if scale is None else float(np.ravel(scale)[0])
    if violated.any():
        k = int(np.argmin(np.where(violated, slack, np.inf)))
        return OracleResult(True, k, float(slack[k]), float(raw[k]), scale)
    k = int(np.argmin(slack))
    return OracleResult(False, k, float(slack[k]), float(raw[k]), scale)
