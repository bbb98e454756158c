"""The embedded store: a DuckDB file (registry, mutable tables, views) beside HATS catalogs.

Examples
--------
>>> from xcat import Store
>>> with Store.open("xcat-store", create=True) as store:      # doctest: +SKIP
...     store.ingest_csc("cscresults_M101.vot")
...     near = store.cone("csc", 210.80, 54.35, "2arcmin")
...     bright = store.sql("SELECT name, flux_aper_b FROM csc WHERE flux_aper_b > $f",
...                        {"f": 1e-14}, output="astropy")

"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

import duckdb
import pandas as pd
import pyarrow as pa

from xcat import paths
from xcat.errors import XcatError

Output = Literal["pandas", "arrow", "astropy"]


def quote_ident(name: str) -> str:
    """Quote an SQL identifier (for names that come from users)."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """Quote an SQL string literal (only for view bodies, which cannot bind values)."""
    return "'" + text.replace("'", "''") + "'"


def run_arrow(con: duckdb.DuckDBPyConnection, query: str,
              params: dict[str, Any] | list[Any] | None = None) -> pa.Table:
    """Run a query with bound parameters and return its rows as Arrow (no extra copy)."""
    rel = con.sql(query, params=params or None)
    if rel is None:  # a statement without a result (DDL, INSERT ...)
        return pa.table({})
    fetch = getattr(rel, "to_arrow_table", None) or rel.arrow
    return fetch()


class Store:
    """An xcat store on disk; open with :meth:`Store.open`."""

    def __init__(self, path: Path, con: duckdb.DuckDBPyConnection):
        self.path = path
        self.con = con
        self._cone_index: dict[str, Any] = {}

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(cls, path: str | os.PathLike | None = None, *, create: bool = False) -> Store:
        """Open the store at ``path`` (default ``$XCAT_STORE`` or ``./xcat-store``).

        With ``create=True`` a missing store is initialised. Pending schema
        migrations are applied and catalog views registered on open.

        Examples
        --------
        >>> store = Store.open("demo-store", create=True)     # doctest: +SKIP

        """
        root = Path(path or os.environ.get("XCAT_STORE") or paths.DEFAULT_STORE).absolute()
        if root.exists() and not root.is_dir():
            raise XcatError(f"{root}: store path is a file, not a directory")
        db = root / paths.DB_FILE
        if not db.exists():
            if not create:
                raise XcatError(f"{root}: no xcat store here (run 'xcat init' first)")
            if root.exists() and any(p.name != paths.CATALOGS_DIR for p in root.iterdir()):
                raise XcatError(f"{root}: directory is not empty and holds no xcat store")
            (root / paths.CATALOGS_DIR).mkdir(parents=True, exist_ok=True)
        try:
            con = duckdb.connect(str(db))
        except duckdb.IOException as exc:
            raise XcatError(f"{db}: cannot open the store ({str(exc).splitlines()[0]})") from exc
        store = cls(root, con)
        from xcat.migrations import migrate

        migrate(con)
        store.register_views()
        return store

    def close(self) -> None:
        """Close the DuckDB connection."""
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ registry
    def catalogs(self) -> pd.DataFrame:
        """The registry: name, kind, rows, source, sha256, created, versions."""
        return self.con.execute(paths.read_sql("store/list_catalogs.sql")).df()

    def catalog(self, name: str) -> dict[str, Any]:
        """Registry row of one catalog; ``XcatError`` if there is none."""
        cur = self.con.execute(paths.read_sql("store/get_catalog.sql"), {"name": name})
        rows = cur.fetchall()
        row = rows[0] if rows else None
        if row is None:
            known = ", ".join(self.catalogs()["name"]) or "none yet"
            raise XcatError(f"no catalog '{name}' in {self.path} (catalogs: {known})")
        return dict(zip([d[0] for d in cur.description], row, strict=True))

    def catalog_glob(self, name: str) -> str:
        """Glob over a catalog's Parquet partition files."""
        return str(paths.catalog_dir(self.path, name) / paths.DATASET_DIR
                   / "Norder=*" / "Dir=*" / "Npix=*" / "*.parquet")

    def register_views(self) -> None:
        """(Re)create the view over each catalog where it is missing or points elsewhere.

        Views hold absolute paths so the DuckDB file works from any SQL tool; a
        moved store gets its views rewritten on the next open.
        """
        existing = dict(self.con.execute(paths.read_sql("store/existing_views.sql")).fetchall())
        template = paths.read_sql("store/catalog_view.sql")
        for (name,) in self.con.execute(paths.read_sql("store/catalog_names.sql")).fetchall():
            glob = self.catalog_glob(name)
            if glob in (existing.get(name) or ""):
                continue
            self.con.execute(template.format(name=quote_ident(name), glob=quote_literal(glob)))
        if "xray_sources" not in existing:
            from xcat import xray_views

            xray_views.refresh(self.con, self)

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
            raise XcatError(f"SQL error: {str(exc).splitlines()[0]}") from exc
        return self.convert(table, output)

    def convert(self, table: pa.Table, output: Output) -> pd.DataFrame | pa.Table | Any:
        """Turn an Arrow result into the requested output type."""
        if output == "arrow":
            return table
        if output == "pandas":
            return table.to_pandas()
        if output == "astropy":
            from xcat.results import to_astropy

            return to_astropy(table, self.column_metadata())
        raise XcatError(f"unknown output '{output}' (pandas, arrow or astropy)")

    def column_metadata(self) -> pd.DataFrame:
        """Unit/UCD/description of every stored column, one row per (catalog, column)."""
        return self.con.execute(paths.read_sql("store/column_units.sql")).df()

    def cone(self, catalog: str, ra: float, dec: float, radius: str | float | Any, *,
             columns: list[str] | None = None, output: Output = "pandas"
             ) -> pd.DataFrame | pa.Table | Any:
        """Rows of ``catalog`` within ``radius`` of (ra, dec), nearest first.

        HEALPix prefilter (partition files, then row groups, then sorted index
        ranges), then the exact great-circle distance, added as ``_dist_arcsec``.

        Parameters
        ----------
        catalog : str
            Catalog name.
        ra, dec : float
            Centre in degrees (ICRS).
        radius : str, float or astropy Quantity
            ``"30arcsec"``, ``"2arcmin"``, ``"0.1deg"``, a Quantity, or degrees.
        columns : list of str, optional
            Columns to return (default all), plus ``_dist_arcsec``.
        output : {"pandas", "arrow", "astropy"}
            Result type.

        Examples
        --------
        >>> store.cone("csc", 210.80, 54.35, "30arcsec")           # doctest: +SKIP

        """
        from xcat.cone import cone_search, radius_degrees

        table = cone_search(self, catalog, float(ra), float(dec), radius_degrees(radius),
                            columns=columns)
        return self.convert(table, output)

    # ------------------------------------------------------------------ ingest
    def ingest_csc(self, file: str | os.PathLike, *, name: str = "csc",
                   replace: bool = False, progress: bool = False) -> list[str]:
        """Load a CSC export (CSCview VOTable, TAP/SCS VOTable, CSC CLI CSV).

        Master sources go to ``name``, per-stack/observation rows to
        ``<name>_detections``. Returns what happened to each catalog.
        """
        from xcat.ingest import ingest_file

        return ingest_file(self, Path(file), kind="csc", name=name, replace=replace,
                           progress=progress)

    def ingest_table(self, file: str | os.PathLike, *, name: str, ra: str | None = None,
                     dec: str | None = None, key: str | None = None,
                     mapping: str | None = None, pos_err: tuple[str, ...] = (),
                     fmt: str | None = None, replace: bool = False,
                     progress: bool = False, max_rows: int | None = None) -> list[str]:
        """Load any VOTable/FITS/CSV/ECSV/Parquet table with positions as catalog ``name``.

        ``max_rows`` caps the rows per HATS partition (default 1,000,000).

        Examples
        --------
        >>> store.ingest_table("stars.parquet", name="stars", key="id")  # doctest: +SKIP

        """
        from xcat.ingest import ingest_file

        extra = {"max_rows": max_rows} if max_rows else {}
        return ingest_file(self, Path(file), kind="table", name=name, ra=ra, dec=dec, key=key,
                           mapping=mapping, pos_err=pos_err, fmt=fmt, replace=replace,
                           progress=progress, **extra)

    def set_astrometric_frame(self, catalog: str, sigma: str | float, *,
                              reference: str | None = None, note: str | None = None) -> None:
        """Record the astrometric-frame (tie) error of a catalog, 1-sigma.

        It is combined in quadrature with the Kim et al. (2007) radii in
        ``<catalog>_position_errors`` and with the positional errors in
        ``xray_sources`` (r68 with sigma, r95 with 2 sigma). The newest value is in
        force; older ones stay as history.

        Examples
        --------
        >>> store.set_astrometric_frame("csc", "0.4875arcsec", reference="HST/ACS F555W")
        ... # doctest: +SKIP
        """
        import datetime as dt

        from astropy import units as u

        from xcat.units import parse_quantity

        self.catalog(catalog)
        value = (parse_quantity(sigma).to_value(u.arcsec) if isinstance(sigma, str)
                 else float(sigma))
        if not value >= 0:
            raise XcatError(f"astrometric error {sigma} must be >= 0")
        self.con.execute(paths.read_sql("store/insert_astrometric_frame.sql"), {
            "catalog": catalog, "sigma": value, "reference": reference, "note": note,
            "set_at": dt.datetime.now(dt.UTC).replace(tzinfo=None)})

    def astrometric_frames(self) -> pd.DataFrame:
        """Astrometric-frame errors recorded per catalog (newest first)."""
        return self.sql(paths.read_sql("store/list_astrometric_frames.sql"))

    def xmatch(self, left: str, right: str, *, radius: str | float | None = None,
               sigma: float | None = None, name: str | None = None, record: bool = True,
               **options: Any) -> Any:
        """Cross-match catalog ``left`` against ``right`` and record the run.

        A thin front for :func:`xcat.xmatch_store.xmatch`: ``radius`` takes a unit
        (``"3arcsec"``) or arcsec; ``sigma=k`` matches within k combined 1-sigma
        errors; other keywords are :class:`xcat.xmatch_store.XmatchOptions` fields.

        Examples
        --------
        >>> res = store.xmatch("csc", "hst_f555w", sigma=2, name="csc_x_hst")  # doctest: +SKIP
        >>> res.pairs.num_rows                                          # doctest: +SKIP
        875

        """
        from xcat.xmatch_store import XmatchOptions, arcsec, xmatch

        opts = XmatchOptions(radius=arcsec(radius) if radius is not None else None,
                             sigma=sigma, **options)
        return xmatch(self, left, right, opts, name=name, record=record)

    def invalidate(self, name: str) -> None:
        """Forget cached file handles of a catalog (after it was replaced)."""
        self._cone_index.pop(name, None)


def is_identifier(text: str) -> bool:
    """Whether ``text`` is a plain SQL identifier."""
    return re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text) is not None
