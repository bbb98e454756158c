"""Read-only, sandboxed DuckDB connections for TAP queries, shared through short leases.

A *lease* is one DuckDB database opened READ_ONLY on the store's file, with file access
limited to the folders the store's Parquet views read (``allowed_directories``:
``catalogs/``, ``runs/``, catalogs registered in place), external access and extension
loading switched off and the configuration locked. Concurrent queries share the lease,
each on its own cursor (its registered tables, such as uploads and cone rows, and its
temporary objects are its own; the store itself refuses any write). A lease is given
back after :data:`LEASE_IDLE` seconds without a query; once it is older than
:data:`LEASE_MAX_AGE` seconds and someone waits for the store (a writer of another
process at the store's gate, ``xcat classify`` in a terminal; any handle of this
process, the dashboard), it takes no new query and the next query opens a new lease
after it, through the gate, where the waiting writer goes first (see ``DESIGN.md``,
"Sharing the store"). Nobody waiting, a busy lease goes on, so a long query never holds
up the others. A timer interrupts
a query that runs longer than the time limit; at most ``cap`` rows are read.

Examples
--------
>>> box = Sandbox(Path("xcat-store"), timeout_s=10)        # doctest: +SKIP
>>> table, overflow = box.run('SELECT * FROM "csc"', cap=100)  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from xcat.catalog import cone as cone_mod
from xcat.errors import XcatError
from xcat.server import tap_runs, tap_samples, tap_schema
from xcat.store import connection, layout, registry
from xcat.store.results import column_info, describe
from xcat.store.sql import sql_error_message

log = logging.getLogger("xcat.server")

#: Settings locked on every lease (checked by the injection tests).
LOCKDOWN = (
    "SET autoinstall_known_extensions = false",
    "SET autoload_known_extensions = false",
    "SET allow_community_extensions = false",
    "SET enable_external_access = false",
    "SET lock_configuration = true",
)
#: Seconds after which a lease in use takes no new query while someone waits for the store.
LEASE_MAX_AGE = 0.2
#: Seconds an idle lease is kept.
LEASE_IDLE = 0.25


class Lease:
    """One read-only, locked-down database on the store's file, shared by queries."""

    def __init__(self, con: duckdb.DuckDBPyConnection, turn: Any, schema: tap_schema.Schema,
                 root: Path, timeout_s: float):
        self.con, self.turn, self.schema = con, turn, schema
        self.root, self.timeout_s = root, timeout_s
        self.born = self.last = time.monotonic()
        self.users = 0
        self.retired = False
        self.entry: Any = None  # this process's turn on the store (who waits for it)

    def cone(self, catalog: str, ra: float, dec: float, radius: float) -> pa.Table:
        """Rows of ``catalog`` in a cone, by the HEALPix-pruned path of ``Store.cone``."""
        info = self.schema.registry.get(catalog)
        if info is None:
            raise XcatError(f"unknown catalog {catalog}")
        return cone_mod.search_version(self.root, info, ra, dec, radius)

    def run(self, sql: str, *, cap: int, extra: dict[str, pa.Table] | None = None,
            started: Callable[[Callable[[], None]], None] | None = None,
            tables: Iterable[str] = (), units: dict[str, str] | None = None,
            ) -> tuple[pa.Table, bool]:
        """Run checked DuckDB ``sql`` on a cursor of its own; return at most ``cap`` rows
        and whether more exist.

        ``extra`` Arrow tables are registered by name first (uploads, a cone's rows), and
        the TAP_SCHEMA tables the query names. ``started`` is called with a function that
        interrupts the query (an async job's ABORT). Columns carry unit/UCD/description
        from the store's column metadata: those of the ``tables`` the query reads first
        (as TAP_SCHEMA declares them), else those of the column's name; ``units`` of
        computed columns (a DISTANCE) win.
        """
        cur = self.con.cursor()
        timer = threading.Timer(self.timeout_s, cur.interrupt)
        reader = None
        try:
            timer.start()
            for name, table in self.schema.arrow().items():
                if name in sql:
                    cur.register(name, table)
            for name, table in (extra or {}).items():
                cur.register(name, table)
            for name, run in self.schema.runs.items():
                if tap_runs.relation(name) in sql:
                    tap_runs.attach(cur, name, run["run_id"])
            for name, served in self.schema.samples.items():
                if tap_samples.relation(name) in sql:
                    cur.register(tap_samples.relation(name),
                                 tap_samples.materialize(cur, served))
            if started is not None:
                started(cur.interrupt)
            reader = cur.sql(sql).to_arrow_reader(max(1, min(cap + 1, 65536)))
            batches, n = [], 0
            for batch in reader:
                batches.append(batch)
                n += batch.num_rows
                if n > cap:
                    break
            table = pa.Table.from_batches(batches, schema=reader.schema)
        except duckdb.InterruptException:
            raise XcatError(f"the query ran longer than the time limit "
                            f"({self.timeout_s:g} s) and was stopped") from None
        except duckdb.Error as exc:
            raise XcatError(sql_error_message(exc)) from None
        finally:
            timer.cancel()
            if reader is not None:  # a stream left open would outlive its database
                reader.close()
            cur.close()
        overflow = table.num_rows > cap
        table = table.slice(0, cap)
        info = self._column_info(tables)
        for name, unit in (units or {}).items():
            info[name] = {"unit": unit}
        return describe(table, info), overflow

    def _column_info(self, tables: Iterable[str]) -> dict[str, dict[str, str]]:
        info = dict(column_info(self.schema.column_rows))
        for name in sorted(tables, reverse=True):
            served = name
            for schema in (tap_samples.SCHEMA, tap_runs.SCHEMA):
                served = served.replace(schema.upper() + ".", schema + ".")
            for c in getattr(self.schema.tables.get(served), "columns", []):
                info[c["column_name"]] = {k: c[k] for k in ("unit", "ucd", "description")
                                          if c.get(k)}
        return info


class Sandbox:
    """Sandboxed read-only queries on the store at ``root``."""

    def __init__(self, root: Path, *, timeout_s: float = 60.0, wait: float | None = None):
        self.root = Path(os.path.abspath(root))  # noqa: PTH100
        self.db_file = self.root / layout.DB_FILE
        if not self.db_file.exists():
            raise XcatError(f"{self.root}: no xcat store here")
        self.timeout_s = float(timeout_s)
        self.wait = connection.default_wait() if wait is None else float(wait)
        self._meta: tuple[Any, tap_schema.Schema] | None = None
        self._lease: Lease | None = None
        self._opening = False
        self._cond = threading.Condition()
        self._reaper: threading.Thread | None = None

    # ------------------------------------------------------------------ leases
    @contextlib.contextmanager
    def lease(self) -> Iterator[Lease]:
        """A share of the current lease (a new one when there is none or it is too old)."""
        lease = self._acquire()
        try:
            yield lease
        finally:
            with self._cond:
                lease.users -= 1
                lease.last = time.monotonic()
                if lease.users == 0 and lease.retired:
                    self._close(lease)
                self._cond.notify_all()

    def _acquire(self) -> Lease:
        deadline = time.monotonic() + self.wait + connection.GATE_PATIENCE
        with self._cond:
            while True:
                lease = self._lease
                if lease is not None and not lease.retired:
                    if time.monotonic() - lease.born <= LEASE_MAX_AGE or not (
                            lease.users and self._writer_waits(lease)):
                        lease.users += 1
                        return lease
                    lease.retired = True  # drains; the next lease waits for it
                    if lease.users == 0:
                        self._close(lease)
                if self._lease is None and not self._opening:
                    self._opening = True
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    raise XcatError(f"{self.root}: the store stayed busy for {self.wait:.0f} s")
                self._cond.wait(min(left, 0.5))
        try:
            lease = self._open()
        except BaseException:
            with self._cond:
                self._opening = False
                self._cond.notify_all()
            raise
        with self._cond:
            self._lease, self._opening = lease, False
            lease.users = 1
            if self._reaper is None:
                self._reaper = threading.Thread(target=self._reap, daemon=True,
                                                name="xcat-lease-reaper")
                self._reaper.start()
            self._cond.notify_all()
        return lease

    def _writer_waits(self, lease: Lease) -> bool:
        """Whether a handle of this process or a writer of another waits for the store."""
        return lease.entry.lock.waiting() > 0 or connection.writer_waiting(self.db_file)

    def _open(self) -> Lease:
        turn = connection.process_lock(self.db_file, self.wait, log.info, thread_bound=False)
        entry = turn.__enter__()
        con = None
        try:
            holder: list[duckdb.DuckDBPyConnection] = []

            def go() -> None:
                holder.append(duckdb.connect(str(self.db_file), read_only=True, config={
                    "autoinstall_known_extensions": False,
                    "autoload_known_extensions": False}))

            with connection.gate(self.db_file, write=False, wait=self.wait):
                connection.retry_while_busy(go, "reading the store", self.wait, log.info)
            con = holder[0]
            schema = self._schema_on(con)
            con.execute("SET allowed_directories = $dirs", {"dirs": schema.data_dirs})
            for statement in LOCKDOWN:
                con.execute(statement)
            lease = Lease(con, turn, schema, self.root, self.timeout_s)
            lease.entry = entry
            return lease
        except duckdb.Error as exc:
            if con is not None:
                con.close()
            turn.__exit__(None, None, None)
            first = str(exc).strip().splitlines()[0]
            raise XcatError(f"{self.db_file}: cannot open the store ({first})") from None
        except BaseException:
            if con is not None:
                con.close()
            turn.__exit__(None, None, None)
            raise

    def _close(self, lease: Lease) -> None:
        """Give a lease back (caller holds ``_cond``; no query uses it)."""
        if self._lease is lease:
            self._lease = None
        lease.retired = True
        try:
            lease.con.close()
        finally:
            lease.turn.__exit__(None, None, None)

    def _reap(self) -> None:
        with self._cond:
            while True:
                lease = self._lease
                if lease is None or lease.users > 0:
                    self._cond.wait()
                    continue
                due = min(lease.last + LEASE_IDLE, lease.born + LEASE_MAX_AGE)
                now = time.monotonic()
                if now >= due:
                    self._close(lease)
                    self._cond.notify_all()
                else:
                    self._cond.wait(due - now)

    # ------------------------------------------------------------------ metadata
    def _state(self) -> tuple[Any, ...]:
        out = []
        for f in (self.db_file, self.db_file.with_name(self.db_file.name + ".wal")):
            try:
                st = f.stat()
                out.append((st.st_ino, st.st_size, st.st_mtime_ns))
            except OSError:
                out.append(None)
        return tuple(out)

    def _schema_on(self, con: duckdb.DuckDBPyConnection) -> tap_schema.Schema:
        state = self._state()  # stable: no writer commits while the file is open here
        if self._meta is not None and self._meta[0] == state:
            return self._meta[1]
        value = tap_schema.read(con)
        value.data_dirs = data_dirs(con, self.root)
        tap_schema.add_samples(value, tap_samples.read(con, self.root))
        tap_schema.add_runs(value, tap_runs.read(con))
        self._meta = (state, value)
        return value

    def schema(self) -> tap_schema.Schema:
        """The tables TAP serves with their columns (re-read when the store changed)."""
        with self.lease() as lease:
            return lease.schema

    def cone(self, catalog: str, ra: float, dec: float, radius: float) -> pa.Table:
        """Rows of ``catalog`` in a cone (see :meth:`Lease.cone`)."""
        with self.lease() as lease:
            return lease.cone(catalog, ra, dec, radius)

    def run(self, sql: str, *, cap: int, extra: dict[str, pa.Table] | None = None,
            started: Callable[[Callable[[], None]], None] | None = None,
            ) -> tuple[pa.Table, bool]:
        """Run checked DuckDB ``sql`` (see :meth:`Lease.run`)."""
        with self.lease() as lease:
            return lease.run(sql, cap=cap, extra=extra, started=started)


def data_dirs(con: duckdb.DuckDBPyConnection, root: Path) -> list[str]:
    """The folders the store's views read: ``catalogs/``, ``runs/`` and any catalog
    registered in place outside the store (each as given and resolved).
    """
    dirs = [root / layout.CATALOGS_DIR, root / layout.RUNS_DIR]
    for row in registry.catalog_rows(con):
        where = root / row["path"]
        if not where.is_relative_to(root):
            dirs.append(where)
    out = {str(d) + "/" for d in dirs} | {os.path.realpath(d) + "/" for d in dirs}
    return sorted(out)
