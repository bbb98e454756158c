"""Computed products linked to sources (``xcat ingest product|xrbid|classification``),
on the real excerpts in ../shared/data:

- csc_m101_xrbid/cscresults_M101.vot: the M101 CSC field (555 sources), the catalog
  products link to;
- csc_m101_xrbid/M101_csc_bestrads.frame (555 rows) and M101_daoclean_matches.frame
  (1402 HST sources in the 2-sigma circles of 211 CSC sources): XRBID products keyed
  by "CSC ID";
- csc_muwclass/NGC3532/NGC3532_conesearch.csv (389 CSC sources, loaded as csc_ngc3532)
  and NGC3532_class.csv (373 MUWCLASS class probabilities keyed by CSC name);
- csc_muwclass/files/TD.csv: the all-sky MUWCLASS training set (2941 rows), linked by
  position, so nearly all rows link to nothing and must be kept and reported.

The XRBID notes file (CSC ID, ID, Class, Best Star, Mass, Notes) has no real excerpt:
a small one is written here with real M101 CSC names and one invented name.
Oracles: pandas reads of the same files and an astropy brute-force nearest match.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from click.testing import CliRunner

from tests.cli_helpers import fails, run
from tests.conftest import shared_file
from xcat import Store
from xcat.cli import cli


@pytest.fixture(scope="module")
def m101_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("products") / "store"
    run(root, "ingest", "csc", str(shared_file("csc_m101_xrbid/cscresults_M101.vot")))
    return root


def test_xrbid_bestrads_and_matches_link_by_csc_id(m101_root):
    best = shared_file("csc_m101_xrbid/M101_csc_bestrads.frame")
    out = run(m101_root, "ingest", "xrbid", str(best), "--key", "CSC ID")
    assert "m101_csc_bestrads: loaded 555 rows (xrbid)" in out
    assert "555 linked, 0 unlinked" in out
    matches = shared_file("csc_m101_xrbid/M101_daoclean_matches.frame")
    out = run(m101_root, "ingest", "xrbid", str(matches), "--key", "CSC ID")
    assert "1402 linked, 0 unlinked" in out
    raw = pd.read_csv(best, index_col=0)
    with Store.open(m101_root) as store:
        got = store.sql('SELECT _row, _source_key, "CSC ID", "2Sig" FROM m101_csc_bestrads '
                        "ORDER BY _row")
        assert got["_source_key"].tolist() == raw["CSC ID"].tolist()
        np.testing.assert_allclose(got["2Sig"], raw["2Sig"], rtol=0, atol=0)
        n = store.sql("SELECT count(DISTINCT _source_key) AS n FROM m101_daoclean_matches")
        assert n["n"][0] == 211  # the 211 CSC sources of PROVENANCE.md
        # every link resolves to a real source of the catalog
        orphans = store.sql("SELECT count(*) AS n FROM m101_daoclean_matches p "
                            "LEFT JOIN csc c ON c.name = p._source_key WHERE c.name IS NULL")
        assert orphans["n"][0] == 0
        reg = store.sql("SELECT * FROM products WHERE name = 'm101_csc_bestrads'").iloc[0]
        assert reg["link_rule"] == "key 'CSC ID' = csc.name"
        assert reg["sha256"] == hashlib.sha256(best.read_bytes()).hexdigest()
        assert reg["source"] == str(best.absolute())
    # identical input: no-op
    assert "unchanged" in run(m101_root, "ingest", "xrbid", str(best), "--key", "CSC ID")
    # provenance shows in xcat catalogs and in xcat products
    cats = run(m101_root, "catalogs", "--format", "csv")
    assert "m101_csc_bestrads,product:xrbid,555" in cats
    assert "m101_daoclean_matches" in run(m101_root, "products", "--format", "csv")


def test_xrbid_notes_unlinked_rows_are_kept_and_reported(m101_root, tmp_path):
    notes = tmp_path / "M101_notes.csv"
    notes.write_text(
        "CSC ID,ID,Class,Best Star,Mass,Notes\n"
        "2CXO J140312.5+542056,101364,HMXB,101364,high,bright blue donor\n"
        "2CXO J140312.7+542055,,AGN,,,background galaxy in HST\n"
        "2CXO J999999.9+999999,5,Star,5,low,not a source of this field\n")
    out = run(m101_root, "ingest", "classification", str(notes), "--key", "CSC ID")
    assert "2 linked, 1 unlinked" in out
    assert "row 3 (CSC ID='2CXO J999999.9+999999')" in out
    with Store.open(m101_root) as store:
        got = store.sql('SELECT _row, _source_key, Class, "Best Star", Notes FROM m101_notes '
                        "ORDER BY _row")
    assert len(got) == 3 and got["_source_key"].isna().tolist() == [False, False, True]
    assert got["Class"].tolist() == ["HMXB", "AGN", "Star"]


def test_muwclass_classes_link_to_the_ngc3532_csc_catalog(tmp_path):
    root = tmp_path / "store"
    with Store.open(root, create=True) as store:
        store.ingest_csc(shared_file("csc_muwclass/NGC3532/NGC3532_conesearch.csv"),
                         name="csc_ngc3532")
    path = shared_file("csc_muwclass/NGC3532/NGC3532_class.csv")
    out = run(root, "ingest", "classification", str(path), "--key", "name",
              "--catalog", "csc_ngc3532")
    assert "ngc3532_class: loaded 373 rows (classification)" in out
    assert "373 linked, 0 unlinked" in out
    raw = pd.read_csv(path)
    with Store.open(root) as store:
        got = store.sql('SELECT name, Class, "P_LM-STAR" FROM ngc3532_class ORDER BY _row')
    assert got["Class"].value_counts().to_dict() == raw["Class"].value_counts().to_dict()
    np.testing.assert_allclose(got["P_LM-STAR"], raw["P_LM-STAR"])


def test_training_set_links_by_position_like_brute_force(tmp_path):
    root = tmp_path / "store"
    cone = shared_file("csc_muwclass/NGC3532/NGC3532_conesearch.csv")
    with Store.open(root, create=True) as store:
        store.ingest_csc(cone, name="csc_ngc3532")
        csc = store.sql("SELECT name, ra, dec FROM csc_ngc3532")
    td = shared_file("csc_muwclass/files/TD.csv")
    out = run(root, "ingest", "classification", str(td), "--radius", "1arcsec",
              "--ra", "CSCv2_RA", "--dec", "CSCv2_DEC", "--catalog", "csc_ngc3532")
    raw = pd.read_csv(td)
    # oracle: every TD row against every CSC source, astropy separations
    sep = SkyCoord(raw["CSCv2_RA"].to_numpy() * u.deg, raw["CSCv2_DEC"].to_numpy() * u.deg)[
        :, None].separation(SkyCoord(csc["ra"].to_numpy() * u.deg,
                                     csc["dec"].to_numpy() * u.deg)[None, :]).arcsec
    best = sep.argmin(axis=1)
    within = sep.min(axis=1) <= 1.0
    expect = [csc["name"][j] if w else None for j, w in zip(best, within, strict=True)]
    n_link = int(within.sum())
    assert n_link >= 1  # NGC 3532 sources are in the training set
    assert f"{n_link} linked, {len(raw) - n_link} unlinked" in out
    assert "unlinked (kept with _source_key NULL), e.g. row 1 " in out
    with Store.open(root) as store:
        got = store.sql("SELECT _source_key, _link_sep_arcsec FROM td ORDER BY _row")
    assert len(got) == 2941
    assert [None if pd.isna(k) else k for k in got["_source_key"]] == expect
    linked = got["_link_sep_arcsec"].notna().to_numpy()
    np.testing.assert_allclose(got["_link_sep_arcsec"][linked], sep.min(axis=1)[within],
                               atol=1e-6)


def test_bad_product_input_changes_nothing(m101_root, tmp_path):
    best = str(shared_file("csc_m101_xrbid/M101_csc_bestrads.frame"))
    assert "no key column 'CSC_ID'" in fails(m101_root, "ingest", "xrbid", best,
                                              "--key", "CSC_ID", "--name", "x1")
    assert "no catalog 'nope'" in fails(m101_root, "ingest", "xrbid", best, "--key", "CSC ID",
                                        "--catalog", "nope", "--name", "x2")
    assert "--key COLUMN, --radius R" in fails(m101_root, "ingest", "xrbid", best)
    assert "is a catalog" in fails(m101_root, "ingest", "xrbid", best, "--key", "CSC ID",
                                   "--name", "csc")
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("CSC ID,Class\n2CXO J140312.5+542056,AGN\nx,y,z\n")
    assert "ragged.csv" in fails(m101_root, "ingest", "classification", str(ragged),
                                 "--key", "CSC ID")
    assert "rows" not in fails(m101_root, "ingest", "classification", str(tmp_path / "no.csv"),
                               "--key", "CSC ID")
    other = tmp_path / "M101_csc_bestrads.frame"
    other.write_text("CSC ID,x\n2CXO J140312.5+542056,1\n")
    run(m101_root, "ingest", "xrbid", best, "--key", "CSC ID")
    assert "is taken" in fails(m101_root, "ingest", "xrbid", str(other), "--key", "CSC ID")


def test_generic_product_without_store_is_not_created(tmp_path):
    best = str(shared_file("csc_m101_xrbid/M101_csc_bestrads.frame"))
    root = tmp_path / "nostore"
    r = CliRunner().invoke(cli, ["--store", str(root), "ingest", "product", best,
                                 "--kind", "generic", "--key", "CSC ID"])
    assert r.exit_code == 1 and "no xcat store" in r.stderr
    assert not root.exists()
    out = run(root, "ingest", "product", best, "--kind", "generic", "--no-link")
    assert "not linked (--no-link): 0 linked, 555 unlinked" in out
