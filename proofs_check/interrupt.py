"""Ctrl-C (SIGINT) as a request, not an exception: long commands stop between batches.

Raising ``KeyboardInterrupt`` in the middle of a JAX/XLA computation, and then tearing the
interpreter down while XLA's threads still run, crashes the process (a segmentation fault). So
while :func:`sigint_as_request` is active, the first SIGINT only sets a flag; ``verify`` checks it
between statements and ``search`` between rounds and statements, reports what it already found,
writes its files and exits with status 130. A second SIGINT raises :class:`ForcedInterrupt` at once
(the run ends without its report; files are still written atomically, so none is half written).

A ``KeyboardInterrupt`` that user code raises on its own is therefore never the user's Ctrl-C;
:func:`forced` tells the two apart.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

EXIT_INTERRUPTED = 130

_state = {"requested": False, "forced": False, "active": False}


class ForcedInterrupt(KeyboardInterrupt):
    """The second Ctrl-C: stop now."""


def requested() -> bool:
    """Whether Ctrl-C was pressed since the command started."""
    return _state["requested"]


def forced() -> bool:
    """Whether Ctrl-C was pressed twice (the run must stop now)."""
    return _state["forced"]


def active() -> bool:
    """Whether SIGINT is being handled as a request (then a ``KeyboardInterrupt`` that reaches
    the code is the user code's own, or the second Ctrl-C: :func:`forced`)."""
    return _state["active"]


def request() -> None:
    """What the first SIGINT does (also callable from tests)."""
    _state["requested"] = True


def reset() -> None:
    _state["requested"] = False
    _state["forced"] = False


def _handler(signum: int, frame: Any) -> None:
    if _state["requested"]:
        _state["forced"] = True
        raise ForcedInterrupt
    request()
    print(
        "proofs-check: interrupted; finishing the current step, then reporting what was found "
        "(Ctrl-C again to stop now)",
        file=sys.stderr,
        flush=True,
    )


@contextmanager
def sigint_as_request() -> Iterator[None]:
    """SIGINT sets :func:`requested` instead of raising, for the duration of the block (main
    thread only; elsewhere, e.g. a test runner's worker thread, nothing changes)."""
    reset()
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, _handler)
    _state["active"] = True
    try:
        yield
    finally:
        _state["active"] = False
        signal.signal(signal.SIGINT, previous)
