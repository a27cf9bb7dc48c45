r"""The library entry points behind ``proofs_check``'s flat namespace: verify, search, certify.

Each runs the same phases as the CLI (``proofs-check verify`` / ``search``) on the same objects:
a statement id (``T1.a``), a claim (``T3``), a conjecture file (``FILE.py::NAME``), a mutant id
(``T1.a~flip:c0``), or a :class:`~proofs_check.conjecture.Conjecture` object.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from proofs_check.evidence import Evidence


def _checks(targets: Iterable[Any]) -> list[Any]:
    from proofs_check.conjecture import Conjecture
    from proofs_check.search.commands import resolve_targets

    named: list[str] = []
    objects: list[Any] = []
    for t in targets:
        if isinstance(t, Conjecture):
            t.validate()
            objects.append(t.compile("python"))
        else:
            named.append(str(t))
    return (resolve_targets(tuple(named)) if named or not objects else []) + objects


def verify(
    *targets: Any,
    seed: int = 0,
    samples: int = 2000,
    adversary: bool = True,
    db: str | Path | None = None,
) -> list[Evidence]:
    """Verify statements (every implemented one when none is named); one :class:`Evidence` each.

    Phases per statement, in order: reuse (replay the counterexample database ``db``, if given),
    generate (the random phase: ``samples`` instances over the declared shapes), target (one
    gradient-adversary round, unless ``adversary=False``), certify, save. ``ev.verdict`` is
    HOLDS / REFUTED / VACUOUS / ERROR / REPORTED.
    """
    from proofs_check.runner import run_all
    from proofs_check.search.commands import open_db, verify_phases

    checks = _checks(targets)
    database = open_db(Path(db), True) if db is not None else None
    phases = verify_phases(seed, database, adversary)
    return run_all(checks, seed, samples, phases=phases, adversary=adversary)


def search(target: Any, budget_s: float = 60.0, seed: int = 0, db: str | Path | None = None) -> Any:
    """Search one statement for a certified, shrunk counterexample within ``budget_s`` seconds.

    Returns a :class:`~proofs_check.search.outcome.SearchOutcome` (``.found`` is the certified
    counterexample, or ``None``).
    """
    from proofs_check.search.commands import open_db
    from proofs_check.search.driver import Searcher

    (check,) = _checks([target])
    database = open_db(Path(db), True) if db is not None else None
    return Searcher(seed, database).search(check, budget_s)


def certify_instance(target: Any, instance: dict[str, Any], case: int = 0) -> Any:
    """Certify one exact instance (rationals as ``"p/q"`` strings, ints or floats) of a statement:
    its hypotheses and the violated conclusion in ball arithmetic. Returns a
    :class:`~proofs_check.certify.Certificate` (``.certified`` is the verdict)."""
    from proofs_check.search.adversary import relation_check_of
    from proofs_check.search.database import exact_array

    (check,) = _checks([target])
    exact = {k: exact_array(v) for k, v in instance.items()}
    return relation_check_of(check).certify_saved(exact, case)
