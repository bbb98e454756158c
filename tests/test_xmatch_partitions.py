"""The partition-wise cross-match engine (issue 13) against brute force and against
itself: catalogs in many tiny HATS partitions (so partition edges and margins are
exercised everywhere), at the poles, across RA = 0/360, with right catalogs that leave
whole pixels empty (left rows with no right partition: orphans), in every mode.

Reference: the engine's kernel on the whole catalogs at once (``pairs_within``, itself
tested against astropy in test_xmatch_geometry.py), and the same match with each catalog
in one partition.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import xcat
from xcat.errors import XcatError
from xcat.sky import healpix
from xcat.sky.pairs import pairs_within
from xcat.xmatch.engine import MemoryRight, Rows, candidates, collect


def field(rng, n, ra0, dec0, spread_deg):
    """Points around (ra0, dec0) within about ``spread_deg`` (wrapping RA, clipped dec)."""
    dec = np.clip(dec0 + rng.normal(0, spread_deg, n), -90, 90)
    cosd = np.maximum(np.cos(np.radians(dec)), 1e-3)
    ra = np.mod(ra0 + rng.normal(0, spread_deg, n) / cosd, 360)
    return ra, dec


def skies(seed, n=1500):
    """Left and right: fields at both poles, on RA = 0/360, on the equator, plus a
    uniform sprinkle; right rows are left rows moved by up to a few arcsec, plus
    unrelated rows, and a region where the right has nothing (orphans)."""
    rng = np.random.default_rng(seed)
    parts = [field(rng, n // 5, 0.0, 89.9, 0.05), field(rng, n // 5, 180.0, -89.95, 0.03),
             field(rng, n // 5, 359.99, 1.0, 0.02), field(rng, n // 5, 120.0, 0.0, 0.04)]
    ra_u = rng.uniform(0, 360, n // 5)
    dec_u = np.degrees(np.arcsin(rng.uniform(-1, 1, n // 5)))
    ra1 = np.concatenate([p[0] for p in parts] + [ra_u])
    dec1 = np.concatenate([p[1] for p in parts] + [dec_u])
    moved = rng.uniform(0, 4 / 3600, len(ra1))
    ang = rng.uniform(0, 2 * np.pi, len(ra1))
    dec2 = np.clip(dec1 + moved * np.cos(ang), -90, 90)
    ra2 = np.mod(ra1 + moved * np.sin(ang) / np.maximum(np.cos(np.radians(dec2)), 1e-3), 360)
    keep = rng.uniform(size=len(ra1)) < 0.8
    ra2, dec2 = ra2[keep], dec2[keep]
    extra = field(rng, n // 3, 120.0, 0.0, 0.04)
    ra2, dec2 = np.concatenate([ra2, extra[0]]), np.concatenate([dec2, extra[1]])
    # the right catalog has nothing in a box around RA 359.99: left rows there are orphans
    # whose neighbours live in other partitions
    hole = (np.abs(((ra2 + 180) % 360) - 179.99) < 0.01) & (np.abs(dec2 - 1.0) < 0.01)
    return ra1, dec1, ra2[~hole], dec2[~hole]


def brute_pairs(ra1, dec1, ra2, dec2, radius_deg):
    li, rj, _ = pairs_within(ra1, dec1, ra2, dec2, radius_deg)
    return set(zip(li.tolist(), rj.tolist(), strict=True))


@pytest.mark.parametrize("seed, unit_rows, radius_arcsec", [
    (1, 20, 3.0), (2, 7, 10.0), (3, 50, 60.0), (4, 3, 1.0), (5, 200, 600.0)])
def test_units_find_every_pair_once(seed, unit_rows, radius_arcsec):
    ra1, dec1, ra2, dec2 = skies(seed)
    right = MemoryRight(Rows(ra2, dec2, np.full(len(ra2), np.nan),
                             pa.array(np.arange(len(ra2)).astype(str))), unit_rows)
    assert len(right.lo) > 10
    left = Rows(ra1, dec1, np.full(len(ra1), np.nan))
    h29 = healpix.radec_to_healpix29(ra1, dec1)
    orphans = int(np.sum(np.searchsorted(right.lo, h29, "right") - 1 < 0)) + int(np.sum(
        h29 >= right.hi[np.maximum(np.searchsorted(right.lo, h29, "right") - 1, 0)]))
    assert orphans > 0, "the test must have left rows outside every right partition"
    for threads in (1, 2):
        c = collect(candidates(left, h29, right, radius_arcsec / 3600, threads=threads))
        got = list(zip(c.left.tolist(), [int(k) for k in c.right_key.to_pylist()],
                       strict=True))
        assert len(got) == len(set(got)), "a pair was found twice"
        assert set(got) == brute_pairs(ra1, dec1, ra2, dec2, radius_arcsec / 3600)


def test_pair_limit_stops_the_match():
    ra1, dec1, ra2, dec2 = skies(6)
    right = MemoryRight(Rows(ra2, dec2, np.full(len(ra2), np.nan), None), 30)
    left = Rows(ra1, dec1, np.full(len(ra1), np.nan))
    with pytest.raises(XcatError, match=r"more than 10 pairs.*--max-pairs"):
        collect(candidates(left, healpix.radec_to_healpix29(ra1, dec1), right, 1 / 60,
                           max_pairs=10))


# --------------------------------------------------------------- through the store
MODES = [
    ["--radius", "3arcsec", "--no-density"],
    ["--radius", "5arcsec", "--density", "annulus"],          # counts in a 60" annulus
    ["--sigma", "3", "--left-err", "e", "--right-err", "e", "--no-density"],
    ["--sigma", "2", "--left-err", "e", "--right-err", "e", "--lr", "--density", "annulus"],
    ["--radius-column", "r", "--nearest", "--no-density"],
    ["--radius", "4arcsec", "--best", "--density", "0.001/arcsec2"],
]


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    """Two stores with the same catalogs: one in whole base pixels (order 0), one in
    partitions of at most 25 rows with a 90-arcsec margin (wide enough for every
    radius and the default annulus here, so the right side is walked on disk)."""
    base = tmp_path_factory.mktemp("partitions")
    ra1, dec1, ra2, dec2 = skies(11, n=1000)
    rng = np.random.default_rng(12)
    files = {}
    for name, ra, dec in (("l", ra1, dec1), ("r", ra2, dec2)):
        t = pa.table({"id": [f"{name}{i}" for i in range(len(ra))], "ra": ra, "dec": dec,
                      "e": rng.uniform(0.2, 1.5, len(ra)), "r": rng.uniform(0.5, 3.0, len(ra))})
        files[name] = base / f"{name}.parquet"
        pq.write_table(t, files[name])
    out = {}
    for label, rows, margin in (("one", 10**6, None), ("tiny", 25, "90arcsec")):
        root = base / label
        s = xcat.Store.open(root, create=True)
        for name in ("l", "r"):
            s.ingest_table(files[name], name=name, key="id", max_rows=rows, margin=margin)
        s.close()
        out[label] = root
    return out


def run_pairs(root, args):
    from click.testing import CliRunner

    from xcat.cli import cli

    r = CliRunner().invoke(cli, ["--store", str(root), "xmatch", "l", "r", *args,
                                 "--name", "x", "--format", "csv"])
    assert r.exit_code == 0, r.output
    with xcat.Store.open(root, read_only=True) as s:
        t = s.sql("SELECT * FROM xmatch_pairs JOIN xmatch_runs USING (run_id) "
                  "WHERE name = 'x' ORDER BY left_key, right_key")
        n_parts = len(s.sql("SELECT DISTINCT Npix, Norder FROM stg_hats__r"))
    return t, n_parts


@pytest.mark.parametrize("args", MODES, ids=lambda a: " ".join(a[:2] + a[-2:]))
def test_tiny_partitions_give_the_same_run(stores, args):
    one, n1 = run_pairs(stores["one"], args)
    tiny, n2 = run_pairs(stores["tiny"], args)
    assert n1 <= 12 and n2 > 4 * n1  # whole base pixels vs tiny partitions
    assert len(one) > 50
    cols = ["left_key", "right_key", "rank", "n_candidates", "mutual_best"]
    assert one[cols].equals(tiny[cols])
    for c in ("sep_arcsec", "norm_sep", "pa_deg", "match_radius_arcsec", "rho_arcsec2",
              "p_chance", "lr", "probability", "p_any"):
        np.testing.assert_allclose(one[c].to_numpy(float), tiny[c].to_numpy(float),
                                   rtol=1e-12, atol=0, equal_nan=True, err_msg=c)


def test_a_radius_wider_than_a_large_catalogs_margin_is_refused(stores, monkeypatch):
    from xcat.xmatch import stored

    monkeypatch.setattr(stored, "MEMORY_ROWS", 10)  # as if the catalog did not fit
    with xcat.Store.open(stores["tiny"]) as s, \
            pytest.raises(XcatError, match=r"has 90 arcsec, narrower than this match needs "
                          r"\(120 arcsec.*xcat margin r --threshold 120arcsec"):
        s.xmatch("l", "r", radius="2arcmin", density=False, record=False)


def test_the_right_side_is_walked_on_disk_when_its_margin_is_wide_enough(stores):
    from xcat.xmatch.sides import Side
    from xcat.xmatch.stored import MemoryRight, StoredRight, inspect_right, open_right

    with xcat.Store.open(stores["tiny"], read_only=True) as s, s.reading():
        plan = inspect_right(s, Side("r", "e", None, "--right-err"))
        assert isinstance(open_right(s, plan, 90.0), StoredRight)
        assert isinstance(open_right(s, plan, 91.0), MemoryRight)  # small: held in memory
        assert plan.stats.n_rows == len(s.sql("SELECT * FROM r"))


def test_too_many_pairs_is_one_error_and_records_nothing(stores):
    from cli_helpers import fails

    err = fails(stores["tiny"], "xmatch", "l", "r", "--radius", "1arcmin", "--no-density",
                "--max-pairs", "5", "--name", "too_many")
    assert "more than 5 pairs" in err and "--max-pairs" in err
    with xcat.Store.open(stores["tiny"], read_only=True) as s:
        assert len(s.sql("SELECT * FROM xmatch_runs WHERE name = 'too_many'")) == 0
