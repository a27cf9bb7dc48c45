"""Restarts shard across every visible JAX device with results identical to one device.

``--xla_force_host_platform_device_count`` must be set before JAX is imported, so each run is a
fresh interpreter. 60 restarts are not a multiple of the block size: padding is exercised too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_RUN = """
import json
import jax
import numpy as np
from proofs_check.checks import registry
from proofs_check.search import sharding
from proofs_check.search.adversary import Adversary, AdversaryConfig, relation_check_of

out = {"devices": jax.device_count()}
for sid in ("T1-F2",):
    check = relation_check_of(registry()[sid])
    adversary = Adversary(check, AdversaryConfig(restarts=60, steps=8))
    result = adversary.run(seed=5, shape=(4, 3))
    out[sid] = {
        "violation": result.violation.tolist(),
        "tightest": result.tightest.tolist(),
        "X": np.asarray(result.instances["X"]).tolist(),
    }
padded = sharding.padded_size(60)
blocks = sharding.split_blocks({"t": np.zeros((padded, 3))}, padded // sharding.BLOCK)
out["blocks_on"] = sorted({b["t"].devices().pop().id for b in blocks})
out["padded"] = padded
print("RESULT" + json.dumps(out))
"""


def _start(devices: int) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "JAX_PLATFORMS": "cpu"}
    env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={devices}"
    return subprocess.Popen(
        [sys.executable, "-c", _RUN],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _result(proc: subprocess.Popen[str]) -> dict:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    line = next(ln for ln in out.splitlines() if ln.startswith("RESULT"))
    return json.loads(line[len("RESULT") :])


def test_four_devices_give_the_same_results_as_one():
    runs = _start(1), _start(4)  # concurrently: each pays its own compilation
    one, four = (_result(p) for p in runs)
    assert one["devices"] == 1 and four["devices"] == 4
    assert one["padded"] == four["padded"] == 64  # 60 restarts: four blocks of 16
    assert one["blocks_on"] == [0] and four["blocks_on"] == [0, 1, 2, 3]  # a block per device
    for sid in ("T1-F2",):
        assert one[sid] == four[sid], sid  # bit-for-bit: every restart computes alone
    assert any(v is not None and v < 0 for v in one["T1-F2"]["violation"])  # the control is hit
