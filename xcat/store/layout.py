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


def catalog_glob(store: Path, name: str) -> str:
    """Glob over a catalog's Parquet partition files."""
    return str(catalog_dir(store, name) / DATASET_DIR / "Norder=*" / "Dir=*" / "Npix=*"
               / "*.parquet")
