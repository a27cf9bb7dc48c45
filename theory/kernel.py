r"""The proof kernel (LCF style): only this module makes a :class:`Fact`.

A *fact* is a relation ``lhs OP rhs`` (``OP`` one of ``>=``, ``>``, ``==``; ``<=`` and ``<`` are
stored with their sides swapped) together with its provenance: a hypothesis of the statement, an
instance of a lemma of the trusted base (:mod:`theory.lemmas`), a conclusion of a theorem the kernel
already accepted, or one rule applied to named earlier facts. :class:`Fact` refuses to be built
without a token private to this module, so code outside the kernel can *propose* a proof (a tuple of
steps, plain data) but cannot forge its facts.

The rules, each checked by SymPy (every identity test runs on copies of the expressions whose
symbols carry no assumption but ``real``, so a symbol *declared* positive proves nothing):

* :class:`Hyp`        a relation that is one of the statement's hypotheses;
* :class:`Use`        a lemma of the trusted base under a substitution of its variables, its side
                      conditions discharged by named facts;
* :class:`Cite`       a conclusion of a theorem whose proof the kernel accepted earlier;
* :class:`Identity`   ``lhs == rhs`` when ``lhs - rhs`` simplifies to 0;
* :class:`Rewrite`    a fact restated: same relation, ``lhs - rhs`` identically the same;
* :class:`Combine`    ``g OP 0`` when ``g = sum_k w_k f_k`` identically, each ``f_k OP_k 0`` a fact and
                      each weight ``w_k`` a nonnegative rational or the product of a rational and
                      named nonnegative facts (any weight for an equation);
* :class:`Product`    ``prod_k f_k^{e_k} >= 0`` from facts ``f_k >= 0`` (``> 0`` where ``e_k < 0``);
* :class:`Monotone`   ``phi(a) OP phi(b)`` from ``a OP b`` for ``phi`` in exp, log, sqrt (log needs a
                      fact ``b > 0``, sqrt a fact ``b >= 0``);
* :class:`Subst`      replace ``a`` by ``b`` in a fact, given a fact ``a == b``.

:func:`check` replays a proof and accepts it only if every step is accepted and the last fact is the
goal (the statement's own conclusion, or a declared symbolic instance of it) over the same
observables. The first refused step is reported with its reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import InitVar, dataclass, field
from typing import Any

import sympy as sp

_KERNEL = object()  # the private token: a Fact built without it is refused

GE, GT, EQ = ">=", ">", "=="
_FUNCTIONS = {"exp": sp.exp, "log": sp.log, "sqrt": sp.sqrt}


class KernelError(Exception):
    """A step the kernel refuses (the message says why)."""


# ----------------------------------------------------------------------------------------------
# Relations in normal form and exact identity tests
# ----------------------------------------------------------------------------------------------


def orient(rel: sp.Basic) -> tuple[sp.Expr, str, sp.Expr]:
    """``(lhs, op, rhs)`` with ``op`` in ``>=, >, ==`` (``a <= b`` becomes ``b >= a``)."""
    if isinstance(rel, sp.GreaterThan):
        return rel.lhs, GE, rel.rhs
    if isinstance(rel, sp.StrictGreaterThan):
        return rel.lhs, GT, rel.rhs
    if isinstance(rel, sp.LessThan):
        return rel.rhs, GE, rel.lhs
    if isinstance(rel, sp.StrictLessThan):
        return rel.rhs, GT, rel.lhs
    if isinstance(rel, sp.Equality):
        return rel.lhs, EQ, rel.rhs
    raise KernelError(f"not a relation: {rel!r}")


def plain(expr: sp.Basic) -> sp.Basic:
    """``expr`` with every symbol replaced by a ``real`` symbol of the same name (no other assumption).

    Symbols of the same name are the same observable wherever they were declared.
    """
    expr = sp.sympify(expr)
    return expr.xreplace({s: sp.Symbol(s.name, real=True) for s in expr.free_symbols})


def is_zero(expr: sp.Basic) -> bool:
    """Exact zero test on the assumption-free copy: expand, cancel, then simplify."""
    e = plain(expr)
    if e == 0:
        return True
    for simp in (sp.expand, sp.cancel, sp.simplify):
        try:
            if simp(e) == 0:
                return True
        except (TypeError, ValueError, NotImplementedError, sp.PolynomialError):
            continue
    return False


def same(a: sp.Basic, b: sp.Basic) -> bool:
    return is_zero(sp.sympify(a) - sp.sympify(b))


def to_rel(lhs: sp.Expr, op: str, rhs: sp.Expr) -> sp.Basic:
    return {GE: sp.GreaterThan, GT: sp.StrictGreaterThan, EQ: sp.Eq}[op](lhs, rhs, evaluate=False)


def ge(a: Any, b: Any) -> sp.Basic:
    """``a >= b``, never evaluated to ``True`` (SymPy would use the symbols' assumptions)."""
    return sp.GreaterThan(a, b, evaluate=False)


def gt(a: Any, b: Any) -> sp.Basic:
    return sp.StrictGreaterThan(a, b, evaluate=False)


def le(a: Any, b: Any) -> sp.Basic:
    return sp.LessThan(a, b, evaluate=False)


def lt(a: Any, b: Any) -> sp.Basic:
    return sp.StrictLessThan(a, b, evaluate=False)


def eq(a: Any, b: Any) -> sp.Basic:
    return sp.Eq(a, b, evaluate=False)


# ----------------------------------------------------------------------------------------------
# Facts: only the kernel builds them
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    """``lhs op rhs``, with where it came from. Built only by :func:`check` (private token)."""

    name: str
    lhs: sp.Expr
    op: str
    rhs: sp.Expr
    source: str  # "hypothesis", "lemma <id>", "theorem <id>", "rule <name>"
    premises: tuple[str, ...]
    token: InitVar[Any] = None  # not stored: a copy (dataclasses.replace) must present it again

    def __post_init__(self, token: Any) -> None:
        if token is not _KERNEL:
            raise KernelError("a Fact can only be made by the proof kernel")

    @property
    def expr(self) -> sp.Expr:
        """The normal form: the fact says ``expr op 0``."""
        return self.lhs - self.rhs

    @property
    def relation(self) -> sp.Basic:
        return to_rel(self.lhs, self.op, self.rhs)

    @property
    def nonneg(self) -> bool:
        return self.op in (GE, GT)


def _fact(name: str, rel: sp.Basic, source: str, premises: Iterable[str] = ()) -> Fact:
    lhs, op, rhs = orient(rel)
    return Fact(name, lhs, op, rhs, source, tuple(premises), _KERNEL)


def matches(fact_lhs: sp.Expr, fact_op: str, fact_rhs: sp.Expr, goal: sp.Basic) -> bool:
    """Does the fact state ``goal``? Same observables, same relation (a strict fact gives ``>=``)."""
    g_lhs, g_op, g_rhs = orient(goal)
    if g_op == EQ:
        return fact_op == EQ and (
            same(fact_lhs - fact_rhs, g_lhs - g_rhs) or same(fact_lhs - fact_rhs, g_rhs - g_lhs)
        )
    if fact_op == EQ or (g_op == GT and fact_op != GT):
        return False
    return same(fact_lhs - fact_rhs, g_lhs - g_rhs)


def fact_states(fact: Fact, goal: sp.Basic) -> bool:
    return matches(fact.lhs, fact.op, fact.rhs, goal)


# ----------------------------------------------------------------------------------------------
# Steps: plain data that a proof proposes
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hyp:
    """``rel`` is a hypothesis of the statement."""

    name: str
    rel: sp.Basic
    rule = "hypothesis"


@dataclass(frozen=True)
class Use:
    """An instance of lemma ``lemma``: its relation under ``subs``; ``premises`` discharge its side
    conditions, in order (each must state the instantiated condition)."""

    name: str
    rel: sp.Basic
    lemma: str
    subs: Mapping[str, sp.Expr] = field(default_factory=dict)
    premises: tuple[str, ...] = ()
    rename: Mapping[str, str] = field(default_factory=dict)  # observables, one to one (as in Cite)
    rule = "lemma"


@dataclass(frozen=True)
class Cite:
    """Conclusion ``index`` of theorem ``theorem`` (already accepted by the kernel). ``premises``
    discharge that theorem's relation hypotheses and the conclusion's extra ones, in order.
    ``rename`` maps observable names to other observable names, one to one (the theorem holds for
    every instance: e.g. layer ``l`` of a stack as well as layer ``l + 1``)."""

    name: str
    rel: sp.Basic
    theorem: str
    index: int = 0
    premises: tuple[str, ...] = ()
    rename: Mapping[str, str] = field(default_factory=dict)
    rule = "theorem"


@dataclass(frozen=True)
class Identity:
    """``rel`` is an equation ``lhs == rhs`` that holds identically."""

    name: str
    rel: sp.Basic
    rule = "identity"


@dataclass(frozen=True)
class Rewrite:
    """``rel`` restates fact ``premise``: the same relation, ``lhs - rhs`` identically equal."""

    name: str
    rel: sp.Basic
    premise: str
    rule = "rewrite"


Weight = sp.Expr | int | str | tuple[Any, ...]


@dataclass(frozen=True)
class Combine:
    """``rel`` (``g op 0``) with ``g = sum_k w_k f_k`` identically.

    ``terms`` are ``(weight, fact)``. A weight is a rational ``>= 0``; or a fact name ``"p"`` (the
    weight is ``p``'s normal form, ``p >= 0`` a fact); or a tuple ``(c, "p", "q", ...)`` (the weight
    is ``c * p * q * ...``, ``c >= 0`` rational). For an equation fact the weight may be any
    expression. A strict conclusion needs one strict fact with a strictly positive weight.
    """

    name: str
    rel: sp.Basic
    terms: tuple[tuple[Weight, str], ...]
    rule = "combination"


@dataclass(frozen=True)
class Product:
    """``rel`` (``prod_k f_k^{e_k} op 0``) from facts ``f_k >= 0``; ``factors`` are ``(fact, e_k)``
    (or a fact name for ``e_k = 1``); ``e_k < 0`` needs ``f_k > 0``; strict if every factor is."""

    name: str
    rel: sp.Basic
    factors: tuple[str | tuple[str, int], ...]
    rule = "product"


@dataclass(frozen=True)
class Monotone:
    """``phi(a) op phi(b)`` from fact ``premise`` (``a op b``); ``side`` names the fact ``b > 0``
    (log) or ``b >= 0`` (sqrt); exp needs none."""

    name: str
    rel: sp.Basic
    function: str
    premise: str
    side: str | None = None
    rule = "monotone"


@dataclass(frozen=True)
class Subst:
    """``premise`` with ``a`` replaced by ``b`` (fact ``equation``: ``a == b``, either direction)."""

    name: str
    rel: sp.Basic
    premise: str
    equation: str
    rule = "substitution"


Step = Hyp | Use | Cite | Identity | Rewrite | Combine | Product | Monotone | Subst


@dataclass(frozen=True)
class Proof:
    """A proof: steps in order; the last one must state the goal. ``instance`` names the symbolic
    instance a proof is carried out on (``None``: general)."""

    steps: tuple[Step, ...]
    instance: str | None = None
    note: str = ""


# ----------------------------------------------------------------------------------------------
# The checker
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    index: int  # 1-based step number
    name: str
    rule: str
    reason: str

    def summary(self) -> str:
        return f"step {self.index} ({self.name}, {self.rule}): {self.reason}"


@dataclass(frozen=True)
class Verdict:
    """The outcome of :func:`check`."""

    accepted: bool
    facts: tuple[Fact, ...]
    refusal: Refusal | None
    lemmas: tuple[str, ...]  # lemma ids used, in first-use order
    theorems: tuple[str, ...]  # theorems cited


@dataclass(frozen=True)
class Context:
    """What a proof may start from: the statement's hypotheses (relations and their texts), the
    trusted base, and the theorem conclusions the kernel accepted already."""

    hypotheses: tuple[sp.Basic, ...]
    settings: tuple[str, ...] = ()  # texts of the statement's hypotheses (structural settings)
    lemmas: Mapping[str, Any] | None = None
    theorems: Mapping[tuple[str, int], tuple[sp.Basic, tuple[sp.Basic, ...]]] = field(
        default_factory=dict
    )


def _premise(env: Mapping[str, Fact], name: str) -> Fact:
    if not isinstance(name, str) or name not in env:
        raise KernelError(f"premise {name!r} is not an earlier fact (untraced)")
    return env[name]


def _weight(w: Weight, env: Mapping[str, Fact]) -> tuple[sp.Expr, bool, bool]:
    """``(expression, nonnegative, strictly positive)`` of a certified weight."""
    if isinstance(w, str):
        w = (1, w)
    if isinstance(w, tuple):
        c = sp.sympify(w[0])
        if not (c.is_Rational and c >= 0):
            raise KernelError(f"weight constant {w[0]!r} is not a nonnegative rational")
        expr, strict = c, c > 0
        for name in w[1:]:
            f = _premise(env, name)
            if not f.nonneg:
                raise KernelError(f"weight factor {name!r} is not a nonnegative fact")
            expr = expr * f.expr
            strict = strict and f.op == GT
        return expr, True, bool(strict)
    c = sp.sympify(w)
    if c.is_Rational:
        return c, bool(c >= 0), bool(c > 0)
    return c, False, False  # a free expression: allowed only on an equation


def _renaming(rename: Mapping[str, str], rels: Iterable[sp.Basic]) -> dict[sp.Symbol, sp.Symbol]:
    """A one-to-one renaming of observables that merges none of them."""
    if len(set(rename.values())) != len(rename):
        raise KernelError("a renaming of observables must be one to one")
    names = {x.name for r in rels for x in r.free_symbols}
    if any(b in names and b not in rename for b in rename.values()):
        raise KernelError("a renaming may not merge two observables")
    return {sp.Symbol(a, real=True): sp.Symbol(b, real=True) for a, b in rename.items()}


def _check_step(step: Step, env: dict[str, Fact], ctx: Context, used: list[str]) -> Fact:
    lhs, op, rhs = orient(step.rel)
    if isinstance(step, Hyp):
        if not any(matches(lhs, op, rhs, h) for h in ctx.hypotheses):
            raise KernelError("not a hypothesis of the statement")
        return _fact(step.name, step.rel, "hypothesis")
    if isinstance(step, Use):
        lemma = (ctx.lemmas or {}).get(step.lemma)
        if lemma is None:
            raise KernelError(f"no lemma {step.lemma!r} in the trusted base")
        inst = lemma.instantiate(step.subs)  # raises on unknown or missing variables
        if step.rename:
            if lemma.variables:
                raise KernelError("a schema is instantiated by substitution, not renamed")
            swap = _renaming(step.rename, (inst.relation, *inst.requires))
            inst = type(inst)(
                inst.relation.xreplace(swap), tuple(r.xreplace(swap) for r in inst.requires)
            )
        for setting in lemma.settings:
            if not any(setting in text for text in ctx.settings):
                raise KernelError(f"lemma {lemma.id} needs the setting {setting!r}")
        if len(step.premises) != len(inst.requires):
            raise KernelError(
                f"lemma {lemma.id} has {len(inst.requires)} side condition(s), {len(step.premises)} given"
            )
        for req, name in zip(inst.requires, step.premises, strict=True):
            if not fact_states(_premise(env, name), req):
                raise KernelError(f"fact {name!r} does not state the side condition {req}")
        if not matches(lhs, op, rhs, inst.relation):
            raise KernelError(f"the lemma under this substitution states {inst.relation}")
        used.append(lemma.id)
        return _fact(step.name, step.rel, f"lemma {lemma.id}", step.premises)
    if isinstance(step, Cite):
        found = ctx.theorems.get((step.theorem, step.index))
        if found is None:
            raise KernelError(f"{step.theorem} conclusion {step.index} is not an accepted theorem")
        swap = _renaming(step.rename, (found[0], *found[1]))
        rel, given = (plain(found[0]).xreplace(swap), [plain(g).xreplace(swap) for g in found[1]])
        if len(step.premises) != len(given):
            raise KernelError(f"{step.theorem} needs {len(given)} premise(s)")
        for g, name in zip(given, step.premises, strict=True):
            if not fact_states(_premise(env, name), g):
                raise KernelError(f"fact {name!r} does not state {g}")
        if not matches(lhs, op, rhs, rel):
            raise KernelError(f"{step.theorem} states {rel}")
        return _fact(step.name, step.rel, f"theorem {step.theorem}", step.premises)
    if isinstance(step, Identity):
        if op != EQ or not same(lhs, rhs):
            raise KernelError("not an identity (lhs - rhs does not simplify to 0)")
        return _fact(step.name, step.rel, "rule identity")
    if isinstance(step, Rewrite):
        f = _premise(env, step.premise)
        if not matches(f.lhs, f.op, f.rhs, step.rel):
            raise KernelError(f"does not restate {step.premise!r}")
        if op == GT and f.op != GT:
            raise KernelError("a rewrite cannot make a fact strict")
        return _fact(step.name, step.rel, "rule rewrite", (step.premise,))
    if isinstance(step, Combine):
        total, strict_ok = sp.Integer(0), False
        names = []
        for w, name in step.terms:
            f = _premise(env, name)
            names.append(name)
            expr, nonneg, positive = _weight(w, env)
            if f.op != EQ and not nonneg:
                raise KernelError(f"the weight of {name!r} is not certified nonnegative")
            if op == EQ and f.op != EQ:
                raise KernelError("an equation can only combine equations")
            strict_ok = strict_ok or (f.op == GT and positive)
            total = total + expr * f.expr
        rest = sp.simplify(plain(lhs - rhs - total))
        if not (rest.is_Rational and (rest >= 0 if op != EQ else rest == 0)):
            raise KernelError("the conclusion is not the stated combination of its premises")
        if op == GT and not (strict_ok or rest > 0):
            raise KernelError("a strict conclusion needs a strict fact with a positive weight")
        return _fact(step.name, step.rel, "rule combination", names)
    if isinstance(step, Product):
        total, strict, names = sp.Integer(1), True, []
        for item in step.factors:
            name, e = (item, 1) if isinstance(item, str) else item
            f = _premise(env, name)
            names.append(name)
            if not f.nonneg or not isinstance(e, int) or e == 0:
                raise KernelError(
                    f"{name!r} is not a nonnegative fact with a nonzero integer power"
                )
            if e < 0 and f.op != GT:
                raise KernelError(f"a negative power needs {name!r} strictly positive")
            total = total * f.expr**e
            strict = strict and f.op == GT
        if op == EQ or (op == GT and not strict):
            raise KernelError("a product of nonnegative facts is >= 0 (> 0 if every factor is)")
        if not same(lhs - rhs, total):
            raise KernelError("the conclusion is not the product of the premises")
        return _fact(step.name, step.rel, "rule product", names)
    if isinstance(step, Monotone):
        f = _premise(env, step.premise)
        phi = _FUNCTIONS.get(step.function)
        if phi is None:
            raise KernelError(f"no monotone function {step.function!r} (exp, log, sqrt)")
        if f.op != op:
            raise KernelError("a monotone map keeps the relation")
        if step.function in ("log", "sqrt"):
            if step.side is None:
                raise KernelError(
                    f"{step.function} needs a fact that its smaller argument is in its domain"
                )
            side = _premise(env, step.side)
            need = to_rel(f.rhs, GT if step.function == "log" else GE, sp.Integer(0))
            if not fact_states(side, need):
                raise KernelError(f"fact {step.side!r} does not state {need}")
        # phi is applied to the assumption-free copies: sqrt(x**2) is |x|, whatever x was declared
        if not (same(lhs, phi(plain(f.lhs))) and same(rhs, phi(plain(f.rhs)))):
            raise KernelError(f"not {step.function} applied to both sides of {step.premise!r}")
        names = [step.premise] + ([step.side] if step.side else [])
        return _fact(step.name, step.rel, "rule monotone", names)
    if isinstance(step, Subst):
        f, e = _premise(env, step.premise), _premise(env, step.equation)
        if e.op != EQ:
            raise KernelError(f"{step.equation!r} is not an equation")
        for a, b in ((e.lhs, e.rhs), (e.rhs, e.lhs)):
            new_l, new_r = (
                plain(f.lhs).subs(plain(a), plain(b)),
                plain(f.rhs).subs(plain(a), plain(b)),
            )
            if op == f.op and same(lhs, new_l) and same(rhs, new_r):
                return _fact(
                    step.name, step.rel, "rule substitution", (step.premise, step.equation)
                )
        raise KernelError("not the premise with the equation's sides substituted")
    raise KernelError(f"unknown rule {type(step).__name__}")


def check(proof: Proof, goal: sp.Basic, ctx: Context) -> Verdict:
    """Replay ``proof``; accept it iff every step is accepted and the last fact states ``goal``."""
    env: dict[str, Fact] = {}
    facts: list[Fact] = []
    used: list[str] = []
    cited: list[str] = []
    for k, step in enumerate(proof.steps, start=1):
        rule = getattr(step, "rule", type(step).__name__)
        try:
            if step.name in env:
                raise KernelError(f"the name {step.name!r} is already a fact")
            fact = _check_step(step, env, ctx, used)
        except KernelError as exc:
            return Verdict(False, tuple(facts), Refusal(k, step.name, rule, str(exc)), (), ())
        except Exception as exc:  # SymPy failing on a malformed step is a refusal, not a crash
            reason = f"{type(exc).__name__}: {exc}"
            return Verdict(False, tuple(facts), Refusal(k, step.name, rule, reason), (), ())
        if isinstance(step, Cite):
            cited.append(step.theorem)
        env[step.name] = fact
        facts.append(fact)
    if not facts:
        return Verdict(False, (), Refusal(0, "", "end", "the proof has no steps"), (), ())
    last = facts[-1]
    if not fact_states(last, goal):
        n = len(facts)
        reason = f"the last fact {last.relation} is not the conclusion {goal}"
        return Verdict(False, tuple(facts), Refusal(n, last.name, "end", reason), (), ())
    return Verdict(
        True, tuple(facts), None, tuple(dict.fromkeys(used)), tuple(dict.fromkeys(cited))
    )


def describe(step: Step) -> str:
    """One line: the rule and what it cites (for the docs)."""
    if isinstance(step, Hyp):
        return "hypothesis"
    if isinstance(step, Use):
        return f"lemma `{step.lemma}`" + (
            f" (side conditions: {', '.join(step.premises)})" if step.premises else ""
        )
    if isinstance(step, Cite):
        return f"theorem {step.theorem} (conclusion {step.index + 1})"
    if isinstance(step, Identity):
        return "identity"
    if isinstance(step, Rewrite):
        return f"rewrite of {step.premise}"
    if isinstance(step, Combine):
        return "nonnegative combination of " + ", ".join(n for _, n in step.terms)
    if isinstance(step, Product):
        return "product of " + ", ".join(
            i if isinstance(i, str) else f"{i[0]}^{i[1]}" for i in step.factors
        )
    if isinstance(step, Monotone):
        return f"{step.function} applied to {step.premise}"
    if isinstance(step, Subst):
        return f"substitute {step.equation} in {step.premise}"
    return type(step).__name__


__all__ = [
    "eq",
    "ge",
    "gt",
    "le",
    "lt",
    "EQ",
    "GE",
    "GT",
    "Cite",
    "Combine",
    "Context",
    "Fact",
    "Hyp",
    "Identity",
    "KernelError",
    "Monotone",
    "Product",
    "Proof",
    "Refusal",
    "Rewrite",
    "Step",
    "Subst",
    "Use",
    "Verdict",
    "check",
    "describe",
    "orient",
    "plain",
    "same",
]
