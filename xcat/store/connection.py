"""Getting at the DuckDB file when other processes use it too: attach read-only or
read-write for one operation, wait while another process holds the lock, and name the
holder when the wait runs out.

A store handle keeps an in-memory DuckDB connection and ATTACHes the store's file
only for the length of one operation (3 ms, where a new connection costs 20 ms), so
an idle handle — a notebook's ``Store`` — holds no lock. DuckDB lets many processes
read at once or one process write; a process that finds the file busy retries until
``wait`` seconds have passed (``--wait``, ``$XCAT_WAIT``, default 30 s), telling the
user after a second, then fails naming the holder's PID and command line.

Inside one process DuckDB refuses to attach a file twice, so handles on the same store
take turns through a per-file lock (:func:`process_lock`).

Examples
--------
>>> holder_of('Could not set lock on file "/s/xcat.duckdb": Conflicting lock is held in '
...           '/usr/bin/python3 (PID 4242). See also https://duckdb.org')
'PID 4242 (/usr/bin/python3)'
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

try:
    import fcntl
except ImportError:  # no flock (Windows): readers may keep a writer waiting
    fcntl = None  # type: ignore[assignment]

from xcat.errors import XcatError

#: Environment variable and default of how long to wait for a busy store, in seconds.
WAIT_ENV = "XCAT_WAIT"
DEFAULT_WAIT = 30.0
#: After this many seconds of waiting the user is told (once).
TELL_AFTER = 1.0
#: Name the store's database has in every session (the file's stem, as in a plain DuckDB).
ALIAS = "xcat"
#: DuckDB storage format written for new stores: read by DuckDB 1.1 and every later release.
STORAGE_VERSION = "v1.1.0"
HOLDER = re.compile(r"Conflicting lock is held in (.*?) \(PID (\d+)\)")
BUSY = ("Could not set lock", "Conflicting lock", "already attached", "Unique file handle")


def default_wait() -> float:
    """Seconds to wait for a busy store: ``$XCAT_WAIT`` or 30.

    Examples
    --------
    >>> default_wait() >= 0
    True
    """
    text = os.environ.get(WAIT_ENV)
    if not text:
        return DEFAULT_WAIT
    try:
        value = float(text)
    except ValueError:
        raise XcatError(f"${WAIT_ENV}={text!r} is not a number of seconds") from None
    if not value >= 0:
        raise XcatError(f"${WAIT_ENV}={text!r} must be >= 0 seconds")
    return value


def holder_of(message: str) -> str:
    """Who holds the lock, from DuckDB's message: PID and command line when the OS tells."""
    m = HOLDER.search(message)
    if not m:
        return "another connection"
    program, pid = m[1], int(m[2])
    if pid == os.getpid():
        return f"this process (PID {pid}), through another open handle"
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return f"PID {pid} ({program})"
    cmd = " ".join(a.decode(errors="replace") for a in raw.split(b"\0") if a)
    return f"PID {pid} ({cmd or program})"


def _busy(exc: duckdb.Error) -> bool:
    return any(s in str(exc) for s in BUSY)


def retry_while_busy(action: Callable[[], None], what: str, wait: float,
                     tell: Callable[[str], None]) -> None:
    """Run ``action`` until it stops failing on a lock, or ``wait`` seconds pass."""
    start = time.monotonic()
    told = False
    delay = 0.005
    while True:
        try:
            action()
            if told:
                tell(f"{what}: got it after {time.monotonic() - start:.1f} s")
            return
        except duckdb.Error as exc:
            if not _busy(exc):
                raise
            waited = time.monotonic() - start
            holder = holder_of(str(exc))
            if waited >= wait:
                raise XcatError(f"{what}: the store is busy, held by {holder}; gave up after "
                                f"{waited:.0f} s (wait longer with --wait SECONDS or "
                                f"${WAIT_ENV})") from None
            if not told and waited >= TELL_AFTER:
                tell(f"{what}: the store is busy (held by {holder}); waiting up to "
                     f"{wait:.0f} s")
                told = True
            time.sleep(min(delay, max(0.0, wait - waited)))
            delay = min(delay * 1.6, 0.1)


#: Readers hold back at most this long for a writer waiting at the gate (the writer may
#: be waiting for a connection that is not xcat's, such as a SQL tool's).
GATE_PATIENCE = 2.0


@contextmanager
def gate(db_file: Path, *, write: bool, wait: float) -> Iterator[None]:
    """Writer preference: a flock on the store's folder, held by a writer while it waits
    for the file and by a reader only while it attaches (shared).

    Without it, readers of several processes whose read sessions overlap keep a shared
    lock on the file all the time and a writer never finds a gap. A reader waits for a
    writer at the gate for at most :data:`GATE_PATIENCE` seconds, then goes on.
    """
    if fcntl is None:
        yield
        return
    try:
        fd = os.open(db_file.parent, os.O_RDONLY)
    except OSError:
        yield
        return
    try:
        how = fcntl.LOCK_EX if write else fcntl.LOCK_SH
        deadline = time.monotonic() + (wait if write else min(wait, GATE_PATIENCE))
        delay = 0.002
        while True:
            try:
                fcntl.flock(fd, how | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    break  # go on: the file's own lock decides (and names the holder)
                time.sleep(delay)
                delay = min(delay * 1.6, 0.05)
        yield
    finally:
        os.close(fd)


def lock_busy(path: Path, *, exclusive: bool, open_flags: int = os.O_RDONLY) -> bool:
    """Whether someone holds a lock on ``path`` that a non-blocking ``flock`` (shared or
    ``exclusive``) would wait for. A missing file, or no flock on this system, is not
    busy; a lock taken by the probe goes with its descriptor.
    """
    if fcntl is None:
        return False
    try:
        fd = os.open(path, open_flags)
    except OSError:
        return False
    try:
        fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False


def writer_waiting(db_file: Path) -> bool:
    """Whether a writer of another process waits at the store's gate (see :func:`gate`)."""
    return lock_busy(db_file.parent, exclusive=False)


def attach(con: duckdb.DuckDBPyConnection, db_file: Path, *, write: bool, create: bool,
           wait: float, tell: Callable[[str], None]) -> None:
    """ATTACH the store's file as ``xcat`` and make it the current database.

    A new file is written in the :data:`STORAGE_VERSION` format.
    """
    opts = []
    if not write:
        opts.append("READ_ONLY")
    if create:
        opts.append(f"STORAGE_VERSION '{STORAGE_VERSION}'")
    path = str(db_file).replace("'", "''")
    sql = f"ATTACH '{path}' AS {ALIAS}" + (f" ({', '.join(opts)})" if opts else "")

    def go() -> None:
        con.execute(sql)

    what = "writing to the store" if write else "reading the store"
    start = time.monotonic()
    try:
        with gate(db_file, write=write, wait=wait):
            retry_while_busy(go, what, max(0.0, wait - (time.monotonic() - start)), tell)
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0]
        raise XcatError(f"{db_file}: cannot open the store ({first})") from None
    con.execute(f"USE {ALIAS}")


def detach(con: duckdb.DuckDBPyConnection) -> None:
    """Leave the store: back to the in-memory database, file lock released."""
    con.execute("USE memory")
    con.execute(f"DETACH {ALIAS}")


class FairLock:
    """A lock granted in the order it was asked for (a thread waiting for its turn is
    not overtaken by later ones, however often the lock changes hands meanwhile).
    """

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._held = False
        self._queue: deque[object] = deque()

    def acquire(self, timeout: float, *, slow_after: float | None = None,
                slow: Callable[[], None] | None = None) -> bool:
        """Wait up to ``timeout`` seconds for the lock; ``slow()`` once after
        ``slow_after`` seconds of waiting.
        """
        me = object()
        now = time.monotonic()
        deadline = now + timeout
        tell_at = now + slow_after if slow is not None and slow_after is not None else None
        with self._cond:
            self._queue.append(me)
            try:
                while self._held or self._queue[0] is not me:
                    now = time.monotonic()
                    if now >= deadline:
                        return False
                    if tell_at is not None and now >= tell_at and slow is not None:
                        tell_at = None
                        slow()
                    until = deadline if tell_at is None else min(deadline, tell_at)
                    self._cond.wait(max(until - now, 0.001))
                self._held = True
                return True
            finally:
                self._queue.remove(me)
                self._cond.notify_all()

    def waiting(self) -> int:
        """How many threads wait for the lock."""
        with self._cond:
            return len(self._queue)

    def release(self) -> None:
        """Give the lock to the longest-waiting thread."""
        with self._cond:
            self._held = False
            self._cond.notify_all()


class _FileLock:
    """Handles in one process on one store file take turns, in order (DuckDB refuses a
    second ATTACH of a file in one process, and POSIX file locks are per process).
    """

    def __init__(self) -> None:
        self.lock = FairLock()
        self.owner: int | None = None
        #: Set while the holder is an idle read session a handle opened on its own (see
        #: ``Database.con``): another handle in the same thread may end it and go on.
        self.release_idle: Callable[[], None] | None = None


_LOCKS: dict[str, _FileLock] = {}
_LOCKS_GUARD = threading.Lock()


@contextmanager
def process_lock(db_file: Path, wait: float, tell: Callable[[str], None], *,
                 thread_bound: bool = True) -> Iterator[_FileLock]:
    """Hold this process's turn on ``db_file`` (wait up to ``wait`` seconds).

    ``thread_bound=False``: a turn that outlives the thread that took it (the TAP
    server's shared read lease, released by whichever thread finishes last); another
    handle in that thread then waits for it like any other thread.
    """
    key = os.path.realpath(db_file)
    with _LOCKS_GUARD:
        entry = _LOCKS.setdefault(key, _FileLock())
    if entry.owner == threading.get_ident() and entry.release_idle is not None:
        entry.release_idle()
    if entry.owner == threading.get_ident():
        raise XcatError(f"{db_file}: two handles on this store are in use at once in one "
                        "thread; finish the first operation before starting the other")
    got = entry.lock.acquire(wait, slow_after=TELL_AFTER, slow=lambda: tell(
        "waiting for another handle on this store in this process"))
    if not got:
        raise XcatError(f"{db_file}: the store is busy in this process (another thread "
                        f"holds it); gave up after {wait:.0f} s")
    entry.owner = threading.get_ident() if thread_bound else None
    try:
        yield entry
    finally:
        entry.owner = None
        entry.release_idle = None
        entry.lock.release()
