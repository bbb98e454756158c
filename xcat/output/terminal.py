"""The terminal table: column names, units under them, a rule, right-aligned values,
``--`` for missing ones, degrees to 8 decimals and other floats to 5 significant digits,
and a row count. It reads Arrow results directly (units from the field metadata), so
``xcat sql`` prints without importing astropy or pandas.

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

import math
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
        if pa.types.is_list(f.type) or pa.types.is_large_list(f.type):
            values = [None if v is None else ",".join(map(str, v)) for v in values]
        out.append(Column(f.name, md.get("unit") or None, values))
    return out


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


def _cell(v: Any, unit: str | None) -> str:
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


def render(columns: list[Column], max_rows: int) -> str:
    """The table as text (at most ``max_rows`` rows: the first and last halves)."""
    n = len(columns[0].values) if columns else 0
    if n == 0:
        return "(no rows)\n(0 rows)"
    shown = list(range(n))
    if n > max_rows:
        head = max(max_rows // 2, 1)
        shown = [*range(head), -1, *range(n - (max_rows - head), n)]
    cells = [[("..." if i < 0 else _cell(c.values[i], c.unit)) for i in shown]
             for c in columns]
    any_unit = any(c.unit for c in columns)
    widths = [max(len(c.name), len(c.unit or ""), *(len(s) for s in cs))
              for c, cs in zip(columns, cells, strict=True)]
    lines = [" ".join(c.name.rjust(w) for c, w in zip(columns, widths, strict=True))]
    if any_unit:
        lines.append(" ".join((c.unit or "").rjust(w)
                              for c, w in zip(columns, widths, strict=True)))
    lines.append(" ".join("-" * w for w in widths))
    for r in range(len(shown)):
        lines.append(" ".join(cs[r].rjust(w) for cs, w in zip(cells, widths, strict=True)))
    return "\n".join(line.rstrip() for line in lines) + f"\n({n} row{'s' if n != 1 else ''})"
