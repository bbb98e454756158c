"""Write an Arrow table as a HATS catalog directory (Npix folders, _metadata, properties).

Rows are sorted by ``_healpix_29``; a partition is then a contiguous slice of each sorted
run (:mod:`xcat.catalog.stream`), so writing is one pass over the partitions. Row groups
are small enough that a cone search reads only what it needs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from xcat.catalog import stream
from xcat.sky import healpix
from xcat.store import layout
from xcat.version import __version__

ROW_GROUP_SIZE = 16_384
MAX_PARTITION_ROWS = 1_000_000
#: Partition files written at once.
WRITE_THREADS = 2
#: A column is dictionary-encoded when at most this fraction of its first row group's
#: values are distinct (a dictionary of unique values, such as random positions, only
#: costs time: measured 2.5x slower writes of such columns, and larger files).
DICTIONARY_MAX_DISTINCT = 0.5


class Written(NamedTuple):
    """What :func:`write_catalog` wrote."""

    parts: list[tuple[int, int]]
    num_rows: int
    schema: pa.Schema
    #: One row: the largest value of each column asked for
    largest: pa.Table


def sort_by_healpix(table: pa.Table, ra: str, dec: str) -> pa.Table:
    """Add ``_healpix_29`` (first column) and sort rows by it (stable)."""
    return stream.sort_chunk(table, ra, dec)


def parquet_options(table: pa.Table) -> dict[str, object]:
    """``pq.write_table`` options for a catalog file: dictionary encoding for the columns
    whose values repeat (the same table always gets the same options).

    Examples
    --------
    >>> parquet_options(pa.table({"band": ["b"] * 4, "ra": [1.0, 2.0, 3.0, 4.0]}))
    {'use_dictionary': ['band'], 'write_statistics': True}
    """
    sample = table.slice(0, ROW_GROUP_SIZE)
    names = []
    for name in table.column_names:
        if name == layout.HEALPIX_COLUMN or not sample.num_rows:
            continue
        try:
            distinct = pc.count_distinct(sample.column(name), mode="all").as_py()
        except pa.ArrowNotImplementedError:  # a nested type: pyarrow's default
            distinct = 0
        if distinct <= DICTIONARY_MAX_DISTINCT * sample.num_rows:
            names.append(name)
    return {"use_dictionary": names, "write_statistics": True}


def write_catalog(rows: pa.Table | stream.SortedRuns, out_dir: Path, *, name: str, ra: str,
                  dec: str, extra_properties: dict[str, str] | None = None,
                  max_rows: int = MAX_PARTITION_ROWS,
                  row_group_size: int = ROW_GROUP_SIZE,
                  progress: Callable[[int], None] | None = None,
                  schema: pa.Schema | None = None,
                  max_of: tuple[str, ...] = ()) -> Written:
    """Write ``rows`` as a HATS catalog at ``out_dir``: a table already sorted, with
    ``_healpix_29``, or the sorted runs of a streamed ingest (one partition in memory at
    a time). ``schema`` (same columns, with field metadata) is what the files hold.

    Returns the partitions written, the row count, the schema and the largest value of
    each column in ``max_of``.
    """
    runs = stream.SortedRuns.of(rows) if isinstance(rows, pa.Table) else rows
    parts = runs.partitions(max_rows)
    schema = schema or runs.output_schema()
    ranges = [healpix.pixel_range29(o, p) for o, p in parts]
    offsets = runs.offsets(ranges)
    dataset = out_dir / layout.DATASET_DIR
    dataset.mkdir(parents=True)
    largest: dict[str, list[float]] = {c: [] for c in max_of if c in schema.names}

    def write_one(i: int) -> pq.FileMetaData:
        order, pixel = parts[i]
        table = runs.partition(order, pixel, offsets[i])
        if not table.schema.equals(schema, check_metadata=True):
            table = table.cast(schema)
        f = layout.partition_file(out_dir, order, pixel)
        f.parent.mkdir(parents=True, exist_ok=True)
        collector: list[pq.FileMetaData] = []
        pq.write_table(table, f, row_group_size=row_group_size,
                       metadata_collector=collector, **parquet_options(table))
        for col, found in largest.items():
            top = pc.max(table.column(col)).as_py()
            if top is not None:
                found.append(float(top))
        md = collector[0]
        md.set_file_path(str(f.relative_to(dataset)))
        if progress:
            progress(table.num_rows)
        return md

    if len(parts) > 1:
        with ThreadPoolExecutor(max_workers=WRITE_THREADS) as pool:
            mds = list(pool.map(write_one, range(len(parts))))
    else:
        mds = [write_one(i) for i in range(len(parts))]

    pq.write_metadata(schema, dataset / layout.COMMON_METADATA_FILE)
    pq.write_metadata(schema, dataset / layout.METADATA_FILE, metadata_collector=mds)
    with (out_dir / layout.PARTITION_INFO_FILE).open("w") as fh:
        fh.write("Norder,Npix\n")
        fh.writelines(f"{o},{p}\n" for o, p in parts)
    _write_properties(out_dir, name=name, ra=ra, dec=dec, nrows=runs.num_rows, parts=parts,
                      max_rows=max_rows, extra=extra_properties or {})
    return Written(parts, runs.num_rows, schema,
                   pa.table({c: pa.array([max(v)], pa.float64()) for c, v in largest.items()
                             if v}))


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
