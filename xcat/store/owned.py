"""User SQL against the store: which statements read, which write, and a guard that
refuses edits of the objects the store owns (registry tables, catalog and science
views, macros, sequences) instead of letting xcat silently undo them on the next open.

A writing query runs in one transaction; the store-owned objects' definitions and
table contents are fingerprinted before and after, and a change rolls everything back.

Examples
--------
>>> import duckdb
>>> statement_kinds(duckdb.connect(), "SELECT 1; DROP VIEW csc")
['SELECT', 'DROP']
"""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa

from xcat.errors import XcatError
from xcat.store import registry, sqlbuild, xray_views
from xcat.store.migrations import schema_objects
from xcat.store.sql import run_arrow, sql_error_message
from xcat.store.views import PAIRS_LEGACY, view_names

#: Statements that only read the store (COPY ... TO writes a file, not the store; a
#: COPY ... FROM fails on the read-only attachment and then asks for a write).
READS = {"SELECT", "EXPLAIN", "PRAGMA", "CALL", "COPY", "SET"}
#: Store tables whose rows are settings users edit in SQL (thresholds of the flag rules,
#: energy-conversion factors, the classification vocabulary); their definitions are
#: still the store's.
EDITABLE = {"flag_rules", "flag_rule_conditions", "energy_conversion_factors", "ecf_choice",
            "classification_classes"}
#: Statements a store session cannot run: the session manages the attachment itself.
REFUSED = {"ATTACH", "DETACH", "TRANSACTION", "EXPORT", "LOAD"}

OBJECTS = """
SELECT 'view ' || view_name, sql FROM duckdb_views()
 WHERE database_name = current_database() AND NOT internal
UNION ALL SELECT 'table ' || table_name, sql FROM duckdb_tables()
 WHERE database_name = current_database()
UNION ALL SELECT 'sequence ' || sequence_name, sql FROM duckdb_sequences()
 WHERE database_name = current_database()
UNION ALL SELECT 'macro ' || function_name, string_agg(macro_definition, ';')
  FROM duckdb_functions() WHERE database_name = current_database()
   AND function_type IN ('macro', 'table_macro') GROUP BY function_name
"""


def statement_kinds(con: duckdb.DuckDBPyConnection, query: str) -> list[str]:
    """The statement type of each statement in ``query`` (parsed, not run)."""
    try:
        stmts = con.extract_statements(query)
    except duckdb.Error as exc:
        raise XcatError(sql_error_message(exc)) from exc
    out = []
    for st in stmts:
        kind = st.type.name
        if kind == "SET" and st.query.lstrip().lower().startswith("use"):
            kind = "USE"
        out.append(kind)
    return out


def check_kinds(kinds: list[str]) -> bool:
    """Whether the statements write; refuse those a store session cannot run."""
    bad = sorted({k for k in kinds if k in REFUSED or k == "USE"})
    if bad:
        raise XcatError(f"{', '.join(bad)} statements are not run against the store: xcat "
                        "attaches it for each query (open xcat.duckdb in DuckDB for that)")
    return any(k not in READS for k in kinds)


def owned_names(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Lower-case names of every object the store owns (computed products included)."""
    names = schema_objects() | view_names() | {"store_info", PAIRS_LEGACY}
    for row in registry.catalog_rows(con):
        n = row["name"]
        names |= {n, xray_views.hats_view(n), xray_views.staging_view(n),
                  xray_views.position_errors_view(n)}
    for name, wide in con.execute("SELECT name, wide_view FROM products").fetchall():
        names |= {name} | ({wide} if wide else set())
    return {n.lower() for n in names}


def rows_to_hash(con: duckdb.DuckDBPyConnection, query: str, owned: set[str]) -> set[str]:
    """The owned tables whose rows a query could change: those it names (a statement
    changes rows only of tables it names), or all of them for ``EXECUTE`` of a statement
    prepared earlier.
    """
    if {"EXECUTE", "PREPARE"} & set(statement_kinds(con, query)):
        return owned
    text = query.lower()
    return {n for n in owned if n in text}


def fingerprint(con: duckdb.DuckDBPyConnection, owned: set[str],
                hashed: set[str]) -> dict[str, Any]:
    """Definition of every owned object, and a hash of the rows of each owned table in
    ``hashed``.
    """
    out: dict[str, Any] = {}
    for key, sql in con.execute(OBJECTS).fetchall():
        kind, name = key.split(" ", 1)
        if name.lower() not in owned:
            continue
        out[key] = sql
        if kind == "table" and name.lower() in hashed and name.lower() not in EDITABLE:
            q = sqlbuild.quote(name)
            out[key + " rows"] = con.execute(
                f"SELECT count(*), coalesce(sum(hash(t)), 0) FROM {q} AS t").fetchall()[0]
    return out


def run_guarded(con: duckdb.DuckDBPyConnection, query: str,
                params: dict[str, Any] | list[Any] | None) -> pa.Table:
    """Run a writing query in one transaction; roll back if it changed an owned object."""
    owned = owned_names(con)
    hashed = rows_to_hash(con, query, owned)
    before = fingerprint(con, owned, hashed)
    con.execute("BEGIN TRANSACTION")
    try:
        table = run_arrow(con, query, params)
        after = fingerprint(con, owned, hashed)
    except BaseException:
        con.execute("ROLLBACK")
        raise
    changed = sorted({k.removesuffix(" rows") for k in before.keys() | after.keys()
                      if before.get(k) != after.get(k)})
    if changed:
        con.execute("ROLLBACK")
        raise XcatError(f"refused: the query changes {', '.join(changed)}, which the store "
                        "owns (xcat commands change them; make your own tables and views "
                        "under other names); nothing was changed")
    con.execute("COMMIT")
    return table
