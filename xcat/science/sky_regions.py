"""Which sky positions lie in a host galaxy or a cone: the selections of ``xcat coverage``,
``xcat counts`` and the corrected XLF (a host's ellipse or radius decides as in the
``source_hosts`` view; a cone is ``'RA DEC RADIUS'``).

Examples
--------
>>> parse_region("210.80 54.35 10arcmin")
(210.8, 54.35, 0.16666666666666666)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from xcat import resources
from xcat.errors import XcatError
from xcat.sky.units import require_quantity
from xcat.store.db import Database


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
