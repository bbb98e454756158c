"""The TAP sandbox's shared read lease: concurrent queries share one read-only database
on the store's file, each on its own cursor; the lease is given back when idle and
renewed while busy, so writers in this process (the dashboard) and in others (the CLI)
get the store while queries keep coming; nothing one query makes is seen by another.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import xcat
from xcat.errors import XcatError
from xcat.science.classification import classify
from xcat.server import sandbox as sandbox_mod
from xcat.server.sandbox import Sandbox
from xcat.store.connection import FairLock

SOURCE = "2CXO J140312.5+542056"
COUNT = 'SELECT count(*) AS n FROM "csc"'


@pytest.fixture
def store_copy(m101_csc_dir, tmp_path) -> Path:
    root = tmp_path / "store"
    shutil.copytree(m101_csc_dir, root)
    xcat.Store.open(root).close()
    return root


def _hammer(box: Sandbox, stop: threading.Event, errors: list, counts: list) -> None:
    while not stop.is_set():
        try:
            counts.append(box.run(COUNT, cap=1)[0].column("n")[0].as_py())
        except Exception as exc:
            errors.append(exc)


@contextlib.contextmanager
def _load(box: Sandbox, threads: int):
    """``threads`` clients querying without a pause; yields the answers so far; on exit
    they stop and none may have failed.
    """
    stop, errors, counts = threading.Event(), [], []
    pool = [threading.Thread(target=_hammer, args=(box, stop, errors, counts))
            for _ in range(threads)]
    for t in pool:
        t.start()
    try:
        yield counts
    finally:
        stop.set()
        for t in pool:
            t.join()
    assert errors == []


def _until(condition, limit: float = 10.0) -> bool:
    end = time.monotonic() + limit  # bounded wait for a state, not a timing assertion
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def test_concurrent_queries_share_a_lease(store_copy, monkeypatch):
    opened = []
    real_open = Sandbox._open

    def counting(self):
        lease = real_open(self)
        opened.append(lease)
        return lease

    monkeypatch.setattr(Sandbox, "_open", counting)
    box = Sandbox(store_copy, timeout_s=30)
    with _load(box, 6) as counts:
        assert _until(lambda: len(counts) >= 120)
    assert set(counts) == {555}
    assert len(opened) < len(counts) / 4  # many queries per lease
    assert _until(lambda: box._lease is None)  # given back once idle


def test_writer_in_this_process_gets_the_store_under_load(store_copy):
    """The dashboard's classification write while six threads query without a pause."""
    box = Sandbox(store_copy, timeout_s=30)
    with _load(box, 6) as counts:
        assert _until(lambda: len(counts) >= 20)
        with xcat.Store.open(store_copy, wait=30) as store:
            event = classify(store, SOURCE, cls="XRB", author="test", method="visual")
        n_at_write = len(counts)
        assert _until(lambda: len(counts) >= n_at_write + 20)  # queries go on after it
    got = box.run(f"SELECT class FROM classification_events WHERE event_id = {int(event)}",
                  cap=5)[0]
    assert got.column("class").to_pylist() == ["XRB"]


def test_writer_in_another_process_gets_the_store_under_load(store_copy):
    """``xcat classify`` in a terminal while the server answers queries without a pause."""
    box = Sandbox(store_copy, timeout_s=30)
    with _load(box, 4) as counts:
        assert _until(lambda: len(counts) >= 20)
        exe = Path(sys.executable).with_name("xcat")
        r = subprocess.run([str(exe), "--store", str(store_copy), "--wait", "60", "classify",
                            SOURCE, "--class", "AGN"], capture_output=True, text=True,
                           timeout=120)
        assert r.returncode == 0, r.stderr
    got = box.run("SELECT class FROM classification_current WHERE source_key = '"
                  + SOURCE + "'", cap=5)[0]
    assert got.column("class").to_pylist() == ["AGN"]


def test_nothing_a_query_makes_outlives_it(store_copy):
    box = Sandbox(store_copy, timeout_s=30)
    with box.lease() as lease:  # both on one lease
        lease.run("CREATE TEMP TABLE mine AS SELECT 1 AS x", cap=1)
        with pytest.raises(XcatError, match="mine"):
            lease.run("SELECT * FROM mine", cap=1)
        for sql in ("CREATE TABLE memory.main.t AS SELECT 1", "CREATE TABLE t AS SELECT 1",
                    "CREATE MACRO m(x) AS x", "ATTACH ':memory:' AS m2",
                    "SET lock_configuration = false"):
            with pytest.raises(XcatError):
                lease.run(sql, cap=1)


def test_long_query_does_not_hold_up_others(store_copy, monkeypatch):
    """Nobody waiting for the store, an old busy lease keeps serving: a short query is
    answered while a long one runs on the same lease.
    """
    monkeypatch.setattr(sandbox_mod, "LEASE_MAX_AGE", 0.0)
    box = Sandbox(store_copy, timeout_s=600)
    stop: list = []
    done = threading.Event()

    def long_query():
        with pytest.raises(XcatError):  # interrupted below
            box.run("SELECT count(*) FROM csc a, csc b, csc c, csc d", cap=1,
                    started=stop.append)
        done.set()

    t = threading.Thread(target=long_query)
    t.start()
    assert _until(lambda: bool(stop))
    try:
        assert box.run(COUNT, cap=1)[0].column("n")[0].as_py() == 555
        assert not done.is_set()  # answered while the long query still runs
    finally:
        stop[0]()
        t.join()


def test_lease_is_renewed_for_a_waiting_writer(store_copy, monkeypatch):
    """An old lease in use stops taking queries once a writer waits (the query waits
    for the next lease); when the long query ends, the writer gets the store and later
    queries see its write.
    """
    monkeypatch.setattr(sandbox_mod, "LEASE_MAX_AGE", 0.0)
    box = Sandbox(store_copy, timeout_s=600)
    stop: list = []
    wrote = threading.Event()

    def long_query():
        with pytest.raises(XcatError):
            box.run("SELECT count(*) FROM csc a, csc b, csc c, csc d", cap=1,
                    started=stop.append)

    def writer():
        with xcat.Store.open(store_copy, wait=60) as store:
            classify(store, SOURCE, cls="XRB", author="test", method="visual")
        wrote.set()

    t = threading.Thread(target=long_query)
    t.start()
    assert _until(lambda: bool(stop))
    first = box._lease
    w = threading.Thread(target=writer)
    w.start()
    assert _until(lambda: first.entry.lock.waiting() == 1)  # the writer waits its turn
    answers: list = []
    q = threading.Thread(target=lambda: answers.append(box.run(COUNT, cap=1)))
    q.start()
    assert _until(lambda: first.retired)  # takes no new query: the writer comes first
    assert not answers and not wrote.is_set()
    stop[0]()  # the long query ends
    for th in (t, w, q):
        th.join()
    assert wrote.is_set() and len(answers) == 1
    seen = "SELECT count(*) AS n FROM classification_events WHERE author = 'test'"
    assert box.run(seen, cap=1)[0].column("n")[0].as_py() == 1
    assert box._lease is not first


def test_fair_lock_serves_in_arrival_order():
    """A writer waiting for the store is not overtaken by lease renewals that come later."""
    lock = FairLock()
    assert lock.acquire(1)
    assert not lock.acquire(0.05)  # held: times out, and leaves the queue
    assert lock.waiting() == 0
    order: list[int] = []

    def take(i: int) -> None:
        assert lock.acquire(30)
        order.append(i)
        lock.release()

    threads = []
    for i in range(6):
        t = threading.Thread(target=take, args=(i,))
        t.start()
        threads.append(t)
        assert _until(lambda i=i: lock.waiting() == i + 1)
    lock.release()
    for t in threads:
        t.join()
    assert order == list(range(6))


def test_parallel_cones_equal_serial(store_copy):
    """Cones answered in parallel from one lease (the same partition files read by
    several threads at once) equal the same cones one by one.
    """
    import numpy as np

    box = Sandbox(store_copy, timeout_s=30)
    rng = np.random.default_rng(5)
    centres = [(210.80 + rng.normal(0, 0.05), 54.35 + rng.normal(0, 0.05))
               for _ in range(40)]
    serial = [sorted(box.cone("csc", ra, dec, 0.02).column("name").to_pylist())
              for ra, dec in centres]
    results: dict[int, list] = {}
    errors: list = []

    def worker(k: int) -> None:
        try:
            for i in range(k, len(centres), 8):
                ra, dec = centres[i]
                results[i] = sorted(box.cone("csc", ra, dec, 0.02).column("name").to_pylist())
        except Exception as exc:  # collected, asserted empty
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [results[i] for i in range(len(centres))] == serial
    assert sum(map(len, serial)) > 40
