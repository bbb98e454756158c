"""Science views carry UCDs as well as units and descriptions (regression: ``log_lx`` and
the other science-view columns left every output without a UCD)."""

from __future__ import annotations

import io

import pytest
from astropy.io.votable import parse_single_table

from xcat.output.tables import write_table


@pytest.fixture
def m101(store, m101_vot):
    store.ingest_csc(m101_vot)
    from xcat.science.hosts import add_host

    add_host(store, "M101", ra=210.802368, dec=54.349023, distance="6.4Mpc",
             radius="15arcmin")
    return store


def test_luminosity_columns_have_ucds_in_astropy_and_votable(m101):
    t = m101.sql("SELECT name, flux, lx, log_lx, distance_mpc FROM luminosities "
                 "WHERE host = 'M101' AND NOT lx_upper_limit LIMIT 5", output="astropy")
    assert t["log_lx"].meta["ucd"] == "phys.luminosity;em.X-ray"
    assert t["lx"].meta["ucd"] == "phys.luminosity;em.X-ray"
    assert str(t["lx"].unit) == "erg / s"
    x = m101.sql("SELECT ra, hr1, pos_err_r95 FROM xray_sources LIMIT 3", output="astropy")
    assert x["hr1"].meta["ucd"] == "phot.color;em.X-ray"
    assert x["pos_err_r95"].meta["ucd"] == "stat.error;pos"
    assert x["ra"].meta["ucd"] == "pos.eq.ra;meta.main"
    assert t["distance_mpc"].meta["ucd"] == "pos.distance"
    vot = parse_single_table(io.BytesIO(write_table(t, "votable").encode()))
    ucds = {f.name: f.ucd for f in vot.fields}
    assert ucds["log_lx"] == "phys.luminosity;em.X-ray"


def test_view_columns_store_the_ucd(m101):
    rows = m101.sql("SELECT view, name, ucd FROM view_columns WHERE name = 'log_lx' "
                    "ORDER BY view")
    assert set(rows["view"]) >= {"luminosities", "snr_candidates"}
    assert rows["ucd"].notna().all()
