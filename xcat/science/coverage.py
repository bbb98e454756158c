"""Sky coverage from sensitivity (limiting-flux) maps, on the store's HEALPix grid.

Maps (FITS images with a WCS, or HEALPix maps; :mod:`xcat.io.sensitivity_maps`) are
resampled to nested HEALPix pixels at one order per band (default :data:`DEFAULT_ORDER`
= 14: 12.9 arcsec pixels of 0.0461 arcmin² = 1.281e-5 deg²) and stored per map
(``coverage_pixels``); the ``sky_coverage`` view keeps the deepest limit per pixel.

**Resampling (median).** A coverage pixel's limit is the *median* of the map sampled at
the centres of its 4^d sub-pixels at order + d (nearest map pixel; d = 2..4, chosen so
that the sub-pixels are no larger than the map's pixels where possible). Sub-pixels
outside the map or on pixels without coverage count as +inf, so a pixel is covered when
more than half of its area is, and its limit is the one that half of its area reaches.
The median (not the minimum) keeps Ω(>F) unbiased: the minimum would count a pixel as
deep wherever any small part of it is.

**Ω(>F)** is the area where the limit is ≤ F, i.e. where a source of flux F would be
detected: the sum of the pixel areas with ``limit_flux <= F``.

Examples
--------
>>> add_maps(store, ["sens_b.fits"], band="b")                      # doctest: +SKIP
{'band': '0.5-7.0 keV', 'order': 14, 'maps': [...], 'pixels': 20311, ...}
>>> coverage_curve(store, "b", host="M101")                         # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from xcat import resources
from xcat.errors import XcatError
from xcat.io.sensitivity_maps import LimitMap, read_limit_map
from xcat.sky import healpix
from xcat.sky.units import ENERGY_FLUX, require_quantity
from xcat.store.db import Database, reads, writes
from xcat.store.sql import transaction

DEFAULT_ORDER = 14
#: Chandra ACIS bands (DOMAIN.md §1), keV.
CSC_BANDS = {"b": (0.5, 7.0), "u": (0.2, 0.5), "s": (0.5, 1.2), "m": (1.2, 2.0),
             "h": (2.0, 7.0)}
RESAMPLING = "median of 4^{d} sub-pixels at order {sub} (nearest map pixel; none = +inf)"
BAND_RE = re.compile(r"^\s*([0-9.]+)\s*-\s*([0-9.]+)\s*(kev)?\s*$", re.I)


def parse_band(text: str) -> tuple[str, float, float]:
    """``'b'`` or ``'0.5-7keV'`` → ``('0.5-7.0 keV', 0.5, 7.0)``.

    Examples
    --------
    >>> parse_band("b")
    ('0.5-7.0 keV', 0.5, 7.0)
    >>> parse_band("0.2-2.3 keV")
    ('0.2-2.3 keV', 0.2, 2.3)
    """
    key = text.strip()
    if key.lower() in CSC_BANDS:
        lo, hi = CSC_BANDS[key.lower()]
    else:
        m = BAND_RE.match(key)
        if not m:
            raise XcatError(f"band '{text}': give a CSC band ({', '.join(CSC_BANDS)}) or "
                            f"energies, e.g. 0.5-2keV")
        lo, hi = float(m[1]), float(m[2])
        if not 0 < lo < hi:
            raise XcatError(f"band '{text}': the lower energy must be below the upper")
    return f"{lo:.1f}-{hi:.1f} keV", lo, hi


def parse_flux(text: str, what: str) -> float:
    """An energy flux with a unit, in erg/s/cm² (a bare number is refused).

    Examples
    --------
    >>> parse_flux("1e-15erg/s/cm2", "--fit")
    1e-15
    >>> parse_flux("1e-18W/m2", "--fit")
    1e-15
    """
    import astropy.units as u

    try:
        float(text)
    except ValueError:
        pass
    else:
        raise XcatError(f"{what} '{text}' has no unit: give one, e.g. 1e-15erg/s/cm2")
    try:
        value = u.Quantity(text.strip()).to_value(ENERGY_FLUX)
    except (ValueError, TypeError, u.UnitsError) as exc:
        raise XcatError(f"{what} '{text}' is not an energy flux (e.g. 1e-15erg/s/cm2)"
                        ) from exc
    if not np.isfinite(value) or value <= 0:
        raise XcatError(f"{what} '{text}': the flux must be positive")
    return float(value)


def sub_depth(map_pixel_deg: float, order: int) -> int:
    """Sub-pixel depth d (2..4): sub-pixels no larger than the map's pixels if possible."""
    size = np.sqrt(healpix.pixel_area_deg2(order))
    return int(np.clip(np.ceil(np.log2(max(size / map_pixel_deg, 1.0))), 2, 4))


def resample(m: LimitMap, order: int, chunk: int = 4096) -> tuple[np.ndarray, np.ndarray]:
    """Covered pixels at ``order`` and their limits (erg/s/cm², median rule above)."""
    size = np.sqrt(healpix.pixel_area_deg2(order))
    ra, dec = m.sky_points(min(size, m.pixel_size_deg) / 2)
    cand = np.unique(healpix.radec_to_pixel(ra, dec, order))
    if not len(cand):
        return cand, np.zeros(0)
    near = healpix.neighbours(order, cand).ravel()  # pixels a map edge only grazes
    cand = np.unique(np.concatenate([cand, near[near >= 0]]))
    d = sub_depth(m.pixel_size_deg, order)
    n_sub = 4**d
    offsets = np.arange(n_sub, dtype=np.int64)
    limits = np.empty(len(cand))
    for i in range(0, len(cand), chunk):
        block = cand[i:i + chunk]
        subs = (block[:, None] * n_sub + offsets[None, :]).ravel()
        sra, sdec = healpix.pixel_centres(order + d, subs)
        vals = m.sample(sra, sdec).reshape(len(block), n_sub)
        limits[i:i + chunk] = np.median(vals, axis=1)
    keep = np.isfinite(limits)
    return cand[keep], limits[keep]


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


BAND_ORDER_SQL = "SELECT DISTINCT norder FROM coverage_maps WHERE band = $band"


@writes
def add_maps(store: Database, files: list[str | Path], band: str, *,
             unit: str | None = None, order: int | None = None,
             hdu: int | None = None) -> dict[str, Any]:
    """Ingest limiting-flux maps of one band into the store's coverage (all or none).

    Parameters
    ----------
    store : Store
        An open store.
    files : list of str or Path
        FITS images with a celestial WCS, or HEALPix maps (healpy FITS).
    band : str
        CSC band letter (b, s, m, h, u) or energies ('0.5-2keV').
    unit : str, optional
        Unit of the pixel values (overrides BUNIT), e.g. 'erg/s/cm2'.
    order : int, optional
        HEALPix order of the coverage grid (default 14; must match the band's earlier maps).
    hdu : int, optional
        HDU of the map in every file.

    Examples
    --------
    >>> add_maps(store, ["acis_sens_b.fits"], "b", unit="erg/s/cm2")     # doctest: +SKIP
    """
    name, lo, hi = parse_band(band)
    if not files:
        raise XcatError("give at least one map file")
    existing = [r[0] for r in store.con.execute(BAND_ORDER_SQL, {"band": name}).fetchall()]
    if order is None:
        order = existing[0] if existing else DEFAULT_ORDER
    if not 4 <= int(order) <= 20:
        raise XcatError(f"--order {order}: give an order from 4 to 20")
    if existing and existing[0] != order:
        raise XcatError(f"band {name} already has coverage at order {existing[0]}: add "
                        f"maps at that order")
    made = []
    for f in files:  # read and resample everything before writing anything
        path = Path(f)
        m = read_limit_map(path, hdu=hdu, unit=unit)
        pixels, limits = resample(m, int(order))
        if not len(pixels):
            raise XcatError(f"{path}: the map covers no HEALPix pixel at order {order} "
                            f"(more than half of each pixel must have coverage)")
        made.append((path, m, pixels, limits))
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    out = []
    con = store.con
    with transaction(con):
        for path, m, pixels, limits in made:
            d = sub_depth(m.pixel_size_deg, int(order))
            map_id = con.execute(
                "INSERT INTO coverage_maps (band, emin_kev, emax_kev, norder, file, path, "
                "sha256, hdu, map_kind, map_unit, map_pixel_arcsec, resampling, n_pixels, "
                "added_at) VALUES ($band, $lo, $hi, $order, $file, $path, $sha, $hdu, $kind, "
                "$unit, $pix, $how, $n, $at) RETURNING map_id",
                {"band": name, "lo": lo, "hi": hi, "order": int(order), "file": path.name,
                 "path": str(path.resolve()), "sha": _sha256(path), "hdu": m.hdu,
                 "kind": m.kind, "unit": m.unit, "pix": m.pixel_size_deg * 3600,
                 "how": RESAMPLING.format(d=d, sub=int(order) + d), "n": len(pixels),
                 "at": now}).fetchone()[0]
            ra, dec = healpix.pixel_centres(int(order), pixels)
            df = pd.DataFrame({"map_id": np.full(len(pixels), map_id, dtype=np.int32),
                               "pixel": pixels, "ra": ra, "dec": dec, "limit_flux": limits})
            con.register("_xcat_coverage_rows", df)
            try:
                con.execute("INSERT INTO coverage_pixels BY NAME "
                            "SELECT * FROM _xcat_coverage_rows")
            finally:
                con.unregister("_xcat_coverage_rows")
            out.append({"map_id": map_id, "file": path.name, "kind": m.kind,
                        "pixels": len(pixels), "min_limit": float(limits.min()),
                        "max_limit": float(limits.max())})
    return {"band": name, "order": int(order),
            "pixel_area_deg2": healpix.pixel_area_deg2(int(order)), "maps": out}


LIST_MAPS = """
SELECT map_id, band, norder, file, map_kind, map_unit, map_pixel_arcsec, n_pixels,
       n_pixels * 4.0 * pi() * pow(degrees(1.0), 2) / (12.0 * pow(4.0, norder)) AS area_deg2,
       resampling, sha256, added_at
FROM coverage_maps ORDER BY map_id
"""


def list_maps(store: Database) -> pd.DataFrame:
    """The ingested maps with their band, order, area covered and provenance."""
    return store.sql(LIST_MAPS)


def maps_text(store: Database, band: str, most: int = 3) -> str:
    """``'maps: a.fits, b.fits +2'``: the files of a band's coverage (for figure titles)."""
    maps = list_maps(store)
    files = maps.loc[maps["band"] == parse_band(band)[0], "file"].tolist()
    more = f" +{len(files) - most}" if len(files) > most else ""
    return "maps: " + ", ".join(files[:most]) + more


PIXELS_SQL = """
SELECT pixel, ra, dec, limit_flux, pixel_area_deg2, norder, emin_kev, emax_kev
FROM sky_coverage WHERE band = $band ORDER BY pixel
"""


def parse_region(text: str) -> tuple[float, float, float]:
    """``'RA DEC RADIUS'`` (degrees, radius with a unit) → (ra, dec, radius_deg)."""
    parts = text.replace(",", " ").split()
    if len(parts) != 3:
        raise XcatError(f"--region '{text}': give 'RA DEC RADIUS', e.g. "
                        f"'210.80 54.35 10arcmin'")
    try:
        ra, dec = float(parts[0]), float(parts[1])
    except ValueError as exc:
        raise XcatError(f"--region '{text}': RA and Dec are degrees") from exc
    if not -90 <= dec <= 90:
        raise XcatError(f"--region '{text}': Dec outside [-90, 90]")
    r = require_quantity(parts[2], "angle", "deg", "--region radius")
    if r <= 0:
        raise XcatError(f"--region '{text}': the radius must be positive")
    return ra % 360.0, dec, r


def _sep_pa(ra: np.ndarray, dec: np.ndarray, ra0: float, dec0: float
            ) -> tuple[np.ndarray, np.ndarray]:
    """Separation (arcmin) and position angle (deg, N through E) from (ra0, dec0)."""
    a, d, d0 = np.radians(ra - ra0), np.radians(dec), np.radians(dec0)
    cos_c = np.sin(d0) * np.sin(d) + np.cos(d0) * np.cos(d) * np.cos(a)
    sep = np.degrees(np.arccos(np.clip(cos_c, -1, 1))) * 60
    pa = np.degrees(np.arctan2(np.sin(a) * np.cos(d),
                               np.cos(d0) * np.sin(d) - np.sin(d0) * np.cos(d) * np.cos(a)))
    return sep, pa


def inside_host(h: pd.Series, ra: np.ndarray, dec: np.ndarray) -> np.ndarray:
    """Positions inside a host's ellipse (or radius), as the source_hosts view decides."""
    sep, pa = _sep_pa(ra, dec, float(h["ra"]), float(h["dec"]))
    a, b = h.get("ellipse_a_arcmin"), h.get("ellipse_b_arcmin")
    if pd.notna(a) and pd.notna(b) and a > 0 and b > 0:
        t = np.radians(pa - float(h.get("ellipse_pa_deg") or 0.0))
        return np.hypot(sep * np.cos(t) / a, sep * np.sin(t) / b) <= 1.0
    r = h.get("radius_arcmin")
    if pd.isna(r) or r <= 0:
        raise XcatError(f"host {h['host']} has no ellipse or radius")
    return sep <= float(r)


def host_row(store: Database, host: str) -> pd.Series:
    """The adopted row of a host found by any of its names."""
    h = store.sql(resources.read_sql("reports/host.sql"), {"host": host})
    if h.empty:
        raise XcatError(f"no host '{host}' (add it with 'xcat host add')")
    return h.iloc[0]


def region_mask(store: Database, ra: np.ndarray, dec: np.ndarray, host: str | None,
                region: str | None) -> np.ndarray:
    """Positions inside the host or region (all when neither is given)."""
    if host is not None and region is not None:
        raise XcatError("give --host or --region, not both")
    if host is not None:
        return inside_host(host_row(store, host), ra, dec)
    if region is not None:
        ra0, dec0, r = parse_region(region)
        return _sep_pa(ra, dec, ra0, dec0)[0] <= r * 60
    return np.ones(len(ra), bool)


@reads
def coverage_pixels(store: Database, band: str, host: str | None = None,
                    region: str | None = None) -> pd.DataFrame:
    """The covered pixels of a band (deepest limit each) whose centres lie in the host or
    region: pixel, ra, dec, limit_flux, pixel_area_deg2, norder.
    """
    name, _, _ = parse_band(band)
    px = store.sql(PIXELS_SQL, {"band": name})
    if px.empty:
        have = store.sql("SELECT DISTINCT band FROM coverage_maps ORDER BY band")["band"]
        raise XcatError(f"no coverage in band {name}" + (
            f" (bands with coverage: {', '.join(have)})" if len(have) else
            " (add sensitivity maps with 'xcat coverage add')"))
    keep = region_mask(store, px["ra"].to_numpy(float), px["dec"].to_numpy(float), host,
                       region)
    px = px[keep].reset_index(drop=True)
    if px.empty:
        raise XcatError(f"no covered pixel of band {name} in the "
                        + ("host" if host else "region"))
    return px


def area_above(limits: np.ndarray, areas: np.ndarray, flux: np.ndarray) -> np.ndarray:
    """Ω(>F): the area (units of ``areas``) where the limit is ≤ F, for each F.

    Examples
    --------
    >>> area_above(np.array([1.0, 2.0, 3.0]), np.ones(3), np.array([0.5, 2.0, 9.0])).tolist()
    [0.0, 2.0, 3.0]
    """
    order = np.argsort(limits, kind="stable")
    lim, cum = np.asarray(limits)[order], np.cumsum(np.asarray(areas, float)[order])
    idx = np.searchsorted(lim, np.asarray(flux, float), side="right")
    return np.where(idx > 0, cum[np.maximum(idx - 1, 0)], 0.0)


def coverage_curve(store: Database, band: str, host: str | None = None,
                   region: str | None = None, points: int = 25) -> pd.DataFrame:
    """Ω(>F) in deg² at ``points`` log-spaced limiting fluxes from the deepest limit to
    the shallowest (both included), with the fraction of the covered area.
    """
    px = coverage_pixels(store, band, host, region)
    lim, area = px["limit_flux"].to_numpy(float), px["pixel_area_deg2"].to_numpy(float)
    lo, hi = float(lim.min()), float(lim.max())
    flux = np.geomspace(lo, hi, max(int(points), 2)) if hi > lo else np.array([lo])
    flux[-1] = hi  # exactly the shallowest limit: the whole covered area
    omega = area_above(lim, area, flux)
    return pd.DataFrame({"band": parse_band(band)[0], "flux_limit": flux,
                         "log_flux_limit": np.log10(flux), "area_deg2": omega,
                         "area_fraction": omega / area.sum(),
                         "n_pixels": np.searchsorted(np.sort(lim), flux, side="right")})
