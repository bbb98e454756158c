"""Crash points for the kill harness: ``XCAT_CRASH_AT=<point>`` makes the process kill
itself (SIGKILL, as a power cut or ``kill -9`` would) when it reaches that point, so the
tests can stop a write at every step of its switch from the old state to the new.

Unset (always, outside the crash tests) a crash point costs one dictionary lookup.

Examples
--------
>>> crash_point("before-commit")     # XCAT_CRASH_AT is not set: nothing happens
"""

from __future__ import annotations

import os
import signal

#: Environment variable naming the crash point to stop at.
CRASH_ENV = "XCAT_CRASH_AT"


def crash_point(name: str) -> None:
    """Kill this process with SIGKILL when ``$XCAT_CRASH_AT`` is ``name``."""
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
