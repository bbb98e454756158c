"""The dashboard in headless Chromium (Debian's chromium), served by uvicorn on a free
loopback port, over a copy of the real M101 CSC store (csc_m101_xrbid/cscresults_M101.vot,
host M101 at 6.4 Mpc, see conftest.m101_host_dir): each page is loaded, its rendered DOM
checked (the host page's four figures decoded), the sample form's GET followed, and
screenshots taken and checked not to be blank. Skipped without Chromium, except under
CI=true.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from urllib.parse import urlencode

import pytest

import xcat
from tests.test_report import CHROMIUM_FLAGS, chromium
from xcat.server.dashboard import routes

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def base_url(tmp_path_factory, m101_host_dir):
    import uvicorn
    from starlette.applications import Starlette

    root = tmp_path_factory.mktemp("dash_browser") / "store"
    shutil.copytree(m101_host_dir, root)
    xcat.Store.open(root).close()  # a copied store re-points its views on first open
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))  # a free port, held from here on
    app = Starlette(routes=routes(root, {"tok": "Ada"}))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(200):  # bounded: at most 10 s
        if server.started:
            break
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


def dom(url: str, profile) -> str:
    return subprocess.run([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                           "--virtual-time-budget=10000", "--dump-dom", url],
                          capture_output=True, text=True, timeout=120, check=True).stdout


def screenshot(url: str, out, profile) -> None:
    from PIL import Image

    subprocess.run([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                    "--window-size=1200,1400", "--virtual-time-budget=10000",
                    f"--screenshot={out}", url], capture_output=True, timeout=120, check=True)
    with Image.open(out) as img:
        lo, hi = img.convert("L").getextrema()
    assert hi - lo > 100  # not a blank page


def test_pages_render_in_headless_chromium(base_url, tmp_path):
    profile = tmp_path / "profile"
    page = dom(base_url + "/", profile)
    assert "The store at a glance" in page and "<td>csc</td>" in page
    assert "<td>555</td>" in page and 'href="/hosts/M101"' in page
    screenshot(base_url + "/", tmp_path / "index.png", profile)
    page = dom(base_url + "/hosts/M101", profile)
    assert "X-ray sources of M101" in page and 'data-figures="4/4"' in page
    screenshot(base_url + "/hosts/M101", tmp_path / "host.png", profile)
    # what the sample form sends when host and a sort are chosen
    form = dom(base_url + "/samples/xrb_candidates", profile)
    assert '<input name="host"' in form and 'action="/samples/xrb_candidates"' in form
    query = urlencode({"host": "M101", "sort": "log_lx", "order": "desc"})
    page = dom(f"{base_url}/samples/xrb_candidates?{query}", profile)
    assert 'id="sample-table"' in page and "page 1 of" in page
    page = dom(base_url + "/classify?host=M101", profile)
    assert "555 sources" in page
    screenshot(base_url + "/classify?host=M101", tmp_path / "classify.png", profile)
