"""Checks of the values a catalog is about to store, beyond their positions: units that
astropy understands, energy fluxes and positional errors that are numbers, finite and
not negative, and source keys that are not blank.

A file that breaks one is refused with one line naming the file, column, row and value.
Where a user may want such a file anyway (a catalog that writes ``-1`` or ``N/A`` for
"no measurement"), ``invalid_as_null`` stores the offending cells as NULL and logs a
warning with their count; the ``fluxes_nonnegative`` audit of ``xcat verify`` then holds.

Examples
--------
>>> import pyarrow as pa
>>> from xcat.io.table import InputTable
>>> inp = InputTable(pa.table({"f": [1e-14, -1.0]}), {}, "t.csv", "csv")
>>> check_values(inp, {"f": "energy flux"})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
xcat.errors.XcatError: t.csv: column 'f' (energy flux), row 2: -1.0 is negative (give ...
"""

from __future__ import annotations

import fnmatch
import logging

import numpy as np
import pyarrow as pa

from xcat.errors import XcatError
from xcat.io.table import InputTable
from xcat.sky import units

log = logging.getLogger(__name__)

#: How the option that loads such files anyway is spelled on the command line.
OPTION = "--invalid-as-null"


def check_units(inp: InputTable, *, strict: bool = True) -> None:
    """Every column's unit must be one astropy understands (``furlong^^`` is refused).

    ``strict=False`` (a service's answer, whose metadata the user cannot edit) keeps an
    unknown unit as written, with a note.
    """
    for col in inp.table.column_names:
        unit = inp.column_meta(col).unit
        if not unit or units.parse_unit_lenient(unit) is not None:
            continue
        if not strict:
            inp.notes.append(f"column '{col}': unit '{unit}' kept as written (astropy does "
                             "not know it; it is never converted)")
            continue
        raise XcatError(f"{inp.source}: column '{col}': unit '{unit}' is not a unit astropy "
                        f"understands; give the right one with --map {col}={col}[UNIT], or "
                        f"none with --map {col}={col}[]")


def check_values(inp: InputTable, columns: dict[str, str], *,
                 invalid_as_null: bool = False) -> None:
    """Columns that hold physical amounts (``{column: what}``, e.g. energy fluxes and
    positional errors) must be numbers, finite and >= 0; NaN is taken as missing.

    With ``invalid_as_null`` the offending cells become NULL (a warning counts them).
    """
    for col, what in columns.items():
        arr = inp.table.column(col).combine_chunks()
        where = f"{inp.source}: column '{col}' ({what})"
        values, bad_text = _as_numbers(arr)
        reasons = np.full(len(values), "", dtype=object)
        reasons[bad_text] = "is not a number"
        with np.errstate(invalid="ignore"):
            reasons[values < 0] = "is negative"
            reasons[np.isinf(values)] = "is infinite"
        bad = reasons != ""
        missing = np.asarray(arr.is_null()) | np.isnan(values) | bad
        if bad.any() and not invalid_as_null:
            i = int(np.flatnonzero(bad)[0])
            shown = arr[i].as_py()
            raise XcatError(f"{where}, row {i + 1}: {shown!r} {reasons[i]} (give {OPTION} "
                            "to store such values as NULL)")
        if bad.any():
            rows = (np.flatnonzero(bad) + 1).tolist()
            log.warning("%s: %d value(s) stored as NULL (%s: rows %s%s)", where, len(rows),
                        ", ".join(sorted(set(reasons[bad]))), rows[:5],
                        "..." if len(rows) > 5 else "")
        clean = pa.array(np.where(missing, 0.0, values), pa.float64(),
                         mask=missing if missing.any() else None)
        inp.table = inp.table.set_column(inp.table.column_names.index(col), col, clean)


def _as_numbers(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """float64 values (NaN where missing or not a number) and where text is no number."""
    n = len(arr)
    if pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type) \
            or pa.types.is_null(arr.type) or pa.types.is_decimal(arr.type):
        values = np.asarray(arr.cast(pa.float64()).to_numpy(zero_copy_only=False),
                            dtype=np.float64)
        return values, np.zeros(n, dtype=bool)
    values = np.full(n, np.nan)
    bad = np.zeros(n, dtype=bool)
    for i, cell in enumerate(arr.to_pylist()):
        if cell is None or (isinstance(cell, str) and not cell.strip()):
            continue
        try:
            values[i] = float(cell)
        except (TypeError, ValueError):
            bad[i] = True
    return values, bad


def check_keys_present(inp: InputTable, key: str) -> None:
    """No row may have an empty key: NULL, or a text key that is blank."""
    col = inp.table.column(key).combine_chunks()
    empty = np.asarray(col.is_null())
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        empty |= np.array([v is not None and not v.strip() for v in col.to_pylist()],
                          dtype=bool)
    if empty.any():
        i = int(np.flatnonzero(empty)[0])
        raise XcatError(f"{inp.source}: row {i + 1} has an empty key '{key}'")


def check_probabilities(inp: InputTable, patterns: tuple[str, ...]) -> None:
    """Columns whose names match ``patterns`` (globs) hold probabilities: numbers in
    [0, 1] or blank.
    """
    for col in inp.table.column_names:
        if not any(fnmatch.fnmatchcase(col, p) for p in patterns):
            continue
        arr = inp.table.column(col).combine_chunks()
        values, bad = _as_numbers(arr)
        with np.errstate(invalid="ignore"):
            bad |= (values < 0) | (values > 1)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise XcatError(f"{inp.source}: column '{col}', row {i + 1}: {arr[i].as_py()!r} "
                            "is not a probability in [0, 1]")
