"""DS9 region files from query results: X-ray sources as error circles or ellipses
labelled by name, counterparts as points, colours by class (astropy ``regions`` writes
the file).

Ellipse angles: catalogs quote position angles from north through east; DS9 measures
from the image x axis (west, with north up and east left) counter-clockwise, so the
region angle is PA + 90 deg.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from xcat.errors import XcatError

CLASS_COLOURS = {
    "AGN": "red", "AGN/GAL": "red", "Quasar": "red", "GAL": "orange",
    "Star": "yellow", "SS": "yellow", "Nucleus": "white", "Cluster": "magenta",
    "SNR": "green", "(SNR)": "green", "XRB": "cyan", "HMXB": "blue", "IMXB": "cyan",
    "LMXB": "cyan", "AGN/XRB": "pink",
}
DEFAULT_COLOUR = "green"
COUNTERPART_COLOUR = "#FFC107"
SHAPES = ("r68", "r95", "ellipse")


def write_regions(sources: Any, out: str | Path, *, shape: str = "r95",
                  counterparts: Any | None = None, class_column: str = "class") -> int:
    """Write sources (astropy Table or pandas) as DS9 regions; return the region count.

    ``sources`` needs ``ra``, ``dec`` and ``name``; ``shape`` picks the circle radius
    column (``pos_err_r68`` / ``pos_err_r95``, arcsec) or ``ellipse``
    (``ellipse_a``, ``ellipse_b``, ``ellipse_pa``). ``counterparts`` (with ``ra``,
    ``dec`` and optionally ``label``) are drawn as points.

    Examples
    --------
    >>> xs = store.sql("SELECT * FROM xray_sources", output="pandas")  # doctest: +SKIP
    >>> write_regions(xs, "m101_r95.reg", shape="r95")                 # doctest: +SKIP
    """
    import astropy.units as u
    from astropy.coordinates import SkyCoord
    from regions import (
        CircleSkyRegion,
        EllipseSkyRegion,
        PointSkyRegion,
        RegionMeta,
        Regions,
        RegionVisual,
    )

    if shape not in SHAPES:
        raise XcatError(f"region shape '{shape}' is not one of {', '.join(SHAPES)}")
    df = _frame(sources)
    need = {"ra", "dec", "name"} | ({"ellipse_a", "ellipse_b", "ellipse_pa"}
                                    if shape == "ellipse" else {f"pos_err_{shape}"})
    missing = need - set(df.columns)
    if missing:
        raise XcatError(f"the rows lack column(s) {', '.join(sorted(missing))} needed for "
                        f"{shape} regions (select them, e.g. from xray_sources)")
    regs = []
    for row in df.itertuples(index=False):
        centre = SkyCoord(row.ra, row.dec, unit="deg")
        cls = getattr(row, class_column, None) if class_column in df.columns else None
        visual = RegionVisual(color=CLASS_COLOURS.get(str(cls), DEFAULT_COLOUR))
        meta = RegionMeta(text=str(row.name))
        if shape == "ellipse":
            a, b, pa = row.ellipse_a, row.ellipse_b, row.ellipse_pa
            if not np.all(np.isfinite([a, b, pa])):
                continue
            regs.append(EllipseSkyRegion(centre, width=2 * a * u.arcsec,
                                         height=2 * b * u.arcsec, angle=(pa + 90) * u.deg,
                                         meta=meta, visual=visual))
        else:
            r = getattr(row, f"pos_err_{shape}")
            if not np.isfinite(r):
                continue
            regs.append(CircleSkyRegion(centre, radius=r * u.arcsec, meta=meta,
                                        visual=visual))
    if counterparts is not None:
        cp = _frame(counterparts)
        for row in cp.itertuples(index=False):
            label = str(getattr(row, "label", "")) if "label" in cp.columns else ""
            regs.append(PointSkyRegion(SkyCoord(row.ra, row.dec, unit="deg"),
                                       meta=RegionMeta(text=label) if label else None,
                                       visual=RegionVisual(color=COUNTERPART_COLOUR,
                                                           symbol="x")))
    Regions(regs).write(str(out), format="ds9", overwrite=True)
    return len(regs)


def _frame(rows: Any):
    import pandas as pd

    if isinstance(rows, pd.DataFrame):
        return rows
    return rows.to_pandas() if hasattr(rows, "to_pandas") else pd.DataFrame(rows)
