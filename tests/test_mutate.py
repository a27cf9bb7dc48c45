"""Mutants of the theorems: generation, and a 100% kill rate on every mutant known to be false.

Each known-false mutant has a *witness family* here: explicit exact instances on which the mutant
fails, proven by the mutant's own certifier. The search is not given them; it must find (and
certify) a counterexample of its own within the budget.
"""

from __future__ import annotations

import os
import subprocess
import sys
from fractions import Fraction as F
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from proofs_check.checks import registry
from proofs_check.search.driver import Searcher
from proofs_check.search.mutate import (
    Mutant,
    _scale_constant,
    flipped,
    mutant_by_id,
    mutants_of,
    strengthened,
)
from theory.core import Kind

ROOT = Path(__file__).resolve().parents[1]
KILL_BUDGET_S = 10.0


def _a(rows) -> np.ndarray:
    return np.array([[F(v) for v in row] for row in rows], dtype=object)


def attention(X, W, s: int, eps=None) -> dict:
    inst = {"X": _a(X), "W": _a(W), "s": np.int64(s)}
    inst.update(token_family=np.int64(0), weight_family=np.int64(0))
    if eps is not None:
        inst["eps"] = np.array(F(eps), dtype=object)
    return inst


def switch(X, W, V, s: int, eta=None) -> dict:
    inst = {"X": _a(X), "W": _a(W), "V": _a(V), "s": np.int64(s), "causal": np.int64(0)}
    inst.update(token_family=np.int64(0), weight_family=np.int64(0), value_family=np.int64(0))
    if eta is not None:
        inst["eta"] = np.array([F(eta)] * len(X), dtype=object)
    return inst


def tokens(X, s: int) -> dict:
    """A token set and a sink (T1.b, T1.c, T1.f: no score matrix, the LP chooses ``W``)."""
    return {"X": _a(X), "s": np.int64(s), "token_family": np.int64(0)}


def uniform(n: int) -> dict:
    """``W = 0``: every margin is 0 and every row of attention is uniform."""
    return attention([[k] for k in range(n)], [[0]], 0)


def _sink(t: int = 1) -> dict:
    """Two tokens, ``x_s = 2``, ``x_j = 1``, ``W = t``: ``s`` is an eps-sink with eps < 1/2."""
    return attention([[2], [1]], [[t]], 0)


def smoothing(X, A, B, V, target_kind: int) -> dict:
    """A T3 instance (``X, A, B, V`` exact; the labels as the sampler has them)."""
    inst = {"X": _a(X), "A": _a(A), "B": _a(B), "V": _a(V), "target_kind": np.int64(target_kind)}
    inst.update(token_family=np.int64(0), attention_kind=np.int64(0), value_kind=np.int64(0))
    return inst


def angular(X, c) -> dict:
    inst = {"X": _a(X), "c": np.array([F(v) for v in c], dtype=object)}
    return inst | {"token_family": np.int64(0), "update_kind": np.int64(0)}


def row_stochastic(X, A) -> dict:
    return {"X": _a(X), "A": _a(A), "token_family": np.int64(0), "attention_kind": np.int64(0)}


_HALF = [[F(1, 2), F(1, 2)], [F(1, 2), F(1, 2)]]
_SINK0 = [[1, 0], [1, 0]]
_X23 = [[1, 1], [2, 3]]
# B = I, A uniform: <Z, Delta> < 0 but the endpoint margin 2<Z,Delta> + ||Delta~||^2 > 0, f(1) > f(0)
_QUADRATIC_WINS = smoothing(
    [[F(1, 10)], [F(-1, 10)]], _HALF, [[1, 0], [0, 1]], [[F(-1, 4)], [F(1, 4)]], 1
)
# V = -X, A uniform: m_A = -x_bar, X + AV centred (nu = 1); B = 1 e_1^T: nu(X + BV) = 1/2
_NU_ONE_DENSE = smoothing(_X23, _HALF, _SINK0, [[-1, -1], [-2, -3]], 2)
# the same with the roles of A and B swapped: nu(X + AV) = 1/2 < nu(X + BV) = 1
_NU_ONE_SPARSE = smoothing(_X23, _SINK0, _HALF, [[-1, -1], [-2, -3]], 3)
# n = 2: diam(AX) = delta(A) diam(X) and delta(A) = 1 - tau exactly
_TWO_ROWS = row_stochastic([[0], [1]], [[F(3, 4), F(1, 4)], [F(1, 4), F(3, 4)]])
# two one-hot rows and their average: delta(A) = 1, 1 - tau = 1, diam(AX) = 1 < diam(X) = 3
_ONE_HOT = row_stochastic([[0], [1], [3]], [[1, 0, 0], [0, 1, 0], [F(1, 2), F(1, 2), 0]])

# T1.b: x_s = 2 > x_j = 1 > 0 (d = 1): t* = gamma_u gamma_v = 1 exactly; antipodal tokens with a
# vertex sink (0 in conv X); a sink in the middle of the others (gamma_u > 0, gamma_v = 0); two
# orthogonal tokens: the LP reaches t* = 2 > gamma_u gamma_v = (1/sqrt 2) sqrt 2 = 1
_T1_SINK = [tokens([[2], [1]], 0), tokens([[3], [1], [2]], 0)]
_T1_ANTIPODAL = [tokens([[1], [-1]], 0), tokens([[1, 0], [-1, 0], [0, 1]], 2)]
_T1_INTERIOR = [tokens([[1, 0], [1, 1], [1, -1]], 0)]
_T1_ORTHOGONAL = [tokens([[1, 0], [0, 1]], 0)]

# mutant id -> (witness family, the case that fails). Each line says why the mutant is false.
KNOWN_FALSE = {
    "T1.b~flip:c0": (_T1_SINK, 0),
    "T1.b~drop:c0.g0": (_T1_ANTIPODAL, 0),
    "T1.b~drop:c0.g1": (_T1_INTERIOR, 0),
    "T1.b~margin:c1": (_T1_SINK[:1], 0),
    "T1.b~flip:c1": (_T1_ORTHOGONAL, 0),
    "T1.b~drop:c2.g0": (_T1_SINK, 0),
    # all margins equal (W = 0): the sink weight is exactly 1/(1 + (n-1) e^{-m}), no room
    "T1.a~const:c0.0": ([uniform(3), uniform(4), uniform(8)], 0),
    "T1.a~const:c0.1": ([uniform(2), uniform(3), uniform(5)], 0),
    "T1.a~margin:c0": ([uniform(3), uniform(6)], 0),
    # with n = 2 the margin and the log-odds coincide; with n >= 3 and equal margins they do not
    "T1.a~margin:c1": ([attention([[1], [0]], [[1]], 0), attention([[2], [1]], [[3]], 0)], 0),
    "T1.a~flip:c1": ([uniform(3), uniform(4)], 0),
    # unequal margins: log-odds strictly above m - log(n - 1)
    "T1.a~flip:c0": ([attention([[2], [1], [0]], [[t]], 0) for t in (1, 2)], 0),
    # the construction (x_s = 2, x_j = 1, eps = 1/4): row j has rest = eps exactly, row s less
    # (eps dyadic: the certifier reads a scalar field through float(), exact only for k / 2^j)
    "T1.d~margin:c0": (
        [attention([[2], [1]], [[0]], 0, F(1, 4)), attention([[3], [1]], [[0]], 0, F(1, 8))],
        1,
    ),
    "T1.d~flip:c0": (
        [attention([[2], [1]], [[0]], 0, F(1, 4)), attention([[3], [1]], [[0]], 0, F(1, 8))],
        0,
    ),
    # PSD W, no sink: a longer competitor beats the inner product
    "T1.e~drop:h0": ([attention([[1], [2]], [[1]], 0), attention([[1], [3]], [[2]], 0)], 1),
    # j = s: <x_s, x_s> = ||x_s||^2, the strict inequality fails
    "T1.e~drop:h1": ([_sink(1), _sink(2)], 0),
    "T1.e~flip:c0": ([_sink(1), _sink(2)], 1),
    "T1.e~flip:c1": ([_sink(1), _sink(2)], 1),
    "T1.e~flip:c2": ([_sink(1), _sink(2)], 1),
    # rest_max < 11/20 admits tied tokens (A = 1/2 everywhere): x_j = x_s, equality
    "T1.e~const:h0.0": ([attention([[1], [1]], [[1]], 0), attention([[2], [2]], [[1]], 0)], 1),
    # values v and -v average to 0 under uniform attention: ||y_i - A_is v_s|| = 0 < (1 - A_is) R
    # (n = 4: A = 1/4 is exact, so the norm of the exact 0 is a ball at 0, not around it)
    "T2.b~flip:c1": ([switch([[1], [2], [3], [4]], [[0]], [[0], [1], [-1], [0]], 0)], 0),
    # v_s = 0 and equal other values attain (1 - A_is) R: no room
    "T2.b~margin:c1": ([switch([[1], [2], [3]], [[0]], [[0], [1], [1]], 0)], 0),
    # without v_s = 0 the sink's own value passes through: W = 0, y_0 = (4 + 1)/2 > cap = R/2 = 1/2
    "T2.d~drop:h0": ([switch([[1], [2]], [[0]], [[4], [1]], 0, F(1, 2))], 0),
    # W = 0, cancelling values: y_i = 0 is strictly below T2.d's cap
    "T2.d~flip:c0": ([switch([[1], [2], [3], [4]], [[0]], [[0], [1], [-1], [0]], 0, F(1, 2))], 0),
    # T3.e: the endpoint margin is >= 0 and f(1) > f(0) strictly; f(1) = 0.045 != mu(X)^2 = 0.02
    "T3.e~flip:c0": ([_QUADRATIC_WINS], 0),
    "T3.e~drop:c2.g0": ([_QUADRATIC_WINS], 0),
    # A = I, V = X, a sink target: f(0) = mu(2X)^2 = 2 > f(1) = mu(X)^2 = 1/2
    "T3.e~drop:c0.g0": ([smoothing([[0], [1]], [[1, 0], [0, 1]], _SINK0, [[0], [1]], 2)], 0),
    # zero-value sink, A = I, V = (0, -1/2): the dense update lowers mu, f(0) = 1/8 < f(1) = 1/2
    "T3.e~flip:c3": ([smoothing([[0], [1]], [[1, 0], [0, 1]], _SINK0, [[0], [F(-1, 2)]], 0)], 0),
    # B = I: the endpoint margin 2<Z, V - AV> + ||(I-J)(V - AV)||^2 = 0.025 >= 0 and f(1) > f(0)
    "T3.e~flip:c5": ([_QUADRATIC_WINS], 0),
    # a sink target: the diagonal formula is < 0 (-1/8) but f(1) = mu(X)^2 = 1/2 > f(0) = 1/8
    "T3.e~drop:c6.g0": (
        [smoothing([[0], [1]], [[1, 0], [F(1, 2), F(1, 2)]], _SINK0, [[-1], [-2]], 2)],
        0,
    ),
    # T3.f: nu(X + AV) = 1 > nu(X + BV) = 1/2 (and the mean-weighted sides say so)
    "T3.f~drop:c0.g0": ([_NU_ONE_DENSE], 0),
    "T3.f~flip:c1": ([_NU_ONE_DENSE], 0),
    "T3.f~drop:c1.g0": ([_NU_ONE_SPARSE], 0),
    "T3.f~flip:c0": ([_NU_ONE_SPARSE], 0),
    # T3.g: x_i = e_1, x_j = e_2, c = (-7/8, 0): <c, x_i> < 0, <c, x_j> = 0, cos 0 -> < 0
    "T3.g~drop:h0": ([angular([[1, 0], [0, 1]], [F(-7, 8), 0])], 0),
    "T3.g~drop:h1": ([angular([[0, 1], [1, 0]], [F(-7, 8), 0])], 0),
    # c = (1, 1) raises cos(e_1, e_2) from 0 to 4/5; c = 0 leaves cos = 3/5 unchanged (no room)
    "T3.g~flip:c0": ([angular([[1, 0], [0, 1]], [1, 1])], 0),
    "T3.g~margin:c0": ([angular([[1, 0], [F(3, 5), F(4, 5)]], [0, 0])], 0),
    # T6.d: met with equality at n = 2; strict for two one-hot rows and their average
    "T6.d~margin:c0": ([_TWO_ROWS], 0),
    "T6.d~margin:c1": ([_TWO_ROWS], 0),
    "T6.d~flip:c0": ([_ONE_HOT], 0),
    "T6.d~flip:c1": (
        [row_stochastic([[0], [1], [3]], [_HALF[0] + [0], _HALF[0] + [0], [0, F(1, 2), F(1, 2)]])],
        0,
    ),
}


def test_known_false_witnesses_are_certified():
    """Each witness instance is a certified counterexample of its mutant (so the mutant is false)."""
    for mutant_id, (family, case) in KNOWN_FALSE.items():
        mutant = mutant_by_id(mutant_id)
        assert mutant is not None, f"{mutant_id} is no longer generated"
        for instance in family:
            cert = mutant.check.certify(instance, case)
            assert cert.certified, (mutant_id, cert.note)
        # ... and the theorem it mutates holds on them (the witness is about the mutation)
        theorem = registry()[mutant.parent]
        rc = getattr(theorem, "check", theorem)
        for instance in family:
            assert not rc.certify(instance, case).certified


@pytest.mark.parametrize("mutant_id", sorted(KNOWN_FALSE))
def test_search_kills_every_known_false_mutant(mutant_id):
    mutant = mutant_by_id(mutant_id)
    outcome = Searcher(seed=0).search(mutant.check, KILL_BUDGET_S)
    assert outcome.error is None, outcome.error
    assert outcome.found is not None and outcome.found.certificate.certified, mutant_id
    assert outcome.found.elapsed_s < KILL_BUDGET_S


# -- generation --------------------------------------------------------------------------------------


def test_operators_on_sympy():
    x, y = sp.symbols("x y", positive=True)
    rel = sp.GreaterThan(x, y - sp.log(y - 1))
    assert flipped(rel) == sp.LessThan(x, y - sp.log(y - 1))
    assert flipped(sp.Eq(x, y)) is None
    assert strengthened(rel) == sp.GreaterThan(
        x - y + sp.log(y - 1), (sp.Abs(x) + sp.Abs(y - sp.log(y - 1))) / 10
    )
    # the constants of x - log(y - 1), in preorder, exponents skipped: -1 (coefficient), -1 (in y - 1)
    expr = x - sp.log(y - 1)
    scaled = {str(_scale_constant(expr, t, sp.Rational(11, 10))) for t in (0, 1)}
    assert scaled == {"x - 11*log(y - 1)/10", "x - log(y - 11/10)"}
    assert _scale_constant(sp.sqrt(x), 0, 2) == sp.sqrt(x)  # the exponent 1/2 is not a constant


def test_mutants_of_the_theorems():
    t1a = {m.id: m for m in mutants_of(registry()["T1.a"])}
    assert set(t1a) == {
        "T1.a~const:c0.0",
        "T1.a~const:c0.1",
        "T1.a~margin:c0",
        "T1.a~flip:c0",
        "T1.a~margin:c1",
        "T1.a~flip:c1",
    }
    m: Mutant = t1a["T1.a~const:c0.0"]
    assert m.statement.kind is Kind.CONTROL and m.statement.mirrors == "T1.a"
    assert str(m.statement.conclusions[0].relation) == "log_odds >= margin - 9*log(n - 1)/10"
    t1e = {m.id for m in mutants_of(registry()["T1.e"])}
    assert {"T1.e~drop:h0", "T1.e~drop:h1", "T1.e~const:h0.0"} <= t1e
    assert mutants_of(registry()["T1-F2"]) == []  # a control is already false
    t1b = {m.id for m in mutants_of(registry()["T1.b"])}  # relations over solver observables
    assert {"T1.b~flip:c0", "T1.b~drop:c0.g0", "T1.b~drop:c2.g0", "T1.b~flip:c1"} <= t1b


def test_mutate_cli_reports_killed_and_survivors(tmp_path):
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run(
        [sys.executable, "-m", "proofs_check", "mutate", "T1.a", "--budget", "5", "--no-db"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    row = next(ln for ln in proc.stdout.splitlines() if "T1.a" in ln)
    cells = [c.strip() for c in row.strip("│ ").split("│")]
    assert cells == ["T1.a", "6", "6", "-"]
    assert "6 of 6 mutants killed" in proc.stdout
