"""Issue 13, runs of any size: a cross-match run's pairs are Parquet files under
``runs/<name>-<token>/`` (sorted by left_key, rank, right_key), registered with the run
in one COMMIT and read in SQL through the view ``xmatch_pairs``.

Data: the M101 CSCview excerpt (555 sources, ``m101_csc_dir``) matched with itself for
real runs; seeded synthetic pairs with every pair column for the large run and the sort
(CSC- and Gaia-like key strings; the sort is checked against pyarrow's own three-key
sort, an independent oracle). A store of the previous layout (pairs in a DuckDB table)
is made by undoing migration 015 by hand on a new store and inserting pairs the way
xcat did before.
"""

from __future__ import annotations

import re
import shutil
import uuid

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from cli_helpers import fails, run
from click.testing import CliRunner

import xcat
from xcat.catalog.run_order import sort_pairs
from xcat.catalog.runs import (
    PAIR_COLUMNS,
    XmatchRun,
    full_pairs,
    list_runs,
    rank_pairs,
    record_run,
    run_pairs,
    write_pairs,
)
from xcat.cli import cli
from xcat.errors import XcatError
from xcat.store import layout, upkeep
from xcat.store.verify import run_audits

ORACLE_KEYS = [("left_key", "ascending", "at_end"), ("rank", "ascending", "at_end"),
               ("right_key", "ascending", "at_end")]


def oracle_sort(t: pa.Table) -> pa.Table:
    return t.take(pc.sort_indices(t, ORACLE_KEYS))


def synthetic(n: int, seed: int = 13, *, shuffled: bool = False) -> pa.Table:
    """``n`` pairs with every column: 1-4 candidates per left source, grouped and ranked,
    the sources in random (sky-like) order; or all pairs shuffled."""
    rng = np.random.default_rng(seed)
    counts = rng.integers(1, 5, n)
    counts = counts[:np.searchsorted(np.cumsum(counts), n) + 1]
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    left = np.repeat(rng.permutation(len(counts)), counts)[:n]
    rank = (np.arange(n) - np.repeat(starts, counts)[:n] + 1).astype(np.int32)
    t = full_pairs(pa.table({
        "left_key": pa.array([f"2CXO J{k:07d}+54" for k in left]),
        "right_key": pa.array([f"Gaia DR3 {v}" for v in rng.integers(10**17, 10**18, n)]),
        "sep_arcsec": (rank - 1 + rng.random(n)) * 0.7, "rank": rank,
        "n_candidates": np.repeat(counts, counts)[:n].astype(np.int32),
        "norm_sep": rng.random(n), "pa_deg": rng.random(n) * 360,
        "match_radius_arcsec": np.full(n, 3.0), "p_chance": rng.random(n),
        "mutual_best": rng.random(n) > 0.5, "n_exp": rng.random(n)}))
    return t.take(rng.permutation(n)) if shuffled else t


def run_of(name: str, pairs: pa.Table, radius: float = 3.0) -> XmatchRun:
    return XmatchRun(name, "csc", "csc", "radius_all", pairs, {"radius_arcsec": radius})


def run_folders(root) -> list[str]:
    d = layout.runs_dir(root)
    return sorted(p.name for p in d.iterdir()) if d.exists() else []


@pytest.fixture
def root(m101_csc_dir, tmp_path):
    dst = tmp_path / "store"
    shutil.copytree(m101_csc_dir, dst)
    return dst


# ---------------------------------------------------------------------- the sort
@pytest.mark.parametrize("seed", range(60))
def test_sort_matches_pyarrow_three_key_sort(seed):
    """Grouped and ranked (the engine's order), shuffled, tied ranks, NULL ranks."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 60))
    rank = rng.integers(1, 4, n).astype(np.int32)
    t = full_pairs(pa.table({
        "left_key": [f"k{v}" for v in rng.integers(0, 8, n)],
        "right_key": [f"r{v}" for v in rng.integers(0, 5, n)],
        "sep_arcsec": rng.random(n),
        "rank": pa.array(rank, mask=rng.random(n) < 0.2 if seed % 3 == 0 else None)}))
    if seed % 2:  # whole groups, in a random group order
        t = oracle_sort(t)
        keys = t.column("left_key").to_pylist()
        where = {k: i for i, k in enumerate(rng.permutation(sorted(set(keys))))}
        t = t.take(np.argsort([where[k] for k in keys], kind="stable"))
    assert sort_pairs(t).equals(oracle_sort(t))


def test_sort_of_ranked_pairs_and_of_a_shuffled_run():
    for shuffled in (False, True):
        t = synthetic(30_000, seed=3, shuffled=shuffled)
        assert sort_pairs(t).equals(oracle_sort(t))
    ranked = rank_pairs(["b", "a", "b", "a"], ["x", "y", "z", "w"],
                        np.array([2.0, 1.0, 1.0, 0.5]))
    assert sort_pairs(ranked).column("right_key").to_pylist() == ["w", "y", "z", "x"]


@pytest.mark.parametrize("seed", range(4))
def test_integer_keys_sort_as_their_text(seed):
    """Keys that are decimal integers take the numeric path; the order must equal the
    text sort (negatives, 1 to 19 digits, a prefix before its extensions), and keys that
    only look like integers (leading zeros, "-0", beyond int64) the text path.
    """
    rng = np.random.default_rng(seed)
    digits = [int(d) for d in rng.integers(1, 20, 3000)]
    v = [int(rng.integers(10 ** (d - 1) if d > 1 else 0, min(10**d, 2**63 - 1)))
         for d in digits]
    v = [-x if rng.random() < 0.3 else x for x in v] + [0, 1, 10, 100, 9, -1, -10, 2**63 - 1,
                                                        -(2**63)]
    if seed == 3:
        v = [*v[:50], "007", "-0", str(2**63), "12a"]
    # distinct keys and ranks, so that no tie sends the sort to the whole-table path
    keys = list(dict.fromkeys(str(x) for x in v))
    n = len(keys)
    t = full_pairs(pa.table({"left_key": keys, "right_key": [f"r{i % 7}" for i in range(n)],
                             "sep_arcsec": rng.random(n),
                             "rank": pa.array(np.ones(n, np.int32))}))
    for order in (rng.permutation(n), np.arange(n)):
        shuffled = t.take(order)
        assert sort_pairs(shuffled).equals(oracle_sort(shuffled))


def test_write_pairs_in_parts_keeps_the_order(tmp_path):
    t = synthetic(450_000, seed=5)
    assert write_pairs(t, tmp_path / "two", threads=2) == 2
    assert write_pairs(t, tmp_path / "one", threads=1) == 1
    for folder in ("one", "two"):
        files = layout.pairs_files(tmp_path / folder)
        back = pa.concat_tables(pq.read_table(f) for f in files)
        assert back.equals(oracle_sort(t)), folder
        assert back.schema == pa.schema(PAIR_COLUMNS)
        assert all(pq.read_metadata(f).row_group(0).column(0).compression == "SNAPPY"
                   for f in files)


# ---------------------------------------------------------------------- recording
def test_large_run_recorded_and_read_back(root):
    """500k pairs: one Parquet file per core, read back whole through run_pairs and SQL."""
    pairs = synthetic(500_000, shuffled=True)
    with xcat.Store.open(root) as store:
        run_id = record_run(store, run_of("big", pairs))
        back = run_pairs(store, "big")
        want = oracle_sort(pairs)
        assert back.num_rows == 500_000
        for col in ("left_key", "right_key", "rank", "sep_arcsec", "n_exp", "mutual_best"):
            assert back.column(col).equals(want.column(col)), col
        got = store.sql("SELECT count(*) AS n, count(DISTINCT left_key) AS nl, "
                        "sum(sep_arcsec) AS s, min(run_id) AS r0, max(run_id) AS r1 "
                        "FROM xmatch_pairs").iloc[0]
        assert (got.n, got.nl, got.r0, got.r1) == (
            500_000, len(set(pairs.column("left_key").to_pylist())), run_id, run_id)
        assert got.s == pytest.approx(pc.sum(pairs.column("sep_arcsec")).as_py())
        path = store.sql("SELECT pairs_path FROM xmatch_runs")["pairs_path"][0]
        assert list_runs(store).column("n_pairs").to_pylist() == [500_000]
    files = layout.pairs_files(root / path)
    assert path.startswith("runs/big-") and len(files) >= 1
    assert sum(pq.read_metadata(f).num_rows for f in files) == 500_000
    assert not (root / layout.DB_FILE).stat().st_size > 20 * 2**20  # pairs are not in DuckDB


def test_real_run_replaced_removes_the_old_folder(root):
    with xcat.Store.open(root) as store:
        first = store.xmatch("csc", "csc", radius="20arcsec", name="self")
        [old] = run_folders(root)
        assert run_pairs(store, "self").num_rows == first.pairs.num_rows > 555
        second = store.xmatch("csc", "csc", radius="2arcsec", name="self")
        [new] = run_folders(root)
        assert new != old and second.run_id != first.run_id
        back = run_pairs(store, "self")
        assert back.num_rows == second.pairs.num_rows < first.pairs.num_rows
        assert store.sql("SELECT DISTINCT run_id FROM xmatch_pairs")["run_id"].tolist() == \
            [second.run_id]
        best = store.sql("SELECT count(*) AS n FROM best_counterparts WHERE run = 'self'")
        assert best["n"][0] == 555  # every source is its own nearest counterpart
    assert "0 failed" in run(root, "verify")
    csv = run(root, "xmatch-pairs", "self", "--format", "csv")
    assert len(csv.strip().splitlines()) == second.pairs.num_rows + 1


def test_empty_run_and_no_runs_give_typed_views(store):
    types = "SELECT column_name, column_type FROM (DESCRIBE xmatch_pairs)"
    before = store.sql(types)
    assert list(before["column_name"]) == ["run_id", *PAIR_COLUMNS]
    assert store.sql("SELECT count(*) AS n FROM xmatch_pairs")["n"][0] == 0
    record_run(store, run_of("nothing", rank_pairs([], [], np.array([]))))
    assert store.sql(types).equals(before)
    assert run_pairs(store, "nothing").num_rows == 0
    assert store.sql("SELECT count(*) AS n FROM xmatch_pairs")["n"][0] == 0


def test_a_failed_recording_leaves_nothing(root):
    pairs = synthetic(1000)
    with xcat.Store.open(root) as store:
        record_run(store, run_of("kept", pairs))
    folders = run_folders(root)
    with xcat.Store.open(root, read_only=True) as store, \
            pytest.raises(XcatError, match="read-only"):
        record_run(store, run_of("kept", pairs.slice(0, 10)))
    assert run_folders(root) == folders
    with xcat.Store.open(root) as store:
        assert run_pairs(store, "kept").num_rows == 1000


# ---------------------------------------------------------------------- leftovers
def test_leftover_run_folders_are_removed_by_the_next_write(root):
    with xcat.Store.open(root) as store:
        record_run(store, run_of("live", synthetic(100)))
    [live] = run_folders(root)
    dead = layout.run_dir(root, "killed", "0123456789")     # renamed, never committed
    write_pairs(synthetic(10), dead)
    staged = layout.run_staging_dir(root, "killed", "9876543210")  # its writer is gone
    write_pairs(synthetic(10), staged)
    token = uuid.uuid4().hex[:10]
    busy = layout.run_staging_dir(root, "busy", token)     # a recording in progress
    with upkeep.StagingLock(root, token):
        write_pairs(synthetic(10), busy)
        r = CliRunner().invoke(cli, ["--store", str(root), "catalogs"])
        assert r.exit_code == 0, r.output
        removed = sorted(re.findall(r"^xcat: removed runs/(\S+) \(", r.stderr, re.M))
        assert removed == sorted([dead.name, staged.name])
        assert run_folders(root) == sorted([live, busy.name])
    r = CliRunner().invoke(cli, ["--store", str(root), "catalogs"])
    assert re.findall(r"^xcat: removed runs/(\S+) \(", r.stderr, re.M) == [busy.name]
    assert run_folders(root) == [live]
    with xcat.Store.open(root) as store:
        assert run_pairs(store, "live").num_rows == 100
        assert all(r.ok for r in run_audits(store) if r.audit in (
            "no_stray_folders", "run_files_present", "xmatch_run_pair_count"))


# ---------------------------------------------------------------------- the store owns it
@pytest.mark.parametrize("query, owned", [
    ("DROP VIEW xmatch_pairs", "view xmatch_pairs"),
    ("CREATE OR REPLACE VIEW xmatch_pairs AS SELECT 1 AS run_id", "view xmatch_pairs"),
    ("DROP TABLE xmatch_pairs_legacy", "table xmatch_pairs_legacy"),
    ("INSERT INTO xmatch_pairs_legacy (run_id, left_key, right_key, sep_arcsec) "
     "VALUES (1, 'a', 'b', 0.5)", "table xmatch_pairs_legacy"),
])
def test_edits_of_the_pairs_are_refused(root, query, owned):
    with xcat.Store.open(root) as store:
        record_run(store, run_of("r", synthetic(50)))
    err = fails(root, "sql", "--write", query)
    assert "refused" in err and owned in err and "nothing was changed" in err
    assert "50" in run(root, "sql", "SELECT count(*) FROM xmatch_pairs")


def test_pairs_view_takes_no_rows(root):
    with xcat.Store.open(root) as store:
        record_run(store, run_of("r", synthetic(50)))
    err = fails(root, "sql", "--write", "DELETE FROM xmatch_pairs WHERE rank = 1")
    assert "SQL error" in err


# ---------------------------------------------------------------------- older stores
OLD_RUN = ("INSERT INTO xmatch_runs (name, left_catalog, right_catalog, method, parameters, "
           "created, xcat_version, n_pairs) VALUES ($n, 'csc', 'csc', 'radius_all', $p, "
           "now()::TIMESTAMP, '0.1.0', $k) RETURNING run_id")
OLD_PAIRS = ("INSERT INTO xmatch_pairs SELECT $r AS run_id, * FROM new_pairs")


def test_a_store_of_the_previous_layout_keeps_every_pair(root):
    """A store whose pairs are rows of the table xmatch_pairs (migration 015 not applied):
    the migration keeps them (xmatch_pairs_legacy), the view reads them beside new runs,
    verify passes, and replacing an old run removes its rows."""
    with xcat.Store.open(root) as store:
        wide = store.xmatch("csc", "csc", radius="20arcsec", record=False).pairs
        near = store.xmatch("csc", "csc", radius="2arcsec", record=False).pairs
    con = duckdb.connect(str(root / layout.DB_FILE))
    con.execute("DROP VIEW xmatch_pairs; ALTER TABLE xmatch_pairs_legacy RENAME TO "
                "xmatch_pairs; ALTER TABLE xmatch_runs DROP COLUMN pairs_path; "
                "DELETE FROM schema_migrations WHERE version = 15")
    for name, pairs in (("wide", wide), ("near", near)):
        run_id = con.execute(OLD_RUN, {"n": name, "p": '{"radius_arcsec": 20}',
                                       "k": pairs.num_rows}).fetchall()[0][0]
        con.register("new_pairs", full_pairs(pairs))
        con.execute(OLD_PAIRS, {"r": run_id})
        con.unregister("new_pairs")
    con.close()
    assert not layout.runs_dir(root).exists()
    with xcat.Store.open(root) as store:
        assert 15 in store.sql("SELECT version FROM schema_migrations")["version"].tolist()
        assert run_pairs(store, "wide").equals(
            oracle_sort(full_pairs(wide)).select(run_pairs(store, "wide").column_names))
        assert run_pairs(store, "near").num_rows == near.num_rows
        n_legacy = store.sql("SELECT count(*) AS n FROM xmatch_pairs_legacy")["n"][0]
        assert n_legacy == wide.num_rows + near.num_rows
        assert store.sql("SELECT count(*) AS n FROM best_counterparts")["n"][0] == 2 * 555
    assert "0 failed" in run(root, "verify")
    with xcat.Store.open(root) as store:
        store.xmatch("csc", "csc", radius="1arcsec", name="near")  # replaces an old run
        assert run_pairs(store, "wide").num_rows == wide.num_rows
        assert store.sql("SELECT count(*) AS n FROM xmatch_pairs_legacy")["n"][0] == \
            wide.num_rows
        assert store.sql("SELECT count(*) AS n FROM xmatch_pairs")["n"][0] == \
            wide.num_rows + run_pairs(store, "near").num_rows
    assert len(run_folders(root)) == 1
    assert "0 failed" in run(root, "verify")


# ---------------------------------------------------------------------- verify
def test_verify_catches_a_missing_or_short_pairs_file(root):
    with xcat.Store.open(root) as store:
        store.xmatch("csc", "csc", radius="20arcsec", name="self")
    [folder] = layout.runs_dir(root).iterdir()
    [file] = layout.pairs_files(folder)
    t = pq.read_table(file)
    pq.write_table(t.slice(0, t.num_rows - 1), file)   # tampering, by hand
    r = CliRunner().invoke(cli, ["--store", str(root), "verify"])
    assert r.exit_code == 1 and "run_files_present" in r.output, r.output
    file.unlink()
    r = CliRunner().invoke(cli, ["--store", str(root), "verify"])
    assert r.exit_code == 1 and "no pairs files" in r.output, r.output
