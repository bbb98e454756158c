"""Keeping a store sound between operations: where its views point (a copied or moved
store), leftovers of interrupted ingests, and superseded catalog versions.

Catalog folders are versions (``catalogs/<name>-<token>``, see
:func:`xcat.store.layout.version_dir`); the registry row names the live one. Anything
else under ``catalogs/`` is a leftover: a superseded version, a version written by an
ingest killed before its COMMIT, a staging folder of a dead ingest, or a ``.trash-``
folder of an older xcat. Write sessions remove them (and say so on stderr); staging
folders of an ingest still running are recognised by the lock it holds and kept.
Cross-match runs are folders too (``runs/<name>-<token>/pairs-NNN.parquet``, named by
``xmatch_runs.pairs_path``): a run folder no run names (superseded, or written by a run
killed before its COMMIT) is a leftover in the same way.

Each live version holds its margin cache in ``margin/`` (threshold recorded as
``catalogs.margin_arcsec``). A margin rebuild writes ``.margin-<token>`` beside it, and
under the write lock moves the live one to ``.margin-old-<token>``, the new one to
``margin/``, and commits the threshold. Killed half-way, the next write session puts the
margin the registry records back in place (:func:`settle_margins`); the ``.margin-*``
folders left over, and a ``margin/`` the registry does not record, are leftovers.

The views name Parquet files by absolute path and check which DuckDB file they belong
to (:func:`xcat.store.sqlbuild.parquet_view`). When xcat opens a store whose
``store_info.root`` is another path (it was copied or moved), a write session re-points
the views; a read-only handle reads through temporary views over its own files instead.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from pathlib import Path
from typing import Any

import duckdb

from xcat.store import layout, log, migrations, registry, sqlbuild, views, xray_views
from xcat.store.connection import lock_busy
from xcat.store.faults import crash_point

#: A catalog version's margin cache folder (a HATS margin catalog).
MARGIN_DIR = "margin"
#: Folders of a margin rebuild inside a version: ``.margin-<token>`` (the new margin being
#: built) and ``.margin-old-<token>`` (the live one moved aside during the switch).
MARGIN_PREFIX = ".margin-"
MARGIN_OLD_PREFIX = ".margin-old-"

#: Temporary views this connection created for a moved, read-only store.
_TEMP: dict[int, list[str]] = {}


def db_paths(db_file: Path) -> tuple[str, ...]:
    """The DuckDB file's path as opened, then resolved (symlinks), without repeats."""
    as_opened = str(db_file)
    return tuple(dict.fromkeys((as_opened, os.path.realpath(as_opened))))


def recorded_root(con: duckdb.DuckDBPyConnection) -> str | None:
    """The DuckDB file the views were built for (None before migration 014)."""
    return _recorded("root", con)


def moved(con: duckdb.DuckDBPyConnection, db_file: Path) -> bool:
    """Whether the views were built for the DuckDB file at another path: the store was
    copied or moved, or is opened through another symbolic link (DuckDB names the file
    by the path it was opened with, which the views' guard compares).
    """
    return recorded_root(con) != db_paths(db_file)[0]


def needs(con: duckdb.DuckDBPyConnection, root: Path, db_file: Path, *,
          writable: bool) -> set[str]:
    """What an open must fix: pending ``migrations``, a moved ``root``, ``strays``."""
    if "catalogs" not in registry.table_names(con):  # creation interrupted: finish it
        return {"migrations"}
    todo = set()
    if {v for v, _, _ in migrations.available()} - set(migrations.applied(con)):
        todo.add("migrations")
    if moved(con, db_file) or _recorded("storage_version", con) != _storage_tag(con):
        todo.add("root")
    if writable and strays(con, root):
        todo.add("strays")
    return todo


def record_root(con: duckdb.DuckDBPyConnection, db_file: Path) -> None:
    """Record where the views point and the file's DuckDB storage format."""
    for key, value in (("root", db_paths(db_file)[0]), ("storage_version", _storage_tag(con))):
        con.execute("INSERT OR REPLACE INTO store_info (key, value) VALUES ($k, $v)",
                    {"k": key, "v": value})


def _storage_tag(con: duckdb.DuckDBPyConnection) -> str:
    """DuckDB's tag of the file's storage format (``v1.0.0+`` for the v1.1.0 format)."""
    tags = con.execute("SELECT tags FROM duckdb_databases() "
                       "WHERE database_name = current_database()").fetchall()
    return (tags[0][0] or {}).get("storage_version", "unknown") if tags else "unknown"


def _recorded(key: str, con: duckdb.DuckDBPyConnection) -> str | None:
    try:
        rows = con.execute("SELECT value FROM store_info WHERE key = $k", {"k": key}).fetchall()
    except duckdb.CatalogException:  # a store from before migration 014
        return None
    return rows[0][0] if rows else None


def session(con: duckdb.DuckDBPyConnection, root: Path, db_file: Path, *,
            write: bool) -> None:
    """Start of every session: re-point a moved store (write) or shadow its views with
    temporary ones (read), and remove leftovers (write).
    """
    elsewhere = moved(con, db_file)
    if elsewhere and recorded_root(con) is None and "catalogs" not in registry.table_names(con):
        return  # a store whose creation was interrupted: nothing registered yet
    if write:
        remove_strays(con, root)
        if elsewhere and "store_info" in registry.table_names(con):
            views.ensure(con, root, db_paths(db_file))
            record_root(con, db_file)
            log.info("the store is at a new path, %s: its views now read the files here",
                     root)
    elif elsewhere:
        _temp_views(con, root, db_file)


def end_session(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the temporary views of a moved read-only store and any open transaction."""
    for name in _TEMP.pop(id(con), []):
        con.execute(f"DROP VIEW IF EXISTS temp.main.{sqlbuild.quote(name)}")
    with contextlib.suppress(duckdb.Error):  # no transaction open: the usual case
        con.execute("ROLLBACK")


def _temp_views(con: duckdb.DuckDBPyConnection, root: Path, db_file: Path) -> None:
    made = []
    temp = ("CREATE OR REPLACE VIEW", "CREATE OR REPLACE TEMP VIEW")
    for row in registry.catalog_rows(con):
        internal = xray_views.hats_view(row["name"])
        glob = layout.catalog_glob(root / row["path"])
        body = sqlbuild.parquet_view(internal, glob, db_paths(db_file)).replace(*temp, 1)
        con.execute(body)
        made.append(internal)
    pairs = views.pairs_view_sql(con, root, db_paths(db_file))
    if pairs is not None:
        con.execute(pairs.replace(*temp, 1))
        made.append(views.PAIRS_VIEW)
    _TEMP[id(con)] = made
    log.debug("read-only store at a new path: %d catalogs read through temporary views",
              len(made))


def live_folders(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Names of the folders under ``catalogs/`` that the registry points at."""
    return {Path(r["path"]).name for r in registry.catalog_rows(con)}


def live_run_folders(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Names of the folders under ``runs/`` that recorded runs point at."""
    if views.PAIRS_LEGACY not in registry.table_names(con):  # before migration 015
        return set()
    rows = con.execute("SELECT pairs_path FROM xmatch_runs "
                       "WHERE pairs_path IS NOT NULL").fetchall()
    return {Path(r[0]).name for r in rows}


def strays(con: duckdb.DuckDBPyConnection, root: Path) -> list[Path]:
    """Folders and files under ``catalogs/`` and ``runs/`` that no catalog or run uses and
    no running ingest or run recording is writing, then the leftovers of margin rebuilds
    inside live versions (:func:`margin_strays`).
    """
    out = []
    for folder, live in ((root / layout.CATALOGS_DIR, live_folders),
                         (layout.runs_dir(root), live_run_folders)):
        if not folder.is_dir():
            continue
        names = live(con)
        for entry in sorted(folder.iterdir()):
            if entry.name in names:
                continue
            if entry.name.startswith(layout.STAGING_PREFIX) and _ingest_running(entry):
                continue
            out.append(entry)
    return out + margin_strays(con, root)


def margin_records(con: duckdb.DuckDBPyConnection, root: Path) -> list[tuple[str, Path, Any]]:
    """``(name, live version folder, recorded margin threshold)`` of every catalog (none
    before migration 016, which added the threshold).
    """
    try:
        rows = con.execute("SELECT name, path, margin_arcsec FROM catalogs "
                           "ORDER BY name").fetchall()
    except duckdb.Error:  # catalogs.margin_arcsec not there yet
        return []
    return [(name, root / path, threshold) for name, path, threshold in rows]


def margin_threshold(folder: Path) -> float | None:
    """``hats_margin_threshold`` (arcsec) of the margin catalog at ``folder``; None when
    it has no readable ``hats.properties`` or no threshold in it.
    """
    try:
        text = (folder / layout.PROPERTIES_FILE).read_text()
    except OSError:
        return None
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "hats_margin_threshold":
            try:
                return float(value)
            except ValueError:
                return None
    return None


def same_threshold(a: float | None, b: float | None) -> bool:
    """Two margin thresholds (arcsec, None: no margin) are the same."""
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b))


def margin_strays(con: duckdb.DuckDBPyConnection, root: Path) -> list[Path]:
    """Leftovers of margin rebuilds in live versions: ``.margin-*`` folders no running
    rebuild holds, and a ``margin/`` the registry records no threshold for (switched in
    by a rebuild killed before its COMMIT).
    """
    out = []
    for _, folder, threshold in margin_records(con, root):
        if not folder.is_dir():
            continue
        building = False
        for entry in sorted(folder.glob(f"{MARGIN_PREFIX}*")):
            if _lock_held(layout.staging_lock(root, entry.name.rsplit("-", 1)[-1])):
                building = True
            else:
                out.append(entry)
        live = folder / MARGIN_DIR
        if threshold is None and live.is_dir() and not building:
            out.append(live)
    return out


def settle_margins(con: duckdb.DuckDBPyConnection, root: Path) -> int:
    """Put back the margin the registry records where a killed rebuild left another one
    (or none) live: the ``.margin-old-*`` folder with the recorded threshold takes the
    live name again (call with the write lock held). Returns how many were put back.
    """
    restored = 0
    for name, folder, threshold in margin_records(con, root):
        live = folder / MARGIN_DIR
        if threshold is None or same_threshold(margin_threshold(live), threshold):
            continue
        for old in sorted(folder.glob(f"{MARGIN_OLD_PREFIX}*")):
            if same_threshold(margin_threshold(old), threshold):
                if live.exists():
                    shutil.rmtree(live)
                old.rename(live)
                log.info("put back the margin cache of %s (%g arcsec): a margin rebuild "
                         "was interrupted", name, threshold)
                restored += 1
                break
    return restored


def remove_strays(con: duckdb.DuckDBPyConnection, root: Path) -> int:
    """Put back margins a killed rebuild moved (:func:`settle_margins`), then remove
    :func:`strays` (call with the write lock held); say so on stderr.
    """
    settle_margins(con, root)
    found = strays(con, root)
    for entry in found:
        what = describe(entry)
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        log.info("removed %s (%s)", entry.relative_to(root).as_posix(), what)
    return len(found)


def remove_versions(root: Path, folders: list[str]) -> None:
    """Remove catalog versions or run folders (paths relative to ``root``) the registry no
    longer names (after the COMMIT that superseded them, with the write lock still held:
    no reader is between its registry read and its file reads).
    """
    for name in folders:
        path = root / name
        if path.exists():
            crash_point("removing")
            shutil.rmtree(path, ignore_errors=True)


def describe(entry: Path) -> str:
    """What a leftover is, for the note that removes it (and verify's report)."""
    if entry.name.startswith(MARGIN_OLD_PREFIX):
        return "the margin cache a margin rebuild replaced"
    if entry.name.startswith(MARGIN_PREFIX):
        return "left by an interrupted margin rebuild"
    if entry.name == MARGIN_DIR:
        return "a margin cache the registry does not record, from an interrupted rebuild"
    if entry.parent.name == layout.RUNS_DIR:
        if entry.name.startswith(layout.STAGING_PREFIX):
            return "left by an interrupted cross-match run"
        return "a run folder no cross-match run uses: superseded, or from an interrupted run"
    if entry.name.startswith(layout.STAGING_PREFIX) and entry.name.endswith(".lock"):
        return "the lock of an interrupted ingest, run recording or margin rebuild"
    if entry.name.startswith(layout.STAGING_PREFIX):
        return "left by an interrupted ingest"
    if entry.name.startswith(layout.TRASH_PREFIX):
        return "a replaced catalog an older xcat did not remove"
    return "a catalog version no catalog uses: superseded, or from an interrupted ingest"


def _ingest_running(entry: Path) -> bool:
    """Whether the ingest that wrote this staging entry still holds its lock."""
    if entry.name.endswith(".lock"):  # .staging-<token>.lock
        token = entry.name.removeprefix(layout.STAGING_PREFIX).removesuffix(".lock")
    else:  # .staging-<name>-<token>
        token = entry.name.rsplit("-", 1)[-1]
    return _lock_held(layout.staging_lock(entry.parent.parent, token))


def _lock_held(lock: Path) -> bool:
    """Whether a process (this one included) holds the staging lock file ``lock``."""
    return lock_busy(lock, exclusive=True, open_flags=os.O_RDWR)


class StagingLock:
    """Held by an ingest (or a run being recorded) while it writes staging folders: a
    live ingest's folders are never mistaken for leftovers.
    """

    def __init__(self, root: Path, token: str):
        self.path = layout.staging_lock(root, token)
        self.fd: int | None = None

    def __enter__(self) -> StagingLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.path.unlink(missing_ok=True)
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
