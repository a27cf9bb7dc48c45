"""Ctrl-C (SIGINT) without tracebacks or crashes: a request between batches, or a clean exit.

Raising ``KeyboardInterrupt`` in the middle of a JAX/XLA computation (or of JAX's import), and then
tearing the interpreter down while XLA's threads still run, crashes the process or prints a
traceback from wherever the signal landed. So the CLI handles SIGINT itself (:func:`install`, from
the moment the package is imported by the ``proofs-check`` program, and in :func:`main`):

* while a long command runs (:func:`sigint_as_request`: ``verify``, ``search``, ``mutate``,
  ``replay``), the first SIGINT only sets a flag; ``verify`` checks it between statements and
  ``search`` between rounds and statements, then reports what it already found, writes its files,
  saves to the database and exits with status 130;
* any other SIGINT (the second one, or one outside such a command) prints one line and ends the
  process at once with status 130 (``os._exit``: no interpreter teardown). Files are written
  atomically, so none is ever half written.

A ``KeyboardInterrupt`` that user code raises while the handler is installed is therefore never
the user's Ctrl-C (:func:`installed`). A process started with SIGINT ignored keeps ignoring it.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

EXIT_INTERRUPTED = 130

_state = {"requested": False, "active": False}


def requested() -> bool:
    """Whether Ctrl-C was pressed during the current long command."""
    return _state["requested"]


def active() -> bool:
    """Whether a long command is polling :func:`requested`."""
    return _state["active"]


def request() -> None:
    """What the first SIGINT does during a long command."""
    _state["requested"] = True


def _handler(signum: int, frame: Any) -> None:
    if _state["active"] and not _state["requested"]:
        request()
        print(
            "proofs-check: interrupted; finishing the current step, then reporting what was "
            "found (Ctrl-C again to stop now)",
            file=sys.stderr,
            flush=True,
        )
        return
    print("proofs-check: interrupted", file=sys.stderr, flush=True)
    try:
        sys.stdout.flush()
    finally:
        os._exit(EXIT_INTERRUPTED)


def _left_to_caller(signum: int, frame: Any) -> None:
    """A worker's SIGINT does nothing: its caller handles Ctrl-C and tells it
    (:mod:`proofs_check.workers`)."""


def leave_to_caller() -> None:
    """In a worker process: SIGINT does nothing here, so a ``KeyboardInterrupt`` is always user
    code's own (:func:`installed`)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _left_to_caller)


def installed() -> bool:
    """Whether a SIGINT cannot raise ``KeyboardInterrupt`` here -- handled by this module, or
    ignored (as for a command started with ``&`` from a script) -- so that one raised is user
    code's own."""
    return signal.getsignal(signal.SIGINT) in (_handler, _left_to_caller, signal.SIG_IGN)


def install() -> Any:
    """Handle SIGINT here (main thread only, and not if it is ignored); returns the previous
    handler, or ``None`` if nothing changed."""
    if threading.current_thread() is not threading.main_thread():
        return None
    previous = signal.getsignal(signal.SIGINT)
    if previous is signal.SIG_IGN or previous is _handler:
        return None
    signal.signal(signal.SIGINT, _handler)
    return previous


def uninstall(previous: Any) -> None:
    if previous is not None and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, previous)


@contextmanager
def sigint_as_request() -> Iterator[None]:
    """For the block, the first SIGINT sets :func:`requested` instead of ending the process."""
    _state["requested"] = False
    previous = install()
    _state["active"] = True
    try:
        yield
    finally:
        _state["active"] = False
        uninstall(previous)


def cli_is_starting() -> bool:
    """Whether this process is the ``proofs-check`` program (or ``python -m proofs_check``)
    importing the package: then SIGINT is handled from the first line on."""
    argv0 = sys.argv[0] if sys.argv else ""
    return argv0 == "-m" or os.path.basename(argv0) in ("proofs-check", "proofs-check.exe")
