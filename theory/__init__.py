"""SymPy statements of THEORY.md: the single source of truth for every bound.

One module per claim (``sinks`` T1, ``switch`` T2, ``smoothing`` T3, ``costs`` T4, ``diagonal`` T5,
``depth`` T6); each exposes ``STATEMENTS`` in THEORY.md order.
"""

from __future__ import annotations

import importlib
import pkgutil

from theory.core import Condition, Kind, Statement

CLAIM_MODULES = ("sinks", "switch", "smoothing", "costs", "diagonal", "depth")


def all_statements() -> tuple[Statement, ...]:
    """Every statement, in claim order (modules not written yet are skipped)."""
    present = {m.name for m in pkgutil.iter_modules(__path__)}
    out: list[Statement] = []
    for name in CLAIM_MODULES:
        if name in present:
            out.extend(importlib.import_module(f"theory.{name}").STATEMENTS)
    return tuple(out)


__all__ = ["CLAIM_MODULES", "Condition", "Kind", "Statement", "all_statements"]
