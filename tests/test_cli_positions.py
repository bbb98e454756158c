"""Issue 11 item 15: southern and sexagesimal positions as positional CLI arguments.

``xcat cone csc_ngc3532 166.4 -58.75 1arcmin`` failed with ``No such option '-5'``.
Real data: the CSC CLI cone-search CSV of NGC 3532 (Dec ≈ -58.8).
"""

from __future__ import annotations

import csv
import io

import pytest
from cli_helpers import fails, run
from conftest import shared_file

import xcat

NGC3532 = "csc_muwclass/NGC3532/NGC3532_conesearch.csv"


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    path = tmp_path_factory.mktemp("ngc3532") / "store"
    with xcat.Store.open(path, create=True) as s:
        s.ingest_csc(shared_file(NGC3532), name="csc_ngc3532")
    return path


def names(text: str) -> list[str]:
    return [r["name"] for r in csv.DictReader(io.StringIO(text))]


def expected(root, ra: float, dec: float, radius: str) -> list[str]:
    with xcat.Store.open(root) as s:
        return list(s.cone("csc_ngc3532", ra, dec, radius)["name"])


def test_cone_negative_declination_is_not_an_option(root):
    out = run(root, "cone", "csc_ngc3532", "166.4", "-58.75", "1arcmin", "--format", "csv")
    got = names(out)
    assert got == expected(root, 166.4, -58.75, "1arcmin")
    assert len(got) == 4 and got[0] == "2CXO J110535.8-584524"


def test_cone_sexagesimal_position_quoted_or_split(root):
    ref = expected(root, 166.415, -58.75, "1arcmin")
    assert len(ref) == 5
    quoted = run(root, "cone", "csc_ngc3532", "11:05:39.6 -58:45:00", "1arcmin",
                 "--format", "csv")
    split = run(root, "cone", "csc_ngc3532", "11:05:39.6", "-58:45:00", "1arcmin",
                "--format", "csv")
    dms = run(root, "cone", "csc_ngc3532", "11h05m39.6s", "-58d45m00s", "1arcmin",
              "--format", "csv")
    assert names(quoted) == names(split) == names(dms) == ref


def test_cone_options_in_any_order_with_negative_declination(root):
    ref = expected(root, 166.4, -58.75, "1arcmin")
    first = run(root, "cone", "--format", "csv", "--columns", "name,dec", "csc_ngc3532",
                "166.4", "-58.75", "1arcmin")
    middle = run(root, "cone", "csc_ngc3532", "--columns=name,dec", "166.4", "-58.75",
                 "--format", "csv", "1arcmin")
    assert names(first) == names(middle) == ref
    assert first.splitlines()[0] == "name,dec,_dist_arcsec"


def test_cone_bad_positions_are_one_error_line(root):
    assert "Dec -95 deg is outside [-90, 90]" in fails(root, "cone", "csc_ngc3532", "166.4",
                                                        "-95", "1arcmin")
    assert "is not 'RA DEC'" in fails(root, "cone", "csc_ngc3532", "166.4", "1arcmin")
    assert "needs a unit" in fails(root, "cone", "csc_ngc3532", "166.4", "-58.75", "1")


def test_unknown_option_still_refused(root):
    from click.testing import CliRunner

    from xcat.cli import cli

    r = CliRunner().invoke(cli, ["--store", str(root), "cone", "csc_ngc3532", "166.4",
                                 "-58.75", "1arcmin", "-x"])
    assert r.exit_code == 2 and "No such option '-x'" in r.output


def test_option_values_that_are_negative_stay_with_their_option(root, tmp_path):
    out = run(root, "host", "add", "NGC3532", "--ra", "166.4", "--dec", "-58.75",
              "--distance", "0.48kpc", "--radius", "25arcmin")
    assert "added" in out
    with xcat.Store.open(root) as s:
        dec = s.sql("SELECT dec FROM hosts WHERE name = 'NGC3532'")["dec"].tolist()
    assert dec == [-58.75]


def test_ingest_cone_southern_dry_run(root):
    out = run(root, "ingest", "csc", "--cone", "11:05:39.6 -58:45:00", "--radius", "2arcmin",
              "--dry-run")
    assert "-58.75" in out
