r"""The counterexample database: every certified counterexample, one JSON file each.

Layout: ``DIR/<statement id>-<digest>.json`` (default ``DIR = .proofs-check/counterexamples`` in the
working directory). The digest is a hash of (statement id, instance, case), so saving the same
counterexample twice writes the same file once. Each file is written to a temporary file in ``DIR``
and renamed over its final name (``os.replace`` is atomic): a run interrupted at any point leaves
every file either absent or complete, and nothing saved earlier is touched.

Instances are stored exactly: floats and Fractions as rational strings ``"p/q"`` (a float is a
dyadic rational, so nothing is lost), integers as integers. ``verify`` and ``search`` replay the
saved counterexamples of a statement first; ``proofs-check replay FILE`` re-checks one. A file that
cannot be read (truncated, not JSON, missing fields) is skipped with a one-line warning.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from proofs_check.atomic import write_json_atomic

FORMAT = "proofs-check counterexample"
VERSION = 1
DEFAULT_DIR = Path(".proofs-check") / "counterexamples"

Warn = Callable[[str], None]


def _stderr_warning(message: str) -> None:
    print(f"proofs-check: warning: {message}", file=sys.stderr)


class CorruptEntry(Exception):
    """A database file that is not a readable counterexample."""


@dataclass(frozen=True)
class Entry:
    """One saved counterexample."""

    path: Path
    statement_id: str
    instance: dict[str, Any]  # exact: Fraction object arrays, integer arrays
    case: int
    certificate: dict[str, Any]
    found_by: str
    seed: int | None


# ----------------------------------------------------------------------------------------------
# Encoding instances exactly
# ----------------------------------------------------------------------------------------------


def exact_array(value: Any) -> np.ndarray:
    """``value`` as exact numbers: floats as the Fractions they are (a float is a dyadic
    rational), rational strings ``"p/q"`` parsed; anything else (ints, bools, ``"any"``) unchanged."""
    arr = np.asarray(value)
    if arr.dtype.kind == "f":
        return np.vectorize(Fraction, otypes=[object])(arr)
    if arr.dtype.kind in "US":
        out = np.empty(arr.shape, dtype=object)
        for idx in np.ndindex(arr.shape):
            try:
                out[idx] = Fraction(str(arr[idx]))
            except ValueError:
                return arr
        return out
    return arr


def encode_instance(instance: dict[str, Any]) -> dict[str, Any]:
    """JSON-ready exact form: ``{"kind": "rational"|"int"|"bool", "shape": [...], "values": [...]}``."""
    out = {}
    for name, value in instance.items():
        arr = np.asarray(value)
        if arr.dtype == object or arr.dtype.kind == "f":
            values = [str(Fraction(v) if not isinstance(v, Fraction) else v) for v in arr.flat]
            kind = "rational"
        elif arr.dtype.kind == "b":
            values, kind = [bool(v) for v in arr.flat], "bool"
        elif arr.dtype.kind in "iu":
            values, kind = [int(v) for v in arr.flat], "int"
        else:
            values, kind = [str(v) for v in arr.flat], "str"
        out[name] = {"kind": kind, "shape": list(arr.shape), "values": values}
    return out


def decode_instance(encoded: dict[str, Any]) -> dict[str, Any]:
    """Inverse of :func:`encode_instance` (raises :class:`CorruptEntry` on malformed data)."""
    if not isinstance(encoded, dict):
        raise CorruptEntry("instance is not an object")
    out = {}
    for name, item in encoded.items():
        try:
            kind, shape, values = item["kind"], tuple(item["shape"]), list(item["values"])
            size = int(np.prod(shape)) if shape else 1
            if len(values) != size:
                raise CorruptEntry(f"field {name!r}: {len(values)} values for shape {shape}")
            if kind == "rational":
                arr = np.empty(size, dtype=object)
                for k, v in enumerate(values):
                    arr[k] = Fraction(str(v))
            elif kind == "int":
                arr = np.asarray([int(v) for v in values], dtype=np.int64)
            elif kind == "bool":
                arr = np.asarray([bool(v) for v in values], dtype=bool)
            elif kind == "str":
                arr = np.asarray([str(v) for v in values])
            else:
                raise CorruptEntry(f"field {name!r}: unknown kind {kind!r}")
            out[name] = arr.reshape(shape)
        except (KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
            raise CorruptEntry(f"field {name!r}: {type(exc).__name__}: {exc}") from None
    return out


def _digest(statement_id: str, encoded: dict[str, Any], case: int) -> str:
    blob = json.dumps([statement_id, encoded, case], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _slug(statement_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", statement_id)[:80]


# ----------------------------------------------------------------------------------------------
# The database
# ----------------------------------------------------------------------------------------------


class CounterexampleDB:
    """A directory of counterexample files (created on first save)."""

    def __init__(self, directory: Path | str = DEFAULT_DIR, warn: Warn = _stderr_warning) -> None:
        self.directory = Path(directory)
        self.warn = warn

    def save(
        self,
        statement_id: str,
        instance: dict[str, Any],
        case: int,
        certificate: dict[str, Any],
        found_by: str,
        seed: int | None = None,
    ) -> Path:
        """Write one counterexample atomically; returns its path (unchanged if already saved)."""
        encoded = encode_instance(instance)
        path = self.directory / f"{_slug(statement_id)}-{_digest(statement_id, encoded, case)}.json"
        if path.exists():
            return path
        payload = {
            "format": FORMAT,
            "version": VERSION,
            "statement_id": statement_id,
            "case": int(case),
            "instance": encoded,
            "certificate": certificate,
            "found_by": found_by,
            "seed": seed,
        }
        write_json_atomic(path, payload, indent=1)
        return path

    def paths(self) -> list[Path]:
        if not self.directory.is_dir():
            return []
        return sorted(p for p in self.directory.glob("*.json") if p.is_file())

    def entries(self, statement_id: str | None = None) -> Iterator[Entry]:
        """Every readable entry (of one statement, if given); corrupt files are warned about."""
        for path in self.paths():
            if statement_id is not None and not path.name.startswith(_slug(statement_id) + "-"):
                continue
            try:
                entry = load_entry(path)
            except CorruptEntry as exc:
                self.warn(f"skipping corrupt counterexample file {path}: {exc}")
                continue
            if statement_id is None or entry.statement_id == statement_id:
                yield entry


def load_entry(path: Path | str) -> Entry:
    """Read one file (raises :class:`CorruptEntry` with a one-line reason if it is unusable)."""
    path = Path(path)
    try:
        payload = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError) as exc:
        raise CorruptEntry(f"cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise CorruptEntry(f"not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CorruptEntry("not a proofs-check counterexample file")
    try:
        statement_id = str(payload["statement_id"])
        case = int(payload["case"])
        instance = decode_instance(payload["instance"])
        certificate = dict(payload.get("certificate") or {})
    except (KeyError, TypeError, ValueError) as exc:
        raise CorruptEntry(f"missing or malformed field: {exc}") from None
    seed = payload.get("seed")
    return Entry(
        path,
        statement_id,
        instance,
        case,
        certificate,
        str(payload.get("found_by", "")),
        int(seed) if isinstance(seed, int) else None,
    )
