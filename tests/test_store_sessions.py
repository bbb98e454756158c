"""Issue 12, in one process: sessions, read-only handles, SQL that writes, store-owned
objects, leftovers of interrupted ingests, versions on disk and busy-store messages.
(Real concurrent processes: tests/test_shared_store.py; kills: tests/test_crash.py.)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import duckdb
import pytest
from cli_helpers import fails, run, snapshot
from click.testing import CliRunner
from conftest import shared_file

import xcat
from xcat.cli import cli
from xcat.errors import XcatError
from xcat.store import connection, layout

CSC = "csc_m101_xrbid/cscresults_M101.vot"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("sessions") / "store"
    run(root, "ingest", "csc", str(shared_file(CSC)))
    return root


@pytest.fixture
def root(built, tmp_path):
    dst = tmp_path / "store"
    shutil.copytree(built, dst)
    xcat.Store.open(dst).close()  # re-pointed to the copy's own files
    return dst


def test_idle_handle_holds_no_lock(root):
    store = xcat.Store.open(root)
    assert store.sql("SELECT count(*) AS n FROM csc")["n"].iloc[0] == 555
    # another process can open the file read-write while the handle is idle
    code = f"import duckdb; duckdb.connect({str(root / layout.DB_FILE)!r}).close(); print('ok')"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       check=False)
    assert r.stdout.strip() == "ok", r.stderr
    store.close()


def test_read_only_handle_refuses_writes(root):
    before = snapshot(root)
    with xcat.Store.open(root, read_only=True) as store:
        assert len(store.cone("csc", 210.80, 54.35, "2arcmin")) > 0
        with pytest.raises(XcatError, match="read-only"):
            store.set_astrometric_frame("csc", "0.5arcsec")
        with pytest.raises(XcatError, match="read-only"):
            store.sql("CREATE TABLE mine AS SELECT 1 AS x")
    assert snapshot(root) == before


def test_sql_reads_by_default_and_writes_with_write(root):
    err = fails(root, "sql", "CREATE TABLE mine AS SELECT 1 AS x")
    assert "add --write" in err
    run(root, "sql", "--write", "CREATE TABLE mine AS SELECT 42 AS x")
    assert "42" in run(root, "sql", "SELECT x FROM mine")
    # the Python API writes when the statement needs it (the handle is writable)
    with xcat.Store.open(root) as store:
        store.sql("INSERT INTO mine VALUES (7)")
        assert sorted(store.sql("SELECT x FROM mine")["x"]) == [7, 42]


@pytest.mark.parametrize("query, owned", [
    ("DROP VIEW csc", "view csc"),
    ("CREATE OR REPLACE VIEW xray_sources AS SELECT 1 AS x", "view xray_sources"),
    ("DELETE FROM catalogs", "table catalogs"),
    ("UPDATE catalog_columns SET unit = 'm' WHERE name = 'ra'", "table catalog_columns"),
    ("ALTER TABLE hosts ADD COLUMN mine INTEGER", "table hosts"),
    ("DROP MACRO ang_sep_deg", "macro ang_sep_deg"),
    ("CREATE TABLE mine AS SELECT 1 AS x; DROP VIEW stg_hats__csc", "view stg_hats__csc"),
])
def test_edits_of_store_owned_objects_are_refused(root, query, owned):
    err = fails(root, "sql", "--write", query)
    assert "refused" in err and owned in err and "nothing was changed" in err
    assert "555" in run(root, "sql", "SELECT count(*) FROM csc")


def test_a_prepared_edit_executed_later_is_refused(root):
    """Rows are hashed only for the owned tables a query names, so EXECUTE of a
    statement prepared in an earlier call must hash them all."""
    with xcat.Store.open(root) as store:
        store.sql("PREPARE wipe AS DELETE FROM catalog_columns")
        with pytest.raises(XcatError, match=r"refused.*table catalog_columns"):
            store.sql("EXECUTE wipe")
        assert store.sql("SELECT count(*) AS n FROM catalog_columns")["n"][0] > 0


def test_settings_tables_stay_editable(root):
    run(root, "sql", "--write", "UPDATE flag_rule_conditions SET threshold = 37.0 "
        "WHERE rule = 'snr_hr_lx' AND column_name = 'log_lx'")
    out = run(root, "sql", "SELECT threshold FROM flag_rule_conditions "
              "WHERE rule = 'snr_hr_lx' AND column_name = 'log_lx'", "--format", "csv")
    assert out.split() == ["threshold", "37.0"]


@pytest.mark.parametrize("query", ["ATTACH ':memory:' AS other", "DETACH xcat",
                                   "USE memory", "BEGIN TRANSACTION",
                                   "SELECT 1; DETACH xcat"])
def test_session_statements_are_refused(root, query):
    err = fails(root, "sql", "--write", query)
    assert "not run against the store" in err


def test_leftovers_are_removed_and_reported(root):
    cats = root / layout.CATALOGS_DIR
    (cats / ".staging-csc-deadbeef00" / "dataset").mkdir(parents=True)
    (cats / ".trash-csc-0123456789").mkdir()
    (cats / "csc-0000000000").mkdir()  # a version no registry row names
    r = run(root, "sql", "SELECT 1 AS one")  # opening a writable store cleans up
    assert not [p for p in cats.iterdir() if p.name.startswith(".") or
                p.name == "csc-0000000000"]
    del r
    (cats / "csc-1111111111").mkdir()
    with xcat.Store.open(root, read_only=True) as store:  # read-only: left, but reported
        from xcat.store.verify import run_audits

        bad = [r for r in run_audits(store) if not r.ok]
        assert [(b.audit, b.examples) for b in bad] == [
            ("no_stray_folders", ["catalogs/csc-1111111111"])]


def test_a_running_ingest_keeps_its_staging_folder(root):
    from xcat.store.upkeep import StagingLock, strays

    folder = layout.staging_dir(root, "csc", "abcdef0123")
    with StagingLock(root, "abcdef0123"):
        folder.mkdir(parents=True)
        with xcat.Store.open(root) as store, store.writing() as con:
            assert folder not in strays(con, root)
    with xcat.Store.open(root, read_only=True) as store, store.reading() as con:
        assert folder in strays(con, root)  # its ingest is gone: a leftover now


def test_replacing_writes_a_new_version_and_removes_the_old(root):
    with xcat.Store.open(root) as store:
        old = store.catalog_dir("csc")
    out = run(root, "ingest", "csc", str(shared_file(CSC)), "--replace")
    assert "csc: replaced 555 rows" in out
    with xcat.Store.open(root) as store:
        new = store.catalog_dir("csc")
        assert new != old and new.is_dir() and not old.exists()
        assert new.name.startswith("csc-")
    assert "0 failed" in run(root, "verify")


def test_damaged_files_are_reingested_not_trusted(root):
    """A store whose files no longer match its registry (restored by hand) is re-ingested
    by the same input instead of being reported unchanged."""
    with xcat.Store.open(root) as store:
        f = next(store.catalog_dir("csc").glob("dataset/Norder=*/Dir=*/Npix=*/*.parquet"))
    f.unlink()
    assert "FAIL" in run_fails_verify(root)
    out = run(root, "ingest", "csc", str(shared_file(CSC)))
    assert "csc: replaced 555 rows" in out
    assert "0 failed" in run(root, "verify")


def run_fails_verify(root):
    r = CliRunner().invoke(cli, ["--store", str(root), "verify"])
    assert r.exit_code == 1
    return r.output


def test_store_info_records_root_and_storage_format(root):
    with xcat.Store.open(root) as store:
        info = dict(store.sql("SELECT key, value FROM store_info").to_numpy())
    assert info["root"] == str(root / layout.DB_FILE)
    assert info["storage_version"].startswith("v1.")


def test_busy_store_waits_then_names_the_holder(root):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; "
         f"c = duckdb.connect({str(root / layout.DB_FILE)!r}); print('held', flush=True); "
         "time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        before = snapshot(root)
        t0 = time.monotonic()
        r = CliRunner().invoke(cli, ["--store", str(root), "--wait", "1.5", "sql", "SELECT 1"])
        waited = time.monotonic() - t0
        note, err = r.stderr.strip().splitlines()  # a note after 1 s, then the one error
        assert r.exit_code == 1 and snapshot(root) == before
        assert note.startswith("xcat: reading the store: the store is busy (held by PID")
        assert err.startswith("xcat: error: ") and f"PID {holder.pid}" in err, err
        assert "duckdb.connect" in err and "gave up after" in err and "--wait" in err
        assert waited >= 1.5
    finally:
        holder.kill()
        holder.wait()


def test_wait_from_the_environment(monkeypatch):
    monkeypatch.setenv(connection.WAIT_ENV, "2.5")
    assert connection.default_wait() == 2.5
    monkeypatch.setenv(connection.WAIT_ENV, "soon")
    with pytest.raises(XcatError, match="XCAT_WAIT"):
        connection.default_wait()
    monkeypatch.delenv(connection.WAIT_ENV)
    assert connection.default_wait() == connection.DEFAULT_WAIT


def test_holder_of_reads_the_command_line():
    msg = ('Could not set lock on file "x": Conflicting lock is held in /usr/bin/python3 '
           f"(PID {os.getpid()}). See also ...")
    assert "this process" in connection.holder_of(msg)
    assert connection.holder_of("something else") == "another connection"


def test_new_stores_are_readable_by_older_duckdb(tmp_path):
    with xcat.Store.open(tmp_path / "s", create=True):
        pass
    con = duckdb.connect(":memory:")
    con.execute(f"ATTACH '{tmp_path / 's' / layout.DB_FILE}' AS s (READ_ONLY)")
    tags = con.execute("SELECT tags FROM duckdb_databases() WHERE database_name = 's'"
                       ).fetchall()[0][0]
    assert tags["storage_version"] == "v1.0.0+"
