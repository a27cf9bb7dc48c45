"""Statements in worker processes (:mod:`proofs_check.workers`): the same report, in order; Ctrl-C
reaches the workers as a request; ``--profile`` sums the workers' phases."""

from __future__ import annotations

import json
import time

from cli_runner import run_cli

from proofs_check import interrupt
from proofs_check.stable import without_machine_dependent
from proofs_check.workers import default_jobs, in_order, run_in_workers

SUBSET = ("T1.a", "T2-F1", "T6.d", "T2.b")


def _square(k: int) -> int:
    return k * k


def _nothing() -> None:
    return None


def _until_requested(k: int) -> bool:
    """Waits for the caller's stop, seen in the worker as :func:`interrupt.requested`."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if interrupt.requested():
            return True
        time.sleep(0.05)
    return False


def test_results_come_back_keyed_by_task_and_listed_in_task_order():
    results = run_in_workers(_square, 7, 2, _nothing)
    assert results == {k: k * k for k in range(7)}
    assert in_order(results, 7) == [0, 1, 4, 9, 16, 25, 36]
    assert in_order({2: "c", 0: "a"}, 4) == ["a", "c"]
    assert 1 <= default_jobs() <= 8 and default_jobs(1) == 1
    assert default_jobs(7, fewest=8) == 1 and default_jobs(8, fewest=8) == min(8, default_jobs())


def test_once_stopped_no_task_starts_and_running_ones_are_asked_to_finish():
    assert run_in_workers(_square, 5, 2, _nothing, stopped=lambda: True) == {}
    t0 = time.monotonic()
    results = run_in_workers(
        _until_requested, 3, 1, _nothing, stopped=lambda: time.monotonic() > t0 + 2
    )
    assert results == {0: True}  # task 0 saw the request; tasks 1 and 2 never started
    assert time.monotonic() - t0 < 45


def test_verify_in_two_workers_reports_exactly_what_one_process_reports(tmp_path):
    reports, outputs = [], []
    for jobs in ("1", "2"):
        path = tmp_path / f"jobs{jobs}.json"
        args = ["verify", *SUBSET, "--no-db", "--samples", "300", "--quiet", "--jobs", jobs]
        proc = run_cli(*args, "--json", str(path), "--profile", timeout=900)
        assert proc.returncode == 0, proc.stderr[-2000:]
        reports.append(without_machine_dependent(json.loads(path.read_text())))
        outputs.append(proc.stdout)
        if jobs == "2":
            assert "summed over 2 worker processes" in proc.stderr
            assert "adversary" in proc.stderr
    assert [s["id"] for s in reports[0]["statements"]] == list(SUBSET)
    assert reports[0] == reports[1]
    assert outputs[0] == outputs[1]


def test_a_bad_jobs_option_is_one_line_and_exit_2():
    proc = run_cli("verify", "T1.a", "--jobs", "0")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "--jobs" in proc.stderr
