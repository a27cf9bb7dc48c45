"""``--profile``'s phases: a solver called from one of XLA's threads (a host callback) counts under
``solvers`` and is taken from the phase that waited for it."""

from __future__ import annotations

import threading
import time

import jax
import jax.numpy as jnp
import numpy as np

from proofs_check.profile import phase, profiling


def test_a_phase_on_another_thread_counts_and_leaves_the_waiting_phase() -> None:
    def solve() -> None:
        with phase("solvers"), phase("solvers"):  # nested on one thread: its time counted once
            time.sleep(0.05)

    with profiling() as prof, phase("evaluation"):
        started = time.perf_counter()
        worker = threading.Thread(target=solve)
        worker.start()
        worker.join()
        waited = time.perf_counter() - started
    assert prof.calls["solvers"] == 2
    assert 0.05 <= prof.seconds["solvers"] <= waited
    assert prof.seconds["evaluation"] < 0.04  # the wait for the solver was taken out of it
    with phase("solvers"):  # outside any profile: nothing is charged
        pass
    assert prof.calls["solvers"] == 2


def test_every_host_callback_counts_under_solvers_whichever_thread_xla_uses() -> None:
    calls: list[str] = []

    def host(x: np.ndarray) -> np.ndarray:
        with phase("solvers"):
            calls.append(threading.current_thread().name)
            return np.asarray(np.sum(x), dtype=np.float64)

    def one(a: jax.Array) -> jax.Array:
        b = jnp.tanh(a @ a.T)
        out = jax.ShapeDtypeStruct((), jnp.float64)
        return jax.pure_callback(host, out, b, vmap_method="sequential") + jnp.sum(b)

    run = jax.jit(jax.vmap(one))
    batch = jnp.ones((256, 32, 32), dtype=jnp.float64)
    with profiling() as prof:
        for _ in range(3):
            with phase("evaluation"):
                run(batch).block_until_ready()
    assert len(calls) == 3 * 256
    assert prof.calls["solvers"] == len(calls)
    assert prof.calls["evaluation"] == 3
