"""The cross-match kernel on the stored HEALPix order (xcat.sky.cells) against brute force.

Data: random catalogs made here with numpy under hypothesis (no real excerpt): dense
clusters (so rows refine to finer orders), sources near the poles and RA = 0/360, and
right sides split into a partition's own rows and its margin. The oracle is the full
matrix of astropy ``SkyCoord.separation`` values; pairs within 1e-9" of the radius are
floating-point ties and are left out. The kernel's tuning constants are varied, since
each setting sends rows down a different path (interior, edge, refined, every pair).
"""

from __future__ import annotations

import healpy as hp
import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xcat.sky import cells, healpix
from xcat.sky.pairs import pairs_within

SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow,
                                                        HealthCheck.function_scoped_fixture]}
TIE_ARCSEC = 1e-9


def brute(ra1, dec1, ra2, dec2, radius_arcsec):
    c1, c2 = SkyCoord(ra1 * u.deg, dec1 * u.deg), SkyCoord(ra2 * u.deg, dec2 * u.deg)
    sep = c1[:, None].separation(c2[None, :]).arcsec
    want = {(int(i), int(j)) for i, j in zip(*np.nonzero(sep <= radius_arcsec), strict=True)}
    ties = {(int(i), int(j)) for i, j in
            zip(*np.nonzero(np.abs(sep - radius_arcsec) <= TIE_ARCSEC), strict=True)}
    return want, ties


def h29(ra, dec):
    return hp.ang2pix(2**29, ra, dec, nest=True, lonlat=True).astype(np.int64)


def cluster(rng, n, ra0, dec0, scale_deg):
    c = SkyCoord(np.full(n, ra0) * u.deg, np.full(n, dec0) * u.deg)
    off = c.directional_offset_by(rng.uniform(0, 360, n) * u.deg,
                                  np.abs(rng.normal(0, scale_deg, n)) * u.deg)
    return np.mod(off.ra.deg, 360.0), np.clip(off.dec.deg, -90, 90)


def catalogs(rng, radius_deg):
    """Left and right rows: a dense cluster around a random centre (poles and RA = 0
    included) plus a sparse background.
    """
    ra0 = float(rng.choice([0.0, 359.99, rng.uniform(0, 360)]))
    dec0 = float(rng.choice([89.99, -89.99, 0.0, rng.uniform(-90, 90)]))
    ra1, dec1 = cluster(rng, 60, ra0, dec0, 3 * radius_deg)
    ra2, dec2 = cluster(rng, 120, ra0, dec0, 3 * radius_deg)
    ra2 = np.concatenate([ra2, rng.uniform(0, 360, 40)])
    dec2 = np.concatenate([dec2, np.degrees(np.arcsin(rng.uniform(-1, 1, 40)))])
    return ra1, dec1, ra2, dec2


def split_unit(ra1, dec1, ra2, dec2, order):
    """The partition (at ``order``) holding the first left row: its left rows, its own
    right rows and all other right rows as the margin, each block sorted.
    """
    h1, h2 = h29(ra1, dec1), h29(ra2, dec2)
    shift = 2 * (healpix.MAX_ORDER - order)
    pix = int(h1[0] >> shift)
    lo, hi = pix << shift, (pix + 1) << shift
    left = np.flatnonzero((h1 >= lo) & (h1 < hi))
    own = np.flatnonzero((h2 >= lo) & (h2 < hi))
    own = own[np.argsort(h2[own], kind="stable")]
    rest = np.flatnonzero((h2 < lo) | (h2 >= hi))
    rest = rest[np.argsort(h2[rest], kind="stable")]
    return left, h1, (order, lo, hi), [own, rest], h2


@settings(max_examples=25, **SETTINGS)
@given(seed=st.integers(0, 2**32 - 1),
       radius=st.sampled_from([0.05, 1.0, 3.0, 60.0, 900.0]),
       depth=st.sampled_from([0, 2, 5, 8]), most=st.sampled_from([0, 1, 32]),
       order=st.integers(0, 12))
def test_unit_pairs_match_brute_force(monkeypatch, seed, radius, depth, most, order):
    monkeypatch.setattr(cells, "INTERIOR_DEPTH", depth)
    monkeypatch.setattr(cells, "MAX_CANDIDATES", most)
    rng = np.random.default_rng(seed)
    ra1, dec1, ra2, dec2 = catalogs(rng, radius / 3600)
    want, ties = brute(ra1, dec1, ra2, dec2, radius)
    # the whole sky as one block
    i, j, _ = pairs_within(ra1, dec1, ra2, dec2, radius / 3600, chunk=7)
    got = list(zip(i.tolist(), j.tolist(), strict=True))
    assert len(got) == len(set(got)), "a pair was found twice"
    assert set(got) - ties == want - ties
    # one partition's left rows against its own rows and a margin block
    left, h1, unit, blocks, h2 = split_unit(ra1, dec1, ra2, dec2, order)
    li, rj, _, _ = cells.unit_pairs(ra1[left], dec1[left], h1[left],
                                    [h2[b] for b in blocks], [ra2[b] for b in blocks],
                                    [dec2[b] for b in blocks], radius / 3600, unit=unit)
    rows = np.concatenate(blocks)
    got = list(zip(left[li].tolist(), rows[rj].tolist(), strict=True))
    assert len(got) == len(set(got)), "a pair was found twice"
    mine = {p for p in want if p[0] in set(left.tolist())}
    assert set(got) - ties == mine - ties


@pytest.mark.parametrize("radius_deg", [5.0, 20.0, 100.0])
def test_radii_beyond_the_pixel_property_compare_every_pair(radius_deg):
    rng = np.random.default_rng(7)
    ra1, dec1 = rng.uniform(0, 360, 40), np.degrees(np.arcsin(rng.uniform(-1, 1, 40)))
    ra2, dec2 = rng.uniform(0, 360, 90), np.degrees(np.arcsin(rng.uniform(-1, 1, 90)))
    assert cells.margin_order(radius_deg) < cells.MIN_ORDER
    want, ties = brute(ra1, dec1, ra2, dec2, radius_deg * 3600)
    i, j, _ = pairs_within(ra1, dec1, ra2, dec2, radius_deg, chunk=3)
    assert set(zip(i.tolist(), j.tolist(), strict=True)) - ties == want - ties


@pytest.mark.parametrize("order", range(5))
def test_ancestors_are_distinct(order):
    """No pixel is looked up twice for a row (a repeated neighbour would double a pair)."""
    pix = np.arange(12 * 4**order)
    around = cells._around(pix, order)
    for up in range(order + 1):
        anc = cells._ancestors(around, up)
        want = np.where(around >= 0, around >> (2 * up), -1)
        for a, w in zip(anc, want, strict=True):
            real = a[a >= 0].tolist()
            assert len(real) == len(set(real)), "an ancestor is listed twice"
            assert set(real) == set(w[w >= 0].tolist())
