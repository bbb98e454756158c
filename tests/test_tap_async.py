"""Asynchronous TAP (``/tap/async``, UWS 1.1) through pyvo, httpx and STILTS, against the
session's uvicorn server on the M101 CSC store (``tap_url``: time limit 20 s).
"""

from __future__ import annotations

import shutil
import subprocess
import time
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import pytest

from tests.test_tap_service import CSC_ROWS, tap_store, tap_url  # noqa: F401  (fixtures)
from xcat.errors import XcatError
from xcat.server import uws
from xcat.server.sandbox import Sandbox
from xcat.server.tap import TapService

pyvo = pytest.importorskip("pyvo")
httpx = pytest.importorskip("httpx")

UWS = "{http://www.ivoa.net/xml/UWS/v1.0}"
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
XLINK = "{http://www.w3.org/1999/xlink}"
#: UWS 1.1 JobSummary, in order: (element, may be missing).
JOB_ELEMENTS = [("jobId", False), ("runId", True), ("ownerId", False), ("phase", False),
                ("quote", True), ("creationTime", True), ("startTime", False),
                ("endTime", False), ("executionDuration", False), ("destruction", False),
                ("parameters", True), ("results", False), ("errorSummary", True),
                ("jobInfo", True)]
#: Four copies of the catalog, cross-joined: 555**4 ~ 1e11 rows, far beyond 20 s.
LONG = ("SELECT COUNT(*) AS n FROM csc AS a, csc AS b, csc AS c, csc AS d "
        "WHERE a.ra + b.ra > c.dec + d.dec")

CLIENT = httpx.Client(timeout=30)


@pytest.fixture(scope="module")
def tap(tap_url):  # noqa: F811
    return pyvo.dal.TAPService(tap_url)


def _create(tap_url: str, query: str, **params) -> str:  # noqa: F811
    """POST /async: the job's URL (after the 303)."""
    r = CLIENT.post(f"{tap_url}/async", data={"LANG": "ADQL", "QUERY": query, **params})
    assert r.status_code == 303
    return r.headers["location"]


def _job(url: str, **params) -> ET.Element:
    r = CLIENT.get(url, params=params)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/xml")
    return ET.fromstring(r.content)


def _phase(url: str, wait: float = 0) -> str:
    if wait:
        return _job(url, WAIT=str(wait)).find(f"{UWS}phase").text
    return CLIENT.get(f"{url}/phase").text


def _settle(url: str, budget: int = 40) -> str:
    """The phase once the job has left QUEUED/EXECUTING (at most ``budget`` WAITs of 1 s)."""
    for _ in range(budget):
        phase = _phase(url, wait=1)
        if phase not in uws.ACTIVE or phase == uws.PENDING:
            return phase
    return phase


def _check_job_document(root: ET.Element) -> None:
    """The job document follows the UWS 1.1 schema's JobSummary (order, nils, refs)."""
    assert root.tag == f"{UWS}job" and root.get("version") == "1.1"
    names = [child.tag.removeprefix(UWS) for child in root]
    expected = [n for n, optional in JOB_ELEMENTS if n in names or not optional]
    assert names == expected
    assert root.find(f"{UWS}ownerId").get(XSI_NIL) == "true"
    assert root.find(f"{UWS}phase").text in uws.PHASES
    int(root.find(f"{UWS}executionDuration").text)
    for name in ("creationTime", "startTime", "endTime", "destruction"):
        el = root.find(f"{UWS}{name}")
        if el is not None and el.get(XSI_NIL) != "true":
            datetime.fromisoformat(el.text)
    for p in root.iter(f"{UWS}parameter"):
        assert p.get("id")
    for res in root.iter(f"{UWS}result"):
        assert res.get("id") and res.get(f"{XLINK}href") and int(res.get("size")) > 0


def test_run_async_rows_equal_sync(tap):
    query = "SELECT TOP 40 name, ra, dec, flux_aper_b FROM csc ORDER BY name"
    sync = tap.search(query).to_table()
    got = tap.run_async(query).to_table()
    assert len(got) == 40 and got.colnames == sync.colnames
    for col in sync.colnames:
        assert list(got[col]) == list(sync[col])
    assert got["ra"].unit == "deg"
    # run_async deletes its job: none of this query's jobs is left
    assert all(j.phase != "EXECUTING" for j in tap.get_job_list())


def test_submit_run_wait_fetch_delete(tap, tap_url):  # noqa: F811
    job = tap.submit_job("SELECT COUNT(*) AS n FROM csc", runid="count-1")
    assert job.phase == "PENDING"
    root = _job(job.url)
    _check_job_document(root)
    assert root.find(f"{UWS}runId").text == "count-1"
    assert root.find(f"{UWS}results") is not None and len(root.find(f"{UWS}results")) == 0
    created = datetime.fromisoformat(root.find(f"{UWS}creationTime").text)
    destruction = datetime.fromisoformat(root.find(f"{UWS}destruction").text)
    assert destruction - created == timedelta(days=1)
    assert job.execution_duration.sec == 20  # the service's time limit
    assert job.query == "SELECT COUNT(*) AS n FROM csc"
    job.run().wait(timeout=60)
    assert job.phase == "COMPLETED"
    assert int(job.fetch_result().to_table()["n"][0]) == CSC_ROWS
    root = _job(job.url)
    _check_job_document(root)
    (result,) = root.iter(f"{UWS}result")
    assert result.get(f"{XLINK}href") == f"{job.url}/results/result"
    assert result.get("mime-type").startswith("application/x-votable+xml")
    for name in ("startTime", "endTime"):
        assert root.find(f"{UWS}{name}").get(XSI_NIL) is None
    r = CLIENT.get(f"{job.url}/results")
    assert ET.fromstring(r.content).tag == f"{UWS}results"
    assert CLIENT.get(f"{job.url}/error").status_code == 404  # no error to tell
    url = job.url
    job.delete()
    assert CLIENT.get(url).status_code == 404
    assert CLIENT.get(f"{url}/phase").status_code == 404
    assert CLIENT.get(f"{url}/results/result").status_code == 404


def test_create_with_phase_run_and_csv(tap_url):  # noqa: F811
    url = _create(tap_url, "SELECT TOP 3 name FROM csc ORDER BY name", PHASE="RUN",
                  RESPONSEFORMAT="csv")
    assert _settle(url) == "COMPLETED"
    r = CLIENT.get(f"{url}/results/result")
    assert r.headers["content-type"].startswith("text/csv")
    assert r.text.splitlines()[0] == "name" and len(r.text.splitlines()) == 4


def test_job_list_filters(tap_url):  # noqa: F811
    first = _create(tap_url, "SELECT TOP 1 name FROM csc")
    time.sleep(0.01)  # distinct creation times (ms)
    second = _create(tap_url, "SELECT TOP 2 name FROM csc", PHASE="RUN")
    assert _settle(second) == "COMPLETED"
    ids = [u.rsplit("/", 1)[1] for u in (first, second)]

    def listed(**params) -> list[str]:
        r = CLIENT.get(f"{tap_url}/async", params=params)
        assert r.status_code == 200
        root = ET.fromstring(r.content)
        assert root.tag == f"{UWS}jobs" and root.get("version") == "1.1"
        for ref in root:
            assert ref.tag == f"{UWS}jobref"
            assert ref.get(f"{XLINK}href").endswith("/" + ref.get("id"))
            assert ref.find(f"{UWS}phase") is not None
        return [ref.get("id") for ref in root]

    everything = listed()
    assert set(ids) <= set(everything)
    pending = listed(PHASE="PENDING")
    assert ids[0] in pending and ids[1] not in pending
    both = listed(PHASE=["PENDING", "COMPLETED"])
    assert set(ids) <= set(both)
    assert listed(LAST="1") == [ids[1]]
    assert listed(LAST="2") == [ids[1], ids[0]]  # newest first
    created = _job(first).find(f"{UWS}creationTime").text
    after = listed(AFTER=created)
    assert ids[1] in after and ids[0] not in after
    assert CLIENT.get(f"{tap_url}/async", params={"PHASE": "SLEEPING"}).status_code == 400
    assert CLIENT.get(f"{tap_url}/async", params={"LAST": "many"}).status_code == 400


def test_adql_error_is_phase_error_with_message(tap, tap_url):  # noqa: F811
    job = tap.submit_job("SELECT nosuchcolumn FROM csc")
    job.run().wait(timeout=60)
    assert job.phase == "ERROR"
    root = _job(job.url)
    _check_job_document(root)
    summary = root.find(f"{UWS}errorSummary")
    assert summary.get("type") == "fatal" and summary.get("hasDetail") == "true"
    message = summary.find(f"{UWS}message").text
    assert "nosuchcolumn" in message
    r = CLIENT.get(f"{job.url}/error")
    assert r.status_code == 200
    doc = ET.fromstring(r.content)
    (info,) = [i for i in doc.iter() if i.tag.endswith("INFO")]
    assert info.get("name") == "QUERY_STATUS" and info.get("value") == "ERROR"
    assert info.text == message
    with pytest.raises(pyvo.dal.DALQueryError, match="nosuchcolumn"):
        job.raise_if_error()
    assert CLIENT.get(f"{job.url}/results/result").status_code == 404
    with pytest.raises(pyvo.dal.DALQueryError, match="nosuchcolumn"):
        tap.run_async("SELECT nosuchcolumn FROM csc")


def test_abort_interrupts_an_executing_query(tap_url):  # noqa: F811
    urls = [_create(tap_url, LONG, PHASE="RUN") for _ in range(uws.WORKERS)]
    for url in urls:
        for _ in range(100):  # bounded
            if _phase(url) == "EXECUTING":
                break
            time.sleep(0.05)
        assert _phase(url) == "EXECUTING"
    time.sleep(0.5)  # let DuckDB start on them (an ABORT before that cancels unstarted)
    for url in urls:
        r = CLIENT.post(f"{url}/phase", data={"PHASE": "ABORT"})
        assert r.status_code == 303 and r.headers["location"] == url
        assert _phase(url) == "ABORTED"  # at once
        root = _job(url)
        _check_job_document(root)
        assert "aborted" in root.find(f"{UWS}errorSummary/{UWS}message").text
    short = _create(tap_url, "SELECT TOP 1 name FROM csc", PHASE="RUN")
    assert _settle(short) == "COMPLETED"


def test_abort_stops_the_duckdb_query(tap_store):  # noqa: F811
    """The worker's query ends at the ABORT, not at the (here 600 s) time limit."""
    jobs = uws.JobList(TapService(Sandbox(tap_store, timeout_s=600)), timeout_s=600)
    job = jobs.create({"QUERY": LONG, "PHASE": "RUN"}, {})
    for _ in range(3000):  # bounded: until DuckDB runs it
        if job.interrupt is not None:
            break
        time.sleep(0.01)
    assert job.running and job.interrupt is not None
    jobs.abort(job.id)
    assert job.phase == uws.ABORTED
    for _ in range(3000):  # bounded (30 s of sleeps, far below 600 s)
        if not job.running:
            break
        time.sleep(0.01)
    assert not job.running
    assert job.result is None and job.error == "the job was aborted"


def test_abort_pending_and_execution_duration(tap_url):  # noqa: F811
    url = _create(tap_url, "SELECT TOP 1 name FROM csc")
    CLIENT.post(f"{url}/phase", data={"PHASE": "ABORT"})
    assert _phase(url) == "ABORTED"
    assert "aborted" in CLIENT.get(f"{url}/error").text
    CLIENT.post(f"{url}/phase", data={"PHASE": "RUN"})  # a finished job stays so
    assert _phase(url) == "ABORTED"
    assert CLIENT.post(f"{url}/phase", data={"PHASE": "JUMP"}).status_code == 400
    # executionDuration: the job's own limit stops the long query
    url = _create(tap_url, LONG)
    r = CLIENT.post(f"{url}/executionduration", data={"EXECUTIONDURATION": "2"})
    assert r.status_code == 303
    assert CLIENT.get(f"{url}/executionduration").text == "2"
    CLIENT.post(f"{url}/phase", data={"PHASE": "RUN"})
    for _ in range(100):  # bounded
        if _phase(url) == "EXECUTING":
            break
        time.sleep(0.02)
    # WAIT with PHASE= another phase answers at once; a plain WAIT blocks until the
    # phase changes (here when the 2 s limit stops the query)
    assert _job(url, WAIT="30", PHASE="QUEUED").find(f"{UWS}phase").text in (
        "EXECUTING", "ERROR")
    assert _phase(url, wait=30) == "ERROR"
    message = _job(url).find(f"{UWS}errorSummary/{UWS}message").text
    assert "executionDuration (2 s)" in message
    # more than the service allows is the service's limit
    url = _create(tap_url, "SELECT TOP 1 name FROM csc")
    CLIENT.post(f"{url}/executionduration", data={"EXECUTIONDURATION": "99999"})
    assert CLIENT.get(f"{url}/executionduration").text == "20"


def test_parameters_change_while_pending_only(tap):
    job = tap.submit_job("SELECT TOP 1 name FROM csc")
    job.query = "SELECT TOP 2 name FROM csc ORDER BY name"
    assert job.query == "SELECT TOP 2 name FROM csc ORDER BY name"
    job.run().wait(timeout=60)
    assert len(job.fetch_result().to_table()) == 2
    r = CLIENT.post(f"{job.url}/parameters", data={"QUERY": "SELECT 1"})
    assert r.status_code == 400 and "PENDING" in r.text
    r = CLIENT.post(job.url, data={"MAXREC": "5"})
    assert r.status_code == 400
    job.delete()


def test_delete_verbs_and_unknown_jobs(tap_url):  # noqa: F811
    url = _create(tap_url, "SELECT TOP 1 name FROM csc")
    r = CLIENT.delete(url)
    assert r.status_code == 303 and r.headers["location"] == f"{tap_url}/async"
    assert CLIENT.get(url).status_code == 404
    url = _create(tap_url, "SELECT TOP 1 name FROM csc")
    r = CLIENT.post(url, data={"ACTION": "DELETE"})
    assert r.status_code == 303 and r.headers["location"] == f"{tap_url}/async"
    assert CLIENT.get(url).status_code == 404
    assert CLIENT.delete(url).status_code == 404
    for path in ("", "/phase", "/parameters", "/results", "/results/result", "/error"):
        assert CLIENT.get(f"{tap_url}/async/no-such-job{path}").status_code == 404
    assert CLIENT.post(f"{tap_url}/async/no-such-job/phase",
                       data={"PHASE": "RUN"}).status_code == 404


def test_destruction_in_the_past_removes_the_job(tap_url):  # noqa: F811
    url = _create(tap_url, "SELECT TOP 1 name FROM csc", PHASE="RUN")
    assert _settle(url) == "COMPLETED"
    r = CLIENT.post(f"{url}/destruction", data={"DESTRUCTION": "2020-01-01T00:00:00Z"})
    assert r.status_code == 303
    assert CLIENT.get(url).status_code == 404
    url = _create(tap_url, "SELECT TOP 1 name FROM csc")
    later = "2099-01-01T00:00:00Z"  # capped at a week after creation
    CLIENT.post(f"{url}/destruction", data={"DESTRUCTION": later})
    created = datetime.fromisoformat(_job(url).find(f"{UWS}creationTime").text)
    assert datetime.fromisoformat(CLIENT.get(f"{url}/destruction").text) - created == \
        timedelta(days=7)
    assert CLIENT.post(f"{url}/destruction", data={"DESTRUCTION": "soon"}).status_code == 400


def test_async_upload_joins_csc(tap, store_names):
    from astropy.table import Table

    mine = Table({"id": [1, 2, 3], "name": store_names[:3]})
    job = tap.submit_job("SELECT m.id, c.name, c.ra FROM TAP_UPLOAD.mine AS m "
                         "JOIN csc AS c ON c.name = m.name ORDER BY m.id",
                         uploads={"mine": mine})
    job.run().wait(timeout=60)
    assert job.phase == "COMPLETED", job.phase
    got = job.fetch_result().to_table()
    assert list(got["id"]) == [1, 2, 3]
    assert list(got["name"]) == store_names[:3]
    job.delete()


@pytest.fixture(scope="module")
def store_names(tap) -> list[str]:
    return [str(n) for n in tap.search("SELECT TOP 3 name FROM csc ORDER BY name")
            .to_table()["name"]]


class _Fake:
    """A service whose queries take no time and return their QUERY."""

    def query(self, params, parts=None, started=None):
        if started is not None:
            started(lambda: None)
        if params["QUERY"] == "fail":
            raise XcatError("bad query")
        return params["QUERY"].encode(), "text/plain"


def test_job_list_keeps_at_most_max_jobs_and_bytes():
    jobs = uws.JobList(_Fake(), max_jobs=3, max_bytes=100, timeout_s=5)
    made = []
    for i in range(5):
        job = jobs.create({"QUERY": f"q{i}", "PHASE": "RUN"}, {})
        made.append(job)
        for _ in range(200):  # bounded
            if job.phase in uws.FINISHED:
                break
            time.sleep(0.01)
        assert job.phase == uws.COMPLETED
    # the oldest finished jobs made room
    assert [j.id for j in jobs.jobs()] == [j.id for j in made[2:]]
    with pytest.raises(XcatError, match="exceed"):  # refused without dropping any
        jobs.create({"QUERY": "x"}, {"big": b"x" * 200})
    assert len(jobs.jobs()) == 3
    # unfinished jobs are never dropped: a full list of PENDING jobs refuses more
    pending = uws.JobList(_Fake(), max_jobs=2)
    pending.create({"QUERY": "a"}, {})
    pending.create({"QUERY": "b"}, {})
    with pytest.raises(XcatError, match="unfinished"):
        pending.create({"QUERY": "c"}, {})
    with pytest.raises(uws.NoSuchJobError):
        pending.get("nope")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("stilts") is None, reason="stilts is not installed")
def test_stilts_tapquery_async(tap_url):  # noqa: F811
    r = subprocess.run(
        ["stilts", "tapquery", f"tapurl={tap_url}", "sync=false", "poll=100",
         "adql=SELECT TOP 3 name FROM csc ORDER BY name", "ofmt=csv"],
        capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 0, r.stderr
    assert "COMPLETED" in r.stderr + r.stdout
    lines = r.stdout.strip().splitlines()
    assert lines[0] == "name" and len(lines) == 4 and lines[1].startswith("2CXO J")
