"""A query may start with an SQL comment (regression: ``xcat sql "-- note ..."`` was read
as an unknown option and printed click's usage error)."""

from __future__ import annotations

from cli_helpers import run
from click.testing import CliRunner

from xcat.cli import cli


def test_query_starting_with_a_comment_runs(tmp_path):
    store = tmp_path / "store"
    run(store, "init")
    out = run(store, "sql", "-- how many catalogs?\nSELECT 41 + 1 AS answer", "--format", "csv")
    assert out.split() == ["answer", "42"]


def test_unknown_options_are_still_refused(tmp_path):
    store = tmp_path / "store"
    run(store, "init")
    r = CliRunner().invoke(cli, ["--store", str(store), "sql", "--bogus", "SELECT 1"])
    assert r.exit_code != 0 and "No such option" in r.output + r.stderr
