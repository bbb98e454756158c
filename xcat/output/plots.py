"""The standard figures (matplotlib, PNG or PDF by file suffix), drawn from query rows.

- ``hr_lx``: hardness ratio against log Lx, with the SNR-rule box from ``flag_rules``;
- ``hr_hr``: hard/medium against hard/soft, two panels coloured by the intra- and the
  inter-observation variability probability;
- ``xlf``: cumulative X-ray luminosity function per host, upper limits as arrows;
- ``sky``: sources in offsets from the host centre with its ellipse, or a HEALPix count
  map for all-sky catalogs.

Axes name the hardness ratios' bands, upper limits are arrows whose legend entry gives
their confidence, and legends sit outside the axes so they never hide a point.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from xcat.errors import XcatError
from xcat.output import limits
from xcat.sky import healpix

FIGURES = ("hr-lx", "hr-hr", "xlf", "sky")


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _need(df: Any, cols: set[str], what: str) -> Any:
    """``df`` with ``cols`` as floats (DECIMAL query results arrive as text); an error
    naming the missing ones.
    """
    import pandas as pd

    missing = cols - set(df.columns)
    if missing:
        raise XcatError(f"the {what} figure needs column(s) {', '.join(sorted(missing))}")
    df = df.copy()
    for c in cols:
        df[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
    return df


def save(fig: Any, out: str | Path) -> Path:
    """Save a figure as PNG or PDF (by suffix) and close it."""
    out = Path(out)
    if out.suffix.lower() not in (".png", ".pdf"):
        raise XcatError(f"{out}: figures are written as .png or .pdf")
    fig.savefig(out, dpi=150, bbox_inches="tight")
    _pyplot().close(fig)
    return out


def _legend_outside(ax: Any, **kw: Any) -> Any:
    """A legend to the right of the axes, where it cannot hide a point."""
    if not ax.get_legend_handles_labels()[0]:
        return None
    return ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0,
                     fontsize=8, **kw)


def _limit_label(conf: float | None) -> str:
    return "upper limits (" + limits.confidence_text(conf).replace(
        " (xray_sources.flux_conf)", "") + ")"


VAR_PANELS = (("var_intra_prob", "intra-observation"), ("var_inter_prob", "inter-observation"))


def hr_hr(df: Any, title: str = "", labels: tuple[str, str] | None = None) -> Any:
    """``hr2`` against ``hr1`` in two panels, coloured by the intra- and the
    inter-observation variability probability (``var_intra_prob``/``var_inter_prob``; a
    panel says so when its probability is missing for every source). ``labels`` name
    the axes' bands (x, y).
    """
    df = _need(df, {"hr1", "hr2"}, "hr-hr")
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.8), sharex=True, sharey=True,
                             layout="constrained")
    ok = df["hr1"].notna() & df["hr2"].notna()
    d = df[ok]
    xlabel, ylabel = labels or ("hardness ratio hr1 (bands not recorded)",
                                "hardness ratio hr2 (bands not recorded)")
    sc = None
    for ax, (col, what) in zip(axes, VAR_PANELS, strict=True):
        if {"hr1_lo", "hr1_hi", "hr2_lo", "hr2_hi"} <= set(d.columns):
            ax.errorbar(d["hr1"], d["hr2"],
                        xerr=[(d["hr1"] - d["hr1_lo"]).clip(lower=0),
                              (d["hr1_hi"] - d["hr1"]).clip(lower=0)],
                        yerr=[(d["hr2"] - d["hr2_lo"]).clip(lower=0),
                              (d["hr2_hi"] - d["hr2"]).clip(lower=0)],
                        fmt="none", ecolor="0.85", lw=0.6, zorder=1)
        prob = d[col] if col in d.columns else None
        if prob is not None and prob.notna().any():
            has = prob.notna().to_numpy()
            ax.scatter(d["hr1"][~has], d["hr2"][~has], s=10, facecolors="none",
                       edgecolors="0.5", zorder=2,
                       label=f"no {what} probability ({int((~has).sum())})")
            sc = ax.scatter(d["hr1"][has], d["hr2"][has], c=prob[has], cmap="viridis",
                            vmin=0, vmax=1, s=14, zorder=3)
            ax.set_title(f"{what} variability ({int(has.sum())} of {len(d)} sources)",
                         fontsize=10)
        else:  # said in the panel's title, where it hides no point
            ax.scatter(d["hr1"], d["hr2"], s=10, color="0.5", zorder=2)
            ax.set_title(f"{what} variability\nno {what} variability data for these "
                         f"{len(d)} sources", fontsize=10, color="C3")
        ax.set_xlabel(xlabel)
        ax.set_xlim(-1.05, 1.05)
        ax.set_ylim(-1.05, 1.05)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.25), fontsize=8)
    axes[0].set_ylabel(ylabel)
    if sc is not None:
        fig.colorbar(sc, ax=list(axes), label="variability probability (CSC, broad band)")
    fig.suptitle(title or f"Hardness ratios ({len(d)} sources)")
    return fig


def hr_lx(df: Any, box: dict[str, float] | None = None, title: str = "",
          hr_label: str = "hardness ratio (bands not recorded)",
          limit_conf: float | None = None) -> Any:
    """``hr`` against ``log_lx`` (erg/s): upper limits as leftward arrows (their
    confidence in the legend), the rule box shaded, the legend outside the axes.
    """
    df = _need(df, {"hr", "log_lx"}, "hr-lx")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 5))
    ok = df["hr"].notna() & df["log_lx"].notna()
    d = df[ok]
    ul = (d["upper_limit"].fillna(False).astype(bool).to_numpy() if "upper_limit" in d.columns
          else np.zeros(len(d), bool))
    ax.scatter(d.loc[~ul, "log_lx"], d.loc[~ul, "hr"], s=14, label=f"detections ({(~ul).sum()})")
    if ul.any():
        x, y = d.loc[ul, "log_lx"].to_numpy(), d.loc[ul, "hr"].to_numpy()
        ax.quiver(x, y, -np.full(len(x), 0.25), np.zeros(len(x)), angles="xy",
                  scale_units="xy", scale=1, width=0.004, color="0.35", zorder=3,
                  label=f"L$_X$ {_limit_label(limit_conf)} ({ul.sum()})")
        ax.scatter(x, y, marker="|", s=40, color="0.35", zorder=3)
    if box:
        lo = min(d["log_lx"].min() - 0.4 if len(d) else box["log_lx"] - 2, box["log_lx"] - 1)
        ax.fill_between([lo, box["log_lx"]], -1.05, box["hr"], color="C3", alpha=0.15,
                        label=f"SNR rule: HR $\\leq$ {box['hr']:g}, log L$_X$ $\\leq$ "
                              f"{box['log_lx']:g}")
        ax.axhline(box["hr"], color="C3", lw=0.8)
        ax.axvline(box["log_lx"], color="C3", lw=0.8)
    ax.set_xlabel(r"log $L_X$ (erg s$^{-1}$)")
    ax.set_ylabel(hr_label)
    ax.set_ylim(-1.05, 1.05)
    _legend_outside(ax)
    ax.set_title(title or f"HR - Lx ({len(d)} sources)")
    return fig


def xlf(df: Any, title: str = "", limit_conf: float | None = None) -> Any:
    """Cumulative N(> L) per host from ``log_lx``; upper limits as leftward arrows."""
    df = _need(df, {"log_lx"}, "xlf")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 5))
    groups = df.groupby("host") if "host" in df.columns else [("all", df)]
    for host, g in groups:
        ul = g["upper_limit"].fillna(False).astype(bool) if "upper_limit" in g.columns else \
            np.zeros(len(g), bool)
        det = np.sort(g.loc[~ul & g["log_lx"].notna(), "log_lx"].to_numpy())[::-1]
        if len(det):
            ax.step(det, np.arange(1, len(det) + 1), where="post", label=f"{host} ({len(det)})")
        if ul.any():
            lim = g.loc[ul, "log_lx"].dropna().to_numpy()
            ax.plot(lim, np.full(len(lim), 0.8), ls="none", marker=r"$\leftarrow$", ms=10,
                    color="0.4", label=f"{host} {_limit_label(limit_conf)} ({len(lim)})")
    ax.set_yscale("log")
    ax.set_xlabel(r"log $L_X$ (erg s$^{-1}$)")
    ax.set_ylabel(r"N(>L$_X$)")
    _legend_outside(ax)
    ax.set_title(title or "Cumulative X-ray luminosity function")
    return fig


def sky(df: Any, host: dict[str, Any] | None = None, title: str = "") -> Any:
    """Sources on the sky in arcmin offsets from the host's centre (its ellipse drawn,
    the centre marked), or from the sources' mean position without a host; a HEALPix
    count map when the sources span more than 30 degrees.
    """
    df = _need(df, {"ra", "dec"}, "sky")
    plt = _pyplot()
    ra, dec = df["ra"].to_numpy(float), df["dec"].to_numpy(float)
    if _span_deg(ra, dec) > 30:
        fig = plt.figure(figsize=(8, 4.5))
        healpix.plot_count_map(ra, dec, order=4, fig=fig,
                               title=title or f"{len(df)} sources (HEALPix order 4 counts)")
        return fig
    if host:
        ra0, dec0, centre = float(host["ra"]), float(host["dec"]), str(host.get("name"))
    else:
        ra0 = float(np.degrees(np.arctan2(np.sin(np.radians(ra)).mean(),
                                          np.cos(np.radians(ra)).mean())) % 360)
        dec0, centre = float(np.nanmean(dec)), "mean source position"
    x, y = _offsets(ra, dec, ra0, dec0)
    fig, ax = plt.subplots(figsize=(7.5, 6))
    colour = df["class"].astype(str) if "class" in df.columns else None
    if colour is not None:
        for cls in sorted(colour.unique()):
            m = (colour == cls).to_numpy()
            ax.scatter(x[m], y[m], s=10, label=f"{cls} ({m.sum()})")
    else:
        ax.scatter(x, y, s=8, label=f"sources ({len(df)})")
    ax.plot([0], [0], "k+", ms=12, mew=1.5, label=f"centre of {centre}")
    if host:
        from matplotlib.patches import Ellipse

        ax.add_patch(Ellipse((0, 0), 2 * host["b_arcmin"], 2 * host["a_arcmin"],
                             angle=-float(host.get("pa_deg") or 0.0), fill=False, color="k",
                             lw=1, label=f"{centre} ellipse"))
    ax.invert_xaxis()  # east to the left
    ax.set_aspect("equal")
    ax.set_xlabel("east offset (arcmin)")
    ax.set_ylabel("north offset (arcmin)")
    _legend_outside(ax)
    from astropy.coordinates import SkyCoord

    c = SkyCoord(ra0, dec0, unit="deg")
    where = (f"{c.ra.to_string('hourangle', sep=':', precision=1, pad=True)} "
             f"{c.dec.to_string(sep=':', precision=0, alwayssign=True, pad=True)} (ICRS)")
    ax.set_title(title or f"{centre}: {len(df)} sources around {where}", fontsize=10)
    return fig


def _offsets(ra: np.ndarray, dec: np.ndarray, ra0: float, dec0: float
             ) -> tuple[np.ndarray, np.ndarray]:
    """Gnomonic (tangent-plane) offsets in arcmin, east and north of (ra0, dec0)."""
    a, d = np.radians(ra - ra0), np.radians(dec)
    d0 = np.radians(dec0)
    cosc = np.sin(d0) * np.sin(d) + np.cos(d0) * np.cos(d) * np.cos(a)
    x = np.cos(d) * np.sin(a) / cosc
    y = (np.cos(d0) * np.sin(d) - np.sin(d0) * np.cos(d) * np.cos(a)) / cosc
    return np.degrees(x) * 60, np.degrees(y) * 60


def _span_deg(ra: np.ndarray, dec: np.ndarray) -> float:
    if len(ra) == 0:
        return 0.0
    from astropy.coordinates import angular_separation

    ra0, dec0 = np.radians(np.nanmedian(ra)), np.radians(np.nanmedian(dec))
    return float(np.degrees(np.nanmax(angular_separation(ra0, dec0, np.radians(ra),
                                                        np.radians(dec)))))
