"""Issue 11 item 18: the README walkthrough, top to bottom, on a fresh store.

It used to load M101 twice (the VOTable as ``csc`` and the same rows from the pandas
CSV as ``csc_m101_csv``), so ``xray_sources`` and the M101 luminosities held 1110 rows
for a 555-source field and the figures said "1110 sources"; ``python3 dev.py demo``
put the SIMULATED demo field into the same ``./xcat-store``, so its ``XSIM`` rows
reached samples and exports. :data:`WALKTHROUGH` is the walkthrough's command list
(the README's examples that run offline on ../shared/data; inputs not there are made
by a documented command first); ``/tmp/issue11/cli.md`` holds the README text.

Placeholders: ``{data}`` is ../shared/data, ``{work}`` a scratch folder (the working
directory of the README), ``{check}`` a second store for the CSV-twin check.
"""

from __future__ import annotations

import csv
import io
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SHARED_DATA, shared_file

import xcat
from xcat.cli import cli

pytestmark = pytest.mark.slow

#: The walkthrough, in README order. Each line is one ``xcat`` command (without ``xcat``).
WALKTHROUGH = [
    # the demo goes to its own store, never into the walkthrough's
    "demo",
    "init",
    "ingest csc {data}/csc_m101_xrbid/cscresults_M101.vot",
    # the pandas CSV twin loads to the same tables: checked in a store of its own
    "--store {check} ingest csc {data}/csc_m101_xrbid/cscresults_M101.frame --name csc_m101_csv",
    "ingest csc {data}/csc_muwclass/NGC3532/NGC3532_conesearch.csv --name csc_ngc3532",
    "ingest table {data}/carmenes_cifuentes2020/cif20.Mother.v01.csv --name carmenes "
    "--ra RA_J2000 --dec DE_J2000 --key Karmn",
    # mysources.csv is made from the store (1 mW/m2 = 1 erg/s/cm2)
    "sql \"SELECT name, ra, dec, flux_aper_b AS F_X, err_ellipse_r0 AS err FROM csc\" "
    "--format csv -o {work}/mysources.csv",
    "ingest table {work}/mysources.csv --name mine --key name "
    "--map \"flux=F_X[mW/m2],poserr=err[arcsec]\" --pos-err poserr",
    "catalogs",
    "cone csc 210.80 54.35 30arcsec",
    "cone csc 210.80 54.35 2arcmin --columns name,flux_aper_b,hard_hs --format csv",
    "cone csc 210.80 54.35 0.1deg --format fits -o {work}/near_m101.fits",
    "cone csc_ngc3532 166.4 -58.75 1arcmin",
    "sql \"SELECT name, flux_aper_b, hard_hs FROM csc WHERE flux_aper_b > $f ORDER BY 2 DESC\" "
    "-p f=1e-14",
    "verify",
    "astrometry csc --sigma 0.4875arcsec --reference \"HST/ACS F555W\"",
    "host add M101 --alias \"NGC 5457\" --alias \"M 101\" --ra 210.802368 --dec 54.349023 "
    "--distance 6.4Mpc --distance-err 0.5Mpc --method Cepheid --ref 2011ApJ...733..124S "
    "--radius 15arcmin",
    "host load {data}/galaxy_distances_50mgc/catalog_short.fits",
    "host load {data}/galaxy_distances_legus/calzetti_etal_15_table_1.txt",
    "host show M101",
    "host list M101",
    "flags list",
    "flags summary",
    "flags apply",
    "ingest regions {data}/csc_m101_xrbid/M101_daoclean_f555w_acs_fk5.reg --name hst_f555w",
    "xmatch csc hst_f555w --radius-column pos_err_r95 --name xrbid",
    "margin hst_f555w --threshold 60arcsec",
    "classify \"2CXO J140300.7+542017\" --class XRB --note \"blue star\"",
    "classify --export --format csv -o {work}/notes.csv",
    "sample --list",
    "sample xrb_candidates --param host=M101 --format csv -o {work}/xrb.csv",
    "sample snr_candidates --param host=M101 --format csv -o {work}/snr.csv",
    "export xrb_candidates -p host=M101 --format fits -o {work}/xrb.fits",
    "export --sql \"SELECT * FROM xray_sources\" --format csv -o {work}/xray.csv",
    "plot hr-lx --host M101 -o {work}/m101_hr_lx.png",
]


def commands(work: Path, check: Path) -> list[list[str]]:
    """The walkthrough as argument lists, placeholders filled in."""
    return [shlex.split(c.format(data=SHARED_DATA, work=work, check=check))
            for c in WALKTHROUGH]


def script(store: str = "./m101-store") -> str:
    """The walkthrough as a shell script run from the repository (for the README)."""
    lines = ["#!/bin/sh", "# README walkthrough (tests/test_walkthrough.py::WALKTHROUGH)",
             "set -e", f"export XCAT_STORE={store}", "mkdir -p work"]
    for c in WALKTHROUGH:
        lines.append("xcat " + c.format(data="../shared/data", work="work",
                                        check="./m101-csv-check").replace("$f", "\\$f"))
    return "\n".join(lines) + "\n"


def test_walkthrough_runs_on_a_fresh_store_without_doubling(tmp_path, monkeypatch):
    shared_file("csc_m101_xrbid/cscresults_M101.vot")
    work = tmp_path / "work"
    work.mkdir()
    store = tmp_path / "m101-store"
    monkeypatch.chdir(tmp_path)  # the demo's own store lands here, beside the walkthrough's
    monkeypatch.setenv("XCAT_STORE", str(store))
    runner = CliRunner()
    for args in commands(work, tmp_path / "check"):
        r = runner.invoke(cli, args)
        assert r.exit_code == 0, f"xcat {shlex.join(args)}\n{r.output}\n{r.stderr}\n" \
                                 f"{r.exception!r}"
    assert (tmp_path / "xcat-demo-store").is_dir()

    with xcat.Store.open(store) as s:
        names = set(s.sql("SELECT name FROM catalogs")["name"])
        assert not {n for n in names if n.startswith("demo")}, names
        assert "csc_m101_csv" not in names
        kinds = s.sql("SELECT catalog, count(*) AS n FROM xray_sources GROUP BY 1")
        assert dict(zip(kinds["catalog"], kinds["n"], strict=True)) == {
            "csc": 555, "csc_ngc3532": 389}
        m101 = s.sql("SELECT count(*) AS n, count(DISTINCT source_key) AS k "
                     "FROM luminosities WHERE host = 'M101'")
        assert (m101["n"].iloc[0], m101["k"].iloc[0]) == (555, 555)
        assert s.sql("SELECT count(*) AS n FROM mine")["n"].iloc[0] == 555
        assert s.sql("SELECT count(*) AS n FROM xray_sources WHERE name LIKE 'XSIM%'"
                     )["n"].iloc[0] == 0
    with xcat.Store.open(tmp_path / "check") as s:
        assert s.sql("SELECT count(*) AS n FROM xray_sources")["n"].iloc[0] == 555

    for out in ("xrb.csv", "snr.csv", "xray.csv", "notes.csv"):
        text = (work / out).read_text()
        assert "XSIM" not in text and "SIMULATED" not in text, out
    xray = list(csv.DictReader(io.StringIO((work / "xray.csv").read_text())))
    assert len(xray) == 555 + 389
    assert len({r["name"] for r in xray if r["catalog"] == "csc"}) == 555
    snr = list(csv.DictReader(io.StringIO((work / "snr.csv").read_text())))
    assert len(snr) == len({r["name"] for r in snr})  # each source once
    assert (work / "m101_hr_lx.png").stat().st_size > 0


def test_walkthrough_script_matches_the_list():
    text = script()
    assert text.count("\nxcat ") == len(WALKTHROUGH)
    assert "export XCAT_STORE=./m101-store" in text
    assert "xcat demo\n" in text and "--store ./m101-csv-check ingest csc" in text
