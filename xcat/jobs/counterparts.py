"""Counterpart catalogs (Gaia, 2MASS, CARMENES, MUWCLASS/VizieR tables, DS9 regions)
loaded from files into HATS catalogs like any catalog, with the keys, units and
positional-error columns of their ``ingest/<kind>.toml``.

Examples
--------
>>> ingest_counterpart("xcat-store", Path("1712337806100O-result.ecsv"), kind="gaia")
... # doctest: +SKIP
['gaia: loaded 5 rows (1 partitions) from 1712337806100O-result.ecsv']

"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from xcat.catalog.prepare import prepare
from xcat.errors import XcatError
from xcat.io.readers import read_table
from xcat.io.table import ColumnMeta, InputTable, sha256_of
from xcat.jobs.runner import Provenance, install_into
from xcat.store.kinds import load_definition

KINDS = ("gaia", "twomass", "carmenes", "muwclass", "vizier", "regions")
# MUWCLASS suffix -> (RA column, Dec column, the counterpart's own id)
MUWCLASS = {
    "gaia": ("RA_ICRS_gaia", "DE_ICRS_gaia", "Source_gaia"),
    "2mass": ("RAJ2000_2mass", "DEJ2000_2mass", "_2MASS_2mass"),
    "allwise": ("RAJ2000_allwise", "DEJ2000_allwise", "AllWISE_allwise"),
    "catwise": ("RA_ICRS_catwise", "DE_ICRS_catwise", "Name_catwise"),
    "unwise": ("RAJ2000_unwise", "DEJ2000_unwise", "objID_unwise"),
}


def prepare_counterpart(file: Path, *, kind: str, name: str | None = None,
                        ra: str | None = None, dec: str | None = None,
                        key: str | None = None, mapping: str | None = None,
                        pos_err: tuple[str, ...] = (), fmt: str | None = None):
    """Read and check a counterpart file (no store touched); return (builds, provenance)."""
    if kind not in KINDS:
        raise XcatError(f"unknown counterpart kind '{kind}' (known: {', '.join(KINDS)})")
    definition = load_definition(kind)
    file = file.absolute()
    inp = read_table(file, "ds9" if kind == "regions" and fmt is None else fmt)
    name = name or definition.default_name or name_from_file(file)
    if kind == "muwclass":
        ra, dec = _muwclass_rows(inp, ra, dec)
    elif not key and definition.key:
        key = _case_insensitive(inp, definition.key)
    opts = {"kind": kind, "ra": ra, "dec": dec, "key": key, "map": mapping,
            "pos_err": list(pos_err) or None, "format": fmt}
    detail = json.dumps({k: v for k, v in opts.items() if v}, sort_keys=True)
    builds = prepare(inp, definition, name=name, ra=ra, dec=dec, key=key, mapping=mapping,
                     pos_err=pos_err)
    return builds, Provenance(str(file), detail, sha256_of(file))


def ingest_counterpart(store_path: str | Path | None, file: Path, *, kind: str,
                       replace: bool = False, **options) -> list[str]:
    """Check ``file`` as a ``kind`` counterpart catalog, then install it into the store.

    ``options`` are those of :func:`prepare_counterpart` (name, ra, dec, key, mapping,
    pos_err, fmt). A bad file never creates or touches a store.
    """
    builds, prov = prepare_counterpart(file, kind=kind, **options)
    return install_into(store_path, builds, prov, replace=replace, progress=True)


def _muwclass_rows(inp: InputTable, ra: str | None, dec: str | None) -> tuple[str, str]:
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


def _case_insensitive(inp: InputTable, key: str) -> str | None:
    """The column named ``key`` in any case (Gaia VOTables say SOURCE_ID), or None."""
    if key in inp.table.column_names:
        return key
    match = [c for c in inp.table.column_names if c.lower() == key.lower()]
    return match[0] if len(match) == 1 else None


def name_from_file(file: Path) -> str:
    """A catalog name from a file name (letters, digits, underscores)."""
    import re

    stem = re.sub(r"[^A-Za-z0-9_]+", "_", file.stem).strip("_").lower()
    return stem if stem[:1].isalpha() else f"c_{stem}"
