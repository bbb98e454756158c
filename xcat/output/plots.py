"""The standard figures (matplotlib, PNG or PDF by file suffix), drawn from query rows.

- ``hr_lx``: hardness ratio against log Lx, with the SNR-rule box from ``flag_rules``;
- ``hr_hr``: hard/medium against hard/soft, coloured by variability probability;
- ``xlf``: cumulative X-ray luminosity function per host, upper limits marked;
- ``sky``: sources over the host ellipse, or a HEALPix count map for all-sky catalogs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from xcat.errors import XcatError
from xcat.sky import healpix

FIGURES = ("hr-lx", "hr-hr", "xlf", "sky")


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _need(df: Any, cols: set[str], what: str) -> None:
    missing = cols - set(df.columns)
    if missing:
        raise XcatError(f"the {what} figure needs column(s) {', '.join(sorted(missing))}")


def save(fig: Any, out: str | Path) -> Path:
    """Save a figure as PNG or PDF (by suffix) and close it."""
    out = Path(out)
    if out.suffix.lower() not in (".png", ".pdf"):
        raise XcatError(f"{out}: figures are written as .png or .pdf")
    fig.savefig(out, dpi=150, bbox_inches="tight")
    _pyplot().close(fig)
    return out


def hr_hr(df: Any, title: str = "") -> Any:
    """``hr2`` (hard/medium) against ``hr1`` (hard/soft) with limits, coloured by ``var_prob``."""
    _need(df, {"hr1", "hr2"}, "hr-hr")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 5))
    ok = df["hr1"].notna() & df["hr2"].notna()
    d = df[ok]
    if {"hr1_lo", "hr1_hi", "hr2_lo", "hr2_hi"} <= set(d.columns):
        ax.errorbar(d["hr1"], d["hr2"],
                    xerr=[(d["hr1"] - d["hr1_lo"]).clip(lower=0),
                          (d["hr1_hi"] - d["hr1"]).clip(lower=0)],
                    yerr=[(d["hr2"] - d["hr2_lo"]).clip(lower=0),
                          (d["hr2_hi"] - d["hr2"]).clip(lower=0)],
                    fmt="none", ecolor="0.8", lw=0.6, zorder=1)
    colour = d["var_prob"] if "var_prob" in d.columns else None
    if colour is not None and colour.notna().any():
        sc = ax.scatter(d["hr1"], d["hr2"], c=colour, cmap="viridis", vmin=0, vmax=1, s=14,
                        zorder=2)
        fig.colorbar(sc, ax=ax, label="variability probability")
    else:
        ax.scatter(d["hr1"], d["hr2"], s=14, zorder=2, label="no variability information")
    ax.set_xlabel("hard/soft  HR = (h - s)/(h + s)")
    ax.set_ylabel("hard/medium  HR = (h - m)/(h + m)")
    ax.set_xlim(-1.05, 1.05)
    ax.set_ylim(-1.05, 1.05)
    ax.set_title(title or f"Hardness ratios ({len(d)} sources)")
    return fig


def hr_lx(df: Any, box: dict[str, float] | None = None, title: str = "") -> Any:
    """``hr`` against ``log_lx`` (erg/s), upper limits as arrows, the rule box shaded."""
    _need(df, {"hr", "log_lx"}, "hr-lx")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 5))
    ok = df["hr"].notna() & df["log_lx"].notna()
    d = df[ok]
    ul = d["upper_limit"].fillna(False).astype(bool) if "upper_limit" in d.columns else \
        np.zeros(len(d), bool)
    ax.scatter(d.loc[~ul, "log_lx"], d.loc[~ul, "hr"], s=14, label="detections")
    if ul.any():
        ax.scatter(d.loc[ul, "log_lx"], d.loc[ul, "hr"], marker=r"$\leftarrow$", s=60,
                   color="0.4", label="upper limits")
    if box:
        x0 = min(d["log_lx"].min(), box["log_lx"]) - 0.5 if len(d) else box["log_lx"] - 2
        ax.fill_between([x0, box["log_lx"]], -1.05, box["hr"], color="C3", alpha=0.15,
                        label=f"SNR rule: HR <= {box['hr']:g}, log Lx <= {box['log_lx']:g}")
        ax.axhline(box["hr"], color="C3", lw=0.8)
        ax.axvline(box["log_lx"], color="C3", lw=0.8)
    ax.set_xlabel(r"log $L_X$ (erg s$^{-1}$)")
    ax.set_ylabel("hardness ratio")
    ax.set_ylim(-1.05, 1.05)
    ax.legend(loc="upper right", fontsize=8)
    ax.set_title(title or f"HR - Lx ({len(d)} sources)")
    return fig


def xlf(df: Any, title: str = "") -> Any:
    """Cumulative N(> L) per host from ``log_lx``; upper limits marked on the axis."""
    _need(df, {"log_lx"}, "xlf")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 5))
    groups = df.groupby("host") if "host" in df.columns else [("all", df)]
    for host, g in groups:
        ul = g["upper_limit"].fillna(False).astype(bool) if "upper_limit" in g.columns else \
            np.zeros(len(g), bool)
        det = np.sort(g.loc[~ul & g["log_lx"].notna(), "log_lx"].to_numpy())[::-1]
        if len(det):
            ax.step(det, np.arange(1, len(det) + 1), where="post", label=f"{host} ({len(det)})")
        if ul.any():
            lim = g.loc[ul, "log_lx"].dropna()
            ax.plot(lim, np.full(len(lim), 0.8), "|", color="0.4", ms=10,
                    label=f"{host} upper limits ({len(lim)})")
    ax.set_yscale("log")
    ax.set_xlabel(r"log $L_X$ (erg s$^{-1}$)")
    ax.set_ylabel(r"N($>L_X$)")
    ax.legend(fontsize=8)
    ax.set_title(title or "Cumulative X-ray luminosity function")
    return fig


def sky(df: Any, host: dict[str, float] | None = None, title: str = "") -> Any:
    """Sources on the sky around a host (with its ellipse), or a HEALPix map if all-sky."""
    _need(df, {"ra", "dec"}, "sky")
    plt = _pyplot()
    ra, dec = df["ra"].to_numpy(float), df["dec"].to_numpy(float)
    span = _span_deg(ra, dec)
    if span > 30:

        fig = plt.figure(figsize=(8, 4.5))
        healpix.plot_count_map(ra, dec, order=4, fig=fig,
                               title=title or f"{len(df)} sources (HEALPix order 4 counts)")
        return fig
    fig, ax = plt.subplots(figsize=(6, 6))
    ra0 = float(np.degrees(np.arctan2(np.sin(np.radians(ra)).mean(),
                                      np.cos(np.radians(ra)).mean())) % 360)
    x = ((ra - ra0 + 180) % 360 - 180) * np.cos(np.radians(np.nanmean(dec)))
    colour = df["class"].astype(str) if "class" in df.columns else None
    if colour is not None:
        for cls in sorted(colour.unique()):
            m = (colour == cls).to_numpy()
            ax.scatter(x[m] * 60, (dec[m] - np.nanmean(dec)) * 60, s=10, label=cls)
        ax.legend(fontsize=7, markerscale=1.5)
    else:
        ax.scatter(x * 60, (dec - np.nanmean(dec)) * 60, s=8)
    if host:
        from matplotlib.patches import Ellipse

        hx = (((host["ra"] - ra0 + 180) % 360 - 180) * np.cos(np.radians(np.nanmean(dec)))) * 60
        hy = (host["dec"] - np.nanmean(dec)) * 60
        ax.add_patch(Ellipse((hx, hy), 2 * host["a_arcmin"], 2 * host["b_arcmin"],
                             angle=90 + host.get("pa_deg", 0.0), fill=False, color="k",
                             lw=1, label=host.get("name")))
    ax.invert_xaxis()
    ax.set_aspect("equal")
    ax.set_xlabel(f"east offset (arcmin) from RA {ra0:.4f} deg")
    ax.set_ylabel(f"north offset (arcmin) from Dec {np.nanmean(dec):.4f} deg")
    ax.set_title(title or f"{len(df)} sources")
    return fig


def _span_deg(ra: np.ndarray, dec: np.ndarray) -> float:
    if len(ra) == 0:
        return 0.0
    from astropy.coordinates import angular_separation

    ra0, dec0 = np.radians(np.nanmedian(ra)), np.radians(np.nanmedian(dec))
    return float(np.degrees(np.nanmax(angular_separation(ra0, dec0, np.radians(ra),
                                                        np.radians(dec)))))
