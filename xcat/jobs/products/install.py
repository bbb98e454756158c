"""Computed products (srcflux, spectral fits, SNR and rate tables, classifications) as
DuckDB tables linked to sources, with a registry (``products``) holding their provenance.

A product is read and shaped without touching the store (:mod:`xcat.jobs.products.ingest`),
then linked to a catalog's sources (:mod:`xcat.jobs.products.link`), then installed in
one transaction: table, registry row, column documentation and (for spectral fits) the
wide view. Bad input raises ``XcatError`` before anything changes; identical input
(same SHA-256, options and linked catalog) is a no-op. Statements on the ``products``
table are bound; table and view names are quoted by :mod:`xcat.store.sqlbuild`.

Examples
--------
>>> print(wide_view_sql("fits_wide", "fits", ["bbody_kT"]))  # doctest: +NORMALIZE_WHITESPACE
CREATE OR REPLACE VIEW fits_wide AS PIVOT (SELECT _source_key, source, fit_statistic,
model || '_' || parameter AS model_parameter, value, lower, upper
FROM fits)
ON model_parameter IN ('bbody_kT')
USING first(value) AS value, first(lower) AS lower, first(upper) AS upper
GROUP BY _source_key, source, fit_statistic
ORDER BY source
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pandas as pd
import pyarrow as pa

from xcat.catalog.build import check_name
from xcat.errors import XcatError
from xcat.io.table import without_null_types
from xcat.jobs.products.link import row_label
from xcat.jobs.products.model import LinkResult, ProductBuild
from xcat.store import registry, sqlbuild
from xcat.store.db import Database, writes
from xcat.store.migrations import schema_version
from xcat.store.sql import fetch_dicts, transaction
from xcat.version import __version__

LINK_COLUMNS = ("_row", "_source_key", "_link_sep_arcsec")
PRODUCT_COLUMNS = ("name", "kind", "n_rows", "source", "source_detail", "sha256", "created",
                   "xcat_version", "schema_version", "link_catalog", "link_rule", "link_key",
                   "link_radius_arcsec", "n_linked", "n_unlinked", "wide_view")
GET_PRODUCT = ("SELECT name, kind, n_rows, source, source_detail, sha256, created, "
               "link_catalog, link_rule, link_key, link_radius_arcsec, n_linked, n_unlinked, "
               "wide_view FROM products WHERE name = $name")
#: The products registry as users see it (``xcat products``).
LIST_PRODUCTS = ("SELECT name, kind, n_rows AS rows, link_catalog, link_rule, n_linked, "
                 "n_unlinked, source, sha256, created, wide_view FROM products ORDER BY name")
DELETE_PRODUCT = "DELETE FROM products WHERE name = $name"
INSERT_PRODUCT = (f"INSERT INTO products ({', '.join(PRODUCT_COLUMNS)}) "
                  f"VALUES ({', '.join('$' + c for c in PRODUCT_COLUMNS)})")
#: Name under which the rows to store are registered with DuckDB during the install.
ROWS_VIEW = "product_rows"


def product_name(file: Path, name: str | None) -> str:
    """``name``, or one made from the file name (letters, digits, underscores)."""
    if name:
        return check_name(name)
    stem = re.sub(r"[^A-Za-z0-9_]+", "_", file.stem).strip("_").lower()
    return check_name(stem if stem[:1].isalpha() else f"p_{stem}")


@writes
def install_product(store: Database, build: ProductBuild, link: LinkResult, *, source: str,
                    detail: str, sha256: str, replace: bool = False) -> list[str]:
    """Store ``build`` with its links as table ``build.name`` and register it atomically.

    Returns the lines to show: what was stored, how many rows linked, and up to five
    examples of rows that linked to nothing.
    """
    con = store.con
    old = get_product(store, build.name)
    if old and old["sha256"] == sha256 and old["source_detail"] == detail:
        return [f"{build.name}: unchanged (same input, SHA-256 {sha256[:12]}...)"]
    _check_free(store, build.name, old, source, replace)
    wide = f"{build.name}_wide" if build.wide_values else None
    if wide:
        _check_free(store, wide, None, source, replace=True, catalogs_only=True)
    rows = _with_links(build, link)
    n_unlinked = len(link.source_key) - link.n_linked
    con.register(ROWS_VIEW, rows)
    try:
        with transaction(con):
            if old and old["wide_view"]:
                con.execute(sqlbuild.drop_view(old["wide_view"]))
            if old:
                con.execute(sqlbuild.drop_table(build.name))
            con.execute(DELETE_PRODUCT, {"name": build.name})
            con.execute(f"CREATE TABLE {sqlbuild.quote(build.name)} AS "
                        f"{sqlbuild.render(sqlbuild.select_star(ROWS_VIEW))}")
            if wide:
                con.execute(wide_view_sql(wide, build.name, build.wide_values))
            con.execute(INSERT_PRODUCT, {
                "name": build.name, "kind": build.kind, "n_rows": rows.num_rows,
                "source": source, "source_detail": detail, "sha256": sha256,
                "created": dt.datetime.now(dt.UTC).replace(tzinfo=None),
                "xcat_version": __version__, "schema_version": schema_version(con),
                "link_catalog": link.catalog, "link_rule": link.rule, "link_key": link.key,
                "link_radius_arcsec": link.radius_arcsec, "n_linked": link.n_linked,
                "n_unlinked": n_unlinked, "wide_view": wide})
            registry.document_view(con, build.name, {
                f.name: [build.units.get(f.name), build.descriptions.get(
                    f.name, _LINK_DESCRIPTIONS.get(f.name))] for f in rows.schema})
    finally:
        con.unregister(ROWS_VIEW)
    verb = "replaced" if old else "loaded"
    lines = [f"{build.name}: {verb} {rows.num_rows} rows ({build.kind}) from "
             f"{Path(source).name}" + (f"; wide view {wide}" if wide else ""),
             f"  link: {link.rule}: {link.n_linked} linked, {n_unlinked} unlinked"]
    if n_unlinked and link.catalog:
        lines.append("  unlinked (kept with _source_key NULL), e.g. " + _examples(build, link))
    lines.extend(f"  note: {n}" for n in build.notes)
    return lines


def get_product(store: Database, name: str) -> dict | None:
    """Registry row of product ``name`` (``None`` if there is none)."""
    rows = fetch_dicts(store.con, GET_PRODUCT, {"name": name})
    return rows[0] if rows else None


def list_products(store: Database) -> pd.DataFrame:
    """The products registry: name, kind, rows, link catalog/rule/counts, source, sha256.

    Examples
    --------
    >>> list_products(store)[["name", "kind", "n_linked", "n_unlinked"]]  # doctest: +SKIP

    """
    return store.con.execute(LIST_PRODUCTS).df()


def _check_free(store: Database, name: str, old: dict | None, source: str, replace: bool,
                catalogs_only: bool = False) -> None:
    """A product name must not be a catalog, nor a product from another file (unless replace)."""
    taken = {r["name"] for r in registry.catalog_rows(store.con)}
    if name in taken:
        raise XcatError(f"product name '{name}' is a catalog in this store; choose another --name")
    tables = registry.table_names(store.con)
    if not catalogs_only and old is None and name in tables:
        raise XcatError(f"product name '{name}' is a table of the store; choose another --name")
    if old and old["source"] != source and not replace:
        raise XcatError(f"product name '{name}' is taken (loaded from {old['source']}); "
                        "choose another --name or pass --replace")


def _with_links(build: ProductBuild, link: LinkResult) -> pa.Table:
    n = build.table.num_rows
    row = build.row or list(range(1, n + 1))
    clash = [c for c in LINK_COLUMNS if c in build.table.column_names]
    if clash:
        raise XcatError(f"input column {clash[0]} clashes with xcat's link columns")
    front = pa.table({"_row": pa.array(row, pa.int64()),
                      "_source_key": pa.array(link.source_key, pa.string()),
                      "_link_sep_arcsec": pa.array(link.sep_arcsec, pa.float64())})
    for name in build.table.column_names:
        front = front.append_column(name, build.table.column(name))
    return without_null_types(front)


def _examples(build: ProductBuild, link: LinkResult) -> str:

    out, seen = [], set()
    row = build.row or list(range(1, build.table.num_rows + 1))
    for i, k in enumerate(link.source_key):
        if k is None and row[i] not in seen:
            seen.add(row[i])
            out.append(f"row {row[i]} ({row_label(build.table, i, link.key)})")
        if len(out) == 5:
            break
    return ", ".join(out)


_LINK_DESCRIPTIONS = {
    "_row": "Row of the input file (1-based)",
    "_source_key": "Key of the linked source in the registry's link_catalog (NULL: none)",
    "_link_sep_arcsec": "Separation from the linked source (positional links), arcsec",
}


def provenance_detail(options: dict, link_catalog_sha: str | None) -> str:
    """The ``source_detail`` of a product: its options and the linked catalog's SHA-256."""
    opts = {k: v for k, v in options.items() if v not in (None, (), [], False)}
    if link_catalog_sha:
        opts["link_catalog_sha256"] = link_catalog_sha
    return json.dumps(opts, sort_keys=True, default=str)


def wide_view_sql(name: str, long: str, values: list[str]) -> str:
    """The ``<name>_wide`` view of a long-form spectral-fit product: one row per source.

    DuckDB needs the pivot values spelled out in a view, so every ``model_parameter``
    present is rendered as a literal by SQLAlchemy; ``name`` and ``long`` are quoted
    identifiers.
    """
    import sqlalchemy as sa

    model, parameter = sa.column("model", sa.String), sa.column("parameter", sa.String)
    rows = sa.select(*(sa.column(c) for c in ("_source_key", "source", "fit_statistic")),
                     (model + "_" + parameter).label("model_parameter"),
                     *(sa.column(c) for c in ("value", "lower", "upper"))
                     ).select_from(sa.table(long))
    literals = ", ".join(sqlbuild.render(sa.literal(v, sa.String)) for v in values)
    return sqlbuild.create_view(name, (
        f"PIVOT ({sqlbuild.render(rows)})\n"
        f"ON model_parameter IN ({literals})\n"
        "USING first(value) AS value, first(lower) AS lower, first(upper) AS upper\n"
        "GROUP BY _source_key, source, fit_statistic\n"
        "ORDER BY source"))
