"""Read a table file in chunks of rows, so that an input larger than memory can be
ingested (:func:`xcat.catalog.prepare.prepare_chunks`).

Parquet is read by record batches (``ParquetFile.iter_batches``), FITS binary tables by
row slices of a memory-mapped table, CSV/TSV (``.csv``, ``.tsv``, ``.txt``, pandas
``.frame``, gzipped ``.csv.gz``) in two passes over blocks of rows: a scan that checks
every row and learns each column's type from all its cells, then typed chunks
(:mod:`xcat.io.csv_chunks`; the scan also gives :func:`count_rows`). Every other format
(VOTable, ECSV, DS9, gzipped FITS) is read whole, as one chunk. A file of at most
``chunk_rows`` rows is read by :func:`xcat.io.readers.read_table`, exactly as before;
chunks of a larger one hold the same columns, types, values and metadata as that whole
read. Every chunk has its own copy of the columns' metadata (preparation changes it in
place).

Examples
--------
>>> [c.table.num_rows for c in iter_chunks(Path("big.parquet"), chunk_rows=400)]
... # doctest: +SKIP
[400, 400, 200]
"""

from __future__ import annotations

import copy
import hashlib
import logging
import os
import threading
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa

from xcat.errors import XcatError
from xcat.io import csv_chunks
from xcat.io.readers import detect_format, from_astropy, parquet_meta, read_table
from xcat.io.table import InputTable

log = logging.getLogger(__name__)

#: Rows per chunk when the job does not say (``$XCAT_CHUNK_ROWS`` overrides).
DEFAULT_CHUNK_ROWS = 2_000_000
#: Formats read in chunks.
CHUNKED = ("parquet", "fits", "csv", "tsv")
#: Rows of the CSV file scanned last: (path, size, mtime) -> rows (for :func:`count_rows`).
_scanned: dict[tuple[str, int, int], int] = {}
#: Line ends of the CSV file counted last: (path, size, mtime) -> count.
_lines: dict[tuple[str, int, int], int] = {}


def default_chunk_rows() -> int:
    """``$XCAT_CHUNK_ROWS`` or :data:`DEFAULT_CHUNK_ROWS`."""
    text = os.environ.get("XCAT_CHUNK_ROWS", "")
    return int(text) if text.strip().isdigit() and int(text) > 0 else DEFAULT_CHUNK_ROWS


def count_rows(path: Path, fmt: str | None = None) -> int | None:
    """Rows of a Parquet file from its footer, of a CSV/TSV file once :func:`iter_chunks`
    has scanned it (None for other formats or on failure).
    """
    kind = detect_format(path, fmt)
    if kind in ("csv", "tsv"):
        return _scanned.get(_file_key(path))
    if kind != "parquet":
        return None
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path).metadata.num_rows
    except Exception:  # read_table says what is wrong
        return None


def iter_chunks(path: Path, fmt: str | None = None, chunk_rows: int | None = None,
                scanned: Callable[[int], None] | None = None) -> Iterator[InputTable]:
    """The table in ``path`` as chunks of at most ``chunk_rows`` rows (None: whole).

    ``scanned`` is called with the bytes read by a CSV file's first pass (the scan
    happens when the first chunk is asked for).
    """
    kind = detect_format(path, fmt) if path.is_file() else None
    if chunk_rows is not None and kind in ("csv", "tsv"):
        yield from _delimited(path, fmt, kind, chunk_rows, scanned)
        return
    if chunk_rows is None or kind not in CHUNKED or path.name.lower().endswith(".gz"):
        yield read_table(path, fmt)
        return
    chunks = _parquet(path, chunk_rows) if kind == "parquet" else _fits(path, chunk_rows)
    try:
        first = next(chunks, None)
    except XcatError:
        raise
    except Exception:  # unreadable: read_table gives the usual one-line error
        first = None
    if first is None:
        yield read_table(path, fmt)
        return
    yield first
    try:
        yield from chunks
    except XcatError:
        raise
    except Exception as exc:  # a damaged later part of the file: one clear line
        raise _unreadable(path, kind, exc) from exc


def scan_bytes(path: Path, fmt: str | None, chunk_rows: int | None) -> int | None:
    """Bytes :func:`iter_chunks` will scan before the first chunk of a CSV/TSV file (a
    progress bar's total), or None when it reads the file otherwise.
    """
    try:
        kind = detect_format(path, fmt) if path.is_file() else None
    except XcatError:  # iter_chunks says so
        return None
    if chunk_rows is None or kind not in ("csv", "tsv") or not _needs_scan(path, chunk_rows):
        return None
    return path.stat().st_size


def _needs_scan(path: Path, chunk_rows: int) -> bool:
    """Whether the file may hold more than ``chunk_rows`` rows: more line breaks
    (LF and CR bytes counted at disk speed, an upper bound of the data rows); a gzipped
    file is always scanned.
    """
    if path.name.lower().endswith(".gz"):
        return True
    key = _file_key(path)
    if key not in _lines:
        n = 0
        with path.open("rb") as fh:
            while block := fh.read(1 << 22):
                n += block.count(b"\n") + block.count(b"\r")
        _lines.clear()
        _lines[key] = n
    return _lines[key] > chunk_rows


def _delimited(path: Path, fmt: str | None, kind: str, chunk_rows: int,
               scanned: Callable[[int], None] | None) -> Iterator[InputTable]:
    if not _needs_scan(path, chunk_rows):  # small enough to read whole, as before
        yield read_table(path, fmt)
        return
    try:
        scan = csv_chunks.scan(path, "\t" if kind == "tsv" else ",", scanned)
        _scanned.clear()
        _scanned[_file_key(path)] = scan.rows
    except XcatError:
        raise
    except Exception as exc:  # anything else: one line, without reading the file whole
        raise _unreadable(path, kind, exc) from exc
    if scan.rows <= chunk_rows:
        yield read_table(path, fmt)
        return
    try:
        yield from csv_chunks.read_chunks(scan, chunk_rows)
    except XcatError:
        raise
    except Exception as exc:  # the file changed since the scan
        raise _unreadable(path, kind, exc) from exc


def _unreadable(path: Path, kind: str, exc: Exception) -> XcatError:
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return XcatError(f"{path}: not a readable {kind} table ({msg})")


def _file_key(path: Path) -> tuple[str, int, int]:
    st = path.stat()
    return str(path.resolve()), st.st_size, st.st_mtime_ns


def _parquet(path: Path, chunk_rows: int) -> Iterator[InputTable]:
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    if pf.metadata.num_rows <= chunk_rows:
        return  # read whole by read_table
    meta = parquet_meta(pf.schema_arrow)
    for batch in pf.iter_batches(batch_size=chunk_rows):
        yield InputTable(pa.Table.from_batches([batch]), copy.deepcopy(meta), str(path),
                         "parquet")


def _fits(path: Path, chunk_rows: int) -> Iterator[InputTable]:
    from astropy.table import Table

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = Table.read(path, format="fits", character_as_bytes=False, memmap=True)
    if len(table) <= chunk_rows:
        return  # read whole by read_table
    for w in caught:
        log.debug("%s: %s", path.name, str(w.message).splitlines()[0])
    for lo in range(0, len(table), chunk_rows):
        yield from_astropy(table[lo:lo + chunk_rows], str(path), "fits")


class BackgroundSha256:
    """SHA-256 of a file's bytes, computed on a thread while the file is read in chunks
    (same value as :func:`xcat.io.table.sha256_of`); :meth:`cancel` stops it early.
    """

    def __init__(self, path: Path):
        self._path = path
        self._stop = threading.Event()
        self._digest: str | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="xcat-sha256", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        h = hashlib.sha256()
        try:
            with self._path.open("rb") as fh:
                while not self._stop.is_set() and (block := fh.read(1 << 22)):
                    h.update(block)
        except OSError as exc:
            self._error = exc
            return
        self._digest = h.hexdigest()

    def result(self) -> str:
        """The hex digest (waits for the thread)."""
        self._thread.join()
        if self._error is not None:
            raise XcatError(f"{self._path}: cannot read ({self._error})") from self._error
        assert self._digest is not None
        return self._digest

    def cancel(self) -> None:
        """Stop hashing (the digest is then not available)."""
        self._stop.set()
