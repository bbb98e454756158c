"""Image footprints (XRBID's Bounds In/Out): polygons on the sky, from a FITS image's WCS
or given as vertices. The ``source_footprints`` view says which X-ray sources are inside.

Edges are great circles. A WCS footprint is traced along the outer pixel edges
(``n_per_side`` points per side, so distortions are followed); for a TAN image its
edges are great circles exactly and the test is exact. When the FITS file holds the
image data, only pixels with data count (finite and non-zero; with ``weight``, a weight
of at least ``min_weight``): the boundary of those pixels is stored too
(:mod:`xcat.science.footprint_mask`), so chip gaps, NaN corners of a drizzled image and
mosaic edges are Out.

Examples
--------
>>> from xcat.science.footprint import add_footprint
>>> add_footprint(store, "acs_f555w", fits="hst_m101_f555w_drc.fits")   # doctest: +SKIP
>>> add_footprint(store, "box", polygon="210.7 54.3, 210.9 54.3, 210.9 54.4, 210.7 54.4")
... # doctest: +SKIP
>>> store.sql("SELECT bounds, count(*) FROM source_footprints GROUP BY 1")  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from xcat.errors import XcatError
from xcat.science.footprint_mask import mask_edges, read_plane, valid_mask
from xcat.store.db import Database, writes
from xcat.store.sql import transaction


def parse_polygon(text: str) -> np.ndarray:
    """Vertices ``(n, 2)`` in degrees from ``"ra1 dec1, ra2 dec2, ..."`` (or a DS9
    ``polygon(ra1,dec1,...)``).

    Examples
    --------
    >>> parse_polygon("10 20, 11 20, 11 21").tolist()
    [[10.0, 20.0], [11.0, 20.0], [11.0, 21.0]]
    """
    body = re.sub(r"^\s*polygon\s*\(|\)\s*$", "", text.strip(), flags=re.IGNORECASE)
    try:
        nums = [float(x) for x in re.split(r"[\s,]+", body.strip()) if x]
    except ValueError as exc:
        raise XcatError(f"polygon '{text}': vertices must be numbers 'ra dec, ra dec, ...'"
                        ) from exc
    if len(nums) % 2 or len(nums) < 6:
        raise XcatError(f"polygon '{text}': needs at least 3 vertices as 'ra dec' pairs")
    v = np.array(nums).reshape(-1, 2)
    if np.any(np.abs(v[:, 1]) > 90):
        raise XcatError(f"polygon '{text}': declination outside [-90, 90]")
    v[:, 0] %= 360.0
    return v


def wcs_outline(header: Any, n_per_side: int = 8) -> np.ndarray:
    """Vertices ``(4 n_per_side, 2)`` in degrees along the outer edges of an image.

    The image covers 0-based pixel coordinates -0.5 .. NAXISn - 0.5.
    """
    from astropy.wcs import WCS

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = WCS(header).celestial
    nx, ny = header.get("NAXIS1"), header.get("NAXIS2")
    if not w.has_celestial or not nx or not ny:
        raise XcatError("the header has no celestial WCS with NAXIS1/NAXIS2")
    t = np.linspace(0.0, 1.0, n_per_side, endpoint=False)
    lo_x, hi_x, lo_y, hi_y = -0.5, nx - 0.5, -0.5, ny - 0.5
    xs = np.concatenate([lo_x + t * (hi_x - lo_x), np.full_like(t, hi_x),
                         hi_x - t * (hi_x - lo_x), np.full_like(t, lo_x)])
    ys = np.concatenate([np.full_like(t, lo_y), lo_y + t * (hi_y - lo_y),
                         np.full_like(t, hi_y), hi_y - t * (hi_y - lo_y)])
    ra, dec = w.all_pix2world(xs, ys, 0)
    return np.column_stack([np.asarray(ra) % 360.0, dec])


def _header(path: Path, hdu: int | None) -> Any:
    if not path.exists():
        raise XcatError(f"{path}: no such file")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # astropy warns about every odd header card
        header = _read_header(path, hdu)
    if header is None:
        raise XcatError(f"{path}: no HDU with a 2-D image and a WCS (give --hdu)")
    return header


def _read_header(path: Path, hdu: int | None) -> Any:
    from astropy.io import fits

    try:
        if path.suffix.lower() in (".hdr", ".txt", ".head"):
            return fits.Header.fromtextfile(str(path))
        with fits.open(path) as hdul:
            if hdu is not None:
                return hdul[hdu].header.copy()
            for h in hdul:
                if h.header.get("NAXIS", 0) >= 2 and "CTYPE1" in h.header:
                    return h.header.copy()
    except (OSError, IndexError, ValueError) as exc:
        raise XcatError(f"{path}: cannot read a FITS header ({exc})") from exc
    return None


def _centre(v: np.ndarray) -> tuple[float, float, float]:
    ra, dec = np.radians(v[:, 0]), np.radians(v[:, 1])
    xyz = np.column_stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)])
    c = xyz.sum(axis=0)
    c /= np.linalg.norm(c)
    radius = np.degrees(np.arccos(np.clip(xyz @ c, -1, 1))).max()
    return (float(np.degrees(np.arctan2(c[1], c[0])) % 360.0),
            float(np.degrees(np.arcsin(c[2]))), float(radius))


@writes
def add_footprint(store: Database, name: str, *, fits: str | Path | None = None,
                  hdu: int | None = None, polygon: str | None = None,
                  n_per_side: int = 8, replace: bool = False,
                  weight: str | Path | None = None, weight_hdu: int | None = None,
                  min_weight: float | None = None, use_mask: bool = True) -> dict[str, Any]:
    """Store an image footprint from a FITS image/header or a polygon.

    Parameters
    ----------
    store : Store
        An open store.
    name : str
        Footprint name (``source_footprints.footprint``).
    fits : str or Path, optional
        FITS image (first 2-D HDU with a WCS, or ``hdu``) or a text header (.hdr).
    hdu : int, optional
        HDU number of the image in ``fits``.
    polygon : str, optional
        ``"ra1 dec1, ra2 dec2, ..."`` in degrees, edges are great circles.
    n_per_side : int
        Points traced along each image edge.
    replace : bool
        Replace a footprint of the same name.
    weight, weight_hdu : str or Path, int, optional
        Weight map (a drizzle WHT image) and its HDU: pixels need weight > 0, or
        ``>= min_weight``.
    min_weight : float, optional
        Smallest weight of a pixel with data.
    use_mask : bool
        Use the image's valid data (default); False keeps the full pixel rectangle.

    Examples
    --------
    >>> add_footprint(store, "hst", fits="image.fits")                  # doctest: +SKIP
    {'footprint': 'hst', 'vertices': 32, 'radius_deg': 0.05, 'edges': 4, 'mask': ...}
    """
    if (fits is None) == (polygon is None):
        raise XcatError("give a FITS image/header or a polygon (one of them)")
    if fits is None and (weight is not None or min_weight is not None):
        raise XcatError("--weight/--min-weight need --fits")
    edges, mask, fraction = np.zeros((0, 4)), None, None
    if fits is not None:
        path = Path(fits)
        header = _header(path, hdu)
        try:
            v = wcs_outline(header, n_per_side)
            if use_mask:
                edges, mask, fraction = _mask(path, hdu, header, weight, weight_hdu,
                                              min_weight)
        except XcatError as exc:
            raise XcatError(f"{path}: {exc}") from exc
        origin = f"{path.name}" + (f"[{hdu}]" if hdu is not None else "")
    else:
        v, origin = parse_polygon(polygon or ""), "polygon"
    ra, dec, radius = _centre(v)
    if radius >= 80:
        raise XcatError(f"footprint {name}: spans {radius:.1f} deg from its centre "
                        f"(at most 80 deg)")
    existing = {r[0] for r in store.con.execute("SELECT name FROM footprints").fetchall()}
    if name in existing and not replace:
        raise XcatError(f"footprint '{name}' exists (use --replace)")
    verts = pd.DataFrame({"footprint": name, "position": np.arange(len(v), dtype="int32"),
                          "ra": v[:, 0], "dec": v[:, 1]})
    con = store.con
    with transaction(con):  # a footprint of the same name is replaced
        con.execute("DELETE FROM footprint_vertices WHERE footprint = $name", {"name": name})
        con.execute("DELETE FROM footprint_edges WHERE footprint = $name", {"name": name})
        con.execute("DELETE FROM footprints WHERE name = $name", {"name": name})
        con.execute("INSERT INTO footprints (name, ra, dec, radius_deg, origin, added_at, mask, "
                    "valid_fraction) VALUES ($name, $ra, $dec, $radius_deg, $origin, "
                    "$added_at, $mask, $valid_fraction)", {
                        "name": name, "ra": ra, "dec": dec,
                        "radius_deg": radius * (1 + 1e-9) + 1e-12, "origin": origin,
                        "added_at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
                        "mask": mask, "valid_fraction": fraction})
        new_edges = pd.DataFrame(edges, columns=["ra1", "dec1", "ra2", "dec2"])
        new_edges.insert(0, "footprint", name)
        for table, df in (("footprint_vertices", verts), ("footprint_edges", new_edges)):
            con.register("_xcat_new_rows", df)
            try:
                con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _xcat_new_rows")
            finally:
                con.unregister("_xcat_new_rows")
    return {"footprint": name, "vertices": len(v), "radius_deg": radius,
            "edges": len(edges), "mask": mask, "valid_fraction": fraction}


def _mask(path: Path, hdu: int | None, header: Any, weight: str | Path | None,
          weight_hdu: int | None, min_weight: float | None
          ) -> tuple[np.ndarray, str | None, float | None]:
    """Boundary segments of the image's valid pixels, how they were chosen, and the
    fraction of pixels kept; no segments (outline only) for a header without data.
    """
    data = read_plane(path, hdu, "image")
    if data is None:
        if weight is not None:
            raise XcatError("a weight map needs the image data (not a header)")
        return np.zeros((0, 4)), None, None
    wmap = None
    if weight is not None:
        wpath = Path(weight)
        if not wpath.exists():
            raise XcatError(f"{wpath}: no such file")
        wmap = read_plane(wpath, weight_hdu, "weight map")
        if wmap is None:
            raise XcatError(f"{wpath}: no 2-D weight map")
    valid = valid_mask(data, wmap, min_weight)
    if not valid.any():
        raise XcatError("no pixel has data (all NaN, zero or below the minimum weight)")
    how = "finite, non-zero"
    if weight is not None:
        how += (f"; weight >= {min_weight:g}" if min_weight is not None else "; weight > 0")
        how += f" ({Path(weight).name})"
    return mask_edges(header, valid), how, float(valid.mean())


#: Footprints with their vertex count.
LIST_FOOTPRINTS = """
SELECT f.name, f.ra, f.dec, f.radius_deg, count(v.position) AS n_vertices, f.mask,
       f.valid_fraction, f.origin, f.added_at
FROM footprints AS f LEFT JOIN footprint_vertices AS v ON v.footprint = f.name
GROUP BY ALL ORDER BY f.name
"""


def list_footprints(store: Database) -> pd.DataFrame:
    """Stored footprints: name, centre, radius, number of vertices, valid-data mask,
    origin.
    """
    return store.sql(LIST_FOOTPRINTS)
