r"""Orchestration: ``search`` (budgeted rounds until a certified, shrunk counterexample) and the short
adversarial phase that ``verify`` runs after every statement's random phase.

``search`` on one statement:

1. **replay** the database's saved counterexamples of the statement (a certified one ends the search);
2. **screen** the adversary's starts through the NumPy float oracle, nothing compiled: the first
   :data:`SCREEN_FIRST` of every shape, then the rest, each violated start certified at once;
3. **rounds** of the gradient adversary (:mod:`.adversary`; at least one), one shape per round, smallest
   interesting shapes first (``3 <= n <= 8``, then the rest by size), fresh seeded starts each
   time the schedule wraps; the most violated points of a round are **shrunk**
   (:mod:`.shrink`) and **certified** (the check's own ``certify``: ball arithmetic, hypotheses
   proven too); the first certified one is saved to the database and returned;

The verify phase is a fixed amount of work (deterministic for a seed), on every theorem and on
every control the random phase did not refute: the adversary's starts screened at every declared
shape and at grown ``n`` (:func:`drawable_grown_shapes`), then gradient rounds at the smallest
interesting, the smallest and the largest declared shapes (:func:`verify_rounds`). It reports the
tightest slack the adversary reached where the hypotheses hold, and a certified violation it finds
(of a control the random phase missed, or -- a finding -- of a theorem) becomes the statement's
counterexample when the random phase has none.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, replace
from typing import Any

import numpy as np

from proofs_check import interrupt
from proofs_check.checks.engine import EvenShare
from proofs_check.evidence import Counterexample, Evidence
from proofs_check.profile import phase
from proofs_check.search.adversary import Adversary, AdversaryConfig, relation_check_of
from proofs_check.search.database import CounterexampleDB, exact_array
from proofs_check.search.numeric import float_oracle
from proofs_check.search.outcome import Found, SearchOutcome
from proofs_check.search.replay import replayer_for
from proofs_check.search.shrink import shrink
from proofs_check.search.space import exact_instance, float_instance
from proofs_check.stable import canonical_worst
from theory.core import Kind

SEARCH_CONFIG = AdversaryConfig(restarts=64, steps=60)
VERIFY_CONFIG = AdversaryConfig(restarts=64, steps=60)  # verify's rounds at small shapes
LARGEST_CONFIG = AdversaryConfig(restarts=16, steps=30)  # verify's round at the largest shape
MAX_CANDIDATES = 3  # violated restarts per round sent to shrinking and certification
SCREEN_CERTIFY = 6  # verify's screen: violated starts sent to certification, over all shapes
# verify's screen certifies a start at a grown shape only when it is violated by more than this
# (relative): below it, at n = 128-256, it was float64 rounding every time we looked (T2.d at
# n = 128: -2.8e-9, T5.b: -6e-8), and ball arithmetic on such an instance costs seconds a try
GROWN_CLEAR = 1e-6
SHRINK_SECONDS = 3.0
SCREEN_FRACTION = 0.25  # of the budget, at most, for step 0 through the NumPy oracle
# search's screen: this many starts of every shape first (one of each structured corner, which
# the starts cycle through), then the rest of every shape
SCREEN_FIRST = 8

Progress = Callable[[str, float], None]  # (what is happening, fraction of the budget used)


def shape_schedule(shapes: tuple[tuple[int, int], ...]) -> list[tuple[int, int]]:
    """Shapes in search order: ``3 <= n <= 8`` by size first (cheap, rich), then the rest by size."""
    shapes = list(dict.fromkeys(tuple(s) for s in shapes))
    first = sorted((s for s in shapes if 3 <= s[0] <= 8), key=lambda s: (s[0] * s[1], s))
    rest = sorted((s for s in shapes if s not in first), key=lambda s: (s[0] * s[1], s))
    return first + rest


def _no_progress(message: str, fraction: float) -> None:
    return None


class Searcher:
    """Runs searches; keeps each statement's adversary (and its compiled steps) between calls."""

    def __init__(
        self,
        seed: int = 0,
        db: CounterexampleDB | None = None,
        progress: Progress | None = None,
        config: AdversaryConfig = SEARCH_CONFIG,
    ) -> None:
        self.seed = seed
        self.db = db
        self.progress = progress or _no_progress
        self.config = config
        self._adversaries: dict[tuple[str, AdversaryConfig], Adversary] = {}

    def adversary(self, check: Any) -> Adversary:
        return self._adversary_with(check, self.config)

    # -- search -----------------------------------------------------------------------------------

    def search(self, check: Any, budget_s: float, replay: bool = True) -> SearchOutcome:
        """Find, shrink, certify and save a counterexample to ``check``'s statement within budget."""
        start = time.perf_counter()
        deadline = start + budget_s
        rc = relation_check_of(check)
        outcome = SearchOutcome(check.statement, "gradient adversary")
        try:
            if rc is None:
                raise TypeError("not a relation check: nothing to search")
            if replay and self.db is not None:  # reuse
                outcome.found = self._replay(check)
                if outcome.found is not None:
                    self._shrink_replayed(rc, outcome.found, deadline)
            if outcome.found is None:  # generate (the sampler's starts, screened), then target
                self._screen_starts(rc, outcome, start, deadline)
                if outcome.found is None:
                    self._adversarial_rounds(rc, outcome, start, deadline)
            if outcome.found is not None:
                self._save(check, outcome.found, "search")
        except Exception as exc:  # a failing search must not take the other statements down
            outcome.error = f"{type(exc).__name__}: {exc}".splitlines()[0]
        outcome.elapsed_s = time.perf_counter() - start
        if outcome.found is not None and not outcome.found.elapsed_s:
            outcome.found.elapsed_s = outcome.elapsed_s
        return outcome

    def _replay(self, check: Any) -> Found | None:
        replayer = replayer_for(check)
        if replayer is None or self.db is None:
            return None
        for entry in list(self.db.entries(check.statement.id)):  # every corrupt file warned once
            try:
                cert = replayer(entry.instance, entry.case)
            except Exception as exc:
                self.db.warn(f"{entry.path}: replay failed: {type(exc).__name__}: {exc}")
                continue
            if cert.certified:
                return Found(
                    check.statement.id,
                    entry.instance,
                    entry.case,
                    cert,
                    self._shape_of(check, entry.instance),
                    f"database ({entry.path.name})",
                    saved_to=entry.path,
                )
        return None

    def _shrink_replayed(self, rc: Any, found: Found, deadline: float) -> None:
        """A saved counterexample (verify saves them unshrunk) shrunk too; saved if it is new."""
        adv = self.adversary(rc)
        if not set(adv.space.names) <= set(found.instance):
            return
        floats = float_instance({k: found.instance[k] for k in adv.space.names})
        seconds = max(0.2, min(SHRINK_SECONDS, deadline - time.perf_counter()))
        shrunk = shrink(rc, adv.space, adv.axes, floats, seconds=seconds)
        if shrunk is None or not shrunk.log:
            return
        cert = _certify(rc, shrunk.exact, shrunk.oracle.case)
        if cert is None or not cert.certified:
            return
        found.unshrunk_shape = found.shape
        found.instance, found.case, found.certificate = shrunk.exact, shrunk.oracle.case, cert
        n, d = shrunk.shape(adv.axes)
        found.shape = (n, d) if n else found.shape
        found.shrink_log, found.saved_to = shrunk.log, None
        found.origin += ", shrunk"

    def _screen_starts(
        self, rc: Any, outcome: SearchOutcome, start: float, deadline: float
    ) -> None:
        """Step 0 without compiling: the starts through the NumPy float oracle, the first
        :data:`SCREEN_FIRST` of every shape, then the rest of every shape, each violated one
        confirmed as soon as it is seen (at most :data:`MAX_CANDIDATES` per shape). The time to the
        first certified counterexample is what a user waits for: a violation that needs a later
        shape is not kept waiting behind a whole screen of the earlier ones (verify, a fixed amount
        of work, screens every start and ranks them instead)."""
        adv = self.adversary(rc)
        budget = max(deadline - start, 1e-9)
        stop = min(deadline, time.perf_counter() + SCREEN_FRACTION * budget)
        shapes = shape_schedule(rc.shapes)
        drawn: dict[tuple[int, int], tuple[dict, list[str]]] = {}
        confirmed: Counter[tuple[int, int]] = Counter()
        for part in (slice(0, SCREEN_FIRST), slice(SCREEN_FIRST, None)):
            for shape in shapes:
                if time.perf_counter() >= stop or interrupt.requested():
                    return
                self.progress(
                    f"screening starts at n={shape[0]}, d={shape[1]}",
                    (time.perf_counter() - start) / budget,
                )
                if shape not in drawn:
                    drawn[shape] = adv.starts(self.seed, shape, 0)
                starts, labels = drawn[shape]
                restarts = range(len(labels))[part]
                for _, _, inst, label in violated_starts(rc, starts, labels, restarts, stop):
                    if confirmed[shape] >= MAX_CANDIDATES:
                        break
                    confirmed[shape] += 1
                    found = self._confirm(rc, adv, inst, shape, start, deadline)
                    if found is not None:
                        found.origin = f"start at n={shape[0]}, d={shape[1]} ('{label}'), screened"
                        found.elapsed_s = time.perf_counter() - start
                        outcome.found = found
                        return

    def _shape_of(self, check: Any, instance: dict[str, Any]) -> tuple[int, int] | None:
        """``(n, d)`` of an instance, read along the axes the check's sampler gives ``n`` and ``d``."""
        from proofs_check.search.shrink import instance_shape

        rc = relation_check_of(check)
        if rc is not None:
            n, d = instance_shape(instance, self.adversary(rc).axes)
            return (n, d) if n else None
        X = instance.get("X")
        return tuple(int(k) for k in np.shape(X)) if X is not None and np.ndim(X) == 2 else None

    def _adversarial_rounds(
        self, rc: Any, outcome: SearchOutcome, start: float, deadline: float
    ) -> None:
        adv = self.adversary(rc)
        declared = shape_schedule(rc.shapes)
        schedule = declared + drawable_grown_shapes(rc)
        budget = max(deadline - start, 1e-9)
        for r in itertools.count():
            if r > 0 and (time.perf_counter() >= deadline or interrupt.requested()):
                break  # round 0 always runs: a loaded machine must not skip the adversary
            # the declared shapes first; after them, longer sequences than any declared (where the
            # domain allows), for violations that need many tokens; then around again
            shape = schedule[r % len(schedule)]
            self.progress(
                f"round {r}: n={shape[0]}, d={shape[1]}", (time.perf_counter() - start) / budget
            )
            result = adv.run(self.seed, shape, stream=r // len(schedule))
            outcome.rounds = r + 1
            if result.worst_slack is not None:
                outcome.worst_slack = min(outcome.worst_slack or np.inf, result.worst_slack)
            order = canonical_restarts(result)
            for b in order[:MAX_CANDIDATES]:
                if time.perf_counter() >= deadline or (interrupt.requested() and b != order[0]):
                    break
                self.progress(
                    f"round {r}: shrinking and certifying", (time.perf_counter() - start) / budget
                )
                inst = {k: np.asarray(v[b]) for k, v in result.instances.items()}
                found = self._confirm(rc, adv, inst, tuple(result.shape), start, deadline)
                if found is not None:
                    found.origin = f"adversary at n={shape[0]}, d={shape[1]}, round {r}, start '{result.labels[b]}'"
                    found.elapsed_s = time.perf_counter() - start
                    outcome.found = found
                    return

    def _confirm(
        self,
        rc: Any,
        adv: Adversary,
        inst: dict[str, Any],
        shape: tuple[int, int],
        start: float,
        deadline: float,
    ) -> Found | None:
        """Certify a violating point, then shrink it and certify the shrunk point (reported if it
        is certified; else the unshrunk one). ``first_certified_s``: when the first was proven."""
        unshrunk = certified_point(rc, adv, inst, shape)
        if unshrunk is not None:
            unshrunk.first_certified_s = time.perf_counter() - start
        seconds = max(0.2, min(SHRINK_SECONDS, deadline - time.perf_counter()))
        shrunk = shrink(rc, adv.space, adv.axes, inst, seconds=seconds)
        if shrunk is not None and (shrunk.log or unshrunk is None):
            cert = _certify(rc, shrunk.exact, shrunk.oracle.case)
            if cert is not None and cert.certified:
                n, d = shrunk.shape(adv.axes)  # (0, 0): a fixed-shape sampler, nothing deleted
                first = unshrunk.first_certified_s if unshrunk else time.perf_counter() - start
                return Found(
                    rc.statement.id,
                    shrunk.exact,
                    shrunk.oracle.case,
                    cert,
                    (n, d) if n else tuple(shape),
                    "",
                    first_certified_s=first,
                    shrink_log=list(shrunk.log),
                    unshrunk_shape=shape,
                )
        if unshrunk is not None:
            unshrunk.unshrunk_shape = tuple(shape)
        return unshrunk

    def _save(self, check: Any, found: Found, found_by: str) -> None:
        if self.db is None or found.saved_to is not None or replayer_for(check) is None:
            return
        found.saved_to = self.db.save(
            found.statement_id,
            found.instance,
            found.case,
            asdict(found.certificate),
            found_by,
            self.seed,
        )

    # -- the verify phase ---------------------------------------------------------------------------

    def reuse(self, check: Any) -> Found | None:
        """Phase 1, before the random phase: the database's saved counterexamples of the
        statement, re-certified; the first certified one (``None``: none, or no database)."""
        return self._replay(check) if self.db is not None else None

    def target(
        self,
        check: Any,
        ev: Evidence,
        reused: Found | None = None,
        adversary: bool = True,
        samples: int | None = None,
    ) -> None:
        """Phases 3-5, after the random phase (``check.run`` with ``samples``): a counterexample
        ``reused`` from the database is the statement's (it was found first); the adversarial
        phase on every theorem and every control not yet refuted (unless ``adversary`` is
        false), its best points certified; what is certified is saved."""
        if reused is not None:
            ev.counterexample = _as_counterexample(reused, "database")
            _note_theorem_finding(ev)
        rc = relation_check_of(check) if adversary and not interrupt.requested() else None
        refuted = ev.counterexample is not None and ev.counterexample.certificate.certified
        if rc is not None and not (ev.statement.kind is Kind.CONTROL and refuted):
            try:
                with phase("adversary"):
                    self._verify_adversary(rc, ev, samples)
            except Exception as exc:  # the statement's check did not run to the end: an ERROR
                ev.adversary = {"error": f"{type(exc).__name__}: {exc}".splitlines()[0]}
                ev.error = "the adversarial phase failed"
        if ev.counterexample is not None and ev.counterexample.certificate.certified:
            self._save_evidence(check, rc, ev.counterexample)

    def verify_phase(
        self, check: Any, ev: Evidence, adversary: bool = True, samples: int | None = None
    ) -> None:
        """Reuse and target for a statement whose random phase already ran (tests, docs)."""
        self.target(check, ev, self.reuse(check), adversary, samples)

    def _verify_adversary(self, rc: Any, ev: Evidence, samples: int | None = None) -> None:
        """Verify's target phase, a fixed amount of work (deterministic for a seed):

        1. **screen**: the adversary's starts (sampled and every structured corner) at every
           declared shape and at the grown shapes the domain allows (:func:`drawable_grown_shapes`),
           through the NumPy oracle, nothing compiled;
        2. **rounds** of the gradient adversary (:func:`verify_rounds`): the smallest interesting
           and the smallest declared shapes with ``self.config``, and the largest declared shape
           with :data:`LARGEST_CONFIG`.

        The best points of each are certified; the first certified one is the statement's
        counterexample. ``ev.adversary`` says what was covered. A check with a ``target_budget``
        (a solve per evaluation) screens its declared shapes only, at each half as many starts
        as its random phase drew there for ``samples`` (at most ``target_budget[0]``), all corners
        (:func:`screen_config`; T4's screen at n = 32, d = 16 would otherwise take 25-44 s)."""
        rounds, worst, violating = [], None, 0
        schedule = verify_rounds(rc.shapes, self.config, rc.target_budget)
        screen_adv = self._adversary_with(rc, screen_config(rc, schedule[0][1]))
        declared = shape_schedule(rc.shapes)
        grown = drawable_grown_shapes(rc) if rc.target_budget is None else []
        screened = declared + grown
        hits = []  # (instance, start label, shape): the screen's candidates for certification
        limits = _screen_limits(rc, samples) | grown_limits(
            rc.shapes, grown, screen_adv.config.restarts
        )
        for shape in screened:
            for slack, inst, label in screen_starts(
                rc, screen_adv, self.seed, shape, limit=limits.get(shape)
            ):
                worst = slack if worst is None else min(worst, slack)
                violating += 1
                if shape in declared or slack < -GROWN_CLEAR:
                    hits.append((inst, label, shape))
        # in screening order (small shapes first: cheap to certify, readable), each shape's most
        # violated first; at most SCREEN_CERTIFY in all, however many shapes were screened (an
        # equation's float noise at n = 128 costs seconds of ball arithmetic per attempt)
        for inst, label, shape in hits[:SCREEN_CERTIFY]:
            if ev.counterexample is not None:
                break
            self._certify_point(rc, screen_adv, inst, shape, f"screen/{label}", ev)
        for shape, config in schedule:
            adv = self._adversary_with(rc, config)
            result = adv.run(self.seed, shape)
            rounds.append(
                {"shape": list(shape), "restarts": config.restarts, "steps": config.steps}
            )
            if result.worst_slack is not None:
                worst = result.worst_slack if worst is None else min(worst, result.worst_slack)
            violating += int(result.violated.sum())
            if ev.counterexample is None:
                for b in canonical_restarts(result)[:MAX_CANDIDATES]:
                    inst = {k: np.asarray(v[b]) for k, v in result.instances.items()}
                    family = f"adversary/{result.labels[b]}"
                    if self._certify_point(rc, adv, inst, shape, family, ev):
                        break
        ev.adversary = {
            "screened": {
                "shapes": [list(s) for s in screened],
                "starts": [limits.get(s, screen_adv.config.restarts) for s in screened],
            },
            "rounds": rounds,
            "worst_slack": worst,
            "violating_restarts": violating,
        }

    def _adversary_with(self, rc: Any, config: AdversaryConfig) -> Adversary:
        # keyed by the whole config: the screen's (all corners) and the round's starts differ
        key = (rc.statement.id, config)
        if key not in self._adversaries:
            self._adversaries[key] = Adversary(rc, config)
        return self._adversaries[key]

    def _certify_point(
        self,
        rc: Any,
        adv: Adversary,
        inst: dict[str, Any],
        shape: tuple[int, int],
        family: str,
        ev: Evidence,
    ) -> bool:
        """Certify one violating point; if certified it becomes ``ev``'s counterexample."""
        found = certified_point(rc, adv, inst, shape)
        if found is None:
            return False
        ev.counterexample = _as_counterexample(found, family)
        _note_theorem_finding(ev)
        return True

    def _save_evidence(self, check: Any, rc: Any, cx: Counterexample) -> None:
        if self.db is None or replayer_for(check) is None:
            return
        instance = {k: exact_array(v) for k, v in cx.instance.items()}
        if rc is not None:
            names = set(self.adversary(rc).space.names)
            instance = {k: v for k, v in instance.items() if k in names}
        self.db.save(
            cx.statement_id, instance, cx.case, asdict(cx.certificate), "verify", self.seed
        )


MAX_GROWN_N = 256  # the search grows n up to this many tokens (where the domain allows)
MIN_GROWN_STARTS = 16  # verify's screen at a grown shape: at least this many starts


def grown_shapes(shapes: tuple[tuple[int, int], ...], domain: Any = None) -> list[tuple[int, int]]:
    """Shapes beyond the declared ones: ``n`` doubled from the largest declared (width kept), up
    to four times it, :data:`MAX_GROWN_N` and the domain's ``n_max``."""
    n, d = max(shapes, key=lambda s: (s[0], s[1]))
    sizes = getattr(domain, "sizes", None)
    cap = min(MAX_GROWN_N, 4 * n)
    if sizes is not None and sizes.n_max is not None:
        cap = min(cap, sizes.n_max)
    out = []
    while 2 * n <= cap:
        n *= 2
        out.append((n, d))
    return out


def drawable_grown_shapes(rc: Any) -> list[tuple[int, int]]:
    """:func:`grown_shapes` of a check, less those its sampler cannot draw (a sampler with
    per-shape data, e.g. T6's fixed layers, draws its declared shapes only)."""
    out = []
    for n, d in grown_shapes(rc.shapes, rc.domain):
        try:
            rc.sample(np.random.default_rng(0), n, d, 1)
        except Exception:
            continue
        out.append((n, d))
    return out


def verify_rounds(
    shapes: tuple[tuple[int, int], ...],
    config: AdversaryConfig,
    budget: tuple[int, int] | None = None,
) -> list[tuple[tuple[int, int], AdversaryConfig]]:
    """Verify's gradient rounds, in order: the first shape of :func:`shape_schedule` (the smallest
    interesting one) and the smallest declared shape with ``config``, and the largest declared
    shape (most tokens, then widest) with :data:`LARGEST_CONFIG`; each shape once. A check with a
    ``target_budget`` ``(restarts, steps)`` (its observables solve a program per step) runs the
    first round only, capped: at its largest shapes one round took minutes (T4.e: 455 s)."""
    first = shape_schedule(shapes)[0]
    if budget is not None:
        restarts, steps = budget
        capped = replace(
            config, restarts=min(config.restarts, restarts), steps=min(config.steps, steps)
        )
        return [(first, capped)]
    smallest = min(shapes, key=lambda s: (s[0] * s[1], s))
    largest = max(shapes, key=lambda s: (s[0], s[1]))
    rounds: list[tuple[tuple[int, int], AdversaryConfig]] = []
    for shape, cfg in ((first, config), (smallest, config), (largest, LARGEST_CONFIG)):
        if all(tuple(shape) != done for done, _ in rounds):
            rounds.append((tuple(shape), cfg))
    return rounds


def grown_limits(
    declared: tuple[tuple[int, int], ...], grown: list[tuple[int, int]], restarts: int
) -> dict[tuple[int, int], int]:
    """Starts screened at each grown shape: ``restarts`` divided by how many times the largest
    declared ``n`` it is (32 at 2x, 16 at 4x), so that drawing and evaluating them, which grows at
    least as ``n^2``, stays bounded (T3.a's 64 starts at n = 256 took 10 s, mostly the sampler); at
    least :data:`MIN_GROWN_STARTS` (every structured corner once, as many sampled)."""
    n_declared = max(n for n, _ in declared)
    return {(n, d): max(MIN_GROWN_STARTS, restarts * n_declared // n) for n, d in grown}


def _screen_limits(rc: Any, samples: int | None) -> dict[tuple[int, int], int]:
    """Per declared shape, how many starts a budgeted check screens: half its random phase's
    count there (rounded up), at most ``target_budget[0]``. They are all structured corners
    (:func:`screen_config`): the random phase already drew that many from the same sampler."""
    if rc.target_budget is None or samples is None:
        return {}
    share = rc.instances_per_shape or EvenShare(len(rc.shapes))
    counts: dict[tuple[int, int], int] = {}
    for shape, count in zip(rc.shapes, share(samples), strict=True):
        counts[tuple(shape)] = counts.get(tuple(shape), 0) + count
    return {shape: min(rc.target_budget[0], -(-c // 2)) for shape, c in counts.items()}


def screen_config(rc: Any, first_round: AdversaryConfig) -> AdversaryConfig:
    """The screen's starts: those of the first gradient round; a budgeted check's are all
    structured corners (its sampled ones would repeat its random phase at a solve each)."""
    if rc.target_budget is None:
        return first_round
    return replace(first_round, structured_fraction=1.0)


def screen_starts(
    rc: Any,
    adv: Adversary,
    seed: int,
    shape: tuple[int, int],
    stop: float | None = None,
    limit: int | None = None,
) -> list[tuple[float, dict[str, np.ndarray], str]]:
    """The adversary's starts at ``shape`` (stream 0: sampled and structured corners; ``limit``
    of them, default the adversary's restarts) through the NumPy float oracle, nothing compiled:
    the violated ones, most violated first (ties by restart index), at most
    :data:`MAX_CANDIDATES`, as ``(slack, instance, start label)``. ``stop``: a ``perf_counter``
    time after which no further start is evaluated (search's budget)."""
    starts, labels = adv.starts(seed, shape, 0, limit)
    hits = list(violated_starts(rc, starts, labels, range(len(labels)), stop))
    order = canonical_worst(list(range(len(hits))), lambda h: hits[h][0], lambda h: hits[h][1])
    return [(hits[h][0], hits[h][2], hits[h][3]) for h in order[:MAX_CANDIDATES]]


def violated_starts(
    rc: Any,
    starts: dict[str, np.ndarray],
    labels: list[str],
    restarts: Iterable[int],
    stop: float | None = None,
) -> Iterator[tuple[float, int, dict[str, np.ndarray], str]]:
    """The ``restarts`` of a batch of starts (:meth:`Adversary.starts`) that the NumPy float
    oracle finds violated beyond rounding, lazily and in the order given:
    ``(slack, restart, instance, start label)``. ``stop``: a ``perf_counter`` time after which no
    further start is evaluated."""
    for b in restarts:
        if stop is not None and time.perf_counter() >= stop:
            return
        inst = {k: np.asarray(v[b]) for k, v in starts.items()}
        oracle = _oracle_or_none(rc, inst)
        if oracle is not None and oracle.violated:
            if rc.is_rounding_level(oracle.slack, oracle.raw, oracle.rounding_scale):
                continue  # what the random phase would not escalate either
            yield float(oracle.slack), b, inst, labels[b]


def canonical_restarts(result: Any) -> list[int]:
    """The violating restarts, most violated first; rounding-level ties by restart index."""
    violating = [b for b in range(len(result.violation)) if result.violated[b]]
    return canonical_worst(violating, lambda b: float(result.violation[b]), lambda b: b)


def certified_point(
    rc: Any, adv: Adversary, inst: dict[str, Any], shape: tuple[int, int]
) -> Found | None:
    """A float point read as its exact instance, violated in float64 and certified in ball
    arithmetic (``None`` otherwise)."""
    exact = exact_instance(adv.space, inst)
    oracle = _oracle_or_none(rc, float_instance(exact))
    if oracle is None or not oracle.violated:
        return None
    cert = _certify(rc, exact, oracle.case)
    if cert is None or not cert.certified:
        return None
    return Found(rc.statement.id, exact, oracle.case, cert, tuple(shape), "")


def _oracle_or_none(rc: Any, instance: dict[str, Any]) -> Any:
    """The float oracle, ``None`` where the check cannot evaluate the instance (a solver gave up)."""
    try:
        return float_oracle(rc, instance)
    except Exception:
        return None


def _certify(rc: Any, instance: dict[str, Any], case: int) -> Any:
    """``rc.certify``, with a certifier that gives up (raises) read as "not certified"."""
    try:
        return rc.certify_saved(instance, case)
    except Exception:
        return None


def _as_counterexample(found: Found, family: str) -> Counterexample:
    from proofs_check.checks.engine import _jsonable

    instance = {
        k: (np.vectorize(str, otypes=[object])(v) if np.asarray(v).dtype == object else v)
        for k, v in found.instance.items()
    }
    return Counterexample(
        found.statement_id,
        _jsonable(instance),
        int(found.case),
        family,
        tuple(found.shape) if found.shape else (0, 0),
        found.certificate,
    )


def _note_theorem_finding(ev: Evidence) -> None:
    if ev.statement.kind is Kind.THEOREM and ev.counterexample is not None:
        ev.detail = (
            "certified counterexample: the conjecture is false"
            if ev.statement.claim == "user"
            else "FINDING: certified counterexample to a THEOREM of THEORY.md"
        )
