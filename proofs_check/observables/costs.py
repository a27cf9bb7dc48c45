r"""The cost of a sink and of a diagonal pattern: two convex programs, solved and certified (T4).

Cost of a head = nuclear norm ``||W||_*``. With ``L_1(eps) = log((1-eps)/eps)``,

    A_it >= 1 - eps  <=>  sum_{j != t} e^{s_ij - s_it} <= eps/(1-eps)
                     <=>  logsumexp_{j != t} x_i^T W (x_j - x_t) <= -L_1(eps),

a log-sum-exp of affine functions of ``W``: a convex constraint (exponential cones). Hence

    c_sink(X, s, eps) = min { ||W||_* : the constraint holds with t = s in every row i }
    c_diag(X, eps)    = min { ||W||_* : the constraint holds with t = i in every row i }

are convex programs (nuclear norm: a semidefinite cone). :func:`sink_cost` and :func:`diag_cost`
solve them with cvxpy + Clarabel (other Clarabel settings, then SCS, only as fallbacks; tokens are
first reduced to coordinates of their span, which changes no cost). The solver's ``W`` is scaled up by the least ``t >= 1`` that makes it feasible in float64 (scaling only helps when
``eps < 1/2``), and ``duality_gap = ||t W||_* - dual objective``: a gap that pays for the solver's
suboptimality *and* its infeasibility. A solve that is not ``optimal``, cannot be repaired, or whose
relative gap exceeds :data:`GAP_TOLERANCE` has ``converged = False``: callers must not use it as
evidence.

Rigour. A solver's number is not a proof. :func:`certify_cost_upper_bound` turns a solver's
``W`` into a *proven* upper bound on the cost: it rounds ``W`` (slightly scaled up) onto a coarse
rational grid, so that the certificate does not depend on the solver's last digits, proves in
``arb`` ball arithmetic that this ``W'`` satisfies every row's constraint, and bounds
``||W'||_* <= (tr A + tr B)/2`` with rational ``A, B`` for which ``[[A, W'], [W'^T, B]]`` is proven
positive definite (the semidefinite characterisation of the nuclear norm; near-tight with
``A ~ (W' W'^T)^{1/2}``, ``B ~ (W'^T W')^{1/2}``). :func:`eigenvalue_enclosure` proves bounds on the extreme
eigenvalue of a rational symmetric matrix (exact leading minors for the definiteness side, an
exact Rayleigh quotient for the other): this is how ``sigma_max(X~)`` or ``sigma_min(M)`` enter a
certificate.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace
from fractions import Fraction
from functools import lru_cache
from typing import Any

import cvxpy as cp
import flint
import numpy as np
import sympy as sp

from proofs_check.certify import PRECISIONS, precision
from proofs_check.observables.geometry import halfspace_margin, vertex_margin
from proofs_check.perturb import perturb_host
from theory.symbols import log_odds_all

PARAMETRIZED_MAX = 4096  # coefficients (rows x competitors x d^2) of a parametrised program
GAP_TOLERANCE = 1e-4  # converged: (||W||_* of the repaired W - dual objective) / ||W||_* below this
TOLERANCE_FACTOR = 10.0  # comparisons allow 10 x the solver's primal/dual/||W||_* disagreement
REL_FLOOR = 1e-7  # and never less than this relative error (10 x Clarabel's 1e-8 tolerances)
SCS_OPTIONS: dict[str, Any] = {
    "eps_abs": 1e-9,
    "eps_rel": 1e-9,
    "max_iters": 20_000,
    "time_limit_secs": 5.0,
}

_gamma_u, _gamma_v = sp.symbols("gamma_u gamma_v", positive=True)
_n, _eps = sp.Symbol("n", positive=True, integer=True), sp.Symbol("eps", positive=True)
RANK_ONE_COST = log_odds_all(_n, _eps) / (
    _gamma_u * _gamma_v
)  # T1.d / T4.a: L_n / (gamma_u gamma_v)


@dataclass(frozen=True)
class CostResult:
    """The optimum of one cost program, with the solver's own accuracy information.

    ``W`` is the solver's solution scaled by ``repair >= 1`` until every row's constraint holds in
    float64; ``value = ||W||_*`` (SVD); ``objective``/``dual_objective`` are the solver's primal and dual
    objectives and ``duality_gap = value - dual_objective`` (so it also pays for the solver's
    infeasibility). ``max_violation`` is the largest ``logsumexp_i(W) - log(eps/(1-eps))`` over rows
    (``<= 0``: feasible). An infeasible program has ``value = inf`` and ``status = "infeasible"``.
    """

    value: float
    frobenius: float
    duality_gap: float
    converged: bool
    status: str
    W: np.ndarray | None
    objective: float = math.nan
    dual_objective: float = math.nan
    max_violation: float = math.nan
    solver: str = "CLARABEL"
    note: str = ""
    repair: float = 1.0  # the scaling t >= 1 that made the solver's W feasible in float64
    raw_violation: float = math.nan  # max_violation of the solver's W before the repair
    row_duals: np.ndarray | None = None  # the solver's multiplier of each row's constraint

    @property
    def infeasible(self) -> bool:
        return self.status == "infeasible"

    @property
    def relative_gap(self) -> float:
        if not math.isfinite(self.duality_gap):
            return math.inf
        return abs(self.duality_gap) / max(abs(self.value), 1e-300)

    @property
    def tolerance(self) -> float:
        r"""Absolute error allowed when comparing ``value`` with a bound.

        ``10 (|value - dual| + |objective - dual| + |value - objective|)``, at least ``1e-7 value``.
        ``value`` is the cost of a float-feasible ``W``, ``dual_objective`` the solver's dual bound:
        the optimum lies in ``[dual, value]`` up to the solver's residuals, which show up as the
        disagreement between its primal objective, its dual objective and ``||W||_*`` (the nuclear
        norm's semidefinite cone is only met to the solver's accuracy). The floor is 10 x Clarabel's
        relative gap and feasibility tolerances (1e-8).
        """
        if not self.converged:
            return math.inf
        v = abs(self.value)
        spread = (
            abs(self.duality_gap)
            + abs(self.objective - self.dual_objective)
            + abs(self.value - self.objective)
        )
        return max(TOLERANCE_FACTOR * spread, REL_FLOOR * v)


# ----------------------------------------------------------------------------------------------
# The programs
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowConstraint:
    """Row ``i`` must put mass ``>= 1 - eps`` on column ``target`` against ``competitors``."""

    row: int
    target: int
    competitors: tuple[int, ...]


def sink_rows(n: int, s: int, causal: bool = False) -> list[RowConstraint]:
    """``A_is >= 1 - eps`` in every row (causal: rows ``i >= s``, competitors ``j <= i``)."""
    out = []
    for i in range(n):
        if causal and i < s:
            continue
        comp = tuple(j for j in range(n) if j != s and (not causal or j <= i))
        if comp:
            out.append(RowConstraint(i, s, comp))
    return out


def diagonal_rows(n: int) -> list[RowConstraint]:
    """``A_ii >= 1 - eps`` in every row."""
    return [RowConstraint(i, i, tuple(j for j in range(n) if j != i)) for i in range(n)]


def score_gap_coefficients(X: np.ndarray, rc: RowConstraint) -> np.ndarray:
    r"""Rows ``k`` with ``k . vec_F(W) = x_i^T W (x_j - x_t)`` for each competitor ``j``.

    ``vec_F`` stacks columns: ``vec_F(W)[a + b d] = W_ab``, so the coefficient is ``(x_j - x_t) (x) x_i``.
    """
    x_i = X[rc.row]
    return np.stack([np.kron(X[j] - X[rc.target], x_i) for j in rc.competitors])


def log_tolerance(eps: float) -> float:
    """``log(eps / (1 - eps)) = -L_1(eps)``."""
    return math.log(eps) - math.log1p(-eps)


def row_log_masses(X: np.ndarray, W: np.ndarray, rows: list[RowConstraint]) -> np.ndarray:
    r"""``logsumexp_{j} x_i^T W (x_j - x_t)`` per row: ``log((1 - A_it)/A_it)`` (float64)."""
    out = []
    for rc in rows:
        z = X[rc.row] @ W @ (X[list(rc.competitors)] - X[rc.target]).T
        top = float(np.max(z))
        out.append(top + math.log(float(np.sum(np.exp(z - top)))))
    return np.asarray(out)


def _scale_for(X: np.ndarray, rows: list[RowConstraint], eps: float) -> float:
    r"""``rho^2`` such that the program on ``X / rho`` has an optimum of order 1.

    ``c(X) = c(X / rho) / rho^2`` (scores are quadratic in ``X``), so this only conditions the solve.
    A margin ``x_i^T W (x_t - x_j)`` is at most ``||W||_* p_ij`` with ``p_ij = ||x_i|| ||x_t - x_j||``
    (for the diagonal, the symmetrised pair gives ``||x_i - x_j||^2``) and must be about
    ``L_n(eps)``; so ``rho^2 = median p_ij / L_n`` puts ``||W||_*`` near 1 on the rescaled tokens.
    """
    n = X.shape[0]
    L = max(math.log(max(n - 1, 1)) - log_tolerance(eps), 1e-300)
    pairs = []
    for rc in rows:
        for j in rc.competitors:
            gap = float(np.linalg.norm(X[rc.target] - X[j]))
            left = gap if rc.target == rc.row else float(np.linalg.norm(X[rc.row]))
            pairs.append(left * gap)
    p = float(np.median(pairs))
    return p / L if p > 0 and math.isfinite(p) else 1.0


def _build(
    X: np.ndarray, rows: list[RowConstraint], eps: float
) -> tuple[cp.Problem, cp.Variable, list[RowConstraint]]:
    """The program in cvxpy. Rows are grouped by their number of competitors ``k``: ``k = 1`` is the
    linear constraint ``x_i^T W (x_j - x_t) <= -L_1`` (no exponential cone: exact and well conditioned
    even when ``L_1`` is tiny), ``k >= 2`` a vectorised ``log_sum_exp`` per group.

    For small programs (at most :data:`PARAMETRIZED_MAX` coefficients) the coefficients and the
    bound are parameters of one program per structure (width, and the number of rows with each
    ``k``), compiled once (cvxpy's DPP) and re-solved with new values: the canonicalisation, not the
    solver, dominated a small solve (the adversary re-solves one structure at every step)."""
    d = X.shape[1]
    groups: dict[int, list[RowConstraint]] = {}
    for rc in rows:
        groups.setdefault(len(rc.competitors), []).append(rc)
    counts = tuple((k, len(group)) for k, group in sorted(groups.items()))
    if sum(k * m for k, m in counts) * d * d > PARAMETRIZED_MAX:
        return _direct(X, groups, eps)
    problem, W, coefficients, bound = _parametrized(d, counts)
    for K, (_, group) in zip(coefficients, sorted(groups.items()), strict=True):
        K.value = np.concatenate([score_gap_coefficients(X, rc) for rc in group])
    bound.value = log_tolerance(eps)
    order = [rc for _, group in sorted(groups.items()) for rc in group]
    return problem, W, order


def _direct(
    X: np.ndarray, groups: dict[int, list[RowConstraint]], eps: float
) -> tuple[cp.Problem, cp.Variable, list[RowConstraint]]:
    """The same program with constant coefficients (large programs: a parametrised compilation
    would hold a tensor of size coefficients x problem data)."""
    d = X.shape[1]
    W = cp.Variable((d, d))
    w = cp.vec(W, order="F")
    bound = log_tolerance(eps)
    constraints = []
    for k, group in sorted(groups.items()):
        K = np.concatenate([score_gap_coefficients(X, rc) for rc in group])
        if k == 1:
            constraints.append(K @ w <= bound)
        else:
            Z = cp.reshape(K @ w, (len(group), k), order="C")
            constraints.append(cp.log_sum_exp(Z, axis=1) <= bound)
    order = [rc for _, group in sorted(groups.items()) for rc in group]
    return cp.Problem(cp.Minimize(cp.normNuc(W)), constraints), W, order


@lru_cache(maxsize=64)
def _parametrized(
    d: int, counts: tuple[tuple[int, int], ...]
) -> tuple[cp.Problem, cp.Variable, list[cp.Parameter], cp.Parameter]:
    """``min ||W||_*`` s.t. one constraint group per ``(k, rows)`` in ``counts``, parametrised."""
    W = cp.Variable((d, d))
    w = cp.vec(W, order="F")
    bound = cp.Parameter()
    coefficients, constraints = [], []
    for k, m in counts:
        K = cp.Parameter((m * k, d * d))
        coefficients.append(K)
        if k == 1:
            constraints.append(K @ w <= bound)
        else:
            Z = cp.reshape(K @ w, (m, k), order="C")
            constraints.append(cp.log_sum_exp(Z, axis=1) <= bound)
    return cp.Problem(cp.Minimize(cp.normNuc(W)), constraints), W, coefficients, bound


def _row_duals(
    problem: cp.Problem, order: list[RowConstraint], rows: list[RowConstraint]
) -> np.ndarray | None:
    """The constraints' dual values, one per row of ``rows`` (``None`` if the solver gave none)."""
    values = [c.dual_value for c in problem.constraints]
    if any(v is None for v in values):
        return None
    flat = np.concatenate([np.atleast_1d(np.asarray(v, dtype=float)).reshape(-1) for v in values])
    if flat.shape[0] != len(order) or not np.all(np.isfinite(flat)):
        return None
    by_row = {(rc.row, rc.target): float(v) for rc, v in zip(order, flat, strict=True)}
    return np.array([max(by_row[(rc.row, rc.target)], 0.0) for rc in rows])


def _run_solver(
    problem: cp.Problem, solver: str, opts: dict[str, Any]
) -> tuple[Any, str, float, float]:
    """Solve through the chain, keeping the raw solver output: ``(raw, status, primal, dual)``."""
    data, chain, inverse = problem.get_problem_data(solver)
    raw = chain.solve_via_data(problem, data, solver_opts=dict(opts))
    if getattr(inverse[-1], "solver_options", {}) is None:  # cvxpy expects a dict here
        inverse[-1].solver_options = {}
    problem.unpack_results(raw, chain, inverse)
    if solver == cp.CLARABEL:
        primal, dual = float(raw.obj_val), float(raw.obj_val_dual)
    else:
        primal, dual = float(raw["info"]["pobj"]), float(raw["info"]["dobj"])
    return raw, str(problem.status), perturb_host(primal), perturb_host(dual)


_FINE_REFINEMENT = {
    "static_regularization_constant": 1e-9,
    "iterative_refinement_reltol": 1e-15,
    "iterative_refinement_abstol": 1e-15,
    "iterative_refinement_max_iter": 100,
    "max_iter": 400,
}
ATTEMPTS: tuple[tuple[str, dict[str, Any], float], ...] = (
    # (solver, options, extra factor on the conditioning scale rho^2); tried in order until one
    # converges. Ill-conditioned instances (nearly collapsed or massive tokens, eps near 1/2) end
    # "almost solved" under some settings and solved under others.
    (cp.CLARABEL, {}, 1.0),
    (cp.CLARABEL, {"equilibrate_enable": False}, 1.0),
    (cp.CLARABEL, {"equilibrate_enable": False, "max_step_fraction": 0.9}, 1.0),
    (cp.CLARABEL, _FINE_REFINEMENT, 1.0),
    (cp.CLARABEL, {}, 100.0),
    (cp.CLARABEL, {"max_step_fraction": 0.8}, 100.0),
    (cp.CLARABEL, {}, 0.01),
    (cp.CLARABEL, {"direct_solve_method": "faer"}, 1.0),
    (cp.SCS, SCS_OPTIONS, 1.0),
)


def feasibility_scale(
    X: np.ndarray, W: np.ndarray, rows: list[RowConstraint], eps: float, t_max: float = 2.0
) -> float | None:
    r"""The least ``t in [1, t_max]`` (bisection) with ``t W`` feasible, or ``None``.

    When every exponent ``z_ij = x_i^T W (x_j - x_t)`` is negative (as at any feasible point with
    ``eps < 1/2``), ``t -> logsumexp(t z)`` decreases: scaling up repairs a small violation.
    """
    bound = log_tolerance(eps)

    def worst(t: float) -> float:
        return float(np.max(row_log_masses(X, t * W, rows))) - bound

    if worst(1.0) <= 0:
        return 1.0
    if worst(t_max) > 0:
        return None
    lo, hi = 1.0, t_max
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if worst(mid) <= 0 else (mid, hi)
        if hi - lo <= 1e-15 * hi:
            break
    return hi


def span_basis(X: np.ndarray, rtol: float = 1e-13) -> np.ndarray:
    r"""An orthonormal basis ``Q`` (d x r) of the row span of ``X`` (``Q = I`` when ``X`` has full width).

    Scores only see ``Q^T W Q`` (``x_i = Q c_i``), and ``||Q^T W Q||_* <= ||W||_*`` with equality for
    ``W = Q W' Q^T``: the program on the coordinates ``C = X Q`` has the same optimum, and its
    solution lifts back exactly. (The lifted ``W`` is re-checked on ``X`` itself.)
    """
    _, S, Vt = np.linalg.svd(X, full_matrices=False)
    threshold = rtol * max(float(S[0]) if S.size else 0.0, 1e-300)
    r = int(np.sum(threshold < S))
    if r >= X.shape[1]:
        return np.eye(X.shape[1])
    return Vt[: max(r, 1)].T


def zero_is_feasible(rows: list[RowConstraint], eps: float | Fraction) -> bool:
    r"""``W = 0`` meets every row (exactly): ``A_it = 1/(k_i + 1) >= 1 - eps``, i.e.
    ``k_i (1 - eps) <= eps`` for the largest number ``k_i`` of competitors; then the optimum is 0."""
    q = eps if isinstance(eps, Fraction) else Fraction(float(eps))
    return max((len(rc.competitors) for rc in rows), default=0) * (1 - q) <= q


def solve_cost_program(X: np.ndarray, rows: list[RowConstraint], eps: float) -> CostResult:
    """``min ||W||_*`` subject to ``A_{i, t_i} >= 1 - eps`` for every listed row.

    Attempts, in order, until one converges (:data:`ATTEMPTS`): Clarabel with default settings,
    then with other settings (equilibration off, shorter steps, finer regularisation, another
    conditioning scale, another linear solver), then SCS. Each solution ``W`` is repaired to float-feasibility by the least scaling
    ``t >= 1`` (:func:`feasibility_scale`); ``value = ||t W||_*`` and ``duality_gap = value - dual``,
    so the gap also accounts for the solver's infeasibility. Otherwise the result with the smallest
    relative gap is returned, with ``converged = False``.
    """
    X = np.asarray(X, dtype=float)
    if not 0.0 < eps < 1.0:
        raise ValueError(f"eps must lie in (0, 1), got {eps}")
    if not rows or zero_is_feasible(rows, eps):
        d = X.shape[1]
        return CostResult(0.0, 0.0, 0.0, True, "optimal", np.zeros((d, d)), 0.0, 0.0, -math.inf)
    base_rho2 = _scale_for(X, rows, eps)
    basis = span_basis(X)
    notes: list[str] = []
    best: CostResult | None = None
    for solver, opts, factor in ATTEMPTS:
        rho2 = base_rho2 * factor
        problem, W, order = _build(X @ basis / math.sqrt(rho2), rows, eps)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                _raw, status, primal, dual = _run_solver(problem, solver, opts)
        except (cp.error.SolverError, ValueError, ZeroDivisionError, KeyError) as exc:
            notes.append(f"{solver}: {exc}")
            continue
        if status == "infeasible" and best is None:
            return CostResult(
                math.inf,
                math.inf,
                math.nan,
                False,
                status,
                None,
                solver=solver,
                note="; ".join(notes),
            )
        if W.value is None or status not in ("optimal", "optimal_inaccurate"):
            notes.append(f"{solver}: status {status}")
            continue
        W_full = basis @ perturb_host(np.asarray(W.value, dtype=float)) @ basis.T / rho2
        result = _result(X, rows, eps, W_full, primal / rho2, dual / rho2, status, solver)
        result = replace(result, row_duals=_row_duals(problem, order, rows))
        if result.converged:
            return replace(result, note="; ".join(notes))
        notes.append(f"{solver}: {result.status}, relative gap {result.relative_gap:.2g}")
        if best is None or result.relative_gap < best.relative_gap:
            best = result
    if best is not None:
        return replace(best, note="; ".join(notes))
    return CostResult(
        math.nan,
        math.nan,
        math.nan,
        False,
        "solver_error",
        None,
        solver="none",
        note="; ".join(notes),
    )


def _result(
    X: np.ndarray,
    rows: list[RowConstraint],
    eps: float,
    W_raw: np.ndarray,
    primal: float,
    dual: float,
    status: str,
    solver: str,
) -> CostResult:
    raw_violation = float(np.max(row_log_masses(X, W_raw, rows)) - log_tolerance(eps))
    t = feasibility_scale(X, W_raw, rows, eps)
    W = W_raw * (t if t is not None else 1.0)
    value = float(np.sum(np.linalg.svd(W, compute_uv=False)))
    violation = float(np.max(row_log_masses(X, W, rows)) - log_tolerance(eps))
    gap = value - dual
    ok = (
        status == "optimal"
        and t is not None
        and violation <= 0.0
        and abs(gap) <= GAP_TOLERANCE * max(abs(value), 1e-300)
    )
    return CostResult(
        value,
        float(np.linalg.norm(W)),
        gap,
        ok,
        status,
        W,
        primal,
        dual,
        violation,
        solver,
        repair=t if t is not None else math.nan,
        raw_violation=raw_violation,
    )


def sink_cost(X: np.ndarray, s: int, eps: float, causal: bool = False) -> CostResult:
    r"""``c_sink(X, s, eps) = min { ||W||_* : A_is >= 1 - eps for every row i }`` (T4)."""
    X = np.asarray(X, dtype=float)
    return solve_cost_program(X, sink_rows(X.shape[0], int(s), causal), float(eps))


def diag_cost(X: np.ndarray, eps: float) -> CostResult:
    r"""``c_diag(X, eps) = min { ||W||_* : A_ii >= 1 - eps for every row i }`` (T4)."""
    X = np.asarray(X, dtype=float)
    return solve_cost_program(X, diagonal_rows(X.shape[0]), float(eps))


def rank_one_sink_bound(X: np.ndarray, s: int, eps: float) -> float:
    r"""T1.d / T4.a: ``L_n(eps) / (gamma_u gamma_v)``, the cost of the rank-one sink (``inf`` if none)."""
    X = np.asarray(X, dtype=float)
    gu = halfspace_margin(X).distance
    gv = vertex_margin(X, int(s)).distance
    scale = max(1.0, float(np.max(np.abs(X))))
    if gu <= 1e-12 * scale or gv <= 1e-12 * scale:
        return math.inf
    f = sp.lambdify((_n, _eps, _gamma_u, _gamma_v), RANK_ONE_COST, modules="math")
    return float(f(X.shape[0], float(eps), gu, gv))


# ----------------------------------------------------------------------------------------------
# Rigorous upper bounds: a feasible rational W on a coarse grid, and a proven nuclear-norm bound
# ----------------------------------------------------------------------------------------------


GRID_LEVELS = (10, 14, 18, 22, 26, 30)  # bits below the largest entry, coarsest first


@dataclass(frozen=True)
class ProvenCostBound:
    r"""A rational ``W`` proven feasible, with a proven bound ``||W||_* <= nuclear_upper``.

    ``W`` is the solver's solution scaled by ``1 + boost`` and rounded onto the grid
    ``2^(e - grid_bits)`` (``2^e`` just above its largest entry): a coarse grid first, so that a
    change in the solver's last digits, from one machine to another, leaves ``W`` and every number
    of the certificate unchanged. Feasibility: every row's ``sum_j e^{x_i^T W (x_j - x_t)} <
    eps/(1-eps)`` is proven in ``arb``. The bound is the semidefinite characterisation of the nuclear
    norm, ``||W||_* = min {(tr A + tr B)/2 : [[A, W], [W^T, B]] >= 0}``: rational ``A ~ (W W^T)^{1/2}``
    and ``B ~ (W^T W)^{1/2}`` (canonical: unique square roots, whatever the SVD's choice of basis),
    rounded onto a finer grid and lifted by ``delta I``, with the block matrix proven positive
    definite exactly (Sylvester's criterion in rationals). So ``nuclear_upper = (tr A + tr B)/2``.
    """

    W: np.ndarray  # (d, d) Fractions
    A: np.ndarray  # (d, d) Fractions
    B: np.ndarray  # (d, d) Fractions
    nuclear_upper: Fraction
    precision_bits: int
    worst_row_ball: str  # max over rows of sum_j e^{z_ij} - eps/(1-eps), proven < 0
    boost: float
    grid_bits: int
    method: str = (
        "W rational (the solver's W scaled and rounded onto a coarse grid); every row's "
        "sum_j exp(x_i^T W (x_j - x_t)) <= eps/(1-eps) proven in arb ball arithmetic; "
        "||W||_* <= (tr A + tr B)/2 with [[A, W], [W^T, B]] proven positive definite in rationals"
    )

    @property
    def rank(self) -> int:
        return int(np.linalg.matrix_rank(np.vectorize(float, otypes=[float])(self.W)))


def _fractions(a: np.ndarray) -> np.ndarray:
    arr = np.asarray(a, dtype=object)
    out = np.empty(arr.shape, dtype=object)
    for idx in np.ndindex(arr.shape):
        v = arr[idx]
        out[idx] = v if isinstance(v, Fraction) else Fraction(float(v))
    return out


def _fmpq_mat(a: np.ndarray) -> flint.fmpq_mat:
    a = _fractions(a)
    rows, cols = a.shape
    return flint.fmpq_mat(
        rows, cols, [flint.fmpq(v.numerator, v.denominator) for v in a.reshape(-1)]
    )


def _from_fmpq_mat(m: flint.fmpq_mat) -> np.ndarray:
    out = np.empty((m.nrows(), m.ncols()), dtype=object)
    for i in range(m.nrows()):
        for j in range(m.ncols()):
            q = m[i, j]
            out[i, j] = Fraction(int(q.p), int(q.q))
    return out


def _fraction_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return _from_fmpq_mat(_fmpq_mat(a) * _fmpq_mat(b))


def grid_quantum(values: np.ndarray, bits: int) -> Fraction:
    """``2^(e - bits)`` with ``2^e`` the least power of two above every ``|value|`` (1 if all are 0)."""
    top = float(np.max(np.abs(values))) if np.size(values) else 0.0
    if not math.isfinite(top) or top == 0.0:
        return Fraction(1)
    return Fraction(2) ** (math.frexp(top)[1] - bits)


def round_to_grid(values: np.ndarray, quantum: Fraction) -> np.ndarray:
    """Each entry rounded to the nearest multiple of ``quantum`` (exactly, ties to even)."""
    arr = np.asarray(values, dtype=float)
    out = np.empty(arr.shape, dtype=object)
    for idx in np.ndindex(arr.shape):
        out[idx] = round(Fraction(float(arr[idx])) / quantum) * quantum
    return out


def _psd_sqrt(G: np.ndarray) -> np.ndarray:
    """The PSD square root of a symmetric PSD float matrix (eigenvalues clipped at 0)."""
    w, Q = (perturb_host(a) for a in np.linalg.eigh((G + G.T) / 2))
    return (Q * np.sqrt(np.clip(w, 0.0, None))) @ Q.T


def _nuclear_bound(W_exact: np.ndarray, quantum: Fraction) -> tuple[np.ndarray, np.ndarray] | None:
    """Rational ``A, B`` with ``[[A, W], [W^T, B]]`` proven positive definite (``None`` if not)."""
    d = W_exact.shape[0]
    Wf = np.vectorize(float, otypes=[float])(W_exact)  # exact: W's entries have few bits
    fine = quantum / 256
    delta = quantum / 2  # > d * fine / 2 for d <= 256: dominates the rounding of A and B
    eye = np.eye(d, dtype=object) * delta
    A = round_to_grid(_psd_sqrt(Wf @ Wf.T), fine) + eye
    B = round_to_grid(_psd_sqrt(Wf.T @ Wf), fine) + eye
    block = np.block([[A, W_exact], [W_exact.T, B]])
    return (A, B) if is_positive_definite(block) else None


def prove_rows_feasible(
    X_exact: np.ndarray, W_exact: np.ndarray, rows: list[RowConstraint], eps_exact: Fraction
) -> tuple[bool, int, str]:
    r"""Prove ``sum_{j} e^{x_i^T W (x_j - x_t)} < eps/(1-eps)`` for every row, in ``arb``.

    The exponents are exact rationals (computed in ``fmpq``); only ``exp`` is a ball. Precision is
    raised until every row is decided. Returns ``(proven, bits, worst ball)``.
    """
    Xm = _fmpq_mat(X_exact)
    XW = Xm * _fmpq_mat(W_exact)
    G = _from_fmpq_mat(XW * Xm.transpose())  # G_ij = x_i^T W x_j exactly
    q = Fraction(eps_exact) / (1 - Fraction(eps_exact))
    worst = "undecided"
    for bits in PRECISIONS:
        with precision(bits):
            bound = flint.arb(flint.fmpq(q.numerator, q.denominator))
            gaps = []
            for rc in rows:
                total = flint.arb(0)
                for j in rc.competitors:
                    z = G[rc.row, j] - G[rc.row, rc.target]
                    total += flint.arb(flint.fmpq(z.numerator, z.denominator)).exp()
                gaps.append(total - bound)
            worst_gap = gaps[0]
            for g in gaps[1:]:
                worst_gap = flint.arb.max(worst_gap, g)
            worst = worst_gap.str(radius=True)
            if all(bool(g < 0) for g in gaps):
                return True, bits, worst
            if any(bool(g >= 0) for g in gaps):
                return False, bits, worst
    return False, PRECISIONS[-1], worst


def certify_cost_upper_bound(
    X: np.ndarray,
    W: np.ndarray,
    rows: list[RowConstraint],
    eps: float | Fraction,
    levels: tuple[int, ...] = GRID_LEVELS,
) -> ProvenCostBound | None:
    r"""A rigorous upper bound on the program's optimum from a (float) solution ``W``.

    For each grid level ``L`` (coarsest first): ``W' = round((1 + 2^(3-L)) W)`` on the grid
    ``2^(e-L)``; scaling a feasible ``W`` up only helps (with ``eps < 1/2`` every
    ``z_ij < 0`` at a feasible point, and ``t -> logsumexp(t z)`` then decreases), and the boost
    pays for the rounding. The first level whose ``W'`` is proven feasible and whose nuclear-norm
    bound is proven is returned (``None`` if none is). Because the grid is coarse, two solvers
    that agree to a few parts in ``2^L`` give the same certificate.
    """
    X_exact = _fractions(X)
    eps_exact = eps if isinstance(eps, Fraction) else Fraction(float(eps))
    W = np.asarray(W, dtype=float)
    for level in levels:
        boost = 2.0 ** (3 - level)
        quantum = grid_quantum(W, level)
        W_exact = round_to_grid((1.0 + boost) * W, quantum)
        proven, bits, worst = prove_rows_feasible(X_exact, W_exact, rows, eps_exact)
        if not proven:
            continue
        bound = _nuclear_bound(W_exact, quantum)
        if bound is None:
            continue
        A, B = bound
        upper = (
            sum(A[k, k] for k in range(A.shape[0])) + sum(B[k, k] for k in range(B.shape[0]))
        ) / 2
        return ProvenCostBound(W_exact, A, B, Fraction(upper), bits, worst, boost, level)
    return None


DUAL_BITS = 30  # the rational weights of a lower bound: the float ones on a 2^-30 grid


def _grid_fraction(x: float, bits: int = DUAL_BITS) -> Fraction:
    return Fraction(round(float(x) * 2**bits), 2**bits)


def _distribution(z: np.ndarray) -> list[Fraction]:
    """``softmax(z)`` as exact rationals summing to 1 (rounded on a grid, renormalised)."""
    p = np.exp(z - np.max(z))
    p = p / p.sum()
    q = [max(_grid_fraction(v), Fraction(0)) for v in p]
    total = sum(q, Fraction(0))
    if total == 0:
        q, total = [Fraction(1)] + [Fraction(0)] * (len(q) - 1), Fraction(1)
    return [v / total for v in q]


def _entropy(pi: list[Fraction]) -> flint.arb:
    total = flint.arb(0)
    for v in pi:
        if v > 0:
            b = flint.arb(flint.fmpq(v.numerator, v.denominator))
            total -= b * b.log()
    return total


def certify_cost_lower_bound(
    X: np.ndarray,
    W: np.ndarray,
    duals: np.ndarray,
    rows: list[RowConstraint],
    eps: float | Fraction,
) -> flint.arb | None:
    r"""A proven lower bound on the program's optimum from the solver's ``W`` and row multipliers.

    For any distribution ``pi`` over row ``i``'s competitors, Gibbs' inequality
    ``logsumexp_j z_j >= sum_j pi_j z_j + H(pi)`` and the constraint ``logsumexp_j z_j <= -L_1(eps)``
    (``z_j = x_i^T W (x_j - x_t)``) give, for *every* feasible ``W``, the linear inequality
    ``<W, a_i> >= L_1 + H(pi_i)`` with ``a_i = x_i (x_t - xbar_i)^T``, ``xbar_i = sum_j pi_ij x_j``.
    With weights ``mu_i >= 0``, ``M = sum_i mu_i a_i`` and ``<W, M> <= ||W||_* ||M||_2``:

        ``||W||_* >= sum_i mu_i (L_1 + H(pi_i)) / ||M||_2``.

    ``pi_i`` is the softmax of the solver's exponents (the tangent at the optimum) and ``mu`` the
    solver's multipliers, both made exact rationals (any choice is valid; these make the bound
    nearly tight); ``||M||_2^2 <= hi`` with ``hi`` a proven upper bound on ``lambda_max(M^T M)``
    (:func:`eigenvalue_enclosure`); ``L_1`` and ``H`` are ``arb`` balls. Returns the ball of the
    bound (its lower end is what is proven), or ``None`` when it is not positive.
    """
    X_exact = _fractions(X)
    eps_exact = eps if isinstance(eps, Fraction) else Fraction(float(eps))
    if not 0 < eps_exact < Fraction(1, 2) or duals is None or len(duals) != len(rows):
        return None
    top = float(np.max(duals)) if len(duals) else 0.0
    if not math.isfinite(top) or top <= 0:
        return None
    Xf = np.vectorize(float, otypes=[float])(X_exact)
    d = Xf.shape[1]
    M = np.full((d, d), Fraction(0), dtype=object)
    weights: list[tuple[Fraction, list[Fraction]]] = []
    for rc, mu in zip(rows, duals, strict=True):
        mu_q = _grid_fraction(mu / top)
        if mu_q <= 0:
            continue
        comp = list(rc.competitors)
        z = Xf[rc.row] @ W @ (Xf[comp] - Xf[rc.target]).T
        pi = _distribution(np.asarray(z, dtype=float))
        xbar = [
            sum((p * X_exact[j, c] for p, j in zip(pi, comp, strict=True)), Fraction(0))
            for c in range(d)
        ]
        left = X_exact[rc.row]
        right = [X_exact[rc.target, c] - xbar[c] for c in range(d)]
        for a in range(d):
            if left[a] != 0:
                for b in range(d):
                    M[a, b] += mu_q * left[a] * right[b]
        weights.append((mu_q, pi))
    if not weights:
        return None
    gram = _fraction_matmul(M.T, M)
    if all(v == 0 for v in gram.reshape(-1)):
        return None
    enclosure = eigenvalue_enclosure(gram, "max")
    if enclosure is None or enclosure.hi <= 0:
        return None
    for bits in PRECISIONS[:3]:
        with precision(bits):
            odds = (1 - eps_exact) / eps_exact
            L1 = flint.arb(flint.fmpq(odds.numerator, odds.denominator)).log()
            numerator = flint.arb(0)
            for mu_q, pi in weights:
                numerator += flint.arb(flint.fmpq(mu_q.numerator, mu_q.denominator)) * (
                    L1 + _entropy(pi)
                )
            hi = enclosure.hi
            norm = flint.arb(flint.fmpq(hi.numerator, hi.denominator)).sqrt()
            bound = numerator / norm
            if bool(bound > 0):
                return flint.arb(bound.lower())
    return None


# ----------------------------------------------------------------------------------------------
# Proven bounds on extreme eigenvalues of a rational symmetric matrix
# ----------------------------------------------------------------------------------------------


def is_positive_definite(G: np.ndarray) -> bool:
    """Exact test (Sylvester): a rational symmetric ``G`` is positive definite iff every leading
    principal minor is ``> 0`` (determinants in exact ``fmpq`` arithmetic)."""
    Gq = _fractions(G)
    return all(_fmpq_mat(Gq[:k, :k]).det() > 0 for k in range(1, Gq.shape[0] + 1))


@dataclass(frozen=True)
class EigenEnclosure:
    """Proven ``lo <= lambda <= hi`` for one extreme eigenvalue of a rational symmetric matrix."""

    lo: Fraction
    hi: Fraction
    which: str  # "min" | "max"

    def ball(self) -> flint.arb:
        mid = (self.lo + self.hi) / 2
        rad = (self.hi - self.lo) / 2
        m = flint.arb(flint.fmpq(mid.numerator, mid.denominator))
        r = flint.arb(flint.fmpq(rad.numerator, rad.denominator))
        return m + r * flint.arb(0, 1)  # the ball [mid - rad, mid + rad] (rounded outwards)


def _rayleigh(G: np.ndarray, v: np.ndarray) -> Fraction:
    vq = _fractions(v)
    Gv = [sum((G[i, j] * vq[j] for j in range(len(vq))), Fraction(0)) for i in range(len(vq))]
    num = sum((vq[i] * Gv[i] for i in range(len(vq))), Fraction(0))
    return num / sum((x * x for x in vq), Fraction(0))


def eigenvalue_enclosure(G_exact: np.ndarray, which: str = "min") -> EigenEnclosure | None:
    r"""Proven bounds on ``lambda_min`` (or ``lambda_max``) of a rational symmetric matrix.

    Both ends lie on a grid ``q`` (a power of two, 1/16 of the margin ``rel * scale``), so they do
    not move with the last digits of the float eigen-decomposition (another machine, another
    LAPACK). For ``lambda_min``: the outer end ``lo`` is a grid point at least ``rel * scale``
    below the float eigenvalue with ``G - lo I`` proven positive definite
    (:func:`is_positive_definite`); the inner end ``hi`` is the exact Rayleigh quotient of the float
    eigenvector rounded onto ``2^-20`` (any quotient is ``>= lambda_min``), rounded up onto the grid.
    ``lambda_max`` symmetrically.
    """
    G = _fractions(G_exact)
    Gf = np.vectorize(float, otypes=[float])(G)
    w, vecs = (perturb_host(a) for a in np.linalg.eigh(Gf))
    k = 0 if which == "min" else -1
    lam, vec = float(w[k]), vecs[:, k]
    top = float(np.max(np.abs(vec)))
    v = round_to_grid(vec / top, Fraction(1, 2**20)) if top > 0 else _fractions(vec)
    quotient = _rayleigh(G, v)
    eye = np.eye(G.shape[0], dtype=object)
    scale = max(1.0, float(np.max(np.abs(w))))
    for rel in (1e-6, 1e-3):
        q = Fraction(2) ** (math.frexp(rel * scale)[1] - 5)
        if which == "min":
            outer = math.floor((Fraction(lam) - Fraction(rel * scale)) / q) * q
            if is_positive_definite(G - outer * eye):
                return EigenEnclosure(outer, max(math.ceil(quotient / q) * q, outer), which)
        else:
            outer = math.ceil((Fraction(lam) + Fraction(rel * scale)) / q) * q
            if is_positive_definite(outer * eye - G):
                return EigenEnclosure(min(math.floor(quotient / q) * q, outer), outer, which)
    return None


# ----------------------------------------------------------------------------------------------
# Feasibility of the diagonal program (a linear program, for the hypothesis of T4.c / T4.e)
# ----------------------------------------------------------------------------------------------


def diagonal_margin_lp(X: np.ndarray) -> float:
    r"""``max t`` s.t. ``x_i^T W (x_i - x_j) >= t`` for all ``i != j``, entries of ``W`` in ``[-1, 1]``.

    ``t > 0`` iff some ``W`` makes every diagonal margin positive, i.e. iff an eps-diagonal ``W``
    exists for every ``eps`` (scale ``W``; T1.a with token ``i`` as row ``i``'s sink).
    """
    from scipy.optimize import linprog

    X = np.asarray(X, dtype=float)
    n, d = X.shape
    G = np.concatenate([-score_gap_coefficients(X, rc) for rc in diagonal_rows(n)])
    c = np.zeros(d * d + 1)
    c[-1] = -1.0
    A_ub = np.hstack([-G, np.ones((G.shape[0], 1))])
    res = linprog(
        c,
        A_ub=A_ub,
        b_ub=np.zeros(G.shape[0]),
        bounds=[(-1.0, 1.0)] * (d * d) + [(None, 1.0)],
        method="highs",
    )
    if res.status != 0:
        raise RuntimeError(f"HiGHS failed on the diagonal LP: {res.message}")
    return perturb_host(float(-res.fun))
