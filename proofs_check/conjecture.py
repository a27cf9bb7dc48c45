r"""User conjectures: a new inequality, checked and certified by the same engine as THEORY.md.

A conjecture lives in the user's own Python file and needs no change to the package::

    import sympy as sp
    from proofs_check.conjecture import Conjecture, attention_instances
    from proofs_check.observables.attention import attention

    rest, n = sp.symbols("rest n")

    def quantities(inst, ops):
        A = attention(ops, inst["X"], inst["W"])
        others = ops.xp.arange(A.shape[0]) != inst["s"]
        return {"rest": ops.xp.where(others[None, :], A, 0 * A).sum(axis=-1), "n": A.shape[0]}

    sink_never_takes_all = Conjecture(
        name="sink_never_takes_all",
        title="1 - A_is >= 1/n^2 in every row",
        conclusion=sp.GreaterThan(rest, 1 / n**2),
        quantities=quantities,
        instances=attention_instances(),
    )

and is run with ``proofs-check verify my_file.py::sink_never_takes_all``. A conjecture may carry
``proof=theory.kernel.Proof((...steps...))`` in the kernel's language (hypotheses, lemmas of
:mod:`theory.lemmas`, rules): the report then says PROVED, or shows the first inference the kernel
refused. ``quantities`` is written
against ``ops`` (``ops.xp`` is ``jax.numpy`` or NumPy over ``arb`` balls), so that a counterexample
is certified in ball arithmetic exactly like ours.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import sympy as sp

from proofs_check.checks.engine import Instance, RelationCheck
from theory.core import Condition, Kind, Statement

DEFAULT_SHAPES = ((2, 2), (3, 2), (4, 3), (8, 8), (16, 4), (32, 16))


class ConjectureError(Exception):
    """A conjecture file or object that cannot be used (one clear line for the user)."""


def attention_instances(
    token_families: Sequence[str] | None = None,
    weight_families: Sequence[str] | None = None,
    with_eps: bool = False,
) -> Callable[[np.random.Generator, int, int, int], Instance]:
    """Our attention instance sampler (tokens ``X``, scores ``W``, sink ``s``, optional ``eps``)."""
    from proofs_check.checks.sinks import AttentionSampler
    from proofs_check.instances import TOKEN_FAMILIES, WEIGHT_FAMILIES

    def indices(names: Sequence[str] | None, known: tuple[str, ...]) -> tuple[int, ...]:
        if names is None:
            return tuple(range(len(known)))
        unknown = [nm for nm in names if nm not in known]
        if unknown:
            raise ConjectureError(f"unknown family {unknown[0]!r}; known: {', '.join(known)}")
        return tuple(known.index(nm) for nm in names)

    return AttentionSampler(
        indices(token_families, TOKEN_FAMILIES),
        indices(weight_families, WEIGHT_FAMILIES),
        with_eps=with_eps,
    )


@dataclass(frozen=True)
class Conjecture:
    """An inequality between quantities of an instance: ``hypotheses => conclusion``.

    ``instances(rng, n, d, batch)`` draws a batch (a dict of NumPy arrays, leading axis the batch);
    ``quantities(instance, ops)`` returns a dict from symbol names to per-case values (rows, ...).
    ``expect`` is ``"HOLDS"`` (the default: a refutation fails the run) or ``"REFUTED"``.
    """

    name: str
    conclusion: sp.Rel
    quantities: Callable[[Instance, Any], dict[str, Any]]
    instances: Callable[[np.random.Generator, int, int, int], Instance]
    hypotheses: Sequence[sp.Rel] = ()
    title: str = ""
    shapes: Sequence[tuple[int, int]] = DEFAULT_SHAPES
    expect: str = "HOLDS"
    min_met: int = 30
    extra: dict[str, Any] = field(default_factory=dict)
    proof: Any = None  # a theory.kernel.Proof of the conclusion from the hypotheses (optional)

    def check(self, source: str) -> RelationCheck:
        if not isinstance(self.conclusion, sp.Rel):
            raise ConjectureError(
                f"{self.name}: conclusion must be a SymPy relation (e.g. sp.Le(a, b))"
            )
        if self.expect not in ("HOLDS", "REFUTED"):
            raise ConjectureError(
                f"{self.name}: expect must be 'HOLDS' or 'REFUTED', not {self.expect!r}"
            )
        statement = Statement(
            id=f"{source}::{self.name}",
            name=self.name,
            title=self.title or str(self.conclusion),
            kind=Kind.THEOREM if self.expect == "HOLDS" else Kind.CONTROL,
            claim="user",
            hypotheses=tuple(Condition(str(h), h) for h in self.hypotheses),
            conclusions=(Condition(str(self.conclusion), self.conclusion),),
            proof=self.proof,
        )
        return RelationCheck(
            statement,
            self.instances,
            self.quantities,
            tuple(tuple(s) for s in self.shapes),
            family_label=_family_label,
            min_met=self.min_met,
        )


def _family_label(inst: Instance) -> str:
    if "token_family" in inst and "weight_family" in inst:
        from proofs_check.checks.sinks import attention_family

        return attention_family(inst)
    return "user"


def load_conjectures(target: str) -> list[RelationCheck]:
    """``FILE.py`` (every Conjecture in it) or ``FILE.py::NAME`` -> compiled checks."""
    path_text, _, name = target.partition("::")
    path = Path(path_text)
    if not path.is_file():
        raise ConjectureError(f"conjecture file not found: {path_text}")
    module_name = f"_user_conjecture_{abs(hash(path.resolve()))}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ConjectureError(f"cannot import {path_text} (not a Python file?)")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # the user's code: report it in one line, whatever it raised
        raise ConjectureError(
            f"importing {path_text} failed: {type(exc).__name__}: {exc}"
        ) from None
    defined = [v for v in vars(module).values() if isinstance(v, Conjecture)]
    if name:
        obj = getattr(module, name, None)
        found = [obj] if isinstance(obj, Conjecture) else [c for c in defined if c.name == name][:1]
        if not found:
            raise ConjectureError(f"{path_text} has no Conjecture named {name!r}")
    else:
        found = defined
        if not found:
            raise ConjectureError(f"{path_text} defines no Conjecture")
    return [c.check(path.name) for c in found]
