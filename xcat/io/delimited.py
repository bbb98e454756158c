"""CSV quirks of real exports: pandas index columns, ``.1`` duplicates, padded strings,
mixed-spelling booleans. Sexagesimal coordinates are parsed in :mod:`xcat.coords`.
"""

from __future__ import annotations

import csv
import gzip
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from xcat.errors import XcatError
from xcat.io.table import ColumnMeta, InputTable

TRUE = {"true", "t", "yes", "y"}
FALSE = {"false", "f", "no", "n"}
DUP_SUFFIX = re.compile(r"^(?P<base>.+)\.(?P<n>\d+)$")


def read_delimited(path: Path, sep: str = ",") -> InputTable:
    """Read a CSV/TSV (or pandas ``.frame``) export and clean its quirks."""
    df = read_text_frame(path, sep)
    notes: list[str] = []
    df = _drop_index_column(df, notes)
    cols = {}
    for name in df.columns:
        cols[str(name).strip()] = _infer(df[name])
    table = pa.table(cols)
    meta = {n: ColumnMeta(source_column=n) for n in table.column_names}
    return InputTable(table, meta, str(path), "csv", notes)


def read_text_frame(path: Path, sep: str = ",", **options) -> pd.DataFrame:
    """A delimited text file as a DataFrame of strings (cells as written, blanks ``""``).

    Every row must hold as many fields as the header: pandas pads a short row with
    blanks, so a file cut mid-row (or a row written with another delimiter) would load
    with its last values missing. ``options`` go to :func:`pandas.read_csv`.

    Examples
    --------
    >>> read_text_frame(Path("cut.csv"))                              # doctest: +SKIP
    Traceback (most recent call last):
    ...
    xcat.errors.XcatError: cut.csv: line 3 has 2 fields, the header 3 (is the file cut ...
    """
    if path.is_dir():
        raise XcatError(f"{path}: is a directory, not a table file")
    options = {"skipinitialspace": False, "comment": None, **options}
    try:
        df = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, **options)
    except pd.errors.ParserError as exc:
        raise XcatError(f"{path}: malformed CSV ({str(exc).strip()})") from exc
    except pd.errors.EmptyDataError as exc:
        raise XcatError(f"{path}: the file is empty") from exc
    except UnicodeDecodeError as exc:
        raise XcatError(f"{path}: not a text table ({exc.reason})") from exc
    check_row_lengths(path, sep, len(df.columns))
    return df


def check_row_lengths(path: Path, sep: str, n_header: int) -> None:
    """Refuse a row with fewer fields than the header (blank lines are skipped, as
    pandas does; longer rows are pandas' own error); gzipped files are read unzipped.
    """
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rt", newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh, delimiter=sep)
        next(reader, None)
        for row in reader:
            if len(row) < n_header and any(c.strip() for c in row):
                raise XcatError(f"{path}: line {reader.line_num} has {len(row)} field"
                                f"{'s' if len(row) != 1 else ''}, the header {n_header} "
                                "(is the file cut short, or the row written with another "
                                "delimiter?)")


def _drop_index_column(df: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    first = df.columns[0] if len(df.columns) else None
    if first is not None and (first == "" or str(first).startswith("Unnamed: 0")):
        vals = df[first].str.strip()
        if vals.str.fullmatch(r"\d+").all():
            notes.append("dropped the pandas index column")
            return df.drop(columns=[first])
    return df


def _infer(s: pd.Series) -> pa.Array:
    """Arrow array of the narrowest type that holds every non-empty cell of ``s``."""
    v = s.str.strip()
    empty = v == ""
    present = v[~empty]
    if len(present) == 0:
        return pa.nulls(len(v), pa.float64())
    low = present.str.lower()
    if low.isin(TRUE | FALSE).all() and not present.str.fullmatch(r"[nNyY]").all():
        out = np.where(v.str.lower().isin(TRUE), True, False)
        return pa.array(out, mask=empty.to_numpy())
    if present.str.fullmatch(r"[+-]?\d+").all():
        # parsed one by one: going through float64 (NaN for blanks) would round ids
        # above 2**53, such as Gaia source_ids
        ints = [None if e else int(x) for x, e in zip(v, empty, strict=True)]
        if max(abs(i) for i in ints if i is not None) < 2**63:
            return pa.array(ints, pa.int64())
    nums = pd.to_numeric(present, errors="coerce")
    if nums.notna().all():
        full = pd.to_numeric(v.where(~empty, "nan"), errors="coerce").astype(float)
        return pa.array(full.to_numpy(), mask=empty.to_numpy())
    return pa.array(v.to_numpy(dtype=object), pa.string(), mask=empty.to_numpy())


def fold_duplicates(inp: InputTable, keep_identical: bool = False) -> dict[str, str]:
    """Resolve pandas' ``x.1`` duplicates of ``x``.

    A duplicate equal to its base column is dropped (unless ``keep_identical``:
    CSC exports repeat master columns per observation, and for single-observation
    sources the two agree). One that differs (or is kept) is renamed
    ``x_1`` and returned in the mapping ``{"x_1": "x"}`` so that callers who know
    what it is (a per-observation value in CSC exports) can place it.
    """
    renamed: dict[str, str] = {}
    dropped = []
    table = inp.table
    for name in list(table.column_names):
        m = DUP_SUFFIX.match(name)
        if not m or m["base"] not in table.column_names:
            continue
        base = m["base"]
        if not keep_identical and table.column(name).equals(table.column(base)):
            table = table.drop_columns([name])
            inp.meta.pop(name, None)
            dropped.append(name)
            continue
        new = f"{base}_{m['n']}"
        table = table.rename_columns([new if c == name else c for c in table.column_names])
        inp.meta[new] = inp.meta.pop(name, ColumnMeta(source_column=name))
        renamed[new] = base
    if dropped:
        inp.notes.append(f"dropped {len(dropped)} pandas duplicate column(s) identical to "
                         f"their originals: {', '.join(dropped)}")
    inp.table = table
    return renamed
