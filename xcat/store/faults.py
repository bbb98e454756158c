"""Crash points for the kill harness: ``XCAT_CRASH_AT=<point>`` (or ``<point>#N``, the
N-th time it is reached) makes the process kill itself (SIGKILL, as a power cut or
``kill -9`` would) at that point, so the tests can stop a write at every step of its
switch from the old state to the new.

The points: ``commit`` and ``committed`` (around every COMMIT of
:func:`xcat.store.sql.transaction`), and in a catalog ingest ``staged`` (new versions
written), ``renamed`` (a version moved to its final name, not yet live) and
``removing`` (superseded versions being deleted after the COMMIT).

Unset (always, outside the crash tests) a crash point costs one dictionary lookup.

Examples
--------
>>> crash_point("commit")     # XCAT_CRASH_AT is not set: nothing happens
"""

from __future__ import annotations

import os
import signal

#: Environment variable naming the crash point to stop at.
CRASH_ENV = "XCAT_CRASH_AT"


_SEEN: dict[str, int] = {}


def crash_point(name: str) -> None:
    """Kill this process with SIGKILL when ``$XCAT_CRASH_AT`` names this point (and hit)."""
    want = os.environ.get(CRASH_ENV)
    if not want or want.split("#")[0] != name:
        return
    _SEEN[name] = _SEEN.get(name, 0) + 1
    nth = int(want.split("#")[1]) if "#" in want else 1
    if _SEEN[name] == nth:
        os.kill(os.getpid(), signal.SIGKILL)
