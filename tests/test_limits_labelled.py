"""Upper limits are labelled as such in every table output: CSC's ``hilim`` is a 68%
bound (DOMAIN.md §2), so the LaTeX table prints ``<x`` (never ``value^{+x}_{-0}``), the
HTML table marks ``<`` and machine-readable files keep the value with its flag column,
whose description states the confidence.

Data: the real M101 CSC excerpt (csc_m101_xrbid/cscresults_M101.vot) at 6.4 Mpc.
"""

from __future__ import annotations

import re

import pytest
from astropy.io import fits
from astropy.table import Table
from click.testing import CliRunner

from xcat.cli import cli
from xcat.output.tables import write_table


@pytest.fixture(scope="module")
def m101_host(tmp_path_factory):
    import xcat
    from tests.conftest import shared_file
    from xcat.science.hosts import add_host

    s = xcat.Store.open(tmp_path_factory.mktemp("m101") / "store", create=True)
    s.ingest_csc(shared_file("csc_m101_xrbid/cscresults_M101.vot"))
    add_host(s, "M101", ra=210.802429, dec=54.348750, radius="15arcmin",
             distance="6.4Mpc", distance_err="0.5Mpc", method="Cepheid",
             reference="Shappee & Stanek 2011")
    yield s
    s.close()


def export(store, out, *args):
    r = CliRunner().invoke(cli, ["--store", str(store.path), "export", *args, "-o", str(out)])
    assert r.exit_code == 0, r.output + r.stderr


SQL = ("SELECT name, flux, flux_lo, flux_hi, flux_upper_limit FROM xray_sources "
       "WHERE catalog = 'csc' ORDER BY name")


def test_latex_never_prints_a_limit_as_a_two_sided_value(m101_host, tmp_path):
    export(m101_host, tmp_path / "f.tex", "--sql", SQL, "--format", "latex")
    tex = (tmp_path / "f.tex").read_text()
    n_ul = int(m101_host.sql(SQL)["flux_upper_limit"].sum())
    assert n_ul > 0
    assert len(re.findall(r"& \$<\d", tex)) == n_ul
    assert re.search(r"\^\{\+[\d.]+\}_\{-0(\.0*)?\}", tex) is None
    assert f"upper limits ({n_ul} in this table) at 68\\% confidence" in tex


@pytest.mark.parametrize("fmt", ["ecsv", "votable", "fits"])
def test_flag_column_states_the_confidence(m101_host, tmp_path, fmt):
    out = tmp_path / f"f.{fmt}"
    export(m101_host, out, "--sql", SQL, "--format", fmt)
    if fmt == "fits":
        with fits.open(out) as h:
            hdr = h[1].header
            i = [hdr[f"TTYPE{k}"] for k in range(1, hdr["TFIELDS"] + 1)].index(
                "flux_upper_limit") + 1
            desc = hdr[f"TCOMM{i}"]
            assert hdr["LIMCONF"] == 0.68
    else:
        t = Table.read(out, format="ascii.ecsv" if fmt == "ecsv" else "votable")
        desc = t["flux_upper_limit"].description
        assert int(t["flux_upper_limit"].sum()) > 0
    assert "upper limits at 68% confidence" in " ".join(desc.split())


def test_writer_without_a_known_confidence_says_whose(m101_host):
    t = m101_host.sql(SQL, output="astropy")  # no limit_conf: not from a sample/export
    back = Table.read(write_table(t, "ecsv"), format="ascii.ecsv")
    desc = " ".join(back["flux_upper_limit"].description.split())
    assert desc.endswith("(upper limits at the confidence each catalog quotes "
                         "(xray_sources.flux_conf))")
    assert "68%" not in desc


def test_terminal_table_marks_limits(m101_host):
    r = CliRunner().invoke(cli, ["--store", str(m101_host.path), "sample", "xrb_candidates",
                                 "-p", "host=M101", "--format", "table"])
    assert r.exit_code == 0, r.stderr
    assert r.output.rstrip().endswith("(< marks an upper limit, 68% confidence)")
    r = CliRunner().invoke(cli, ["--store", str(m101_host.path), "sql",
                                 "SELECT name, log_lx, lx_upper_limit FROM luminosities "
                                 "WHERE lx_upper_limit ORDER BY name LIMIT 3"])
    rows = r.output.splitlines()[2:5]
    expect = m101_host.sql("SELECT log_lx FROM luminosities WHERE lx_upper_limit "
                           "ORDER BY name LIMIT 3")["log_lx"]
    assert [line.split()[2] for line in rows] == [f"<{v:.5g}" for v in expect]
