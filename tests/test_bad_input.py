"""Bad input never gives a wrong verdict, a traceback or a lost result (issue 15): one test per row of
the README's table "Errors and bad input". In-process (``main()``, as the console script runs it),
tiny sample counts, no adversary; a subprocess only where a real signal and exit status are needed."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
from bad_input_helpers import FAST, MID, conjecture_file, run_main
from cli_runner import ROOT, sigint_as_at_a_terminal

from proofs_check.checks import registry
from proofs_check.search.database import CounterexampleDB, load_entry

ONE_T1F4 = {
    "X": np.array([[-4 / 5], [-5 / 6]], dtype=float),
    "W": np.array([[1444 / 81]], dtype=float),
    "s": np.int64(1),
    "token_family": np.int64(8),
    "weight_family": np.int64(2),
}


def t1f4_entry(folder: Path) -> Path:
    """A genuine saved counterexample to the control T1-F4."""
    from proofs_check.search.database import exact_array

    inst = {k: exact_array(v) for k, v in ONE_T1F4.items()}
    cert = registry()["T1-F4"].certify(inst, 0)
    assert cert.certified
    path = CounterexampleDB(folder).save("T1-F4", inst, 0, asdict(cert), "test", 0)
    assert path is not None
    return path


def verdicts(report: Path) -> dict[str, str]:
    return {
        s["id"].rsplit("::", 1)[-1]: s["verdict"]
        for s in json.loads(report.read_text())["statements"]
    }


# -- row 1: complex quantities or samplers ------------------------------------------------------


def test_complex_quantities_are_an_error_not_holds(tmp_path, capsys):
    conj = conjecture_file(
        tmp_path,
        """
        def cq(inst, ops):
            return {"q": top(inst, ops)["q"] + 1j}
        c = Conjecture(name="c", conclusion=sp.GreaterThan(q, 0), quantities=cq,
                       instances=attention_instances())
        """,
    )
    r = run_main(capsys, "verify", conj, *FAST, "--no-db", "--json", str(tmp_path / "r.json"))
    assert r.code == 1
    assert verdicts(tmp_path / "r.json") == {"c": "ERROR"}
    assert "'q' is complex; expected real float or integer values" in r.out


def test_complex_sampler_field_is_an_error(tmp_path, capsys):
    conj = conjecture_file(
        tmp_path,
        """
        inner = attention_instances()
        def sample(rng, n, d, b):
            out = inner(rng, n, d, b)
            out["X"] = out["X"] * (1 + 0j)
            return out
        c = Conjecture(name="c", conclusion=sp.GreaterThan(q, 0), quantities=top, instances=sample)
        """,
    )
    r = run_main(capsys, "verify", conj, *FAST, "--no-db")
    assert r.code == 1 and "field 'X' is complex; expected real float or integer numbers" in r.out


# -- row 2: sys.exit / KeyboardInterrupt in user code -------------------------------------------


@pytest.mark.parametrize("jobs", ["1", "2"])  # in worker processes too (SIGINT is the caller's)
def test_sys_exit_in_quantities_is_error_of_that_statement_only(tmp_path, capsys, jobs):
    conj = conjecture_file(
        tmp_path,
        """
        import sys
        def bye(inst, ops):
            sys.exit(0)
        def ki(inst, ops):
            raise KeyboardInterrupt
        a = Conjecture(name="a", conclusion=sp.GreaterThan(q, 0), quantities=bye,
                       instances=attention_instances())
        b = Conjecture(name="b", conclusion=sp.GreaterThan(q, 0), quantities=ki,
                       instances=attention_instances())
        """,
    )
    report = tmp_path / "r.json"
    r = run_main(
        capsys, "verify", "T1-F4", conj, *MID, "--no-db", "--json", str(report), "--jobs", jobs
    )
    assert r.code == 1  # not 0: two statements could not run
    assert verdicts(report) == {"T1-F4": "REFUTED", "a": "ERROR", "b": "ERROR"}
    assert "quantities raised SystemExit(0); user code may not end the run" in r.out
    assert "quantities raised KeyboardInterrupt()" in r.out


def test_keyboard_interrupt_in_user_code_is_its_error_when_sigint_is_ignored(tmp_path, capsys):
    """A run started with SIGINT ignored (``cmd &`` in a script) cannot get a real Ctrl-C, so a
    ``KeyboardInterrupt`` is the user code's (it used to end the whole run with status 130)."""
    conj = conjecture_file(
        tmp_path,
        """
        def ki(inst, ops):
            raise KeyboardInterrupt
        b = Conjecture(name="b", conclusion=sp.GreaterThan(q, 0), quantities=ki,
                       instances=attention_instances())
        """,
    )
    report = tmp_path / "r.json"
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        r = run_main(capsys, "verify", conj, *FAST, "--no-db", "--json", str(report), "--jobs", "1")
    finally:
        signal.signal(signal.SIGINT, previous)
    assert r.code == 1
    assert verdicts(report) == {"b": "ERROR"}
    assert "quantities raised KeyboardInterrupt()" in r.out


def test_sys_exit_at_import_is_one_line_even_with_builtin_ids(tmp_path, capsys):
    path = tmp_path / "bye.py"
    path.write_text("import sys\nsys.exit(0)\n")
    r = run_main(capsys, "verify", "T1-F4", str(path), *FAST, "--no-db")
    assert r.code == 2
    r.one_error_line("importing")
    assert "SystemExit" in r.err


# -- row 3: a database that cannot be written ------------------------------------------------


def test_unwritable_db_is_a_warning_and_verify_still_reports(tmp_path, capsys):
    blocker = tmp_path / "afile"
    blocker.write_text("")
    report = tmp_path / "r.json"
    r = run_main(
        capsys, "verify", "T1-F4", *MID, "--db", str(blocker / "sub"), "--json", str(report)
    )
    assert r.code == 0, r.err
    assert verdicts(report) == {"T1-F4": "REFUTED"}
    warnings = [ln for ln in r.err_lines if "warning" in ln]
    assert len(warnings) == 1 and "cannot write the counterexample database" in warnings[0]


def test_unwritable_db_search_keeps_its_counterexample(tmp_path, capsys):
    blocker = tmp_path / "afile"
    blocker.write_text("")
    report = tmp_path / "s.json"
    r = run_main(
        capsys, "search", "T1-F4", "--budget", "5", "--quiet", "--db", str(blocker / "sub"),
        "--json", str(report),
    )  # fmt: skip
    assert r.code == 0, r.out + r.err
    assert "T1-F4 (CONTROL): FOUND" in r.out
    (row,) = json.loads(report.read_text())["results"]
    assert row["status"] == "FOUND" and row["counterexample"]["saved_to"] is None
    assert sum("cannot write the counterexample database" in ln for ln in r.err_lines) == 1


# -- row 4: database files with Infinity, a huge integer, deep nesting ---------------------------


def bad_entries(folder: Path, good: Path) -> dict[str, Path]:
    """Files beside ``good`` that are malformed, or well formed but inconsistent."""
    base = json.loads(good.read_text())
    out = {}

    def write(tag: str, payload: dict | str) -> None:
        path = folder / f"T1-F4-{tag:0<16}.json"
        path.write_text(payload if isinstance(payload, str) else json.dumps(payload))
        out[tag] = path

    write("infinity", json.dumps(base).replace('"case": 0', '"case": Infinity'))
    write(
        "bigint",
        {
            **base,
            "instance": {**base["instance"], "s": {"kind": "int", "shape": [], "values": [2**70]}},
        },
    )
    write(
        "deep", '{"format": "proofs-check counterexample", "x": ' + "[" * 50000 + "]" * 50000 + "}"
    )
    write("missing", {k: v for k, v in base.items() if k != "instance"})
    write("case", {**base, "case": 99})
    write(
        "sindex",
        {
            **base,
            "instance": {**base["instance"], "s": {"kind": "int", "shape": [], "values": [7]}},
        },
    )
    write(
        "emptyX",
        {
            **base,
            "instance": {
                **base["instance"],
                "X": {"kind": "rational", "shape": [0, 1], "values": []},
            },
        },
    )
    return out  # fmt: skip


def test_verify_and_search_skip_malformed_db_files_with_one_warning_each(tmp_path, capsys):
    db = tmp_path / "db"
    good = t1f4_entry(db)
    bad = bad_entries(db, good)
    for tag in ("case", "sindex"):  # well formed: only replay can tell (below)
        bad.pop(tag).unlink()
    report = tmp_path / "r.json"
    r = run_main(capsys, "verify", "T1-F4", *FAST, "--db", str(db), "--json", str(report))
    assert r.code == 0, r.err
    warned = [ln for ln in r.err_lines if "skipping corrupt counterexample file" in ln]
    assert len(warned) == len(bad) and all(any(str(p) in w for w in warned) for p in bad.values())
    assert "Infinity is not a JSON number" in r.err and "nested deeper than" in r.err
    assert "within int64" in r.err and "an empty array" in r.err
    r = run_main(capsys, "search", "T1-F4", "--budget", "3", "--quiet", "--db", str(db))
    assert r.code == 0 and "FOUND" in r.out and "database" in r.out, r.out + r.err
    assert sum("skipping corrupt" in ln for ln in r.err_lines) == len(bad)


# -- row 5: replay on malformed or inconsistent files ---------------------------------------------


def test_replay_reports_each_bad_file_in_one_line_and_goes_on(tmp_path, capsys):
    db = tmp_path / "db"
    good = t1f4_entry(db)
    bad = bad_entries(db, good)
    files = [str(p) for p in bad.values()] + [str(good)]
    r = run_main(capsys, "replay", *files)
    assert r.code == 2  # some files could not be replayed at all
    assert "Traceback" not in r.err + r.out
    errors = [ln for ln in r.err_lines if ln.startswith("proofs-check: error:")]
    assert len(errors) == len(bad)
    assert f"{good}: T1-F4: certified by" in r.out  # the good one, after the bad ones
    by_tag = {tag: next(e for e in errors if str(p) in e) for tag, p in bad.items()}
    assert "missing field 'instance'" in by_tag["missing"]
    assert "out of range" in by_tag["case"] and "out of range" in by_tag["sindex"]


# -- row 6: replay of a user conjecture's counterexample --------------------------------------


def test_replay_recertifies_a_user_conjecture_entry_from_another_directory(
    tmp_path, capsys, monkeypatch
):
    conj = conjecture_file(
        tmp_path / "mine",
        """
        c = Conjecture(name="top_below_09", conclusion=sp.LessThan(q, sp.Rational(9, 10)),
                       quantities=top, instances=attention_instances())
        """,
    )
    db = tmp_path / "db"
    r = run_main(capsys, "search", conj, "--budget", "5", "--quiet", "--db", str(db))
    assert "FOUND" in r.out, r.out + r.err
    (saved,) = db.glob("*.json")
    assert load_entry(saved).source == f"{Path(conj).resolve()}::top_below_09"
    monkeypatch.chdir(tmp_path / "mine")
    r = run_main(capsys, "replay", str(saved))
    assert r.code == 0, r.err
    assert "conj.py::top_below_09: certified by arb ball arithmetic" in r.out


# -- row 7: two conjectures with the same name ------------------------------------------------


def test_same_file_name_in_two_folders_gives_two_ids(tmp_path, capsys, monkeypatch):
    body = """
        c = Conjecture(name="c", conclusion=sp.LessThan(q, {bound}), quantities=top,
                       instances=attention_instances())
        """
    conjecture_file(tmp_path / "a", body.format(bound="sp.Rational(9, 10)"), "c.py")
    conjecture_file(tmp_path / "b", body.format(bound="1"), "c.py")
    monkeypatch.chdir(tmp_path)
    report = tmp_path / "r.json"
    r = run_main(capsys, "verify", "a/c.py", "b/c.py", "--samples", "60", "--no-db",
                 "--json", str(report))  # fmt: skip
    rows = {s["id"]: s["verdict"] for s in json.loads(report.read_text())["statements"]}
    assert rows == {"a/c.py::c": "REFUTED", "b/c.py::c": "HOLDS"}, r.out
    assert r.code == 1  # a/c.py::c is expected to hold


def test_two_conjectures_with_one_name_in_a_file_are_rejected(tmp_path, capsys):
    conj = conjecture_file(
        tmp_path,
        """
        x1 = Conjecture(name="x", conclusion=sp.GreaterThan(q, 0), quantities=top,
                        instances=attention_instances())
        x2 = Conjecture(name="x", conclusion=sp.GreaterThan(q, 1), quantities=top,
                        instances=attention_instances())
        """,
    )
    r = run_main(capsys, "verify", conj, *FAST)
    assert r.code == 2
    r.one_error_line("2 Conjectures are named 'x' (x1, x2)")


# -- row 8: --json / --out that cannot be written: rejected before any work -------------------


@pytest.mark.parametrize("where", ["/proc/x.json", "", "under-a-file"])
def test_unwritable_json_path_fails_before_the_run(tmp_path, capsys, where):
    blocker = tmp_path / "afile"
    blocker.write_text("")
    path = str(blocker / "x.json") if where == "under-a-file" else where
    start = time.perf_counter()
    r = run_main(capsys, "verify", "T1", "--json", path)
    assert r.code == 2
    r.one_error_line("Invalid value for '--json'")
    assert "proofs-check verify" not in r.out  # no statement ran
    assert time.perf_counter() - start < 60  # (a sanity bound, not a speed target)


def test_unwritable_out_dir_fails_before_the_run(tmp_path, capsys):
    blocker = tmp_path / "afile"
    blocker.write_text("")
    r = run_main(capsys, "figures", "--out", str(blocker / "figs"))
    assert r.code == 2
    r.one_error_line("cannot write there")


# -- row 9 (and issue 10, item 4): --seed -1 is an option error everywhere --------------------


@pytest.mark.parametrize(
    "command", [["verify", "T1.a"], ["search", "T1.a"], ["mutate", "--list"], ["figures"],
                ["docs"], ["empirical"]],
)  # fmt: skip
def test_negative_seed_is_an_option_error(capsys, command):
    r = run_main(capsys, *command, "--seed", "-1")
    assert r.code == 2
    r.one_error_line("Invalid value for '--seed': -1 is not in the range x>=0")


# -- row 10: Ctrl-C (a real SIGINT, in a subprocess) -----------------------------------------

SELF_INTERRUPT = """
import os, signal
{header}
inner = attention_instances()
calls = []
def sample(rng, n, d, b):
    if not calls:  # the first batch: press Ctrl-C (a real SIGINT to this process)
        os.kill(os.getpid(), signal.SIGINT)
    calls.append(1)
    return inner(rng, n, d, b)
c = Conjecture(name="c", conclusion=sp.GreaterThan(q, 0), quantities=top, instances=sample)
"""


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "PYTHONPATH": str(ROOT)}
    with sigint_as_at_a_terminal():
        return subprocess.run(
            [sys.executable, "-c", "from proofs_check.cli import main; main()", *args],
            cwd=cwd, capture_output=True, text=True, env=env, timeout=300,
        )  # fmt: skip


def test_sigint_during_verify_reports_writes_and_saves_what_was_found(tmp_path):
    from bad_input_helpers import HEADER

    (tmp_path / "interrupt_me.py").write_text(SELF_INTERRUPT.format(header=HEADER))
    args = ["verify", "T1-F4", "interrupt_me.py", "T1.a", *MID, "--db", "db", "--json", "r.json"]
    proc = _run(args, tmp_path)
    assert proc.returncode == 130, proc.stderr
    assert "Traceback" not in proc.stderr and "Segmentation" not in proc.stderr
    payload = json.loads((tmp_path / "r.json").read_text())
    assert payload["interrupted"] is True and payload["not_run"] == ["T1.a"]
    assert [s["id"] for s in payload["statements"]] == ["T1-F4", "interrupt_me.py::c"]
    assert "T1-F4" in proc.stdout and "REFUTED" in proc.stdout
    assert "interrupted: 2 of 3 statements run; not run: T1.a" in proc.stderr
    assert [p.name[:6] for p in (tmp_path / "db").glob("*.json")] == ["T1-F4-"]
    assert stat.S_IMODE((tmp_path / "r.json").stat().st_mode) == 0o666 & ~_umask()


def test_sigint_during_a_jax_search_exits_130_with_what_was_found(tmp_path):
    """Ctrl-C while the gradient adversary of a theorem runs (it never ends early): no crash; the
    control found before it is printed, in the JSON, and saved."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "PYTHONPATH": str(ROOT)}
    db, report = tmp_path / "db", tmp_path / "s.json"
    cmd = [sys.executable, "-c", "from proofs_check.cli import main; main()", "search", "T1-F4",
           "T1.a", "T1-F1", "--budget", "60", "--quiet", "--db", str(db), "--json", str(report)]  # fmt: skip
    with sigint_as_at_a_terminal():
        proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        deadline = time.time() + 120
        while not list(db.glob("T1-F4-*.json")) and time.time() < deadline:
            time.sleep(0.1)
        time.sleep(1.5)  # T1.a's adversary is compiling or running now
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "Segmentation" not in err
    assert "T1-F4 (CONTROL): FOUND" in out and "T1.a (THEOREM): ERROR: interrupted" in out
    payload = json.loads(report.read_text())
    assert [r["status"] for r in payload["results"]] == ["FOUND", "ERROR"]
    assert payload["not_run"] == ["T1-F1"] and payload["all_as_expected"] is False


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# -- row 11: a boolean sampler field ------------------------------------------------------------


def test_boolean_sampler_field_is_an_error_and_exit_1(tmp_path, capsys):
    conj = conjecture_file(
        tmp_path,
        """
        import numpy as np
        inner = attention_instances()
        def sample(rng, n, d, b):
            return {**inner(rng, n, d, b), "mask": np.ones(b, dtype=bool)}
        c = Conjecture(name="c", conclusion=sp.GreaterThan(q, 0), quantities=top, instances=sample)
        """,
    )
    r = run_main(capsys, "verify", conj, "--samples", "12", "--no-db")  # with the adversary
    assert r.code == 1
    assert "field 'mask' is boolean; expected real float or integer numbers" in r.out


# -- row 12 and the weaker rows: conjecture fields checked at load -----------------------------


@pytest.mark.parametrize(
    ("fields", "needle"),
    [
        ("conclusion=sp.GreaterThan(q, 0), min_met=0", "min_met must be an integer >= 1"),
        ("conclusion=sp.Ne(q, 0)", "not Unequality (sp.Ne is not supported)"),
        ("conclusion=sp.GreaterThan(q, 0), hypotheses=[q + 1]", "hypotheses[0] must be a SymPy relation"),
        ("conclusion=sp.GreaterThan(q, 0), hypotheses=sp.Ge(q, 0)", "hypotheses must be a list"),
        ("conclusion=sp.Ge(sp.Integer(1), 0)", "conclusion evaluated to True"),
        ("conclusion=sp.GreaterThan(q, 0), shapes=[]", "shapes must be a non-empty list"),
        ("conclusion=sp.GreaterThan(q, 0), shapes=[(0, 2)]", "(0, 2) is not"),
        ("conclusion=sp.GreaterThan(q, 0), expect='maybe'", "expect must be 'HOLDS' or 'REFUTED'"),
    ],
)  # fmt: skip
def test_bad_conjecture_fields_are_rejected_at_load(tmp_path, capsys, fields, needle):
    conj = conjecture_file(
        tmp_path,
        f"c = Conjecture(name='c', quantities=top, instances=attention_instances(), {fields})\n",
    )
    r = run_main(capsys, "verify", conj, *FAST, "--no-db")
    assert r.code == 2
    r.one_error_line(needle)


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (  # quantities of the wrong shape
            "def qf(inst, ops):\n    return {'q': attention(ops, inst['X'], inst['W'])}\n"
            "c = Conjecture(name='c', conclusion=sp.GreaterThan(q, 0), quantities=qf, instances=attention_instances())\n",
            "'q' has shape (2, 2); expected a scalar or one value per case (k,)",
        ),
        (  # a sampler without a batch axis
            "import numpy as np\n"
            "def s(rng, n, d, b):\n    return {'X': rng.normal(size=(n, d)), 'W': np.eye(d)}\n"
            "c = Conjecture(name='c', conclusion=sp.GreaterThan(q, 0), quantities=top, instances=s, shapes=[(3, 2)])\n",
            "field 'X' has shape (3, 2); expected the batch first, (12, ...)",
        ),
        (  # issue 10, item 4: a symbol the quantities omit
            "a = sp.Symbol('a')\n"
            "c = Conjecture(name='c', conclusion=sp.GreaterThan(q, a), quantities=top, instances=attention_instances())\n",
            "gave no value for symbol 'a'; the conclusion and hypotheses need a, q; it gave q",
        ),
        (  # NumPy on traced values
            "import numpy as np\n"
            "def qf(inst, ops):\n    return {'q': np.asarray(inst['X']).sum(axis=-1)}\n"
            "c = Conjecture(name='c', conclusion=sp.GreaterThan(q, -9), quantities=qf, instances=attention_instances())\n",
            "must be computed with ops.xp",
        ),
        (  # per-case values of different lengths
            "r = sp.Symbol('r')\n"
            "def qf(inst, ops):\n    A = attention(ops, inst['X'], inst['W'])\n    return {'q': A[0], 'r': A[0, :1] * ops.xp.ones(5)}\n"
            "c = Conjecture(name='c', conclusion=sp.GreaterThan(q, r - 9), quantities=qf, instances=attention_instances(), shapes=[(3, 2)])\n",
            "the per-case values have different lengths (q: (3,), r: (5,))",
        ),
    ],
)  # fmt: skip
def test_bad_sampler_or_quantities_are_one_line_errors(tmp_path, capsys, body, needle):
    conj = conjecture_file(tmp_path, body)
    r = run_main(capsys, "verify", conj, "--samples", "12", "--no-adversary", "--no-db")
    assert r.code == 1, r.out + r.err
    assert needle in r.out
    assert "Traceback" not in r.out + r.err


@pytest.mark.parametrize("budget", ["inf", "nan", "1e300", "0", "-3"])
def test_budget_must_be_finite_and_positive(capsys, budget):
    r = run_main(capsys, "search", "T1-F4", "--budget", budget)
    assert r.code == 2
    r.one_error_line("Invalid value for '--budget'")


def test_json_dash_writes_the_report_to_stdout(capsys):
    r = run_main(capsys, "verify", "T1-F4", *MID, "--no-db", "--json", "-")
    assert r.code == 0, r.err
    payload = json.loads(r.out)  # stdout is only the JSON; the table went to stderr
    assert payload["statements"][0]["verdict"] == "REFUTED"
    assert "proofs-check verify" in r.err and not (Path.cwd() / "-").exists()


def test_reports_and_database_files_get_umask_permissions(tmp_path, capsys):
    report, db = tmp_path / "r.json", tmp_path / "db"
    r = run_main(capsys, "verify", "T1-F4", *MID, "--db", str(db), "--json", str(report))
    assert r.code == 0, r.err
    (saved,) = db.glob("*.json")
    for path in (report, saved):
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~_umask()


def test_docs_check_with_a_missing_out_dir_fails_fast(tmp_path, capsys):
    start = time.perf_counter()
    r = run_main(capsys, "docs", "--check", "--out", str(tmp_path / "missing"))
    assert r.code == 2
    r.one_error_line("no such directory")
    assert time.perf_counter() - start < 30  # a sanity bound: nothing was computed


def test_conjecture_file_can_import_a_helper_beside_it(tmp_path, capsys):
    (tmp_path / "helper_for_issue15.py").write_text(
        "from proofs_check.observables.attention import attention\n"
        "def top(inst, ops):\n    return {'q': ops.max(attention(ops, inst['X'], inst['W']), axis=-1)}\n"
    )
    conj = tmp_path / "uses_helper.py"
    conj.write_text(
        "import sympy as sp\nfrom helper_for_issue15 import top\n"
        "from proofs_check.conjecture import Conjecture, attention_instances\n"
        "c = Conjecture(name='c', conclusion=sp.LessThan(sp.Symbol('q'), 1), quantities=top, min_met=5,\n"
        "               instances=attention_instances())\n"
    )
    r = run_main(capsys, "verify", str(conj), *FAST, "--no-db")
    assert r.code == 0, r.out + r.err
    assert "HOLDS" in r.out


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["verify", "T1.a", "--samples", "0"], "Invalid value for '--samples'"),
        (["verify", "T1.a", "--samples", str(10**30)], "1<=x<=1000000"),
        (["verify", "T1.a", "--db", ""], "Invalid value for '--db': an empty path"),
        (["search", "T1.a", "--json", "."], "is a directory"),
    ],
)
def test_other_option_errors_are_one_line(capsys, args, needle):
    r = run_main(capsys, *args)
    assert r.code == 2
    r.one_error_line(needle)


def test_an_internal_error_is_one_line_and_exit_3(capsys, monkeypatch):
    import proofs_check.checks

    def broken() -> None:
        raise RuntimeError("registry exploded\nsecond line")

    monkeypatch.setattr(proofs_check.checks, "registry", broken)
    r = run_main(capsys, "list")
    assert r.code == 3
    assert r.err_lines == [
        "proofs-check: internal error: RuntimeError: registry exploded "
        "(set PROOFS_CHECK_DEBUG=1 for the traceback)"
    ]
