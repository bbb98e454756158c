"""The valid-data region of an image (XRBID's Bounds for chip gaps and mosaic edges):
pixels that are finite and non-zero, and, with a weight map, whose weight reaches a
minimum. Its boundary is stored as sky segments (``footprint_edges``) that the
``source_footprints`` view counts with the same even-odd ray test as polygon edges.

The boundary runs along pixel edges (pixel k covers k-0.5 .. k+0.5, 0-based), merged
into runs of at most ``MAX_RUN`` pixels so a distorted WCS is followed; for a TAN image
each run is a great circle and the test is exact. Every boundary is moved ``EDGE_PIX``
pixels outwards, so a source exactly on the edge of valid data counts as In (floating
point cannot put it on one side reliably otherwise).

Examples
--------
>>> import numpy as np
>>> valid = np.ones((4, 6), bool); valid[:, 3:] = False     # half of the image empty
>>> len(boundary_runs(valid))                               # one rectangle: 4 sides
4
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np

from xcat.errors import XcatError

#: Longest straight run of boundary, in pixels (follows distortion).
MAX_RUN = 64
#: Outward shift of the boundary, in pixels (a source on the edge is In).
EDGE_PIX = 1e-6


def valid_mask(data: np.ndarray, weight: np.ndarray | None = None,
               min_weight: float | None = None) -> np.ndarray:
    """Pixels with data: finite and non-zero, and (with a weight map) weight >= min_weight
    (> 0 when no minimum is given).

    Examples
    --------
    >>> valid_mask(np.array([[1.0, np.nan, 0.0, 2.0]])).tolist()
    [[True, False, False, True]]
    >>> valid_mask(np.ones((1, 3)), np.array([[0.0, 0.4, 0.9]]), 0.5).tolist()
    [[False, False, True]]
    """
    data = np.asarray(data, dtype=float)
    ok = np.isfinite(data) & (data != 0)
    if weight is not None:
        weight = np.asarray(weight, dtype=float)
        if weight.shape != data.shape:
            raise XcatError(f"the weight map is {weight.shape[::-1]} pixels, the image "
                            f"{data.shape[::-1]}")
        good = np.isfinite(weight)
        ok &= good & ((weight >= min_weight) if min_weight is not None else (weight > 0))
    elif min_weight is not None:
        raise XcatError("--min-weight needs a weight map (--weight FILE)")
    return ok


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of each run of True in a 1-D array, split at MAX_RUN."""
    f = np.concatenate([[False], flags, [False]]).astype(np.int8)
    d = np.diff(f)
    out = []
    for a, b in zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1), strict=True):
        out.extend((s, min(s + MAX_RUN, b)) for s in range(a, b, MAX_RUN))
    return out


def boundary_runs(valid: np.ndarray) -> list[tuple[float, float, float, float]]:
    """Segments (x1, y1, x2, y2) in 0-based pixel coordinates between valid pixels and
    invalid pixels or the image border, each moved EDGE_PIX outwards and lengthened by
    EDGE_PIX at both ends (so corners overlap instead of leaving a gap).
    """
    ny, nx = valid.shape
    pad = np.zeros((ny + 2, nx + 2), bool)
    pad[1:-1, 1:-1] = valid
    e = EDGE_PIX
    segs: list[tuple[float, float, float, float]] = []
    # vertical edges at x = i - 0.5 between columns i-1 and i (i = 0..nx)
    diff_v = pad[1:-1, 1:] != pad[1:-1, :-1]          # (ny, nx + 1)
    for i in range(nx + 1):
        col = diff_v[:, i]
        if not col.any():
            continue
        left_valid = pad[1:-1, i]                       # pixel i-1 valid (padded index i)
        for valid_side in (True, False):
            sel = col & (left_valid == valid_side)
            shift = e if valid_side else -e             # move towards the invalid side
            for a, b in _runs(sel):
                x = i - 0.5 + shift
                segs.append((x, a - 0.5 - e, x, b - 0.5 + e))
    # horizontal edges at y = j - 0.5 between rows j-1 and j (j = 0..ny)
    diff_h = pad[1:, 1:-1] != pad[:-1, 1:-1]          # (ny + 1, nx)
    for j in range(ny + 1):
        row = diff_h[j]
        if not row.any():
            continue
        below_valid = pad[j, 1:-1]
        for valid_side in (True, False):
            sel = row & (below_valid == valid_side)
            shift = e if valid_side else -e
            for a, b in _runs(sel):
                y = j - 0.5 + shift
                segs.append((a - 0.5 - e, y, b - 0.5 + e, y))
    return segs


def read_plane(path: Path, hdu: int | None, what: str) -> np.ndarray | None:
    """The 2-D data of ``hdu`` (default: the first 2-D image HDU with a WCS), or None
    for a text header.
    """
    from astropy.io import fits

    if path.suffix.lower() in (".hdr", ".txt", ".head"):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with fits.open(path) as hdul:
                hdus = [hdul[hdu]] if hdu is not None else [
                    h for h in hdul if h.header.get("NAXIS", 0) >= 2
                    and (what == "weight map" or "CTYPE1" in h.header)]
                if not hdus or hdus[0].data is None:
                    return None
                data = np.asarray(hdus[0].data)
    except (OSError, IndexError, ValueError) as exc:
        raise XcatError(f"{path}: cannot read the {what} ({exc})") from exc
    data = np.squeeze(data)
    if data.ndim != 2:
        raise XcatError(f"{path}: the {what} is not a 2-D image")
    return data


def mask_edges(header: Any, valid: np.ndarray) -> np.ndarray:
    """Boundary segments of the valid pixels on the sky: ``(n, 4)`` ra1, dec1, ra2, dec2."""
    from astropy.wcs import WCS

    ny, nx = header.get("NAXIS2"), header.get("NAXIS1")
    if valid.shape != (ny, nx):
        raise XcatError(f"the image is {valid.shape[::-1]} pixels, its header says "
                        f"({nx}, {ny})")
    segs = np.array(boundary_runs(valid), dtype=float).reshape(-1, 4)
    if not len(segs):
        return np.zeros((0, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = WCS(header).celestial
    ra1, dec1 = w.all_pix2world(segs[:, 0], segs[:, 1], 0)
    ra2, dec2 = w.all_pix2world(segs[:, 2], segs[:, 3], 0)
    return np.column_stack([np.asarray(ra1) % 360.0, dec1, np.asarray(ra2) % 360.0, dec2])
