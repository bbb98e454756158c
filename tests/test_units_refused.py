"""Units (issue 11 item 6): a bare number for a physical quantity is refused with one
message and an example (``--distance 6400000`` used to become 6.4e6 Mpc), and
luminosities use astropy's IAU parsec, never a rounded 3.0857e18 cm.

Real data: the M101 CSCview export (csc_m101_xrbid/cscresults_M101.vot) at 6.4 Mpc.
"""

from __future__ import annotations

import astropy.units as u
import numpy as np
import pytest

import xcat
from tests.cli_helpers import copied_store, fails, run
from xcat.science.hosts import add_host, list_hosts
from xcat.science.luminosity import log10_luminosity

M101 = (210.802368, 54.349023)


@pytest.mark.parametrize(("args", "example"), [
    (["--distance", "6400000"], "e.g. 6.4Mpc"),
    (["--distance", "6.4Mpc", "--distance-err", "0.5"], "e.g. 6.4Mpc"),
    (["--radius", "15"], "e.g. 15arcmin"),
    (["--ellipse", "14,12,30deg"], "e.g. 15arcmin"),
    (["--ellipse", "14arcmin,12arcmin,30"], "e.g. 15arcmin"),
])
def test_bare_numbers_for_physical_quantities_are_refused(tmp_path, args, example):
    root = tmp_path / "store"
    run(root, "init")
    err = fails(root, "host", "add", "M101", "--ra", str(M101[0]), "--dec", str(M101[1]),
                *args)
    assert "has no unit" in err and example in err, err


def test_bare_numbers_are_refused_in_the_python_api_too(store):
    for kw in ({"distance": 6.4e6}, {"distance": "6400000"}, {"radius": 15},
               {"distance": "6.4Mpc", "distance_err": 0.5}):
        with pytest.raises(xcat.XcatError, match=r"has no unit: give one, e\.g\."):
            add_host(store, "M101", ra=M101[0], dec=M101[1], **kw)
    assert list_hosts(store).empty
    # a Quantity or a string with a unit is fine, in any unit of the right kind
    add_host(store, "M101", ra=M101[0], dec=M101[1], distance=6400 * u.kpc,
             distance_err="500kpc", radius=0.25 * u.deg)
    h = list_hosts(store, "M101").iloc[0]
    assert h["distance_mpc"] == pytest.approx(6.4, rel=1e-15)
    assert h["radius_arcmin"] == pytest.approx(15.0, rel=1e-15)


def test_log_lx_equals_astropy_with_the_iau_parsec(m101_host_dir, tmp_path):
    for s in copied_store(m101_host_dir, tmp_path):
        df = s.sql("SELECT flux, flux_hi, lx_upper_limit, log_lx FROM luminosities "
                   "WHERE log_lx IS NOT NULL")
        assert s.sql("SELECT cm_per_mpc() AS c")["c"][0] == (1 * u.Mpc).to_value(u.cm)
    assert len(df) == 545
    f = np.where(df["lx_upper_limit"], df["flux_hi"], df["flux"]) * u.erg / u.s / u.cm ** 2
    oracle = np.log10((4 * np.pi * (6.4 * u.Mpc) ** 2 * f).to_value(u.erg / u.s))
    assert np.abs(df["log_lx"].to_numpy() - oracle).max() < 1e-9
    # the rounded 3.0857e18 would be 6e-6 dex off: the test can tell them apart
    rounded = oracle + 2 * np.log10(3.0857e18 / (1 * u.pc).to_value(u.cm))
    assert np.abs(df["log_lx"].to_numpy() - rounded).min() > 5e-6
    assert log10_luminosity(1e-14, 6.4) == pytest.approx(
        np.log10((4 * np.pi * (6.4 * u.Mpc) ** 2 * 1e-14 * u.erg / u.s / u.cm ** 2)
                 .to_value(u.erg / u.s)), abs=1e-12)
