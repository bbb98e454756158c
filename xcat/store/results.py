"""Query results as astropy Tables with units, UCDs and descriptions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from xcat.store.layout import DIST_COLUMN


def to_astropy(table: pa.Table, column_meta: pd.DataFrame):
    """Astropy Table from Arrow; a column gets the unit/UCD/description stored for its
    name when every stored column of that name agrees on the unit.
    """
    from astropy.table import MaskedColumn, Table


    by_name = {}
    for name, grp in column_meta.groupby("name"):
        if grp["unit"].fillna("").nunique() == 1:
            by_name[name] = grp.iloc[0]
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
        info = by_name.get(f.name)
        unit = info["unit"] if info is not None and isinstance(info["unit"], str) else None
        desc = info["description"] if info is not None and isinstance(
            info["description"], str) else None
        if f.name == DIST_COLUMN:
            unit, desc = "arcsec", "Great-circle distance from the cone centre"
        out[f.name] = MaskedColumn(data, mask=mask, unit=unit, description=desc)
        if info is not None and isinstance(info["ucd"], str):
            out[f.name].meta["ucd"] = info["ucd"]
    return out
