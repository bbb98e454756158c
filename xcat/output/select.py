"""Rows for the paper/dashboard commands: from a saved sample or an SQL query."""

from __future__ import annotations

from typing import Any

from xcat.errors import XcatError
from xcat.output.samples import get_sample
from xcat.store.db import Database


def select_rows(store: Database, sample: str | None, sql: str | None,
                params: dict[str, Any] | None = None) -> tuple[Any, str]:
    """Astropy Table of a saved sample's or a query's rows, and a caption for it.

    Examples
    --------
    >>> rows, caption = select_rows(store, "snr_candidates", None, {"host": "M101"})
    ... # doctest: +SKIP
    """
    if bool(sample) == bool(sql):
        raise XcatError("give a saved sample name or --sql QUERY (one of them)")
    if sample:

        s = get_sample(sample, store.path)
        table = store.sql(s.sql, s.bind(params or {}), output="astropy")
        caption = s.title + (f": {s.description}" if s.description else "")
        if params:
            caption += " (" + ", ".join(f"{k} = {v}" for k, v in params.items()) + ")"
        return table, caption
    return store.sql(sql, params or {}, output="astropy"), "Query result"
