"""Choose HATS partitions: the coarsest pixels holding at most ``max_rows`` rows each.

Same rule as hats-import's alignment: start from counts at ``highest_order`` and
merge four siblings into their parent while the parent stays under the threshold.
Works on the sparse set of occupied pixels, so it is cheap for any catalog size.
"""

from __future__ import annotations

import numpy as np

from xcat import healpix


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
    leaves, counts = np.unique(healpix.to_order(h29_sorted, highest_order), return_counts=True)
    # ok[k]: occupied pixels at order k (sorted) and whether their whole subtree fits
    pix_at = {highest_order: leaves}
    ok_at = {highest_order: np.ones(len(leaves), dtype=bool)}
    cnt = counts
    for k in range(highest_order - 1, -1, -1):
        child = pix_at[k + 1]
        parent = child >> 2
        uniq, first = np.unique(parent, return_index=True)
        sums = np.add.reduceat(cnt, first)
        all_ok = np.logical_and.reduceat(ok_at[k + 1], first)
        pix_at[k] = uniq
        ok_at[k] = all_ok & (sums <= max_rows)
        cnt = sums
    assigned = np.full(len(leaves), -1, dtype=np.int64)
    for k in range(highest_order + 1):
        anc = leaves >> (2 * (highest_order - k))
        idx = np.searchsorted(pix_at[k], anc)
        good = ok_at[k][idx] & (assigned < 0)
        assigned[good] = k
    # leaves that never fit (a single dense order-`highest_order` pixel) stay leaves
    assigned[assigned < 0] = highest_order
    return sorted({(int(k), int(p >> (2 * (highest_order - k))))
                    for k, p in zip(assigned, leaves, strict=True)},
                   key=lambda kp: kp[1] << (2 * (highest_order - kp[0])))
