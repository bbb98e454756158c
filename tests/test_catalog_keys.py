"""``xcat catalogs`` says which key names each catalog's rows (regression: a table
ingested without ``--key`` got a key chosen silently, or none, and the listing did not
say which)."""

from __future__ import annotations

import csv
import io

from cli_helpers import run


def test_catalogs_lists_the_key_given_or_chosen(tmp_path):
    store = tmp_path / "store"
    named = tmp_path / "named.csv"
    named.write_text("source_id,ra,dec\n11,10.0,20.0\n12,10.1,20.1\n")
    bare = tmp_path / "bare.csv"
    bare.write_text("ra,dec,mag\n10.0,20.0,1.5\n10.1,20.1,1.5\n")
    run(store, "ingest", "table", str(named), "--name", "named")
    run(store, "ingest", "table", str(bare), "--name", "bare")
    run(store, "ingest", "table", str(named), "--name", "given", "--key", "source_id")
    rows = {r["name"]: r for r in csv.DictReader(io.StringIO(
        run(store, "catalogs", "--format", "csv")))}
    assert rows["named"]["key"] == "source_id"
    assert rows["given"]["key"] == "source_id"
    assert rows["bare"]["key"] == "row_id"
