"""Every derived view of a store, rebuilt by ONE function, :func:`refresh`, in dependency
order: the catalog views over the HATS files, the view of every cross-match pair
``xmatch_pairs`` (over each run's Parquet file, :func:`pairs_view_sql`), the per-catalog
X-ray views and ``xray_sources`` (:mod:`xcat.store.xray_views`), then the named views in
``queries/views/<name>.sql``, ordered by their ``-- depends:`` headers, with column
documentation from the sibling ``<name>.toml`` loaded into ``view_columns``.

DuckDB binds a view when it is created, so a view is rebuilt after everything it
reads. :func:`ensure` (called on open) rebuilds only when something is missing or a
catalog or pairs view points at another store's files.

Examples
--------
>>> [v.name for v in named_views()][:3]
['best_counterparts', 'classification_current', 'hosts_adopted']
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb

from xcat import resources
from xcat.errors import XcatError
from xcat.store import layout, log, registry, sqlbuild, xray_views
from xcat.store.sql import transaction

DEPENDS = re.compile(r"^--\s*depends:\s*(.*)$", re.M)
#: The view of every cross-match pair, and the table of the pairs recorded before runs
#: were Parquet files (schema/015_run_pairs_parquet.sql).
PAIRS_VIEW = "xmatch_pairs"
PAIRS_LEGACY = "xmatch_pairs_legacy"
#: Views built in Python (not named query files) that named views may depend on.
BUILT = {"xray_sources", PAIRS_VIEW}

#: Runs whose pairs are Parquet files (their folders relative to the store).
PARQUET_RUNS = """
SELECT run_id, pairs_path FROM xmatch_runs WHERE pairs_path IS NOT NULL ORDER BY run_id
"""


@dataclass(frozen=True)
class NamedView:
    """One ``queries/views/<name>.sql`` file: its SQL, what it reads, its column docs."""

    name: str
    sql: str
    depends: tuple[str, ...]
    columns: dict[str, list[str]]


@cache
def named_views() -> list[NamedView]:
    """The named views in dependency order (a view after every view it depends on)."""
    found = {}
    folder = resources.queries_dir() / "views"
    for path in sorted(folder.glob("*.sql")):
        text = path.read_text()
        m = DEPENDS.search(text)
        if m is None:  # a query body used by xray_views (csc_position_errors)
            continue
        deps = tuple(d.strip() for d in m[1].split(",") if d.strip() and "(" not in d)
        doc = path.with_suffix(".toml")
        cols = tomllib.loads(doc.read_text()) if doc.exists() else {}
        found[path.stem] = NamedView(path.stem, text, deps, cols)
    ordered: list[NamedView] = []
    done: set[str] = set(BUILT)

    def visit(name: str, chain: tuple[str, ...]) -> None:
        if name in done:
            return
        if name in chain or name not in found:
            raise XcatError(f"queries/views/{chain[-1]}.sql: depends on '{name}', "
                            + ("a cycle" if name in chain else "which is no view"))
        for dep in found[name].depends:
            visit(dep, (*chain, name))
        done.add(name)
        ordered.append(found[name])

    for name in found:
        visit(name, ())
    return ordered


def view_names() -> set[str]:
    """Names of every store-owned view (named views and ``xray_sources``)."""
    return {v.name for v in named_views()} | BUILT


def refresh(con: duckdb.DuckDBPyConnection, root: Path,
            db_paths: tuple[str, ...]) -> list[str]:
    """Rebuild every derived view of the store at ``root``; return the names, in order.

    ``db_paths`` are the paths of the store's DuckDB file the catalog views accept
    (:func:`xcat.store.sqlbuild.parquet_view`). Call it inside the transaction that
    changed what the views read.
    """
    made = _catalog_views(con, root, db_paths, only_stale=False)
    made += refresh_pairs(con, root, db_paths)
    made += xray_views.build(con)
    registry.document_view(con, "xray_sources", _xray_docs())
    for v in named_views():
        con.execute(v.sql)
        if v.columns:
            registry.document_view(con, v.name, v.columns)
        made.append(v.name)
    log.debug("rebuilt %d views: %s", len(made), ", ".join(made))
    return made


def ensure(con: duckdb.DuckDBPyConnection, root: Path, db_paths: tuple[str, ...]) -> None:
    """On open: point catalog views at this store's files; build derived views if absent."""
    existing = registry.existing_views(con)
    hats = {xray_views.hats_view(r["name"]) for r in registry.catalog_rows(con)}
    if not (view_names() | hats) <= set(existing):  # new store, or views of an older xcat
        with transaction(con):
            refresh(con, root, db_paths)
        return
    _catalog_views(con, root, db_paths, only_stale=True, existing=existing)
    refresh_pairs(con, root, db_paths, existing=existing)


def pairs_view_sql(con: duckdb.DuckDBPyConnection, root: Path,
                   db_paths: tuple[str, ...]) -> str | None:
    """``CREATE OR REPLACE VIEW xmatch_pairs``: the pairs table of older stores and every
    run's Parquet file (absolute paths, guarded against a copied store); None before
    migration 015.
    """
    if PAIRS_LEGACY not in registry.table_names(con):
        return None
    columns = [r[0] for r in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
        "AND table_name = $t AND column_name <> 'run_id' ORDER BY column_index",
        {"t": PAIRS_LEGACY}).fetchall()]
    runs = [(run_id, layout.pairs_glob(root / path))
            for run_id, path in con.execute(PARQUET_RUNS).fetchall()]
    marker = str(layout.runs_dir(root)) + "/"
    return sqlbuild.pairs_view(PAIRS_VIEW, PAIRS_LEGACY, columns, runs, marker, db_paths)


def refresh_pairs(con: duckdb.DuckDBPyConnection, root: Path, db_paths: tuple[str, ...], *,
                  existing: dict[str, str] | None = None) -> list[str]:
    """Rebuild ``xmatch_pairs`` (call in the transaction that records, replaces or
    removes a run); with ``existing`` (name → SQL of the views), only when it is missing
    or reads files of another store path.
    """
    sql = pairs_view_sql(con, root, db_paths)
    if sql is None:
        return []
    if existing is not None and PAIRS_VIEW in existing:
        body = existing[PAIRS_VIEW]
        marker = str(layout.runs_dir(root)) + "/"
        reads_files = "read_parquet" in body
        if not reads_files or (marker in body and all(p in body for p in db_paths)):
            return []
    con.execute(sql)
    return [PAIRS_VIEW]


def drop_catalog_views(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Drop the views of a catalog that is gone (its own, staging and positional errors)."""
    for view in (xray_views.staging_view(name), xray_views.position_errors_view(name), name,
                 xray_views.hats_view(name)):
        con.execute(sqlbuild.drop_view(view))


def _catalog_views(con: duckdb.DuckDBPyConnection, root: Path, db_paths: tuple[str, ...], *,
                   only_stale: bool, existing: dict[str, str] | None = None) -> list[str]:
    """The views over each catalog's live Parquet files (absolute paths, so any SQL tool
    works, guarded against a copied store): the internal ``stg_hats__<name>`` with every
    column and the user's ``<name>`` without the HATS layout's columns
    (``sqlbuild.INTERNAL_COLUMNS``).
    """
    existing = existing if existing is not None else registry.existing_views(con)
    made = []
    for row in registry.catalog_rows(con):
        name = row["name"]
        glob = layout.catalog_glob(root / row["path"])
        internal = xray_views.hats_view(name)
        body = existing.get(internal) or ""
        if only_stale and glob in body and all(p in body for p in db_paths) \
                and name in existing:
            continue
        con.execute(sqlbuild.parquet_view(internal, glob, db_paths))
        con.execute(sqlbuild.catalog_view(name, internal))
        made.append(name)
    return made


@cache
def _xray_docs() -> dict[str, list[str]]:
    return tomllib.loads((resources.queries_dir() / "views" / "xray_sources.toml").read_text())
