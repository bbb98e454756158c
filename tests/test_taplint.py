"""STILTS ``taplint`` (the IVOA's TAP validator) against ``xcat serve`` on the M101 store:
every stage that applies (metadata from /tables and TAP_SCHEMA, capabilities,
availability, sync GET/POST, async, UWS, result metadata, uploads, examples) reports no
error, no warning and no failure. ObsCore and ObsLocTAP are data models this service does
not claim, so their stages are not run. ``.ci/run`` installs Debian's ``stilts``.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

import xcat
from tests.test_tap_service import _free_port, tap_store, tap_url  # noqa: F401  (fixtures)

STAGES = "TMV TME TMS TMC CPV CAP AVV QGE QPO QAS UWS MDQ UPL EXA"


@pytest.fixture(scope="module")
def rich_tap_url(m101_host_dir, tmp_path_factory):
    """A server on the M101 store with its host and a recorded run: every kind of table
    (catalogs, views, saved samples, runs) is served.
    """
    import threading
    import time

    import uvicorn

    from xcat.server.app import make_app

    root = tmp_path_factory.mktemp("taplint") / "store"
    shutil.copytree(m101_host_dir, root)
    with xcat.Store.open(root) as store:
        store.xmatch("csc", "csc_detections", radius="1arcsec", name="csc-self")
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(make_app(root, max_rows=1000, timeout_s=60),
                                           host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    threading.Thread(target=server.run, daemon=True).start()
    for _ in range(500):  # bounded: at most ~10 s
        if server.started:
            break
        time.sleep(0.02)
    assert server.started
    yield f"http://127.0.0.1:{port}/tap"
    server.should_exit = True


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("stilts") is None, reason="stilts is not installed")
def test_taplint_is_clean(rich_tap_url):
    r = subprocess.run(["stilts", "taplint", f"tapurl={rich_tap_url}", f"stages={STAGES}",
                        "report=EWFS", "maxrepeat=5"],
                       capture_output=True, text=True, timeout=600, check=False)
    out = r.stdout
    ran = set(re.findall(r"^Section (\w+):", out, re.M))
    assert ran == set(STAGES.split()), out[-3000:] + r.stderr[-2000:]
    assert "Totals: Errors: 0; Warnings: 0;" in out and "Failures: 0" in out, out[-6000:]
    # the stages did real work: queries ran, an upload was tested, examples executed
    assert re.search(r"S-QGE-QNUM-1 Successful/submitted TAP queries: (\d+)/\1", out)
    assert re.search(r"S-MDQ-QNUM-1 Successful/submitted TAP queries: (\d+)/\1", out)
    assert re.search(r"S-EXA-XVAL-1 .*Execution success/attempt: (\d+)/\1", out)
    # main, samples, runs and TAP_SCHEMA were all described, and every table queried
    assert re.search(r"S-TMS-SUMM-1 Schemas: 4, Tables: (\d+)", out), out[-3000:]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("stilts") is None, reason="stilts is not installed")
@pytest.mark.parametrize("sync", ["true", "false"])
def test_stilts_tapskymatch_equals_brute_force(tap_url, tmp_path, sync):  # noqa: F811
    """``stilts tapskymatch`` (uploads blocks of a local table and joins them in ADQL, as
    against HEASARC) finds exactly the pairs astropy finds, sync and async.
    """
    import numpy as np
    from astropy import units as u
    from astropy.coordinates import SkyCoord
    from astropy.table import Table

    csc = Table.read(_csv(tap_url, "SELECT name, ra, dec FROM csc ORDER BY name"),
                     format="ascii.csv")
    rng = np.random.default_rng(7)
    pick = rng.choice(len(csc), 40, replace=False)
    mine = Table({"id": np.arange(60),
                  "ra": np.concatenate([csc["ra"][pick] + rng.normal(0, 3e-4, 40),
                                        210.8 + rng.uniform(-0.2, 0.2, 20)]),
                  "dec": np.concatenate([csc["dec"][pick] + rng.normal(0, 3e-4, 40),
                                         54.35 + rng.uniform(-0.15, 0.15, 20)])})
    mine.write(tmp_path / "mine.xml", format="votable")
    radius = 4.0 / 3600
    r = subprocess.run(["stilts", "tapskymatch", f"tapurl={tap_url}", "taptable=csc",
                        "taplon=ra", "taplat=dec", "tapcols=name", f"in={tmp_path}/mine.xml",
                        "inlon=ra", "inlat=dec", f"sr={radius}", "find=all", f"sync={sync}",
                        "blocksize=25", f"out={tmp_path}/pairs.csv", "ofmt=csv"],
                       capture_output=True, text=True, timeout=300, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    got = Table.read(tmp_path / "pairs.csv", format="ascii.csv")
    a = SkyCoord(mine["ra"] * u.deg, mine["dec"] * u.deg)
    b = SkyCoord(np.asarray(csc["ra"]) * u.deg, np.asarray(csc["dec"]) * u.deg)
    ia, ib, _, _ = b.search_around_sky(a, radius * u.deg)
    assert len(ia) >= 30
    want = sorted(zip(np.asarray(mine["id"])[ia].tolist(),
                      np.asarray(csc["name"])[ib].tolist(), strict=True))
    assert sorted(zip(got["id"].tolist(), got["name"].tolist(), strict=True)) == want


def _csv(tap_url: str, query: str) -> str:  # noqa: F811
    import httpx

    r = httpx.post(f"{tap_url}/sync", data={"REQUEST": "doQuery", "LANG": "ADQL",
                                            "RESPONSEFORMAT": "csv", "QUERY": query})
    assert r.status_code == 200, r.text
    return r.text
