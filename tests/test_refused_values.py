"""Values that used to load and must not (issue 12, "Bad input, kept as tests"): each is
refused with one ``xcat: error:`` line and an unchanged store, or, where a user may want
the file anyway, loaded only with ``--invalid-as-null`` and a warning. Also the inputs
that used to end in a traceback or in click's three-line usage error.

Real data: heads of the M101 CSC exports (csc_m101_xrbid/cscresults_M101.vot and .frame),
the NGC 3532 MUWCLASS class table (csc_muwclass/NGC3532/NGC3532_class.csv), the Gaia DR3
ECSV (gaia_dr3_astroquery_tests) and the 50MGC FITS (galaxy_distances_50mgc); small
hand-made CSVs where a column must be spelled out.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import xcat
from tests.cli_helpers import fails, run
from tests.conftest import shared_file
from tests.fuzz_inputs import BY_NAME, cone_subset, fails_quietly, write_base
from xcat.cli import cli
from xcat.errors import XcatError
from xcat.jobs.tap import prepare_table

TINY = "id,ra,dec,flux,e\n1,10.0,20.0,1e-14,0.5\n2,10.1,20.1,{flux},{err}\n"


@pytest.fixture(scope="module")
def base(tmp_path_factory, m101_csc_dir):
    """A copy of the M101 store (csc) plus the NGC 3532 cone rows of the MUWCLASS head."""
    root = tmp_path_factory.mktemp("refused")
    store = root / "store"
    shutil.copytree(m101_csc_dir, store)
    classes = write_base(BY_NAME["muw_class"], shared_file(BY_NAME["muw_class"].src), root)
    cone = cone_subset(shared_file(BY_NAME["csc_ngc3532"].src), classes, root / "cone.csv")
    run(store, "ingest", "csc", str(cone), "--name", "csc_ngc3532")
    with xcat.Store.open(store):
        pass
    return store, classes


@pytest.fixture
def root(base, tmp_path):
    """A fresh copy of the module's store."""
    copy = tmp_path / "store"
    shutil.copytree(base[0], copy)
    with xcat.Store.open(copy):  # views re-pointed at the copy before any snapshot
        pass
    return copy


def tiny(tmp_path: Path, flux: str = "2e-14", err: str = "0.4") -> str:
    path = tmp_path / "tiny.csv"
    path.write_text(TINY.format(flux=flux, err=err))
    return str(path)


def table(root: Path, path: str, *extra: str) -> list[str]:
    return ["ingest", "table", path, "--name", "tiny", "--key", "id",
            "--map", "flux=flux[erg/s/cm2]", *extra]


def csc_frame(tmp_path: Path, column: str, value: str, row: int = 3) -> str:
    """The M101 .frame head (12 rows) with one master value changed: in data row ``row``
    and the other stack rows of that source.
    """
    lines = write_base(BY_NAME["csc_frame"], shared_file(BY_NAME["csc_frame"].src),
                       tmp_path).read_text().splitlines()
    header = lines[0].split(",")
    name = lines[row].split(",")[header.index("name")]
    for i, line in enumerate(lines):
        cells = line.split(",")
        if cells[header.index("name")] == name:
            cells[header.index(column)] = value
            lines[i] = ",".join(cells)
    path = tmp_path / "csc_edit.frame"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


# ------------------------------------------------------------------ fluxes and errors
@pytest.mark.parametrize(("flux", "why"), [("-1e-14", "is negative"), ("inf", "is infinite"),
                                           ("-inf", "is infinite"),
                                           ("bright", "is not a number")])
def test_bad_flux_is_refused(root, tmp_path, flux, why):
    msg = fails(root, *table(root, tiny(tmp_path, flux=flux)))
    assert "column 'flux' (energy flux), row 2" in msg and why in msg
    assert "--invalid-as-null" in msg


def test_invalid_as_null_loads_with_a_warning_and_verify_passes(root, tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="xcat"):
        out = run(root, *table(root, tiny(tmp_path, flux="-1e-14", err="-0.2"),
                               "--pos-err", "e", "--invalid-as-null"))
    assert "tiny: loaded 2 rows" in out
    warned = " ".join(r.getMessage() for r in caplog.records)
    assert "column 'flux'" in warned and "column 'e'" in warned and "stored as NULL" in warned
    rows = run(root, "sql", "SELECT flux, e FROM tiny ORDER BY id", "--format", "csv")
    assert rows.split() == ["flux,e", "1e-14,0.5", ","]
    assert run(root, "verify").splitlines()[-1].endswith(" 0 failed")


def test_text_cell_in_a_csc_flux_column(root, tmp_path):
    """It used to be stored as VARCHAR; then verify and flags summary crashed."""
    frame = csc_frame(tmp_path, "flux_aper_b", "n/a")
    msg = fails(root, "ingest", "csc", frame, "--name", "csc_text")
    assert "'flux_aper_b' (energy flux), row 1: 'n/a' is not a number" in msg
    run(root, "ingest", "csc", frame, "--name", "csc_text", "--invalid-as-null")
    kind = run(root, "sql", "SELECT DISTINCT typeof(flux_aper_b) AS t FROM csc_text",
               "--format", "csv")
    assert kind.split() == ["t", "DOUBLE"]
    assert run(root, "verify").splitlines()[-1].endswith(" 0 failed")
    assert "csc_text" in run(root, "flags", "summary", "--format", "csv")


def test_text_cell_in_a_votable_number_is_refused(root, tmp_path):
    """astropy blanks an invalid float (W30) without a word: that is a lost value."""
    vot = write_base(BY_NAME["csc_vot"], shared_file(BY_NAME["csc_vot"].src), tmp_path)
    text = vot.read_text()
    i = text.index("<TD>", text.index("<TR>"))
    vot.write_text(text[:i] + "<TD>far</TD>" + text[text.index("</TD>", i) + 5:])
    msg = fails(root, "ingest", "csc", str(vot), "--name", "csc_w30")
    assert "Invalid literal for float 'far'" in msg and "line " in msg


def test_votable_missing_value_markers_are_still_missing(root, tmp_path):
    vot = write_base(BY_NAME["csc_vot"], shared_file(BY_NAME["csc_vot"].src), tmp_path)
    text = vot.read_text()
    i = text.index("<TD>", text.index("<TR>"))  # separation, first row
    vot.write_text(text[:i] + "<TD>null</TD>" + text[text.index("</TD>", i) + 5:])
    run(root, "ingest", "csc", str(vot), "--name", "csc_null")


@pytest.mark.parametrize("source", ["csc", "pos-err"])
def test_negative_positional_error_is_refused(root, tmp_path, source):
    if source == "csc":
        msg = fails(root, "ingest", "csc", csc_frame(tmp_path, "err_ellipse_r0", "-0.3"),
                    "--name", "csc_err")
        assert "'err_ellipse_r0' (positional error), row 1: -0.3 is negative" in msg
    else:
        msg = fails(root, *table(root, tiny(tmp_path, err="-0.1"), "--pos-err", "e"))
        assert "'e' (--pos-err), row 2: -0.1 is negative" in msg


def test_text_column_as_pos_err_is_refused(root, tmp_path):
    path = tmp_path / "names.csv"
    path.write_text("id,ra,dec,label\n1,10,20,alpha\n2,10.1,20.1,beta\n")
    msg = fails(root, "ingest", "table", str(path), "--name", "names", "--pos-err", "label")
    assert "'label' (--pos-err), row 1: 'alpha' is not a number" in msg


# ------------------------------------------------------------------ units
def test_unknown_unit_in_the_file_is_refused_and_map_overrides_it(root, tmp_path):
    ecsv = write_base(BY_NAME["gaia_ecsv"], shared_file(BY_NAME["gaia_ecsv"].src), tmp_path)
    text = ecsv.read_text()
    at = text.index("#   unit: ", text.index("#   name: parallax\n"))
    ecsv.write_text(text[:at] + "#   unit: furlong^^" + text[text.index("\n", at):])
    msg = fails(root, "ingest", "gaia", str(ecsv), "--name", "g")
    assert "column 'parallax': unit 'furlong^^'" in msg and "--map parallax=parallax[" in msg
    run(root, "ingest", "gaia", str(ecsv), "--name", "g", "--map", "parallax=parallax[mas]")
    run(root, "ingest", "table", str(ecsv), "--name", "g2", "--key", "source_id",
        "--map", "parallax=parallax[]")  # no unit at all (gaia would assume mas)
    units = run(root, "sql", "SELECT catalog, unit FROM catalog_columns WHERE name = "
                "'parallax' AND catalog IN ('g', 'g2') ORDER BY catalog", "--format", "csv")
    assert units.split() == ["catalog,unit", "g,mas", "g2,"]


def test_gaia_log_units_are_understood(root):
    """The Gaia archive's log(cm.s**-2) is astropy's dex(cm / s2), not an unknown unit."""
    run(root, "ingest", "gaia", str(shared_file(BY_NAME["gaia_ecsv"].src)), "--name", "g")


def test_a_service_answer_keeps_an_unknown_unit_with_a_note():
    from astropy.table import Table

    t = Table({"name": ["a", "b"], "ra": [10.0, 10.1], "dec": [20.0, 20.1],
               "f": [1.0, 2.0]})
    t["f"].unit = "furlong^^"  # astropy keeps it as an UnrecognizedUnit
    builds, _ = prepare_table(t, source="http://tap.example", detail="SELECT", sha256="0",
                              kind="table", name="svc")
    assert any("'furlong^^' kept as written" in n for n in builds[0].notes)
    t["f"].unit = "erg / (s cm2)"
    t["f"][1] = -1.0
    with pytest.raises(XcatError, match="is negative"):
        prepare_table(t, source="http://tap.example", detail="SELECT", sha256="0",
                      kind="table", name="svc")
    builds, _ = prepare_table(t, source="http://tap.example", detail="SELECT", sha256="0",
                              kind="table", name="svc", invalid_as_null=True)
    assert builds[0].table.column("f").to_pylist() == [1.0, None]


# ------------------------------------------------------------------ names, probabilities
def test_empty_source_name_is_refused(root, tmp_path):
    vot = write_base(BY_NAME["csc_vot"], shared_file(BY_NAME["csc_vot"].src), tmp_path)
    text = vot.read_text()
    name = text[text.index("2CXO J", text.index("<TR>")):].split("<")[0]
    vot.write_text(text.replace(f"<TD>{name}</TD>", "<TD>   </TD>"))
    assert "has an empty key 'name'" in fails(root, "ingest", "csc", str(vot),
                                              "--name", "csc_blank")


def test_blank_names_are_never_chosen_as_the_key(root, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"name": ["A", " "], "ra": [10.0, 10.1], "dec": [20.0, 20.1]}),
                   tmp_path / "blank.parquet")
    out = run(root, "ingest", "table", str(tmp_path / "blank.parquet"), "--name", "blank")
    assert "key: 'row_id'" in out
    msg = fails(root, "ingest", "table", str(tmp_path / "blank.parquet"), "--name", "blank2",
                "--key", "name")
    assert "row 2 has an empty key 'name'" in msg


@pytest.mark.parametrize("value", ["1.5", "-0.2"])
def test_class_probability_outside_0_1_is_refused(root, base, tmp_path, value):
    rows = base[1].read_text().splitlines()
    header = rows[0].split(",")
    cells = rows[4].split(",")
    cells[header.index("Class_prob")] = value
    rows[4] = ",".join(cells)
    bad = tmp_path / "classes.csv"
    bad.write_text("\n".join(rows) + "\n")
    msg = fails(root, "classify", "--import", str(bad), "--catalog", "csc_ngc3532")
    assert f"column Class_prob, row 4: '{value}' is not a probability in [0, 1]" in msg
    msg = fails(root, "ingest", "classification", str(bad), "--key", "name",
                "--catalog", "csc_ngc3532")
    assert f"column 'Class_prob', row 4: {value} is not a probability" in msg


def test_probability_outside_0_1_is_refused_from_python(root):
    import pandas as pd

    from xcat.science.classification import record_events

    with xcat.Store.open(root) as s:
        key = s.sql("SELECT name FROM csc LIMIT 1")["name"][0]
        ev = {"catalog": "csc", "source_key": key, "class": "AGN", "best_counterpart": None,
              "donor_class": None, "probability": 2.0, "method": "catalog", "rule": None,
              "author": "t", "note": None, "origin": None}
        with pytest.raises(XcatError, match=r"probability 2.0 is outside \[0, 1\]"):
            record_events(s, pd.DataFrame([ev]))


# ------------------------------------------------------------------ truncated text files
@pytest.mark.parametrize(("cut", "line"), [("1,10.0,20", 3), ("1,10.0,20,1e-", 3)])
def test_short_last_row_is_an_error(root, tmp_path, cut, line):
    path = tmp_path / "cut.csv"
    path.write_text("id,ra,dec,flux,e\n2,10.1,20.1,1e-14,0.5\n" + cut)
    msg = fails(root, "ingest", "table", str(path), "--name", "cut")
    assert f"line {line} has" in msg and "the header 5" in msg


@pytest.mark.parametrize("name", ["frame", "notes"])
def test_truncated_frame_and_notes_are_errors(root, tmp_path, name):
    if name == "frame":
        lines = write_base(BY_NAME["bestrads"], shared_file(BY_NAME["bestrads"].src),
                           tmp_path).read_text().splitlines(keepends=True)
        path = tmp_path / "cut.frame"
        path.write_text("".join(lines[:6]) + lines[6][:len(lines[6]) // 2])
        args = ["ingest", "xrbid", str(path), "--key", "CSC ID"]
    else:
        notes = write_base(BY_NAME["notes"], shared_file(BY_NAME["notes"].src), tmp_path)
        text = notes.read_text()
        path = tmp_path / "cut_notes.csv"
        path.write_text(text[:text.rindex(",", 0, len(text) - 2)])
        args = ["classify", "--import", str(path)]
    assert "is the file cut short" in fails(root, *args)


# ------------------------------------------------------------------ tracebacks
def test_classify_import_of_a_directory(root, tmp_path):
    assert "is a directory" in fails(root, "classify", "--import", str(tmp_path))


def test_xmatch_radius_column_that_does_not_exist(root):
    msg = fails(root, "xmatch", "csc", "csc_ngc3532", "--radius-column", "nosuch")
    assert "has no column 'nosuch' (--radius-column)" in msg


def test_ingest_of_a_directory_is_one_line_not_a_usage_error(root, tmp_path):
    r = CliRunner().invoke(cli, ["--store", str(root), "ingest", "csc", str(tmp_path)])
    assert r.exit_code == 1 and r.stderr.splitlines() == [
        f"xcat: error: {tmp_path}: is a directory, not a table file"]


def test_corrupt_fits_prints_no_astropy_warning(root, tmp_path):
    """astropy's 'WARNING: VerifyWarning ...' lines used to precede the error line."""
    fits = write_base(BY_NAME["mgc_fits"], shared_file(BY_NAME["mgc_fits"].src), tmp_path)
    data = fits.read_bytes()
    bad = tmp_path / "flipped.fits"
    at = data.index(b"NAXIS2", 2880)
    bad.write_bytes(data[:at] + bytes([data[at] ^ 0x80]) + data[at + 1:])
    msg = fails_quietly(root, "ingest", "table", str(bad), "--name", "flipped")
    assert "flipped.fits: not a readable fits table" in msg
    assert "non-ASCII" not in msg


@pytest.mark.parametrize(("column", "value", "why"), [
    ("bestdist", float("inf"), "a distance must be > 0 and finite"),
    ("ra", 400.0, "must be within [0, 360]"), ("dec", -95.0, "must be within [-90, 90]"),
    ("bestdist_error", -0.5, "an error must be >= 0 and finite")])
def test_host_load_refuses_impossible_values(root, tmp_path, column, value, why):
    from astropy.table import Table

    t = Table.read(write_base(BY_NAME["mgc_hosts"], shared_file(BY_NAME["mgc_hosts"].src),
                              tmp_path))
    t[column][2] = value
    t.write(tmp_path / "bad.fits")
    msg = fails(root, "host", "load", str(tmp_path / "bad.fits"))
    assert f"column {column}, row 3" in msg and why in msg


def test_host_load_of_an_empty_table(root, tmp_path):
    from astropy.table import Table

    t = Table.read(write_base(BY_NAME["mgc_hosts"], shared_file(BY_NAME["mgc_hosts"].src),
                              tmp_path))
    t[:0].write(tmp_path / "none.fits")
    assert "holds no rows" in fails(root, "host", "load", str(tmp_path / "none.fits"))
