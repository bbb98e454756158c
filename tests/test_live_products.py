"""Live test of ``xcat products find|fetch`` against a real DataLink product service:
marked ``live`` and skipped unless ``XCAT_LIVE=1`` and the services config (or
``$XCAT_SERVICES_CONFIG``) names a ``csc21_datalink`` service. The URL of a CSC 2.1
DataLink links endpoint was not verified offline, so there is no default entry.

    XCAT_LIVE=1 XCAT_SERVICES_CONFIG=mine.toml pytest -m live tests/test_live_products.py
"""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner
from conftest import shared_file

import xcat
from xcat.cli import cli
from xcat.remote.services import load_services

if os.environ.get("XCAT_LIVE") != "1":
    pytest.skip("live-service tests run only with XCAT_LIVE=1", allow_module_level=True)

pytestmark = pytest.mark.live


@pytest.fixture(autouse=True)
def _no_network():
    """Overrides tests/conftest.py's guard: these tests are meant to reach the service."""
    yield


def test_live_csc21_products_of_an_m101_source(tmp_path):
    if "csc21_datalink" not in load_services():
        pytest.skip("no csc21_datalink service configured")
    root = tmp_path / "s"
    with xcat.Store.open(root, create=True) as s:
        s.ingest_csc(shared_file("csc_m101_xrbid/cscresults_M101.vot"))
    src = "2CXO J140303.9+542735"
    r = CliRunner().invoke(cli, ["--store", str(root), "products", "find", src, "--type",
                                 "lc,pha", "--format", "csv"])
    assert r.exit_code == 0, r.output + r.stderr
    r = CliRunner().invoke(cli, ["--store", str(root), "products", "fetch", src, "--type", "pha"])
    assert r.exit_code == 0, r.output + r.stderr
    with xcat.Store.open(root, read_only=True) as s:
        got = s.sql("SELECT path, sha256 FROM source_products WHERE sha256 IS NOT NULL")
    assert len(got) >= 1 and all((root / p).exists() for p in got.path)
