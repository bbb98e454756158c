"""Shared fixtures: the real catalog excerpts in ../shared/data and fresh stores.

The excerpts are read in place (never copied into the repo). When ../shared/data is
absent a test that needs it is skipped with the reason, except under CI=true, where
a missing excerpt is a failure.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import xcat
from xcat.remote.cluster import client_for

SHARED_DATA = Path(os.environ.get("XCAT_SHARED_DATA",
                                  Path(__file__).resolve().parents[2] / "shared" / "data"))


def shared_file(relpath: str) -> Path:
    """Path of a real excerpt under ../shared/data, or skip/fail when it is absent."""
    path = SHARED_DATA / relpath
    if not path.exists():
        msg = f"real excerpt {relpath} not found under {SHARED_DATA}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg + " (CI=true: shared data must be present)")
        pytest.skip(msg)
    return path


@pytest.fixture
def store(tmp_path):
    """A new, empty store in a temporary directory."""
    s = xcat.Store.open(tmp_path / "store", create=True)
    yield s
    s.close()


@pytest.fixture
def m101_vot() -> Path:
    """CSCview export of the M101 field: 3492 rows = 555 master sources x stacks (CSC 2.0)."""
    return shared_file("csc_m101_xrbid/cscresults_M101.vot")


@pytest.fixture
def m101_frame() -> Path:
    """pandas CSV twin of the M101 VOTable (leading index column, True/False booleans)."""
    return shared_file("csc_m101_xrbid/cscresults_M101.frame")


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """Tests never touch the network: any socket connect to a non-local host fails."""
    import socket

    real = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and host not in ("127.0.0.1", "localhost", "::1") \
                and not host.startswith("/"):
            raise OSError(f"test tried to reach the network: {address}")
        return real(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


M101_CENTRE = (210.802368, 54.349023)


@pytest.fixture(scope="session")
def m101_csc_dir(tmp_path_factory) -> Path:
    """A store holding the M101 CSCview export (555 sources), built once per worker.

    Tests never change it: they work on copies (``cli_helpers.copied_store``).
    """
    root = tmp_path_factory.mktemp("m101_csc") / "store"
    with xcat.Store.open(root, create=True) as s:
        s.ingest_csc(shared_file("csc_m101_xrbid/cscresults_M101.vot"))
    return root


@pytest.fixture(scope="session")
def m101_host_dir(tmp_path_factory, m101_csc_dir) -> Path:
    """The M101 store plus the host M101 at 6.4 Mpc within 15 arcmin (built once)."""
    import shutil

    from xcat.science.hosts import add_host

    root = tmp_path_factory.mktemp("m101_host") / "store"
    shutil.copytree(m101_csc_dir, root)
    with xcat.Store.open(root) as s:
        add_host(s, "M101", ra=M101_CENTRE[0], dec=M101_CENTRE[1], distance="6.4Mpc",
                 radius="15arcmin")
    return root


@pytest.fixture(scope="session")
def dask_client():
    """One local Dask cluster per test process, started as ``--engine dask`` starts one
    (:func:`xcat.remote.cluster.client_for`: 2 worker processes on 127.0.0.1, one thread
    each). Tests that use it are marked ``slow``.
    """
    pytest.importorskip("distributed")
    with client_for(None, 2) as client:
        yield client
