r"""Throughput of the batched JAX check against a plain NumPy loop of the same check.

The check is T1.a's (scores ``X W X^T``, softmax, the sink margins, the log-odds, the SymPy
relations compiled), at ``n = d`` in {8, 32, 64, 128}:

* **JAX batched** -- ``RelationCheck.evaluate`` on a batch (jit + vmap, float64), as the random phase
  runs it, compilation excluded (reported apart); also the compiled kernel alone;
* **NumPy loop** -- the same observables and relations, instance by instance, in NumPy float64
  (``proofs_check.search.numeric.float_oracle``).

Instances per second, their ratio, and GFLOP/s counted as ``2nd^2 + 2n^2 d + 12 n^2`` per instance
(the two matmuls, plus softmax and margins), against the peak of a NumPy float64 matmul measured in
the same run.

The ratio ceiling is ``peak / (loop GFLOP/s)``: no implementation of the same arithmetic runs faster
than the machine's matmul peak. The **small-GEMM rate** columns bound the kernel more tightly: the
check's two products alone (``X W`` then ``(X W) X^T``, one pair per instance, the same batch),
batched through XLA (``jit(vmap(...))``, what the kernel runs) and through NumPy's ``matmul`` on
stacked matrices (OpenBLAS, one small GEMM per instance), in % of the peak. The kernel does those
products and more (softmax, log-sum-exp, margins), so its share of the peak cannot exceed theirs.

Usage: ``.venv/bin/python benchmarks/throughput.py [--runs 3]`` (each cell: the median of the runs).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import time

import jax
import numpy as np

from proofs_check.checks import registry
from proofs_check.checks.engine import _take
from proofs_check.instances import rng_for
from proofs_check.search.numeric import float_oracle

SIZES = (8, 32, 64, 128)
BATCH = {8: 16384, 32: 4096, 64: 1024, 128: 256}
LOOP = {8: 2000, 32: 1000, 64: 300, 128: 100}


def flops(n: int, d: int) -> float:
    return 2 * n * d * d + 2 * n * n * d + 12 * n * n


def best_of(fn, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def matmul_peak() -> float:
    a = np.random.default_rng(0).standard_normal((2048, 2048))
    seconds = best_of(lambda: a @ a)
    return 2 * 2048**3 / seconds / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs; each cell is their median")
    runs = parser.parse_args().runs
    base = registry()["T1.a"]
    print(f"{os.cpu_count()} CPUs, {jax.device_count()} JAX device(s); median of {runs} run(s)")
    cells: dict[int, list[dict[str, float]]] = {n: [] for n in SIZES}
    for r in range(runs):
        load = os.getloadavg()[0]
        peak = matmul_peak()
        print(
            f"run {r + 1}: load average {load:.1f}, NumPy float64 matmul peak (2048^2) {peak:.1f} GFLOP/s"
        )
        for n in SIZES:
            cells[n].append(measure(base, n, peak))
    head = (
        "n = d | compile s | JAX batched inst/s | kernel inst/s | NumPy loop inst/s | ratio | "
        "ratio (kernel) | GFLOP/s (batched, kernel, loop) | % of peak (kernel) | ratio ceiling | "
        "small-GEMM rate, % of peak (XLA, NumPy)"
    )
    print(head)
    print(" | ".join("---" for _ in head.split(" | ")))
    for n in SIZES:
        m = {k: statistics.median(c[k] for c in cells[n]) for k in cells[n][0]}
        print(
            f"{n} | {m['compile_s']:.2f} | {m['batched']:,.0f} | {m['kernel']:,.0f} | "
            f"{m['loop']:,.0f} | {m['ratio']:.1f}x | {m['ratio_kernel']:.1f}x | "
            f"{m['gf_batched']:.2f}, {m['gf_kernel']:.2f}, {m['gf_loop']:.2f} | "
            f"{m['pct_kernel']:.0f}% | {m['ceiling']:.0f}x | {m['pct_xla']:.0f}%, {m['pct_blas']:.0f}%"
        )


def measure(base, n: int, peak: float) -> dict[str, float]:
    check = dataclasses.replace(base)  # fresh: compiles here
    batch = check.sample(rng_for(0, "throughput", n), n, n, BATCH[n])
    t0 = time.perf_counter()
    check.evaluate(batch)
    compile_s = time.perf_counter() - t0
    batched = BATCH[n] / best_of(lambda: check.evaluate(batch))
    device = {k: jax.numpy.asarray(v) for k, v in batch.items()}
    kernel = BATCH[n] / best_of(lambda: jax.block_until_ready(check._compiled_evaluate(device)))
    instances = [_take(batch, b) for b in range(LOOP[n])]
    float_oracle(check, instances[0])
    loop = LOOP[n] / best_of(lambda: [float_oracle(check, inst) for inst in instances], 1)
    gflop = flops(n, n) / 1e9
    xla, blas = products_rate(batch["X"], batch["W"])
    return {
        "compile_s": compile_s,
        "batched": batched,
        "kernel": kernel,
        "loop": loop,
        "ratio": batched / loop,
        "ratio_kernel": kernel / loop,
        "gf_batched": batched * gflop,
        "gf_kernel": kernel * gflop,
        "gf_loop": loop * gflop,
        "pct_kernel": 100 * kernel * gflop / peak,
        "ceiling": peak / (loop * gflop),
        "pct_xla": 100 * xla / peak,
        "pct_blas": 100 * blas / peak,
    }


def products_rate(X: np.ndarray, W: np.ndarray) -> tuple[float, float]:
    """GFLOP/s of the check's two products alone over the batch: XLA (jit + vmap), NumPy."""
    n, d = X.shape[1], X.shape[2]
    work = X.shape[0] * (2 * n * d * d + 2 * n * n * d) / 1e9
    products = jax.jit(jax.vmap(lambda x, w: (x @ w) @ x.T))
    Xd, Wd = jax.numpy.asarray(X), jax.numpy.asarray(W)
    jax.block_until_ready(products(Xd, Wd))
    xla = work / best_of(lambda: jax.block_until_ready(products(Xd, Wd)))
    blas = work / best_of(lambda: np.matmul(np.matmul(X, W), np.swapaxes(X, 1, 2)))
    return xla, blas


if __name__ == "__main__":
    main()
