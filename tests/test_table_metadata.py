"""Units, UCDs and descriptions survive the one table writer in every format that can
hold them, read back by astropy and by STILTS: Parquet used to lose its units for
``Table.read`` (only Arrow field metadata, which astropy ignores), and ``ra``/``dec`` must
keep unit, UCD and description whichever command wrote them.

Data: the real M101 CSC excerpt (csc_m101_xrbid/cscresults_M101.vot), M101 at 6.4 Mpc.
The STILTS test needs Debian's ``stilts`` (skipped without it, a failure under CI=true,
where .ci/run installs it).
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess

import pytest
from astropy.table import Table
from click.testing import CliRunner

from xcat.cli import cli

RA = ("deg", "pos.eq.ra;meta.main", "Source position, ICRS right ascension")
DEC = ("deg", "pos.eq.dec;meta.main", "Source position, ICRS declination")
R95 = ("arcsec", "stat.error;pos", "Radius containing the true position with 95% probability")
READ = {"ecsv": "ascii.ecsv", "votable": "votable", "fits": "fits", "parquet": "parquet"}


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


def xcat(store, *args):
    r = CliRunner().invoke(cli, ["--store", str(store.path), *args])
    assert r.exit_code == 0, r.output + r.stderr
    return r


def info(col) -> tuple[str, str, str]:
    return (str(col.unit) if col.unit is not None else "", (col.meta or {}).get("ucd", ""),
            col.description or "")


COMMANDS = {
    "sample": ("sample", "xrb_candidates", "-p", "host=M101"),
    "export": ("export", "xrb_candidates", "-p", "host=M101"),
    "sql": ("sql", "SELECT name, ra, dec, pos_err_r95 FROM xray_sources"),
    "cone": ("cone", "csc", "210.8", "54.35", "2arcmin"),
}


@pytest.mark.parametrize("fmt", list(READ))
@pytest.mark.parametrize("command", list(COMMANDS))
def test_ra_dec_keep_unit_ucd_description(m101_host, tmp_path, command, fmt):
    out = tmp_path / f"t.{fmt}"
    xcat(m101_host, *COMMANDS[command], "--format", fmt, "-o", str(out))
    if fmt == "fits":  # astropy reads TUNIT only: the UCD and description by header
        from astropy.io import fits

        with fits.open(out) as h:
            hdr = h[1].header
        cols = {hdr[f"TTYPE{i}"]: i for i in range(1, hdr["TFIELDS"] + 1)}
        got = {n: (hdr.get(f"TUNIT{i}", ""), hdr.get(f"TUCD{i}", ""), hdr.get(f"TCOMM{i}", ""))
               for n, i in cols.items()}
    else:
        t = Table.read(out, format=READ[fmt])
        assert len(t) > 0
        got = {n: info(t[n]) for n in t.colnames}
    assert got["ra"] == RA and got["dec"] == DEC
    if "pos_err_r95" in got:
        assert got["pos_err_r95"] == R95


def test_parquet_units_come_back_in_astropy(m101_host, tmp_path):
    """Table.read(parquet) used to give every column unit None."""
    out = tmp_path / "xrb.parquet"
    xcat(m101_host, "export", "xrb_candidates", "-p", "host=M101", "--format", "parquet",
         "-o", str(out))
    back = Table.read(out)
    assert str(back["pos_err_r95"].unit) == "arcsec" and str(back["ra"].unit) == "deg"
    assert back.meta["limit_conf"] == 0.68
    # nulls stay nulls for DuckDB/pandas readers (no astropy ".mask" companion columns)
    import duckdb

    n = duckdb.sql(f"SELECT count(*) - count(log_lx_lo) FROM '{out}'").fetchall()[0][0]
    assert n > 0 and "log_lx_lo.mask" not in back.colnames
    import numpy as np

    assert int(np.isnan(np.asarray(back["log_lx_lo"], float)).sum()) == n


def test_html_keeps_ucd_and_description(m101_host):
    html = xcat(m101_host, "sample", "xrb_candidates", "-p", "host=M101",
                "--format", "html").output
    assert (f'<th title="{RA[2]}" data-ucd="{RA[1]}">ra [deg]</th>') in html


def stilts() -> str:
    exe = shutil.which("stilts")
    if exe is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("stilts is not installed (.ci/run installs Debian's stilts)")
        pytest.skip("stilts not installed (apt-get install stilts)")
    return exe


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["fits", "votable", "ecsv"])
def test_stilts_sees_units_ucds_descriptions(m101_host, tmp_path, fmt):
    exe = stilts()
    out = tmp_path / f"xrb.{fmt}"
    xcat(m101_host, "export", "xrb_candidates", "-p", "host=M101", "--format", fmt,
         "-o", str(out))
    ifmt = {"fits": "fits", "votable": "votable", "ecsv": "ecsv"}[fmt]
    summary = subprocess.run([exe, "tpipe", f"in={out}", f"ifmt={ifmt}", "omode=meta"],
                             capture_output=True, text=True, timeout=120, check=True).stdout
    assert "ra(Double)/deg - Source position, ICRS right ascension" in summary
    meta = subprocess.run([exe, "tpipe", f"in={out}", f"ifmt={ifmt}",
                           "cmd=meta Name Units UCD Description", "ofmt=csv"],
                          capture_output=True, text=True, timeout=120, check=True).stdout
    rows = {r["Name"]: (r["Units"], r["UCD"], r["Description"])
            for r in csv.DictReader(io.StringIO(meta))}
    assert rows["ra"] == RA and rows["dec"] == DEC and rows["pos_err_r95"] == R95
