"""TAP_SCHEMA (schemas, tables, columns, keys, key_columns) built from the store: every
catalog, view and table of the store's ``main`` schema except xcat's internals, with the
unit, UCD and description of each column from the store's column metadata.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa

from xcat.server.adql_names import adql_name
from xcat.store import registry

#: Relations of the store that are bookkeeping, not data (never served).
INTERNAL = {"schema_migrations", "store_info", "xmatch_pairs_legacy"}
INTERNAL_PREFIXES = ("stg_",)
#: Foreign keys served in TAP_SCHEMA.keys: (from table, to table, [(from col, to col)]).
LINKS = [("xmatch_pairs", "xmatch_runs", [("run_id", "run_id")])]

#: DuckDB type → (VOTable datatype, arraysize, xtype), as the BINARY2 writer
#: (:mod:`xcat.server.votable_binary2`) writes the column.
TYPES = {
    "BOOLEAN": ("boolean", None, None), "TINYINT": ("short", None, None),
    "SMALLINT": ("short", None, None), "INTEGER": ("int", None, None),
    "BIGINT": ("long", None, None), "UTINYINT": ("unsignedByte", None, None),
    "USMALLINT": ("int", None, None), "UINTEGER": ("long", None, None),
    "UBIGINT": ("long", None, None), "HUGEINT": ("double", None, None),
    "FLOAT": ("float", None, None), "DOUBLE": ("double", None, None),
    "DATE": ("char", "*", "timestamp"), "TIMESTAMP": ("char", "*", "timestamp"),
    "TIMESTAMP WITH TIME ZONE": ("char", "*", "timestamp"),
}
TEXT = ("char", "*", None)
def tap_type(duck: str) -> tuple[str, str | None, str | None]:
    """VOTable datatype, arraysize and xtype of a DuckDB column type."""
    if duck in TYPES:
        return TYPES[duck]
    if duck.startswith("DECIMAL"):
        return "double", None, None
    return TEXT


@dataclass
class Table:
    """One served table with its columns (TAP_SCHEMA.columns rows)."""

    name: str
    kind: str  # "table" or "view"
    description: str
    columns: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Schema:
    """What TAP serves."""

    tables: dict[str, Table]
    column_rows: list[tuple[Any, ...]]
    #: Catalogs of the registry with ra/dec (``Store.cone`` answers cones on them).
    catalogs: dict[str, list[str]] = field(default_factory=dict)
    #: Folders the store's views read (``allowed_directories`` of every query).
    data_dirs: list[str] = field(default_factory=list)
    #: Registry rows of those catalogs (the cone path reads their files).
    registry: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Saved samples served as ``samples.<name>`` (:mod:`xcat.server.tap_samples`).
    samples: dict[str, Any] = field(default_factory=dict)
    #: Cross-match runs served as ``runs.<name>`` (:mod:`xcat.server.tap_runs`).
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)
    _arrow: dict[str, pa.Table] | None = field(default=None, repr=False)

    def names(self) -> set[str]:
        """Names of the served tables of the main schema (unqualified in ADQL)."""
        return {n for n in self.tables if schema_of(n) == "main"}

    def links(self) -> list[tuple[str, str, str, list[tuple[str, str]]]]:
        """(key id, from table, to table, column pairs) of links both ends of which exist."""
        out = []
        for src, dst, cols in LINKS + self._detection_links():
            if src in self.tables and dst in self.tables:
                out.append((f"{src}__{dst}", src, dst, cols))
        return out

    def _detection_links(self) -> list[tuple[str, str, list[tuple[str, str]]]]:
        out = []
        for name in self.tables:
            parent = name.removesuffix("_detections")
            if parent != name and parent in self.tables and "name" in {
                    c["column_name"] for c in self.tables[name].columns}:
                out.append((name, parent, [("name", "name")]))
        return out

    def arrow(self) -> dict[str, pa.Table]:
        """The five TAP_SCHEMA tables as Arrow, by the names the translator uses (built
        once per schema).
        """
        if self._arrow is None:
            self._arrow = self._build_arrow()
        return self._arrow

    def _build_arrow(self) -> dict[str, pa.Table]:
        names = [n for n, _ in SCHEMAS if n not in (SAMPLES, RUNS) or any(
            schema_of(t) == n for t in self.tables)]
        schemas = pa.table({
            "schema_name": names, "description": [dict(SCHEMAS)[n] for n in names],
            "utype": pa.array([None] * len(names), pa.string()),
            "schema_index": pa.array(range(len(names)), pa.int32())})
        rows: dict[str, list[Any]] = {c: [] for c, _ in TAP_SCHEMA_COLUMNS["tables"]}
        cols: dict[str, list[Any]] = {c: [] for c, _ in TAP_SCHEMA_COLUMNS["columns"]}
        every = sorted(self.tables.values(), key=lambda t: t.name) + self_description()
        for i, t in enumerate(every):
            schema = schema_of(t.name)
            for k, v in zip(rows, (schema, display_name(t.name), t.kind, t.description, None,
                                   i), strict=True):
                rows[k].append(v)
            for c in t.columns:
                for k in cols:
                    cols[k].append(adql_name(c[k]) if k == "column_name" else
                                   display_name(c[k]) if k == "table_name" else c.get(k))
        keys: dict[str, list[Any]] = {k: [] for k in (
            "key_id", "from_table", "target_table", "description", "utype")}
        key_cols: dict[str, list[Any]] = {"key_id": [], "from_column": [], "target_column": []}
        for key_id, src, dst, pairs in self.links() + SELF_KEYS:
            for k, v in zip(keys, (key_id, src, dst, f"{src} rows of a {dst} row", None),
                            strict=True):
                keys[k].append(v)
            for a, b in pairs:
                key_cols["key_id"].append(key_id)
                key_cols["from_column"].append(adql_name(a))
                key_cols["target_column"].append(adql_name(b))
        return {
            "tap_schema__schemas": schemas,
            "tap_schema__tables": _typed(rows, TAP_SCHEMA_COLUMNS["tables"]),
            "tap_schema__columns": _typed(cols, TAP_SCHEMA_COLUMNS["columns"]),
            "tap_schema__keys": _typed(keys, TAP_SCHEMA_COLUMNS["keys"]),
            "tap_schema__key_columns": _typed(key_cols, TAP_SCHEMA_COLUMNS["key_columns"]),
        }


TAP_SCHEMA = "TAP_SCHEMA"
SAMPLES = "samples"
RUNS = "runs"
#: The TAP schemas served: (name, description).
SCHEMAS = [("main", "The xcat store: catalogs, views, cross-match runs"),
           (SAMPLES, "Saved samples of the store, run when read (xcat sample)"),
           (RUNS, "The pairs of each recorded cross-match run, by run name"),
           (TAP_SCHEMA, "Description of the tables served here (TAP 1.1)")]


def schema_of(table: str) -> str:
    """The TAP schema a served table name belongs to."""
    prefix, dot, _ = table.partition(".")
    return prefix if dot and prefix in (TAP_SCHEMA, SAMPLES, RUNS) else "main"


def display_name(table: str) -> str:
    """A served table's name as a query writes it (``runs."m101-hst"``)."""
    schema = schema_of(table)
    if schema in (SAMPLES, RUNS):
        return f"{schema}.{adql_name(table.partition('.')[2])}"
    return table


def add_samples(schema: Schema, served: dict[str, Any]) -> None:
    """Serve saved samples (:mod:`xcat.server.tap_samples`) as ``samples.<name>``."""
    for name, s in served.items():
        _add(schema, f"{SAMPLES}.{name}", s.description, s.columns)
    schema.samples = dict(served)


def add_runs(schema: Schema, runs: dict[str, dict[str, Any]]) -> None:
    """Serve each cross-match run's pairs (:mod:`xcat.server.tap_runs`) as ``runs.<name>``,
    with the columns of ``xmatch_pairs``.
    """
    pairs = schema.tables.get("xmatch_pairs")
    if pairs is None:
        return
    columns = [(c["column_name"], c) for c in pairs.columns]
    for name, run in runs.items():
        t = Table(f"{RUNS}.{name}", "view", run["description"])
        t.columns = [{**c, "table_name": t.name} for _, c in columns]
        schema.tables[t.name] = t
    schema.runs = dict(runs)


def _add(schema: Schema, name: str, description: str, columns: list[tuple[str, str]]) -> None:
    by_name: dict[str, tuple[Any, Any, Any]] = {}
    for column, unit, ucd, desc in schema.column_rows:
        by_name.setdefault(column, (unit, ucd, desc))
    t = Table(name, "table", description)
    for j, (column, dtype) in enumerate(columns):
        unit, ucd, desc = by_name.get(column) or (None,) * 3
        datatype, arraysize, xtype = tap_type(dtype)
        t.columns.append({
            "table_name": t.name, "column_name": column, "datatype": datatype,
            "arraysize": arraysize, "xtype": xtype, "size": None, "description": desc,
            "utype": None, "unit": unit, "ucd": ucd, "indexed": 0, "principal": 1,
            "std": 0, "column_index": j})
    schema.tables[t.name] = t


#: Columns of the TAP_SCHEMA tables themselves with their types (TAP 1.1 section 4).
TAP_SCHEMA_COLUMNS = {
    "schemas": [("schema_name", "char"), ("description", "char"), ("utype", "char"),
                ("schema_index", "int")],
    "tables": [("schema_name", "char"), ("table_name", "char"), ("table_type", "char"),
               ("description", "char"), ("utype", "char"), ("table_index", "int")],
    "columns": [("table_name", "char"), ("column_name", "char"), ("datatype", "char"),
                ("arraysize", "char"), ("xtype", "char"), ("size", "int"),
                ("description", "char"), ("utype", "char"), ("unit", "char"),
                ("ucd", "char"), ("indexed", "int"), ("principal", "int"), ("std", "int"),
                ("column_index", "int")],
    "keys": [("key_id", "char"), ("from_table", "char"), ("target_table", "char"),
             ("description", "char"), ("utype", "char")],
    "key_columns": [("key_id", "char"), ("from_column", "char"), ("target_column", "char")],
}
#: TAP_SCHEMA's own foreign keys (TAP 1.1 section 4): (key id, from, to, column pairs).
SELF_KEYS = [
    (f"{TAP_SCHEMA}.{key}", f"{TAP_SCHEMA}.{src}", f"{TAP_SCHEMA}.{dst}", [(fc, tc)])
    for key, src, dst, fc, tc in (
        ("tables_schema", "tables", "schemas", "schema_name", "schema_name"),
        ("columns_table", "columns", "tables", "table_name", "table_name"),
        ("keys_from", "keys", "tables", "from_table", "table_name"),
        ("keys_target", "keys", "tables", "target_table", "table_name"),
        ("key_columns_key", "key_columns", "keys", "key_id", "key_id"))]


def self_description() -> list[Table]:
    """The five TAP_SCHEMA tables as served tables (with their columns' types)."""
    out = []
    for name, columns in TAP_SCHEMA_COLUMNS.items():
        t = Table(f"{TAP_SCHEMA}.{name}", "table", f"TAP_SCHEMA {name} (TAP 1.1)")
        for j, (cname, kind) in enumerate(columns):
            t.columns.append({
                "table_name": t.name, "column_name": cname, "datatype": kind,
                "arraysize": "*" if kind == "char" else None, "xtype": None, "size": None,
                "description": None, "utype": None, "unit": None, "ucd": None,
                "indexed": 0, "principal": 1, "std": 1, "column_index": j})
        out.append(t)
    return out


def _typed(values: dict[str, list[Any]], columns: list[tuple[str, str]]) -> pa.Table:
    types = {"char": pa.string(), "int": pa.int32()}
    return pa.table({c: pa.array(values[c], types[kind]) for c, kind in columns})


RELATIONS = """
SELECT table_name, table_type FROM information_schema.tables
WHERE table_catalog = current_database() AND table_schema = 'main' ORDER BY table_name
"""
COLUMNS = """
SELECT table_name, column_name, data_type, ordinal_position FROM information_schema.columns
WHERE table_catalog = current_database() AND table_schema = 'main'
ORDER BY table_name, ordinal_position
"""


def served(name: str) -> bool:
    """Whether a relation of the store is served (not xcat's bookkeeping)."""
    return name not in INTERNAL and not name.startswith(INTERNAL_PREFIXES)


def read(con: duckdb.DuckDBPyConnection) -> Schema:
    """The served tables of the store attached on ``con`` with their column metadata."""
    meta: dict[tuple[str, str], tuple[Any, Any, Any]] = {}
    for cat, name, unit, ucd, desc in con.execute(
            "SELECT * FROM (" + registry.COLUMN_METADATA + ")").fetchall():
        meta[(cat, name)] = (unit, ucd, desc)
    rows = registry.column_rows(con)
    by_name: dict[str, tuple[Any, Any, Any]] = {}
    for name, unit, ucd, desc in rows:
        by_name.setdefault(name, (unit, ucd, desc))
    tables = {}
    for name, kind in con.execute(RELATIONS).fetchall():
        if served(name):
            tables[name] = Table(name, "view" if kind == "VIEW" else "table",
                                 f"xcat {'view' if kind == 'VIEW' else 'table'} {name}")
    catalogs = {}
    for r in registry.catalog_rows(con):
        catalogs[r["name"]] = registry.get_catalog(con, r["name"]) or r
    for name, row in catalogs.items():
        if name in tables:
            tables[name].description = f"catalog {name} ({row.get('kind', '')}, " \
                f"{row.get('n_rows', '?')} rows; source {row.get('source', '?')})"
    for table, column, dtype, pos in con.execute(COLUMNS).fetchall():
        if table not in tables:
            continue
        unit, ucd, desc = meta.get((table, column)) or by_name.get(column) or (None,) * 3
        datatype, arraysize, xtype = tap_type(dtype)
        tables[table].columns.append({
            "table_name": table, "column_name": column, "datatype": datatype,
            "arraysize": arraysize, "xtype": xtype, "size": None, "description": desc,
            "utype": None, "unit": unit, "ucd": ucd,
            "indexed": int(column in ("ra", "dec", "_healpix_29")),
            "principal": int(not column.startswith("_")), "std": 0,
            "column_index": int(pos)})
    cones = {}
    for name in catalogs:
        columns = [c["column_name"] for c in tables.get(name, Table(name, "", "")).columns]
        if "ra" in columns and "dec" in columns:
            cones[name] = columns
    return Schema(tables, rows, cones, registry={n: catalogs[n] for n in cones})
