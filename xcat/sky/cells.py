"""The cross-match kernel on the stored HEALPix order: every pair within a radius, exactly,
without sorting the right rows again.

Rows are stored sorted by their order-29 nested index (``_healpix_29``), and a HEALPix
pixel at any order is one contiguous range of those indices, so the right rows in a
pixel are found by two binary searches over arrays already in that order. With ``m =
margin_order(radius)`` every point within the radius of a position ``x`` lies in ``x``'s
order-``m`` pixel or one of its 8 neighbours (:mod:`xcat.sky.margins`), which gives the
candidates of any row. Most rows need fewer look-ups: when ``x``'s order-``m`` pixel does
not touch the edge of its order-``c`` ancestor (``c < m``), those 8 neighbours lie inside
the ancestor, whose one range then holds every candidate (*interior* rows); otherwise
the distinct order-``c`` ancestors of the 9 pixels do (*edge* rows: 2 to 4 ranges). A
coarse ``c`` makes more rows interior but puts more rows in each range, so each left row
starts at ``c = m - INTERIOR_DEPTH`` and moves to finer orders only while it has more
than :data:`MAX_CANDIDATES` candidates (dense fields refine, sparse ones stop at once).
A first cut on declination and the exact great-circle test (the Vincenty formula astropy
uses) follow, so the pair set equals brute force.

The right side may come as several blocks, each sorted: a partition's own rows, then its
margin rows. Given the partition, a pixel at least as fine as the partition is searched
only in the block that can hold it.

Examples
--------
>>> import numpy as np
>>> from xcat.sky import healpix
>>> ra2, dec2 = np.array([10.0, 10.001, 11.0]), np.array([20.0, 20.0, 20.0])
>>> h2 = healpix.radec_to_healpix29(ra2, dec2)
>>> o = np.argsort(h2)
>>> i, j, sep, _ = unit_pairs(np.array([10.0]), np.array([20.0]),
...                           healpix.radec_to_healpix29(np.array([10.0]), np.array([20.0])),
...                           [h2[o]], [ra2[o]], [dec2[o]], 5 / 3600)
>>> sorted(np.round(sep * 3600, 3).tolist())
[0.0, 3.383]

"""

from __future__ import annotations

import numpy as np

from xcat.sky import healpix
from xcat.sky.margins import margin_order, on_edge
from xcat.sky.spherical import vincenty

#: Candidates a row may have before it tries a finer order.
MAX_CANDIDATES = 32
#: Coarsest ancestor tried, in orders above the margin order.
INTERIOR_DEPTH = 5
#: The 9-pixel property is measured from order 2; coarser (radii over ~3.7 deg) matches
#: compare every pair.
MIN_ORDER = 2
#: Left rows per work chunk (bounds the candidate arrays).
CHUNK = 65_536


def _around(pix: np.ndarray, order: int) -> np.ndarray:
    """Each pixel and its neighbours, shape (n, 9), missing ones as -1."""
    return np.hstack([pix[:, None], healpix.neighbours(order, pix).T])


def _ancestors(around: np.ndarray, up: int) -> np.ndarray:
    """The distinct ancestors ``up`` orders coarser of each row's pixels, (n, 9), -1
    for none and for repeats.
    """
    anc = np.where(around >= 0, np.right_shift(around, 2 * up), -1)
    anc.sort(axis=1)
    anc[:, 1:][anc[:, 1:] == anc[:, :-1]] = -1
    return anc


def _expand(owner: np.ndarray, lo: np.ndarray, hi: np.ndarray, offset: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """Every (owner, right row) in the ranges ``[lo, hi)``, right rows shifted by offset."""
    counts = hi - lo
    keep = counts > 0
    owner, lo, counts, offset = owner[keep], lo[keep], counts[keep], offset[keep]
    total = int(counts.sum())
    starts = np.cumsum(counts) - counts
    rows = np.arange(total, dtype=np.int64) - np.repeat(starts - lo - offset, counts)
    return np.repeat(owner, counts), rows


class _Search:
    """Ranges of right rows in pixels, over blocks sorted by order-29 index."""

    def __init__(self, blocks: list[np.ndarray], unit: tuple[int, int, int] | None):
        self.blocks = blocks
        self.offsets = np.cumsum([0] + [len(b) for b in blocks])
        self.unit = unit

    def ranges(self, owner: np.ndarray, pix: np.ndarray, order: int
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(owner, lo, hi, offset) of every non-empty block range of each pixel."""
        shift = 2 * (healpix.MAX_ORDER - order)
        a, b = np.left_shift(pix, shift), np.left_shift(pix + 1, shift)
        inside = None
        if self.unit is not None and order >= self.unit[0]:
            # a pixel at least as fine as the partition is inside it (own rows only) or
            # outside it (margin rows only)
            inside = (a >= self.unit[1]) & (b <= self.unit[2])
        out = []
        for k, block in enumerate(self.blocks):
            sel = None if inside is None else (inside if k == 0 else ~inside)
            o, x, y = (owner, a, b) if sel is None else (owner[sel], a[sel], b[sel])
            if len(block) == 0 or len(o) == 0:
                continue
            lo, hi = np.searchsorted(block, x), np.searchsorted(block, y)
            ok = hi > lo
            out.append((o[ok], lo[ok], hi[ok], np.full(int(ok.sum()), self.offsets[k])))
        if not out:
            e = np.empty(0, np.int64)
            return e, e, e, e
        return tuple(np.concatenate([p[i] for p in out]) for i in range(4))


def _candidates(h1: np.ndarray, blocks: list[np.ndarray], m: int,
                unit: tuple[int, int, int] | None) -> tuple[np.ndarray, np.ndarray]:
    """(left row, right row) candidates of left rows ``h1`` (a superset of the pairs)."""
    n = len(h1)
    search = _Search(blocks, unit)
    c0 = min(m, max(m - INTERIOR_DEPTH, 0 if unit is None else unit[0], 0))
    todo = np.arange(n)  # rows interior at every order tried so far
    edge = np.empty(0, np.int64)
    around = np.empty((0, 9), np.int64)  # their order-m pixel and its neighbours
    owners, rights = [], []
    for c in range(c0, m + 1):
        inside = ~on_edge(h1[todo], np.full(len(todo), c), m)  # (always False at c == m)
        new = todo[~inside]  # on the edge at c: on the edge at finer orders too
        if len(new):
            edge = np.concatenate([edge, new])
            around = np.vstack([around, _around(np.right_shift(
                h1[new], 2 * (healpix.MAX_ORDER - m)), m)])
        todo = todo[inside]
        anc = _ancestors(around, m - c)
        pix = np.concatenate([np.right_shift(h1[todo], 2 * (healpix.MAX_ORDER - c)),
                              anc.ravel()])
        owner = np.concatenate([todo, np.repeat(edge, 9)])
        real = pix >= 0
        o, lo, hi, off = search.ranges(owner[real], pix[real], c)
        # rows whose candidates are few enough stop here; dense ones try a finer order
        ok = np.bincount(o, weights=hi - lo, minlength=n) <= MAX_CANDIDATES
        if c == m:
            ok[:] = True
        take = ok[o]
        got = _expand(o[take], lo[take], hi[take], off[take])
        owners.append(got[0])
        rights.append(got[1])
        todo = todo[~ok[todo]]
        stay = ~ok[edge]
        edge, around = edge[stay], around[stay]
        if len(todo) == 0 and len(edge) == 0:
            break
    if not owners:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(owners), np.concatenate(rights)


def take_blocks(parts: list[np.ndarray], idx: np.ndarray) -> np.ndarray:
    """Values at ``idx`` of the blocks' arrays taken one after the other (not joined).

    Examples
    --------
    >>> take_blocks([np.array([1.0, 2.0]), np.array([3.0])], np.array([2, 0])).tolist()
    [3.0, 1.0]

    """
    if len(parts) == 1:
        return np.take(parts[0], idx)
    out = np.empty(len(idx), parts[0].dtype)
    start = 0
    for part in parts:
        sel = np.flatnonzero((idx >= start) & (idx < start + len(part)))
        out[sel] = np.take(part, idx[sel] - start)
        start += len(part)
    return out


def unit_pairs(ra1: np.ndarray, dec1: np.ndarray, h1: np.ndarray, blocks: list[np.ndarray],
               ra2: list[np.ndarray], dec2: list[np.ndarray], radius_deg: float, *,
               unit: tuple[int, int, int] | None = None, with_pa: bool = False,
               chunk: int | None = None) -> tuple[np.ndarray, ...]:
    """Every (left, right) pair within ``radius_deg`` (inclusive), exactly.

    Parameters
    ----------
    ra1, dec1, h1 : ndarray
        Left positions (degrees) and their order-29 nested indices (any order).
    blocks : list of ndarray
        Order-29 indices of the right rows, block by block, each sorted; right row
        ``k`` of block ``b`` is numbered ``sum(len(blocks[:b])) + k``.
    ra2, dec2 : list of ndarray
        Right positions in degrees, block by block.
    radius_deg : float
        Match radius in degrees.
    unit : (order, lo, hi), optional
        The partition (its order and order-29 range) that holds every left row and
        whose rows are the first block, the other blocks being outside it; this skips
        look-ups that cannot find rows (None: every block is searched for every pixel).
    with_pa : bool
        Also return the position angle of each pair.
    chunk : int, optional
        Left rows per work chunk (default :data:`CHUNK`).

    Returns
    -------
    left_index, right_index : ndarray of int64
        Rows of the pairs, grouped by left chunk (not sorted).
    sep_deg : ndarray of float64
        Great-circle separations in degrees.
    pa_deg : ndarray of float64
        Position angle of the right row seen from the left one (NaN unless ``with_pa``).
    """
    e = np.empty(0, np.int64)
    radius_deg = float(radius_deg)
    n2 = sum(len(b) for b in blocks)
    if len(ra1) == 0 or n2 == 0 or not radius_deg >= 0:
        return e, e, np.empty(0), np.empty(0)
    m = min(margin_order(radius_deg), healpix.MAX_ORDER)
    step = (chunk or CHUNK) if m >= MIN_ORDER else max(1, 4_000_000 // n2)
    if len(blocks) > 1:  # one copy of the positions beats gathering block by block
        ra2, dec2 = [np.concatenate(ra2)], [np.concatenate(dec2)]
    parts = []
    for s in range(0, len(ra1), step):
        stop = min(s + step, len(ra1))
        if m >= MIN_ORDER:
            li, rj = _candidates(h1[s:stop], blocks, m, unit)
            li += s
        else:  # every pair of the chunk
            li = np.repeat(np.arange(s, stop), n2)
            rj = np.tile(np.arange(n2), stop - s)
        # a separation is at least the difference in declination: a cheap first cut
        # (padded so that it never drops a pair the exact test keeps)
        d1, d2 = np.take(dec1, li), take_blocks(dec2, rj)
        near = np.flatnonzero(np.abs(d1 - d2) <= radius_deg * (1 + 1e-9) + 1e-12)
        li, rj, d1, d2 = li[near], rj[near], d1[near], d2[near]
        sep, east, north = vincenty(np.take(ra1, li), d1, take_blocks(ra2, rj), d2)
        ok = np.flatnonzero(sep <= radius_deg)
        pa_deg = (np.mod(np.degrees(np.arctan2(np.take(east, ok), np.take(north, ok))), 360.0)
                  if with_pa else np.full(len(ok), np.nan))
        parts.append((np.take(li, ok), np.take(rj, ok), np.take(sep, ok), pa_deg))
    return tuple(np.concatenate([p[k] for p in parts]) for k in range(4))
