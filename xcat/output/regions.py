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
#: Columns a region of each shape needs beyond ra, dec and name.
SHAPE_COLUMNS = {"r68": ("pos_err_r68",), "r95": ("pos_err_r95",),
                 "ellipse": ("ellipse_a", "ellipse_b", "ellipse_pa")}
#: Class columns looked for, in order (samples call the current class current_class).
CLASS_COLUMNS = ("class", "current_class")
ERROR_COLUMNS_SQL = ("SELECT name, pos_err_r68, pos_err_r95, ellipse_a, ellipse_b, ellipse_pa "
                     "FROM xray_sources WHERE name IN (SELECT unnest($names))")


def write_regions(sources: Any, out: str | Path, *, shape: str = "r95",
                  counterparts: Any | None = None, class_column: str | None = None) -> int:
    """Write sources (astropy Table or pandas) as DS9 regions; return the region count.

    ``sources`` needs ``ra``, ``dec`` and ``name``; ``shape`` picks the circle radius
    column (``pos_err_r68`` / ``pos_err_r95``, arcsec) or ``ellipse``
    (``ellipse_a``, ``ellipse_b``, ``ellipse_pa``). ``counterparts`` (with ``ra``,
    ``dec`` and optionally ``label``) are drawn as ``x`` points. Sources are coloured by
    ``class_column`` (default: ``class``, else ``current_class``; see ``CLASS_COLOURS``).

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
    if class_column is None:
        class_column = next((c for c in CLASS_COLUMNS if c in df.columns), None)
    regs = []
    # records, not itertuples: namedtuples rename fields such as ``class`` (a keyword)
    for row in df.to_dict("records"):
        centre = SkyCoord(row["ra"], row["dec"], unit="deg")
        cls = row.get(class_column) if class_column else None
        visual = RegionVisual(color=CLASS_COLOURS.get(str(cls), DEFAULT_COLOUR))
        meta = RegionMeta(text=str(row["name"]))
        if shape == "ellipse":
            a, b, pa = row["ellipse_a"], row["ellipse_b"], row["ellipse_pa"]
            if not np.all(np.isfinite([a, b, pa])):
                continue
            regs.append(EllipseSkyRegion(centre, width=2 * a * u.arcsec,
                                         height=2 * b * u.arcsec, angle=(pa + 90) * u.deg,
                                         meta=meta, visual=visual))
        else:
            r = row[f"pos_err_{shape}"]
            if r is None or not np.isfinite(r):
                continue
            regs.append(CircleSkyRegion(centre, radius=r * u.arcsec, meta=meta,
                                        visual=visual))
    if counterparts is not None:
        cp = _frame(counterparts)
        for row in cp.to_dict("records"):
            label = str(row.get("label") or "")
            # regions >= 0.8 writes DS9's point=x from the matplotlib-style "marker"
            regs.append(PointSkyRegion(SkyCoord(row["ra"], row["dec"], unit="deg"),
                                       meta=RegionMeta(text=label) if label else None,
                                       visual=RegionVisual(color=COUNTERPART_COLOUR,
                                                           marker="x")))
    Regions(regs).write(str(out), format="ds9", overwrite=True)
    return len(regs)


def with_error_columns(store: Any, rows: Any, shape: str) -> Any:
    """``rows`` (a DataFrame) with the error columns ``shape`` needs added from
    ``xray_sources`` by source name when the rows lack them (saved samples such as
    ``xrb_candidates`` carry only ``pos_err_r95``). Rows without ``name`` are returned as
    they are (:func:`write_regions` then names what is missing).
    """
    df = _frame(rows)
    missing = [c for c in SHAPE_COLUMNS.get(shape, ()) if c not in df.columns]
    if not missing or "name" not in df.columns or df.empty:
        return df
    errs = store.sql(ERROR_COLUMNS_SQL, {"names": df["name"].astype(str).tolist()})
    errs = errs.drop_duplicates()[["name", *missing]].drop_duplicates()
    twice = errs["name"][errs["name"].duplicated()]
    if len(twice):
        raise XcatError(f"source name '{twice.iloc[0]}' is in several X-ray catalogs: select "
                        f"{', '.join(missing)} in the query (e.g. from xray_sources)")
    return df.merge(errs, on="name", how="left")


def _frame(rows: Any):
    import pandas as pd

    if isinstance(rows, pd.DataFrame):
        return rows
    return rows.to_pandas() if hasattr(rows, "to_pandas") else pd.DataFrame(rows)
