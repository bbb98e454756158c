"""Figures of the sky coverage: Ω(>F) (``coverage``), the logN-logS (``lognlogs``) and a
host's completeness-corrected XLF (``xlf --corrected``), in the conventions of
:mod:`xcat.output.plots` (legends outside the axes, upper limits as arrows with their
confidence, PNG or PDF by suffix).

Examples
--------
>>> c = coverage(store, "b", host="M101")                             # doctest: +SKIP
>>> coverage_figure(c.limits, c.areas, "cov.png", band="0.5-7.0 keV", maps="maps: s.fits",
...                 pixels="9805 HEALPix pixels, order 14")            # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from xcat.output import limits, plots

FIGURES = ("coverage", "lognlogs")


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _legend(ax: Any) -> None:
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, fontsize=8)


def _where(host: str | None, region: str | None) -> str:
    return f"host {host}" if host else f"region {region}" if region else "all coverage"


def coverage_figure(limits: np.ndarray, areas: np.ndarray, out: str | Path, *, band: str,
                    maps: str, pixels: str, host: str | None = None,
                    region: str | None = None) -> Path:
    """Ω(>F) in deg² against the limiting flux (log x): a step at each coverage level
    (``limits``, ``areas``); ``band``, ``maps`` and ``pixels`` are said in the text.
    """
    order = np.argsort(limits, kind="stable")
    lim = np.asarray(limits, float)[order]
    area = np.cumsum(np.asarray(areas, float)[order])
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 5))
    name = band
    ax.step(lim, area, where="post", color="C0",
            label=f"{_where(host, region)}: {area[-1]:.4g} deg$^2$ covered\n"
                  f"({pixels})")
    ax.set_xscale("log")
    ax.set_xlabel(f"limiting flux F ({name}, erg cm$^{{-2}}$ s$^{{-1}}$)")
    ax.set_ylabel(r"$\Omega(>F)$ (deg$^2$): area where a source of flux F is detected")
    ax.set_ylim(0, area[-1] * 1.05)
    ax.grid(alpha=0.3, which="both")
    _legend(ax)
    ax.set_title(f"Sky coverage, {name} — {maps}", fontsize=10)
    return plots.save(fig, out)


def lognlogs_figure(table: Any, steps: tuple[np.ndarray, np.ndarray, np.ndarray],
                    out: str | Path, *, band: str, note: str, maps: str,
                    host: str | None = None, region: str | None = None) -> Path:
    """Cumulative N(>S) (``steps``: fluxes, N(>S) and its error at each source, brightest
    first) with its 1-sigma band, and the differential dN/dS of ``table``
    (:func:`xcat.science.number_counts.counts_table`) with errors, log-log, two panels.
    """
    s, n_gt, err = steps
    bins = int((table["n_sources_bin"] >= 0).sum()) - 1
    plt = _pyplot()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 4.8), layout="constrained")
    name = band
    a1.step(s, n_gt, where="post", color="C0",
            label=f"N(>S) = $\\Sigma$ 1/$\\Omega(S_i)$ ({len(s)} sources)")
    a1.fill_between(s, np.clip(n_gt - err, n_gt * 0.1, None), n_gt + err, step="post",
                    color="C0", alpha=0.25, label=r"$\pm 1\sigma$, $\sqrt{\Sigma 1/\Omega_i^2}$")
    _log_panel(a1, f"S ({name}, erg cm$^{{-2}}$ s$^{{-1}}$)", r"N($>$S) (deg$^{-2}$)",
               "cumulative")
    d = table[table["n_sources_bin"] > 0]
    a2.errorbar(d["flux_mid"], d["dn_ds"], yerr=d["dn_ds_err"],
                xerr=[d["flux_mid"] - d["flux"], d["flux_hi"] - d["flux_mid"]],
                fmt="o", ms=4, color="C1", label=f"dN/dS ({bins} log bins)")
    _log_panel(a2, f"S ({name}, erg cm$^{{-2}}$ s$^{{-1}}$)",
               r"dN/dS (deg$^{-2}$ per erg cm$^{-2}$ s$^{-1}$)", "differential")
    fig.suptitle(f"logN-logS, {_where(host, region)}: {note}\n{maps}", fontsize=10)
    return plots.save(fig, out)


def _log_panel(ax: Any, xlabel: str, ylabel: str, title: str) -> None:
    """Log-log axes with labels, a small title, a grid and the legend at lower left."""
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3, which="both")
    ax.legend(loc="lower left", fontsize=8)


def corrected_xlf_figure(det: Any, ul: Any, total: float, out: str | Path, *, host: str,
                         band: str, maps: str, limit_conf: float | None) -> Path:
    """A host's cumulative XLF as observed and corrected for completeness
    (``det``: log_lx, used, weight w_i = Ω_host / Ω_host(S_i) from
    :func:`xcat.science.number_counts.corrected_xlf`), with 1-sigma errors sqrt(Σ w_i²)
    and the upper limits (``ul``: log_lx) as arrows at ``limit_conf``.
    """
    used = det[det["used"]].sort_values("log_lx", ascending=False)
    x = used["log_lx"].to_numpy(float)
    w = used["weight"].to_numpy(float)
    n_corr, err = np.cumsum(w), np.sqrt(np.cumsum(w**2))
    raw = np.sort(det["log_lx"].dropna().to_numpy(float))[::-1]
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 5))
    ax.step(raw, np.arange(1, len(raw) + 1), where="post", color="0.5",
            label=f"observed ({len(raw)} detections)")
    ax.step(x, n_corr, where="post", color="C0",
            label=f"corrected for completeness ({len(x)} in the coverage)")
    ax.fill_between(x, np.clip(n_corr - err, 0.5, None), n_corr + err, step="post",
                    color="C0", alpha=0.25, label=r"$\pm 1\sigma$ ($\sqrt{\Sigma w_i^2}$)")
    if len(ul):
        lim = ul["log_lx"].dropna().to_numpy(float)
        conf = limits.confidence_text(limit_conf).replace(
            " (xray_sources.flux_conf)", "")
        ax.plot(lim, np.full(len(lim), 0.8), ls="none", marker=r"$\leftarrow$", ms=10,
                color="0.4", label=f"upper limits ({conf}) ({len(lim)})")
    left = int((~det["used"]).sum())
    ax.set_yscale("log")
    ax.set_xlabel(r"log $L_X$ (erg s$^{-1}$, " + band + ")")
    ax.set_ylabel(r"N(>L$_X$)")
    _legend(ax)
    ax.set_title(f"{host}: XLF corrected with w = $\\Omega$/$\\Omega(S_i)$ over "
                 f"{total:.4g} deg$^2$" + (f"\n({left} detections outside the coverage or "
                                          f"fainter than every limit left out)" if left else "")
                 + f"\n{maps}", fontsize=10)
    return plots.save(fig, out)
