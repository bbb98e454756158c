"""Data products per source (``xcat products list|find|fetch|use``), offline.

A local product service (tests/products_server.py, 127.0.0.1 on a free port) answers the
DataLink ``links`` request with a recorded-style VOTable and serves SYNTHETIC product
files made here (a FITS light curve and PHA spectrum; not CSC data), with HTTP Range.
The store is the M101 CSCview excerpt (555 real CSC 2 sources,
../shared/data/csc_m101_xrbid/cscresults_M101.vot); the source is its brightest,
2CXO J140303.9+542735. Checked: the links recorded with type/band/obsid, a fetch with
SHA-256, no second download, resume after a cut connection (Range), checksum mismatch,
404, timeout, connection refused, and the chain source -> file -> spectral fit.
"""

from __future__ import annotations

import hashlib
import shutil
import socket

import pytest
from cli_helpers import fails, run, snapshot
from click.testing import CliRunner
from products_server import ProductServer, Served, links_votable, synthetic_lc, synthetic_pha

import xcat
from xcat.cli import cli
from xcat.errors import XcatError
from xcat.remote.datalink import parse_types

SRC = "2CXO J140303.9+542735"
FOLDER = "2CXO_J140303.9+542735"
LC_B = "acisf00934_000N021_r0012b_lc3.fits"
LC_S = "acisf00934_000N021_r0012s_lc3.fits"
PHA = "acisf00934_000N021_r0012_pha3.fits"
ARF = "acisf00934_000N021_r0012_arf3.fits"
REG = "acisf00934_000N021_r0012_reg3.fits"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def bodies():
    return {LC_B: synthetic_lc(seed=1), LC_S: synthetic_lc(seed=3), PHA: synthetic_pha(),
            ARF: b"SYNTHETIC ARF " * 300, REG: b"# Region file format: DS9\ncircle(1,1,2)\n"}


@pytest.fixture
def server(bodies):
    with ProductServer() as srv:
        for name, body in bodies.items():
            srv.files[name] = Served(body)
        rows = [
            {"access_url": srv.file_url(LC_B, "lightcurve"), "content_type": "application/fits",
             "content_length": len(bodies[LC_B]), "checksum": f"sha256:{sha(bodies[LC_B])}",
             "description": "light curve, broad band"},
            {"access_url": srv.file_url(LC_S, "lightcurve"), "content_type": "application/fits",
             "description": "light curve, soft band"},
            {"access_url": srv.file_url(PHA, "spectrum"), "content_type": "application/fits",
             "content_length": len(bodies[PHA]), "description": "PHA spectrum"},
            {"access_url": srv.file_url(ARF, "arf"), "content_type": "application/fits"},
            {"access_url": f"{srv.url}/files/{REG}", "content_type": "text/plain"},
            {"error_message": "NotFoundFault: no rmf for this detection"},
            {"service_def": "soda-cutout", "semantics": "#cutout"},
        ]
        srv.links[SRC] = links_votable(SRC, rows)
        yield srv


@pytest.fixture
def root(tmp_path, m101_csc_dir, server, monkeypatch):
    config = tmp_path / "services.toml"
    config.write_text(f'[services.csc21_datalink]\nurl = "{server.url}/links"\n'
                      "timeout = 1.5\nretries = 0\nbackoff = 0\n")
    monkeypatch.setenv("XCAT_SERVICES_CONFIG", str(config))
    dest = tmp_path / "store"
    shutil.copytree(m101_csc_dir, dest)
    xcat.Store.open(dest).close()  # the copy's views now read its own files
    return dest


def rows(root, where="true"):
    with xcat.Store.open(root, read_only=True) as s:
        return s.sql(f"SELECT * FROM source_products WHERE {where} ORDER BY product_id")


def test_find_records_links_with_csc_types_bands_and_obsids(root, server, bodies):
    out = run(root, "products", "find", SRC, "--format", "csv")
    assert server.requests[0].path == "/links" and server.requests[0].params == {"ID": SRC}
    df = rows(root)
    got = {r.file_name: (r.product_type, r.service_type, r.band if isinstance(r.band, str)
                         else None, r.obsid, r.obi, r.region_id) for r in df.itertuples()}
    assert got == {LC_B: ("lc", "lightcurve", "b", 934, 0, 12),
                   LC_S: ("lc", "lightcurve", "s", 934, 0, 12),
                   PHA: ("pha", "spectrum", None, 934, 0, 12),
                   ARF: ("arf", "arf", None, 934, 0, 12),
                   REG: ("region", "srcreg", None, 934, 0, 12)}  # type from the suffix
    lc_b = df[df.file_name == LC_B].iloc[0]
    assert lc_b.size_bytes == len(bodies[LC_B])
    assert lc_b.checksum == f"sha256:{sha(bodies[LC_B])}"
    assert set(df.catalog) == {"csc"} and set(df.source_key) == {SRC}
    assert df.sha256.isna().all() and df.path.isna().all()
    assert "csc21_datalink (http://127.0.0.1" in lc_b.service
    assert LC_B in out
    # a second find records nothing new
    r = CliRunner().invoke(cli, ["--store", str(root), "products", "find", SRC])
    assert "5 product links from csc21_datalink, 0 new" in r.stderr
    assert "1 error(s), e.g. NotFoundFault" in r.stderr
    assert len(rows(root)) == 5


def test_list_filters_types_without_the_network(root, server):
    run(root, "products", "find", SRC)
    n = len(server.requests)
    out = run(root, "products", "list", SRC, "--type", "lightcurve,spectrum", "--format", "csv")
    assert len(server.requests) == n
    assert out.count("\n") == 1 + 3 and ARF not in out and REG not in out


def test_fetch_downloads_checks_and_registers(root, server, bodies):
    out = run(root, "products", "fetch", SRC, "--type", "lc,pha")
    assert out.count("fetched acisf") == 3
    df = rows(root, "sha256 IS NOT NULL")
    assert sorted(df.file_name) == sorted([LC_B, LC_S, PHA])
    for r in df.itertuples():
        path = root / r.path
        assert r.path == f"products/csc/{FOLDER}/{r.file_name}"
        assert path.read_bytes() == bodies[r.file_name]
        assert r.sha256 == sha(bodies[r.file_name]) and r.fetched_bytes == len(bodies[r.file_name])
    assert not list((root / "products").rglob("*.part"))
    assert rows(root, "product_type IN ('arf', 'region')").sha256.isna().all()


def test_fetch_again_downloads_nothing(root, server):
    run(root, "products", "fetch", SRC, "--type", "pha")
    n = len(server.file_requests(PHA))
    out = run(root, "products", "fetch", SRC, "--type", "pha")
    assert "already fetched" in out
    assert len(server.file_requests(PHA)) == n == 1


def test_complete_file_left_unregistered_is_registered_without_download(root, server, bodies):
    """A run stopped between the rename and the registration leaves a complete file and
    no row; the next run checks it (size, SHA-256) and registers it, fetching nothing.
    """
    run(root, "products", "fetch", SRC, "--type", "pha")
    with xcat.Store.open(root) as s, s.writing() as con:  # as if it stopped before the row
        con.execute("UPDATE source_products SET path = NULL, sha256 = NULL, "
                    "fetched_bytes = NULL, fetched_at = NULL")
    n = len(server.file_requests(PHA))
    out = run(root, "products", "fetch", SRC, "--type", "pha")
    assert "was on disk, registered" in out and len(server.file_requests(PHA)) == n
    assert rows(root, "sha256 IS NOT NULL").sha256.tolist() == [sha(bodies[PHA])]


def test_cut_connection_resumes_with_range_on_the_next_run(root, server, bodies):
    run(root, "products", "find", SRC)
    server.files[PHA].mode = "cut"
    err = fails_keeping_part(root, "products", "fetch", SRC, "--type", "pha")
    half = len(bodies[PHA]) // 2
    assert f"dropped after {half} of {len(bodies[PHA])} bytes" in err
    part = root / "products" / "csc" / FOLDER / (PHA + ".part")
    assert part.read_bytes() == bodies[PHA][:half]
    assert rows(root, "sha256 IS NOT NULL").empty  # nothing registered
    out = run(root, "products", "fetch", SRC, "--type", "pha")
    assert f"resumed at byte {half}" in out
    assert server.file_requests(PHA)[-1].range == f"bytes={half}-"
    final = root / "products" / "csc" / FOLDER / PHA
    assert final.read_bytes() == bodies[PHA] and not part.exists()
    assert rows(root, "sha256 IS NOT NULL").sha256.tolist() == [sha(bodies[PHA])]


def test_complete_part_file_is_finished_without_a_request(root, server, bodies):
    """A .part file that already holds the stated size (stopped before the rename) is
    checked and renamed; nothing is asked of the server.
    """
    run(root, "products", "find", SRC)
    folder = root / "products" / "csc" / FOLDER
    folder.mkdir(parents=True)
    (folder / (PHA + ".part")).write_bytes(bodies[PHA])
    out = run(root, "products", "fetch", SRC, "--type", "pha")
    assert "was on disk, registered" in out and server.file_requests(PHA) == []
    assert (folder / PHA).read_bytes() == bodies[PHA]


def test_server_ignoring_range_replaces_the_partial_file(root, server, bodies):
    run(root, "products", "find", SRC)
    server.files[PHA].mode = "cut"
    fails_keeping_part(root, "products", "fetch", SRC, "--type", "pha")
    server.files[PHA].mode = "no-range"
    run(root, "products", "fetch", SRC, "--type", "pha")
    assert (root / "products" / "csc" / FOLDER / PHA).read_bytes() == bodies[PHA]


def test_retry_resumes_within_one_run(root, server, bodies, tmp_path, monkeypatch):
    config = tmp_path / "retry.toml"
    config.write_text(f'[services.csc21_datalink]\nurl = "{server.url}/links"\n'
                      "timeout = 2\nretries = 1\nbackoff = 0\n")
    monkeypatch.setenv("XCAT_SERVICES_CONFIG", str(config))
    server.files[PHA].mode = "cut"
    out = run(root, "products", "fetch", SRC, "--type", "pha")
    assert "fetched" in out
    assert [r.range for r in server.file_requests(PHA)] == [None,
                                                            f"bytes={len(bodies[PHA]) // 2}-"]


def test_checksum_mismatch_is_an_error_and_nothing_is_kept(root, server, bodies):
    run(root, "products", "find", SRC)
    server.files[LC_B].body = bodies[LC_B][:-8] + b"CORRUPT!"  # same size, other bytes
    err = fails(root, "products", "fetch", SRC, "--type", "lc")
    assert "does not match the service's" in err and "not registered" in err
    assert not (root / "products" / "csc" / FOLDER / LC_B).exists()
    assert not list((root / "products").rglob("*.part"))


def test_size_mismatch_is_an_error(root, server, bodies):
    run(root, "products", "find", SRC)
    server.files[PHA].body = bodies[PHA] + b"extra"
    assert "the service stated" in fails(root, "products", "fetch", SRC, "--type", "pha")


def test_404_is_one_line(root, server):
    run(root, "products", "find", SRC)
    server.files[ARF].mode = "404"
    err = fails(root, "products", "fetch", SRC, "--type", "arf")
    assert "HTTP 404" in err and "no such product" in err and ARF in err


def test_timeout_is_one_line(root, server):
    run(root, "products", "find", SRC)
    server.files[ARF].delay = 3.0
    err = fails(root, "products", "fetch", SRC, "--type", "arf")
    assert "no answer within 1.5 s (timeout" in err


def test_connection_refused_is_one_line(root, tmp_path, monkeypatch):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = tmp_path / "refused.toml"
    config.write_text(f'[services.csc21_datalink]\nurl = "http://127.0.0.1:{port}/links"\n'
                      "timeout = 2\nretries = 0\nbackoff = 0\n")
    monkeypatch.setenv("XCAT_SERVICES_CONFIG", str(config))
    err = fails(root, "products", "find", SRC)
    assert "cannot connect (connection refused)" in err


def test_unknown_source_type_and_service_are_refused(root, server):
    assert "no source 'nope'" in fails(root, "products", "find", "nope")
    assert "--type lx: not a product type" in fails(root, "products", "list", SRC,
                                                     "--type", "lx")
    assert "no service 'other'" in fails(root, "products", "find", SRC, "--service", "other")


def test_not_a_datalink_answer(root, server):
    server.links[SRC] = b"<html>maintenance</html>"
    assert "not a DataLink VOTable" in fails(root, "products", "find", SRC)


def test_fit_from_a_fetched_spectrum_is_linked(root, server, bodies, tmp_path):
    run(root, "products", "fetch", SRC, "--type", "pha")
    pid = int(rows(root, "product_type = 'pha'").product_id.iloc[0])
    fit = tmp_path / "src_fit.csv"  # a SYNTHETIC fit result of that spectrum
    fit.write_text("name,powerlaw_PhoIndex,powerlaw_PhoIndex_err-,powerlaw_PhoIndex_err+,cstat\n"
                   f"{SRC},1.7,0.1,0.12,512.3\n")
    run(root, "ingest", "spectral-fit", str(fit), "--key", "name")
    out = run(root, "products", "use", "src_fit", "--from-product", str(pid), "--note",
              "cstat powerlaw")
    assert f"made from #{pid} pha obsid 934 {PHA}" in out
    with xcat.Store.open(root, read_only=True) as s:
        chain = s.sql("SELECT source_key, file_sha256, file_unchanged, product_kind, "
                      "product_name FROM source_product_provenance")
        fit_rows = s.sql("SELECT f.value FROM source_product_provenance p "
                         "JOIN src_fit f ON f._source_key = p.source_key "
                         "WHERE f.parameter = 'PhoIndex'")
    assert chain.to_dict("records") == [{
        "source_key": SRC, "file_sha256": sha(bodies[PHA]), "file_unchanged": True,
        "product_kind": "spectral_fit", "product_name": "src_fit"}]
    assert fit_rows.value.tolist() == [1.7]


def test_use_refuses_unfetched_changed_and_unrelated(root, server, bodies, tmp_path):
    run(root, "products", "fetch", SRC, "--type", "pha")
    df = rows(root)
    pha = int(df[df.product_type == "pha"].product_id.iloc[0])
    arf = int(df[df.product_type == "arf"].product_id.iloc[0])
    other = tmp_path / "other_fit.csv"
    other.write_text("name,powerlaw_PhoIndex,cstat\n2CXO J140414.2+542604,2.0,100\n")
    run(root, "ingest", "spectral-fit", str(other), "--key", "name")
    assert "is not fetched yet" in fails(root, "products", "use", "other_fit",
                                         "--from-product", str(arf))
    assert "no rows linked to csc source" in fails(root, "products", "use", "other_fit",
                                                   "--from-product", str(pha))
    assert "no computed product 'nothing'" in fails(root, "products", "use", "nothing",
                                                     "--from-product", str(pha))
    (root / "products" / "csc" / FOLDER / PHA).write_bytes(b"edited")
    assert "changed since it was fetched" in fails(root, "products", "use", "other_fit",
                                                   "--from-product", str(pha))


def test_plain_products_command_still_lists_computed_products(root):
    out = run(root, "products", "--format", "csv")
    assert out.startswith("name,kind,rows,")


def test_parse_types():
    assert parse_types("lc,PHA,spectrum,srcreg,sensity") == ["lc", "pha", "region", "sensmap"]
    with pytest.raises(XcatError, match="not a product type"):
        parse_types("lc,foo")


def fails_keeping_part(root, *args):
    """A fetch cut short: exit 1 and one error line; the database file is unchanged and
    only the partial download (kept on purpose, to resume) is new under products/.
    """
    before = snapshot(root)
    r = CliRunner().invoke(cli, ["--store", str(root), *args])
    assert r.exit_code == 1, r.output
    err = r.stderr.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("xcat: error: "), r.stderr
    after = snapshot(root)
    new = {k for k in after if k not in before}
    assert all(k.endswith(".part") for k in new) and len(new) == 1, new
    assert {k: v for k, v in after.items() if k in before} == before
    return err[0]
