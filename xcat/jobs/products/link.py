"""Link product rows to the sources of a catalog: by an ID column (exact match after
trimming blanks) or by position (the nearest source within a stated radius).

Rows that find no source keep ``_source_key = NULL`` and are counted and reported;
nothing is dropped.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from xcat.errors import XcatError
from xcat.jobs.products.model import LinkResult
from xcat.store import sqlbuild
from xcat.store.db import Database


def link_by_key(store: Database, table: pa.Table, key: str, catalog: str,
                source: str) -> LinkResult:
    """Link each row whose ``key`` value is a key of ``catalog``.

    Examples
    --------
    >>> link_by_key(store, t, "CSC ID", "csc", "bestrads.frame").n_linked  # doctest: +SKIP
    555

    """
    if key not in table.column_names:
        raise XcatError(f"{source}: no key column '{key}' (columns: "
                        f"{', '.join(table.column_names[:12])})")
    info = store.catalog(catalog)
    cat_key = _catalog_key(info)
    known = {r[0] for r in store.con.execute(catalog_keys_sql(catalog, cat_key)).fetchall()}
    values = [None if v is None else str(v).strip() for v in table.column(key).to_pylist()]
    linked = [v if v in known else None for v in values]
    return LinkResult(catalog, f"key '{key}' = {catalog}.{cat_key}", key, None, linked,
                      [None] * len(linked))


def link_by_position(store: Database, ra: np.ndarray, dec: np.ndarray, catalog: str,
                     radius_arcsec: float) -> LinkResult:
    """Link each position to the nearest source of ``catalog`` within ``radius_arcsec``.

    Uses astropy's k-d tree nearest-neighbour match on the unit sphere, so RA = 0/360
    and the poles need no special care. Rows without a position stay unlinked.

    Examples
    --------
    >>> link_by_position(store, ra, dec, "csc", 1.0).rule                # doctest: +SKIP
    'nearest csc source within 1 arcsec'

    """
    from astropy import units as u
    from astropy.coordinates import SkyCoord, match_coordinates_sky

    if not radius_arcsec > 0:
        raise XcatError(f"--radius must be > 0 (got {radius_arcsec} arcsec)")
    info = store.catalog(catalog)
    query = catalog_positions_sql(catalog, _catalog_key(info), info["ra_column"],
                                  info["dec_column"])
    cat = store.con.execute(query).df()
    rule = f"nearest {catalog} source within {radius_arcsec:g} arcsec"
    n = len(ra)
    keys: list[str | None] = [None] * n
    seps: list[float | None] = [None] * n
    ok = np.isfinite(ra) & np.isfinite(dec)
    if len(cat) and ok.any():
        if len(cat) == 1:  # match_coordinates_sky needs two catalog rows
            cat = cat.iloc[[0, 0]]
        mine = SkyCoord(ra[ok] * u.deg, dec[ok] * u.deg)
        theirs = SkyCoord(cat["ra"].to_numpy() * u.deg, cat["dec"].to_numpy() * u.deg)
        idx, sep, _ = match_coordinates_sky(mine, theirs)
        sep_arcsec = sep.to_value(u.arcsec)
        cat_keys = cat["source_key"].to_numpy()
        for j, i in enumerate(np.flatnonzero(ok)):
            if sep_arcsec[j] <= radius_arcsec:
                keys[i] = str(cat_keys[idx[j]])
                seps[i] = float(sep_arcsec[j])
    return LinkResult(catalog, rule, None, radius_arcsec, keys, seps)


def no_link(n: int) -> LinkResult:
    """Rows kept without any source link (``--no-link``)."""
    return LinkResult(None, "not linked (--no-link)", None, None, [None] * n, [None] * n)


def row_label(table: pa.Table, i: int, key: str | None) -> str:
    """A short label of row ``i`` for messages: its key value, or its first column."""
    col = key if key and key in table.column_names else table.column_names[0]
    return f"{col}={table.column(col)[i].as_py()!r}"


def catalog_keys_sql(catalog: str, key: str) -> str:
    """The distinct key values of a catalog, trimmed text (for key links).

    Examples
    --------
    >>> print(catalog_keys_sql("csc", "CSC ID"))  # doctest: +NORMALIZE_WHITESPACE
    SELECT DISTINCT trim(CAST("CSC ID" AS VARCHAR)) AS source_key
    FROM csc
    WHERE "CSC ID" IS NOT NULL

    """
    import sqlalchemy as sa

    k = sqlbuild.column(key)
    return sqlbuild.render(sa.select(_as_text(k).label("source_key")).distinct()
                           .select_from(sa.table(catalog)).where(k.is_not(None)))


def catalog_positions_sql(catalog: str, key: str, ra: str, dec: str) -> str:
    """Key (trimmed text) and position of every catalog row that has one (positional links)."""
    import sqlalchemy as sa

    ra_c, dec_c = sqlbuild.column(ra), sqlbuild.column(dec)
    return sqlbuild.render(sa.select(_as_text(sqlbuild.column(key)).label("source_key"),
                                     ra_c.label("ra"), dec_c.label("dec"))
                           .select_from(sa.table(catalog))
                           .where(ra_c.is_not(None), dec_c.is_not(None)))


def _as_text(column):
    import sqlalchemy as sa

    return sa.func.trim(sa.cast(column, sa.String))


def _catalog_key(info: dict) -> str:
    keys = info.get("key_columns") or []
    if not keys:
        raise XcatError(f"catalog '{info['name']}' has no key column to link to; link by "
                        "position with --radius, or reload it with --key")
    return keys[0]
