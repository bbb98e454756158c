"""The one runner of every ingest job: check → build beside → install + registry in one
transaction → views refreshed.

:func:`run` asks the job to prepare (read and check its input, no store touched), and
only then opens (creating if needed) the store and installs. Catalogs are written as
HATS directories beside the live ones and swapped in with the registry change in one
transaction (:func:`install`); bad input raises ``XcatError`` before anything in the
store changes.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

from xcat.catalog import external, margin
from xcat.catalog import hats as hats_writer
from xcat.catalog.build import CatalogBuild
from xcat.errors import XcatError
from xcat.jobs import log
from xcat.jobs.base import Install, Job, Provenance
from xcat.store import layout, registry, upkeep
from xcat.store.db import Database
from xcat.store.faults import crash_point, uninterrupted
from xcat.store.migrations import schema_version
from xcat.store.sql import transaction
from xcat.store.views import drop_catalog_views
from xcat.store.views import refresh as refresh_views
from xcat.version import __version__

#: Catalogs of one input: the builds (main catalog first) and where they came from.
Batch = tuple[list[CatalogBuild], Provenance]


def run(store: Database | str | Path | None, job: Job, *, replace: bool = False,
        progress: bool = False, dry_run: bool = False,
        wait: float | None = None) -> list[str]:
    """Run ``job`` into ``store`` (an open store, or a path: opened, created if needed).

    The job is prepared first, so a bad input, a network failure or a service error
    never creates or touches a store. ``dry_run`` returns what a service job would
    send instead (no network, no store). ``wait`` is how long to wait for a busy store
    opened by path. Returns a line per catalog touched.

    Examples
    --------
    >>> from xcat.jobs.file import FileJob
    >>> run("xcat-store", FileJob(kind="csc", file=Path("cscresults_M101.vot")))
    ... # doctest: +SKIP
    ['csc: loaded 555 rows (1 partitions) from cscresults_M101.vot', ...]

    """
    if dry_run:
        return job.describe()
    ready = job.prepare()
    if isinstance(store, Database):
        return ready.install(store, replace=replace, progress=progress)
    with Database.open(store, create=ready.create_store, wait=wait) as db:
        return ready.install(db, replace=replace, progress=progress)


@dataclass
class CatalogInstall(Install):
    """Checked catalogs to install: one batch per input (most jobs have one)."""

    batches: list[Batch]
    max_rows: int = hats_writer.MAX_PARTITION_ROWS
    margin_arcsec: float | None = None

    def install(self, store: Database, *, replace: bool = False,
                progress: bool = False) -> list[str]:
        """Install every batch (all names checked first when there are several)."""
        if len(self.batches) > 1:
            for builds, prov in self.batches:
                check_names(store, builds, prov, replace=replace)
        lines: list[str] = []
        for builds, prov in self.batches:
            lines += install(store, builds, prov, replace=replace, progress=progress,
                             max_rows=self.max_rows, margin_arcsec=self.margin_arcsec)
        return lines + self.finish(store)

    def finish(self, store: Database) -> list[str]:
        """What a job records after its catalogs are in (e.g. a cross-match run)."""
        return []


def install(store: Database, builds: list[CatalogBuild], prov: Provenance, *,
            replace: bool = False, progress: bool = False,
            max_rows: int = hats_writer.MAX_PARTITION_ROWS,
            margin_arcsec: float | None = None) -> list[str]:
    """Write ``builds`` beside the live catalogs, then make them live in one COMMIT.

    Identical input (same SHA-256 and options, files on disk as registered) is a no-op;
    changed input from the same source replaces the catalog; a name held by another
    source is an error unless ``replace``. Catalogs previously derived from the replaced
    one (e.g. its ``_detections``) and absent from the new input are removed in the same
    step.

    The new catalogs are written as new versions (``catalogs/<name>-<token>``) while the
    store is not locked; the write lock is taken only for the registry change, whose
    COMMIT is the switch: a crash before it leaves the old state (the new folders are
    leftovers the next write removes), a crash after it the new one.
    """
    with store.reading():
        if not replace and _unchanged(store, builds, prov):
            return [f"{b.name}: unchanged (same input, SHA-256 {prov.sha256[:12]}...)"
                    for b in builds]
        check_names(store, builds, prov, replace=replace)
    token = uuid.uuid4().hex[:10]
    staged: dict[str, tuple[Path, list[tuple[int, int]], CatalogBuild]] = {}
    with upkeep.StagingLock(store.path, token):
        try:
            for b in builds:
                out = layout.staging_dir(store.path, b.name, token)
                staged[b.name] = (out, _write(b, out, prov, progress, max_rows,
                                              margin_arcsec), b)
            log.debug("staged %s beside the live catalogs; swapping in", ", ".join(staged))
            with store.writing():
                # the store may have changed while we wrote: check again under the lock
                if not replace and _unchanged(store, builds, prov):
                    return [f"{b.name}: unchanged (same input, SHA-256 "
                            f"{prov.sha256[:12]}...)" for b in builds]
                check_names(store, builds, prov, replace=replace)
                current = {b.name: _registry_row(store, b.name) for b in builds}
                orphans = [c for c in registry.children(store.con, builds[0].name)
                           if c not in current]
                _swap(store, staged, orphans, prov, token)
        finally:  # also the folder of a build stopped half-way (not in staged yet)
            for b in builds:
                out = layout.staging_dir(store.path, b.name, token)
                if out.exists():
                    shutil.rmtree(out, ignore_errors=True)
    lines = []
    for b in builds:
        verb = "replaced" if current[b.name] else "loaded"
        lines.append(f"{b.name}: {verb} {b.num_rows} rows "
                     f"({len(staged[b.name][1])} partitions) from {_source_label(prov.source)}")
        lines.extend(f"  note: {n}" for n in b.notes)
    lines.extend(f"{o}: removed (not in the new input)" for o in orphans)
    return lines


def _unchanged(store: Database, builds: list[CatalogBuild], prov: Provenance) -> bool:
    """Same input as the live catalogs, whose files are all on disk (a store restored
    from a backup or damaged by hand is re-ingested, not trusted).
    """
    rows = [_registry_row(store, b.name) for b in builds]
    main = rows[0]
    return bool(main and main["sha256"] == prov.sha256 and main["source_detail"] == prov.detail
                and all(rows) and all(_files_present(store, r) for r in rows if r))


def _files_present(store: Database, row: dict) -> bool:
    folder = store.path / row["path"]
    return (folder / layout.PROPERTIES_FILE).is_file() and \
        sum(1 for _ in folder.glob("dataset/Norder=*/Dir=*/Npix=*/*.parquet")) == \
        row["n_partitions"]


def check_names(store: Database, builds: list[CatalogBuild], prov: Provenance, *,
                replace: bool = False) -> None:
    """Raise if a catalog name in ``builds`` is held by a catalog from another source.

    Lets a job that installs several inputs check them all before changing anything.
    """
    main = builds[0].name
    current = {b.name: _registry_row(store, b.name) for b in builds}
    for b in builds:
        row = current[b.name]
        if row is None or replace:
            continue
        owner = row["parent"] or row["name"]
        owner_row = current.get(owner) or _registry_row(store, owner)
        if owner != main or (owner_row and owner_row["source"] != prov.source):
            raise XcatError(f"catalog name '{b.name}' is taken (loaded from "
                            f"{(owner_row or row)['source']}); choose another --name "
                            "or pass --replace")


def _source_label(source: str) -> str:
    """A file's name, or a service URL as it is."""
    return source if "://" in source else Path(source).name


def _registry_row(store: Database, name: str) -> dict | None:
    return registry.get_catalog(store.con, name)


def _write(b: CatalogBuild, out: Path, prov: Provenance, progress: bool,
           max_rows: int, margin_arcsec: float | None = None) -> list[tuple[int, int]]:
    """Write ``b`` as a HATS catalog at ``out`` (one partition in memory at a time when
    its rows were streamed), then its margin catalog from the written partitions; a
    registered HATS catalog writes its own version folder (:mod:`xcat.catalog.external`).
    """
    if isinstance(b, external.ExternalBuild):
        return b.write_into(out, prov.sha256)
    if b.rows is None:  # a table in memory: sorted here, one run
        rows = hats_writer.sort_by_healpix(b.schema_with_metadata(), b.ra, b.dec)
        b.table, schema = rows, rows.schema
    else:
        rows, schema = b.rows, b.with_metadata(b.rows.output_schema())
    errors = [c for c, m in b.meta.items() if m and m.unit == "arcsec"
              and ("err" in c.lower() or "stat.error" in (m.ucd or ""))]
    bar = None
    if progress and sys.stderr.isatty() and b.num_rows > 200_000:
        from tqdm import tqdm

        bar = tqdm(total=b.num_rows, unit="rows", unit_scale=True, desc=f"writing {b.name}",
                   leave=False)
    try:
        written = hats_writer.write_catalog(
            rows, out, name=b.name, ra=b.ra, dec=b.dec, max_rows=max_rows,
            progress=bar.update if bar else None, schema=schema, max_of=tuple(errors),
            extra_properties={"xcat_kind": b.kind, "xcat_source_sha256": prov.sha256})
    finally:
        if bar:
            bar.close()
        if b.rows is not None:
            b.rows.drop()
    if b.rows is not None:
        b.table = written.schema.empty_table()
    threshold = margin_arcsec if margin_arcsec is not None else \
        min(margin.default_threshold(written.largest, errors), margin.MAX_DEFAULT_THRESHOLD)
    margin.build_margin(out, threshold, name=b.name)
    return written.parts


def _swap(store: Database, staged: dict, orphans: list[str], prov: Provenance,
          token: str) -> None:
    """Move staged folders to their version names and change the registry in one
    transaction (the write lock is held); remove the superseded versions after COMMIT.
    """
    superseded = [row["path"] for name in [*staged, *orphans]
                  if (row := _registry_row(store, name))]
    crash_point("staged")
    renamed = []
    committed = False
    try:
        for name, (out, _, _) in staged.items():
            renamed.append(layout.version_dir(store.path, name, token))
            out.rename(renamed[-1])
            crash_point("renamed")
        with uninterrupted():  # a Ctrl-C in the COMMIT is raised once it is known
            _commit(store, staged, orphans, prov, token)
            committed = True
    except BaseException:
        if not committed:  # not live: the registry still names the old versions
            for folder in renamed:
                shutil.rmtree(folder, ignore_errors=True)
        raise
    upkeep.remove_versions(store.path, superseded)


def _commit(store: Database, staged: dict, orphans: list[str], prov: Provenance,
            token: str) -> None:
    """The registry change that makes the new versions live, in one transaction."""
    con = store.con
    with transaction(con):
        for name in [*staged, *orphans]:
            registry.forget_catalog(con, name)
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        version = schema_version(con)
        for name, (_, parts, b) in staged.items():
            registry.insert_catalog(con, {
                "name": name, "kind": b.kind, "n_rows": b.num_rows,
                "source": prov.source,
                "source_detail": prov.detail if not b.parent else f"{prov.detail} "
                f"[detections of {b.parent}]", "sha256": prov.sha256, "created": now,
                "xcat_version": __version__, "schema_version": version, "ra_column": b.ra,
                "dec_column": b.dec, "key_columns": b.key, "parent": b.parent,
                "n_partitions": len(parts),
                "path": str(layout.version_dir(Path(), name, token)),
                "margin_arcsec": margin.read_threshold(
                    layout.version_dir(store.path, name, token))})
            for i, f in enumerate(b.table.schema):
                m = b.meta.get(f.name)
                registry.insert_column(
                    con, catalog=name, position=i, name=f.name, type=str(f.type),
                    unit=m.unit if m else None, ucd=m.ucd if m else None,
                    description=m.description if m else _auto_description(f.name),
                    source_column=m.source_column if m else None,
                    source_unit=m.source_unit if m else None)
        for name in orphans:
            drop_catalog_views(con, name)
        refresh_views(con, store.path, upkeep.db_paths(store.db_file))


def _auto_description(name: str) -> str | None:
    if name == layout.HEALPIX_COLUMN:
        return "HEALPix nested pixel index at order 29 (HATS convention)"
    return None
