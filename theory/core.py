"""The statement model: one object per item of THEORY.md, and algebra steps whose algebra SymPy checks.

The steps here are a sketch of each argument, not a proof: a :class:`Combination`'s premises are
free expressions (nothing ties them to a hypothesis) and a :class:`Positive` reads a sign off the
symbols' declared assumptions. What is proved is what the kernel (:mod:`theory.kernel`) accepts:
see :mod:`theory.proofs` for each theorem's proof and status.

A :class:`Statement` carries an id (``T1.a``, ``T2-F1``, ``E3``), a title, its kind
(theorem, control, explore), its hypotheses and conclusions, and the derivation that SymPy checks.
Hypotheses and conclusions are :class:`Condition` objects: a sentence, and where the condition is a
scalar relation between observables, the SymPy relation itself. That relation is the single source of
truth for the bound: the numeric checks compile it (``lambdify`` to JAX) and the certifier evaluates
it in ball arithmetic; no bound is typed twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import sympy as sp


class Kind(StrEnum):
    """What the engine must conclude about a statement."""

    THEOREM = "THEOREM"  # must HOLD on every instance of its hypotheses
    CONTROL = "CONTROL"  # a false variant: must be REFUTED with a certified counterexample
    EXPLORE = "EXPLORE"  # open question: the engine reports what it finds, no pass/fail


@dataclass(frozen=True)
class Condition:
    """A hypothesis or conclusion: a sentence and, where it is a scalar relation, its SymPy form.

    ``relation`` is ``None`` for structural conditions that the instance sampler enforces by
    construction (``W`` is PSD, a causal mask is applied, ...); those are still stated explicitly.
    """

    text: str
    relation: sp.Rel | None = None
    given: tuple[sp.Rel, ...] = ()  # extra hypotheses for this conclusion only

    def latex(self) -> str:
        return sp.latex(self.relation) if self.relation is not None else ""


# ----------------------------------------------------------------------------------------------
# Derivation steps. Each is data (so the docs can print it) with a ``verify`` that SymPy runs.
# ----------------------------------------------------------------------------------------------


def _is_zero(expr: sp.Expr) -> bool:
    """Exact zero test: expand (polynomial identities, and products of sums: every symbolic
    instance of T3.a), then cancel over a common denominator, then simplify, then expand
    exponentials and logs. Each is an exact rewriting, so any of them reaching 0 proves the
    identity; the cheap ones come first (``simplify`` alone took 7 s on T3.a's instance, ``expand``
    1.7 s)."""
    if expr == 0:
        return True
    expanded = sp.expand(expr)
    if expanded == 0 or sp.cancel(sp.together(expanded)) == 0:
        return True
    simplified = sp.simplify(expr)
    if simplified == 0:
        return True
    # log(1/(n-1)) + log(n-1) is 0 only for n > 1; our symbols carry that as a stated hypothesis
    return sp.simplify(sp.expand(sp.expand_log(simplified, force=True))) == 0


@dataclass(frozen=True)
class Identity:
    """``lhs == rhs`` identically (``simplify(lhs - rhs) == 0``)."""

    text: str
    lhs: sp.Expr
    rhs: sp.Expr

    def verify(self) -> bool:
        return _is_zero(sp.sympify(self.lhs) - sp.sympify(self.rhs))

    def latex(self) -> str:
        return f"{sp.latex(self.lhs)} = {sp.latex(self.rhs)}"


@dataclass(frozen=True)
class Positive:
    """``expr > 0`` (or ``>= 0`` with ``strict=False``) follows from the symbols' *declared*
    assumptions (not a proof of the sign: the kernel's positivity needs facts)."""

    text: str
    expr: sp.Expr
    strict: bool = True

    def verify(self) -> bool:
        expr = sp.simplify(self.expr)
        return bool(expr.is_positive if self.strict else expr.is_nonnegative)

    def latex(self) -> str:
        op = ">" if self.strict else r"\geq"
        return f"{sp.latex(self.expr)} {op} 0"


@dataclass(frozen=True)
class Root:
    """``equation`` solved for ``variable`` has exactly the solutions ``expected``."""

    text: str
    equation: sp.Eq
    variable: sp.Symbol
    expected: tuple[sp.Expr, ...]

    def verify(self) -> bool:
        found = sp.solve(self.equation, self.variable, dict=False)
        if len(found) != len(self.expected):
            return False
        return all(any(_is_zero(f - e) for f in found) for e in self.expected)

    def latex(self) -> str:
        sols = ", ".join(sp.latex(e) for e in self.expected)
        return rf"{sp.latex(self.equation)} \iff {sp.latex(self.variable)} \in \{{{sols}\}}"


@dataclass(frozen=True)
class Combination:
    """``conclusion = sum_k weight_k * premise_k`` identically, every weight nonnegative by the
    symbols' declared assumptions.

    If every premise is ``>= 0`` then so is the conclusion; but the premises are free expressions
    here (nothing ties them to a hypothesis or a lemma), so the step checks the algebra of an
    implication, not that its premises hold. :class:`theory.kernel.Combine` is the proof rule.
    """

    text: str
    conclusion: sp.Expr
    premises: tuple[tuple[sp.Expr, sp.Expr], ...]  # (weight, premise expression)

    def verify(self) -> bool:
        total = sum((w * p for w, p in self.premises), sp.Integer(0))
        if not _is_zero(sp.sympify(self.conclusion) - total):
            return False
        return all(sp.simplify(w).is_nonnegative for w, _ in self.premises)

    def latex(self) -> str:
        terms = " + ".join(
            rf"\left({sp.latex(w)}\right)\left({sp.latex(p)}\right)" for w, p in self.premises
        )
        return f"{sp.latex(self.conclusion)} = {terms}"


Step = Identity | Positive | Root | Combination


@dataclass(frozen=True)
class StepResult:
    index: int
    text: str
    latex: str
    verified: bool


def verify_steps(steps: tuple[Step, ...]) -> list[StepResult]:
    """Run every derivation step through SymPy, in order."""
    return [StepResult(k + 1, s.text, s.latex(), s.verify()) for k, s in enumerate(steps)]


# ----------------------------------------------------------------------------------------------
# Statements
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Statement:
    """One item of THEORY.md, with its hypotheses explicit (mathlib-style: named for what it says)."""

    id: str
    name: str  # what it says, e.g. "sink_attention_lower_bound_from_margins"
    title: str
    kind: Kind
    claim: str  # "T1" ... "T6"
    hypotheses: tuple[Condition, ...]
    conclusions: tuple[Condition, ...]
    derivation: tuple[Step, ...] = ()
    mirrors: str | None = None  # for a control: the theorem it is a false variant of
    note: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)
    proof: Any = (
        None  # a user's theory.kernel.Proof of the (single) conclusion, checked by the kernel
    )

    @property
    def expected_verdict(self) -> str:
        return {Kind.THEOREM: "HOLDS", Kind.CONTROL: "REFUTED", Kind.EXPLORE: "REPORTED"}[self.kind]

    def relations(self) -> tuple[list[sp.Rel], list[sp.Rel]]:
        """The scalar hypotheses and conclusions, as SymPy relations."""
        hyps = [c.relation for c in self.hypotheses if c.relation is not None]
        concl = [c.relation for c in self.conclusions if c.relation is not None]
        return hyps, concl
