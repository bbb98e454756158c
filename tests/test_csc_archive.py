"""Data products from the CSC archive's file interface (``csccli`` browse/retrieveFile, as
CIAO's search_csc uses it), offline.

The store holds the real CSC 2.0 per-observation table of NGC 3532
(../shared/data/csc_muwclass/NGC3532/: 389 sources, ObsID 8941, ObI 1); the source
2CXO J110436.3-585024 is region 191 there. A local server (tests/products_server.py)
plays the archive: ``browse`` answers the file names of a packageset as JSON and
``retrieveFile`` sends SYNTHETIC gzip-compressed products (not CSC data). Checked: the
packagesets asked (ObsID.ObI.region/filetype/band, the release as ``version``), the links
recorded, a fetch of the gzip file with its SHA-256, a source without stored detections
(one error line, store unchanged), HRC detections (no spectra, band w) and a browse
answer that is not JSON.
"""

from __future__ import annotations

import gzip
import hashlib
import json

import pytest
from cli_helpers import fails, run, snapshot
from conftest import shared_file
from products_server import ProductServer, Served, synthetic_lc, synthetic_pha

import xcat
from xcat.remote.csc_archive import Detection, query_archive
from xcat.remote.services import get_service

SRC = "2CXO J110436.3-585024"
LC = "acisf08941_001N020_r0191b_lc3.fits"      # names as browse gives them (synthetic)
PHA = "acisf08941_001N020_r0191_pha3.fits"


def listing(*names: str) -> bytes:
    return json.dumps([{"filename": n} for n in names]).encode()


@pytest.fixture(scope="module")
def ngc3532(tmp_path_factory):
    data = shared_file("csc_muwclass/NGC3532/NGC3532_per.csv").parent
    root = tmp_path_factory.mktemp("archive") / "store"
    run(root, "ingest", "csc", str(data / "NGC3532_conesearch.csv"))
    run(root, "ingest", "observations", str(data / "NGC3532_per.csv"), "--catalog", "csc")
    return root


@pytest.fixture
def bodies():
    return {LC: gzip.compress(synthetic_lc(seed=5)), PHA: gzip.compress(synthetic_pha())}


@pytest.fixture
def server(bodies):
    with ProductServer() as srv:
        for name, body in bodies.items():
            srv.files[name] = Served(body)
        srv.browse["8941.1.191/lightcurve/b"] = listing(LC)
        srv.browse["8941.1.191/spectrum/"] = listing(PHA)
        yield srv


@pytest.fixture
def root(ngc3532, tmp_path, server, monkeypatch):
    """A copy of the NGC 3532 store; the shipped csc21_archive entry pointed at the server
    (its protocol and release stay as shipped)."""
    import shutil
    config = tmp_path / "services.toml"
    config.write_text(f'[services.csc21_archive]\nurl = "{server.url}/csccli"\n'
                      "timeout = 2\nretries = 0\nbackoff = 0\n")
    monkeypatch.setenv("XCAT_SERVICES_CONFIG", str(config))
    dest = tmp_path / "store"
    shutil.copytree(ngc3532, dest)
    xcat.Store.open(dest).close()
    return dest


def test_shipped_entry_is_the_csc_archive():
    svc = get_service("csc21_archive")
    assert (svc.url, svc.protocol, svc.release) == (
        "https://cda.cfa.harvard.edu/csccli", "csccli", "rel2.1")


def test_find_asks_browse_per_detection_and_records_the_links(root, server):
    run(root, "products", "find", SRC, "--type", "lc,pha")
    asked = sorted((r.path, r.params["packageset"], r.params["version"])
                   for r in server.requests)
    assert asked == [("/csccli/browse", "8941.1.191/lightcurve/b", "rel2.1"),
                     ("/csccli/browse", "8941.1.191/spectrum/", "rel2.1")]
    with xcat.Store.open(root, read_only=True) as s:
        df = s.sql("SELECT * FROM source_products ORDER BY product_type")
    got = [(r.product_type, r.service_type, r.band if isinstance(r.band, str) else None,
            r.obsid, r.obi, r.region_id, r.file_name) for r in df.itertuples()]
    assert got == [("lc", "lightcurve", "b", 8941, 1, 191, LC + ".gz"),
                   ("pha", "spectrum", None, 8941, 1, 191, PHA + ".gz")]
    assert df.url[0] == (f"{server.url}/csccli/retrieveFile?filetype=lightcurve&"
                         f"filename={LC}&version=rel2.1")
    assert "csc21_archive" in df.service[0]


def test_fetch_downloads_the_gzip_file_with_its_checksum(root, server, bodies):
    out = run(root, "products", "fetch", SRC, "--type", "lc")
    got = [r for r in server.requests if r.path == "/csccli/retrieveFile"]
    assert [(r.params["filetype"], r.params["filename"], r.params["version"])
            for r in got] == [("lightcurve", LC, "rel2.1")]
    with xcat.Store.open(root, read_only=True) as s:
        row = s.sql("SELECT path, sha256 FROM source_products WHERE product_type = 'lc'")
    path = root / row.path[0]
    assert path.name == LC + ".gz" and path.read_bytes() == bodies[LC]
    assert row.sha256[0] == hashlib.sha256(bodies[LC]).hexdigest()
    assert gzip.decompress(path.read_bytes())[:6] == b"SIMPLE"  # a FITS file inside
    assert "fetched" in out


def test_a_source_without_stored_detections_is_one_error(tmp_path, server, monkeypatch):
    config = tmp_path / "services.toml"
    config.write_text(f'[services.csc21_archive]\nurl = "{server.url}/csccli"\n')
    monkeypatch.setenv("XCAT_SERVICES_CONFIG", str(config))
    root = tmp_path / "store"  # the master catalog only: no per-observation rows
    data = shared_file("csc_muwclass/NGC3532/NGC3532_per.csv").parent
    run(root, "ingest", "csc", str(data / "NGC3532_conesearch.csv"))
    before = snapshot(root)
    msg = fails(root, "products", "find", SRC)
    assert f"no per-observation detections of '{SRC}'" in msg and "--with-observations" in msg
    assert snapshot(root) == before and not server.requests


def test_hrc_detections_ask_band_w_and_no_spectra(server, monkeypatch, tmp_path):
    config = tmp_path / "services.toml"
    config.write_text(f'[services.csc21_archive]\nurl = "{server.url}/csccli"\n')
    monkeypatch.setenv("XCAT_SERVICES_CONFIG", str(config))
    server.browse["1234.0.7/lightcurve/w"] = listing("hrcf01234_000N020_r0007w_lc3.fits")
    answer = query_archive(get_service("csc21_archive"),
                           [Detection(1234, 0, 7, "HRC")], ["lc", "pha", "rmf"])
    assert [r.params["packageset"] for r in server.requests] == ["1234.0.7/lightcurve/w"]
    assert [(lk.product_type, lk.band) for lk in answer.links] == [("lc", "w")]


def test_a_browse_answer_that_is_not_json_is_reported(server, monkeypatch, tmp_path):
    config = tmp_path / "services.toml"
    config.write_text(f'[services.csc21_archive]\nurl = "{server.url}/csccli"\n')
    monkeypatch.setenv("XCAT_SERVICES_CONFIG", str(config))
    server.browse["8941.1.191/arf/"] = b"<html>maintenance</html>"
    answer = query_archive(get_service("csc21_archive"),
                           [Detection(8941, 1, 191, "ACIS")], ["arf"])
    assert answer.links == [] and "not a JSON list" in answer.errors[0]
