"""The CLI contract: ``xcat [--store DIR] <command>``, $XCAT_STORE, output formats.

Uses the real M101 CSC excerpt (../shared/data/csc_m101_xrbid/cscresults_M101.vot).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from astropy.io.votable import parse_single_table
from astropy.table import Table
from click.testing import CliRunner

from xcat.cli import cli


@pytest.fixture
def root(tmp_path, m101_vot):
    r = CliRunner().invoke(cli, ["--store", str(tmp_path / "s"), "ingest", "csc", str(m101_vot)])
    assert r.exit_code == 0, r.output
    return tmp_path / "s"


def xcat(root, *args):
    result = CliRunner().invoke(cli, ["--store", str(root), *args])
    assert result.exit_code == 0, result.output + result.stderr
    return result.output


def test_init_then_empty_catalogs(tmp_path):
    assert "store ready" in xcat(tmp_path / "new", "init")
    assert "(no rows)" in xcat(tmp_path / "new", "catalogs")


def test_catalogs_lists_provenance(root, m101_vot):
    out = xcat(root, "catalogs", "--format", "csv")
    rows = Table.read(out, format="ascii.csv")
    assert set(rows["name"]) == {"csc", "csc_detections"}
    assert {"name", "rows", "source", "sha256", "created"} <= set(rows.colnames)
    assert str(m101_vot.name) in out


def test_cone_formats(root, tmp_path):
    args = ["cone", "csc", "210.80", "54.35", "30arcsec"]
    table = xcat(root, *args)
    assert "_dist_arcsec" in table and "rows)" in table
    csv = Table.read(xcat(root, *args, "--format", "csv"), format="ascii.csv")
    js = json.loads(xcat(root, *args, "--format", "json"))
    assert len(csv) == len(js) > 0
    assert js[0]["_dist_arcsec"] <= 30
    xcat(root, *args, "--format", "votable", "-o", str(tmp_path / "c.vot"))
    vt = parse_single_table(str(tmp_path / "c.vot")).to_table()
    assert len(vt) == len(csv) and str(vt["ra"].unit) == "deg"
    xcat(root, *args, "--format", "fits", "-o", str(tmp_path / "c.fits"))
    ft = Table.read(tmp_path / "c.fits")
    assert len(ft) == len(csv) and ft["flux_aper_b"].unit.physical_type == "energy flux"


def test_cone_radius_units(root):
    a = json.loads(xcat(root, "cone", "csc", "210.80", "54.35", "2arcmin", "--format", "json"))
    b = json.loads(xcat(root, "cone", "csc", "210.80", "54.35", "120arcsec", "--format", "json"))
    c = json.loads(xcat(root, "cone", "csc", "210.80", "54.35", "0.0333333334deg",
                        "--format", "json"))
    assert [r["name"] for r in a] == [r["name"] for r in b] == [r["name"] for r in c]


def test_cone_radius_without_unit_is_an_error(root):
    r = CliRunner().invoke(cli, ["--store", str(root), "cone", "csc", "210.8", "54.35", "30"])
    assert r.exit_code == 1 and "needs a unit" in r.stderr


def test_fits_needs_an_output_file(root):
    r = CliRunner().invoke(cli, ["--store", str(root), "sql", "SELECT 1", "--format", "fits"])
    assert r.exit_code == 1 and "-o FILE" in r.stderr


def test_sql_with_bound_parameters(root):
    out = xcat(root, "sql", "SELECT count(*) AS n FROM csc WHERE flux_aper_b > $f",
               "-p", "f=1e-14", "--format", "json")
    n = json.loads(out)[0]["n"]
    assert 0 < n < 555


def test_verify_passes(root):
    out = xcat(root, "verify")
    assert out.strip().endswith("0 failed")


def test_xcat_store_environment_variable(root, monkeypatch):
    monkeypatch.setenv("XCAT_STORE", str(root))
    r = CliRunner().invoke(cli, ["sql", "SELECT count(*) AS n FROM csc", "--format", "csv"])
    assert r.exit_code == 0 and "555" in r.output


def test_demo_is_simulated_and_repeatable(tmp_path):
    out = xcat(tmp_path / "d", "demo")
    assert "SIMULATED" in out and "demo_csc: loaded 300 rows" in out
    assert "cone search" in out and "likelihood_class" in out
    again = xcat(tmp_path / "d", "demo")
    assert "unchanged" in again


def test_installed_entry_point_runs(root):
    """The real console script (not CliRunner): one error line and exit status 1."""
    exe = [sys.executable, "-m", "xcat.cli"]
    ok = subprocess.run([*exe, "--store", str(root), "sql", "SELECT 42 AS x", "--format", "csv"],
                        capture_output=True, text=True, check=False)
    assert ok.returncode == 0 and "42" in ok.stdout
    bad = subprocess.run([*exe, "--store", str(root), "cone", "nope", "0", "0", "1arcsec"],
                         capture_output=True, text=True, check=False)
    assert bad.returncode == 1
    assert bad.stderr.strip().splitlines() == [bad.stderr.strip()]
    assert bad.stderr.startswith("xcat: error: no catalog 'nope'")


def test_progress_bar_quiet_off_a_terminal(tmp_path, m101_vot):
    r = subprocess.run([sys.executable, "-m", "xcat.cli", "--store", str(tmp_path / "p"),
                        "ingest", "csc", str(m101_vot)], capture_output=True, text=True,
                       check=False)
    assert r.returncode == 0 and r.stderr == ""
