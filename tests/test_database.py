"""The counterexample database: exact round trip, atomic and idempotent saves, corrupt files skipped
with one warning, nothing lost when a run is killed, ``replay`` and ``verify --db`` from the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from cli_runner import ROOT, run_cli, sigint_as_at_a_terminal

from proofs_check.checks import registry
from proofs_check.search.database import (
    CorruptEntry,
    CounterexampleDB,
    decode_instance,
    encode_instance,
    load_entry,
)

# T1-F4 (an eps-sink with PSD W is 10% longer than every token): the sink is only ~1.6% longer
T1F4_INSTANCE = {
    "X": np.array([[Fraction(-4, 5)], [Fraction(-5, 6)]], dtype=object),
    "W": np.array([[Fraction(1444, 81)]], dtype=object),
    "s": np.int64(1),
    "token_family": np.int64(8),
    "weight_family": np.int64(2),
}


def saved_t1f4(db: CounterexampleDB) -> Path:
    cert = registry()["T1-F4"].certify(T1F4_INSTANCE, 0)
    assert cert.certified
    return db.save("T1-F4", T1F4_INSTANCE, 0, asdict(cert), "test", 0)


def test_instances_round_trip_exactly():
    inst = {
        "X": np.array(
            [[Fraction(1, 3), Fraction(-2)], [Fraction(5, 7), Fraction(0)]], dtype=object
        ),
        "F": np.array([0.1, -2.5e-300]),
        "s": np.int64(1),
        "mask": np.array([True, False]),
    }
    back = decode_instance(json.loads(json.dumps(encode_instance(inst))))
    assert back["X"].tolist() == inst["X"].tolist()
    assert [Fraction(v) for v in inst["F"]] == back["F"].tolist()  # floats are dyadic: exact
    assert int(back["s"]) == 1 and back["s"].shape == ()
    assert back["mask"].tolist() == [True, False]


def test_save_is_idempotent_and_leaves_no_temporary_files(tmp_path):
    db = CounterexampleDB(tmp_path)
    first = saved_t1f4(db)
    second = saved_t1f4(db)
    assert first == second and first.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [first.name]
    entry = load_entry(first)
    assert entry.statement_id == "T1-F4" and entry.case == 0
    assert registry()["T1-F4"].certify(entry.instance, entry.case).certified


@pytest.mark.parametrize(
    "content,reason",
    [
        (
            '{"format": "proofs-check counterexample", "statement_id": "T1-F4", "ca',
            "not valid JSON",
        ),
        ("[1, 2, 3]", "not a proofs-check counterexample"),
        ('{"format": "proofs-check counterexample", "case": 0, "instance": {}}', "missing"),
        (
            '{"format": "proofs-check counterexample", "statement_id": "T1-F4", "case": 0, '
            '"instance": {"X": {"kind": "rational", "shape": [2], "values": ["1/0", "1"]}}}',
            "field 'X'",
        ),
    ],
)
def test_corrupt_file_is_one_warning_and_skipped(tmp_path, content, reason):
    db_warnings: list[str] = []
    db = CounterexampleDB(tmp_path, warn=db_warnings.append)
    good = saved_t1f4(db)
    bad = tmp_path / "T1-F4-0000000000000000.json"
    bad.write_text(content)
    entries = list(db.entries("T1-F4"))
    assert [e.path for e in entries] == [good]
    assert len(db_warnings) == 1 and str(bad) in db_warnings[0] and reason in db_warnings[0]
    with pytest.raises(CorruptEntry):
        load_entry(bad)


_WRITER = """
import sys
from fractions import Fraction
import numpy as np
from proofs_check.search.database import CounterexampleDB
db = CounterexampleDB(sys.argv[1])
k = 0
while True:
    inst = {"X": np.array([[Fraction(k, 7)] * 64] * 64, dtype=object), "s": np.int64(0)}
    db.save("T9-F9", inst, 0, {"certified": True}, "test")
    k += 1
"""


def test_killed_writer_leaves_only_complete_files(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(tmp_path)], cwd=ROOT)
    try:
        deadline = time.time() + 60
        while len(list(tmp_path.glob("*.json"))) < 5 and time.time() < deadline:
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    saved = list(tmp_path.glob("*.json"))
    assert len(saved) >= 5
    for path in saved:  # every visible file is complete; a killed write leaves at most a .tmp
        entry = load_entry(path)
        assert entry.statement_id == "T9-F9" and entry.instance["X"].shape == (64, 64)
    assert all(p.suffix in (".json", ".tmp") for p in tmp_path.iterdir())
    assert len(list(CounterexampleDB(tmp_path).entries())) == len(saved)


def test_interrupted_search_keeps_what_it_saved(tmp_path):
    """``search`` saves each certified counterexample as soon as it has it: kill it while it works
    on a theorem (which never ends early) and the controls' files are complete and replayable."""
    db = tmp_path / "db"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    with sigint_as_at_a_terminal():
        proc = subprocess.Popen(
            [sys.executable, "-m", "proofs_check", "search", "T1-F1", "T1-F4", "T1.a"]
            + ["--budget", "60", "--quiet", "--db", str(db)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    try:
        deadline = time.time() + 120
        while len(list(db.glob("*.json"))) < 2 and time.time() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    files = sorted(db.glob("*.json"))
    assert [p.name.split("-")[0] + "-" + p.name.split("-")[1] for p in files] == ["T1-F1", "T1-F4"]
    proc = run_cli("replay", *map(str, files))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("certified by") == 2


def test_replay_command(tmp_path):
    path = saved_t1f4(CounterexampleDB(tmp_path))
    proc = run_cli("replay", str(path))
    assert proc.returncode == 0, proc.stderr
    assert "T1-F4" in proc.stdout and "certified by arb ball arithmetic" in proc.stdout
    bad = tmp_path / "broken.json"
    bad.write_text("{not json")
    proc = run_cli("replay", str(bad))
    assert proc.returncode == 2
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "corrupt counterexample file" in lines[0], proc.stderr


def test_verify_replays_and_survives_a_corrupt_file(tmp_path):
    db = CounterexampleDB(tmp_path)
    good = saved_t1f4(db)
    before = good.read_bytes()
    (tmp_path / "T1-F4-ffffffffffffffff.json").write_text('{"format": "proofs-check counterex')
    out = tmp_path / "report.json"
    # one sample per shape: the random phase finds nothing, the database's instance refutes
    args = ("verify", "T1-F4", "--samples", "8", "--no-adversary", "--db", str(tmp_path))
    proc = run_cli(*args, "--json", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    warnings = [ln for ln in proc.stderr.splitlines() if "warning" in ln]
    assert len(warnings) == 1 and "skipping corrupt counterexample file" in warnings[0]
    row = json.loads(out.read_text())["statements"][0]
    assert row["verdict"] == "REFUTED" and row["counterexample"]["family"] == "database"
    assert good.read_bytes() == before  # nothing else touched
