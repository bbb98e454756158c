"""The registry in the DuckDB file: ``catalogs`` (one row per loaded catalog, with its
provenance), ``catalog_columns`` / ``view_columns`` (units, UCDs, descriptions) and
``astrometric_frames``. Short statements live here, beside the Python that runs them,
with every value bound.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import duckdb

from xcat.store.sql import fetch_dicts

if TYPE_CHECKING:
    import pandas as pd

REGISTRY_COLUMNS = ("name", "kind", "n_rows", "source", "source_detail", "sha256", "created",
                    "xcat_version", "schema_version", "ra_column", "dec_column",
                    "key_columns", "parent", "n_partitions", "path", "margin_arcsec")

#: The registry as users see it (``xcat catalogs``): HATS catalogs, then computed
#: products (kind ``product:<kind>``, parent = the catalog their rows link to), with the
#: key that names each catalog's rows (given, chosen at ingest, or ``row_id``).
LIST_CATALOGS = """
SELECT name, kind, n_rows AS rows, array_to_string(key_columns, ',') AS key, source,
       source_detail, sha256, created, xcat_version, schema_version, parent, n_partitions
FROM catalogs
UNION ALL
SELECT name, 'product:' || kind AS kind, n_rows AS rows, link_key AS key, source,
       link_rule || ' (' || n_linked || ' linked, ' || n_unlinked || ' unlinked); '
           || source_detail AS source_detail,
       sha256, created, xcat_version, schema_version, link_catalog AS parent,
       0 AS n_partitions
FROM products
ORDER BY name
"""

#: Unit, UCD and description of every stored column and documented view column.
COLUMN_METADATA = """
SELECT catalog, name, unit, ucd, description FROM catalog_columns
UNION ALL
SELECT view AS catalog, name, unit, ucd, description FROM view_columns
"""


def list_catalogs(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every catalog and product with its provenance, by name."""
    return con.execute(LIST_CATALOGS).df()


def get_catalog(con: duckdb.DuckDBPyConnection, name: str) -> dict[str, Any] | None:
    """One registry row by name, or None."""
    rows = fetch_dicts(con, "SELECT name, kind, n_rows, source, source_detail, sha256, "
                            "created, ra_column, dec_column, key_columns, parent, "
                            "n_partitions, path, margin_arcsec FROM catalogs WHERE name = $name",
                       {"name": name})
    return rows[0] if rows else None


def catalog_rows(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every catalog's name, kind, position and key columns, parent and folder, by name."""
    return fetch_dicts(con, "SELECT name, kind, ra_column, dec_column, key_columns, parent, "
                            "path FROM catalogs ORDER BY name")


def children(con: duckdb.DuckDBPyConnection, parent: str) -> list[str]:
    """Catalogs derived from ``parent`` (e.g. csc → csc_detections)."""
    rows = con.execute("SELECT name FROM catalogs WHERE parent = $parent ORDER BY name",
                       {"parent": parent}).fetchall()
    return [r[0] for r in rows]


def forget_catalog(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Remove a catalog's registry row and column metadata (inside the caller's
    transaction: its directory is swapped in the same step).
    """
    con.execute("DELETE FROM catalogs WHERE name = $name", {"name": name})
    con.execute("DELETE FROM catalog_columns WHERE catalog = $name", {"name": name})


def insert_catalog(con: duckdb.DuckDBPyConnection, row: dict[str, Any]) -> None:
    """Register a catalog (``row`` has every name in :data:`REGISTRY_COLUMNS`)."""
    names = ", ".join(REGISTRY_COLUMNS)
    values = ", ".join(f"${c}" for c in REGISTRY_COLUMNS)
    con.execute(f"INSERT INTO catalogs ({names}) VALUES ({values})",
                {c: row[c] for c in REGISTRY_COLUMNS})


def set_margin(con: duckdb.DuckDBPyConnection, name: str, threshold_arcsec: float) -> None:
    """Record the margin-cache threshold of a catalog (arcsec)."""
    con.execute("UPDATE catalogs SET margin_arcsec = $t WHERE name = $n",
                {"t": threshold_arcsec, "n": name})


def insert_column(con: duckdb.DuckDBPyConnection, **values: Any) -> None:
    """Register one column's metadata (catalog, position, name, type, unit, ucd,
    description, source_column, source_unit).
    """
    con.execute("INSERT INTO catalog_columns (catalog, position, name, type, unit, ucd, "
                "description, source_column, source_unit) VALUES ($catalog, $position, "
                "$name, $type, $unit, $ucd, $description, $source_column, $source_unit)",
                values)


def document_view(con: duckdb.DuckDBPyConnection, view: str,
                  columns: dict[str, list[str]]) -> None:
    """Replace a view's column documentation (``{column: [unit, description, ucd]}``;
    the UCD is optional).
    """
    con.execute("DELETE FROM view_columns WHERE view = $view", {"view": view})
    for i, (name, spec) in enumerate(columns.items()):
        unit, desc, *rest = spec
        con.execute("INSERT INTO view_columns (view, position, name, unit, description, ucd) "
                    "VALUES ($view, $position, $name, $unit, $description, $ucd)",
                    {"view": view, "position": i, "name": name, "unit": unit or None,
                     "description": desc, "ucd": (rest[0] or None) if rest else None})


def column_metadata(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Unit/UCD/description of every stored column, one row per (catalog, column)."""
    return con.execute(COLUMN_METADATA).df()


def column_rows(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    """(name, unit, ucd, description) of every stored and documented view column."""
    return con.execute("SELECT name, unit, ucd, description FROM (" + COLUMN_METADATA
                       + ")").fetchall()


def view_columns(con: duckdb.DuckDBPyConnection, view: str) -> set[str]:
    """Column names (lower case) of a view or table in the DuckDB file."""
    rows = con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = $view "
                       "AND database_name = current_database()", {"view": view}).fetchall()
    return {r[0].lower() for r in rows}


def existing_views(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Views defined in the DuckDB file (name → SQL)."""
    return dict(con.execute("SELECT view_name, sql FROM duckdb_views() "
                            "WHERE NOT internal AND schema_name = 'main' "
                            "AND database_name = current_database()").fetchall())


def table_names(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Tables in the DuckDB file."""
    return {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() "
                                      "WHERE database_name = current_database()").fetchall()}


def add_astrometric_frame(con: duckdb.DuckDBPyConnection, **values: Any) -> None:
    """Record a catalog's astrometric-frame error (catalog, sigma, reference, note, set_at)."""
    con.execute("INSERT INTO astrometric_frames (catalog, sigma_ast_arcsec, reference, note, "
                "set_at) VALUES ($catalog, $sigma, $reference, $note, $set_at)", values)


#: Astrometric-frame errors, newest first (the newest per catalog is in force).
LIST_FRAMES = """
SELECT catalog, sigma_ast_arcsec, reference, note, set_at,
       row_number() OVER (PARTITION BY catalog ORDER BY set_at DESC) = 1 AS in_force
FROM astrometric_frames ORDER BY catalog, set_at DESC
"""
