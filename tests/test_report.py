"""The HTML report and the figure command, on the real M101 CSC field
(csc_m101_xrbid/cscresults_M101.vot) with the Cepheid distance 6.4 Mpc (DOMAIN.md §5).

The report is loaded in headless Chromium (Debian's chromium package): the test reads
the rendered DOM (content, and a marker set by the page once every embedded figure has
decoded) and takes a screenshot. Without Chromium the test is skipped, except under
CI=true, where .ci/run installs it and its absence is a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from click.testing import CliRunner

from xcat.cli import cli

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


def chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("chromium is not installed (.ci/run installs Debian's chromium)")
        pytest.skip("chromium not installed (apt-get install chromium)")
    return exe


@pytest.fixture
def m101_host(store, m101_vot):
    from xcat.science.classification import classify
    from xcat.science.hosts import add_host

    store.ingest_csc(m101_vot)
    add_host(store, "M101", aliases=["NGC 5457"], ra=210.802429, dec=54.348750,
             radius="15arcmin", distance="6.4Mpc", distance_err="0.5Mpc", method="Cepheid",
             reference="Shappee & Stanek 2011")
    classify(store, "2CXO J140303.9+542735", cls="AGN", catalog="csc", author="tester",
             note="test decision")
    return store


def run(store, *args):
    r = CliRunner().invoke(cli, ["--store", str(store.path), *args])
    assert r.exit_code == 0, r.output + r.stderr
    return r.output


def test_report_renders_in_headless_chromium(m101_host, tmp_path):
    exe = chromium()
    out = tmp_path / "m101.html"
    run(m101_host, "report", "--host", "NGC 5457", "-o", str(out))
    text = out.read_text()
    assert "src=\"http" not in text and "href=\"http" not in text  # self-contained
    profile = tmp_path / "profile"
    dom = subprocess.run([exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                          "--virtual-time-budget=5000", "--dump-dom", out.as_uri()],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    assert "X-ray sources of M101" in dom and "6.4 Mpc" in dom
    assert 'data-figures="4/4"' in dom  # all four figures decoded
    assert 'id="sample-xrb_candidates"' in dom and 'id="sample-snr_candidates"' in dom
    from xcat.output.samples import run_sample

    first_xrb = run_sample(m101_host, "xrb_candidates", {"host": "M101"})["name"].iloc[0]
    assert first_xrb in dom and first_xrb != "2CXO J140303.9+542735"
    # the AGN decision shows in the class counts and removes that source from the XRBs
    counts = m101_host.sql("SELECT count(*) AS n FROM source_hosts WHERE host = 'M101'")
    assert f"<td>{counts['n'][0] - 1}</td>" in dom and "<td>AGN</td>" in dom
    shot = tmp_path / "m101.png"
    subprocess.run([exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                    "--window-size=1200,1800", f"--screenshot={shot}", out.as_uri()],
                   capture_output=True, timeout=120, check=True)
    from PIL import Image

    img = Image.open(shot).convert("L")
    assert img.size == (1200, 1800)
    lo, hi = img.getextrema()
    assert hi - lo > 100  # not a blank page


def test_report_unknown_host_is_one_error_line(m101_host, tmp_path):
    r = CliRunner().invoke(cli, ["--store", str(m101_host.path), "report", "--host", "M51",
                                 "-o", str(tmp_path / "x.html")])
    assert r.exit_code == 1 and r.stderr.strip() == \
        "xcat: error: no host 'M51' (add it with 'xcat host add')"


@pytest.mark.parametrize("figure", ["hr-lx", "hr-hr", "xlf", "sky"])
def test_plot_each_figure_from_host_and_sample(m101_host, tmp_path, figure):
    out = tmp_path / f"{figure}.pdf"
    run(m101_host, "plot", figure, "--host", "M101", "-o", str(out))
    assert out.read_bytes()[:5] == b"%PDF-"
    if figure in ("xlf", "hr-lx"):
        png = tmp_path / f"{figure}.png"
        sample = "luminosity_function" if figure == "xlf" else "snr_candidates"
        run(m101_host, "plot", figure, sample, "-p", "host=M101", "-o", str(png))
        assert png.stat().st_size > 5000


def test_saved_samples_on_m101(m101_host):
    from xcat.output.samples import run_sample

    snr = run_sample(m101_host, "snr_candidates", {"host": "M101"})
    assert len(snr) > 0
    assert (snr["hard_hs"] <= -0.75).all() and (snr["log_lx"] <= 37.5).all()
    xrb = run_sample(m101_host, "xrb_candidates", {"host": "m 101"})
    assert "2CXO J140303.9+542735" not in set(xrb["name"])  # classified AGN
    assert not set(xrb["name"]) & set(snr["name"])
    xlf = run_sample(m101_host, "luminosity_function", {"host": "NGC5457"})
    det = xlf[~xlf["lx_upper_limit"]]
    assert det["n_brighter_or_equal"].tolist() == list(range(1, len(det) + 1))
