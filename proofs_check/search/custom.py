r"""Search hooks for checks that are not relation checks (LP equivalences, exact certificates,
convex programs), and how to re-certify a saved instance of any check.

* Relation checks: the gradient adversary (:mod:`.adversary`); replay = ``check.certify``.
* ``EveryTokenSetHasSinkControl`` (T1-F1, certified by an exact ``sum_i lambda_i x_i = 0``): its own
  hook. Its sampler's instances are screened for ``0 in conv X``; a hit is certified, then shrunk by
  certificate (:mod:`.certified_shrink`: fewer tokens, fewer coordinates, dyadic entries ``k/2^j``);
  replay re-runs the exact certificate.
* T4's checks (``CostCheck``, ``SinkNeverDearerControl``: ``certify(instance, case)`` re-solves the
  convex programs of one token set and proves the violation): found by the check's own run, then
  shrunk by certificate the same way (and ``eps`` made a simple dyadic); replay = ``check.certify``.
* Any other check (``statement`` + ``run(seed, samples)`` only): the **documented fallback** -- run
  the check itself with more samples and fresh seeds until it reports a certified counterexample or
  the budget is spent. Such a check exposes no instance-level certifier, so its counterexamples are
  neither shrunk nor saved (they are reported as found).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from proofs_check import interrupt
from proofs_check.certify import Certificate
from proofs_check.checks.engine import _take
from proofs_check.evidence import REFUTED
from proofs_check.instances import rng_for
from proofs_check.observables.geometry import hull_distance
from proofs_check.search.certified_shrink import (
    exact_token_instance,
    shrink_by_certificate,
    token_matrix,
)
from proofs_check.search.database import exact_array
from proofs_check.search.outcome import Found

SHRINK_SECONDS = 5.0  # at most, after the first certified counterexample

Replayer = Callable[[dict[str, Any], int], Certificate]
Note = Callable[[str], None] | None  # what the search is doing now (the progress bar's text)


def _note(progress: Note, message: str) -> None:
    if progress is not None:
        progress(message)


def _is_origin_in_hull_control(check: Any) -> bool:
    return type(check).__name__ == "EveryTokenSetHasSinkControl"


def _is_sink_never_dearer_control(check: Any) -> bool:
    return type(check).__name__ == "SinkNeverDearerControl"


def _is_instance_certified(check: Any) -> bool:
    """T4's checks: ``certify(instance, case)`` re-solves and proves one saved token set."""
    return type(check).__name__ in ("CostCheck", "SinkNeverDearerControl")


def replayer_for(check: Any) -> Replayer | None:
    """How to re-certify one saved instance of ``check`` (``None``: the check cannot)."""
    from proofs_check.search.adversary import relation_check_of

    rc = relation_check_of(check)
    if rc is not None:
        return lambda instance, case: certify_relation_instance(rc, instance, case)
    if _is_origin_in_hull_control(check):
        return lambda instance, case: certify_origin_in_hull_exact(instance["X"])
    if _is_instance_certified(check):
        return check.certify
    return None


def certify_relation_instance(rc: Any, instance: dict[str, Any], case: int) -> Certificate:
    """``rc.certify`` on an exact instance, with the check's ``prepare`` outputs added first.

    The engine certifies the instances of its batch, which carry the float outputs of ``prepare``
    (a check without ``prepare_exact`` certifies with those, e.g. T3's witness vertex); an instance
    of the search or of the database carries only the sampled fields, so they are recomputed
    here from its float64 image (``prepare_exact``, where the check has one, still overrides).
    """
    if rc.prepare is not None:
        from proofs_check.search.space import float_instance

        floats = float_instance(instance)
        extra = {k: v for k, v in rc.prepared(floats).items() if k not in instance}
        instance = {**instance, **{k: exact_array(v) for k, v in extra.items()}}
    return rc.certify(instance, case)


# ----------------------------------------------------------------------------------------------
# T1-F1: 0 in conv X, certified exactly
# ----------------------------------------------------------------------------------------------


def certify_origin_in_hull_exact(X: Any) -> Certificate:
    """T1-F1's exact certificate for a dyadic-rational token set (the check's own certifier)."""
    from proofs_check.checks.sinks import certify_origin_in_hull

    Xq = np.asarray(X, dtype=object)
    floats = np.vectorize(float, otypes=[float])(Xq)
    if any(Fraction(float(v)) != Fraction(v) for v in Xq.flat):
        return Certificate("not certified", False, None, "", "", note="entries are not dyadic")
    support = hull_distance(floats).support
    cert = certify_origin_in_hull(floats, support)
    if cert.certified or floats.shape[0] > 12:
        return cert
    # Wolfe's support may be a face whose exact solve is degenerate: try the small faces
    return _certify_any_support(floats)


def _certify_any_support(floats: np.ndarray) -> Certificate:
    from itertools import combinations

    from proofs_check.checks.sinks import certify_origin_in_hull

    n = floats.shape[0]
    last = Certificate("not certified", False, None, "", "", note="0 in conv X not proven")
    for k in range(2, min(n, floats.shape[1] + 1) + 1):
        for support in combinations(range(n), k):
            cert = certify_origin_in_hull(floats, support)
            if cert.certified:
                return cert
            last = cert
    return last


def _distinct(X: np.ndarray) -> bool:
    return len({tuple(r) for r in np.asarray(X).tolist()}) == X.shape[0]


def _plausibly_origin_in_hull(instance: dict[str, Any]) -> bool:
    """The float screen before an exact hull certificate is attempted on a shrinking candidate."""
    return _origin_in_hull(token_matrix(instance))


def _origin_in_hull(X: np.ndarray) -> bool:
    return _distinct(X) and hull_distance(X).distance <= 1e-12 * max(1.0, float(np.max(np.abs(X))))


@dataclass
class OriginInHullHook:
    """Search hook of T1-F1: screen the check's sampler for ``0 in conv X``, certify, shrink."""

    check: Any
    method: str = "origin-in-hull hook"

    def search(
        self, seed: int, deadline: float, progress: Note = None, batch: int = 32
    ) -> tuple[Found | None, int]:
        start = time.perf_counter()
        rounds = 0
        while time.perf_counter() < deadline and not interrupt.requested():
            for idx, (n, d) in enumerate(self.check.shapes):
                if time.perf_counter() >= deadline:
                    break
                _note(progress, f"round {rounds}: screening the sampler at n={n}, d={d}")
                rng = rng_for(seed, f"hook:{self.check.statement.id}", rounds * 100 + idx)
                sample = self.check.sample(rng, n, d, batch)
                for b in range(batch):
                    X = np.asarray(_take(sample, b)["X"], dtype=float)
                    if not _origin_in_hull(X):
                        continue
                    cert = certify_origin_in_hull_exact(X)
                    if not cert.certified:
                        continue
                    found = _shrunk_found(
                        self.check.statement.id,
                        {"X": X},
                        0,
                        cert,
                        lambda inst: certify_origin_in_hull_exact(inst["X"]),
                        f"sampler {(n, d)}",
                        start,
                        deadline,
                        plausible=_plausibly_origin_in_hull,
                    )
                    return found, rounds + 1
            rounds += 1
        return None, rounds


@dataclass
class SamplerFallback:
    """The documented fallback: the check's own ``run`` with growing samples and fresh seeds (a
    run is not interruptible, so a round starts only if the last one's time still fits)."""

    check: Any
    method: str = "sampler fallback (the check's own run)"
    first_samples: int = 25

    def search(self, seed: int, deadline: float, progress: Note = None) -> tuple[Found | None, int]:
        start = time.perf_counter()
        samples, rounds = self.first_samples, 0
        while time.perf_counter() < deadline and not interrupt.requested():
            _note(progress, f"the check's own run: seed {seed + rounds}, {samples} samples")
            began = time.perf_counter()
            ev = self.check.run(seed + rounds, samples)
            took = time.perf_counter() - began
            rounds += 1
            cx = ev.counterexample
            if ev.verdict == REFUTED and cx is not None:
                found = Found(
                    self.check.statement.id,
                    dict(cx.instance),
                    cx.case,
                    cx.certificate,
                    tuple(cx.shape),
                    f"sampler (seed {seed + rounds - 1}, {samples} samples), {cx.family}",
                    time.perf_counter() - start,
                    replayable=False,
                )
                return found, rounds
            # a run cannot be interrupted: grow it only while the next one fits in the budget
            remaining = deadline - time.perf_counter()
            if 2 * took <= remaining:
                samples *= 2
            elif took > remaining:
                break
        return None, rounds


@dataclass
class InstanceCertifiedHook:
    """Checks that certify one token-set instance but have no parameterisation (T4's convex
    programs, T4-F1): found by the check's own run (:class:`SamplerFallback`), then shrunk by
    certificate (:mod:`.certified_shrink`) and saved like any other counterexample."""

    check: Any
    method: str = "the check's own run, shrunk by certificate"

    def search(self, seed: int, deadline: float, progress: Note = None) -> tuple[Found | None, int]:
        start = time.perf_counter()
        found, rounds = SamplerFallback(self.check).search(seed, deadline, progress)
        if found is None:
            return None, rounds
        _note(progress, "shrinking by certificate")
        case = found.case
        plausible = _plausibly_origin_in_hull if _is_sink_never_dearer_control(self.check) else None
        shrunk = _shrunk_found(
            self.check.statement.id,
            found.instance,
            0,
            found.certificate,
            lambda inst: self.check.certify(inst, case),
            found.origin,
            start,
            deadline,
            plausible=plausible,
        )
        return shrunk, rounds


def _shrunk_found(
    statement_id: str,
    instance: dict[str, Any],
    case: int,
    certificate: Certificate,
    certify: Callable[[dict[str, Any]], Certificate],
    origin: str,
    start: float,
    deadline: float,
    plausible: Callable[[dict[str, Any]], bool] | None = None,
) -> Found:
    """A token-set counterexample certified just now, shrunk by certificate within
    ``SHRINK_SECONDS`` (``start``: when the search began)."""
    unshrunk = token_matrix(instance).shape
    first_certified_s = time.perf_counter() - start
    stop = min(deadline, time.perf_counter() + SHRINK_SECONDS)
    shrunk = shrink_by_certificate(instance, certificate, certify, stop, plausible)
    X = token_matrix(shrunk.instance)
    return Found(
        statement_id,
        exact_token_instance(shrunk.instance),
        case,
        shrunk.certificate,
        X.shape,
        origin + (", shrunk" if shrunk.log else ""),
        time.perf_counter() - start,
        first_certified_s=first_certified_s,
        shrink_log=shrunk.log,
        unshrunk_shape=unshrunk,
    )


def hook_for(check: Any) -> OriginInHullHook | InstanceCertifiedHook | SamplerFallback:
    """The search hook of a check that is not a relation check."""
    if _is_origin_in_hull_control(check):
        return OriginInHullHook(check)
    if _is_instance_certified(check):
        return InstanceCertifiedHook(check)
    return SamplerFallback(check)
