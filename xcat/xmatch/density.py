"""The counterpart density behind chance-coincidence probabilities and likelihood ratios.

Three sources, recorded with the run:

- ``annulus`` (the default): the right catalog's density in an annulus around each left
  source. Right only for a *complete* right catalog: a counterpart list cut to stars near
  the X-ray sources (XRBID's HST lists) has almost nothing in the annuli, so ρ comes out
  far too low and every pair looks significant. :func:`truncation` detects that and the
  engine then refuses ``p_chance``/LR unless the density is given.
- ``given``: a field density (``--density 0.67/arcsec2``).
- ``catalog``: rows of a catalog inside a region over the region's area
  (``--density-from CATALOG --area REGION``; REGION a DS9 region file or "RA DEC RADIUS").

Per pair, ``n_exp = ρ A`` is the expected number of unrelated right sources in the
pair's match region (A = π r², or π k² a b for an error ellipse) and
``p_any_unrelated = 1 − exp(−n_exp)`` the probability that at least one is there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from xcat.errors import XcatError
from xcat.sky import scoring as sc
from xcat.sky.units import parse_quantity
from xcat.xmatch import log
from xcat.xmatch.engine import RightSide, UnitScheduler, counts
from xcat.xmatch.stored import Left, RightStats

#: Pixels along the longer side of the grid that measures a region's area.
GRID_PIXELS = 3000


@dataclass
class Density:
    """How ρ was obtained: ``method`` (annulus, given, catalog), its value (arcsec⁻², None
    for the per-source annulus) and what it was measured from.
    """

    method: str
    value: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def record(self) -> dict[str, Any]:
        """The run-parameter form of the density."""
        return {"method": self.method, "value_arcsec2": self.value, **self.detail}


def parse_density(text: str | float) -> float:
    """A surface density in arcsec⁻² from ``"0.67/arcsec2"``, ``"2400/arcmin2"`` or a
    float already in arcsec⁻².

    Examples
    --------
    >>> parse_density("0.5/arcsec2"), round(parse_density("3600 arcmin-2"), 12)
    (0.5, 1.0)

    """
    from astropy import units as u

    if isinstance(text, int | float) and not isinstance(text, bool):
        value = float(text)
    else:
        s = str(text).strip()
        try:
            q = u.Quantity(s if not s.startswith("/") else "1" + s)
            value = float(q.to_value(u.arcsec**-2))
        except (ValueError, TypeError, u.UnitConversionError) as exc:
            raise XcatError(f"density '{text}' is not a surface density: give e.g. "
                            "0.67/arcsec2 or 2400/arcmin2") from exc
    if not (np.isfinite(value) and value > 0):
        raise XcatError(f"density '{text}' must be > 0")
    return value


def _regions(region: str) -> list[Any]:
    """Sky regions of a DS9 file, or one circle from ``"RA DEC RADIUS"`` (deg, deg, angle)."""
    import regions
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    parts = region.split()
    if len(parts) == 3 and not Path(region).exists():
        try:
            centre = SkyCoord(float(parts[0]) * u.deg, float(parts[1]) * u.deg)
        except ValueError as exc:
            raise XcatError(f"--area '{region}': give a DS9 region file or "
                            "'RA DEC RADIUS' (deg deg angle)") from exc
        return [regions.CircleSkyRegion(centre, parse_quantity(parts[2]))]
    path = Path(region)
    if not path.is_file():
        raise XcatError(f"--area '{region}': no such region file (or give 'RA DEC RADIUS')")
    try:
        regs = list(regions.Regions.read(str(path), format="ds9"))
    except Exception as exc:
        raise XcatError(f"--area {path}: not a readable DS9 region file ({exc})") from exc
    sky = [r for r in regs if hasattr(getattr(r, "center", None), "icrs")
           or hasattr(getattr(r, "vertices", None), "icrs")]
    if not sky or len(sky) != len(regs):
        raise XcatError(f"--area {path}: give sky regions (fk5/icrs circles, ellipses, "
                        "polygons), not pixel regions")
    return sky


def region_count_and_area(region: str, ra: np.ndarray, dec: np.ndarray
                          ) -> tuple[int, float]:
    """Positions inside the union of the regions, and that union's area (arcsec²).

    The union is rasterised on a TAN grid of :data:`GRID_PIXELS` with exact per-pixel
    coverage (overlaps counted once); positions are tested exactly against each region.
    """
    from astropy import units as u
    from astropy.coordinates import SkyCoord
    from astropy.wcs import WCS
    from regions import PixCoord

    regs = _regions(region)
    centres = SkyCoord([_centre(r) for r in regs])
    mid = SkyCoord(*_mean_direction(centres), unit="deg")
    extent = max(float(centres.separation(mid).max().to_value(u.arcsec)) + _size(r)
                 for r in regs)
    scale = 2 * extent / GRID_PIXELS
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crval = [mid.ra.deg, mid.dec.deg]
    wcs.wcs.crpix = [GRID_PIXELS / 2 + 0.5, GRID_PIXELS / 2 + 0.5]
    wcs.wcs.cdelt = [-scale / 3600, scale / 3600]
    shape = (GRID_PIXELS, GRID_PIXELS)
    cover = np.zeros(shape, np.float32)
    inside = np.zeros(len(ra), bool)
    x, y = wcs.world_to_pixel(SkyCoord(ra * u.deg, dec * u.deg))
    for r in regs:
        pix = r.to_pixel(wcs)
        mask = pix.to_mask(mode="exact")
        big, small = mask.get_overlap_slices(shape)
        if big is not None:
            cover[big] = np.maximum(cover[big], mask.data[small])
        inside |= np.asarray(pix.contains(PixCoord(x, y)), bool)
    return int(inside.sum()), float(cover.sum(dtype=np.float64) * scale**2)


def _centre(r: Any) -> Any:
    c = getattr(r, "center", None)
    return c if c is not None else r.vertices[0]


def _size(r: Any) -> float:
    """Half-size of a region in arcsec (bounding radius about its centre)."""
    from astropy import units as u

    for attr in ("radius", "outer_radius"):
        if getattr(r, attr, None) is not None:
            return float(getattr(r, attr).to_value(u.arcsec))
    if getattr(r, "width", None) is not None:
        return float(max(r.width, r.height).to_value(u.arcsec))
    if getattr(r, "vertices", None) is not None:
        return float(r.vertices.separation(r.vertices[0]).max().to_value(u.arcsec))
    return 1.0


def _mean_direction(c: Any) -> tuple[float, float]:
    xyz = c.cartesian.xyz.value.mean(axis=1)
    return (float(np.degrees(np.arctan2(xyz[1], xyz[0])) % 360),
            float(np.degrees(np.arctan2(xyz[2], np.hypot(xyz[0], xyz[1])))))


def density_from(catalog: str, region: str, ra: np.ndarray, dec: np.ndarray) -> Density:
    """ρ = rows of ``catalog`` (positions ``ra``/``dec``) inside ``region`` / its area."""
    n, area = region_count_and_area(region, ra, dec)
    if n == 0 or area <= 0:
        raise XcatError(f"--density-from {catalog}: no rows inside --area {region}, so no "
                        "density can be measured")
    return Density("catalog", n / area, {"catalog": catalog, "area": region,
                                         "n_inside": n, "area_arcsec2": area})


@dataclass
class Truncation:
    """The right rows found inside the match regions against what the annulus density
    predicts: ``n_found``, ``n_expected`` and ``n_matched``, the left sources with at
    least one right row in their match region (each has at most one true counterpart).
    """

    n_found: int
    n_expected: float
    n_matched: int

    @property
    def truncated(self) -> bool:
        """More right rows in the match regions than the annulus density allows even if
        every matched left source also had one true counterpart (3-sigma Poisson margin).

        Examples
        --------
        >>> Truncation(1285, 7.0, 211).truncated, Truncation(300, 100.0, 211).truncated
        (True, False)

        """
        allowed = self.n_expected + self.n_matched
        return bool(self.n_found > allowed + 3 * np.sqrt(allowed) + 3)


def truncation_message(right: str, left: str, t: Truncation) -> str:
    """The one-line refusal of an annulus density measured on a truncated list."""
    ratio = t.n_found / max(t.n_expected, 1e-12)
    return (f"catalog '{right}' looks truncated to rows near the '{left}' sources: the "
            f"match regions hold {t.n_found} rows where its annulus density predicts "
            f"{t.n_expected:.3g} ({ratio:.0f}x), so p_chance and LR would be far too "
            "optimistic; give the field density (--density VALUE/arcsec2, or "
            "--density-from CATALOG --area REGION), or --density annulus if the list is "
            "complete")


def default_annulus(max_radius: float) -> tuple[float, float]:
    """Density annulus (arcsec) used when none is given: max(10", 2R) to max(60", 10R)."""
    return max(10.0, 2 * max_radius), max(60.0, 10 * max_radius)


def source_areas(opt: Any, left: Left, med_r: float,
                 frame_sigma: float = 0.0) -> np.ndarray:
    """Area (arcsec²) of each left source's match region, with the right catalog's median
    error: π r² (radius modes, circles of k σ) or π k² a b (error ellipses).
    """
    n = len(left)
    if opt.radius is not None:
        return np.full(n, np.pi * float(opt.radius) ** 2)
    if opt.radius_column is not None:
        return np.pi * left.radius ** 2
    s = np.hypot(left.rows.sigma, med_r)
    area = np.pi * (opt.sigma * s) ** 2
    if opt.ellipse:
        a, b = sc.ellipse_sigmas(left.ellipse_a, left.ellipse_b,
                                 np.full(n, np.hypot(frame_sigma, med_r)))
        area = np.where(np.isfinite(a * b), np.pi * opt.sigma**2 * a * b, area)
    return area


def annulus_density(left: Left, right: RightSide, annulus: tuple[float, float],
                    threads: int | None = None, scheduler: UnitScheduler | None = None
                    ) -> np.ndarray:
    """Right-catalog density (arcsec⁻²) in an annulus around each left source; a source
    with no right row there gets one row per annulus (never zero).
    """
    r_in, r_out = annulus
    inner, outer = counts(left.rows, left.h29, right, [r_in / 3600, r_out / 3600],
                          threads=threads, scheduler=scheduler)
    n = outer - (inner if r_in > 0 else 0)
    return np.maximum(n, 1) / sc.annulus_area_arcsec2(r_in, r_out)


def pair_density(left: Left, right: RightSide, stats: RightStats, opt: Any,
                  density: Density | None, li: np.ndarray, params: dict[str, Any],
                  search: float, names: tuple[str, str], frame_sigma: float
                  ) -> np.ndarray | None:
    """ρ of each pair (arcsec⁻²), or None when an annulus density is refused (recorded in
    ``params['density']``; with ``--lr`` the refusal is an error).
    """
    given = opt.given_density()
    if density is None and given is not None:
        density = Density("given", given)
    if density is not None:
        params["density"] = density.record()
        return np.full(len(li), float(density.value))
    ann = opt.annulus or default_annulus(search)
    params["annulus_arcsec"] = list(ann)
    rho_left = annulus_density(left, right, ann, opt.threads, opt.scheduler)
    found = Truncation(len(li), float(np.nansum(
        rho_left * source_areas(opt, left, stats.median_sigma, frame_sigma))),
        len(np.unique(li)))
    params["density"] = {"method": "annulus", "n_in_match_regions": found.n_found,
                         "n_expected_from_annulus": round(found.n_expected, 3)}
    if found.truncated and opt.density != "annulus":
        message = truncation_message(names[1], names[0], found)
        if opt.lr:
            raise XcatError(message)
        params["density"]["method"] = "refused: truncated list"
        log.warning("p_chance left empty: %s", message)
        return None
    return rho_left[li]
