"""The verification report: a terminal table (rich) and a JSON document (written atomically).

The JSON holds no timings or dates, and every number in it follows the one rounding rule of
:mod:`proofs_check.stable`, so the same seed gives byte-identical reports on any machine once the
``machine_dependent`` entries (float-noise counts, solver accuracies) are set aside.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from proofs_check.atomic import write_json_atomic
from proofs_check.evidence import Evidence
from proofs_check.proof_status import proof_cell
from proofs_check.stable import stable_slack

SCHEMA_VERSION = 1


def format_slack(value: float | None) -> str:
    if value is None:
        return "-"
    if value == float("inf"):
        return "inf"
    return f"{stable_slack(value):+.2e}"


def adversary_slack(ev: Evidence) -> str:
    """The worst slack the adversarial phase reached (``-`` when it did not run)."""
    adv = getattr(ev, "adversary", None)
    if not adv:
        return "-"
    if adv.get("error"):
        return "error"
    return format_slack(adv.get("worst_slack"))


def evidence_table(results: list[Evidence]) -> Table:
    table = Table(title="proofs-check verify", header_style="bold", show_lines=False)
    for col, kw in (
        ("id", {"no_wrap": True}),
        ("kind", {}),
        ("proof", {}),
        ("algebra", {"justify": "right"}),
        ("tried / met", {"justify": "right"}),
        ("worst slack", {"justify": "right"}),
        ("adversary", {"justify": "right"}),
        ("verdict", {}),
        ("expected", {}),
    ):
        table.add_column(col, **kw)
    for ev in results:
        verdict_style = "green" if ev.expected else "bold red"
        sym = f"{ev.steps_verified}/{len(ev.symbolic)}" if ev.symbolic else "-"
        table.add_row(
            ev.statement.id,
            ev.statement.kind.value,
            proof_cell(ev.statement, ev.extra),
            sym,
            f"{ev.tried} / {ev.met}",
            format_slack(ev.worst_slack),
            adversary_slack(ev),
            f"[{verdict_style}]{ev.verdict}[/]",
            "yes" if ev.expected else f"[bold red]no (want {ev.statement.expected_verdict})[/]",
        )
    return table


def notes(results: list[Evidence]) -> list[str]:
    """One line per statement with something to say: certificates, errors, float noise, details."""
    lines = []
    for ev in results:
        parts = []
        if ev.error:
            parts.append(f"error: {ev.error}")
        if ev.counterexample is not None:
            cx = ev.counterexample
            parts.append(
                f"counterexample n={cx.shape[0]}, d={cx.shape[1]} ({cx.family}), {cx.certificate.summary()}"
            )
        if ev.float_noise:
            parts.append(
                f"{ev.float_noise} float64 violation(s) not confirmed in ball arithmetic "
                "(float noise; the count is machine-dependent)"
            )
        if ev.uncertified_violations:
            parts.append(
                f"{ev.uncertified_violations} float64 violation(s) not escalated (machine-dependent)"
            )
        if ev.detail:
            parts.append(ev.detail)
        proof = ev.proof or {}
        if proof.get("instance"):
            parts.append(f"proof: {proof['status']} ({proof['instance']})")
        if proof.get("refused"):
            parts.append(f"proof refused at {proof['refused']}")
        adv = getattr(ev, "adversary", None) or {}
        if adv.get("error"):
            parts.append(f"adversarial phase failed: {adv['error']}")
        reached = adv.get("worst_slack")
        if reached is not None and reached < 0 and ev.counterexample is None:
            parts.append(
                "the adversarial phase reached float64 violations (the adversary column) that ball "
                "arithmetic did not confirm on the exact instance (its hypotheses or its "
                "conclusion): float noise, not counterexamples"
            )
        if ev.verdict == "VACUOUS" and ev.met < ev.min_met:
            parts.append(f"only {ev.met} instance(s) met the hypotheses (need {ev.min_met})")
        for side in ev.thin_sides if ev.verdict == "VACUOUS" else ():
            parts.append(
                f"side '{side}' met by only {ev.sides[side]} instance(s) (need {ev.min_per_side})"
            )
        if parts:
            lines.append(f"{ev.statement.id}: " + "; ".join(parts))
    return lines


def print_report(results: list[Evidence], console: Console | None = None) -> None:
    console = console or _console()
    console.print(evidence_table(results))
    for line in notes(results):
        console.print(line, highlight=False, markup=False, soft_wrap=True)
    ok = all_as_expected(results)
    console.print(
        f"[bold {'green' if ok else 'red'}]{sum(e.expected for e in results)} of {len(results)} statements as expected[/]"
    )


def _console() -> Console:
    """A console that does not squeeze the table when stdout is a pipe or a file."""
    probe = Console()
    return probe if probe.is_terminal else Console(width=160)


def all_as_expected(results: list[Evidence]) -> bool:
    return all(ev.expected for ev in results)


def report_json(results: list[Evidence], seed: int, samples: int) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "seed": seed,
        "samples": samples,
        "all_as_expected": all_as_expected(results),
        "statements": [ev.to_json() for ev in results],
    }


def write_report_json(path: Path, payload: Any) -> None:
    """The ``--json`` report (or search/mutate JSON), written atomically; ``-`` is stdout."""
    if str(path) == "-":
        import json
        import sys

        text = json.dumps(payload, indent=2, sort_keys=True, default=_json_default)
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
        return
    write_json_atomic(path, payload, default=_json_default)


def _json_default(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)
