"""Crash points for the kill harness, and the guard that keeps Ctrl-C out of a switch.

``XCAT_CRASH_AT=<point>`` (or ``<point>#N``, the N-th time it is reached) makes the
process kill itself (SIGKILL, as a power cut or ``kill -9`` would) at that point, so the
tests can stop a write at every step of its switch from the old state to the new. With
``XCAT_CRASH_SIGNAL=INT`` the point sends SIGINT instead (the user's Ctrl-C: a
``KeyboardInterrupt`` raised there), so the tests can interrupt at the same steps.

The points: ``commit`` and ``committed`` (around every COMMIT of
:func:`xcat.store.sql.transaction`), in a catalog ingest ``staged`` (new versions
written), ``renamed`` (a version moved to its final name, not yet live) and
``removing`` (superseded versions being deleted after the COMMIT), and in a margin
rebuild (:func:`xcat.catalog.margin.rebuild_margin`) ``margin_built`` (the new margin
written beside the live one) and ``margin_moved`` (the live margin moved aside, the new
one not yet in its place).

Unset (always, outside the crash tests) a crash point costs one dictionary lookup.

:func:`uninterrupted` holds Ctrl-C back while a switch runs (folders renamed, registry
committed): the ``KeyboardInterrupt`` comes when the switch is complete, so the code that
undoes a failed switch never undoes a committed one.

Examples
--------
>>> crash_point("commit")     # XCAT_CRASH_AT is not set: nothing happens
>>> with uninterrupted():     # Ctrl-C in here is raised at the end of the block
...     pass
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator

#: Environment variable naming the crash point to stop at.
CRASH_ENV = "XCAT_CRASH_AT"
#: Environment variable naming the signal a crash point sends: ``KILL`` (default) or ``INT``.
SIGNAL_ENV = "XCAT_CRASH_SIGNAL"


_SEEN: dict[str, int] = {}


def crash_point(name: str) -> None:
    """Kill this process with SIGKILL (or interrupt it with SIGINT, see the module doc)
    when ``$XCAT_CRASH_AT`` names this point (and hit).
    """
    want = os.environ.get(CRASH_ENV)
    if not want or want.split("#")[0] != name:
        return
    _SEEN[name] = _SEEN.get(name, 0) + 1
    nth = int(want.split("#")[1]) if "#" in want else 1
    if _SEEN[name] == nth:
        if os.environ.get(SIGNAL_ENV, "KILL").upper().removeprefix("SIG") == "INT":
            signal.raise_signal(signal.SIGINT)
        else:
            os.kill(os.getpid(), signal.SIGKILL)


@contextlib.contextmanager
def uninterrupted() -> Iterator[None]:
    """Hold back Ctrl-C (SIGINT) while the block runs; a Ctrl-C that came meanwhile is
    raised as ``KeyboardInterrupt`` when the block ends.

    Only the main thread can change signal handlers, and only Python's own handler is
    replaced (SIGINT ignored, or handled by someone else, is left alone): elsewhere, and
    inside another ``uninterrupted`` block, this does nothing.
    """
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield
        return
    caught: list[int] = []
    signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if caught:
            raise KeyboardInterrupt
