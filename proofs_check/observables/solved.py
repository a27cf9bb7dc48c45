r"""Solver-defined observables: values a solver computes, callable from any observable function.

An observable function ``observables(inst, ops)`` (a built-in's or a user's ``quantities``) may call
a :class:`SolverObservable` exactly like ``ops.softmax``; the same call works in every phase:

* **float64, under ``jit``/``vmap``** (the random phase, the adversary): the solver runs on the host
  through :func:`jax.pure_callback`, once per instance. Where the observable has a ``gradient``
  (the hull distance: the envelope theorem at the minimum-norm point) the adversary follows it;
  otherwise its inputs are cut from the gradient and it moves through the other observables.
* **float64 in NumPy** (the search's oracle): the solver is called directly.
* **ball arithmetic** (certification): :attr:`SolverObservable.enclosure` returns an ``arb`` ball
  proven to contain the exact value for the exact (rational) inputs, e.g. the exact minimum-norm
  point of a hull, or the interval between a primal and a dual certificate. An exact zero is a
  ball of radius 0, so a strict ``> 0`` conclusion can be refuted.

Each float value is snapped to ``0.0`` when it lies within the solver's documented tolerance of 0
(:data:`ZERO_TOL` relative to the inputs' scale): a distance or an LP optimum that is zero in exact
arithmetic comes back from a solver as ``1e-17``, and a relation such as ``gamma_u <= 0`` must see
it as zero. Whether the snap was right is decided in ball arithmetic, never in float64.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from typing import Any

import flint
import jax
import jax.numpy as jnp
import numpy as np

from proofs_check.perturb import perturb_host
from proofs_check.profile import phase

ZERO_TOL = 1e-9  # a solver value below this, relative to the inputs' squared scale, is 0.0


@dataclass(frozen=True)
class SolverObservable:
    r"""A scalar that a solver computes from arrays: its float64 value and its rigorous enclosure.

    ``float_value(*arrays, **options) -> float`` runs on NumPy float64 arrays (per instance);
    ``enclosure(*arrays, **options) -> arb`` on object arrays of ``arb`` balls (or exact rationals)
    and returns a ball containing the exact value. ``options`` are static Python values (flags).
    ``gradient(*arrays, **options) -> tuple of arrays`` (optional: the derivative of the value with
    respect to each input, e.g. by the envelope theorem at the solver's optimum) lets the
    adversary follow the solver; without it the inputs are cut from the gradient.
    """

    name: str
    float_value: Callable[..., float]
    enclosure: Callable[..., Any]
    doc: str = ""
    gradient: Callable[..., tuple[np.ndarray, ...]] | None = None

    def __call__(self, ops: Any, *arrays: Any, **options: Any) -> Any:
        if ops.name == "arb":
            return self.enclosure(*[np.asarray(a, dtype=object) for a in arrays], **options)
        if ops.xp is np:
            return np.float64(self._host(*arrays, **options))
        return _on_host(self, options, *arrays)

    def _host(self, *arrays: Any, **options: Any) -> float:
        with phase("solvers"):
            value = self.float_value(*[np.asarray(a, dtype=float) for a in arrays], **options)
        value = float(value)
        return float(perturb_host(np.float64(value)))


def _on_host(observable: SolverObservable, options: dict[str, Any], *arrays: Any) -> jax.Array:
    """``observable`` under ``jit``/``vmap``: a host callback per instance; differentiable through
    its ``gradient`` where it has one, else cut from the gradient (``stop_gradient``)."""
    inputs = [jnp.asarray(a, dtype=jnp.float64) for a in arrays]
    if observable.gradient is None:
        return _value_callback(observable, options, *map(jax.lax.stop_gradient, inputs))
    return _differentiable(observable, tuple(sorted(options.items())))(*inputs)


def _value_callback(observable: SolverObservable, options: dict[str, Any], *inputs: Any) -> Any:
    def host(*values: np.ndarray) -> np.ndarray:
        return np.asarray(observable._host(*values, **options), dtype=np.float64)

    return jax.pure_callback(
        host, jax.ShapeDtypeStruct((), jnp.float64), *inputs, vmap_method="sequential"
    )


@cache
def _differentiable(observable: SolverObservable, options: tuple[tuple[str, Any], ...]) -> Any:
    """The observable as a ``custom_jvp`` function: value and gradient from the host solver."""
    kwargs = dict(options)

    @jax.custom_jvp
    def value(*inputs: Any) -> Any:
        return _value_callback(observable, kwargs, *inputs)

    @value.defjvp
    def value_jvp(primals: tuple, tangents: tuple) -> tuple:
        def host(*values: np.ndarray) -> tuple:
            arrays = [np.asarray(v, dtype=float) for v in values]
            with phase("solvers"):
                grads = observable.gradient(*arrays, **kwargs)
            return (
                np.asarray(observable._host(*arrays, **kwargs), dtype=np.float64),
                *(
                    np.asarray(g, dtype=np.float64).reshape(np.shape(a))
                    for g, a in zip(grads, arrays, strict=True)
                ),
            )

        shapes = (jax.ShapeDtypeStruct((), jnp.float64),) + tuple(
            jax.ShapeDtypeStruct(jnp.shape(p), jnp.float64) for p in primals
        )
        out, *grads = jax.pure_callback(host, shapes, *primals, vmap_method="sequential")
        tangent = sum((jnp.sum(g * t) for g, t in zip(grads, tangents, strict=True)), jnp.zeros(()))
        return out, tangent

    return value


# ----------------------------------------------------------------------------------------------
# Exact inputs from balls
# ----------------------------------------------------------------------------------------------


def exact_rational(x: Any) -> Fraction | None:
    """The exact value of an exact ball (radius 0) or a rational; ``None`` for a proper ball."""
    if isinstance(x, Fraction):
        return x
    if isinstance(x, (int, np.integer)):
        return Fraction(int(x))
    if isinstance(x, float):
        return Fraction(x)
    if isinstance(x, flint.fmpq):
        return Fraction(int(x.p), int(x.q))
    if isinstance(x, flint.arb):
        if not x.is_exact():
            return None
        man, exp = x.mid().man_exp()
        man, exp = int(man), int(exp)
        return Fraction(man * 2**exp) if exp >= 0 else Fraction(man, 2**-exp)
    return None


def _ball(q: Fraction) -> flint.arb:
    return flint.arb(flint.fmpq(q.numerator, q.denominator))


def as_ball(x: Any) -> flint.arb:
    """An ``arb`` ball for a ball, a rational or a float (read exactly)."""
    if isinstance(x, flint.arb):
        return x
    q = exact_rational(x)
    if q is None:
        raise TypeError(f"not a real number: {x!r}")
    return _ball(q)


def _radius_bound(P: np.ndarray) -> flint.arb:
    """An upper bound on ``max_i ||p_i - mid(p_i)||_2`` over the balls of ``P``."""
    worst = flint.arb(0)
    for row in P:
        total = flint.arb(0)
        for x in row:
            r = as_ball(x).rad()
            total += flint.arb(r) * flint.arb(r)
        worst = flint.arb.max(worst, total.sqrt())
    return flint.arb(worst.upper())


def _interval(lower: flint.arb, upper: flint.arb) -> flint.arb:
    """A ball containing ``[lower, upper]`` (both balls)."""
    return flint.arb(lower.lower()).union(flint.arb(upper.upper()))


# ----------------------------------------------------------------------------------------------
# The distance from 0 to a convex hull
# ----------------------------------------------------------------------------------------------


def _selected(P: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
    if rows is None:
        return P
    keep = np.asarray(rows).astype(bool).reshape(-1)
    return P[keep]


def _scale(P: np.ndarray) -> float:
    return max(1.0, float(np.max(np.abs(P)))) if P.size else 1.0


def _hull_distance_float(P: np.ndarray, rows: np.ndarray | None = None) -> float:
    from proofs_check.observables.geometry import hull_distance as wolfe

    Q = _selected(P, rows)
    if Q.shape[0] == 0:
        return float("inf")
    dist = float(wolfe(Q).distance)
    return 0.0 if dist <= ZERO_TOL * _scale(Q) else dist


def _hull_distance_enclosure(P: np.ndarray, rows: np.ndarray | None = None) -> flint.arb:
    r"""A ball containing ``dist(0, conv{p_i})`` for the exact points (balls) of ``P``.

    The float solver (Wolfe) names a face; its KKT system is solved in rationals at the balls'
    midpoints and proven optimal (:func:`~proofs_check.observables.geometry.exact_min_norm_point`),
    giving the exact distance ``sqrt(q)``; the distance is 1-Lipschitz in each point, so balls of
    radius ``r`` widen it by ``r``. Where no face can be proven, the enclosure is the interval
    between the proven lower bound ``min_i <p_i, u>/||u||`` (any ``u``; the solver's point) and the
    norm of a convex combination (the solver's weights, made exact), both evaluated in balls.
    """
    from proofs_check.observables.geometry import exact_min_norm_point
    from proofs_check.observables.geometry import hull_distance as wolfe

    Q = _selected(np.asarray(P, dtype=object), rows)
    if Q.shape[0] == 0:
        return flint.arb("inf")
    mids = np.empty(Q.shape, dtype=object)
    for idx in np.ndindex(Q.shape):
        x = as_ball(Q[idx])
        mids[idx] = exact_rational(flint.arb(x.mid()))
    floats = np.vectorize(float, otypes=[float])(mids)
    solved = wolfe(floats)
    exact = exact_min_norm_point(mids, solved.support)
    radius = _radius_bound(Q)
    if exact is not None:
        dist = exact.distance_arb()
        if radius == 0:
            return dist
        low = flint.arb.max(flint.arb(0), flint.arb((dist - radius).lower()))
        return _interval(low, dist + radius)
    balls = np.vectorize(as_ball, otypes=[object])(Q)
    weights = [max(Fraction(float(w)), Fraction(0)) for w in solved.weights]
    total = sum(weights, Fraction(0))
    if total == 0:
        weights, total = [Fraction(1)] + [Fraction(0)] * (len(weights) - 1), Fraction(1)
    point = sum((_ball(w / total) * balls[i] for i, w in enumerate(weights)), 0 * balls[0])
    upper = flint.arb(sum((c * c for c in point), flint.arb(0))).sqrt()
    u = [_ball(Fraction(float(c))) for c in np.asarray(solved.direction, dtype=float)]
    lower = flint.arb(0)
    if any(c != 0 for c in u):
        norm = flint.arb(sum((c * c for c in u), flint.arb(0))).sqrt()
        dots = [sum((a * b for a, b in zip(row, u, strict=True)), flint.arb(0)) for row in balls]
        least = dots[0]
        for dot in dots[1:]:
            least = flint.arb.min(least, dot)
        lower = flint.arb.max(flint.arb(0), flint.arb((least / norm).lower()))
    return _interval(lower, upper)


def _hull_distance_gradient(
    P: np.ndarray, rows: np.ndarray | None = None
) -> tuple[np.ndarray, ...]:
    r"""``d dist / d p_i = lambda_i z / ||z||`` at the minimum-norm point ``z = sum_i lambda_i p_i``
    (envelope theorem; 0 where the distance is 0 or the row is not selected)."""
    from proofs_check.observables.geometry import hull_distance as wolfe

    keep = np.ones(P.shape[0], dtype=bool) if rows is None else np.asarray(rows).astype(bool)
    grad = np.zeros_like(P, dtype=float)
    if keep.any():
        solved = wolfe(P[keep])
        if solved.distance > ZERO_TOL * _scale(P[keep]):
            grad[keep] = np.outer(np.asarray(solved.weights), np.asarray(solved.direction))
    return (grad,) if rows is None else (grad, np.zeros(np.shape(rows)))


hull_distance_observable = SolverObservable(
    "hull_distance",
    _hull_distance_float,
    _hull_distance_enclosure,
    doc="dist(0, conv{p_i : rows[i]}) (Wolfe's algorithm; exact minimum-norm point when certifying)",
    gradient=_hull_distance_gradient,
)


def hull_distance(ops: Any, P: Any, rows: Any = None) -> Any:
    r"""``dist(0, conv{p_i})``: the distance from 0 to the convex hull of the rows of ``P``.

    ``rows`` (optional boolean mask, one entry per row) restricts the hull to the selected rows, so
    that a per-instance choice (every row but the sink's) keeps a static shape under ``vmap``. The
    float value is snapped to 0 within :data:`ZERO_TOL` of the scale; when certifying, the exact
    minimum-norm point gives the exact distance (0 exactly when ``0 in conv P``).
    """
    args = (P,) if rows is None else (P, rows)
    return hull_distance_observable(ops, *args)


def gamma_u(ops: Any, X: Any) -> Any:
    r"""``max(gamma_u(X), 0)`` with ``gamma_u(X) = max_{||u||=1} min_i u^T x_i`` (THEORY.md).

    For ``gamma_u > 0`` (all tokens in an open half-space) it equals ``dist(0, conv{x_i})``: the
    minimum-norm point ``p*`` of the hull gives ``u = p*/||p*||`` and ``min_i u^T x_i = ||p*||``
    (first-order optimality), and no unit ``u`` does better. When ``0 in conv X`` this returns 0
    (the true ``gamma_u`` is then ``<= 0``; THEORY.md uses it only where it is positive).
    """
    return hull_distance(ops, X)


def gamma_v(ops: Any, X: Any, s: Any) -> Any:
    r"""``max(gamma_v(X, s), 0)`` with ``gamma_v = max_{||v||=1} min_{j != s} v^T (x_s - x_j)``.

    Equal to ``dist(0, conv{x_s - x_j : j != s})`` when positive (``x_s`` is a vertex, strictly
    separated from the other tokens), 0 otherwise; see :func:`gamma_u`.
    """
    xp = ops.xp
    n = np.shape(X)[0]
    diffs = X[s][None, :] - X
    others = xp.arange(n) != s
    return hull_distance(ops, diffs, others)


__all__ = [
    "SolverObservable",
    "ZERO_TOL",
    "gamma_u",
    "gamma_v",
    "hull_distance",
    "hull_distance_observable",
]
