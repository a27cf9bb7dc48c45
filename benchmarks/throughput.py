r"""Throughput of the batched JAX check against a plain NumPy loop of the same check.

The check is T1.a's (scores ``X W X^T``, softmax, the sink margins, the log-odds, the SymPy
relations compiled), at ``n = d`` in {8, 32, 64}:

* **JAX batched** -- ``RelationCheck.evaluate`` on a batch (jit + vmap, float64), as the random phase
  runs it, compilation excluded (reported apart); also the compiled kernel alone;
* **NumPy loop** -- the same observables and relations, instance by instance, in NumPy float64
  (``proofs_check.search.numeric.float_oracle``).

Instances per second, their ratio, and GFLOP/s counted as ``2nd^2 + 2n^2 d + 12 n^2`` per instance
(the two matmuls, plus softmax and margins), against the peak of a NumPy float64 matmul measured in
the same run.

The last column is the **ceiling** of the ratio on this machine: the loop already computes at some
GFLOP/s, and no implementation of the same arithmetic runs faster than the machine's matmul peak,
so no batching can beat the loop by more than ``peak / (loop GFLOP/s)``. Where the target ratio is
above the ceiling, it cannot be met on this hardware by any code.

Usage: ``.venv/bin/python benchmarks/throughput.py``.
"""

from __future__ import annotations

import dataclasses
import os
import time

import jax
import numpy as np

from proofs_check.checks import registry
from proofs_check.checks.engine import _take
from proofs_check.instances import rng_for
from proofs_check.search.numeric import float_oracle

SIZES = (8, 32, 64)
BATCH = {8: 16384, 32: 4096, 64: 1024}
LOOP = {8: 2000, 32: 1000, 64: 300}


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
    base = registry()["T1.a"]
    peak = matmul_peak()
    print(
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs, {jax.device_count()} JAX device(s)"
    )
    print(f"NumPy float64 matmul peak (2048^2): {peak:.1f} GFLOP/s")
    head = (
        "n = d | compile s | JAX batched inst/s | kernel inst/s | NumPy loop inst/s | ratio | "
        "ratio (kernel) | GFLOP/s (batched, kernel, loop) | % of peak (kernel) | ratio ceiling"
    )
    print(head)
    print(" | ".join("---" for _ in head.split(" | ")))
    for n in SIZES:
        print(measure(base, n, peak))


def measure(base, n: int, peak: float) -> str:
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
    f = flops(n, n)
    return (
        f"{n} | {compile_s:.2f} | {batched:,.0f} | {kernel:,.0f} | {loop:,.0f} | "
        f"{batched / loop:.1f}x | {kernel / loop:.1f}x | "
        f"{batched * f / 1e9:.2f}, {kernel * f / 1e9:.2f}, {loop * f / 1e9:.2f} | "
        f"{100 * kernel * f / 1e9 / peak:.0f}% | {peak / (loop * f / 1e9):.0f}x"
    )


if __name__ == "__main__":
    main()
