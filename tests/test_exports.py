"""Paper outputs: exports (FITS, VOTable, CSV, Parquet, AASTeX) keep units, UCDs and
descriptions; DS9 regions parse with astropy ``regions``; saved samples with parameters;
figures are written. Data: the real M101 CSC excerpt (csc_m101_xrbid/cscresults_M101.vot)
and the HST F555W region file of the same field (M101_daoclean_f555w_acs_fk5.reg).
"""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest
from astropy.io import fits
from astropy.io.votable import parse_single_table
from astropy.table import Table
from click.testing import CliRunner

from tests.conftest import shared_file
from xcat.cli import cli
from xcat.output.latex import round_by_error
from xcat.output.tables import write_table as export_table


@pytest.fixture
def m101(store, m101_vot):
    store.ingest_csc(m101_vot)
    return store


def test_exports_keep_units_ucds_descriptions(m101, tmp_path):
    t = m101.sql("SELECT name, ra, dec, flux_aper_b, err_ellipse_r0 FROM csc ORDER BY name",
                 output="astropy")
    export_table(t, "fits", tmp_path / "a.fits")
    with fits.open(tmp_path / "a.fits") as h:
        hdr = h[1].header
        cols = {hdr[f"TTYPE{i}"]: i for i in range(1, hdr["TFIELDS"] + 1)}
        i = cols["flux_aper_b"]
        import astropy.units as u

        assert u.Unit(hdr[f"TUNIT{i}"], format="fits") == u.Unit("erg / (s cm2)")
        assert "Aperture-corrected" in hdr[f"TCOMM{i}"]
        assert hdr[f"TUCD{cols['ra']}"] == "pos.eq.ra;meta.main"
    back = Table.read(tmp_path / "a.fits")
    assert len(back) == 555 and back["err_ellipse_r0"].unit == "arcsec"
    export_table(t, "votable", tmp_path / "a.vot")
    vt = parse_single_table(str(tmp_path / "a.vot"))
    f = {fl.name: fl for fl in vt.fields}
    assert f["ra"].ucd == "pos.eq.ra;meta.main" and str(f["dec"].unit) == "deg"
    assert "95%" in f["err_ellipse_r0"].description
    export_table(t, "parquet", tmp_path / "a.parquet")
    schema = pq.read_schema(tmp_path / "a.parquet")
    assert schema.field("err_ellipse_r0").metadata[b"unit"] == b"arcsec"
    export_table(t, "csv", tmp_path / "a.csv")
    assert len(Table.read(tmp_path / "a.csv", format="ascii.csv")) == 555


def test_latex_deluxetable_rounds_by_errors(m101, tmp_path):
    t = m101.sql("SELECT name, flux AS flux, flux_lo, flux_hi, hr1, hr1_lo, hr1_hi "
                 "FROM xray_sources WHERE name = '2CXO J140312.5+542056'", output="astropy")
    export_table(t, "latex", tmp_path / "t.tex", caption="M101 sources")
    tex = (tmp_path / "t.tex").read_text()
    assert tex.startswith("\\startlongtable\n\\begin{deluxetable*}")
    assert "\\tablecaption{M101 sources" in tex
    assert "erg" in tex  # units in the header
    # flux 4.5469e-15 (+0.3729e-15 / -0.3729e-15) -> two significant figures of the error
    assert "$4.55^{+0.37}_{-0.37}\\times10^{-15}$" in tex
    assert "$-0.536^{+0.082}_{-0.077}$" in tex  # hard_hs with its asymmetric limits
    assert "flux\\_lo" not in tex  # limits folded into the value cell


@pytest.mark.parametrize(("value", "lo", "hi", "expect"), [
    (12.345, 12.0, 12.9, "$12.35^{+0.55}_{-0.35}$"),
    (0.5, 0.25, None, "$0.50 \\pm 0.25$"),
    (1234.0, 1200.0, 1300.0, "$1234^{+66}_{-34}$"),
    (float("nan"), 0.0, 1.0, "\\nodata"),
])
def test_round_by_error_by_hand(value, lo, hi, expect):
    assert round_by_error(value, lo, hi) == expect


def test_regions_parse_with_astropy_regions(m101, tmp_path):
    import regions

    xs = m101.sql("SELECT * FROM xray_sources ORDER BY name")
    runner = CliRunner()
    out = tmp_path / "m101.reg"
    r = runner.invoke(cli, ["--store", str(m101.path), "regions", "--sql",
                            "SELECT * FROM xray_sources ORDER BY name", "--shape", "r95",
                            "--counterparts", "SELECT 210.8 AS ra, 54.35 AS dec, 'hst1' AS label",
                            "-o", str(out)])
    assert r.exit_code == 0, r.output + r.stderr
    regs = regions.Regions.read(str(out), format="ds9")
    circles = [g for g in regs if isinstance(g, regions.CircleSkyRegion)]
    points = [g for g in regs if isinstance(g, regions.PointSkyRegion)]
    assert len(circles) == len(xs) and len(points) == 1
    c0 = circles[0]
    assert c0.meta["text"] == xs["name"].iloc[0]
    # DS9 files hold degrees to 8 decimals: 3.6e-5 arcsec
    assert c0.radius.to_value("arcsec") == pytest.approx(xs["pos_err_r95"].iloc[0], abs=1e-4)
    assert c0.center.ra.deg == pytest.approx(xs["ra"].iloc[0], abs=1e-7)
    r = runner.invoke(cli, ["--store", str(m101.path), "regions", "--sql",
                            "SELECT * FROM xray_sources", "--shape", "ellipse",
                            "-o", str(tmp_path / "e.reg")])
    assert r.exit_code == 0
    ell = regions.Regions.read(str(tmp_path / "e.reg"), format="ds9")
    row = xs.set_index("name").loc[ell[0].meta["text"]]
    assert ell[0].width.to_value("arcsec") == pytest.approx(2 * row["ellipse_a"], abs=1e-4)
    assert ell[0].angle.to_value("deg") == pytest.approx(row["ellipse_pa"] + 90, abs=1e-6)


def test_hst_region_file_round_trip(store, tmp_path):
    """The 1271 real HST positions load as a catalog and write back as the same points."""
    import regions

    path = shared_file("csc_m101_xrbid/M101_daoclean_f555w_acs_fk5.reg")
    store.ingest_table(path, name="hst", key="region_id")
    pts = store.sql("SELECT ra, dec, region_id AS label FROM hst ORDER BY region_id")
    original = regions.Regions.read(str(path), format="ds9")
    assert len(pts) == len(original) == 1271
    np.testing.assert_allclose(pts["ra"], [g.center.ra.deg for g in original], atol=1e-9)


def test_saved_samples_user_folder_and_params(m101, tmp_path, monkeypatch):
    user = tmp_path / "mysamples"
    user.mkdir()
    (user / "bright_sources.sql").write_text(
        "-- title: Bright sources\n-- description: Brighter than a flux.\n"
        "-- param fmin: Faintest flux (erg/s/cm2) [default: 1e-14]\n"
        "SELECT name, flux FROM xray_sources WHERE flux > $fmin ORDER BY flux DESC\n")
    monkeypatch.setenv("XCAT_SAMPLE_DIRS", str(user))
    runner = CliRunner()
    listed = runner.invoke(cli, ["--store", str(m101.path), "sample", "--list",
                                 "--format", "csv"])
    assert "bright_sources" in listed.output and "fmin=1e-14" in listed.output
    a = runner.invoke(cli, ["--store", str(m101.path), "sample", "bright_sources",
                            "--format", "csv"])
    b = runner.invoke(cli, ["--store", str(m101.path), "sample", "bright_sources",
                            "-p", "fmin=1e-13", "--format", "csv"])
    n_a = len(Table.read(a.output, format="ascii.csv"))
    n_b = len(Table.read(b.output, format="ascii.csv"))
    expect = m101.sql("SELECT count(*) AS n FROM xray_sources WHERE flux > 1e-13")["n"][0]
    assert n_b == expect and n_a > n_b
    bad = runner.invoke(cli, ["--store", str(m101.path), "sample", "bright_sources",
                              "-p", "nope=1"])
    assert bad.exit_code == 1 and "no parameter(s) nope" in bad.stderr
    exp = runner.invoke(cli, ["--store", str(m101.path), "export", "bright_sources",
                              "--format", "latex", "-o", str(tmp_path / "b.tex")])
    assert exp.exit_code == 0 and "Bright sources" in (tmp_path / "b.tex").read_text()


def test_figures_write_png_and_pdf(m101, tmp_path):
    from xcat.output import plots

    xs = m101.sql("SELECT * FROM xray_sources")
    for name, fig in (("hrhr", plots.hr_hr(xs)), ("sky", plots.sky(xs))):
        for suffix in (".png", ".pdf"):
            out = plots.save(fig if suffix == ".png" else
                             (plots.hr_hr(xs) if name == "hrhr" else plots.sky(xs)),
                             tmp_path / f"{name}{suffix}")
            assert out.stat().st_size > 5000
    assert (tmp_path / "hrhr.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "sky.pdf").read_bytes()[:5] == b"%PDF-"
