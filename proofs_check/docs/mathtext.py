r"""LaTeX for the docs: SymPy's printer with readable symbol names, made safe for GitHub Markdown.

Every formula on a page is ``sp.latex`` of an object from ``theory/`` (a relation, a derivation
step's expressions) or of an instance's numbers; nothing is typed by hand. Two adjustments:

* **symbol names**: observables are named like code (``log_odds``, ``rest_max``); the printer
  writes multi-letter words upright, ``\mathrm{log}_{\mathrm{odds}}``, and ``eps`` as
  ``\varepsilon``; the pages carry a table from each rendered symbol back to its code name;
* **GitHub safety**: GitHub runs Markdown over the math before MathJax sees it, so a backslash
  before punctuation is eaten (``\{`` becomes ``{``, ``\\`` becomes ``\``), ``|`` splits table
  cells, ``*``/``_`` can turn into emphasis and ``<`` into HTML. :func:`github_safe` rewrites each
  of those to a letter-only macro (``\lbrace``, ``\cr``, ``\vert``, ``\ast``, ``\lt``) and refuses
  anything it does not know how to make safe.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from fractions import Fraction
from typing import Any

import sympy as sp
from sympy.printing.conventions import split_super_sub

GREEK = frozenset(
    (
        *("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"),
        *("lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon", "phi"),
        *("chi", "psi", "omega"),
    )
)
NAMED = {"eps": r"\varepsilon"}  # names whose conventional glyph is not their spelling

SIGNIFICANT = 4  # digits shown for every measured number (last-bit float changes cannot show)
MAX_MATRIX = 8  # rows / columns printed before an ellipsis


class UnsafeLatex(ValueError):
    """A formula contains a construct that GitHub's Markdown pass would corrupt."""


# ----------------------------------------------------------------------------------------------
# Symbol names
# ----------------------------------------------------------------------------------------------


def _word(part: str, italic_up_to: int) -> str:
    """One name part: a Greek letter as its macro, a short index in italics, a word upright."""
    if part.lower() in GREEK:
        return "\\" + part
    if len(part) <= italic_up_to or part.isdigit():
        return part
    return rf"\mathrm{{{part}}}"


def symbol_latex(name: str) -> str:
    r"""``log_odds`` -> ``\mathrm{log}_{\mathrm{odds}}``, ``gamma_u`` -> ``\gamma_{u}``, ``x1_2`` -> ``x_{1,2}``."""
    if name in NAMED:
        return NAMED[name]
    base, supers, subs = split_super_sub(name)
    out = NAMED.get(base) or _word(base, italic_up_to=1)
    if subs:
        out += "_{" + ",".join(_word(s, italic_up_to=2) for s in subs) + "}"
    if supers:
        out += "^{" + ",".join(_word(s, italic_up_to=2) for s in supers) + "}"
    return out


def symbol_names(exprs: Iterable[Any]) -> dict[sp.Symbol, str]:
    """The printer's ``symbol_names`` for every free symbol of ``exprs``."""
    names: dict[sp.Symbol, str] = {}
    for e in exprs:
        for s in sp.sympify(e).free_symbols:
            if isinstance(s, sp.Symbol):
                names[s] = symbol_latex(s.name)
    return names


def latex(expr: Any) -> str:
    """``sp.latex`` with readable symbol names, made GitHub-safe."""
    expr = sp.sympify(expr)
    return github_safe(sp.latex(expr, symbol_names=symbol_names([expr])))


# ----------------------------------------------------------------------------------------------
# GitHub safety
# ----------------------------------------------------------------------------------------------

_ESCAPED_PUNCTUATION = {
    "{": r"\lbrace",
    "}": r"\rbrace",
    "|": r"\Vert",
    ",": r"\thinspace",
    ":": r"\medspace",
    ";": r"\thickspace",
    "!": r"\negthinspace",
    "\\": r"\cr",
    " ": r"\space",
}
_PLAIN = {"|": r"\vert", "*": r"\ast", "<": r"\lt", ">": r"\gt", "~": r"\space"}


def github_safe(tex: str) -> str:
    r"""Rewrite the constructs GitHub's Markdown pass would corrupt; raise on any other risk.

    ``\X`` with ``X`` punctuation -> a letter macro; ``|``, ``*``, ``<``, ``>``, ``~`` -> macros;
    ``_`` after punctuation (a possible emphasis opener, e.g. ``}_{``) -> ``_ {``; ``$`` is refused.
    """
    out: list[str] = []
    i = 0

    def emit_macro(macro: str, next_index: int) -> None:
        following = tex[next_index] if next_index < len(tex) else ""
        out.append(macro + (" " if following.isalpha() else ""))

    while i < len(tex):
        ch = tex[i]
        if ch == "\\":
            nxt = tex[i + 1] if i + 1 < len(tex) else ""
            if nxt.isalpha():
                j = i + 1
                while j < len(tex) and tex[j].isalpha():
                    j += 1
                out.append(tex[i:j])
                i = j
                continue
            if nxt not in _ESCAPED_PUNCTUATION:
                raise UnsafeLatex(f"no GitHub-safe form for '\\{nxt}' in {tex!r}")
            emit_macro(_ESCAPED_PUNCTUATION[nxt], i + 2)
            i += 2
            continue
        if ch == "$":
            raise UnsafeLatex(f"a '$' inside math: {tex!r}")
        if ch in _PLAIN:
            emit_macro(_PLAIN[ch], i + 1)
        elif ch == "_" and i > 0 and not tex[i - 1].isalnum() and not tex[i - 1].isspace():
            out.append("_ ")
        else:
            out.append(ch)
        i += 1
    return "".join(out).strip()


# ----------------------------------------------------------------------------------------------
# Numbers and matrices
# ----------------------------------------------------------------------------------------------


def number_text(x: float | int | None, digits: int = SIGNIFICANT) -> str:
    """A measured number as plain text, to ``digits`` significant digits (integers exactly)."""
    if x is None:
        return "–"
    if isinstance(x, bool):
        return str(x).lower()
    if isinstance(x, int):
        return str(x)
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    if x == int(x) and abs(x) < 1e6:
        return str(int(x))
    return f"{x:.{digits}g}"


def number_latex(x: Any, digits: int = SIGNIFICANT) -> str:
    r"""A number as LaTeX: ``1.235 \cdot 10^{-5}``; exact rationals ``p/q`` as fractions."""
    if isinstance(x, bool) or x is None:
        return rf"\text{{{number_text(x)}}}"
    if isinstance(x, str):
        if re.fullmatch(r"-?\d+/\d+", x.strip()):
            x = Fraction(x.strip())
        else:
            try:
                x = float(x)
            except ValueError:
                return rf"\text{{{_text_safe(x)}}}"
    if isinstance(x, Fraction):
        if x.denominator == 1:
            return str(x.numerator)
        if len(str(x.numerator)) + len(str(x.denominator)) <= 8:
            sign = "-" if x < 0 else ""
            return rf"{sign}\tfrac{{{abs(x.numerator)}}}{{{x.denominator}}}"
        x = float(x)
    text = number_text(x, digits)
    scientific = re.fullmatch(r"(-?[\d.]+)e([-+]\d+)", text)
    if scientific:
        return rf"{scientific.group(1)} \cdot 10^{{{int(scientific.group(2))}}}"
    return text.replace("∞", r"\infty").replace("−", "-")


def _text_safe(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9 .,:/+\-=()]", "?", s)


def matrix_latex(rows: Sequence[Sequence[Any]], digits: int = SIGNIFICANT) -> str:
    r"""A matrix as ``\begin{bmatrix} ... \end{bmatrix}`` (rows end in ``\cr``), truncated to
    :data:`MAX_MATRIX` rows and columns with ``\vdots`` / ``\cdots``."""
    n_rows, n_cols = len(rows), max((len(r) for r in rows), default=0)
    keep_r = n_rows if n_rows <= MAX_MATRIX else MAX_MATRIX - 1
    keep_c = n_cols if n_cols <= MAX_MATRIX else MAX_MATRIX - 1
    lines = []
    for r in rows[:keep_r]:
        cells = [number_latex(v, digits) for v in r[:keep_c]]
        if keep_c < n_cols:
            cells.append(r"\cdots")
        lines.append(" & ".join(cells))
    if keep_r < n_rows:
        cells = [r"\vdots"] * keep_c + ([r"\ddots"] if keep_c < n_cols else [])
        lines.append(" & ".join(cells))
    return r"\begin{bmatrix} " + r" \cr ".join(lines) + r" \end{bmatrix}"


def value_latex(value: Any, digits: int = SIGNIFICANT) -> str:
    """A scalar, a vector (as a row) or a matrix, from nested lists."""
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(r, (list, tuple)) for r in value):
            return matrix_latex(value, digits)
        return matrix_latex([list(value)], digits)
    return number_latex(value, digits)
