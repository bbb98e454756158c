"""HATS catalogs into the store without xcat's own writer: an existing catalog registered
in place (:class:`RegisterHatsJob`), and inputs too large for one machine ingested by
hats-import's pipeline on a Dask cluster (:class:`HatsImportJob`).

``HatsImportJob`` writes the catalog and its margin cache with hats-import into a
staging folder inside the store (``catalogs/.staging-<name>_import-<token>``, held by a
staging lock so that no other session takes it for a leftover), in xcat's own layout
(``hats_npix_suffix=/``, the margin in ``margin/``), then installs it like any ingest
(:func:`xcat.jobs.runner.install`): one COMMIT, the same registry row, column metadata
and views. A failed pipeline, a dead worker or Ctrl-C registers nothing and the staging
folder is removed.

Examples
--------
>>> run("xcat-store", RegisterHatsJob(Path("gaia_dr3"), name="gaia"))   # doctest: +SKIP
['gaia: loaded 1812731847 rows (3933 partitions) from gaia_dr3', ...]
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from xcat.catalog import external
from xcat.catalog import margin as margin_mod
from xcat.catalog.build import check_name
from xcat.catalog.hats import MAX_PARTITION_ROWS
from xcat.errors import XcatError
from xcat.io.coords import find_position_columns
from xcat.io.table import InputTable, sha256_of
from xcat.jobs import log
from xcat.jobs.base import Install, Job, Provenance, options_detail
from xcat.jobs.runner import CatalogInstall, install
from xcat.remote.cluster import check_paths, client_for
from xcat.sky.units import require_quantity
from xcat.store import layout, registry, upkeep
from xcat.store.db import Database

#: Input formats hats-import reads, by file name ending.
FORMATS = {".csv": "csv", ".csv.gz": "csv", ".parquet": "parquet", ".pq": "parquet"}


@dataclass(frozen=True)
class RegisterHatsJob(Job):
    """Register the HATS catalog (or collection) at ``path`` as ``name``, in place."""

    path: Path
    name: str
    key: str | None = None
    margin: Path | None = None

    def __post_init__(self) -> None:
        check_name(self.name)

    def prepare(self) -> CatalogInstall:
        """Read and check the catalog (properties, partitions, file order, key)."""
        found = external.find(self.path, self.margin)
        b = external.build(found, name=self.name, key=self.key)
        b.notes.append(f"registered in place from {found.main.folder}: xcat never moves or "
                       "removes its files")
        if found.margin is not None:
            b.notes.append(f"margin cache: {found.threshold:g} arcsec, {found.margin.folder}")
        else:
            b.notes.append("no margin catalog found beside it: cross-matches against it "
                           "read it whole (or run `xcat margin`)")
        detail = options_detail({"kind": "hats", "external": str(found.main.folder),
                                 "margin": str(found.margin.folder) if found.margin else None,
                                 "key": self.key})
        return CatalogInstall([([b], Provenance(str(found.main.folder), detail,
                                                found.sha256()))])


def input_files(patterns: list[str | Path]) -> list[Path]:
    """Files named or matched by glob ``patterns``, in order, without repeats."""
    out: list[Path] = []
    for pat in patterns:
        text = str(Path(pat).expanduser())
        hits = sorted(glob.glob(text)) if glob.has_magic(text) else [text]  # noqa: PTH207
        if not hits:
            raise XcatError(f"{pat}: no file matches")
        for h in hits:
            p = Path(h).resolve()
            if not p.is_file():
                raise XcatError(f"{h}: no such file")
            if p not in out:
                out.append(p)
    return out


def input_format(files: list[Path]) -> str:
    """hats-import's reader for the files (one format for all)."""
    found = set()
    for f in files:
        name = f.name.lower()
        fmt = next((v for k, v in FORMATS.items() if name.endswith(k)), None)
        if fmt is None:
            raise XcatError(f"{f.name}: --engine dask reads CSV and Parquet files "
                            "(hats-import's readers); convert it or ingest without --engine")
        found.add(fmt)
    if len(found) > 1:
        raise XcatError("--engine dask: give files of one format (CSV or Parquet)")
    return found.pop()


@dataclass(frozen=True)
class HatsImportJob(Job):
    """Ingest ``files`` (CSV or Parquet, globs allowed) through hats-import on Dask."""

    files: tuple[str, ...]
    name: str
    ra: str | None = None
    dec: str | None = None
    key: str | None = None
    margin: float | str | None = None
    max_rows: int = MAX_PARTITION_ROWS
    client: Any = field(default=None, compare=False)
    scheduler: str | None = None
    workers: int | None = None

    def __post_init__(self) -> None:
        check_name(self.name)
        if isinstance(self.margin, str):  # an angle with a unit, e.g. "60arcsec"
            object.__setattr__(self, "margin",
                               require_quantity(self.margin, "angle", "arcsec", "--margin"))
        if self.workers is not None and self.client is not None:
            raise XcatError("give a Dask client or a number of workers, not both")
        if self.margin is not None and not 0 < self.margin <= 30 * 3600:
            raise XcatError(f"margin threshold {self.margin:g} arcsec must be > 0 and at "
                            "most 30 deg")

    def prepare(self) -> DaskInstall:
        """Find the inputs, their format, schema (types decided over every row) and
        position columns, before any cluster or store is touched.
        """
        files = input_files(list(self.files))
        fmt = input_format(files)
        schema = _schema(files, fmt)
        ra, dec = find_position_columns(
            InputTable(schema.empty_table(), external.column_meta(schema),
                       files[0].name, fmt), self.ra, self.dec)
        digests = [sha256_of(f) for f in files]
        sha = digests[0] if len(digests) == 1 else \
            hashlib.sha256("".join(digests).encode()).hexdigest()
        source = str(files[0]) if len(files) == 1 else f"{files[0].parent}/ ({len(files)} files)"
        detail = options_detail({"kind": "table", "engine": "dask", "files": [
            str(f) for f in files] if len(files) > 1 else None, "ra": ra, "dec": dec,
            "key": self.key, "margin": self.margin, "max_rows": self.max_rows})
        return DaskInstall(self, files, fmt, schema, ra, dec, Provenance(source, detail, sha))


def _schema(files: list[Path], fmt: str) -> Any:
    """The inputs' Arrow schema: Parquet's own, or CSV types DuckDB decides over every
    row of every file (hats-import's CSV reader would decide per chunk).
    """
    if fmt == "parquet":
        return pq.read_schema(files[0])
    con = duckdb.connect()
    try:
        rel = con.sql("SELECT * FROM read_csv($f, sample_size = -1, union_by_name = true)"
                      .replace("$f", "[" + ", ".join(f"'{_quote(f)}'" for f in files) + "]"))
        return rel.limit(0).arrow().schema
    except duckdb.Error as exc:
        raise XcatError(f"{files[0].name}: cannot read as CSV "
                        f"({str(exc).strip().splitlines()[0]})") from exc
    finally:
        con.close()


def _import_schema(schema: pa.Schema) -> pa.Schema:
    """The CSV columns as hats-import writes them: dates and times as text (as read)."""
    return pa.schema([f.with_type(pa.string()) if not (
        pa.types.is_integer(f.type) or pa.types.is_floating(f.type)
        or pa.types.is_boolean(f.type)) else f for f in schema])


def _pandas_dtypes(schema: pa.Schema) -> dict[str, str]:
    """The pandas dtypes for hats-import's CSV reader (nullable, so a chunk's empty cells
    do not change a column's type).
    """
    out = {}
    for f in schema:
        if pa.types.is_integer(f.type):
            out[f.name] = str(f.type).replace("int", "Int").replace("uInt", "UInt")
        elif pa.types.is_floating(f.type):
            out[f.name] = "float32" if f.type == pa.float32() else "float64"
        elif pa.types.is_boolean(f.type):
            out[f.name] = "boolean"
        else:
            out[f.name] = "string"
    return out


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")


@dataclass
class DaskInstall(Install):
    """The checked inputs of a :class:`HatsImportJob`, installed by running the pipeline."""

    job: HatsImportJob
    files: list[Path]
    fmt: str
    schema: Any
    ra: str
    dec: str
    prov: Provenance

    def install(self, store: Database, *, replace: bool = False,
                progress: bool = False) -> list[str]:
        """Run hats-import into the store's staging, then install as one COMMIT."""
        with store.reading():
            row = registry.get_catalog(store.con, self.job.name)
        if row is not None and not replace and row["source"] != self.prov.source:
            raise XcatError(f"catalog name '{self.job.name}' is taken (loaded from "
                            f"{row['source']}); choose another --name or pass --replace")
        token = uuid.uuid4().hex[:10]
        stage = layout.staging_dir(store.path, f"{self.job.name}_import", token)
        with upkeep.StagingLock(store.path, token):
            try:
                stage.mkdir(parents=True)
                with _client(self.job) as client:
                    check_paths(client, [store.path, *self.files])
                    catalog = self._pipeline(client, stage, progress)
                found = external.find(catalog, catalog / upkeep.MARGIN_DIR)
                b = external.build(found, name=self.job.name, key=self.job.key,
                                   kind="table", owned=catalog)
                b.notes.append(f"built by hats-import on Dask ({len(self.files)} input "
                               f"file(s), {len(found.main.parts)} partitions, margin "
                               f"{found.threshold:g} arcsec)")
                return install(store, [b], self.prov, replace=replace, progress=progress)
            finally:
                shutil.rmtree(stage, ignore_errors=True)

    def _pipeline(self, client: Any, stage: Path, progress: bool) -> Path:
        """hats-import's catalog then margin pipelines; the catalog folder."""
        try:
            from hats_import.catalog.arguments import ImportArguments
            from hats_import.catalog.file_readers import get_file_reader
            from hats_import.margin_cache.margin_cache_arguments import MarginCacheArguments
            from hats_import.pipeline import pipeline_with_client
        except ImportError as exc:
            raise XcatError("--engine dask needs the dask extra: pip install 'xcat[dask]'"
                            ) from exc

        schema_file = None
        if self.fmt == "csv":
            schema = _import_schema(self.schema)
            schema_file = stage / "input_schema.parquet"
            pq.write_table(schema.empty_table(), schema_file)
            reader = get_file_reader("csv", type_map=_pandas_dtypes(schema),
                                     compression="infer")
        else:
            reader = get_file_reader("parquet")
        threshold = self.job.margin if self.job.margin is not None else \
            margin_mod.MIN_THRESHOLD
        common = {"resume": False, "progress_bar": progress, "npix_suffix": "/",
                  "tmp_dir": str(stage / "tmp")}
        args = ImportArguments(
            output_path=str(stage), output_artifact_name="catalog",
            input_file_list=[str(f) for f in self.files], file_reader=reader,
            ra_column=self.ra, dec_column=self.dec, pixel_threshold=self.job.max_rows,
            use_schema_file=str(schema_file) if schema_file else None,
            **common)
        try:
            log.debug("hats-import: %d file(s) into %s", len(self.files), stage)
            pipeline_with_client(args, client)
            catalog = stage / "catalog"
            pipeline_with_client(MarginCacheArguments(
                input_catalog_path=str(catalog), output_path=str(catalog),
                output_artifact_name=upkeep.MARGIN_DIR, margin_threshold=threshold,
                **common), client)
        except (XcatError, KeyboardInterrupt):
            raise
        except Exception as exc:  # the pipeline's, a worker's or the scheduler's failure
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise XcatError(f"hats-import failed: {type(exc).__name__}"
                            f"{': ' + first if first else ''}; nothing was registered") from exc
        shutil.rmtree(catalog / "intermediate", ignore_errors=True)
        return catalog


@contextlib.contextmanager
def _client(job: HatsImportJob) -> Any:
    """The job's client, or one :func:`client_for` starts or connects."""
    if job.client is not None:
        yield job.client
        return
    with client_for(job.scheduler, job.workers) as client:
        yield client
