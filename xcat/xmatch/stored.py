"""The sides of a cross-match as the engine reads them: a plain catalog straight from
its Parquet partitions with pyarrow (only the columns needed; keys only for the rows
that matched), an X-ray catalog through ``xray_sources`` (its errors are computed in
SQL), either held in memory or, on the right, walked partition by partition with its
margin cache.

Errors and radii are in arcsec; a column's registered unit is converted (no unit:
arcsec), an error may be a constant (``0arcsec``: positions taken as exact).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from xcat.catalog.partitions import StoredCatalog, key_strings
from xcat.errors import XcatError
from xcat.sky import healpix
from xcat.store import layout, sqlbuild, xray_views
from xcat.store.db import Database
from xcat.store.sql import run_arrow
from xcat.xmatch.engine import MemoryRight, Rows
from xcat.xmatch.sides import Side, arcsec_factor, columns_of, constant_error, read_side, values

#: Right catalogs up to this many rows may be held in memory when their margin cache is
#: narrower than a radius the match needs.
MEMORY_ROWS = 5_000_000


@dataclass
class Column:
    """A value read from a plain catalog: a column times a factor, or a constant."""

    name: str | None
    factor: float = 1.0
    constant: float = np.nan

    def values(self, t: pa.Table, catalog: str) -> np.ndarray:
        """The value of each row of ``t`` as float64 (NULL -> NaN)."""
        if self.name is None:
            return np.full(t.num_rows, self.constant)
        col = t.column(self.name)
        try:
            if col.type != pa.float64():
                col = pc.cast(col, pa.float64())
        except pa.ArrowException as exc:
            raise XcatError(f"catalog '{catalog}': column '{self.name}' is not a number "
                            f"({str(exc).splitlines()[0]})") from exc
        # one copy (the row groups joined); NULL -> NaN
        v = col.to_numpy(zero_copy_only=False).astype(np.float64, copy=False)
        return v * self.factor if self.factor != 1.0 else v


@dataclass
class Left:
    """The left side: rows (positions in the catalog's order), per-source radius and
    CSC ellipse, ``_healpix_29``, and its keys (now, or by position from the files).
    """

    rows: Rows
    h29: np.ndarray
    radius: np.ndarray
    ellipse_a: np.ndarray
    ellipse_b: np.ndarray
    ellipse_pa: np.ndarray
    stored: StoredCatalog | None = None
    key_columns: list[str] | None = None

    def __len__(self) -> int:
        return len(self.rows)

    def keys(self, positions: np.ndarray) -> pa.Array:
        """Keys of the rows at ``positions``."""
        if self.rows.keys is not None:
            return pc.cast(self.rows.keys.take(pa.array(positions)), pa.string())
        assert self.stored is not None and self.key_columns is not None
        t = self.stored.take(positions, self.key_columns)
        return key_strings(t, self.key_columns)

    def first_key(self, bad: np.ndarray) -> str:
        """The key of the first row where ``bad`` holds."""
        return str(self.keys(np.flatnonzero(bad)[:1])[0].as_py())


@dataclass
class StoredRight:
    """A plain right catalog walked partition by partition with its margin cache."""

    cat: StoredCatalog
    name: str
    ra: Column
    dec: Column
    sigma: Column
    key_columns: list[str]

    @property
    def lo(self) -> np.ndarray:
        """First order-29 index of each partition."""
        return self.cat.lo

    @property
    def hi(self) -> np.ndarray:
        """End (exclusive) of each partition's order-29 range."""
        return self.cat.hi

    def _columns(self) -> list[str]:
        names = [c.name for c in (self.ra, self.dec, self.sigma) if c.name is not None]
        return list(dict.fromkeys([layout.HEALPIX_COLUMN, *names, *self.key_columns]))

    def _rows(self, t: pa.Table) -> Rows:
        return Rows(self.ra.values(t, self.name), self.dec.values(t, self.name),
                    self.sigma.values(t, self.name), native_keys(t, self.key_columns),
                    t.column(layout.HEALPIX_COLUMN).to_numpy())

    def unit(self, i: int, radius_deg: float) -> tuple[Rows, Rows | None]:
        """Own rows of partition ``i`` and its margin rows (the margin must be wide
        enough: checked before the walk).
        """
        own = self._rows(self.cat.read(i, self._columns()))
        margin = self.cat.read_margin(i, self._columns())
        return own, (self._rows(margin) if margin is not None and margin.num_rows else None)


def native_keys(t: pa.Table, columns: list[str]) -> pa.Array:
    """Row keys as the engine carries them: one integer key column as it is (cast to
    text only for the pairs kept), else the key as text.
    """
    if len(columns) == 1 and pa.types.is_integer(t.schema.field(columns[0]).type):
        return t.column(columns[0]).combine_chunks()
    return key_strings(t, columns)


def is_xray(store: Database, catalog: str) -> bool:
    """Whether ``catalog`` is read through ``xray_sources``."""
    return bool(store.con.execute("SELECT 1 FROM xray_sources WHERE catalog = $c LIMIT 1",
                                  {"c": catalog}).fetchall())


def plain_column(store: Database, info: dict[str, Any], col: str | None, what: str,
                 own: list[str]) -> Column:
    """A plain catalog's error or radius: a column in arcsec, a constant, or none."""
    if col is None:
        return Column(None)
    const = constant_error(col)
    if const is not None:
        return Column(None, constant=const)
    if col not in own:
        shown = ", ".join(c for c in own if not c.startswith("_"))[:300]
        raise XcatError(f"catalog '{info['name']}' has no column '{col}' ({what}); its "
                        f"columns: {shown}")
    return Column(col, arcsec_factor(store, info["name"], col, what))


def read_left(store: Database, side: Side) -> Left:
    """The left side: a plain catalog from its files, an X-ray one through SQL."""
    info = store.catalog(side.catalog)
    if is_xray(store, side.catalog):
        t = read_side(store, side)
        rows = _rows_of(t)
        h29 = healpix.radec_to_healpix29(rows.ra, rows.dec) if len(rows) else \
            np.empty(0, np.int64)
        return Left(rows, h29, values(t, "radius"), values(t, "ellipse_a"),
                    values(t, "ellipse_b"), values(t, "ellipse_pa"))
    own = columns_of(store, side.catalog)
    cat = StoredCatalog.open(store.path / info["path"])
    err = plain_column(store, info, side.err, side.option, own)
    radius = plain_column(store, info, side.radius, "--radius-column", own)
    ra, dec = Column(info["ra_column"]), Column(info["dec_column"])
    keys = _key_columns(info)
    names = [layout.HEALPIX_COLUMN] + [c.name for c in (ra, dec, err, radius) if c.name]
    # one integer key is read with the positions (8 bytes a row); other keys are read
    # later, only for the rows that matched
    small = len(keys) == 1 and pa.types.is_integer(cat.schema().field(keys[0]).type)
    t = cat.read_all(list(dict.fromkeys(names + (keys if small else []))))
    n = t.num_rows
    nan = np.full(n, np.nan)
    rows = Rows(ra.values(t, side.catalog), dec.values(t, side.catalog),
                err.values(t, side.catalog),
                t.column(keys[0]).combine_chunks() if small else None)
    return Left(rows, t.column(layout.HEALPIX_COLUMN).to_numpy(), radius.values(t, side.catalog),
                nan, nan, nan, stored=cat, key_columns=keys)


def _key_columns(info: dict[str, Any]) -> list[str]:
    keys = info["key_columns"] or []
    if not keys:
        raise XcatError(f"catalog '{info['name']}' has no key column to name its rows by: "
                        "ingest it again without --key (xcat then chooses an id column "
                        "or a row number) or with --key COL")
    return list(keys)


@dataclass
class RightStats:
    """Whole-catalog facts about the right side's errors, computed before the walk."""

    n_rows: int
    max_sigma: float
    median_sigma: float
    n_bad: int          # rows without a usable error (NULL, NaN, negative)
    first_bad: str | None  # None: no error column at all


@dataclass
class RightPlan:
    """The right side before it is opened: its error column and whole-catalog facts,
    and its rows when they are already in memory (X-ray catalogs).
    """

    side: Side
    stats: RightStats
    stored: StoredCatalog | None = None
    err: Column | None = None
    info: dict[str, Any] | None = None
    memory: Rows | None = None


def inspect_right(store: Database, side: Side) -> RightPlan:
    """Errors of the right side (out of core for a plain catalog; X-ray catalogs are
    read whole through SQL, once).
    """
    info = store.catalog(side.catalog)
    if is_xray(store, side.catalog):
        rows = _memory_rows(store, side)
        return RightPlan(side, _memory_stats(rows), memory=rows)
    own = columns_of(store, side.catalog)
    err = plain_column(store, info, side.err, side.option, own)
    cat = StoredCatalog.open(store.path / info["path"])
    return RightPlan(side, _sql_stats(store, info, err, cat), cat, err, info)


def open_right(store: Database, plan: RightPlan, needed_arcsec: float
               ) -> StoredRight | MemoryRight:
    """The right side for a match whose radii reach ``needed_arcsec``: a plain catalog
    whose margin is that wide is walked on disk; otherwise it is held in memory (X-ray
    catalogs, and plain ones of at most :data:`MEMORY_ROWS` rows); else an error says
    how to widen the margin.
    """
    if plan.memory is not None:
        return MemoryRight(plan.memory)
    cat, info, name = plan.stored, plan.info, plan.side.catalog
    assert cat is not None and info is not None and plan.err is not None
    wide = cat.margin_threshold is not None and \
        needed_arcsec <= cat.margin_threshold * (1 + 1e-12)
    if wide:
        return StoredRight(cat, name, Column(info["ra_column"]), Column(info["dec_column"]),
                           plan.err, _key_columns(info))
    if cat.n_rows <= MEMORY_ROWS:
        return MemoryRight(_memory_rows(store, plan.side))
    have = f"{cat.margin_threshold:g} arcsec" if cat.margin_threshold else "no margin cache"
    raise XcatError(
        f"catalog '{name}' ({cat.n_rows:,} rows) has {have}, narrower than this match "
        f"needs ({needed_arcsec:g} arcsec, the radius or the density annulus): rebuild "
        f"it with `xcat margin {name} --threshold {np.ceil(needed_arcsec):g}arcsec`, or "
        "use a smaller radius or --density VALUE")


def _rows_of(t: pa.Table) -> Rows:
    """The rows of a side read through SQL (:func:`xcat.xmatch.sides.read_side`)."""
    return Rows(values(t, "ra"), values(t, "dec"), values(t, "sigma"),
                t.column("key").combine_chunks())


def _memory_rows(store: Database, side: Side) -> Rows:
    return _rows_of(read_side(store, side))


def _memory_stats(rows: Rows) -> RightStats:
    s = rows.sigma
    bad = ~(np.isfinite(s) & (s >= 0))
    first = str(rows.keys[int(np.flatnonzero(bad)[0])].as_py()) \
        if bad.any() and rows.keys is not None else None
    return RightStats(len(rows), float(s[~bad].max()) if (~bad).any() else 0.0,
                      float(np.median(np.nan_to_num(s, nan=0.0))) if len(s) else 0.0,
                      int(bad.sum()), first)


def _sql_stats(store: Database, info: dict[str, Any], err: Column, cat: StoredCatalog
               ) -> RightStats:
    """The same facts over the catalog's files, out of core (DuckDB)."""
    import sqlalchemy as sa

    if err.name is None:  # a constant error: the row count is in the files' footers
        n, c = cat.n_rows, err.constant
        ok = bool(np.isfinite(c) and c >= 0)
        return RightStats(n, c, c, 0, None) if ok else RightStats(n, 0.0, 0.0, n, None)
    view = xray_views.hats_view(info["name"])
    key = sa.cast(sqlbuild.column(_key_columns(info)[0]), sa.String())
    v = sa.cast(sqlbuild.column(err.name), sa.Double()) * err.factor
    ok = sa.and_(v.is_not(None), sa.func.isfinite(v), v >= 0)
    q = sa.select(sa.func.count(), sa.func.max(v).filter(ok),
                  sa.func.median(sa.func.coalesce(sa.case((ok, v)), 0.0)),
                  sa.func.count().filter(sa.not_(ok)),
                  sa.func.min(key).filter(sa.not_(ok))).select_from(sa.table(view))
    try:
        row = run_arrow(store.con, sqlbuild.render(q)).to_pylist()[0]
    except XcatError:
        raise
    except Exception as exc:  # duckdb: a column that cannot be read as a number
        raise XcatError(f"catalog '{info['name']}': {str(exc).splitlines()[0]}") from exc
    n, top, med, n_bad, first = row.values()
    return RightStats(int(n), float(top or 0.0), float(med or 0.0), int(n_bad), first)
