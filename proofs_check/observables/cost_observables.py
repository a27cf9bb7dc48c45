r"""T4's solver-defined observables: ``c_sink``, ``c_diag``, the diagonal LP margin, ``rank(X)``,
``sigma_max(X~)^2``, callable from any observable function ``(inst, ops)``.

Each is a :class:`~proofs_check.observables.solved.SolverObservable` (or dispatches on ``ops``):

* **float64** -- the conic solver's optimum (:mod:`proofs_check.observables.costs`; one solve per
  instance and program, memoised in :data:`SOLVES`, so that a check, its tolerance and its
  certifier never solve twice). ``+inf`` when the solver reports the program infeasible, or
  when T1.a's argument shows it on the float data (two equal tokens for ``c_diag``; ``0`` in the
  hull of ``X`` or of ``{x_s - x_j}``, no mask, for ``c_sink``); ``nan`` when it did not converge
  otherwise (the engine refuses a NaN observable: the check's verdict is ERROR, the
  solve never becomes evidence). :func:`cost_tolerance` is the solver's accuracy,
  :attr:`~proofs_check.observables.costs.CostResult.tolerance` (``0`` where the value is not a
  converged optimum).
* **balls** (certification, exact rational inputs) -- an enclosure proven to contain the exact
  optimum: ``[0, U]`` with ``U`` the proven nuclear-norm bound of a rational feasible ``W``
  (:func:`~proofs_check.observables.costs.certify_cost_upper_bound`); exactly ``+inf`` where no
  ``W`` is feasible by an exact argument (``c_sink``: ``0 in conv X`` or ``x_s`` not a vertex, both
  proven by an exact minimum-norm point, ``eps < 1/2``, no mask; ``c_diag``: two equal tokens,
  ``eps < 1/2``); exactly ``0`` where ``W = 0`` is feasible (``eps >= k/(k+1)``, ``k`` the most
  competitors of a row); the whole real line when neither is proven (nothing can then be certified). The
  lower end is a proven dual bound where one is found
  (:func:`~proofs_check.observables.costs.certify_cost_lower_bound`: the solver's multipliers and
  the softmax tangents, Gibbs' inequality, a proven bound on ``||M||_2``), else ``0``; so an
  *upper* bound on a cost is certified violated only where that dual bound exceeds it. Both ends
  are rounded outward onto a grid of ``2^-14`` of their size (:func:`settled_interval`): the dual
  bound moves with the solver's last digits, which differ between machines.

The conventions: ``c = +inf`` for an infeasible program, so ``b / c_sink = 0`` when no sink exists.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import flint
import jax.numpy as jnp
import numpy as np

from proofs_check.observables import costs as programs
from proofs_check.observables.solved import (
    ZERO_TOL,
    SolverObservable,
    _hull_distance_float,
    as_ball,
    exact_rational,
    hull_distance_observable,
)

SOLVE_CACHE_SIZE = 4096
SOLVES: OrderedDict[tuple, programs.CostResult] = OrderedDict()
ENCLOSURES: OrderedDict[tuple, Any] = OrderedDict()
WHOLE_LINE = flint.arb(0).union(flint.arb("inf"))  # [+/- inf]: nothing known
# a solver-derived enclosure's ends are rounded outward onto 2^-ENCLOSURE_BITS of its size
ENCLOSURE_BITS = 14


def _remember(cache: OrderedDict, key: tuple, value: Any) -> Any:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > SOLVE_CACHE_SIZE:
        cache.popitem(last=False)
    return value


# ----------------------------------------------------------------------------------------------
# One solve per instance and program
# ----------------------------------------------------------------------------------------------


def _float_key(program: str, X: np.ndarray, *scalars: float) -> tuple:
    X = np.ascontiguousarray(np.asarray(X, dtype=np.float64))
    return (program, X.shape, X.tobytes(), *(float(v) for v in scalars))


def sink_result(X: Any, s: Any, eps: Any, causal: Any = False) -> programs.CostResult:
    """The solve of ``c_sink(X, s, eps)`` (causal program if ``causal``), memoised."""
    causal = bool(np.asarray(causal).item() != 0)
    s, eps = int(np.asarray(s).item()), float(np.asarray(eps).item())
    key = _float_key("sink", X, s, eps, causal)
    if key not in SOLVES:
        return _remember(SOLVES, key, programs.sink_cost(np.asarray(X, float), s, eps, causal))
    SOLVES.move_to_end(key)
    return SOLVES[key]


def diag_result(X: Any, eps: Any) -> programs.CostResult:
    """The solve of ``c_diag(X, eps)``, memoised."""
    eps = float(np.asarray(eps).item())
    key = _float_key("diag", X, eps)
    if key not in SOLVES:
        return _remember(SOLVES, key, programs.diag_cost(np.asarray(X, float), eps))
    SOLVES.move_to_end(key)
    return SOLVES[key]


def result_value(res: programs.CostResult, infeasible: Callable[[], bool]) -> float:
    """The optimum (converged); ``+inf`` (the solver reports the program infeasible, or
    ``infeasible()``: T1.a's argument on the float data); else ``nan`` (no usable solve)."""
    if res.converged:
        return float(res.value)
    return math.inf if res.infeasible or infeasible() else math.nan


def _sink_value(X: np.ndarray, s: Any, eps: Any, causal: Any) -> float:
    def infeasible() -> bool:
        # no mask, eps < 1/2 and 0 in conv X or in conv{x_s - x_j}: some row has A_is <= 1/2
        if bool(np.asarray(causal).item()) or not float(np.asarray(eps).item()) < 0.5:
            return False
        k = int(np.asarray(s).item())
        diffs = np.delete(X[k][None, :] - X, k, axis=0)
        return _hull_distance_float(X) == 0.0 or _hull_distance_float(diffs) == 0.0

    return result_value(sink_result(X, s, eps, causal), infeasible)


def _diag_value(X: np.ndarray, eps: Any) -> float:
    def infeasible() -> bool:
        # two equal tokens and eps < 1/2: both rows score them equally, A_ii <= 1/2
        distinct = len({tuple(row) for row in np.asarray(X).tolist()})
        return float(np.asarray(eps).item()) < 0.5 and distinct < np.shape(X)[0]

    return result_value(diag_result(X, eps), infeasible)


def result_tolerance(res: programs.CostResult) -> float:
    """The absolute accuracy of a converged optimum; ``0`` for any other outcome."""
    return float(res.tolerance) if res.converged else 0.0


# ----------------------------------------------------------------------------------------------
# Enclosures
# ----------------------------------------------------------------------------------------------


def _exact_matrix(X: np.ndarray) -> np.ndarray | None:
    out = np.empty(np.shape(X), dtype=object)
    for idx in np.ndindex(out.shape):
        q = exact_rational(X[idx])
        if q is None:
            return None
        out[idx] = q
    return out


def _exact_scalar(x: Any) -> Fraction | None:
    return exact_rational(np.asarray(x, dtype=object)[()])


def _as_float(Xq: np.ndarray) -> np.ndarray:
    return np.vectorize(float, otypes=[float])(Xq)


def interval(lower: Any, upper: Any) -> flint.arb:
    """A ball containing ``[lower, upper]`` (rationals or balls)."""
    return flint.arb(as_ball(lower).lower()).union(flint.arb(as_ball(upper).upper()))


def _proven_zero_distance(P: np.ndarray) -> bool:
    """``0 in conv{rows of P}`` proven by an exact minimum-norm point (P exact rationals)."""
    ball = hull_distance_observable.enclosure(P)
    return bool(ball.is_exact() and ball.is_zero())


def _upper_bound_ball(
    Xq: np.ndarray, res: programs.CostResult, rows: list, eps: Fraction
) -> flint.arb:
    if res.W is None or not np.all(np.isfinite(res.W)):
        return WHOLE_LINE
    proven = programs.certify_cost_upper_bound(Xq, res.W, rows, eps)
    if proven is None:
        return WHOLE_LINE
    lower = programs.certify_cost_lower_bound(Xq, res.W, res.row_duals, rows, eps)
    return settled_interval(Fraction(0) if lower is None else lower, proven.nuclear_upper)


def _exact_end(x: Any, upper: bool) -> Fraction:
    """The exact rational value of a ball's lower (or upper) end (a rational is its own end)."""
    if isinstance(x, Fraction):
        return x
    ball = as_ball(x)
    return exact_rational(ball.upper() if upper else ball.lower())  # a ball's ends are exact


def settled_interval(lower: Any, upper: Any, bits: int = ENCLOSURE_BITS) -> flint.arb:
    r"""``[lower, upper]`` widened outward onto the grid ``2^(e - bits)``, ``2^e <= max(|ends|)``.

    A solver-derived end (the dual bound's weights are the solver's multipliers) moves with the
    solver's last digits, which differ between machines (about 1e-7 relative for T4-F2's ``c_sink``
    on AVX2 vs AVX-512). Rounded outward onto a grid far coarser than that, the enclosure is still
    proven (it only grows) and is the same on every machine unless an end sits within that
    variation of a grid point."""
    lo, hi = _exact_end(lower, upper=False), _exact_end(upper, upper=True)
    scale = max(abs(lo), abs(hi))
    if scale == 0:
        return interval(lo, hi)
    _, e = math.frexp(float(scale))  # scale < 2^e
    quantum = Fraction(2) ** (e - 1 - bits)
    return interval(math.floor(lo / quantum) * quantum, math.ceil(hi / quantum) * quantum)


def _sink_enclosure(X: np.ndarray, s: Any, eps: Any, causal: Any) -> flint.arb:
    Xq, eq = _exact_matrix(X), _exact_scalar(eps)
    sq, cq = _exact_scalar(s), _exact_scalar(causal)
    if Xq is None or eq is None or sq is None or cq is None or not 0 < eq < 1:
        return WHOLE_LINE
    s_int, is_causal = int(sq), cq != 0
    key = ("sink", Xq.shape, tuple(Xq.reshape(-1)), s_int, eq, is_causal)
    if key in ENCLOSURES:
        return ENCLOSURES[key]
    n = Xq.shape[0]
    if not is_causal and eq < Fraction(1, 2):
        diffs = np.array([[a - b for a, b in zip(Xq[s_int], Xq[j], strict=True)] for j in range(n)])
        others = np.delete(diffs, s_int, axis=0)
        if _proven_zero_distance(Xq) or (others.size and _proven_zero_distance(others)):
            # T1.a: sum_i lambda_i x_i = 0 (or sum_j mu_j (x_s - x_j) = 0) makes some row's margin
            # <= 0 for every W, so A_is <= 1/2 < 1 - eps somewhere: no W is feasible
            return _remember(ENCLOSURES, key, flint.arb("inf"))
    rows = programs.sink_rows(n, s_int, is_causal)
    if programs.zero_is_feasible(rows, eq):
        return _remember(ENCLOSURES, key, flint.arb(0))  # W = 0 is feasible: the optimum is 0
    res = sink_result(_as_float(Xq), s_int, float(eq), is_causal)
    return _remember(ENCLOSURES, key, _upper_bound_ball(Xq, res, rows, eq))


def _diag_enclosure(X: np.ndarray, eps: Any) -> flint.arb:
    Xq, eq = _exact_matrix(X), _exact_scalar(eps)
    if Xq is None or eq is None or not 0 < eq < 1:
        return WHOLE_LINE
    key = ("diag", Xq.shape, tuple(Xq.reshape(-1)), eq)
    if key in ENCLOSURES:
        return ENCLOSURES[key]
    n = Xq.shape[0]
    tokens = [tuple(row) for row in Xq.tolist()]
    if eq < Fraction(1, 2) and len(set(tokens)) < n:
        # x_i = x_j: rows i and j score both equally, so A_ii <= 1/2 < 1 - eps for every W
        return _remember(ENCLOSURES, key, flint.arb("inf"))
    rows = programs.diagonal_rows(n)
    if programs.zero_is_feasible(rows, eq):
        return _remember(ENCLOSURES, key, flint.arb(0))  # W = 0 is feasible: the optimum is 0
    res = diag_result(_as_float(Xq), float(eq))
    return _remember(ENCLOSURES, key, _upper_bound_ball(Xq, res, rows, eq))


def _no_enclosure(*arrays: Any, **options: Any) -> flint.arb:
    raise TypeError("a solver's accuracy is a float64 notion: it has no enclosure")


_sink_observable = SolverObservable(
    "sink_cost",
    _sink_value,
    _sink_enclosure,
    doc="c_sink(X, s, eps): min ||W||_* with A_is >= 1 - eps in every row (conic solver)",
)
_diag_observable = SolverObservable(
    "diag_cost",
    _diag_value,
    _diag_enclosure,
    doc="c_diag(X, eps): min ||W||_* with A_ii >= 1 - eps in every row (conic solver)",
)
_sink_tolerance = SolverObservable(
    "sink_cost_tolerance",
    lambda X, s, eps, causal: result_tolerance(sink_result(X, s, eps, causal)),
    _no_enclosure,
)
_diag_tolerance = SolverObservable(
    "diag_cost_tolerance", lambda X, eps: result_tolerance(diag_result(X, eps)), _no_enclosure
)


def _flag(ops: Any, causal: Any) -> Any:
    if ops.name == "arb":
        return int(bool(np.asarray(causal, dtype=object)[()]))
    return ops.xp.asarray(causal, dtype=ops.xp.float64)


def sink_cost(ops: Any, X: Any, s: Any, eps: Any, causal: Any = False) -> Any:
    r"""``c_sink(X, s, eps) = min { ||W||_* : A_is >= 1 - eps for every row i }`` (causal mask:
    rows ``i >= s`` against columns ``j <= i``). ``+inf`` when no ``W`` is feasible."""
    return _sink_observable(ops, X, s, eps, _flag(ops, causal))


def diag_cost(ops: Any, X: Any, eps: Any) -> Any:
    r"""``c_diag(X, eps) = min { ||W||_* : A_ii >= 1 - eps for every row i }`` (``+inf``: infeasible)."""
    return _diag_observable(ops, X, eps)


def cost_tolerance(ops: Any, program: str, X: Any, *args: Any) -> Any:
    """The solver's accuracy on ``sink_cost(ops, X, *args)`` or ``diag_cost`` (float64 only)."""
    if program == "sink":
        s, eps, *rest = args
        return _sink_tolerance(ops, X, s, eps, _flag(ops, rest[0] if rest else False))
    return _diag_tolerance(ops, X, *args)


# ----------------------------------------------------------------------------------------------
# The diagonal program's feasibility: a linear program's margin
# ----------------------------------------------------------------------------------------------


def _diag_margin_float(X: np.ndarray) -> float:
    t = programs.diagonal_margin_lp(X)
    scale = max(1.0, float(np.max(np.abs(X)))) if X.size else 1.0
    return 0.0 if abs(t) <= ZERO_TOL * scale**2 else float(t)


def _diag_margin_enclosure(X: np.ndarray) -> flint.arb:
    r"""``[t(W'), U]``: ``t(W')`` the exact least diagonal margin of the LP's solution rounded to a
    rational ``W'`` clipped to ``[-1, 1]`` (a feasible point: a lower bound on the maximum), and
    ``U = min_{i != j} ||x_i||_1 ||x_i - x_j||_1 >= |x_i^T W (x_i - x_j)|`` for every entrywise
    ``|W_ab| <= 1`` (an upper bound)."""
    Xq = _exact_matrix(X)
    if Xq is None or Xq.shape[0] < 2:
        return WHOLE_LINE
    n, d = Xq.shape
    W = _diag_lp_solution(_as_float(Xq))
    Wq = [
        [max(Fraction(-1), min(Fraction(1), Fraction(round(float(w) * 2**30), 2**30))) for w in row]
        for row in W
    ]
    XW = [
        [sum((Xq[i][a] * Wq[a][b] for a in range(d)), Fraction(0)) for b in range(d)]
        for i in range(n)
    ]
    lower = min(
        sum((XW[i][b] * (Xq[i][b] - Xq[j][b]) for b in range(d)), Fraction(0))
        for i in range(n)
        for j in range(n)
        if i != j
    )
    upper = min(
        sum((abs(x) for x in Xq[i]), Fraction(0))
        * sum((abs(a - b) for a, b in zip(Xq[i], Xq[j], strict=True)), Fraction(0))
        for i in range(n)
        for j in range(n)
        if i != j
    )
    return interval(lower, max(lower, upper))


def _diag_lp_solution(X: np.ndarray) -> np.ndarray:
    """The ``W`` of :func:`~proofs_check.observables.costs.diagonal_margin_lp` (HiGHS)."""
    from scipy.optimize import linprog

    n, d = X.shape
    G = np.concatenate(
        [-programs.score_gap_coefficients(X, rc) for rc in programs.diagonal_rows(n)]
    )
    c = np.zeros(d * d + 1)
    c[-1] = -1.0
    res = linprog(
        c,
        A_ub=np.hstack([-G, np.ones((G.shape[0], 1))]),
        b_ub=np.zeros(G.shape[0]),
        bounds=[(-1.0, 1.0)] * (d * d) + [(None, 1.0)],
        method="highs",
    )
    if res.status != 0:
        return np.zeros((d, d))
    return np.asarray(res.x[:-1]).reshape((d, d), order="F")  # vec_F: W_ab at a + b d


diag_margin_observable = SolverObservable(
    "diag_margin",
    _diag_margin_float,
    _diag_margin_enclosure,
    doc="max t: x_i^T W (x_i - x_j) >= t for all i != j, |W_ab| <= 1 (> 0 iff an eps-diagonal W exists)",
)


def diag_margin(ops: Any, X: Any) -> Any:
    r"""``max { t : x_i^T W (x_i - x_j) >= t  (i != j), |W_ab| <= 1 }``: ``> 0`` iff the diagonal
    program is feasible for every ``eps`` (scale ``W``; T1.a with token ``i`` as row ``i``'s sink)."""
    return diag_margin_observable(ops, X)


# ----------------------------------------------------------------------------------------------
# rank(X) and sigma_max(X~)^2
# ----------------------------------------------------------------------------------------------


def _exact_rank(Xq: np.ndarray) -> int:
    rows = [[flint.fmpq(v.numerator, v.denominator) for v in row] for row in Xq.tolist()]
    return int(flint.fmpq_mat(rows).rank())


def _rank_float(X: np.ndarray) -> float:
    """``rank(X)`` over the rationals (each float read as the dyadic rational it is)."""
    return float(_exact_rank(np.vectorize(Fraction, otypes=[object])(X)))


def _rank_enclosure(X: np.ndarray) -> flint.arb:
    Xq = _exact_matrix(X)
    return WHOLE_LINE if Xq is None else flint.arb(_exact_rank(Xq))


rank_observable = SolverObservable(
    "rank", _rank_float, _rank_enclosure, doc="rank(X), exact (over the rationals)"
)


def rank(ops: Any, X: Any) -> Any:
    """``rank(X)``, exact over the rationals in every phase (a float is its dyadic rational), so a
    bound such as T4.d's ``rank(X) L_n / g`` never rests on a rank that rounding made smaller."""
    return rank_observable(ops, X)


def sigma_max_sq(ops: Any, X: Any) -> Any:
    r"""``sigma_max(X~)^2 = lambda_max(X~^T X~)``, ``X~ = (I - J) X`` the centred tokens.

    float64: the spectral norm (differentiable); balls: a proven enclosure of the largest
    eigenvalue of the exact rational Gram matrix
    (:func:`~proofs_check.observables.costs.eigenvalue_enclosure`).
    """
    if ops.name != "arb":
        xp = ops.xp
        centred = X - xp.mean(X, axis=0)
        if xp is jnp:
            return jnp.linalg.norm(centred, 2) ** 2
        return np.float64(np.linalg.norm(centred, 2) ** 2)
    Xq = _exact_matrix(np.asarray(X, dtype=object))
    if Xq is None:
        return WHOLE_LINE
    n = Xq.shape[0]
    mean = Xq.sum(axis=0) / n
    centred = Xq - mean
    enclosure = programs.eigenvalue_enclosure(centred.T.dot(centred), "max")
    return WHOLE_LINE if enclosure is None else enclosure.ball()


def clear_caches() -> None:
    """Forget every memoised solve and enclosure (tests)."""
    SOLVES.clear()
    ENCLOSURES.clear()


__all__ = [
    "cost_tolerance",
    "diag_cost",
    "diag_margin",
    "rank",
    "sigma_max_sq",
    "sink_cost",
]
