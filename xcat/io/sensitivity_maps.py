"""Sensitivity (limiting-flux) maps read from FITS: an image with a celestial WCS whose
pixels hold the limiting energy flux of a band (a CSC stack sensitivity map, or any such
map), or a HEALPix map in healpy's FITS format (``PIXTYPE = 'HEALPIX'``).

The unit comes from the header's ``BUNIT`` or from the caller (``unit``, which wins);
it must convert to erg/s/cm². A pixel that is NaN, infinite, zero or negative has no
coverage. :meth:`LimitMap.sample` answers "what is the limit at (ra, dec)": the nearest
map pixel's value in erg/s/cm², ``inf`` outside the map or where it has no coverage.

Examples
--------
>>> m = read_limit_map("stack_sens_b.fits", unit="erg/s/cm2")        # doctest: +SKIP
>>> m.sample(np.array([210.80]), np.array([54.35]))                   # doctest: +SKIP
array([3.2e-16])
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from xcat.errors import XcatError
from xcat.sky import healpix
from xcat.sky.units import ENERGY_FLUX, is_energy_flux, parse_unit


@dataclass
class LimitMap:
    """One limiting-flux map: values in erg/s/cm² (``inf`` = no coverage)."""

    path: Path
    kind: str                      # "wcs" or "healpix"
    unit: str                      # the unit the values were given in
    hdu: int
    values: np.ndarray             # 2-D image (wcs) or NESTED pixel values (healpix)
    wcs: Any = None                # astropy WCS (celestial) of an image
    order: int | None = None       # HEALPix order of a HEALPix map

    @property
    def pixel_size_deg(self) -> float:
        """Side of a map pixel (geometric mean of the two axes for an image)."""
        if self.kind == "healpix":
            return float(np.sqrt(healpix.pixel_area_deg2(int(self.order))))
        from astropy.wcs.utils import proj_plane_pixel_scales

        return float(np.sqrt(np.prod(proj_plane_pixel_scales(self.wcs))))

    @property
    def covered_fraction(self) -> float:
        """Fraction of the map's pixels with coverage."""
        return float(np.isfinite(self.values).mean())

    def sample(self, ra: np.ndarray, dec: np.ndarray) -> np.ndarray:
        """The limit (erg/s/cm²) at each position: the nearest map pixel's value, ``inf``
        outside the map or on a pixel without coverage.
        """
        ra, dec = np.asarray(ra, dtype=float), np.asarray(dec, dtype=float)
        if self.kind == "healpix":
            return self.values[healpix.radec_to_pixel(ra, dec, int(self.order))]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            x, y = self.wcs.all_world2pix(ra, dec, 0)
        ny, nx = self.values.shape
        ok = np.isfinite(x) & np.isfinite(y)
        ix = np.full(len(ra), -1, dtype=np.int64)
        iy = np.full(len(ra), -1, dtype=np.int64)
        ix[ok], iy[ok] = np.rint(x[ok]).astype(np.int64), np.rint(y[ok]).astype(np.int64)
        inside = ok & (ix >= 0) & (ix < nx) & (iy >= 0) & (iy < ny)
        out = np.full(len(ra), np.inf)
        out[inside] = self.values[iy[inside], ix[inside]]
        return out

    def candidate_pixels(self, order: int) -> np.ndarray:
        """Every nested pixel at ``order`` the map may cover (sorted, unique)."""
        if self.kind == "healpix":
            covered = np.flatnonzero(np.isfinite(self.values)).astype(np.int64)
            if self.order >= order:
                return np.unique(covered >> (2 * (int(self.order) - order)))
            k = 4 ** (order - int(self.order))
            return (covered[:, None] * k + np.arange(k, dtype=np.int64)[None, :]).ravel()
        size = np.sqrt(healpix.pixel_area_deg2(order))
        ra, dec = self.sky_points(min(size, self.pixel_size_deg) / 2)
        cand = np.unique(healpix.radec_to_pixel(ra, dec, order))
        if not len(cand):
            return cand
        near = healpix.neighbours(order, cand).ravel()  # pixels a map edge only grazes
        return np.unique(np.concatenate([cand, near[near >= 0]]))

    def sky_points(self, spacing_deg: float) -> tuple[np.ndarray, np.ndarray]:
        """Positions at most ``spacing_deg`` apart over the map's covered pixels (used to
        find every store pixel the map touches).
        """
        if self.kind == "healpix":
            covered = np.flatnonzero(np.isfinite(self.values))
            return healpix.pixel_centres(int(self.order), covered)
        step = min(1.0, spacing_deg / self.pixel_size_deg)
        ny, nx = self.values.shape
        xs = np.arange(-0.5 + step / 2, nx - 0.5, step)
        ys = np.arange(-0.5 + step / 2, ny - 0.5, step)
        gx, gy = np.meshgrid(xs, ys)
        gx, gy = gx.ravel(), gy.ravel()
        keep = np.isfinite(self.values[np.clip(np.rint(gy).astype(int), 0, ny - 1),
                                       np.clip(np.rint(gx).astype(int), 0, nx - 1)])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ra, dec = self.wcs.all_pix2world(gx[keep], gy[keep], 0)
        return np.asarray(ra) % 360.0, np.asarray(dec)


def _to_limits(data: np.ndarray, scale: float) -> np.ndarray:
    """Values in erg/s/cm²; ``inf`` for NaN, infinite, zero or negative (no coverage)."""
    v = np.asarray(data, dtype=np.float64) * scale
    v[~np.isfinite(v) | (v <= 0)] = np.inf
    return v


def _unit_scale(path: Path, header_unit: str | None, unit: str | None) -> tuple[str, float]:
    """The unit used (``unit`` over ``BUNIT``) and its factor to erg/s/cm²."""
    text = unit if unit else header_unit
    if not text or not str(text).strip():
        raise XcatError(f"{path}: the map has no BUNIT: give its unit, e.g. --unit "
                        f"'erg/s/cm2'")
    parsed = parse_unit(str(text), f"{path}")
    if not is_energy_flux(parsed):
        raise XcatError(f"{path}: unit '{text}' is not an energy flux (it must convert "
                        f"to erg/s/cm2; photon-flux maps need converting first)")
    import astropy.units as u

    return str(text).strip(), float((1 * parsed).to(u.Unit(ENERGY_FLUX)).value)


def _is_healpix(header: Any) -> bool:
    return str(header.get("PIXTYPE", "")).strip().upper() == "HEALPIX"


def read_limit_map(path: str | Path, hdu: int | None = None,
                   unit: str | None = None) -> LimitMap:
    """Read a limiting-flux map: a FITS image with a celestial WCS, or a HEALPix map.

    Parameters
    ----------
    path : str or Path
        The FITS file.
    hdu : int, optional
        HDU to read (default: the first HEALPix table or 2-D image with a WCS).
    unit : str, optional
        Unit of the pixel values; overrides the header's ``BUNIT``.

    Examples
    --------
    >>> read_limit_map("sens.fits").kind                                 # doctest: +SKIP
    'wcs'
    """
    from astropy.io import fits

    path = Path(path)
    if not path.is_file():
        raise XcatError(f"{path}: no such file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with fits.open(path) as hdul:
                chosen = _choose_hdu(path, hdul, hdu)
                header = hdul[chosen].header.copy()
                data = None if _is_healpix(header) else hdul[chosen].data
                data = None if data is None else np.array(data)
    except (OSError, IndexError, ValueError, TypeError) as exc:
        raise XcatError(f"{path}: cannot read the map ({exc})") from exc
    used, scale = _unit_scale(path, header.get("BUNIT") or header.get("TUNIT1"), unit)
    if _is_healpix(header):
        partial = str(header.get("INDXSCHM", "")).strip().upper() == "EXPLICIT"
        try:
            values, order = healpix.read_map(str(path), hdu=chosen, partial=partial)
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise XcatError(f"{path}: cannot read the HEALPix map ({exc})") from exc
        m = LimitMap(path, "healpix", used, chosen, _to_limits(values, scale), order=order)
    else:
        m = LimitMap(path, "wcs", used, chosen, _to_limits(_plane(path, data), scale),
                     wcs=_celestial(path, header))
    if not np.isfinite(m.values).any():
        raise XcatError(f"{path}: no pixel has coverage (all NaN, zero or negative)")
    return m


def _choose_hdu(path: Path, hdul: Any, hdu: int | None) -> int:
    if hdu is not None:
        if hdu < 0 or hdu >= len(hdul):
            raise XcatError(f"{path}: no HDU {hdu} (the file has {len(hdul)})")
        return hdu
    for i, h in enumerate(hdul):
        if _is_healpix(h.header):
            return i
        if h.header.get("NAXIS", 0) >= 2 and isinstance(h, fits_image_types()):
            return i
    raise XcatError(f"{path}: no 2-D image and no HEALPix map in the file")


def fits_image_types() -> tuple[type, ...]:
    """The astropy HDU classes that hold images."""
    from astropy.io import fits

    return (fits.PrimaryHDU, fits.ImageHDU, fits.CompImageHDU)


def _plane(path: Path, data: np.ndarray | None) -> np.ndarray:
    if data is None:
        raise XcatError(f"{path}: the HDU holds no image data")
    data = np.squeeze(data)
    if data.ndim != 2:
        raise XcatError(f"{path}: the map is not a 2-D image (shape {data.shape})")
    return data


def _celestial(path: Path, header: Any) -> Any:
    from astropy.wcs import WCS

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            w = WCS(header).celestial
    except Exception as exc:  # astropy raises many kinds for a broken WCS
        raise XcatError(f"{path}: cannot read the map's WCS ({exc})") from exc
    if not w.has_celestial or w.naxis != 2:
        raise XcatError(f"{path}: the map has no celestial WCS (CTYPE1/2 RA---TAN, "
                        f"DEC--TAN or similar)")
    return w
