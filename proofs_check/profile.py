r"""Where a run's time goes: ``proofs-check verify --profile``.

Categories (wall-clock seconds; a phase nested in another is counted in the inner one only):

* ``import``      -- from ``import proofs_check`` to the start of the run (Python, JAX, SymPy),
  and loading the statements and their checks;
* ``symbolic``    -- SymPy checking each statement's algebra steps;
* ``compile``     -- building the XLA programs of the random phase (one per check and shape);
* ``sampling``    -- the instance samplers (NumPy);
* ``evaluation``  -- running the compiled programs (observables and relations on a batch);
* ``solvers``     -- solver-defined observables and ``prepare`` (LPs, QPs, conic programs);
* ``certification`` -- ball arithmetic and exact certificates of float64 violations;
* ``adversary``   -- the target phase (its compilation included);
* ``other``       -- the rest (symbolic steps, the report).

Off unless :func:`profiling` is active: :func:`phase` then costs one context-variable lookup.

Solver-defined observables run inside compiled programs as host callbacks, which XLA may call on
its own threads, where the run's context variable is not set. Those phases are charged to the
profile of the process (:data:`_PROCESS_PROFILE`) and their time taken from the phase the profiling
thread is waiting in (``evaluation``, ``adversary``); before this, the ``solvers`` row missed them.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

IMPORT_STARTED = time.perf_counter()  # set when proofs_check is first imported
CATEGORIES = (
    "import",
    "symbolic",
    "compile",
    "sampling",
    "evaluation",
    "solvers",
    "certification",
    "adversary",
    "other",
)


@dataclass
class Profile:
    """Seconds per category, and how often each was entered."""

    seconds: Counter[str] = field(default_factory=Counter)
    calls: Counter[str] = field(default_factory=Counter)
    total: float = 0.0
    started: float = field(default_factory=time.perf_counter)
    workers: int = 1  # > 1: the phases were summed over this many worker processes
    _before_run: float = 0.0  # the import time before ``profiling`` started (not in ``total``)
    _merged_other: float = 0.0  # the workers' own remainders (``workers > 1``)
    _stack: list[str] = field(default_factory=list)  # the profiling thread's open phases
    _thread: int = field(default_factory=threading.get_ident)  # the profiling thread
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def rows(self) -> list[tuple[str, float, int]]:
        """``(category, seconds, calls)`` in :data:`CATEGORIES` order, ``other`` the remainder
        (summed over the workers when there were several: their seconds exceed the wall-clock)."""
        accounted = sum(self.seconds.values()) - self._before_run
        other = self._merged_other if self.workers > 1 else max(0.0, self.total - accounted)
        # max(0, .): callbacks on two XLA threads at once can take more than their waiting phase lasted
        out = [(c, max(0.0, self.seconds[c]), self.calls[c]) for c in CATEGORIES if c != "other"]
        return out + [("other", other, 0)]

    @property
    def wall_s(self) -> float:
        """The run's wall-clock time, its imports included."""
        return self.total + self._before_run

    def charge_import(self, seconds: float) -> None:
        """A worker's import time, charged once (its first task), not the worker's whole life."""
        self.seconds["import"] = self._before_run = seconds
        self.calls["import"] = 1 if seconds else 0

    def shares(self) -> tuple[dict[str, float], dict[str, int], float]:
        """``(seconds, calls, other)`` of a finished profile, for :meth:`merge` into another."""
        rows = self.rows()
        return {c: t for c, t, _ in rows[:-1]}, {c: k for c, _, k in rows[:-1]}, rows[-1][1]

    def merge(self, seconds: dict[str, float], calls: dict[str, int], other: float) -> None:
        """Add a worker's :meth:`shares`."""
        self.seconds.update(seconds)
        self.calls.update(calls)
        self._merged_other += other


_ACTIVE: ContextVar[Profile | None] = ContextVar("proofs_check_profile", default=None)
_PROCESS_PROFILE: Profile | None = None  # the innermost active profile, for XLA's own threads
_FOREIGN = threading.local()  # the open phases of a thread other than the profiling one


def active_profile() -> Profile | None:
    """The profile being collected (inside :func:`profiling`), else ``None``."""
    return _ACTIVE.get()


@contextmanager
def profiling() -> Iterator[Profile]:
    """Collect a :class:`Profile` of everything run inside the block."""
    global _PROCESS_PROFILE
    prof = Profile()
    prof.seconds["import"] = prof._before_run = time.perf_counter() - IMPORT_STARTED
    prof.calls["import"] = 1
    token = _ACTIVE.set(prof)
    enclosing, _PROCESS_PROFILE = _PROCESS_PROFILE, prof
    try:
        yield prof
    finally:
        prof.total = time.perf_counter() - prof.started
        _ACTIVE.reset(token)
        _PROCESS_PROFILE = enclosing


def _profile_of_this_thread() -> tuple[Profile | None, list[str]]:
    """The profile a phase entered here counts in, and the stack of open phases it nests in."""
    prof = _ACTIVE.get()
    if prof is not None:
        return prof, prof._stack
    prof = _PROCESS_PROFILE
    if prof is None or threading.get_ident() == prof._thread:
        return None, []
    if not hasattr(_FOREIGN, "stack"):
        _FOREIGN.stack = []
    return prof, _FOREIGN.stack


@contextmanager
def phase(category: str) -> Iterator[None]:
    """Count the block's time under ``category`` (only the innermost phase counts).

    On a thread of XLA's (a host callback), the outermost phase's time is taken from the phase the
    profiling thread is in, which waits for the callback."""
    prof, stack = _profile_of_this_thread()
    if prof is None:
        yield
        return
    start = time.perf_counter()
    stack.append(category)
    try:
        yield
    finally:
        elapsed = time.perf_counter() - start
        stack.pop()
        enclosing = stack or prof._stack
        with prof._lock:
            prof.seconds[category] += elapsed
            prof.calls[category] += 1
            if enclosing:  # the enclosing phase did not spend this time itself
                prof.seconds[enclosing[-1]] -= elapsed
