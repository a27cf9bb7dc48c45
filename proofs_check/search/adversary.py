r"""The adversary: maximise a statement's scale-free violation by gradient descent, many restarts
at once.

For a :class:`~proofs_check.checks.engine.RelationCheck` the search is generic. Its instance's float
fields become parameters through :mod:`.space` (every point is an instance of the statement's
structural hypotheses); the objective is the penalised score of :mod:`.numeric` (the conclusion's
slack, plus ``LAMBDA`` times how far any relational hypothesis is from holding), computed from the
check's own observables and the statement's own SymPy relations, so nothing is typed twice.

``restarts`` starts (the check's sampler, half of them moved to structured corners by
:mod:`.starts`) run ``steps`` Adam steps (optax) in a jitted ``lax.scan`` over vmapped blocks of
restarts, the blocks spread over every JAX device (:mod:`.sharding`). Each restart remembers the parameters of its
most violated point (by the engine's float64 reading) and the tightest slack it saw where the
hypotheses hold. Checks whose observables need a solver (``prepare``) have the prepared fields held
fixed within a chunk of steps and recomputed between chunks (NumPy), so the final points are exact
instances again. Everything is a fixed number of steps on seeded starts: deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from proofs_check import compile_cache
from proofs_check.backend import JAX
from proofs_check.checks.engine import RelationCheck
from proofs_check.instances import rng_for
from proofs_check.perturb import perturbed_observables
from proofs_check.search import sharding
from proofs_check.search.axes import AxisRoles, probe_axes
from proofs_check.search.numeric import case_slacks, float_oracle
from proofs_check.search.space import SearchSpace, decode, encode, space_of
from proofs_check.search.starts import structured_starts

BIG = 1e3  # the score of a non-finite case: never preferred, never a NaN gradient source


@dataclass(frozen=True)
class AdversaryConfig:
    """How hard one adversarial round pushes."""

    restarts: int = 64
    steps: int = 60
    learning_rate: float = 0.05
    reprepare_every: int = 15  # steps between recomputing prepared fields (solver outputs)
    structured_fraction: float = 0.5


@dataclass
class AdversaryResult:
    """One round at one shape: per restart, its most violated point and its tightest slack."""

    shape: tuple[int, int]
    instances: dict[str, np.ndarray]  # batch: each restart's most violated point (else its start)
    violated: np.ndarray  # (B,) a case was violated (float64) at that point
    violation: np.ndarray  # (B,) the most negative violated slack (inf if none)
    tightest: np.ndarray  # (B,) the smallest conclusion slack seen where hypotheses held
    labels: list[str] = field(default_factory=list)  # the start of each restart

    @property
    def worst_slack(self) -> float | None:
        finite = self.tightest[np.isfinite(self.tightest)]
        return float(finite.min()) if finite.size else None


def relation_check_of(check: Any) -> RelationCheck | None:
    """The :class:`RelationCheck` behind ``check`` (itself, or a wrapper's ``.check``), or ``None``."""
    if isinstance(check, RelationCheck):
        return check
    inner = getattr(check, "check", None)
    if isinstance(inner, RelationCheck) and inner.statement == check.statement:
        return inner
    return None


class Adversary:
    """The gradient adversary of one relation check (space, axes and compiled steps memoised)."""

    def __init__(self, check: RelationCheck, config: AdversaryConfig | None = None) -> None:
        self.check = check
        self.config = config or AdversaryConfig()
        self._compiled: dict[Any, Any] = {}
        self._space: SearchSpace | None = None
        self._axes: AxisRoles | None = None

    @property
    def space(self) -> SearchSpace:
        if self._space is None:
            self._space = space_of(self.check.sample, self.check.shapes, self.check.domain)
        return self._space

    @property
    def axes(self) -> AxisRoles:
        if self._axes is None:
            self._axes = probe_axes(self.check.sample, self.check.shapes)
        return self._axes

    # -- starts ---------------------------------------------------------------------------------

    def starts(
        self, seed: int, shape: tuple[int, int], stream: int, size: int | None = None
    ) -> tuple[dict, list[str]]:
        """``size`` (default ``restarts``) starts at ``shape``: drawn, the first half moved to the
        structured corners in turn (:func:`structured_starts`); their labels."""
        n, d = shape
        rng = rng_for(seed, f"adversary:{self.check.statement.id}", stream)
        batch = self.check.sample(rng, n, d, self.config.restarts if size is None else size)
        batch = {k: np.asarray(v) for k, v in batch.items()}
        return structured_starts(self.space, self.axes, batch, rng, self.config.structured_fraction)

    # -- one round --------------------------------------------------------------------------------

    def run(self, seed: int, shape: tuple[int, int], stream: int = 0) -> AdversaryResult:
        """Optimise ``restarts`` starts at ``shape`` for ``steps`` steps (deterministic)."""
        starts, labels = self.starts(seed, shape, stream)
        size = self.config.restarts
        padded = sharding.padded_size(size)
        theta, aux, frozen = sharding.pad_batch(encode(self.space, starts), padded)
        blocks = padded // sharding.BLOCK
        fixed = sharding.split_blocks((aux, frozen), blocks)
        prepared = sharding.split_blocks(self._prepared(theta, aux, frozen), blocks)
        states = sharding.map_blocks(self._initial_state, sharding.split_blocks(theta, blocks))
        chunk = self._chunk_length()
        for _ in range(-(-self.config.steps // chunk)):  # equal chunks: one compilation
            states = sharding.map_blocks(
                lambda st, fx, pr: self._step(chunk, st, fx[0], fx[1], pr), states, fixed, prepared
            )
            if self.check.prepare is not None:
                # prepared fields are exact only where they were computed: the chunk's first step
                # records; re-prepare at the current point
                theta_now = sharding.join_blocks([st[0] for st in states], padded)
                prepared = sharding.split_blocks(self._prepared(theta_now, aux, frozen), blocks)
        best_theta, best_violation, tightest = sharding.join_blocks([st[2:] for st in states], size)
        aux, frozen = sharding.join_blocks(fixed, size)
        instances = {
            k: np.asarray(v) for k, v in decode(self.space, best_theta, aux, frozen, np).items()
        }
        best_violation, tightest = np.array(best_violation), np.array(tightest)
        if self.check.prepare is not None:  # the last point, exactly prepared: NumPy oracle
            theta_last = sharding.join_blocks([st[0] for st in states], size)
            last = decode(self.space, theta_last, aux, frozen, np)
            self._record_last(last, instances, best_violation, tightest)
        return AdversaryResult(
            shape, instances, np.isfinite(best_violation), best_violation, tightest, labels
        )

    def _record_last(
        self, last: dict, instances: dict, best_violation: np.ndarray, tightest: np.ndarray
    ) -> None:
        for b in range(best_violation.shape[0]):
            inst = {k: np.asarray(v[b]) for k, v in last.items()}
            try:
                result = float_oracle(self.check, inst)
            except Exception:
                continue
            tightest[b] = min(tightest[b], result.slack)
            if result.violated and result.slack < best_violation[b]:
                best_violation[b] = result.slack
                for k, v in inst.items():
                    instances[k][b] = v

    def _chunk_length(self) -> int:
        if self.check.prepare is None:
            return self.config.steps
        return max(1, self.config.reprepare_every)

    def _prepared(self, theta: dict, aux: dict, frozen: dict) -> dict[str, np.ndarray]:
        """Solver outputs (``check.prepare``) for every restart's current point."""
        if self.check.prepare is None:
            return {}
        inst = decode(self.space, theta, aux, frozen, np)
        size = next(iter(inst.values())).shape[0]
        rows: list[dict[str, Any] | None] = []
        for b in range(size):
            try:
                rows.append(self.check.prepared({k: np.asarray(v[b]) for k, v in inst.items()}))
            except Exception:  # the solver gave up on this point: NaN, so it records nothing
                rows.append(None)
        model = next((r for r in rows if r is not None), None)
        if model is None:
            raise RuntimeError(f"{self.check.statement.id}: prepare failed on every restart")
        nan = {k: np.full(np.shape(v), np.nan) for k, v in model.items()}
        return {k: np.asarray([(r if r is not None else nan)[k] for r in rows]) for k in model}

    def _initial_state(self, theta: dict) -> tuple:
        """``(theta, optimiser state, best theta, best violation, tightest slack)`` of one block."""
        size = jax.tree_util.tree_leaves(theta)[0].shape[0]
        device = jax.tree_util.tree_leaves(theta)[0].devices().pop()
        inf = jax.device_put(np.full(size, np.inf), device)
        opt_state = jax.device_put(self._optimizer().init(theta), device)
        return (theta, opt_state, theta, inf, inf)

    def _optimizer(self) -> optax.GradientTransformation:
        return optax.adam(self.config.learning_rate)

    # -- the compiled chunk ----------------------------------------------------------------------

    def _step(self, length: int, *args: Any) -> tuple:
        """One chunk of ``length`` steps on one block (``args``: state, aux, frozen, prepared),
        compiled once per chunk length, block shapes and device (kept in the program store)."""
        key = (length, compile_cache.signature(args))
        if key not in self._compiled:
            name = compile_cache.builtin_program(self.check, "adversary", self.config, length)
            self._compiled[key] = compile_cache.compiled(
                jax.jit(partial(self._chunk, length)), args, name
            )
        return self._compiled[key](*args)

    def _scores(self, theta: dict, aux: dict, frozen: dict, prepared: dict) -> tuple:
        """Per instance: the penalised score, its most violated slack, its tightest met slack."""
        inst = decode(self.space, theta, aux, frozen, jnp)
        inst.update(prepared)
        obs = perturbed_observables(self.check.observables, inst, JAX)
        cs = case_slacks(self.check.statement, obs, inst, jnp)
        score = jnp.min(jnp.where(jnp.isfinite(cs["score"]), cs["score"], BIG))
        violation = jnp.min(jnp.where(cs["violated"], cs["slack"], jnp.inf))
        return score, violation, jnp.min(cs["slack"])

    def _chunk(self, length: int, state: tuple, aux: dict, frozen: dict, prepared: dict) -> tuple:
        batched = jax.vmap(self._scores)
        opt = self._optimizer()

        def loss(theta: dict) -> tuple:
            score, violation, tight = batched(theta, aux, frozen, prepared)
            return jnp.sum(score), (violation, tight)

        # with prepared (solver) fields, only the chunk's first step sees them consistent
        consistent_only_first = self.check.prepare is not None

        def body(carry: tuple, step: jax.Array) -> tuple:
            theta, opt_state, best_theta, best_violation, tightest = carry
            (_, (violation, tight)), grads = jax.value_and_grad(loss, has_aux=True)(theta)
            if consistent_only_first:
                violation = jnp.where(step == 0, violation, jnp.inf)
                tight = jnp.where(step == 0, tight, jnp.inf)
            better = violation < best_violation
            best_theta = jax.tree_util.tree_map(
                lambda b, t: jnp.where(_expand(better, t), t, b), best_theta, theta
            )
            best_violation = jnp.minimum(best_violation, violation)
            tightest = jnp.minimum(tightest, tight)
            grads = jax.tree_util.tree_map(
                lambda g: jnp.nan_to_num(g, nan=0.0, posinf=0.0, neginf=0.0), grads
            )
            updates, opt_state = opt.update(grads, opt_state, theta)
            stepped = optax.apply_updates(theta, updates)
            theta = jax.tree_util.tree_map(
                lambda new, old: jnp.where(jnp.isfinite(new), new, old), stepped, theta
            )
            return (theta, opt_state, best_theta, best_violation, tightest), None

        state, _ = jax.lax.scan(body, state, jnp.arange(length))
        return state


def _expand(mask: jax.Array, like: jax.Array) -> jax.Array:
    return mask.reshape(mask.shape + (1,) * (like.ndim - 1))
