"""Data for the standard figures: a host's members, a saved sample, or a query."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from xcat import resources
from xcat.errors import XcatError
from xcat.output import figure_data, plots
from xcat.output.report import host_shape
from xcat.output.select import limit_confidence, select_rows
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
    bands = figure_data.hr_bands(store)
    if host is None:  # a query's hr1 may be anything: trust only its own *_bands columns
        bands = {k: v for k, v in bands.items() if not k.startswith("hr")}
        for i in (1, 2, 3):
            if f"hr{i}_bands" in df.columns and df[f"hr{i}_bands"].nunique() == 1:
                bands[f"hr{i}"] = str(df[f"hr{i}_bands"].dropna().iloc[0])
    conf = limit_confidence(store)
    if figure == "hr-lx":
        box_rows = store.sql(resources.read_sql("reports/snr_box.sql"))
        box = {"hr" if r.column_name == "hr1" else r.column_name: r.threshold
               for r in box_rows.itertuples()}
        hr_col = next((a for a in ("hr", "hr1", "hard_hs") if a in df.columns), "hr")
        df = df.rename(columns={hr_col: "hr"})
        if "lx_upper_limit" in df.columns and "upper_limit" not in df.columns:
            df = df.rename(columns={"lx_upper_limit": "upper_limit"})
        fig = plots.hr_lx(df, box if {"hr", "log_lx"} <= set(box) else None,
                          hr_label=figure_data.hr_label(hr_col, bands), limit_conf=conf)
    elif figure == "hr-hr":
        df = df.rename(columns={"hard_hs": "hr1", "hard_hm": "hr2"})
        fig = plots.hr_hr(figure_data.with_variability(store, df),
                          labels=(figure_data.hr_label("hr1", bands),
                                  figure_data.hr_label("hr2", bands)))
    elif figure == "xlf":
        if "lx_upper_limit" in df.columns and "upper_limit" not in df.columns:
            df = df.rename(columns={"lx_upper_limit": "upper_limit"})
        fig = plots.xlf(df, limit_conf=conf)
    else:
        fig = plots.sky(df, shape)
    return plots.save(fig, out)
