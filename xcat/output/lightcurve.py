"""The long-term light curve of one source: flux in the common band against time.

Drawn from ``flux_history`` rows (:func:`xcat.science.variability.history`): one colour
and marker per mission and band, detections with their bounds as error bars, upper
limits as downward arrows from the limit, survey catalog fluxes with the survey's span as
a horizontal bar. A flux measured in another band and converted to the common band is
drawn hollow (legend: "converted"); a flux measured in the common band itself is filled.
The conversion model is written under the axes, and so is a caption (e.g. "SIMULATED")
when one is given. Rows without a time (CSC master fluxes) or without a conversion
factor are not drawn; the caption counts them.

Examples
--------
>>> fig = lightcurve(history_rows, "2CXO J110507.4-585105")         # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from xcat.errors import XcatError
from xcat.output.plots import save

__all__ = ["lightcurve", "save"]

MARKERS = ("o", "s", "D", "^", "v", "P", "X", "*")


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _years(mjd: Any) -> np.ndarray:
    """MJD as a decimal (Julian) year: J2000.0 = MJD 51544.5."""
    return 2000.0 + (np.asarray(mjd, dtype=float) - 51544.5) / 365.25


def lightcurve(rows: pd.DataFrame, title: str, caption: str = "", *,
               all_bands: bool = False) -> Any:
    """A matplotlib figure of ``rows`` (flux_history columns) for source ``title``.

    Only the ``preferred_band`` row of each observation is drawn unless ``all_bands``.
    """
    need = {"mjd", "flux_common", "flux_common_lo", "flux_common_hi", "flux_upper_limit",
            "mission", "band", "conversion_factor", "conversion_model", "common_band"}
    missing = need - set(rows.columns)
    if missing:
        raise XcatError(f"the light curve needs column(s) {', '.join(sorted(missing))}")
    df = rows.copy()
    for c in ("mjd", "flux_common", "flux_common_lo", "flux_common_hi", "conversion_factor"):
        df[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
    df["flux_upper_limit"] = df["flux_upper_limit"].fillna(False).astype(bool)
    if not all_bands and "preferred_band" in df.columns:
        df = df[df["preferred_band"].fillna(False).astype(bool)]
    drawable = df["mjd"].notna() & df["flux_common_hi"].notna()
    skipped = int((~drawable).sum())
    df = df[drawable]
    if df.empty:
        raise XcatError(f"{title}: no flux with a time and a conversion to draw "
                        f"({skipped} row(s) without)")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    groups = list(df.groupby(["mission", "band"], dropna=False, sort=True))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, ((mission, band), g) in enumerate(groups):
        colour, marker = colours[i % len(colours)], MARKERS[i % len(MARKERS)]
        converted = bool((g["conversion_factor"] - 1.0).abs().max() > 1e-12)
        label = f"{mission or '?'} {band}" + (" (converted)" if converted else "")
        face = "none" if converted else colour
        det = g[~g["flux_upper_limit"]]
        lim = g[g["flux_upper_limit"]]
        xerr = pd.Series(0.0, index=g.index)
        if {"t_start", "t_stop", "level"} <= set(g.columns):
            span = (pd.to_datetime(g["t_stop"]) - pd.to_datetime(g["t_start"])).dt.days / 2
            xerr = (span / 365.25).where(g["level"].eq("catalog"), 0.0).fillna(0.0)
        if not det.empty:
            y = det["flux_common"].to_numpy()
            yerr = np.vstack([y - det["flux_common_lo"].fillna(det["flux_common"]).to_numpy(),
                              det["flux_common_hi"].fillna(det["flux_common"]).to_numpy() - y])
            ax.errorbar(_years(det["mjd"]), y, yerr=np.clip(yerr, 0, None),
                        xerr=xerr[det.index].to_numpy(),
                        fmt=marker, color=colour, mfc=face, ms=6, capsize=2, lw=1,
                        label=label + f": {len(det)}")
        if not lim.empty:
            y = lim["flux_common_hi"].to_numpy()
            ax.errorbar(_years(lim["mjd"]), y, yerr=0.35 * y, uplims=True, fmt=marker,
                        xerr=xerr[lim.index].to_numpy(),
                        color=colour, mfc="none", ms=6, lw=1, alpha=0.85,
                        label=label + f" upper limits: {len(lim)}")
    ax.set_yscale("log")
    band = str(df["common_band"].dropna().iloc[0]) if df["common_band"].notna().any() else ""
    ax.set_ylabel(f"flux {band} [erg cm$^{{-2}}$ s$^{{-1}}$]")
    ax.set_xlabel("year (mid-time of the observation; bars: a survey's span)")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3, which="both", lw=0.5)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, fontsize=8)
    model = str(df["conversion_model"].dropna().iloc[0]) if df["conversion_model"].notna().any() \
        else "no conversion model"
    foot = f"converted with: {model}"
    if skipped:
        foot += f"; {skipped} flux(es) without a time or a conversion not drawn"
    if caption:
        foot = f"{caption}\n{foot}"
    fig.text(0.01, -0.02, foot, fontsize=7.5, va="top", ha="left",
             color="firebrick" if caption else "0.3")
    return fig
