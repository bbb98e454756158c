"""Apply ``schema/NNN_purpose.sql`` migrations in order, each recorded when applied."""

from __future__ import annotations

import re

import duckdb

from xcat import resources
from xcat.store import registry
from xcat.store.sql import transaction

MIGRATION_RE = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")
OBJECT_RE = re.compile(r"\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:TABLE|VIEW|MACRO|SEQUENCE|TYPE)"
                       r"\s+(?:IF\s+NOT\s+EXISTS\s+)?([A-Za-z_][A-Za-z0-9_]*)", re.I)

#: Bookkeeping for the migrations, created before the first one runs.
CREATE_MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER NOT NULL,
    name       VARCHAR NOT NULL,
    purpose    VARCHAR,
    applied_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
)
"""


def available() -> list[tuple[int, str, str]]:
    """(version, name, purpose) of every migration file, in order."""
    out = []
    for f in sorted(resources.schema_dir().glob("*.sql")):
        m = MIGRATION_RE.match(f.name)
        if m:
            first = f.read_text().splitlines()[0]
            purpose = first.removeprefix("--").strip()
            out.append((int(m[1]), f.stem, purpose))
    return out


def schema_objects() -> set[str]:
    """Names (lower case) of the tables, sequences and macros the migrations create.

    Examples
    --------
    >>> {"catalogs", "xmatch_runs", "hosts"} <= schema_objects()
    True
    """
    names = {"schema_migrations"}
    for f in resources.schema_dir().glob("*.sql"):
        names |= {m.lower() for m in OBJECT_RE.findall(f.read_text())}
    return names


def applied(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Versions of the migrations already applied, in order."""
    rows = con.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()
    return [r[0] for r in rows]


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """Highest applied migration version."""
    return max(applied(con), default=0)


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply pending migrations, each in its own transaction; return their names."""
    if "schema_migrations" not in registry.table_names(con):
        con.execute(CREATE_MIGRATIONS_TABLE)
    done = set(applied(con))
    names = []
    for version, name, purpose in available():
        if version in done:
            continue
        with transaction(con):
            con.execute((resources.schema_dir() / f"{name}.sql").read_text())
            con.execute("INSERT INTO schema_migrations (version, name, purpose) "
                        "VALUES ($version, $name, $purpose)",
                        {"version": version, "name": name, "purpose": purpose})
        names.append(name)
    return names
