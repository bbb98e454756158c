"""The dask extra (lsdb, hats-import, distributed) is optional: pyproject.toml declares it
as ``xcat[dask]``, not in the base dependencies. Without it, each command that needs it
is one ``xcat: error:`` line naming the extra, never a traceback, and the store is left as
it was. The packages are hidden here by ``sys.modules[name] = None`` (import then raises
ImportError, as in a base install)."""

from __future__ import annotations

import sys

import pytest
from cli_helpers import fails, run, snapshot
from conftest import shared_file

import xcat
from xcat.errors import XcatError

HIDE = ("lsdb", "hats_import", "hats_import.catalog", "hats_import.catalog.arguments",
        "hats_import.pipeline", "distributed", "dask.distributed")


@pytest.fixture
def no_dask_extra(monkeypatch):
    for name in HIDE:
        monkeypatch.setitem(sys.modules, name, None)


@pytest.fixture
def root(tmp_path):
    root = tmp_path / "store"
    run(root, "ingest", "csc", str(shared_file("csc_m101_xrbid/cscresults_M101.vot")))
    return root


def test_xmatch_engine_dask_without_the_extra(root, no_dask_extra):
    before = snapshot(root)
    msg = fails(root, "xmatch", "csc", "csc", "--radius", "1arcsec", "--engine", "dask")
    assert "pip install 'xcat[dask]'" in msg
    assert snapshot(root) == before


def test_ingest_engine_dask_without_the_extra(root, no_dask_extra):
    before = snapshot(root)
    csv = shared_file("carmenes_cifuentes2020/cif20.Mother.v01.csv")
    msg = fails(root, "ingest", "table", str(csv), "--name", "t", "--ra", "RA_J2015",
                "--dec", "DE_J2015", "--engine", "dask")
    assert "pip install 'xcat[dask]'" in msg
    assert snapshot(root) == before


def test_store_lsdb_without_the_extra(root, no_dask_extra):
    with xcat.Store.open(root, read_only=True) as s, \
            pytest.raises(XcatError, match=r"pip install 'xcat\[dask\]'"):
        s.lsdb("csc")
