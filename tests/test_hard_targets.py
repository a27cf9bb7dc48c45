"""The hard benchmark's statements (benchmarks/hard_statements.py): every false one has an exact
witness, certified here in ball arithmetic, and a true twin that the same witness does not refute.

The witnesses are kept only here: no search of the benchmark sees them.
"""

from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from hard_statements import FALSE, KIND, TRUE, TWIN  # noqa: E402

import proofs_check  # noqa: E402


def _exact(rows: list[list[object]]) -> list[list[str]]:
    return [[str(Fraction(v)) for v in row] for row in rows]


def _eye(k: int) -> list[list[int]]:
    return np.eye(k, dtype=int).tolist()


def _zeros(n: int, d: int) -> list[list[int]]:
    return np.zeros((n, d), dtype=int).tolist()


def _e1(n: int, d: int) -> list[list[int]]:
    """``n`` unit tokens, all ``e_1`` (the samplers of these statements draw unit tokens)."""
    return [[1] + [0] * (d - 1) for _ in range(n)]


def _rows(row: list[object], n: int) -> list[list[object]]:
    return [list(row) for _ in range(n)]


# equal values (1, 0) at every non-sink token; the sink's value is irrelevant (zeroed or subtracted)
_EQUAL_VALUES = [[5, 7], [1, 0], [1, 0]]
_DUPLICATE_TOKENS = [[0, 0], [1, 0], [1, 0]]  # x_1 = x_2: a pair of rows moves as one point

# (case, instance): each at (or just past) the equality case of its bound, exact rationals
WITNESSES: dict[str, tuple[int, dict[str, list[list[object]]]]] = {
    # all margins equal to 1: A_i0 = 1/(1 + 2/e), the bound 1/(1 + 1.998/e) is larger
    "t1a_thin": (0, {"X": _eye(3), "W": _rows([1, 0, 0], 3)}),
    # row scores (1, 0, -100): the non-sink mass sits on one token, m_i = log(A_i0/A_i1)
    "t1a_converse_thin": (0, {"X": _eye(3), "W": _rows([1, 0, -100], 3)}),
    # n = 12 equal scores: A_i0 = 1/12 < 1/9
    "margin_8": (0, {"X": _e1(12, 3), "W": _zeros(3, 3)}),
    # n = 64 equal scores: A_i0 = 1/64 < 1/53
    "margin_52": (0, {"X": _e1(64, 4), "W": _zeros(4, 4)}),
    # uniform attention, equal non-sink values of norm R = 1: ||y_i|| = (1 - A_i0) R
    "t2b_upper_thin": (0, {"X": _e1(3, 2), "W": _zeros(2, 2), "V": _EQUAL_VALUES}),
    # the same: c_i = (1, 0) is the hull's nearest point, ||y_i - A_i0 v_0|| = (1 - A_i0) delta
    "t2b_lower_thin": (0, {"X": _e1(3, 2), "W": _zeros(2, 2), "V": _EQUAL_VALUES}),
    # equal margins 0 and equal values: T2.d's bound is attained
    "t2d_thin": (0, {"X": _e1(3, 2), "W": _zeros(2, 2), "V": _EQUAL_VALUES}),
    # n = 12, equal scores, equal values: ||y_i|| = 11/12 > 8/9
    "t2d_8": (
        0,
        {"X": _e1(12, 3), "W": _zeros(3, 3), "V": [[0, 0, 0]] + _rows([1, 0, 0], 11)},
    ),
    # unit tokens, x_1 = x_2: A_i1 = A_i2, so diam(AX) = delta(A) diam(X) (rows 0 and 1 differ)
    "t6d_thin": (0, {"X": [[1, 0], [0, 1], [0, 1]], "W": [[1, 0], [0, 0]]}),
    # values are tokens, x_1 = x_2 at distance 1 from x_0: row 0 moves by (1 - A_00) * 1
    "t5a_thin": (0, {"X": _DUPLICATE_TOKENS, "W": _zeros(2, 2)}),
    # n = 2, d = 1, x_1 = r x_0 with r = 9999/10000: a 1/2-sink, length ratio 1/r^2 < 1.001
    "t1e_thin": (1, {"X": [[1], ["9999/10000"]], "W": [[1]]}),
    # causal sink over x_0 = (-1, 0), x_1 = (1, 0), x_2 = (1, 1): margins 4, 0 = (x_0 + x_1)/2
    "causal_hull": (0, {"X": [[-1, 0], [1, 0], [1, 1]], "W": [[-2, 0], [0, 0]]}),
}


def test_every_false_statement_has_a_witness_a_twin_and_a_kind():
    assert len(FALSE) >= 12
    assert set(WITNESSES) == set(FALSE) == set(TWIN) == set(KIND)
    assert set(TWIN.values()) == set(TRUE)
    assert all(FALSE[f].expect == "REFUTED" and TRUE[t].expect == "HOLDS" for f, t in TWIN.items())


@pytest.mark.parametrize("name", sorted(WITNESSES))
def test_witness_is_a_certified_counterexample(name):
    case, instance = WITNESSES[name]
    cert = proofs_check.certify_instance(
        FALSE[name], {k: _exact(v) for k, v in instance.items()}, case
    )
    assert cert.certified, (name, cert)


@pytest.mark.parametrize("name", sorted(WITNESSES))
def test_witness_does_not_refute_the_true_twin(name):
    """The twin is the untightened bound (the witness sits at its equality case) or the same bound
    restricted to where it holds (the witness is outside, or the twin's stronger conclusion)."""
    case, instance = WITNESSES[name]
    twin = TRUE[TWIN[name]]
    exact = {k: _exact(v) for k, v in instance.items()}
    shape = (len(instance["X"]), len(instance["X"][0]))
    if KIND[name].startswith("n >="):  # the twin is the bound restricted to small n
        assert twin.domain is not None and not twin.domain.sizes.admits(*shape)
        assert FALSE[name].domain is None or FALSE[name].domain.sizes.admits(*shape)
        return
    cert = proofs_check.certify_instance(twin, exact, case)
    assert not cert.certified, (name, cert)


def test_no_benchmark_module_sees_the_witnesses():
    bench = Path(__file__).resolve().parent.parent / "benchmarks"
    for module in ("hard_statements.py", "hard_benchmark.py", "baselines.py"):
        text = (bench / module).read_text()
        assert "WITNESSES" not in text and "test_hard_targets" not in text.replace(
            "tests/test_hard_targets.py", ""
        ), module


# the statements verify reported HOLDS on before its target phase screened every shape and
# differentiated relations with a side 0 (issue 14): margin_8 needs n >= 10, t1e_thin is violated
# only near a tie at n = 2, causal_hull needs the sink pushed across the origin
ONCE_MISSED = ("margin_8", "t1e_thin", "causal_hull")


@pytest.mark.parametrize("name", ONCE_MISSED)
def test_verify_refutes_the_false_statement_and_holds_on_its_twin(name):
    (false,) = proofs_check.verify(FALSE[name])
    assert false.verdict == "REFUTED" and false.counterexample.certificate.certified
    (twin,) = proofs_check.verify(TRUE[TWIN[name]])
    assert twin.verdict == "HOLDS", twin.detail


def test_search_screen_reaches_a_later_shape_without_screening_the_earlier_ones_whole(monkeypatch):
    """margin_8 is violated only at n >= 10, its third declared shape (n = 12): the search's screen
    gets there after the first ``SCREEN_FIRST`` starts of each earlier shape, not all of them."""
    from proofs_check.search import driver

    check = FALSE["margin_8"].compile("test")
    earlier = [s for s in driver.shape_schedule(check.shapes) if s[0] < 10]
    assert len(earlier) >= 2  # otherwise the test shows nothing
    token_counts: list[int] = []
    real = driver._oracle_or_none

    def counting(rc, inst):
        token_counts.append(int(np.shape(inst["X"])[0]))
        return real(rc, inst)

    monkeypatch.setattr(driver, "_oracle_or_none", counting)
    found = driver.Searcher(0, db=None).search(check, 30.0, replay=False).found
    assert found is not None and found.certificate.certified
    assert found.origin.startswith("start at n=12") and found.origin.endswith("screened")
    before = token_counts[: next(k for k, n in enumerate(token_counts) if n >= 10)]
    assert len(before) == driver.SCREEN_FIRST * len(earlier), before
