"""``xcat serve`` wiring: the TAP service and the dashboard in one app, and the token
file that says who may record classifications."""

from __future__ import annotations

import shutil

import pytest
from starlette.testclient import TestClient

from xcat.cli.serve import read_tokens
from xcat.errors import XcatError
from xcat.server.app import make_app


def token_file(tmp_path, text, mode=0o600):
    p = tmp_path / "tokens.txt"
    p.write_text(text)
    p.chmod(mode)
    return p


def test_tokens_are_read_per_person(tmp_path):
    p = token_file(tmp_path, "# the team\nAnna Smith: s3cret-anna-1\n\nBo: tok-bo-12345  # ok\n")
    assert read_tokens(p) == {"s3cret-anna-1": "Anna Smith", "tok-bo-12345": "Bo"}


@pytest.mark.parametrize("text, mode, message", [
    ("Anna: s3cret-anna-1\n", 0o644, "other users may read this token file"),
    ("Anna: s3cret-anna-1\nBo: s3cret-anna-1\n", 0o600, "already Anna's"),
    ("Anna s3cret-anna-1\n", 0o600, ":1: expected 'person: token'"),
    ("Anna: short\n", 0o600, "at least 8 characters"),
    ("# nobody\n", 0o600, "no 'person: token' lines"),
])
def test_bad_token_files_are_refused(tmp_path, text, mode, message):
    with pytest.raises(XcatError, match=message):
        read_tokens(token_file(tmp_path, text, mode))


def test_one_app_serves_tap_and_the_dashboard(tmp_path, m101_csc_dir):
    root = tmp_path / "store"
    shutil.copytree(m101_csc_dir, root)
    with TestClient(make_app(root, tokens={"s3cret-anna-1": "Anna"})) as client:
        home = client.get("/")
        assert home.status_code == 200 and "csc_detections" in home.text
        assert client.get("/tap/availability").status_code == 200
        r = client.get("/tap/sync", params={"REQUEST": "doQuery", "LANG": "ADQL",
                                            "QUERY": "SELECT TOP 1 name FROM csc",
                                            "RESPONSEFORMAT": "csv"})
        assert r.status_code == 200 and r.text.startswith("name")
    with TestClient(make_app(root, dashboard=False)) as client:
        assert client.get("/", follow_redirects=False).status_code in (302, 307)
