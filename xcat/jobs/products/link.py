"""Link product rows to the sources of a catalog: by an ID column (exact match after
trimming blanks) or by position (the nearest source within a stated radius).

Rows that find no source keep ``_source_key = NULL`` and are counted and reported;
nothing is dropped.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from xcat import resources
from xcat.errors import XcatError
from xcat.jobs.products.model import LinkResult
from xcat.store.db import Database
from xcat.store.sql import quote_ident


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
    query = resources.read_sql("products/catalog_keys.sql").format(
        key=quote_ident(cat_key), catalog=quote_ident(catalog))
    known = {r[0] for r in store.con.execute(query).fetchall()}
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
    query = resources.read_sql("products/catalog_positions.sql").format(
        key=quote_ident(_catalog_key(info)), ra=quote_ident(info["ra_column"]),
        dec=quote_ident(info["dec_column"]), catalog=quote_ident(catalog))
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


def _catalog_key(info: dict) -> str:
    keys = info.get("key_columns") or []
    if not keys:
        raise XcatError(f"catalog '{info['name']}' has no key column to link to; link by "
                        "position with --radius, or reload it with --key")
    return keys[0]
