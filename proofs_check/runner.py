"""Resolve targets (ids, claim prefixes, conjecture files) and run their checks into evidence.

A check that raises is reported as ERROR with a one-line reason; the other statements still run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from proofs_check.checks import registry
from proofs_check.conjecture import ConjectureError, load_conjectures
from proofs_check.evidence import Evidence


class TargetError(Exception):
    """A target that names nothing we can check (one clear line for the user)."""


def resolve(targets: Iterable[str]) -> list[Any]:
    """Checks for ``targets``: ``T1.a``, ``T1-F2``, a claim ``T1``, ``FILE.py`` or ``FILE.py::NAME``.

    No targets means every implemented statement.
    """
    known = registry()
    targets = list(targets)
    if not targets:
        return list(known.values())
    out: list[Any] = []
    for t in targets:
        if t.endswith(".py") or ".py::" in t:
            try:
                out.extend(load_conjectures(t))
            except ConjectureError as exc:
                raise TargetError(str(exc)) from None
        elif t in known:
            out.append(known[t])
        elif any(c.statement.claim == t for c in known.values()):
            # a whole claim: its theorems, controls and explore items (E3 belongs to T3)
            out.extend(c for c in known.values() if c.statement.claim == t)
        else:
            raise TargetError(f"unknown statement id {t!r} (see `proofs-check list`)")
    return out


def run_check(check: Any, seed: int, samples: int) -> Evidence:
    """Run one check; any exception becomes an ERROR row with a one-line reason."""
    try:
        return check.run(seed, samples)
    except Exception as exc:  # a failing check must not take the other statements down
        ev = Evidence(check.statement)
        ev.error = f"{type(exc).__name__}: {exc}".splitlines()[0]
        return ev


def run_all(
    checks: list[Any],
    seed: int,
    samples: int,
    on_done: Callable[[Evidence], None] | None = None,
    after_check: Callable[[Any, Evidence], None] | None = None,
) -> list[Evidence]:
    """Run every check; ``after_check(check, evidence)`` (e.g. the adversarial phase of
    :mod:`proofs_check.search`) may add to a statement's evidence before it is reported."""
    results = []
    for check in checks:
        ev = run_check(check, seed, samples)
        if after_check is not None and ev.error is None:
            after_check(check, ev)
        results.append(ev)
        if on_done is not None:
            on_done(ev)
    return results
