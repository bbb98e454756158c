"""Cross-match runs in the store: ``xmatch_runs`` (one row per run) and ``xmatch_pairs``
(one row per candidate pair), created by ``schema/003_xmatch_runs.sql``.

The TAP upload join (``xcat ingest 2rxs --upload``) and the cross-match engine
(:mod:`xcat.xmatch_store`, ``xcat xmatch``) record their pairs here; migration 005 added
the engine's per-pair columns (normalised separation, position angle, radius, local
density, chance and association probabilities) and the catalogs' versions per run. A
run is named; recording a run under an existing name replaces that run and its pairs
in one transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from xcat import resources
from xcat.errors import XcatError
from xcat.store.db import Database
from xcat.store.sql import run_arrow
from xcat.version import __version__

PAIRS_VIEW = "xcat_new_pairs"


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
    "mutual_best": pa.bool_()}
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


def record_run(store: Database, run: XmatchRun) -> int:
    """Record ``run`` and its pairs (replacing a run of the same name); return its run_id.

    Examples
    --------
    >>> pairs = rank_pairs(["J00051+457"], ["2RXS J000509.6+454930"], np.array([3.1]))
    >>> record_run(store, XmatchRun("carmenes_x_rxs2", "carmenes", "rxs2",
    ...                             "tap_upload_cone", pairs, {"radius_arcsec": 8}))
    ... # doctest: +SKIP
    1

    """
    con = store.con
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    con.execute("BEGIN TRANSACTION")
    try:
        for (old,) in con.execute(resources.read_sql("store/xmatch_run_by_name.sql"),
                                  {"name": run.name}).fetchall():
            con.execute(resources.read_sql("store/delete_xmatch_pairs.sql"), {"run_id": old})
            con.execute(resources.read_sql("store/delete_xmatch_run.sql"), {"run_id": old})
        run_id = con.execute(resources.read_sql("store/insert_xmatch_run.sql"), {
            "name": run.name, "left_catalog": run.left_catalog,
            "right_catalog": run.right_catalog, "method": run.method,
            "parameters": json.dumps(run.parameters, sort_keys=True), "created": now,
            "xcat_version": __version__, "n_pairs": run.pairs.num_rows}).fetchall()[0][0]
        con.execute(resources.read_sql("xmatch/set_run_versions.sql"), {
            "run_id": run_id, **{k: run.versions.get(k) for k in VERSION_KEYS}})
        con.register(PAIRS_VIEW, full_pairs(run.pairs))
        try:
            con.execute(resources.read_sql("xmatch/insert_pairs.sql"), {"run_id": run_id})
        finally:
            con.unregister(PAIRS_VIEW)
        con.execute(resources.read_sql("views/best_counterparts.sql"))
        con.execute("COMMIT")
    except duckdb.Error as exc:
        con.execute("ROLLBACK")
        raise XcatError(f"recording cross-match run '{run.name}' failed, nothing recorded "
                        f"({str(exc).splitlines()[0]})") from exc
    return int(run_id)


def run_pairs(store: Database, name: str) -> pa.Table:
    """The pairs of the run called ``name`` (left_key, right_key, sep_arcsec, rank, ...).

    Every stored column comes back (``norm_sep``, ``p_chance`` ... NULL where the run's
    method does not compute them).

    Examples
    --------
    >>> run_pairs(store, "carmenes_x_rxs2").num_rows                 # doctest: +SKIP
    7

    """
    rows = run_arrow(store.con, resources.read_sql("xmatch/run_pairs.sql"), {"name": name})
    if rows.num_rows == 0 and not store.con.execute(
            resources.read_sql("store/xmatch_run_by_name.sql"), {"name": name}).fetchall():
        raise XcatError(f"no cross-match run '{name}' in {store.path}")
    return rows


def list_runs(store: Database) -> pa.Table:
    """Every recorded cross-match run, newest first.

    Examples
    --------
    >>> list_runs(store).column("name").to_pylist()                  # doctest: +SKIP
    ['csc_x_hst']

    """
    return run_arrow(store.con, resources.read_sql("xmatch/list_runs.sql"))
