"""Generate the docs directory, or tell which of its pages are stale.

Layout of ``out_dir`` (``docs/`` by default):

* ``index.md``, ``T1.md`` ... (one per claim present in ``theory/``), ``empirical.md`` (when
  ``empirical/empirical.json`` is there) — written by :func:`generate_docs`;
* ``counterexamples/<id>.json`` — each certified counterexample, exact, for the pages to link;
* ``report.json`` — the ``verify --json`` report of every run the pages show (without the
  ``machine_dependent`` entries);
* ``figures/`` — written by :func:`proofs_check.figures.make_figures` where that module exists;
* ``empirical/`` — the real-model study's JSON and figures (an input: committed, never written here).

Generation is deterministic: fixed seed and sample counts, no timestamps or timings, measured
numbers printed to 4 significant digits. :func:`stale_pages` regenerates every page in memory and
compares it with the files on disk.
"""

from __future__ import annotations

import difflib
import json
import re
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from proofs_check.atomic import write_text_atomic
from proofs_check.docs.claim_page import (
    ClaimPageInputs,
    Figure,
    claim_page,
    counterexample_json_path,
)
from proofs_check.docs.claims import Claim, discover_claims
from proofs_check.docs.collect import EvidenceRecord, collect_evidence, verified_derivation
from proofs_check.docs.empirical_page import empirical_figures, empirical_page, load_empirical
from proofs_check.docs.index_page import index_page
from proofs_check.docs.markdown import math_damage
from proofs_check.docs.mathtext import UnsafeLatex
from proofs_check.report import SCHEMA_VERSION as REPORT_SCHEMA_VERSION
from proofs_check.stable import first_difference, without_machine_dependent

DEFAULT_OUT = Path("docs")
DOCS_SEED = 0
DOCS_SAMPLES = 300  # instances per statement (escalated for VACUOUS statements, see collect.py)
SAMPLES_FOR: dict[str, int] = {}  # per-statement base counts, for checks too slow at DOCS_SAMPLES
DOCS_ADVERSARY = True  # run verify's adversarial phase (proofs_check.search) after each check
FIGURES_DIR = "figures"
COUNTEREXAMPLES_DIR = "counterexamples"
REPORT_FILE = "report.json"
IMAGE_SUFFIXES = (".png", ".svg")

Progress = Callable[[EvidenceRecord], None]


# ----------------------------------------------------------------------------------------------
# Figures
# ----------------------------------------------------------------------------------------------


def make_figures_function() -> Callable[[Path, int], list[Path]] | None:
    """``proofs_check.figures.make_figures`` where that module exists (it lands separately)."""
    try:
        from proofs_check.figures import make_figures  # type: ignore[import-not-found]
    except ModuleNotFoundError as exc:
        if exc.name in ("proofs_check.figures",):
            return None
        raise
    return make_figures


def existing_figures(out_dir: Path) -> list[str]:
    folder = out_dir / FIGURES_DIR
    if not folder.is_dir():
        return []
    return sorted(f"{FIGURES_DIR}/{p.name}" for p in folder.iterdir() if p.suffix in IMAGE_SUFFIXES)


_FIGURE_BULLET = re.compile(r"^\* ``([\w.\-]+)``:?(.*?)(?=^\* |^\S|\Z)", re.M | re.S)


def figure_captions() -> dict[str, str]:
    """Each figure's description from the figures module's docstring (``* ``name.png``: ...``)."""
    try:
        import proofs_check.figures as figures_module  # type: ignore[import-not-found]
    except ModuleNotFoundError as exc:
        if exc.name == "proofs_check.figures":
            return {}
        raise
    doc = figures_module.__doc__ or ""
    return {m.group(1): " ".join(m.group(2).split()) for m in _FIGURE_BULLET.finditer(doc)}


def figures_of_claim(figures: list[str], claim_id: str, captions: Mapping[str, str]) -> list[str]:
    """Figures for a claim's page: named for it (``t3_margins.png``, not ``t30...``) or whose
    caption cites one of its statements (``(T6.a)``)."""
    named = re.compile(rf"^{re.escape(claim_id.lower())}(?![0-9])", re.I)
    cited = re.compile(rf"\b{re.escape(claim_id)}(?![0-9])")
    return [
        f
        for f in figures
        if named.match(Path(f).name) or cited.search(captions.get(Path(f).name, ""))
    ]


# ----------------------------------------------------------------------------------------------
# Rendering (pure: nothing is written)
# ----------------------------------------------------------------------------------------------


def counterexample_file(record: EvidenceRecord, counterexample: Mapping[str, Any]) -> str:
    payload = {
        "statement": record.statement_id,
        "seed": record.seed,
        "samples": record.samples,
        **{k: counterexample[k] for k in ("family", "shape", "case", "instance", "certificate")},
    }
    return json.dumps(payload, indent=1, sort_keys=True, default=str) + "\n"


def render_site(
    out_dir: Path = DEFAULT_OUT,
    seed: int = DOCS_SEED,
    samples: int = DOCS_SAMPLES,
    samples_for: Mapping[str, int] | None = None,
    jobs: int | None = None,
    progress: Progress | None = None,
) -> dict[str, str]:
    """Every generated file, relative path -> content. Raises if a derivation step fails
    (:class:`DerivationError`) or a formula would not survive GitHub's Markdown (:class:`UnsafeLatex`).
    """
    from proofs_check.checks import registry

    out_dir = Path(out_dir)
    claims = discover_claims()
    checks = registry()
    unchecked = [s for c in claims for s in c.statements if s.id not in checks]
    derivations = {s.id: verified_derivation(s) for s in unchecked}  # fail fast
    overrides = SAMPLES_FOR if samples_for is None else samples_for
    ids = [s.id for c in claims for s in c.statements if s.id in checks]
    counts = {sid: overrides.get(sid, samples) for sid in ids}
    records = collect_evidence(
        ids, seed, counts, jobs=jobs, on_done=progress, adversary=DOCS_ADVERSARY
    )
    for c in claims:
        for s in c.statements:
            if s.id not in derivations:
                record = records.get(s.id)
                verdicts = record.steps_verified if record is not None else None
                derivations[s.id] = verified_derivation(s, verdicts)

    figures = existing_figures(out_dir)
    captions = figure_captions()
    gallery = [Figure(f, captions.get(Path(f).name, "")) for f in figures]
    summary = load_empirical(out_dir)

    pages: dict[str, str] = {
        "index.md": index_page(claims, records, samples, gallery, summary is not None)
    }
    for claim in claims:
        mine = set(figures_of_claim(figures, claim.id, captions))
        pages[claim.page] = claim_page(
            ClaimPageInputs(
                claim, derivations, records, [g for g in gallery if g.path in mine], seed
            )
        )
    if summary is not None:
        pages["empirical.md"] = empirical_page(summary, empirical_figures(out_dir))
    pages.update(_counterexample_files(claims, records))
    pages[REPORT_FILE] = report_file(claims, records, seed)
    for name, content in pages.items():
        if name.endswith(".md"):
            damaged = math_damage(content)
            if damaged:
                raise UnsafeLatex(f"{name}: formulas GitHub would corrupt: {damaged[:3]}")
    return dict(sorted(pages.items()))


def _counterexample_files(
    claims: list[Claim], records: Mapping[str, EvidenceRecord]
) -> dict[str, str]:
    out = {}
    for c in claims:
        for s in c.statements:
            record = records.get(s.id)
            if record is None:
                continue
            cx = record.evidence.get("counterexample")
            if cx:
                out[counterexample_json_path(s.id)] = counterexample_file(record, cx)
    return out


def report_file(claims: list[Claim], records: Mapping[str, EvidenceRecord], seed: int) -> str:
    """``report.json``: the ``verify --json`` report of the runs the pages show, in page order.

    Each statement's entry is what ``proofs-check verify ID --seed S --samples N --no-db --json``
    writes for it (the page's reproduce command), with ``samples`` per statement (the docs escalate
    some counts). The ``machine_dependent`` entries are left out: the file is compared byte for byte
    with what any machine regenerates.
    """
    ordered = [records[s.id] for c in claims for s in c.statements if s.id in records]
    payload = {
        "schema_version": REPORT_SCHEMA_VERSION,
        "seed": seed,
        "samples": {r.statement_id: r.samples for r in ordered},
        "all_as_expected": all(r.evidence["as_expected"] for r in ordered),
        "statements": [without_machine_dependent(r.evidence) for r in ordered],
    }
    return json.dumps(payload, indent=1, sort_keys=True, default=str) + "\n"


def generated_files_on_disk(out_dir: Path) -> list[str]:
    """Files the generator owns: top-level pages, the JSON report and counterexample files."""
    out_dir = Path(out_dir)
    found = [p.name for p in out_dir.glob("*.md")]
    found += [REPORT_FILE] if (out_dir / REPORT_FILE).is_file() else []
    found += [
        f"{COUNTEREXAMPLES_DIR}/{p.name}" for p in (out_dir / COUNTEREXAMPLES_DIR).glob("*.json")
    ]
    return sorted(found)


# ----------------------------------------------------------------------------------------------
# Writing and checking
# ----------------------------------------------------------------------------------------------


def regenerate_figures(out_dir: Path, seed: int) -> list[Path]:
    """Run ``make_figures`` into ``out_dir/figures`` (dropping images it no longer makes)."""
    make_figures = make_figures_function()
    if make_figures is None:
        return []
    folder = Path(out_dir) / FIGURES_DIR
    folder.mkdir(parents=True, exist_ok=True)
    made = [Path(p) for p in make_figures(folder, seed)]
    keep = {p.resolve() for p in made}
    for p in folder.iterdir():
        if p.suffix in IMAGE_SUFFIXES and p.resolve() not in keep:
            p.unlink()
    return sorted(made)


def stale_figures(out_dir: Path, seed: int = DOCS_SEED) -> list[str]:
    """Figures in ``out_dir/figures`` that differ from a fresh ``make_figures`` (byte for byte:
    the figures module writes PNGs without timestamps or version metadata)."""
    make_figures = make_figures_function()
    if make_figures is None:
        return []
    with tempfile.TemporaryDirectory() as tmp:
        made = {Path(p).name: Path(p).read_bytes() for p in make_figures(Path(tmp), seed)}
    folder = Path(out_dir) / FIGURES_DIR
    stale = []
    for name, data in sorted(made.items()):
        path = folder / name
        if not path.is_file():
            stale.append(f"{FIGURES_DIR}/{name} (missing)")
        elif path.read_bytes() != data:
            stale.append(f"{FIGURES_DIR}/{name}")
    for rel in existing_figures(Path(out_dir)):
        if Path(rel).name not in made:
            stale.append(f"{rel} (not generated any more)")
    return stale


def generate_docs(
    out_dir: Path = DEFAULT_OUT,
    seed: int = DOCS_SEED,
    samples: int = DOCS_SAMPLES,
    figures: bool = True,
    samples_for: Mapping[str, int] | None = None,
    jobs: int | None = None,
    progress: Progress | None = None,
) -> list[Path]:
    """Regenerate the docs into ``out_dir``; return every file written (pages, counterexamples,
    figures). Pages the generator no longer produces are removed."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = regenerate_figures(out_dir, seed) if figures else []
    pages = render_site(out_dir, seed, samples, samples_for, jobs, progress)
    for name in generated_files_on_disk(out_dir):
        if name not in pages:
            (out_dir / name).unlink()
    for name, content in pages.items():
        path = out_dir / name
        if not path.is_file() or path.read_text(encoding="utf-8") != content:
            write_text_atomic(path, content)
        written.append(path)
    return sorted(written)


@dataclass
class DocsCheck:
    """What differs between ``out_dir`` and a fresh generation."""

    stale: list[str] = field(default_factory=list)  # relative paths, "(missing)"/"(orphan)" noted
    diffs: dict[str, str] = field(default_factory=dict)  # path -> unified diff (first lines)
    # path -> (line number, line on disk, line generated) of the first difference
    first_difference: dict[str, tuple[int, str, str]] = field(default_factory=dict)


def compare_pages(out_dir: Path, pages: Mapping[str, str], diff_lines: int = 40) -> DocsCheck:
    """Compare generated ``pages`` with the files in ``out_dir`` (pure: nothing is written)."""
    out_dir = Path(out_dir)
    result = DocsCheck()
    for name, content in pages.items():
        path = out_dir / name
        if not path.is_file():
            result.stale.append(f"{name} (missing)")
            continue
        current = path.read_text(encoding="utf-8")
        if current != content:
            result.stale.append(name)
            first = first_difference(current.splitlines(), content.splitlines())
            if first is not None:
                result.first_difference[name] = first
            diff = difflib.unified_diff(
                current.splitlines(),
                content.splitlines(),
                f"{name} (on disk)",
                f"{name} (generated)",
                lineterm="",
            )
            result.diffs[name] = "\n".join(list(diff)[:diff_lines])
    for name in generated_files_on_disk(out_dir):
        if name not in pages:
            result.stale.append(f"{name} (not generated any more)")
    return result


def check_docs(
    out_dir: Path = DEFAULT_OUT,
    seed: int = DOCS_SEED,
    samples: int = DOCS_SAMPLES,
    samples_for: Mapping[str, int] | None = None,
    jobs: int | None = None,
    progress: Progress | None = None,
    figures: bool = True,
) -> DocsCheck:
    """Regenerate every page in memory and compare with ``out_dir``; with ``figures``, redraw the
    figures in a temporary directory and compare them too."""
    result = compare_pages(
        out_dir, render_site(out_dir, seed, samples, samples_for, jobs, progress)
    )
    if figures:
        result.stale += stale_figures(out_dir, seed)
    return result


def stale_pages(
    out_dir: Path = DEFAULT_OUT,
    seed: int = DOCS_SEED,
    samples: int = DOCS_SAMPLES,
    samples_for: Mapping[str, int] | None = None,
    jobs: int | None = None,
    figures: bool = True,
) -> list[str]:
    """Relative paths of the files in ``out_dir`` that differ from what the code generates now
    (pages, counterexample files and, with ``figures``, the figures)."""
    return check_docs(out_dir, seed, samples, samples_for, jobs, figures=figures).stale
