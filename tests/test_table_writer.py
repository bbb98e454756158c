"""The one table writer (xcat.output.tables.write_table) and the CLI around it: every
format that can carry units, UCDs and descriptions keeps all three, whichever command
wrote the file; the caller's table is never changed; -v/-q set what reaches stderr.

Data: the real M101 CSC excerpt (csc_m101_xrbid/cscresults_M101.vot).
"""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest
from astropy.io import fits
from astropy.table import Table
from click.testing import CliRunner

from xcat.cli import cli
from xcat.output.tables import FORMATS, write_table

QUERY = "SELECT name, ra, dec, flux_aper_b FROM csc ORDER BY name LIMIT 5"


@pytest.fixture
def m101(store, m101_vot):
    store.ingest_csc(m101_vot)
    return store


def xcat(store, *args):
    r = CliRunner().invoke(cli, ["--store", str(store.path), *args])
    assert r.exit_code == 0, r.output + r.stderr
    return r


def test_sql_format_votable_keeps_ucds(m101, tmp_path):
    """``xcat sql --format votable`` used to drop the UCDs that ``xcat export`` kept."""
    xcat(m101, "sql", QUERY, "--format", "votable", "-o", str(tmp_path / "q.vot"))
    t = Table.read(tmp_path / "q.vot", format="votable")
    assert t["ra"].meta["ucd"] == "pos.eq.ra;meta.main" and str(t["ra"].unit) == "deg"
    assert "right ascension" in t["ra"].description


@pytest.mark.parametrize("fmt", ["votable", "fits", "ecsv", "parquet"])
def test_every_format_keeps_unit_ucd_description(m101, tmp_path, fmt):
    out = tmp_path / f"q.{fmt}"
    write_table(m101.sql(QUERY, output="astropy"), fmt, out)
    if fmt == "fits":
        with fits.open(out) as h:
            hdr = h[1].header
        got = (hdr["TUNIT2"], hdr["TUCD2"], hdr["TCOMM2"])
    elif fmt == "parquet":
        md = pq.read_schema(out).field("ra").metadata
        got = (md[b"unit"].decode(), md[b"ucd"].decode(), md[b"description"].decode())
    else:
        col = Table.read(out, format="votable" if fmt == "votable" else "ascii.ecsv")["ra"]
        got = (str(col.unit), col.meta["ucd"], col.description)
    assert got == ("deg", "pos.eq.ra;meta.main", "Source position, ICRS right ascension")


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f not in ("fits", "parquet")])
def test_writer_leaves_the_callers_table_alone(m101, fmt):
    t = m101.sql(QUERY, output="astropy")
    before = [(c.name, c.unit, dict(c.meta), c.description, c.info.format)
              for c in t.itercols()]
    text = write_table(t, fmt)
    assert text and "flux" in text
    assert [(c.name, c.unit, dict(c.meta), c.description, c.info.format)
            for c in t.itercols()] == before


def test_writer_takes_dataframes_lists_and_arrow():
    import pandas as pd
    import pyarrow as pa

    df = pd.DataFrame({"n": [1, 2], "tags": [["a", "b"], None],
                       "t": pd.to_datetime(["2024-01-01", "2024-01-02"])})
    assert write_table(df, "csv").splitlines()[1] == '1,"a, b",2024-01-01'
    assert write_table(pa.table({"x": [1.5, None]}), "json") == \
        '[\n {\n  "x": 1.5\n },\n {\n  "x": null\n }\n]'
    assert write_table([], "table") == "(no rows)"  # issue 11: empty results print once


def test_quiet_and_verbose(m101):
    args = ["xmatch", "csc", "csc", "--radius", "1arcsec", "--no-record", "--format", "csv"]
    assert "csc_x_csc: 555 pairs" in xcat(m101, *args).stderr
    assert xcat(m101, "-q", *args).stderr == ""
    r = xcat(m101, "-v", "sql", "SELECT 1 AS x", "--format", "csv", "-o", "/dev/null")
    assert r.stderr.startswith("xcat: wrote 1 rows as csv to /dev/null")
