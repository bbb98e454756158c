"""Cross-match runs in the store: ``xmatch_runs`` (one row per run) and ``xmatch_pairs``
(one row per candidate pair), created by ``schema/003_xmatch_runs.sql``.

The TAP upload join (``xcat ingest 2rxs --upload``) and the cross-match engine
(:mod:`xcat.xmatch.match`, ``xcat xmatch``) record their pairs here; migration 005 added
the engine's per-pair columns (normalised separation, position angle, radius, local
density, chance and association probabilities) and the catalogs' versions per run;
migration 010 the density of each run (how it was obtained, its value) and, per pair,
the expected number of unrelated counterparts ``n_exp`` and ``p_any_unrelated``. A
run is named; recording a run under an existing name replaces that run and its pairs
in one transaction. The ``best_counterparts`` view over the runs is a named view
(``queries/views/best_counterparts.sql``), built with the store's other views.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from xcat.errors import XcatError
from xcat.store.db import Database, writes
from xcat.store.sql import run_arrow, transaction
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
    "mutual_best": pa.bool_(), "n_exp": pa.float64(), "p_any_unrelated": pa.float64()}
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


#: Record a cross-match run; returns its run_id.
INSERT_RUN = """
INSERT INTO xmatch_runs (name, left_catalog, right_catalog, method, parameters, created,
                         xcat_version, n_pairs)
VALUES ($name, $left_catalog, $right_catalog, $method, $parameters, $created, $xcat_version,
        $n_pairs)
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

#: Record the pairs of a run from the Arrow table registered as xcat_new_pairs (every
#: column; :func:`full_pairs` fills the ones a method does not compute with NULL).
INSERT_PAIRS = """
INSERT INTO xmatch_pairs (run_id, left_key, right_key, sep_arcsec, rank, n_candidates,
                          probability, flags, norm_sep, pa_deg, match_radius_arcsec,
                          rho_arcsec2, p_chance, lr, p_any, mutual_best, n_exp,
                          p_any_unrelated)
SELECT $run_id, left_key, right_key, sep_arcsec, rank, n_candidates,
       probability, flags, norm_sep, pa_deg, match_radius_arcsec,
       rho_arcsec2, p_chance, lr, p_any, mutual_best, n_exp, p_any_unrelated
FROM xcat_new_pairs
"""

#: Record how the density of a run was obtained (``parameters['density']``).
SET_RUN_DENSITY = """
UPDATE xmatch_runs SET density_method = $method, density_arcsec2 = $value
WHERE run_id = $run_id
"""

#: The run ids recorded under one run name (a re-run replaces them).
RUNS_NAMED = "SELECT run_id FROM xmatch_runs WHERE name = $name"


@writes
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
    try:
        with transaction(con):
            for (old,) in con.execute(RUNS_NAMED, {"name": run.name}).fetchall():
                con.execute("DELETE FROM xmatch_pairs WHERE run_id = $run_id", {"run_id": old})
                con.execute("DELETE FROM xmatch_runs WHERE run_id = $run_id", {"run_id": old})
            run_id = con.execute(INSERT_RUN, {
                "name": run.name, "left_catalog": run.left_catalog,
                "right_catalog": run.right_catalog, "method": run.method,
                "parameters": json.dumps(run.parameters, sort_keys=True), "created": now,
                "xcat_version": __version__, "n_pairs": run.pairs.num_rows}).fetchall()[0][0]
            con.execute(SET_RUN_VERSIONS, {
                "run_id": run_id, **{k: run.versions.get(k) for k in VERSION_KEYS}})
            density = run.parameters.get("density") or {}
            con.execute(SET_RUN_DENSITY, {"run_id": run_id, "method": density.get("method"),
                                          "value": density.get("value_arcsec2")})
            con.register(PAIRS_VIEW, full_pairs(run.pairs))
            try:
                con.execute(INSERT_PAIRS, {"run_id": run_id})
            finally:
                con.unregister(PAIRS_VIEW)
    except XcatError as exc:  # transaction() rolled back and wrapped a DuckDB error
        if exc.__cause__ is None:
            raise
        raise XcatError(f"recording cross-match run '{run.name}' failed, nothing recorded "
                        f"({str(exc.__cause__).splitlines()[0]})") from exc.__cause__
    return int(run_id)


#: Every stored column of the pairs of the run of one name, nearest first per left key.
RUN_PAIRS = """
SELECT p.left_key, p.right_key, p.sep_arcsec, p.norm_sep, p.pa_deg, p.match_radius_arcsec,
       p.rank, p.n_candidates, p.mutual_best, p.rho_arcsec2, p.p_chance, p.n_exp,
       p.p_any_unrelated, p.lr, p.probability, p.p_any, p.flags
FROM xmatch_pairs p JOIN xmatch_runs r USING (run_id)
WHERE r.name = $name
ORDER BY p.left_key, p.rank, p.right_key
"""


def run_pairs(store: Database, name: str) -> pa.Table:
    """The pairs of the run called ``name`` (left_key, right_key, sep_arcsec, rank, ...).

    Every stored column comes back (``norm_sep``, ``p_chance`` ... NULL where the run's
    method does not compute them).

    Examples
    --------
    >>> run_pairs(store, "carmenes_x_rxs2").num_rows                 # doctest: +SKIP
    7

    """
    rows = run_arrow(store.con, RUN_PAIRS, {"name": name})
    if rows.num_rows == 0 and not store.con.execute(RUNS_NAMED, {"name": name}).fetchall():
        raise XcatError(f"no cross-match run '{name}' in {store.path}")
    return rows


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
