"""HATS margin caches: beside each catalog, the rows near each partition's edge that
live in other partitions, so that a partition plus its margin holds every row within
the threshold of it (what LSDB's crossmatch and xcat's partition-wise engine need).

The margin is built from the written partition files, :data:`BUILD_THREADS` source
partitions at a time (memory: that many partitions), and written as a HATS margin
catalog in the catalog's ``margin/`` folder: ``dataset/Norder=k/Dir=d/Npix=n/`` holds
one file per source partition that contributes rows to partition ``n``'s margin. Rows
are a superset of those within the threshold (:mod:`xcat.sky.margins`).

:func:`rebuild_margin` writes a new margin as ``.margin-<token>`` beside the live one
while the store is not locked (Ctrl-C or an error there removes it; a killed build is a
leftover the next write removes), then switches it in under the write lock with the
registry's threshold, Ctrl-C held back until the switch is complete. A kill during the
switch is undone by the next write session (:func:`xcat.store.upkeep.settle_margins`).

Examples
--------
>>> build_margin(catalog_dir, 10.0)                                  # doctest: +SKIP
MarginInfo(threshold_arcsec=10.0, n_rows=1234, n_partitions=12)
"""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from xcat.catalog.hats import parquet_options
from xcat.errors import XcatError
from xcat.sky import margins
from xcat.store import layout, registry, upkeep
from xcat.store.db import Database, writes
from xcat.store.faults import crash_point, uninterrupted
from xcat.store.sql import transaction
from xcat.version import __version__

MARGIN_DIR = upkeep.MARGIN_DIR
#: Smallest default margin threshold (arcsec).
MIN_THRESHOLD = 10.0
#: Largest default threshold (arcsec): a few huge errors must not make every margin wide.
MAX_DEFAULT_THRESHOLD = 600.0
#: Source partitions read and split at once.
BUILD_THREADS = 2


@dataclass(frozen=True)
class MarginInfo:
    """What a margin build wrote: its threshold, rows and partitions with rows."""

    threshold_arcsec: float
    n_rows: int
    n_partitions: int


def margin_dir(catalog: Path) -> Path:
    """The margin catalog folder of a catalog version."""
    return catalog / MARGIN_DIR


def read_partitions(catalog: Path) -> list[tuple[int, int]]:
    """``[(order, pixel), ...]`` of a HATS catalog folder, in nested order."""
    lines = (catalog / layout.PARTITION_INFO_FILE).read_text().split()
    return [(int(o), int(p)) for o, p in (ln.split(",") for ln in lines[1:] if ln)]


def read_threshold(catalog: Path) -> float | None:
    """The margin threshold of a catalog version in arcsec, None without a margin."""
    return upkeep.margin_threshold(margin_dir(catalog))


def default_threshold(table: pa.Table, error_columns: list[str]) -> float:
    """max(10″, 3 × the largest positional error in the catalog's error columns (arcsec)).

    Examples
    --------
    >>> default_threshold(pa.table({"e": [0.5, 4.0]}), ["e"])
    12.0
    """
    largest = 0.0
    for col in error_columns:
        if col in table.column_names:
            v = table.column(col).to_numpy(zero_copy_only=False).astype(np.float64)
            v = v[np.isfinite(v)]
            if len(v):
                largest = max(largest, float(v.max()))
    return max(MIN_THRESHOLD, 3.0 * largest)


def build_margin(catalog: Path, threshold_arcsec: float, *, name: str | None = None,
                 out: Path | None = None) -> MarginInfo:
    """Write the margin catalog of the HATS catalog at ``catalog`` (see module doc) into
    its ``margin/`` folder, or ``out``.
    """
    parts = read_partitions(catalog)
    lo, hi = margins.partition_bounds(parts)
    out = out or margin_dir(catalog)
    assert out is not None
    dataset = out / layout.DATASET_DIR
    dataset.mkdir(parents=True)
    threshold_deg = threshold_arcsec / 3600
    schema = pq.read_schema(catalog / layout.DATASET_DIR / layout.COMMON_METADATA_FILE)

    def from_source(order: int, pixel: int) -> list[tuple[int, pq.FileMetaData, int]]:
        """The margin files taken from one source partition: (target, metadata, rows)."""
        src = pq.read_table(layout.partition_file(catalog, order, pixel), schema=schema)
        h29 = src.column(layout.HEALPIX_COLUMN).to_numpy()
        rows, targets = margins.margin_rows(h29, lo, hi, threshold_deg)
        by = np.lexsort((rows, targets))
        rows, targets = rows[by], targets[by]
        cut = np.flatnonzero(np.diff(targets)) + 1
        made = []
        for r, t in zip(np.split(rows, cut), np.split(targets, cut), strict=True):
            if len(r) == 0:
                continue
            target = int(t[0])
            to, tp = parts[target]
            f = layout.partition_dir(out, to, tp) / f"from-{order}-{pixel}.parquet"
            f.parent.mkdir(parents=True, exist_ok=True)
            collector: list[pq.FileMetaData] = []
            taken = src.take(pa.array(r))
            pq.write_table(taken, f, metadata_collector=collector, **parquet_options(taken))
            collector[0].set_file_path(str(f.relative_to(dataset)))
            made.append((target, collector[0], len(r)))
        return made

    pool = ThreadPoolExecutor(max_workers=BUILD_THREADS)  # pyarrow releases the GIL
    try:
        found = [x for got in pool.map(lambda p: from_source(*p), parts) for x in got]
    finally:  # an error or Ctrl-C: the partitions not started are not built
        pool.shutdown(wait=True, cancel_futures=True)
    mds = [md for _, md, _ in found]
    rows_per_target = np.zeros(len(parts), np.int64)
    for target, _, n in found:
        rows_per_target[target] += n
    pq.write_metadata(schema, dataset / layout.COMMON_METADATA_FILE)
    pq.write_metadata(schema, dataset / layout.METADATA_FILE, metadata_collector=mds)
    with_rows = [parts[i] for i in np.flatnonzero(rows_per_target)]
    with (out / layout.PARTITION_INFO_FILE).open("w") as fh:
        fh.write("Norder,Npix\n")
        fh.writelines(f"{o},{p}\n" for o, p in with_rows)
    _write_properties(out, catalog, name or catalog.name, threshold_arcsec,
                      int(rows_per_target.sum()), with_rows)
    return MarginInfo(threshold_arcsec, int(rows_per_target.sum()), len(with_rows))


def _write_properties(out: Path, catalog: Path, name: str, threshold: float, n_rows: int,
                      parts: list[tuple[int, int]]) -> None:
    main = {}
    for line in (catalog / layout.PROPERTIES_FILE).read_text().splitlines():
        key, _, value = line.partition("=")
        main[key.strip()] = value.strip()
    now = dt.datetime.now(dt.UTC)
    props = {
        "obs_collection": f"{name}_{threshold:g}arcs",
        "dataproduct_type": "margin",
        "hats_nrows": str(n_rows),
        "hats_primary_table_url": "..",
        "hats_margin_threshold": repr(float(threshold)),  # read back exactly
        "hats_col_ra": main.get("hats_col_ra", "ra"),
        "hats_col_dec": main.get("hats_col_dec", "dec"),
        "hats_col_healpix": layout.HEALPIX_COLUMN,
        "hats_col_healpix_order": "29",
        "hats_npix_suffix": "/",
        "hats_order": str(max((o for o, _ in parts), default=0)),
        "hats_builder": f"xcat v{__version__}",
        "hats_creation_date": now.strftime("%Y-%m-%dT%H:%M%Z"),
        "hats_version": "v1.0",
    }
    (out / layout.PROPERTIES_FILE).write_text("".join(f"{k}={v}\n" for k, v in props.items()))


@writes
def _switch(store: Database, name: str, folder: Path, new: Path, token: str,
            info: MarginInfo) -> None:
    """Move the live margin aside, the new one in and commit the threshold, with Ctrl-C
    held back so that an interrupt never splits the switch; then remove the old margin
    (under the write lock still; a second Ctrl-C there leaves it to the next write).
    """
    if store.path / store.catalog(name)["path"] != folder:
        raise XcatError(f"catalog '{name}' was replaced while its margin was built; run "
                        "the command again")
    live, old = margin_dir(folder), folder / f"{upkeep.MARGIN_OLD_PREFIX}{token}"
    committed = False
    try:
        with uninterrupted():
            if live.exists():
                live.rename(old)
            crash_point("margin_moved")
            new.rename(live)
            try:
                with transaction(store.con):
                    registry.set_margin(store.con, name, info.threshold_arcsec)
            except BaseException:
                live.rename(new)
                if old.exists():
                    old.rename(live)
                raise
            committed = True
    finally:  # also on a Ctrl-C held back during the switch
        if committed and old.exists():
            crash_point("removing")
            shutil.rmtree(old, ignore_errors=True)


def rebuild_margin(store: Database, name: str, threshold_arcsec: float) -> MarginInfo:
    """Rebuild the margin cache of catalog ``name`` with a new threshold (arcsec).

    The new margin is written beside the live one while the store is not locked, then
    switched in with the registry's record of the threshold (see the module doc).
    """
    if not 0 < threshold_arcsec <= 30 * 3600:
        raise XcatError(f"margin threshold {threshold_arcsec:g} arcsec must be > 0 and at "
                        "most 30 deg")
    with store.reading():
        folder = store.catalog_dir(name)
        kind = store.catalog(name)["kind"]
    if kind.startswith("product:"):
        raise XcatError(f"'{name}' is a computed product, not a HATS catalog")
    token = uuid.uuid4().hex[:10]
    new = folder / f"{upkeep.MARGIN_PREFIX}{token}"
    with upkeep.StagingLock(store.path, token):  # a running build is not a leftover
        try:
            info = build_margin(folder, threshold_arcsec, name=name, out=new)
            crash_point("margin_built")
            _switch(store, name, folder, new, token, info)
        finally:
            shutil.rmtree(new, ignore_errors=True)
    return info
