"""Property tests of the HEALPix shim ``xcat.healpix``.

Oracles: healpy called directly (``ang2pix`` at each order), the independent
``cdshealpix`` implementation (``cdshealpix.nested.lonlat_to_healpix``), plain
integer arithmetic for ranges, and random points inside cones whose distance to
the centre is checked with astropy ``SkyCoord.separation`` (for ``cone_ranges29``).
"""

from __future__ import annotations

import itertools

import cdshealpix.nested as cds
import healpy as hp
import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import Latitude, Longitude
from geometry_helpers import cap_points, separation_arcsec, uniform_sphere
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from xcat.sky import healpix

N29 = 12 * 4**29  # number of order-29 pixels

# dec values that must work exactly (poles, equator, the polar-cap/equatorial boundary)
SPECIAL_DEC = [90.0, -90.0, 0.0, np.degrees(np.arcsin(2 / 3)), -np.degrees(np.arcsin(2 / 3)),
               89.999999999, -89.999999999, 1e-300, -1e-300]
SPECIAL_RA = [0.0, 360.0, 45.0, 90.0, 180.0, 270.0, 359.99999999999994, 5e-324, 1e-12]

ras = st.one_of(st.sampled_from(SPECIAL_RA),
                st.floats(0.0, 360.0, allow_nan=False, allow_infinity=False))
decs = st.one_of(st.sampled_from(SPECIAL_DEC),
                 st.floats(-90.0, 90.0, allow_nan=False, allow_infinity=False))


def cds_pix(ra: np.ndarray, dec: np.ndarray, order: int) -> np.ndarray:
    """cdshealpix nested index (an independent implementation of HEALPix)."""
    return cds.lonlat_to_healpix(Longitude(np.asarray(ra) * u.deg),
                                 Latitude(np.asarray(dec) * u.deg), order).astype(np.int64)


def healpy_pix(ra: np.ndarray, dec: np.ndarray, order: int) -> np.ndarray:
    return np.asarray(hp.ang2pix(1 << order, ra, dec, nest=True, lonlat=True), dtype=np.int64)


def on_shared_boundary(a: int, b: int, order: int) -> bool:
    """Whether nested pixels ``a`` and ``b`` at ``order`` touch (edge or corner)."""
    return a == b or b in hp.get_all_neighbours(1 << order, a, nest=True)


# ---------------------------------------------------------------- radec_to_healpix29
def test_radec_to_healpix29_matches_healpy_and_cdshealpix_random() -> None:
    rng = np.random.default_rng(29)
    ra, dec = uniform_sphere(rng, 200_000)
    # add polar caps densely, where the projection changes
    pra, pdec = rng.uniform(0, 360, 50_000), 90 - 10 ** rng.uniform(-10, 1, 50_000)
    ra = np.concatenate([ra, pra, pra])
    dec = np.concatenate([dec, pdec, -pdec])
    h = healpix.radec_to_healpix29(ra, dec)
    assert h.dtype == np.int64
    assert ((h >= 0) & (h < N29)).all()
    np.testing.assert_array_equal(h, healpy_pix(ra, dec, 29))
    np.testing.assert_array_equal(h, cds_pix(ra, dec, 29))


@settings(max_examples=300, deadline=None)
@given(ra=ras, dec=decs)
def test_radec_to_healpix29_single_points(ra: float, dec: float) -> None:
    h = int(healpix.radec_to_healpix29(np.array([ra]), np.array([dec]))[0])
    assert 0 <= h < N29
    assert h == int(healpy_pix(np.array([ra]), np.array([dec]), 29)[0])
    c = int(cds_pix(np.array([ra]), np.array([dec]), 29)[0])
    # Points exactly on a pixel edge or corner (e.g. ra=45, dec=0 is a base-pixel corner)
    # may be given to either adjacent pixel: healpy and cdshealpix pick differently there.
    assert on_shared_boundary(h, c, 29), (ra, dec, h, c)


def test_special_points() -> None:
    # RA 0 and 360 are the same meridian
    for dec in [-90.0, -45.0, -1e-9, 0.0, 1e-9, 30.0, 89.9, 90.0]:
        a, b = healpix.radec_to_healpix29(np.array([0.0, 360.0]), np.array([dec, dec]))
        assert a == b, dec
    # a pole is the common corner of 4 order-29 pixels; which one it lands in follows
    # the RA, as in healpy and cdshealpix: it must be one of those 4 (mutual neighbours)
    for pole in (90.0, -90.0):
        ra = np.linspace(0, 360, 37)
        h = healpix.radec_to_healpix29(ra, np.full(37, pole))
        np.testing.assert_array_equal(h, cds_pix(ra, np.full(37, pole), 29))
        corner = sorted(set(h.tolist()))
        assert 1 <= len(corner) <= 4
        assert all(on_shared_boundary(a, b, 29) for a in corner for b in corner)
    # north pole is in base pixels 0..3, south pole in 8..11
    assert healpix.to_order(healpix.radec_to_healpix29(np.zeros(1), np.array([90.0])), 0)[0] < 4
    assert healpix.to_order(healpix.radec_to_healpix29(np.zeros(1), np.array([-90.0])), 0)[0] >= 8
    # scalar-like and list input
    h = healpix.radec_to_healpix29([10.0, 20.0], [0.5, -0.5])
    assert h.dtype == np.int64 and h.shape == (2,)


# ---------------------------------------------------------------- to_order / ranges
@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), order=st.integers(0, 29))
def test_to_order_is_the_parent_at_every_order(seed: int, order: int) -> None:
    rng = np.random.default_rng(seed)
    ra, dec = uniform_sphere(rng, 2000)
    h = healpix.radec_to_healpix29(ra, dec)
    parent = healpix.to_order(h, order)
    np.testing.assert_array_equal(parent, healpy_pix(ra, dec, order))
    np.testing.assert_array_equal(parent, cds_pix(ra, dec, order))
    assert ((parent >= 0) & (parent < 12 * 4**order)).all()
    # parent of parent is the parent at the coarser order
    for k in range(order + 1):
        np.testing.assert_array_equal(parent >> (2 * (order - k)), healpix.to_order(h, k))
    # scalar form
    assert healpix.to_order(int(h[0]), order) == parent[0]
    # the parent's range holds the index
    for hi_, p in zip(h[:50], parent[:50], strict=True):
        lo, hi = healpix.pixel_range29(order, int(p))
        assert lo <= hi_ < hi


def test_to_order_29_is_identity() -> None:
    h = np.array([0, 1, 2, 3, N29 - 1], dtype=np.int64)
    np.testing.assert_array_equal(healpix.to_order(h, 29), h)
    np.testing.assert_array_equal(healpix.to_order(h, 0), [0, 0, 0, 0, 11])


@settings(max_examples=200, deadline=None)
@given(order=st.integers(0, 29), data=st.data())
def test_pixel_range29(order: int, data: st.DataObject) -> None:
    pixel = data.draw(st.integers(0, 12 * 4**order - 1))
    lo, hi = healpix.pixel_range29(order, pixel)
    assert hi - lo == 4 ** (29 - order)
    assert 0 <= lo < hi <= N29
    assert healpix.to_order(lo, order) == pixel
    assert healpix.to_order(hi - 1, order) == pixel
    if lo > 0:
        assert healpix.to_order(lo - 1, order) == pixel - 1
    if hi < N29:
        assert healpix.to_order(hi, order) == pixel + 1
    # children tile the parent exactly
    if order < 29:
        kids = [healpix.pixel_range29(order + 1, 4 * pixel + i) for i in range(4)]
        assert kids[0][0] == lo and kids[-1][1] == hi
        assert all(a[1] == b[0] for a, b in itertools.pairwise(kids))


def test_pixel_ranges_tile_the_sky() -> None:
    for order in range(4):
        r = np.array([healpix.pixel_range29(order, p) for p in range(12 * 4**order)])
        assert r[0, 0] == 0 and r[-1, 1] == N29
        np.testing.assert_array_equal(r[1:, 0], r[:-1, 1])


def naive_merge(pixels: list[int], order: int) -> list[tuple[int, int]]:
    """Reference: expand each pixel to its order-29 range and merge touching ranges."""
    out: list[list[int]] = []
    for p in sorted(set(pixels)):
        lo, hi = (p * 4 ** (29 - order), (p + 1) * 4 ** (29 - order))
        if out and out[-1][1] == lo:
            out[-1][1] = hi
        else:
            out.append([lo, hi])
    return [tuple(x) for x in out]


@settings(max_examples=300, deadline=None)
@given(order=st.integers(0, 29), data=st.data())
def test_ranges_from_pixels_merges(order: int, data: st.DataObject) -> None:
    npix = 12 * 4**order
    base = data.draw(st.integers(0, npix - 1))
    # runs of consecutive pixels with gaps, near a random base and near the ends
    offsets = data.draw(st.lists(st.integers(0, 64), max_size=40))
    extra = data.draw(st.lists(st.sampled_from([0, 1, npix - 2, npix - 1]), max_size=4))
    pixels = sorted({min(base + o, npix - 1) for o in offsets} | {max(e, 0) for e in extra})
    got = healpix.ranges_from_pixels(np.array(pixels, dtype=np.int64), order)
    assert got.dtype == np.int64
    assert got.shape == (len(naive_merge(pixels, order)), 2)
    assert [tuple(r) for r in got.tolist()] == naive_merge(pixels, order)
    if len(got):
        assert (got[:, 0] < got[:, 1]).all()
        assert (got[1:, 0] > got[:-1, 1]).all()  # disjoint and not touching: fully merged


def test_ranges_from_pixels_empty_and_full() -> None:
    assert healpix.ranges_from_pixels(np.array([], dtype=np.int64), 5).shape == (0, 2)
    full = healpix.ranges_from_pixels(np.arange(12, dtype=np.int64), 0)
    assert full.tolist() == [[0, N29]]


# ---------------------------------------------------------------- cone_ranges29
def in_ranges(h: np.ndarray, ranges: np.ndarray) -> np.ndarray:
    """Whether each index lies in one of the sorted half-open ``ranges``."""
    i = np.searchsorted(ranges[:, 0], h, side="right") - 1
    ok = i >= 0
    ok[ok] = h[ok] < ranges[i[ok], 1]
    return ok


def check_cone_never_misses(ra: float, dec: float, radius_deg: float, seed: int,
                            order: int | None = None, n: int = 3000) -> np.ndarray:
    ranges = healpix.cone_ranges29(ra, dec, radius_deg, order)
    assert ranges.dtype == np.int64 and ranges.ndim == 2 and ranges.shape[1] == 2
    assert len(ranges) > 0
    assert (ranges[:, 0] < ranges[:, 1]).all()
    assert (ranges[1:, 0] > ranges[:-1, 1]).all()
    assert ranges[0, 0] >= 0 and ranges[-1, 1] <= N29
    rng = np.random.default_rng(seed)
    pra, pdec = cap_points(rng, ra, dec, radius_deg, n)
    # also the centre itself written with RA 0 <-> 360 swapped, and the pole exactly
    pra = np.concatenate([pra, [ra, 360.0 if ra == 0 else ra]])
    pdec = np.concatenate([pdec, [dec, dec]])
    sep = separation_arcsec(ra, dec, pra, pdec)
    inside = sep <= radius_deg * 3600.0
    assert inside.sum() > n // 2  # the sampler works
    h = healpix.radec_to_healpix29(pra[inside], pdec[inside])
    ok = in_ranges(h, ranges)
    assert ok.all(), (
        f"cone ({ra}, {dec}, r={radius_deg} deg) misses {int((~ok).sum())} points, e.g. "
        f"({pra[inside][~ok][0]}, {pdec[inside][~ok][0]}) at "
        f"{sep[inside][~ok][0]} arcsec")
    return ranges


radii = st.one_of(
    st.sampled_from([0.1 / 3600, 1 / 3600, 30 / 3600, 1.0, 30.0]),
    st.floats(np.log10(0.1 / 3600), np.log10(30.0)).map(lambda x: 10.0**x))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ra=ras, dec=decs, radius=radii, seed=st.integers(0, 2**32 - 1))
def test_cone_ranges29_never_misses(ra: float, dec: float, radius: float, seed: int) -> None:
    check_cone_never_misses(ra, dec, radius, seed)


@settings(max_examples=80, deadline=None)
@given(ra=st.one_of(st.floats(0.0, 1.0), st.floats(359.0, 360.0), st.sampled_from([0.0, 360.0])),
       dec=st.one_of(st.floats(89.0, 90.0), st.floats(-90.0, -89.0), st.floats(-1.0, 1.0),
                     st.sampled_from([90.0, -90.0, 89.99, -89.99])),
       radius=radii, seed=st.integers(0, 2**32 - 1))
def test_cone_ranges29_never_misses_at_poles_and_ra_wrap(ra: float, dec: float, radius: float,
                                                         seed: int) -> None:
    check_cone_never_misses(ra, dec, radius, seed)


@settings(max_examples=60, deadline=None)
@given(ra=ras, dec=decs, radius=radii, seed=st.integers(0, 2**32 - 1), data=st.data())
def test_cone_ranges29_explicit_order(ra: float, dec: float, radius: float, seed: int,
                                      data: st.DataObject) -> None:
    # any order not finer than the automatic choice (finer ones can mean millions of pixels)
    order = data.draw(st.integers(0, healpix.order_for_radius(radius)))
    check_cone_never_misses(ra, dec, radius, seed, order=order, n=1000)


@pytest.mark.parametrize(("ra", "dec", "radius"), [
    (0.0, 90.0, 30.0), (123.0, -90.0, 30.0), (0.0, 89.99, 0.02), (360.0, -89.99, 0.02),
    (0.0, 0.0, 0.1 / 3600), (360.0, 0.0, 0.1 / 3600), (45.0, 0.0, 0.1 / 3600),
    (45.0, np.degrees(np.arcsin(2 / 3)), 1 / 3600), (0.0, 0.0, 90.0), (200.0, 10.0, 180.0)])
def test_cone_ranges29_edge_cases(ra: float, dec: float, radius: float) -> None:
    check_cone_never_misses(ra, dec, radius, seed=7)


def test_cone_ranges29_covers_whole_sky_for_180_deg() -> None:
    assert healpix.cone_ranges29(10.0, 20.0, 180.0).tolist() == [[0, N29]]


@settings(max_examples=50, deadline=None)
@given(ra=ras, dec=decs, radius=radii)
def test_cone_ranges29_is_not_grossly_larger_than_the_cone(ra: float, dec: float,
                                                           radius: float) -> None:
    # over-coverage is allowed, but the prefilter should stay a prefilter
    assume(radius < 20)
    ranges = healpix.cone_ranges29(ra, dec, radius)
    area_sr = (ranges[:, 1] - ranges[:, 0]).sum() * 4 * np.pi / N29
    cap_sr = 2 * np.pi * (1 - np.cos(np.radians(radius)))
    pix_sr = 4 * np.pi / (12 * 4 ** healpix.order_for_radius(radius))
    assert area_sr <= 50 * max(cap_sr, pix_sr)
