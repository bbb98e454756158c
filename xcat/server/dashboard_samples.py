"""Saved samples on the dashboard: ``/samples/<name>`` shows a sample's parameters as a
form and its rows as a paged, sortable table; ``/samples/<name>/download.<fmt>`` writes
them in any format of the one table writer (the same file as ``xcat export``).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import numpy as np
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from xcat.errors import XcatError
from xcat.output import FORMATS
from xcat.output.samples import Sample, get_sample
from xcat.output.select import select_rows
from xcat.output.tables import write_table
from xcat.server.dashboard_base import NotFoundError, guarded, read_store, render, table
from xcat.store.sql import parse_params

#: Rows per page of a sample's table.
PER_PAGE = 50
#: Downloads: media type of each format (text formats are UTF-8).
MEDIA = {"csv": "text/csv", "json": "application/json", "ecsv": "text/plain",
         "votable": "application/x-votable+xml", "fits": "application/fits",
         "parquet": "application/vnd.apache.parquet", "latex": "application/x-latex",
         "html": "text/html"}
SUFFIX = {"votable": "vot", "latex": "tex"}
#: Query-string keys of the page itself, never sample parameters.
PAGE_KEYS = {"sort", "order", "page"}


def routes(root: Path) -> list[BaseRoute]:
    """``/samples/<name>`` and its downloads, over the store at ``root``."""
    def page(request: Request) -> Response:
        return _page(root, request.path_params["name"], dict(request.query_params))

    def download(request: Request) -> Response:
        return _download(root, request.path_params["name"], request.path_params["fmt"],
                         dict(request.query_params))

    return [Route("/samples/{name}", guarded(page), name="dashboard_sample"),
            Route("/samples/{name}/download.{fmt}", guarded(download),
                  name="dashboard_sample_download")]


def _sample(store: Any, name: str) -> Sample:
    try:
        return get_sample(name, store.path)
    except XcatError as exc:
        raise NotFoundError(str(exc)) from exc


def sample_params(sample: Sample, query: dict[str, str]) -> dict[str, Any]:
    """The sample's parameters from a query string, typed like ``--param NAME=VALUE``;
    empty fields fall back to the sample's defaults, unknown keys are refused.
    """
    given = {k: v for k, v in query.items() if k not in PAGE_KEYS and v.strip() != ""}
    unknown = sorted(set(given) - set(sample.params))
    if unknown:
        raise XcatError(f"sample '{sample.name}' has no parameter(s) {', '.join(unknown)} "
                        f"(it takes: {', '.join(sample.params) or 'none'})")
    return parse_params([f"{k}={v.strip()}" for k, v in given.items()])


def _page(root: Path, name: str, query: dict[str, str]) -> Response:
    with read_store(root) as store:
        sample = _sample(store, name)
        form = [{"name": p, "help": text, "value": query.get(p, ""),
                 "default": sample.defaults.get(p, "")} for p, text in sample.params.items()]
        base = "/samples/" + quote(name, safe="")
        context: dict[str, Any] = {"title": f"xcat sample: {sample.title}",
                                   "sample": sample, "form": form, "base": base,
                                   "error": None, "rows": None}
        try:
            params = sample_params(sample, query)
            missing = [p for p in sample.params
                       if p not in params and p not in sample.defaults]
            if missing:  # the form first: nothing to run yet
                context["error"] = ("fill in " + ", ".join(missing) if not any(
                    k in query for k in sample.params) else
                    f"sample '{name}' needs {', '.join(missing)}")
                return render("sample.html", **context)
            start = time.perf_counter()
            rows, _ = select_rows(store, name, None, params)
            seconds = time.perf_counter() - start
        except XcatError as exc:
            context["error"] = str(exc)
            return render("sample.html", 400, **context)
        context.update(_paged(rows, query, params, base, seconds))
        return render("sample.html", **context)


def _paged(rows: Any, query: dict[str, str], params: dict[str, Any], base: str,
           seconds: float) -> dict[str, Any]:
    """The page of ``rows`` asked for, sorted by a column of the result (in memory: the
    column name is checked against the result's, never put into SQL).
    """
    sort = query.get("sort", "")
    order = "desc" if query.get("order") == "desc" else "asc"
    if sort:
        if sort not in rows.colnames:
            raise XcatError(f"no column '{sort}' to sort by (columns: "
                            f"{', '.join(rows.colnames)})")
        rows = rows[sorted_index(rows[sort], descending=order == "desc")]
    n_pages = max(1, -(-len(rows) // PER_PAGE))
    try:
        page = min(max(1, int(query.get("page", "1"))), n_pages)
    except ValueError:
        page = 1
    shown = rows[(page - 1) * PER_PAGE: page * PER_PAGE]
    keep = {k: str(v) for k, v in query.items() if k in params}
    state = {**keep, **({"sort": sort, "order": order} if sort else {})}

    def link(**extra: Any) -> str:
        return "?" + urlencode({**state, **{k: str(v) for k, v in extra.items()}})

    return {
        "rows": table(shown, "sample-table", max_rows=PER_PAGE), "n_rows": len(rows),
        "seconds": f"{seconds * 1000:.0f} ms", "page": page, "n_pages": n_pages,
        "prev": link(page=page - 1) if page > 1 else None,
        "next": link(page=page + 1) if page < n_pages else None,
        "columns": rows.colnames, "sort": sort, "order": order, "params": keep,
        "downloads": [{"fmt": f, "url": f"{base}/download.{f}?" + urlencode(keep)}
                      for f in FORMATS if f != "table"],
    }


def sorted_index(col: Any, *, descending: bool) -> Any:
    """Row order sorting ``col`` (stable), missing values (masked or NaN) last either way."""
    data = np.ma.getdata(col)
    missing = np.ma.getmaskarray(col).copy()
    if data.dtype.kind == "f":
        missing |= np.isnan(data)
    present = np.flatnonzero(~missing)
    keys = _negated(data[present]) if descending else data[present]  # ties keep their order
    order = present[np.argsort(keys, kind="stable")]
    return np.concatenate([order, np.flatnonzero(missing)])


def _negated(values: Any) -> Any:
    """Keys that sort ``values`` in descending order (numbers negated, text ranked)."""
    if values.dtype.kind in "iuf":
        return -values.astype(float)
    if values.dtype.kind == "b":
        return ~values
    _, ranks = np.unique(values, return_inverse=True)
    return -ranks


def _download(root: Path, name: str, fmt: str, query: dict[str, str]) -> Response:
    if fmt not in MEDIA:
        raise NotFoundError(f"unknown format '{fmt}' (choose from {', '.join(MEDIA)})")
    with read_store(root) as store:
        sample = _sample(store, name)
        rows, caption = select_rows(store, name, None, sample_params(sample, query))
        filename = f"{name}.{SUFFIX.get(fmt, fmt)}"
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / filename
            write_table(rows, fmt, out, caption=caption, max_rows=len(rows))
            body = out.read_bytes()
    media = MEDIA[fmt] + ("" if fmt in ("fits", "parquet") else "; charset=utf-8")
    return Response(body, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
