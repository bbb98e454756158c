"""Every pair within a radius of two catalogs held in memory, exactly, and the ranking of
a pair set.

:func:`pairs_within` sorts the right catalog by its order-29 HEALPix index and runs the
partition-wise engine's kernel (:func:`xcat.sky.cells.unit_pairs`) over the whole sky as
one unit: one kernel for stored and in-memory catalogs.

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

import numpy as np

from xcat.sky import cells, healpix


def pairs_within(ra1: np.ndarray, dec1: np.ndarray, ra2: np.ndarray, dec2: np.ndarray,
                 radius_deg: float, *, chunk: int | None = None, sort: bool = True,
                 with_pa: bool = False) -> tuple[np.ndarray, ...]:
    """Every (left, right) pair closer than ``radius_deg`` (inclusive), exactly.

    Parameters
    ----------
    ra1, dec1, ra2, dec2 : ndarray
        Positions of the left and right catalogs in degrees.
    radius_deg : float
        Match radius in degrees (the largest radius, when pairs get per-source radii).
    chunk : int, optional
        Left rows per work unit (bounds memory; default :data:`xcat.sky.cells.CHUNK`).
    sort : bool
        Sort the pairs by left row, separation, right row.
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
    ra1, dec1 = np.asarray(ra1, dtype=np.float64), np.asarray(dec1, dtype=np.float64)
    ra2, dec2 = np.asarray(ra2, dtype=np.float64), np.asarray(dec2, dtype=np.float64)
    h1 = healpix.radec_to_healpix29(ra1, dec1) if len(ra1) else np.empty(0, np.int64)
    h2 = healpix.radec_to_healpix29(ra2, dec2) if len(ra2) else np.empty(0, np.int64)
    by = np.argsort(h2, kind="stable")
    li, rj, sep, pa_deg = cells.unit_pairs(ra1, dec1, h1, [h2[by]], [ra2[by]], [dec2[by]],
                                           radius_deg, with_pa=with_pa,
                                           chunk=chunk)
    rj = by[rj]
    out = (li, rj, sep, pa_deg) if with_pa else (li, rj, sep)
    if not sort:
        return out
    order = pair_order(li, sep, rj)
    return tuple(np.take(x, order) for x in out)


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


def rank_by_left(left_index: np.ndarray, sep: np.ndarray, right_index: np.ndarray,
                 order: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Rank (1 = nearest) of each pair among its left row's candidates, and their count
    (``order``: ``pair_order(left_index, sep, right_index)`` when already known).

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
    if order is None:
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
