"""The cross-match engine on real data: CSC M101 sources x HST/ACS F555W stars.

Data (../shared/data/csc_m101_xrbid, see PROVENANCE.md): ``cscresults_M101.vot`` (CSCview
export, 555 master sources), ``M101_daoclean_f555w_acs_fk5.reg`` (1271 DAOPhot F555W
positions as DS9 circles) and XRBID's own 2-sigma matches ``M101_daoclean_matches.frame``
(211 CSC sources, computed with their radii and sigma_ast = 0.4875").

Oracles: every assertion on pairs is against a brute-force astropy separation matrix
computed here from positions read independently (the CSC positions from the store's
table, the HST positions parsed from the region file with a regular expression);
densities and probabilities are recomputed by hand from that matrix. XRBID's matches are
a cross-check of the radius-column mode.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from click.testing import CliRunner

import xcat
from tests.conftest import shared_file
from tests.test_bad_input import snapshot
from xcat.catalog.runs import run_pairs
from xcat.cli import cli
from xcat.errors import XcatError

SIGMA_AST = "0.4875arcsec"


@pytest.fixture(scope="module")
def m101(tmp_path_factory):
    """Store with the M101 CSC catalog (frame error set) and the HST F555W regions."""
    root = tmp_path_factory.mktemp("xm") / "store"
    store = xcat.Store.open(root, create=True)
    store.ingest_csc(shared_file("csc_m101_xrbid/cscresults_M101.vot"))
    store.ingest_table(shared_file("csc_m101_xrbid/M101_daoclean_f555w_acs_fk5.reg"),
                       name="hst_f555w", key="region_id")
    store.set_astrometric_frame("csc", SIGMA_AST)
    yield store
    store.close()


@pytest.fixture(scope="module")
def oracle(m101):
    """Positions read independently and the full astropy separation matrix (arcsec)."""
    text = shared_file("csc_m101_xrbid/M101_daoclean_f555w_acs_fk5.reg").read_text()
    circles = re.findall(r"circle\(([-\d.eE+]+),\s*([-\d.eE+]+),", text)
    # the file is FK5 (J2000); the store holds ICRS: convert with astropy (~7 mas here)
    fk5 = SkyCoord([float(a) for a, _ in circles] * u.deg,
                   [float(d) for _, d in circles] * u.deg, frame="fk5")
    hst = pd.DataFrame({"key": [str(i + 1) for i in range(len(circles))],
                        "ra": fk5.icrs.ra.deg, "dec": fk5.icrs.dec.deg})
    csc = m101.sql("SELECT source_key AS key, ra, dec, pos_err_1sigma, pos_err_r95, "
                   "ellipse_a, ellipse_b, ellipse_pa FROM xray_sources ORDER BY key")
    c1 = SkyCoord(csc.ra.to_numpy() * u.deg, csc.dec.to_numpy() * u.deg)
    c2 = SkyCoord(hst.ra.to_numpy() * u.deg, hst.dec.to_numpy() * u.deg)
    sep = c1[:, None].separation(c2[None, :]).arcsec
    return csc, hst, sep, (c1, c2)


def pair_set(table) -> set[tuple[str, str]]:
    d = table.to_pydict() if hasattr(table, "to_pydict") else table
    return set(zip(d["left_key"], d["right_key"], strict=True))


def brute_pairs(csc, hst, mask) -> set[tuple[str, str]]:
    i, j = np.nonzero(mask)
    lk, rk = csc.key.to_numpy(), hst.key.to_numpy()
    return set(zip(lk[i].tolist(), rk[j].tolist(), strict=True))


@pytest.mark.parametrize("radius", [1.0, 3.0])
def test_fixed_radius_equals_brute_force(m101, oracle, radius):
    csc, hst, sep, _ = oracle
    res = m101.xmatch("csc", "hst_f555w", radius=f"{radius}arcsec", name=f"r{radius}")
    want = brute_pairs(csc, hst, sep <= radius)
    assert pair_set(res.pairs) == want and res.pairs.num_rows == len(want) > 100
    # separations, ranks and candidate counts agree with the matrix
    p = res.pairs.to_pandas()
    lookup = {k: i for i, k in enumerate(csc.key)}
    for row in p.sample(50, random_state=1).itertuples():
        i, j = lookup[row.left_key], int(row.right_key) - 1
        assert row.sep_arcsec == pytest.approx(sep[i, j], abs=1e-9)
        within = np.sort(sep[i][sep[i] <= radius])
        assert row.n_candidates == len(within)
        assert within[row.rank - 1] == pytest.approx(row.sep_arcsec, abs=1e-9)


def test_two_sigma_radius_equals_brute_force(m101, oracle):
    csc, hst, sep, _ = oracle
    res = m101.xmatch("csc", "hst_f555w", sigma=2, right_err="0arcsec",
                      name="csc_x_hst_2sigma")
    # HST positions carry no error: each pair's radius is 2 x the CSC 1-sigma error
    want = brute_pairs(csc, hst, sep <= 2 * csc.pos_err_1sigma.to_numpy()[:, None])
    assert pair_set(res.pairs) == want and len(want) > 100
    p = res.pairs.to_pandas()
    np.testing.assert_allclose(p.norm_sep, p.sep_arcsec / (p.match_radius_arcsec / 2))
    assert (p.norm_sep <= 2).all()


def test_radius_column_reproduces_xrbid_sources(m101, oracle):
    csc, hst, sep, _ = oracle
    res = m101.xmatch("csc", "hst_f555w", radius_column="pos_err_r95", name="xrbid_2sig")
    want = brute_pairs(csc, hst, sep <= csc.pos_err_r95.to_numpy()[:, None])
    assert pair_set(res.pairs) == want
    xrbid = pd.read_csv(shared_file("csc_m101_xrbid/M101_daoclean_matches.frame"))
    # cross-check: the very same 211 CSC sources have F555W stars in their 2-sigma circle
    assert set(res.pairs.column("left_key").to_pylist()) == set(xrbid["CSC ID"].str.strip())


def test_ellipse_test_equals_brute_force(m101, oracle):
    csc, hst, _sep, (c1, c2) = oracle
    res = m101.xmatch("csc", "hst_f555w", sigma=2, ellipse=True, right_err="0arcsec",
                      name="ellipse")
    # independent: tangent-plane offsets from astropy, rotated into each ellipse
    k = 1 / np.sqrt(2 * np.log(20))
    ast = 0.4875
    a = np.hypot(k * csc.ellipse_a.to_numpy(), ast)[:, None]
    b = np.hypot(k * csc.ellipse_b.to_numpy(), ast)[:, None]
    dra, ddec = c1[:, None].spherical_offsets_to(c2[None, :])
    east, north = dra.arcsec, ddec.arcsec
    th = np.radians(csc.ellipse_pa.to_numpy())[:, None]
    major = east * np.sin(th) + north * np.cos(th)
    minor = east * np.cos(th) - north * np.sin(th)
    maha = np.hypot(major / a, minor / b)
    got = pair_set(res.pairs)
    sure = brute_pairs(csc, hst, maha <= 2 - 1e-6)   # tangent plane vs sphere: 1e-6 slack
    maybe = brute_pairs(csc, hst, maha <= 2 + 1e-6)
    assert sure <= got <= maybe and len(sure) > 100
    # the ellipse orientation matters: the pair set differs from the circular 2-sigma one
    circ = m101.xmatch("csc", "hst_f555w", sigma=2, right_err="0arcsec", record=False)
    assert pair_set(circ.pairs) != got


def test_nearest_best_and_rerun(m101, oracle):
    csc, hst, sep, _ = oracle
    full = m101.xmatch("csc", "hst_f555w", radius="2arcsec", name="all2")
    again = m101.xmatch("csc", "hst_f555w", radius="2arcsec", name="all2")
    assert full.pairs.equals(again.pairs)
    assert m101.sql("SELECT count(*) AS n FROM xmatch_runs WHERE name = 'all2'").n[0] == 1
    keys = [("left_key", "ascending"), ("rank", "ascending"), ("right_key", "ascending")]
    assert run_pairs(m101, "all2").select(full.pairs.column_names).equals(
        full.pairs.sort_by(keys))
    near = m101.xmatch("csc", "hst_f555w", radius="2arcsec", nearest=True, name="near2")
    masked = np.where(sep <= 2, sep, np.inf)
    i = np.flatnonzero(np.isfinite(masked).any(axis=1))
    want = {(csc.key[a], hst.key[int(np.argmin(masked[a]))]) for a in i}
    assert pair_set(near.pairs) == want
    best = m101.xmatch("csc", "hst_f555w", radius="2arcsec", best=True, name="best2")
    mutual = {(csc.key[a], hst.key[j]) for a, j in ((a, int(np.argmin(masked[a]))) for a in i)
              if int(np.argmin(masked[:, j])) == a}
    assert pair_set(best.pairs) == mutual
    view = m101.sql("SELECT left_key, right_key FROM best_counterparts WHERE run = 'all2'")
    assert set(zip(view.left_key, view.right_key, strict=True)) == want


def test_chance_and_association_probabilities_by_hand(m101, oracle):
    csc, _hst, sep, _ = oracle
    # the HST list is truncated to the X-ray circles: the annulus density is accepted
    # explicitly here to check its formulas (test_xmatch_chance covers the refusal)
    res = m101.xmatch("csc", "hst_f555w", sigma=2, lr=True, completeness=0.8,
                      annulus=(5.0, 30.0), right_err="0arcsec", density="annulus", name="lr")
    p = res.pairs.to_pandas()
    lookup = {k: i for i, k in enumerate(csc.key)}
    area = np.pi * (30.0**2 - 5.0**2)  # flat-sky area: equal to the spherical one to 1e-8
    for key, grp in list(p.groupby("left_key"))[:40]:
        i = lookup[key]
        n_ann = int(((sep[i] > 5.0) & (sep[i] <= 30.0)).sum())
        rho = max(n_ann, 1) / area
        np.testing.assert_allclose(grp.rho_arcsec2, rho, rtol=1e-7)
        np.testing.assert_allclose(grp.p_chance, 1 - np.exp(-np.pi * grp.sep_arcsec**2 * rho),
                                   rtol=1e-7)
        s = csc.pos_err_1sigma[i]
        f = np.exp(-grp.sep_arcsec**2 / (2 * s**2)) / (2 * np.pi * s**2)
        lr = f / rho
        np.testing.assert_allclose(grp.lr, lr, rtol=1e-7)
        np.testing.assert_allclose(grp.probability, 0.8 * lr / (0.8 * lr.sum() + 0.2), rtol=1e-7)
        np.testing.assert_allclose(grp.p_any, 0.8 * lr.sum() / (0.8 * lr.sum() + 0.2), rtol=1e-7)
    runs = m101.sql("SELECT * FROM xmatch_runs WHERE name = 'lr'").iloc[0]
    assert runs.n_left == 555 and runs.n_right == 1271 and runs.method == "sigma_all"
    assert runs.left_version == m101.catalog("csc")["sha256"]


def test_sql_macro_gives_the_engine_pairs(m101):
    res = m101.xmatch("csc", "hst_f555w", radius="3arcsec", record=False)
    sql = m101.sql("SELECT CAST(left_row.name AS VARCHAR) AS left_key, "
                   "CAST(right_row.region_id AS VARCHAR) AS right_key, sep_arcsec "
                   "FROM xmatch_zones('csc', 'hst_f555w', 3.0)")
    assert set(zip(sql.left_key, sql.right_key, strict=True)) == pair_set(res.pairs)
    assert len(sql) == res.pairs.num_rows


def test_bad_options_leave_the_store_unchanged(m101):
    m101.con.execute("CHECKPOINT")
    before = snapshot(m101.path)
    for kwargs, words in [({"radius": "3arcsec", "sigma": 2}, "exactly one"),
                          ({"radius": "3parsec"}, "angle"),
                          ({"sigma": 2, "left_err": "nope"}, "nope"),
                          ({"sigma": -1}, "sigma"),
                          ({"radius": "1arcsec", "nearest": True, "best": True}, "not both")]:
        with pytest.raises(XcatError, match=words):
            m101.xmatch("csc", "hst_f555w", **kwargs)
    with pytest.raises(XcatError, match="no catalog 'nope'"):
        m101.xmatch("csc", "nope", radius=1.0)
    with pytest.raises(XcatError, match="no cross-match run"):
        run_pairs(m101, "never")
    m101.con.execute("CHECKPOINT")
    assert snapshot(m101.path) == before


def test_cli_xmatch_runs_and_pairs(m101):
    root = str(m101.path)  # the fixture's idle handle holds no lock
    try:
        runner = CliRunner()
        r = runner.invoke(cli, ["--store", root, "xmatch", "csc", "hst_f555w", "--sigma", "2",
                                "--right-err", "0arcsec", "--density", "annulus",
                                "--lr", "--name", "cli_run", "--format", "csv"])
        assert r.exit_code == 0, r.output
        assert "cli_run:" in r.stderr and r.stdout.startswith("left_key,right_key,sep_arcsec")
        r = runner.invoke(cli, ["--store", root, "xmatch-runs", "--format", "csv"])
        assert r.exit_code == 0 and "cli_run" in r.stdout
        r = runner.invoke(cli, ["--store", root, "xmatch-pairs", "cli_run", "--format", "csv"])
        assert r.exit_code == 0 and len(r.stdout.strip().splitlines()) > 100
        r = runner.invoke(cli, ["--store", root, "xmatch", "csc", "hst_f555w"])
        assert r.exit_code == 1 and r.stderr.startswith("xcat: error: give exactly one")
        r = runner.invoke(cli, ["--store", root, "verify"])
        assert r.exit_code == 0, r.output
    finally:
        pass
