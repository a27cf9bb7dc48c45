"""How to re-certify one saved instance of a check (the database's replay, ``certify_instance``).

Every statement is a :class:`~proofs_check.checks.engine.RelationCheck` (or a wrapper holding one
as ``.check``, e.g. a mutant), so there is one answer: its :meth:`certify_saved`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from proofs_check.certify import Certificate
from proofs_check.search.adversary import relation_check_of

Replayer = Callable[[dict[str, Any], int], Certificate]


def replayer_for(check: Any) -> Replayer | None:
    """``check``'s certifier of one exact instance and case (``None``: not a relation check)."""
    rc = relation_check_of(check)
    return rc.certify_saved if rc is not None else None
