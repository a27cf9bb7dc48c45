"""Run ``python -m proofs_check`` in a subprocess, as a user would (shared by the CLI tests)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def sigint_as_at_a_terminal() -> None:
    """``preexec_fn`` of a child that the tests press Ctrl-C in: SIGINT back to its default, since
    a suite started with ``&`` from a script runs with SIGINT ignored and children inherit that."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_cli(
    *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """``args`` run as ``python -m proofs_check``; ``env`` entries are added to the environment."""
    full_env = {**os.environ, "PYTHONWARNINGS": "ignore", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "proofs_check", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
    )
