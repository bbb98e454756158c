"""Split CSC exports (one row per master source x stack/observation) into a master
source table and a per-detection table keyed by source name.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from xcat.catalog.build import CatalogBuild, check_unique
from xcat.errors import XcatError
from xcat.io.table import ColumnMeta, InputTable
from xcat.store.kinds import CatalogDefinition

DET_INDEX = "det_index"


def split_detections(inp: InputTable, d: CatalogDefinition, *, name: str, ra: str, dec: str,
                     key: str | None, renamed: dict[str, str]) -> list[CatalogBuild]:
    """Master rows once per ``key``; stack/observation values to ``<name>_detections``.

    A column goes to the detection table when the definition lists it, when it is
    a pandas ``.1`` twin of a master column (it then takes the master name there),
    or when its value changes between rows of one source. RA/Dec must not change
    within a source: that is a duplicate key with conflicting positions.
    """
    if not key:
        raise XcatError(f"{inp.source}: the {d.kind} definition needs a key column")
    table = inp.table
    codes, uniques = pd.factorize(table.column(key).to_pandas(), sort=False)
    n_src = len(uniques)
    det_cols = [c for c in table.column_names
                if c not in (key, ra, dec) and (d.is_detection_column(renamed.get(c, c))
                                                or c in renamed)]
    varying = _varying_columns(table, codes, exclude={key, *det_cols})
    for pos in (ra, dec):
        if pos in varying:
            i = varying[pos]
            raise XcatError(f"{inp.source}: duplicate source key {key}="
                            f"{uniques[codes[i]]!r} with different positions (row {i + 1})")
    det_cols += [c for c in table.column_names if c in varying]
    first = np.full(n_src, -1, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes))[::-1]
    master_cols = [c for c in table.column_names if c not in det_cols]
    master = table.select(master_cols).take(pa.array(first))
    notes = list(inp.notes)
    if varying:
        notes.append("per-detection (vary within a source): " + ", ".join(sorted(varying)))
    builds = [CatalogBuild(name, d.kind, master, {c: inp.column_meta(c) for c in master_cols},
                           ra, dec, [key], notes=notes)]
    check_unique(master, [key], inp.source)
    if det_cols:
        det = table.select([key, ra, dec, *det_cols])
        det_index = _running_index(codes)
        det = det.append_column(DET_INDEX, pa.array(det_index, pa.int32()))
        out_names = [renamed.get(c, c) for c in det.column_names]
        meta = {renamed.get(c, c): inp.column_meta(c) for c in det.column_names
                if c != DET_INDEX}
        meta[DET_INDEX] = ColumnMeta(description=f"0-based index of this detection within its "
                                                 f"source, in input order ({key}, {DET_INDEX})")
        builds.append(CatalogBuild(f"{name}_detections", f"{d.kind}_detections",
                                   det.rename_columns(out_names), meta, ra, dec,
                                   [key, DET_INDEX], parent=name))
    return builds


def _varying_columns(table: pa.Table, codes: np.ndarray, exclude: set[str]) -> dict[str, int]:
    """Columns whose value differs between rows of one source → first offending row."""
    out = {}
    order = np.argsort(codes, kind="stable")
    same_src = codes[order][1:] == codes[order][:-1]
    if not same_src.any():
        return out
    for col in table.column_names:
        if col in exclude:
            continue
        s = table.column(col).to_pandas().to_numpy()[order]
        a, b = s[1:], s[:-1]
        with np.errstate(invalid="ignore"):
            differ = ~((a == b) | (pd.isna(a) & pd.isna(b)))
        bad = same_src & differ
        if bad.any():
            out[col] = int(order[int(np.argmax(bad)) + 1])
    return out


def _running_index(codes: np.ndarray) -> np.ndarray:
    """0, 1, 2... within each code, in input order."""
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    starts = np.r_[0, np.nonzero(np.diff(sorted_codes))[0] + 1]
    run = np.arange(len(codes)) - np.repeat(starts, np.diff(np.r_[starts, len(codes)]))
    out = np.empty(len(codes), dtype=np.int64)
    out[order] = run
    return out
