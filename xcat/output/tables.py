"""Write query results as FITS, VOTable, CSV, Parquet or an AASTeX table, keeping units,
UCDs and descriptions where the format can hold them.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from xcat.errors import XcatError
from xcat.output.latex import to_deluxetable

EXPORT_FORMATS = ("fits", "votable", "csv", "parquet", "latex")


def export_table(table: Any, fmt: str, out: str | Path, *, caption: str = "") -> Path:
    """Write an astropy Table (as returned by ``Store.sql(..., output="astropy")``).

    FITS gets TUNITn plus TCOMMn (description) and TUCDn (UCD) cards; VOTable keeps
    unit, UCD and description on each FIELD; Parquet keeps them as field metadata;
    LaTeX is an AASTeX ``deluxetable`` with units in the header and values rounded by
    their errors.

    Examples
    --------
    >>> t = store.sql("SELECT * FROM xray_sources", output="astropy")  # doctest: +SKIP
    >>> export_table(t, "fits", "xray_sources.fits")                   # doctest: +SKIP
    """
    from astropy.units import UnitsWarning

    out = Path(out)
    if fmt not in EXPORT_FORMATS:
        raise XcatError(f"unknown export format '{fmt}' (choose from {', '.join(EXPORT_FORMATS)})")
    if out.parent and not out.parent.exists():
        raise XcatError(f"{out.parent}: no such directory")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnitsWarning)
        if fmt == "fits":
            _fits(table, out)
        elif fmt == "votable":
            from astropy.io.votable import from_table

            from_table(table).to_xml(str(out))
        elif fmt == "csv":
            table.write(out, format="ascii.ecsv" if out.suffix == ".ecsv" else "ascii.csv",
                        overwrite=True)
        elif fmt == "parquet":
            _parquet(table, out)
        else:

            out.write_text(to_deluxetable(table, caption or out.stem.replace("_", " ")))
    return out


def _fits(table: Any, out: Path) -> None:
    from astropy.io import fits

    hdu = fits.table_to_hdu(table)
    for i, name in enumerate(table.colnames, start=1):
        col = table[name]
        if col.description:
            hdu.header[f"TCOMM{i}"] = col.description[:68]
        ucd = col.meta.get("ucd") if col.meta else None
        if ucd:
            hdu.header[f"TUCD{i}"] = ucd[:68]
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(out, overwrite=True)


def _parquet(table: Any, out: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrow = pa.Table.from_pandas(table.to_pandas(), preserve_index=False)
    fields = []
    for f in arrow.schema:
        col = table[f.name]
        md = {"unit": str(col.unit) if col.unit is not None else "",
              "description": col.description or "",
              "ucd": (col.meta or {}).get("ucd", "")}
        fields.append(f.with_metadata({k.encode(): v.encode() for k, v in md.items() if v}))
    pq.write_table(arrow.cast(pa.schema(fields)), out)
