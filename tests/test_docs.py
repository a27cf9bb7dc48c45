"""The generated docs: derivations verified or refused, LaTeX from SymPy, counterexamples printed,
formulas safe for GitHub, and the committed ``docs/`` equal to what the code generates now."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sympy as sp

from proofs_check.docs import DerivationError, UnsafeLatex, verified_derivation
from proofs_check.docs import site as docs_site
from proofs_check.docs.claim_page import (
    ClaimPageInputs,
    claim_page,
    relation_latex,
    reproduce_commands,
    slack_text,
)
from proofs_check.docs.claims import Claim, discover_claims
from proofs_check.docs.collect import EvidenceRecord, needs_more
from proofs_check.docs.markdown import docstring_markdown, formulas, math_damage
from proofs_check.docs.mathtext import (
    github_safe,
    matrix_latex,
    number_latex,
    number_text,
    symbol_latex,
)
from theory import sinks as T1
from theory.core import Condition, Identity, Kind, Positive, Statement

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"


def _statement_with(step) -> Statement:
    return Statement(
        id="X1.a",
        name="made_up",
        title="a made-up statement",
        kind=Kind.THEOREM,
        claim="X1",
        hypotheses=(Condition("none"),),
        conclusions=(Condition("x >= 0", sp.GreaterThan(sp.Symbol("x"), 0)),),
        derivation=(step,),
    )


# -- derivations --------------------------------------------------------------------------------


def test_a_failing_derivation_step_raises():
    x = sp.Symbol("x", real=True)
    bad = _statement_with(Identity("x equals x + 1 (false)", x, x + 1))
    with pytest.raises(DerivationError, match=r"X1\.a.*step 1: x equals x \+ 1"):
        verified_derivation(bad)


def test_a_failing_step_stops_the_generator_before_any_check_runs(monkeypatch, tmp_path):
    y = sp.Symbol("y", real=True)  # y > 0 does not follow from 'real'
    bad = _statement_with(Positive("y is positive (unproven)", y))
    claim = Claim("X1", "made up", "none", "", (bad,))
    monkeypatch.setattr(docs_site, "discover_claims", lambda: [claim])

    def no_checks(*args, **kwargs):
        raise AssertionError("checks ran although a derivation step failed")

    monkeypatch.setattr(docs_site, "collect_evidence", no_checks)
    with pytest.raises(DerivationError, match="y is positive"):
        docs_site.render_site(tmp_path)


def test_a_step_the_check_found_unverified_raises():
    x = sp.Symbol("x", real=True)
    ok = _statement_with(Identity("x equals x", x, x))
    assert verified_derivation(ok, (True,))[0].verified
    with pytest.raises(DerivationError, match="step 1: x equals x"):
        verified_derivation(ok, (False,))  # the check's own verdict is what the page prints


# -- LaTeX ----------------------------------------------------------------------------------------


def test_latex_of_the_margin_lemma_relation():
    rel = T1.SINK_MARGIN_LEMMA.conclusions[0].relation  # log_odds >= margin - log(n - 1)
    assert relation_latex(rel) == (
        r"\mathrm{log}_ {\mathrm{odds}} \geq \mathrm{margin} - \log{\left(n - 1 \right)}"
    )
    assert relation_latex(sp.LessThan(T1.rest, sp.Symbol("eps", positive=True))) == (
        r"\mathrm{rest} \leq \varepsilon"
    )


def test_symbol_names():
    assert symbol_latex("gamma_u") == r"\gamma_{u}"
    assert symbol_latex("rest_max") == r"\mathrm{rest}_{\mathrm{max}}"
    assert symbol_latex("ip_js") == r"\mathrm{ip}_{js}"
    assert symbol_latex("x1_2") == r"x_{1,2}"
    assert symbol_latex("eps") == r"\varepsilon"
    assert symbol_latex("R_zero") == r"R_{\mathrm{zero}}"


def test_github_safe_rewrites_what_markdown_would_eat():
    assert github_safe(r"\{a\}") == r"\lbrace a\rbrace"
    assert github_safe(r"a \\ b") == r"a \cr b"
    assert github_safe(r"\left|x\right|") == r"\left\vert x\right\vert"
    assert github_safe(r"x^{*} < y") == r"x^{\ast} \lt y"
    assert github_safe(r"\mathrm{ip}_{js}") == r"\mathrm{ip}_ {js}"
    with pytest.raises(UnsafeLatex):
        github_safe(r"\# x")
    with pytest.raises(UnsafeLatex):
        github_safe(r"a $ b")


def test_math_damage_detects_what_a_markdown_pass_corrupts():
    emphasis = "text $a}_{b} + c}_{d$ more\n"
    escape = "\n$$\n\\{ x \\}\n$$\n"
    assert math_damage(emphasis) == ["a}_{b} + c}_{d"]
    assert math_damage(escape) == ["\\{ x \\}"]
    safe = (
        "text $"
        + github_safe("a}_{b} + c}_{d")
        + "$ and\n\n$$\n"
        + github_safe(r"\{x\}")
        + "\n$$\n"
    )
    assert math_damage(safe) == []
    assert len(formulas(safe)) == 2


def test_numbers_and_matrices():
    assert number_text(0.123456789) == "0.1235"
    assert number_text(3.0) == "3"
    assert number_latex(1.23456e-5) == r"1.235 \cdot 10^{-5}"
    assert number_latex("1/3") == r"\tfrac{1}{3}"
    assert number_latex("-7/2") == r"-\tfrac{7}{2}"
    assert number_latex(True) == r"\text{true}"
    small = matrix_latex([[1.0, 0.5], [-2.0, 1e-7]])
    assert small == r"\begin{bmatrix} 1 & 0.5 \cr -2 & 1 \cdot 10^{-7} \end{bmatrix}"
    big = matrix_latex([[float(i * 10 + j) for j in range(10)] for i in range(10)])
    assert big.count(r"\cr") == 7 and r"\vdots" in big and r"\cdots" in big and r"\ddots" in big


def test_slack_display_hides_float_noise_only():
    assert slack_text(None) == "–"
    assert slack_text(0.0) == "0"
    assert slack_text(-5.38e-13) == "0"  # rounding level reads as 0 on every machine
    assert slack_text(-0.8904321) == "-0.8904"


def test_docstring_markdown_keeps_code_and_bullets_escapes_the_rest():
    doc = "Per row ``i``: x_i and *star*\n\n* ``log_odds``  ``log(A_is)``;"
    out = docstring_markdown(doc)
    assert "``i``" in out and r"x\_i" in out and r"\*star\*" in out
    assert out.splitlines()[-1] == "- ``log_odds``  ``log(A_is)``;"


def test_reproduce_commands_group_by_sample_count():
    def record(sid, samples, adversary=True):
        return EvidenceRecord(sid, 0, samples, (samples,), {}, (), adversary)

    records = [
        record("T1.a", 300),
        record("T1.b", 1200),
        record("T1.d", 300),
        record("T1.e", 300, False),
    ]
    assert reproduce_commands(records) == [
        ".venv/bin/proofs-check verify T1.a T1.d --seed 0 --samples 300 --no-db",
        ".venv/bin/proofs-check verify T1.b --seed 0 --samples 1200 --no-db",
        ".venv/bin/proofs-check verify T1.e --seed 0 --samples 300 --no-db --no-adversary",
    ]


def test_escalation_rule():
    assert needs_more("THEOREM", "VACUOUS") and needs_more("CONTROL", "HOLDS")
    assert not needs_more("THEOREM", "REFUTED") and not needs_more("CONTROL", "REFUTED")
    assert not needs_more("THEOREM", "HOLDS")


# -- a control's counterexample on its page -------------------------------------------------------


def _t1_claim() -> Claim:
    return next(c for c in discover_claims() if c.id == "T1")


def test_a_controls_certified_counterexample_is_printed():
    claim = _t1_claim()
    cx = {
        "statement_id": "T1-F4",
        "instance": {"X": [[0.5, -1.25], [2.0, 0.125]], "W": [[1.0, 0.0], [0.0, 3.0]], "s": 1},
        "case": 0,
        "family": "collapsed/psd",
        "shape": [2, 2],
        "certificate": {
            "method": "arb ball arithmetic",
            "certified": True,
            "precision_bits": 53,
            "violated": str(T1.CONTROL_SINK_TEN_PERCENT_LONGER.conclusions[0].relation),
            "gap": "[-0.0802546178597 +/- 3.62e-15]",
            "hypotheses": {
                str(T1.CONTROL_SINK_TEN_PERCENT_LONGER.hypotheses[1].relation): "[0.1 +/- 1e-16]"
            },
            "note": "",
        },
    }
    evidence = {
        "verdict": "REFUTED",
        "expected_verdict": "REFUTED",
        "as_expected": True,
        "instances_tried": 304,
        "instances_meeting_hypotheses": 37,
        "min_meeting_hypotheses": 30,
        "worst_slack": -0.04754,
        "families": ["collapsed/psd"],
        "counterexample": cx,
        "detail": "",
        "error": None,
        "extra": {"family_counts": {"collapsed/psd": 37}},
        "adversary": {"rounds": [{"shape": [2, 2], "restarts": 8, "steps": 50}]},
        "machine_dependent": {"float_noise": 0, "adversary_worst_slack": -0.3},
    }
    record = EvidenceRecord("T1-F4", 0, 300, (300,), evidence, (), True)
    derivations = {s.id: verified_derivation(s) for s in claim.statements}
    page = claim_page(ClaimPageInputs(claim, derivations, {"T1-F4": record}, [], 0))
    section = page[page.index("## T1-F4") :]
    assert "**Verdict: REFUTED**" in section
    assert "Certified counterexample" in section and "collapsed/psd" in section
    assert r"X = \begin{bmatrix} 0.5 & -1.25 \cr 2 & 0.125 \end{bmatrix}" in section
    assert r"W = \begin{bmatrix} 1 & 0 \cr 0 & 3 \end{bmatrix}" in section
    assert "certified by arb ball arithmetic at 53 bits" in section
    assert "[T1-F4.json](counterexamples/T1-F4.json)" in section
    assert r"\sqrt{\mathrm{ns}_ {2}} \geq" in section  # the violated conclusion, in LaTeX
    assert "n = 2, d = 2: 8 restarts × 50 steps" in section  # what the adversary covered
    assert "-0.3" not in section  # its worst slack depends on the machine: not on the page
    assert ".venv/bin/proofs-check verify T1-F4 --seed 0 --samples 300 --no-db" in section
    assert "not checked yet" in page  # the other statements have no record here
    assert math_damage(page) == []


# -- the committed docs ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def generated() -> dict[str, str]:
    """Every page as the current code generates it (the docs' seed and sample counts)."""
    return docs_site.render_site(DOCS)


def test_committed_docs_are_current(generated):
    assert DOCS.is_dir(), "docs/ is missing: run `.venv/bin/proofs-check docs`"
    result = docs_site.compare_pages(DOCS, generated)
    message = "stale docs (regenerate with `.venv/bin/proofs-check docs`): " + ", ".join(
        result.stale
    )
    for diff in list(result.diffs.values())[:2]:
        message += "\n" + diff
    assert result.stale == [], message


def test_committed_figures_are_current():
    assert docs_site.stale_figures(DOCS) == []


def test_generated_pages_cover_every_claim_and_control(generated):
    claims = discover_claims()
    assert {c.page for c in claims} <= set(generated)
    index = generated["index.md"]
    assert "arXiv:2605.08453" in index and "We did not have the paper's text" in index
    for claim in claims:
        assert f"]({claim.page})" in index
        page = generated[claim.page]
        for statement in claim.statements:
            assert f"## {statement.id}\n" in page
        for statement in claim.statements:
            if statement.kind is Kind.CONTROL:
                section = page[page.index(f"## {statement.id}\n") :]
                section = section[: section.find("\n## ", 1) if "\n## " in section[1:] else None]
                assert "Certified counterexample" in section, statement.id
                assert f"counterexamples/{statement.id}.json" in generated
    for name, content in generated.items():
        if name.endswith(".md"):
            assert math_damage(content) == [], name


def test_stale_pages_are_named(generated, tmp_path):
    copy = tmp_path / "docs"
    for name, content in generated.items():
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        (copy / name).write_text(content, encoding="utf-8")
    assert docs_site.compare_pages(copy, generated).stale == []
    (copy / "T1.md").write_text(generated["T1.md"].replace("HOLDS", "HELD", 1), encoding="utf-8")
    (copy / "index.md").unlink()
    (copy / "T9.md").write_text("# an old page\n", encoding="utf-8")
    result = docs_site.compare_pages(copy, generated)
    assert result.stale == ["T1.md", "index.md (missing)", "T9.md (not generated any more)"]
    assert "HELD" in result.diffs["T1.md"]
    shutil.rmtree(copy)


def test_figures_go_to_the_claims_they_are_named_for_or_cite():
    figures = ["figures/t3_margins.png", "figures/t30.png", "figures/depth_mu.png"]
    captions = {"depth_mu.png": "mu versus depth (T6.c), sink stacks (T6.a)"}
    assert docs_site.figures_of_claim(figures, "T3", captions) == ["figures/t3_margins.png"]
    assert docs_site.figures_of_claim(figures, "T6", captions) == ["figures/depth_mu.png"]
    assert docs_site.figures_of_claim(figures, "T1", captions) == []


def test_empirical_page_reads_the_committed_json(monkeypatch, tmp_path):
    import json

    from rich.table import Table

    import proofs_check.empirical as empirical
    from proofs_check.docs.empirical_page import empirical_figures, empirical_page, load_empirical

    def fake_table(summary):
        table = Table()
        for column in ("check", "quantity", "value"):
            table.add_column(column)
        table.add_row("T3", "rows where T3.b holds", f"{summary['t3']['fraction']:.1%}")
        return table

    def forms(heads):
        cell = {"rows": 0.5, "heads": heads, "layers": 1.0}
        per_target = {f: dict(cell) for f in ("T3.b", "T3.c", "T3.e", "T3.f", "T3.g")}
        return {
            "forms": ["T3.b", "T3.c", "T3.e", "T3.f", "T3.g"],
            "sink": per_target,
            "sink_zero_value": per_target,
            "diagonal": per_target,
            "T3.g_pairs": {"heads": 0.25, "layers": 0.5},
        }

    monkeypatch.setattr(empirical, "render_table", fake_table)
    assert load_empirical(tmp_path) is None
    for key, heads in (("minilm", 0.75), ("smollm2", 0.25)):
        folder = tmp_path / "empirical" / key
        folder.mkdir(parents=True)
        summary = {
            "model": {"name": f"tiny-{key}", "layers": 2},
            "text": {"seed": 3, "n_sequences": 7, "topics": ["a", "b"]},
            "t3": {"fraction": 0.25, "statement": "row i holds iff <z_i, delta_i> >= 0"},
            "t3_forms": forms(heads),
        }
        (folder / "empirical.json").write_text(json.dumps(summary))
        (folder / "t3_margins.png").write_bytes(b"png")
    models = load_empirical(tmp_path)
    assert list(models) == ["minilm", "smollm2"]
    page = empirical_page(models, empirical_figures(tmp_path))
    assert "| T3 | rows where T3.b holds | 25.0% |" in page
    assert "| `name` | tiny-minilm |" in page and "| `topics` | a, b |" in page
    assert r"| `t3.statement` | row i holds iff \<z\_i, delta\_i\> \>= 0 |" in page
    assert (
        "proofs-check empirical --out docs/empirical --model smollm2 --sequences 7 --seed 3" in page
    )
    assert "![smollm2 t3\\_margins](empirical/smollm2/t3_margins.png)" in page
    assert "| T3.f | scale-free" in page and "| 50.0% | 75.0% | 100.0% | 50.0% | 25.0% |" in page
    # no reading holds on half of the smollm2 heads: the finding says so
    assert "no reading holds on at least half" in page and "4-bit quantised" in page


def test_pages_state_the_kernel_proof_status_and_its_lemmas():
    claims = {c.id: c for c in discover_claims()}
    t2 = claims["T2"]
    page = claim_page(
        ClaimPageInputs(t2, {s.id: verified_derivation(s) for s in t2.statements}, {}, [], 0)
    )
    section = page[page.index("## T2.b") : page.index("## T2.c")]
    assert "**Proof: PROVED**" in section
    assert "`hull_point_at_least_distance`" in section and "Cauchy–Schwarz" in section
    assert "Kernel proof of C1" in section
    assert "**Algebra steps**" in section and "not a proof" in section
    assert "verified by SymPy" not in page
    t1 = claims["T1"]
    derivations = {s.id: verified_derivation(s) for s in t1.statements}
    exact = {"extra": {"exact_proofs": {"proved": 12, "instances": 12}}}
    partial = {"extra": {"exact_proofs": {"proved": 11, "instances": 12}}}
    for evidence, status, text in (
        (exact, "PROVED_ON_INSTANCE", "proved on 12 exact instances"),
        (partial, "TESTED", "exact certificates on 11 of 12 instances"),
    ):
        ev = {"verdict": "HOLDS", "expected_verdict": "HOLDS", "as_expected": True, **evidence}
        from proofs_check.docs.claim_page import proof_markdown

        block = proof_markdown(T1.SINK_GEOMETRY, ev)
        assert f"**Proof: {status}**" in block and text in block
    page = claim_page(ClaimPageInputs(t1, derivations, {}, [], 0))
    assert "tested, not proved" in page  # no exact certificates ran for T1.b here
