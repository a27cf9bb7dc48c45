"""Ball-arithmetic evaluation of SymPy relations: sound, precision-raising, and able to say no."""

from fractions import Fraction

import flint
import sympy as sp

from proofs_check.certify import (
    arb_eval,
    ball_text,
    certify_relations,
    precision,
    relation_gap,
)

a, b = sp.symbols("a b", real=True)


def test_arb_eval_is_exact_on_rationals_and_encloses_transcendentals():
    ball = arb_eval(
        sp.Rational(1, 3) + sp.log(a) + sp.exp(-b) + sp.sqrt(a), {"a": flint.arb(2), "b": 0}
    )
    value = 1 / 3 + 0.6931471805599453 + 1.0 + 1.4142135623730951
    assert ball.contains(flint.arb(value)) or abs(float(ball.mid()) - value) < 1e-14


def test_certifies_a_clear_violation_at_first_precision():
    cert = certify_relations(
        [], [sp.GreaterThan(a, b)], lambda bits: {"a": flint.arb(1), "b": flint.arb(2)}
    )
    assert cert.certified and cert.precision_bits == 53


def test_raises_precision_for_a_tiny_violation():
    tiny = Fraction(1, 2**80)

    def env(bits):
        return {
            "a": flint.arb(flint.fmpq(1, 3))
            - flint.arb(flint.fmpq(tiny.numerator, tiny.denominator)),
            "b": flint.arb(flint.fmpq(1, 3)),
        }

    cert = certify_relations([], [sp.GreaterThan(a, b)], env)
    assert cert.certified and cert.precision_bits > 53


def test_equality_is_never_certified_violated():
    cert = certify_relations(
        [], [sp.GreaterThan(a, b)], lambda bits: {"a": flint.arb(1), "b": flint.arb(1)}
    )
    assert not cert.certified


def test_unproven_hypothesis_blocks_certification():
    cert = certify_relations(
        [sp.StrictGreaterThan(b, 0)],
        [sp.GreaterThan(a, 5)],
        lambda bits: {"a": flint.arb(1), "b": flint.arb(-1)},
    )
    assert not cert.certified and "hypothesis" in cert.note


def test_precision_context_restores_global_state():
    old = flint.ctx.prec
    with precision(300):
        assert flint.ctx.prec == 300
    assert flint.ctx.prec == old


def test_relation_gap_orientation():
    env = {"a": flint.arb(1), "b": flint.arb(3)}
    assert float(relation_gap(sp.LessThan(a, b), env).mid()) == 2.0
    assert float(relation_gap(sp.GreaterThan(a, b), env).mid()) == -2.0


def test_a_ball_inside_a_0d_array_keeps_its_radius():
    import numpy as np

    tenth = np.array(flint.arb(flint.fmpq(1, 10)), dtype=object)  # not dyadic: a ball of radius > 0
    ball = arb_eval(a, {"a": tenth})
    assert ball.rad() > 0 and ball.contains(flint.arb(flint.fmpq(1, 10)))


def test_the_t1d_equality_case_is_not_certified_with_a_non_dyadic_eps():
    """X = [[3], [1]], s = 0, eps = 1/10: T1.d's construction meets its bound with equality."""
    from fractions import Fraction

    import numpy as np

    from proofs_check.checks import registry

    check = registry()["T1.d"]
    inst = {
        "X": np.array([[Fraction(3)], [Fraction(1)]], dtype=object),
        "s": np.int64(0),
        "eps": np.array(Fraction(1, 10), dtype=object),
        "token_family": np.int64(1),
        "weight_family": np.int64(0),
        "W": np.array([[Fraction(0)]], dtype=object),
    }
    inst.update(
        check.prepare(
            {k: np.vectorize(float)(v) if v.dtype == object else v for k, v in inst.items()}
        )
    )
    assert not check.certify(inst, 1).certified


def test_ball_text_shows_that_a_ball_excludes_zero():
    """``[+/- r]`` would hide it; the endpoints, rounded outward, do not."""
    ball = flint.arb(-26, 25.7)  # [-51.7, -0.3]
    assert ball.str(radius=True).startswith("[+/-")
    lo, hi = (float(t) for t in ball_text(ball).strip("[]").split(","))
    assert lo <= -51.7 and -0.3 <= hi < 0
    assert ball_text(flint.arb(-30, 5.2)) == flint.arb(-30, 5.2).str(radius=True)
    assert ball_text(flint.arb(0, 1)).startswith("[+/-")  # contains 0: shown as it is
