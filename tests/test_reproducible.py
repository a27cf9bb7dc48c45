"""The same seed gives the same pages and the same report on any machine, CPU and thread count.

Another machine computes float64 observables with other kernels and its solvers stop at other last
digits. ``PROOFS_CHECK_PERTURB_ULPS`` (:mod:`proofs_check.perturb`) makes this machine do the same:
every float64 observable and solver result moves by a few ulps. With it on, and every thread pool
cut to one thread, the docs (pages, counterexamples, ``report.json``) must regenerate byte for byte.
A failure names the file and its first differing line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from cli_runner import run_cli

from proofs_check.perturb import ENV, perturb_host, perturb_traced
from proofs_check.stable import canonical_worst, first_difference, without_machine_dependent

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
ONE_THREAD = {
    "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


def _run(args: list[str], env_extra: dict[str, str], tmp: Path) -> subprocess.CompletedProcess:
    cache = {"PROOFS_CHECK_JAX_CACHE": str(tmp / "jax-cache")}
    return run_cli(*args, env={**cache, **env_extra}, timeout=1800)


def test_perturbation_moves_floats_by_a_few_ulps_and_nothing_else(monkeypatch):
    x = np.array([1.0, -3.5, 0.0, np.inf, 1e-300])
    monkeypatch.delenv(ENV, raising=False)
    assert perturb_host(x) is x
    monkeypatch.setenv(ENV, "4")
    y = perturb_host(x)
    assert np.all(np.abs(y[:2] - x[:2]) <= 4 * np.spacing(np.abs(x[:2])))
    assert (y[:2] != x[:2]).any()  # it does move values
    assert y[2] == 0.0 and y[3] == np.inf
    assert np.array_equal(perturb_host(x), y)  # stateless: the same every call
    assert np.allclose(np.asarray(perturb_traced(x)), y, rtol=0, atol=0, equal_nan=True)
    assert perturb_host(np.array([1, 2])).dtype.kind == "i"  # integers are never touched


def test_canonical_worst_breaks_rounding_ties_by_index():
    items = [(0, -0.5 + 1e-15), (1, -0.5), (2, -0.2), (3, -0.5 - 1e-15)]
    order = canonical_worst(items, value=lambda t: t[1], index=lambda t: t[0])
    assert [t[0] for t in order] == [0, 1, 3, 2]
    wobbled = [(k, v * (1 + 3e-16)) for k, v in items]
    assert [t[0] for t in canonical_worst(wobbled, lambda t: t[1], lambda t: t[0])] == [0, 1, 3, 2]


OTHER_CPU = {
    # NumPy without its AVX-512 kernels and OpenBLAS with Haswell's: what a machine without
    # AVX-512 runs (exp, log and power differ there in the last bit)
    "NPY_DISABLE_CPU_FEATURES": "AVX512F AVX512CD AVX512_SKX AVX512_CLX AVX512_CNL AVX512_ICL X86_V4",
    "OPENBLAS_CORETYPE": "Haswell",
}


def test_every_sampler_draws_the_same_bits_on_another_cpu(tmp_path):
    """The instances themselves: the same digest with other SIMD kernels and one thread."""
    script = [sys.executable, str(REPO / "tests" / "sampler_digest.py")]
    here = subprocess.run(script, cwd=REPO, capture_output=True, text=True, timeout=600)
    env = dict(os.environ, **OTHER_CPU, **ONE_THREAD)
    there = subprocess.run(script, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert here.returncode == 0 and there.returncode == 0, (
        here.stderr[-2000:] + there.stderr[-2000:]
    )
    a, b = json.loads(here.stdout), json.loads(there.stdout)
    assert len(a) >= 20
    assert {k for k in a if a[k] != b.get(k)} == set(), "samplers whose draws depend on the CPU"


def test_docs_and_report_regenerate_identically_under_perturbation_and_one_thread(tmp_path):
    result = _run(["docs", "--check"], {ENV: "3", **ONE_THREAD}, tmp_path)
    assert result.returncode == 0, (
        "with float64 observables and solver results moved by 3 ulps and one thread, the docs "
        "differ from the committed ones (a choice or a printed digit depends on float noise):\n"
        + result.stderr[-4000:]
    )


def test_verify_json_entries_are_the_committed_report_entries(tmp_path):
    """``verify --json`` (the pages' reproduce command) writes exactly the committed entries."""
    committed = json.loads((DOCS / "report.json").read_text(encoding="utf-8"))
    by_id = {e["id"]: e for e in committed["statements"]}
    ids = [sid for sid in ("T2-F1", "T1.a") if committed["samples"].get(sid) == 300]
    assert ids, "the docs no longer run T2-F1 / T1.a at 300 samples: pick other statements"
    out = tmp_path / "report.json"
    result = _run(
        [
            "verify",
            *ids,
            "--seed",
            str(committed["seed"]),
            "--samples",
            "300",
            "--no-db",
            "--json",
            str(out),
            "--quiet",
        ],
        {},
        tmp_path,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    fresh = json.loads(out.read_text(encoding="utf-8"))
    for entry in fresh["statements"]:
        mine = json.dumps(without_machine_dependent(entry), indent=1, sort_keys=True).splitlines()
        theirs = json.dumps(by_id[entry["id"]], indent=1, sort_keys=True).splitlines()
        diff = first_difference(theirs, mine)
        assert diff is None, f"docs/report.json, {entry['id']}: first difference {diff}"
