"""Every on-disk name xcat uses, in one place (store layout and packaged resources)."""

from __future__ import annotations

from pathlib import Path

DB_FILE = "xcat.duckdb"
CATALOGS_DIR = "catalogs"
DATASET_DIR = "dataset"
PROPERTIES_FILE = "hats.properties"
PARTITION_INFO_FILE = "partition_info.csv"
METADATA_FILE = "_metadata"
COMMON_METADATA_FILE = "_common_metadata"
PROVENANCE_FILE = "xcat_provenance.json"
STAGING_PREFIX = ".staging-"
TRASH_PREFIX = ".trash-"
HEALPIX_COLUMN = "_healpix_29"
DEFAULT_STORE = "xcat-store"


def _resource_root() -> Path:
    """Folder holding schema/, queries/ and ingest/ (wheel install or source checkout)."""
    here = Path(__file__).resolve().parent
    packaged = here / "_resources"
    if packaged.is_dir():
        return packaged
    return here.parent


def schema_dir() -> Path:
    """Numbered migrations (``schema/NNN_purpose.sql``)."""
    return _resource_root() / "schema"


def queries_dir() -> Path:
    """SQL files: ``views/``, ``store/`` statements and ``audits/``."""
    return _resource_root() / "queries"


def ingest_dir() -> Path:
    """Declarative catalog definitions, one TOML file per catalog kind."""
    return _resource_root() / "ingest"


def config_dir() -> Path:
    """Configuration shipped with xcat (``config/services.toml``: remote services)."""
    return _resource_root() / "config"


def read_sql(relpath: str) -> str:
    """Text of ``queries/<relpath>`` (e.g. ``store/register_catalog.sql``)."""
    return (queries_dir() / relpath).read_text()


def catalog_dir(store: Path, name: str) -> Path:
    """``<store>/catalogs/<name>``: one HATS catalog."""
    return store / CATALOGS_DIR / name


def partition_dir(catalog: Path, order: int, pixel: int) -> Path:
    """HATS ``dataset/Norder=k/Dir=d/Npix=n`` folder of one partition."""
    d = (pixel // 10_000) * 10_000
    return catalog / DATASET_DIR / f"Norder={order}" / f"Dir={d}" / f"Npix={pixel}"


def partition_file(catalog: Path, order: int, pixel: int) -> Path:
    """The Parquet file inside a partition folder (hats' default name)."""
    return partition_dir(catalog, order, pixel) / f"Npix={pixel}.parquet"
