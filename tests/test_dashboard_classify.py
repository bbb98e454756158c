"""The dashboard's visual-inspection queue (``/classify``) on a copy of the real M101 CSC
store (csc_m101_xrbid/cscresults_M101.vot, host M101 at 6.4 Mpc within 15 arcmin, see
conftest.m101_host_dir): filters agree with the store's own views, and a class is recorded
only with a person's token, as a visual classification event with that person's name.
"""

from __future__ import annotations

import shutil
from urllib.parse import quote

import pytest

import xcat
from tests.cli_helpers import snapshot
from xcat.server.dashboard import routes

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
SOURCE = "2CXO J140303.9+542735"
URL = "/classify/csc/" + quote(SOURCE, safe="")
TOKENS = {"tok-ada-7f3a": "Ada Lovelace", "tok-bob-91c2": "Bob"}


@pytest.fixture(scope="module")
def root(tmp_path_factory, m101_host_dir):
    root = tmp_path_factory.mktemp("dash_classify") / "store"
    shutil.copytree(m101_host_dir, root)
    xcat.Store.open(root).close()  # a copied store re-points its views on first open
    return root


def client_for(root, tokens=None):
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    return TestClient(Starlette(routes=routes(root, tokens)))


def test_queue_filters_by_host_flag_and_class(root):
    with xcat.Store.open(root, read_only=True) as s:
        flagged = s.sql("SELECT DISTINCT s.name FROM source_flags AS s JOIN source_hosts AS h "
                        "USING (catalog, source_key) WHERE h.is_primary AND h.host = 'M101' "
                        "AND s.rule = 'snr_hr_lx' AND s.state = 'true'")["name"]
    c = client_for(root)
    r = c.get("/classify", params={"host": "m101", "flag": "snr_hr_lx"})
    assert r.status_code == 200 and f"{len(flagged)} sources" in r.text
    assert 0 < len(flagged) < 555
    assert sorted(flagged)[0] in r.text
    assert c.get("/classify", params={"class": "unclassified"}).text.count("<tr>") == 101
    bad = c.get("/classify", params={"host": "nowhere"})
    assert bad.status_code == 400 and "no host &#39;nowhere&#39;" in bad.text


def test_recording_a_class_needs_a_token_and_names_the_person(root):
    c = client_for(root, TOKENS)
    page = c.get(URL)
    assert page.status_code == 200 and 'id="record"' in page.text
    assert '<strong id="current">none yet</strong>' in page.text
    before = snapshot(root)
    for token in ("", "tok-ada-7f3", "TOK-ADA-7F3A"):
        r = c.post(URL, data={"class": "XRB", "token": token}, follow_redirects=False)
        assert r.status_code == 403 and "a valid token is needed" in r.text
    r = c.post(URL, data={"class": "", "token": "tok-ada-7f3a"}, follow_redirects=False)
    assert r.status_code == 400
    r = c.post("/classify/csc/nope", data={"class": "XRB", "token": "tok-ada-7f3a"},
               follow_redirects=False)
    assert r.status_code == 404
    r = c.post(URL, data={"class": "Pulsar?", "token": "tok-ada-7f3a"}, follow_redirects=False)
    assert r.status_code == 400 and "Pulsar?" in r.text
    assert snapshot(root) == before  # nothing refused was written
    r = c.post(URL, data={"class": "xrb", "note": "<b>donor visible</b>",
                          "token": "tok-ada-7f3a"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == URL
    page = c.get(URL).text
    assert '<strong id="current">XRB</strong>' in page and "<td>Ada Lovelace</td>" in page
    assert "&lt;b&gt;donor visible&lt;/b&gt;" in page and "<b>donor" not in page
    with xcat.Store.open(root, read_only=True) as s:
        ev = s.sql("SELECT class, author, method, note FROM classification_events "
                   "WHERE source_key = $k ORDER BY event_id DESC LIMIT 1", {"k": SOURCE})
    assert ev.iloc[0].tolist() == ["XRB", "Ada Lovelace", "visual", "<b>donor visible</b>"]
    overview = c.get("/").text
    assert "<td>Ada Lovelace</td>" in overview


def test_without_tokens_the_queue_is_read_only(root):
    c = client_for(root)
    assert 'id="record"' not in c.get(URL).text
    before = snapshot(root)
    r = c.post(URL, data={"class": "AGN", "token": "tok-ada-7f3a"}, follow_redirects=False)
    assert r.status_code == 403 and "read-only" in r.text
    assert snapshot(root) == before
