"""Bad input ends with one readable line naming the file/column/row, a non-zero exit,
and a store whose files and registry are byte-identical before and after.

Inputs are small hand-made files (malformed on purpose) plus the real M101 CSC
VOTable (../shared/data/csc_m101_xrbid) edited in memory.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from tests.cli_helpers import fails, snapshot
from xcat.cli import cli


@pytest.fixture
def loaded(tmp_path, m101_vot):
    """A store holding the real M101 CSC catalog and a small generic table."""
    root = tmp_path / "store"
    runner = CliRunner()
    r = runner.invoke(cli, ["--store", str(root), "ingest", "csc", str(m101_vot)])
    assert r.exit_code == 0, r.output
    good = tmp_path / "good.csv"
    good.write_text("id,ra,dec,flux\n1,10.0,20.0,1e-14\n2,10.1,20.1,2e-14\n")
    r = runner.invoke(cli, ["--store", str(root), "ingest", "table", str(good), "--name", "good",
                            "--key", "id"])
    assert r.exit_code == 0, r.output
    return root


def run_bad(root: Path, args: list[str]) -> str:
    """Run xcat with ``args``; assert failure, one error line, and an unchanged store."""
    msg = fails(root, *args)
    assert not list(root.glob("catalogs/.*"))  # no staging or trash left over
    return msg


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_malformed_votable(loaded, tmp_path, m101_vot):
    bad = write(tmp_path, "cut.vot", m101_vot.read_text()[:5000])
    msg = run_bad(loaded, ["ingest", "csc", bad])
    assert "cut.vot" in msg and "votable" in msg.lower()


def test_malformed_fits(loaded, tmp_path):
    bad = tmp_path / "junk.fits"
    bad.write_bytes(b"SIMPLE  =                    T" + b"\x00" * 100)
    assert "junk.fits" in run_bad(loaded, ["ingest", "table", str(bad), "--name", "junk"])


def test_ragged_csv(loaded, tmp_path):
    bad = write(tmp_path, "ragged.csv", "id,ra,dec\n1,10,20\n2,10,20,99,100\n")
    msg = run_bad(loaded, ["ingest", "table", bad, "--name", "ragged"])
    assert "ragged.csv" in msg and "line 3" in msg


def test_missing_ra_column(loaded, tmp_path):
    bad = write(tmp_path, "nora.csv", "id,x,dec\n1,10,20\n")
    msg = run_bad(loaded, ["ingest", "table", bad, "--name", "nora"])
    assert "no RA column" in msg


def test_named_column_absent(loaded, tmp_path):
    bad = write(tmp_path, "t.csv", "id,ra,dec\n1,10,20\n")
    msg = run_bad(loaded, ["ingest", "table", bad, "--name", "t", "--ra", "RAJ2000"])
    assert "RAJ2000" in msg


def test_ambiguous_ra_column(loaded, tmp_path):
    bad = write(tmp_path, "amb.csv", "id,RAJ2000,RA_ICRS,dec\n1,10,10.001,20\n")
    msg = run_bad(loaded, ["ingest", "table", bad, "--name", "amb"])
    assert "ambiguous RA" in msg and "RAJ2000" in msg


@pytest.mark.parametrize(("row", "what"), [("2,nan,20", "row 2"), ("2,10,95", "row 2"),
                                            ("2,400,20", "row 2"), ("2,10,", "row 2"),
                                            ("2,1O:00:00,20", "row 2")])
def test_bad_coordinates(loaded, tmp_path, row, what):
    bad = write(tmp_path, "coords.csv", f"id,ra,dec\n1,10,20\n{row}\n")
    msg = run_bad(loaded, ["ingest", "table", bad, "--name", "coords"])
    assert what in msg and "coords.csv" in msg


def test_unconvertible_unit_on_a_csc_column(loaded, tmp_path, m101_vot):
    text = m101_vot.read_text().replace(
        'name="flux_aper_b" precision="E3" unit="erg/s/cm^2"',
        'name="flux_aper_b" precision="E3" unit="count"')
    bad = write(tmp_path, "badunit.vot", text)
    msg = run_bad(loaded, ["ingest", "csc", bad, "--name", "badunit"])
    assert "flux_aper_b" in msg and "count" in msg


def test_unconvertible_position_unit(loaded, tmp_path):
    t = pa.table({"id": [1], "ra": [10.0], "dec": [20.0]})
    t = t.cast(pa.schema([pa.field("id", pa.int64()), pa.field("ra", pa.float64(),
                          metadata={b"unit": b"km"}), pa.field("dec", pa.float64())]))
    pq.write_table(t, tmp_path / "km.parquet")
    msg = run_bad(loaded, ["ingest", "table", str(tmp_path / "km.parquet"), "--name", "km"])
    assert "'ra'" in msg and "km" in msg


def test_position_error_with_a_flux_unit(loaded, tmp_path):
    bad = write(tmp_path, "pe.csv", "id,ra,dec,e\n1,10,20,0.5\n")
    msg = run_bad(loaded, ["ingest", "table", bad, "--name", "pe", "--pos-err", "e",
                           "--map", "e=e[erg/s]"])
    assert "'e'" in msg and "arcsec" in msg


def test_empty_table(loaded, tmp_path):
    bad = write(tmp_path, "empty.csv", "id,ra,dec\n")
    assert "empty" in run_bad(loaded, ["ingest", "table", bad, "--name", "empty"])


def test_duplicate_keys(loaded, tmp_path):
    bad = write(tmp_path, "dup.csv", "id,ra,dec\n1,10,20\n2,11,21\n1,12,22\n")
    msg = run_bad(loaded, ["ingest", "table", bad, "--name", "dup", "--key", "id"])
    assert "duplicate source key id=1" in msg and "[1, 3]" in msg


def test_csc_same_name_different_positions(loaded, tmp_path, m101_vot):
    text = m101_vot.read_text()
    # move the second stack row of the first source by editing its RA only
    i = text.index("<TR>", text.index("<TR>") + 1)
    j = text.index("210.80222729081368", i)
    text = text[:j] + "210.90222729081368" + text[j + len("210.80222729081368"):]
    bad = write(tmp_path, "conflict.vot", text)
    msg = run_bad(loaded, ["ingest", "csc", bad, "--name", "conflict"])
    assert "2CXO J140312.5+542056" in msg and "different positions" in msg


def test_store_path_is_a_file(tmp_path, m101_vot):
    f = tmp_path / "afile"
    f.write_text("not a store")
    result = CliRunner().invoke(cli, ["--store", str(f), "ingest", "csc", str(m101_vot)])
    assert result.exit_code == 1 and "is a file" in result.stderr
    assert f.read_text() == "not a store"


def test_catalog_name_taken_by_another_source(loaded):
    from tests.conftest import shared_file

    other = shared_file("csc_muwclass/NGC3532/NGC3532_conesearch.csv")
    msg = run_bad(loaded, ["ingest", "csc", str(other)])  # default name "csc" is M101's
    assert "'csc' is taken" in msg and "cscresults_M101.vot" in msg


@pytest.mark.parametrize("name", ["1bad", "drop table", "a-b", "", "catalogs", "xray_sources",
                                  "stg_x", "csc_position_errors"])
def test_bad_catalog_name(loaded, tmp_path, name):
    good = write(tmp_path, "g.csv", "id,ra,dec\n1,10,20\n")
    assert "catalog name" in run_bad(loaded, ["ingest", "table", good, "--name", name])


def test_unknown_unit_string(loaded, tmp_path):
    good = write(tmp_path, "g.csv", "id,ra,dec,f\n1,10,20,1\n")
    msg = run_bad(loaded, ["ingest", "table", good, "--name", "g", "--map", "f=f[flibbles]"])
    assert "flibbles" in msg


def test_missing_file(loaded, tmp_path):
    assert "no such file" in run_bad(loaded, ["ingest", "csc", str(tmp_path / "nope.vot")])


def test_bad_input_never_creates_a_store(tmp_path):
    bad = write(tmp_path, "empty.csv", "id,ra,dec\n")
    root = tmp_path / "new-store"
    result = CliRunner().invoke(cli, ["--store", str(root), "ingest", "table", bad, "--name", "e"])
    assert result.exit_code == 1
    assert not root.exists()


def test_failure_while_swapping_leaves_store_unchanged(loaded, tmp_path, monkeypatch):
    """A crash between the directory rename and the registry commit is rolled back."""
    import xcat.jobs.runner as ingest_mod

    good = write(tmp_path, "g2.csv", "id,ra,dec\n1,10,20\n")
    real = ingest_mod.refresh_views

    def boom(*args):
        raise RuntimeError("simulated crash during the swap")

    before = snapshot(loaded)
    monkeypatch.setattr(ingest_mod, "refresh_views", boom)
    result = CliRunner().invoke(cli, ["--store", str(loaded), "ingest", "table", good,
                                      "--name", "good", "--replace"])
    assert isinstance(result.exception, RuntimeError)
    monkeypatch.setattr(ingest_mod, "refresh_views", real)
    assert snapshot(loaded) == before
    assert np.all([not p.name.startswith(".") for p in (loaded / "catalogs").iterdir()])
