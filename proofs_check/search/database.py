r"""The counterexample database: every certified counterexample, one JSON file each.

Layout: ``DIR/<statement id>-<digest>.json`` (default ``DIR = .proofs-check/counterexamples`` in the
working directory). The digest is a hash of (statement id, instance, case), so saving the same
counterexample twice writes the same file once. Each file is written to a temporary file in ``DIR``
and renamed over its final name (``os.replace`` is atomic): a run interrupted at any point leaves
every file either absent or complete, and nothing saved earlier is touched.

Instances are stored exactly: floats and Fractions as rational strings ``"p/q"`` (a float is a
dyadic rational, so nothing is lost), integers as integers. ``verify`` and ``search`` replay the
saved counterexamples of a statement first; ``proofs-check replay FILE`` re-checks one.

The database is a cache, never a point of failure: a file that cannot be read or fails the schema
(:func:`check_payload`: field types, ranges, sizes, at most :data:`MAX_DEPTH` levels of nesting, at
most :data:`MAX_BYTES`) is skipped with a one-line warning; a directory that cannot be written is one
warning, and the run goes on without saving. An entry of a user conjecture records where the
conjecture came from (``source``: ``ABSOLUTE_PATH::NAME``), so that ``replay`` can load it again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sys
import tempfile
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
MAX_BYTES = 64 * 1024 * 1024  # a counterexample file larger than this is not read
MAX_DEPTH = 16  # nesting of JSON arrays/objects (an entry needs 5)
MAX_VALUES = 1_000_000  # entries of one instance field
MAX_RATIONAL_CHARS = 20_000  # characters of one "p/q"
INT64 = (-(2**63), 2**63 - 1)
KINDS = ("rational", "int", "bool", "str")

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
    source: str | None = None  # ABSOLUTE_PATH::NAME of a user conjecture


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
    """Inverse of :func:`encode_instance` (raises :class:`CorruptEntry` on malformed data: a field
    that is not ``{"kind", "shape", "values"}``, a shape that is not a list of positive integers,
    a value count that does not match, values of the wrong type or out of range)."""
    if not isinstance(encoded, dict) or not encoded:
        raise CorruptEntry("instance is not a non-empty object")
    out = {}
    for name, item in encoded.items():
        out[name] = _decode_field(name, item)
    return out


def _decode_field(name: str, item: Any) -> np.ndarray:
    where = f"field {name!r}"
    if not isinstance(item, dict) or not {"kind", "shape", "values"} <= set(item):
        raise CorruptEntry(f"{where}: expected an object with kind, shape and values")
    kind, shape, values = item["kind"], item["shape"], item["values"]
    if kind not in KINDS:
        raise CorruptEntry(f"{where}: unknown kind {kind!r} (expected one of {', '.join(KINDS)})")
    if (
        not isinstance(shape, list)
        or len(shape) > 8
        or not all(_is_int(k) and 1 <= k <= MAX_VALUES for k in shape)
    ):
        raise CorruptEntry(
            f"{where}: shape {shape!r:.40} is not a list of at most 8 positive integers"
            + (" (an empty array)" if isinstance(shape, list) and 0 in shape else "")
        )
    size = 1
    for k in shape:
        size *= k
    if size > MAX_VALUES:
        raise CorruptEntry(f"{where}: {size} values (at most {MAX_VALUES})")
    if not isinstance(values, list) or len(values) != size:
        count = len(values) if isinstance(values, list) else "no list of"
        raise CorruptEntry(f"{where}: {count} values for shape {tuple(shape)}")
    try:
        arr = _decode_values(kind, values)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError) as exc:
        raise CorruptEntry(f"{where}: {type(exc).__name__}: {exc}") from None
    return arr.reshape(tuple(shape))


def _decode_values(kind: str, values: list[Any]) -> np.ndarray:
    if kind == "rational":
        arr = np.empty(len(values), dtype=object)
        for k, v in enumerate(values):
            if _is_int(v) or (isinstance(v, str) and len(v) <= MAX_RATIONAL_CHARS):
                arr[k] = Fraction(v)
            else:
                raise ValueError(f"value {k} is not a rational string 'p/q'")
        return arr
    if kind == "int":
        if not all(_is_int(v) and INT64[0] <= v <= INT64[1] for v in values):
            raise ValueError("values must be integers within int64")
        return np.asarray(values, dtype=np.int64)
    if kind == "bool":
        if not all(isinstance(v, bool) for v in values):
            raise ValueError("values must be true or false")
        return np.asarray(values, dtype=bool)
    if not all(isinstance(v, str) for v in values):
        raise ValueError("values must be strings")
    return np.asarray(values, dtype=str)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


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
        self.writable = True  # set to False (with one warning) once the directory cannot be written
        self.sources: dict[str, str] = {}  # statement id -> ABSOLUTE_PATH::NAME (user conjectures)

    def check_writable(self) -> bool:
        """Probe the directory (creating it if need be) before any work starts; one warning and
        no saving if it cannot be written. Creates nothing that was not there before."""
        problem = writable_dir_problem(self.directory)
        if problem is not None:
            self._disable(problem)
        return self.writable

    def _disable(self, reason: str) -> None:
        if self.writable:
            self.warn(
                f"cannot write the counterexample database {self.directory} ({reason}); "
                "counterexamples found in this run are reported but not saved"
            )
        self.writable = False

    def save(
        self,
        statement_id: str,
        instance: dict[str, Any],
        case: int,
        certificate: dict[str, Any],
        found_by: str,
        seed: int | None = None,
    ) -> Path | None:
        """Write one counterexample atomically; returns its path (unchanged if already saved), or
        ``None`` (after one warning) when the directory cannot be written."""
        if not self.writable:
            return None
        encoded = encode_instance(instance)
        path = self.directory / f"{_slug(statement_id)}-{_digest(statement_id, encoded, case)}.json"
        with contextlib.suppress(OSError):
            if path.is_file():
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
        if statement_id in self.sources:
            payload["source"] = self.sources[statement_id]
        try:
            write_json_atomic(path, payload, indent=1)
        except OSError as exc:
            self._disable(exc.strerror or str(exc))
            return None
        return path

    def paths(self) -> list[Path]:
        try:
            if not self.directory.is_dir():
                return []
            return sorted(p for p in self.directory.glob("*.json") if p.is_file())
        except OSError as exc:
            self.warn(f"cannot list the counterexample database {self.directory}: {exc}")
            return []

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


def writable_dir_problem(directory: Path) -> str | None:
    """Why files cannot be written in ``directory`` (created, with its parents, if missing, and
    removed again if it was), or ``None`` if they can."""
    directory = Path(directory)
    created = []
    try:
        missing = directory
        while not missing.exists():
            created.append(missing)
            if missing.parent == missing:
                break
            missing = missing.parent
        if missing.exists() and not missing.is_dir():
            return f"{missing} is not a directory"
        for folder in reversed(created):
            folder.mkdir()
        fd, tmp = tempfile.mkstemp(prefix=".probe.", dir=directory)
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        return exc.strerror or str(exc)
    finally:
        for folder in created:
            with contextlib.suppress(OSError):
                folder.rmdir()
    return None


def load_entry(path: Path | str) -> Entry:
    """Read one file (raises :class:`CorruptEntry` with a one-line reason if it is unusable; never
    anything else)."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise CorruptEntry(f"larger than {MAX_BYTES} bytes")
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CorruptEntry(f"cannot read: {exc}") from None
    return parse_entry(text, path)


def parse_entry(text: str, path: Path | str = "<text>") -> Entry:
    """An entry from the text of a file (see :func:`load_entry`)."""
    if _nesting(text) > MAX_DEPTH:
        raise CorruptEntry(f"nested deeper than {MAX_DEPTH} levels")
    try:
        payload = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise CorruptEntry(f"not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except (ValueError, RecursionError) as exc:
        raise CorruptEntry(f"not valid JSON ({exc})") from None
    return check_payload(payload, Path(path))


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _nesting(text: str) -> int:
    """The deepest nesting of arrays and objects (brackets inside strings are not counted)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def check_payload(payload: Any, path: Path) -> Entry:
    """The schema of a counterexample file, field by field (:class:`CorruptEntry` names the first
    field that is missing, of the wrong type, or out of range)."""
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CorruptEntry("not a proofs-check counterexample file")
    version = payload.get("version", VERSION)
    if version != VERSION or not _is_int(version):
        raise CorruptEntry(f"unknown version {version!r} (this tool reads version {VERSION})")
    for key in ("statement_id", "case", "instance"):
        if key not in payload:
            raise CorruptEntry(f"missing field {key!r}")
    statement_id, case = payload["statement_id"], payload["case"]
    if not isinstance(statement_id, str) or not statement_id or len(statement_id) > 1000:
        raise CorruptEntry("field 'statement_id' must be a non-empty string")
    if not _is_int(case) or not 0 <= case < 2**31:
        raise CorruptEntry(f"field 'case' must be an integer in [0, 2^31), not {case!r}")
    instance = decode_instance(payload["instance"])
    certificate = payload.get("certificate")
    if certificate is not None and not isinstance(certificate, dict):
        raise CorruptEntry("field 'certificate' must be an object")
    found_by, seed, source = payload.get("found_by", ""), payload.get("seed"), payload.get("source")
    if not isinstance(found_by, str):
        raise CorruptEntry("field 'found_by' must be a string")
    if seed is not None and not _is_int(seed):
        raise CorruptEntry("field 'seed' must be an integer or null")
    if source is not None and (not isinstance(source, str) or ".py::" not in source):
        raise CorruptEntry("field 'source' must be a string FILE.py::NAME or null")
    return Entry(
        path, statement_id, instance, case, dict(certificate or {}), found_by, seed, source
    )
