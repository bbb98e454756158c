"""Repeated cone searches without a session per call (``Database.remembered``): the
registry row is reused while the store's file is unchanged, and never once it changed.

Data: the real M101 CSC excerpt (``m101_frame``, per-observation rows) ingested as a
plain table, then replaced by its first half, by this handle, by another handle and by
another process.
"""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import xcat
from xcat.errors import XcatError
from xcat.store.db import Database

CENTRE = (210.80, 54.35, "10arcmin")


@pytest.fixture
def halves(tmp_path, m101_frame):
    frame = pd.read_csv(m101_frame, index_col=0)
    whole = pa.Table.from_pandas(frame[["name", "ra", "dec", "flux_aper_b"]],
                                 preserve_index=False)
    pq.write_table(whole, tmp_path / "whole.parquet")
    pq.write_table(whole.slice(0, whole.num_rows // 2), tmp_path / "half.parquet")
    return tmp_path / "whole.parquet", tmp_path / "half.parquet", whole.num_rows


@pytest.fixture
def sessions(monkeypatch):
    """Count the sessions opened (each attaches the store's file)."""
    count = {"n": 0}
    enter = Database._enter

    def counted(self, **kw):
        count["n"] += 1
        return enter(self, **kw)

    monkeypatch.setattr(Database, "_enter", counted)
    return count


def test_repeated_cones_open_no_session(tmp_path, halves, sessions):
    whole, _, _ = halves
    with xcat.Store.open(tmp_path / "s", create=True) as store:
        store.ingest_table(whole, name="m101", ra="ra", dec="dec")
        first = store.cone("m101", *CENTRE, output="arrow")
        n = sessions["n"]
        for _ in range(5):
            again = store.cone("m101", *CENTRE, output="arrow")
            assert again.equals(first)
        assert sessions["n"] == n, "a repeated cone opened a session"
        assert again.schema.field("ra").metadata  # units still attached (remembered too)


def test_a_replaced_catalog_is_seen_at_once(tmp_path, halves, sessions):
    whole, half, _ = halves
    root = tmp_path / "s"
    with xcat.Store.open(root, create=True) as a, xcat.Store.open(root) as b:
        a.ingest_table(whole, name="m101", ra="ra", dec="dec")
        before = a.cone("m101", *CENTRE).shape[0]
        # another handle replaces the catalog: the next cone reads the registry again
        b.ingest_table(half, name="m101", ra="ra", dec="dec", replace=True)
        n = sessions["n"]
        after = a.cone("m101", *CENTRE).shape[0]
        assert sessions["n"] == n + 1
        assert 0 < after < before
        # this handle writes: seen too
        a.ingest_table(whole, name="m101", ra="ra", dec="dec", replace=True)
        assert a.cone("m101", *CENTRE).shape[0] == before


def test_another_process_replacing_the_catalog(tmp_path, halves):
    whole, half, _ = halves
    root = tmp_path / "s"
    with xcat.Store.open(root, create=True) as store:
        store.ingest_table(whole, name="m101", ra="ra", dec="dec")
        before = store.cone("m101", *CENTRE).shape[0]
        subprocess.run([sys.executable, "-m", "xcat", "--store", str(root), "ingest", "table",
                        str(half), "--name", "m101", "--ra", "ra", "--dec", "dec", "--replace"],
                       check=True, capture_output=True)
        after = store.cone("m101", *CENTRE).shape[0]
        assert 0 < after < before


def test_a_closed_handle_refuses(tmp_path, halves):
    whole, _, _ = halves
    store = xcat.Store.open(tmp_path / "s", create=True)
    store.ingest_table(whole, name="m101", ra="ra", dec="dec")
    store.cone("m101", *CENTRE)
    store.close()
    with pytest.raises(XcatError, match="closed"):
        store.cone("m101", *CENTRE)
