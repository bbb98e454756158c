"""The TAP service of ``xcat serve`` through pyvo, against one uvicorn server per test
process on a free loopback port, serving a copy of the M101 CSC store (real excerpt).
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

import xcat
from tests.conftest import M101_CENTRE

pyvo = pytest.importorskip("pyvo")
uvicorn = pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

from xcat.server.app import make_app  # noqa: E402

CSC_ROWS = 555


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def tap_store(tmp_path_factory, m101_csc_dir) -> Path:
    """A copy of the M101 CSC store, served read-only (tests never write it)."""
    root = tmp_path_factory.mktemp("tap") / "store"
    shutil.copytree(m101_csc_dir, root)
    xcat.Store.open(root).close()  # views re-pointed at the copy
    return root


@pytest.fixture(scope="session")
def tap_url(tap_store) -> str:
    """Base URL of a TAP server on a free 127.0.0.1 port, in a thread, for the session."""
    port = _free_port()
    app = make_app(tap_store, max_rows=1000, timeout_s=20)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(500):  # bounded: at most ~10 s
        if server.started:
            break
        time.sleep(0.02)
    assert server.started, "the TAP server did not start"
    yield f"http://127.0.0.1:{port}/tap"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def tap(tap_url):
    return pyvo.dal.TAPService(tap_url)


@pytest.fixture
def store_ro(tap_store):
    s = xcat.Store.open(tap_store, read_only=True)
    yield s
    s.close()


#: One client for every request (a new httpx client costs tens of ms: its SSL context).
CLIENT = httpx.Client(timeout=30)


def _sync(url: str, **params) -> httpx.Response:
    return CLIENT.post(f"{url}/sync", data={"REQUEST": "doQuery", "LANG": "ADQL", **params},
                      timeout=30)


def test_cone_through_contains_equals_store_cone(tap, store_ro):
    ra, dec = M101_CENTRE
    r = 0.05
    want = store_ro.cone("csc", ra, dec, r)
    got = tap.search(f"SELECT name, ra, dec FROM csc WHERE CONTAINS(POINT('ICRS', ra, dec), "
                     f"CIRCLE('ICRS', {ra}, {dec}, {r})) = 1").to_table()
    assert 0 < len(got) < CSC_ROWS
    assert sorted(got["name"]) == sorted(want["name"])


def test_distance_equals_astropy_separation(tap):
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    ra, dec = M101_CENTRE
    t = tap.search(f"SELECT TOP 50 ra, dec, DISTANCE(POINT('ICRS', ra, dec), "
                   f"POINT('ICRS', {ra}, {dec})) AS d FROM csc ORDER BY d").to_table()
    assert len(t) == 50
    sep = SkyCoord(t["ra"], t["dec"], unit="deg").separation(
        SkyCoord(ra * u.deg, dec * u.deg)).deg
    np.testing.assert_allclose(np.asarray(t["d"]), sep, rtol=0, atol=1e-9)
    assert np.all(np.diff(np.asarray(t["d"])) >= 0)


def test_box_polygon_intersects_coord(tap):
    ra, dec = M101_CENTRE
    box = tap.search(f"SELECT ra, dec FROM csc WHERE CONTAINS(POINT(ra, dec), "
                     f"BOX({ra}, {dec}, 0.1, 0.1)) = 1").to_table()
    assert 0 < len(box) < CSC_ROWS
    assert np.all(np.abs(np.asarray(box["dec"]) - dec) <= 0.05)
    # the same square as a polygon (small field: the two agree)
    h = 0.05
    poly = tap.search(
        f"SELECT ra, dec FROM csc WHERE 1 = CONTAINS(POINT(ra, dec), POLYGON("
        f"{ra - h}, {dec - h}, {ra + h}, {dec - h}, {ra + h}, {dec + h}, {ra - h}, {dec + h}))"
    ).to_table()
    assert 0 < len(poly) < CSC_ROWS
    inter = tap.search(f"SELECT COORD1(POINT(ra, dec)) AS x, COORD2(POINT(ra, dec)) AS y "
                       f"FROM csc WHERE INTERSECTS(CIRCLE(ra, dec, 0.01), "
                       f"CIRCLE({ra}, {dec}, 0.04)) = 1").to_table()
    circle = tap.search(f"SELECT ra FROM csc WHERE CONTAINS(POINT(ra, dec), "
                        f"CIRCLE({ra}, {dec}, 0.05)) = 1").to_table()
    assert len(inter) == len(circle) > 0


def test_top_and_maxrec_overflow(tap, tap_url):
    assert len(tap.search("SELECT TOP 7 * FROM csc").to_table()) == 7
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = tap.search("SELECT name FROM csc", maxrec=10)
    assert len(res) == 10
    assert res.query_status == "OVERFLOW"
    body = _sync(tap_url, QUERY="SELECT name FROM csc", MAXREC="10").text
    assert body.index('value="OVERFLOW"') > body.index("</TABLE>")
    body = _sync(tap_url, QUERY="SELECT TOP 10 name FROM csc", MAXREC="10").text
    assert "OVERFLOW" not in body
    # the server's row cap (1000) holds whatever TOP says
    big = tap.search("SELECT TOP 100000000000000000000 name FROM csc")
    assert len(big) == CSC_ROWS


def test_votable_default_binary2_with_units_and_ucds(tap_url):
    r = _sync(tap_url, QUERY="SELECT TOP 3 name, ra, dec FROM csc")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/x-votable+xml")
    assert "<BINARY2>" in r.text
    assert '<INFO name="QUERY_STATUS" value="OK"' in r.text.replace('ID="QUERY_STATUS" ', "")
    ra_field = next(line for line in r.text.splitlines() if 'name="ra"' in line)
    assert 'unit="deg"' in ra_field and "pos.eq.ra" in ra_field


def test_csv_and_fits_outputs(tap_url):
    import io

    from astropy.table import Table

    csv = _sync(tap_url, QUERY="SELECT TOP 5 name, ra FROM csc ORDER BY name",
                RESPONSEFORMAT="csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    t = Table.read(csv.text, format="ascii.csv")
    assert t.colnames == ["name", "ra"] and len(t) == 5
    fits = _sync(tap_url, QUERY="SELECT TOP 5 name, ra FROM csc ORDER BY name",
                 RESPONSEFORMAT="fits")
    assert fits.status_code == 200 and fits.content[:6] == b"SIMPLE"
    f = Table.read(io.BytesIO(fits.content), format="fits")
    assert list(f["name"]) == list(t["name"])
    assert str(f["ra"].unit) == "deg"


def test_get_works_too(tap_url):
    r = CLIENT.get(f"{tap_url}/sync", params={"REQUEST": "doQuery", "LANG": "ADQL",
                                             "QUERY": "SELECT COUNT(*) AS n FROM csc",
                                             "RESPONSEFORMAT": "csv"}, timeout=30)
    assert r.status_code == 200 and r.text.split() == ["n", str(CSC_ROWS)]


def test_errors_are_votable_error_documents(tap, tap_url):
    r = _sync(tap_url, QUERY="SELECT FROM WHERE")
    assert r.status_code == 400
    assert 'value="ERROR"' in r.text and "line 1" in r.text
    with pytest.raises((pyvo.dal.DALQueryError, pyvo.dal.DALServiceError), match="nosuch"):
        tap.search("SELECT * FROM nosuch")


def test_tap_schema_columns_carry_units_and_ucds(tap):
    t = tap.search("SELECT column_name, unit, ucd, description, datatype FROM "
                   "TAP_SCHEMA.columns WHERE table_name = 'csc'").to_table()
    rows = {r["column_name"]: r for r in t}
    assert rows["ra"]["unit"] == "deg" and rows["ra"]["ucd"].startswith("pos.eq.ra")
    assert rows["ra"]["datatype"] == "double"  # VOTable datatypes (TAP 1.1)
    odd = tap.search("SELECT column_name, datatype FROM TAP_SCHEMA.columns WHERE "
                     "table_name = 'xray_sources'").to_table()
    assert dict(zip(odd["column_name"], odd["datatype"], strict=True))[
        '"_healpix_29"'] == "long"  # delimited: not a regular ADQL name
    tables = set(tap.search("SELECT table_name FROM TAP_SCHEMA.tables").to_table()
                 ["table_name"])
    assert {"csc", "csc_detections", "xmatch_runs", "xmatch_pairs", "xray_sources",
            "TAP_SCHEMA.columns"} <= tables
    assert not any(name.startswith("stg_") for name in tables)
    keys = tap.search("SELECT from_table, target_table FROM TAP_SCHEMA.keys").to_table()
    assert ("csc_detections", "csc") in {(r["from_table"], r["target_table"]) for r in keys}


def test_vosi_endpoints(tap, tap_url):
    assert "<vosi:available>true" in CLIENT.get(f"{tap_url}/availability").text
    caps = CLIENT.get(f"{tap_url}/capabilities").text
    assert 'standardID="ivo://ivoa.net/std/TAP"' in caps and "CONTAINS" in caps
    names = {t.name for t in tap.tables}
    assert {"csc", "xmatch_pairs"} <= names
    ra = next(c for c in tap.tables["csc"].columns if c.name == "ra")
    assert str(ra.unit) == "deg"


@pytest.mark.parametrize("where", [
    "CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', {ra}, {dec}, 0.05)) = 1",
    "1 = CONTAINS(POINT(ra, dec), CIRCLE({ra}, {dec}, 0.02)) AND significance > 3",
    "CONTAINS(POINT(c.ra, c.dec), CIRCLE({ra}, {dec}, 2.0)) = 1",
    "CONTAINS(POINT(ra, dec), CIRCLE({ra}, {dec}, 0.001)) = 1",
    "CONTAINS(POINT(ra, dec), CIRCLE(30.0, -54.0, 1.0)) = 1",
])
def test_pruned_cone_path_equals_brute_force(tap_store, where):
    """A cone on one catalog is answered by Store.cone; its rows equal a full scan's."""
    from xcat.server import adql
    from xcat.server.sandbox import Sandbox
    from xcat.server.tap import TapService

    box = Sandbox(tap_store, timeout_s=30)
    ra, dec = M101_CENTRE
    text = (f"SELECT c.* FROM csc AS c WHERE {where.format(ra=ra, dec=dec)} "
            f"ORDER BY c.name")
    schema = box.schema()
    assert adql.translate(text, schema.names(), schema.catalogs).cone is not None
    params = {"QUERY": text, "RESPONSEFORMAT": "csv"}
    pruned, _ = TapService(box, 1000, pruned=True).query(params)
    brute, _ = TapService(box, 1000, pruned=False).query(params)
    assert pruned == brute
    assert pruned.decode().splitlines()[0].split(",")[:3] == ["separation", "name", "ra"]


def test_xcat_serve_command(tap_store, tmp_path):
    """``xcat serve`` in a real process answers TAP on the port it was given; a missing
    store is one error line.
    """
    import subprocess
    import sys

    from tests.cli_helpers import fails

    fails(tmp_path / "nostore", "serve", "--port", "1")
    port = _free_port()
    exe = Path(sys.executable).with_name("xcat")
    proc = subprocess.Popen([str(exe), "--store", str(tap_store), "serve", "--port",
                             str(port), "--max-rows", "5"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}/tap"
        for _ in range(300):  # bounded: the server starts in a few seconds at most
            try:
                if CLIENT.get(f"{url}/availability").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = pyvo.dal.TAPService(url).search("SELECT name FROM csc")
        assert len(res) == 5 and res.query_status == "OVERFLOW"  # --max-rows 5
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_mount_adds_routes_beside_tap(tap_store):
    """``mount`` adds another route set (the dashboard) under a path or at ``/``."""
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    from xcat.server.app import mount

    def page(request):
        return PlainTextResponse("page")

    app = make_app(tap_store, dashboard=False)  # the TAP service alone: / redirects to it
    with TestClient(app) as client:
        assert client.get("/", follow_redirects=False).headers["location"].endswith("/tap/")
    mount(app, "/extra", [Route("/", page)])
    mount(app, "/", [Route("/", page), Route("/other", page)])
    with TestClient(app) as client:
        assert client.get("/", follow_redirects=False).text == "page"
        assert client.get("/other").text == "page"
        assert client.get("/extra/").text == "page"
        assert "<vosi:available>true" in client.get("/tap/availability").text
