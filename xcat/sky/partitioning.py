"""Choose HATS partitions: the coarsest pixels holding at most ``max_rows`` rows each.

Same rule as hats-import's alignment: start from counts at ``highest_order`` and
merge four siblings into their parent while the parent stays under the threshold.
Works on the sparse set of occupied pixels, so it is cheap for any catalog size.
"""

from __future__ import annotations

import numpy as np

from xcat.sky import healpix


def choose_partitions(h29_sorted: np.ndarray, max_rows: int,
                      highest_order: int = 10) -> list[tuple[int, int]]:
    """Return ``[(order, pixel), ...]`` in nested (= sort) order covering every row.

    Parameters
    ----------
    h29_sorted : numpy.ndarray
        Sorted ``_healpix_29`` values of the catalog.
    max_rows : int
        Largest number of rows a partition may hold (unless a single pixel at
        ``highest_order`` holds more, which then becomes its own partition).
    highest_order : int
        Finest partition order considered.

    Examples
    --------
    >>> import numpy as np
    >>> choose_partitions(np.array([0, 1, 2], dtype=np.int64), max_rows=10)
    [(0, 0)]

    """
    if len(h29_sorted) == 0:
        return []
    top = np.asarray(healpix.to_order(h29_sorted, highest_order))
    if np.any(top[1:] < top[:-1]):  # unsorted input still gives the same answer
        top = np.sort(top)
    # occupied pixels at highest_order and their row counts, straight from the sorted values
    starts = np.flatnonzero(np.concatenate(([True], top[1:] != top[:-1])))
    leaves = top[starts]
    counts = np.diff(np.append(starts, len(top)))
    return partitions_from_counts(leaves, counts, max_rows, highest_order)


def partitions_from_counts(leaves: np.ndarray, counts: np.ndarray, max_rows: int,
                           highest_order: int = 10) -> list[tuple[int, int]]:
    """The coarsest pixels holding at most ``max_rows`` rows each, from the row counts of
    the occupied pixels ``leaves`` (sorted) at ``highest_order``: the rule of
    :func:`choose_partitions` for inputs counted chunk by chunk.

    Examples
    --------
    >>> partitions_from_counts(np.array([0, 1, 2]), np.array([1, 1, 1]), 10)
    [(0, 0)]
    """
    if len(leaves) == 0:
        return []
    # pix_at[k]: occupied pixels at order k (sorted); ok_at[k]: whether their whole subtree
    # fits; up_at[k]: index in pix_at[k - 1] of each pixel's parent
    pix_at = {highest_order: np.asarray(leaves, np.int64)}
    ok_at = {highest_order: np.ones(len(leaves), dtype=bool)}
    up_at: dict[int, np.ndarray] = {}
    cnt = np.asarray(counts, np.int64)
    for k in range(highest_order - 1, -1, -1):
        parent = pix_at[k + 1] >> 2
        new = np.concatenate(([True], parent[1:] != parent[:-1]))
        first = np.flatnonzero(new)
        up_at[k + 1] = np.cumsum(new) - 1
        sums = np.add.reduceat(cnt, first)
        all_ok = np.logical_and.reduceat(ok_at[k + 1], first)
        pix_at[k] = parent[first]
        ok_at[k] = all_ok & (sums <= max_rows)
        cnt = sums
    # a fitting pixel has fitting children, so each leaf belongs to its coarsest fitting
    # ancestor: the fitting pixels whose parent does not fit (every leaf itself "fits", so a
    # single dense pixel at highest_order stays a leaf)
    orders, pixels = [], []
    for k in range(highest_order + 1):
        chosen = ok_at[k] if k == 0 else ok_at[k] & ~ok_at[k - 1][up_at[k]]
        pixels.append(pix_at[k][chosen])
        orders.append(np.full(len(pixels[-1]), k, dtype=np.int64))
    order_arr, pixel_arr = np.concatenate(orders), np.concatenate(pixels)
    sort = np.argsort(pixel_arr << (2 * (highest_order - order_arr)), kind="stable")
    return list(zip(order_arr[sort].tolist(), pixel_arr[sort].tolist(), strict=True))
