r"""``index.md``: what is checked and proved, where it comes from, how to read a page, how to reproduce it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from proofs_check.docs import markdown as md
from proofs_check.docs.claim_page import (
    NOISE_LEVEL,
    VERIFY,
    Figure,
    figures_markdown,
    reproduce_commands,
    slack_text,
    statement_anchor,
)
from proofs_check.docs.claims import Claim
from proofs_check.docs.collect import ESCALATION, SAMPLE_CAP, EvidenceRecord
from proofs_check.docs.mathtext import github_safe

DOCS_COMMAND = ".venv/bin/proofs-check docs"
DOCS_MODULE_COMMAND = ".venv/bin/python -m proofs_check.docs"

# THEORY.md §0, as LaTeX (each passed through github_safe like every other formula).
NOTATION: tuple[tuple[str, str], ...] = (
    (r"tokens (rows $x_1, \dots, x_n$)", r"X \in \mathbb{R}^{n \times d}"),
    (
        r"bilinear score matrix (the merged $W_Q W_K^\top / \sqrt{d_h}$)",
        r"W \in \mathbb{R}^{d \times d}",
    ),
    (r"scores", r"S = X W X^\top, \quad s_{ij} = x_i^\top W x_j"),
    (
        r"attention (with a causal mask $A_{ij} = 0$ for $j > i$)",
        r"A = \operatorname{softmax}_{\text{rows}}(S)",
    ),
    (
        r"values (output projection merged into $W_V$), head output, residual block",
        r"V = X W_V, \quad Y = A V, \quad X' = X + Y",
    ),
    (
        r"centering and the oversmoothing measure",
        r"\tilde X = (I - J) X, \quad J = \tfrac{1}{n} \mathbf{1}\mathbf{1}^\top, \quad "
        r"\mu(X) = \Vert \tilde X \Vert_F",
    ),
    (r"Dirichlet energy", r"E(X) = \sum_{i<j} \Vert x_i - x_j \Vert^2 = n \mu(X)^2"),
    (
        r"$s$ is an $\varepsilon$-sink of $A$ (causal: every row $i \geq s$)",
        r"A_{is} \geq 1 - \varepsilon \quad \text{for every row } i",
    ),
    (
        r"$A$ has an $\varepsilon$-diagonal pattern",
        r"A_{ii} \geq 1 - \varepsilon \quad \text{for every } i",
    ),
    (r"a head is a hard attention switch (off)", r"Y = 0"),
    (
        r"log-odds thresholds, for $\varepsilon \in (0, 1)$",
        r"L_1(\varepsilon) = \log\frac{1-\varepsilon}{\varepsilon}, \quad "
        r"L_n(\varepsilon) = \log\frac{(n-1)(1-\varepsilon)}{\varepsilon}",
    ),
    (
        r"half-space margin (positive iff all tokens lie in an open half-space)",
        r"\gamma_u(X) = \max_{\Vert u \Vert = 1} \min_i u^\top x_i",
    ),
    (
        r"vertex margin (positive iff $x_s$ is an exposed vertex of the token set)",
        r"\gamma_v(X, s) = \max_{\Vert v \Vert = 1} \min_{j \neq s} v^\top (x_s - x_j)",
    ),
)


def _inline_math_text(s: str) -> str:
    """A sentence with ``$...$`` pieces: text escaped, math made GitHub-safe."""
    parts = s.split("$")
    return "".join(md.math(github_safe(p)) if k % 2 else md.text(p) for k, p in enumerate(parts))


def notation_section() -> str:
    out = ["## Notation\n", "THEORY.md §0, used on every page (indices in the code are 0-based).\n"]
    for label, tex in NOTATION:
        out.append(f"{_inline_math_text(label)}:\n")
        out.append(md.math_block(github_safe(tex)))
    return "\n".join(out)


PROVENANCE = """\
## Provenance

The source is the paper *Sink vs. diagonal patterns as mechanisms for attention switch and
oversmoothing prevention* by P. Súkeník, C. López Amado, C. H. Lampert and M. Mondelli
(arXiv:2605.08453, May 2026). **We did not have the paper's text.** The statements checked here
are this project's own formalisation of the five claims of its abstract (THEORY.md): their ids
(T1–T6), their constants and their proofs are ours, not the paper's theorem numbers or constants.
A verdict on these pages is a verdict on our statement, not on the paper.
"""


GAMMA_U = md.math(github_safe(r"\gamma_u"))
GAMMA_V = md.math(github_safe(r"\gamma_v"))
HULL_IDENTITY = md.math(github_safe(r"\sum_i \lambda_i x_i = 0"))


def how_to_read(samples: int) -> str:
    return f"""\
## How to read a claim page

Each claim page lists its statements. A statement is a **THEOREM** (it must hold on every instance
of its hypotheses), a **CONTROL** (a deliberately false variant of a theorem: the same engine must
refute it, which shows that the theorem's check could have failed) or an **EXPLORE** item (an open
question: findings are reported, nothing passes or fails).

For every statement the page prints its hypotheses and conclusions (the sentence, and the SymPy
relation that the numeric check compiles — the bound is written once, in {md.code("theory/")}),
its proof status, its algebra steps, and its numeric evidence.

- **Proof.** **PROVED**: the kernel ({md.code("theory/kernel.py")}) checked a chain of inferences
  from the hypotheses to the conclusion, each premise a hypothesis, an earlier fact or a lemma of
  the trusted base ({md.code("theory/lemmas.py")}, each lemma listed with its citation, tested on
  random and near-equality instances). **PROVED_ON_INSTANCE**: the same, but on the symbolic
  instance named (say {md.code("n = 3, d = 2")}), or resting on such a result; for T1.b, T1.c,
  T1.f: each sampled instance proved by exact rational certificates. **TESTED**: sampled only
  ("tested, not proved").
- **Algebra steps.** Numbered steps, each an identity, a sign read off the symbols' declared
  assumptions, a solved equation or a combination whose identity SymPy checks. Their premises are
  not traced: they sketch the argument; the proof status says what is proved. A page is only
  written when every step's algebra checks: a step that fails stops the generator with an error.
- **Verdicts.** **HOLDS**: enough instances met the hypotheses and none violated a conclusion.
  **REFUTED**: a certified counterexample. **VACUOUS**: fewer instances than the stated minimum
  met the hypotheses (a check that saw too little never reports HOLDS). **ERROR**: the check could
  not run or a symbolic step failed. **REPORTED**: an explore item. "as expected" ✓ means
  theorems HOLD, controls are REFUTED, explore items are REPORTED.
- **Slack.** Per case, the scale-free slack of a relation {md.code("lhs >= rhs")} is
  {md.code("(lhs - rhs) / (|lhs| + |rhs|)")}, oriented so that a value ≥ 0 means the relation
  holds; "worst slack" is its minimum over every case that met the hypotheses. A theorem whose
  bound is attained shows 0. Values with magnitude below {NOISE_LEVEL:g} are rounding level and are
  printed as 0 too; every other measured number is printed to 4 significant digits. Both rules
  make a page independent of the machine that generated it: float64 observables and solver
  results differ between machines in their last bits, and no printed digit or choice (which
  instance, which case) may depend on those bits. What does depend on them (how many
  rounding-level violations a run saw, solver accuracies) is only in the JSON report, under
  `machine_dependent`.
- **Certified.** A counterexample counts only when it is proven. The instance is read as exact
  rationals (the binary64 numbers themselves) and the relation is evaluated in ball arithmetic
  (python-flint {md.code("arb")}), raising the working precision (53, 106, 212, ... bits) until
  the ball of {md.code("lhs - rhs")} excludes zero; every hypothesis must be proven to hold in the
  same way. Quantities defined by an optimisation (distances to convex hulls, the margins
  {GAMMA_U}, {GAMMA_V}) are re-solved exactly
  on the optimal face, with a proof of optimality, before they enter a certificate. Some
  refutations are exact rational identities instead (for example
  {HULL_IDENTITY} for T1-F1).
- **Adversarial search.** After each check, {md.code("verify")} runs a short gradient search
  over the statement's hypothesis set ({md.code("proofs_check/search")}); the page prints the
  tightest slack it reached, where the search ran. The docs run it without the local
  counterexample database, so the pages do not depend on what one machine found earlier.
- **Float noise.** A float64 violation that ball arithmetic does not confirm is float noise: it
  is counted on the page and never reported as a counterexample.
- **Counterexamples** are printed as matrices rounded for display; the exact instance is in the
  linked JSON file under {md.code("counterexamples/")}.
- **Sample counts.** The pages use {samples} instances per statement; a statement that is VACUOUS,
  or a control not yet refuted, is rerun with {ESCALATION}× as many, up to {SAMPLE_CAP} (the default
  of {md.code("verify")}). The count used is part of each reproduce command, so the command prints
  the page's numbers. {md.code("proofs-check verify")} with its defaults runs more instances and
  prints different (larger) counts.
"""


def reproduce_section(example: str | None, has_empirical: bool) -> str:
    out = f"""\
## Reproduce every number

All pages (and the figures and counterexample files) are regenerated by one command; it is
deterministic (fixed seed, no timestamps), and a test fails when the committed pages differ from
what the code generates ({md.code(DOCS_COMMAND + " --check")} lists the stale files):

```bash
{DOCS_COMMAND}              # equivalently: {DOCS_MODULE_COMMAND}
```
"""
    if example is not None:
        out += f"""
Each claim page lists the {md.code("verify")} commands that print its numbers
({md.code("--no-db")}: without the local counterexample database, as the docs run), e.g.

```bash
{example}
```
"""
    out += f"""
The full verification (every statement, default sample count; exits non-zero unless every theorem
HOLDS and every control is REFUTED):

```bash
{VERIFY}
```
"""
    if has_empirical:
        out += (
            "\nThe real-model study is run separately (it needs the pretrained model); see the "
            "[empirical page](empirical.md) for its command.\n"
        )
    return out


def results_table(claims: Sequence[Claim], records: Mapping[str, EvidenceRecord]) -> str:
    rows = []
    for c in claims:
        for s in c.statements:
            r = records.get(s.id)
            ev = r.evidence if r else None
            rows.append(
                [
                    f"[{s.id}]({c.page}#{statement_anchor(s.id)})",
                    s.kind.value,
                    md.cell(s.title),
                    ev["verdict"] if ev else "not checked yet",
                    ("✓" if ev["as_expected"] else "✗") if ev else "–",
                    slack_text(ev["worst_slack"]) if ev else "–",
                ]
            )
    return md.table(["id", "kind", "statement", "verdict", "as expected", "worst slack"], rows)


def claims_table(claims: Sequence[Claim], records: Mapping[str, EvidenceRecord]) -> str:
    rows = []
    for c in claims:
        evs = [records[s.id].evidence for s in c.statements if s.id in records]
        rows.append(
            [
                f"[{c.id}]({c.page})",
                md.cell(c.title),
                str(len(c.statements)),
                f"{sum(e['as_expected'] for e in evs)} of {len(evs)}" if evs else "not checked yet",
            ]
        )
    return md.table(["claim", "title", "statements", "as expected"], rows)


def index_page(
    claims: Sequence[Claim],
    records: Mapping[str, EvidenceRecord],
    samples: int,
    figures: Sequence[Figure],
    has_empirical: bool,
) -> str:
    all_ok = all(r.evidence["as_expected"] for r in records.values())
    n_ok = sum(r.evidence["as_expected"] for r in records.values())
    unchecked = [s.id for c in claims for s in c.statements if s.id not in records]
    pending = (
        f" {len(unchecked)} statement(s) have no numeric check yet: {', '.join(unchecked)}."
        if unchecked
        else ""
    )
    out = [
        "# sink-diagonal-verifier: the checked statements\n",
        f"*Generated by {md.code('proofs-check docs')} from the code; do not edit by hand.*\n",
        "This project checks a line of transformer theory — attention sinks, diagonal attention "
        "patterns, the attention switch and oversmoothing — three ways: symbolically (a small "
        "proof kernel checks each theorem's inferences, in general or on a stated instance), "
        "numerically (the same SymPy relations compiled to JAX "
        "float64 and evaluated on sampled instance families), and rigorously (controls, the false "
        "variants, are refuted by counterexamples certified in exact or ball arithmetic).\n",
        f"**{n_ok} of {len(records)} checked statements as expected**"
        + (" (every theorem HOLDS, every control is REFUTED)." if all_ok else ".")
        + md.text(pending)
        + "\n",
        "## Claims\n",
        claims_table(claims, records),
    ]
    if has_empirical:
        out.append(
            "The conditions are also measured on a real pretrained transformer: "
            "[empirical study](empirical.md).\n"
        )
    out += [
        PROVENANCE,
        how_to_read(samples),
        notation_section(),
        "## Every statement\n",
        results_table(claims, records),
        reproduce_section(
            reproduce_commands(list(records.values())[:1])[0] if records else None,
            has_empirical,
        ),
    ]
    if figures:
        out.append("## Figures\n")
        out.append(
            f"Drawn by {md.code('proofs_check/figures.py')} from fixed seeds when the docs are "
            "regenerated.\n"
        )
        out.append(figures_markdown(figures))
    return md.tidy("\n".join(out))
