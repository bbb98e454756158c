"""TAP uploads (``UPLOAD=name,param:part``, ``TAP_UPLOAD.name``) through pyvo and raw
multipart, the cross-match join they are for (as ``stilts tapskymatch`` and TOPCAT send
it) against brute force with astropy, and the refusals (URLs, bad names, bad tables).
"""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.table import Table

from tests.cli_helpers import snapshot
from tests.test_tap_service import tap_store, tap_url  # noqa: F401  (fixtures)
from xcat.errors import XcatError
from xcat.server import tap_upload

pyvo = pytest.importorskip("pyvo")
httpx = pytest.importorskip("httpx")

JOIN = ("SELECT u.id, c.name, DISTANCE(POINT('ICRS', u.ra, u.dec), "
        "POINT('ICRS', c.ra, c.dec)) * 3600 AS sep "
        "FROM TAP_UPLOAD.{t} AS u JOIN csc AS c "
        "ON 1 = CONTAINS(POINT('ICRS', c.ra, c.dec), CIRCLE('ICRS', u.ra, u.dec, {r}))")


def _votable(table: Table) -> bytes:
    from astropy.io.votable import from_table

    buf = io.BytesIO()
    from_table(table).to_xml(buf)
    return buf.getvalue()


def _positions(tap_url, n: int, seed: int) -> Table:  # noqa: F811
    """``n`` upload positions: half on CSC sources (jittered), half anywhere in M101."""
    svc = pyvo.dal.TAPService(tap_url)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        csc = svc.search("SELECT ra, dec FROM csc ORDER BY name").to_table()
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(csc), n // 2, replace=False)
    ra = np.concatenate([np.asarray(csc["ra"])[pick] + rng.normal(0, 2e-4, n // 2),
                         210.80 + rng.uniform(-0.2, 0.2, n - n // 2)])
    dec = np.concatenate([np.asarray(csc["dec"])[pick] + rng.normal(0, 2e-4, n // 2),
                          54.35 + rng.uniform(-0.15, 0.15, n - n // 2)])
    return Table({"id": np.arange(n), "ra": ra, "dec": dec}), csc


def test_upload_join_equals_brute_force(tap_url, tap_store):  # noqa: F811
    """The TAP_UPLOAD join returns exactly the pairs astropy finds within the radius."""
    before = snapshot(tap_store)
    mine, csc = _positions(tap_url, 60, seed=3)
    radius = 5.0 / 3600
    svc = pyvo.dal.TAPService(tap_url)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = svc.search(JOIN.format(t="mine", r=radius), uploads={"mine": mine}).to_table()
    a = SkyCoord(mine["ra"] * u.deg, mine["dec"] * u.deg)
    b = SkyCoord(np.asarray(csc["ra"]) * u.deg, np.asarray(csc["dec"]) * u.deg)
    ia, _ib, sep, _ = b.search_around_sky(a, radius * u.deg)
    assert len(ia) > 20  # the jittered half finds its sources
    want = sorted(zip(np.asarray(mine["id"])[ia].tolist(), sep.to_value(u.arcsec).round(6),
                      strict=True))
    have = sorted(zip(np.asarray(got["id"]).tolist(), np.asarray(got["sep"]).round(6),
                      strict=True))
    assert have == want
    assert str(got["sep"].unit) == "arcsec"  # DISTANCE(...) * 3600
    assert snapshot(tap_store) == before  # an upload never touches the store


def test_raw_multipart_upload_and_several_tables(tap_url):  # noqa: F811
    """The wire format TOPCAT and STILTS send: multipart with UPLOAD naming the parts."""
    t1 = Table({"k": [1, 2, 3], "label": ["a", "b", "c"]})
    t2 = Table({"k": [2, 3, 4], "w": [0.5, 1.5, 2.5]})
    r = httpx.post(f"{tap_url}/sync", data={
        "REQUEST": "doQuery", "LANG": "ADQL", "RESPONSEFORMAT": "csv",
        "UPLOAD": "first,param:p1;Second,param:p2",
        "QUERY": "SELECT a.k, a.label, b.w FROM TAP_UPLOAD.first AS a "
                 "JOIN TAP_UPLOAD.second AS b ON a.k = b.k ORDER BY a.k"},
        files={"p1": ("t1.xml", _votable(t1)), "p2": ("t2.xml", _votable(t2))})
    assert r.status_code == 200, r.text
    assert r.text.splitlines() == ["k,label,w", "2,b,0.5", "3,c,1.5"]


def test_upload_lives_only_in_its_query(tap_url):  # noqa: F811
    """Another query cannot read a table that an earlier request uploaded."""
    t = Table({"k": [1]})
    ok = httpx.post(f"{tap_url}/sync", data={
        "QUERY": "SELECT k FROM TAP_UPLOAD.mine", "UPLOAD": "mine,param:p",
        "RESPONSEFORMAT": "csv", "LANG": "ADQL", "REQUEST": "doQuery"},
        files={"p": ("t.xml", _votable(t))})
    assert ok.text.splitlines() == ["k", "1"]
    for query in ("SELECT k FROM TAP_UPLOAD.mine", 'SELECT * FROM "tap_upload__mine"',
                  "SELECT * FROM tap_upload__mine"):
        r = httpx.post(f"{tap_url}/sync", data={"QUERY": query, "LANG": "ADQL",
                                                "REQUEST": "doQuery"})
        assert r.status_code == 400
        assert b'QUERY_STATUS" value="ERROR"' in r.content


@pytest.mark.parametrize(("upload", "files", "message"), [
    ("t,file:///etc/passwd", {}, "only param:PART or an http"),
    ("t,ftp://127.0.0.1/t.xml", {}, "only param:PART or an http"),
    ("t,/etc/passwd", {}, "only param:PART or an http"),
    ("t;drop,param:p", {"p": b"x"}, "expected NAME,param:PART"),
    ("1t,param:p", {"p": b"x"}, "not an ADQL name"),
    ('t"x,param:p', {"p": b"x"}, "not an ADQL name"),
    ("t,param:p;T,param:p", {"p": b"x"}, "twice"),
    ("t,param:missing", {"p": b"x"}, "no part named"),
    ("t,param:p", {"p": b"not a votable"}, "not a readable VOTable"),
    ("t,param:p", {"p": b"<VOTABLE><RESOURCE><TABLE><FIELD name='a' datatype='int'/>"
                        b"<FIELD name='A' datatype='int'/><DATA><TABLEDATA/></DATA>"
                        b"</TABLE></RESOURCE></VOTABLE>"}, "same name"),
])
def test_bad_uploads_are_refused(upload, files, message):
    with pytest.raises(XcatError, match=message):
        tap_upload.read(upload, files)


def test_bad_upload_over_http_is_an_error_document(tap_url, tap_store):  # noqa: F811
    before = snapshot(tap_store)
    r = httpx.post(f"{tap_url}/sync", data={
        "QUERY": "SELECT * FROM TAP_UPLOAD.t", "UPLOAD": "t,file:///etc/passwd",
        "LANG": "ADQL", "REQUEST": "doQuery"})
    assert r.status_code == 400
    assert b"only param:PART or an http" in r.content
    assert snapshot(tap_store) == before


def test_upload_by_url(tap_url):  # noqa: F811
    """``UPLOAD=name,http://…`` (a table the server fetches): served by a local HTTP server;
    a missing file, a redirect and an unreachable address are one error each.
    """
    import http.server
    import threading

    table = _votable(Table({"k": [7, 8], "when": ["2020-01-02T03:04:05", "2021-06-07"]}))
    table = table.replace(b'name="when"', b'name="when" xtype="timestamp"')

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            if self.path == "/t.xml":
                self.send_response(200)
                self.send_header("Content-Length", str(len(table)))
                self.end_headers()
                self.wfile.write(table)
            elif self.path == "/moved":
                self.send_response(302)
                self.send_header("Location", "/t.xml")
                self.end_headers()
            else:
                self.send_error(404)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        def ask(where):
            return httpx.post(f"{tap_url}/sync", data={
                "QUERY": "SELECT k, \"when\" FROM TAP_UPLOAD.t ORDER BY k", "UPLOAD": f"t,{where}",
                "LANG": "ADQL", "REQUEST": "doQuery", "RESPONSEFORMAT": "votable"})

        ok = ask(f"{base}/t.xml")
        assert ok.status_code == 200, ok.text
        assert b'xtype="timestamp"' in ok.content  # the upload's xtype is kept
        for where, message in ((f"{base}/nothing.xml", b"HTTP 404"),
                               (f"{base}/moved", b"HTTP 302"),
                               ("http://127.0.0.1:1/t.xml", b"cannot fetch")):
            r = ask(where)
            assert r.status_code == 400 and message in r.content, r.text
    finally:
        server.shutdown()


def test_upload_size_cap(tap_url, monkeypatch):  # noqa: F811
    """A request whose files exceed the cap is refused before anything is parsed."""
    monkeypatch.setattr(tap_upload, "MAX_BYTES", 1000)  # the server runs in this process
    r = httpx.post(f"{tap_url}/sync", data={
        "QUERY": "SELECT * FROM TAP_UPLOAD.t", "UPLOAD": "t,param:p", "LANG": "ADQL",
        "REQUEST": "doQuery"}, files={"p": ("t.xml", b" " * 5000)})
    assert r.status_code == 400
    assert b"exceed" in r.content
