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
    else:
        table, caption = store.sql(sql, params or {}, output="astropy"), "Query result"
    conf = limit_confidence(store)
    if conf is not None:
        table.meta["limit_conf"] = conf
    return table, caption


def limit_confidence(store: Database) -> float | None:
    """The one confidence every X-ray catalog's flux limits are quoted at (CSC: 0.68),
    or None when the store has none or several.
    """
    try:
        confs = store.sql(CONFIDENCES)["flux_conf"].dropna().unique()
    except XcatError:  # no X-ray catalog: no xray_sources view
        return None
    return float(confs[0]) if len(confs) == 1 else None


CONFIDENCES = "SELECT DISTINCT flux_conf FROM xray_sources"
