"""Issue 12: a store works after ``cp -r`` / ``mv`` to another path, from any working
directory, and a plain DuckDB session on a copied file never reads another store's
files. (Processes sharing one store: tests/test_shared_store.py.)

The module's store holds ``csc`` and ``tab``, whose rows carry ``ver``: version 0 has
555 rows, version 1 every other one (278), so data read from the wrong store shows.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from cli_helpers import run, snapshot
from conftest import M101_CENTRE

import xcat
from xcat.catalog.runs import run_pairs
from xcat.store import layout

CONE = (*M101_CENTRE, "2arcmin")
COUNTS = ("SELECT (SELECT count(*) FROM tab) AS n, (SELECT n_rows FROM catalogs "
          "WHERE name = 'tab') AS reg, (SELECT list(DISTINCT ver) FROM tab) AS ver")


def version_csv(rows: list[tuple[str, float, float]], k: int) -> str:
    keep = rows if k % 2 == 0 else rows[::2]
    return "name,ra,dec,ver\n" + "".join(f"{n},{r!r},{d!r},{k}\n" for n, r, d in keep)


@pytest.fixture(scope="module")
def built(tmp_path_factory, m101_csc_dir):
    """The M101 store with ``tab`` at version 0, the CSV of version 1, and the names of
    each version in :data:`CONE`."""
    base = tmp_path_factory.mktemp("relocation")
    root = base / "store"
    shutil.copytree(m101_csc_dir, root)
    with xcat.Store.open(root) as store:
        rows = [tuple(r) for r in store.sql(
            "SELECT name, ra, dec FROM csc ORDER BY name").itertuples(index=False)]
        (base / "v0.csv").write_text(version_csv(rows, 0))
        store.ingest_table(base / "v0.csv", name="tab", key="name")
        in_cone = {0: sorted(store.cone("tab", *CONE, columns=["name"])["name"])}
    in_cone[1] = [n for n, _, _ in rows[::2] if n in set(in_cone[0])]
    v1 = base / "v1.csv"
    v1.write_text(version_csv(rows, 1))
    return root, v1, in_cone


@pytest.fixture
def orig(built, tmp_path):
    """A store in use at its own path (copied from the module's, opened there once)."""
    dst = tmp_path / "orig" / "store"
    shutil.copytree(built[0], dst)
    xcat.Store.open(dst).close()
    return dst


def xcat_counts(root: Path, **kw) -> tuple[int, int, list[int], list[str]]:
    """Rows of ``tab``, its registry n_rows, its versions and its names in the cone."""
    with xcat.Store.open(root, **kw) as store:
        r = store.sql(COUNTS).iloc[0]
        near = sorted(store.cone("tab", *CONE, columns=["name"])["name"])
    return int(r.n), int(r.reg), sorted(int(v) for v in r.ver), near


def plain(db_file: Path, query: str) -> list[tuple]:
    """A plain DuckDB session (a SQL tool) on the store's file, read-only."""
    con = duckdb.connect(str(db_file), read_only=True)
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


def plain_refuses(db_file: Path, *, original_gone: bool = False) -> None:
    """A plain DuckDB session on a copied or moved file fails: with the guard's message
    while the original's files exist, else (their folders gone) on the missing files:
    DuckDB expands the views' globs before the guard runs."""
    why = "copied or moved" + ("|No files found that match" if original_gone else "")
    for query in ("SELECT count(*) FROM csc", "SELECT count(*) FROM tab"):
        with pytest.raises(duckdb.Error, match=why):
            plain(db_file, query)


def cp_r(src: Path, dst: Path) -> None:
    """``cp -r`` itself where there is one (else shutil.copytree)."""
    if shutil.which("cp"):
        subprocess.run(["cp", "-r", str(src), str(dst)], check=True)
    else:
        shutil.copytree(src, dst)


def test_copy_then_change_the_original(orig, tmp_path, built):
    _, v1, in_cone = built
    copy = tmp_path / "copy"
    cp_r(orig, copy)
    db = copy / layout.DB_FILE
    # never opened by xcat: a plain DuckDB session fails loudly, not with the original's rows
    plain_refuses(db)
    # the original changes: tab becomes version 1
    with xcat.Store.open(orig) as store:
        store.ingest_table(v1, name="tab", key="name", replace=True)
    assert xcat_counts(orig) == (278, 278, [1], in_cone[1])
    plain_refuses(db, original_gone=True)  # tab's version 0 folder is gone
    # xcat read-only on the copy: its own files, and nothing written
    before = snapshot(copy)
    assert xcat_counts(copy, read_only=True) == (555, 555, [0], in_cone[0])
    assert snapshot(copy) == before
    plain_refuses(db, original_gone=True)  # a read-only open does not re-point the views
    # a writable open re-points the views once; then plain DuckDB reads the copy's files
    assert xcat_counts(copy) == (555, 555, [0], in_cone[0])
    assert plain(db, COUNTS) == [(555, 555, [0])]
    assert plain(db, "SELECT count(*) FROM csc") == [(555,)]
    views = plain(db, "SELECT string_agg(sql, ' ') FROM duckdb_views() WHERE NOT internal")
    assert str(orig) not in views[0][0] and str(copy) in views[0][0]
    assert plain(orig / layout.DB_FILE, COUNTS) == [(278, 278, [1])]
    assert "0 failed" in run(copy, "verify")


def test_moved_store(orig, tmp_path, built):
    _, v1, in_cone = built
    moved = tmp_path / "elsewhere" / "moved"
    moved.parent.mkdir()
    orig.rename(moved)  # mv on one filesystem
    assert not orig.exists()
    # read-only first: the moved store's own files, through temporary views
    before = snapshot(moved)
    assert xcat_counts(moved, read_only=True) == (555, 555, [0], in_cone[0])
    assert snapshot(moved) == before
    plain_refuses(moved / layout.DB_FILE, original_gone=True)
    # writable: works, re-points, and can be written
    assert xcat_counts(moved) == (555, 555, [0], in_cone[0])
    assert plain(moved / layout.DB_FILE, COUNTS) == [(555, 555, [0])]
    with xcat.Store.open(moved) as store:
        store.ingest_table(v1, name="tab", key="name", replace=True)
        live = store.catalog_dir("tab")
    assert live.parent == moved / layout.CATALOGS_DIR
    assert xcat_counts(moved) == (278, 278, [1], in_cone[1])
    assert "0 failed" in run(moved, "verify")


def test_moved_across_filesystems_by_copy_and_delete(orig, tmp_path, built):
    """``mv`` to another filesystem is a copy and a delete: the original's files are gone."""
    moved = tmp_path / "moved"
    shutil.move(str(orig), str(moved))
    assert xcat_counts(moved) == (555, 555, [0], built[2][0])


def xcat_proc(cwd: Path, store: str, *args: str, env: dict | None = None) -> str:
    r = subprocess.run([sys.executable, "-m", "xcat", *(["--store", store] if store else []),
                        *args], capture_output=True, text=True, cwd=cwd, timeout=120,
                       env=env, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def test_from_another_working_directory(orig, tmp_path, built):
    """Relative --store / $XCAT_STORE / Store.open paths from another working directory,
    after the store was moved."""
    moved = tmp_path / "a" / "b" / "store"
    moved.parent.mkdir(parents=True)
    shutil.move(str(orig), str(moved))
    elsewhere = tmp_path / "c"
    elsewhere.mkdir()
    rel = os.path.relpath(moved, elsewhere)
    assert rel.startswith("..")
    out = xcat_proc(elsewhere, rel, "sql", COUNTS, "--format", "csv")
    assert out.splitlines()[1] == '555,555,[0]'
    out = xcat_proc(elsewhere, "", "catalogs", "--format", "csv",
                    env={**os.environ, "XCAT_STORE": rel})
    assert "tab,table,555," in out
    code = ("import xcat, sys; s = xcat.Store.open(sys.argv[1], read_only=True); "
            "print(len(s.sql('SELECT * FROM tab'))); s.close()")
    r = subprocess.run([sys.executable, "-c", code, rel], capture_output=True, text=True,
                       cwd=elsewhere, timeout=120, check=False)
    assert r.stdout.strip() == "555", r.stderr
    # and a write from there lands in the store, not in the working directory
    xcat_proc(elsewhere, rel, "classify", built[2][0][0], "--class", "AGN")
    assert sorted(p.name for p in elsewhere.iterdir()) == []
    assert plain(moved / layout.DB_FILE,
                 "SELECT count(*) FROM classification_events") == [(1,)]


def read_only_run(folder: Path, args: list[str]) -> subprocess.CompletedProcess:
    """Run ``args`` with ``folder`` on a read-only file system: a read-only bind mount in
    a mount namespace of its own when running as root, else write permission removed."""
    def go(cmd: list[str]) -> subprocess.CompletedProcess:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)

    if os.geteuid() != 0:
        paths = [folder, *folder.rglob("*")]
        for p in paths:
            p.chmod(p.stat().st_mode & ~0o222)
        try:
            return go(args)
        finally:
            for p in paths:
                p.chmod(p.stat().st_mode | 0o200)
    mount = ('mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" && '
             'touch "$0/probe" 2>/dev/null && exit 99; exec "$@"')
    r = go(["unshare", "-m", "sh", "-c", mount, str(folder), *args]) \
        if shutil.which("unshare") else None
    if r is None or r.returncode == 99 or "mount" in r.stderr or "unshare" in r.stderr:
        pytest.skip("cannot make a read-only file system here (root without mount "
                    f"namespaces): {r and r.stderr.strip()}")
    return r


READ_ONLY_CHECK = """
import sys, xcat
with xcat.Store.open(sys.argv[1], read_only=True) as s:
    r = s.sql("SELECT (SELECT count(*) FROM tab) AS n, (SELECT n_rows FROM catalogs "
              "WHERE name = 'tab') AS reg, (SELECT list(DISTINCT ver) FROM tab) AS ver").iloc[0]
    print(int(r.n), int(r.reg), [int(v) for v in r.ver], len(s.cone("tab", %r, %r, %r)))
"""


@pytest.fixture
def on_media(orig, tmp_path):
    """The store moved to a folder that is then made read-only (a DVD, a share)."""
    media = tmp_path / "media"
    media.mkdir()
    moved = media / "store"
    shutil.move(str(orig), str(moved))
    return media, moved


def test_read_only_handle_on_a_read_only_file_system(on_media, built):
    """A moved store on read-only media, opened ``read_only=True``: its own files."""
    media, moved = on_media
    before = snapshot(moved)
    r = read_only_run(media, [sys.executable, "-c", READ_ONLY_CHECK % CONE, str(moved)])
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["555", "555", "[0]", str(len(built[2][0]))]
    assert snapshot(moved) == before


def test_cli_reads_a_moved_store_on_read_only_media(on_media):
    media, moved = on_media
    r = read_only_run(media, [sys.executable, "-m", "xcat", "--store", str(moved), "sql",
                              "SELECT count(*) AS n FROM tab", "--format", "csv"])
    assert r.returncode == 0 and r.stdout.split() == ["n", "555"], r.stderr


def test_plain_session_with_the_original_attached_too(orig, tmp_path):
    """A SQL tool with the copy open and the original attached as well still must not
    read the original's files through the copy's views."""
    copy = tmp_path / "copy"
    cp_r(orig, copy)
    con = duckdb.connect(str(copy / layout.DB_FILE), read_only=True)
    try:
        con.execute(f"ATTACH '{orig / layout.DB_FILE}' AS original (READ_ONLY)")
        with pytest.raises(duckdb.Error, match="copied or moved"):
            con.execute("SELECT count(*) FROM csc").fetchall()
    finally:
        con.close()


def test_run_pairs_of_a_copied_then_moved_store(orig, tmp_path):
    """Issue 13: a run's pairs are Parquet files under runs/, read through the view
    ``xmatch_pairs``, which is guarded and re-pointed like the catalog views."""
    with xcat.Store.open(orig) as store:
        n20 = store.xmatch("csc", "tab", radius="20arcsec", name="r").pairs.num_rows
    copy = tmp_path / "copy"
    cp_r(orig, copy)
    count = "SELECT count(*) FROM xmatch_pairs"
    best = "SELECT count(*) AS n FROM best_counterparts"
    with pytest.raises(duckdb.Error, match="copied or moved"):
        plain(copy / layout.DB_FILE, count)
    with xcat.Store.open(orig) as store:  # the original's run is replaced: its folder goes
        n2 = store.xmatch("csc", "tab", radius="2arcsec", name="r").pairs.num_rows
    assert 555 <= n2 < n20
    with pytest.raises(duckdb.Error, match=r"copied or moved|No files found"):
        plain(copy / layout.DB_FILE, count)
    before = snapshot(copy)
    with xcat.Store.open(copy, read_only=True) as store:  # its own files, nothing written
        assert run_pairs(store, "r").num_rows == n20
        assert store.sql(best)["n"][0] == 555
    assert snapshot(copy) == before
    moved = tmp_path / "elsewhere"
    copy.rename(moved)
    with xcat.Store.open(moved) as store:  # a writable open re-points the pairs view
        assert run_pairs(store, "r").num_rows == n20
    assert plain(moved / layout.DB_FILE, count) == [(n20,)]
    assert plain(orig / layout.DB_FILE, count) == [(n2,)]
    assert "0 failed" in run(moved, "verify")
