"""CSV/TSV read in blocks (issue 13, "ingest larger than RAM"): :mod:`xcat.io.csv_chunks`
must give exactly the whole read's table (:func:`xcat.io.readers.read_table`, pandas plus
the quirk cleaner, the oracle here): same column names, types, values, metadata and notes,
whatever the chunk size, including columns whose type only a late row decides. A damaged
row late in a big file is one error line with its line number, and the store is unchanged.

Inputs: small hand-written files for each quirk; seeded random files; and real excerpts
(see PROVENANCE.md): 389 CSC 2.0 sources around NGC 3532 with 154 columns of every kind
(``csc_muwclass/NGC3532/NGC3532_conesearch.csv``), a pandas ``.frame`` export of CSC
sources in M101 with its index column (``csc_m101_xrbid``) and, in a slow test, the
CARMENES Cifuentes et al. 2020 mother sample (``carmenes_cifuentes2020``, 2483 stars,
175 columns).
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from cli_helpers import fails, run, snapshot
from conftest import shared_file

import xcat
from xcat.errors import XcatError
from xcat.io import csv_chunks
from xcat.io.chunks import count_rows, iter_chunks
from xcat.io.readers import read_table

CARMENES = "carmenes_cifuentes2020/cif20.Mother.v01.csv"
M101_FRAME = "csc_m101_xrbid/M101_csc_bestrads.frame"
NGC3532 = "csc_muwclass/NGC3532/NGC3532_conesearch.csv"


@pytest.fixture(autouse=True)
def tiny_blocks(monkeypatch):
    """Parse 2 rows at a time, so that the scan sees a column's cells block by block."""
    monkeypatch.setattr(csv_chunks, "BLOCK_ROWS", 2)


def _chunked(path: Path, rows: int, fmt: str | None = None):
    chunks = list(iter_chunks(path, fmt, chunk_rows=rows))
    return chunks, pa.concat_tables([c.table for c in chunks])


def _same_as_whole(path: Path, rows_list=(1, 2, 3), fmt: str | None = None) -> pa.Table:
    whole = read_table(path, fmt)
    for rows in rows_list:
        chunks, table = _chunked(path, rows, fmt)
        if whole.table.num_rows > rows:
            assert len(chunks) > 1
        assert table.schema == whole.table.schema
        assert table.equals(whole.table), table.to_pydict()
        for c in chunks:
            assert c.meta == whole.meta and c.notes == whole.notes and c.fmt == whole.fmt
    return whole.table


QUIRKS = {  # name -> (file text, expected types of the columns as read whole)
    "int then blank late": ("ra,dec,n\n1,2,3\n4,5,6\n7,8,\n9,10,11\n",
                            ["int64", "int64", "int64"]),
    "int then float late": ("ra,dec,n\n1,2,3\n4,5,6\n7,8,9\n9,10,2.5\n",
                            ["int64", "int64", "double"]),
    "number then text late": ("ra,dec,s\n1,2,1\n4,5,2\n7,8,3\n9,10,abc\n",
                              ["int64", "int64", "string"]),
    "float then text": ("a,b\n1.5,x\n2.5,y\nnan,z\n", ["string", "string"]),
    "int beyond int64 late": ("a,b\n1,4611686018427387905\n2,5\n3,9223372036854775808\n",
                              ["int64", "double"]),
    "gaia ids exact": ("a,id\n1,4611686018427387905\n2,5764607523034234881\n3,7\n",
                       ["int64", "int64"]),
    "signed and long ints": ("a,b\n+5,0000000000000000000000001\n-3,+12\n,-0\n",
                             ["int64", "int64"]),
    "booleans": ("a,b,c\ntrue,y,Y\nFalse,n,n\nyes,,N\n", ["bool", "string", "string"]),
    "all blank": ("a,b\n1,\n2,  \n3,\n", ["int64", "double"]),
    "index column": (",ra,dec\n0,1.5,2\n1,3,4\n2,5,6\n", ["double", "int64"]),
    "index column with text late": (",ra,dec\n0,1.5,2\n1,3,4\nx,5,6\n",
                                    ["string", "double", "int64"]),
    "duplicate and padded names": ("a, b,a,c \n1,2,3,4\n5,6,7,8\n",
                                   ["int64", "int64", "int64", "int64"]),
    "quoted commas and newlines": ('a,b\n1,"x, y"\n2,"line\none"\n3,"q ""z"""\n4,z\n',
                                   ["int64", "string"]),
    "blank-looking rows": ("a,b,c\n1,2,3\n,\n\n   \n4,5,6\n", ["int64", "int64", "int64"]),
    "comment-like rows are data": ("a,b\n# note,1\n2,3\n", ["string", "int64"]),
    "crlf and bom": ("\ufeffa,b\r\n1,2\r\n3,4.5\r\n5,6\r\n", ["int64", "double"]),
    "unicode digits": ("a,b\n1,\u0661\u0662\n2,3\n3,4\n", ["int64", "int64"]),
    "inf and exponents": ("a,b\n1,inf\n2,1e5\n3,-1.5E-3\n", ["int64", "double"]),
    "extra field: pandas index": ("a,b\n1,2,3\n4,5,6\n7,8,9\n", ["int64", "int64"]),
}


@pytest.mark.parametrize("name", list(QUIRKS))
def test_quirky_csv_in_chunks_reads_as_whole(tmp_path, name):
    text, types = QUIRKS[name]
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8", newline="")
    table = _same_as_whole(path)
    assert [str(t) for t in table.schema.types] == types


def test_tsv_and_gzipped_csv_in_chunks(tmp_path):
    text = "ra\tdec\tname\n1\t2\ta b\n3\t4.5\t\n5\t6\tc\n"
    tsv = tmp_path / "t.tsv"
    tsv.write_text(text)
    table = _same_as_whole(tsv)
    gz = tmp_path / "t.tsv.gz"
    gz.write_bytes(gzip.compress(text.encode()))
    assert read_table(gz).table.equals(table)  # gzipped: same table as the plain file
    assert _same_as_whole(gz).equals(table)


POOLS = [  # cells a random column draws from: each pool is one kind of column, mostly
    ["1", "-7", "42", "", "123456789012345678"],
    ["1.5", "2", "-3e-5", "", "0.1"],
    ["true", "False", "yes", "n", ""],
    ["a", "b c", "", '"q,r"', "1"],
    ["", " ", ""],
]


@pytest.mark.parametrize("seed", range(12))
def test_random_csv_in_chunks_reads_as_whole(tmp_path, seed):
    """Columns that mostly hold one kind of cell and, at a random late row, maybe a
    cell of another kind: the whole read decides the type, and so must the chunks."""
    rng = np.random.default_rng(seed)
    n_rows, n_cols = int(rng.integers(5, 40)), int(rng.integers(1, 6))
    cols = []
    for _ in range(n_cols):
        pool = POOLS[rng.integers(len(POOLS))]
        cells = list(rng.choice(pool, n_rows))
        if rng.random() < 0.6:
            other = POOLS[rng.integers(len(POOLS))]
            cells[int(rng.integers(n_rows // 2, n_rows))] = str(rng.choice(other))
        cols.append(cells)
    header = ",".join(f"c{i}" for i in range(n_cols))
    rows = [",".join(c[r] for c in cols) for r in range(n_rows)]
    path = tmp_path / "r.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    try:
        read_table(path)
    except XcatError as exc:  # e.g. a row of blanks only: the chunks fail the same way
        with pytest.raises(XcatError) as err:
            _chunked(path, 2)
        assert str(err.value) == str(exc)
        return
    _same_as_whole(path, rows_list=(1, int(rng.integers(2, 9))))


@pytest.mark.parametrize("bad,expect", [
    ("7,8\n", "line 40 has 2 fields, the header 3"),
    ("7,8,9,10\n", "malformed CSV (Error tokenizing data. C error: Expected 3 fields in "
                   "line 40, saw 4)"),
])
def test_damaged_late_row_is_one_error_like_whole(tmp_path, bad, expect):
    rows = "".join(f"{i},{i % 80},{i * 2}\n" for i in range(1, 39))
    path = tmp_path / "d.csv"
    path.write_text(f"ra,dec,n\n{rows}{bad}{rows}")
    with pytest.raises(XcatError) as whole:
        read_table(path)
    with pytest.raises(XcatError) as chunked:
        _chunked(path, 5)
    assert str(chunked.value) == str(whole.value)
    assert expect in str(chunked.value)


def test_damaged_late_row_leaves_the_store_unchanged(tmp_path, monkeypatch):
    """Through the CLI: one ``xcat: error:`` line naming the line, nothing stored; the
    damage is found by the scan, before any row is prepared."""
    root = tmp_path / "store"
    good = tmp_path / "good.csv"
    good.write_text("ra,dec,id\n" + "".join(f"{i},{i % 80},{i}\n" for i in range(1, 30)))
    run(root, "ingest", "table", "--name", "good", str(good))
    src = tmp_path / "late.csv"
    lines = [f"{i * 0.5},{i % 80 - 40},s{i}" for i in range(1, 300)]
    lines[250] = "125.5,\"unclosed,x"  # a quote never closed: the rest is one field
    src.write_text("ra,dec,id\n" + "\n".join(lines[:260]) + "\n" + "\xff\xfe\n")
    monkeypatch.setenv("XCAT_CHUNK_ROWS", "7")
    before = snapshot(root)
    err = fails(root, "ingest", "table", "--name", "late", str(src))
    assert "late.csv" in err and snapshot(root) == before
    src.write_bytes(b"ra,dec,id\n" + b"".join(f"{i},{i % 80},{i}\n".encode()
                                               for i in range(1, 200)) + b"1,2,\xff\n")
    err = fails(root, "ingest", "table", "--name", "late", str(src))
    assert "not a text table (invalid start byte)" in err
    src.write_text("ra,dec,id\n" + "".join(f"{i},{i % 80},{i}\n" for i in range(1, 200))
                   + "5,6\n")
    err = fails(root, "ingest", "table", "--name", "late", str(src))
    assert "line 201 has 2 fields, the header 3" in err


def test_real_excerpts_in_chunks_read_as_whole(monkeypatch):
    monkeypatch.setattr(csv_chunks, "BLOCK_ROWS", 64)
    _same_as_whole(shared_file(NGC3532), rows_list=(50,))
    frame = _same_as_whole(shared_file(M101_FRAME), rows_list=(100,))
    assert "Unnamed: 0" not in frame.column_names  # the pandas index column dropped


def _catalog(root: Path, name: str) -> tuple[dict, list, pd.DataFrame]:
    store = xcat.Store.open(root)
    try:
        row = dict(store.catalog(name))
        cols = store.sql(f"select * from catalog_columns where catalog = '{name}' "
                         "order by position").to_dict("records")
        rows = store.sql(f"select * from {name} order by row_id")
    finally:
        store.close()
    for k in ("created", "path"):
        row.pop(k, None)
    return row, cols, rows


def _same_ingest(tmp_path: Path, monkeypatch, src: Path, chunk_rows: int, *options: str
                 ) -> str:
    monkeypatch.setattr(csv_chunks, "BLOCK_ROWS", 64 if chunk_rows < 100 else 500)
    args = ("ingest", "table", "--name", "t", "--partition-rows", "100", *options, str(src))
    whole = run(tmp_path / "whole", *args)
    monkeypatch.setenv("XCAT_CHUNK_ROWS", str(chunk_rows))
    chunked = run(tmp_path / "chunked", *args)
    assert chunked == whole
    a, b = _catalog(tmp_path / "whole", "t"), _catalog(tmp_path / "chunked", "t")
    assert a[:2] == b[:2]
    assert a[2].equals(b[2]) and len(a[2]) > 300
    return whole


def test_real_csv_ingested_in_chunks_gives_the_same_catalog(tmp_path, monkeypatch):
    """NGC 3532 (389 rows, 154 columns) whole and in 50-row chunks."""
    _same_ingest(tmp_path, monkeypatch, shared_file(NGC3532), 50)


@pytest.mark.slow
def test_carmenes_ingested_in_chunks_gives_the_same_catalog(tmp_path, monkeypatch):
    """CARMENES (2483 rows, 175 columns) whole and in 300-row chunks."""
    _same_ingest(tmp_path, monkeypatch, shared_file(CARMENES), 300,
                 "--ra", "RA_J2000", "--dec", "DE_J2000")
def test_scan_counts_rows_and_bytes_for_the_progress_bar(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("ra,dec\n" + "".join(f"{i},{i % 80}\n" for i in range(1, 51)))
    seen = []
    chunks = iter_chunks(path, chunk_rows=20, scanned=seen.append)
    assert count_rows(path) is None or count_rows(path) == 50
    assert next(chunks).table.num_rows == 20
    assert sum(seen) == path.stat().st_size and count_rows(path) == 50
    assert [c.table.num_rows for c in chunks] == [20, 10]
    assert csv_chunks.scan(path).kinds() == {"ra": "int", "dec": "int"}
