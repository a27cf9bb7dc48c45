r"""One page per claim: notation, statements in LaTeX, kernel proof status, algebra steps, evidence.

Everything printed is read from the objects themselves: relations are ``sp.latex`` of the
statement's SymPy relations, derivation steps are the step objects (their algebra checked by SymPy before the
page is written), numbers come from the evidence of ``verify``'s own run at the page's seed and
sample counts, counterexamples are the certified instances.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import sympy as sp

from proofs_check.certify import Certificate
from proofs_check.docs import markdown as md
from proofs_check.docs.claims import Claim
from proofs_check.docs.collect import EvidenceRecord
from proofs_check.docs.mathtext import github_safe, latex, number_text, symbol_latex, value_latex
from proofs_check.stable import ROUNDING_LEVEL, stable_slack
from theory.core import (
    Combination,
    Condition,
    Identity,
    Kind,
    Positive,
    Root,
    Statement,
    Step,
    StepResult,
)

NOISE_LEVEL = ROUNDING_LEVEL  # |slack| below this is rounding level: printed as 0 (see index)
VERIFY = ".venv/bin/proofs-check verify"
MAX_FAMILY_ROWS = 60  # family labels listed one per row; more are summarised per label part
LONG_FORMULA = 1500  # characters of LaTeX above which a derivation step's formula is collapsed
FAMILY_CODE_SUFFIXES = ("family", "kind")  # instance keys holding family codes (named already)
MAX_SLICES = 4  # slices of a 3-way array (e.g. one matrix per layer) printed before "..."


# ----------------------------------------------------------------------------------------------
# Small formatters
# ----------------------------------------------------------------------------------------------


def slack_text(value: float | None) -> str:
    """Worst slack for a table: 4 significant digits, rounding-level values as ``0``
    (the one rule of :mod:`proofs_check.stable`: an attained bound and a float64 wobble around it
    read the same on every machine)."""
    if value is None:
        return "–"
    return number_text(stable_slack(value))


def verdict_mark(evidence: Mapping[str, Any]) -> str:
    return "✓" if evidence["as_expected"] else "✗ (expected " + evidence["expected_verdict"] + ")"


def statement_anchor(statement_id: str) -> str:
    return md.anchor(statement_id)


def adversary_text(evidence: Mapping[str, Any]) -> str | None:
    """The adversarial search's result (``Evidence.adversary``), where the run had one."""
    adversary = evidence.get("adversary")
    if not isinstance(adversary, Mapping):
        return None
    if adversary.get("error"):
        return "error: " + str(adversary["error"])
    parts = []
    screened = adversary.get("screened")
    if isinstance(screened, Mapping) and screened.get("shapes"):
        counts = list(screened["starts"])  # per screened shape
        if len(set(counts)) == 1:
            shapes = ", ".join(f"{n}×{d}" for n, d in screened["shapes"])
            parts.append(f"{counts[0]} starts screened at each n × d of {shapes}")
        else:
            each = ", ".join(
                f"{n}×{d} ({k})" for (n, d), k in zip(screened["shapes"], counts, strict=True)
            )
            parts.append(f"starts screened at n × d (how many): {each}")
    for rnd in adversary.get("rounds") or ():
        shape = rnd.get("shape")
        parts.append(
            f"gradient round at n = {shape[0]}, d = {shape[1]}: {rnd.get('restarts')} restarts × "
            f"{rnd.get('steps')} steps"
        )
    return (
        "; ".join(parts)
        + " (the worst slack it reached depends on the machine: gradient trajectories amplify "
        "rounding; `verify --json`: `machine_dependent`)"
    )


def verify_command(ids: Sequence[str], seed: int, samples: int, adversary: bool) -> str:
    """The ``verify`` call that prints these statements' numbers as the pages show them."""
    flags = "--no-db" if adversary else "--no-db --no-adversary"
    return f"{VERIFY} {' '.join(ids)} --seed {seed} --samples {samples} {flags}"


def reproduce_commands(records: Sequence[EvidenceRecord]) -> list[str]:
    """One ``verify`` command per distinct (seed, sample count, adversary), ids in page order."""
    groups: dict[tuple[int, int, bool], list[str]] = {}
    for r in records:
        groups.setdefault((r.seed, r.samples, r.adversary), []).append(r.statement_id)
    return [verify_command(ids, *key) for key, ids in groups.items()]


# ----------------------------------------------------------------------------------------------
# Statements and derivations
# ----------------------------------------------------------------------------------------------


def relation_latex(rel: sp.Rel) -> str:
    """A statement's relation as GitHub-safe LaTeX (SymPy's printer, readable symbol names)."""
    return latex(rel)


def _relation_symbols(statement: Statement) -> list[sp.Symbol]:
    syms: set[sp.Symbol] = set()
    for c in statement.hypotheses + statement.conclusions:
        for rel in ((c.relation,) if c.relation is not None else ()) + tuple(c.given):
            syms |= {s for s in rel.free_symbols if isinstance(s, sp.Symbol)}
    return sorted(syms, key=lambda s: s.name)


def conditions_markdown(label: str, conditions: Sequence[Condition]) -> str:
    """``H1``, ``H2`` ... (or ``C1`` ...): the sentence, then the relation (and extra hypotheses)."""
    out = []
    for k, c in enumerate(conditions, 1):
        out.append(f"**{label}{k}.** {md.text(c.text)}\n")
        if c.relation is not None:
            out.append(md.math_block(relation_latex(c.relation)))
        for g in c.given:
            out.append("Only where also\n")
            out.append(md.math_block(relation_latex(g)))
    return "\n".join(out)


_STEP_KIND = {
    Identity: "identity: SymPy simplifies the difference of the two sides to 0",
    Positive: "sign: SymPy reads it off the symbols' declared assumptions (not a proof of the sign)",
    Root: "solved: SymPy solves the equation and finds exactly the solutions shown",
    Combination: (
        "combination: SymPy checks the identity and the weights' signs; its premises are not "
        "traced to hypotheses here (the kernel proof above does that)"
    ),
}


def step_latex(step: Step) -> str:
    """A derivation step as LaTeX, from its SymPy parts."""
    if isinstance(step, Identity):
        return f"{latex(step.lhs)} = {latex(step.rhs)}"
    if isinstance(step, Positive):
        op = r"\gt" if step.strict else r"\geq"
        return f"{latex(step.expr)} {op} 0"
    if isinstance(step, Root):
        sols = ", ".join(latex(e) for e in step.expected)
        return rf"{latex(step.equation)} \iff {latex(step.variable)} \in \lbrace {sols} \rbrace"
    if isinstance(step, Combination):
        terms = " + ".join(
            rf"\left({latex(w)}\right)\left({latex(p)}\right)" for w, p in step.premises
        )
        return f"{latex(step.conclusion)} = {terms}"
    return github_safe(step.latex())


def derivation_markdown(statement: Statement, results: Sequence[StepResult]) -> str:
    if not statement.derivation:
        return ""
    out = [
        f"**Algebra steps** — {len(results)} step{'s' * (len(results) != 1)}; SymPy checked the "
        "algebra of each when this page was generated. A step's premises are not traced, so this "
        "list is a sketch, not a proof: what is proved is the kernel proof's status above.\n"
    ]
    for step, result in zip(statement.derivation, results, strict=True):
        kind = _STEP_KIND.get(type(step), type(step).__name__)
        out.append(f"**Step {result.index}** ✓ *{md.text(kind)}.* {md.text(result.text)}\n")
        out.append(formula_markdown(step_latex(step)))
    return "\n".join(out)


_STATUS_TEXT = {
    "PROVED": "every conclusion is reached from the hypotheses by inferences the proof kernel "
    "checks (theory/kernel.py), in general",
    "PROVED_ON_INSTANCE": "every conclusion is kernel-checked, but only on the instance named "
    "(or resting on a result proved on an instance)",
    "TESTED": "tested, not proved: checked by sampling only",
}


def proof_markdown(statement: Statement, evidence: Mapping[str, Any] | None) -> str:
    """The kernel's status, what a proof was carried out on, and the lemmas it uses."""
    from proofs_check.proof_status import proof_json
    from theory.lemmas import LEMMAS

    extra = (evidence or {}).get("extra") or {}
    found = proof_json(statement, extra)
    if found is None:
        return ""
    status = found["status"]
    out = [f"**Proof: {status}** — {_STATUS_TEXT[status]}.\n"]
    if found.get("instance"):
        out.append(f"Instance: {md.text(found['instance'])}.\n")
    if found.get("theorems"):
        out.append(f"Uses the theorems {md.text(', '.join(found['theorems']))}.\n")
    if found.get("refused"):
        out.append(f"The kernel refused {md.text(found['refused'])}.\n")
    out.extend(_proof_steps_markdown(statement))
    if found.get("lemmas"):
        out.append(
            "Lemmas of the trusted base ([theory/lemmas.py](../theory/lemmas.py)) it uses:\n"
        )
        for lem_id in found["lemmas"]:
            lem = LEMMAS[lem_id]
            how = "proved on a symbolic instance and " if lem.symbolic is not None else ""
            out.append(
                f"- {md.code(lem_id)}: {md.text(lem.citation)} ({how}tested on random and "
                "near-equality instances)"
            )
        out.append("")
    return "\n".join(out)


def _proof_steps_markdown(statement: Statement) -> list[str]:
    """Each kernel proof's steps (rule, premises, relation), collapsed."""
    from theory.kernel import describe
    from theory.proofs import proof_statuses

    found = proof_statuses([statement.id]).get(statement.id)
    if found is None or statement.proof is not None:
        return []
    out = []
    for c in found.conclusions:
        if c.proof is None:
            continue
        where = f" on {c.proof.proof.instance}" if c.proof.proof.instance else ""
        goal = f" (goal: {c.proof.goal_text})" if c.proof.goal_text else ""
        verdict = "accepted" if c.accepted else "refused"
        lines = [
            f"<details><summary>Kernel proof of C{c.index + 1}{md.text(where)}{md.text(goal)}: "
            f"{len(c.proof.proof.steps)} steps, {verdict}</summary>\n"
        ]
        for k, step in enumerate(c.proof.proof.steps, 1):
            lines.append(f"{k}. {md.code(step.name)} — {md.text(describe(step))}\n")
            lines.append(formula_markdown(relation_latex(step.rel)))
        lines.append("</details>\n")
        out.append("\n".join(lines))
    return out


def formula_markdown(tex: str) -> str:
    """A display formula; one longer than :data:`LONG_FORMULA` characters is collapsed."""
    if len(tex) <= LONG_FORMULA:
        return md.math_block(tex)
    return (
        f"<details><summary>The expression ({len(tex)} characters of LaTeX)</summary>\n"
        + md.math_block(tex)
        + "\n</details>\n"
    )


# ----------------------------------------------------------------------------------------------
# Evidence
# ----------------------------------------------------------------------------------------------


def families_markdown(evidence: Mapping[str, Any]) -> str:
    """The families that met the hypotheses: a per-part summary, and the full list collapsed."""
    counts = (evidence.get("extra") or {}).get("family_counts") or {}
    families = evidence.get("families") or []
    if not families:
        return ""
    out = [f"Instance families covered: {len(families)}.\n"]
    parts = {f.count("/") for f in families}
    if len(parts) == 1 and parts != {0}:
        for k in range(parts.pop() + 1):
            tally: dict[str, int] = {}
            for f in families:
                key = f.split("/")[k]
                tally[key] = tally.get(key, 0) + int(counts.get(f, 1))
            listed = " · ".join(f"{md.code(key)} {n}" for key, n in sorted(tally.items()))
            out.append(f"- part {k + 1} of the label: {listed}")
        out.append("")
    if len(families) > MAX_FAMILY_ROWS:
        out.append(
            f"The {len(families)} combinations, with counts, are in the JSON report "
            f"({md.code('verify ... --json FILE')}, field {md.code('extra.family_counts')}).\n"
        )
        return "\n".join(out)
    rows = [[md.code(f), number_text(counts[f]) if f in counts else "–"] for f in families]
    out.append(
        "<details><summary>Every family label</summary>\n\n"
        + md.table(["family", "instances meeting the hypotheses"], rows)
        + "\n</details>\n"
    )
    return "\n".join(out)


def evidence_table(record: EvidenceRecord) -> str:
    ev = record.evidence
    rows = [
        ["instances tried", number_text(ev["instances_tried"])],
        [
            "instances meeting the hypotheses",
            f"{number_text(ev['instances_meeting_hypotheses'])} "
            f"(VACUOUS below {number_text(ev['min_meeting_hypotheses'])})",
        ],
        ["worst slack", slack_text(ev["worst_slack"])],
    ]
    adversarial = adversary_text(ev)
    if adversarial is not None:
        rows.append(["adversarial search", md.cell(adversarial)])
    rows += [
        [
            "float64 violations not confirmed in ball arithmetic (float noise)",
            "machine-dependent (`verify --json`: `machine_dependent`)",
        ],
        ["seed / samples", f"{record.seed} / {record.samples}"],
    ]
    if len(record.attempts) > 1:
        tried = ", ".join(str(a) for a in record.attempts[:-1])
        rows.append(["sample counts tried before", md.cell(tried)])
    if ev.get("detail"):
        rows.append(["check's note", md.cell(ev["detail"])])
    if ev.get("error"):
        rows.append(["error", md.cell(ev["error"])])
    return md.table(["", ""], rows)


def _relations_by_text(statement: Statement) -> dict[str, sp.Rel]:
    out = {}
    for c in statement.hypotheses + statement.conclusions:
        for rel in ((c.relation,) if c.relation is not None else ()) + tuple(c.given):
            out[str(rel)] = rel
    return out


def _maybe_latex(text: str, statement: Statement) -> str:
    rel = _relations_by_text(statement).get(text)
    return md.math(relation_latex(rel)) if rel is not None else md.code(text)


def certificate_of(counterexample: Mapping[str, Any]) -> Certificate:
    return Certificate(**counterexample["certificate"])


def _depth(value: Any) -> int:
    return 1 + _depth(value[0]) if isinstance(value, (list, tuple)) and value else 0


def instance_markdown(instance: Mapping[str, Any]) -> str:
    """Arrays as matrices (rows of tokens), 3-way arrays slice by slice, scalars on one line;
    family codes are left out (the family is named above)."""
    blocks, scalars, notes = [], [], []
    for key in sorted(instance):
        if key.endswith(FAMILY_CODE_SUFFIXES):
            continue
        value, name = instance[key], symbol_latex(key)
        depth = _depth(value)
        if depth == 0:
            scalars.append(f"{name} = {value_latex(value)}")
        elif depth <= 2:
            blocks.append(f"{name} = {value_latex(value)}")
        elif depth == 3:
            for k, part in enumerate(value[:MAX_SLICES]):
                blocks.append(f"{name}_{{[{k}]}} = {value_latex(part)}")
            if len(value) > MAX_SLICES:
                notes.append(f"{md.code(key)}: {len(value)} slices, the first {MAX_SLICES} shown")
        else:
            notes.append(f"{md.code(key)}: a {depth}-way array, in the JSON file only")
    out = [md.math_block(github_safe(b)) for b in blocks]
    if scalars:
        out.append(md.math_block(github_safe(r", \quad ".join(scalars))))
    if notes:
        out.append("(" + "; ".join(notes) + ".)\n")
    return "\n".join(out)


def counterexample_markdown(
    statement: Statement, counterexample: Mapping[str, Any], json_path: str, heading: str
) -> str:
    cert = certificate_of(counterexample)
    n, d = counterexample["shape"]
    out = [
        f"**{heading}** — n = {n}, d = {d}, family {md.code(counterexample['family'])}, "
        f"case {counterexample['case']} (0-based index of the row or competitor, as in the code).\n",
        f"Certificate: {md.text(cert.summary())}\n",
    ]
    if cert.violated:
        out.append(f"Violated conclusion: {_maybe_latex(cert.violated, statement)}\n")
    if cert.hypotheses:
        rows = [
            [_maybe_latex(h, statement), md.code(ball)]
            for h, ball in sorted(cert.hypotheses.items())
        ]
        out.append(md.table(["hypothesis proven", "ball / proof"], rows))
    if cert.note:
        out.append(f"Note: {md.text(cert.note)}\n")
    out.append(
        "The instance (entries rounded to 4 significant digits for display; the certificate reads "
        "the exact numbers — binary64 values as rationals, or the rationals shown — listed in full in "
        f"[{PurePosixPath(json_path).name}]({json_path})):\n"
    )
    out.append(instance_markdown(counterexample["instance"]))
    return "\n".join(out)


# ----------------------------------------------------------------------------------------------
# The page
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    path: str  # relative to the docs directory
    caption: str = ""  # reST-ish text (``code``) from the figures module


def figures_markdown(figures: Sequence[Figure]) -> str:
    out = []
    for f in figures:
        out.append(f"![{md.text(PurePosixPath(f.path).stem)}]({f.path})\n")
        if f.caption:
            out.append(
                f"*{md.code(PurePosixPath(f.path).name)}:* " + md.docstring_markdown(f.caption)
            )
    return "\n".join(out)


@dataclass(frozen=True)
class ClaimPageInputs:
    claim: Claim
    derivations: Mapping[str, Sequence[StepResult]]
    records: Mapping[str, EvidenceRecord]
    figures: Sequence[Figure]
    seed: int


def counterexample_json_path(statement_id: str) -> str:
    return f"counterexamples/{statement_id}.json"


def statement_section(s: Statement, inputs: ClaimPageInputs) -> str:
    record = inputs.records.get(s.id)
    out = [f"## {s.id}\n", f"**{s.kind.value}** {md.code(s.name)} — {md.text(s.title)}\n"]
    if s.mirrors:
        out.append(
            f"A false variant of [{s.mirrors}](#{statement_anchor(s.mirrors)}): the engine must "
            "refute it with a certified counterexample, which shows the check can fail.\n"
        )
    if record is None:
        out.append("**Verdict:** no numeric check is registered for this statement yet.\n")
    else:
        ev = record.evidence
        out.append(
            f"**Verdict: {ev['verdict']}** (expected {ev['expected_verdict']} {verdict_mark(ev)})\n"
        )
    if s.note:
        out.append(f"*Note.* {md.text(s.note)}\n")
    out.append("**Hypotheses**\n")
    out.append(conditions_markdown("H", s.hypotheses))
    out.append("**Conclusions**\n")
    out.append(conditions_markdown("C", s.conclusions))
    proof = proof_markdown(s, record.evidence if record is not None else None)
    if proof:
        out.append(proof)
    derivation = derivation_markdown(s, inputs.derivations[s.id])
    if derivation:
        out.append(derivation)
    if record is not None:
        out.append("**Numeric evidence**\n")
        out.append(evidence_table(record))
        families = families_markdown(record.evidence)
        if families:
            out.append(families)
        ev = record.evidence
        if ev.get("counterexample"):
            heading = {
                Kind.CONTROL: "Certified counterexample",
                Kind.THEOREM: "FINDING — certified counterexample to a theorem",
                Kind.EXPLORE: "Certified counterexample found by the exploration",
            }[s.kind]
            out.append(
                counterexample_markdown(
                    s, ev["counterexample"], counterexample_json_path(s.id), heading
                )
            )
        out.append("Reproduce:\n")
        out.append(f"```bash\n{reproduce_commands([record])[0]}\n```\n")
    return "\n".join(out)


def summary_table(claim: Claim, records: Mapping[str, EvidenceRecord]) -> str:
    rows = []
    for s in claim.statements:
        r = records.get(s.id)
        ev = r.evidence if r else None
        rows.append(
            [
                f"[{s.id}](#{statement_anchor(s.id)})",
                s.kind.value,
                md.cell(s.title),
                ev["verdict"] if ev else "not checked yet",
                verdict_mark(ev) if ev else "–",
                ((ev or {}).get("proof") or {}).get("status", "–"),
                f"{ev['instances_meeting_hypotheses']} / {ev['instances_tried']}" if ev else "–",
                slack_text(ev["worst_slack"]) if ev else "–",
            ]
        )
    return md.table(
        [
            "id",
            "kind",
            "statement",
            "verdict",
            "as expected",
            "proof",
            "met / tried",
            "worst slack",
        ],
        rows,
    )


def symbols_table(claim: Claim) -> str:
    syms: dict[str, sp.Symbol] = {}
    for s in claim.statements:
        for sym in _relation_symbols(s):
            syms[sym.name] = sym
    if not syms:
        return ""
    rows = [[md.math(github_safe(symbol_latex(name))), md.code(name)] for name in sorted(syms)]
    return (
        "Symbols as the formulas print them, and the observable (code name) each stands for:\n\n"
        + md.table(["symbol", "observable"], rows)
    )


def claim_page(inputs: ClaimPageInputs) -> str:
    claim = inputs.claim
    checked = [inputs.records[s.id] for s in claim.statements if s.id in inputs.records]
    out = [
        f"# {claim.id} — {md.text(claim.title)}\n",
        "*Our formalisation of one claim of arXiv:2605.08453: the statements, ids, constants and "
        "proofs are this project's, not the paper's (see [provenance](index.md#provenance)). "
        f"Generated from {md.code(f'theory/{claim.module}.py')} and "
        f"{md.code(f'proofs_check/checks/{claim.module}.py')} by {md.code('proofs-check docs')}; "
        "do not edit by hand. [How to read this page](index.md#how-to-read-a-claim-page).*\n",
        summary_table(claim, inputs.records),
    ]
    if checked:
        out.append("Reproduce every number on this page:\n")
        out.append("```bash\n" + "\n".join(reproduce_commands(checked)) + "\n```\n")
    out.append("## Notation\n")
    out.append(
        "The shared notation is on the [index](index.md#notation). "
        f"From the docstring of {md.code(f'theory/{claim.module}.py')}:\n"
    )
    if claim.notation:
        out.append(md.docstring_markdown(claim.notation))
    symbols = symbols_table(claim)
    if symbols:
        out.append(symbols)
    for s in claim.statements:
        out.append(statement_section(s, inputs))
    if inputs.figures:
        out.append("## Figures\n")
        out.append(figures_markdown(inputs.figures))
    return md.tidy("\n".join(out))
