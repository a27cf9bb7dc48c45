r"""Kernel proofs of the THEOREMs of THEORY.md, and the proof status of every statement.

Each claim module (``sinks``, ``switch``, ...) lists :class:`TheoremProof` objects: one per
relation conclusion of a theorem, a :class:`~theory.kernel.Proof` whose last fact must be that
conclusion (``goal=None``) or, for a proof carried out on an explicit symbolic instance, the
declared instance relation ``goal`` (``proof.instance`` names the instance). Equivalences decided
per instance (T1.b, T1.c, T1.f) are :class:`ExactPerInstance`: each sampled instance is proved in
ball arithmetic with exact enclosures of its solver-defined observables (the relation check's
``prove_instances``: exact minimum-norm points, exact LP primal/dual and Farkas certificates).

Statuses:

* ``PROVED``: every conclusion has a kernel-accepted general proof, and everything it cites
  (theorems, theorems its lemmas rest on) is PROVED;
* ``PROVED_ON_INSTANCE``: every conclusion is kernel-proved, but some proof is on a symbolic instance
  (or cites such a result), or the theorem is proved per sampled instance by exact certificates;
* ``TESTED``: checked by sampling only.

Adding a proof for a new statement is adding a :class:`TheoremProof` to its claim's list.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

import sympy as sp

from theory.core import Kind, Statement
from theory.kernel import Context, Proof, Refusal, check
from theory.lemmas import LEMMAS

PROVED, PROVED_ON_INSTANCE, TESTED = "PROVED", "PROVED_ON_INSTANCE", "TESTED"
_RANK = {PROVED: 2, PROVED_ON_INSTANCE: 1, TESTED: 0}
PROOF_MODULES = ("sinks", "switch", "smoothing", "costs", "diagonal", "depth")


@dataclass(frozen=True)
class TheoremProof:
    """A proof of conclusion ``index`` of statement ``statement_id``."""

    statement_id: str
    index: int
    proof: Proof
    goal: sp.Basic | None = None  # a declared instance relation (then proof.instance is set)
    goal_text: str = ""


@dataclass(frozen=True)
class ExactPerInstance:
    """T1.b, T1.c, T1.f: proved instance by instance by exact rational certificates."""

    statement_id: str
    mode: str  # "plain" | "causal" | "key_bias"
    lemmas: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class ConclusionStatus:
    index: int
    status: str
    accepted: bool
    instance: str | None
    lemmas: tuple[str, ...]
    theorems: tuple[str, ...]
    refusal: Refusal | None
    proof: TheoremProof | None


@dataclass(frozen=True)
class ProofStatus:
    """The proof status of one statement."""

    statement_id: str
    status: str
    instance: str | None
    lemmas: tuple[str, ...]
    conclusions: tuple[ConclusionStatus, ...] = ()
    exact: ExactPerInstance | None = None
    theorems: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, object]:
        refused = [c.refusal.summary() for c in self.conclusions if c.refusal is not None]
        return {
            "status": self.status,
            "instance": self.instance,
            "lemmas": list(self.lemmas),
            "theorems": list(self.theorems),
            "refused": refused[0] if refused else None,
        }


def registered() -> tuple[list[TheoremProof], list[ExactPerInstance]]:
    proofs: list[TheoremProof] = []
    exact: list[ExactPerInstance] = []
    present = {m.name for m in pkgutil.iter_modules(__path__)}
    for name in PROOF_MODULES:
        if name not in present:
            continue
        mod = importlib.import_module(f"theory.proofs.{name}")
        proofs.extend(getattr(mod, "PROOFS", ()))
        exact.extend(getattr(mod, "EXACT", ()))
    return proofs, exact


def context_for(statement: Statement, index: int, theorems: dict | None = None) -> Context:
    """The hypotheses a proof of conclusion ``index`` may start from."""
    hyps, _ = statement.relations()
    given = statement.conclusions[index].given
    return Context(
        hypotheses=tuple(hyps) + tuple(given),
        settings=tuple(c.text for c in statement.hypotheses),
        lemmas=LEMMAS,
        theorems=theorems or {},
    )


def _goal(statement: Statement, tp: TheoremProof) -> sp.Basic | None:
    if tp.goal is not None:
        return tp.goal
    if tp.index >= len(statement.conclusions):
        return None
    return statement.conclusions[tp.index].relation


def _instance_of(tp: TheoremProof) -> str | None:
    return tp.proof.instance


def _worst(statuses: Iterable[str]) -> str:
    return min(statuses, key=lambda s: _RANK[s], default=TESTED)


def _statements() -> tuple[Statement, ...]:
    from theory import all_statements

    return all_statements()


def evaluate(
    statements: Iterable[Statement],
    proofs: Iterable[TheoremProof],
    exact: Iterable[ExactPerInstance],
) -> dict[str, ProofStatus]:
    """Check every proof with the kernel, in statement order; a theorem's status is its weakest
    conclusion's, and a proof is no stronger than what it cites."""
    by_id: dict[str, list[TheoremProof]] = {}
    for tp in proofs:
        by_id.setdefault(tp.statement_id, []).append(tp)
    exact_by_id = {e.statement_id: e for e in exact}
    accepted: dict[tuple[str, int], tuple[sp.Basic, tuple[sp.Basic, ...]]] = {}
    out: dict[str, ProofStatus] = {}
    statements = tuple(statements)
    for st in _cited_first(statements, by_id):
        if st.kind is not Kind.THEOREM and st.id not in by_id:
            continue
        if st.id in exact_by_id:
            e = exact_by_id[st.id]
            out[st.id] = ProofStatus(
                st.id,
                PROVED_ON_INSTANCE,
                "every sampled instance, by exact rational certificates",
                e.lemmas,
                exact=e,
                theorems=("T1.a",),
            )
            continue
        concl_status: list[ConclusionStatus] = []
        mine = {tp.index: tp for tp in by_id.get(st.id, [])}
        for idx, cond in enumerate(st.conclusions):
            if cond.relation is None and idx not in mine:
                continue
            tp = mine.get(idx)
            if tp is None:
                concl_status.append(ConclusionStatus(idx, TESTED, False, None, (), (), None, None))
                continue
            goal = _goal(st, tp)
            verdict = check(tp.proof, goal, context_for(st, idx, accepted))
            if not verdict.accepted:
                concl_status.append(
                    ConclusionStatus(idx, TESTED, False, None, (), (), verdict.refusal, tp)
                )
                continue
            rests = set(verdict.theorems)
            for lem in verdict.lemmas:
                rests.update(LEMMAS[lem].theorems)
            own = _worst(c.status for c in concl_status) if concl_status else TESTED
            deps = [
                own if t == st.id else out[t].status if t in out else TESTED for t in sorted(rests)
            ]
            instance = _instance_of(tp)
            status = PROVED if instance is None else PROVED_ON_INSTANCE
            dep_inst = [
                t for t in sorted(rests) if t in out and out[t].status == PROVED_ON_INSTANCE
            ]
            status = _worst([status, *deps])
            if instance is None and dep_inst:
                instance = "rests on " + ", ".join(dep_inst) + " (proved on an instance)"
            concl_status.append(
                ConclusionStatus(
                    idx, status, True, instance, verdict.lemmas, tuple(sorted(rests)), None, tp
                )
            )
            if status != TESTED and tp.goal is None:
                hyps, _ = st.relations()
                accepted[(st.id, idx)] = (cond.relation, tuple(hyps) + tuple(cond.given))
        if not concl_status:
            out[st.id] = ProofStatus(st.id, TESTED, None, ())
            continue
        status = _worst(c.status for c in concl_status)
        distinct = list(dict.fromkeys(c.instance for c in concl_status if c.instance))
        if len(distinct) == 1 and all(c.instance for c in concl_status):
            instances = distinct
        else:
            instances = [
                f"conclusion {c.index + 1}: {c.instance}" for c in concl_status if c.instance
            ]
        lemmas = tuple(dict.fromkeys(lem for c in concl_status for lem in c.lemmas))
        theorems = tuple(dict.fromkeys(t for c in concl_status for t in c.theorems))
        out[st.id] = ProofStatus(
            st.id,
            status,
            "; ".join(instances) if instances and status != TESTED else None,
            lemmas,
            tuple(concl_status),
            theorems=theorems,
        )
    return {st.id: out[st.id] for st in statements if st.id in out}  # statement order


def _cited_first(
    statements: tuple[Statement, ...], by_id: dict[str, list[TheoremProof]]
) -> list[Statement]:
    """Statement order, except that a theorem comes after every theorem its proofs cite (or its
    lemmas rest on): a Cite of a later statement (T6.c citing T6.d) can then be accepted. A cycle
    is left in statement order (its citations are refused, so nothing is proved from itself)."""
    deps = {
        st.id: set().union(*(_depends_on(tp) for tp in by_id.get(st.id, ()))) - {st.id}
        for st in statements
    }
    ids = {st.id for st in statements}
    done: set[str] = set()
    order: list[Statement] = []
    todo = list(statements)
    while todo:
        ready = next((st for st in todo if not (deps[st.id] & ids) - done), todo[0])
        todo.remove(ready)
        done.add(ready.id)
        order.append(ready)
    return order


def _depends_on(tp: TheoremProof) -> set[str]:
    """Theorems a proof cites or whose lemmas rest on them (read from the steps, before checking)."""
    from theory.kernel import Cite, Use

    out: set[str] = set()
    for step in tp.proof.steps:
        if isinstance(step, Cite):
            out.add(step.theorem)
        elif isinstance(step, Use) and step.lemma in LEMMAS:
            out.update(LEMMAS[step.lemma].theorems)
    return out


def _closure(ids: Iterable[str], proofs: list[TheoremProof]) -> set[str]:
    deps: dict[str, set[str]] = {}
    for tp in proofs:
        deps.setdefault(tp.statement_id, set()).update(_depends_on(tp))
    todo, seen = list(ids), set()
    while todo:
        sid = todo.pop()
        if sid not in seen:
            seen.add(sid)
            todo.extend(deps.get(sid, ()))
    return seen


@cache
def _statuses_for(ids: frozenset[str] | None) -> dict[str, ProofStatus]:
    proofs, exact = registered()
    statements = _statements()
    if ids is not None:
        keep = _closure(ids, proofs)
        statements = tuple(s for s in statements if s.id in keep)
    return evaluate(statements, proofs, exact)


def proof_statuses(ids: Iterable[str] | None = None) -> dict[str, ProofStatus]:
    """The status of every THEOREM (or of those in ``ids``; the kernel checks only what they need)."""
    return _statuses_for(None if ids is None else frozenset(ids))


def accepted_conclusions(
    ids: Iterable[str],
) -> dict[tuple[str, int], tuple[sp.Basic, tuple[sp.Basic, ...]]]:
    """What a :class:`~theory.kernel.Cite` may use: ``(id, index) -> (relation, its hypotheses)``
    for every general, kernel-accepted conclusion of the theorems ``ids``."""
    from theory import all_statements

    by_id = {s.id: s for s in all_statements()}
    out = {}
    for sid, ps in proof_statuses(ids).items():
        hyps, _ = by_id[sid].relations()
        for c in ps.conclusions:
            if c.accepted and c.proof is not None and c.proof.goal is None and c.status != TESTED:
                cond = by_id[sid].conclusions[c.index]
                out[(sid, c.index)] = (cond.relation, tuple(hyps) + tuple(cond.given))
    return out


def proof_status(statement_id: str) -> ProofStatus | None:
    return proof_statuses([statement_id]).get(statement_id)


__all__ = [
    "PROVED",
    "PROVED_ON_INSTANCE",
    "TESTED",
    "ConclusionStatus",
    "accepted_conclusions",
    "ExactPerInstance",
    "ProofStatus",
    "TheoremProof",
    "context_for",
    "evaluate",
    "proof_status",
    "proof_statuses",
    "registered",
]
