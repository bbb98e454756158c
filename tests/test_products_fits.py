"""Spectral-fit, srcflux, SNR and count-rate products (``xcat ingest spectral-fit|srcflux|
snr|rates``).

There is no real excerpt of these outputs in ../shared/data, so the tables here are
small and hand-made with the real column names:

- spectral fits: the HEASARC ROSAT/PyXSPEC tutorial's saved results
  (``carmenes_mdwarf_rass_properties.csv``): id_name, Karmn, Name, ``bbody_kT``,
  ``bbody_kT_err-``/``_err+`` (distances value - lower, upper - value),
  ``bbody_kT_good_err``, ``powerlaw_PhoIndex``, norms, and model fluxes
  ``<model>_0.5-2.0keV_flux`` with ``_err-``/``_err+`` (calcFlux bounds). The Karmn ids
  are real CARMENES ids (../shared/data/carmenes_cifuentes2020), the values invented.
- srcflux: CIAO srcflux ``<root>_<band>.flux`` columns (RA, DEC, NET_COUNTS, NET_RATE,
  NET_RATE_LO/HI, NET_PHOTFLUX_APER, NET_MFLUX_APER ... with _LO/_HI) as a FITS table;
  positions are real M101 CSC positions (../shared/data/csc_m101_xrbid) offset by a
  known amount, values invented.
- XGA-style SNR table: source name, region, radius, snr; names are real M101 CSC names.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.table import Table
from click.testing import CliRunner

from tests.conftest import shared_file
from xcat import Store
from xcat.cli import cli


def run(root: Path, *args: str) -> str:
    r = CliRunner().invoke(cli, ["--store", str(root), *args])
    assert r.exit_code == 0, r.output + r.stderr
    return r.output


def err(root: Path, *args: str) -> str:
    r = CliRunner().invoke(cli, ["--store", str(root), *args])
    assert r.exit_code == 1, r.output
    return r.stderr.strip()


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp("fits") / "store"
    run(root, "ingest", "carmenes",
        str(shared_file("carmenes_cifuentes2020/cif20.Mother.v01.csv")))
    run(root, "ingest", "csc", str(shared_file("csc_m101_xrbid/cscresults_M101.vot")))
    return root


FITS_CSV = (
    "id_name,Karmn,Name,bbody_kT,bbody_kT_err-,bbody_kT_err+,bbody_kT_good_err,"
    "bbody_norm,bbody_norm_err-,bbody_norm_err+,bbody_norm_good_err,"
    "powerlaw_PhoIndex,powerlaw_PhoIndex_err-,powerlaw_PhoIndex_err+,"
    "powerlaw_PhoIndex_good_err,powerlaw_norm,powerlaw_norm_err-,powerlaw_norm_err+,"
    "powerlaw_norm_good_err,bbody_0.5-2.0keV_flux,bbody_0.5-2.0keV_flux_err-,"
    "bbody_0.5-2.0keV_flux_err+,powerlaw_0.5-2.0keV_flux,powerlaw_0.5-2.0keV_flux_err-,"
    "powerlaw_0.5-2.0keV_flux_err+\n"
    "CARMENES-1,J00051+457,GJ 2,0.15,0.02,0.03,True,1.2e-05,3e-06,4e-06,True,"
    "3.1,0.4,0.5,False,0.0021,0.0005,0.0006,True,2.1e-13,1.8e-13,2.4e-13,2.2e-13,"
    "1.9e-13,2.6e-13\n"
    "CARMENES-2,J99999+999,Nobody,0.11,0.01,0.02,True,,,,,"
    "2.4,0.3,0.3,True,0.001,0.0002,0.0003,True,,,,1.0e-13,8e-14,1.2e-13\n")


def test_spectral_fit_long_form_and_wide_view(root, tmp_path):
    path = tmp_path / "carmenes_mdwarf_rass_properties.csv"
    path.write_text(FITS_CSV)
    out = run(root, "ingest", "spectral-fit", str(path), "--key", "Karmn",
              "--catalog", "carmenes")
    assert "wide view carmenes_mdwarf_rass_properties_wide" in out
    # 2 sources: 4 params + 2 fluxes for the first, 3 params + 1 flux for the second
    assert "loaded 10 rows (spectral_fit)" in out
    assert "link: key 'source' = carmenes.Karmn: 6 linked, 4 unlinked" in out
    assert "row 2 (source='J99999+999')" in out
    with Store.open(root) as store:
        long = store.sql("SELECT * FROM carmenes_mdwarf_rass_properties "
                         "ORDER BY _row, model, parameter")
        kt = long[(long.source == "J00051+457") & (long.parameter == "kT")].iloc[0]
        # hand computation: lower = 0.15 - 0.02, upper = 0.15 + 0.03
        assert (kt.model, kt.value) == ("bbody", 0.15)
        assert kt.lower == pytest.approx(0.13) and kt.upper == pytest.approx(0.18)
        assert bool(kt.error_ok) is True and kt._source_key == "J00051+457"
        gam = long[(long.source == "J00051+457") & (long.parameter == "PhoIndex")].iloc[0]
        assert bool(gam.error_ok) is False
        assert gam.lower == pytest.approx(2.7) and gam.upper == pytest.approx(3.6)
        flux = long[(long.source == "J00051+457") & (long.parameter == "flux_0.5-2.0keV")
                    & (long.model == "bbody")].iloc[0]
        # calcFlux "err" columns are the bounds themselves
        assert (flux.value, flux.lower, flux.upper) == (2.1e-13, 1.8e-13, 2.4e-13)
        wide = store.sql("SELECT * FROM carmenes_mdwarf_rass_properties_wide ORDER BY source")
        assert wide["source"].tolist() == ["J00051+457", "J99999+999"]
        assert wide["bbody_kT_value"].tolist() == [0.15, 0.11]
        assert wide["powerlaw_PhoIndex_upper"].tolist() == pytest.approx([3.6, 2.7])
        assert np.isnan(wide["bbody_norm_value"][1])
    # the registry knows the view; re-ingest is a no-op
    assert "unchanged" in run(root, "ingest", "spectral-fit", str(path), "--key", "Karmn",
                              "--catalog", "carmenes")


def test_spectral_fit_bad_flag_names_row(root, tmp_path):
    path = tmp_path / "badflag.csv"
    path.write_text(FITS_CSV.replace("0.15,0.02,0.03,True", "0.15,0.02,0.03,maybe"))
    msg = err(root, "ingest", "spectral-fit", str(path), "--key", "Karmn",
              "--catalog", "carmenes")
    assert "bbody_kT_good_err" in msg and "row 1" in msg


def srcflux_table(store_root: Path) -> tuple[Table, list[str]]:
    with Store.open(store_root) as store:
        csc = store.sql("SELECT name, ra, dec FROM csc ORDER BY name LIMIT 3")
    centre = SkyCoord(csc["ra"].to_numpy() * u.deg, csc["dec"].to_numpy() * u.deg)
    # move each position 0.3, 0.6 and 5 arcsec north: the last is beyond a 1" link
    moved = centre.directional_offset_by(0 * u.deg, [0.3, 0.6, 5.0] * u.arcsec)
    t = Table()
    t["RA"] = moved.ra.deg * u.deg
    t["DEC"] = moved.dec.deg * u.deg
    t["COMPONENT"] = np.arange(1, 4, dtype=np.int16)
    t["NET_COUNTS"] = [120.0, 35.0, 4.0] * u.ct
    t["NET_RATE"] = [0.012, 0.0035, 0.0004] * u.ct / u.s
    t["NET_RATE_LO"] = [0.010, 0.0025, 0.0001] * u.ct / u.s
    t["NET_RATE_HI"] = [0.014, 0.0046, 0.0009] * u.ct / u.s
    t["NET_PHOTFLUX_APER"] = [2e-6, 6e-7, 7e-8]
    t["NET_MFLUX_APER"] = [1.1e-14, 3e-15, 4e-16]
    t["NET_MFLUX_APER_LO"] = [0.9e-14, 2.2e-15, 1e-16]
    t["NET_MFLUX_APER_HI"] = [1.3e-14, 3.9e-15, 9e-16]
    return t, csc["name"].tolist()


def test_srcflux_links_by_position_and_records_band(root, tmp_path):
    t, names = srcflux_table(root)
    path = tmp_path / "m101_broad.flux"
    t.write(path, format="fits")
    out = run(root, "ingest", "srcflux", str(path))
    assert "link: nearest csc source within 1 arcsec: 2 linked, 1 unlinked" in out
    with Store.open(root) as store:
        got = store.sql("SELECT * FROM m101_broad ORDER BY _row")
        units = store.sql("SELECT name, unit FROM view_columns WHERE view = 'm101_broad'"
                          ).set_index("name")["unit"]
    assert got["_source_key"].tolist()[:2] == names[:2] and got["_source_key"].isna()[2]
    np.testing.assert_allclose(got["_link_sep_arcsec"][:2], [0.3, 0.6], atol=1e-6)
    assert set(got["band"]) == {"broad"} and set(got["emin_kev"]) == {0.5}
    assert set(got["conf"]) == {0.9}
    assert got["NET_RATE_HI"].tolist() == [0.014, 0.0046, 0.0009]
    assert units["NET_RATE"] == "ct / s" and units["NET_MFLUX_APER"] == "erg / (s cm2)"
    # a file name without a band needs --band
    other = tmp_path / "m101.fits"
    t.write(other, format="fits")
    assert "--band" in err(root, "ingest", "srcflux", str(other))
    assert "1 unlinked" in run(root, "ingest", "srcflux", str(other), "--band", "0.5:2.0",
                               "--name", "m101_custom")


def test_xga_snr_and_rates_tables(root, tmp_path):
    with Store.open(root) as store:
        names = store.sql("SELECT name FROM csc ORDER BY name LIMIT 2")["name"].tolist()
    snr = tmp_path / "xga_snr.csv"
    snr.write_text("name,region,radius_arcsec,snr\n"
                   f"{names[0]},r500,30.0,12.5\n{names[0]},r2500,10.0,9.1\n"
                   f"{names[1]},point,2.0,3.2\n")
    out = run(root, "ingest", "snr", str(snr), "--key", "name")
    assert "loaded 3 rows (snr)" in out and "3 linked, 0 unlinked" in out
    rates = tmp_path / "rates.csv"
    rates.write_text("src,rate,rate_err,exposure\n"
                     f"{names[1]},0.01,0.002,50000\nnot-a-source,0.2,0.01,1000\n")
    out = run(root, "ingest", "rates", str(rates), "--key", "src")
    assert "1 linked, 1 unlinked" in out
