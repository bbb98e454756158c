"""DS9 region files as position catalogs (circles, ellipses, points; fk5/icrs/galactic).

Parsing is done by the astropy ``regions`` package; each sky region becomes one row
with its centre (ICRS degrees), shape, size and label.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from xcat.errors import XcatError
from xcat.io.table import ColumnMeta, InputTable


def read_ds9(path: Path) -> InputTable:
    """Read a DS9 region file; pixel-coordinate regions are refused (no WCS here).

    Examples
    --------
    >>> t = read_ds9(Path("M101_daoclean_f555w_acs_fk5.reg"))        # doctest: +SKIP
    >>> t.table.num_rows                                              # doctest: +SKIP
    1271
    """
    import regions

    try:
        regs = regions.Regions.read(str(path), format="ds9")
    except Exception as exc:
        raise XcatError(f"{path}: not a readable DS9 region file ({exc})") from exc
    rows = []
    for i, r in enumerate(regs):
        centre = getattr(r, "center", None)
        if centre is None or not hasattr(centre, "icrs"):
            raise XcatError(f"{path}: region {i + 1} ({type(r).__name__}) has no sky "
                            "centre; only fk5/icrs/galactic regions can be ingested")
        c = centre.icrs
        shape = type(r).__name__.replace("SkyRegion", "").lower()
        radius = getattr(r, "radius", None)
        width, height = getattr(r, "width", None), getattr(r, "height", None)
        angle = getattr(r, "angle", None)
        label = (r.meta or {}).get("text") or (r.meta or {}).get("label")
        rows.append((i + 1, float(c.ra.deg), float(c.dec.deg), shape,
                     radius.to_value("arcsec") if radius is not None else np.nan,
                     width.to_value("arcsec") / 2 if width is not None else np.nan,
                     height.to_value("arcsec") / 2 if height is not None else np.nan,
                     angle.to_value("deg") if angle is not None else np.nan, label))
    if not rows:
        raise XcatError(f"{path}: the region file holds no regions")
    cols = list(zip(*rows, strict=True))
    names = ["region_id", "ra", "dec", "shape", "radius", "semi_major", "semi_minor",
             "angle", "label"]
    table = pa.table({n: pa.array(v) for n, v in zip(names, cols, strict=True)})
    meta = {
        "region_id": ColumnMeta(description="1-based order of the region in the file"),
        "ra": ColumnMeta(unit="deg", ucd="pos.eq.ra;meta.main", description="Region centre"),
        "dec": ColumnMeta(unit="deg", ucd="pos.eq.dec;meta.main", description="Region centre"),
        "shape": ColumnMeta(description="circle, ellipse, point, ..."),
        "radius": ColumnMeta(unit="arcsec", description="Circle radius"),
        "semi_major": ColumnMeta(unit="arcsec", description="Ellipse semi-major axis"),
        "semi_minor": ColumnMeta(unit="arcsec", description="Ellipse semi-minor axis"),
        "angle": ColumnMeta(unit="deg", description="Ellipse angle as written by DS9"),
        "label": ColumnMeta(description="The region's text label"),
    }
    for m in meta.values():
        m.source_unit = m.unit
    return InputTable(table, meta, str(path), "ds9")
