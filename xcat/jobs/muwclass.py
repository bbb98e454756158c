"""MUWCLASS counterpart tables (Yang et al. 2022): the code ``ingest/muwclass/job.toml``
needs. One row per X-ray source of the aligned ``_ave.csv``, blank where the source has
no counterpart: the rows with a counterpart are kept, keyed by their 1-based row
number ``xray_row``, and the position columns are chosen by the catalog suffix.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from xcat.errors import XcatError
from xcat.io.table import ColumnMeta, InputTable

# MUWCLASS suffix -> (RA column, Dec column, the counterpart's own id)
MUWCLASS = {
    "gaia": ("RA_ICRS_gaia", "DE_ICRS_gaia", "Source_gaia"),
    "2mass": ("RAJ2000_2mass", "DEJ2000_2mass", "_2MASS_2mass"),
    "allwise": ("RAJ2000_allwise", "DEJ2000_allwise", "AllWISE_allwise"),
    "catwise": ("RA_ICRS_catwise", "DE_ICRS_catwise", "Name_catwise"),
    "unwise": ("RAJ2000_unwise", "DEJ2000_unwise", "objID_unwise"),
}


def keep_counterpart_rows(inp: InputTable, ra: str | None,
                          dec: str | None) -> tuple[str, str]:
    """Keep the rows that have a counterpart; add ``xray_row``; return the position columns."""
    cols = inp.table.column_names
    found = [s for s, (r, d, _) in MUWCLASS.items() if r in cols and d in cols]
    if not (ra and dec) and len(found) != 1:
        raise XcatError(f"{inp.source}: not a MUWCLASS counterpart table (no "
                        f"{' / '.join(v[0] for v in MUWCLASS.values())} column); "
                        "name the position columns with --ra/--dec")
    ra = ra or MUWCLASS[found[0]][0]
    dec = dec or MUWCLASS[found[0]][1]
    for c in (ra, dec):
        if c not in cols:
            raise XcatError(f"{inp.source}: no column '{c}'")
    n = inp.table.num_rows
    inp.table = inp.table.append_column("xray_row", pa.array(np.arange(1, n + 1), pa.int64()))
    inp.meta["xray_row"] = ColumnMeta(source_column="(row number)")
    has = pc.and_(pc.is_valid(inp.table.column(ra)), pc.is_valid(inp.table.column(dec)))
    if pa.types.is_floating(inp.table.column(ra).type):
        has = pc.and_(has, pc.invert(pc.is_nan(inp.table.column(ra))))
    keep = np.asarray(has.to_numpy(zero_copy_only=False), dtype=bool)
    if not keep.any():
        raise XcatError(f"{inp.source}: no row has a counterpart position in '{ra}'")
    if not keep.all():
        missing = (np.flatnonzero(~keep) + 1).tolist()
        inp.table = inp.table.filter(pa.array(keep))
        inp.notes.append(f"{len(missing)} of {n} X-ray sources have no counterpart (blank "
                         f"'{ra}', rows {missing[:5]}{'...' if len(missing) > 5 else ''}); "
                         "not stored")
    return ra, dec
