"""Every on-disk name of a store, in one place (the store layout)."""

from __future__ import annotations

from pathlib import Path

DB_FILE = "xcat.duckdb"
CATALOGS_DIR = "catalogs"
DATASET_DIR = "dataset"
PROPERTIES_FILE = "hats.properties"
PARTITION_INFO_FILE = "partition_info.csv"
METADATA_FILE = "_metadata"
COMMON_METADATA_FILE = "_common_metadata"
STAGING_PREFIX = ".staging-"
TRASH_PREFIX = ".trash-"
HEALPIX_COLUMN = "_healpix_29"
DEFAULT_STORE = "xcat-store"
DIST_COLUMN = "_dist_arcsec"


def version_dir(store: Path, name: str, token: str) -> Path:
    """``<store>/catalogs/<name>-<token>``: one version of a HATS catalog. The registry's
    ``path`` names the live version; a new one is written beside it and goes live when
    the registry change commits (catalog names hold no ``-``, so the split is clear).
    """
    return store / CATALOGS_DIR / f"{name}-{token}"


def staging_dir(store: Path, name: str, token: str) -> Path:
    """Where an ingest writes a catalog before it holds the write lock."""
    return store / CATALOGS_DIR / f"{STAGING_PREFIX}{name}-{token}"


def staging_lock(store: Path, token: str) -> Path:
    """Lock file held while an ingest writes its staging folders (to tell a live ingest
    from an interrupted one).
    """
    return store / CATALOGS_DIR / f"{STAGING_PREFIX}{token}.lock"


def partition_dir(catalog: Path, order: int, pixel: int) -> Path:
    """HATS ``dataset/Norder=k/Dir=d/Npix=n`` folder of one partition."""
    d = (pixel // 10_000) * 10_000
    return catalog / DATASET_DIR / f"Norder={order}" / f"Dir={d}" / f"Npix={pixel}"


def partition_file(catalog: Path, order: int, pixel: int) -> Path:
    """The Parquet file inside a partition folder (hats' default name)."""
    return partition_dir(catalog, order, pixel) / f"Npix={pixel}.parquet"


def catalog_glob(catalog: Path) -> str:
    """Glob over the Parquet partition files of the HATS catalog folder ``catalog``."""
    return str(catalog / DATASET_DIR / "Norder=*" / "Dir=*" / "Npix=*" / "*.parquet")
