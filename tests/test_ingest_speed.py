"""The ingest's faster sorting helpers give exactly the order of a stable argsort."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from tests.conftest import shared_file
from xcat.catalog import stream
from xcat.sky import healpix


def _sky_pixels(rng: np.random.Generator, n: int) -> np.ndarray:
    ra = rng.uniform(0, 360, n)
    dec = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    return healpix.radec_to_healpix29(ra, dec)


@pytest.mark.parametrize("n", [0, 1, 2, stream.SMALL_SORT - 1, stream.SMALL_SORT, 50_000])
def test_stable_order_equals_stable_argsort_with_ties(n):
    rng = np.random.default_rng(n)
    h = _sky_pixels(rng, n)
    if n > 1:  # repeated pixels, and pixels sharing their order-6 parent
        h[rng.integers(0, n, n // 3)] = h[rng.integers(0, n, n // 3)]
        h[: n // 4] = (h[: n // 4] >> 40) << 40
    got = stream.stable_order(h)
    assert got.tolist() == np.argsort(h, kind="stable").tolist()


@pytest.mark.parametrize("values", ["few", "wide", "sorted", "reversed"])
def test_stable_order_any_int64(values):
    """Exact for values outside the sky too (the radix key then wraps) and for runs."""
    rng = np.random.default_rng(7)
    n = 3 * stream.SMALL_SORT
    h = {"few": rng.integers(0, 5, n) << 46,
         "wide": rng.integers(-(1 << 63), (1 << 63) - 1, n, dtype=np.int64),
         "sorted": np.sort(rng.integers(0, 1 << 50, n)),
         "reversed": np.sort(rng.integers(0, 1 << 50, n))[::-1]}[values]
    h = np.concatenate([h, h[::7]]).astype(np.int64)
    assert stream.stable_order(h).tolist() == np.argsort(h, kind="stable").tolist()


def test_sort_chunk_matches_stable_sort_on_real_positions():
    """The Gaia excerpt around NGC 3532 repeated 30 times (every pixel ties 30 ways),
    with rounded copies (pixels that share parents): ordered like a stable argsort.
    """
    gaia = pacsv.read_csv(shared_file("csc_muwclass/NGC3532/NGC3532_gaia.csv"))
    ra = np.tile(gaia.column("RA_ICRS_gaia").to_numpy(), 30)
    dec = np.tile(gaia.column("DE_ICRS_gaia").to_numpy(), 30)
    ra[::2], dec[::2] = np.round(ra[::2], 3), np.round(dec[::2], 3)
    assert len(ra) > stream.SMALL_SORT
    t = pa.table({"ra": ra, "dec": dec, "i": np.arange(len(ra))})
    out = stream.sort_chunk(t, "ra", "dec")
    h = healpix.radec_to_healpix29(ra, dec)
    order = np.argsort(h, kind="stable")
    assert out.column("i").to_numpy().tolist() == order.tolist()
    assert out.column(0).to_numpy().tolist() == h[order].tolist()


@pytest.mark.parametrize("budget", [1 << 62, 0, "two"])
def test_runs_kept_unsorted_give_the_partitions_of_one_stable_sort(tmp_path, budget):
    """Chunks kept as read (sorted only when a partition takes them), all spilled, or
    spilled after two: every partition holds the rows of a stable sort of the whole
    input, in that order.
    """
    rng = np.random.default_rng(11)
    n = 20_000
    ra = np.round(rng.uniform(0, 360, n), 1)  # coarse positions: many rows share a pixel
    dec = np.round(np.degrees(np.arcsin(rng.uniform(-1, 1, n))), 1)
    t = pa.table({"ra": ra, "dec": dec, "i": np.arange(n)})
    whole = stream.sort_chunk(t, "ra", "dec")
    chunk = 3_000
    if budget == "two":
        budget = int(2.5 * t.slice(0, chunk).nbytes)
    runs = stream.SortedRuns(tmp_path, memory_budget=budget)
    for lo in range(0, n, chunk):
        table, order = stream.healpix_chunk(t.slice(lo, chunk), "ra", "dec")
        assert order is not None
        runs.add(table, order)
    kinds = {type(r).__name__ for r in runs.runs}
    assert kinds == ({"Pending"} if budget > 1 << 40 else {"tuple"})
    parts = runs.partitions(2_500)
    assert len(parts) > 4
    got = pa.concat_tables(runs.partition(o, p) for o, p in parts)
    assert got.column("i").to_numpy().tolist() == whole.column("i").to_numpy().tolist()
    assert got.equals(whole)
    runs.drop()
