"""Synthetic sensitivity maps for the coverage tests (built here, never from real data):
TAN images whose limiting flux is a known function of position, so that the sky area
Ω(>F) with a limit ≤ F is known analytically.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from astropy.io import fits
from astropy.wcs import WCS

ARCMIN2_PER_DEG2 = 3600.0


def tan_wcs(ra0: float, dec0: float, n: int, pix_arcsec: float,
            offset_arcmin: tuple[float, float] = (0.0, 0.0)) -> WCS:
    """An n x n TAN WCS with square pixels, centred ``offset_arcmin`` (east, north) from
    (ra0, dec0) on the tangent plane of (ra0, dec0).
    """
    w = WCS(naxis=2)
    w.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    w.wcs.crval = [ra0, dec0]
    pix = pix_arcsec / 3600
    # east is -x: the image centre sits offset_arcmin from the tangent point
    w.wcs.crpix = [(n + 1) / 2 + offset_arcmin[0] * 60 / pix_arcsec,
                   (n + 1) / 2 - offset_arcmin[1] * 60 / pix_arcsec]
    w.wcs.cdelt = [-pix, pix]
    return w


def write_map(path: Path, data: np.ndarray, w: WCS, bunit: str | None = "erg/s/cm2") -> Path:
    """Write ``data`` with the WCS (and BUNIT) as a primary image."""
    h = w.to_header()
    if bunit is not None:
        h["BUNIT"] = bunit
    h["COMMENT"] = "SYNTHETIC limiting-flux map made by xcat's tests"
    fits.PrimaryHDU(np.asarray(data, dtype=np.float32), header=h).writeto(path,
                                                                          overwrite=True)
    return path


def radial_map(path: Path, ra0: float, dec0: float, *, f0: float, r0_arcmin: float,
               r_max_arcmin: float, pix_arcsec: float = 2.0) -> Path:
    """limit(r) = f0 (1 + (r / r0)²) for r <= r_max (NaN beyond), r the tangent-plane
    radius from (ra0, dec0). Ω(>F) = 2π (1 - cos θ(F)) with
    θ(F) = arctan(r0 sqrt(F/f0 - 1)) up to r_max (see :func:`radial_omega_deg2`).
    """
    n = int(np.ceil(2 * r_max_arcmin * 60 / pix_arcsec)) + 4
    y, x = np.mgrid[0:n, 0:n]
    r = np.hypot(x - (n - 1) / 2, y - (n - 1) / 2) * pix_arcsec / 60
    data = f0 * (1 + (r / r0_arcmin) ** 2)
    data[r > r_max_arcmin] = np.nan
    return write_map(path, data, tan_wcs(ra0, dec0, n, pix_arcsec))


def radial_limit(sep_deg: np.ndarray, *, f0: float, r0_arcmin: float,
                 r_max_arcmin: float) -> np.ndarray:
    """The radial map's limit at angular distance ``sep_deg`` (tangent-plane radius)."""
    r = np.degrees(np.tan(np.radians(sep_deg))) * 60
    return np.where(r <= r_max_arcmin, f0 * (1 + (r / r0_arcmin) ** 2), np.inf)


def radial_omega_deg2(flux: np.ndarray, *, f0: float, r0_arcmin: float,
                      r_max_arcmin: float) -> np.ndarray:
    """Exact Ω(>F) in deg² of the radial map: a spherical cap."""
    r = r0_arcmin * np.sqrt(np.clip(np.asarray(flux) / f0 - 1, 0, None))
    r = np.minimum(r, r_max_arcmin)
    theta = np.arctan(np.radians(r / 60))
    return 2 * np.pi * (1 - np.cos(theta)) * np.degrees(1) ** 2
