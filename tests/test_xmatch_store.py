"""Store-level cross-matches across HATS partition edges with large radii (2RXS-like 30"
and CARMENES-like 8"), per-source error columns, and the SQL macro on the same data.

Data: seeded synthetic catalogs written here (no real excerpt): clusters of sources
around the point where four HEALPix base pixels meet (RA 45, Dec 0 and RA 0, Dec 41.8),
across RA = 0/360, and at the north pole, ingested with a small ``max_rows`` so the
catalogs are split into many partitions. Oracle: astropy separation matrices.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord

from xcat.errors import XcatError

CENTRES = [(45.0, 0.0), (0.0, 41.8103), (359.999, -20.0), (10.0, 89.99)]


def cluster(rng, n, spread_deg):
    ra, dec = [], []
    for a, d in CENTRES:
        c = SkyCoord(np.full(n, a) * u.deg, np.full(n, d) * u.deg)
        off = c.directional_offset_by(rng.uniform(0, 360, n) * u.deg,
                                      rng.uniform(0, spread_deg, n) * u.deg)
        ra.append(np.mod(off.ra.deg, 360))
        dec.append(off.dec.deg)
    return np.concatenate(ra), np.concatenate(dec)


@pytest.fixture(scope="module")
def sky(tmp_path_factory):
    import xcat

    rng = np.random.default_rng(42)
    tmp = tmp_path_factory.mktemp("xm_edges")
    ra1, dec1 = cluster(rng, 150, 0.05)
    ra2, dec2 = cluster(rng, 600, 0.05)
    left = pd.DataFrame({"id": np.arange(len(ra1)), "ra": ra1, "dec": dec1,
                         "err": rng.uniform(1, 10, len(ra1))})
    right = pd.DataFrame({"src": [f"s{i}" for i in range(len(ra2))], "ra": ra2, "dec": dec2,
                          "e": rng.uniform(0, 2, len(ra2))})
    left.to_csv(tmp / "left.csv", index=False)
    right.to_csv(tmp / "right.csv", index=False)
    store = xcat.Store.open(tmp / "store", create=True)
    store.ingest_table(tmp / "left.csv", name="xl", key="id", max_rows=40)
    store.ingest_table(tmp / "right.csv", name="xr", key="src", max_rows=40)
    assert store.catalog("xl")["n_partitions"] > 4 and store.catalog("xr")["n_partitions"] > 4
    c1 = SkyCoord(ra1 * u.deg, dec1 * u.deg)
    c2 = SkyCoord(ra2 * u.deg, dec2 * u.deg)
    yield store, left, right, c1[:, None].separation(c2[None, :]).arcsec
    store.close()


def pairs(table):
    d = table.to_pydict()
    return set(zip(d["left_key"], d["right_key"], strict=True))


def brute(left, right, mask):
    i, j = np.nonzero(mask)
    ids, srcs = left.id.astype(str).to_numpy(), right.src.to_numpy()
    return set(zip(ids[i].tolist(), srcs[j].tolist(), strict=True))


@pytest.mark.parametrize("radius", [8.0, 30.0, 120.0])
def test_large_radii_across_partitions(sky, radius):
    store, left, right, sep = sky
    res = store.xmatch("xl", "xr", radius=radius, name=f"edges{radius}")
    want = brute(left, right, sep <= radius)
    assert pairs(res.pairs) == want and len(want) > 20


def test_per_source_error_columns(sky):
    store, left, right, sep = sky
    res = store.xmatch("xl", "xr", sigma=2.5, left_err="err", right_err="e", name="errs")
    comb = np.hypot(left.err.to_numpy()[:, None], right.e.to_numpy()[None, :])
    assert pairs(res.pairs) == brute(left, right, sep <= 2.5 * comb)


def test_sql_macro_across_partitions_and_poles(sky):
    store, left, right, sep = sky
    rows = store.sql("SELECT CAST(left_row.id AS VARCHAR) AS l, right_row.src AS r "
                     "FROM xmatch_zones('xl', 'xr', 30.0)")
    assert set(zip(rows.l, rows.r, strict=True)) == brute(left, right, sep <= 30.0)


def test_missing_errors_are_named(sky):
    store, *_ = sky
    with pytest.raises(XcatError, match=r"catalog 'xl' row .* 1-sigma"):
        store.xmatch("xl", "xr", sigma=2)
    with pytest.raises(XcatError, match="--lr needs positional errors"):
        store.xmatch("xl", "xr", radius=5.0, lr=True)
