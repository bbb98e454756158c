"""One self-contained HTML page for a host: counts by class, the standard figures
(embedded as PNG), the saved samples' tables, and the store's catalogs.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
from pathlib import Path
from string import Template
from typing import Any

import pandas as pd

from xcat import resources
from xcat.errors import XcatError
from xcat.output import figure_data, limits, plots
from xcat.output.samples import get_sample, run_sample
from xcat.output.select import limit_confidence
from xcat.output.tables import write_table
from xcat.store.db import Database
from xcat.version import __version__

#: The saved samples the report shows, with their section titles.
REPORT_SAMPLES = {"xrb_candidates": "XRB candidates", "snr_candidates": "SNR candidates"}
MAX_ROWS = 200


def _table_html(rows: Any, table_id: str) -> str:
    return write_table(rows, "html", max_rows=MAX_ROWS, table_id=table_id)


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plots._pyplot().close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _figure(fig: Any, caption: str, fig_id: str) -> str:
    return (f'<figure id="{fig_id}"><img alt="{html.escape(caption)}" '
            f'src="data:image/png;base64,{_png(fig)}"><figcaption>{html.escape(caption)}'
            "</figcaption></figure>")


def build_report(store: Database, host: str, out: str | Path) -> Path:
    """Write the report of ``host`` (any alias) to ``out``; return its path.

    Examples
    --------
    >>> build_report(store, "M101", "m101_report.html")            # doctest: +SKIP
    """
    rows = store.sql(resources.read_sql("reports/host.sql"), {"host": host})
    if rows.empty:
        raise XcatError(f"no host '{host}' (add it with 'xcat host add')")
    h = rows.iloc[0]
    name = h["host"]
    members = store.sql(resources.read_sql("reports/members.sql"), {"host_name": name})
    box_rows = store.sql(resources.read_sql("reports/snr_box.sql"))
    box = {"hr" if r.column_name == "hr1" else r.column_name: r.threshold
           for r in box_rows.itertuples()}
    bands = figure_data.hr_bands(store)
    conf = limit_confidence(store)
    limit_words = limits.confidence_text(conf)
    figs = [
        _figure(plots.hr_lx(members.rename(columns={"hr1": "hr"}),
                            box if {"hr", "log_lx"} <= set(box) else None,
                            hr_label=figure_data.hr_label("hr1", bands), limit_conf=conf),
                "Hardness ratio against log Lx; shaded: the SNR rule; arrows: upper limits "
                f"({limit_words})", "fig-hr-lx"),
        _figure(plots.hr_hr(figure_data.with_variability(store, members),
                            labels=(figure_data.hr_label("hr1", bands),
                                    figure_data.hr_label("hr2", bands))),
                "Hardness ratios, coloured by the intra- (left) and inter-observation "
                "(right) variability probability", "fig-hr-hr"),
        _figure(plots.xlf(members, limit_conf=conf), "Cumulative luminosity function; "
                f"arrows: upper limits ({limit_words})", "fig-xlf"),
        _figure(plots.sky(members, host_shape(h)), f"Sources around the centre of {name}",
                "fig-sky"),
    ]
    samples = []
    for s, heading in REPORT_SAMPLES.items():
        found = run_sample(store, s, {"host": name}, output="astropy")
        if conf is not None:
            found.meta["limit_conf"] = conf
        sample = get_sample(s, store.path)
        samples.append(f'<h2 id="title-{s}">{html.escape(heading)} ({len(found)})</h2>'
                       f'<p class="meta">{html.escape(sample.title)}: '
                       f'{html.escape(sample.description)} Positions are ICRS degrees.</p>'
                       + _table_html(found, f"sample-{s}"))
    cats = store.catalogs()[["name", "kind", "rows", "source", "created"]]
    dist = ("unknown" if pd.isna(h.get("distance_mpc")) else
            f"{h['distance_mpc']:.3g} Mpc ({h.get('distance_method') or 'method unknown'}; "
            f"{h.get('distance_ref') or 'no reference'})")
    page = Template((Path(__file__).resolve().parents[1] / "templates" / "report.html")
                    .read_text())
    text = page.substitute(
        host=html.escape(str(name)), distance=html.escape(dist), version=__version__,
        generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        store=html.escape(str(store.path)),
        class_counts=_table_html(store.sql(resources.read_sql("reports/class_counts.sql"),
                                           {"host_name": name}), "class-table"),
        figures="\n".join(figs), samples="\n".join(samples),
        catalogs=_table_html(cats, "catalog-table"))
    out = Path(out)
    out.write_text(text)
    return out


def host_shape(h: pd.Series) -> dict[str, Any] | None:
    """Centre and ellipse (or radius) of a host row, for the sky figure."""
    a, b = h.get("ellipse_a_arcmin"), h.get("ellipse_b_arcmin")
    if pd.notna(a) and pd.notna(b):
        return {"ra": h["ra"], "dec": h["dec"], "a_arcmin": a, "b_arcmin": b,
                "pa_deg": h.get("ellipse_pa_deg") or 0.0, "name": h["host"]}
    r = h.get("radius_arcmin")
    if pd.notna(r):
        return {"ra": h["ra"], "dec": h["dec"], "a_arcmin": r, "b_arcmin": r, "pa_deg": 0.0,
                "name": h["host"]}
    return None
