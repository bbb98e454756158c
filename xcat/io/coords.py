"""Find and check the RA/Dec columns of an input table; parse sexagesimal strings."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from xcat.errors import XcatError
from xcat.io.table import InputTable
from xcat.sky.units import DEG, convert_column, parse_unit

RA_NAMES = ("ra", "ra_deg", "radeg", "raj2000", "_raj2000", "ra_icrs", "ra_j2000", "ra2000",
            "right_ascension", "alpha_j2000")
DEC_NAMES = ("dec", "dec_deg", "dedeg", "decdeg", "dej2000", "_dej2000", "decj2000", "de_j2000",
             "de_icrs", "dec_icrs", "dec_j2000", "de2000", "dec2000", "declination", "delta_j2000")


def find_position_columns(inp: InputTable, ra: str | None, dec: str | None) -> tuple[str, str]:
    """Resolve RA/Dec column names: explicit, by ``meta.main`` UCD, or by a known name."""
    return (_find(inp, ra, "ra", RA_NAMES, "pos.eq.ra"),
            _find(inp, dec, "dec", DEC_NAMES, "pos.eq.dec"))


def _find(inp: InputTable, given: str | None, what: str, names: tuple[str, ...],
          ucd: str) -> str:
    cols = inp.table.column_names
    if given:
        if given not in cols:
            raise XcatError(f"{inp.source}: no column '{given}' for {what.upper()}; "
                            f"columns are {', '.join(cols[:12])}{'...' if len(cols) > 12 else ''}")
        return given
    main = [c for c in cols if (inp.meta.get(c) and (inp.meta[c].ucd or "").lower()
                                .startswith(ucd) and "meta.main" in (inp.meta[c].ucd or ""))]
    if len(main) == 1:
        return main[0]
    by_name = [c for c in cols if c.lower() in names]
    exact = [c for c in by_name if c.lower() == what]
    if len(exact) == 1:
        return exact[0]
    if len(by_name) == 1:
        return by_name[0]
    if not by_name:
        raise XcatError(f"{inp.source}: no {what.upper()} column found; "
                        f"name it with --{what} COLUMN")
    raise XcatError(f"{inp.source}: ambiguous {what.upper()} column "
                    f"({', '.join(by_name)}); choose one with --{what} COLUMN")


def to_degrees(inp: InputTable, col: str, is_ra: bool) -> pa.Array:
    """The column as float64 degrees (sexagesimal strings parsed), checked row by row."""
    arr = inp.table.column(col).combine_chunks()
    meta = inp.column_meta(col)
    where = f"{inp.source}: column '{col}'"
    if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        values = _parse_sexagesimal(arr.to_pylist(), is_ra, where)
        meta.source_unit = meta.source_unit or ("hourangle" if is_ra else "deg") + " (sexagesimal)"
    elif pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type):
        unit = parse_unit(meta.unit, where)
        if unit is not None and unit.physical_type != "angle":
            raise XcatError(f"{where}: unit '{meta.unit}' cannot be converted to deg")
        conv = convert_column(arr, meta.unit, DEG, where) if unit is not None else arr
        values = np.asarray(conv.to_numpy(zero_copy_only=False), dtype=np.float64)
        if arr.null_count:
            values = np.where(np.asarray(arr.is_null()), np.nan, values)
    else:
        raise XcatError(f"{where}: type {arr.type} is not a coordinate")
    _check_range(values, is_ra, where)
    meta.unit = DEG
    return pa.array(values, pa.float64())


def _check_range(values: np.ndarray, is_ra: bool, where: str) -> None:
    bad = ~np.isfinite(values)
    if bad.any():
        i = int(np.argmax(bad))
        raise XcatError(f"{where}: row {i + 1} has no valid coordinate ({values[i]})")
    lo, hi = (0.0, 360.0) if is_ra else (-90.0, 90.0)
    out = (values < lo) | (values > hi)
    if out.any():
        i = int(np.argmax(out))
        raise XcatError(f"{where}: row {i + 1} value {values[i]} is outside [{lo:g}, {hi:g}] deg")


def _parse_sexagesimal(cells: list, is_ra: bool, where: str) -> np.ndarray:
    from astropy.coordinates import Angle

    out = np.empty(len(cells), dtype=np.float64)
    for i, cell in enumerate(cells):
        if cell is None or not str(cell).strip():
            out[i] = np.nan
            continue
        text = str(cell).strip()
        try:
            if _plain_number(text):
                out[i] = float(text)
            else:
                unit = "hourangle" if is_ra and not text.lower().endswith("d") else "deg"
                out[i] = Angle(text, unit=unit).degree
        except (ValueError, TypeError) as exc:
            raise XcatError(f"{where}: row {i + 1} '{text}' is not a coordinate") from exc
    return out


def _plain_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
