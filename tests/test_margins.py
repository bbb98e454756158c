"""Margin caches (issue 13): the rows near each partition's edge that live in other
partitions, checked against brute force (poles, RA = 0/360, tiny partitions), written
beside every catalog at ingest, and used by LSDB to give complete answers.
"""

from __future__ import annotations

import warnings

import numpy as np
import pyarrow.parquet as pq
import pytest
from conftest import shared_file

import xcat
from xcat.catalog import margin
from xcat.sky import healpix, margins
from xcat.sky.pairs import pairs_within
from xcat.sky.partitioning import choose_partitions

CARMENES = "carmenes_cifuentes2020/cif20.Mother.v01.csv"


def sky(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Uniform points plus crowds at both poles and on RA = 0/360."""
    rng = np.random.default_rng(seed)
    ra = rng.uniform(0, 360, n)
    dec = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    k = n // 8
    dec[:k] = rng.uniform(87, 90, k)
    dec[k:2 * k] = -rng.uniform(87, 90, k)
    ra[2 * k:3 * k] = np.mod(rng.normal(0, 0.3, k), 360)
    return ra, dec


@pytest.mark.parametrize("threshold_deg, max_rows, seed", [
    (0.5, 200, 1), (2.0, 60, 2), (10 / 3600, 40, 3), (0.05, 25, 4)])
def test_margin_rows_hold_every_row_within_the_threshold(threshold_deg, max_rows, seed):
    ra, dec = sky(6000, seed)
    if threshold_deg < 0.01:  # a small threshold needs close neighbours to test anything
        rng = np.random.default_rng(seed)
        ra = np.mod(ra[:600, None] + rng.normal(0, 0.003, (600, 10)), 360).ravel()
        dec = np.clip(dec[:600, None] + rng.normal(0, 0.003, (600, 10)), -90, 90).ravel()
    h = healpix.radec_to_healpix29(ra, dec)
    order = np.argsort(h, kind="stable")
    ra, dec, h = ra[order], dec[order], h[order]
    parts = choose_partitions(h, max_rows)
    assert len(parts) > 10
    lo, hi = margins.partition_bounds(parts)
    rows, targets = margins.margin_rows(h, lo, hi, threshold_deg)
    home = margins.home_partition(h, lo, hi)
    assert np.all(home >= 0) and np.all(targets != home[rows])
    have = set(zip(rows.tolist(), targets.tolist(), strict=True))
    # brute force over rows: a row within the threshold of a row of another partition
    # is within the threshold of that partition, so it must be in its margin
    i, j, _ = pairs_within(ra, dec, ra, dec, threshold_deg)
    cross = home[i] != home[j]
    need = set(zip(j[cross].tolist(), home[i][cross].tolist(), strict=True))
    assert need, "the test must exercise partition edges"
    assert need <= have


def test_margin_order_bounds_neighbour_reach():
    """Points within the threshold of a point stay in its pixel or its 8 neighbours at
    the margin order (what the margin relies on), at the poles and RA = 0/360 too."""
    rng = np.random.default_rng(7)
    for t in (1 / 3600, 10 / 3600, 0.2, 3.0):
        m = margins.margin_order(t)
        ra, dec = sky(4000, int(t * 1e4))
        ang = rng.uniform(0, 2 * np.pi, len(ra))
        # a point at distance t in a random direction (small-circle step on the sphere)
        d0, r0 = np.radians(dec), np.radians(ra)
        d1 = np.arcsin(np.sin(d0) * np.cos(np.radians(t))
                       + np.cos(d0) * np.sin(np.radians(t)) * np.cos(ang))
        r1 = r0 + np.arctan2(np.sin(ang) * np.sin(np.radians(t)) * np.cos(d0),
                             np.cos(np.radians(t)) - np.sin(d0) * np.sin(d1))
        p0 = healpix.to_order(healpix.radec_to_healpix29(ra, dec), m)
        p1 = healpix.to_order(healpix.radec_to_healpix29(np.mod(np.degrees(r1), 360),
                                                         np.degrees(d1)), m)
        nb = healpix.neighbours(m, p0)
        assert np.all((p1 == p0) | (nb == p1[None, :]).any(axis=0)), t


@pytest.fixture(scope="module")
def carmenes(tmp_path_factory):
    """CARMENES (2483 M dwarfs) in small partitions with a 60-arcmin margin."""
    root = tmp_path_factory.mktemp("margins") / "store"
    store = xcat.Store.open(root, create=True)
    store.ingest_table(shared_file(CARMENES), name="carmenes", key="Karmn", max_rows=600,
                       margin="60arcmin")
    yield store
    store.close()


def test_ingest_writes_a_margin_catalog(carmenes):
    d = carmenes.catalog_dir("carmenes")
    assert margin.read_threshold(d) == 3600.0
    props = (margin.margin_dir(d) / "hats.properties").read_text()
    assert "dataproduct_type=margin" in props
    t = carmenes.sql("SELECT _healpix_29, \"RA_J2000\" AS ra, \"DE_J2000\" AS dec, "
                     "\"Karmn\" FROM stg_hats__carmenes", output="arrow")
    files = sorted(margin.margin_dir(d).glob("dataset/Norder=*/Dir=*/Npix=*/*.parquet"))
    in_margin = set()
    for f in files:
        target = (int(f.parent.parent.parent.name.split("=")[1]),
                  int(f.parent.name.split("=")[1]))
        in_margin |= {(k, target) for k in pq.read_table(f, columns=["Karmn"])["Karmn"]
                      .to_pylist()}
    assert in_margin
    parts = margin.read_partitions(d)
    lo, hi = margins.partition_bounds(parts)
    h = t["_healpix_29"].to_numpy()
    home = margins.home_partition(h, lo, hi)
    ra, dec = t["ra"].to_numpy(), t["dec"].to_numpy()
    i, j, _ = pairs_within(ra, dec, ra, dec, 1.0)
    cross = home[i] != home[j]
    keys = t["Karmn"].to_pylist()
    need = {(keys[b], parts[home[a]]) for a, b in zip(i[cross], j[cross], strict=True)}
    assert need and need <= in_margin


def _pairs(df, left: str, right: str) -> set[tuple[str, str]]:
    return set(zip(df[left], df[right], strict=True))


@pytest.mark.slow
def test_lsdb_crossmatch_with_the_margin_equals_xcat(carmenes):
    """LSDB's CARMENES self-match at 60 arcmin: complete with xcat's margin (the same
    pairs as ``xcat xmatch``), incomplete without it (pairs lost at partition edges)."""
    import lsdb

    d = carmenes.catalog_dir("carmenes")
    ours = carmenes.xmatch("carmenes", "carmenes", radius="60arcmin", density=False,
                           record=False).pairs
    expected = set(zip(ours["left_key"].to_pylist(), ours["right_key"].to_pylist(),
                       strict=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = {}
        for label, cat in (("margin", lsdb.open_catalog(d, margin_cache=margin.margin_dir(d))),
                           ("none", lsdb.open_catalog(d))):
            df = cat.crossmatch(cat, radius_arcsec=3600, n_neighbors=100,
                                suffixes=("_l", "_r")).compute()
            found[label] = _pairs(df, "Karmn_l", "Karmn_r")
    assert len(expected) == 3443
    assert found["margin"] == expected
    assert found["none"] < expected  # without a margin LSDB loses edge pairs


def test_margin_command_rebuilds_and_records_the_threshold(tmp_path):
    from cli_helpers import fails, run

    root = tmp_path / "store"
    run(root, "ingest", "table", str(shared_file(CARMENES)), "--name", "carmenes",
        "--key", "Karmn", "--partition-rows", "600")
    with xcat.Store.open(root, read_only=True) as s:
        assert s.catalog("carmenes")["margin_arcsec"] == 10.0  # no error columns: 10"
        d = s.catalog_dir("carmenes")
    before = {p.name for p in d.iterdir()}
    out = run(root, "margin", "carmenes", "--threshold", "2arcmin")
    assert "margin cache of 120 arcsec" in out
    with xcat.Store.open(root, read_only=True) as s:
        assert s.catalog("carmenes")["margin_arcsec"] == 120.0
    assert margin.read_threshold(d) == 120.0
    assert {p.name for p in d.iterdir()} == before  # no leftovers beside it
    fails(root, "margin", "nope", "--threshold", "1arcmin")
    fails(root, "margin", "carmenes", "--threshold", "12")
