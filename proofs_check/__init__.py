"""proofs_check: compiled numeric checks, search and certification for the statements in ``theory``.

Stages, one module each: instances -> observables -> checks -> (search) -> certify -> report; the
CLI is ``proofs-check`` (also ``python -m proofs_check``).

The public API is this flat namespace (``__all__``; loaded lazily, so ``import proofs_check`` is
cheap): :class:`Conjecture` and the instance families, :func:`verify` / :func:`search` /
:func:`certify_instance`, the two array backends ``JAX`` / ``ARB``, and every observable the
built-in statements use (also in :mod:`proofs_check.observables`), e.g. ``hull_distance``,
``gamma_u``, ``gamma_v``.
"""

import importlib as _importlib
from typing import Any as _Any

from proofs_check import interrupt as _interrupt
from proofs_check import profile as _profile  # noqa: F401  (its clock starts at this import)

if _interrupt.cli_is_starting():  # Ctrl-C while JAX imports: one line and exit 130, no traceback
    _interrupt.install()

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)

_PUBLIC = {
    # statements of your own
    "Conjecture": "proofs_check.conjecture",
    "ConjectureError": "proofs_check.conjecture",
    "attention_instances": "proofs_check.conjecture",
    "TOKEN_FAMILIES": "proofs_check.instances",
    "WEIGHT_FAMILIES": "proofs_check.instances",
    "VALUE_FAMILIES": "proofs_check.instances",
    "Statement": "theory.core",
    "Condition": "theory.core",
    "Kind": "theory.core",
    # running them
    "verify": "proofs_check.api",
    "search": "proofs_check",  # the package proofs_check.search, callable as api.search
    "certify_instance": "proofs_check.api",
    "Evidence": "proofs_check.evidence",
    "Counterexample": "proofs_check.evidence",
    "Certificate": "proofs_check.certify",
    # observables, on both backends
    "JAX": "proofs_check.backend",
    "ARB": "proofs_check.backend",
    "Ops": "proofs_check.backend",
    **{
        name: "proofs_check.observables"
        for name in (
            "attention",
            "causal_mask",
            "diag_cost",
            "sink_cost",
            "sink_lp_margin",
            "scores",
            "sink_margins",
            "SolverObservable",
            "gamma_u",
            "gamma_v",
            "hull_distance",
        )
    },
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> _Any:
    if name == "search":
        return _importlib.import_module("proofs_check.search")
    if name in _PUBLIC:
        return getattr(_importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'proofs_check' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
