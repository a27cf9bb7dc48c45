"""What a search found: a certified counterexample (exact instance, case, certificate), or not."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from proofs_check.certify import Certificate
from proofs_check.search.database import encode_instance
from theory.core import Statement


@dataclass
class Found:
    """A certified counterexample."""

    statement_id: str
    instance: dict[str, Any]  # exact (Fractions / ints)
    case: int
    certificate: Certificate
    shape: tuple[int, int] | None
    origin: str  # "adversary (4, 3) round 0, start 'tie'", "database", "sampler", ...
    elapsed_s: float = 0.0  # until the reported (shrunk) counterexample was certified
    first_certified_s: float | None = None  # until the first certified one (before shrinking)
    shrink_log: list[str] = field(default_factory=list)
    unshrunk_shape: tuple[int, int] | None = None
    saved_to: Path | None = None
    replayable: bool = True  # an instance-level certifier exists (snippet, database)

    def to_json(self) -> dict[str, Any]:
        return {
            "statement_id": self.statement_id,
            "case": self.case,
            "shape": list(self.shape) if self.shape else None,
            "unshrunk_shape": list(self.unshrunk_shape) if self.unshrunk_shape else None,
            "origin": self.origin,
            "elapsed_s": round(self.elapsed_s, 3),
            "first_certified_s": (
                round(self.first_certified_s, 3) if self.first_certified_s is not None else None
            ),
            "instance": encode_instance(self.instance),
            "certificate": asdict(self.certificate),
            "shrink_log": self.shrink_log,
            "saved_to": str(self.saved_to) if self.saved_to else None,
        }


@dataclass
class SearchOutcome:
    """One statement's search: found or not, how long, how tight the adversary got."""

    statement: Statement
    method: str  # "gradient adversary" | "origin-in-hull hook" | "sampler fallback"
    found: Found | None = None
    elapsed_s: float = 0.0
    rounds: int = 0
    worst_slack: float | None = None
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    source: str | None = None  # FILE.py::NAME of a user conjecture

    @property
    def status(self) -> str:
        if self.error is not None:
            return "ERROR"
        return "FOUND" if self.found is not None else "NOT FOUND"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.statement.id,
            "kind": self.statement.kind.value,
            "status": self.status,
            "method": self.method,
            "elapsed_s": round(self.elapsed_s, 3),
            "rounds": self.rounds,
            "worst_slack": self.worst_slack,
            "counterexample": self.found.to_json() if self.found else None,
            "notes": self.notes,
            "error": self.error,
        }
