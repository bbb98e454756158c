"""A stored HATS catalog read partition by partition with pyarrow: its partitions in
nested order, their ``_healpix_29`` ranges and row offsets, the columns of one partition
or of its margin, and rows by position (the catalog's stored order).

Examples
--------
>>> cat = StoredCatalog.open(store.catalog_dir("gaia"))              # doctest: +SKIP
>>> cat.read(0, ["ra", "dec"]).num_rows                              # doctest: +SKIP
5
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from xcat.catalog import margin as margin_mod
from xcat.errors import XcatError
from xcat.sky import margins
from xcat.store import layout


@dataclass
class StoredCatalog:
    """One catalog version on disk (see module doc)."""

    folder: Path
    parts: list[tuple[int, int]]
    lo: np.ndarray
    hi: np.ndarray
    offsets: np.ndarray          # first row position of each partition; offsets[-1] = rows
    margin_threshold: float | None  # arcsec, None without a margin cache

    @classmethod
    def open(cls, folder: Path) -> StoredCatalog:
        """Partitions, ranges and row counts of the catalog at ``folder``."""
        parts = margin_mod.read_partitions(folder)
        lo, hi = margins.partition_bounds(parts)
        counts = [pq.ParquetFile(layout.partition_file(folder, o, p)).metadata.num_rows
                  for o, p in parts]
        offsets = np.concatenate(([0], np.cumsum(counts, dtype=np.int64)))
        return cls(folder, parts, lo, hi, offsets, margin_mod.read_threshold(folder))

    def schema(self) -> pa.Schema:
        """The catalog's Arrow schema (from ``dataset/_common_metadata``)."""
        return pq.read_schema(self.folder / layout.DATASET_DIR / layout.COMMON_METADATA_FILE)

    @property
    def n_rows(self) -> int:
        """Rows in the catalog."""
        return int(self.offsets[-1])

    def read(self, i: int, columns: list[str]) -> pa.Table:
        """The given columns of partition ``i`` (rows in stored order)."""
        order, pixel = self.parts[i]
        return _read(layout.partition_file(self.folder, order, pixel), columns)

    def read_margin(self, i: int, columns: list[str]) -> pa.Table | None:
        """The given columns of the margin rows of partition ``i`` (None: no rows)."""
        order, pixel = self.parts[i]
        folder = layout.partition_dir(margin_mod.margin_dir(self.folder), order, pixel)
        files = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
        if not files:
            return None
        return pa.concat_tables([_read(f, columns) for f in files])

    def read_all(self, columns: list[str]) -> pa.Table:
        """The given columns of every row, in stored order."""
        tables = [self.read(i, columns) for i in range(len(self.parts))]
        return pa.concat_tables(tables) if tables else pa.table({})

    def take(self, positions: np.ndarray, columns: list[str]) -> pa.Table:
        """Rows at ``positions`` (stored order), in the order given; reads only the
        partitions that hold one of them.
        """
        positions = np.asarray(positions, dtype=np.int64)
        order = np.argsort(positions, kind="stable")
        where = np.searchsorted(self.offsets, positions[order], side="right") - 1
        pieces = []
        for i in np.unique(where):
            sel = positions[order][where == i] - self.offsets[i]
            pieces.append(self.read(int(i), columns).take(pa.array(sel)))
        if not pieces:
            return self.read(0, columns).slice(0, 0) if self.parts else pa.table({})
        back = np.empty(len(order), np.int64)
        back[order] = np.arange(len(order))
        return pa.concat_tables(pieces).take(pa.array(back))


def _read(file: Path, columns: list[str]) -> pa.Table:
    try:
        return pq.read_table(file, columns=columns)
    except (OSError, pa.ArrowException) as exc:
        raise XcatError(f"{file}: cannot read ({str(exc).splitlines()[0]})") from exc


def key_strings(table: pa.Table, columns: list[str]) -> pa.Array:
    """The key of each row as one string, as the store's SQL spells it (columns joined
    by ``|``; integers and strings as text, other types through DuckDB's cast).
    """
    parts = []
    for c in columns:
        col = table.column(c).combine_chunks() if table.num_rows else pa.array([], pa.string())
        if pa.types.is_integer(col.type) or pa.types.is_string(col.type) \
                or pa.types.is_large_string(col.type):
            parts.append(pc.cast(col, pa.string()))
        else:
            con = duckdb.connect()
            try:
                con.register("t", pa.table({"v": col}))
                parts.append(con.execute("SELECT CAST(v AS VARCHAR) AS v FROM t")
                             .fetch_arrow_table().column("v").combine_chunks())
            finally:
                con.close()
    if len(parts) == 1:
        return parts[0]
    return pc.binary_join_element_wise(*parts, "|", null_handling="skip")
