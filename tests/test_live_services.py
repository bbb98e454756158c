"""Live tests against the real services: one per service, marked ``live`` and skipped
unless ``XCAT_LIVE=1``. They need the network, so this module replaces the suite's
autouse ``_no_network`` guard (tests/conftest.py) with a no-op for its own tests only.

    XCAT_LIVE=1 pytest -m live tests/test_live_services.py
"""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner
from conftest import shared_file

from xcat import Store
from xcat.cli import cli

if os.environ.get("XCAT_LIVE") != "1":
    pytest.skip("live-service tests run only with XCAT_LIVE=1", allow_module_level=True)

pytestmark = pytest.mark.live


@pytest.fixture(autouse=True)
def _no_network():
    """Overrides tests/conftest.py's guard: these tests are meant to reach the services."""
    yield


def ok(root, *args):
    r = CliRunner().invoke(cli, ["--store", str(root), *args])
    assert r.exit_code == 0, r.output + r.stderr
    return r.output


def test_live_csc21_cone_with_detections(tmp_path):
    """CSC 2.1 TAP: a 1 arcmin cone on the M101 nucleus, with per-observation rows."""
    root = tmp_path / "s"
    out = ok(root, "ingest", "csc", "--cone", "210.80242 54.34875", "--radius", "1arcmin",
             "--with-detections")
    assert "csc21: loaded" in out and "csc21_detections: loaded" in out
    with Store.open(root) as store:
        det = store.sql("SELECT * FROM csc21_detections LIMIT 1")
        assert {"theta", "src_cnts_aper_b", "obsid", "livetime", "theta_mean"} <= set(det)


def test_live_csc20_object(tmp_path):
    """CSC 2.0 TAP with the centre resolved by Sesame."""
    out = ok(tmp_path / "s", "ingest", "csc", "--object", "M101", "--radius", "1arcmin",
             "--release", "2.0")
    assert "csc20: loaded" in out


def test_live_heasarc_rxs2_upload(tmp_path):
    """HEASARC rass2rxs: a cone, then the CARMENES upload join (first 200 stars)."""
    root = tmp_path / "s"
    assert "rxs2: loaded" in ok(root, "ingest", "2rxs", "--cone", "83.633 22.0145",
                                "--radius", "30arcmin", "--name", "rxs2_crab")
    lines = shared_file("carmenes_cifuentes2020/cif20.Mother.v01.csv").read_text().splitlines()
    subset = tmp_path / "carmenes200.csv"
    subset.write_text("\n".join(lines[:201]) + "\n")
    out = ok(root, "ingest", "2rxs", "--upload", str(subset), "--radius", "8arcsec",
             "--upload-name", "carmenes")
    assert "carmenes_x_rxs2: cross-match run" in out


def test_live_heasarc_erass1_cone(tmp_path):
    """HEASARC erass1main (western Galactic hemisphere): a cone on the LMC bar."""
    out = ok(tmp_path / "s", "ingest", "erass1", "--cone", "80.894 -69.756", "--radius",
             "5arcmin")
    assert "erass1: loaded" in out
