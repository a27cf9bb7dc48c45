"""Evidence: what one check of one statement found, and the verdict it supports.

Verdicts: HOLDS (hypotheses met by enough instances, no certified violation), REFUTED (a certified
counterexample), VACUOUS (too few instances met the hypotheses), ERROR (the check could not run, or
a symbolic step did not verify), REPORTED (an EXPLORE item: findings, no pass/fail).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from proofs_check.certify import Certificate
from proofs_check.stable import MACHINE_KEY, stable_slack, stable_tree
from theory.core import Kind, Statement, StepResult

HOLDS, REFUTED, VACUOUS, ERROR, REPORTED = "HOLDS", "REFUTED", "VACUOUS", "ERROR", "REPORTED"


@dataclass(frozen=True)
class Counterexample:
    """A violating instance: exact values (as strings of rationals or floats), and its certificate."""

    statement_id: str
    instance: dict[str, Any]  # JSON-ready: nested lists of floats / ints / "p/q" strings
    case: int  # row (or case) index inside the instance
    family: str
    shape: tuple[int, int]
    certificate: Certificate

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["shape"] = list(self.shape)
        return out


@dataclass
class Evidence:
    """The outcome of checking one statement."""

    statement: Statement
    symbolic: list[StepResult] = field(default_factory=list)
    tried: int = 0
    met: int = 0
    min_met: int = 0
    worst_slack: float | None = None  # scale-free: (lhs - rhs) / (|lhs| + |rhs|), >= 0 means holds
    float_noise: int = 0  # float-level violations that ball arithmetic did not confirm
    counterexample: Counterexample | None = None
    uncertified_violations: int = 0  # violations seen in float64 that could not be certified
    families: list[str] = field(default_factory=list)
    detail: str = ""
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # the adversarial phase (proofs_check.search): worst slack it reached, its shape and effort
    adversary: dict[str, Any] | None = None
    # what depends on this machine's float64 rounding or speed (counts of rounding-level
    # violations, solver accuracies, timings): reported under MACHINE_KEY, never compared
    machine: dict[str, Any] = field(default_factory=dict)
    # instances meeting the hypotheses and each conclusion's own ``given`` (one side of an "iff",
    # one direction of an equivalence); each must reach ``min_per_side`` or the verdict is VACUOUS
    sides: dict[str, int] = field(default_factory=dict)
    min_per_side: int = 0

    @property
    def thin_sides(self) -> list[str]:
        """The sides met by fewer than ``min_per_side`` instances."""
        return [name for name, count in self.sides.items() if count < self.min_per_side]

    @property
    def steps_verified(self) -> int:
        return sum(r.verified for r in self.symbolic)

    @property
    def proof(self) -> dict[str, Any] | None:
        """The kernel's proof status (:mod:`proofs_check.proof_status`); None for controls."""
        from proofs_check.proof_status import proof_json

        return proof_json(self.statement, self.extra)

    @property
    def verdict(self) -> str:
        if self.error is not None or self.steps_verified < len(self.symbolic):
            return ERROR
        if self.statement.kind is Kind.EXPLORE:
            return REPORTED
        if self.counterexample is not None and self.counterexample.certificate.certified:
            return REFUTED
        if self.met < self.min_met or self.thin_sides:
            return VACUOUS
        return HOLDS

    @property
    def expected(self) -> bool:
        return self.verdict == self.statement.expected_verdict

    def to_json(self) -> dict[str, Any]:
        s = self.statement
        return {
            "id": s.id,
            "kind": s.kind.value,
            "title": s.title,
            "verdict": self.verdict,
            "expected_verdict": s.expected_verdict,
            "as_expected": self.expected,
            "proof": self.proof,
            "symbolic_steps": {
                "verified": self.steps_verified,
                "total": len(self.symbolic),
                "steps": [
                    {"index": r.index, "text": r.text, "verified": r.verified}
                    for r in self.symbolic
                ],
            },
            "instances_tried": self.tried,
            "instances_meeting_hypotheses": self.met,
            "min_meeting_hypotheses": self.min_met,
            "sides": dict(self.sides),
            "min_per_side": self.min_per_side,
            "worst_slack": stable_slack(self.worst_slack),
            "families": self.families,
            "counterexample": self.counterexample.to_json() if self.counterexample else None,
            "detail": self.detail,
            "error": self.error,
            "extra": stable_tree(self.extra),
            "adversary": _stable_adversary(self.adversary),
            MACHINE_KEY: self.machine_dependent(),
        }

    def machine_dependent(self) -> dict[str, Any]:
        """What this run saw that another machine may not: the number of float64 violations that
        ball arithmetic did not confirm (float noise) or that were not escalated, and ``machine``."""
        out: dict[str, Any] = {
            "float_noise": self.float_noise,
            "uncertified_violations": self.uncertified_violations,
            **self.machine,
        }
        for key in _ADVERSARY_MACHINE_KEYS:
            if self.adversary and key in self.adversary:
                out[f"adversary_{key}"] = self.adversary[key]
        return out


# Gradient ascent is chaotic: a few ulps of difference in one step grow into another trajectory, so
# the worst slack the adversary reached (and how many restarts ended violated in float64) is a
# fact about this machine's run, not about the statement.
_ADVERSARY_MACHINE_KEYS = ("worst_slack", "violating_restarts")


def _stable_adversary(adversary: dict[str, Any] | None) -> dict[str, Any] | None:
    """The adversarial phase's summary as reported: what it covered (shape, restarts, steps) or
    its error; the trajectory-dependent numbers go to MACHINE_KEY."""
    if adversary is None:
        return None
    return stable_tree({k: v for k, v in adversary.items() if k not in _ADVERSARY_MACHINE_KEYS})
