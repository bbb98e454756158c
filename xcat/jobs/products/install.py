"""Computed products (srcflux, spectral fits, SNR and rate tables, classifications) as
DuckDB tables linked to sources, with a registry (``products``) holding their provenance.

A product is read and shaped without touching the store (:mod:`xcat.product_kinds`),
then linked to a catalog's sources (:mod:`xcat.product_link`), then installed in one
transaction: table, registry row, column documentation and (for spectral fits) the
wide view. Bad input raises ``XcatError`` before anything changes; identical input
(same SHA-256, options and linked catalog) is a no-op.

Examples
--------
>>> lines = ingest_product("xcat-store", Path("NGC3532_class.csv"), kind="classification",
...                        key="name", catalog="csc_ngc3532")        # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from xcat import resources
from xcat.catalog.build import check_name
from xcat.errors import XcatError
from xcat.jobs.products.link import row_label
from xcat.jobs.products.model import LinkResult, ProductBuild
from xcat.store import registry
from xcat.store.db import Database
from xcat.store.migrations import schema_version
from xcat.store.sql import quote_ident, quote_literal
from xcat.version import __version__

LINK_COLUMNS = ("_row", "_source_key", "_link_sep_arcsec")


def product_name(file: Path, name: str | None) -> str:
    """``name``, or one made from the file name (letters, digits, underscores)."""
    if name:
        return check_name(name)
    stem = re.sub(r"[^A-Za-z0-9_]+", "_", file.stem).strip("_").lower()
    return check_name(stem if stem[:1].isalpha() else f"p_{stem}")


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
    con.register("product_rows", rows)
    con.execute("BEGIN TRANSACTION")
    try:
        for stmt, target in (("drop_product_view.sql", old and old["wide_view"]),
                             ("drop_product_table.sql", old and build.name)):
            if target:
                con.execute(resources.read_sql(f"products/{stmt}").format(name=quote_ident(target)))
        con.execute(resources.read_sql("products/delete_product.sql"), {"name": build.name})
        con.execute(resources.read_sql("store/delete_view_columns.sql"), {"view": build.name})
        con.execute(resources.read_sql("products/create_product_table.sql").format(
            name=quote_ident(build.name)))
        if wide:
            con.execute(resources.read_sql("products/spectral_fit_wide.sql").format(
                name=quote_ident(wide), long=quote_ident(build.name),
                values=", ".join(quote_literal(v) for v in build.wide_values)))
        n_unlinked = len(link.source_key) - link.n_linked
        con.execute(resources.read_sql("products/insert_product.sql"), {
            "name": build.name, "kind": build.kind, "n_rows": rows.num_rows, "source": source,
            "source_detail": detail, "sha256": sha256,
            "created": dt.datetime.now(dt.UTC).replace(tzinfo=None),
            "xcat_version": __version__, "schema_version": schema_version(con),
            "link_catalog": link.catalog, "link_rule": link.rule, "link_key": link.key,
            "link_radius_arcsec": link.radius_arcsec, "n_linked": link.n_linked,
            "n_unlinked": n_unlinked, "wide_view": wide})
        for i, f in enumerate(rows.schema):
            con.execute(resources.read_sql("store/insert_view_column.sql"), {
                "view": build.name, "position": i, "name": f.name,
                "unit": build.units.get(f.name), "description": build.descriptions.get(
                    f.name, _LINK_DESCRIPTIONS.get(f.name))})
        con.execute("COMMIT")
    except (Exception, KeyboardInterrupt) as exc:
        con.execute("ROLLBACK")
        if isinstance(exc, duckdb.Error):
            raise XcatError(f"store update failed, nothing changed ({exc})") from exc
        raise
    finally:
        con.unregister("product_rows")
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
    cur = store.con.execute(resources.read_sql("products/get_product.sql"), {"name": name})
    rows = cur.fetchall()
    return dict(zip([d[0] for d in cur.description], rows[0], strict=True)) if rows else None


def list_products(store: Database) -> pd.DataFrame:
    """The products registry: name, kind, rows, link catalog/rule/counts, source, sha256.

    Examples
    --------
    >>> list_products(store)[["name", "kind", "n_linked", "n_unlinked"]]  # doctest: +SKIP

    """
    return store.con.execute(resources.read_sql("products/list_products.sql")).df()


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
    return front


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
