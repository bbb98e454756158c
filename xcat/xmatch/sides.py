"""Reading one side of a cross-match: key, RA/Dec, 1-sigma error, per-source radius and
the CSC error ellipse of a catalog, as an Arrow table (errors and radius in arcsec).

X-ray catalogs are read through ``xray_sources`` (1-sigma error with the astrometric
frame, 95% ellipse); a ``--radius-column`` or ``--left-err/--right-err`` column that
``xray_sources`` lacks is read from the catalog's own table (e.g. CSC ``err_ellipse_r0``)
and joined on the source key. Columns are converted to arcsec from their registered unit
(no unit: arcsec). An error may also be a constant angle (``0arcsec``: the catalog's
positions are taken as exact, on purpose).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from xcat.errors import XcatError
from xcat.sky.units import parse_quantity
from xcat.store import sqlbuild
from xcat.store.db import Database
from xcat.store.sql import run_arrow

#: The columns every position read returns, in order (errors and radius in arcsec).
POSITION_COLUMNS = ("key", "ra", "dec", "sigma", "radius", "ellipse_a", "ellipse_b",
                    "ellipse_pa")

#: Registered unit of a column of a catalog (NULL: none declared).
COLUMN_UNIT = "SELECT unit FROM catalog_columns WHERE catalog = $catalog AND name = $name"


@dataclass
class Side:
    """How one side is read: the catalog, its error (a column, a constant or nothing)
    and, for the left side, the radius column.
    """

    catalog: str
    err: str | None = None
    radius: str | None = None
    option: str = "--left-err"


def constant_error(err: str | None) -> float | None:
    """An explicit constant error in arcsec (``"0arcsec"``, ``"0.05arcsec"``), or None
    when ``err`` names a column.

    Examples
    --------
    >>> constant_error("0arcsec"), constant_error("0.1arcsec"), constant_error("e_pos")
    (0.0, 0.1, None)
    >>> constant_error("2Sig") is None                # XRBID's column names start with digits
    True

    """
    if err is None:
        return None
    try:
        value = float(parse_quantity(err).to_value("arcsec"))
    except XcatError:  # not an angle with a unit: a column name
        return None
    if not value >= 0:
        raise XcatError(f"error '{err}' must be >= 0")
    return value


def qualified(col: str, alias: str | None) -> Any:
    """A quoted column, qualified by a FROM alias when given (no implicit FROM entry)."""
    if alias is None:
        return sqlbuild.column(col)
    quoted = col.replace('"', '""')
    return _sa().literal_column(f'{alias}."{quoted}"')


def _sa() -> Any:
    import sqlalchemy as sa

    return sa


def key_expr(catalog: str, key_columns: list[str] | None, alias: str | None = None) -> Any:
    """The key of a catalog's rows as one SQL string expression (columns joined by ``|``)."""
    sa = _sa()
    cols = [qualified(c, alias) for c in key_columns or []]
    if not cols:
        raise XcatError(f"catalog '{catalog}' has no key column to name its rows by: "
                        "ingest it again without --key (xcat then chooses an id column "
                        "or a row number) or with --key COL")
    expr = cols[0] if len(cols) == 1 else sa.func.concat_ws("|", *cols)
    return sa.cast(expr, sa.String())


def columns_of(store: Database, relation: str) -> list[str]:
    """Column names of a table or view, in order."""
    return [r[0] for r in store.con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = $t "
        "ORDER BY ordinal_position", {"t": relation}).fetchall()]


def arcsec_factor(store: Database, catalog: str, col: str, what: str) -> float:
    """Factor from a catalog column's registered unit to arcsec (no unit: arcsec)."""
    from astropy import units as u

    row = store.con.execute(COLUMN_UNIT, {"catalog": catalog, "name": col}).fetchall()
    unit = row[0][0] if row else None
    if not unit:
        return 1.0
    try:
        return float(u.Unit(unit).to(u.arcsec))
    except (ValueError, u.UnitConversionError) as exc:
        raise XcatError(f"catalog '{catalog}': {what} '{col}' has unit '{unit}', not an "
                        "angle") from exc


def _column_expr(store: Database, catalog: str, col: str, what: str, own: list[str],
                 alias: str | None = None) -> Any:
    """``col`` of the catalog's table as DOUBLE in arcsec (``alias``: its table alias)."""
    sa = _sa()
    if col not in own:
        shown = ", ".join(c for c in own if not c.startswith("_"))[:300]
        raise XcatError(f"catalog '{catalog}' has no column '{col}' ({what}); its columns: "
                        f"{shown}")
    ref = qualified(col, alias)
    factor = arcsec_factor(store, catalog, col, what)
    expr = sa.cast(ref, sa.Double())
    return expr * factor if factor != 1.0 else expr


def _null() -> Any:
    sa = _sa()
    return sa.cast(sa.null(), sa.Double())


def _constant(value: float) -> Any:
    sa = _sa()
    return sa.cast(sa.literal(value), sa.Double())


def positions_query(store: Database, info: dict[str, Any], side: Side) -> str:
    """SQL reading the positions of one (non-X-ray) catalog: its key as one string,
    RA/Dec, the error and the radius column in arcsec (NULL where not given).
    """
    sa = _sa()
    own = columns_of(store, info["name"])
    radius = (_column_expr(store, side.catalog, side.radius, "--radius-column", own)
              if side.radius else _null())
    const = constant_error(side.err)
    err = (_constant(const) if const is not None else _null() if side.err is None else
           _column_expr(store, side.catalog, side.err, side.option, own))
    cols = [key_expr(side.catalog, info["key_columns"]),
            sa.cast(sqlbuild.column(info["ra_column"]), sa.Double()),
            sa.cast(sqlbuild.column(info["dec_column"]), sa.Double()),
            err, radius, _null(), _null(), _null()]
    return sqlbuild.render(sa.select(*(c.label(n) for c, n in zip(
        cols, POSITION_COLUMNS, strict=True))).select_from(sa.table(info["name"])))


def xray_positions_query(store: Database, info: dict[str, Any], side: Side) -> str:
    """SQL reading an X-ray catalog ``$catalog`` from ``xray_sources`` (1-sigma error
    with the frame error, CSC 95% ellipse); a radius or error column that
    ``xray_sources`` lacks comes from the catalog's own table, joined on the key.
    """
    sa = _sa()
    xcols, own = columns_of(store, "xray_sources"), columns_of(store, info["name"])

    def x(col: str) -> Any:
        return qualified(col, "x")

    def pick(col: str | None, what: str) -> Any:
        if col is None:
            return _null()
        if col in xcols and col not in ("source_key", "catalog", "kind"):
            return sa.cast(x(col), sa.Double())  # xray_sources: arcsec by definition
        return _column_expr(store, side.catalog, col, what, own, alias="c")

    const = constant_error(side.err)
    err = (x("pos_err_1sigma") if side.err is None else
           _constant(const) if const is not None else pick(side.err, side.option))
    at95 = [sa.case((x("ellipse_conf") == 0.95, x(c))) for c in ("ellipse_a", "ellipse_b")]
    cols = [x("source_key"), x("ra"), x("dec"), err, pick(side.radius, "--radius-column"),
            *at95, x("ellipse_pa")]
    query = sa.select(*(c.label(n) for c, n in zip(cols, POSITION_COLUMNS, strict=True)))
    xs = sa.table("xray_sources").alias("x")
    needs_own = any(c is not None and c not in xcols and constant_error(c) is None
                    for c in (side.err, side.radius))
    if needs_own:
        own_t = sa.table(info["name"]).alias("c")
        key = key_expr(side.catalog, info["key_columns"], alias="c")
        query = query.select_from(xs.join(own_t, x("source_key") == key))
    else:
        query = query.select_from(xs)
    return sqlbuild.render(query.where(x("catalog") == sa.literal_column("$catalog")))


def read_side(store: Database, side: Side) -> pa.Table:
    """key, ra, dec, sigma, radius, ellipse_a/b/pa of one catalog (Arrow, arcsec)."""
    info = store.catalog(side.catalog)
    xray = {r[0] for r in store.con.execute("SELECT DISTINCT catalog FROM xray_sources")
            .fetchall()}
    if side.catalog in xray:
        query, params = xray_positions_query(store, info, side), {"catalog": side.catalog}
    else:
        query, params = positions_query(store, info, side), None
    try:
        return run_arrow(store.con, query, params)
    except XcatError:
        raise
    except Exception as exc:  # duckdb: a column that cannot be read as a number
        raise XcatError(f"catalog '{side.catalog}': {str(exc).splitlines()[0]}") from exc


def values(t: pa.Table, col: str) -> np.ndarray:
    """A column of a side as float64 (NULL -> NaN)."""
    return t.column(col).to_numpy(zero_copy_only=False).astype(np.float64)
