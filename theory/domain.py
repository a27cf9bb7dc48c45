r"""The domain of a statement: the typed fields of its hypothesis set and the sizes it allows.

A statement's instances are dicts of arrays. Its domain declares, per field, the set the field
ranges over, and the token count ``n`` and width ``d`` it is stated for; both are validated when
the domain is built (as diffrax validates a Butcher tableau), so a mistake fails at definition,
not halfway through a search.

=============  =====================================================  ================================
kind           the set                                                 parametrised (search) as
=============  =====================================================  ================================
``free``       any real array                                          ``c theta``
``symmetric``  square symmetric matrices                               ``c (theta + theta^T)/2``
``psd``        positive semidefinite matrices                          ``c^2 L L^T``
``stochastic`` entries >= 0, rows summing to 1 (a pattern of zeros     ``softmax`` over the nonzeros
               such as a causal mask is kept)
``unit_rows``  every row of norm 1                                     ``theta / ||theta||``
``interval``   every entry in ``(lo, hi)`` (``[lo, hi]`` if closed)     ``lo + (hi - lo) sigmoid``
``frozen``     an index, a mask, a family label: not moved             --
=============  =====================================================  ================================

The search (:mod:`proofs_check.search.space`) moves exactly these sets and rationalises into them
exactly; the shrinker and the adversary keep ``n`` and ``d`` within the declared sizes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

FROZEN, FREE, SYMMETRIC, PSD, STOCHASTIC, UNIT_ROWS, INTERVAL = (
    "frozen",
    "free",
    "symmetric",
    "psd",
    "stochastic",
    "unit_rows",
    "interval",
)
KINDS = (FROZEN, FREE, SYMMETRIC, PSD, STOCHASTIC, UNIT_ROWS, INTERVAL)


class DomainError(ValueError):
    """A domain that does not describe a set (one line, naming the field)."""


@dataclass(frozen=True)
class FieldSpec:
    """One field of an instance and the set it ranges over (``kind``; ``lo``/``hi`` for intervals)."""

    name: str
    kind: str
    lo: float = -math.inf
    hi: float = math.inf
    closed: bool = False  # an interval that includes its finite bounds

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise DomainError(f"field name must be an identifier, not {self.name!r}")
        if self.kind not in KINDS:
            raise DomainError(
                f"field {self.name!r}: unknown kind {self.kind!r}; known: {', '.join(KINDS)}"
            )
        if self.kind == INTERVAL:
            if not (self.lo < self.hi) or math.isnan(self.lo) or math.isnan(self.hi):
                raise DomainError(f"field {self.name!r}: an interval needs lo < hi")
            if math.isinf(self.lo):
                raise DomainError(f"field {self.name!r}: an interval needs a finite lower bound")

    def describe(self) -> str:
        if self.kind == INTERVAL:
            left = "[" if self.closed else "("
            right = "]" if self.closed and math.isfinite(self.hi) else ")"
            return f"{self.name}: {self.kind} {left}{self.lo:g}, {self.hi:g}{right}"
        return f"{self.name}: {self.kind}"


def free(name: str) -> FieldSpec:
    return FieldSpec(name, FREE)


def psd(name: str) -> FieldSpec:
    return FieldSpec(name, PSD)


def symmetric(name: str) -> FieldSpec:
    return FieldSpec(name, SYMMETRIC)


def row_stochastic(name: str) -> FieldSpec:
    return FieldSpec(name, STOCHASTIC)


def unit_rows(name: str) -> FieldSpec:
    return FieldSpec(name, UNIT_ROWS)


def interval(name: str, lo: float, hi: float, closed: bool = False) -> FieldSpec:
    return FieldSpec(name, INTERVAL, float(lo), float(hi), closed)


def index(name: str) -> FieldSpec:
    """An integer field (a token index such as the sink ``s``): never moved by the search."""
    return FieldSpec(name, FROZEN)


@dataclass(frozen=True)
class Sizes:
    """The token counts ``n`` and widths ``d`` a statement is stated for (inclusive bounds)."""

    n_min: int = 1
    n_max: int | None = None
    d_min: int = 1
    d_max: int | None = None

    def __post_init__(self) -> None:
        for label, lo, hi in (("n", self.n_min, self.n_max), ("d", self.d_min, self.d_max)):
            if not isinstance(lo, int) or isinstance(lo, bool) or lo < 1:
                raise DomainError(f"{label}_min must be an integer >= 1, not {lo!r}")
            if hi is not None and (not isinstance(hi, int) or isinstance(hi, bool) or hi < lo):
                raise DomainError(f"{label}_max must be an integer >= {label}_min, not {hi!r}")

    def admits(self, n: int, d: int) -> bool:
        return (
            self.n_min <= n
            and (self.n_max is None or n <= self.n_max)
            and self.d_min <= d
            and (self.d_max is None or d <= self.d_max)
        )

    def describe(self) -> str:
        def one(label: str, lo: int, hi: int | None) -> str:
            if hi is None:
                return f"{label} >= {lo}" if lo > 1 else ""
            return f"{lo} <= {label} <= {hi}"

        parts = [
            p for p in (one("n", self.n_min, self.n_max), one("d", self.d_min, self.d_max)) if p
        ]
        return ", ".join(parts) or "any n, d"


@dataclass(frozen=True)
class Domain:
    """A statement's hypothesis set as data: typed fields (optional) and the sizes it allows.

    With ``fields`` declared, the search moves exactly those sets; without, it reads the sets off
    the sampler's invariants (the older behaviour, kept for samplers that declare nothing).
    """

    fields: tuple[FieldSpec, ...] = ()
    sizes: Sizes = Sizes()

    def __post_init__(self) -> None:
        if not isinstance(self.fields, tuple) or not all(
            isinstance(f, FieldSpec) for f in self.fields
        ):
            raise DomainError("fields must be a tuple of FieldSpec (free(...), psd(...), ...)")
        names = [f.name for f in self.fields]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise DomainError(f"field {dup[0]!r} is declared twice")
        if not isinstance(self.sizes, Sizes):
            raise DomainError("sizes must be a Sizes(n_min=..., ...)")

    def admitted_shapes(
        self, shapes: tuple[tuple[int, int], ...], who: str
    ) -> tuple[tuple[int, int], ...]:
        """The shapes the sizes admit; :class:`DomainError` if none is left."""
        kept = tuple(s for s in shapes if self.sizes.admits(*s))
        if not kept:
            raise DomainError(
                f"{who}: no shape in {list(shapes)} satisfies {self.sizes.describe()}"
            )
        return kept


ANY = Domain()
