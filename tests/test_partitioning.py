"""Property tests of ``xcat.partitioning.choose_partitions`` (HATS partition choice).

Oracles: a naive top-down recursive reference written here (a pixel is a partition
when it holds at most ``max_rows`` rows or is at ``highest_order``, else its four
children are examined), the partition invariants checked row by row with plain
integer arithmetic (every row covered exactly once, disjoint, nested order, size
bound, siblings merged whenever their parent fits), and hats' own
``generate_alignment`` where it applies (no single pixel above the threshold).
"""

from __future__ import annotations

import numpy as np
import pytest
from geometry_helpers import offset_points, uniform_sphere
from hats.pixel_math.partition_stats import generate_alignment
from hypothesis import given, settings
from hypothesis import strategies as st

from xcat.sky import healpix
from xcat.sky.partitioning import choose_partitions

N29 = 12 * 4**29
ROWS = st.one_of(st.integers(1, 20), st.integers(1, 400))  # max_rows


def naive_partitions(h: np.ndarray, max_rows: int, highest_order: int) -> list[tuple[int, int]]:
    """Reference: recurse from the 12 base pixels, stop where the rows fit."""
    h = np.sort(np.asarray(h, dtype=np.int64))
    out: list[tuple[int, int]] = []

    def count(order: int, pixel: int) -> int:
        lo, hi = pixel * 4 ** (29 - order), (pixel + 1) * 4 ** (29 - order)
        return int(np.searchsorted(h, hi, "left") - np.searchsorted(h, lo, "left"))

    def visit(order: int, pixel: int) -> None:
        n = count(order, pixel)
        if n == 0:
            return
        if n <= max_rows or order == highest_order:
            out.append((order, pixel))
            return
        for child in range(4 * pixel, 4 * pixel + 4):
            visit(order + 1, child)

    for base in range(12):
        visit(0, base)
    return out


def check_invariants(h: np.ndarray, parts: list[tuple[int, int]], max_rows: int,
                     highest_order: int) -> None:
    assert all(isinstance(k, int) and isinstance(p, int) for k, p in parts)
    if len(h) == 0:
        assert parts == []
        return
    ranges = np.array([healpix.pixel_range29(k, p) for k, p in parts], dtype=np.int64)
    orders = np.array([k for k, _ in parts])
    assert ((orders >= 0) & (orders <= highest_order)).all()
    for k, p in parts:
        assert 0 <= p < 12 * 4**k
    # nested (= sort) order, disjoint
    assert (ranges[:, 0] < ranges[:, 1]).all()
    assert (ranges[1:, 0] >= ranges[:-1, 1]).all(), "partitions overlap or are out of order"
    # every row in exactly one partition: with disjoint sorted ranges, the only candidate
    # for a row is the last range starting at or before it
    i = np.searchsorted(ranges[:, 0], h, side="right") - 1
    assert (i >= 0).all()
    assert (h < ranges[i, 1]).all(), "some rows fall in no partition"
    counts = np.bincount(i, minlength=len(parts))
    # and row-by-row: the number of partitions holding each row is exactly one
    holders = sum(((h >= lo) & (h < hi)).astype(int) for lo, hi in ranges)
    assert (holders == 1).all()
    assert counts.sum() == len(h)
    assert (counts > 0).all(), "empty partition"
    # size bound, unless a single pixel at highest_order is itself too big
    big = counts > max_rows
    assert (orders[big] == highest_order).all(), "oversized partition above highest_order"
    # maximal: the parent of every partition (order > 0) would be too big, i.e. siblings
    # that fit together have been merged
    for (k, p), n in zip(parts, counts, strict=True):
        assert n > 0
        if k > 0:
            lo, hi = healpix.pixel_range29(k - 1, p >> 2)
            parent_rows = int(np.searchsorted(h, hi) - np.searchsorted(h, lo))
            assert parent_rows > max_rows, f"({k}, {p}) should have been merged into its parent"


@st.composite
def healpix_samples(draw: st.DrawFn) -> np.ndarray:
    """Sorted ``_healpix_29`` of uniform, clustered or degenerate point sets."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kind = draw(st.sampled_from(["uniform", "clusters", "mixed", "duplicates", "edges"]))
    n = draw(st.one_of(st.integers(0, 30), st.integers(100, 1500)))
    ra_parts, dec_parts = [], []
    if kind in ("uniform", "mixed"):
        ra, dec = uniform_sphere(rng, n)
        ra_parts.append(ra)
        dec_parts.append(dec)
    if kind in ("clusters", "mixed"):
        for _ in range(draw(st.integers(1, 5))):
            c_ra, c_dec = uniform_sphere(rng, 1)
            if draw(st.booleans()):
                c_dec = np.array([draw(st.sampled_from([90.0, -90.0, 89.9, -89.9, 0.0]))])
            width = 10 ** draw(st.floats(-5, 1))  # 0.036 arcsec .. 10 deg
            m = draw(st.integers(1, 800))
            ra, dec = offset_points(float(c_ra[0]), float(c_dec[0]),
                                    np.abs(rng.normal(0, width, m)), rng.uniform(0, 360, m))
            ra_parts.append(ra)
            dec_parts.append(dec)
    if kind == "duplicates":  # many rows at a few exact positions (same pixel at any order)
        ra, dec = uniform_sphere(rng, draw(st.integers(1, 4)))
        ra_parts.append(np.repeat(ra, n // len(ra) + 1))
        dec_parts.append(np.repeat(dec, n // len(dec) + 1))
    if kind == "edges":  # the first and last order-29 pixels of the sky and of base pixels
        h = draw(st.lists(st.sampled_from([0, 1, N29 - 1, N29 - 2, 4**29, 4**29 - 1,
                                           5 * 4**29 - 1]), min_size=1, max_size=50))
        return np.sort(np.array(h, dtype=np.int64))
    if not ra_parts:
        return np.empty(0, dtype=np.int64)
    h = healpix.radec_to_healpix29(np.concatenate(ra_parts), np.concatenate(dec_parts))
    return np.sort(h)


@settings(max_examples=150, deadline=None)
@given(h=healpix_samples(), max_rows=ROWS, highest_order=st.integers(0, 12))
def test_choose_partitions_matches_reference(h: np.ndarray, max_rows: int,
                                             highest_order: int) -> None:
    parts = choose_partitions(h, max_rows, highest_order=highest_order)
    check_invariants(h, parts, max_rows, highest_order)
    assert parts == naive_partitions(h, max_rows, highest_order)


@settings(max_examples=60, deadline=None)
@given(h=healpix_samples(), max_rows=ROWS)
def test_choose_partitions_default_highest_order(h: np.ndarray, max_rows: int) -> None:
    parts = choose_partitions(h, max_rows)
    check_invariants(h, parts, max_rows, 10)
    assert parts == naive_partitions(h, max_rows, 10)


@settings(max_examples=40, deadline=None)
@given(h=healpix_samples(), max_rows=ROWS, highest_order=st.integers(0, 6))
def test_choose_partitions_matches_hats(h: np.ndarray, max_rows: int,
                                        highest_order: int) -> None:
    """Same partitions as hats' ``generate_alignment`` (the hats-import rule)."""
    hist = np.bincount(healpix.to_order(h, highest_order), minlength=12 * 4**highest_order)
    if len(h) == 0 or hist.max() > max_rows:
        return  # hats refuses single pixels above the threshold; covered by the reference
    mapping = generate_alignment(hist.astype(np.int64), highest_order=highest_order,
                                 threshold=max_rows)
    expected = sorted({(int(m[0]), int(m[1])) for m in mapping[hist > 0]},
                      key=lambda kp: kp[1] * 4 ** (29 - kp[0]))
    assert choose_partitions(h, max_rows, highest_order=highest_order) == expected


@pytest.mark.parametrize(("h", "max_rows", "expected"), [
    ([0, 1, 2], 10, [(0, 0)]),
    ([0, 1, 2], 2, [(10, 0)]),  # all in one order-10 pixel: the single dense leaf
    ([0, N29 - 1], 1, [(0, 0), (0, 11)]),
    ([0, 4**28, 2 * 4**28, 3 * 4**28], 3, [(1, 0), (1, 1), (1, 2), (1, 3)]),
    ([0, 4**28, 2 * 4**28], 3, [(0, 0)]),
    ([], 5, []),
])
def test_choose_partitions_small_cases(h: list[int], max_rows: int,
                                       expected: list[tuple[int, int]]) -> None:
    arr = np.array(h, dtype=np.int64)
    assert choose_partitions(arr, max_rows) == expected
    check_invariants(arr, expected, max_rows, 10)


def test_choose_partitions_dense_pixel_and_neighbours() -> None:
    """One over-full order-10 pixel becomes its own partition; its sparse neighbours merge."""
    rng = np.random.default_rng(3)
    ra, dec = offset_points(150.0, 2.2, np.abs(rng.normal(0, 1e-4, 500)),
                            rng.uniform(0, 360, 500))
    ra2, dec2 = offset_points(150.0, 2.2, rng.uniform(0.1, 3.0, 200), rng.uniform(0, 360, 200))
    h = np.sort(healpix.radec_to_healpix29(np.concatenate([ra, ra2]),
                                           np.concatenate([dec, dec2])))
    parts = choose_partitions(h, 100)
    check_invariants(h, parts, 100, 10)
    assert parts == naive_partitions(h, 100, 10)
    assert any(k == 10 for k, _ in parts)


@pytest.mark.parametrize("seed", range(6))
def test_choose_partitions_large_mixed_catalogs(seed: int) -> None:
    """Larger catalogs (uniform + clusters at several scales) than hypothesis draws."""
    rng = np.random.default_rng(seed)
    ra, dec = uniform_sphere(rng, 20_000)
    parts_ra, parts_dec = [ra], [dec]
    for width in (3.0, 0.3, 0.01, 1e-4):
        c_ra, c_dec = uniform_sphere(rng, 1)
        r, d = offset_points(float(c_ra[0]), float(c_dec[0]), np.abs(rng.normal(0, width, 3000)),
                             rng.uniform(0, 360, 3000))
        parts_ra.append(r)
        parts_dec.append(d)
    h = np.sort(healpix.radec_to_healpix29(np.concatenate(parts_ra), np.concatenate(parts_dec)))
    max_rows = int(rng.integers(20, 500))
    parts = choose_partitions(h, max_rows)
    check_invariants(h, parts, max_rows, 10)
    assert parts == naive_partitions(h, max_rows, 10)
    assert len({k for k, _ in parts}) >= 3  # several orders in play
