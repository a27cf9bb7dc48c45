r"""Rigorous evaluation: SymPy relations evaluated in ball arithmetic (python-flint ``arb``).

A counterexample is *certified* when, with the instance read as exact rationals, every hypothesis
of the statement is proven to hold and some conclusion is proven to fail: the ball of
``lhs - rhs`` lies entirely on the wrong side of 0. The precision is raised (53, 106, ... bits)
until that happens or a cap is reached; the certificate records the final precision and balls.

The evaluator below walks the SymPy tree itself (no float ever enters): integers and rationals
become exact ``fmpq`` balls, and ``exp``/``log``/``sqrt``/powers are arb's rigorous enclosures.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

import flint
import sympy as sp

PRECISIONS = (53, 106, 212, 424, 848, 1696, 3392)


@contextmanager
def precision(bits: int):
    """Temporarily set arb's working precision (restored afterwards: no leaked global state)."""
    old = flint.ctx.prec
    flint.ctx.prec = bits
    try:
        yield
    finally:
        flint.ctx.prec = old


def arb_eval(expr: sp.Expr, env: Mapping[str, Any]) -> flint.arb:
    """Evaluate a SymPy expression on ``arb`` values (``env`` maps symbol names to balls)."""
    if isinstance(expr, sp.Symbol):
        return _exact_arb(env[expr.name])
    if isinstance(expr, sp.Rational):  # Integer included
        return flint.arb(flint.fmpq(int(expr.p), int(expr.q)))
    if expr is sp.S.Half:
        return flint.arb(flint.fmpq(1, 2))
    if isinstance(expr, sp.Add):
        total = flint.arb(0)
        for a in expr.args:
            total += arb_eval(a, env)
        return total
    if isinstance(expr, sp.Mul):
        prod = flint.arb(1)
        for a in expr.args:
            prod *= arb_eval(a, env)
        return prod
    if isinstance(expr, sp.Pow):
        base = arb_eval(expr.base, env)
        ex = expr.exp
        if isinstance(ex, sp.Integer):
            k = int(ex)
            return base**k if k >= 0 else 1 / (base ** (-k))
        if ex == sp.S.Half:
            return base.sqrt()
        if ex == -sp.S.Half:
            return 1 / base.sqrt()
        return (arb_eval(ex, env) * base.log()).exp()
    if isinstance(expr, sp.exp):
        return arb_eval(expr.args[0], env).exp()
    if isinstance(expr, sp.log):
        return arb_eval(expr.args[0], env).log()
    if isinstance(expr, sp.Abs):
        return abs(arb_eval(expr.args[0], env))
    if isinstance(expr, sp.Max):
        vals = [arb_eval(a, env) for a in expr.args]
        out = vals[0]
        for v in vals[1:]:
            out = flint.arb.max(out, v)
        return out
    if isinstance(expr, sp.Min):
        vals = [arb_eval(a, env) for a in expr.args]
        out = vals[0]
        for v in vals[1:]:
            out = flint.arb.min(out, v)
        return out
    unary = _UNARY.get(type(expr))
    if unary is not None:
        return getattr(arb_eval(expr.args[0], env), unary)()
    if expr is sp.pi:
        return flint.arb.pi()
    if expr is sp.E:
        return flint.arb(1).exp()
    if expr.is_Number:
        raise TypeError(f"no exact ball for the constant {expr}")
    raise TypeError(
        f"arb_eval does not know {type(expr).__name__} (known: +, *, powers, exp, log, Abs, Max, "
        f"Min, {', '.join(sorted(f.__name__ for f in _UNARY))}, pi, E)"
    )


# SymPy functions whose ball is the arb method of the same meaning (each rigorous: the result
# contains the function's value at every point of the argument's ball)
_UNARY = {
    sp.tanh: "tanh",
    sp.atanh: "atanh",
    sp.sinh: "sinh",
    sp.cosh: "cosh",
    sp.sin: "sin",
    sp.cos: "cos",
    sp.tan: "tan",
    sp.atan: "atan",
    sp.asin: "asin",
    sp.acos: "acos",
}


def _exact_arb(value: Any) -> flint.arb:
    """A ball for an environment value, never losing information.

    Balls pass through (a 0-d array holding one is unwrapped); Fractions and integers become exact
    ``fmpq`` balls; a float is read as the exact dyadic rational it is. Anything else is refused:
    converting it through ``float`` could drop a ball's radius and certify a falsehood.
    """
    from fractions import Fraction

    import numpy as np

    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, flint.arb):
        return value
    if isinstance(value, Fraction):
        return flint.arb(flint.fmpq(value.numerator, value.denominator))
    if isinstance(value, (bool, np.bool_)):
        return flint.arb(int(value))
    if isinstance(value, (int, np.integer)):
        return flint.arb(int(value))
    if isinstance(value, (float, np.floating)):
        return flint.arb(flint.fmpq(*Fraction(float(value)).as_integer_ratio()))
    raise TypeError(f"no exact ball for a value of type {type(value).__name__}")


# ----------------------------------------------------------------------------------------------
# Deciding relations on balls
# ----------------------------------------------------------------------------------------------


def relation_gap(rel: sp.Rel, env: Mapping[str, Any]) -> flint.arb:
    """A ball for ``g`` with the relation holding iff ``g >= 0`` (``> 0`` when strict; ``== 0`` for Eq)."""
    lhs, rhs = arb_eval(rel.lhs, env), arb_eval(rel.rhs, env)
    if isinstance(rel, (sp.GreaterThan, sp.StrictGreaterThan, sp.Eq)):
        return lhs - rhs
    if isinstance(rel, (sp.LessThan, sp.StrictLessThan)):
        return rhs - lhs
    raise TypeError(f"unsupported relation {type(rel).__name__}")


def proven_true(rel: sp.Rel, gap: flint.arb) -> bool:
    if isinstance(rel, sp.Eq):
        return gap.is_exact() and gap.is_zero()
    if isinstance(rel, (sp.StrictGreaterThan, sp.StrictLessThan)):
        return bool(gap > 0)
    return bool(gap >= 0)


def proven_false(rel: sp.Rel, gap: flint.arb) -> bool:
    if isinstance(rel, sp.Eq):
        return not gap.contains(0)
    if isinstance(rel, (sp.StrictGreaterThan, sp.StrictLessThan)):
        return bool(gap <= 0)
    return bool(gap < 0)


def _outward(x: flint.arb, rounding: str, digits: int = 6) -> str:
    """An endpoint ball written as a decimal rounded outward (down for a lower end, up for an upper)."""
    bound = x.lower() if rounding == ROUND_FLOOR else x.upper()
    value = Decimal(float(bound.mid())).normalize()
    exponent = value.adjusted() - digits + 1
    quantum = Decimal(1).scaleb(exponent)
    rounded = value.quantize(quantum, rounding=rounding)
    # the float image of the endpoint may sit inside the ball's end by one ulp: step out once more
    rounded += -quantum if rounding == ROUND_FLOOR else quantum
    return f"{rounded.normalize():g}"


def ball_text(x: flint.arb) -> str:
    """A ball as text: ``[mid +/- rad]``; or, where that form hides that the ball excludes 0
    (``[+/- r]`` when the radius swamps the midpoint), its endpoints ``[lo, hi]`` rounded outward."""
    text = x.str(radius=True)
    if text.startswith("[+/-") and not x.contains(0) and x.is_finite():
        lo = _outward(x.lower(), ROUND_FLOOR)
        hi = _outward(x.upper(), ROUND_CEILING)
        return f"[{lo}, {hi}]"
    return text


@dataclass(frozen=True)
class Certificate:
    """How a counterexample's violation was proven (or how far the evidence goes)."""

    method: str  # "arb ball arithmetic" | "exact rational arithmetic" | "not certified"
    certified: bool
    precision_bits: int | None
    violated: str  # the conclusion shown to fail
    gap: str  # final ball (or exact value) of lhs - rhs, oriented so that >= 0 means 'holds'
    hypotheses: dict[str, str] = field(default_factory=dict)  # hypothesis -> its proven ball
    note: str = ""

    def summary(self) -> str:
        if not self.certified:
            return f"not certified ({self.note})" if self.note else "not certified"
        if self.precision_bits is None:
            return f"certified by {self.method}: {self.gap}"
        sign = "!= 0" if self.violated.startswith("Eq(") else "< 0"
        return f"certified by {self.method} at {self.precision_bits} bits: gap {self.gap} {sign}"


def certify_relations(
    hypotheses: list[sp.Rel],
    conclusions: list[sp.Rel],
    environment_at: Callable[[int], Mapping[str, Any]],
) -> Certificate:
    """Raise the precision until every hypothesis is proven and one conclusion is proven false.

    ``environment_at(bits)`` recomputes the observables as balls at that working precision (the
    caller runs its observable code on the exact instance under :func:`precision`).
    """
    last_note = "no precision decided the relations"
    for bits in PRECISIONS:
        with precision(bits):
            env = environment_at(bits)
            hyp_gaps = {str(h): relation_gap(h, env) for h in hypotheses}
            if any(proven_false(h, hyp_gaps[str(h)]) for h in hypotheses):
                return Certificate(
                    "not certified",
                    False,
                    bits,
                    "",
                    "",
                    note="a hypothesis fails in exact arithmetic: float noise, not a counterexample",
                )
            if not all(proven_true(h, hyp_gaps[str(h)]) for h in hypotheses):
                last_note = f"hypotheses not proven at {bits} bits: " + ", ".join(
                    f"{k}: {v}" for k, v in hyp_gaps.items()
                )
                continue
            for concl in conclusions:
                gap = relation_gap(concl, env)
                if proven_false(concl, gap):
                    return Certificate(
                        "arb ball arithmetic",
                        True,
                        bits,
                        str(concl),
                        ball_text(gap) if hasattr(gap, "str") else str(gap),
                        {k: str(v) for k, v in hyp_gaps.items()},
                    )
            last_note = (
                f"no conclusion proven false at {bits} bits (float noise, not a counterexample)"
            )
    return Certificate("not certified", False, None, "", "", note=last_note)
