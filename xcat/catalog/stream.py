"""Sorted runs: the rows of a catalog being ingested in chunks, with bounded memory.

Each prepared chunk is sorted by ``_healpix_29`` (stable) and kept as one *run*: in
memory while the runs together stay under :data:`MEMORY_BUDGET`, else as an Arrow IPC
file in a spill folder (all runs go to disk once one does). A run in memory keeps its
rows as read with their order (:class:`Pending`); its rows are put in order only when a
partition takes them, on the writer's threads, or when it is spilled (the budget counts
the rows' bytes; the order and sorted pixels add 16 bytes a row). Row counts per pixel at
order :data:`COUNT_ORDER` are accumulated as the runs arrive, which is all the partition
choice needs. A partition is then read back as the matching slice of every run (each run
is sorted, so its rows in a pixel are contiguous), concatenated in input order and
sorted again (stable): the same rows in the same order as one global stable sort, with
memory for one partition. This is an external merge sort whose merge is done per
partition.

Spill folders live under ``$XCAT_SPILL_DIR`` (default: the system's temporary folder),
are named ``xcat-spill-<pid>-<random>``, are removed when their runs are dropped (or at
exit), and a folder left by a killed process is removed by the next ingest.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import weakref
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds

from xcat.sky import healpix, partitioning
from xcat.store import layout

#: Order of the per-pixel row counts (hats-import's default highest order).
COUNT_ORDER = 10
#: Bytes of runs kept in memory before they are spilled to disk.
MEMORY_BUDGET = int(os.environ.get("XCAT_INGEST_MEMORY", 1 << 30))
#: Input row number column carried through the runs (1-based, after any row filter).
ROW_COLUMN = "__xcat_row"
SPILL_PREFIX = "xcat-spill-"
#: :func:`stable_order` sorts shorter arrays in one pass.
SMALL_SORT = 4096
#: ``_healpix_29 >> COARSE_SHIFT`` is the order-6 pixel (< 2**16): the radix pass's key.
COARSE_SHIFT = 2 * (healpix.MAX_ORDER - 6)


class Pending(NamedTuple):
    """An in-memory run whose rows are not yet in order."""

    #: The rows as read, ``_healpix_29`` first
    table: pa.Table
    #: Stable order of the rows by ``_healpix_29``
    order: np.ndarray
    #: ``_healpix_29`` in that order
    h: np.ndarray

    def rows(self, a: int, b: int) -> pa.Table:
        """Rows ``a`` to ``b`` of the run in order."""
        return self.table.take(pa.array(self.order[a:b]))

    def sorted(self) -> pa.Table:
        """All its rows in order."""
        return self.rows(0, len(self.order))


class SortedRuns:
    """Runs of rows sorted by ``_healpix_29`` (first column), with per-pixel counts.

    Examples
    --------
    >>> t = pa.table({"_healpix_29": pa.array([5, 1 << 40], pa.int64()), "x": [1, 2]})
    >>> runs = SortedRuns.of(t)
    >>> runs.num_rows, runs.partitions(10)
    (2, [(0, 0)])
    """

    def __init__(self, spill_root: Path | None = None, memory_budget: int | None = None):
        self.runs: list[pa.Table | Pending | tuple[Path, int]] = []
        self.schema: pa.Schema | None = None
        self.num_rows = 0
        self.spill_root = spill_root
        self.memory_budget = MEMORY_BUDGET if memory_budget is None else memory_budget
        self.spilled = False
        self._in_memory = 0
        self._files = 0
        self._counts = np.zeros(12 * 4**COUNT_ORDER, np.int64)  # untouched pages cost nothing
        self._dir: Path | None = None
        self._cleanup: weakref.finalize | None = None
        #: Columns renamed (or dropped: None) on the way out, e.g. the row number column
        self.rename: dict[str, str | None] = {}

    @classmethod
    def of(cls, table: pa.Table) -> SortedRuns:
        """One in-memory run (``table`` sorted by ``_healpix_29``)."""
        runs = cls(memory_budget=1 << 62)
        runs.add(table)
        return runs

    def add(self, table: pa.Table, order: np.ndarray | None = None) -> None:
        """Keep ``table`` as the next run: sorted by its first column ``_healpix_29``, or
        in the stable ``order`` of that column (:func:`healpix_chunk`).
        """
        if self.schema is None:
            self.schema = table.schema
        h = table.column(0).to_numpy()
        run: pa.Table | Pending = table
        if order is not None:
            h = h[order]
            run = Pending(table, order, h)
        if len(h):
            top = np.right_shift(h, 2 * (healpix.MAX_ORDER - COUNT_ORDER))
            starts = np.flatnonzero(np.concatenate(([True], top[1:] != top[:-1])))
            self._counts[top[starts]] += np.diff(np.append(starts, len(top)))
        self.num_rows += table.num_rows
        if not self.spilled and self._in_memory + table.nbytes > self.memory_budget:
            self._spill_all()
        if self.spilled:
            self.runs.append(self._write_run(run))
        else:
            self._in_memory += table.nbytes
            self.runs.append(run)

    def leaf_counts(self) -> tuple[np.ndarray, np.ndarray]:
        """Occupied pixels at :data:`COUNT_ORDER` and their row counts."""
        pixels = np.flatnonzero(self._counts)
        return pixels, self._counts[pixels]

    def partitions(self, max_rows: int) -> list[tuple[int, int]]:
        """HATS partitions for these rows (the rule of
        :func:`xcat.sky.partitioning.choose_partitions`, from the counts).
        """
        return partitioning.partitions_from_counts(*self.leaf_counts(), max_rows, COUNT_ORDER)

    def partition(self, order: int, pixel: int, offsets: list[tuple[int, int]] | None = None
                  ) -> pa.Table:
        """The rows of one pixel, in ``_healpix_29`` order (stable over input order).

        ``offsets`` are the row ranges of the pixel in each run (from :meth:`offsets`).
        """
        lo, hi = healpix.pixel_range29(order, pixel)
        offsets = offsets or self.offsets([(lo, hi)])[0]
        with contextlib.ExitStack() as stack:
            pieces = [run.rows(a, b) if isinstance(run, Pending) else
                      self._run_table(run, stack).slice(a, b - a)
                      for run, (a, b) in zip(self.runs, offsets, strict=True) if b > a]
            if not pieces:
                return self._finish(self.schema.empty_table())
            table = pa.concat_tables(pieces)
            if len(pieces) > 1:
                h = table.column(0).to_numpy()
                table = table.take(pa.array(np.argsort(h, kind="stable")))
        return self._finish(table)

    def output_schema(self) -> pa.Schema:
        """The schema of the partitions (after :attr:`rename`)."""
        return self._finish(self.schema.empty_table()).schema

    def _finish(self, table: pa.Table) -> pa.Table:
        for old, new in self.rename.items():
            if old not in table.column_names:
                continue
            i = table.column_names.index(old)
            table = table.remove_column(i) if new is None else \
                table.rename_columns([new if c == old else c for c in table.column_names])
        return table

    def offsets(self, ranges: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
        """For each ``[lo, hi)`` order-29 range, its row range in every run."""
        los = np.array([r[0] for r in ranges], np.int64)
        his = np.array([r[1] for r in ranges], np.int64)
        per_run = []
        for run in self.runs:
            with contextlib.ExitStack() as stack:
                if isinstance(run, Pending):
                    h = run.h
                else:
                    h = self._run_table(run, stack).column(0)
                    h = h.chunk(0).to_numpy() if h.num_chunks == 1 else h.to_numpy()
                per_run.append((np.searchsorted(h, los), np.searchsorted(h, his)))
        return [[(int(a[i]), int(b[i])) for a, b in per_run] for i in range(len(ranges))]

    def drop(self) -> None:
        """Forget the runs and remove the spill folder."""
        self.runs = []
        if self._cleanup is not None:
            self._cleanup()

    def dataset(self) -> ds.Dataset:
        """Every run as one pyarrow dataset (DuckDB scans it in parallel, reading only the
        columns a query names; out of core when the runs are on disk).
        """
        if self.spilled:
            return ds.dataset([str(p) for p, _ in self.runs], format="ipc")
        return ds.InMemoryDataset([r.table if isinstance(r, Pending) else r
                                   for r in self.runs], schema=self.schema)

    def _run_table(self, run: pa.Table | tuple[Path, int], stack: contextlib.ExitStack
                   ) -> pa.Table:
        if isinstance(run, pa.Table):
            return run
        source = stack.enter_context(pa.memory_map(str(run[0])))  # pages freed on close
        return pa.ipc.open_file(source).read_all()

    def _spill_all(self) -> None:
        self.spilled = True
        self._dir = _new_spill_dir(self.spill_root)
        self._cleanup = weakref.finalize(self, shutil.rmtree, str(self._dir), True)
        self.runs = [self._write_run(t) for t in self.runs]
        self._in_memory = 0

    def _write_run(self, table: pa.Table | Pending) -> tuple[Path, int]:
        assert self._dir is not None
        if isinstance(table, Pending):
            table = table.sorted()
        path = self._dir / f"run-{self._files:06d}.arrow"
        self._files += 1
        with pa.OSFile(str(path), "wb") as sink, \
                pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table, max_chunksize=max(table.num_rows, 1))
        return path, table.num_rows


def sort_chunk(table: pa.Table, ra: str, dec: str) -> pa.Table:
    """Add ``_healpix_29`` (first column) and sort rows by it (stable)."""
    table, order = healpix_chunk(table, ra, dec)
    return table if order is None else table.take(pa.array(order))


def healpix_chunk(table: pa.Table, ra: str, dec: str) -> tuple[pa.Table, np.ndarray | None]:
    """``table`` with ``_healpix_29`` added (first column) and the stable order of its
    rows by it (None: they are in order).
    """
    ra_v = table.column(ra).to_numpy(zero_copy_only=False).astype(np.float64, copy=False)
    dec_v = table.column(dec).to_numpy(zero_copy_only=False).astype(np.float64, copy=False)
    h = healpix.radec_to_healpix29(ra_v, dec_v)
    order = stable_order(h)
    if layout.HEALPIX_COLUMN in table.column_names:
        table = table.drop_columns([layout.HEALPIX_COLUMN])
    table = table.add_column(0, layout.HEALPIX_COLUMN, pa.array(h, pa.int64()))
    return table, order if np.any(order[1:] < order[:-1]) else None


def stable_order(h: np.ndarray) -> np.ndarray:
    """``np.argsort(h, kind="stable")`` for ``_healpix_29`` values, about twice as fast.

    A radix pass (NumPy's stable sort of 16-bit keys) orders the rows by their order-6
    pixel, ``h >> 46``; a stable sort by ``h`` then only has to finish runs that are
    already in blocks. The result is exactly the stable order for any int64 values: rows
    with equal ``h`` have equal keys, so both passes keep them in input order.

    Examples
    --------
    >>> stable_order(np.array([3 << 50, 5, 3 << 50, 1], np.int64)).tolist()
    [3, 1, 0, 2]
    """
    h = np.asarray(h, np.int64)
    if len(h) < SMALL_SORT:
        return np.argsort(h, kind="stable")
    coarse = np.argsort(np.right_shift(h, COARSE_SHIFT).astype(np.uint16), kind="stable")
    return coarse[np.argsort(h[coarse], kind="stable")]


def _new_spill_dir(root: Path | None) -> Path:
    """A fresh spill folder; folders of processes that no longer run are removed."""
    root = Path(root or os.environ.get("XCAT_SPILL_DIR") or tempfile.gettempdir())
    root.mkdir(parents=True, exist_ok=True)
    for old in root.glob(f"{SPILL_PREFIX}*"):
        pid = old.name[len(SPILL_PREFIX):].split("-")[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"{SPILL_PREFIX}{os.getpid()}-", dir=root))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
