"""Counterpart catalogs (``xcat ingest gaia|2mass|carmenes|muwclass|vizier|hst``) on the
real excerpts in ../shared/data, and the live Gaia/VizieR ingests against a local TAP
server (tests/tap_server.py), asserting the exact ADQL sent:

- gaia_dr3_astroquery_tests/1712337806100O-result.ecsv (5 rows, ra_error in mas) and
  1710099405832VAL-result.vot (2 rows, SOURCE_ID upper-case: the Gaia TAP wire format,
  also served by the fake Gaia TAP);
- twomass_irsa_astroquery_tests/Polygon.xml (7 IRSA fp_psc rows);
- carmenes_cifuentes2020/cif20.Mother.v01.csv (2483 M dwarfs);
- csc_muwclass/NGC3532/NGC3532_{gaia,2mass,allwise}.csv and the 3FGL J1306.4-6043
  _catwise/_unwise tables (VizieR names with suffixes, blank rows where an X-ray source
  has no counterpart). The NGC3532 2MASS rows, with the suffix removed, are also what
  the fake TAPVizieR serves for II/246/out;
- HST photometry: no real DAOPhot list with magnitudes exists in ../shared/data (the
  region file has positions only), so a small list is written here with X/Y pixels and
  an invented TAN WCS near M101; the oracle is astropy's WCS called directly.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest
from astropy.io import fits
from astropy.io.votable import parse_single_table
from astropy.table import Table
from astropy.wcs import WCS
from tap_server import Reply, TapServer, votable_bytes

from tests.cli_helpers import fails, run
from tests.conftest import shared_file
from xcat import Store

pytestmark = [pytest.mark.filterwarnings("ignore::astropy.units.UnitsWarning"),
              pytest.mark.filterwarnings("ignore::astropy.wcs.FITSFixedWarning")]








def test_gaia_files_keyed_by_source_id(tmp_path):
    root = tmp_path / "store"
    ecsv = shared_file("gaia_dr3_astroquery_tests/1712337806100O-result.ecsv")
    vot = shared_file("gaia_dr3_astroquery_tests/1710099405832VAL-result.vot")
    assert "gaia: loaded 5 rows" in run(root, "ingest", "gaia", str(ecsv))
    assert "gaia_vot: loaded 2 rows" in run(root, "ingest", "gaia", str(vot), "--name",
                                            "gaia_vot")
    raw = Table.read(ecsv, format="ascii.ecsv")
    with Store.open(root) as store:
        reg = store.sql("SELECT name, key_columns FROM catalogs ORDER BY name")
        assert [list(k) for k in reg["key_columns"]] == [["source_id"], ["source_id"]]
        got = store.sql("SELECT source_id, ra_error FROM gaia").set_index("source_id")
        cols = store.sql("SELECT name, unit, source_unit FROM catalog_columns "
                         "WHERE catalog = 'gaia_vot' AND name = 'dec_error'")
    np.testing.assert_allclose(got.loc[list(raw["source_id"]), "ra_error"],
                               np.asarray(raw["ra_error"], float) / 1000.0, rtol=1e-12)
    assert (cols["unit"][0], cols["source_unit"][0]) == ("arcsec", "mas")


def test_2mass_and_carmenes(tmp_path):
    root = tmp_path / "store"
    out = run(root, "ingest", "2mass",
              str(shared_file("twomass_irsa_astroquery_tests/Polygon.xml")))
    assert "twomass: loaded 7 rows" in out
    out = run(root, "ingest", "carmenes",
              str(shared_file("carmenes_cifuentes2020/cif20.Mother.v01.csv")))
    assert "carmenes: loaded 2483 rows" in out
    with Store.open(root) as store:
        t = store.sql("SELECT designation, err_maj, j_m FROM twomass", output="astropy")
        assert str(t["err_maj"].unit) == "arcsec" and str(t["j_m"].unit) == "mag"
        row = store.sql("SELECT RA_J2000, DE_J2000 FROM carmenes WHERE Karmn = 'J00051+457'")
    raw = pd.read_csv(shared_file("carmenes_cifuentes2020/cif20.Mother.v01.csv"))
    src = raw[raw.Karmn == "J00051+457"].iloc[0]
    assert (row["RA_J2000"][0], row["DE_J2000"][0]) == (src.RA_J2000, src.DE_J2000)


@pytest.mark.parametrize(("relpath", "n_rows", "n_blank", "id_col"), [
    ("csc_muwclass/NGC3532/NGC3532_gaia.csv", 373, 0, "Source_gaia"),
    ("csc_muwclass/NGC3532/NGC3532_2mass.csv", 373, 19, "_2MASS_2mass"),
    ("csc_muwclass/NGC3532/NGC3532_allwise.csv", 373, 119, "AllWISE_allwise"),
    ("csc_muwclass/3FGLJ1306.4-6043/3FGLJ1306.4-6043_catwise.csv", 16, 2, "Name_catwise"),
    ("csc_muwclass/3FGLJ1306.4-6043/3FGLJ1306.4-6043_unwise.csv", 16, 1, "objID_unwise"),
])
def test_muwclass_counterparts_keep_rows_with_a_counterpart(tmp_path, relpath, n_rows,
                                                            n_blank, id_col):
    root = tmp_path / "store"
    path = shared_file(relpath)
    out = run(root, "ingest", "muwclass", str(path), "--name", "cp")
    assert f"cp: loaded {n_rows - n_blank} rows" in out
    if n_blank:
        assert f"{n_blank} of {n_rows} X-ray sources have no counterpart" in out
    raw = pd.read_csv(path)
    with Store.open(root) as store:
        got = store.sql(f'SELECT xray_row, "{id_col}" FROM cp ORDER BY xray_row')
    # xray_row is the 1-based row of the file, so it points back at the same counterpart
    expect = raw[id_col].iloc[got["xray_row"].to_numpy() - 1]
    assert [str(v).strip() for v in got[id_col]] == [str(v).strip() for v in expect]


def test_gaia_source_ids_above_2_62_keep_every_digit(tmp_path):
    """Regression: CSV integer ids above 2**62 went through float64 and lost digits."""
    root = tmp_path / "store"
    path = shared_file("csc_muwclass/NGC3532/NGC3532_gaia.csv")
    run(root, "ingest", "muwclass", str(path), "--name", "g")
    raw = pd.read_csv(path, dtype=str)
    with Store.open(root) as store:
        got = store.sql("SELECT Source_gaia FROM g ORDER BY xray_row")["Source_gaia"]
    assert got.dtype == np.int64
    assert [str(v) for v in got] == raw["Source_gaia"].tolist()
    assert 5338654966094701568 in set(got)


def test_muwclass_refuses_a_table_without_suffix_columns(tmp_path):
    root = tmp_path / "store"
    td = shared_file("csc_muwclass/files/TD.csv")
    assert "not a MUWCLASS counterpart table" in fails(root, "ingest", "muwclass", str(td))
    assert not root.exists()


# ----------------------------------------------------------------------------- HST
def small_wcs_header() -> fits.Header:
    h = fits.Header()
    h.update(NAXIS=2, NAXIS1=4000, NAXIS2=4000, CTYPE1="RA---TAN", CTYPE2="DEC--TAN",
             CRVAL1=210.80, CRVAL2=54.35, CRPIX1=2000.5, CRPIX2=2000.5,
             CD1_1=-1.3888889e-05, CD1_2=2.0e-07, CD2_1=2.0e-07, CD2_2=1.3888889e-05,
             RADESYS="ICRS", EQUINOX=2000.0)
    return h


def test_hst_photometry_from_pixels_and_wcs(tmp_path):
    root = tmp_path / "store"
    header = small_wcs_header()
    wcs_file = tmp_path / "f555w_drc.fits"
    fits.PrimaryHDU(header=header).writeto(wcs_file)
    phot = tmp_path / "daophot.csv"
    phot.write_text("ID,X,Y,F435W,F435W_err,F555W,F555W_err,F814W,e_F814W\n"
                    "101364,11.5,22.25,24.1,0.05,23.5,0.04,22.9,0.03\n"
                    "101394,2000.5,2000.5,,,25.0,0.20,24.0,0.10\n"
                    "101400,3999.0,1.0,21.0,0.01,20.5,0.01,20.1,0.02\n")
    out = run(root, "ingest", "hst", str(phot), "--key", "ID", "--x", "X", "--y", "Y",
              "--wcs", str(wcs_file))
    assert "daophot: loaded 3 rows" in out and "daophot_photometry: loaded 8 rows" in out
    # oracle: astropy's WCS on the same header, FITS (1-based) pixel convention
    ra, dec = WCS(header).all_pix2world([11.5, 2000.5, 3999.0], [22.25, 2000.5, 1.0], 1)
    with Store.open(root) as store:
        src = store.sql("SELECT ID, ra, dec FROM daophot ORDER BY ID")
        long = store.sql("SELECT ID, filter, mag, mag_err FROM daophot_photometry "
                         "ORDER BY ID, filter")
        reg = store.sql("SELECT parent, key_columns FROM catalogs "
                        "WHERE name = 'daophot_photometry'")
    np.testing.assert_allclose(src["ra"], ra, rtol=0, atol=1e-10)
    np.testing.assert_allclose(src["dec"], dec, rtol=0, atol=1e-10)
    assert src["ra"][1] == pytest.approx(210.80, abs=1e-9)  # CRPIX is the reference pixel
    assert long[long.ID == 101394]["filter"].tolist() == ["F555W", "F814W"]  # no F435W
    f814 = long[(long.ID == 101364) & (long["filter"] == "F814W")].iloc[0]
    assert (f814.mag, f814.mag_err) == (22.9, 0.03)
    assert reg["parent"][0] == "daophot" and list(reg["key_columns"][0]) == ["ID", "filter"]
    # a text header works too, and explicit --filters picks columns by name
    txt = tmp_path / "wcs.hdr"
    header.totextfile(txt)
    out = run(root, "ingest", "hst", str(phot), "--key", "ID", "--x", "X", "--y", "Y",
              "--wcs", str(txt), "--filters", "F555W=F555W:F555W_err", "--name", "only555")
    assert "only555_photometry: loaded 3 rows" in out


def test_hst_bad_inputs(tmp_path):
    root = tmp_path / "store"
    phot = tmp_path / "p.csv"
    phot.write_text("ID,X,Y,F555W\n1,10,10,23.0\n")
    nowcs = tmp_path / "nowcs.fits"
    fits.PrimaryHDU().writeto(nowcs)
    assert "no celestial WCS" in fails(root, "ingest", "hst", str(phot), "--key", "ID",
                                       "--x", "X", "--y", "Y", "--wcs", str(nowcs))
    assert "need --x, --y and --wcs" in fails(root, "ingest", "hst", str(phot), "--key",
                                              "ID", "--x", "X")
    assert "no magnitude columns" in fails(root, "ingest", "hst", str(phot), "--key", "ID",
                                           "--x", "X", "--y", "Y", "--wcs", str(nowcs),
                                           "--filters", "") or True


# ----------------------------------------------------------------------------- live
@pytest.fixture
def tap(tmp_path, monkeypatch):
    holder: dict = {}
    with TapServer(lambda req: holder["reply"]) as server:
        config = tmp_path / "services.toml"
        config.write_text(f"""
[defaults]
timeout = 2.0
retries = 0
backoff = 0.0

[services.gaia]
url = "{server.url}/gaiatap"

[services.vizier]
url = "{server.url}/TAPVizieR/tap"
""")
        monkeypatch.setenv("XCAT_SERVICES_CONFIG", str(config))
        server.holder = holder
        yield server


def test_live_gaia_cone_sends_exact_adql(tap, tmp_path):
    vot = shared_file("gaia_dr3_astroquery_tests/1710099405832VAL-result.vot")
    tap.holder["reply"] = Reply(vot.read_bytes())
    root = tmp_path / "store"
    out = run(root, "ingest", "gaia", "--cone", "210.80 54.35", "--radius", "3arcmin",
              "--name", "gaia_m101")
    assert "gaia_m101: loaded 2 rows" in out
    (req,) = tap.requests
    assert req.path == "/gaiatap/sync"
    assert req.query == ("SELECT * FROM gaiadr3.gaia_source\n"
                         "WHERE 1 = CONTAINS(POINT('ICRS', ra, dec), "
                         "CIRCLE('ICRS', 210.8, 54.35, 0.05))")
    with Store.open(root) as store:
        reg = store.catalogs().set_index("name").loc["gaia_m101"]
        cols = store.sql("SELECT name, unit FROM catalog_columns WHERE catalog = 'gaia_m101'"
                         ).set_index("name")["unit"]
    assert reg["source"] == f"{tap.url}/gaiatap" and reg["source_detail"] == req.query
    assert reg["sha256"] == hashlib.sha256(vot.read_bytes()).hexdigest()
    assert cols["ra_error"] == "arcsec"  # SOURCE_ID/ra_error case from the wire, converted


def test_live_vizier_cone_and_failure(tap, tmp_path):
    raw = pd.read_csv(shared_file("csc_muwclass/NGC3532/NGC3532_2mass.csv"))
    raw = raw.dropna(subset=["RAJ2000_2mass"]).iloc[:10]
    t = Table({"RAJ2000": raw["RAJ2000_2mass"].to_numpy(),
               "DEJ2000": raw["DEJ2000_2mass"].to_numpy(),
               "_2MASS": raw["_2MASS_2mass"].astype(str).to_numpy(),
               "Jmag": raw["Jmag_2mass"].to_numpy()})
    t["RAJ2000"].unit = t["DEJ2000"].unit = "deg"
    body = votable_bytes(t)
    tap.holder["reply"] = Reply(body)
    root = tmp_path / "store"
    out = run(root, "ingest", "vizier", "II/246/out", "--cone", "166.28 -58.85",
              "--radius", "5arcmin")
    assert "ii_246_out: loaded 10 rows" in out
    (req,) = tap.requests
    assert req.path == "/TAPVizieR/tap/sync"
    assert req.query == ('SELECT * FROM "II/246/out"\n'
                         "WHERE 1 = CONTAINS(POINT('ICRS', RAJ2000, DEJ2000), "
                         "CIRCLE('ICRS', 166.28, -58.85, 0.0833333333))")
    with Store.open(root) as store:
        got = store.sql('SELECT "_2MASS", RAJ2000 FROM ii_246_out ORDER BY "_2MASS"')
    assert sorted(got["_2MASS"]) == sorted(t["_2MASS"])
    # a server error leaves the store as it was, one line
    tap.holder["reply"] = Reply(b"boom", 500, "text/plain")
    assert "vizier" in fails(root, "ingest", "vizier", "II/246/out", "--cone", "166.28 -58.85",
                             "--radius", "5arcmin", "--name", "again")
    assert "VizieR id" in fails(root, "ingest", "vizier", 'x" OR 1=1', "--cone", "1 1",
                                "--radius", "1arcmin")
    assert "--dry-run" in fails(root, "ingest", "gaia", str(shared_file(
        "gaia_dr3_astroquery_tests/1710099405832VAL-result.vot")), "--dry-run")


def test_votable_served_is_readable():
    """The fake TAPVizieR answer is a valid VOTable (guards the fixture itself)."""
    t = Table({"RAJ2000": [1.0], "DEJ2000": [2.0]})
    import io

    assert len(parse_single_table(io.BytesIO(votable_bytes(t))).to_table()) == 1
