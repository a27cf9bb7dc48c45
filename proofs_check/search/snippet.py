"""A certified counterexample as a snippet to paste into a test."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np


def _entry(v: Any) -> str:
    q = v if isinstance(v, Fraction) else Fraction(v)
    return f"F({q.numerator})" if q.denominator == 1 else f"F({q.numerator}, {q.denominator})"


def _nested(arr: Any) -> str:
    if not isinstance(arr, np.ndarray):
        return _entry(arr)
    if arr.ndim == 0:
        return _entry(arr[()])
    return "[" + ", ".join(_nested(arr[k]) for k in range(arr.shape[0])) + "]"


def _field(value: Any) -> str:
    arr = np.asarray(value)
    if arr.dtype == object or arr.dtype.kind == "f":
        return f"np.array({_nested(arr)}, dtype=object)"
    if arr.dtype.kind == "b":
        return f"np.array({arr.tolist()!r}, dtype=bool)"
    if arr.dtype.kind in "iu":
        return f"np.int64({int(arr)})" if arr.ndim == 0 else f"np.array({arr.tolist()!r})"
    return repr(arr.tolist())


def snippet(
    statement_id: str, instance: dict[str, Any], case: int, summary: str, source: str | None = None
) -> str:
    """Python source that rebuilds the exact instance and asserts its certificate.

    ``source`` (``FILE.py::NAME``) marks a user conjecture: the snippet loads it from that file.
    """
    fields = "\n".join(f"    {name!r}: {_field(v)}," for name, v in instance.items())
    if source is None:
        head = "from proofs_check.search import certify_instance\n\n"
        check = f"assert certify_instance({statement_id!r}, instance, case={case}).certified\n"
    else:
        head = "from proofs_check.conjecture import load_conjectures\n\n"
        check = (
            f"check = load_conjectures({source!r})[0]\n"
            f"assert check.certify(instance, case={case}).certified\n"
        )
    return (
        f"# {statement_id}: {summary}\n"
        "from fractions import Fraction as F\n\n"
        "import numpy as np\n\n"
        f"{head}"
        f"instance = {{\n{fields}\n}}\n"
        f"{check}"
    )
