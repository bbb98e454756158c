"""The terminal table: column names, units under them, a rule, right-aligned values,
``--`` for missing ones, degrees to 8 decimals and other floats to 5 significant digits,
and a row count. It reads Arrow results directly (units from the field metadata), so
``xcat sql`` prints without importing astropy or pandas. Nested values (STRUCT, MAP,
LIST of those) print as JSON text (:func:`nested_text`). On a terminal the table is cut
to its width, with a closing note naming the hidden columns' number and how to see
them all; an empty result prints its column heads and ``(no rows)``, once.

Examples
--------
>>> print(render([Column("ra", "deg", [10.5, None]), Column("name", None, ["a", "bb"])], 50))
         ra name
        deg
----------- ----
10.50000000    a
         --   bb
(2 rows)
"""

from __future__ import annotations

import json
import math
import shutil
import sys
from dataclasses import dataclass
from typing import Any

import pyarrow as pa


@dataclass
class Column:
    """One column to show: its name, unit (or None) and values (None = missing)."""

    name: str
    unit: str | None
    values: list[Any]


def from_arrow(table: pa.Table) -> list[Column]:
    """Columns of an Arrow table, with the units stored in its field metadata."""
    out = []
    for f in table.schema:
        md = {k.decode(): v.decode() for k, v in (f.metadata or {}).items()}
        values = table.column(f.name).to_pylist()
        if _is_flat_list(f.type):
            values = [None if v is None else ",".join(map(str, v)) for v in values]
        elif pa.types.is_nested(f.type):
            values = [nested_text(v, f.type) for v in values]
        out.append(Column(f.name, md.get("unit") or None, values))
    return out


def _is_flat_list(t: pa.DataType) -> bool:
    return ((pa.types.is_list(t) or pa.types.is_large_list(t))
            and not pa.types.is_nested(t.value_type))


def _plain_json(value: Any, t: pa.DataType) -> Any:
    """A nested Arrow value (from ``to_pylist``) as plain JSON-able Python."""
    if value is None:
        return None
    if pa.types.is_map(t):
        return {str(k): _plain_json(v, t.item_type) for k, v in value}
    if pa.types.is_struct(t):
        return {f.name: _plain_json(value.get(f.name), f.type) for f in t}
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return [_plain_json(v, t.value_type) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value if isinstance(value, (bool, int, float, str)) else str(value)


def nested_text(value: Any, t: pa.DataType) -> str | None:
    """A STRUCT/MAP/LIST value as compact JSON text (``None`` stays missing).

    Examples
    --------
    >>> nested_text([("hr1", None), ("log_lx", 37.2)], pa.map_(pa.string(), pa.float64()))
    '{"hr1": null, "log_lx": 37.2}'
    """
    return None if value is None else json.dumps(_plain_json(value, t), ensure_ascii=False)


def flatten_nested(table: pa.Table) -> pa.Table:
    """The table with every nested column (STRUCT, MAP, LIST) as JSON text, field
    metadata kept, for formats that hold only scalars (CSV, JSON, VOTable, FITS, ...).
    """
    if not any(pa.types.is_nested(f.type) for f in table.schema):
        return table
    cols, fields = [], []
    for f in table.schema:
        col = table.column(f.name)
        if pa.types.is_nested(f.type):
            col = pa.array([nested_text(v, f.type) for v in col.to_pylist()], pa.string())
            f = pa.field(f.name, pa.string(), metadata=f.metadata)
        cols.append(col)
        fields.append(f)
    return pa.Table.from_arrays(cols, schema=pa.schema(fields, metadata=table.schema.metadata))


def from_astropy(table: Any) -> list[Column]:
    """Columns of an astropy Table (masked entries become None)."""
    out = []
    for name in table.colnames:
        col = table[name]
        mask = getattr(col, "mask", None)
        values = [None if (mask is not None and bool(mask[i])) else _plain(v)
                  for i, v in enumerate(col.tolist() if hasattr(col, "tolist") else col)]
        unit = str(col.unit) if getattr(col, "unit", None) is not None else None
        out.append(Column(name, unit or None, values))
    return out


def _plain(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v


def cell(v: Any, unit: str | None) -> str:
    """One value as the terminal table shows it (strings pass through)."""
    if v is None:
        return "--"
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            return str(v)
        return f"{v:.8f}" if unit == "deg" else f"{v:.5g}"
    if isinstance(v, bytes):
        return v.decode(errors="replace")
    return str(v)


def terminal_width() -> int | None:
    """Columns of the terminal when stdout is one, else ``None`` (no cutting)."""
    try:
        if not sys.stdout.isatty():
            return None
    except (AttributeError, ValueError):
        return None
    return shutil.get_terminal_size().columns


#: ``render(width=AUTO)``: cut to the terminal's width when stdout is a terminal.
AUTO = -1


def render(columns: list[Column], max_rows: int, width: int | None = AUTO) -> str:
    """The table as text (at most ``max_rows`` rows: the first and last halves).

    ``width`` cuts the columns that do not fit (at least one column is shown) and ends
    with a note on how to see them; ``AUTO`` is the terminal's width when stdout is a
    terminal, ``None`` never cuts.
    """
    if width == AUTO:
        width = terminal_width()
    n = len(columns[0].values) if columns else 0
    shown = list(range(n))
    if n > max_rows:
        head = max(max_rows // 2, 1)
        shown = [*range(head), -1, *range(n - (max_rows - head), n)]
    cells = [[("..." if i < 0 else cell(c.values[i], c.unit)) for i in shown]
             for c in columns]
    widths = [max(len(c.name), len(c.unit or ""), *(len(s) for s in cs))
              for c, cs in zip(columns, cells, strict=True)]
    hidden = 0
    if width is not None and columns:
        keep, used = 0, -1
        for w in widths:
            if keep and used + 1 + w > width:
                break
            used += 1 + w
            keep += 1
        hidden = len(columns) - keep
        columns, cells, widths = columns[:keep], cells[:keep], widths[:keep]
    lines = []
    if columns:
        lines.append(" ".join(c.name.rjust(w) for c, w in zip(columns, widths, strict=True)))
        if any(c.unit for c in columns):
            lines.append(" ".join((c.unit or "").rjust(w)
                                  for c, w in zip(columns, widths, strict=True)))
        lines.append(" ".join("-" * w for w in widths))
    for r in range(len(shown)):
        lines.append(" ".join(cs[r].rjust(w) for cs, w in zip(cells, widths, strict=True)))
    if n == 0:
        lines.append("(no rows)")
    else:
        lines.append(f"({n} row{'s' if n != 1 else ''}"
                     f"{f', {max_rows} shown' if n > max_rows else ''})")
    if hidden or n > max_rows:
        what = [f"{hidden} more column{'s' if hidden != 1 else ''}"] if hidden else []
        what += [f"{n - max_rows} more rows"] if n > max_rows else []
        lines.append(f"({' and '.join(what)}: use --format csv or -o FILE to see all)")
    return "\n".join(line.rstrip() for line in lines)
