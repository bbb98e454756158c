"""Sky coverage from sensitivity (limiting-flux) maps, on the store's HEALPix grid.

Maps (FITS images with a WCS, or HEALPix maps; :mod:`xcat.io.sensitivity_maps`) are
resampled to nested HEALPix pixels at one order per band (default :data:`DEFAULT_ORDER`
= 14: 12.9 arcsec pixels of 0.0461 arcmin² = 1.281e-5 deg²) and stored per map
(``coverage_pixels``); the ``sky_coverage`` view keeps the deepest limit per pixel.

**Resampling (median).** Each map is sampled at the centres of the 4^d sub-pixels at
order + d of every coverage pixel (nearest map pixel; d = 2..4, chosen so that the
sub-pixels are no larger than the map's pixels where possible). The pixel's
``covered_fraction`` is the fraction of sub-pixels with coverage, and its ``limit_flux``
the *median* of the limits over those covered sub-pixels: half of the covered part
reaches it. (The minimum would count a pixel as deep wherever any small part of it is;
a "more than half covered" rule would lose whole rows of pixels along a map edge that
runs along the HEALPix lattice, 2.6% of a 4' square in the tests.)

**Ω(>F)** is the area where the limit is ≤ F, i.e. where a source of flux F would be
detected: the sum of the covered areas (pixel area × covered fraction) with
``limit_flux <= F``. Where maps overlap in a pixel, the deepest map's covered part counts
at its limit and each shallower map adds the part of the pixel it covers beyond the
deeper ones (fractions taken as nested: exact when a map covers the whole pixel).

Examples
--------
>>> add_maps(store, ["sens_b.fits"], band="b")                      # doctest: +SKIP
{'band': '0.5-7.0 keV', 'order': 14, 'maps': [...], 'pixels': 20311, ...}
>>> coverage(store, "b", host="M101").omega(np.array([1e-15]))       # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from xcat.errors import XcatError
from xcat.io.sensitivity_maps import LimitMap, read_limit_map
from xcat.io.table import sha256_of
from xcat.science.sky_regions import region_mask
from xcat.sky import healpix
from xcat.sky.units import ENERGY_FLUX
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


def resample(m: LimitMap, order: int, chunk: int = 4096
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Covered pixels at ``order``, their limits (erg/s/cm², median over the covered
    sub-pixels) and covered fractions (module docstring).
    """
    cand = m.candidate_pixels(order)
    d = sub_depth(m.pixel_size_deg, order)
    n_sub = 4**d
    offsets = np.arange(n_sub, dtype=np.int64)
    limits, fraction = np.full(len(cand), np.inf), np.zeros(len(cand))
    for i in range(0, len(cand), chunk):
        block = cand[i:i + chunk]
        subs = (block[:, None] * n_sub + offsets[None, :]).ravel()
        sra, sdec = healpix.pixel_centres(order + d, subs)
        vals = m.sample(sra, sdec).reshape(len(block), n_sub)
        ok = np.isfinite(vals)
        fraction[i:i + chunk] = ok.mean(axis=1)
        has = ok.any(axis=1)
        with np.errstate(all="ignore"):
            limits[i:i + chunk][has] = np.nanmedian(np.where(ok, vals, np.nan)[has], axis=1)
    keep = fraction > 0
    return cand[keep], limits[keep], fraction[keep]


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
        pixels, limits, fraction = resample(m, int(order))
        if not len(pixels):
            raise XcatError(f"{path}: the map covers no HEALPix pixel at order {order}")
        made.append((path, m, pixels, limits, fraction))
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    out = []
    con = store.con
    with transaction(con):
        for path, m, pixels, limits, fraction in made:
            d = sub_depth(m.pixel_size_deg, int(order))
            map_id = con.execute(
                "INSERT INTO coverage_maps (band, emin_kev, emax_kev, norder, file, path, "
                "sha256, hdu, map_kind, map_unit, map_pixel_arcsec, resampling, n_pixels, "
                "added_at) VALUES ($band, $lo, $hi, $order, $file, $path, $sha, $hdu, $kind, "
                "$unit, $pix, $how, $n, $at) RETURNING map_id",
                {"band": name, "lo": lo, "hi": hi, "order": int(order), "file": path.name,
                 "path": str(path.resolve()), "sha": sha256_of(path), "hdu": m.hdu,
                 "kind": m.kind, "unit": m.unit, "pix": m.pixel_size_deg * 3600,
                 "how": RESAMPLING.format(d=d, sub=int(order) + d), "n": len(pixels),
                 "at": now}).fetchone()[0]
            ra, dec = healpix.pixel_centres(int(order), pixels)
            df = pd.DataFrame({"map_id": np.full(len(pixels), map_id, dtype=np.int32),
                               "pixel": pixels, "ra": ra, "dec": dec, "limit_flux": limits,
                               "covered_fraction": fraction})
            con.register("_xcat_coverage_rows", df)
            try:
                con.execute("INSERT INTO coverage_pixels BY NAME "
                            "SELECT * FROM _xcat_coverage_rows")
            finally:
                con.unregister("_xcat_coverage_rows")
            out.append({"map_id": map_id, "file": path.name, "kind": m.kind,
                        "pixels": len(pixels), "min_limit": float(limits.min()),
                        "area_deg2": float(fraction.sum()) * healpix.pixel_area_deg2(int(order)),
                        "max_limit": float(limits.max())})
    return {"band": name, "order": int(order),
            "pixel_area_deg2": healpix.pixel_area_deg2(int(order)), "maps": out}


@writes
def remove_map(store: Database, map_id: int) -> dict[str, Any]:
    """Remove one map (by ``coverage_maps.map_id``) and its pixels from the coverage."""
    con = store.con
    row = con.execute("SELECT file, band FROM coverage_maps WHERE map_id = $id",
                      {"id": int(map_id)}).fetchone()
    if row is None:
        raise XcatError(f"no sensitivity map with id {map_id} (see 'xcat coverage maps')")
    with transaction(con):
        n = con.execute("DELETE FROM coverage_pixels WHERE map_id = $id",
                        {"id": int(map_id)}).fetchone()[0]
        con.execute("DELETE FROM coverage_maps WHERE map_id = $id", {"id": int(map_id)})
    return {"map_id": int(map_id), "file": row[0], "band": row[1], "pixels": int(n)}


LIST_MAPS = """
WITH covered AS (
    SELECT map_id, sum(covered_fraction) AS pixels_covered FROM coverage_pixels GROUP BY map_id
)
SELECT m.map_id, m.band, m.norder, m.file, m.map_kind, m.map_unit, m.map_pixel_arcsec,
       m.n_pixels, c.pixels_covered * 4.0 * pi() * pow(degrees(1.0), 2)
           / (12.0 * pow(4.0, m.norder)) AS area_deg2,
       m.resampling, m.sha256, m.added_at
FROM coverage_maps AS m JOIN covered AS c USING (map_id)
ORDER BY m.map_id
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
SELECT pixel, ra, dec, limit_flux, area_deg2, pixel_area_deg2, covered_fraction, norder,
       emin_kev, emax_kev
FROM sky_coverage WHERE band = $band ORDER BY pixel
"""
#: Coverage levels of a band: in each pixel the deepest map's covered area at its limit,
#: then each shallower map's covered part beyond the deeper ones (nested fractions).
LEVELS_SQL = """
WITH p AS (
    SELECT c.pixel, c.limit_flux, c.covered_fraction, c.map_id,
           4.0 * pi() * pow(degrees(1.0), 2) / (12.0 * pow(4.0, m.norder)) AS pixel_area
    FROM coverage_pixels AS c JOIN coverage_maps AS m USING (map_id)
    WHERE m.band = $band
), w AS (
    SELECT *, max(covered_fraction) OVER (PARTITION BY pixel ORDER BY limit_flux, map_id
                                          ROWS UNBOUNDED PRECEDING) AS cum
    FROM p
)
SELECT pixel, limit_flux,
       (cum - coalesce(lag(cum) OVER (PARTITION BY pixel ORDER BY limit_flux, map_id), 0.0))
           * pixel_area AS area_deg2
FROM w
"""


@dataclass
class Coverage:
    """The coverage of a band in a host or region: its pixels (sky_coverage rows whose
    centres lie inside) and its levels, the (limit, area) pairs Ω(>F) sums.
    """

    band: str
    pixels: pd.DataFrame
    limits: np.ndarray     # erg/s/cm2
    areas: np.ndarray      # deg2

    @property
    def order(self) -> int:
        """HEALPix order of the pixels."""
        return int(self.pixels["norder"].iloc[0])

    @property
    def total_deg2(self) -> float:
        """The covered area."""
        return float(self.areas.sum())

    def omega(self, flux: np.ndarray) -> np.ndarray:
        """Ω(>F) in deg² at each flux."""
        return area_above(self.limits, self.areas, flux)

    def local_limit(self, ra: np.ndarray, dec: np.ndarray) -> np.ndarray:
        """The deepest limit at each position (NaN outside the pixels)."""
        pix = healpix.radec_to_pixel(ra, dec, self.order)
        lim = pd.Series(self.pixels["limit_flux"].to_numpy(float),
                        index=self.pixels["pixel"].to_numpy())
        return lim.reindex(pix).to_numpy(float)


@reads
def coverage(store: Database, band: str, host: str | None = None,
             region: str | None = None) -> Coverage:
    """The coverage of a band inside a host or region (all of it when neither is given)."""
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
    levels = store.sql(LEVELS_SQL, {"band": name})
    levels = levels[levels["pixel"].isin(px["pixel"]) & (levels["area_deg2"] > 0)]
    return Coverage(name, px, levels["limit_flux"].to_numpy(float),
                    levels["area_deg2"].to_numpy(float))


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
