"""Read-only, sandboxed DuckDB connections for TAP queries.

Each query gets its own in-memory connection that ATTACHes the store's file READ_ONLY
for the query's length only (no lock held while idle, see ``DESIGN.md``, "Sharing the
store"), the store's views set up, TAP_SCHEMA registered; then file access is limited
to the folders the store's Parquet views read (``allowed_directories``: ``catalogs/``,
``runs/``, catalogs registered in place), external
access and extension loading are switched off and the configuration is locked. A timer
interrupts a query that runs longer than the time limit; at most ``cap`` rows are read.

Examples
--------
>>> box = Sandbox(Path("xcat-store"), timeout_s=10)        # doctest: +SKIP
>>> table, overflow = box.run('SELECT * FROM "csc"', cap=100)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from xcat.api import Store
from xcat.errors import XcatError
from xcat.server import tap_schema
from xcat.store import connection, layout, registry, upkeep
from xcat.store.results import column_info, describe
from xcat.store.sql import sql_error_message

log = logging.getLogger("xcat.server")

#: Settings locked on every query connection (checked by the injection tests).
LOCKDOWN = (
    "SET autoinstall_known_extensions = false",
    "SET autoload_known_extensions = false",
    "SET allow_community_extensions = false",
    "SET enable_external_access = false",
    "SET lock_configuration = true",
)


#: Connections made ahead of queries.
SPARE = 2


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
        self._meta_lock = threading.Lock()
        self._store: Store | None = None
        self._cone_lock = threading.Lock()
        self._spare: queue.SimpleQueue[duckdb.DuckDBPyConnection] = queue.SimpleQueue()

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

    def schema(self) -> tap_schema.Schema:
        """The tables TAP serves with their columns (re-read when the store changed)."""
        with self._meta_lock:
            state = self._state()
            if self._meta is not None and self._meta[0] == state:
                return self._meta[1]
            with self._session() as con:
                value = tap_schema.read(con)
                value.data_dirs = data_dirs(con, self.root)
            self._meta = (state, value)
            return value

    # ------------------------------------------------------------------ sessions
    def connection(self) -> duckdb.DuckDBPyConnection:
        """A new in-memory connection (one made ahead of time when there is one: creating
        one costs ~10 ms).
        """
        try:
            con = self._spare.get_nowait()
        except queue.Empty:
            con = duckdb.connect(":memory:")
        threading.Thread(target=self._refill, daemon=True).start()
        return con

    def _refill(self) -> None:
        if self._spare.qsize() < SPARE:
            self._spare.put(duckdb.connect(":memory:"))

    def _session(self, schema: tap_schema.Schema | None = None,
                 extra: dict[str, pa.Table] | None = None) -> _Session:
        return _Session(self, schema, extra)

    def cone(self, catalog: str, ra: float, dec: float, radius: float) -> pa.Table:
        """Rows of ``catalog`` in a cone, through ``Store.cone`` (HEALPix-pruned)."""
        with self._cone_lock:
            if self._store is None:
                self._store = Store.open(self.root, read_only=True, wait=self.wait)
            return self._store.cone(catalog, ra, dec, radius, output="arrow")

    def run(self, sql: str, *, cap: int,
            extra: dict[str, pa.Table] | None = None) -> tuple[pa.Table, bool]:
        """Run checked DuckDB ``sql``; return at most ``cap`` rows and whether more exist.

        ``extra`` Arrow tables are registered by name first (a cone's rows). Columns carry
        unit/UCD/description from the store's column metadata.
        """
        schema = self.schema()
        with self._session(schema, extra) as con:
            timer = threading.Timer(self.timeout_s, con.interrupt)
            timer.start()
            try:
                reader = con.sql(sql).to_arrow_reader(max(1, min(cap + 1, 65536)))
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
        overflow = table.num_rows > cap
        table = table.slice(0, cap)
        return describe(table, column_info(schema.column_rows)), overflow


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


class _Session:
    """One sandboxed connection: attach, lock down, (query), detach and close."""

    def __init__(self, box: Sandbox, schema: tap_schema.Schema | None = None,
                 extra: dict[str, pa.Table] | None = None):
        self.box = box
        self.schema = schema
        self.extra = extra or {}
        self.con: duckdb.DuckDBPyConnection | None = None
        self.turn: Any = None

    def __enter__(self) -> duckdb.DuckDBPyConnection:
        box = self.box
        self.turn = connection.process_lock(box.db_file, box.wait, log.info)
        self.turn.__enter__()
        try:
            con = self.con = box.connection()
            connection.attach(con, box.db_file, write=False, create=False, wait=box.wait,
                              tell=log.info)
            upkeep.session(con, box.root, box.db_file, write=False)
            if self.schema is not None:
                for name, table in {**self.schema.arrow(), **self.extra}.items():
                    con.register(name, table)
                con.execute("SET allowed_directories = $dirs", {"dirs": self.schema.data_dirs})
                for statement in LOCKDOWN:
                    con.execute(statement)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return con

    def __exit__(self, *exc: object) -> None:
        try:
            if self.con is not None:  # leave the file now; close the connection aside
                con = self.con
                try:
                    connection.detach(con)
                except duckdb.Error:
                    con.close()
                else:
                    threading.Thread(target=con.close, daemon=True).start()
        finally:
            self.con = None
            if self.turn is not None:
                self.turn.__exit__(None, None, None)
                self.turn = None
