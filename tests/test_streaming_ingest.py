"""Ingest in chunks (issue 13, "ingest larger than RAM"): a Parquet or FITS input read in
tiny chunks (7 rows) and, with a tiny memory budget, spilled to disk as sorted runs, must
give the same catalog as the input read whole: same files byte for byte (rows, order,
partitions, row groups, metadata), same registry rows and columns. A bad value or a
repeated key in a late chunk refuses the file with the same one-line error as a whole
read, and leaves the store unchanged.

Input: the first 700 rows of the real 2RXS flarestack excerpt
(``2rxs_flarestack/LLAGN_2rxs2AllWiseSayfertness_no3LACbl_April2020_small.fits``, an
all-sky table of 25 648 2RXS sources with AllWISE Seyfert scores, see PROVENANCE.md),
written to Parquet/FITS with ``max_rows=100`` so the catalog has many partitions.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cli_helpers import fails, run, snapshot
from conftest import shared_file

import xcat
from xcat.catalog import stream
from xcat.errors import XcatError
from xcat.io.readers import read_table
from xcat.jobs.file import FileJob
from xcat.jobs.runner import run as run_job
from xcat.sky.partitioning import choose_partitions

EXCERPT = "2rxs_flarestack/LLAGN_2rxs2AllWiseSayfertness_no3LACbl_April2020_small.fits"
ROWS = 700


@pytest.fixture(scope="module")
def excerpt() -> pa.Table:
    return read_table(shared_file(EXCERPT)).table.slice(0, ROWS)


def _parquet(tmp_path: Path, table: pa.Table, name: str = "flare.parquet") -> Path:
    path = tmp_path / name
    pq.write_table(table, path, row_group_size=200)
    return path


def _ingest(root: Path, src: Path, chunk_rows: int | None, **options) -> list[str]:
    job = FileJob(kind="table", file=src, chunk_rows=chunk_rows or 10**9, max_rows=100,
                  **options)
    return run_job(root, job)


def _catalog_files(root: Path) -> dict[str, bytes]:
    (cat,) = (root / "catalogs").iterdir()
    out = {}
    for f in sorted(cat.rglob("*")):
        if f.is_file():
            data = f.read_bytes()
            if f.name == "hats.properties":  # creation time
                data = b"".join(ln for ln in data.splitlines(True)
                                if not ln.startswith((b"hats_creation_date", b"hats_release")))
            out[str(f.relative_to(cat))] = data
    return out


def _registry(root: Path, name: str) -> tuple[dict, list]:
    store = xcat.Store.open(root)
    try:
        row = dict(store.catalog(name))
        cols = store.sql("select * from catalog_columns where catalog = 'flare' "
                         "order by position").to_dict("records")
    finally:
        store.close()
    for k in ("created", "path"):
        row.pop(k, None)
    return row, cols


def _same_catalog(tmp_path: Path, src: Path, name: str, **options) -> list[str]:
    whole = _ingest(tmp_path / "whole", src, None, **options)
    chunked = _ingest(tmp_path / "chunked", src, 7, **options)
    assert chunked == whole
    a, b = _catalog_files(tmp_path / "whole"), _catalog_files(tmp_path / "chunked")
    assert sorted(a) == sorted(b)
    assert sum(1 for f in a if f.endswith(".parquet") and "margin" not in f) > 3
    assert [f for f in a if a[f] != b[f]] == []
    assert _registry(tmp_path / "whole", name) == _registry(tmp_path / "chunked", name)
    return whole


def test_parquet_in_chunks_gives_the_same_catalog(tmp_path, excerpt):
    lines = _same_catalog(tmp_path, _parquet(tmp_path, excerpt), "flare")
    assert "key: '2RXS_ID' (chosen" in lines[1]  # the unique id chosen over all chunks


def test_parquet_without_key_gets_input_row_numbers(tmp_path, excerpt):
    table = excerpt.drop_columns(["2RXS_ID"])
    lines = _same_catalog(tmp_path, _parquet(tmp_path, table), "flare")
    assert "'row_id', the input row number" in lines[1]
    files = sorted((tmp_path / "chunked" / "catalogs").glob("*/dataset/Norder=*/*/*/*.parquet"))
    got = [v for f in files for v in pq.read_table(f).column("row_id").to_pylist()]
    assert sorted(got) == list(range(1, ROWS + 1))


def test_spilled_runs_give_the_same_catalog_and_are_removed(tmp_path, excerpt, monkeypatch):
    monkeypatch.setattr(stream, "MEMORY_BUDGET", 10_000)  # every run goes to disk
    spill = tmp_path / "spill"
    _same_catalog(tmp_path, _parquet(tmp_path, excerpt), "flare", spill_dir=spill)
    assert list(spill.iterdir()) == []


def test_fits_in_chunks_gives_the_same_catalog(tmp_path, excerpt):
    from astropy.table import Table

    t = Table(excerpt.to_pydict())
    t["XRay_FLUX"].unit = "erg / (s cm2)"
    src = tmp_path / "flare.fits"
    t.write(src)
    _same_catalog(tmp_path, src, "flare")


def test_bad_value_in_a_late_chunk_refused_like_whole(tmp_path, excerpt, monkeypatch):
    flux = excerpt.column("XRay_FLUX").to_numpy().copy()
    flux[633] = -1.0
    table = excerpt.set_column(excerpt.column_names.index("XRay_FLUX"), "XRay_FLUX",
                               pa.array(flux)).set_column(
        excerpt.column_names.index("DEC_DEG"), "DEC_DEG", excerpt.column("DEC_DEG"))
    table = table.replace_schema_metadata(None)
    src = _parquet(tmp_path, table)
    field = pa.field("XRay_FLUX", pa.float64(), metadata={b"unit": b"erg/s/cm2"})
    pq.write_table(table.cast(table.schema.set(table.schema.get_field_index("XRay_FLUX"),
                                               field)), src, row_group_size=200)
    root = tmp_path / "store"
    run(root, "ingest", "table", "--name", "other",
        str(_parquet(tmp_path, excerpt.slice(0, 50), "other.parquet")))
    whole = fails(root, "ingest", "table", "--name", "flare", str(src))
    monkeypatch.setenv("XCAT_CHUNK_ROWS", "7")
    before = snapshot(root)
    chunked = fails(root, "ingest", "table", "--name", "flare", str(src))
    assert chunked == whole
    assert "row 634: -1.0 is negative" in chunked
    assert snapshot(root) == before


def test_repeated_key_across_chunks_refused_like_whole(tmp_path, excerpt):
    ids = excerpt.column("2RXS_ID").to_pylist()
    ids[600], ids[650] = ids[3], ids[40]  # two keys repeat, far from their first rows
    table = excerpt.set_column(excerpt.column_names.index("2RXS_ID"), "2RXS_ID",
                               pa.array(ids))
    src = _parquet(tmp_path, table)
    messages = []
    for chunk_rows in (None, 7):
        with pytest.raises(XcatError) as err:
            FileJob(kind="table", file=src, key="2RXS_ID",
                    chunk_rows=chunk_rows or 10**9).prepare()
        messages.append(str(err.value))
    assert messages[0] == messages[1]
    assert f"2RXS_ID={ids[3]!r} (rows [4, 601]); 2 key(s) repeat" in messages[0]


def test_partitions_from_counts_agree_with_choose_partitions():
    rng = np.random.default_rng(13)
    for n, spread, max_rows in ((5000, 1 << 60, 50), (20000, 1 << 44, 700), (300, 3, 1)):
        h = np.sort(rng.integers(0, min(spread, 12 << 58), n)).astype(np.int64)
        runs = stream.SortedRuns.of(pa.table({"_healpix_29": h}))
        assert runs.partitions(max_rows) == choose_partitions(h, max_rows)


def test_csv_in_chunks_gives_the_same_catalog(tmp_path, excerpt, monkeypatch):
    """The excerpt as CSV: the typed chunks of :mod:`xcat.io.csv_chunks` (scanned and
    read 5 rows at a time) give the catalog of the whole read, byte for byte."""
    import pyarrow.csv as pacsv

    from xcat.io import csv_chunks

    monkeypatch.setattr(csv_chunks, "BLOCK_ROWS", 5)
    src = tmp_path / "flare.csv"
    pacsv.write_csv(excerpt, src)
    lines = _same_catalog(tmp_path, src, "flare")
    assert "key: '2RXS_ID' (chosen" in lines[1]
