"""The partition-wise cross-match engine: the right catalog is walked partition by
partition (its stored HATS partitions with their margin cache, or partitions of an
in-memory side), each matched against the left rows that fall in it, on a thread pool.

For each right partition ``P`` (a *unit*):

* left rows whose position lies in ``P`` are matched against ``P``'s rows and its
  margin (every right row within the margin threshold of ``P`` that lives elsewhere);
* left rows that lie in no right partition (*orphans*: the right catalog has no rows
  in their pixel) are matched against ``P``'s own rows when ``P`` is near them
  (:func:`xcat.sky.margins.near_partitions`).

Each left row belongs to one unit, or as an orphan meets each right row only in that
row's own partition, so every pair within the radius is found exactly once
(:func:`xcat.sky.cells.unit_pairs` finds them on the stored HEALPix order and does the
exact great-circle test). Memory: one
right partition and its margin per thread, plus the pairs found.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pyarrow as pa

from xcat.errors import XcatError
from xcat.sky import healpix, margins
from xcat.sky.cells import take_blocks, unit_pairs
from xcat.sky.partitioning import choose_partitions

#: Rows per unit of an in-memory side.
MEMORY_UNIT_ROWS = 250_000
#: Default most pairs a match may hold before it stops (``--max-pairs``).
MAX_PAIRS = 50_000_000


@dataclass
class Rows:
    """Rows of one side taking part in a unit: positions, 1-sigma error (arcsec or
    NaN), and a way to name them (keys, or positions into the side).
    """

    ra: np.ndarray
    dec: np.ndarray
    sigma: np.ndarray
    keys: pa.Array | None = None
    h29: np.ndarray | None = None  # order-29 HEALPix index (right rows: sorted by it)

    def take(self, idx: np.ndarray) -> Rows:
        """The rows at ``idx``."""
        return Rows(self.ra[idx], self.dec[idx], self.sigma[idx],
                    None if self.keys is None else self.keys.take(pa.array(idx)),
                    None if self.h29 is None else self.h29[idx])

    def sorted_h29(self) -> Rows:
        """The rows sorted by their HEALPix index (a right side's rows always carry it)."""
        h = self.h29
        assert h is not None, "right rows come with their _healpix_29"
        if len(h) < 2 or bool(np.all(h[1:] >= h[:-1])):
            return self
        return self.take(np.argsort(h, kind="stable"))

    def __len__(self) -> int:
        return len(self.ra)


class RightSide(Protocol):
    """What the engine needs of the right catalog."""

    lo: np.ndarray
    hi: np.ndarray

    def unit(self, i: int, radius_deg: float) -> tuple[Rows, Rows | None]:
        """Own rows of partition ``i`` and its margin rows within ``radius_deg``."""
        ...


@dataclass
class MemoryRight:
    """A right side held in memory (sorted by ``_healpix_29``, split into units)."""

    rows: Rows
    unit_rows: int = 0  # rows per unit (0: MEMORY_UNIT_ROWS)
    lo: np.ndarray = field(init=False)
    hi: np.ndarray = field(init=False)
    _bounds: np.ndarray = field(init=False)
    _margin: dict[float, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        h29 = healpix.radec_to_healpix29(self.rows.ra, self.rows.dec) if len(self.rows) \
            else np.empty(0, np.int64)
        order = np.argsort(h29, kind="stable")
        self._order = order
        self._h29 = h29[order]
        parts = choose_partitions(self._h29, self.unit_rows or MEMORY_UNIT_ROWS)
        self.lo, self.hi = margins.partition_bounds(parts)
        self._bounds = np.searchsorted(self._h29, np.concatenate((self.lo, self.hi[-1:])))

    def _take(self, sorted_idx: np.ndarray) -> Rows:
        idx = self._order[sorted_idx]
        r = self.rows
        # without keys, a row is named by its index into the side
        return Rows(r.ra[idx], r.dec[idx], r.sigma[idx],
                    pa.array(idx) if r.keys is None else r.keys.take(pa.array(idx)),
                    self._h29[sorted_idx])

    def unit(self, i: int, radius_deg: float) -> tuple[Rows, Rows | None]:
        """Rows of unit ``i``; its margin computed for the radius (cached)."""
        own = self._take(np.arange(self._bounds[i], self._bounds[i + 1]))
        if radius_deg not in self._margin:
            rows, targets = margins.margin_rows(self._h29, self.lo, self.hi, radius_deg)
            by = np.argsort(targets, kind="stable")
            self._margin[radius_deg] = (rows[by], np.searchsorted(
                targets[by], np.arange(len(self.lo) + 1)))
        rows, starts = self._margin[radius_deg]
        sel = rows[starts[i]:starts[i + 1]]
        return own, (self._take(sel) if len(sel) else None)


@dataclass
class Candidates:
    """Pairs of one unit: left row (index into the left side), the right row's error,
    key and the separation (deg) and position angle (deg).
    """

    left: np.ndarray
    right_sigma: np.ndarray
    right_key: pa.Array
    sep: np.ndarray
    pa: np.ndarray

    def select(self, keep: np.ndarray) -> Candidates:
        """The candidates where ``keep`` holds."""
        idx = np.flatnonzero(keep)
        return Candidates(self.left[idx], self.right_sigma[idx],
                          self.right_key.take(pa.array(idx)), self.sep[idx], self.pa[idx])


@dataclass
class Plan:
    """Which left rows each unit matches: rows inside it, and orphans near it."""

    inside: list[np.ndarray]
    orphans: list[np.ndarray]

    @classmethod
    def make(cls, left_h29: np.ndarray, right: RightSide, radius_deg: float) -> Plan:
        """Group the left rows by the right partition they lie in; orphans by the right
        partitions near them.
        """
        n_units = len(right.lo)
        home = margins.home_partition(left_h29, right.lo, right.hi)
        inside = _group(np.flatnonzero(home >= 0), home[home >= 0], n_units)
        lost = np.flatnonzero(home < 0)
        rows, parts = margins.near_partitions(left_h29[lost], right.lo, right.hi, radius_deg)
        orphans = _group(lost[rows], parts, n_units)
        return cls(inside, orphans)


def _group(rows: np.ndarray, groups: np.ndarray, n: int) -> list[np.ndarray]:
    by = np.argsort(groups, kind="stable")
    starts = np.searchsorted(groups[by], np.arange(n + 1))
    rows = rows[by]
    return [rows[starts[i]:starts[i + 1]] for i in range(n)]


def _match(left: Rows, left_h29: np.ndarray, sel: np.ndarray, blocks: list[Rows],
           radius_deg: float, unit: tuple[int, int, int] | None) -> Candidates:
    """Pairs of the left rows ``sel`` with the right rows of ``blocks`` (each sorted by
    ``h29``; ``unit``: order and range of the partition holding every ``sel`` row and the
    first block's rows, None for left rows outside it).
    """
    li, rj, sep, pa_deg = unit_pairs(left.ra[sel], left.dec[sel], left_h29[sel],
                                     [b.h29 for b in blocks], [b.ra for b in blocks],
                                     [b.dec for b in blocks], radius_deg, unit=unit,
                                     with_pa=True)
    starts = np.cumsum([0] + [len(b) for b in blocks])
    block = np.searchsorted(starts, rj, side="right") - 1
    if len(blocks) > 1:  # the pairs block by block, so that keys are taken per block
        by = np.argsort(block, kind="stable")
        li, rj, sep, pa_deg, block = li[by], rj[by], sep[by], pa_deg[by], block[by]
    bounds = np.searchsorted(block, np.arange(len(blocks) + 1))
    keys = []
    for k, b in enumerate(blocks):
        pos = rj[bounds[k]:bounds[k + 1]] - starts[k]
        keys.append(b.keys.take(pa.array(pos)) if b.keys is not None else pa.array(pos))
    return Candidates(sel[li], take_blocks([b.sigma for b in blocks], rj),
                      keys[0] if len(keys) == 1 else pa.concat_arrays(keys), sep, pa_deg)


def unit_orders(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """HEALPix order of each partition ``[lo, hi)`` of order-29 indices."""
    width = np.log2((hi - lo).astype(np.float64)) / 2
    return (healpix.MAX_ORDER - np.rint(width)).astype(np.int64)


class UnitScheduler(Protocol):
    """Runs :func:`unit_candidates` for every unit somewhere else (a Dask cluster:
    :class:`xcat.xmatch.dask_units.DaskUnits`); yields each unit's candidates with left
    rows numbered as in ``left``.
    """

    def units(self, left: Rows, left_h29: np.ndarray, right: RightSide, radius_deg: float,
              plan: Plan, todo: list[int], orders: np.ndarray) -> Iterator[Candidates]:
        """The candidates of the units ``todo``, in any order."""
        ...


def unit_candidates(left: Rows, left_h29: np.ndarray, right: RightSide, i: int,
                    radius_deg: float, inside: np.ndarray, orphans: np.ndarray,
                    order: int) -> Candidates:
    """The pairs of right partition ``i`` (of HEALPix ``order``): its left rows
    ``inside`` against its own and margin rows, and the ``orphans`` near it against its
    own rows. The one kernel every scheduler runs.
    """
    own, margin = right.unit(i, radius_deg)
    own = own.sorted_h29()
    found = []
    if len(inside):
        blocks = [own] if margin is None else [own, margin.sorted_h29()]
        unit = (int(order), int(right.lo[i]), int(right.hi[i]))
        found.append(_match(left, left_h29, inside, blocks, radius_deg, unit))
    if len(orphans):
        found.append(_match(left, left_h29, orphans, [own], radius_deg, None))
    return found[0] if len(found) == 1 else _concat(found)


def candidates(left: Rows, left_h29: np.ndarray, right: RightSide, radius_deg: float, *,
               keep: Callable[[Candidates], Candidates] | None = None,
               threads: int | None = None, max_pairs: int = MAX_PAIRS,
               scheduler: UnitScheduler | None = None) -> Iterator[Candidates]:
    """Every (left, right) pair within ``radius_deg``, unit by unit (exact; ``keep``
    filters each unit's pairs before they are kept), on a thread pool or ``scheduler``.
    """
    plan = Plan.make(left_h29, right, radius_deg)
    todo = [i for i in range(len(right.lo)) if len(plan.inside[i]) or len(plan.orphans[i])]
    orders = unit_orders(right.lo, right.hi)

    def work(i: int) -> Candidates:
        c = unit_candidates(left, left_h29, right, i, radius_deg, plan.inside[i],
                            plan.orphans[i], int(orders[i]))
        return keep(c) if keep is not None else c

    workers = max(1, min(threads or os.cpu_count() or 1, len(todo) or 1))
    pool = None
    if scheduler is not None:
        results: Iterator[Candidates] = (
            keep(c) if keep is not None else c
            for c in scheduler.units(left, left_h29, right, radius_deg, plan, todo, orders))
    elif workers == 1:
        results = map(work, todo)
    else:
        pool = ThreadPoolExecutor(workers)
        results = pool.map(work, todo)
    total = 0
    try:
        for c in results:
            total += len(c.left)
            if total > max_pairs:
                raise XcatError(f"the match found more than {max_pairs:,} pairs and stopped "
                                "before exhausting memory: use a smaller radius, or raise "
                                "the limit with --max-pairs")
            yield c
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        if hasattr(results, "close"):
            results.close()  # a scheduler's generator cancels its work


def _concat(parts: list[Candidates]) -> Candidates:
    return Candidates(np.concatenate([p.left for p in parts]),
                      np.concatenate([p.right_sigma for p in parts]),
                      pa.concat_arrays([p.right_key for p in parts]),
                      np.concatenate([p.sep for p in parts]),
                      np.concatenate([p.pa for p in parts]))


def collect(parts: Iterator[Candidates]) -> Candidates:
    """All units' candidates in one set (empty when none)."""
    found = list(parts)
    if not found:
        e = np.empty(0)
        return Candidates(np.empty(0, np.int64), e, pa.array([], pa.string()), e, e)
    return _concat(found)


def counts(left: Rows, left_h29: np.ndarray, right: RightSide, radii_deg: list[float], *,
           threads: int | None = None, scheduler: UnitScheduler | None = None
           ) -> list[np.ndarray]:
    """Right rows within each radius of each left row (one pass at the largest)."""
    top = max(radii_deg)
    out = [np.zeros(len(left), np.int64) for _ in radii_deg]
    for c in candidates(left, left_h29, right, top, threads=threads, max_pairs=2**62,
                        scheduler=scheduler):
        for arr, r in zip(out, radii_deg, strict=True):
            arr += np.bincount(c.left[c.sep <= r], minlength=len(left))
    return out
