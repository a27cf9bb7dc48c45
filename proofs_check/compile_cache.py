r"""JAX's persistent compilation cache for the command line: compiled XLA programs kept between runs.

A statement's check compiles one program per shape; a warm cache loads them instead of rebuilding
them, which changes no number (the same program runs), only the time. The cache lives in the
user's cache directory (``$XDG_CACHE_HOME/proofs-check/jax``, else ``~/.cache/proofs-check/jax``),
or where ``PROOFS_CHECK_JAX_CACHE`` says (empty: off).

Safety. JAX's cache with a size limit (``jax_compilation_cache_max_size``, least recently used
entries evicted) serialises reads and writes through a file lock (``filelock``), so concurrent runs
share it; an entry that cannot be read (a truncated file) is reported by JAX as a warning and the
program is compiled again -- a corrupt cache costs time, never a wrong answer. Programs with host
callbacks (solver-defined observables) are never cached by JAX.

The library never turns this on by itself (no hidden global state): the CLI calls :func:`enable`.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

MAX_BYTES = 256 * 2**20
ENV = "PROOFS_CHECK_JAX_CACHE"


def cache_dir() -> Path | None:
    """The cache directory (``None``: switched off by an empty ``PROOFS_CHECK_JAX_CACHE``)."""
    configured = os.environ.get(ENV)
    if configured is not None:
        return Path(configured) if configured else None
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "proofs-check" / "jax"


def enable(directory: Path | str | None = None) -> Path | None:
    """Point JAX at the persistent cache (``directory``, else :func:`cache_dir`); returns it, or
    ``None`` when it is off or its directory cannot be created (a run never fails for its cache)."""
    path = Path(directory) if directory is not None else cache_dir()
    if path is None:
        return None
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    import jax

    jax.config.update("jax_compilation_cache_dir", str(path))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    jax.config.update("jax_compilation_cache_max_size", MAX_BYTES)
    # a corrupt entry is recompiled; say so once per run, not per program
    warnings.filterwarnings("once", message="Error reading persistent compilation cache")
    return path
