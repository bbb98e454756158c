"""Any catalog kind from a file: ``xcat ingest csc|2rxs|erass1|table FILE`` and the
counterpart catalogs (``gaia``, ``2mass``, ``carmenes``, ``muwclass``, ``vizier``,
``regions``), with the keys, units and positional-error columns of their
``ingest/<kind>/job.toml``.

Examples
--------
>>> job = FileJob(kind="gaia", file=Path("1712337806100O-result.ecsv"))
>>> run("xcat-store", job)                                       # doctest: +SKIP
['gaia: loaded 5 rows (1 partitions) from 1712337806100O-result.ecsv']

"""

from __future__ import annotations

import itertools
import logging
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xcat.catalog import hats as hats_writer
from xcat.catalog.build import CatalogBuild, check_name
from xcat.catalog.prepare import prepare_chunks
from xcat.catalog.stream_keys import ChunksDifferError
from xcat.errors import XcatError
from xcat.io.chunks import (
    BackgroundSha256,
    count_rows,
    default_chunk_rows,
    iter_chunks,
    scan_bytes,
)
from xcat.io.table import InputTable, sha256_of
from xcat.jobs.base import Job, Provenance, options_detail
from xcat.jobs.muwclass import keep_counterpart_rows
from xcat.jobs.runner import CatalogInstall, run
from xcat.sky.units import require_quantity
from xcat.store.db import Database
from xcat.store.kinds import CatalogDefinition, load_definition

log = logging.getLogger(__name__)
#: Inputs with more rows show a progress bar (on a terminal).
PROGRESS_MIN_ROWS = 200_000

#: Kinds whose rows need code before the generic preparation: (input, ra, dec) -> (ra, dec)
ROW_FILTERS: dict[str, Callable[[InputTable, str | None, str | None], tuple[str, str]]] = {
    "muwclass": keep_counterpart_rows,
}


@dataclass(frozen=True, kw_only=True)
class FileJob(Job):
    """Load ``file`` (VOTable/FITS/CSV/ECSV/Parquet/DS9) as a catalog of ``kind``.

    Parameters
    ----------
    kind : str
        A folder of ``ingest/`` (``csc``, ``rxs2``, ``erass1``, ``table``, ``gaia`` ...).
    file : Path
        The input table.
    name : str, optional
        Catalog name (default: the kind's, else from the file name).
    ra, dec, key : str, optional
        Position and key columns when the kind's defaults do not apply.
    mapping : str, optional
        ``--map`` renames/units: ``"new=old,flux=F[mW/m2]"``.
    pos_err : tuple of str
        Extra positional-error columns (stored in arcsec).
    fmt : str, optional
        Input format when the file name does not tell.
    max_rows : int
        Most rows a HATS partition may hold (hats-import's ``pixel_threshold``).
    invalid_as_null : bool
        Store negative, infinite or non-numeric energy fluxes and positional errors as
        NULL (with a warning) instead of refusing the file.
    margin : float, optional
        Margin-cache threshold in arcsec (default: 3x the largest positional error,
        at least 10 arcsec).
    """

    kind: str
    file: Path
    name: str | None = None
    ra: str | None = None
    dec: str | None = None
    key: str | None = None
    mapping: str | None = None
    pos_err: tuple[str, ...] = ()
    fmt: str | None = None
    max_rows: int = hats_writer.MAX_PARTITION_ROWS
    invalid_as_null: bool = False
    margin: float | str | None = None
    chunk_rows: int | None = None
    spill_dir: Path | None = None

    def __post_init__(self) -> None:
        load_definition(self.kind)
        if self.name is not None:
            check_name(self.name)
        object.__setattr__(self, "file", Path(self.file))
        object.__setattr__(self, "pos_err", tuple(self.pos_err))
        if not self.max_rows >= 1:
            raise XcatError(f"max_rows {self.max_rows} must be at least 1")
        if self.chunk_rows is not None and not self.chunk_rows >= 1:
            raise XcatError(f"chunk_rows {self.chunk_rows} must be at least 1")
        if isinstance(self.margin, str):  # an angle with a unit, e.g. "60arcsec"
            object.__setattr__(self, "margin",
                               require_quantity(self.margin, "angle", "arcsec", "--margin"))
        if self.margin is not None and not 0 < self.margin <= 3600 * 30:
            raise XcatError(f"margin {self.margin} arcsec must be > 0 and at most 30 deg")

    def prepare(self) -> CatalogInstall:
        """Read and check the file without touching any store (in chunks: see
        :func:`xcat.catalog.prepare.prepare_chunks`).
        """
        definition = load_definition(self.kind)
        file = Path(os.path.abspath(self.file))  # noqa: PTH100 (".." folded, links kept)
        fmt = self.fmt or definition.input_format or None
        whole = definition.detections or self.kind in ROW_FILTERS
        chunk_rows = None if whole else self.chunk_rows or default_chunk_rows()
        digest = BackgroundSha256(file) if file.is_file() else None
        try:
            try:
                builds, detail = self._prepare(file, definition, fmt, chunk_rows)
            except ChunksDifferError as exc:  # chunks that disagree: read the file whole
                log.debug("%s; reading it whole", exc)
                builds, detail = self._prepare(file, definition, fmt, None)
        except BaseException:
            if digest is not None:
                digest.cancel()
            raise
        sha256 = digest.result() if digest is not None else sha256_of(file)
        return CatalogInstall([(builds, Provenance(str(file), detail, sha256))],
                              max_rows=self.max_rows, margin_arcsec=self.margin)

    def _prepare(self, file: Path, definition: CatalogDefinition, fmt: str | None,
                 chunk_rows: int | None) -> tuple[list[CatalogBuild], str]:
        scan = progress_bar(scan_bytes(file, fmt, chunk_rows), f"scanning {file.name}", "B")
        chunks = iter_chunks(file, fmt, chunk_rows, scanned=scan.update if scan else None)
        try:
            inp = next(chunks)  # a CSV file is scanned first: types, row count
        finally:
            if scan:
                scan.close()
        name = self.name or definition.default_name or name_from_file(file)
        ra, dec, key = self.ra, self.dec, self.key
        if self.kind in ROW_FILTERS:
            ra, dec = ROW_FILTERS[self.kind](inp, ra, dec)
        elif not key and definition.key and definition.key_any_case:
            key = _any_case(inp, definition.key)
        detail = options_detail({"kind": self.kind, "ra": ra, "dec": dec, "key": key,
                                 "map": self.mapping, "pos_err": list(self.pos_err) or None,
                                 "format": self.fmt, "invalid_as_null": self.invalid_as_null})
        total = count_rows(file, fmt) if chunk_rows else None
        bar = progress_bar(total, f"reading {file.name}")
        try:
            builds = prepare_chunks(itertools.chain([inp], chunks), definition, name=name,
                                    ra=ra, dec=dec, key=key, mapping=self.mapping,
                                    pos_err=self.pos_err,
                                    invalid_as_null=self.invalid_as_null,
                                    spill_dir=self.spill_dir,
                                    progress=bar.update if bar else None)
        finally:
            if bar:
                bar.close()
        return builds, detail


def progress_bar(total: int | None, desc: str, unit: str = "rows") -> Any:
    """A tqdm bar on stderr when it is a terminal and the input is large (in ``unit``:
    rows, or bytes ``"B"`` at 100 a row), else None.
    """
    least = PROGRESS_MIN_ROWS * (100 if unit == "B" else 1)
    if not total or total <= least or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit=unit, unit_scale=True, desc=desc, leave=False,
                unit_divisor=1024 if unit == "B" else 1000)


def ingest_file(store: Database, file: Path, *, replace: bool = False, progress: bool = False,
                **options) -> list[str]:
    """``run(store, FileJob(file=file, **options))``: one file into an open store.

    Examples
    --------
    >>> ingest_file(store, Path("r.parquet"), kind="rxs2")          # doctest: +SKIP
    ['rxs2: loaded 3 rows (1 partitions) from r.parquet']

    """
    return run(store, FileJob(file=file, **options), replace=replace, progress=progress)


def name_from_file(file: Path) -> str:
    """A catalog name from a file name (letters, digits, underscores).

    Examples
    --------
    >>> name_from_file(Path("NGC3532_2mass.csv")), name_from_file(Path("3FGL.csv"))
    ('ngc3532_2mass', 'c_3fgl')

    """
    stem = re.sub(r"[^A-Za-z0-9_]+", "_", file.stem).strip("_").lower()
    return stem if stem[:1].isalpha() else f"c_{stem}"


def _any_case(inp: InputTable, key: str) -> str | None:
    """The column named ``key`` in any case (Gaia VOTables say SOURCE_ID), or None."""
    if key in inp.table.column_names:
        return key
    match = [c for c in inp.table.column_names if c.lower() == key.lower()]
    return match[0] if len(match) == 1 else None
