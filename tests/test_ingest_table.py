"""Generic table ingest (``xcat ingest table``) on the real excerpts in ../shared/data:

- carmenes_cifuentes2020/cif20.Mother.v01.csv: 2483 M dwarfs, all-sky CSV, RA_J2000/DE_J2000
  in degrees plus J2015 columns with gaps.
- gaia_dr3_astroquery_tests/1712337806100O-result.ecsv: Gaia DR3 ECSV with full units and
  UCDs (ra_error/dec_error in mas, UCD stat.error;pos.eq.*; pmra_error in mas/yr).
- gaia_dr3_astroquery_tests/1710099405832VAL-result.vot: Gaia TAP VOTable, 2 rows.
- twomass_irsa_astroquery_tests/Polygon.xml: IRSA 2MASS PSC VOTable, 7 rows.
- 2rxs_flarestack/...small.fits: big-endian FITS BINTABLE, 25648 rows, no units.
- heasarc_ccosmos_votable/43d2ec37.dat: HEASARC VOTable 1.0 (unit "'" for arcmin).
"""

from __future__ import annotations

import numpy as np
import pytest
from astropy.table import Table

from tests.conftest import shared_file


def test_carmenes_csv_all_sky(store):
    path = shared_file("carmenes_cifuentes2020/cif20.Mother.v01.csv")
    store.ingest_table(path, name="carmenes", key="Karmn")
    got = store.sql("SELECT Karmn, RA_J2000, DE_J2000 FROM carmenes")
    assert len(got) == 2483 and got["Karmn"].is_unique
    raw = Table.read(path, format="ascii.csv")
    row = got.set_index("Karmn").loc["J00051+457"]
    src = raw[raw["Karmn"] == "J00051+457"][0]
    assert row["RA_J2000"] == pytest.approx(float(src["RA_J2000"]), abs=1e-12)
    assert (store.catalogs().set_index("name").loc["carmenes", "n_partitions"]) >= 2


def test_position_with_gaps_is_refused_with_the_row(store):
    from xcat import XcatError

    path = shared_file("carmenes_cifuentes2020/cif20.Mother.v01.csv")
    with pytest.raises(XcatError, match=r"'RA_J2015': row \d+ has no valid coordinate"):
        store.ingest_table(path, name="c15", ra="RA_J2015", dec="DE_J2015")


def test_gaia_ecsv_units_and_position_errors(store):
    path = shared_file("gaia_dr3_astroquery_tests/1712337806100O-result.ecsv")
    store.ingest_table(path, name="gaia", key="source_id")
    cols = store.sql("SELECT name, unit, source_unit, ucd FROM catalog_columns "
                     "WHERE catalog = 'gaia'").set_index("name")
    assert cols.loc["ra_error", "unit"] == "arcsec" and cols.loc["ra_error", "source_unit"] == "mas"
    assert cols.loc["pmra_error", "unit"] == "mas / yr"  # a proper-motion error is left alone
    raw = Table.read(path, format="ascii.ecsv")
    got = store.sql("SELECT source_id, ra_error FROM gaia").set_index("source_id")
    expect = raw["ra_error"].astype(float) * 1e-3  # float32 mas -> float64 arcsec
    np.testing.assert_allclose(got.loc[list(raw["source_id"]), "ra_error"], expect, rtol=1e-15)


def test_gaia_votable_and_2mass_votable(store):
    store.ingest_table(shared_file("gaia_dr3_astroquery_tests/1710099405832VAL-result.vot"),
                       name="gaia_vot", key="source_id")
    store.ingest_table(shared_file("twomass_irsa_astroquery_tests/Polygon.xml"), name="tmass")
    assert store.sql("SELECT count(*) AS n FROM gaia_vot")["n"].iloc[0] == 2
    t = store.sql("SELECT * FROM tmass", output="astropy")
    assert len(t) == 7 and str(t["ra"].unit) == "deg"


def test_big_endian_fits_without_units(store):
    path = shared_file("2rxs_flarestack/"
                       "LLAGN_2rxs2AllWiseSayfertness_no3LACbl_April2020_small.fits")
    store.ingest_table(path, name="llagn", key="2RXS_ID")
    raw = Table.read(path)
    got = store.sql('SELECT "2RXS_ID", RA_DEG, XRay_FLUX FROM llagn').set_index("2RXS_ID")
    assert len(got) == len(raw) == 25648
    first = raw[0]
    assert got.loc[first["2RXS_ID"].strip(), "RA_DEG"] == pytest.approx(float(first["RA_DEG"]))
    # all-sky: cone search near the pole and across RA=0 agree with brute force
    from astropy.coordinates import SkyCoord

    allc = SkyCoord(raw["RA_DEG"], raw["DEC_DEG"], unit="deg")
    for ra, dec in ((0.0, 0.0), (180.0, 89.0), (359.9, -85.0)):
        cone = store.cone("llagn", ra, dec, "5deg")
        expect = allc.separation(SkyCoord(ra, dec, unit="deg")).deg <= 5
        assert len(cone) == int(expect.sum())


def test_heasarc_votable_with_arcmin_quote_unit(store):
    path = shared_file("heasarc_ccosmos_votable/43d2ec37.dat")
    store.ingest_table(path, name="ccosmos", pos_err=("error_radius",))
    cols = store.sql("SELECT name, unit FROM catalog_columns WHERE catalog = 'ccosmos'"
                     ).set_index("name")["unit"]
    assert cols["error_radius"] == "arcsec"
    assert cols["flux"] == "erg / (s cm2)"
    assert store.sql("SELECT count(*) AS n FROM ccosmos")["n"].iloc[0] == 1761


def test_map_renames_and_declares_units(store, tmp_path):
    p = tmp_path / "mine.csv"
    p.write_text("src,RA,DEC,F_X,err\nA,10.0,20.0,2.0e-17,1.5\nB,10.1,20.1,3.0e-17,0.1\n")
    store.ingest_table(p, name="mine", key="src", mapping="flux=F_X[W/m2],poserr=err[arcmin]",
                       pos_err=("poserr",))
    got = store.sql("SELECT src, flux, poserr FROM mine ORDER BY src")
    # 1 W/m2 = 1000 erg/s/cm2 ; 1.5 arcmin = 90 arcsec
    assert got["flux"].tolist() == pytest.approx([2.0e-14, 3.0e-14])
    assert got["poserr"].tolist() == pytest.approx([90.0, 6.0])
