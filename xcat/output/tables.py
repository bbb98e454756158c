"""The one table writer: every table that leaves xcat (``xcat sql/cone --format``,
``xcat export``, samples, the CLI listings, the report) goes through :func:`write_table`,
so units, UCDs and descriptions survive the same way in every format that can hold them.

=========  ==================================================================
format     per-column metadata kept
=========  ==================================================================
table      unit under the column name (terminal text)
csv        none (plain CSV; use ecsv to keep it)
json       none (a list of row objects)
ecsv       unit, description, UCD (``meta: {ucd: ...}``) in the YAML header
votable    unit, ucd and description on each FIELD
fits       TUNITn, TCOMMn (description), TUCDn (UCD)
parquet    astropy's table metadata (units, UCDs, descriptions for ``Table.read``)
           and field metadata ``unit``, ``ucd``, ``description`` (pyarrow, DuckDB)
latex      unit under each column head (AASTeX ``deluxetable``, :mod:`.latex`)
html       unit after the column name, description as its tooltip, UCD as ``data-ucd``
=========  ==================================================================

The writer never changes the table it is given: it works on a copy.
"""

from __future__ import annotations

import html as html_lib
import io
import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from xcat.errors import XcatError
from xcat.output import BINARY, FORMATS, limits, log, terminal
from xcat.output.latex import to_deluxetable
from xcat.store.results import to_astropy


def write_table(rows: Any, fmt: str, out: str | Path | None = None, *, max_rows: int = 50,
                caption: str | None = None, table_id: str = "xcat-table") -> str:
    """Write rows in ``fmt``; return the text (``""`` when written to the file ``out``).

    ``rows`` is an astropy Table (as from ``Store.sql(..., output="astropy")``, which
    carries units, UCDs and descriptions), a pandas DataFrame, a pyarrow Table or a list
    of dicts. ``max_rows`` limits the terminal and HTML tables; ``caption`` is the LaTeX
    caption (default: the file name); ``table_id`` is the HTML table's id.

    Examples
    --------
    >>> print(write_table([{"a": 1}, {"a": 2}], "csv").strip())
    a
    1
    2
    >>> print(write_table([{"flux": 1.5, "name": "x"}], "table"))
    flux name
    ---- ----
     1.5    x
    (1 row)
    """
    if fmt not in FORMATS:
        raise XcatError(f"unknown format '{fmt}' (choose from {', '.join(FORMATS)})")
    if fmt in BINARY and not out:
        raise XcatError(f"--format {fmt} is binary: give an output file with -o FILE")
    path = Path(out) if out else None
    if path is not None and not path.parent.is_dir():
        raise XcatError(f"{path.parent}: no such directory")
    if fmt == "table":  # straight from Arrow when given Arrow: no astropy import
        arrow = type(rows).__module__.startswith("pyarrow")
        cols = terminal.from_arrow(rows) if arrow else terminal.from_astropy(as_table(rows))
        conf = None if arrow else (getattr(rows, "meta", None) or {}).get("limit_conf")
        note = _mark_limits(cols, conf)  # before rendering: it rewrites the cells
        text = terminal.render(cols, max_rows) + note
        return _deliver(text, path, fmt, len(cols[0].values) if cols else 0)
    from astropy.units import UnitsWarning

    t = as_table(rows)
    if fmt not in ("latex", "html"):
        _describe_limits(t)
    with warnings.catch_warnings():  # VOUnit/FITS deprecate 'erg'; the unit is still exact
        warnings.simplefilter("ignore", UnitsWarning)
        if fmt in BINARY:
            (_fits if fmt == "fits" else _parquet)(t, path)
            text = ""
        else:
            text = _text(t, fmt, max_rows, table_id,
                         caption or (path.stem.replace("_", " ") if path else "Query result"))
    return _deliver(text, path, fmt, len(t))


def _mark_limits(cols: list[Any], conf: float | None) -> str:
    """Prefix flagged upper limits of the terminal columns with "<" (in place); return
    the note saying so, or "".
    """
    names = [c.name for c in cols]
    by_name = {c.name: c for c in cols}
    marked = 0
    for c in cols:
        flag = limits.flag_column(c.name, names)
        if flag is None or not any(isinstance(v, float) for v in c.values):
            continue
        for i, v in enumerate(c.values):
            if v is not None and limits.is_true(by_name[flag].values[i]):
                c.values[i] = "<" + terminal.cell(v, c.unit)
                marked += 1
    return f"\n(< marks an upper limit, {limits.confidence_text(conf)})" if marked else ""


def _describe_limits(t: Any) -> None:
    """Say the limits' confidence in the description of each upper-limit flag column
    (machine-readable formats keep the number and the flag; LaTeX and HTML print "<").
    """
    flags = {f for n in t.colnames if (f := limits.flag_column(n, t.colnames))}
    conf = (t.meta or {}).get("limit_conf")
    for f in sorted(flags):
        what = limits.confidence_text(conf)
        if what not in (t[f].description or ""):
            t[f].description = ((t[f].description or "True for an upper limit") +
                                 f" (upper limits at {what})")


def _deliver(text: str, path: Path | None, fmt: str, n_rows: int) -> str:
    """Return ``text``, or write it to ``path`` (when given) and return ``""``."""
    if path is None:
        return text
    if text:
        path.write_text(text)
    log.debug("wrote %d rows as %s to %s", n_rows, fmt, path)
    return ""


def as_table(rows: Any) -> Any:
    """A new astropy Table of ``rows`` (the caller's table is copied, never changed).

    DataFrame columns of datetimes become text, lists are joined with ", " and missing
    text is empty; missing numbers are masked.
    """
    from astropy.table import Table

    if isinstance(rows, Table):
        return rows.copy(copy_data=False)
    if isinstance(rows, list):
        return Table(rows=rows) if rows else Table()
    if type(rows).__module__.startswith("pyarrow"):
        return to_astropy(rows)  # units, UCDs and descriptions from the field metadata
    import pandas as pd

    df = rows.copy()
    for c in df.columns:
        if pd.api.types.is_datetime64_any_dtype(df[c]):
            df[c] = df[c].astype(str)
        elif df[c].dtype == object:
            df[c] = [", ".join(map(str, v)) if isinstance(v, list | tuple | np.ndarray) else
                     ("" if v is None or (isinstance(v, float) and v != v) else str(v))
                     for v in df[c]]
    return Table.from_pandas(df)


def _text(t: Any, fmt: str, max_rows: int, table_id: str, caption: str) -> str:
    if fmt == "json":
        return json.dumps([{c: _json_value(row[c]) for c in t.colnames} for row in t],
                          indent=1)
    if fmt == "latex":
        return to_deluxetable(t, caption)
    if fmt == "html":
        return _html(t, table_id, max_rows)
    buf: Any = io.BytesIO() if fmt == "votable" else io.StringIO()
    if fmt == "votable":
        from astropy.io.votable import from_table

        from_table(t).to_xml(buf)  # FIELD unit, ucd (column meta) and description
        return buf.getvalue().decode()
    t.write(buf, format="ascii.ecsv" if fmt == "ecsv" else "ascii.csv")
    return buf.getvalue()


def _display_format(col: Any) -> str | None:
    """How the HTML tables show a float column: degrees to 8 decimals (1.4 mas at most),
    other floats to 5 significant digits.
    """
    if col.dtype.kind != "f":
        return None
    position = col.name in ("ra", "dec") or _ucd(col).startswith("pos.eq.")
    return ".8f" if str(col.unit) == "deg" or position else ".5g"


def _json_value(v: Any) -> Any:
    if v is np.ma.masked:
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not np.isfinite(v):
        return None
    return v


def _ucd(col: Any) -> str:
    return (col.meta or {}).get("ucd") or ""


def _fits(t: Any, out: Path) -> None:
    from astropy.io import fits

    t = t.copy(copy_data=False)
    conf = t.meta.pop("limit_conf", None)
    hdu = fits.table_to_hdu(t)
    if conf is not None:
        hdu.header["LIMCONF"] = (conf, "confidence of the upper limits")
    for i, name in enumerate(t.colnames, start=1):
        col = t[name]
        if col.description:
            hdu.header[f"TCOMM{i}"] = col.description[:68]
        if _ucd(col):
            hdu.header[f"TUCD{i}"] = _ucd(col)[:68]
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(out, overwrite=True)


def _parquet(t: Any, out: Path) -> None:
    """Parquet with missing values as nulls (for pyarrow, pandas, DuckDB), ``unit``/``ucd``/
    ``description`` on each Arrow field, and astropy's own ``table_meta_yaml`` schema
    metadata so that ``Table.read`` gets the units, UCDs and descriptions back.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq
    from astropy.table import Column, Table
    from astropy.table.meta import get_yaml_from_table

    arrow = pa.Table.from_pandas(t.to_pandas(), preserve_index=False)
    fields = []
    for f in arrow.schema:
        col = t[f.name]
        md = {"unit": str(col.unit) if col.unit is not None else "",
              "description": col.description or "", "ucd": _ucd(col)}
        fields.append(f.with_metadata({k.encode(): v.encode() for k, v in md.items() if v}))
    # astropy's header of the same columns, unmasked (the nulls stand for the mask)
    plain = Table([Column(t[n][:0]) for n in t.colnames], meta=t.meta)
    meta = {b"table_meta_yaml": "\n".join(get_yaml_from_table(plain)).encode()}
    for n in t.colnames:  # astropy's record of string widths (it warns without one)
        if t[n].dtype.kind == "U":
            meta[f"table::len::{n}".encode()] = str(t[n].dtype.itemsize // 4).encode()
    pq.write_table(arrow.cast(pa.schema(fields, metadata=meta)), out)


def _html(t: Any, table_id: str, max_rows: int) -> str:
    """An HTML ``<table>`` fragment (for pages such as the report)."""
    esc = html_lib.escape
    if not len(t):
        return f'<p id="{esc(table_id)}">(no rows)</p>'
    heads = []
    for c in t.itercols():
        unit = f" [{c.unit}]" if c.unit is not None and str(c.unit) else ""
        title = f' title="{esc(c.description)}"' if c.description else ""
        ucd = f' data-ucd="{esc(_ucd(c))}"' if _ucd(c) else ""
        heads.append(f"<th{title}{ucd}>{esc(c.name + unit)}</th>")
    shapes = {c.name: _display_format(c) for c in t.itercols()}
    flags = {n: f for n in t.colnames if t[n].dtype.kind in "iuf"
             and (f := limits.flag_column(n, t.colnames))}
    body, n_limits = [], 0
    for row in t[:max_rows]:
        cells = []
        for c in t.colnames:
            text = _cell(row[c], shapes[c])
            if c in flags and text and limits.is_true(row[flags[c]]):
                text, n_limits = "<" + text, n_limits + 1  # an upper limit
            cells.append(f"<td>{esc(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = (f"\n<p>… and {len(t) - max_rows} more rows.</p>" if len(t) > max_rows else "")
    if n_limits:
        conf = limits.confidence_text((t.meta or {}).get("limit_conf"))
        more += f'\n<p class="note">&lt; marks an upper limit ({esc(conf)}).</p>'
    return (f'<table id="{esc(table_id)}">\n<thead><tr>{"".join(heads)}</tr></thead>\n'
            "<tbody>\n" + "\n".join(body) + "\n</tbody>\n</table>" + more)


def _cell(v: Any, shape: str | None) -> str:
    v = _json_value(v)
    if v is None:
        return ""
    return format(v, shape) if shape and isinstance(v, float) else str(v)
