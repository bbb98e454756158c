"""Cross-match runs in the store: ``xmatch_runs`` (one row per run) and their pairs as
Parquet, one folder per run (``runs/<name>-<token>/pairs-000.parquet``; a large run is
written as one file per core at once), read in SQL through the view ``xmatch_pairs``
(run_id plus the columns of :data:`PAIR_COLUMNS`).

The TAP upload join (``xcat ingest 2rxs --upload``) and the cross-match engine
(:mod:`xcat.xmatch.match`, ``xcat xmatch``) record their pairs here; migration 005 added
the engine's per-pair columns (normalised separation, position angle, radius, local
density, chance and association probabilities) and the catalogs' versions per run;
migration 010 the density of each run (how it was obtained, its value) and, per pair,
the expected number of unrelated counterparts ``n_exp`` and ``p_any_unrelated``;
migration 015 made the pairs Parquet (pairs recorded before stay in
``xmatch_pairs_legacy``, which the view reads too).

Recording is the ingest's switch on a small scale: the pairs are sorted by left_key,
rank, right_key and written to a staging folder while the store is not locked; under
the write lock the folder takes its final name and one transaction replaces any run of
the same name, inserts the run row (``pairs_path``) and rebuilds the view; the
superseded run's folder is removed after the COMMIT. A crash before the COMMIT leaves
the old run (the new folder is a leftover the next write session removes), after it
the new one. The ``best_counterparts`` view over the runs is a named view
(``queries/views/best_counterparts.sql``), built with the store's other views.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from xcat.catalog.run_order import pair_order
from xcat.errors import XcatError
from xcat.store import layout, upkeep, views
from xcat.store.db import Database, reads
from xcat.store.faults import crash_point, uninterrupted
from xcat.store.sql import run_arrow, transaction
from xcat.version import __version__

#: Rows per Parquet row group of a run's pairs: DuckDB reads row groups in parallel and
#: skips those whose left_key range misses a filter (the file is sorted by left_key).
ROW_GROUP_ROWS = 122_880
#: Compression of the pairs files: snappy, like the catalogs (zstd makes files about 0.85x
#: the size but takes 1.3x the time to write; dictionary pages cost more than they save
#: on per-pair values, so there are none).
COMPRESSION = "snappy"
#: A run of at least twice this many pairs is written as several files at once.
PART_ROWS = 200_000



@dataclass
class XmatchRun:
    """A run to record: its name, the two catalogs, the method, parameters and pairs.

    ``pairs`` is an Arrow table with ``left_key``, ``right_key`` (strings) and
    ``sep_arcsec``; :func:`rank_pairs` adds ``rank`` and ``n_candidates``. Any other
    column of ``xmatch_pairs`` it has is recorded too (the rest are NULL).
    ``versions`` holds the catalogs' versions and sizes (``left_version``,
    ``right_version``, ``left_created``, ``right_created``, ``n_left``, ``n_right``).
    """

    name: str
    left_catalog: str
    right_catalog: str
    method: str
    pairs: pa.Table
    parameters: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, Any] = field(default_factory=dict)


PAIR_COLUMNS: dict[str, pa.DataType] = {
    "left_key": pa.string(), "right_key": pa.string(), "sep_arcsec": pa.float64(),
    "rank": pa.int32(), "n_candidates": pa.int32(), "probability": pa.float64(),
    "flags": pa.string(), "norm_sep": pa.float64(), "pa_deg": pa.float64(),
    "match_radius_arcsec": pa.float64(), "rho_arcsec2": pa.float64(),
    "p_chance": pa.float64(), "lr": pa.float64(), "p_any": pa.float64(),
    "mutual_best": pa.bool_(), "n_exp": pa.float64(), "p_any_unrelated": pa.float64()}
#: Columns with min/max statistics per row group (right_key is in no useful order).
STATS_COLUMNS = [c for c in PAIR_COLUMNS if c not in ("right_key", "flags")]
VERSION_KEYS = ("left_version", "right_version", "left_created", "right_created", "n_left",
                "n_right")


def full_pairs(pairs: pa.Table) -> pa.Table:
    """``pairs`` with every ``xmatch_pairs`` column (missing ones NULL), in table order."""
    cols = {}
    for col, typ in PAIR_COLUMNS.items():
        if col in pairs.column_names:
            cols[col] = pairs.column(col).cast(typ)
        else:
            cols[col] = pa.nulls(pairs.num_rows, typ)
    return pa.table(cols)


def rank_pairs(left_key: list[str], right_key: list[str], sep_arcsec: np.ndarray) -> pa.Table:
    """Pairs table with ``rank`` (1 = nearest right candidate per left key) and ``n_candidates``.

    Examples
    --------
    >>> t = rank_pairs(["a", "a", "b"], ["x", "y", "x"], np.array([2.0, 1.0, 3.0]))
    >>> t.column("rank").to_pylist(), t.column("n_candidates").to_pylist()
    ([2, 1, 1], [2, 2, 1])

    """
    sep = np.asarray(sep_arcsec, dtype=float)
    left = np.asarray(left_key, dtype=object)
    order = np.lexsort((np.asarray(right_key, dtype=object).astype(str), sep,
                        left.astype(str)))
    rank = np.empty(len(sep), dtype=np.int32)
    n_cand = np.empty(len(sep), dtype=np.int32)
    start = 0
    sorted_left = left[order]
    for i in range(1, len(order) + 1):
        if i == len(order) or sorted_left[i] != sorted_left[start]:
            idx = order[start:i]
            rank[idx] = np.arange(1, i - start + 1)
            n_cand[idx] = i - start
            start = i
    return pa.table({"left_key": pa.array([str(k) for k in left_key], pa.string()),
                     "right_key": pa.array([str(k) for k in right_key], pa.string()),
                     "sep_arcsec": pa.array(sep, pa.float64()),
                     "rank": pa.array(rank, pa.int32()),
                     "n_candidates": pa.array(n_cand, pa.int32())})


def write_pairs(pairs: pa.Table, folder: Path, *, threads: int | None = None) -> int:
    """Write a run's pairs (every column of :data:`PAIR_COLUMNS`, sorted) as Parquet
    files in ``folder``, one per ``threads`` (default: the cores) at once when the run
    has at least :data:`PART_ROWS` pairs per file; return how many files.
    """
    table = full_pairs(pairs)
    order = pair_order(table)
    n = table.num_rows
    parts = max(1, min(threads or os.cpu_count() or 1, n // PART_ROWS))
    bounds = np.linspace(0, n, parts + 1).astype(np.int64)
    folder.mkdir(parents=True, exist_ok=True)

    def write(i: int) -> None:
        lo, hi = int(bounds[i]), int(bounds[i + 1])
        part = table.slice(lo, hi - lo) if order is None else \
            table.take(pa.array(order[lo:hi]))
        groups = max(1, -(-(hi - lo) // ROW_GROUP_ROWS))  # even row groups, none tiny
        pq.write_table(part, layout.pairs_file(folder, i), compression=COMPRESSION,
                       row_group_size=max(1, -(-(hi - lo) // groups)), use_dictionary=False,
                       write_statistics=STATS_COLUMNS)

    if parts == 1:
        write(0)
    else:  # pyarrow's take and Parquet writer release the GIL
        with ThreadPoolExecutor(parts) as pool:
            list(pool.map(write, range(parts)))
    return parts


#: Record a cross-match run; returns its run_id.
INSERT_RUN = """
INSERT INTO xmatch_runs (name, left_catalog, right_catalog, method, parameters, created,
                         xcat_version, n_pairs, pairs_path)
VALUES ($name, $left_catalog, $right_catalog, $method, $parameters, $created, $xcat_version,
        $n_pairs, $pairs_path)
RETURNING run_id
"""

#: Record the versions and sizes of the two catalogs of a run.
SET_RUN_VERSIONS = """
UPDATE xmatch_runs
SET left_version = $left_version, right_version = $right_version,
    left_created = $left_created, right_created = $right_created,
    n_left = $n_left, n_right = $n_right
WHERE run_id = $run_id
"""

#: Record how the density of a run was obtained (``parameters['density']``).
SET_RUN_DENSITY = """
UPDATE xmatch_runs SET density_method = $method, density_arcsec2 = $value
WHERE run_id = $run_id
"""

#: The runs recorded under one run name (a re-run replaces them) and their folders.
RUNS_NAMED = "SELECT run_id, pairs_path FROM xmatch_runs WHERE name = $name ORDER BY run_id"


def record_run(store: Database, run: XmatchRun) -> int:
    """Record ``run`` and its pairs (replacing a run of the same name); return its run_id.

    The pairs are written as Parquet before the write lock is taken; the run goes live
    in one transaction (see the module's description).

    Examples
    --------
    >>> pairs = rank_pairs(["J00051+457"], ["2RXS J000509.6+454930"], np.array([3.1]))
    >>> record_run(store, XmatchRun("carmenes_x_rxs2", "carmenes", "rxs2",
    ...                             "tap_upload_cone", pairs, {"radius_arcsec": 8}))
    ... # doctest: +SKIP
    1

    """
    token = uuid.uuid4().hex[:10]
    staged = layout.run_staging_dir(store.path, run.name, token)
    with upkeep.StagingLock(store.path, token):
        try:
            write_pairs(run.pairs, staged)
            with store.writing():
                crash_point("staged")
                folder = layout.run_dir(store.path, run.name, token)
                staged.rename(folder)
                crash_point("renamed")
                committed = False
                try:
                    with uninterrupted():  # a Ctrl-C in the COMMIT is raised once it is known
                        run_id, superseded = _commit(store, run, folder)
                        committed = True
                except BaseException:
                    if not committed:  # not live: the registry still names the old run
                        shutil.rmtree(folder, ignore_errors=True)
                    raise
                upkeep.remove_versions(store.path, superseded)
        finally:
            if staged.exists():
                shutil.rmtree(staged, ignore_errors=True)
    return run_id


def _commit(store: Database, run: XmatchRun, folder: Path) -> tuple[int, list[str]]:
    """Replace the runs named ``run.name`` by ``run`` (its pairs in ``folder``) and
    rebuild the pairs view, in one transaction; return the run id and the superseded
    run folders (relative to the store).
    """
    con = store.con
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    superseded = []
    try:
        with transaction(con):
            for old, old_path in con.execute(RUNS_NAMED, {"name": run.name}).fetchall():
                con.execute(f"DELETE FROM {views.PAIRS_LEGACY} WHERE run_id = $run_id",
                            {"run_id": old})
                con.execute("DELETE FROM xmatch_runs WHERE run_id = $run_id", {"run_id": old})
                if old_path:
                    superseded.append(old_path)
            run_id = con.execute(INSERT_RUN, {
                "name": run.name, "left_catalog": run.left_catalog,
                "right_catalog": run.right_catalog, "method": run.method,
                "parameters": json.dumps(run.parameters, sort_keys=True), "created": now,
                "xcat_version": __version__, "n_pairs": run.pairs.num_rows,
                "pairs_path": folder.relative_to(store.path).as_posix()}).fetchall()[0][0]
            con.execute(SET_RUN_VERSIONS, {
                "run_id": run_id, **{k: run.versions.get(k) for k in VERSION_KEYS}})
            density = run.parameters.get("density") or {}
            con.execute(SET_RUN_DENSITY, {"run_id": run_id, "method": density.get("method"),
                                          "value": density.get("value_arcsec2")})
            views.refresh_pairs(con, store.path, upkeep.db_paths(store.db_file))
    except XcatError as exc:  # transaction() rolled back and wrapped a DuckDB error
        if exc.__cause__ is None:
            raise
        raise XcatError(f"recording cross-match run '{run.name}' failed, nothing recorded "
                        f"({str(exc.__cause__).splitlines()[0]})") from exc.__cause__
    return int(run_id), superseded


#: Every stored column of the pairs of one run, nearest first per left key (the view
#: reads only that run's file: its rows carry the run_id as a constant).
RUN_PAIRS = """
SELECT left_key, right_key, sep_arcsec, norm_sep, pa_deg, match_radius_arcsec,
       rank, n_candidates, mutual_best, rho_arcsec2, p_chance, n_exp,
       p_any_unrelated, lr, probability, p_any, flags
FROM xmatch_pairs
WHERE run_id = $run_id
ORDER BY left_key, rank, right_key
"""


@reads
def run_pairs(store: Database, name: str) -> pa.Table:
    """The pairs of the run called ``name`` (left_key, right_key, sep_arcsec, rank, ...).

    Every stored column comes back (``norm_sep``, ``p_chance`` ... NULL where the run's
    method does not compute them).

    Examples
    --------
    >>> run_pairs(store, "carmenes_x_rxs2").num_rows                 # doctest: +SKIP
    7

    """
    runs = store.con.execute(RUNS_NAMED, {"name": name}).fetchall()
    if not runs:
        raise XcatError(f"no cross-match run '{name}' in {store.path}")
    return pa.concat_tables([run_arrow(store.con, RUN_PAIRS, {"run_id": run_id})
                             for run_id, _ in runs])


#: Cross-match runs, newest first.
LIST_RUNS = """
SELECT run_id, name, left_catalog, right_catalog, method, n_pairs, n_left, n_right,
       density_method, density_arcsec2, created, parameters
FROM xmatch_runs
ORDER BY created DESC, run_id DESC
"""


def list_runs(store: Database) -> pa.Table:
    """Every recorded cross-match run, newest first.

    Examples
    --------
    >>> list_runs(store).column("name").to_pylist()                  # doctest: +SKIP
    ['csc_x_hst']

    """
    return run_arrow(store.con, LIST_RUNS)
