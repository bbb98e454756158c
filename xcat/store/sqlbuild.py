"""SQL built from catalog metadata or user options, with SQLAlchemy Core and the
duckdb-engine dialect: identifiers are quoted by the library, values bound or (in view
bodies, which cannot take parameters) rendered as literals by the library.

SQLAlchemy with duckdb-engine takes ~0.6 s to import, so it is imported inside these
functions: commands that only read (``xcat sql``, ``xcat cone``) never pay for it.

Examples
--------
>>> create_view("odd name", "SELECT 1")
'CREATE OR REPLACE VIEW "odd name" AS SELECT 1'
"""

from __future__ import annotations

import functools
from typing import Any


@functools.cache
def dialect() -> Any:
    """The duckdb-engine SQLAlchemy dialect (quoting rules of DuckDB)."""
    import duckdb_engine

    return duckdb_engine.Dialect()


def quote(name: str) -> str:
    """An identifier quoted by the library when it needs quoting.

    Examples
    --------
    >>> quote("csc"), quote("my cat"), quote("select")
    ('csc', '"my cat"', '"select"')
    """
    return dialect().identifier_preparer.quote(name)


def render(stmt: Any) -> str:
    """SQL text of a SQLAlchemy statement with its values rendered as literals."""
    return str(stmt.compile(dialect=dialect(), compile_kwargs={"literal_binds": True}))


def create_view(name: str, select: Any | str) -> str:
    """``CREATE OR REPLACE VIEW <name> AS <select>`` (the select as a statement or text)."""
    body = select if isinstance(select, str) else render(select)
    return f"CREATE OR REPLACE VIEW {quote(name)} AS {body}"


def drop_view(name: str) -> str:
    """``DROP VIEW IF EXISTS <name>``."""
    return f"DROP VIEW IF EXISTS {quote(name)}"


def drop_table(name: str) -> str:
    """``DROP TABLE IF EXISTS <name>``."""
    return f"DROP TABLE IF EXISTS {quote(name)}"


def select_star(table: str) -> Any:
    """``SELECT * FROM <table>``."""
    import sqlalchemy as sa

    return sa.select(sa.text("*")).select_from(sa.table(table))


#: Columns of the HATS layout, not of the catalog: the HEALPix order-29 index and the
#: hive partition folders. The user's catalog view hides them from ``SELECT *``.
INTERNAL_COLUMNS = ("_healpix_29", "Norder", "Dir", "Npix")


def parquet_view(name: str, glob: str, db_paths: tuple[str, ...]) -> str:
    """A view over one HATS catalog's Parquet files with every column, the layout's too
    (hive partitioning for Norder/Dir/Npix): the internal view store code reads.

    The files are named by absolute path, so any SQL tool opening the DuckDB file
    reads them; the view first checks that every attached database holding it (this
    view over these files) is at one of ``db_paths``, where it was written. A copied or
    moved store opened in a plain DuckDB session, alone or beside its original, fails
    with a message instead of reading the original's files. xcat re-points the views
    when it opens a moved store.

    Examples
    --------
    >>> "duckdb_views()" in parquet_view("v", "/s/catalogs/c/*.parquet", ("/s/xcat.duckdb",))
    True
    """
    import sqlalchemy as sa

    source = sa.func.read_parquet(sa.literal(glob), sa.text("hive_partitioning = true"),
                                  sa.text("union_by_name = false"))
    guard = copy_guard(name, glob, db_paths)
    return create_view(name, sa.select(sa.text("*")).select_from(source).where(guard))


def copy_guard(name: str, marker: str, db_paths: tuple[str, ...]) -> Any:
    """TRUE, or an error when an attached database holding the view ``name`` whose SQL
    contains ``marker`` (a path under the store) is not at one of ``db_paths``.
    """
    import sqlalchemy as sa

    # Every attached database holding this view over these files must be at a path it
    # was built for: a copy opened beside its original must not read the original's files.
    views_ = sa.select(sa.column("database_name"), sa.column("view_name"),
                       sa.column("sql")).select_from(sa.text("duckdb_views()")).subquery("v")
    dbs = sa.select(sa.column("database_name"), sa.column("path")).select_from(
        sa.text("duckdb_databases()")).subquery("d")
    elsewhere = sa.select(sa.func.count()).select_from(
        views_.join(dbs, views_.c.database_name == dbs.c.database_name)).where(
        views_.c.view_name == name,
        sa.func.contains(views_.c.sql, marker.replace("'", "''")),
        dbs.c.path.is_not(None), dbs.c.path.not_in(list(db_paths))).scalar_subquery()
    message = (f"this xcat store was copied or moved: its views read {db_paths[0]}. Open "
               "it once with xcat (e.g. `xcat --store DIR catalogs`) to re-point them")
    return sa.case((elsewhere == 0, sa.true()), else_=sa.func.error(message).cast(sa.Boolean))


def pairs_view(name: str, legacy: str, columns: list[str], runs: list[tuple[int, str]],
               marker: str, db_paths: tuple[str, ...]) -> str:
    """The view of every cross-match pair: the rows of the table ``legacy`` (pairs recorded
    before they were Parquet, whose column types the view keeps) and of each run's Parquet
    files, ``runs`` as (run_id, absolute path or glob), on ``run_id`` and ``columns``.
    Each run's rows get its id as a constant, so a filter on ``run_id`` reads only that
    run's files. Files are named by absolute path and guarded like
    :func:`parquet_view` (``marker``: the store's runs folder); with no run it is the
    table alone, typed.

    Examples
    --------
    >>> sql = pairs_view("p", "old", ["k"], [(3, "/s/runs/a-1/pairs-*.parquet")],
    ...                  "/s/runs/", ("/s/xcat.duckdb",))
    >>> "CAST(3 AS BIGINT) AS run_id" in sql, "read_parquet('/s/runs/a-1/pairs-*.parquet')" in sql
    (True, True)
    """
    import sqlalchemy as sa

    cols = [sa.column(c) for c in columns]
    parts: list[Any] = [sa.select(sa.column("run_id"), *cols).select_from(sa.table(legacy))]
    for run_id, path in runs:
        source = sa.func.read_parquet(sa.literal(path)).table_valued(*columns)
        parts.append(sa.select(sa.cast(sa.literal(int(run_id)), sa.BigInteger).label("run_id"),
                               *(source.c[c] for c in columns)))
    union = sa.union_all(*parts) if len(parts) > 1 else parts[0]
    if not runs:
        return create_view(name, union)
    body = sa.select(sa.text("*")).select_from(union.subquery("pairs")).where(
        copy_guard(name, marker, db_paths))
    return create_view(name, body)


def catalog_view(name: str, internal: str) -> str:
    """The user's view of a catalog: the internal view without :data:`INTERNAL_COLUMNS`.

    Examples
    --------
    >>> catalog_view("c", "stg_hats__c").split(" AS ", 1)[1]
    'SELECT * EXCLUDE (_healpix_29, "Norder", "Dir", "Npix") FROM stg_hats__c'
    """
    hidden = ", ".join(quote(c) for c in INTERNAL_COLUMNS)
    return create_view(name, f"SELECT * EXCLUDE ({hidden}) FROM {quote(internal)}")


def column(name: str, table: str | None = None) -> Any:
    """A (quoted) column, optionally qualified by a table alias."""
    import sqlalchemy as sa

    return sa.column(name, _selectable=sa.table(table) if table else None)


def expression(sql: str) -> Any:
    """A trusted SQL expression from a packaged catalog definition (``ingest/<kind>``)."""
    import sqlalchemy as sa

    return sa.literal_column(sql)
