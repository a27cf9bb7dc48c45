"""Derivation docs generated from the statements: ``docs/index.md`` and one page per claim.

Entry points (the CLI's ``proofs-check docs [--out DIR] [--check]`` calls them)::

    generate_docs(out_dir=Path("docs"), seed=0, samples=300, figures=True,
                  samples_for=None, jobs=None, progress=None) -> list[Path]
    stale_pages(out_dir=Path("docs"), seed=0, samples=300, samples_for=None, jobs=None,
                figures=True) -> list[str]          # relative paths, e.g. "T1.md", "figures/x.png"
    check_docs(...) -> DocsCheck                     # the same, with a diff per stale page

Every formula is ``sp.latex`` of the statement's own SymPy objects; every derivation step's algebra
is checked by SymPy before it is printed (:class:`DerivationError` otherwise); a page states each
theorem's proof status as the kernel (:mod:`theory.proofs`) found it; every number comes
from the same ``run_check`` call that ``proofs-check verify`` makes.
"""

from __future__ import annotations

from proofs_check.docs.collect import DerivationError, verified_derivation
from proofs_check.docs.mathtext import UnsafeLatex
from proofs_check.docs.site import (
    DEFAULT_OUT,
    DOCS_SAMPLES,
    DOCS_SEED,
    DocsCheck,
    check_docs,
    generate_docs,
    render_site,
    stale_figures,
    stale_pages,
)

__all__ = [
    "DEFAULT_OUT",
    "DOCS_SAMPLES",
    "DOCS_SEED",
    "DerivationError",
    "DocsCheck",
    "UnsafeLatex",
    "check_docs",
    "generate_docs",
    "render_site",
    "stale_figures",
    "stale_pages",
    "verified_derivation",
]
