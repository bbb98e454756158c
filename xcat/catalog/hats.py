"""Write an Arrow table as a HATS catalog directory (Npix folders, _metadata, properties).

Rows are sorted by ``_healpix_29``; a partition is then a contiguous slice, so
writing is one pass of slices. Row groups are small enough that a cone search
reads only what it needs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from xcat.sky import healpix
from xcat.sky.partitioning import choose_partitions
from xcat.store import layout
from xcat.version import __version__

ROW_GROUP_SIZE = 16_384
MAX_PARTITION_ROWS = 1_000_000


def sort_by_healpix(table: pa.Table, ra: str, dec: str) -> pa.Table:
    """Add ``_healpix_29`` (first column) and sort rows by it (stable)."""
    ra_v = table.column(ra).to_numpy(zero_copy_only=False).astype(np.float64, copy=False)
    dec_v = table.column(dec).to_numpy(zero_copy_only=False).astype(np.float64, copy=False)
    h = healpix.radec_to_healpix29(ra_v, dec_v)
    order = np.argsort(h, kind="stable")
    if layout.HEALPIX_COLUMN in table.column_names:
        table = table.drop_columns([layout.HEALPIX_COLUMN])
    table = table.add_column(0, layout.HEALPIX_COLUMN, pa.array(h, pa.int64()))
    if np.any(order[1:] < order[:-1]):
        table = table.take(pa.array(order))
    return table


def write_catalog(table: pa.Table, out_dir: Path, *, name: str, ra: str, dec: str,
                  extra_properties: dict[str, str] | None = None,
                  max_rows: int = MAX_PARTITION_ROWS,
                  row_group_size: int = ROW_GROUP_SIZE,
                  progress: Callable[[int], None] | None = None) -> list[tuple[int, int]]:
    """Write ``table`` (already sorted, with ``_healpix_29``) as a HATS catalog at ``out_dir``.

    Returns the list of ``(order, pixel)`` partitions written.
    """
    h = table.column(layout.HEALPIX_COLUMN).to_numpy()
    parts = choose_partitions(h, max_rows)
    bounds = []
    for order, pixel in parts:
        lo, hi = healpix.pixel_range29(order, pixel)
        bounds.append((int(np.searchsorted(h, lo, "left")), int(np.searchsorted(h, hi, "left"))))
    dataset = out_dir / layout.DATASET_DIR
    dataset.mkdir(parents=True)

    def write_one(i: int) -> pq.FileMetaData:
        order, pixel = parts[i]
        lo, hi = bounds[i]
        f = layout.partition_file(out_dir, order, pixel)
        f.parent.mkdir(parents=True, exist_ok=True)
        collector: list[pq.FileMetaData] = []
        pq.write_table(table.slice(lo, hi - lo), f, row_group_size=row_group_size,
                       metadata_collector=collector, write_statistics=True)
        md = collector[0]
        md.set_file_path(str(f.relative_to(dataset)))
        if progress:
            progress(hi - lo)
        return md

    if len(parts) > 1:
        with ThreadPoolExecutor(max_workers=2) as pool:
            mds = list(pool.map(write_one, range(len(parts))))
    else:
        mds = [write_one(i) for i in range(len(parts))]

    pq.write_metadata(table.schema, dataset / layout.COMMON_METADATA_FILE)
    pq.write_metadata(table.schema, dataset / layout.METADATA_FILE, metadata_collector=mds)
    with (out_dir / layout.PARTITION_INFO_FILE).open("w") as fh:
        fh.write("Norder,Npix\n")
        fh.writelines(f"{o},{p}\n" for o, p in parts)
    _write_properties(out_dir, name=name, ra=ra, dec=dec, nrows=table.num_rows, parts=parts,
                      max_rows=max_rows, extra=extra_properties or {})
    return parts


def _write_properties(out_dir: Path, *, name: str, ra: str, dec: str, nrows: int,
                      parts: list[tuple[int, int]], max_rows: int,
                      extra: dict[str, str]) -> None:

    frac = sum(healpix.sky_fraction(o, 1) for o, _ in parts)
    size_kb = sum(f.stat().st_size for f in (out_dir / layout.DATASET_DIR).rglob("*.parquet"))
    now = dt.datetime.now(dt.UTC)
    props = {
        "obs_collection": name,
        "dataproduct_type": "object",
        "hats_nrows": str(nrows),
        "hats_col_ra": ra,
        "hats_col_dec": dec,
        "hats_col_healpix": layout.HEALPIX_COLUMN,
        "hats_col_healpix_order": "29",
        "hats_npix_suffix": "/",
        "hats_max_rows": str(max_rows),
        "hats_order": str(max((o for o, _ in parts), default=0)),
        "moc_sky_fraction": f"{frac:.5f}",
        "hats_builder": f"xcat v{__version__}",
        "hats_creation_date": now.strftime("%Y-%m-%dT%H:%M%Z"),
        "hats_estsize": str(size_kb // 1024),
        "hats_release_date": now.strftime("%Y-%m-%d"),
        "hats_version": "v1.0",
    }
    props.update(extra)
    text = "".join(f"{k}={v}\n" for k, v in props.items())
    (out_dir / layout.PROPERTIES_FILE).write_text(text)
