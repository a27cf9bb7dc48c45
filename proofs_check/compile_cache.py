r"""Compiled programs kept between runs: the program store.

A statement's check compiles one XLA program per shape (its adversary one per shape and chunk
length, the search's JAX oracle one per shape); keeping them changes no number (the same program
runs), only the time. The store lives in the user's cache directory
(``$XDG_CACHE_HOME/proofs-check/programs``, else ``~/.cache/proofs-check/programs``, or where
``PROOFS_CHECK_JAX_CACHE`` says; empty: off). :func:`compiled` names each program by one of two keys:

* **where it comes from**, for a program made from this package's code alone (a built-in
  statement's check, :func:`builtin_program`): the fingerprint of this package's source (every
  ``.py`` file of ``proofs_check`` and ``theory``), the program's name (statement id, role) and its
  arguments' tree, shapes and dtypes. A hit skips tracing the Python code and lowering it as well
  as compiling (a load takes 0.02-0.05 s; tracing and lowering alone took 0.2-0.7 s a program);
* **its lowered text** (StableHLO) for any other program (a user's conjecture, a mutant, a benchmark
  target): a hit skips XLA's compilation only, as JAX's own persistent cache would.

Both keys also name the machine and the switches: the versions of Python, JAX, jaxlib, NumPy, SymPy
and optax, the CPU (model and feature flags), the devices, JAX's 64-bit switch, ``XLA_FLAGS`` and
the perturbation switch (:mod:`proofs_check.perturb`). A program with host callbacks
(solver-defined observables) cannot be serialised and is compiled every time.

Why not JAX's persistent cache: an executable that JAX had loaded from its cache, serialised again,
fails when run in another process (jaxlib 0.10.2: ``NOT_FOUND: Function multiply_reduce_fusion
not found``), so the two caches cannot be layered; this store replaces it and every executable it
keeps comes straight from XLA's compiler.

Safety. Entries are written atomically (a temporary file renamed over the target), so concurrent
runs at worst write the same entry twice. Each starts with the SHA-256 of its payload: an entry that
is truncated, corrupt or unloadable is deleted and the program compiled again -- a bad entry costs
time, never a wrong answer. The store is trimmed to :data:`MAX_BYTES`, least recently used first.
Entries are pickles, read only from the user's own cache directory (the same trust as the virtual
environment's own files).

The library never turns this on by itself (no hidden global state): the CLI calls :func:`enable`
(and worker processes, with their caller's directory).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import platform
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

MAX_BYTES = 512 * 2**20
ENV = "PROOFS_CHECK_JAX_CACHE"
_MAGIC = b"proofs-check program 1\n"
_STORE: dict[str, Path] = {}  # "dir": the store in use, set by :func:`enable` / :func:`use_store`
_TRIMMED: set[Path] = set()  # stores this process has already trimmed


def cache_dir() -> Path | None:
    """The store's directory (``None``: switched off by an empty ``PROOFS_CHECK_JAX_CACHE``)."""
    configured = os.environ.get(ENV)
    if configured is not None:
        return Path(configured) if configured else None
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "proofs-check" / "programs"


def enable(directory: Path | str | None = None) -> Path | None:
    """Keep compiled programs in ``directory`` (else :func:`cache_dir`) from now on in this
    process; returns it, or ``None`` when it is off or cannot be created (a run never fails for its
    cache)."""
    path = Path(directory) if directory is not None else cache_dir()
    return use_store(path)


def use_store(store: Path | None) -> Path | None:
    """Keep programs in ``store`` from now on in this process (``None``, or a directory that
    cannot be made: no store); returns the store in use."""
    _STORE.pop("dir", None)
    if store is not None:
        try:
            store.mkdir(parents=True, exist_ok=True)
        except OSError:
            return None
        _STORE["dir"] = store
    return _STORE.get("dir")


def store_in_use() -> Path | None:
    """The store this process uses (its worker processes use the same one)."""
    return _STORE.get("dir")


def builtin_program(check: Any, *role: Any) -> tuple[Any, ...] | None:
    """The name ``(statement id, *role)`` of a program of ``check`` when ``check`` is a built-in
    statement's check (or the check inside it): made by this package's code alone, so the package's
    fingerprint and the id determine its programs. ``None`` (not stored) for anything else, and when
    the store is off."""
    if "dir" not in _STORE:
        return None
    from proofs_check.checks import registry

    sid = check.statement.id
    known = registry().get(sid)
    if known is None or (known is not check and getattr(known, "check", None) is not check):
        return None
    return (sid, *role)


def package_function(fn: Callable[..., Any]) -> tuple[Any, ...] | None:
    """The name of a module-level function of this package (the fingerprint covers its code);
    ``None`` for anything else, and when the store is off."""
    module, qualname = getattr(fn, "__module__", ""), getattr(fn, "__qualname__", "<lambda>")
    if (
        "dir" not in _STORE
        or "<" in qualname
        or module.split(".")[0] not in ("proofs_check", "theory")
    ):
        return None
    return ("function", module, qualname)


_CALLED: dict[tuple[Any, str], Any] = {}  # (function, argument types) -> its compiled program


def call_compiled(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` for a JAX function called on host (NumPy) values: compiled once per argument
    types and kept in the store (a function of this package by its name, any other by its lowered
    text). Called as it is, JAX would dispatch it primitive by primitive and compile every
    primitive again for every new shape (T5.b's autodiff Jacobian in the search's NumPy oracle:
    13 s of compilation over the screen's ten shapes)."""
    import jax

    key = (fn, signature(args))
    if key not in _CALLED:
        _CALLED[key] = compiled(jax.jit(fn), args, package_function(fn))
    return _CALLED[key](*args)


def compiled(jitted: Any, args: tuple[Any, ...], name: tuple[Any, ...] | None = None) -> Any:
    """``jitted.lower(*args).compile()``, loaded from the store when it holds the program, and
    stored after compiling. ``name`` (from :func:`builtin_program`) keys it by where it comes from;
    without one it is keyed by its lowered text."""
    store = _STORE.get("dir")
    if store is None:
        return jitted.lower(*args).compile()
    key = program_key(name, args) if name is not None else None
    if key is not None and (hit := _load(store, key)) is not None:
        return hit
    lowered = jitted.lower(*args)
    text = lowered.as_text()
    if "callback" in text:  # host callbacks: the executable cannot be serialised
        return lowered.compile()
    if key is None:
        key = text_key(text)
        if (hit := _load(store, key)) is not None:
            return hit
    executable = lowered.compile()
    _save(store, key, executable)
    return executable


def program_key(name: tuple[Any, ...], args: tuple[Any, ...]) -> str:
    """The SHA-256 (hex) naming a built-in program: the machine and switches, the package's source,
    its name, its arguments' tree, shapes and dtypes (see the module docstring)."""
    return _digest("origin", source_fingerprint(), repr(name), signature(args))


def text_key(text: str) -> str:
    """The SHA-256 (hex) naming a program by its lowered text (and the machine and switches)."""
    return _digest("text", text)


def _digest(*parts: str) -> str:
    from proofs_check.perturb import ulps

    h = hashlib.sha256()
    for part in (_machine(), _runtime(), str(ulps()), *parts):
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()


def signature(args: tuple[Any, ...]) -> str:
    """The arguments' tree, and each leaf's abstract type (dtype, shape, weak type) and the
    devices it is committed to."""
    import jax

    leaves, tree = jax.tree_util.tree_flatten(args)
    parts = [str(tree)]
    for leaf in leaves:
        placed = ""
        if isinstance(leaf, jax.Array) and leaf.committed:
            placed = ",".join(sorted(str(d.id) for d in leaf.devices()))
        parts.append(f"{jax.typeof(leaf)}@{placed}")
    return "|".join(parts)


def _runtime() -> str:
    """What may change within a process: JAX's switches, ``XLA_FLAGS``, the devices."""
    import jax

    devices = jax.devices()
    return repr(
        (
            bool(jax.config.jax_enable_x64),
            str(jax.config.jax_default_matmul_precision),
            os.environ.get("XLA_FLAGS", ""),
            devices[0].platform,
            devices[0].device_kind,
            len(devices),
        )
    )


@cache
def _machine() -> str:
    """The library versions and the CPU (fixed per process)."""
    import importlib.metadata as md

    versions = []
    for dist in ("jax", "jaxlib", "numpy", "sympy", "optax"):
        try:
            versions.append(f"{dist}={md.version(dist)}")
        except md.PackageNotFoundError:
            versions.append(f"{dist}=?")
    return repr((sys.version, platform.machine(), _cpu(), versions))


@cache
def source_fingerprint() -> str:
    """SHA-256 of every ``.py`` file of the ``proofs_check`` and ``theory`` packages (path and
    content): any edit of the code gives every program another name."""
    import proofs_check
    import theory

    h = hashlib.sha256()
    for package in (proofs_check, theory):
        root = Path(package.__file__).resolve().parent
        for path in sorted(root.rglob("*.py")):
            h.update(str(path.relative_to(root.parent)).encode())
            h.update(b"\0")
            h.update(path.read_bytes())
            h.update(b"\0")
    return h.hexdigest()


def _cpu() -> str:
    """The CPU's model and feature flags (an executable compiled for one CPU may not run on
    another that shares the cache directory)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor()
    keep = [
        line.split(":", 1)[1].strip()
        for line in text.splitlines()
        if line.split(":", 1)[0].strip() in ("model name", "flags", "Features", "CPU part")
    ]
    return hashlib.sha256("\n".join(sorted(set(keep))).encode()).hexdigest()


def _path(store: Path, key: str) -> Path:
    return store / key[:2] / f"{key}.xla"


def _load(store: Path, key: str) -> Any:
    """The stored executable, or ``None`` (missing; corrupt or unloadable: deleted)."""
    path = _path(store, key)
    try:
        blob = path.read_bytes()
    except OSError:
        return None
    _runtime_ready()
    try:
        head, digest = blob[: len(_MAGIC)], blob[len(_MAGIC) : len(_MAGIC) + 32]
        payload = blob[len(_MAGIC) + 32 :]
        if head != _MAGIC or hashlib.sha256(payload).digest() != digest:
            raise ValueError("corrupt entry")
        from jax.experimental.serialize_executable import deserialize_and_load

        executable = deserialize_and_load(*pickle.loads(payload))
    except Exception:
        path.unlink(missing_ok=True)
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used: trimmed last
    return executable


@cache
def _runtime_ready() -> None:
    """Initialise what JAX initialises only when it lowers a program that needs it, before a
    program that was never lowered in this process runs: LAPACK's function pointers (an SVD or an
    eigendecomposition loaded from the store and run first in a process called a null pointer:
    a segmentation fault, seen with T5.c's programs). Lowering one SVD does it."""
    import jax
    import jax.numpy as jnp

    jax.jit(jnp.linalg.svd).lower(jnp.zeros((2, 2)))


def _save(store: Path, key: str, executable: Any) -> None:
    """Store ``executable``; one that cannot be serialised, or a store that cannot be written, is
    skipped."""
    from proofs_check.atomic import write_bytes_atomic

    try:
        from jax.experimental.serialize_executable import serialize

        payload = pickle.dumps(serialize(executable))
    except Exception:
        return
    try:
        write_bytes_atomic(_path(store, key), _MAGIC + hashlib.sha256(payload).digest() + payload)
    except OSError:
        return
    if store not in _TRIMMED:
        _TRIMMED.add(store)
        trim(store, MAX_BYTES)


def trim(store: Path, max_bytes: int, keep: Callable[[int], int] = lambda m: 3 * m // 4) -> int:
    """Delete the least recently used entries until the store holds at most ``keep(max_bytes)``
    bytes, if it holds more than ``max_bytes``; returns how many were deleted."""
    entries = []
    for path in store.glob("*/*.xla"):
        try:
            st = path.stat()
        except OSError:
            continue
        entries.append((st.st_mtime, st.st_size, path))
    total = sum(size for _, size, _ in entries)
    if total <= max_bytes:
        return 0
    deleted = 0
    for _, size, path in sorted(entries, key=lambda e: (e[0], str(e[2]))):
        if total <= keep(max_bytes):
            break
        path.unlink(missing_ok=True)
        total -= size
        deleted += 1
    return deleted
