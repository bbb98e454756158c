"""The figure of sources with their own distances (the ROSAT tutorial's M dwarfs):
log L_X against distance, with the luminosity of the faintest detected flux
(L = 4 pi d^2 F_min) as the survey's detection edge, and optionally against a column of
the counterpart catalog that gave the distance (spectral type, bolometric luminosity).

Examples
--------
>>> draw(store, "mdwarfs_lx.png", catalog="rxs2", versus="SpTnum")     # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from astropy import units as u

from xcat.errors import XcatError
from xcat.output import plots
from xcat.store import registry, sqlbuild
from xcat.store.db import Database

#: Sources with an own distance and a luminosity.
ROWS = """
SELECT l.catalog, l.source_key, l.name, l.log_lx, l.log_lx_lo, l.log_lx_hi, l.lx_upper_limit,
       l.flux, l.flux_origin, l.band, d.distance_pc, d.distance_lo_pc, d.distance_hi_pc,
       d.counterpart_catalog, d.counterpart_key
FROM luminosities AS l
JOIN source_distances_adopted AS d USING (catalog, source_key)
WHERE l.distance_origin = 'source' AND l.log_lx IS NOT NULL
  AND ($catalog IS NULL OR l.catalog = $catalog)
ORDER BY l.catalog, l.source_key
"""


def rows(store: Database, catalog: str | None = None, versus: str | None = None) -> pd.DataFrame:
    """Sources with their own distance and log L_X; ``versus``: a column of their
    counterpart catalog, added as ``versus``.
    """
    df = store.sql(ROWS, {"catalog": catalog})
    if df.empty:
        raise XcatError("no source has its own distance and a luminosity"
                        + (f" in {catalog}" if catalog else "")
                        + " (see 'xcat distance from-parallax')")
    if versus is None:
        return df
    parts = []
    for cat, g in df.groupby("counterpart_catalog"):
        if versus.lower() not in registry.view_columns(store.con, cat):
            raise XcatError(f"counterpart catalog {cat} has no column '{versus}'")
        key = registry.get_catalog(store.con, cat)["key_columns"][0]
        v = store.sql(f"SELECT CAST({sqlbuild.quote(key)} AS VARCHAR) AS counterpart_key, "
                      f"TRY_CAST({sqlbuild.quote(versus)} AS DOUBLE) AS versus "
                      f"FROM {sqlbuild.quote(cat)}")
        unit = store.con.execute("SELECT unit FROM catalog_columns WHERE catalog = $c AND "
                                 "lower(name) = lower($n)", {"c": cat, "n": versus}).fetchall()
        label = f"{versus} [{unit[0][0]}] ({cat})" if unit and unit[0][0] else f"{versus} ({cat})"
        parts.append(g.merge(v, on="counterpart_key", how="left").assign(versus_label=label))
    return pd.concat(parts, ignore_index=True)


def figure(df: pd.DataFrame, versus: str | None = None, title: str = "") -> Any:
    """Figure: log L_X against distance (and ``versus`` when given), 68% error bars."""
    plt = _pyplot()
    n = 2 if versus else 1
    fig, axes = plt.subplots(1, n, figsize=(6.0 * n, 4.6), squeeze=False)
    ax = axes[0][0]
    y = df["log_lx"].to_numpy(float)
    yerr = np.vstack([y - df["log_lx_lo"].fillna(df["log_lx"]).to_numpy(float),
                      df["log_lx_hi"].fillna(df["log_lx"]).to_numpy(float) - y])
    d = df["distance_pc"].to_numpy(float)
    derr = np.vstack([d - df["distance_lo_pc"].fillna(df["distance_pc"]).to_numpy(float),
                      df["distance_hi_pc"].fillna(df["distance_pc"]).to_numpy(float) - d])
    ax.errorbar(d, y, xerr=derr, yerr=yerr, fmt="o", ms=2.5, lw=0.5, alpha=0.6,
                label=f"sources ({len(df)})")
    fmin = df["flux"].min()
    grid = np.geomspace(d.min() * 0.8, d.max() * 1.25, 100)
    edge = np.log10(4 * np.pi * (grid * u.pc).to_value(u.cm) ** 2 * fmin)
    ax.plot(grid, edge, color="C3", lw=1,
            label=f"faintest flux detected ({fmin:.2g} erg cm$^{{-2}}$ s$^{{-1}}$)")
    ax.set_xscale("log")
    ax.set_xlabel("distance (pc, own: 1/parallax or catalog)")
    ax.set_ylabel(rf"log $L_X$ (erg s$^{{-1}}$, {df['band'].iloc[0]})")
    ax.legend(fontsize=8, loc="lower right")
    if versus:
        ax2 = axes[0][1]
        x = df["versus"].to_numpy(float)
        ax2.errorbar(x, y, yerr=yerr, fmt="o", ms=2.5, lw=0.5, alpha=0.6)
        pos = x[np.isfinite(x)]
        if len(pos) and (pos > 0).all() and pos.max() / pos.min() > 100:
            ax2.set_xscale("log")
        ax2.set_xlabel(", ".join(df["versus_label"].unique()))
        ax2.set_ylabel(r"log $L_X$ (erg s$^{-1}$)")
    origin = ", ".join(sorted(df["flux_origin"].dropna().unique()))
    fig.suptitle(title or f"X-ray luminosity with each source's own distance (flux: {origin})",
                 fontsize=10)
    fig.tight_layout()
    return fig


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def draw(store: Database, out: str | Path, *, catalog: str | None = None,
         versus: str | None = None, title: str = "") -> Path:
    """Write the figure (PNG or PDF by suffix)."""
    return plots.save(figure(rows(store, catalog, versus), versus, title), out)
