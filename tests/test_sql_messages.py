"""Issue 11 item 16: ``xcat sql`` on the real M101 CSC excerpt.

DuckDB's hints were cut to one line, a missing ``$NAME`` did not say how to give it,
MAP/STRUCT/LIST columns (``source_flags.values_seen``) raised tracebacks in most formats,
``SELECT *`` on a catalog showed ``_healpix_29``, ``Norder``, ``Dir``, ``Npix``, wide
results ran off the terminal, store paths kept ``..`` and an empty result said so twice.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner
from conftest import shared_file

import xcat
from xcat.cli import cli
from xcat.output import terminal

INTERNAL = ("_healpix_29", "Norder", "Dir", "Npix")
NESTED = ("SELECT {'a': 1, 'b': 'x'} AS s, map(['hr1'], [NULL::DOUBLE]) AS m, "
          "[1, 2] AS l, [{'a': 1}] AS ls")


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    path = tmp_path_factory.mktemp("m101") / "store"
    with xcat.Store.open(path, create=True) as s:
        s.ingest_csc(shared_file("csc_m101_xrbid/cscresults_M101.vot"), name="csc")
    return path


def invoke(root, *args):
    return CliRunner().invoke(cli, ["--store", str(root), "sql", *args])


def test_sql_error_keeps_did_you_mean_hint(root):
    r = invoke(root, "SELECT * FROM cs")
    assert (r.exit_code == 1 and r.exception is None) or isinstance(r.exception, SystemExit)
    assert r.stderr.startswith("xcat: error: SQL error: Catalog Error: Table with name cs")
    assert 'Did you mean "csc"?' in r.stderr


def test_sql_error_keeps_candidate_bindings_and_caret(root):
    r = invoke(root, "SELECT nme FROM csc")
    assert r.exit_code == 1 and 'Candidate bindings: "name"' in r.stderr
    r = invoke(root, "SELECT name FROM csc WHERE")
    lines = r.stderr.splitlines()
    at = next(i for i, line in enumerate(lines) if "LINE 1: SELECT name FROM csc WHERE" in line)
    caret = lines[at + 1]
    # the caret sits under WHERE
    assert caret.strip().startswith("^") and lines[at].index("WHERE") == caret.index("^")


def test_sql_missing_parameter_suggests_p_name_value(root):
    r = invoke(root, "SELECT count(*) FROM csc WHERE dec > $d")
    assert r.exit_code == 1
    assert "-p d=VALUE" in r.stderr
    ok = invoke(root, "SELECT count(*) AS n FROM csc WHERE dec > $d", "-p", "d=54.3",
                "--format", "csv")
    assert ok.exit_code == 0 and ok.output.splitlines()[0] == "n"


@pytest.mark.parametrize("fmt", ["table", "csv", "json", "ecsv", "votable", "latex", "html"])
def test_map_struct_list_columns_print_in_every_text_format(root, fmt):
    r = invoke(root, NESTED, "--format", fmt)
    assert r.exit_code == 0, r.stderr + repr(r.exception)
    assert '"hr1"' in r.output.replace('""', '"') or "hr1" in r.output


def test_map_struct_list_columns_as_json_text_in_csv(root):
    r = invoke(root, NESTED, "--format", "csv")
    row = next(csv.DictReader(io.StringIO(r.output)))
    assert json.loads(row["s"]) == {"a": 1, "b": "x"}
    assert json.loads(row["m"]) == {"hr1": None}
    assert json.loads(row["l"]) == [1, 2]
    assert json.loads(row["ls"]) == [{"a": 1}]


@pytest.mark.parametrize("fmt", ["fits", "parquet", "votable"])
def test_map_columns_write_to_binary_files(root, tmp_path, fmt):
    out = tmp_path / f"t.{fmt}"
    r = invoke(root, NESTED, "--format", fmt, "-o", str(out))
    assert r.exit_code == 0, r.stderr + repr(r.exception)
    assert out.stat().st_size > 0


def test_source_flags_values_seen_prints(root):
    with xcat.Store.open(root) as s:
        kind = s.sql("SELECT typeof(values_seen) AS t FROM source_flags LIMIT 1")["t"]
        n = int(s.sql("SELECT count(*) AS n FROM source_flags")["n"].iloc[0])
    assert n > 0 and kind.iloc[0].startswith("MAP")
    for fmt in ("table", "csv", "json", "votable"):
        r = invoke(root, "SELECT name, values_seen FROM source_flags", "--format", fmt)
        assert r.exit_code == 0, (fmt, r.stderr, r.exception)
    r = invoke(root, "SELECT values_seen FROM source_flags", "--format", "csv")
    assert len(r.output.splitlines()) == n + 1
    seen = [json.loads(row["values_seen"]) for row in csv.DictReader(io.StringIO(r.output))]
    assert all(isinstance(v, dict) for v in seen)
    assert any(isinstance(v.get("hr1"), float) for v in seen)


def test_select_star_hides_internal_columns(root):
    r = invoke(root, "SELECT * FROM csc LIMIT 1", "--format", "csv")
    head = r.output.splitlines()[0].split(",")
    assert not set(INTERNAL) & set(head)
    assert head[:4] == ["separation", "name", "ra", "dec"]
    with xcat.Store.open(root) as s:
        # everything stays in the internal view store code reads
        t = s.sql("SELECT _healpix_29, Norder, Dir, Npix FROM stg_hats__csc", output="arrow")
        assert t.num_rows == 555
        assert s.sql("SELECT count(*) AS n FROM xray_sources")["n"].iloc[0] == 555
    verify = CliRunner().invoke(cli, ["--store", str(root), "verify"])
    assert verify.exit_code == 0 and "0 failed" in verify.output


def test_wide_result_fits_the_terminal_with_a_note(root, monkeypatch):
    monkeypatch.setattr(terminal, "terminal_width", lambda: 80)
    r = invoke(root, "SELECT * FROM csc")
    lines = r.output.splitlines()
    assert all(len(line) <= 80 for line in lines), max(lines, key=len)
    assert "(555 rows, 50 shown)" in lines
    assert lines[-1].startswith("(") and "more columns and 505 more rows: use --format csv " \
        "or -o FILE to see all)" in lines[-1]
    n_hidden = int(lines[-1][1:].split()[0])
    shown = lines[0].split()
    assert len(shown) + n_hidden == 23


def test_not_a_terminal_is_not_cut(root):
    r = invoke(root, "SELECT * FROM csc LIMIT 3")
    assert "more column" not in r.output
    assert r.output.splitlines()[0].split()[-1] == "hard_ms_hilim"


def test_empty_result_prints_once(root):
    r = invoke(root, "SELECT name, ra FROM csc WHERE false")
    assert r.exit_code == 0
    assert r.output.count("rows") == 1 and r.output.splitlines()[-1] == "(no rows)"
    assert r.output.splitlines()[0].split() == ["name", "ra"]


def test_store_path_shown_normalised(tmp_path):
    messy = f"{tmp_path}/a/../store/./"
    r = CliRunner().invoke(cli, ["--store", messy, "init"])
    assert r.output.strip() == f"store ready at {tmp_path / 'store'}"
    r = CliRunner().invoke(cli, ["--store", f"{tmp_path}/b/../nothing", "catalogs"])
    assert r.stderr.startswith(f"xcat: error: {tmp_path / 'nothing'}: no xcat store here")
