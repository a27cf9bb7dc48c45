r"""Checks for T4 (the cost of a sink versus a diagonal pattern) and its controls.

Every check runs on one pool of token sets (all THEORY.md token families, causal masks, ``eps`` near 0,
in the bulk and near 1/2, ``n`` from 2 to 32, ``d`` up to 16), drawn once per ``(seed, samples)``; the
convex programs of :mod:`proofs_check.observables.costs` are solved at most once per instance and
program, whichever statement asks first.

Float phase. The statement's SymPy relations are evaluated on the instance's observables with the
*exact* optima from the conic solver. A solver optimum is only known up to its accuracy, so a
relation counts as violated only beyond a tolerance tied to the solver's reported duality gap (see
:attr:`CostResult.tolerance`: ``10 x (|gap| + |primal - dual objective| + |objective - ||W||_*|)``,
at least ``1e-7`` relative), propagated through the relation to first order. A solve that did not
converge, on an instance that meets the hypotheses, makes the verdict ERROR: it is never evidence.

Rigorous phase. Beyond-tolerance violations are escalated: the solver's ``W`` becomes a rational
``W`` on a coarse grid, proven feasible in ball arithmetic, with ``||W||_* <= (tr A + tr B)/2`` for
rational ``A, B`` making ``[[A, W], [W^T, B]]`` provably positive definite,
so the cost lies in the ball ``[0, that bound]``; every other observable is evaluated exactly or as a
proven ball (exact minimum-norm points for ``gamma_u, gamma_v``, an ``LDL^T``-certified enclosure of
``sigma_max(X~)^2``), and :func:`proofs_check.certify.certify_relations` decides. This proves
violations of lower bounds on a cost (T4.b, T4.c, and the control T4-F2). A beyond-tolerance
violation of an *upper* bound cannot be certified by a primal point: it is reported as ERROR (the
solver disagrees with a feasible construction), never as HOLDS.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from fractions import Fraction
from functools import cache, lru_cache
from typing import Any

import flint
import numpy as np
import sympy as sp

from proofs_check.certify import Certificate, arb_eval, certify_relations, precision
from proofs_check.checks.engine import sympy_relations_of
from proofs_check.evidence import Counterexample, Evidence
from proofs_check.instances import TOKEN_FAMILIES, rng_for, sample_eps, sample_tokens
from proofs_check.observables.costs import (
    GAP_TOLERANCE,
    CostResult,
    RowConstraint,
    certify_cost_upper_bound,
    diag_cost,
    diagonal_margin_lp,
    diagonal_rows,
    eigenvalue_enclosure,
    sink_cost,
    sink_rows,
)
from proofs_check.observables.geometry import exact_min_norm_point, hull_distance, vertex_points
from proofs_check.perturb import perturb_host
from proofs_check.stable import MACHINE_KEY, canonical_worst, stable_float
from theory import costs as T4
from theory.core import Kind, Statement, verify_steps

COST_SHAPES = ((2, 1), (2, 3), (3, 2), (4, 3), (6, 4), (8, 8), (12, 6), (16, 4), (32, 16))
BASE_COUNTS = (10, 10, 10, 10, 10, 5, 5, 5, 2)  # instances per shape at 2000 samples
BASE_SAMPLES = 2000
POOL_FLOOR = 0.5  # the pool never shrinks below half its default size (conic solves, not samples)
FAMILY_WEIGHTS = {  # all THEORY.md token families; more weight where T4's hypotheses bite
    "gaussian": 1.0,
    "unit": 2.0,
    "cone": 3.0,
    "clustered": 1.0,
    "collapsed": 1.0,
    "massive": 1.0,
    "ties": 1.0,
    "antipodal": 1.0,
    "long_sink": 2.0,
}
CAUSAL_FRACTION = 0.25
MARGIN_ZERO = 1e-9  # a margin (gamma_u, gamma_v, LP optimum) below this (relative) counts as 0
GIVEN_MIN = 5  # instances a conditional conclusion ("given") must see, else VACUOUS
MIN_MET = 8
FP_SLACK = 1e-12  # relative float64 rounding allowed in evaluating a bound itself

COSTS = {"c_sink": "sink", "c_diag": "diag"}

# ----------------------------------------------------------------------------------------------
# The pool of instances
# ----------------------------------------------------------------------------------------------


@dataclass
class CostInstance:
    """One token set with its sink, ``eps``, causal flag, and memoised solves and observables."""

    X: np.ndarray
    s: int
    eps: float
    family: str
    causal: bool
    shape: tuple[int, int]
    solves: dict[str, CostResult] = field(default_factory=dict)
    _geometry: dict[str, Any] | None = None

    @property
    def label(self) -> str:
        return self.family + ("/causal" if self.causal else "")

    def cost(self, program: str) -> CostResult:
        """``program`` in {"sink", "sink_causal", "diag"}, solved once."""
        if program not in self.solves:
            if program == "diag":
                self.solves[program] = diag_cost(self.X, self.eps)
            else:
                self.solves[program] = sink_cost(
                    self.X, self.s, self.eps, causal=program == "sink_causal"
                )
        return self.solves[program]

    @property
    def geometry(self) -> dict[str, Any]:
        if self._geometry is None:
            self._geometry = token_geometry(self.X, self.s, self.causal)
        return self._geometry


def _scale(X: np.ndarray) -> float:
    return max(1.0, float(np.max(np.abs(X))))


def token_geometry(X: np.ndarray, s: int, causal: bool) -> dict[str, Any]:
    r"""Float observables of T4 for one token set (no solver): margins, spectra, pair distances."""
    n, d = X.shape
    scale = _scale(X)
    half = hull_distance(X)
    vert = hull_distance(vertex_points(X, s))
    others = np.delete(X, s, axis=0)
    half_others = hull_distance(others)
    gu = half.distance if half.distance > MARGIN_ZERO * scale else 0.0
    gv = vert.distance if vert.distance > MARGIN_ZERO * scale else 0.0
    norms = np.linalg.norm(X, axis=1)
    to_sink = np.linalg.norm(X[s] - X, axis=1)
    pairs = constrained_pairs(n, s, causal)
    centred = X - X.mean(axis=0)
    diffs = X[:, None, :] - X[None, :, :]
    dist_sq = np.sum(diffs * diffs, axis=-1)
    off = ~np.eye(n, dtype=bool)
    gram = X @ X.T
    lp = diagonal_margin_lp(X)
    sink_exists = (
        half_others.distance > MARGIN_ZERO * scale and vert.distance > MARGIN_ZERO * scale
        if causal
        else gu > 0 and gv > 0
    )
    return {
        "gamma_u": gu,
        "gamma_v": gv,
        "sink_pair_min": perturb_host(float(min(norms[i] * to_sink[j] for i, j in pairs))),
        "sigma_max_sq": perturb_host(float(np.linalg.norm(centred, 2) ** 2)),
        "pair_dist_min_sq": perturb_host(float(np.min(dist_sq[off]))),
        "g": perturb_host(float(np.min((np.diag(gram)[:, None] - gram)[off]))),
        "rank_x": exact_rank(X),
        "n": n,
        "d": d,
        "sink_exists": bool(sink_exists),
        "diag_exists": lp > MARGIN_ZERO * scale**2,
        "diag_ambiguous": 0.0 < lp <= MARGIN_ZERO * scale**2,
        "supports": (half.support, vert.support),
    }


def exact_rank(X: np.ndarray) -> int:
    """``rank(X)`` over the rationals (a float is the dyadic rational it is): T4.d's projector bound
    must not rest on a rank that rounding made smaller."""
    rows = [[flint.fmpq(*Fraction(float(v)).as_integer_ratio()) for v in row] for row in X.tolist()]
    return int(flint.fmpq_mat(rows).rank())


def constrained_pairs(n: int, s: int, causal: bool) -> list[tuple[int, int]]:
    """The ``(i, j)`` with ``j != s`` that a sink constraint involves (causal: ``j <= i``)."""
    return [(rc.row, j) for rc in sink_rows(n, s, causal) for j in rc.competitors]


def _counts(samples: int) -> list[int]:
    scale = max(samples / BASE_SAMPLES, POOL_FLOOR)
    return [max(1, math.ceil(b * scale)) for b in BASE_COUNTS]


@lru_cache(maxsize=4)
def cost_pool(seed: int, samples: int) -> tuple[CostInstance, ...]:
    """The shared instance pool of T4 (drawn once per ``(seed, samples)``; solves memoised)."""
    out: list[CostInstance] = []
    weights = np.array([FAMILY_WEIGHTS[f] for f in TOKEN_FAMILIES])
    weights = weights / weights.sum()
    for idx, ((n, d), count) in enumerate(zip(COST_SHAPES, _counts(samples), strict=True)):
        rng = rng_for(seed, "T4", idx)
        causal = rng.random(count) < CAUSAL_FRACTION
        s = np.where(causal, 0, rng.integers(0, n, count))
        fam = rng.choice(len(TOKEN_FAMILIES), size=count, p=weights)
        X = sample_tokens(rng, fam, n, d, s)
        eps = sample_eps(rng, count)
        for b in range(count):
            out.append(
                CostInstance(
                    X[b], int(s[b]), float(eps[b]), TOKEN_FAMILIES[fam[b]], bool(causal[b]), (n, d)
                )
            )
    return tuple(out)


# ----------------------------------------------------------------------------------------------
# Relations with solver tolerances
# ----------------------------------------------------------------------------------------------


def _oriented(rel: sp.Rel) -> tuple[sp.Expr, sp.Expr]:
    if isinstance(rel, (sp.LessThan, sp.StrictLessThan)):
        return rel.rhs, rel.lhs
    return rel.lhs, rel.rhs


@cache
def _sides(rel: sp.Rel) -> tuple[Callable[..., Any], tuple[str, ...]]:
    big, small = _oriented(rel)
    names = tuple(sorted(sym.name for sym in rel.free_symbols))
    relabel = {sym: sp.Symbol(sym.name) for sym in rel.free_symbols}
    f = sp.lambdify(
        [sp.Symbol(nm) for nm in names],
        [big.xreplace(relabel), small.xreplace(relabel)],
        modules="numpy",
    )
    return f, names


def _big_small(rel: sp.Rel, env: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    f, names = _sides(rel)
    with np.errstate(all="ignore"):
        big, small = f(*[np.asarray(env[nm], dtype=float) for nm in names])
    shape = np.shape(env["n"])
    return np.broadcast_to(np.asarray(big, float), shape), np.broadcast_to(
        np.asarray(small, float), shape
    )


@dataclass(frozen=True)
class RelationOutcome:
    """Per instance: nominal slack, the slack the solver tolerance allows, and the verdict bits."""

    raw: np.ndarray  # big - small (signed)
    tolerance: np.ndarray  # |raw| change when each cost moves by its tolerance (first order)
    slack: np.ndarray  # scale-free nominal slack (>= 0 holds)
    holds: np.ndarray  # holds at the nominal values
    beyond: np.ndarray  # violated by more than the tolerance


def evaluate_relation(
    rel: sp.Rel, env: dict[str, np.ndarray], tolerances: dict[str, np.ndarray]
) -> RelationOutcome:
    big, small = _big_small(rel, env)
    raw = big - small
    scale = np.abs(big) + np.abs(small) + 1e-300
    tol = FP_SLACK * scale
    for name in sorted(sym.name for sym in rel.free_symbols):
        if name in tolerances:
            moved = dict(env)
            moved[name] = np.asarray(env[name], float) + tolerances[name]
            b2, s2 = _big_small(rel, moved)
            with np.errstate(invalid="ignore"):
                tol = tol + np.abs((b2 - s2) - raw)
    with np.errstate(invalid="ignore"):
        if isinstance(rel, sp.Eq):
            slack = -np.abs(raw) / scale
            holds = np.abs(raw) <= FP_SLACK * scale
            beyond = np.abs(raw) > tol
        else:
            slack = raw / scale
            holds = (
                raw > 0 if isinstance(rel, (sp.StrictGreaterThan, sp.StrictLessThan)) else raw >= 0
            )
            beyond = raw < -tol
    return RelationOutcome(raw, tol, slack, holds & np.isfinite(raw), beyond & np.isfinite(raw))


def hypotheses_met(rels: list[sp.Rel], env: dict[str, np.ndarray]) -> np.ndarray:
    met = np.ones(np.shape(env["n"]), dtype=bool)
    for h in rels:
        big, small = _big_small(h, env)
        with np.errstate(invalid="ignore"):
            raw = big - small
            ok = raw > 0 if isinstance(h, (sp.StrictGreaterThan, sp.StrictLessThan)) else raw >= 0
        met &= ok & np.isfinite(raw)
    return met


# ----------------------------------------------------------------------------------------------
# Exact observables for certification
# ----------------------------------------------------------------------------------------------


class CertificationUnavailable(Exception):
    """An exact side computation needed for a certificate could not be carried out."""


def _q(v: float | Fraction) -> Fraction:
    return v if isinstance(v, Fraction) else Fraction(float(v))


def _arb(q: Fraction) -> flint.arb:
    return flint.arb(flint.fmpq(q.numerator, q.denominator))


def exact_geometry(inst: CostInstance) -> dict[str, Any]:
    """Exact rationals (or enclosures) for every non-cost observable of ``inst``, as in
    :func:`token_geometry` (``sink_pair_min`` over the pairs of ``inst.causal``, like T4.b's program)."""
    Xq = [[_q(v) for v in row] for row in inst.X]
    n, d = inst.X.shape
    s = inst.s
    dot = lambda a, b: sum((x * y for x, y in zip(a, b, strict=True)), Fraction(0))  # noqa: E731
    sub = lambda a, b: [x - y for x, y in zip(a, b, strict=True)]  # noqa: E731
    half_support, vert_support = inst.geometry["supports"]
    Xarr = np.array(Xq, dtype=object)
    half = exact_min_norm_point(Xarr, half_support)
    diffs = np.array([sub(Xq[s], Xq[j]) for j in range(n) if j != s], dtype=object)
    vert = exact_min_norm_point(diffs, vert_support)
    mean = [sum((Xq[i][c] for i in range(n)), Fraction(0)) / n for c in range(d)]
    centred = np.array([sub(Xq[i], mean) for i in range(n)], dtype=object)
    gram_c = centred.T.dot(centred)
    sigma = eigenvalue_enclosure(gram_c, "max")
    if sigma is None:
        raise CertificationUnavailable("no proven enclosure of sigma_max(X~)^2")
    norms_sq = [dot(x, x) for x in Xq]
    to_sink_sq = [dot(sub(Xq[s], x), sub(Xq[s], x)) for x in Xq]
    pairs = constrained_pairs(n, s, inst.causal)
    return {
        "half": half,
        "vert": vert,
        "sigma": sigma,
        "pairs": [(norms_sq[i], to_sink_sq[j]) for i, j in pairs],
        "pair_dist_min_sq": min(
            dot(sub(Xq[i], Xq[j]), sub(Xq[i], Xq[j])) for i in range(n) for j in range(n) if i != j
        ),
        "g": min(norms_sq[i] - dot(Xq[i], Xq[j]) for i in range(n) for j in range(n) if i != j),
        "rank_x": exact_rank(inst.X),
        "n": n,
        "d": d,
        "eps": _q(inst.eps),
    }


def exact_environment(
    exact: dict[str, Any], cost_uppers: dict[str, Fraction]
) -> Callable[[int], dict[str, Any]]:
    """``environment_at(bits)`` for :func:`certify_relations`: balls at the current precision.

    A cost is the ball ``[0, U]`` for its proven upper bound ``U`` (costs are ``>= 0``).
    """

    def at(_bits: int) -> dict[str, Any]:
        env: dict[str, Any] = {
            "n": exact["n"],
            "d": exact["d"],
            "eps": _arb(exact["eps"]),
            "pair_dist_min_sq": _arb(exact["pair_dist_min_sq"]),
            "g": _arb(exact["g"]),
            "rank_x": exact["rank_x"],
            "sigma_max_sq": exact["sigma"].ball(),
        }
        if exact["half"] is not None and exact["half"].squared_distance > 0:
            env["gamma_u"] = exact["half"].distance_arb()
        if exact["vert"] is not None and exact["vert"].squared_distance > 0:
            env["gamma_v"] = exact["vert"].distance_arb()
        prods = [_arb(a).sqrt() * _arb(b).sqrt() for a, b in exact["pairs"]]
        pmin = prods[0]
        for p in prods[1:]:
            pmin = flint.arb.min(pmin, p)
        env["sink_pair_min"] = pmin
        for name, upper in cost_uppers.items():
            half_u = _arb(upper) / 2
            env[name] = half_u + half_u * flint.arb(0, 1)  # the ball [0, upper]
        return env

    return at


# ----------------------------------------------------------------------------------------------
# The check
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CostCheck:
    """A T4 statement checked on the pool with exact optima, solver tolerances, and certificates.

    ``structural(inst)`` decides the hypotheses that are not scalar relations (a program's
    feasibility, by the geometry of T1.b/T1.c or by the diagonal LP), and ``programs(inst)`` names
    the solves a statement needs (``{"c_sink": "sink" | "sink_causal", "c_diag": "diag"}``).
    """

    statement: Statement
    programs: Callable[[CostInstance], dict[str, str]]
    structural: Callable[[CostInstance], bool] = lambda inst: True
    min_met: int = MIN_MET
    max_certify: int = 4

    def run(self, seed: int, samples: int) -> Evidence:
        st = self.statement
        ev = Evidence(st, symbolic=verify_steps(st.derivation), min_met=self.min_met)
        pool = cost_pool(seed, samples)
        hyps, concls = sympy_relations_of(st)
        ev.tried = len(pool)
        geo = [inst.geometry for inst in pool]
        env = {
            k: np.array([g[k] for g in geo], dtype=float)
            for k in (
                "gamma_u",
                "gamma_v",
                "sink_pair_min",
                "sigma_max_sq",
                "pair_dist_min_sq",
                "g",
                "rank_x",
                "n",
                "d",
            )
        }
        env["eps"] = np.array([inst.eps for inst in pool])
        met = hypotheses_met(hyps, env) & np.array([self.structural(inst) for inst in pool])
        results: dict[str, list[CostResult | None]] = {name: [None] * len(pool) for name in COSTS}
        failures = []
        for b, inst in enumerate(pool):
            if not met[b]:
                continue
            for name, program in self.programs(inst).items():
                res = inst.cost(program)
                results[name][b] = res
                if not res.converged:
                    failures.append(
                        f"{inst.label} {inst.shape} {program}: {res.status} {res.note}".strip()
                    )
        tolerances: dict[str, np.ndarray] = {}
        for name in COSTS:
            if any(r is not None for r in results[name]):
                env[name] = np.array([r.value if r is not None else np.nan for r in results[name]])
                tolerances[name] = np.array(
                    [r.tolerance if r is not None else np.nan for r in results[name]]
                )
        ev.met = int(met.sum())
        labels = Counter(inst.label for inst, m in zip(pool, met, strict=True) if m)
        ev.families = sorted(labels)
        ev.extra["family_counts"] = dict(sorted(labels.items()))
        ev.machine["solver"] = _solver_summary(results)
        if failures:
            ev.error = (
                f"{len(failures)} conic solve(s) did not converge on instances meeting the hypotheses "
                f"(not used as evidence): {failures[:3]}"
            )
            return ev
        worst, notes, candidates = math.inf, [], []
        within = 0
        for rel, given in concls:
            mask = met.copy()
            if given:
                mask &= hypotheses_met(list(given), env)
                ev.extra.setdefault("given_met", {})[str(rel)] = int(mask.sum())
                if st.kind is Kind.THEOREM and mask.sum() < GIVEN_MIN:
                    notes.append(f"only {int(mask.sum())} instance(s) met the condition of '{rel}'")
                    ev.met = min(ev.met, self.min_met - 1)
            if not mask.any():
                continue
            out = evaluate_relation(rel, env, tolerances)
            worst = min(worst, float(np.min(out.slack[mask])))
            within += int(np.sum(mask & ~out.holds & ~out.beyond))
            for b in np.flatnonzero(mask & out.beyond):
                candidates.append((float(out.slack[b]), int(b), rel, given))
        ev.worst_slack = worst if math.isfinite(worst) else None
        ev.machine["within_solver_tolerance"] = within
        ev.detail = (
            "costs are the conic solver's optima (W repaired to float feasibility); a relation counts "
            "as violated only beyond 10 x (|duality gap| + |primal - dual objective| + "
            "|objective - ||W||_*|), at least 1e-7 relative, propagated to first order (how many "
            f"nominal violations fell within that tolerance depends on the machine: {MACHINE_KEY})"
        )
        if notes:
            ev.detail += "; VACUOUS part: " + "; ".join(notes)
        self._escalate(ev, pool, results, hyps, candidates)
        return ev

    def certify(self, instance: dict[str, Any], case: int = 0) -> Certificate:
        """Re-certify one saved instance (``X``, ``s``, ``eps``, ``causal``): solve, then prove."""
        inst = instance_from_json(instance)
        hyps, concls = sympy_relations_of(self.statement)
        programs = self.programs(inst)
        results: dict[str, list[CostResult | None]] = {name: [None] for name in COSTS}
        for name, program in programs.items():
            results[name][0] = inst.cost(program)
        best = Certificate("not certified", False, None, "", "", note="no conclusion to certify")
        for rel, given in concls:
            best = certify_cost_relation(inst, programs, hyps + list(given), rel, results, 0)
            if best.certified:
                return best
        return best

    def _escalate(
        self,
        ev: Evidence,
        pool: tuple[CostInstance, ...],
        results: dict[str, list[CostResult | None]],
        hyps: list[sp.Rel],
        candidates: list[tuple[float, int, sp.Rel, tuple[sp.Rel, ...]]],
    ) -> None:
        # canonical: slacks tied up to rounding go by instance index (then conclusion order)
        drawn = canonical_worst(list(enumerate(candidates)), lambda t: t[1][0], lambda t: t[0])
        candidates = [c for _, c in drawn]
        for _slack, b, rel, given in candidates[: self.max_certify]:
            programs = self.programs(pool[b])
            cert = certify_cost_relation(pool[b], programs, hyps + list(given), rel, results, b)
            if not cert.certified:
                ev.float_noise += 1
                ev.machine.setdefault("not_certified", []).append(cert.note)
            else:
                inst = pool[b]
                ev.counterexample = Counterexample(
                    self.statement.id,
                    {"X": inst.X.tolist(), "s": inst.s, "eps": inst.eps, "causal": inst.causal},
                    b,
                    inst.label,
                    inst.shape,
                    cert,
                )
                if self.statement.kind is Kind.THEOREM:
                    ev.detail = "FINDING: certified counterexample to a THEOREM; " + ev.detail
                return
        ev.uncertified_violations = max(0, len(candidates) - self.max_certify)
        if candidates and self.statement.kind is Kind.THEOREM:
            ev.error = (
                f"{len(candidates)} violation(s) beyond the solver tolerance, none certified (an "
                "upper bound on a cost would need a dual certificate): the solver and the theorem "
                "disagree; not counted as evidence either way"
            )


def instance_from_json(instance: dict[str, Any]) -> CostInstance:
    """A :class:`CostInstance` from a counterexample's JSON instance (floats read exactly)."""
    X = np.asarray(np.vectorize(float, otypes=[float])(np.asarray(instance["X"], dtype=object)))
    s = instance.get("s", 0)
    s = np.asarray(s).item() if isinstance(s, np.ndarray) else s  # 0-d arrays from the database
    return CostInstance(
        X,
        int(s) if not isinstance(s, str) else 0,
        float(np.asarray(instance["eps"], dtype=object).item()),
        str(instance.get("family", "replayed")),
        bool(instance.get("causal", False)),
        X.shape,
    )


def program_rows(inst: CostInstance, program: str) -> list[RowConstraint]:
    """The row constraints of ``program`` ("sink", "sink_causal" or "diag") on ``inst``."""
    n = inst.X.shape[0]
    if program == "diag":
        return diagonal_rows(n)
    return sink_rows(n, inst.s, causal=program == "sink_causal")


def certify_cost_relation(
    inst: CostInstance,
    programs: dict[str, str],
    hyps: list[sp.Rel],
    rel: sp.Rel,
    results: dict[str, list[CostResult | None]],
    b: int,
) -> Certificate:
    """Prove ``rel`` false on ``inst``: costs as balls ``[0, proven upper bound]``, the rest exact."""
    uppers: dict[str, Fraction] = {}
    notes = []
    for name in sorted(sym.name for sym in rel.free_symbols if sym.name in COSTS):
        res = results[name][b]
        if res is None or res.W is None:
            return Certificate("not certified", False, None, "", "", note=f"no solution for {name}")
        rows = program_rows(inst, programs[name])
        fac = certify_cost_upper_bound(inst.X, res.W, rows, inst.eps)
        if fac is None:
            return Certificate(
                "not certified",
                False,
                None,
                "",
                "",
                note=f"no feasible rational W proven for {name}",
            )
        uppers[name] = fac.nuclear_upper
        notes.append(
            f"{name} ({programs[name]} program, {len(rows)} rows) <= {fac.nuclear_upper} (~{stable_float(float(fac.nuclear_upper))}): {fac.method} "
            f"(grid 2^-{fac.grid_bits} of the largest entry, boost {fac.boost:g}, worst row {fac.worst_row_ball} at {fac.precision_bits} bits)"
        )
    try:
        exact = exact_geometry(inst)
    except CertificationUnavailable as exc:
        return Certificate("not certified", False, None, "", "", note=str(exc))
    environment_at = exact_environment(exact, uppers)
    try:
        cert = certify_relations(hyps, [rel], environment_at)
    except KeyError as exc:  # an observable with no exact value (e.g. a margin that is 0)
        return Certificate("not certified", False, None, "", "", note=f"no exact value for {exc}")
    if not cert.certified:
        return cert
    with precision(cert.precision_bits or 53):
        env = environment_at(cert.precision_bits or 53)
        sides = f"lhs {rel.lhs} in {arb_eval(rel.lhs, env).str(radius=True)}, rhs {rel.rhs} in " + (
            arb_eval(rel.rhs, env).str(radius=True)
        )
    return replace(cert, note="; ".join([sides, *notes]))


def _solver_summary(results: dict[str, list[CostResult | None]]) -> dict[str, Any]:
    solved = [r for rs in results.values() for r in rs if r is not None]
    if not solved:
        return {"solves": 0}
    ok = [r for r in solved if r.converged]
    rel_gap = [abs(r.duality_gap) / max(abs(r.value), 1e-300) for r in ok]
    rel_tol = [r.tolerance / max(abs(r.value), 1e-300) for r in ok]
    return {
        "solves": len(solved),
        "converged": len(ok),
        "solvers": dict(Counter(r.solver for r in solved)),
        "max_relative_duality_gap": max(rel_gap) if rel_gap else None,
        "max_relative_tolerance": max(rel_tol) if rel_tol else None,
        "max_violation_log_space": max((r.max_violation for r in ok), default=None),
    }


# ----------------------------------------------------------------------------------------------
# T4-F1: a token set with no sink at all but a finite diagonal cost
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SinkNeverDearerControl:
    """T4-F1, refuted exactly: ``0 in conv X`` (no sink for any ``s``) while ``c_diag < inf`` is proven."""

    statement: Statement
    max_certify: int = 4

    def run(self, seed: int, samples: int) -> Evidence:
        ev = Evidence(self.statement, symbolic=verify_steps(self.statement.derivation), min_met=1)
        pool = cost_pool(seed, samples)
        attempts = 0
        labels: Counter[str] = Counter()
        # the antipodal family first: the THEORY.md witness (any token set with 0 in its hull works)
        order = sorted(range(len(pool)), key=lambda b: (pool[b].family != "antipodal", b))
        for b in order:
            inst = pool[b]
            ev.tried += 1
            distinct = len({tuple(r) for r in inst.X.tolist()}) == inst.X.shape[0]
            if not distinct or Fraction(inst.eps) >= Fraction(1, 2):
                continue  # hypotheses: distinct rows, eps < 1/2
            ev.met += 1
            labels[inst.label] += 1
            if ev.counterexample is not None or attempts >= self.max_certify:
                continue
            h = hull_distance(inst.X)
            if h.distance > MARGIN_ZERO * _scale(inst.X) or not inst.geometry["diag_exists"]:
                continue
            attempts += 1
            cert = self._certify(inst, h.support)
            if cert.certified:
                ev.counterexample = Counterexample(
                    self.statement.id,
                    {"X": inst.X.tolist(), "s": "any", "eps": inst.eps},
                    b,
                    inst.label,
                    inst.shape,
                    cert,
                )
            else:
                ev.float_noise += 1
                ev.machine.setdefault("not_certified", []).append(cert.note)
        ev.families = sorted(labels)
        ev.extra["family_counts"] = dict(sorted(labels.items()))
        return ev

    def certify(self, instance: dict[str, Any], case: int = 0) -> Certificate:
        """Re-certify one saved instance (``X``, ``eps``)."""
        inst = instance_from_json(instance)
        return self._certify(inst, hull_distance(inst.X).support)

    @staticmethod
    def _certify(inst: CostInstance, support: tuple[int, ...]) -> Certificate:
        # the hypotheses first, exactly: a replayed or shrunk instance need not meet them
        if len({tuple(r) for r in inst.X.tolist()}) < inst.X.shape[0]:
            return Certificate("not certified", False, None, "", "", note="rows not distinct")
        if not Fraction(0) < Fraction(inst.eps) < Fraction(1, 2):
            return Certificate("not certified", False, None, "", "", note="eps not in (0, 1/2)")
        Xq = np.array([[Fraction(float(v)) for v in row] for row in inst.X], dtype=object)
        hull = exact_min_norm_point(Xq, support)
        if hull is None or hull.squared_distance != 0:
            return Certificate(
                "not certified", False, None, "", "", note="0 in conv X not proven exactly"
            )
        diag = inst.cost("diag")
        if not diag.converged:
            return Certificate(
                "not certified", False, None, "", "", note=f"diagonal solve: {diag.status}"
            )
        fac = certify_cost_upper_bound(inst.X, diag.W, diagonal_rows(inst.X.shape[0]), inst.eps)
        if fac is None:
            return Certificate(
                "not certified", False, None, "", "", note="no feasible diagonal W proven"
            )
        weights = ", ".join(str(w) for w in hull.weights)
        return Certificate(
            "exact rational arithmetic + arb ball arithmetic",
            True,
            fac.precision_bits,
            "for every s: c_sink(X, s, eps) <= c_diag(X, eps)",
            f"c_sink = +inf for every s: sum_i lambda_i x_i = 0 exactly with lambda = ({weights}), so "
            "for every W, s and j != s, sum_i lambda_i (s_is - s_ij) = 0 and some row has a margin <= 0, "
            f"i.e. A_is <= 1/2 < 1 - eps (T1.a): no W is feasible. c_diag <= {fac.nuclear_upper} "
            f"(~{stable_float(float(fac.nuclear_upper))}) < inf: {fac.method}; worst row {fac.worst_row_ball}",
            {"rows pairwise distinct": "exact", "eps < 1/2": f"eps = {Fraction(inst.eps)}"},
            note=(
                f"solver c_diag ~ {stable_float(diag.value)} (converged: relative duality gap "
                f"<= {GAP_TOLERANCE:g})"
            ),
        )


# ----------------------------------------------------------------------------------------------


def _sink_program(inst: CostInstance) -> dict[str, str]:
    return {"c_sink": "sink_causal" if inst.causal else "sink"}


def _plain_sink(inst: CostInstance) -> dict[str, str]:
    return {"c_sink": "sink"}


def _diag_program(inst: CostInstance) -> dict[str, str]:
    return {"c_diag": "diag"}


def _both_programs(inst: CostInstance) -> dict[str, str]:
    return {"c_sink": "sink", "c_diag": "diag"}


def _diag_feasible(inst: CostInstance) -> bool:
    return bool(inst.geometry["diag_exists"])


def _sink_feasible(inst: CostInstance) -> bool:
    return bool(inst.geometry["sink_exists"])


def checks() -> list[Any]:
    """The checks of T4, in THEORY.md order."""
    return [
        CostCheck(T4.SINK_COST_UPPER, _plain_sink),
        CostCheck(T4.SINK_COST_LOWER, _sink_program, structural=_sink_feasible),
        CostCheck(T4.DIAG_COST_LOWER, _diag_program, structural=_diag_feasible),
        CostCheck(T4.DIAG_COST_UPPER, _diag_program),
        CostCheck(T4.SINK_CHEAPER, _both_programs, structural=_diag_feasible),
        SinkNeverDearerControl(T4.CONTROL_SINK_ALWAYS_CHEAPER),
        CostCheck(T4.CONTROL_RANK_ONE_OPTIMAL, _plain_sink, min_met=1),
    ]
