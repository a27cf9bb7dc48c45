r"""Adversarial counterexample search: parametrised hypothesis sets, batched gradient search,
shrinking, a counterexample database, mutants, and sharding across devices.

Stages, one module each:

* :mod:`.space`     -- the hypothesis set of a statement as unconstrained parameters (PSD matrices,
  stochastic rows, unit rows, intervals, exact zeros kept), inferred from the check's own sampler;
* :mod:`.axes`      -- which axes of an instance are tokens or width, which integers index tokens;
* :mod:`.numeric`   -- the statement's relations on one instance in NumPy float64 (no compilation),
  and the per-case penalised violation shared with the JAX objective;
* :mod:`.adversary` -- many restarts in one vmapped, jitted Adam loop (optax), sharded over devices;
* :mod:`.shrink`    -- fewer tokens, smaller width, simple rationals, while it still violates;
* :mod:`.database`  -- certified counterexamples, one JSON file each, replayed first;
* :mod:`.replay`    -- re-certifying a saved instance (every check's ``certify_saved``);
* :mod:`.driver`    -- ``search`` (budgeted rounds) and the short adversarial phase of ``verify``;
* :mod:`.mutate`    -- mutants of every SymPy statement and their kill report.
"""

import sys
import types
from typing import Any


class _CallableModule(types.ModuleType):
    """``proofs_check.search`` is this package *and* the function :func:`proofs_check.api.search`:
    the package's name is the public API's name, and an import of a submodule would otherwise
    replace the function by the package on ``proofs_check``."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from proofs_check.api import search

        return search(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule


def resolve_check(statement_id: str) -> Any:
    """The check of a registered statement or of a mutant (``T1.a~flip:c0``); ``KeyError`` if none."""
    from proofs_check.checks import registry

    known = registry()
    if statement_id in known:
        return known[statement_id]
    if "~" in statement_id:
        from proofs_check.search.mutate import mutant_by_id

        mutant = mutant_by_id(statement_id)
        if mutant is not None:
            return mutant.check
    raise KeyError(statement_id)


def certify_instance(statement_id: str, instance: dict[str, Any], case: int = 0) -> Any:
    """Re-certify one exact instance of a statement (what a printed counterexample snippet calls):
    :func:`proofs_check.api.certify_instance`."""
    from proofs_check.api import certify_instance as certify

    return certify(statement_id, instance, case)
