r"""Shrinking by certificate: for checks that certify one token-set instance but have no
parameterisation for the gradient adversary (T1-F1's exact hull certificate, T4's convex programs).

An instance is a dict with a token matrix ``X`` (``n x d``) and optionally a sink index ``s``
(an integer, or ``"any"``), a tolerance ``eps`` and a ``causal`` flag. Like Hypothesis, the shrinker
walks simplifications in a fixed order and keeps the first one that is still a *certified*
counterexample, until none is (or the deadline passes):

1. delete a token (never the sink ``s``; ``s`` is re-indexed);
2. delete a coordinate;
3. round ``X`` to dyadic rationals ``k / 2^j``, coarsest ``j`` first (exactly representable, so the
   float64 image the solvers see *is* the exact instance the certificate is about);
4. set one entry of ``X`` to 0;
5. replace ``eps`` by a simpler dyadic (``1/2, 1/4, 3/4, 1/8, ...``).

Acceptance is the check's own certificate (ball arithmetic, hypotheses proven), never a float
comparison, so every intermediate instance is a proven counterexample. An optional ``plausible``
predicate (a cheap float screen) skips candidates before the expensive certificate is attempted.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from proofs_check.certify import Certificate
from proofs_check.search.database import exact_array

Instance = dict[str, Any]
Certifier = Callable[[Instance], Certificate]

MAX_BITS = 20  # dyadic rounding tried up to k / 2^20
SIMPLE_EPS = tuple(
    Fraction(k, 2**j) for j in range(1, 6) for k in range(1, 2**j, 2)
)  # 1/2, 1/4, 3/4, 1/8, 3/8, ... by denominator


def token_matrix(instance: Instance) -> np.ndarray:
    """``X`` as float64 (exact: the entries are dyadic rationals or floats)."""
    return np.vectorize(float, otypes=[float])(np.asarray(instance["X"], dtype=object))


def _sink(instance: Instance) -> int | None:
    s = instance.get("s")
    if s is None:
        return None
    s = np.asarray(s).item() if isinstance(s, np.ndarray) else s
    return None if isinstance(s, str) else int(s)


def _bits(X: np.ndarray) -> int:
    """The fewest ``j`` with every entry a multiple of ``2^-j`` (``MAX_BITS + 1`` if none)."""
    for j in range(MAX_BITS + 1):
        if np.array_equal(np.round(X * 2.0**j) / 2.0**j, X):
            return j
    return MAX_BITS + 1


def _with(instance: Instance, **changes: Any) -> Instance:
    return {**instance, **changes}


def simplifications(instance: Instance) -> Iterator[tuple[str, Instance]]:
    """Candidate simplifications of a token-set instance, in the order they are tried."""
    X = token_matrix(instance)
    n, d = X.shape
    s = _sink(instance)
    for k in range(n):
        if n > 2 and k != s:
            new_s = {} if s is None else {"s": s - (k < s)}
            yield f"deleted token {k}", _with(instance, X=np.delete(X, k, axis=0), **new_s)
    for k in range(d):
        if d > 1:
            yield f"deleted coordinate {k}", _with(instance, X=np.delete(X, k, axis=1))
    for j in range(min(_bits(X), MAX_BITS + 1)):
        Y = np.round(X * 2.0**j) / 2.0**j
        if not np.array_equal(Y, X):
            yield f"entries rounded to multiples of 1/{2**j}", _with(instance, X=Y)
    for idx in zip(*np.nonzero(X), strict=True):
        Y = X.copy()
        Y[idx] = 0.0
        yield f"entry {tuple(int(i) for i in idx)} set to 0", _with(instance, X=Y)
    if "eps" in instance:
        eps = Fraction(float(np.asarray(instance["eps"], dtype=object).item()))
        for q in SIMPLE_EPS:
            if q.denominator >= eps.denominator:
                break
            yield f"eps = {q}", _with(instance, eps=float(q))


@dataclass
class Shrunk:
    """The smallest certified instance reached, its certificate, and the accepted steps."""

    instance: Instance
    certificate: Certificate
    log: list[str] = field(default_factory=list)
    attempts: int = 0


def shrink_by_certificate(
    instance: Instance,
    certificate: Certificate,
    certify: Certifier,
    deadline: float,
    plausible: Callable[[Instance], bool] | None = None,
) -> Shrunk:
    """Greedy shrinking of a certified counterexample; every accepted step is certified.

    ``certificate`` is the instance's own (already proven); the result is never worse than it.
    """
    best = Shrunk(instance, certificate)
    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        for description, candidate in simplifications(best.instance):
            if time.perf_counter() >= deadline:
                break
            if plausible is not None and not plausible(candidate):
                continue
            best.attempts += 1
            try:
                cert = certify(candidate)
            except Exception:  # a solver or exact step that gives up: not a counterexample
                continue
            if cert.certified:
                best.instance, best.certificate = candidate, cert
                best.log.append(description)
                improved = True
                break
    return best


def exact_token_instance(instance: Instance) -> Instance:
    """The instance with ``X`` and ``eps`` as exact Fractions (what the database and snippet store)."""
    out = dict(instance)
    out["X"] = exact_array(token_matrix(instance))
    if "eps" in instance:
        out["eps"] = exact_array(float(np.asarray(instance["eps"], dtype=object).item()))
    return out
