r"""Baseline counterexample searches, each given the same check (sampler, observables, relations,
certifier) and the same time budget as the engine; each returns the seconds to its first
*certified* counterexample, or ``None``.

* ``random_jit``   -- pure random search with the check's sampler: batches of 256 per shape through
  the engine's own jitted, vmapped float64 check (``RelationCheck.evaluate``, compiled afresh),
  the most violated cases certified;
* ``random_numpy`` -- the same sampler, instance by instance through the uncompiled NumPy float
  oracle (no compilation at all);
* ``hypothesis``   -- ``@given`` over the engine's parameterisation (a template instance drawn from
  the sampler, its parameters as ``hypothesis.extra.numpy`` float arrays), ``hypothesis.target`` on
  the violation, generate and target phases only (no shrinking: time to *first* counterexample);
* ``evolution``    -- ``scipy.optimize.differential_evolution`` on the same parameterisation and the
  same penalised score the adversary descends, started around a sampled instance, one shape per
  round.

Checks that are not relation checks (T4's convex-program checks) have no
parameterisation: their only baseline is the check's own ``run`` with growing samples.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import numpy as np

from proofs_check.checks.engine import _take
from proofs_check.instances import rng_for
from proofs_check.search.adversary import relation_check_of
from proofs_check.search.driver import shape_schedule
from proofs_check.search.numeric import FLOAT, case_slacks, float_oracle
from proofs_check.search.space import decode, encode, exact_instance, float_instance, space_of

NOT_APPLICABLE = "n/a"  # a method that has no parameterisation for this check


class _Found(Exception):
    pass


class _Timeout(Exception):
    pass


def _certified(rc: Any, space: Any, inst: dict[str, Any], case: int | None = None) -> bool:
    exact = exact_instance(space, {k: inst[k] for k in space.names})
    if case is None:
        oracle = float_oracle(rc, float_instance(exact))
        if not oracle.violated:
            return False
        case = oracle.case
    try:
        return bool(rc.certify(exact, case).certified)
    except Exception:
        return False


def random_jit(check: Any, seed: int, budget: float, batch: int = 256) -> float | None:
    start = time.perf_counter()
    rc = relation_check_of(check)
    if rc is None:
        return None
    rc = dataclasses.replace(rc)  # a fresh object: its jitted evaluate compiles afresh
    space = space_of(rc.sample, rc.shapes, rc.domain)
    for round_ in range(10**9):
        for idx, (n, d) in enumerate(rc.shapes):
            if time.perf_counter() - start > budget:
                return None
            sample = rc.sample(
                rng_for(seed, f"random:{rc.statement.id}", round_ * 100 + idx), n, d, batch
            )
            out = rc.evaluate(sample)
            bad = np.argwhere(out["case_violated"])
            slacks = [float(out["case_slack"][b, k]) for b, k in bad]
            for j in np.argsort(slacks)[:3]:
                b, k = bad[j]
                if _certified(rc, space, _take(out["batch"], int(b)), int(k)):
                    return time.perf_counter() - start
    return None


def random_numpy(check: Any, seed: int, budget: float, batch: int = 64) -> float | None:
    start = time.perf_counter()
    rc = relation_check_of(check)
    if rc is None:
        return None
    space = space_of(rc.sample, rc.shapes, rc.domain)
    for round_ in range(10**9):
        for idx, (n, d) in enumerate(rc.shapes):
            sample = rc.sample(
                rng_for(seed, f"random:{rc.statement.id}", round_ * 100 + idx), n, d, batch
            )
            for b in range(batch):
                if time.perf_counter() - start > budget:
                    return None
                inst = _take(sample, b)
                try:
                    hit = float_oracle(rc, inst).violated
                except Exception:
                    continue
                if hit and _certified(rc, space, inst):
                    return time.perf_counter() - start
    return None


# -- the parameterisation shared by Hypothesis and differential evolution ------------------------


class Parameterised:
    """A template instance from the sampler and its flat parameter vector (``space.encode``)."""

    def __init__(self, rc: Any, space: Any, sample: dict[str, Any]) -> None:
        self.rc, self.space = rc, space
        theta, self.aux, self.frozen = encode(space, sample)
        self.names = sorted(theta)
        self.shapes = [theta[k].shape[1:] for k in self.names]
        self.sizes = [int(np.prod(s)) for s in self.shapes]
        self.theta0 = np.concatenate([theta[k][0].ravel() for k in self.names])

    def instance(self, flat: np.ndarray) -> dict[str, Any]:
        theta, offset = {}, 0
        for name, shape, size in zip(self.names, self.shapes, self.sizes, strict=True):
            theta[name] = np.asarray(flat[offset : offset + size]).reshape((1, *shape))
            offset += size
        inst = decode(self.space, theta, self.aux, self.frozen, np)
        return {k: np.asarray(v)[0] for k, v in inst.items()}

    def score(self, inst: dict[str, Any]) -> tuple[float, bool]:
        """The adversary's penalised score (NumPy) and whether a case is violated."""
        inst = dict(inst)
        if self.rc.prepare is not None:
            inst.update({k: np.asarray(v) for k, v in self.rc.prepare(inst).items()})
        with np.errstate(all="ignore"):
            obs = {
                k: np.asarray(v, dtype=float) for k, v in self.rc.observables(inst, FLOAT).items()
            }
            cs = case_slacks(self.rc.statement, obs, inst, np)
        score = np.asarray(cs["score"], dtype=float)
        score = np.where(np.isfinite(score), score, 1e3)
        return float(np.min(score)), bool(np.any(cs["violated"]))


def hypothesis_search(check: Any, seed: int, budget: float) -> float | None:
    from hypothesis import HealthCheck, Phase, given, settings, target
    from hypothesis import strategies as st
    from hypothesis.extra.numpy import arrays

    start = time.perf_counter()
    rc = relation_check_of(check)
    if rc is None:
        return NOT_APPLICABLE
    space = space_of(rc.sample, rc.shapes, rc.domain)
    found: list[float] = []

    @settings(
        max_examples=10**9,
        deadline=None,
        database=None,
        phases=[Phase.generate, Phase.target],
        suppress_health_check=list(HealthCheck),
        derandomize=True,
    )
    @given(st.data())
    def probe(data: Any) -> None:
        if time.perf_counter() - start > budget:
            raise _Timeout
        n, d = data.draw(st.sampled_from(list(rc.shapes)), label="shape")
        template_seed = data.draw(st.integers(0, 2**31 - 1), label="template")
        sample = rc.sample(rng_for(seed, f"hypothesis:{rc.statement.id}", template_seed), n, d, 1)
        par = Parameterised(rc, space, sample)
        flat = (
            np.concatenate(
                [
                    data.draw(arrays(np.float64, size, elements=st.floats(-10, 10)), label=name)
                    for name, size in zip(par.names, par.sizes, strict=True)
                ]
            )
            if par.sizes
            else np.zeros(0)
        )
        inst = par.instance(flat)
        try:
            score, violated = par.score(inst)
        except Exception:
            return
        target(-score, label="violation")
        if violated and _certified(rc, space, inst):
            found.append(time.perf_counter() - start)
            raise _Found

    try:
        probe()
    except _Found:
        pass
    except _Timeout:
        return None
    except Exception:
        pass
    return found[0] if found else None


def evolution_search(check: Any, seed: int, budget: float) -> float | None:
    from scipy.optimize import differential_evolution

    start = time.perf_counter()
    rc = relation_check_of(check)
    if rc is None:
        return NOT_APPLICABLE
    space = space_of(rc.sample, rc.shapes, rc.domain)
    schedule = shape_schedule(rc.shapes)
    for round_ in range(10**9):
        n, d = schedule[round_ % len(schedule)]
        sample = rc.sample(rng_for(seed, f"evolution:{rc.statement.id}", round_), n, d, 1)
        par = Parameterised(rc, space, sample)
        if par.theta0.size == 0:
            return None

        def objective(flat: np.ndarray, par: Parameterised = par) -> float:
            if time.perf_counter() - start > budget:
                raise _Timeout
            inst = par.instance(flat)
            try:
                score, violated = par.score(inst)
            except Exception:
                return 1e3
            if violated and _certified(rc, space, inst):
                raise _Found
            return score

        bounds = list(zip(par.theta0 - 3.0, par.theta0 + 3.0, strict=True))
        try:
            differential_evolution(
                objective,
                bounds,
                seed=seed + round_,
                maxiter=200,
                popsize=10,
                tol=0.0,
                polish=False,
                x0=par.theta0,
            )
        except _Found:
            return time.perf_counter() - start
        except _Timeout:
            return None
    return None


def engine_search(check: Any, seed: int, budget: float) -> float | None:
    from proofs_check.search.driver import Searcher

    outcome = Searcher(seed, db=None).search(check, budget, replay=False)
    found = outcome.found
    if found is None:
        return None
    # time to the *first* certified counterexample, like every baseline (shrinking comes after)
    return found.first_certified_s if found.first_certified_s is not None else found.elapsed_s


METHODS = {
    "engine": engine_search,
    "random (jit)": random_jit,
    "random (numpy)": random_numpy,
    "hypothesis": hypothesis_search,
    "diff. evolution": evolution_search,
}
BASELINES = tuple(m for m in METHODS if m != "engine")
