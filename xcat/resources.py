"""Files packaged with xcat: migrations, named SQL, ingest jobs and service configuration.

In a wheel they live in ``xcat/_resources/``; in a source checkout they are the
top-level ``schema/``, ``queries/``, ``ingest/`` and ``config/`` folders.
"""

from __future__ import annotations

from pathlib import Path


def resource_root() -> Path:
    """Folder holding schema/, queries/, ingest/ and config/ (wheel install or checkout)."""
    here = Path(__file__).resolve().parent
    packaged = here / "_resources"
    if packaged.is_dir():
        return packaged
    return here.parent


def schema_dir() -> Path:
    """Numbered migrations (``schema/NNN_purpose.sql``)."""
    return resource_root() / "schema"


def queries_dir() -> Path:
    """Named SQL: ``views/``, ``saved/``, ``audits/`` and ``reports/``."""
    return resource_root() / "queries"


def ingest_dir() -> Path:
    """Declarative ingest jobs, one folder per job (``ingest/<kind>/job.toml``)."""
    return resource_root() / "ingest"


def config_dir() -> Path:
    """Configuration shipped with xcat (``config/services.toml``: remote services)."""
    return resource_root() / "config"


def read_sql(relpath: str) -> str:
    """Text of ``queries/<relpath>`` (e.g. ``views/luminosities.sql``)."""
    return (queries_dir() / relpath).read_text()
