"""Write result rows as a terminal table, CSV, JSON, VOTable or FITS."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from xcat.errors import XcatError

FORMATS = ("table", "csv", "json", "votable", "fits")
BINARY = ("fits",)


def write_rows(astro_table: Any, fmt: str, out: str | None = None, *, max_rows: int = 50) -> str:
    """Render an astropy Table; returns text to print (empty when written to ``out``).

    Examples
    --------
    >>> from astropy.table import Table
    >>> print(write_rows(Table({"a": [1, 2]}), "csv").strip())
    a
    1
    2

    """
    if fmt not in FORMATS:
        raise XcatError(f"unknown format '{fmt}' (choose from {', '.join(FORMATS)})")
    if fmt in BINARY and not out:
        raise XcatError(f"--format {fmt} is binary: give an output file with -o FILE")
    t = astro_table
    if fmt == "table":
        t = t.copy(copy_data=False)
        for c in t.itercols():
            if c.dtype.kind == "f":
                c.info.format = ".8f" if str(c.unit) == "deg" else ".5g"
        lines = [x for x in t.pformat(max_lines=max_rows + 4, max_width=-1)
                 if not x.startswith("Length = ")]
        text = "\n".join(lines) if len(t) else "(no rows)"
        text += f"\n({len(t)} row{'s' if len(t) != 1 else ''})"
    elif fmt == "csv":
        buf = io.StringIO()
        t.write(buf, format="ascii.csv")
        text = buf.getvalue()
    elif fmt == "json":
        rows = [{c: _json_value(row[c]) for c in t.colnames} for row in t]
        text = json.dumps(rows, indent=1)
    elif fmt == "votable":
        from astropy.io.votable import from_table

        for c in t.itercols():  # votable wants ucd on the column meta
            c.meta.pop("ucd", None)
        import warnings

        from astropy.units import UnitsWarning

        buf = io.BytesIO()
        with warnings.catch_warnings():  # VOUnit deprecates 'erg'; the unit is still exact
            warnings.simplefilter("ignore", UnitsWarning)
            from_table(t).to_xml(buf)
        text = buf.getvalue().decode()
    else:  # fits
        t.write(out, format="fits", overwrite=True)
        return ""
    if out:
        Path(out).write_text(text)
        return ""
    return text


def _json_value(v: Any) -> Any:
    if v is np.ma.masked:
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not np.isfinite(v):
        return None
    return v


def emit(text: str) -> None:
    """Print text to stdout (without an extra newline when it ends with one)."""
    if text:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
