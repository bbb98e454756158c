"""The HEALPix shim: the only module that calls healpy.

healpy takes about a second to import (it loads matplotlib), so it is imported on the
first call that needs it, not when xcat is imported.

Everything is NESTED. Row indices are at order 29 (``_healpix_29``, int64, the
HATS convention); the parent at order k is ``h29 >> 2*(29-k)``.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

MAX_ORDER = 29


@functools.cache
def _healpy() -> Any:
    import healpy

    return healpy


def nside(order: int) -> int:
    """Nside of a HEALPix order."""
    return 1 << order


def radec_to_healpix29(ra: np.ndarray, dec: np.ndarray) -> np.ndarray:
    """Nested order-29 pixel of each (ra, dec) in degrees, as int64."""
    pix = _healpy().ang2pix(nside(MAX_ORDER), np.asarray(ra, dtype=np.float64),
                     np.asarray(dec, dtype=np.float64), nest=True, lonlat=True)
    return np.asarray(pix, dtype=np.int64)


def to_order(h29: np.ndarray | int, order: int) -> np.ndarray | int:
    """Parent pixel at ``order`` of order-29 indices."""
    return np.right_shift(h29, 2 * (MAX_ORDER - order))


def pixel_range29(order: int, pixel: int) -> tuple[int, int]:
    """Half-open range ``[lo, hi)`` of order-29 indices inside one pixel."""
    shift = 2 * (MAX_ORDER - order)
    return pixel << shift, (pixel + 1) << shift


def order_for_radius(radius_deg: float, max_order: int = 20) -> int:
    """A pixel order whose pixels are about half the radius across (bounded)."""
    # mean pixel size at order k is ~58.63 deg / 2**k
    k = int(np.floor(np.log2(58.63 / max(radius_deg * 0.5, 1e-9))))
    return int(min(max(k, 0), max_order))


def cone_ranges29(ra: float, dec: float, radius_deg: float,
                  order: int | None = None) -> np.ndarray:
    """Merged half-open order-29 index ranges covering a cone, shape (n, 2).

    Uses ``healpy.query_disc(inclusive=True)``, which may over-cover but never
    misses a pixel that overlaps the disc; the exact distance test comes after.
    """
    if order is None:
        order = order_for_radius(radius_deg)
    vec = _healpy().ang2vec(ra, dec, lonlat=True)
    # a small relative pad so that a point exactly on the circle is never lost
    pad = max(radius_deg * 1e-9, 1e-12)
    pix = _healpy().query_disc(nside(order), vec, np.radians(radius_deg + pad),
                        inclusive=True, nest=True, fact=4)
    return ranges_from_pixels(np.sort(np.asarray(pix, dtype=np.int64)), order)


def ranges_from_pixels(pixels: np.ndarray, order: int) -> np.ndarray:
    """Merge sorted pixels at ``order`` into half-open order-29 ranges."""
    if len(pixels) == 0:
        return np.empty((0, 2), dtype=np.int64)
    breaks = np.nonzero(np.diff(pixels) != 1)[0]
    starts = np.concatenate(([pixels[0]], pixels[breaks + 1]))
    ends = np.concatenate((pixels[breaks], [pixels[-1]])) + 1
    shift = 2 * (MAX_ORDER - order)
    return np.stack([starts << shift, ends << shift], axis=1).astype(np.int64)


def neighbours(order: int, pixels: np.ndarray) -> np.ndarray:
    """The 8 (or 7) neighbours of each nested pixel, shape (8, n); -1 where none."""
    theta, phi = _healpy().pix2ang(nside(order), pixels, nest=True)
    return _healpy().get_all_neighbours(nside(order), theta, phi, nest=True)


def pixel_area_deg2(order: int) -> float:
    """Area of one pixel at ``order`` in square degrees."""
    return float(_healpy().nside2pixarea(nside(order), degrees=True))


def sky_fraction(order: int, n_pixels: int) -> float:
    """Fraction of the sky covered by ``n_pixels`` pixels at ``order``."""
    return n_pixels / (12 * 4**order)


def plot_count_map(ra: np.ndarray, dec: np.ndarray, order: int, fig, title: str = "") -> None:
    """Mollweide map of source counts per HEALPix pixel at ``order`` into ``fig``."""
    npix = 12 * 4**order
    counts = np.bincount(_healpy().ang2pix(nside(order), ra, dec, nest=True, lonlat=True),
                         minlength=npix).astype(float)
    counts[counts == 0] = _healpy().UNSEEN
    import warnings

    with warnings.catch_warnings():  # healpy reuses the figure we made for it
        warnings.simplefilter("ignore", UserWarning)
        _healpy().mollview(counts, nest=True, fig=fig.number, title=title,
                    unit="sources per pixel (ICRS)", cmap="viridis")
    _healpy().graticule(dpar=30, dmer=60)


def radec_to_pixel(ra: np.ndarray, dec: np.ndarray, order: int) -> np.ndarray:
    """Nested pixel at ``order`` of each (ra, dec) in degrees, as int64."""
    pix = _healpy().ang2pix(nside(order), np.asarray(ra, dtype=np.float64),
                            np.asarray(dec, dtype=np.float64), nest=True, lonlat=True)
    return np.asarray(pix, dtype=np.int64)


def pixel_centres(order: int, pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(ra, dec) in degrees of the centres of nested pixels at ``order``."""
    ra, dec = _healpy().pix2ang(nside(order), np.asarray(pixels, dtype=np.int64), nest=True,
                                lonlat=True)
    return np.asarray(ra, dtype=np.float64) % 360.0, np.asarray(dec, dtype=np.float64)


def read_map(path: str, hdu: int = 1, partial: bool = False) -> tuple[np.ndarray, int]:
    """A HEALPix map in healpy's FITS format, NESTED, as float64 with NaN where the map
    is UNSEEN; and its order. Raises ValueError/OSError/TypeError as healpy does.
    """
    hp = _healpy()
    values = hp.read_map(path, field=0, nest=True, hdu=hdu, partial=partial,
                         dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    values[values == hp.UNSEEN] = np.nan
    n = hp.npix2nside(len(values))
    return values, int(n).bit_length() - 1
