"""Markdown building blocks for GitHub: escaped text, tables, math blocks, anchors, and a lint.

The lint (:func:`math_damage`) renders a page with a plain CommonMark parser that knows nothing
about math (markdown-it-py) and checks that every formula comes out character for character: the
worst case of GitHub's pipeline, where Markdown runs over the math before MathJax does. A formula
that survives it cannot be corrupted by emphasis, escapes or table pipes on GitHub either.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

_SPECIAL = re.compile(r"([\\`*_\[\]<>|$~#])")
_CODE_SPAN = re.compile(r"(``.+?``|`[^`]+?`)")
_ROLE = re.compile(r":(?:func|class|mod|data|attr|meth|obj):`~?([^`]+)`")


def text(s: str) -> str:
    r"""Plain text made inert: every Markdown (and math) metacharacter backslash-escaped."""
    return _SPECIAL.sub(r"\\\1", s)


def code(s: str) -> str:
    """An inline code span that survives backticks in ``s``."""
    fence = "``" if "`" in s else "`"
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def cell(s: str) -> str:
    """Text for a table cell (escaped; newlines folded)."""
    return text(" ".join(s.split()))


def math(tex: str) -> str:
    """Inline math."""
    return f"${tex}$"


_BLOCK_START = re.compile(r"^\s*(?:[-+*>#=|]|\d+[.)])")


def math_block(tex: str) -> str:
    """Display math: ``$$`` on lines of their own, blank lines around (GitHub's block form).

    One line of TeX; a line that Markdown would read as a list item, quote or heading (``- x``)
    is led by an empty group ``{}``.
    """
    tex = " ".join(tex.split())
    if _BLOCK_START.match(tex):
        tex = "{}" + tex
    return f"\n$$\n{tex}\n$$\n"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A pipe table; cells must already be Markdown (use :func:`cell` for text)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def tidy(page: str) -> str:
    """At most one blank line in a row, one newline at the end."""
    return re.sub(r"\n{3,}", "\n\n", page).strip() + "\n"


def anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    slug = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return slug.replace(" ", "-")


def docstring_markdown(doc: str) -> str:
    """A module docstring (reST-ish: ``code``, ``* bullets``) as Markdown.

    Code spans are kept; everything else is escaped except bullet markers at the start of a line.
    """
    doc = _ROLE.sub(r"``\1``", doc)
    lines = []
    for line in doc.splitlines():
        m = re.match(r"^(\s*)([*-] )(.*)$", line)
        prefix, body = (m.group(1) + "- ", m.group(3)) if m else ("", line)
        parts = _CODE_SPAN.split(body)
        out = [p if k % 2 else text(p) for k, p in enumerate(parts)]
        lines.append(prefix + "".join(out))
    return "\n".join(lines).strip() + "\n"


# ----------------------------------------------------------------------------------------------
# Lint: formulas must survive a math-unaware Markdown pass verbatim.
# ----------------------------------------------------------------------------------------------

_BLOCK = re.compile(r"^\$\$\n(.*?)\n\$\$$", re.S | re.M)
_INLINE = re.compile(r"(?<![\\$])\$(?!\$)([^$\n]+?)(?<!\\)\$(?!\$)")


def formulas(page: str) -> list[str]:
    """Every formula of a page: ``$$`` blocks, then inline ``$...$`` (code spans excluded)."""
    blocks = _BLOCK.findall(page)
    rest = _BLOCK.sub("", page)
    rest = re.sub(r"```.*?```", "", rest, flags=re.S)
    rest = _CODE_SPAN.sub("", rest)
    return blocks + _INLINE.findall(rest)


def math_damage(page: str) -> list[str]:
    """Formulas that a math-unaware CommonMark + tables pass would not reproduce verbatim."""
    from markdown_it import MarkdownIt

    rendered = html.unescape(
        re.sub(r"<[^>]+>", "", MarkdownIt("commonmark").enable("table").render(page))
    )
    flat = " ".join(rendered.split())
    damaged = []
    for f in formulas(page):
        if " ".join(f.split()) not in flat:
            damaged.append(f)
    return damaged
