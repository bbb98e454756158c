"""``/query`` on the dashboard: one read-only SELECT against the store, with its results
(at most :data:`ROW_CAP` rows) and timing.

The statement is parsed by DuckDB's own parser before it runs: anything but exactly one
SELECT is refused with a clear message, and it runs through :meth:`Store.sql` on a
read-only handle, which could not write even if it tried.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import duckdb
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from xcat.errors import XcatError
from xcat.server.dashboard_base import guarded, read_store, render, table
from xcat.store.owned import statement_kinds

#: Rows a query returns at most on the page.
ROW_CAP = 1000
#: Characters of SQL accepted at most.
MAX_SQL = 20_000
EXAMPLE = "SELECT name, ra, dec, flux_aper_b FROM csc ORDER BY flux_aper_b DESC LIMIT 20"


def routes(root: Path) -> list[BaseRoute]:
    """``/query`` over the store at ``root`` (GET with ``?sql=...``)."""
    def page(request: Request) -> Response:
        return _page(root, request.query_params.get("sql", ""))

    return [Route("/query", guarded(page), name="dashboard_query")]


def one_select(sql: str) -> str:
    """``sql`` without a trailing semicolon if it is exactly one SELECT; XcatError if not."""
    text = sql.strip()
    if len(text) > MAX_SQL:
        raise XcatError(f"the query is longer than {MAX_SQL} characters")
    with duckdb.connect(":memory:") as con:
        kinds = statement_kinds(con, text)
    if len(kinds) != 1:
        raise XcatError(f"give exactly one SELECT statement (this is {len(kinds)} "
                        "statements)")
    if kinds[0] != "SELECT":
        raise XcatError(f"only SELECT queries run here: this is a {kinds[0]} statement "
                        "(the dashboard never changes the store)")
    return text.rstrip().rstrip(";")


def run_capped(store: Any, sql: str) -> tuple[Any, bool, float]:
    """Rows of one SELECT (at most :data:`ROW_CAP`), whether there were more, seconds."""
    start = time.perf_counter()
    rows = store.sql(f"SELECT * FROM (\n{sql}\n) AS q LIMIT {ROW_CAP + 1}", output="astropy")
    seconds = time.perf_counter() - start
    more = len(rows) > ROW_CAP
    return (rows[:ROW_CAP] if more else rows), more, seconds


def _page(root: Path, sql: str) -> Response:
    context: dict[str, Any] = {"title": "xcat query", "sql": sql or EXAMPLE, "error": None,
                               "rows": None, "cap": ROW_CAP}
    if not sql.strip():
        return render("query.html", **context)
    try:
        checked = one_select(sql)
        with read_store(root) as store:
            rows, more, seconds = run_capped(store, checked)
    except XcatError as exc:
        context["error"] = str(exc)
        return render("query.html", 400, **context)
    context.update(rows=table(rows, "query-table", max_rows=ROW_CAP), n_rows=len(rows),
                   more=more, seconds=f"{seconds * 1000:.1f} ms")
    return render("query.html", **context)
