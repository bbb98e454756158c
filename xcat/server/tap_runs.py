"""Cross-match runs as TAP tables: ``runs.<name>`` in ADQL (TAP schema ``runs``), the
pairs of one recorded run (``xmatch_pairs`` rows of its ``run_id``), as a temporary view
on the query's cursor (nothing is read until the query reads it).
"""

from __future__ import annotations

from typing import Any

import duckdb

from xcat.store import sqlbuild

SCHEMA = "runs"
RUNS = ("SELECT run_id, name, left_catalog, right_catalog, method, n_pairs "
        "FROM xmatch_runs ORDER BY name")


def relation(name: str) -> str:
    """Name under which ``runs.<name>`` is served in a query's connection."""
    return f"run__{name.lower()}"


def read(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    """The recorded runs by name: run_id and a description."""
    out = {}
    try:
        rows = con.execute(RUNS).fetchall()
    except duckdb.Error:  # a store without cross-match tables
        return {}
    for run_id, name, left, right, method, n_pairs in rows:
        out[name] = {"run_id": int(run_id), "description": (
            f"Pairs of the cross-match run {name}: {left} x {right}, {method}, "
            f"{n_pairs} pairs (xmatch_pairs rows of run_id {int(run_id)})")}
    return out


def attach(cur: duckdb.DuckDBPyConnection, name: str, run_id: int) -> None:
    """Serve ``runs.<name>`` on ``cur`` (a temporary view, gone with the cursor)."""
    cur.execute(f"CREATE TEMP VIEW {sqlbuild.quote(relation(name))} AS "
                f"SELECT * FROM xmatch_pairs WHERE run_id = {int(run_id)}")
