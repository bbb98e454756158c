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

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import duckdb
import pyarrow as pa

from xcat.errors import XcatError
from xcat.store import layout, migrations, registry, views
from xcat.store.results import column_info, describe, to_astropy
from xcat.store.sql import run_arrow

if TYPE_CHECKING:
    import pandas as pd

Output = Literal["pandas", "arrow", "astropy"]
MISSING_PARAMS = re.compile(r"Values were not provided for the following parameters: (.+)$")


def sql_error_message(exc: duckdb.Error) -> str:
    """DuckDB's whole message, hints kept (``Did you mean "csc"?``, candidate bindings,
    the ``LINE 1:`` caret), and for a missing ``$NAME`` how to give it.

    Examples
    --------
    >>> import duckdb
    >>> msg = sql_error_message(duckdb.InvalidInputException(
    ...     "Invalid Input Error: Values were not provided for the following parameters: f"))
    >>> msg.splitlines()[1]
    '  give each with -p NAME=VALUE: -p f=VALUE (params={"f": ...} in Python)'
    """
    lines = [line.rstrip() for line in str(exc).strip().splitlines() if line.strip()]
    # continuation lines share one indent, so the caret stays under its token
    text = "SQL error: " + (lines[0] if lines else type(exc).__name__)
    text += "".join(f"\n  {line}" for line in lines[1:])
    missing = MISSING_PARAMS.search(lines[0]) if lines else None
    if missing:
        names = [n.strip() for n in missing.group(1).split(",") if n.strip()]
        example = " ".join(f"-p {n}=VALUE" for n in names)
        py = ", ".join(f'"{n}": ...' for n in names)
        text += f"\n  give each with -p NAME=VALUE: {example} (params={{{py}}} in Python)"
    return text


class Database:
    """An xcat store on disk: its folder and its DuckDB connection."""

    def __init__(self, path: Path, con: duckdb.DuckDBPyConnection):
        self.path = path
        self.con = con

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(cls, path: str | os.PathLike | None = None, *, create: bool = False):
        """Open the store at ``path`` (default ``$XCAT_STORE`` or ``./xcat-store``).

        With ``create=True`` a missing store is initialised. Pending schema
        migrations are applied and catalog views registered on open.

        Examples
        --------
        >>> store = Store.open("demo-store", create=True)     # doctest: +SKIP

        """
        # normalised (no "..", "." or doubled slashes) but not resolved: symlinks are kept
        root = Path(os.path.abspath(path or os.environ.get("XCAT_STORE") or layout.DEFAULT_STORE))  # noqa: PTH100
        if root.exists() and not root.is_dir():
            raise XcatError(f"{root}: store path is a file, not a directory")
        db = root / layout.DB_FILE
        if not db.exists():
            if not create:
                raise XcatError(f"{root}: no xcat store here (run 'xcat init' first)")
            if root.exists() and any(p.name != layout.CATALOGS_DIR for p in root.iterdir()):
                raise XcatError(f"{root}: directory is not empty and holds no xcat store")
            (root / layout.CATALOGS_DIR).mkdir(parents=True, exist_ok=True)
        try:
            con = duckdb.connect(str(db))
        except duckdb.IOException as exc:
            raise XcatError(f"{db}: cannot open the store ({str(exc).splitlines()[0]})") from exc
        store = cls(root, con)
        migrations.migrate(con)
        store.register_views()
        return store

    def close(self) -> None:
        """Close the DuckDB connection."""
        self.con.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ registry
    def catalogs(self) -> pd.DataFrame:
        """The registry: name, kind, rows, source, sha256, created, versions."""
        return registry.list_catalogs(self.con)

    def catalog(self, name: str) -> dict[str, Any]:
        """Registry row of one catalog; ``XcatError`` if there is none."""
        row = registry.get_catalog(self.con, name)
        if row is None:
            known = ", ".join(self.catalogs()["name"]) or "none yet"
            raise XcatError(f"no catalog '{name}' in {self.path} (catalogs: {known})")
        return row

    def catalog_glob(self, name: str) -> str:
        """Glob over a catalog's Parquet partition files."""
        return layout.catalog_glob(self.path, name)

    def register_views(self) -> None:
        """(Re)create the catalog views where missing or pointing elsewhere, and the
        derived views when the store has none yet (see :func:`xcat.store.views.refresh`).
        """
        views.ensure(self.con, self.path)

    # ------------------------------------------------------------------ queries
    def sql(self, query: str, params: dict[str, Any] | list[Any] | None = None, *,
            output: Output = "pandas") -> pd.DataFrame | pa.Table | Any:
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

        Examples
        --------
        >>> store.sql("SELECT count(*) AS n FROM csc WHERE dec > $d", {"d": 54.3})  # doctest: +SKIP

        """
        try:
            table = run_arrow(self.con, query, params)
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
        table = describe(table, column_info(registry.column_rows(self.con)))
        return table if output == "arrow" else to_astropy(table)

    def column_metadata(self) -> pd.DataFrame:
        """Unit/UCD/description of every stored column, one row per (catalog, column)."""
        return registry.column_metadata(self.con)
