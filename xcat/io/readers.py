"""Read any supported table file into the table model (:mod:`xcat.io.table`).

VOTable, FITS, ECSV go through astropy (units, UCDs, descriptions kept);
CSV-like files (including pandas ``.frame`` exports) through pandas, then the
quirk cleaner (gzipped ones, ``.csv.gz``, through :mod:`xcat.io.csv_chunks`, to the same
table); Parquet through pyarrow (units from field metadata); DS9 region files
through :mod:`xcat.io.ds9`.
"""

from __future__ import annotations

import logging
import re
import warnings
from pathlib import Path

import numpy as np
import pyarrow as pa

from xcat.errors import XcatError
from xcat.io.csv_chunks import read_whole
from xcat.io.delimited import read_delimited
from xcat.io.ds9 import read_ds9
from xcat.io.table import ColumnMeta, InputTable

log = logging.getLogger(__name__)

FORMATS = {
    ".vot": "votable", ".votable": "votable", ".xml": "votable",
    ".fits": "fits", ".fit": "fits", ".fts": "fits", ".fits.gz": "fits",
    ".ecsv": "ecsv", ".parquet": "parquet", ".pq": "parquet",
    ".csv": "csv", ".frame": "csv", ".txt": "csv", ".tsv": "tsv", ".dat": "votable",
    ".csv.gz": "csv", ".tsv.gz": "tsv",
    ".reg": "ds9",
    ".flux": "fits",  # CIAO srcflux output (<root>_<band>.flux)
}


def detect_format(path: Path, fmt: str | None = None) -> str:
    """Format name from ``fmt`` or the file name."""
    if fmt:
        return fmt
    name = path.name.lower()
    for suffix in sorted(FORMATS, key=len, reverse=True):
        if name.endswith(suffix):
            return FORMATS[suffix]
    raise XcatError(f"{path}: cannot tell the table format from the name; "
                    f"use one of {', '.join(sorted(set(FORMATS)))}")


def read_table(path: Path, fmt: str | None = None) -> InputTable:
    """Read ``path`` as a table; every failure becomes one ``XcatError`` line."""
    if not path.exists():
        raise XcatError(f"{path}: no such file")
    if path.is_dir():
        raise XcatError(f"{path}: is a directory, not a table file")
    kind = detect_format(path, fmt)
    try:
        if kind == "parquet":
            result = _read_parquet(path)
        elif kind == "ds9":

            result = read_ds9(path)
        elif kind in ("csv", "tsv"):
            read = read_whole if path.name.lower().endswith(".gz") else read_delimited
            result = read(path, sep="\t" if kind == "tsv" else ",")
        else:
            result = _read_astropy(path, kind)
    except XcatError:
        raise
    except Exception as exc:  # any parser failure → one clear line
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise XcatError(f"{path}: not a readable {kind} table ({msg})") from exc
    if result.table.num_rows == 0:
        raise XcatError(f"{path}: the table is empty (no rows)")
    return result


def _read_parquet(path: Path) -> InputTable:
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    return InputTable(table, parquet_meta(table.schema), str(path), "parquet")


def parquet_meta(schema: pa.Schema) -> dict[str, ColumnMeta]:
    """Column metadata from a Parquet file's Arrow schema (unit/UCD/description)."""
    meta = {}
    for f in schema:
        md = f.metadata or {}
        meta[f.name] = ColumnMeta(
            unit=(md.get(b"unit") or b"").decode() or None,
            ucd=(md.get(b"ucd") or b"").decode() or None,
            description=(md.get(b"description") or b"").decode() or None,
            source_column=f.name)
    return meta


#: VOTable cells that stand for a missing value although they are not numbers (W30).
MISSING_MARKERS = {"", "null", "none", "-", "--", "n/a", "na", "?"}
#: VOTable warnings that mean a value was lost: an invalid float literal (W30, unless a
#: missing-value marker), an integer out of range (W51).
VALUE_LOST = ("W30", "W51")


def _read_astropy(path: Path, kind: str) -> InputTable:
    """Read with astropy, its warnings caught (never printed: a failure is one line;
    ``-v`` shows them); a VOTable value astropy would silently blank is an error.
    """
    from astropy.table import Table

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if kind == "votable":
            from astropy.io.votable import parse

            vot = parse(str(path), verify="warn")
            t = vot.get_first_table().to_table(use_names_over_ids=True)
        elif kind == "fits":
            t = Table.read(path, format="fits", character_as_bytes=False)
        else:
            t = Table.read(path, format="ascii.ecsv")
    for w in caught:
        _value_lost(path, w.message)
        log.debug("%s: %s", path.name, str(w.message).splitlines()[0])
    return from_astropy(t, str(path), kind)


def _value_lost(path: Path, message: Warning) -> None:
    """Raise when a VOTable warning says a cell's value was dropped."""
    code = type(message).__name__
    if code not in VALUE_LOST:
        return
    text = str(message)
    literal = re.search(r"'(.*)'", text)
    if code == "W30" and literal and literal[1].strip().lower() in MISSING_MARKERS:
        return
    where = re.match(r".*?:(\d+):\d+: ", text)
    detail = text[where.end():] if where else text
    detail = detail.replace("  Treating as empty.", "").strip().rstrip(".")
    line = f"line {where[1]}: " if where else ""
    raise XcatError(f"{path}: {line}{detail} (the value would be lost)")


def from_astropy(t, source: str, fmt: str) -> InputTable:
    """Convert an astropy Table (masked or not) to an ``InputTable``."""
    arrays, names, meta = [], [], {}
    for col in t.itercols():
        name = str(col.info.name)
        data = np.ma.asanyarray(col)
        mask = np.ma.getmaskarray(data) if np.ma.isMaskedArray(data) else None
        values = np.ma.getdata(data)
        if values.ndim > 1:
            arr = pa.array([None if (mask is not None and m.all()) else v.tolist()
                            for v, m in zip(values, mask if mask is not None
                                            else np.zeros(values.shape, bool), strict=True)])
        else:
            if values.dtype.byteorder not in ("=", "|"):  # FITS is big-endian
                values = values.astype(values.dtype.newbyteorder("="))
            if values.dtype.kind == "S":
                values = np.char.decode(values, "utf-8", "replace")
            if values.dtype.kind == "U":
                values = np.char.strip(values)
            if values.dtype.kind == "O":
                values = np.array([v.decode() if isinstance(v, bytes) else v for v in values],
                                  dtype=object)
            if mask is not None and values.dtype.kind == "f":
                mask = mask | np.isnan(values)
            arr = pa.array(values, mask=mask if mask is not None and mask.any() else None)
        arrays.append(arr)
        names.append(name)
        unit = col.unit.to_string() if getattr(col, "unit", None) is not None else None
        meta[name] = ColumnMeta(
            unit=unit or None,
            ucd=col.meta.get("ucd") if col.meta else None,
            description=col.description or None,
            source_column=name, source_unit=unit or None)
    return InputTable(pa.Table.from_arrays(arrays, names=names), meta, source, fmt)
