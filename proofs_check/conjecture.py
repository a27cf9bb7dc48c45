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
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import sympy as sp

from proofs_check import interrupt
from proofs_check.checks.engine import Instance, RelationCheck
from theory.core import Condition, Kind, Statement
from theory.domain import Domain, DomainError

DEFAULT_SHAPES = ((2, 2), (3, 2), (4, 3), (8, 8), (16, 4), (32, 16))
SUPPORTED_RELATIONS = (
    sp.GreaterThan,
    sp.StrictGreaterThan,
    sp.LessThan,
    sp.StrictLessThan,
    sp.Equality,
)
RELATIONS_TEXT = "sp.Ge, sp.Gt, sp.Le, sp.Lt or sp.Eq"
MAX_SIDE = 4096  # the largest n or d a shape may ask for


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
        if isinstance(names, str) or not names:
            raise ConjectureError(
                f"families must be a non-empty list of names; known: {', '.join(known)}"
            )
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

    ``instances(rng, n, d, batch)`` draws a batch (a dict of NumPy arrays of real numbers, leading
    axis the batch); ``quantities(instance, ops)`` returns a dict from symbol names to per-case
    values (a scalar, or one value per case ``(k,)``). ``expect`` is ``"HOLDS"`` (the default: a
    refutation fails the run) or ``"REFUTED"``. Every field is checked when the file loads
    (:meth:`validate`); the sampler's output and the quantities are checked on every batch.
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
    domain: Domain | None = None  # typed fields and sizes (theory.domain), e.g. n >= 9

    def validate(self) -> None:
        """Raise :class:`ConjectureError` naming the first field that the engine cannot use."""
        if not isinstance(self.name, str) or not self.name.strip() or "::" in self.name:
            raise ConjectureError(
                f"name must be a non-empty string without '::', not {self.name!r}"
            )
        who = self.name
        _check_relation(who, "conclusion", self.conclusion)
        hyps = self.hypotheses
        if isinstance(hyps, (sp.Basic, str)) or not isinstance(hyps, Sequence):
            raise ConjectureError(
                f"{who}: hypotheses must be a list of relations ({RELATIONS_TEXT}), "
                f"not {type(hyps).__name__}"
            )
        for k, h in enumerate(hyps):
            _check_relation(who, f"hypotheses[{k}]", h)
        for label, fn in (("quantities", self.quantities), ("instances", self.instances)):
            if not callable(fn):
                raise ConjectureError(f"{who}: {label} must be a function, not {type(fn).__name__}")
        if not isinstance(self.title, str):
            raise ConjectureError(f"{who}: title must be a string")
        if self.expect not in ("HOLDS", "REFUTED"):
            raise ConjectureError(
                f"{who}: expect must be 'HOLDS' or 'REFUTED', not {self.expect!r}"
            )
        if not _is_int(self.min_met) or self.min_met < 1:
            raise ConjectureError(
                f"{who}: min_met must be an integer >= 1 (instances that must meet the "
                f"hypotheses), not {self.min_met!r}"
            )
        _check_shapes(who, self.shapes)
        if self.domain is not None:
            if not isinstance(self.domain, Domain):
                raise ConjectureError(
                    f"{who}: domain must be a theory.domain.Domain, not {type(self.domain).__name__}"
                )
            try:
                self.domain.admitted_shapes(tuple(tuple(s) for s in self.shapes), who)
            except DomainError as exc:
                raise ConjectureError(str(exc)) from None

    def check(self, source: str) -> RelationCheck:
        """The compiled check; its id is ``SOURCE::NAME``."""
        return self.compile(source)

    def compile(self, label: str, path: Path | None = None, target: str = "") -> ConjectureCheck:
        """The validated, compiled check, id ``LABEL::NAME``; ``path`` (the file it came from) is
        recorded with its saved counterexamples, ``target`` (as typed) in its snippets."""
        self.validate()
        statement = Statement(
            id=f"{label}::{self.name}",
            name=self.name,
            title=self.title or str(self.conclusion),
            kind=Kind.THEOREM if self.expect == "HOLDS" else Kind.CONTROL,
            claim="user",
            hypotheses=tuple(Condition(str(h), h) for h in self.hypotheses),
            conclusions=(Condition(str(self.conclusion), self.conclusion),),
            proof=self.proof,
        )
        needs = _needed_symbols(self.conclusion, tuple(self.hypotheses))
        return ConjectureCheck(
            statement,
            CheckedSampler(self.name, self.instances),
            CheckedQuantities(self.name, self.quantities, needs),
            self._shapes(),
            family_label=_family_label,
            min_met=int(self.min_met),
            source=f"{path.resolve()}::{self.name}" if path is not None else "",
            target=target,
            domain=self.domain,
        )

    def _shapes(self) -> tuple[tuple[int, int], ...]:
        """The declared shapes that the domain's sizes admit (all of them without a domain)."""
        shapes = tuple((int(n), int(d)) for n, d in self.shapes)
        return shapes if self.domain is None else self.domain.admitted_shapes(shapes, self.name)


@dataclass(frozen=True)
class ConjectureCheck(RelationCheck):
    """A user conjecture's check: a :class:`RelationCheck` that also knows where it came from.

    ``source`` is ``ABSOLUTE_PATH::NAME`` (recorded in the database, so that ``replay`` can load it
    again from any directory); ``target`` is the ``FILE.py::NAME`` as the user typed it."""

    source: str = ""
    target: str = ""


# ----------------------------------------------------------------------------------------------
# Validation of the fields (at load) and of what user code returns (every batch)
# ----------------------------------------------------------------------------------------------


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _check_relation(who: str, label: str, rel: Any) -> None:
    if isinstance(rel, (sp.logic.boolalg.BooleanAtom, bool)):
        raise ConjectureError(
            f"{who}: {label} evaluated to {rel} before any instance was seen; write it between "
            f"symbols, e.g. sp.Ge(q, 0)"
        )
    if not isinstance(rel, SUPPORTED_RELATIONS):
        kind = type(rel).__name__
        raise ConjectureError(
            f"{who}: {label} must be a SymPy relation {RELATIONS_TEXT}, not {kind}"
            + (" (sp.Ne is not supported)" if isinstance(rel, sp.Unequality) else "")
        )
    if not rel.free_symbols:
        raise ConjectureError(f"{who}: {label} {rel} has no symbols, so no instance can change it")


def _check_shapes(who: str, shapes: Any) -> None:
    expected = f"a non-empty list of (n, d) pairs of integers in 1..{MAX_SIDE}"
    if isinstance(shapes, (str, bytes)) or not isinstance(shapes, Iterable):
        raise ConjectureError(f"{who}: shapes must be {expected}, not {type(shapes).__name__}")
    shapes = list(shapes)
    if not shapes:
        raise ConjectureError(f"{who}: shapes must be {expected}, not empty")
    for s in shapes:
        ok = (
            isinstance(s, Sequence)
            and not isinstance(s, str)
            and len(s) == 2
            and all(_is_int(v) and 1 <= v <= MAX_SIDE for v in s)
        )
        if not ok:
            raise ConjectureError(f"{who}: shapes must be {expected}; {s!r} is not")


def _needed_symbols(conclusion: sp.Rel, hypotheses: tuple[sp.Rel, ...]) -> tuple[str, ...]:
    names: set[str] = {s.name for s in conclusion.free_symbols}
    for h in hypotheses:
        names |= {s.name for s in h.free_symbols}
    return tuple(sorted(names))


def _user_call(who: str, label: str, fn: Callable[..., Any], *args: Any) -> Any:
    """Call user code; ``SystemExit`` / ``KeyboardInterrupt`` from it become a ConjectureError (so
    that only this statement is an ERROR), see :func:`is_users_own`."""
    try:
        return fn(*args)
    except (SystemExit, KeyboardInterrupt) as exc:
        if not is_users_own(exc):
            raise
        raise ConjectureError(
            f"{who}: {label} raised {type(exc).__name__}({_short(exc)}); user code may not end the run"
        ) from None


def is_users_own(exc: BaseException) -> bool:
    """A ``SystemExit`` is always the code's own; a ``KeyboardInterrupt`` too while SIGINT is
    handled by :mod:`proofs_check.interrupt` or ignored (a real Ctrl-C then never raises)."""
    if isinstance(exc, KeyboardInterrupt):
        return interrupt.installed()
    return isinstance(exc, SystemExit)


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) <= 40 else text[:37] + "..."


def _dtype_kind(value: Any) -> str:
    """``f``/``i``/``u``/``b``/``c``/``O``... of a value (tracer, array, scalar, list)."""
    if isinstance(value, (bool, np.bool_)):
        return "b"
    if isinstance(value, complex):
        return "c"
    if isinstance(value, (int, float)):
        return "f"
    dtype = getattr(value, "dtype", None)
    if dtype is not None:
        return np.dtype(dtype).kind
    try:
        return np.asarray(value).dtype.kind
    except Exception:
        return "O"


_KIND_WORDS = {
    "b": "boolean",
    "c": "complex",
    "U": "text",
    "S": "bytes",
    "M": "a date",
    "m": "a time",
}


@dataclass(frozen=True)
class CheckedSampler:
    """A user's ``instances(rng, n, d, batch)``, its output checked on every call: a non-empty dict of
    real float or integer arrays whose first axis is the batch."""

    who: str
    instances: Callable[[np.random.Generator, int, int, int], Instance]

    def __call__(self, rng: np.random.Generator, n: int, d: int, batch: int) -> Instance:
        out = _user_call(self.who, "instances", self.instances, rng, n, d, batch)
        return check_batch(self.who, out, batch)


def check_batch(who: str, out: Any, batch: int) -> Instance:
    """The sampler's output as a dict of NumPy arrays, or a ConjectureError naming the field."""
    where = f"{who}: instances(rng, n, d, batch)"
    if not isinstance(out, Mapping) or not out:
        raise ConjectureError(
            f"{where} must return a non-empty dict of arrays, not {type(out).__name__}"
        )
    checked: Instance = {}
    for key, value in out.items():
        if not isinstance(key, str):
            raise ConjectureError(f"{where}: field names must be strings, not {key!r}")
        try:
            arr = np.asarray(value)
        except Exception as exc:
            raise ConjectureError(f"{where}: field {key!r} is not an array ({exc})") from None
        kind = arr.dtype.kind
        if kind == "b":
            raise ConjectureError(
                f"{where}: field {key!r} is boolean; expected real float or integer numbers "
                f"(store a mask as 0/1 integers)"
            )
        if kind not in "fiu":
            what = _KIND_WORDS.get(kind, f"of dtype {arr.dtype}")
            raise ConjectureError(
                f"{where}: field {key!r} is {what}; expected real float or integer numbers"
            )
        if arr.ndim == 0 or arr.shape[0] != batch:
            raise ConjectureError(
                f"{where}: field {key!r} has shape {arr.shape}; expected the batch first, "
                f"({batch}, ...)"
            )
        checked[key] = arr
    return checked


@dataclass(frozen=True)
class CheckedQuantities:
    """A user's ``quantities(instance, ops)``, its output checked on every call: a dict with a real
    value (a scalar, or one per case ``(k,)``, the same ``k`` for all) for every symbol the
    conclusion and the hypotheses use (other entries are dropped, unchecked)."""

    who: str
    quantities: Callable[[Instance, Any], dict[str, Any]]
    needs: tuple[str, ...]

    def __call__(self, inst: Instance, ops: Any) -> dict[str, Any]:
        out = _user_call(self.who, "quantities", self.quantities, inst, ops)
        return check_quantities(self.who, out, inst, self.needs)


def check_quantities(
    who: str, out: Any, inst: Mapping[str, Any], needs: tuple[str, ...]
) -> dict[str, Any]:
    where = f"{who}: quantities(instance, ops)"
    if not isinstance(out, Mapping):
        raise ConjectureError(
            f"{where} must return a dict {{symbol name: value}}, not {type(out).__name__}"
        )
    values: dict[str, Any] = {}
    for key, value in out.items():
        name = key.name if isinstance(key, sp.Symbol) else key
        if not isinstance(name, str):
            raise ConjectureError(f"{where}: keys must be symbol names, not {key!r}")
        values[name] = value
    scalars = {k for k, v in inst.items() if np.ndim(v) == 0}
    missing = [s for s in needs if s not in values and s not in scalars]
    if missing:
        given = ", ".join(sorted(values)) or "nothing"
        raise ConjectureError(
            f"{where} gave no value for symbol {missing[0]!r}; the conclusion and hypotheses "
            f"need {', '.join(needs)}; it gave {given}"
        )
    lengths = {}
    for name in needs:
        if name not in values:
            continue
        value = values[name]
        kind = _dtype_kind(value)
        if kind in "bc" or kind not in "fiuO":
            what = _KIND_WORDS.get(kind, f"of dtype {kind!r}")
            raise ConjectureError(
                f"{where}: {name!r} is {what}; expected real float or integer values"
            )
        shape = tuple(np.shape(value)) if kind != "O" or hasattr(value, "shape") else ()
        if len(shape) > 1:
            raise ConjectureError(
                f"{where}: {name!r} has shape {shape}; expected a scalar or one value per case (k,)"
            )
        if len(shape) == 1:
            lengths[name] = shape[0]
    if len(set(lengths.values()) - {1}) > 1:
        text = ", ".join(f"{k}: ({v},)" for k, v in sorted(lengths.items()))
        raise ConjectureError(
            f"{where}: the per-case values have different lengths ({text}); expected one value "
            f"per case, the same number of cases for every symbol"
        )
    return {k: v for k, v in values.items() if k in needs}  # the others are never looked at


def _family_label(inst: Instance) -> str:
    if "token_family" in inst and "weight_family" in inst:
        from proofs_check.checks.sinks import attention_family

        return attention_family(inst)
    return "user"


# ----------------------------------------------------------------------------------------------
# Loading files
# ----------------------------------------------------------------------------------------------


def is_conjecture_target(target: str) -> bool:
    return target.endswith(".py") or ".py::" in target


def _import(path: Path, shown: str) -> Any:
    """Execute a conjecture file as a module (its directory on ``sys.path``, so that it can import
    a helper module beside it); anything it raises, ``SystemExit`` included, is one line."""
    resolved = path.resolve()
    module_name = f"_user_conjecture_{abs(hash(resolved))}"
    spec = importlib.util.spec_from_file_location(module_name, resolved)
    if spec is None or spec.loader is None:
        raise ConjectureError(f"cannot import {shown} (not a Python file?)")
    folder = str(resolved.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException as exc:  # the user's code: report it in one line, whatever it raised
        sys.modules.pop(module_name, None)
        if not isinstance(exc, Exception) and not is_users_own(exc):
            raise
        text = str(exc).splitlines()[0] if str(exc) else ""
        raise ConjectureError(f"importing {shown} failed: {type(exc).__name__}: {text}") from None
    return module


def _conjectures_in(module: Any, shown: str, name: str) -> list[Conjecture]:
    defined: dict[int, tuple[str, Conjecture]] = {}
    for var, value in vars(module).items():
        if isinstance(value, Conjecture) and id(value) not in defined:
            defined[id(value)] = (var, value)
    by_name: dict[str, list[str]] = {}
    for var, c in defined.values():
        if isinstance(c.name, str):
            by_name.setdefault(c.name, []).append(var)
    for cname, variables in by_name.items():
        if len(variables) > 1:
            raise ConjectureError(
                f"{shown}: {len(variables)} Conjectures are named {cname!r} "
                f"({', '.join(variables)}); give each a unique name"
            )
    found = [c for _, c in defined.values()]
    if name:
        obj = getattr(module, name, None)
        found = [obj] if isinstance(obj, Conjecture) else [c for c in found if c.name == name][:1]
        if not found:
            raise ConjectureError(f"{shown} has no Conjecture named {name!r}")
    elif not found:
        raise ConjectureError(f"{shown} defines no Conjecture")
    return found


def _split(target: str) -> tuple[Path, str, str]:
    path_text, _, name = target.partition("::")
    path = Path(path_text)
    if not path_text or not path.is_file():
        raise ConjectureError(f"conjecture file not found: {path_text!r}")
    return path, path_text, name


def load_conjectures(
    target: str, label: str | None = None, module: Any = None
) -> list[ConjectureCheck]:
    """``FILE.py`` (every Conjecture in it) or ``FILE.py::NAME`` -> compiled checks, with ids
    ``LABEL::NAME`` (``LABEL`` defaults to the file's name)."""
    path, path_text, name = _split(target)
    module = module if module is not None else _import(path, path_text)
    return [
        c.compile(label or path.name, path, f"{path_text}::{c.name}")
        for c in _conjectures_in(module, path_text, name)
    ]


def load_targets(targets: Sequence[str]) -> dict[str, list[ConjectureCheck]]:
    """The checks of every conjecture target, each file imported once; ids are ``FILE.py::NAME``,
    qualified by the file's path (relative to the working directory) when two different files
    share a name. The same conjecture named twice is checked once."""
    files: dict[str, tuple[Path, str]] = {}
    for t in targets:
        if is_conjecture_target(t):
            path, path_text, _ = _split(t)
            files[t] = (path.resolve(), path_text)
    same_name: dict[str, set[Path]] = {}
    for resolved, _ in files.values():
        same_name.setdefault(resolved.name, set()).add(resolved)
    modules: dict[Path, Any] = {}
    out: dict[str, list[ConjectureCheck]] = {}
    seen: set[str] = set()
    for t, (resolved, path_text) in files.items():
        if resolved not in modules:
            modules[resolved] = _import(resolved, path_text)
        label = resolved.name
        if len(same_name[resolved.name]) > 1:
            label = os.path.relpath(resolved)
        checks = [
            c for c in load_conjectures(t, label, modules[resolved]) if c.statement.id not in seen
        ]
        seen |= {c.statement.id for c in checks}
        out[t] = checks
    return out
