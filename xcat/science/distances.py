"""Readers for the science layer's input files (galaxy-distance catalogs) and the bulk
host writer.

Examples
--------
>>> rows, origin = load_distance_table(Path("catalog_short.fits"))     # doctest: +SKIP
>>> origin                                                             # doctest: +SKIP
'50MGC (catalog_short.fits)'
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from xcat.errors import XcatError

#: Distance catalogs: how to read them and what their columns mean.
PRESETS = {
    "50mgc": {"origin": "50MGC", "name": "objname", "ra": "ra", "dec": "dec",
              "distance": "bestdist", "error": "bestdist_error", "method": None,
              "method_value": "50MGC bestdist",
              "reference": "Ohlson et al. 2024, AJ 167, 31 (50 Mpc Galaxy Catalog)"},
    "legus": {"origin": "LEGUS", "name": "name", "ra": None, "dec": None,
              "distance": "distance_mpc", "error": None, "method": "distance_method",
              "method_value": None,
              "reference": "Calzetti et al. 2015, AJ 149, 51 (LEGUS Table 1)"},
}


def _read(path: Path) -> tuple[Any, str]:
    from astropy.table import Table

    if not path.exists():
        raise XcatError(f"{path}: no such file")
    if path.is_dir():
        raise XcatError(f"{path}: is a directory, not a distance table")
    if path.stat().st_size == 0:
        raise XcatError(f"{path}: the file is empty")
    with warnings.catch_warnings(record=True):  # astropy's warnings: never printed
        warnings.simplefilter("always")
        try:
            if path.suffix.lower() in (".fits", ".fit", ".fz"):
                return Table.read(path), "fits"
            return Table.read(path, format="ascii.commented_header", header_start=3), "ascii"
        except Exception as exc:  # astropy raises many types for unreadable files
            raise XcatError(f"{path}: cannot read a distance table "
                            f"({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})"
                            ) from exc


def load_distance_table(path: Path, preset: str | None = None) -> tuple[pd.DataFrame, str]:
    """Rows (name, ra, dec, distance_mpc, distance_err_mpc, method, reference) of a
    galaxy-distance catalog, and an origin label.

    Parameters
    ----------
    path : Path
        50MGC ``catalog_short.fits`` or the LEGUS ``calzetti_etal_15_table_1.txt``.
    preset : {"50mgc", "legus"}, optional
        Detected from the column names when omitted.

    Examples
    --------
    >>> rows, _ = load_distance_table(Path("calzetti_etal_15_table_1.txt"))  # doctest: +SKIP
    >>> rows.loc[rows.name == "NGC5457", "distance_mpc"].item()             # doctest: +SKIP
    6.7
    """
    table, _ = _read(path)
    if len(table) == 0:
        raise XcatError(f"{path}: the table holds no rows")
    cols = set(table.colnames)
    if preset is None:
        preset = next((k for k, p in PRESETS.items() if {p["name"], p["distance"]} <= cols),
                      None)
        if preset is None:
            raise XcatError(f"{path}: not a known distance catalog (50MGC: objname, bestdist; "
                            f"LEGUS: name, distance_mpc); give --preset")
    if preset not in PRESETS:
        raise XcatError(f"unknown preset '{preset}' ({', '.join(PRESETS)})")
    p = PRESETS[preset]
    need = [c for c in (p["name"], p["ra"], p["dec"], p["distance"], p["error"], p["method"])
            if c]
    missing = [c for c in need if c not in cols]
    if missing:
        raise XcatError(f"{path}: column(s) {', '.join(missing)} missing for preset {preset}")

    def numbers(col: str | None) -> np.ndarray:
        if col is None:
            return np.full(len(table), np.nan)
        c = table[col]
        try:
            data = np.ma.filled(np.ma.asarray(c, dtype=float), np.nan)
        except (TypeError, ValueError) as exc:
            bad = next(i for i, v in enumerate(c) if not _is_number(v))
            raise XcatError(f"{path}: column {col}, row {bad + 1}: '{c[bad]}' is not a "
                            f"number") from exc
        return data

    names = np.array([str(v).strip() for v in table[p["name"]]], dtype=object)
    dist = numbers(p["distance"])
    checks = [(p["distance"], dist, np.isnan(dist) | ((dist > 0) & np.isfinite(dist)),
               "a distance must be > 0 and finite")]
    for col, lo, hi in ((p["ra"], 0, 360), (p["dec"], -90, 90), (p["error"], 0, np.inf)):
        if col:
            v = numbers(col)
            checks.append((col, v, np.isnan(v) | ((v >= lo) & (v <= hi) & np.isfinite(v)),
                           f"must be within [{lo}, {hi}]" if hi != np.inf else
                           "an error must be >= 0 and finite"))
    for col, v, ok, rule in checks:
        bad = np.flatnonzero(~ok)
        if bad.size:
            raise XcatError(f"{path}: column {col}, row {bad[0] + 1}: {v[bad[0]]} ({rule})")
    method = (np.array([str(v).strip() for v in table[p["method"]]], dtype=object)
              if p["method"] else np.full(len(table), p["method_value"], dtype=object))
    rows = pd.DataFrame({"name": names, "ra": numbers(p["ra"]), "dec": numbers(p["dec"]),
                         "distance_mpc": dist, "distance_err_mpc": numbers(p["error"]),
                         "method": method, "reference": p["reference"]})
    rows = rows[rows["name"] != ""]
    if rows.empty:
        raise XcatError(f"{path}: no row names a galaxy (column {p['name']} is blank)")
    return rows, f"{p['origin']} ({path.name})"


def _is_number(v: object) -> bool:
    try:
        float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return True


#: Insert the staged relations _xcat_new_hosts, _xcat_new_aliases, _xcat_new_distances
#: and _xcat_new_adoptions (registered by :func:`insert_hosts`).
INSERT_HOSTS = """
INSERT INTO hosts BY NAME SELECT * FROM _xcat_new_hosts;
INSERT INTO host_aliases BY NAME SELECT * FROM _xcat_new_aliases;
INSERT INTO host_distances BY NAME SELECT * FROM _xcat_new_distances;
INSERT INTO distance_adoptions BY NAME SELECT * FROM _xcat_new_adoptions;
"""

HOST_COLUMNS = {
    "hosts": ["host_id", "name", "ra", "dec", "ellipse_a_arcmin", "ellipse_b_arcmin",
              "ellipse_pa_deg", "radius_arcmin", "origin", "added_at"],
    "aliases": ["alias_key", "alias", "host_id"],
    "distances": ["distance_id", "host_id", "distance_mpc", "distance_err_mpc", "method",
                  "reference", "origin", "added_at"],
    "adoptions": ["host_id", "distance_id", "adopted_at", "note"],
}


def insert_hosts(con: Any, stage: dict[str, pd.DataFrame]) -> None:
    """Insert staged rows into hosts, host_aliases, host_distances, distance_adoptions
    (inside the caller's transaction).
    """
    for part, cols in HOST_COLUMNS.items():
        df = stage.get(part)
        df = pd.DataFrame(columns=cols) if df is None or df.empty else df
        df = df.reindex(columns=cols)
        for c in cols:
            if c.endswith(("_mpc", "_arcmin", "_deg")) or c in ("ra", "dec"):
                df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
            elif c.endswith("_id"):
                df[c] = df[c].astype("int64")
            elif c.endswith("_at"):
                df[c] = pd.to_datetime(df[c])
            else:
                df[c] = df[c].astype("object").where(df[c].notna(), None)
        con.register(f"_xcat_new_{part}", df)
    try:
        con.execute(INSERT_HOSTS)
    finally:
        for part in HOST_COLUMNS:
            con.unregister(f"_xcat_new_{part}")
