"""Live tests of ``xcat products find|fetch``, marked ``live`` and skipped unless
``XCAT_LIVE=1``:

- the shipped ``csc21_archive`` entry (the CSC archive's csccli browse/retrieveFile, as
  CIAO's search_csc uses it) on a source of NGC 3532 whose detections come from CSC TAP
  (``xcat ingest csc --with-observations``);
- a DataLink product service, when the services config (or ``$XCAT_SERVICES_CONFIG``)
  names a ``csc21_datalink`` service. The URL of a CSC 2.1 DataLink links endpoint was not
  verified offline, so there is no default entry.

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


def test_live_csc_archive_products_of_an_ngc3532_source(tmp_path):
    root = tmp_path / "s"
    r = CliRunner().invoke(cli, ["--store", str(root), "ingest", "csc", "--cone",
                                 "166.4 -58.75", "--radius", "2arcmin",
                                 "--with-observations"])
    assert r.exit_code == 0, r.output + r.stderr
    with xcat.Store.open(root, read_only=True) as s:
        src = s.sql("SELECT source_key FROM flux_observations ORDER BY source_key "
                    "LIMIT 1").source_key[0]
    r = CliRunner().invoke(cli, ["--store", str(root), "products", "fetch", src, "--type",
                                 "lc", "--service", "csc21_archive"])
    assert r.exit_code == 0, r.output + r.stderr
    with xcat.Store.open(root, read_only=True) as s:
        got = s.sql("SELECT path FROM source_products WHERE sha256 IS NOT NULL")
    assert len(got) >= 1
    import gzip
    assert gzip.decompress((root / got.path[0]).read_bytes())[:6] == b"SIMPLE"
