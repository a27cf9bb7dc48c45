"""The CLI: exit codes, one-line errors (no tracebacks), JSON schema, reproducibility."""

from __future__ import annotations

import json
import subprocess

import pytest
from cli_runner import run_cli

from proofs_check.report import report_json
from proofs_check.runner import resolve, run_all


def assert_one_error_line(proc: subprocess.CompletedProcess[str], needle: str) -> None:
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("proofs-check: error:") and needle in lines[0]
    assert "Traceback" not in proc.stderr + proc.stdout


@pytest.mark.parametrize(
    "args,needle",
    [
        (("verify", "T9.z"), "unknown statement id 'T9.z'"),
        (("verify", "--samples", "0"), "--samples"),
        (("verify", "--seed", "abc"), "--seed"),
        (("verify", "--bogus"), "--bogus"),
        (("verify", "no_such_file.py"), "not found"),
        (("verify", "examples/my_conjectures.py::missing"), "no Conjecture named 'missing'"),
    ],
)
def test_bad_input_is_one_line_and_nonzero(args, needle):
    assert_one_error_line(run_cli(*args), needle)


def test_list_shows_every_statement():
    proc = run_cli("list")
    assert proc.returncode == 0
    for sid in ("T1.a", "T1-F4"):
        assert sid in proc.stdout


def test_verify_writes_json_and_exits_zero(tmp_path):
    out = tmp_path / "report.json"
    proc = run_cli("verify", "T1.a", "T1-F2", "--samples", "200", "--json", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(out.read_text())
    assert report["schema_version"] == 1 and report["seed"] == 0 and report["all_as_expected"]
    rows = {r["id"]: r for r in report["statements"]}
    assert rows["T1.a"]["verdict"] == "HOLDS" and rows["T1-F2"]["verdict"] == "REFUTED"
    for row in rows.values():
        for key in (
            "kind",
            "verdict",
            "expected_verdict",
            "symbolic_steps",
            "instances_tried",
            "instances_meeting_hypotheses",
            "worst_slack",
            "counterexample",
        ):
            assert key in row
    cert = rows["T1-F2"]["counterexample"]["certificate"]
    assert cert["certified"] and cert["precision_bits"] >= 53


def test_same_seed_same_json_and_other_seed_differs():
    def report(seed: int) -> str:
        checks = resolve(["T1.a", "T1-F2", "T1.b"])
        return json.dumps(
            report_json(run_all(checks, seed, 150), seed, 150), sort_keys=True, default=str
        )

    first, second = report(3), report(3)
    assert first == second
    assert report(4) != first


def test_conjecture_example_runs_as_documented():
    proc = run_cli("verify", "examples/my_conjectures.py", "--samples", "300")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "rest_at_least_one_over_n_squared" in proc.stdout and "REFUTED" in proc.stdout
    assert "certified by arb ball arithmetic" in proc.stdout


def test_claim_target_selects_its_explore_item_too():
    ids = [c.statement.id for c in resolve(["T3"])]
    assert ids[0] == "T3.a" and "E3" in ids and all(i.startswith("T3") or i == "E3" for i in ids)
