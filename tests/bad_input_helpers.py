"""Run the ``proofs-check`` entry point in-process (as the console script does: ``main()``), and
write small conjecture files; shared by the bad-input and fuzz tests."""

from __future__ import annotations

import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from proofs_check.cli import main

HEADER = textwrap.dedent(
    """
    import sympy as sp
    from proofs_check.conjecture import Conjecture, attention_instances
    from proofs_check.observables.attention import attention
    q = sp.Symbol("q")

    def top(inst, ops):
        A = attention(ops, inst["X"], inst["W"])
        return {"q": ops.max(A, axis=-1)}
    """
)

FAST = ("--samples", "12", "--no-adversary")
MID = ("--samples", "60", "--no-adversary")  # enough for T1-F4 to be refuted by its random phase


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return [ln for ln in self.err.splitlines() if ln.strip()]

    def one_error_line(self, needle: str) -> str:
        """The run printed exactly one ``proofs-check: error:`` line, containing ``needle``."""
        errors = [ln for ln in self.err_lines if ln.startswith("proofs-check: error:")]
        assert len(errors) == 1, self.err
        assert needle in errors[0], errors[0]
        assert "Traceback" not in self.err + self.out
        return errors[0]


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    """``proofs-check ARGS`` in this process: exit status, stdout, stderr."""
    capsys.readouterr()
    argv = sys.argv
    sys.argv = ["proofs-check", *args]
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv = argv
    out, err = capsys.readouterr()
    return Result(code, out, err)


def conjecture_file(folder: Path, body: str, name: str = "conj.py") -> str:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(HEADER + textwrap.dedent(body))
    return str(path)
