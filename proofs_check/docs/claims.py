"""Which claims exist: one per module of ``theory/`` (T1 ... T6 as they land), in THEORY.md order."""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass

import theory
from theory import CLAIM_MODULES, all_statements
from theory.core import Statement


@dataclass(frozen=True)
class Claim:
    """A claim of THEORY.md: its id, title, module (for notation) and statements."""

    id: str  # "T1"
    title: str  # "which token sets can hold a sink (the geometry of sinks)"
    module: str  # "sinks"
    notation: str  # the module docstring after its first line (observables, conventions)
    statements: tuple[Statement, ...]

    @property
    def page(self) -> str:
        return f"{self.id}.md"


def _split_docstring(doc: str, claim_id: str) -> tuple[str, str]:
    """``"T1 — which token sets ... .\\n\\nrest"`` -> (title, rest)."""
    first, _, rest = (doc or "").strip().partition("\n")
    title = first.strip().rstrip(".")
    for sep in (" — ", " - ", ": "):
        head, found, tail = title.partition(sep)
        if found and head.strip() == claim_id:
            title = tail.strip()
            break
    return title, rest.strip()


def discover_claims() -> list[Claim]:
    """Every claim whose ``theory`` module exists, with its statements in THEORY.md order."""
    present = {m.name for m in pkgutil.iter_modules(theory.__path__)}
    claims = []
    for name in CLAIM_MODULES:
        if name not in present:
            continue
        module = importlib.import_module(f"theory.{name}")
        statements = tuple(module.STATEMENTS)
        if not statements:
            continue
        claim_id = statements[0].claim
        title, notation = _split_docstring(module.__doc__ or "", claim_id)
        claims.append(Claim(claim_id, title, name, notation, statements))
    listed = [s.id for c in claims for s in c.statements]
    if listed != [s.id for s in all_statements()]:
        raise RuntimeError("theory modules and theory.all_statements() disagree")
    return claims
