"""Positional links of product rows (xcat.product_link.link_by_position) against an
astropy brute-force nearest match, with hypothesis choosing positions near RA = 0/360
and the poles (synthetic points: geometry, not catalog content)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from astropy import units as u
from astropy.coordinates import SkyCoord
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xcat import Store
from xcat.jobs.products.link import link_by_position

centres = st.sampled_from([(0.0, 0.0), (359.99, 10.0), (0.01, -30.0), (45.0, 89.99),
                           (200.0, -89.99)])


def sky_points(draw, n, ra0, dec0, spread_arcsec):
    offs = draw(st.lists(st.tuples(st.floats(0, 360), st.floats(0, spread_arcsec)),
                         min_size=n, max_size=n))
    c = SkyCoord(ra0 * u.deg, dec0 * u.deg)
    pts = [c.directional_offset_by(pa_ * u.deg, r * u.arcsec) for pa_, r in offs]
    return np.array([p.ra.deg for p in pts]), np.array([p.dec.deg for p in pts])


@st.composite
def scene(draw):
    ra0, dec0 = draw(centres)
    cat = sky_points(draw, draw(st.integers(2, 12)), ra0, dec0, 20.0)
    mine = sky_points(draw, draw(st.integers(1, 8)), ra0, dec0, 25.0)
    return cat, mine, draw(st.floats(0.5, 10.0))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(scene())
def test_position_links_match_brute_force(tmp_path, data):
    (cra, cdec), (mra, mdec), radius = data
    root = tmp_path / f"s{abs(hash((tuple(cra), tuple(mra)))) % 10**9}"
    with Store.open(root, create=True) as store:
        src = root / "cat.parquet"
        pq.write_table(pa.table({"id": [f"S{i}" for i in range(len(cra))], "ra": cra,
                                 "dec": cdec}), src)
        store.ingest_table(src, name="cat", key="id")
        link = link_by_position(store, mra, mdec, "cat", radius)
    sep = SkyCoord(mra * u.deg, mdec * u.deg)[:, None].separation(
        SkyCoord(cra * u.deg, cdec * u.deg)[None, :]).arcsec
    for i in range(len(mra)):
        j = int(sep[i].argmin())
        if sep[i, j] <= radius:
            # ties at equal distance may pick either; compare distances, not ids
            assert link.sep_arcsec[i] is not None
            assert abs(link.sep_arcsec[i] - sep[i, j]) < 1e-6
            assert abs(sep[i, int(link.source_key[i][1:])] - sep[i, j]) < 1e-6
        else:
            assert link.source_key[i] is None and link.sep_arcsec[i] is None
