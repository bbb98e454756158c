"""Data for the standard figures: a host's members, a saved sample, or a query."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from xcat import resources
from xcat.errors import XcatError
from xcat.output import plots
from xcat.output.report import host_shape
from xcat.output.select import select_rows
from xcat.store.db import Database


def make_figure(store: Database, figure: str, out: str | Path, *, host: str | None = None,
                sample: str | None = None, sql: str | None = None,
                params: dict[str, Any] | None = None) -> Path:
    """Draw ``figure`` (hr-lx, hr-hr, xlf, sky) for a host, a saved sample or a query.

    A sample or query must return the columns the figure uses: ``hr`` (or ``hr1`` /
    ``hard_hs``), ``log_lx``
    and ``upper_limit`` (hr-lx), ``hr1``, ``hr2``, ``var_prob`` (hr-hr), ``log_lx`` and
    optionally ``host``/``upper_limit`` (xlf), ``ra``, ``dec`` (sky).

    Examples
    --------
    >>> make_figure(store, "hr-lx", "m101_hrlx.pdf", host="M101")     # doctest: +SKIP
    """
    if figure not in plots.FIGURES:
        raise XcatError(f"unknown figure '{figure}' (choose from {', '.join(plots.FIGURES)})")
    if sum(x is not None for x in (host, sample, sql)) != 1:
        raise XcatError("give exactly one of --host, a saved sample, or --sql")
    shape = None
    if host is not None:
        h = store.sql(resources.read_sql("reports/host.sql"), {"host": host})
        if h.empty:
            raise XcatError(f"no host '{host}' (add it with 'xcat host add')")

        shape = host_shape(h.iloc[0])
        df = store.sql(resources.read_sql("reports/members.sql"), {"host_name": h.iloc[0]["host"]})
    else:

        table, _ = select_rows(store, sample, sql, params)
        df = table.to_pandas()
    if figure == "hr-lx":
        box_rows = store.sql(resources.read_sql("reports/snr_box.sql"))
        box = {"hr" if r.column_name == "hr1" else r.column_name: r.threshold
               for r in box_rows.itertuples()}
        for alias in ("hr1", "hard_hs"):
            if "hr" not in df.columns and alias in df.columns:
                df = df.rename(columns={alias: "hr"})
        if "lx_upper_limit" in df.columns and "upper_limit" not in df.columns:
            df = df.rename(columns={"lx_upper_limit": "upper_limit"})
        fig = plots.hr_lx(df, box if {"hr", "log_lx"} <= set(box) else None)
    elif figure == "hr-hr":
        fig = plots.hr_hr(df)
    elif figure == "xlf":
        if "lx_upper_limit" in df.columns and "upper_limit" not in df.columns:
            df = df.rename(columns={"lx_upper_limit": "upper_limit"})
        fig = plots.xlf(df)
    else:
        fig = plots.sky(df, shape)
    return plots.save(fig, out)
