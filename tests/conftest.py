"""Shared fixtures: run each statement once per session at a modest sample count."""

from __future__ import annotations

from functools import cache

import pytest

from proofs_check.checks import registry
from proofs_check.evidence import Evidence

TEST_SAMPLES = 600


@cache
def evidence_for(statement_id: str, seed: int = 0, samples: int = TEST_SAMPLES) -> Evidence:
    return registry()[statement_id].run(seed, samples)


@pytest.fixture
def evidence():
    return evidence_for
