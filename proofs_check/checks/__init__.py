"""Compiled checks, one module per claim; each exposes ``checks()`` returning objects with
``statement`` and ``run(seed, samples) -> Evidence``."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from typing import Any

from theory import CLAIM_MODULES


@cache
def registry() -> dict[str, Any]:
    """Statement id -> its check, in claim order."""
    present = {m.name for m in pkgutil.iter_modules(__path__)}
    out: dict[str, Any] = {}
    for name in CLAIM_MODULES:
        if name in present:
            for check in importlib.import_module(f"proofs_check.checks.{name}").checks():
                out[check.statement.id] = check
    return out
