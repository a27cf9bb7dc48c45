r"""Mutants: false variants generated automatically from every SymPy statement, to measure the search.

From each theorem checked by a relation check, four operators (THEOREM kinds only: a control is
already false):

* ``const``  -- each numeric constant of a relation (not an exponent) scaled by ``1 + 1/10`` or
  ``1 - 1/10``, whichever makes the statement *stronger* on sampled instances (the conclusion's
  slack drops, or a hypothesis' slack rises -- a looser hypothesis);
* ``margin`` -- a conclusion ``big >= small`` strengthened to hold with relative room 1/10:
  ``big - small >= (|big| + |small|)/10``;
* ``drop``   -- one relational hypothesis (or per-conclusion ``given``) removed (and, where the
  sampler builds that hypothesis into its instances, sampled without it: ``sampler.relaxed``);
* ``flip``   -- an inequality conclusion reversed (``big >= small`` becomes ``big <= small``).

A mutant is a new :class:`~theory.core.Statement` (kind CONTROL, ``mirrors`` the theorem) checked
by the theorem's own relation check with the statement swapped (same sampler, observables,
certifier). Its id is ``<theorem id>~<operator>:<detail>``. ``proofs-check mutate`` searches every
mutant; *killed* means a certified counterexample. A mutant may be true (a constant that has room,
a hypothesis that is implied by the others): survivors are listed, not failed -- but every mutant
known to be false (tests/test_mutate.py holds a witness for each) must be killed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import sympy as sp

from proofs_check.checks.engine import RelationCheck, sympy_relations_of
from proofs_check.instances import rng_for
from proofs_check.search.adversary import relation_check_of
from proofs_check.search.numeric import FLOAT, case_environment, oriented, relation_slack
from theory.core import Condition, Kind, Statement

FACTOR = sp.Rational(1, 10)
PROBE_SHAPES = 2
PROBE_BATCH = 16


@dataclass(frozen=True)
class Mutant:
    """A false-by-construction candidate: a statement and the relation check that tests it."""

    id: str
    parent: str
    operator: str  # const | margin | drop | flip
    description: str
    check: RelationCheck

    @property
    def statement(self) -> Statement:
        return self.check.statement


# ----------------------------------------------------------------------------------------------
# SymPy surgery
# ----------------------------------------------------------------------------------------------


def _constant_count(expr: sp.Expr) -> int:
    if isinstance(expr, sp.Number):
        return 0 if expr == 0 else 1
    if isinstance(expr, sp.Pow):
        return _constant_count(expr.base)
    return sum(_constant_count(a) for a in expr.args)


def _scale_constant(expr: sp.Expr, target: int, factor: sp.Expr) -> sp.Expr:
    """``expr`` with its ``target``-th numeric constant (preorder, exponents skipped) times ``factor``."""
    counter = [0]

    def walk(e: sp.Expr) -> sp.Expr:
        if isinstance(e, sp.Number):
            if e == 0:
                return e
            hit = counter[0] == target
            counter[0] += 1
            return e * factor if hit else e
        if isinstance(e, sp.Pow):
            return sp.Pow(walk(e.base), e.exp)
        if not e.args:
            return e
        return e.func(*[walk(a) for a in e.args])

    return walk(expr)


def _with_constant_scaled(rel: sp.Rel, target: int, factor: sp.Expr) -> sp.Rel:
    left = _constant_count(rel.lhs)
    if target < left:
        return rel.func(_scale_constant(rel.lhs, target, factor), rel.rhs, evaluate=False)
    return rel.func(rel.lhs, _scale_constant(rel.rhs, target - left, factor), evaluate=False)


def _constants_of(rel: sp.Rel) -> int:
    return _constant_count(rel.lhs) + _constant_count(rel.rhs)


def strengthened(rel: sp.Rel) -> sp.Rel:
    """``big >= small`` as ``big - small >= (|big| + |small|)/10`` (strict stays strict)."""
    big, small = oriented(rel)
    room = FACTOR * (sp.Abs(big) + sp.Abs(small))
    if isinstance(rel, (sp.StrictGreaterThan, sp.StrictLessThan)):
        return sp.StrictGreaterThan(big - small, room, evaluate=False)
    return sp.GreaterThan(big - small, room, evaluate=False)


def flipped(rel: sp.Rel) -> sp.Rel | None:
    """The reversed inequality (``None`` for an equation)."""
    big, small = oriented(rel)
    if isinstance(rel, sp.Eq):
        return None
    if isinstance(rel, (sp.StrictGreaterThan, sp.StrictLessThan)):
        return sp.StrictLessThan(big, small, evaluate=False)
    return sp.LessThan(big, small, evaluate=False)


# ----------------------------------------------------------------------------------------------
# Which way is "stronger": measured on sampled instances
# ----------------------------------------------------------------------------------------------


@dataclass
class _Probe:
    envs: list[dict[str, np.ndarray]]

    def mean_slack(self, rel: sp.Rel) -> float | None:
        values = []
        for env in self.envs:
            try:
                _, sigma = relation_slack(rel, env, np)
            except Exception:
                return None
            sigma = np.asarray(sigma, dtype=float)
            values.append(sigma[np.isfinite(sigma)])
        allv = np.concatenate(values) if values else np.zeros(0)
        return float(np.mean(allv)) if allv.size else None


def _probe(check: RelationCheck, seed: int = 0) -> _Probe:
    envs = []
    shapes = sorted(check.shapes, key=lambda s: s[0] * s[1])
    picked = [s for s in shapes if s[0] >= 3][:PROBE_SHAPES] or shapes[:PROBE_SHAPES]
    for k, (n, d) in enumerate(picked):
        batch = check.sample(rng_for(seed, f"mutate:{check.statement.id}", k), n, d, PROBE_BATCH)
        for b in range(PROBE_BATCH):
            inst = {key: np.asarray(v[b]) for key, v in batch.items()}
            try:
                if check.prepare is not None:
                    inst.update(check.prepared(inst))
                with np.errstate(all="ignore"):
                    obs = check.observables(inst, FLOAT)
                    obs = {k2: np.asarray(v, dtype=float) for k2, v in obs.items()}
                envs.append(case_environment(obs, inst, np))
            except Exception:
                continue
    return _Probe(envs)


def _stronger_factor(
    probe: _Probe, rel: sp.Rel, target: int, is_hypothesis: bool
) -> sp.Expr | None:
    """``1 +- 1/10``: the one that lowers a conclusion's (raises a hypothesis') mean slack."""
    base = probe.mean_slack(rel)
    if base is None:
        return None
    best, best_gain = None, 0.0
    for factor in (1 + FACTOR, 1 - FACTOR):
        value = probe.mean_slack(_with_constant_scaled(rel, target, factor))
        if value is None:
            continue
        gain = (value - base) if is_hypothesis else (base - value)
        if gain > best_gain + 1e-15:
            best, best_gain = factor, gain
    return best


# ----------------------------------------------------------------------------------------------
# Building the mutants
# ----------------------------------------------------------------------------------------------


def _variant(
    st: Statement, tag: str, hyps: list[sp.Rel], concls: list[tuple[sp.Rel, tuple]]
) -> Statement:
    structural = tuple(c for c in st.hypotheses if c.relation is None)
    return Statement(
        id=f"{st.id}~{tag}",
        name=f"mutant_{st.name}",
        title=f"mutant of {st.id}: {tag}",
        kind=Kind.CONTROL,
        claim=st.claim,
        hypotheses=structural + tuple(Condition(str(h), h) for h in hyps),
        conclusions=tuple(Condition(str(c), c, tuple(g)) for c, g in concls),
        mirrors=st.id,
    )


def mutants_of(check: Any) -> list[Mutant]:
    """Every mutant of one theorem (empty for controls, explore items and non-relation checks)."""
    rc = relation_check_of(check)
    st = check.statement
    if rc is None or st.kind is not Kind.THEOREM:
        return []
    hyps, concls = sympy_relations_of(st)
    out: list[Mutant] = []

    def add(tag: str, operator: str, text: str, h: list, c: list, sample: Any = None) -> None:
        statement = _variant(st, tag, h, c)
        changes = {"statement": statement} | ({"sample": sample} if sample is not None else {})
        out.append(Mutant(statement.id, st.id, operator, text, dataclasses.replace(rc, **changes)))

    probe = _probe(rc)
    for k, (rel, given) in enumerate(concls):
        for t in range(_constants_of(rel)):
            factor = _stronger_factor(probe, rel, t, is_hypothesis=False)
            if factor is not None:
                new = _with_constant_scaled(rel, t, factor)
                add(f"const:c{k}.{t}", "const", f"{rel}  ->  {new}", hyps, [(new, given)])
        flip = flipped(rel)
        if flip is not None:  # an equation has neither room nor a direction
            margin = strengthened(rel)
            add(f"margin:c{k}", "margin", f"{rel}  ->  {margin}", hyps, [(margin, given)])
            add(f"flip:c{k}", "flip", f"{rel}  ->  {flip}", hyps, [(flip, given)])
        for g in range(len(given)):
            rest = tuple(x for j, x in enumerate(given) if j != g)
            add(f"drop:c{k}.g{g}", "drop", f"drop given {given[g]} of {rel}", hyps, [(rel, rest)])
    for k, h in enumerate(hyps):
        others = [x for j, x in enumerate(hyps) if j != k]
        add(f"drop:h{k}", "drop", f"drop hypothesis {h}", others, list(concls), _relaxed(rc, h))
        for t in range(_constants_of(h)):
            factor = _stronger_factor(probe, h, t, is_hypothesis=True)
            if factor is not None:
                new = _with_constant_scaled(h, t, factor)
                add(
                    f"const:h{k}.{t}",
                    "const",
                    f"{h}  ->  {new}",
                    [new if j == k else x for j, x in enumerate(hyps)],
                    list(concls),
                )
    return out


def _relaxed(rc: RelationCheck, hypothesis: sp.Rel) -> Any:
    """The check's sampler without the structure that enforces ``hypothesis``, or ``None``.

    A sampler may build a hypothesis into every instance it draws (``v_s = 0`` as an exact zero
    row of ``V``); the search space keeps such structure fixed, so dropping the hypothesis from the
    statement alone would leave the search unable to leave it. A sampler that knows this exposes
    ``relaxed(hypothesis)``: the same sampler, no longer enforcing it.
    """
    relax = getattr(rc.sample, "relaxed", None)
    return relax(hypothesis) if relax is not None else None


@cache
def all_mutants() -> dict[str, Mutant]:
    """Every mutant of every registered theorem, by id."""
    from proofs_check.checks import registry

    out: dict[str, Mutant] = {}
    for check in registry().values():
        for m in mutants_of(check):
            out[m.id] = m
    return out


def mutant_by_id(mutant_id: str) -> Mutant | None:
    """One mutant by id (only the parent theorem's mutants are generated)."""
    from proofs_check.checks import registry

    parent = mutant_id.split("~", 1)[0]
    check = registry().get(parent)
    if check is None:
        return None
    return next((m for m in mutants_of(check) if m.id == mutant_id), None)
