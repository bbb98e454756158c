"""Saved samples as TAP tables: ``samples.<name>`` in ADQL (TAP schema ``samples``).

A sample is run when a query reads it, on the query's own cursor, with its parameters'
defaults. A sample whose one parameter without a default names a host (``host``) or a
cross-match run (``run``) is run for every host or run of the store, and that value is
its first column unless the sample has a column of that name already
(``SELECT * FROM samples.xrb_candidates WHERE host = 'M101'``). Samples
with any other parameter that has no default (``source``) are not served: use
``xcat sample`` or the dashboard's sample page for those.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from xcat.errors import XcatError
from xcat.output.samples import Sample, list_samples

SCHEMA = "samples"
#: Parameters whose every value the store lists: (column type, query for the values).
ENUMERATED = {
    "host": ("VARCHAR", "SELECT DISTINCT host FROM hosts_adopted ORDER BY host"),
    "run": ("VARCHAR", "SELECT name FROM xmatch_runs ORDER BY name"),
}


@dataclass
class Served:
    """A sample served as a table: the parameter it is run for, and its columns."""

    sample: Sample
    param: str | None
    columns: list[tuple[str, str]]  # (name, DuckDB type)

    @property
    def description(self) -> str:
        """What the table holds, for TAP_SCHEMA.tables."""
        over = f" One row set per {self.param} (first column)." if self.param else ""
        defaults = ", ".join(f"{k}={v}" for k, v in self.sample.defaults.items())
        return (f"Saved sample: {self.sample.title}.{over}"
                + (f" Parameters at their defaults: {defaults}." if defaults else ""))


def relation(name: str) -> str:
    """Name under which ``samples.<name>`` is registered in a query's connection."""
    return f"sample__{name.lower()}"


def _wrapped(sql: str) -> str:
    return "SELECT * FROM (\n" + sql.strip().rstrip(";") + "\n)"


def read(con: duckdb.DuckDBPyConnection, root: Path) -> dict[str, Served]:
    """The samples this store can serve, with their columns (a sample that does not run
    on this store, e.g. one reading a view it lacks, is left out).
    """
    out = {}
    for sample in list_samples(root):
        open_params = [p for p in sample.params if p not in sample.defaults]
        if len(open_params) > 1 or (open_params and open_params[0] not in ENUMERATED):
            continue
        param = open_params[0] if open_params else None
        try:
            bound = sample.bind({param: None} if param else {})
            cur = con.cursor()
            try:
                rel = cur.execute(_wrapped(sample.sql) + " LIMIT 0", bound)
                columns = [(d[0], str(d[1])) for d in rel.description]
            finally:
                cur.close()
        except (duckdb.Error, XcatError):
            continue
        if param is not None and param not in {c for c, _ in columns}:
            columns = [(param, ENUMERATED[param][0]), *columns]
        out[sample.name] = Served(sample, param, columns)
    return out


def materialize(cur: duckdb.DuckDBPyConnection, served: Served) -> pa.Table:
    """The sample's rows (for every host or run when it takes one) as Arrow."""
    sample, sql = served.sample, _wrapped(served.sample.sql)
    if served.param is None:
        return _arrow(cur, sql, sample.bind({}))
    values = [r[0] for r in cur.execute(ENUMERATED[served.param][1]).fetchall()]
    pieces = []
    for value in values + ([] if values else [None]):  # no value: the empty table
        t = _arrow(cur, sql if value is not None else sql + " LIMIT 0",
                   sample.bind({served.param: value}))
        if served.param not in t.column_names:  # the sample's own column otherwise
            t = t.add_column(0, served.param, pa.array([value] * t.num_rows, pa.string()))
        pieces.append(t)
    return pa.concat_tables(pieces, promote_options="permissive")


def _arrow(cur: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> pa.Table:
    return cur.sql(sql, params=params).to_arrow_table()
