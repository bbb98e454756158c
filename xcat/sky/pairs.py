"""The cross-match engine on NumPy arrays: every pair within a radius, exactly.

Candidates come from declination zones of height ``4 * radius`` (the right catalog sorted
by zone, then RA, with one int64 sort of packed (key, row) values): each left source looks
into the one or two zones its declination range ``dec +- radius`` touches, inside an RA
window that widens with declination, wraps at RA = 0/360 and opens to the whole ring near
the poles. Every candidate then gets the exact great-circle separation (the Vincenty
formula astropy uses), so the pair set equals brute force. Both catalogs are sorted by
the zone key first, so the window look-ups walk the sorted keys forwards; work is split
into chunks of left sources, which bounds the memory.

Examples
--------
>>> import numpy as np
>>> i, j, sep = pairs_within(np.array([10.0]), np.array([20.0]),
...                          np.array([10.0, 10.001, 11.0]), np.array([20.0, 20.0, 20.0]),
...                          5 / 3600)
>>> i.tolist(), j.tolist(), np.round(sep * 3600, 3).tolist()
([0, 0], [0, 1], [0.0, 3.383])

"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from xcat.sky.spherical import ra_half_width, vincenty

ZONE_STRIDE = 400.0  # zone key = zone * 400 + ra: RA (< 360) never reaches the next zone
DEFAULT_CHUNK = 65_536
ZONE_RADII = 4.0  # zone height in radii: half the rows look into 1 zone, half into 2


@dataclass
class SortedRight:
    """The right catalog sorted by (declination zone, RA), ready for window look-ups."""

    zone_height: float
    key: np.ndarray      # zone * ZONE_STRIDE + ra, sorted; int64 floor(that * scale) if scale
    order: np.ndarray    # index into the original right arrays
    pad: float           # float tolerance of ``key`` (window bounds are widened by it)
    scale: float = 0.0   # > 0: ``key`` is quantised (see :func:`_packed_argsort`)

    def find(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Sorted rows ``[start, stop)`` holding every key in ``[lo, hi]``, shape (n, 2).

        Both bounds of a row go side by side into one look-up (they are close in ``key``).
        """
        bounds = np.empty((len(lo), 2))
        np.subtract(lo, self.pad, out=bounds[:, 0])
        # padded twice so that side="left" still keeps keys equal to the bound
        np.add(hi, 2 * self.pad, out=bounds[:, 1])
        if self.scale > 0:  # quantising is monotonic: the rows found are a superset
            bounds *= self.scale
            q = bounds.astype(np.int64)
            q[:, 1] += 1
            return np.searchsorted(self.key, q.ravel()).reshape(-1, 2)
        return np.searchsorted(self.key, bounds.ravel()).reshape(-1, 2)


def _unit_ra(ra: np.ndarray) -> np.ndarray:
    ra = np.asarray(ra, dtype=np.float64)
    if len(ra) and ra.min() >= 0.0 and ra.max() < 360.0:  # the usual case: np.mod is slow
        return ra.copy()
    out = np.mod(ra, 360.0)
    out[out >= 360.0] = 0.0
    return out


def _zone(dec: np.ndarray, height: float) -> np.ndarray:
    return np.floor((np.asarray(dec, dtype=np.float64) + 90.0) / height).astype(np.int64)


def _zone_height(radius_deg: float) -> float:
    return float(max(ZONE_RADII * radius_deg, 1e-9))


def _key_top(height: float) -> float:
    """An upper bound of every zone key (declinations up to +90)."""
    return (np.floor(180.0 / height) + 2.0) * ZONE_STRIDE


def _packed_argsort(key: np.ndarray, top: float
                    ) -> tuple[np.ndarray, np.ndarray, float] | None:
    """(order, sorted quantised keys, scale) from one int64 sort of ``(key * scale, row)``.

    ``key`` must lie in [0, top]; the quantised key ``int(key * scale)`` is monotonic in
    ``key``, and with the row number in the low bits a plain (SIMD) sort of int64 replaces
    a float argsort, several times faster. None when the values do not fit.
    """
    n = len(key)
    row_bits = max(1, (n - 1).bit_length())
    key_bits = 62 - row_bits
    if key_bits < 24 or not (n and key.min() >= 0.0 and key.max() <= top):
        return None  # (also when a key is NaN)
    scale = float(2**key_bits - 1) / top
    packed = (key * scale).astype(np.int64)
    packed <<= row_bits
    packed |= np.arange(n, dtype=np.int64)
    packed.sort()
    order = packed & ((1 << row_bits) - 1)
    packed >>= row_bits
    return order, packed, scale


def sort_right(ra: np.ndarray, dec: np.ndarray, radius_deg: float) -> SortedRight:
    """Sort the right catalog into declination zones of height ``ZONE_RADII * radius_deg``.

    ``ra`` must already be in [0, 360) (:func:`_unit_ra`). The order of equal keys is not
    kept (the pair set does not depend on it; the pairs are sorted afterwards).
    """
    height = _zone_height(radius_deg)
    key = _zone(dec, height).astype(np.float64)
    key *= ZONE_STRIDE
    key += ra
    top = _key_top(height)
    pad = max(1e-9, 8 * float(np.spacing(top + ZONE_STRIDE)))
    packed = _packed_argsort(key, top)
    if packed is not None and 1 / packed[2] <= radius_deg / 64:  # fine enough
        return SortedRight(height, packed[1], packed[0], pad, packed[2])
    order = np.argsort(key)  # the default sort is several times faster than "stable"
    return SortedRight(height, np.take(key, order), order, pad)


def _windows(right: SortedRight, ra: np.ndarray, dec: np.ndarray,
             radius_deg: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(owner, lo, hi): half-open ranges of sorted right rows to test for each left row.

    A left row looks into every zone its declination range ``dec +- radius`` touches (its
    own and at most one neighbour, zones being 4 radii high); the range is padded
    a little so that rounding never drops a zone.
    """
    n = len(ra)
    pad = radius_deg * 1e-9 + 1e-12
    height = right.zone_height
    z_mid = _zone(dec, height)
    z_lo = _zone(dec - (radius_deg + pad), height) - z_mid  # <= 0
    z_hi = _zone(dec + (radius_deg + pad), height) - z_mid  # >= 0
    half = ra_half_width(dec, radius_deg)
    full = half >= 180.0
    lo_ra, hi_ra = ra - half, ra + half
    # main window (clipped to [0, 360]) or the whole ring
    main_a = np.where(full, 0.0, np.maximum(lo_ra, 0.0))
    main_b = np.where(full, 360.0, np.minimum(hi_ra, 360.0))
    # wrapped parts past RA = 0 and RA = 360 concern few rows: look only those up
    wrap_lo = np.flatnonzero((~full) & (lo_ra < 0))
    wrap_hi = np.flatnonzero((~full) & (hi_ra >= 360.0))
    owners, los, his = [], [], []

    def look(sel: np.ndarray | None, zone: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
        base = zone.astype(np.float64)
        base *= ZONE_STRIDE
        found = right.find(base + a, base + b)
        owners.append(np.arange(n) if sel is None else sel)
        los.append(found[:, 0])
        his.append(found[:, 1])

    # the row's own zone first, then the zones below and above it that the declination
    # range reaches: each look-up's bounds then rise with the (zone, RA) order of the rows
    steps = [0]
    if n:
        steps += list(range(-1, int(z_lo.min()) - 1, -1)) + list(range(1, int(z_hi.max()) + 1))
    for dz in steps:
        if dz == 0:
            sel, zone, a, b = None, z_mid, main_a, main_b
        else:
            sel = np.flatnonzero((z_lo <= dz) & (dz <= z_hi))
            if len(sel) == 0:
                continue
            zone, a, b = z_mid[sel] + dz, main_a[sel], main_b[sel]
        look(sel, zone, a, b)
        for rows, first in ((wrap_lo, True), (wrap_hi, False)):
            if dz != 0 and len(rows):
                rows = rows[(z_lo[rows] <= dz) & (dz <= z_hi[rows])]
            if len(rows) == 0:
                continue
            if first:
                a, b = lo_ra[rows] + 360.0, np.full(len(rows), 360.0)
            else:
                a, b = np.zeros(len(rows)), hi_ra[rows] - 360.0
            look(rows, z_mid[rows] + dz, a, b)
    return np.concatenate(owners), np.concatenate(los), np.concatenate(his)


def _chunk_pairs(right: SortedRight, ra1: np.ndarray, dec1: np.ndarray, ra2: np.ndarray,
                 dec2: np.ndarray, radius_deg: float, offset: int, want_pa: bool = False
                 ) -> tuple[np.ndarray, ...]:
    owner, lo, hi = _windows(right, ra1, dec1, radius_deg)
    counts = hi - lo
    keep = counts > 0
    owner, lo, counts = owner[keep], lo[keep], counts[keep]
    total = int(counts.sum())
    if total == 0:
        empty = np.empty(0, np.int64)
        return (empty, empty) + (np.empty(0, np.float64),) * (2 if want_pa else 1)
    starts = np.cumsum(counts) - counts
    pos = np.arange(total, dtype=np.int64) - np.repeat(starts - lo, counts)
    li = np.repeat(owner, counts)
    rj = np.take(right.order, pos)
    sep, east, north = vincenty(np.take(ra1, li), np.take(dec1, li), np.take(ra2, rj),
                                 np.take(dec2, rj))
    ok = np.flatnonzero(sep <= radius_deg)
    out = (np.take(li, ok) + offset, np.take(rj, ok), np.take(sep, ok))
    if want_pa:  # as position_angle_deg computes it, from the same terms
        pa = np.degrees(np.arctan2(np.take(east, ok), np.take(north, ok)))
        out += (np.mod(pa, 360.0),)
    return out


def pairs_within(ra1: np.ndarray, dec1: np.ndarray, ra2: np.ndarray, dec2: np.ndarray,
                 radius_deg: float, *, chunk: int = DEFAULT_CHUNK,
                 threads: int | None = None, sort: bool = True, with_pa: bool = False
                 ) -> tuple[np.ndarray, ...]:
    """Every (left, right) pair closer than ``radius_deg`` (inclusive), exactly.

    Parameters
    ----------
    ra1, dec1, ra2, dec2 : ndarray
        Positions of the left and right catalogs in degrees.
    radius_deg : float
        Match radius in degrees (the largest radius, when pairs get per-source radii).
    chunk : int
        Left rows per work unit of the NumPy path (bounds memory).
    threads : int, optional
        Worker threads (default 1; measured no faster on a busy 2-core machine).
    sort : bool
        Sort the pairs by left row, separation, right row (else grouped by left zone).
    with_pa : bool
        Also return the position angle of each pair (:func:`position_angle_deg`).

    Returns
    -------
    left_index, right_index : ndarray of int64
        Row numbers into the input arrays, sorted by left row then separation.
    sep_deg : ndarray of float64
        Great-circle separation of each pair in degrees.
    pa_deg : ndarray of float64
        Only with ``with_pa``: position angle of the right row seen from the left one.

    Examples
    --------
    >>> i, j, s = pairs_within(np.array([359.9999]), np.array([0.0]),
    ...                        np.array([0.0001]), np.array([0.0]), 1 / 3600)
    >>> i.tolist(), j.tolist(), round(float(s[0]) * 3600, 2)
    ([0], [0], 0.72)

    """
    ra1, dec1 = _unit_ra(ra1), np.asarray(dec1, dtype=np.float64)
    ra2, dec2 = _unit_ra(ra2), np.asarray(dec2, dtype=np.float64)
    radius_deg = float(radius_deg)
    if len(ra1) == 0 or len(ra2) == 0 or not radius_deg >= 0:
        empty = np.empty(0, np.int64)
        return (empty, empty) + (np.empty(0, np.float64),) * (2 if with_pa else 1)
    workers = max(1, threads or 1)

    def sort_left() -> np.ndarray:
        # left rows in the same (zone, RA) order: the window look-ups then walk the sorted
        # right keys forwards, which keeps them in cache
        left_key = _zone(dec1, _zone_height(radius_deg)).astype(np.float64)
        left_key *= ZONE_STRIDE
        left_key += ra1
        packed = _packed_argsort(left_key, _key_top(_zone_height(radius_deg)))
        return packed[0] if packed is not None else np.argsort(left_key)

    pool = ThreadPoolExecutor(workers) if workers > 1 else None
    try:  # NumPy's sorts, look-ups and ufuncs drop the GIL
        if pool is not None:
            right_job = pool.submit(sort_right, ra2, dec2, radius_deg)
            left_order = sort_left()
            right = right_job.result()
        else:
            right, left_order = sort_right(ra2, dec2, radius_deg), sort_left()
        ra1, dec1 = np.take(ra1, left_order), np.take(dec1, left_order)
        bounds = [(s, min(s + chunk, len(ra1))) for s in range(0, len(ra1), chunk)]

        def work(b: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            s, e = b
            return _chunk_pairs(right, ra1[s:e], dec1[s:e], ra2, dec2, radius_deg, s, with_pa)

        parts = (list(pool.map(work, bounds)) if pool is not None and len(bounds) > 1
                 else [work(b) for b in bounds])
    finally:
        if pool is not None:
            pool.shutdown()
    li = np.take(left_order, np.concatenate([p[0] for p in parts]))
    rest = [np.concatenate([p[k] for p in parts]) for k in range(1, len(parts[0]))]
    if not sort:
        return (li, *rest)
    order = pair_order(li, rest[1], rest[0])
    return tuple(np.take(x, order) for x in (li, *rest))


def pair_order(first: np.ndarray, second: np.ndarray, third: np.ndarray) -> np.ndarray:
    """``np.lexsort((third, second, first))``, faster when few ``first`` values repeat.

    Sorts by ``first`` alone (a fast unstable sort), then re-sorts only the rows whose
    ``first`` value repeats by the full key: the result is the same permutation as the
    lexsort whenever no two rows share all three keys (true of pairs: (left, right) is
    unique).

    Examples
    --------
    >>> pair_order(np.array([3, 0, 0]), np.array([1.0, 2.0, 1.0]), np.array([0, 0, 1]))
    array([2, 1, 0])

    """
    n = len(first)
    if n < 2:
        return np.argsort(first)
    row_bits = (n - 1).bit_length()
    if (first.dtype.kind in "iu" and int(first.min()) >= 0
            and int(first.max()).bit_length() + row_bits <= 63):
        packed = first.astype(np.int64) << row_bits  # (first, row): one fast int64 sort
        packed |= np.arange(n, dtype=np.int64)
        packed.sort()
        order = packed & ((1 << row_bits) - 1)
    else:
        order = np.argsort(first)
    fs = np.take(first, order)
    dup = fs[1:] == fs[:-1]
    if not dup.any():
        return order
    rep = np.zeros(n, bool)
    rep[1:] = dup
    rep[:-1] |= dup
    at = np.flatnonzero(rep)  # runs of equal ``first``, in sorted order
    sub = np.take(order, at)
    sub = sub[np.lexsort((np.take(third, sub), np.take(second, sub), np.take(first, sub)))]
    order[at] = sub
    return order


def rank_by_left(left_index: np.ndarray, sep: np.ndarray, right_index: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Rank (1 = nearest) of each pair among its left row's candidates, and their count.

    Examples
    --------
    >>> rank_by_left(np.array([0, 0, 1]), np.array([2.0, 1.0, 3.0]), np.array([0, 1, 0]))
    (array([2, 1, 1], dtype=int32), array([2, 2, 1], dtype=int32))

    """
    n = len(left_index)
    rank = np.empty(n, np.int32)
    n_cand = np.empty(n, np.int32)
    if n == 0:
        return rank, n_cand
    order = pair_order(left_index, sep, right_index)
    lsorted = np.take(left_index, order)
    new = np.ones(n, bool)
    new[1:] = lsorted[1:] != lsorted[:-1]
    group_start = np.maximum.accumulate(np.where(new, np.arange(n), 0))
    rank[order] = (np.arange(n) - group_start + 1).astype(np.int32)
    starts = np.flatnonzero(new)
    sizes = np.diff(np.append(starts, n))
    n_cand[order] = np.repeat(sizes, sizes).astype(np.int32)
    return rank, n_cand


def counts_within(ra1: np.ndarray, dec1: np.ndarray, ra2: np.ndarray, dec2: np.ndarray,
                  radius_deg: float) -> np.ndarray:
    """Number of right rows within ``radius_deg`` of each left row.

    Examples
    --------
    >>> counts_within(np.array([0.0, 50.0]), np.array([0.0, 0.0]),
    ...               np.array([0.0, 0.0, 10.0]), np.array([0.0, 0.0001, 0.0]), 1 / 3600)
    array([2, 0])

    """
    li, _, _ = pairs_within(ra1, dec1, ra2, dec2, radius_deg)
    return np.bincount(li, minlength=len(ra1))
