"""Ingest jobs: read → prepare → write staging HATS dirs → swap in atomically with the
registry change. Bad input raises ``XcatError`` before anything in the store changes.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

from xcat.catalog import hats as hats_writer
from xcat.catalog.build import CatalogBuild
from xcat.catalog.cone import invalidate
from xcat.catalog.prepare import prepare
from xcat.errors import XcatError
from xcat.io.readers import from_astropy, read_table
from xcat.io.table import InputTable, sha256_of
from xcat.store import layout, registry
from xcat.store.db import Database
from xcat.store.kinds import load_definition
from xcat.store.migrations import schema_version
from xcat.store.sql import transaction
from xcat.store.views import drop_catalog_views
from xcat.store.views import refresh as refresh_views
from xcat.version import __version__


@dataclass(frozen=True)
class Provenance:
    """Where a catalog came from: a file (absolute path) or a service URL, and how."""

    source: str
    detail: str
    sha256: str


def prepare_file(file: Path, *, kind: str, name: str, ra: str | None = None,
                 dec: str | None = None, key: str | None = None, mapping: str | None = None,
                 pos_err: tuple[str, ...] = (), fmt: str | None = None
                 ) -> tuple[list[CatalogBuild], Provenance]:
    """Read and check ``file`` without touching any store."""
    definition = load_definition(kind)
    file = file.absolute()
    inp = read_table(file, fmt)
    opts = {"kind": kind, "ra": ra, "dec": dec, "key": key, "map": mapping,
            "pos_err": list(pos_err) or None, "format": fmt}
    detail = json.dumps({k: v for k, v in opts.items() if v}, sort_keys=True)
    prov = Provenance(str(file), detail, sha256_of(file))
    builds = prepare(inp, definition, name=name, ra=ra, dec=dec, key=key, mapping=mapping,
                     pos_err=pos_err)
    return builds, prov


def prepare_table(table, *, source: str, detail: str, sha256: str, kind: str, name: str,
                  ra: str | None = None, dec: str | None = None, key: str | None = None,
                  mapping: str | None = None, pos_err: tuple[str, ...] = ()
                  ) -> tuple[list[CatalogBuild], Provenance]:
    """Check an in-memory astropy Table (e.g. a TAP result) without touching any store.

    ``source`` is where it came from (a service URL), ``detail`` how (the ADQL sent),
    and ``sha256`` the hash of the bytes received.
    """
    inp: InputTable = from_astropy(table, source, "service")
    if inp.table.num_rows == 0:
        raise XcatError(f"{source}: the service returned no rows")
    builds = prepare(inp, load_definition(kind), name=name, ra=ra, dec=dec, key=key,
                     mapping=mapping, pos_err=pos_err)
    return builds, Provenance(source, detail, sha256)


def install_into(store_path: str | Path | None, builds: list[CatalogBuild], prov: Provenance,
                 *, replace: bool = False, progress: bool = False) -> list[str]:
    """Open (creating if needed) the store at ``store_path`` and install checked builds."""
    with Database.open(store_path, create=True) as store:
        return install(store, builds, prov, replace=replace, progress=progress)


def ingest_file(store: Database, file: Path, *, replace: bool = False, progress: bool = False,
                max_rows: int = hats_writer.MAX_PARTITION_ROWS, **options) -> list[str]:
    """Ingest one file into an open store; return a line per catalog touched.

    ``options`` are those of :func:`prepare_file` (kind, name, ra, dec, key, mapping,
    pos_err, fmt). ``max_rows`` is the most rows a HATS partition may hold
    (hats-import's ``pixel_threshold``).
    """
    builds, prov = prepare_file(file, **options)
    return install(store, builds, prov, replace=replace, progress=progress, max_rows=max_rows)


def ingest_path(store_path: str | Path | None, file: Path, *, replace: bool = False,
                progress: bool = False, **options) -> list[str]:
    """Check ``file`` first, then open (creating if needed) the store and install it.

    A bad input therefore never creates or touches a store.

    Examples
    --------
    >>> ingest_path("xcat-store", Path("cscresults_M101.vot"), kind="csc", name="csc")
    ... # doctest: +SKIP

    """
    builds, prov = prepare_file(file, **options)
    return install_into(store_path, builds, prov, replace=replace, progress=progress)


def install(store: Database, builds: list[CatalogBuild], prov: Provenance, *,
            replace: bool = False, progress: bool = False,
            max_rows: int = hats_writer.MAX_PARTITION_ROWS) -> list[str]:
    """Write ``builds`` beside the live catalogs and swap them in with the registry change.

    Identical input (same SHA-256 and options) is a no-op; changed input from the
    same source replaces the catalog; a name held by another source is an error
    unless ``replace``. Catalogs previously derived from the replaced one (e.g. its
    ``_detections``) and absent from the new input are removed in the same step.
    """
    main = builds[0].name
    current = {b.name: _registry_row(store, b.name) for b in builds}
    old_main = current[main]
    if (old_main and old_main["sha256"] == prov.sha256
            and old_main["source_detail"] == prov.detail
            and all(current[b.name] for b in builds)):
        return [f"{b.name}: unchanged (same input, SHA-256 {prov.sha256[:12]}...)"
                    for b in builds]
    check_names(store, builds, prov, replace=replace)
    orphans = [c for c in registry.children(store.con, main) if c not in current]
    token = uuid.uuid4().hex[:10]
    cat_root = store.path / layout.CATALOGS_DIR
    cat_root.mkdir(parents=True, exist_ok=True)
    staged: dict[str, tuple[Path, list[tuple[int, int]], CatalogBuild]] = {}
    try:
        for b in builds:
            out = cat_root / f"{layout.STAGING_PREFIX}{b.name}-{token}"
            staged[b.name] = (out, _write(b, out, prov, progress, max_rows), b)
        _swap(store, staged, orphans, prov, token)
    finally:
        for out, _, _ in staged.values():
            if out.exists():
                shutil.rmtree(out, ignore_errors=True)
    lines = []
    for b in builds:
        verb = "replaced" if current[b.name] else "loaded"
        lines.append(f"{b.name}: {verb} {b.table.num_rows} rows "
                     f"({len(staged[b.name][1])} partitions) from {_source_label(prov.source)}")
        lines.extend(f"  note: {n}" for n in b.notes)
    lines.extend(f"{o}: removed (not in the new input)" for o in orphans)
    return lines


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
           max_rows: int) -> list[tuple[int, int]]:
    table = hats_writer.sort_by_healpix(b.schema_with_metadata(), b.ra, b.dec)
    b.table = table
    bar = None
    if progress and sys.stderr.isatty() and table.num_rows > 200_000:
        from tqdm import tqdm

        bar = tqdm(total=table.num_rows, unit="rows", desc=f"writing {b.name}", leave=False)
    try:
        parts = hats_writer.write_catalog(
            table, out, name=b.name, ra=b.ra, dec=b.dec, max_rows=max_rows,
            progress=bar.update if bar else None,
            extra_properties={"xcat_kind": b.kind, "xcat_source_sha256": prov.sha256})
    finally:
        if bar:
            bar.close()
    (out / layout.PROVENANCE_FILE).write_text(json.dumps(
        {"name": b.name, "kind": b.kind, "source": prov.source, "detail": prov.detail,
         "sha256": prov.sha256, "rows": table.num_rows}, indent=1))
    return parts


def _swap(store: Database, staged: dict, orphans: list[str], prov: Provenance,
          token: str) -> None:
    """Rename staging dirs into place and change the registry in one transaction."""
    con = store.con
    moved: list[tuple[Path, Path]] = []
    try:
        with transaction(con):
            for name in [*staged, *orphans]:
                live = layout.catalog_dir(store.path, name)
                if live.exists():
                    trash = live.parent / f"{layout.TRASH_PREFIX}{name}-{token}"
                    live.rename(trash)
                    moved.append((trash, live))
                if name in staged:
                    staged[name][0].rename(live)
                    moved.append((live, staged[name][0]))
                registry.forget_catalog(con, name)
                invalidate(store, name)
            now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
            version = schema_version(con)
            for name, (_, parts, b) in staged.items():
                registry.insert_catalog(con, {
                    "name": name, "kind": b.kind, "n_rows": b.table.num_rows,
                    "source": prov.source,
                    "source_detail": prov.detail if not b.parent else f"{prov.detail} "
                    f"[detections of {b.parent}]", "sha256": prov.sha256, "created": now,
                    "xcat_version": __version__, "schema_version": version, "ra_column": b.ra,
                    "dec_column": b.dec, "key_columns": b.key, "parent": b.parent,
                    "n_partitions": len(parts),
                    "path": str(layout.catalog_dir(Path(), name))})
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
            refresh_views(con, store.path)
    except BaseException:
        for src, dst in reversed(moved):
            if src.exists() and not dst.exists():
                src.rename(dst)
        raise
    for trash in store.path.joinpath(layout.CATALOGS_DIR).glob(f"{layout.TRASH_PREFIX}*-{token}"):
        shutil.rmtree(trash, ignore_errors=True)


def _auto_description(name: str) -> str | None:
    if name == layout.HEALPIX_COLUMN:
        return "HEALPix nested pixel index at order 29 (HATS convention)"
    return None
