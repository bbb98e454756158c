"""Every on-disk name of a store, in one place (the store layout)."""

from __future__ import annotations

import re
from pathlib import Path

DB_FILE = "xcat.duckdb"
CATALOGS_DIR = "catalogs"
RUNS_DIR = "runs"
PRODUCTS_DIR = "products"
PAIRS_PREFIX = "pairs-"
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


def run_folder_name(name: str, token: str) -> str:
    """``<name>-<token>``: the folder of one recorded cross-match run (run names are free
    text: characters other than letters, digits, ``_`` and ``.`` become ``_``).

    Examples
    --------
    >>> run_folder_name("csc x hst/2", "0a1b2c3d4e")
    'csc_x_hst_2-0a1b2c3d4e'
    """
    safe = re.sub(r"[^A-Za-z0-9_.]", "_", name)[:64].lstrip(".") or "run"
    return f"{safe}-{token}"


def runs_dir(store: Path) -> Path:
    """``<store>/runs``: one folder per recorded cross-match run."""
    return store / RUNS_DIR


def run_dir(store: Path, name: str, token: str) -> Path:
    """``<store>/runs/<name>-<token>``: the pairs of one run (``xmatch_runs.pairs_path``
    names the live folder; one written for a run that never committed is a leftover).
    """
    return runs_dir(store) / run_folder_name(name, token)


def run_staging_dir(store: Path, name: str, token: str) -> Path:
    """Where a run's pairs are written before the write lock is taken."""
    return runs_dir(store) / f"{STAGING_PREFIX}{run_folder_name(name, token)}"


def pairs_file(run_folder: Path, part: int) -> Path:
    """``pairs-<part>.parquet``: one of the Parquet files of a run's pairs (a large run is
    written as several at once; read in name order, they are in order).
    """
    return run_folder / f"{PAIRS_PREFIX}{part:03d}.parquet"


def pairs_glob(run_folder: Path) -> str:
    """Glob over the Parquet files of a run's pairs."""
    return str(run_folder / f"{PAIRS_PREFIX}*.parquet")


def pairs_files(run_folder: Path) -> list[Path]:
    """The Parquet files of a run's pairs, in order."""
    return sorted(run_folder.glob(f"{PAIRS_PREFIX}*.parquet"))


def products_dir(store: Path) -> Path:
    """``<store>/products``: downloaded per-source data products (light curves, spectra)."""
    return store / PRODUCTS_DIR


def product_file(store: Path, catalog: str, source_key: str, file_name: str) -> Path:
    """``<store>/products/<catalog>/<source>/<file>``: one fetched product file (the source
    key with characters other than letters, digits, ``_ . + -`` made ``_``).

    Examples
    --------
    >>> product_file(Path("/s"), "csc", "2CXO J140312.5+542056", "x_lc3.fits").as_posix()
    '/s/products/csc/2CXO_J140312.5+542056/x_lc3.fits'
    """
    folder = re.sub(r"[^A-Za-z0-9_.+-]", "_", source_key).lstrip(".") or "source"
    return products_dir(store) / catalog / folder / file_name
