"""User conjectures: loaded from a file, checked, certified; broken ones are ERROR, not crashes."""

from __future__ import annotations

import textwrap

import pytest

from proofs_check.runner import TargetError, resolve, run_all

HEADER = textwrap.dedent(
    """
    import sympy as sp
    from proofs_check.conjecture import Conjecture, attention_instances
    from proofs_check.observables.attention import attention
    q = sp.Symbol("q")
    """
)


def write(tmp_path, body: str) -> str:
    path = tmp_path / "conj.py"
    path.write_text(HEADER + textwrap.dedent(body))
    return str(path)


def test_false_conjecture_is_refuted_with_certificate(tmp_path):
    target = write(
        tmp_path,
        """
        def quantities(inst, ops):
            A = attention(ops, inst["X"], inst["W"])
            return {"q": ops.max(A, axis=-1)}
        c = Conjecture(name="top_below_09", conclusion=sp.LessThan(q, sp.Rational(9, 10)),
                       quantities=quantities, instances=attention_instances())
        """,
    )
    (ev,) = run_all(resolve([target + "::top_below_09"]), 0, 300)
    assert ev.verdict == "REFUTED" and not ev.expected
    assert ev.counterexample.certificate.certified


def test_conjecture_that_raises_is_error_and_others_still_run(tmp_path):
    target = write(
        tmp_path,
        """
        def broken(inst, ops):
            raise RuntimeError("boom")
        def fine(inst, ops):
            A = attention(ops, inst["X"], inst["W"])
            return {"q": A.sum(axis=-1)}
        a = Conjecture(name="a", conclusion=sp.GreaterThan(q, 0), quantities=broken, instances=attention_instances())
        b = Conjecture(name="b", conclusion=sp.GreaterThan(q, sp.Rational(1, 2)), quantities=fine,
                       instances=attention_instances())
        """,
    )
    evs = run_all(resolve([target]), 0, 200)
    verdicts = {e.statement.name: e.verdict for e in evs}
    assert verdicts == {"a": "ERROR", "b": "HOLDS"}
    assert "boom" in evs[0].error


def test_nan_quantity_is_error(tmp_path):
    target = write(
        tmp_path,
        """
        def nan(inst, ops):
            A = attention(ops, inst["X"], inst["W"])
            return {"q": ops.xp.log(A.sum(axis=-1) - 2.0)}
        c = Conjecture(name="c", conclusion=sp.GreaterThan(q, 0), quantities=nan, instances=attention_instances())
        """,
    )
    (ev,) = run_all(resolve([target]), 0, 100)
    assert ev.verdict == "ERROR" and "NaN" in ev.error


def test_unimportable_file_is_a_target_error(tmp_path):
    path = tmp_path / "bad.py"
    path.write_text("this is not python(\n")
    with pytest.raises(TargetError, match="importing"):
        resolve([str(path)])


def test_unknown_family_is_reported(tmp_path):
    target = write(tmp_path, 'c = attention_instances(token_families=["nope"])\n')
    with pytest.raises(TargetError, match="unknown family 'nope'"):
        resolve([target])


def test_conjecture_with_a_kernel_proof_is_reported_proved_or_refused(tmp_path):
    from proofs_check.proof_status import proof_json

    src = tmp_path / "proved.py"
    src.write_text(
        """
import sympy as sp
from proofs_check.conjecture import Conjecture, attention_instances
from theory.kernel import Combine, Proof, Use, ge

rest = sp.Symbol("rest", real=True)

def quantities(inst, ops):
    from proofs_check.observables.attention import attention
    A = attention(ops, inst["X"], inst["W"])
    others = ops.xp.arange(A.shape[0]) != inst["s"]
    return {"rest": ops.xp.where(others[None, :], A, 0 * A).sum(axis=-1)}

good = Conjecture(
    name="good", conclusion=sp.GreaterThan(rest, 0), quantities=quantities,
    instances=attention_instances(),
    proof=Proof((Use("r", sp.StrictGreaterThan(rest, 0), "rest_positive"),
                 Combine("goal", ge(rest, 0), ((1, "r"),)))),
)
bad = Conjecture(
    name="bad", conclusion=sp.GreaterThan(rest, 1), quantities=quantities,
    instances=attention_instances(),
    proof=Proof((Use("r", sp.StrictGreaterThan(rest, 0), "rest_positive"),
                 Combine("goal", ge(rest, 1), ((1, "r"),)))),
)
"""
    )
    from proofs_check.conjecture import load_conjectures

    good, bad = load_conjectures(str(src))
    assert proof_json(good.statement)["status"] == "PROVED"
    refused = proof_json(bad.statement)
    assert refused["status"] == "TESTED"
    assert "step 2 (goal, combination)" in refused["refused"]
