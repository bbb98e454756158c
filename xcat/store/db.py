"""The store's floor: the DuckDB file (registry, mutable tables, views) beside the HATS
catalogs, with SQL in and pandas / Arrow / astropy out.

Everything above (ingest jobs, cross-match, science, outputs) takes a
:class:`Database`; the user's handle, :class:`xcat.api.Store`, extends it.

Examples
--------
>>> from xcat.store.db import Database
>>> with Database.open("xcat-store", create=True) as db:       # doctest: +SKIP
...     db.sql("SELECT count(*) FROM catalogs")
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import duckdb
import pyarrow as pa

from xcat.errors import XcatError
from xcat.store import connection, layout, log, migrations, registry, upkeep, views
from xcat.store.owned import check_kinds, run_guarded, statement_kinds
from xcat.store.results import column_info, describe, to_astropy
from xcat.store.sql import run_arrow, sql_error_message

if TYPE_CHECKING:
    import pandas as pd

Output = Literal["pandas", "arrow", "astropy"]
F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


def reads(func: F) -> F:
    """Run a function or method whose first argument is a store in a read session."""
    @functools.wraps(func)
    def wrapper(store: Database, *args: Any, **kwargs: Any) -> Any:
        with store.reading():
            return func(store, *args, **kwargs)
    return wrapper  # type: ignore[return-value]


def writes(func: F) -> F:
    """Run a function or method whose first argument is a store in a write session:
    its checks and its transaction see the same state, under the write lock.
    """
    @functools.wraps(func)
    def wrapper(store: Database, *args: Any, **kwargs: Any) -> Any:
        with store.writing():
            return func(store, *args, **kwargs)
    return wrapper  # type: ignore[return-value]


class Database:
    """An xcat store on disk: its folder, and a DuckDB connection that holds the store's
    file only while an operation runs.

    Operations run in sessions: :meth:`reading` attaches the file read-only (many
    processes may read at once), :meth:`writing` read-write for one transaction (one
    process at a time; others wait, see :mod:`xcat.store.connection`). Code that uses
    :attr:`con` outside a session opens a read session that lasts until :meth:`release`
    or :meth:`close`; the user's :class:`xcat.Store` methods each run in their own.
    """

    def __init__(self, path: Path, *, read_only: bool = False, wait: float | None = None):
        self.path = path
        self.db_file = path / layout.DB_FILE
        self.read_only = read_only
        self.wait = connection.default_wait() if wait is None else float(wait)
        self._mem: duckdb.DuckDBPyConnection | None = duckdb.connect(":memory:")
        self._mode: str | None = None      # None, "r" or "w": what is attached now
        self._implicit = False             # a read session opened by .con, not a block
        self._turn: Any = None             # this process's turn on the file while attached
        self._turn_entry: Any = None
        self._remembered: dict[Any, tuple[Any, Any]] = {}  # key -> (state, value)

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(cls, path: str | os.PathLike | None = None, *, create: bool = False,
             read_only: bool = False, wait: float | None = None):
        """Open the store at ``path`` (default ``$XCAT_STORE`` or ``./xcat-store``).

        Parameters
        ----------
        path : str or path-like, optional
            The store's folder.
        create : bool
            Initialise a missing store.
        read_only : bool
            Never write: writing operations raise ``XcatError``.
        wait : float, optional
            Seconds to wait for a store another process is writing (default
            ``$XCAT_WAIT`` or 30).

        Opening holds no lock: pending schema migrations, views pointing at a moved
        store and leftovers of an interrupted ingest are dealt with in one short
        write, only when there is something to do.

        Examples
        --------
        >>> with Store.open("demo-store", create=True) as store:     # doctest: +SKIP
        ...     store.sql("SELECT count(*) FROM catalogs")

        """
        # normalised (no "..", "." or doubled slashes) but not resolved: symlinks are kept
        root = Path(os.path.abspath(path or os.environ.get("XCAT_STORE") or layout.DEFAULT_STORE))  # noqa: PTH100
        if root.exists() and not root.is_dir():
            raise XcatError(f"{root}: store path is a file, not a directory")
        db_file = root / layout.DB_FILE
        new = not db_file.exists()
        if new:
            if not create:
                raise XcatError(f"{root}: no xcat store here (run 'xcat init' first)")
            if read_only:
                raise XcatError(f"{root}: no xcat store here to open read-only")
            if root.exists() and any(p.name != layout.CATALOGS_DIR for p in root.iterdir()):
                raise XcatError(f"{root}: directory is not empty and holds no xcat store")
            (root / layout.CATALOGS_DIR).mkdir(parents=True, exist_ok=True)
        store = cls(root, read_only=read_only, wait=wait)
        try:
            store._prepare(new)
        except BaseException:
            store.close()
            raise
        return store

    def _prepare(self, new: bool) -> None:
        """Bring the store up to date in one short write when it needs it."""
        if not new:
            with self.reading() as con:
                todo = upkeep.needs(con, self.path, self.db_file,
                                    writable=not self.read_only)
            if not todo:
                return
            writable = not self.read_only and self._writable()
            if not writable:
                if "migrations" in todo:
                    raise XcatError(f"{self.path}: the store needs a schema upgrade for this "
                                    "xcat; open it once without read_only"
                                    + ("" if self.read_only else " where it can be written"))
                if not self.read_only:
                    log.info("%s cannot be written here (read-only media or no permission): "
                             "reading it as it is", self.path)
                return  # a moved store is read through temporary views (upkeep.session)
        with self._attached(write=True, create=new) as con:
            migrations.migrate(con)
            upkeep.record_root(con, self.db_file)
            views.ensure(con, self.path, upkeep.db_paths(self.db_file))

    def _writable(self) -> bool:
        """Whether this process may write the store's file and folder (not on read-only
        media, not someone else's store).
        """
        return all(os.access(p, os.W_OK) for p in (self.path, self.db_file))

    def close(self) -> None:
        """Leave the store and close the connection (the handle cannot be used after)."""
        if self._mode is not None:
            self._leave()
        if self._mem is not None:
            self._mem.close()
            self._mem = None

    def release(self) -> None:
        """End the read session :attr:`con` opened outside a block (no lock held after)."""
        if self._implicit and self._mode is not None:
            self._leave()

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ sessions
    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The connection of the current session (a read session is opened if none)."""
        if self._mode is None:
            self._enter(write=False)
            self._mark_implicit()
        assert self._mem is not None
        return self._mem

    @contextmanager
    def reading(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A block in which the store is attached read-only (or already for writing)."""
        if self._mode is not None:
            yield self.con
            return
        with self._attached(write=False) as con:
            yield con

    @contextmanager
    def writing(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A block in which the store is attached read-write: keep it to one transaction.

        Inside a read session the file is re-attached for writing, then for reading again.
        """
        if self.read_only:
            raise XcatError(f"{self.path}: the store was opened read-only")
        if self._mode == "w":
            yield self.con
            return
        if self._mode == "r":
            implicit = self._implicit
            self._leave()
            try:
                with self._attached(write=True) as con:
                    yield con
            finally:
                self._enter(write=False)
                if implicit:
                    self._mark_implicit()
            return
        with self._attached(write=True) as con:
            yield con

    def _mark_implicit(self) -> None:
        self._implicit = True
        self._turn_entry.release_idle = self.release

    @contextmanager
    def _attached(self, *, write: bool,
                  create: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        self._enter(write=write, create=create)
        try:
            yield self.con
        finally:
            self._leave()

    def _enter(self, *, write: bool, create: bool = False) -> None:
        if self._mem is None:
            raise XcatError(f"{self.path}: the store handle is closed")
        turn = connection.process_lock(self.db_file, self.wait, log.info)
        self._turn_entry = turn.__enter__()
        try:
            connection.attach(self._mem, self.db_file, write=write, create=create,
                              wait=self.wait, tell=log.info)
            self._mode = "w" if write else "r"
            self._turn = turn
            if not create:
                upkeep.session(self._mem, self.path, self.db_file, write=write)
        except BaseException:
            if self._mode is not None:
                self._mode = None
                connection.detach(self._mem)
            turn.__exit__(None, None, None)
            raise

    def _leave(self) -> None:
        assert self._mem is not None
        turn, self._turn = self._turn, None
        self._mode = None
        self._implicit = False
        try:
            upkeep.end_session(self._mem)
            connection.detach(self._mem)
        finally:
            if turn is not None:
                turn.__exit__(None, None, None)

    # ------------------------------------------------------------------ cached reads
    def state(self) -> tuple[Any, ...]:
        """A fingerprint of the store file's committed state: inode, size and modification
        time of the file and of its write-ahead log (a commit changes one of them).
        """
        out: list[Any] = []
        for f in (self.db_file, self.db_file.with_name(self.db_file.name + ".wal")):
            try:
                st = f.stat()
            except OSError:
                out.append(None)
            else:
                out.append((st.st_ino, st.st_size, st.st_mtime_ns))
        return tuple(out)

    def remembered(self, key: Any, read: Callable[[], T]) -> T:
        """``read()`` in a read session, reused while :meth:`state` is unchanged: a hot
        path (a cone search, a result's column metadata) then needs no session at all.
        """
        if self._mem is None:
            raise XcatError(f"{self.path}: the store handle is closed")
        if self._mode == "w":  # this transaction may change what is read
            return read()
        before = self.state()  # (no writer commits while a read session is attached)
        hit = self._remembered.get(key)
        if hit is not None and hit[0] == before:
            return hit[1]
        with self.reading():
            value = read()
        self._remembered[key] = (before, value)  # the state from before: never too new
        return value

    def forget(self) -> None:
        """Drop every remembered read (the next ones run in a session)."""
        self._remembered.clear()

    # ------------------------------------------------------------------ registry
    @reads
    def catalogs(self) -> pd.DataFrame:
        """The registry: name, kind, rows, source, sha256, created, versions."""
        return registry.list_catalogs(self.con)

    @reads
    def catalog(self, name: str) -> dict[str, Any]:
        """Registry row of one catalog; ``XcatError`` if there is none."""
        row = registry.get_catalog(self.con, name)
        if row is None:
            known = ", ".join(self.catalogs()["name"]) or "none yet"
            raise XcatError(f"no catalog '{name}' in {self.path} (catalogs: {known})")
        return row

    @reads
    def catalog_dir(self, name: str) -> Path:
        """The folder of the live version of a catalog (from the registry)."""
        return self.path / self.catalog(name)["path"]

    def catalog_glob(self, name: str) -> str:
        """Glob over the Parquet partition files of the live version of a catalog."""
        return layout.catalog_glob(self.catalog_dir(name))

    # ------------------------------------------------------------------ queries
    def sql(self, query: str, params: dict[str, Any] | list[Any] | None = None, *,
            output: Output = "pandas", write: bool | None = None) -> pd.DataFrame | pa.Table | Any:
        """Run SQL with bound parameters; return pandas, Arrow or an astropy Table.

        Parameters
        ----------
        query : str
            Any DuckDB SQL; catalogs are views named after them.
        params : dict or list, optional
            Values bound to ``$name`` (dict) or ``?`` (list) placeholders.
        output : {"pandas", "arrow", "astropy"}
            Result type. ``astropy`` attaches the unit, UCD and description of
            each column whose name is a stored column with one unambiguous unit.
        write : bool, optional
            ``False`` refuses a query that would change the store; by default a
            query that only reads runs on a read-only attachment and one that writes
            takes the write lock for one transaction. Edits of the objects the store
            owns (``DROP VIEW csc``, rows of ``catalogs``) are refused either way.

        Examples
        --------
        >>> store.sql("SELECT count(*) AS n FROM csc WHERE dec > $d", {"d": 54.3})  # doctest: +SKIP

        """
        if self._mem is None:
            raise XcatError(f"{self.path}: the store handle is closed")
        writes = check_kinds(statement_kinds(self._mem, query))
        try:
            if not writes:
                with self.reading() as con:
                    return self.convert(run_arrow(con, query, params), output)
        except duckdb.Error as exc:
            if "read-only" not in str(exc):
                raise XcatError(sql_error_message(exc)) from exc
        if write is False or self.read_only:
            raise XcatError("this query changes the store, which is open read-only here"
                            + (" (add --write to let xcat sql change it)" if write is False
                               else ""))
        try:
            with self.writing() as con:
                table = run_guarded(con, query, params)
        except duckdb.Error as exc:
            raise XcatError(sql_error_message(exc)) from exc
        return self.convert(table, output)

    def convert(self, table: pa.Table, output: Output) -> pd.DataFrame | pa.Table | Any:
        """Turn an Arrow result into the requested output type.

        Arrow and astropy results carry the unit, UCD and description of each column
        whose name is a stored column with one unambiguous unit (Arrow as field metadata).
        """
        if output not in ("arrow", "pandas", "astropy"):
            raise XcatError(f"unknown output '{output}' (pandas, arrow or astropy)")
        if output == "pandas":
            return table.to_pandas()
        info = self.remembered("column_info", lambda: column_info(
            registry.column_rows(self.con)))
        table = describe(table, info)
        return table if output == "arrow" else to_astropy(table)

    @reads
    def column_metadata(self) -> pd.DataFrame:
        """Unit/UCD/description of every stored column, one row per (catalog, column)."""
        return registry.column_metadata(self.con)
