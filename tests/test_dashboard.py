"""The dashboard of ``xcat serve`` (xcat.server.dashboard) through starlette's TestClient,
on a copy of the real M101 CSC store (csc_m101_xrbid/cscresults_M101.vot, host M101 at
6.4 Mpc within 15 arcmin, see conftest.m101_host_dir) plus, once per module: one visual
classification, and hostile text that every page must escape: a one-row catalog near
M101's centre whose source file name and label hold HTML (cross-matched with the CSC
sources, for a run to list), and a host alias holding HTML.
"""

from __future__ import annotations

import io
import shutil

import pytest
from click.testing import CliRunner

import xcat
from tests.cli_helpers import snapshot
from xcat.cli import cli
from xcat.output.plots import FIGURES
from xcat.server.dashboard import routes
from xcat.server.dashboard_query import ROW_CAP

#: starlette's note that its TestClient will move from httpx to httpx2
pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
HOSTILE = '<script>alert("x")</script>'
EVIL_FILE = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def root(tmp_path_factory, m101_host_dir):
    from xcat.science.classification import classify
    from xcat.science.hosts import add_host

    base = tmp_path_factory.mktemp("dash")
    root = base / "store"
    shutil.copytree(m101_host_dir, root)
    evil = base / f"{EVIL_FILE}.csv"  # a legal file name: the catalog's provenance
    quoted = '"' + HOSTILE.replace('"', '""') + '"'
    evil.write_text(f"id,ra,dec,label\n1,210.8,54.35,{quoted}\n")
    with xcat.Store.open(root) as s:
        s.ingest_table(evil, name="evil", key="id")
        s.xmatch("csc", "evil", radius="60arcsec", name="m101_x_evil")
        classify(s, "2CXO J140303.9+542735", cls="AGN", catalog="csc", author="Ada Lovelace",
                 note="visual check")
        add_host(s, "M101", aliases=["<i>pinwheel</i>"])
    return root


@pytest.fixture(scope="module")
def client(root):
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    with TestClient(Starlette(routes=routes(root))) as c:
        yield c


def test_overview_shows_catalogs_hosts_runs_classes_people_and_flags(client, root):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    with xcat.Store.open(root, read_only=True) as s:
        cats = s.catalogs().set_index("name")["rows"]
        flags = s.sql("SELECT rule, count(*) FILTER (WHERE state = 'true') AS n "
                      "FROM source_flags GROUP BY rule")
    assert cats["csc"] == 555 and cats["csc_detections"] == 3492
    for name, rows in cats.items():
        assert f"<td>{name}</td>" in page and f"<td>{rows}</td>" in page
    assert 'href="/hosts/M101"' in page and "<td>555</td>" in page  # M101's members
    assert "<td>m101_x_evil</td>" in page and "<td>csc</td><td>evil</td>" in page  # the run
    assert "<td>AGN</td>" in page and "<td>Ada Lovelace</td>" in page
    for rule, n in flags.itertuples(index=False):
        assert f"<td>{rule}</td>" in page and f"<td>{n}</td>" in page
    assert 'href="/samples/xrb_candidates"' in page


def test_every_page_escapes_hostile_text(client):
    overview = client.get("/").text
    assert EVIL_FILE not in overview and "&lt;img src=x onerror=alert(1)&gt;" in overview
    assert "<i>pinwheel</i>" not in overview and "&lt;i&gt;pinwheel&lt;/i&gt;" in overview
    q = client.get("/query", params={"sql": "SELECT label AS \"<img src=x>\" FROM evil"}).text
    assert HOSTILE not in q and "<img src=x>" not in q
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in q or \
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in q
    missing = client.get("/hosts/<script>x</script>")
    assert missing.status_code == 404 and "<script>x" not in missing.text


def test_host_page_is_the_live_report_with_png_figures_and_exports(client):
    from PIL import Image

    page = client.get("/hosts/pinwheel")  # not an alias: 404 with the CLI's message
    assert page.status_code == 404 and "no host &#39;pinwheel&#39;" in page.text
    r = client.get("/hosts/m101")  # any alias, any case
    assert r.status_code == 200
    page = r.text
    assert "X-ray sources of M101" in page and "6.4 Mpc" in page
    assert 'id="sample-xrb_candidates"' in page and 'id="sample-snr_candidates"' in page
    assert "<td>AGN</td>" in page and "<td>unclassified</td>" in page
    for f in FIGURES:
        url = f"/hosts/M101/figures/{f}.png"
        assert f'src="{url}"' in page
        png = client.get(url)
        assert png.status_code == 200 and png.headers["content-type"] == "image/png"
        img = Image.open(io.BytesIO(png.content))
        img.verify()
        assert img.format == "PNG" and img.size[0] > 300 and img.size[1] > 200
    for fmt in ("csv", "json", "ecsv", "votable", "fits", "parquet", "latex", "html"):
        assert f'href="/samples/xrb_candidates/download.{fmt}?host=M101"' in page
    assert client.get("/hosts/M101/figures/pie.png").status_code == 404
    assert client.get("/hosts/pinwheel/report.html").status_code == 404


def test_sample_csv_download_equals_xcat_sample(client, root):
    cli_out = CliRunner().invoke(cli, ["--store", str(root), "sample", "xrb_candidates",
                                       "-p", "host=M101", "--format", "csv"])
    assert cli_out.exit_code == 0, cli_out.output
    r = client.get("/samples/xrb_candidates/download.csv", params={"host": "M101"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "xrb_candidates.csv" in r.headers["content-disposition"]
    assert r.text == cli_out.stdout
    n_rows = len(r.text.strip().splitlines()) - 1
    assert n_rows > 100


@pytest.mark.parametrize("fmt", ["fits", "votable", "latex"])
def test_sample_downloads_in_other_formats(client, tmp_path, fmt):
    r = client.get(f"/samples/snr_candidates/download.{fmt}", params={"host": "M101"})
    assert r.status_code == 200
    csv = client.get("/samples/snr_candidates/download.csv", params={"host": "M101"}).text
    n = len(csv.strip().splitlines()) - 1
    if fmt == "latex":
        assert r.text.startswith("\\begin{deluxetable") or "deluxetable" in r.text
        return
    from astropy.table import Table

    out = tmp_path / f"t.{'fits' if fmt == 'fits' else 'vot'}"
    out.write_bytes(r.content)
    t = Table.read(out)
    assert len(t) == n > 0 and str(t["ra"].unit) == "deg"


def test_sample_page_has_a_form_pages_and_sorts(client, root):
    form = client.get("/samples/xrb_candidates")  # no host yet: just the form
    assert form.status_code == 200 and '<input name="host"' in form.text
    assert 'id="sample-table"' not in form.text
    with xcat.Store.open(root, read_only=True) as s:
        from xcat.output.samples import run_sample

        rows = run_sample(s, "xrb_candidates", {"host": "M101"})
    top = rows.sort_values("log_lx", ascending=False)["name"]
    r = client.get("/samples/xrb_candidates",
                   params={"host": "M101", "sort": "log_lx", "order": "desc"})
    assert r.status_code == 200
    assert f"{len(rows)} rows" in r.text and "page 1 of" in r.text
    assert r.text.index(top.iloc[0]) < r.text.index(top.iloc[1]) < r.text.index(top.iloc[49])
    assert top.iloc[50] not in r.text  # 50 rows a page
    p2 = client.get("/samples/xrb_candidates",
                    params={"host": "M101", "sort": "log_lx", "order": "desc", "page": "2"})
    assert top.iloc[50] in p2.text and top.iloc[0] not in p2.text and 'id="prev"' in p2.text
    bad = client.get("/samples/xrb_candidates", params={"host": "M101", "sort": "nope"})
    assert bad.status_code == 400 and "no column &#39;nope&#39; to sort by" in bad.text
    bad = client.get("/samples/xrb_candidates", params={"host": "M101", "hots": "x"})
    assert bad.status_code == 400 and "has no parameter(s) hots" in bad.text
    assert client.get("/samples/no_such").status_code == 404


@pytest.mark.parametrize("sql", [
    "DROP VIEW csc",
    "SELECT 1; DROP VIEW csc",
    "DELETE FROM classification_events",
    "INSERT INTO hosts SELECT * FROM hosts",
    "COPY csc TO '/tmp/x.csv'",
    "ATTACH '/tmp/other.duckdb' AS o",
    "CREATE TABLE t AS SELECT 1",
    "SET threads = 1",
    "PRAGMA database_list",
])
def test_query_refuses_anything_but_one_select(client, root, sql):
    before = snapshot(root)
    r = client.get("/query", params={"sql": sql})
    assert r.status_code == 400
    assert ("only SELECT queries run here" in r.text or
            "give exactly one SELECT statement" in r.text), r.text
    assert snapshot(root) == before


def test_query_shows_results_capped_with_timing(client):
    r = client.get("/query", params={"sql": "SELECT count(*) AS n FROM csc_detections"})
    assert r.status_code == 200 and "<td>3492</td>" in r.text and " ms." in r.text
    r = client.get("/query", params={"sql": "SELECT name, det_index FROM csc_detections "
                                            "ORDER BY name DESC, det_index;"})
    assert r.status_code == 200
    assert f"{ROW_CAP} rows (the first {ROW_CAP}; there are more)" in r.text
    assert r.text.count("<tr>") == ROW_CAP + 1  # the head and the capped rows
    names = [line.split("</td>")[0] for line in r.text.split("<tr><td>")[1:]]
    assert len(names) == ROW_CAP and names == sorted(names, reverse=True)  # query order kept
    bad = client.get("/query", params={"sql": "SELECT nope FROM csc"})
    assert bad.status_code == 400 and "nope" in bad.text
