"""CSV/TSV files (and pandas ``.frame`` exports) read in blocks of rows, with exactly the
column names, types and values of the whole read (:func:`xcat.io.delimited.read_delimited`).

A whole read decides each column's type from all its cells (booleans, integers, numbers,
else text), so a block cannot decide alone: an integer column may hold a blank or a
``2.5`` a million rows on. Reading therefore takes two passes over the file, each in
blocks of :data:`BLOCK_ROWS` rows parsed by pandas with the whole read's options (the same
tokenizer, so the same cells):

1. :func:`scan` checks every row (a malformed or cut row anywhere is one error, with its
   line number, before any row is used) and records per column what its non-blank cells
   allow (:class:`Cells`);
2. :func:`read_chunks` parses again and converts every block to the type the whole
   column allows, with the whole read's conversions, and yields chunks of ``chunk_rows``
   rows.

Memory is one block of text plus one chunk of typed columns. Gzipped files
(``.csv.gz``) are read through :mod:`gzip`.

Examples
--------
>>> s = scan(Path("big.csv"))                                   # doctest: +SKIP
>>> s.rows, s.kinds()                                            # doctest: +SKIP
(3000000, {'ra': 'float', 'dec': 'float', 'name': 'str'})
>>> [c.table.num_rows for c in read_chunks(s, 1_000_000)]       # doctest: +SKIP
[1000000, 1000000, 1000000]
"""

from __future__ import annotations

import contextlib
import gzip
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from xcat.errors import XcatError
from xcat.io.delimited import FALSE, TRUE, check_row_lengths
from xcat.io.table import ColumnMeta, InputTable

#: Rows parsed at a time (text cells cost far more memory than the typed columns).
BLOCK_ROWS = 100_000
#: Integer cells this long or longer are checked against the int64 range one by one.
_LONG_INT = 19


@dataclass
class Cells:
    """What every non-blank cell of one column seen so far allows (the tests of
    :func:`xcat.io.delimited.read_delimited`, each an "all cells" test, so they
    combine block by block).
    """

    present: bool = False   # some cell is not blank
    boolean: bool = True    # every cell a true/false word ...
    yes_no: bool = True     # ... but not every one a bare y/n letter
    integer: bool = True    # every cell an integer ...
    big: bool = False       # ... and one of them outside int64
    number: bool = True     # every cell a number for pandas.to_numeric

    def update(self, s: pd.Series) -> None:
        """Take one block's cells into account."""
        v = s.str.strip()
        present = v[~(v == "")]
        if len(present) == 0:
            return
        self.present = True
        if self.boolean:
            self.boolean = bool(present.str.lower().isin(TRUE | FALSE).all())
            if self.boolean:
                self.yes_no = self.yes_no and bool(present.str.fullmatch(r"[nNyY]").all())
        if self.integer and not self.big:
            self.integer = bool(present.str.fullmatch(r"[+-]?\d+").all())
            if self.integer:
                long = present[present.str.len() >= _LONG_INT]
                self.big = any(abs(int(x)) >= 2**63 for x in long)
        if self.number and self.integer and not self.big:
            # integers of ASCII digits are numbers for pandas.to_numeric too
            self.number = bool(present.str.isascii().all())
        elif self.number:
            self.number = bool(pd.to_numeric(present, errors="coerce").notna().all())

    @property
    def kind(self) -> str:
        """``null``, ``bool``, ``int``, ``float`` or ``str``: the whole read's choice."""
        if not self.present:
            return "null"
        if self.boolean and not self.yes_no:
            return "bool"
        if self.integer and not self.big:
            return "int"
        return "float" if self.number else "str"


@dataclass
class CsvScan:
    """A scanned delimited file: its columns, what each allows, its row count."""

    path: Path
    sep: str
    header: list[str] = field(default_factory=list)   # pandas' column names
    columns: dict[str, str] = field(default_factory=dict)  # output name -> pandas name
    cells: dict[str, Cells] = field(default_factory=dict)  # pandas name -> cells
    drop_index: bool = False
    rows: int = 0

    def kinds(self) -> dict[str, str]:
        """Output column -> its type (:attr:`Cells.kind`)."""
        return {out: self.cells[src].kind for out, src in self.columns.items()}


def scan(path: Path, sep: str = ",", progress: Callable[[int], None] | None = None
         ) -> CsvScan:
    """First pass: check every row of ``path`` and learn each column's type.

    ``progress`` is called with the bytes read since its last call. Errors are the
    whole read's lines (malformed CSV, a cut row, not text, empty).
    """
    result = CsvScan(path, sep)
    index_digits = True
    with _blocks(path, sep, progress) as blocks:
        for df in blocks:
            if not result.header:
                result.header = [str(c) for c in df.columns]
                result.cells = {c: Cells() for c in df.columns}
            first = df.columns[0]
            if index_digits and _index_candidate(first):
                index_digits = bool(df[first].str.strip().str.fullmatch(r"\d+").all())
            for name in df.columns:
                result.cells[name].update(df[name])
            result.rows += len(df)
    if not result.header:
        raise XcatError(f"{path}: the file is empty")
    check_row_lengths(path, sep, len(result.header))
    names = list(result.header)
    if result.rows and _index_candidate(names[0]) and index_digits:
        result.drop_index = True
        names = names[1:]
    for name in names:  # as read_delimited: stripped names, the last of equal ones wins
        result.columns[name.strip()] = name
    return result


def read_chunks(s: CsvScan, chunk_rows: int) -> Iterator[InputTable]:
    """Second pass: the scanned file as typed chunks of ``chunk_rows`` rows."""
    kinds = s.kinds()
    notes = ["dropped the pandas index column"] if s.drop_index else []
    pending: list[pa.Table] = []
    held = 0
    with _blocks(s.path, s.sep, None, min(BLOCK_ROWS, chunk_rows)) as blocks:
        for df in blocks:
            pending.append(pa.table({out: convert(df[src], kinds[out])
                                     for out, src in s.columns.items()}))
            held += len(df)
            while held >= chunk_rows:
                table = pa.concat_tables(pending)
                yield _chunk(s, table.slice(0, chunk_rows), notes)
                pending, held = [table.slice(chunk_rows)], held - chunk_rows
    if held:
        yield _chunk(s, pa.concat_tables(pending), notes)


def _chunk(s: CsvScan, table: pa.Table, notes: list[str]) -> InputTable:
    table = table.combine_chunks()
    meta = {n: ColumnMeta(source_column=n) for n in table.column_names}
    return InputTable(table, meta, str(s.path), "csv", list(notes))


def convert(s: pd.Series, kind: str) -> pa.Array:
    """One block of a column as ``kind``, converted as the whole read converts it."""
    v = s.str.strip()
    empty = (v == "").to_numpy()
    if kind == "null":
        return pa.nulls(len(v), pa.float64())
    if kind == "bool":
        return pa.array(np.where(v.str.lower().isin(TRUE), True, False), mask=empty)
    if kind == "int":
        return _integers(v, empty)
    if kind == "float":
        full = pd.to_numeric(v.where(~empty, "nan"), errors="coerce").astype(float)
        return pa.array(full.to_numpy(), mask=empty)
    return pa.array(v.to_numpy(dtype=object), pa.string(), mask=empty)


def _integers(v: pd.Series, empty: np.ndarray) -> pa.Array:
    """int64 cells (every one checked to be an integer in int64 range): Arrow's
    parser where it applies (ASCII digits, no ``+``), else Python's ``int``.
    """
    try:
        return pa.array(v.to_numpy(dtype=object), pa.string(), mask=empty).cast(pa.int64())
    except (pa.ArrowInvalid, ValueError):
        return pa.array([None if e else int(x) for x, e in zip(v, empty, strict=True)],
                        pa.int64())


def _index_candidate(name: str) -> bool:
    return name == "" or str(name).startswith("Unnamed: 0")


@contextlib.contextmanager
def _text(path: Path, progress: Callable[[int], None] | None):
    """The file as a binary stream for pandas (gunzipped for ``.gz``), reporting the
    bytes read on disk to ``progress``.
    """
    raw = path.open("rb")
    try:
        stream = _Counting(raw, progress) if progress else raw
        if path.name.lower().endswith(".gz"):
            stream = gzip.GzipFile(fileobj=stream, mode="rb")
        yield stream
    finally:
        raw.close()


class _Counting(io.RawIOBase):
    """A read-only wrapper that reports how many bytes were read."""

    def __init__(self, raw, progress: Callable[[int], None]):
        self._raw, self._progress = raw, progress

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        n = self._raw.readinto(b)
        if n:
            self._progress(n)
        return n


@contextlib.contextmanager
def _blocks(path: Path, sep: str, progress: Callable[[int], None] | None,
            rows: int | None = None) -> Iterator[Iterator[pd.DataFrame]]:
    """Blocks of ``rows`` rows as DataFrames of strings (the whole read's options), with
    its error lines.
    """
    with _text(path, progress) as stream:
        try:
            reader = pd.read_csv(stream, sep=sep, dtype=str, keep_default_na=False,
                                 skipinitialspace=False, comment=None,
                                 chunksize=rows or BLOCK_ROWS)
        except pd.errors.EmptyDataError as exc:
            raise XcatError(f"{path}: the file is empty") from exc
        except Exception as exc:
            raise _error(path, exc) from exc
        with reader:
            yield _guarded(path, reader)


def _guarded(path: Path, reader) -> Iterator[pd.DataFrame]:
    it = iter(reader)
    while True:
        try:
            df = next(it)
        except StopIteration:
            return
        except Exception as exc:
            raise _error(path, exc) from exc
        yield df


def _error(path: Path, exc: Exception) -> XcatError:
    """The whole read's one line for a parser failure."""
    if isinstance(exc, XcatError):
        return exc
    if isinstance(exc, pd.errors.ParserError):
        return XcatError(f"{path}: malformed CSV ({str(exc).strip()})")
    if isinstance(exc, UnicodeDecodeError):
        return XcatError(f"{path}: not a text table ({exc.reason})")
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return XcatError(f"{path}: not a readable csv table ({msg})")


def read_whole(path: Path, sep: str = ",") -> InputTable:
    """The whole file as one table, through both passes (gzipped CSV/TSV files, which
    the whole read does not take; the same table it gives for the unzipped file).
    """
    s = scan(path, sep)
    chunks = list(read_chunks(s, max(s.rows, 1)))
    if chunks:
        return chunks[0]
    empty = pa.table({out: pa.array([], pa.float64()) for out in s.columns})
    return _chunk(s, empty, ["dropped the pandas index column"] if s.drop_index else [])
