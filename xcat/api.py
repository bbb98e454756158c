"""The user's handle on a store: :class:`Store` opens and closes it, runs SQL and cone
searches, ingests files and cross-matches catalogs, calling down into the library.

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

import datetime as dt
import os
from pathlib import Path
from typing import Any

from astropy import units as u

from xcat.catalog import cone as cone_mod
from xcat.catalog.external import open_lsdb
from xcat.catalog.hats import MAX_PARTITION_ROWS
from xcat.errors import XcatError
from xcat.jobs.file import FileJob
from xcat.jobs.hats_import_job import HatsImportJob, RegisterHatsJob
from xcat.jobs.runner import run
from xcat.sky.units import parse_quantity
from xcat.store import registry
from xcat.store.db import Database, Output, writes
from xcat.xmatch.dask_units import scheduler_for
from xcat.xmatch.match import XmatchOptions, XmatchResult, arcsec, xmatch


class Store(Database):
    """An xcat store on disk; open with :meth:`Store.open` (also a context manager).

    A handle holds no lock while idle: each method attaches the store's file for its
    own operation (read-only to read; read-write only for the transaction that writes),
    so a notebook can keep a ``Store`` open while the CLI, other notebooks and SQL tools
    use the same store. ``Store.open(path, read_only=True)`` never writes.

    Examples
    --------
    >>> with Store.open("xcat-store", read_only=True) as store:     # doctest: +SKIP
    ...     store.sql("SELECT count(*) FROM csc")

    """

    def cone(self, catalog: str, ra: float, dec: float, radius: str | float | Any, *,
             columns: list[str] | None = None, output: Output = "pandas") -> Any:
        """Rows of ``catalog`` within ``radius`` of (ra, dec), nearest first.

        HEALPix prefilter (partition files, then row groups, then sorted index
        ranges), then the exact great-circle distance, added as ``_dist_arcsec``. The
        registry is read in a session only when the store's file changed since the last
        search, so repeated cones cost about a millisecond each.

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
        table = cone_mod.cone_search(self, catalog, float(ra), float(dec),
                                     cone_mod.radius_degrees(radius), columns=columns)
        return self.convert(table, output)

    def ingest_csc(self, file: str | os.PathLike, *, name: str = "csc",
                   replace: bool = False, progress: bool = False) -> list[str]:
        """Load a CSC export (CSCview VOTable, TAP/SCS VOTable, CSC CLI CSV).

        Master sources go to ``name``, per-stack/observation rows to
        ``<name>_detections``. Returns what happened to each catalog.
        """
        return run(self, FileJob(kind="csc", file=Path(file), name=name), replace=replace,
                   progress=progress)

    def ingest_table(self, file: str | os.PathLike, *, name: str, ra: str | None = None,
                     dec: str | None = None, key: str | None = None,
                     mapping: str | None = None, pos_err: tuple[str, ...] = (),
                     fmt: str | None = None, replace: bool = False,
                     progress: bool = False, max_rows: int | None = None,
                     margin: str | float | None = None, engine: str = "local",
                     client: Any = None, scheduler: str | None = None,
                     workers: int | None = None) -> list[str]:
        """Load any VOTable/FITS/CSV/ECSV/Parquet table with positions as catalog ``name``.

        ``max_rows`` caps the rows per HATS partition (default 1,000,000); ``margin``
        is the margin cache's threshold (``"60arcmin"``, or arcsec; default 3x the
        largest positional error, at least 10 arcsec).

        ``engine="dask"`` builds the catalog and its margin with hats-import's pipeline
        on a Dask cluster (``client``, a running ``scheduler`` address, or a local
        cluster of ``workers`` processes): for inputs too large for one machine. ``file``
        may then be a list of CSV or Parquet files or globs; the catalog is registered
        like a local ingest's (without ``mapping``, ``pos_err`` or a ``row_id`` key).

        Examples
        --------
        >>> store.ingest_table("stars.parquet", name="stars", key="id")  # doctest: +SKIP
        >>> store.ingest_table(["gaia/*.csv.gz"], name="gaia", key="source_id",
        ...                    engine="dask", workers=8)                # doctest: +SKIP

        """
        if engine == "dask":
            if mapping or pos_err or fmt:
                raise XcatError("--map, --pos-err and --format do not apply to "
                                "--engine dask (hats-import reads the columns as they are)")
            files = [file] if isinstance(file, str | os.PathLike) else list(file)
            return run(self, HatsImportJob(
                tuple(str(f) for f in files), name=name, ra=ra, dec=dec, key=key,
                margin=None if margin is None else arcsec(margin),
                max_rows=max_rows or MAX_PARTITION_ROWS, client=client,
                scheduler=scheduler, workers=workers), replace=replace, progress=progress)
        if engine != "local":
            raise XcatError(f"--engine {engine}: choose local or dask")
        job = FileJob(kind="table", file=Path(file), name=name, ra=ra, dec=dec, key=key,
                      mapping=mapping, pos_err=pos_err, fmt=fmt,
                      max_rows=max_rows or MAX_PARTITION_ROWS,
                      margin=None if margin is None else arcsec(margin))
        return run(self, job, replace=replace, progress=progress)

    def register_hats(self, path: str | os.PathLike, *, name: str, key: str | None = None,
                      replace: bool = False, margin: str | os.PathLike | None = None
                      ) -> list[str]:
        """Register the HATS catalog (or collection) at ``path`` as ``name`` without
        copying it, with its margin catalog (``margin``, the collection's default, or a
        ``<name>*`` margin catalog beside it). xcat never moves or removes its files;
        ``xcat verify`` says when they are gone.

        Examples
        --------
        >>> store.register_hats("hats/gaia_dr3", name="gaia", key="source_id")
        ... # doctest: +SKIP

        """
        return run(self, RegisterHatsJob(Path(path), name=name, key=key,
                                         margin=None if margin is None else Path(margin)),
                   replace=replace)

    def lsdb(self, name: str, *, columns: list[str] | None = None) -> Any:
        """Catalog ``name`` as an ``lsdb`` Catalog with its margin cache attached, to go
        on in LSDB (lazy: nothing is read until computed).

        Examples
        --------
        >>> cat = store.lsdb("gaia")                                    # doctest: +SKIP
        >>> cat.cone_search(210.8, 54.35, 30).compute()                 # doctest: +SKIP

        """
        return open_lsdb(self.catalog_dir(name), columns)

    @writes
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
        self.catalog(catalog)
        value = (parse_quantity(sigma).to_value(u.arcsec) if isinstance(sigma, str)
                 else float(sigma))
        if not value >= 0:
            raise XcatError(f"astrometric error {sigma} must be >= 0")
        registry.add_astrometric_frame(
            self.con, catalog=catalog, sigma=value, reference=reference, note=note,
            set_at=dt.datetime.now(dt.UTC).replace(tzinfo=None))

    def astrometric_frames(self) -> Any:
        """Astrometric-frame errors recorded per catalog (newest first)."""
        return self.sql(registry.LIST_FRAMES)

    def xmatch(self, left: str, right: str, *, radius: str | float | None = None,
               sigma: float | None = None, name: str | None = None, record: bool = True,
               engine: str = "local", client: Any = None, scheduler: str | None = None,
               workers: int | None = None, **options: Any) -> XmatchResult:
        """Cross-match catalog ``left`` against ``right`` and record the run.

        A thin front for :func:`xcat.xmatch.match.xmatch`: ``radius`` takes a unit
        (``"3arcsec"``) or arcsec; ``sigma=k`` matches within k combined 1-sigma
        errors; other keywords are :class:`xcat.xmatch.match.XmatchOptions` fields.
        ``engine="dask"`` runs the partitions on a Dask cluster: ``client`` (a
        ``distributed.Client``), a running ``scheduler`` address, or a local cluster of
        ``workers`` processes; the pairs are the same as ``engine="local"``'s.

        Examples
        --------
        >>> res = store.xmatch("csc", "hst_f555w", sigma=2,  # doctest: +SKIP
        ...                    right_err="0arcsec", name="csc_x_hst")
        >>> res.pairs.num_rows                                          # doctest: +SKIP
        875

        """
        opts = XmatchOptions(radius=arcsec(radius) if radius is not None else None,
                             sigma=sigma, **options)
        opts.validate()  # before a cluster is started
        with scheduler_for(self.path, engine, client, scheduler, workers) as units:
            opts.scheduler = units
            return xmatch(self, left, right, opts, name=name, record=record)

    def invalidate(self, name: str) -> None:
        """Forget cached file handles of a catalog (after it was replaced)."""
        cone_mod.invalidate(self, name)
