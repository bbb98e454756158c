"""Key checks of a streamed ingest in NumPy (:func:`xcat.catalog.stream_keys.ints_unique`)
against ``np.unique``, and the key a streamed ingest chooses when an integer column repeats
only across chunks.

Input: seeded integer columns made here (dense row-number-like values and sparse
Gaia-like ``source_id`` values, with and without one repeat), and the first 300 rows of
the real 2RXS flarestack excerpt (see tests/test_streaming_ingest.py) for the ingest.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import shared_file

from xcat.catalog import stream, stream_keys
from xcat.io.readers import read_table
from xcat.jobs.file import FileJob

EXCERPT = "2rxs_flarestack/LLAGN_2rxs2AllWiseSayfertness_no3LACbl_April2020_small.fits"


def runs_of(values: np.ndarray, pieces: int = 5) -> stream.SortedRuns:
    rng = np.random.default_rng(1)
    h = np.sort(rng.integers(0, 12 << 58, len(values)))
    runs = stream.SortedRuns()
    for part in np.array_split(np.arange(len(values)), pieces):
        runs.add(pa.table({"_healpix_29": h[part], "id": values[part]}))
    return runs


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("repeat", [False, True])
def test_ints_unique_agrees_with_numpy(sparse, repeat):
    rng = np.random.default_rng(7)
    v = (rng.choice(10**18, 5000, replace=False) if sparse else rng.permutation(5000) + 3)
    v = v.astype(np.int64)
    if repeat:
        v[4321] = v[17]  # in another run than its first appearance
    assert stream_keys.ints_unique(runs_of(v), "id") == (len(np.unique(v)) == len(v))


def test_ints_unique_leaves_text_and_large_inputs_to_duckdb(monkeypatch):
    runs = stream.SortedRuns()
    runs.add(pa.table({"_healpix_29": np.arange(3), "name": ["a", "b", "c"]}))
    assert stream_keys.ints_unique(runs, "name") is None
    monkeypatch.setattr(stream_keys, "NUMPY_ROWS", 2)
    assert stream_keys.ints_unique(runs_of(np.arange(10)), "id") is None


def test_a_column_repeating_across_chunks_is_not_chosen_as_key(tmp_path):
    t = read_table(shared_file(EXCERPT)).table.slice(0, 300)
    ids = t.column("2RXS_ID").to_numpy().copy()
    ids[250] = ids[2]  # a repeat 248 rows (many chunks) away
    t = t.set_column(t.column_names.index("2RXS_ID"), "2RXS_ID", pa.array(ids))
    src = tmp_path / "t.parquet"
    pq.write_table(t, src, row_group_size=50)
    keys = []
    for chunk_rows in (None, 7):
        install = FileJob(kind="table", file=src, chunk_rows=chunk_rows or 10**9).prepare()
        builds, _ = install.batches[0]
        keys.append(builds[0].key)
    assert keys[0] == keys[1]
    assert "2RXS_ID" not in keys[0]
