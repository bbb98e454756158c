"""Property tests of the cross-match engine (xcat.xmatch) against astropy brute force.

Data: random catalogs made here with numpy under hypothesis (no real excerpt): uniform
skies, dense clusters, sources near the poles, straddling RA = 0/360, and sitting on
HEALPix pixel boundaries and vertices; radii from 0.01" to 1 deg. The oracle is the full
matrix of astropy ``SkyCoord.separation`` values; pairs closer than 1e-9" to the radius
are floating-point ties and are left out of the comparison.
"""

from __future__ import annotations

import healpy as hp
import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xcat.sky.pairs import pairs_within, rank_by_left
from xcat.sky.spherical import position_angle_deg
from xcat.xmatch.engine import MemoryRight, Rows, candidates, collect

SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
TIE_ARCSEC = 1e-9


def brute(ra1, dec1, ra2, dec2, radius_arcsec):
    """(pairs within radius, tie pairs) from the full astropy separation matrix."""
    c1 = SkyCoord(ra1 * u.deg, dec1 * u.deg)
    c2 = SkyCoord(ra2 * u.deg, dec2 * u.deg)
    sep = c1[:, None].separation(c2[None, :]).arcsec
    inside = {(int(i), int(j)) for i, j in zip(*np.nonzero(sep <= radius_arcsec), strict=True)}
    ties = {(int(i), int(j)) for i, j in
            zip(*np.nonzero(np.abs(sep - radius_arcsec) <= TIE_ARCSEC), strict=True)}
    return inside, ties, sep


def assert_same_pairs(ra1, dec1, ra2, dec2, radius_arcsec, chunk=64):
    li, rj, sep = pairs_within(ra1, dec1, ra2, dec2, radius_arcsec / 3600, chunk=chunk)
    got = list(zip(li.tolist(), rj.tolist(), strict=True))
    assert len(got) == len(set(got)), "a pair was returned twice"
    want, ties, matrix = brute(ra1, dec1, ra2, dec2, radius_arcsec)
    assert set(got) - ties == want - ties
    if got:
        np.testing.assert_allclose(sep * 3600, matrix[li, rj], rtol=0, atol=1e-9)
    # the partition-wise engine, the right side in units of 16 rows (many partition
    # edges, margins and left rows outside every unit), on one and two threads
    right = MemoryRight(Rows(np.asarray(ra2, float), np.asarray(dec2, float),
                             np.full(len(ra2), np.nan), None), unit_rows=16)
    left = Rows(np.asarray(ra1, float), np.asarray(dec1, float), np.full(len(ra1), np.nan))
    h29 = hp.ang2pix(2**29, left.ra, left.dec, nest=True, lonlat=True).astype(np.int64)
    for threads in (1, 2):
        c = collect(candidates(left, h29, right, radius_arcsec / 3600, threads=threads))
        found = list(zip(c.left.tolist(), c.right_key.to_pylist(), strict=True))
        assert len(found) == len(set(found)), "the engine found a pair twice"
        assert set(found) - ties == want - ties


def scatter(rng, ra0, dec0, n, scale_deg):
    """``n`` points around (ra0, dec0) within about ``scale_deg`` (astropy offsets)."""
    c = SkyCoord(np.full(n, ra0) * u.deg, np.full(n, dec0) * u.deg)
    off = c.directional_offset_by(rng.uniform(0, 360, n) * u.deg,
                                  np.abs(rng.normal(0, scale_deg, n)) * u.deg)
    return np.mod(off.ra.deg, 360.0), np.clip(off.dec.deg, -90, 90)


radii = st.sampled_from([0.01, 0.5, 3.0, 30.0, 300.0, 3600.0])
seeds = st.integers(0, 2**32 - 1)


@settings(max_examples=20, **SETTINGS)
@given(seed=seeds, radius=radii)
def test_uniform_sky(seed, radius):
    rng = np.random.default_rng(seed)
    ra1, dec1 = rng.uniform(0, 360, 150), np.degrees(np.arcsin(rng.uniform(-1, 1, 150)))
    # half the right rows are true counterparts within about the radius
    ra_c, dec_c = (np.concatenate(x) for x in zip(*[
        scatter(rng, a, d, 1, radius / 3600) for a, d in zip(ra1[:75], dec1[:75], strict=True)],
        strict=True))
    ra2 = np.concatenate([ra_c, rng.uniform(0, 360, 100)])
    dec2 = np.concatenate([dec_c, np.degrees(np.arcsin(rng.uniform(-1, 1, 100)))])
    assert_same_pairs(ra1, dec1, ra2, dec2, radius)


@settings(max_examples=25, **SETTINGS)
@given(seed=seeds, radius=radii, pole=st.sampled_from([90.0, -90.0]),
       dist=st.floats(0.0, 2.0))
def test_near_the_poles(seed, radius, pole, dist):
    rng = np.random.default_rng(seed)
    centre = pole - np.sign(pole) * dist
    ra1, dec1 = scatter(rng, rng.uniform(0, 360), centre, 120, max(radius / 3600, 0.01) * 3)
    ra2, dec2 = scatter(rng, rng.uniform(0, 360), centre, 200, max(radius / 3600, 0.01) * 3)
    ra1[0], dec1[0] = 123.0, pole  # a source exactly on the pole
    assert_same_pairs(ra1, dec1, ra2, dec2, radius)


@settings(max_examples=25, **SETTINGS)
@given(seed=seeds, radius=radii, dec=st.floats(-89.0, 89.0))
def test_across_ra_wrap(seed, radius, dec):
    rng = np.random.default_rng(seed)
    scale = max(radius / 3600, 1e-4) * 2
    ra1, dec1 = scatter(rng, 0.0, dec, 120, scale)
    ra2, dec2 = scatter(rng, 360.0 - 1e-9, dec, 200, scale)
    ra2[:5] = 0.0  # exactly on RA = 0 and RA = 360 - tiny
    ra2[5:10] = np.nextafter(360.0, 0)
    assert_same_pairs(ra1, dec1, ra2, dec2, radius)


@settings(max_examples=20, **SETTINGS)
@given(seed=seeds, radius=radii, order=st.sampled_from([0, 3, 7, 12]))
def test_on_healpix_pixel_edges_and_vertices(seed, radius, order):
    rng = np.random.default_rng(seed)
    nside = 1 << order
    pix = rng.integers(0, 12 * nside**2, 6)
    vecs = np.concatenate([hp.boundaries(nside, int(p), step=4, nest=True).T for p in pix])
    theta, phi = hp.vec2ang(vecs)
    ra_b, dec_b = np.degrees(phi), 90.0 - np.degrees(theta)
    ra2, dec2 = [], []
    for a, d in zip(ra_b, dec_b, strict=True):
        r, dd = scatter(rng, a, d, 4, radius / 3600)
        ra2.append(r)
        dec2.append(dd)
    assert_same_pairs(ra_b, dec_b, np.concatenate(ra2), np.concatenate(dec2), radius)


@settings(max_examples=15, **SETTINGS)
@given(seed=seeds, radius=st.sampled_from([1.0, 3.0, 30.0]))
def test_dense_cluster(seed, radius):
    rng = np.random.default_rng(seed)
    ra0, dec0 = rng.uniform(0, 360), rng.uniform(-80, 80)
    ra1, dec1 = scatter(rng, ra0, dec0, 200, radius / 3600 * 3)
    ra2, dec2 = scatter(rng, ra0, dec0, 300, radius / 3600 * 3)
    ra2[:20], dec2[:20] = ra1[:20], dec1[:20]  # identical positions: separation 0
    assert_same_pairs(ra1, dec1, ra2, dec2, radius, chunk=7)


def test_radius_exactly_on_a_pair_inclusive():
    ra1, dec1 = np.array([10.0]), np.array([20.0])
    ra2, dec2 = np.array([10.0]), np.array([20.0 + 3 / 3600])
    sep = SkyCoord(10 * u.deg, 20 * u.deg).separation(SkyCoord(10 * u.deg, dec2[0] * u.deg))
    li, _, _ = pairs_within(ra1, dec1, ra2, dec2, sep.deg)
    assert li.tolist() == [0]


def test_empty_inputs():
    e = np.empty(0)
    assert len(pairs_within(e, e, np.array([1.0]), np.array([1.0]), 1.0)[0]) == 0
    assert len(pairs_within(np.array([1.0]), np.array([1.0]), e, e, 1.0)[0]) == 0


def test_position_angle_matches_astropy():
    rng = np.random.default_rng(5)
    ra1, dec1 = rng.uniform(0, 360, 50), rng.uniform(-89, 89, 50)
    ra2 = np.mod(ra1 + rng.normal(0, 0.01, 50), 360)
    dec2 = np.clip(dec1 + rng.normal(0, 0.01, 50), -90, 90)
    want = SkyCoord(ra1 * u.deg, dec1 * u.deg).position_angle(
        SkyCoord(ra2 * u.deg, dec2 * u.deg)).deg
    np.testing.assert_allclose(position_angle_deg(ra1, dec1, ra2, dec2), want, atol=1e-9)


def test_rank_by_left_hand_example():
    # left 0 has candidates at 2" (right 5) and 1" (right 7); left 3 has one at 4"
    rank, n = rank_by_left(np.array([0, 0, 3]), np.array([2.0, 1.0, 4.0]), np.array([5, 7, 5]))
    assert rank.tolist() == [2, 1, 1] and n.tolist() == [2, 2, 1]

