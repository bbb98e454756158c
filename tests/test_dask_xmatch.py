"""``xmatch --engine dask`` (issue 14): the same units, run as Dask tasks on a local
cluster of 2 worker processes, give the same pairs and scores as the thread pool in every
mode, on catalogs in many tiny partitions of 40 rows (edges, margins and orphans everywhere), with
X-ray catalogs on either side (read through SQL: their units travel with the tasks), and
a failed cluster records nothing.

Slow: the cluster's worker processes take seconds to start (one cluster per test process,
the ``dask_client`` fixture in conftest.py).
"""

from __future__ import annotations

import shutil

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cli_helpers import fails, snapshot
from conftest import shared_file
from test_xmatch_partitions import skies

import xcat
from xcat.errors import XcatError
from xcat.remote.cluster import check_paths

pytestmark = pytest.mark.slow

MODES = [
    {"radius": "3arcsec", "density": False},
    {"radius": "5arcsec", "density": "annulus"},
    {"sigma": 3, "left_err": "e", "right_err": "e", "density": False},
    {"sigma": 2, "left_err": "e", "right_err": "e", "lr": True, "density": "annulus"},
    {"radius_column": "r", "nearest": True, "density": False},
    {"radius": "4arcsec", "best": True, "density": "0.001/arcsec2"},
]
SCORES = ("sep_arcsec", "norm_sep", "pa_deg", "match_radius_arcsec", "rho_arcsec2",
          "p_chance", "lr", "probability", "p_any")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """Left and right in partitions of at most 40 rows, 90-arcsec margins."""
    base = tmp_path_factory.mktemp("dask")
    ra1, dec1, ra2, dec2 = skies(21, n=1000)
    rng = np.random.default_rng(22)
    root = base / "store"
    with xcat.Store.open(root, create=True) as s:
        for name, ra, dec in (("l", ra1, dec1), ("r", ra2, dec2)):
            t = pa.table({"id": np.arange(len(ra)), "ra": ra, "dec": dec,
                          "e": rng.uniform(0.2, 1.5, len(ra)),
                          "r": rng.uniform(0.5, 3.0, len(ra))})
            pq.write_table(t, base / f"{name}.parquet")
            s.ingest_table(base / f"{name}.parquet", name=name, key="id", max_rows=40,
                           margin="90arcsec")
    return root


def same(local: pa.Table, dask: pa.Table) -> None:
    """Identical pair sets and scores (the rows in the same stored order)."""
    assert local.num_rows > 50
    assert local.schema.names == dask.schema.names
    for c in local.schema.names:
        a, b = local.column(c), dask.column(c)
        if c in SCORES:
            np.testing.assert_allclose(a.to_numpy(zero_copy_only=False).astype(float),
                                       b.to_numpy(zero_copy_only=False).astype(float),
                                       rtol=1e-12, atol=0, equal_nan=True, err_msg=c)
        else:
            assert a.equals(b), c


@pytest.mark.parametrize("mode", MODES, ids=lambda m: " ".join(f"{k}={v}" for k, v in m.items()))
def test_every_mode_gives_the_same_pairs_on_the_cluster(tiny, dask_client, mode):
    with xcat.Store.open(tiny) as s:
        local = s.xmatch("l", "r", record=False, **mode).pairs
        dask = s.xmatch("l", "r", record=False, engine="dask", client=dask_client,
                        **mode).pairs
    same(local, dask)


def test_a_run_on_the_cluster_is_an_ordinary_run(tiny, dask_client):
    with xcat.Store.open(tiny) as s:
        res = s.xmatch("l", "r", radius="3arcsec", density=False, name="on_dask",
                       engine="dask", client=dask_client)
        stored = s.sql("SELECT count(*) AS n FROM xmatch_pairs JOIN xmatch_runs "
                       "USING (run_id) WHERE name = 'on_dask'")
    assert int(stored["n"][0]) == res.pairs.num_rows > 50
    # the workers' candidate files are gone with their staging folder
    assert not [p.name for p in (tiny / "runs").iterdir() if p.name.startswith(".staging")]


def test_xray_catalogs_on_either_side(tmp_path, m101_csc_dir, dask_client):
    """CSC (read through xray_sources, error ellipses) against HST positions, and HST
    against CSC: the right side then has no files of its own."""
    root = tmp_path / "store"
    shutil.copytree(m101_csc_dir, root)
    with xcat.Store.open(root) as s:
        s.ingest_table(shared_file("csc_m101_xrbid/M101_daoclean_f555w_acs_fk5.reg"),
                       name="hst", key="region_id", max_rows=500)
        for left, right, kw in (
                ("csc", "hst", {"sigma": 2, "ellipse": True, "right_err": "0arcsec",
                                "density": "annulus"}),
                ("hst", "csc", {"radius": "2arcsec", "best": True, "density": False})):
            local = s.xmatch(left, right, record=False, **kw).pairs
            dask = s.xmatch(left, right, record=False, engine="dask", client=dask_client,
                            **kw).pairs
            same(local, dask)


def test_a_worker_that_dies_records_nothing(tiny, monkeypatch):
    """A task kills its worker (crash point ``dask_unit``): the match ends with one error
    and the store is unchanged."""
    distributed = pytest.importorskip("distributed")
    import dask

    before = snapshot(tiny)
    monkeypatch.setenv("XCAT_CRASH_AT", "dask_unit")  # inherited by the worker processes
    # no retry: the first death of a worker fails its task (the default retries 3 times)
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), \
            distributed.LocalCluster(n_workers=1, threads_per_worker=1, host="127.0.0.1",
                                     dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as client, xcat.Store.open(tiny) as s, \
            pytest.raises(XcatError, match="a Dask worker died while matching"):
        s.xmatch("l", "r", radius="3arcsec", density=False, name="killed", engine="dask",
                 client=client)
    assert snapshot(tiny) == before


def test_a_worker_that_cannot_see_the_store_is_named(tmp_path, dask_client):
    with pytest.raises(XcatError, match=r"cannot see .*nowhere: the store must be on "
                                        r"storage every worker shares"):
        check_paths(dask_client, [tmp_path / "nowhere"])


def test_an_unreachable_scheduler_is_one_line(tiny, monkeypatch):
    from xcat.remote import cluster

    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 1)
    port = _free_port()
    err = fails(tiny, "xmatch", "l", "r", "--radius", "3arcsec", "--engine", "dask",
                "--scheduler", f"tcp://127.0.0.1:{port}")
    assert f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}" in err


def test_engine_options_are_checked_before_a_cluster_starts(tiny):
    err = fails(tiny, "xmatch", "l", "r", "--radius", "3arcsec", "--workers", "2")
    assert "--scheduler and --workers go with --engine dask" in err
    err = fails(tiny, "xmatch", "l", "r", "--radius", "3arcsec", "--engine", "spark")
    assert "'spark'" in err


def test_the_cli_runs_on_a_local_cluster(tiny):
    from cli_helpers import run

    out = run(tiny, "xmatch", "l", "r", "--radius", "3arcsec", "--no-density",
              "--engine", "dask", "--workers", "1", "--name", "cli_dask", "--format", "csv")
    with xcat.Store.open(tiny, read_only=True) as s:
        n = int(s.sql("SELECT count(*) AS n FROM xmatch_pairs JOIN xmatch_runs "
                      "USING (run_id) WHERE name = 'cli_dask'")["n"][0])
        local = s.xmatch("l", "r", radius="3arcsec", density=False, record=False)
    assert n == local.pairs.num_rows
    lines = [line for line in out.splitlines() if not line.startswith("xcat: ")]
    assert lines[0].startswith("left_key,right_key,sep_arcsec") and len(lines) == n + 1


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
