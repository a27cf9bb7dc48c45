"""The proof status a report, a JSON document or a page shows for one statement's evidence.

``PROVED`` / ``PROVED_ON_INSTANCE`` / ``TESTED`` come from the kernel (:mod:`theory.proofs`); for
T1.b, T1.c, T1.f the instance count comes from the check's exact certificates, so a run where one
sampled instance lacks an exact certificate says TESTED. A user's conjecture carrying a proof
(``Statement.proof``) is checked by the kernel here: PROVED, or the first inference it refused.
"""

from __future__ import annotations

from typing import Any

from theory.core import Kind, Statement
from theory.kernel import Cite, Proof, check
from theory.proofs import (
    PROVED,
    PROVED_ON_INSTANCE,
    TESTED,
    accepted_conclusions,
    context_for,
    proof_statuses,
)

_USER: dict[str, dict[str, Any]] = {}


def _user_proof(statement: Statement) -> dict[str, Any]:
    if statement.id not in _USER:
        _USER[statement.id] = _check_user_proof(statement)
    return _USER[statement.id]


def _check_user_proof(statement: Statement) -> dict[str, Any]:
    concl = [c for c in statement.conclusions if c.relation is not None]
    if len(concl) != 1:
        return {
            "status": TESTED,
            "instance": None,
            "lemmas": [],
            "refused": "a proof needs one conclusion relation",
        }
    if not isinstance(statement.proof, Proof):
        return {
            "status": TESTED,
            "instance": None,
            "lemmas": [],
            "refused": "proof is not a theory.kernel.Proof",
        }
    index = statement.conclusions.index(concl[0])
    cited = {step.theorem for step in statement.proof.steps if isinstance(step, Cite)}
    ctx = context_for(statement, index, accepted_conclusions(cited) if cited else None)
    verdict = check(statement.proof, concl[0].relation, ctx)
    if not verdict.accepted:
        refusal = verdict.refusal.summary() if verdict.refusal else "refused"
        return {"status": TESTED, "instance": None, "lemmas": [], "refused": refusal}
    status = (
        PROVED if statement.proof.instance is None and not verdict.theorems else PROVED_ON_INSTANCE
    )
    instance = statement.proof.instance or (
        f"cites {', '.join(verdict.theorems)}" if verdict.theorems else None
    )
    if verdict.theorems:  # no stronger than what it cites
        cited = proof_statuses(verdict.theorems)
        worst = [cited[t].status for t in verdict.theorems if t in cited]
        if worst and all(w == PROVED for w in worst) and statement.proof.instance is None:
            status, instance = PROVED, None
    return {"status": status, "instance": instance, "lemmas": list(verdict.lemmas), "refused": None}


def proof_json(statement: Statement, extra: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """``{"status", "instance", "lemmas", ...}`` for a theorem or a statement with a proof; else None."""
    if getattr(statement, "proof", None) is not None:
        return _user_proof(statement)
    if statement.kind is not Kind.THEOREM:
        return None
    found = proof_statuses([statement.id]).get(statement.id)
    if found is None:
        return {"status": TESTED, "instance": None, "lemmas": [], "refused": None}
    out = found.to_json()
    if found.exact is not None:
        exact = (extra or {}).get("exact_proofs")
        if not exact or not exact.get("instances"):
            out.update(status=TESTED, instance="exact certificates not run")
        elif exact["proved"] == exact["instances"]:
            out["instance"] = (
                f"proved on {exact['proved']} exact instances (every sampled instance)"
            )
        else:
            out.update(
                status=TESTED,
                instance=f"exact certificates on {exact['proved']} of {exact['instances']} instances",
            )
    return out


def proof_cell(statement: Statement, extra: dict[str, Any] | None = None) -> str:
    """The report table's cell: PROVED, INSTANCE (PROVED_ON_INSTANCE), TESTED, or '-'."""
    found = proof_json(statement, extra)
    if found is None:
        return "-"
    return {PROVED_ON_INSTANCE: "INSTANCE"}.get(found["status"], found["status"])
