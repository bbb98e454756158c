"""Chance coincidences on complete and truncated counterpart lists (issue 11, item 1).

A counterpart list cut to the stars near the X-ray sources (XRBID's HST lists) has
almost nothing in the density annuli, so the annulus density is far too low and every
pair looks significant. These tests pin: the refusal (no p_chance, LR an error) on such a
list, the field density given (``density=``) or measured (``density_from``/``density_area``)
and recorded with the run, and the per-pair ``n_exp`` / ``p_any_unrelated``.

Data: (1) a seeded simulated field with known true and false counterparts: 300 X-ray
sources with 1" 1-sigma errors, half with a true counterpart drawn from that error, in a
uniform field of 0.02 arcsec^-2 unrelated stars; the oracle is the simulation's own truth.
(2) the real M101 excerpts (CSC x HST F555W list, PROVENANCE.md section 1), the issue's
case: before, 783 of 1285 pairs had p_chance < 0.01; the oracle for the density is an
astropy separation matrix of the region file's stars against the 2-sigma circles.
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
from xcat.cli import cli
from xcat.errors import XcatError

RHO = 0.02           # unrelated stars per arcsec^2
CENTRE = SkyCoord(150.0 * u.deg, 2.0 * u.deg)
HALF = 600.0          # field half-size, arcsec
SIGMA = 1.0           # X-ray 1-sigma error per axis, arcsec


def _offset(rng, n, spread):
    pa_deg = rng.uniform(0, 360, n)
    r = np.sqrt(rng.uniform(0, 1, n)) * spread
    return pa_deg, r


@pytest.fixture(scope="module")
def field(tmp_path_factory):
    """Store with the simulated X-ray list, the complete star field and its truncation."""
    rng = np.random.default_rng(11)
    tmp = tmp_path_factory.mktemp("chance")
    n_x = 300
    xs = CENTRE.spherical_offsets_by(rng.uniform(-HALF + 100, HALF - 100, n_x) * u.arcsec,
                                     rng.uniform(-HALF + 100, HALF - 100, n_x) * u.arcsec)
    n_bg = rng.poisson(RHO * (2 * HALF) ** 2)
    bg = CENTRE.spherical_offsets_by(rng.uniform(-HALF, HALF, n_bg) * u.arcsec,
                                     rng.uniform(-HALF, HALF, n_bg) * u.arcsec)
    has = rng.uniform(size=n_x) < 0.5
    true = xs[has].spherical_offsets_by(rng.normal(0, SIGMA, has.sum()) * u.arcsec,
                                        rng.normal(0, SIGMA, has.sum()) * u.arcsec)
    xray = pd.DataFrame({"xid": [f"X{i:03d}" for i in range(n_x)], "ra": xs.ra.deg,
                         "dec": xs.dec.deg, "err": SIGMA})
    stars = pd.DataFrame({
        "star": [f"b{i}" for i in range(n_bg)] + [f"t{i}" for i in np.flatnonzero(has)],
        "ra": np.concatenate([bg.ra.deg, true.ra.deg]),
        "dec": np.concatenate([bg.dec.deg, true.dec.deg])})
    # truncated like XRBID's lists: only the stars inside some source's 3-sigma circle
    sep = SkyCoord(stars.ra.to_numpy() * u.deg, stars.dec.to_numpy() * u.deg)[:, None] \
        .separation(xs[None, :]).arcsec
    near = stars[(sep <= 3 * SIGMA).any(axis=1)]
    xray.to_csv(tmp / "xray.csv", index=False)
    stars.to_csv(tmp / "stars.csv", index=False)
    near.to_csv(tmp / "near.csv", index=False)
    store = xcat.Store.open(tmp / "store", create=True)
    store.ingest_table(tmp / "xray.csv", name="xsim", key="xid")
    store.ingest_table(tmp / "stars.csv", name="field", key="star")
    store.ingest_table(tmp / "near.csv", name="near", key="star")
    yield store, xray, has
    store.close()


def is_true(pairs: pd.DataFrame) -> np.ndarray:
    """True counterparts of the simulation: star t<i> belongs to X-ray source X<i>."""
    return (pairs.right_key.str[0] == "t") & (
        pairs.right_key.str[1:].astype(int) == pairs.left_key.str[1:].astype(int))


def test_complete_field_uses_the_annulus_and_n_exp_counts_the_false_pairs(field):
    store, _xray, _has = field
    res = store.xmatch("xsim", "field", sigma=3, left_err="err", right_err="0arcsec",
                       name="complete")
    p = res.pairs.to_pandas()
    assert res.parameters["density"]["method"] == "annulus"
    assert np.median(p.rho_arcsec2) == pytest.approx(RHO, rel=0.15)
    np.testing.assert_allclose(p.n_exp, p.rho_arcsec2 * np.pi * (3 * SIGMA) ** 2, rtol=1e-12)
    np.testing.assert_allclose(p.p_any_unrelated, 1 - np.exp(-p.n_exp), rtol=1e-12)
    # the expected unrelated counterparts over all circles match the known false pairs
    false = int((~is_true(p)).sum())
    expected = 300 * RHO * np.pi * 9
    assert abs(false - expected) < 3 * np.sqrt(expected)
    # true counterparts are the ones with small p_chance
    t = is_true(p)
    assert p.p_chance[t].median() < 0.5 * p.p_chance[~t].median()
    best = p[p["rank"] == 1]
    sig = best[best.p_chance < 0.05]
    assert len(sig) > 30 and is_true(sig).mean() > 0.7 > t.mean()


def test_truncated_list_refuses_p_chance_and_lr(field, caplog):
    store, *_ = field
    with caplog.at_level("WARNING", logger="xcat.xmatch"):
        res = store.xmatch("xsim", "near", sigma=3, left_err="err", right_err="0arcsec",
                           name="truncated")
    p = res.pairs.to_pandas()
    assert len(p) > 150 and p.p_chance.isna().all() and p.n_exp.isna().all()
    assert [r.message.count("\n") for r in caplog.records] == [0]
    assert "looks truncated" in caplog.records[0].message
    run = store.sql("SELECT density_method FROM xmatch_runs WHERE name = 'truncated'")
    assert run.density_method[0] == "refused: truncated list"
    view = store.sql("SELECT count(*) AS n FROM best_counterparts WHERE run = 'truncated' "
                     "AND p_chance < 0.01")
    assert view.n[0] == 0
    with pytest.raises(XcatError, match=r"'near' looks truncated .*--density"):
        store.xmatch("xsim", "near", sigma=3, left_err="err", right_err="0arcsec", lr=True)


def test_given_density_on_the_truncated_list_matches_the_truth(field):
    store, *_ = field
    forced = store.xmatch("xsim", "near", sigma=3, left_err="err", right_err="0arcsec",
                          density="annulus", record=False).pairs.to_pandas()
    given = store.xmatch("xsim", "near", sigma=3, left_err="err", right_err="0arcsec",
                         density=f"{RHO}/arcsec2", lr=True, name="given").pairs.to_pandas()
    false = int((~is_true(given)).sum())
    # the annulus on the truncated list predicts almost no unrelated stars; the field
    # density predicts the false pairs the simulation put there
    assert forced.groupby("left_key").n_exp.first().sum() < 0.2 * false
    total = given.groupby("left_key").n_exp.first().sum() / len(
        given.left_key.unique()) * 300
    assert abs(total - false) < 3 * np.sqrt(false)
    np.testing.assert_allclose(given.p_chance, 1 - np.exp(-np.pi * given.sep_arcsec**2 * RHO))
    assert given.lr.notna().all()
    run = store.sql("SELECT density_method, density_arcsec2 FROM xmatch_runs "
                    "WHERE name = 'given'").iloc[0]
    assert run.density_method == "given" and run.density_arcsec2 == pytest.approx(RHO)


def test_density_from_a_catalog_in_a_region(field, tmp_path):
    store, *_ = field
    cone = f"{CENTRE.ra.deg} {CENTRE.dec.deg} 4arcmin"
    res = store.xmatch("xsim", "near", sigma=3, left_err="err", right_err="0arcsec",
                       density_from="field", density_area=cone, name="from_field")
    d = res.parameters["density"]
    stars = store.sql("SELECT ra, dec FROM field")
    inside = CENTRE.separation(SkyCoord(stars.ra.to_numpy() * u.deg,
                                        stars.dec.to_numpy() * u.deg)).arcsec <= 240
    assert d["n_inside"] == int(inside.sum())
    assert d["area_arcsec2"] == pytest.approx(np.pi * 240**2, rel=1e-3)
    assert d["value_arcsec2"] == pytest.approx(RHO, rel=0.1)
    run = store.sql("SELECT density_method, density_arcsec2, parameters FROM xmatch_runs "
                    "WHERE name = 'from_field'").iloc[0]
    assert run.density_method == "catalog" and '"catalog": "field"' in run.parameters
    for kwargs, words in [({"density_from": "field"}, "go together"),
                          ({"density": "3arcsec"}, "surface density"),
                          ({"density": "0.1/arcsec2", "density_from": "field",
                            "density_area": cone}, "one density")]:
        with pytest.raises(XcatError, match=words):
            store.xmatch("xsim", "near", sigma=3, left_err="err", right_err="0arcsec",
                         record=False, **kwargs)


@pytest.fixture(scope="module")
def m101(tmp_path_factory):
    """The README's M101 setup: CSC, the HST F555W list (keyed automatically), frame."""
    root = tmp_path_factory.mktemp("chance_m101") / "store"
    store = xcat.Store.open(root, create=True)
    store.ingest_csc(shared_file("csc_m101_xrbid/cscresults_M101.vot"))
    store.ingest_table(shared_file("csc_m101_xrbid/M101_daoclean_f555w_acs_fk5.reg"),
                       name="hst_f555w")
    store.set_astrometric_frame("csc", "0.4875arcsec")
    yield store
    store.close()


def test_m101_truncated_hst_list_before_and_after(m101, tmp_path):
    # before: the annulus density (forced here) made 783 of 1285 pairs "significant"
    before = m101.xmatch("csc", "hst_f555w", radius_column="pos_err_r95",
                         density="annulus", name="xrbid_annulus").pairs.to_pandas()
    assert len(before) == 1285 and int((before.p_chance < 0.01).sum()) == 783
    assert np.median(before.rho_arcsec2) == pytest.approx(0.0036, abs=0.0002)
    # now: refused by default, with the run saying why
    default = m101.xmatch("csc", "hst_f555w", radius_column="pos_err_r95", name="xrbid")
    assert default.pairs.column("p_chance").null_count == 1285
    with pytest.raises(XcatError, match="looks truncated"):
        m101.xmatch("csc", "hst_f555w", radius_column="pos_err_r95", lr=True,
                    right_err="0arcsec", record=False)
    # after: the list's density inside the 2-sigma circles that hold stars
    xs = m101.sql("SELECT x.source_key, x.ra, x.dec, x.pos_err_r95 FROM xray_sources x "
                  "WHERE source_key IN (SELECT left_key FROM best_counterparts "
                  "WHERE run = 'xrbid')")
    reg = tmp_path / "circles.reg"
    reg.write_text("icrs\n" + "".join(f"circle({r.ra},{r.dec},{r.pos_err_r95}\")\n"
                                      for r in xs.itertuples()))
    after = m101.xmatch("csc", "hst_f555w", radius_column="pos_err_r95",
                        density_from="hst_f555w", density_area=str(reg), name="xrbid_field")
    rho = after.parameters["density"]["value_arcsec2"]
    # oracle: stars within any circle (astropy) over the summed circle areas
    text = shared_file("csc_m101_xrbid/M101_daoclean_f555w_acs_fk5.reg").read_text()
    circ = re.findall(r"circle\(([-\d.eE+]+),\s*([-\d.eE+]+),", text)
    stars = SkyCoord([float(a) for a, _ in circ] * u.deg, [float(d) for _, d in circ] * u.deg,
                     frame="fk5").icrs
    c = SkyCoord(xs.ra.to_numpy() * u.deg, xs.dec.to_numpy() * u.deg)
    n_in = int((stars[:, None].separation(c[None, :]).arcsec
                <= xs.pos_err_r95.to_numpy()[None, :]).any(axis=1).sum())
    area = float(np.sum(np.pi * xs.pos_err_r95.to_numpy() ** 2))
    assert after.parameters["density"]["n_inside"] == n_in
    assert rho == pytest.approx(n_in / area, rel=0.03)  # overlaps counted once: >= n/sum
    p = after.pairs.to_pandas()
    np.testing.assert_allclose(p.n_exp, rho * np.pi * p.match_radius_arcsec**2)
    best = m101.sql("SELECT n_exp, p_any_unrelated, p_chance FROM best_counterparts "
                    "WHERE run = 'xrbid_field'")
    assert len(best) == 211 and best.n_exp.median() > 3 and best.p_any_unrelated.median() > 0.9
    assert int((p.p_chance < 0.01).sum()) < 20


def test_m101_cli_lr_is_one_error_line(m101):
    root = str(m101.path)  # the fixture's idle handle holds no lock
    try:
        r = CliRunner().invoke(cli, ["--store", root, "xmatch", "csc", "hst_f555w",
                                     "--radius-column", "pos_err_r95", "--lr", "--right-err",
                                     "0arcsec", "--no-record"])
        assert r.exit_code == 1
        assert r.stderr.startswith("xcat: error: catalog 'hst_f555w' looks truncated")
        assert r.stderr.count("\n") == 1 and "Traceback" not in r.output
        r = CliRunner().invoke(cli, ["--store", root, "xmatch", "csc", "hst_f555w",
                                     "--radius-column", "pos_err_r95", "--density",
                                     "1.3/arcsec2", "--name", "given", "--format", "csv"])
        assert r.exit_code == 0, r.output
        runs = CliRunner().invoke(cli, ["--store", root, "xmatch-runs", "--format", "csv"])
        assert "given" in runs.stdout and ",1.3," in runs.stdout
    finally:
        pass
