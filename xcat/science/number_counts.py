"""Number counts (logN-logS) and completeness-corrected luminosity functions from the sky
coverage (:mod:`xcat.science.coverage`).

Each detected source i of flux S_i counts 1/Ω(S_i), where Ω(S) is the area in which a
source of flux S would be detected (limit ≤ S):

- cumulative: N(>S) = Σ_{S_i > S} 1/Ω(S_i) per deg², error sqrt(Σ_{S_i > S} 1/Ω(S_i)²)
  (Poisson: each source is one count weighted by 1/Ω);
- differential: dN/dS in a bin = Σ_{bin} 1/Ω(S_i) / ΔS, error sqrt(Σ_{bin} 1/Ω(S_i)²)/ΔS.

Sources outside the covered pixels, upper limits, and sources fainter than every limit
of the area (Ω(S_i) = 0: nowhere could they have been detected) are left out and counted.

The slope of N(>S) = K S^-α above S_min is fitted by maximum likelihood with the area
(Crawford, Jauncey & Murdoch 1970; Murdoch, Crawford & Jauncey 1973): the detected
fluxes have density p(S) ∝ Ω(S) α S^(-α-1), whose normalisation over S > S_min is
Σ_j a_j m_j^-α with a_j, m_j = max(limit_j, S_min) the pixels' areas and limits, so

    ln L(α) = n ln α − (α + 1) Σ ln S_i − n ln Σ_j a_j m_j^-α   (+ const)

and σ_α = (−d²lnL/dα²)^-1/2 at the maximum.

Examples
--------
>>> lim, area = np.array([1.0, 2.0]), np.array([1.0, 1.0])
>>> t = counts_table(np.array([3.0, 1.5]), lim, area, np.array([1.0, 2.0, 4.0]))
>>> t["n_gt"].round(3).tolist()      # N(>1) = 1/2 + 1/1, N(>2) = 1/2
[1.5, 0.5, 0.0]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from xcat.errors import XcatError
from xcat.science.coverage import area_above, coverage, parse_band
from xcat.science.sky_regions import host_row
from xcat.store.db import Database, reads


def counts_table(flux: np.ndarray, limits: np.ndarray, areas: np.ndarray,
                 edges: np.ndarray) -> pd.DataFrame:
    """Cumulative N(>S) at each edge and differential dN/dS in each bin (the last row's
    differential columns are NaN: no bin above the last edge). Sources need Ω(S_i) > 0.
    """
    flux = np.asarray(flux, float)
    w = 1.0 / area_above(limits, areas, flux)
    edges = np.asarray(edges, float)
    gt = flux[None, :] > edges[:, None]
    n_gt = (gt * w).sum(axis=1)
    err_gt = np.sqrt((gt * w**2).sum(axis=1))
    lo, hi = edges[:-1], edges[1:]
    inbin = (flux[None, :] > lo[:, None]) & (flux[None, :] <= hi[:, None])
    width = hi - lo
    dn = np.append((inbin * w).sum(axis=1) / width, np.nan)
    dn_err = np.append(np.sqrt((inbin * w**2).sum(axis=1)) / width, np.nan)
    return pd.DataFrame({
        "flux": edges, "n_gt": n_gt, "n_gt_err": err_gt, "n_sources_gt": gt.sum(axis=1),
        "flux_hi": np.append(hi, np.nan), "flux_mid": np.append(np.sqrt(lo * hi), np.nan),
        "dn_ds": dn, "dn_ds_err": dn_err, "n_sources_bin": np.append(inbin.sum(axis=1), 0)})


@dataclass
class SlopeFit:
    """Maximum-likelihood slope α of N(>S) ∝ S^-α above ``s_min``."""

    alpha: float
    alpha_err: float
    n: int
    s_min: float

    def __str__(self) -> str:
        return (f"N(>S) ~ S^-alpha: alpha = {self.alpha:.3f} +- {self.alpha_err:.3f} "
                f"(maximum likelihood with the area, {self.n} sources, S > {self.s_min:.3g} "
                f"erg/s/cm2)")


def fit_slope(flux: np.ndarray, limits: np.ndarray, areas: np.ndarray,
              s_min: float | None = None) -> SlopeFit:
    """ML slope of the cumulative counts with the area (module docstring)."""
    from scipy.optimize import minimize_scalar

    flux = np.asarray(flux, float)
    s_min = float(s_min if s_min is not None else np.min(limits))
    s = flux[flux > s_min]
    if len(s) < 3:
        raise XcatError(f"too few sources above {s_min:.3g} erg/s/cm2 to fit a slope "
                        f"({len(s)})")
    n, sum_log = len(s), np.log(s).sum()
    m = np.maximum(np.asarray(limits, float), s_min)
    a = np.asarray(areas, float)
    lm, ref = np.log(m), np.log(s_min)

    def nll(alpha: float) -> float:  # normalised by s_min to keep the powers finite
        norm = np.log(np.sum(a * np.exp(-alpha * (lm - ref)))) - alpha * ref
        return -(n * np.log(alpha) - (alpha + 1) * sum_log - n * norm)

    best = minimize_scalar(nll, bounds=(1e-3, 10.0), method="bounded",
                           options={"xatol": 1e-8})
    alpha = float(best.x)
    h = 1e-4 * max(alpha, 1e-2)
    curv = (nll(alpha + h) - 2 * nll(alpha) + nll(alpha - h)) / h**2
    return SlopeFit(alpha, float(1 / np.sqrt(curv)) if curv > 0 else float("nan"), n, s_min)


SOURCES_SQL = """
SELECT catalog, name, ra, dec, flux, flux_upper_limit, band, emin_kev, emax_kev
FROM xray_sources
"""


@dataclass
class Sample:
    """Sources with the coverage they count against."""

    flux: np.ndarray
    limits: np.ndarray           # limits of the covered pixels (erg/s/cm2)
    areas: np.ndarray            # their areas (deg2)
    dropped: dict[str, int]
    rows: pd.DataFrame           # the kept sources (and their local limit)

    def note(self) -> str:
        """How many sources count, in how much area, and what was left out."""
        gone = ", ".join(f"{v} {k}" for k, v in self.dropped.items() if v)
        return (f"{len(self.flux)} sources in {self.areas.sum():.4g} deg2 of coverage"
                + (f" (left out: {gone})" if gone else ""))


def _sources(store: Database, sql: str | None, catalog: str | None, emin: float,
             emax: float) -> pd.DataFrame:
    if sql is not None and catalog is not None:
        raise XcatError("give --catalog or --sql, not both")
    if sql is not None:
        df = store.sql(sql)
        missing = {"ra", "dec", "flux"} - set(df.columns)
        if missing:
            raise XcatError(f"--sql must return ra, dec and flux (erg/s/cm2 in the band); "
                            f"missing {', '.join(sorted(missing))}")
        return df
    df = store.sql(SOURCES_SQL)
    if catalog is not None:
        df = df[df["catalog"] == catalog]
        if df.empty:
            raise XcatError(f"no X-ray catalog '{catalog}' in xray_sources")
    same = np.isclose(df["emin_kev"].astype(float), emin) & np.isclose(
        df["emax_kev"].astype(float), emax)
    if not same.any():
        bands = ", ".join(sorted(df["band"].dropna().unique()))
        raise XcatError(f"no X-ray source has fluxes in {emin:.1f}-{emax:.1f} keV (the "
                        f"coverage's band); their bands: {bands or 'none'}")
    return df[same]


@reads
def sample(store: Database, band: str, *, host: str | None = None, region: str | None = None,
           catalog: str | None = None, sql: str | None = None) -> Sample:
    """Sources of the band in the covered pixels of the host/region, with the coverage."""
    _, emin, emax = parse_band(band)
    c = coverage(store, band, host, region)
    df = _sources(store, sql, catalog, emin, emax).reset_index(drop=True)
    flux = pd.to_numeric(df["flux"], errors="coerce").to_numpy(float)
    ul = (df["flux_upper_limit"].fillna(False).astype(bool).to_numpy()
          if "flux_upper_limit" in df.columns else np.zeros(len(df), bool))
    local = c.local_limit(df["ra"].to_numpy(float), df["dec"].to_numpy(float))
    covered = np.isfinite(local)
    limits, areas = c.limits, c.areas
    good = ~ul & np.isfinite(flux) & (flux > 0)
    somewhere = area_above(limits, areas, np.where(good, flux, 0.0)) > 0
    keep = covered & good & somewhere
    dropped = {"outside the coverage": int((~covered).sum()),
               "upper limits or no flux": int((covered & ~good).sum()),
               "fainter than every limit": int((covered & good & ~somewhere).sum())}
    rows = df[keep].assign(limit_flux=local[keep])
    return Sample(flux[keep], limits, areas, dropped, rows.reset_index(drop=True))


def number_counts(store: Database, band: str, *, bins: int = 12, **where: Any
                  ) -> tuple[pd.DataFrame, Sample]:
    """logN-logS of the sources of a band in its coverage: ``bins`` log-spaced bins from
    the faintest to the brightest source (columns in :func:`counts_table`).
    """
    s = sample(store, band, **where)
    if len(s.flux) == 0:
        raise XcatError(f"no source with a flux is inside the coverage ({s.note()})")
    lo, hi = float(s.flux.min()), float(s.flux.max())
    edges = np.geomspace(lo * (1 - 1e-9), hi, max(int(bins), 1) + 1) if hi > lo else \
        np.array([lo * (1 - 1e-9), hi])
    t = counts_table(s.flux, s.limits, s.areas, edges)
    t.insert(0, "band", parse_band(band)[0])
    return documented(t, COUNTS_DOCS), s


FLUX_UNIT = "erg / (s cm2)"
#: Units, descriptions and UCDs of the logN-logS table.
COUNTS_DOCS = {
    "band": ("", "Energy band of the fluxes", None),
    "flux": (FLUX_UNIT, "Flux S (a bin's lower edge)", "phot.flux;em.X-ray"),
    "n_gt": ("deg-2", "N(>S) = sum over S_i > S of 1/Omega(S_i)", "src.density"),
    "n_gt_err": ("deg-2", "Poisson error of N(>S): sqrt(sum 1/Omega(S_i)^2)",
                 "stat.error;src.density"),
    "n_sources_gt": ("", "Number of sources with S_i > S", "meta.number"),
    "flux_hi": (FLUX_UNIT, "Upper edge of the bin", "phot.flux;stat.max"),
    "flux_mid": (FLUX_UNIT, "Geometric centre of the bin", "phot.flux;em.X-ray"),
    "dn_ds": ("deg-2 cm2 s / erg", "dN/dS: sum over the bin of 1/Omega(S_i), over the "
              "bin width", None),
    "dn_ds_err": ("deg-2 cm2 s / erg", "Poisson error of dN/dS: sqrt(sum 1/Omega(S_i)^2) "
                  "over the bin width", None),
    "n_sources_bin": ("", "Number of sources in the bin", "meta.number"),
}


def cumulative_steps(s: Sample) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fluxes (brightest first) with N(>=S_i) and its error at each source of a sample."""
    flux = np.sort(s.flux)[::-1]
    w = 1.0 / area_above(s.limits, s.areas, flux)
    return flux, np.cumsum(w), np.sqrt(np.cumsum(w**2))


LUM_SQL = """
SELECT l.catalog, l.name, x.ra, x.dec, l.flux, l.flux_hi, l.flux_upper_limit, l.lx,
       l.log_lx, l.lx_upper_limit, l.host, l.emin_kev, l.emax_kev
FROM luminosities AS l JOIN xray_sources AS x USING (catalog, source_key)
WHERE l.host = $host
"""


@reads
def corrected_xlf(store: Database, host: str, band: str) -> tuple[pd.DataFrame, pd.DataFrame,
                                                                  float]:
    """A host's detections with completeness weights, its upper limits, and the covered
    area (deg²) of the host.

    Each detection of flux S_i weighs w_i = Ω_host / Ω_host(S_i) (the number of such
    sources the whole covered host would show), so the corrected N(>L) = Σ_{L_i > L} w_i
    with error sqrt(Σ w_i²). Detections outside the coverage, or fainter than every
    limit in the host, are left out (``used`` False).
    """
    h = host_row(store, host)
    _, emin, emax = parse_band(band)
    c = coverage(store, band, host=str(h["host"]))
    df = store.sql(LUM_SQL, {"host": str(h["host"])})
    df = df[np.isclose(df["emin_kev"].astype(float), emin)
            & np.isclose(df["emax_kev"].astype(float), emax)].reset_index(drop=True)
    if df.empty:
        raise XcatError(f"host {h['host']}: no source with a luminosity in the band "
                        f"{emin:.1f}-{emax:.1f} keV")
    total = c.total_deg2
    covered = np.isfinite(c.local_limit(df["ra"].to_numpy(float), df["dec"].to_numpy(float)))
    ul = df["lx_upper_limit"].fillna(False).astype(bool).to_numpy()
    flux = pd.to_numeric(df["flux"], errors="coerce").to_numpy(float)
    omega = c.omega(np.where(np.isfinite(flux), flux, 0.0))
    det = df[~ul].assign(omega_deg2=omega[~ul], covered=covered[~ul])
    det["used"] = det["covered"] & (det["omega_deg2"] > 0) & det["log_lx"].notna()
    det["weight"] = np.where(det["used"], total / np.where(det["omega_deg2"] > 0,
                                                           det["omega_deg2"], 1.0), np.nan)
    return det.reset_index(drop=True), df[ul].reset_index(drop=True), total


def coverage_curve(store: Database, band: str, host: str | None = None,
                   region: str | None = None, points: int = 25) -> Any:
    """Ω(>F) in deg² at ``points`` log-spaced limiting fluxes from the deepest limit to
    the shallowest (both included), with the fraction of the covered area; an astropy
    Table with units and descriptions.
    """
    c = coverage(store, band, host, region)
    lo, hi = float(c.limits.min()), float(c.limits.max())
    flux = np.geomspace(lo, hi, max(int(points), 2)) if hi > lo else np.array([lo])
    flux[-1] = hi  # exactly the shallowest limit: the whole covered area
    omega = c.omega(flux)
    df = pd.DataFrame({"band": c.band, "flux_limit": flux, "log_flux_limit": np.log10(flux),
                       "area_deg2": omega, "area_fraction": omega / c.total_deg2})
    return documented(df, CURVE_DOCS)


#: Units, descriptions and UCDs of the Ω(>F) table.
CURVE_DOCS = {
    "band": ("", "Energy band of the limiting fluxes", None),
    "flux_limit": ("erg / (s cm2)", "Limiting flux F", "phot.flux;stat.max;em.X-ray"),
    "log_flux_limit": ("", "log10 of F in erg/s/cm2", None),
    "area_deg2": ("deg2", "Omega(>F): area where the limit is <= F (a source of flux F "
                  "would be detected)", "phys.angArea"),
    "area_fraction": ("", "Omega(>F) over the whole covered area", None),
}


def documented(df: pd.DataFrame, docs: dict[str, tuple[str, str, str | None]]) -> Any:
    """An astropy Table of ``df`` with each column's unit, description and UCD."""
    from astropy.table import Table

    t = Table.from_pandas(df)
    for name, (unit, text, ucd) in docs.items():
        if name in t.colnames:
            t[name].unit = unit or None
            t[name].description = text
            if ucd:
                t[name].meta["ucd"] = ucd
    return t
