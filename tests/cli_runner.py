"""Run ``python -m proofs_check`` in a subprocess, as a user would (shared by the CLI tests)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def sigint_as_at_a_terminal() -> Iterator[None]:
    """Children started inside the block get SIGINT's default action, as at a terminal, even when
    this suite runs with SIGINT ignored (started with ``&`` from a script). An ignored signal stays
    ignored across ``exec``, a handled one does not; so while the block runs, this process handles
    SIGINT (Python's own handler) instead of ignoring it. Set in the parent, not in a
    ``preexec_fn``: that would run Python in a forked child of a multithreaded process."""
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        yield
        return
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


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
