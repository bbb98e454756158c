"""Which rows lie near which HEALPix partitions: the margin of a partition, as HATS
margin caches hold it, and the partitions a position's neighbourhood reaches.

A point within ``threshold`` of a partition lies in one of the order-``m`` pixels
touching it, when order-``m`` pixels are wide enough: with ``0.25 * resolution(m) >=
threshold`` (:func:`margin_order`) every point within the threshold of a point ``x``
falls in ``x``'s own order-``m`` pixel or one of its 8 neighbours (measured: the
property holds up to 0.6 resolutions at orders 2 to 11, poles included; the factor
leaves 2.4x to spare). So a row belongs to the margin of every partition that its
order-``m`` pixel and that pixel's neighbours overlap, its own excepted: a superset of
the rows within the threshold (the exact distance test comes later), never missing one.

Examples
--------
>>> margin_order(10 / 3600)
12
"""

from __future__ import annotations

import math

import numpy as np

from xcat.sky import healpix


def resolution_deg(order: int) -> float:
    """Square root of a pixel's area at ``order``, in degrees."""
    return math.degrees(math.sqrt(4 * math.pi / (12 * 4**order)))


def margin_order(threshold_deg: float, *, cap: int = healpix.MAX_ORDER) -> int:
    """The finest order whose pixels' neighbours hold every point within the threshold.

    Examples
    --------
    >>> margin_order(1.0), margin_order(60 / 3600)
    (3, 9)
    """
    order = 0
    while order < cap and 0.25 * resolution_deg(order + 1) >= threshold_deg:
        order += 1
    return order


def partition_bounds(parts: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """Half-open order-29 ranges ``(lo, hi)`` of partitions given in nested order."""
    lo = np.empty(len(parts), np.int64)
    hi = np.empty(len(parts), np.int64)
    for i, (order, pixel) in enumerate(parts):
        lo[i], hi[i] = healpix.pixel_range29(order, pixel)
    if len(parts) > 1 and np.any(lo[1:] < hi[:-1]):
        raise ValueError("partitions must be disjoint and in nested order")
    return lo, hi


def home_partition(h29: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Index of the partition holding each order-29 index, or -1 where none does."""
    if len(lo) == 0:
        return np.full(len(h29), -1, np.int64)
    i = np.searchsorted(lo, h29, side="right") - 1
    ok = (i >= 0) & (h29 < np.take(hi, np.maximum(i, 0)))
    return np.where(ok, i, -1)


def near_partitions(h29: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                    threshold_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """``(row, partition)`` for every partition within the threshold of each row's
    position (a superset), the row's own partition included.

    Work is done per occupied order-``m`` pixel, so dense catalogs cost little more
    than sparse ones.
    """
    if len(h29) == 0 or len(lo) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    m = margin_order(threshold_deg)
    shift = 2 * (healpix.MAX_ORDER - m)
    pix = np.right_shift(h29, shift)
    if np.all(pix[1:] >= pix[:-1]):  # sorted (a partition's rows): no sort needed
        new = np.concatenate(([True], pix[1:] != pix[:-1]))
        upix, row_pix = pix[new], np.cumsum(new) - 1
    else:
        upix, row_pix = np.unique(pix, return_inverse=True)
    around = np.vstack([upix[None, :], healpix.neighbours(m, upix)])  # (9, n_pixels)
    owner = np.broadcast_to(np.arange(len(upix)), around.shape).ravel()
    around = around.ravel()
    ok = around >= 0
    owner, around = owner[ok], around[ok]
    # partitions overlapping each pixel's range [a, b)
    a, b = np.left_shift(around, shift), np.left_shift(around + 1, shift)
    first = np.searchsorted(hi, a, side="right")
    last = np.searchsorted(lo, b, side="left")
    count = np.maximum(last - first, 0)
    pix_of = np.repeat(owner, count)
    part = np.repeat(first, count) + (np.arange(int(count.sum()))
                                      - np.repeat(np.cumsum(count) - count, count))
    # one (pixel, partition) each, then spread over the rows of each pixel
    key = np.unique(pix_of * len(lo) + part)
    pix_of, part = key // len(lo), key % len(lo)
    order = np.argsort(row_pix, kind="stable")
    starts = np.searchsorted(row_pix[order], np.arange(len(upix)))
    sizes = np.diff(np.append(starts, len(h29)))
    rows = _spread(order, starts, sizes, pix_of)
    return rows.astype(np.int64), np.repeat(part, sizes[pix_of]).astype(np.int64)


def _spread(order: np.ndarray, starts: np.ndarray, sizes: np.ndarray,
            pix_of: np.ndarray) -> np.ndarray:
    """Rows of pixel ``pix_of[i]`` for every ``i``, concatenated (vectorised)."""
    n = sizes[pix_of]
    base = np.repeat(starts[pix_of] - (np.cumsum(n) - n), n)
    return np.take(order, base + np.arange(int(n.sum())))


def _compact(v: np.ndarray) -> np.ndarray:
    """The even bits of ``v`` packed together (a Morton code's x coordinate)."""
    v = v & 0x5555555555555555
    v = (v | (v >> 1)) & 0x3333333333333333
    v = (v | (v >> 2)) & 0x0F0F0F0F0F0F0F0F
    v = (v | (v >> 4)) & 0x00FF00FF00FF00FF
    v = (v | (v >> 8)) & 0x0000FFFF0000FFFF
    return (v | (v >> 16)) & 0x00000000FFFFFFFF


def on_edge(h29: np.ndarray, order: np.ndarray, m: int) -> np.ndarray:
    """Whether each row's order-``m`` pixel touches the edge of its order-``order``
    ancestor (always, where ``m <= order``): in the nested scheme the low bits of a
    pixel interleave its (x, y) inside the ancestor, so the edge is x or y at 0 or max.

    Examples
    --------
    Order-2 pixels 0, 3 and 15 of base pixel 0 are at (x, y) = (0, 0), (1, 1), (3, 3):

    >>> on_edge(np.array([0, 3 << 54, 15 << 54]), np.array([0, 0, 0]), 2).tolist()
    [True, False, True]
    """
    depth = m - np.asarray(order, dtype=np.int64)
    out = depth <= 0
    deep = np.flatnonzero(~out)
    if len(deep):
        d = depth[deep]
        pix = np.right_shift(h29[deep], 2 * (healpix.MAX_ORDER - m))
        local = pix & ((np.int64(1) << (2 * d)) - 1)
        x, y = _compact(local), _compact(local >> 1)
        top = (np.int64(1) << d) - 1
        out[deep] = (x == 0) | (y == 0) | (x == top) | (y == top)
    return out


def margin_rows(h29: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                threshold_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """``(row, partition)``: each row in the margin of a partition other than its own
    (a superset of the rows within ``threshold_deg`` of that partition).
    """
    home = home_partition(h29, lo, hi)
    order = healpix.MAX_ORDER - (np.log2(np.take(hi - lo, np.maximum(home, 0))) / 2)
    # only rows whose margin-order pixel touches their partition's edge can be near
    # another partition (the pixel's neighbours are inside it otherwise)
    edge = np.flatnonzero(on_edge(h29, order.astype(np.int64),
                                  margin_order(threshold_deg)) | (home < 0))
    rows, parts = near_partitions(h29[edge], lo, hi, threshold_deg)
    rows = edge[rows]
    keep = parts != home[rows]
    return rows[keep], parts[keep]
