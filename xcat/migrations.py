"""Apply ``schema/NNN_purpose.sql`` migrations in order, each recorded when applied."""

from __future__ import annotations

import re

import duckdb

from xcat import paths

MIGRATION_RE = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")


def available() -> list[tuple[int, str, str]]:
    """(version, name, purpose) of every migration file, in order."""
    out = []
    for f in sorted(paths.schema_dir().glob("*.sql")):
        m = MIGRATION_RE.match(f.name)
        if m:
            first = f.read_text().splitlines()[0]
            purpose = first.removeprefix("--").strip()
            out.append((int(m[1]), f.stem, purpose))
    return out


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """Highest applied migration version."""
    rows = con.execute(paths.read_sql("store/applied_migrations.sql")).fetchall()
    return max((r[0] for r in rows), default=0)


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply pending migrations, each in its own transaction; return their names."""
    tables = {r[0] for r in con.execute(paths.read_sql("store/table_names.sql")).fetchall()}
    if "schema_migrations" not in tables:
        con.execute(paths.read_sql("store/create_migrations_table.sql"))
    done = {r[0] for r in con.execute(paths.read_sql("store/applied_migrations.sql")).fetchall()}
    applied = []
    for version, name, purpose in available():
        if version in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute((paths.schema_dir() / f"{name}.sql").read_text())
            con.execute(paths.read_sql("store/record_migration.sql"),
                        {"version": version, "name": name, "purpose": purpose})
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.append(name)
    return applied
