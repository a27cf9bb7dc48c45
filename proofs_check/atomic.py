"""Files written atomically: a temporary file beside the target, flushed to disk, then renamed over
it (``os.replace`` is atomic), so a run interrupted at any point leaves the old file or the new one,
never half of one. Every file the tool writes (reports, counterexamples, docs, the empirical
summary) goes through here."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _umask() -> int:
    """The process's umask (read by setting it and putting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_text_atomic(path: Path | str, text: str) -> Path:
    """Write ``text`` (UTF-8, ``\\n`` line ends) to ``path`` atomically; return the path."""
    return write_bytes_atomic(path, text.encode("utf-8"))


def write_json_atomic(
    path: Path | str,
    payload: Any,
    *,
    indent: int = 2,
    default: Callable[[Any], Any] | None = None,
    allow_nan: bool = True,
    ensure_ascii: bool = True,
) -> Path:
    """``payload`` as JSON (sorted keys, a final newline) written atomically; return the path."""
    text = json.dumps(
        payload,
        indent=indent,
        sort_keys=True,
        default=default,
        allow_nan=allow_nan,
        ensure_ascii=ensure_ascii,
    )
    return write_text_atomic(path, text + "\n")


def write_bytes_atomic(path: Path | str, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
