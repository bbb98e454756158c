"""Query results with their column metadata: unit, UCD and description of every result
column whose name is a stored column (or a documented view column) with one unambiguous
unit, carried as Arrow field metadata and, for astropy, as column attributes.

One path for every output: :func:`describe` annotates the Arrow result, and
:func:`to_astropy` reads the annotations back, so pandas, Arrow and astropy results (and
every file format written from them) agree.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from xcat.store.layout import DIST_COLUMN

#: Metadata of the cone search's own distance column.
DIST_INFO = {"unit": "arcsec", "description": "Great-circle distance from the cone centre"}
KEYS = ("unit", "ucd", "description")


def column_info(rows: list[tuple[str, str | None, str | None, str | None]]
                ) -> dict[str, dict[str, str]]:
    """``{column name: {unit, ucd, description}}`` from (name, unit, ucd, description)
    rows, keeping a name only when every stored column of that name has the same unit.
    """
    units: dict[str, set[str]] = {}
    first: dict[str, dict[str, str]] = {}
    for name, unit, ucd, desc in rows:
        units.setdefault(name, set()).add(unit or "")
        if name not in first:
            first[name] = {k: v for k, v in zip(KEYS, (unit, ucd, desc), strict=True) if v}
    info = {n: first[n] for n, u in units.items() if len(u) == 1}
    info[DIST_COLUMN] = DIST_INFO
    return info


def describe(table: pa.Table, info: dict[str, dict[str, str]]) -> pa.Table:
    """``table`` with unit/UCD/description in the field metadata of the columns ``info``
    knows (metadata already on a field is kept).
    """
    fields = []
    for f in table.schema:
        have = {k.decode(): v.decode() for k, v in (f.metadata or {}).items()}
        extra = {k: v for k, v in info.get(f.name, {}).items() if k not in have}
        fields.append(f.with_metadata({**have, **extra}) if extra else f)
    return table.cast(pa.schema(fields, metadata=table.schema.metadata))


def field_info(field: pa.Field) -> dict[str, str]:
    """Unit, UCD and description stored on an Arrow field."""
    md = {k.decode(): v.decode() for k, v in (field.metadata or {}).items()}
    return {k: md[k] for k in KEYS if md.get(k)}


def to_astropy(table: pa.Table) -> Any:
    """Astropy Table from an Arrow result annotated by :func:`describe`."""
    from astropy.table import MaskedColumn, Table

    out = Table()
    for f in table.schema:
        col = table.column(f.name)
        if pa.types.is_list(f.type) or pa.types.is_large_list(f.type):
            values = col.to_pylist()
            mask = np.array([v is None for v in values], dtype=bool)
            data = np.array([",".join(map(str, v)) if v else "" for v in values])
        elif pa.types.is_floating(f.type):
            data = col.to_numpy(zero_copy_only=False).astype(np.float64)
            mask = np.asarray(col.is_null()) if col.null_count else np.zeros(len(data), bool)
        else:
            values = col.to_pylist()
            mask = np.array([v is None for v in values], dtype=bool)
            fill = next((v for v in values if v is not None), "")
            data = np.array([fill if v is None else v for v in values])
            if data.dtype.kind == "O":
                data = data.astype(str)
        meta = field_info(f)
        out[f.name] = MaskedColumn(data, mask=mask, unit=meta.get("unit"),
                                   description=meta.get("description"))
        if meta.get("ucd"):
            out[f.name].meta["ucd"] = meta["ucd"]
    return out
