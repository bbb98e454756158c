"""CSC ingest on real excerpts (../shared/data, see its PROVENANCE.md).

- csc_m101_xrbid/cscresults_M101.vot: CSCview export, M101 field, CSC 2.0, 3492 rows
  = 555 master sources x contributing stacks; units in the FIELDs.
- csc_m101_xrbid/cscresults_M101.frame: the same rows as a pandas CSV (index column,
  True/False booleans, no units).
- csc_muwclass/NGC3532/NGC3532_conesearch.csv: CSC CLI cone search, 389 sources,
  sexagesimal ra/dec strings, padded strings, pandas ``.1`` per-observation twins.
- csc_muwclass/3FGLJ1306.4-6043/3FGLJ1306.4-6043_per.csv: 16 sources, leading space
  in ``name``, mixed-case booleans.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from astropy.coordinates import Angle
from astropy.table import Table

from tests.conftest import shared_file


def test_m101_votable_gives_555_master_sources_and_3492_detections(store, m101_vot):
    lines = store.ingest_csc(m101_vot)
    assert lines[0].startswith("csc: loaded 555 rows")
    assert store.sql("SELECT count(*) AS n, count(DISTINCT name) AS u FROM csc").iloc[0].tolist() \
        == [555, 555]
    det = store.sql("SELECT count(*) AS n, count(DISTINCT name) AS u FROM csc_detections")
    assert det.iloc[0].tolist() == [3492, 555]
    # per-stack values live in the detection table, master values once in csc
    master_cols = set(store.sql("SELECT * FROM csc LIMIT 0").columns)
    det_cols = set(store.sql("SELECT * FROM csc_detections LIMIT 0").columns)
    for c in ("livetime", "theta_mean", "src_cnts_aper_b"):
        assert c in det_cols and c not in master_cols
    for c in ("flux_aper_b", "hard_hs", "err_ellipse_r0", "likelihood_class"):
        assert c in master_cols


def test_m101_values_match_the_votable_rows(store, m101_vot):
    store.ingest_csc(m101_vot)
    raw = Table.read(m101_vot, use_names_over_ids=True).to_pandas()
    raw["name"] = raw["name"].str.strip()
    first = raw.groupby("name", sort=False).first()
    got = store.sql("SELECT * FROM csc").set_index("name").loc[first.index]
    for col in ("ra", "dec", "err_ellipse_r0", "flux_aper_b", "hard_hs_lolim"):
        np.testing.assert_allclose(got[col].to_numpy(float), first[col].to_numpy(float),
                                   rtol=1e-15, equal_nan=True)
    # a hand-checked source: the first row of the file
    src = store.sql("SELECT * FROM csc WHERE name = $n", {"n": "2CXO J140312.5+542056"}).iloc[0]
    assert src["ra"] == pytest.approx(210.80222729081368, abs=1e-12)
    assert src["flux_aper_b"] == pytest.approx(4.5469154070012e-15, rel=1e-12)
    stacks = store.sql("SELECT livetime FROM csc_detections WHERE name = $n ORDER BY det_index",
                       {"n": "2CXO J140312.5+542056"})["livetime"].tolist()
    assert stacks[:2] == pytest.approx([192658.710332788, 142729.49370470902])
    per_src = raw.groupby("name").size()
    assert len(stacks) == per_src["2CXO J140312.5+542056"]


def test_m101_frame_loads_to_the_same_result(store, m101_vot, m101_frame):
    store.ingest_csc(m101_vot, name="csc")
    store.ingest_csc(m101_frame, name="frame")
    a = store.sql("SELECT * FROM csc ORDER BY name")
    b = store.sql("SELECT * FROM frame ORDER BY name")
    assert list(a.columns) == list(b.columns)
    pd.testing.assert_frame_equal(a, b, check_dtype=False, rtol=1e-14)
    da = store.sql("SELECT * FROM csc_detections "
                   "ORDER BY name, det_index")
    db = store.sql("SELECT * FROM frame_detections "
                   "ORDER BY name, det_index")
    pd.testing.assert_frame_equal(da, db, check_dtype=False, rtol=1e-14)
    units = store.sql("SELECT catalog, name, unit FROM catalog_columns "
                      "WHERE name IN ('flux_aper_b', 'err_ellipse_r0', 'ra')")
    assert set(units.groupby("name")["unit"].nunique()) == {1}


def test_canonical_units_are_recorded_with_their_source(store, m101_vot):
    store.ingest_csc(m101_vot)
    cols = store.sql("SELECT name, unit, source_unit, description FROM catalog_columns "
                     "WHERE catalog = 'csc'").set_index("name")
    assert cols.loc["ra", "unit"] == "deg"
    assert cols.loc["err_ellipse_r0", "unit"] == "arcsec"
    assert cols.loc["flux_aper_b", "unit"] == "erg / (s cm2)"
    assert "95%" in cols.loc["err_ellipse_r0", "description"]
    t = store.sql("SELECT name, flux_aper_b, err_ellipse_r0 FROM csc LIMIT 3", output="astropy")
    assert str(t["flux_aper_b"].unit) == "erg / (s cm2)"
    assert str(t["err_ellipse_r0"].unit) == "arcsec"


def test_ngc3532_sexagesimal_and_pandas_twins(store):
    path = shared_file("csc_muwclass/NGC3532/NGC3532_conesearch.csv")
    store.ingest_csc(path, name="ngc3532")
    raw = pd.read_csv(path, dtype=str)
    got = store.sql("SELECT name, ra, dec, conf_flag, likelihood_class FROM ngc3532")
    assert len(got) == 389
    first = raw.iloc[0]
    row = got.set_index("name").loc[first["name"].strip()]
    assert row["ra"] == pytest.approx(Angle(first["ra"].strip(), unit="hourangle").degree,
                                      abs=1e-12)
    assert row["dec"] == pytest.approx(Angle(first["dec"].strip(), unit="deg").degree, abs=1e-12)
    assert got["ra"].between(165, 167).all() and got["dec"].between(-60, -58).all()
    # padded strings stripped; TRUE/' TRUE'/FALSE became booleans
    assert set(got["likelihood_class"]) == {"TRUE", "MARGINAL"}
    assert got["conf_flag"].dtype == bool
    assert got["conf_flag"].sum() == (raw["conf_flag"].str.strip() == "TRUE").sum()
    # the pandas ".1" twins are the per-observation values: detection table, base names
    det = store.sql("SELECT * FROM ngc3532_detections LIMIT 0").columns
    assert "flux_aper90_b" in det and "obsid" in det and "theta" in det
    assert not [c for c in det if c.endswith((".1", "_1"))]


def test_3fgl_per_observation_csv(store):
    path = shared_file("csc_muwclass/3FGLJ1306.4-6043/3FGLJ1306.4-6043_per.csv")
    store.ingest_csc(path, name="f3fgl")
    got = store.sql("SELECT name, ra, dec, sat_src_flag FROM f3fgl ORDER BY name")
    assert len(got) == 16
    assert not got["name"].str.startswith(" ").any()
    assert got["ra"].between(196, 197.5).all() and got["dec"].between(-61, -60).all()
    assert got["sat_src_flag"].dtype == bool
    det = store.sql("SELECT count(*) AS n, count(obsid) AS o FROM f3fgl_detections").iloc[0]
    assert det["n"] == 16 and det["o"] == 16


def test_reingest_identical_is_a_noop_and_changed_input_replaces(store, m101_vot, tmp_path):
    store.ingest_csc(m101_vot)
    created = store.catalogs().set_index("name").loc["csc", "created"]
    again = store.ingest_csc(m101_vot)
    assert all("unchanged" in line for line in again)
    assert store.catalogs().set_index("name").loc["csc", "created"] == created
    # a changed input from the same path replaces the catalog (and its detections)
    copy = tmp_path / "m101.vot"
    copy.write_bytes(m101_vot.read_bytes())
    store.ingest_csc(copy, name="m101")
    text = copy.read_text()
    first_row = text.index("<TR>")
    end = text.index("</TR>", first_row) + len("</TR>")
    copy.write_text(text[:first_row] + text[end:])  # drop one stack row
    lines = store.ingest_csc(copy, name="m101")
    assert lines[0].startswith("m101: replaced 555 rows")
    assert store.sql("SELECT count(*) FROM m101_detections").iloc[0, 0] == 3491
    cats = store.catalogs().set_index("name")
    assert cats.loc["m101", "sha256"] != cats.loc["csc", "sha256"]
