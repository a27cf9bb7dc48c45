"""The program store (:mod:`proofs_check.compile_cache`): a compiled program is loaded instead of
traced and compiled again, gives the same evidence, and a bad entry costs time, never an answer."""

from __future__ import annotations

import dataclasses
import json
import os

import numpy as np
import pytest
from cli_runner import run_cli

from proofs_check import compile_cache
from proofs_check.checks import registry
from proofs_check.instances import rng_for
from proofs_check.perturb import ENV as PERTURB
from proofs_check.stable import without_machine_dependent


@pytest.fixture
def store(tmp_path):
    """A program store for this test only (none before, none after)."""
    path = compile_cache.use_store(tmp_path / "programs")
    yield path
    compile_cache.use_store(None)


def _batch(check, shape_index: int = 0, count: int = 12):
    n, d = check.shapes[shape_index]
    return check.sample(rng_for(0, check.statement.id, shape_index), n, d, count)


def _entries(store):
    return sorted(store.glob("*/*.xla"))


def _same(a, b):
    import jax

    for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b), strict=True):
        assert np.array_equal(np.asarray(x), np.asarray(y), equal_nan=True)


def test_a_builtin_program_is_stored_loaded_and_gives_the_same_values(store):
    check = registry()["T6.d"]
    name = compile_cache.builtin_program(check, "evaluate")
    assert name == ("T6.d", "evaluate")
    batch = _batch(check)
    first = compile_cache.compiled(check._compiled_evaluate, (batch,), name)
    assert len(_entries(store)) == 1
    os.utime(_entries(store)[0], (0, 0))
    again = compile_cache.compiled(check._compiled_evaluate, (batch,), name)  # loaded
    assert os.stat(_entries(store)[0]).st_mtime > 0  # a load marks it recently used
    _same(first(batch), again(batch))


def test_a_corrupt_or_truncated_entry_is_deleted_and_compiled_again(store):
    check = registry()["T6.d"]
    name = compile_cache.builtin_program(check, "evaluate")
    batch = _batch(check)
    expected = compile_cache.compiled(check._compiled_evaluate, (batch,), name)(batch)
    (entry,) = _entries(store)
    for damage in (
        lambda b: b[: len(b) // 2],
        lambda b: b[:-1] + bytes([b[-1] ^ 1]),
        lambda b: b"",
    ):
        entry.write_bytes(damage(entry.read_bytes()))
        got = compile_cache.compiled(check._compiled_evaluate, (batch,), name)(batch)
        _same(expected, got)
        assert _entries(store) == [entry]  # rewritten whole
        assert compile_cache._load(store, entry.stem) is not None


def test_other_programs_are_keyed_by_their_lowered_text(store):
    """A program not made by this package alone (here a copy of a built-in check, as a mutant or a
    user's conjecture would be) has no name: stored under its lowered text, loaded by it."""
    check = dataclasses.replace(registry()["T6.d"])
    assert compile_cache.builtin_program(check, "evaluate") is None
    batch = _batch(check)
    first = compile_cache.compiled(check._compiled_evaluate, (batch,))
    (entry,) = _entries(store)
    text = check._compiled_evaluate.lower(batch).as_text()
    assert entry.stem == compile_cache.text_key(text)
    os.utime(entry, (0, 0))
    again = compile_cache.compiled(check._compiled_evaluate, (batch,))
    assert entry.stat().st_mtime > 0
    _same(first(batch), again(batch))


def test_programs_with_host_callbacks_are_never_stored(store):
    t1b = registry()["T1.b"]  # its observables call a linear-programming solver on the host
    batch = _batch(t1b, count=3)
    rows = [t1b.prepared({k: np.asarray(v[b]) for k, v in batch.items()}) for b in range(3)]
    for key in rows[0]:
        batch[key] = np.array([r[key] for r in rows])
    name = compile_cache.builtin_program(t1b, "evaluate")
    assert name is not None
    compile_cache.compiled(t1b._compiled_evaluate, (batch,), name)
    assert _entries(store) == []
    compile_cache.use_store(None)
    assert compile_cache.builtin_program(t1b, "evaluate") is None  # the store is off


def test_the_key_names_the_switches_the_name_and_the_shapes(monkeypatch):
    a = (np.zeros((4, 3)), {"s": np.int64(2)})
    key = compile_cache.program_key(("T6.d", "evaluate"), a)
    assert key == compile_cache.program_key(("T6.d", "evaluate"), a)
    assert key != compile_cache.program_key(("T6.d", "oracle"), a)
    assert key != compile_cache.program_key(("T6.d", "evaluate"), (np.zeros((5, 3)), a[1]))
    assert key != compile_cache.program_key(
        ("T6.d", "evaluate"), (np.zeros((4, 3), np.float32), a[1])
    )
    monkeypatch.setenv(PERTURB, "3")
    assert key != compile_cache.program_key(("T6.d", "evaluate"), a)
    monkeypatch.delenv(PERTURB)
    monkeypatch.setenv("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false")
    assert key != compile_cache.program_key(("T6.d", "evaluate"), a)


def test_trim_deletes_the_least_recently_used_entries_first(tmp_path):
    for k in range(6):
        path = tmp_path / f"{k:02d}" / f"{k:064d}.xla"
        path.parent.mkdir()
        path.write_bytes(b"x" * 100)
        os.utime(path, (1000 + k, 1000 + k))
    assert compile_cache.trim(tmp_path, 1000) == 0  # under the limit: nothing deleted
    assert compile_cache.trim(tmp_path, 500) == 3  # down to 3/4 of it, oldest first
    assert sorted(p.parent.name for p in tmp_path.glob("*/*.xla")) == ["03", "04", "05"]


def test_verify_loads_its_stored_programs_in_a_new_process_with_the_same_report(tmp_path):
    """Every program of the first run is loaded, not compiled, by the second, in another process
    (an executable must carry all its code: one that JAX had loaded from its own cache did not)."""
    store = tmp_path / "programs"
    env = {"PROOFS_CHECK_JAX_CACHE": str(store)}
    args = ["verify", "T1.a", "T6.d", "--no-db", "--samples", "200", "--quiet", "--jobs", "1"]
    reports = []
    for run in range(2):
        path = tmp_path / f"run{run}.json"
        proc = run_cli(*args, "--json", str(path), env=env, timeout=900)
        assert proc.returncode == 0, proc.stderr[-2000:]
        reports.append(without_machine_dependent(json.loads(path.read_text())))
        if run == 0:
            entries = sorted(store.glob("*/*.xla"))
            assert len(entries) >= 4  # random-phase programs and adversary chunks
            for entry in entries:
                os.utime(entry, (0, 0))
    assert reports[0] == reports[1]
    loaded = [e for e in entries if e.stat().st_mtime > 0]
    assert loaded == entries  # every program of the second run came from the store


_FIRST_PROGRAM = """
import sys
import numpy as np, jax, jax.numpy as jnp
from proofs_check import compile_cache
compile_cache.enable(sys.argv[1])
program = compile_cache.compiled(jax.jit(jnp.linalg.svd), (np.diag([3.0, 2.0]),), ("test", "svd"))
print(np.asarray(program(np.diag([3.0, 2.0]))[1]).tolist())
"""


def test_a_stored_program_calling_lapack_runs_first_in_a_new_process(tmp_path):
    """Loaded by name, a program is never lowered; JAX initialises LAPACK only when it lowers one,
    so a stored SVD run first in a process called a null pointer (a segfault) until the store
    initialised it itself."""
    import subprocess
    import sys

    script = tmp_path / "first.py"
    script.write_text(_FIRST_PROGRAM)
    for run in ("compiles and stores", "loads"):
        proc = subprocess.run(
            [sys.executable, str(script), str(tmp_path / "programs")],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, (run, proc.returncode, proc.stderr[-2000:])
        assert proc.stdout.split() == ["[3.0,", "2.0]"], (run, proc.stdout)
    assert len(list((tmp_path / "programs").glob("*/*.xla"))) == 1
