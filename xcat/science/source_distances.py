"""Distances of individual sources (stars), from a counterpart's parallax or distance.

A source (a 2RXS or CSC row) gets a distance through a stored cross-match run: its best
counterpart in the run (the rank-1 pair; when the counterpart catalog is the run's left
side, the nearest left row of each source) and a column of that counterpart's catalog:

- :func:`distances_from_parallax`: d = 1/plx (plx in mas -> d in pc) for counterparts
  with plx/sigma_plx >= ``min_snr`` (default 5), after subtracting a parallax zero point.
  The 68% interval maps the parallax interval: [1/(plx + sigma), 1/(plx - sigma)].
  Inverting a parallax is a fair estimator only for precise parallaxes: its bias is of
  order (sigma/plx)^2, under 4% at the default cut (Bailer-Jones 2015, PASP 127, 994);
  below plx/sigma = 1 the upper bound is infinite, so such cuts are refused.
- :func:`distances_from_column`: a catalog's own distance (Bailer-Jones et al. 2021
  ``r_med_geo`` with ``r_lo_geo``/``r_hi_geo``, or CARMENES ``d_pc`` with ``ed_pc``).

Every estimate is kept (``source_distances``, append-only, with the counterpart, the run,
the columns and the cut); the newest adoption per source wins
(``source_distance_adoptions``; view ``source_distances_adopted``), and the
``luminosities`` view uses it before the host's distance (``distance_origin``).

Examples
--------
>>> distances_from_parallax(store, "carmenes", "cx", parallax="Plx",
...                         parallax_err="ePlx")                       # doctest: +SKIP
{'source_catalog': 'rxs2', 'linked': 631, ...}
>>> parallax_distance_pc(100.0, 2.0)
(10.0, 9.80392156862745, 10.20408163265306)
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import numpy as np
import pandas as pd
from astropy import units as u

from xcat.errors import XcatError
from xcat.sky.units import parse_unit, require_quantity
from xcat.store import registry, sqlbuild
from xcat.store.db import Database, writes
from xcat.store.sql import transaction

#: A run by name: its id and sides.
RUN = "SELECT run_id, left_catalog, right_catalog FROM xmatch_runs WHERE name = $run"

#: Best counterpart of each left source (counterpart catalog on the right).
BEST_RIGHT = """
SELECT left_key AS source_key, right_key AS counterpart_key, sep_arcsec
FROM xmatch_pairs WHERE run_id = $run_id AND rank = 1
"""

#: Nearest left row of each right source (counterpart catalog on the left).
BEST_LEFT = """
SELECT right_key AS source_key, arg_min(left_key, sep_arcsec) AS counterpart_key,
       min(sep_arcsec) AS sep_arcsec
FROM xmatch_pairs WHERE run_id = $run_id
GROUP BY right_key
"""

#: The unit a catalog column was stored in.
COLUMN_UNIT = "SELECT unit FROM catalog_columns WHERE catalog = $catalog AND lower(name) = $name"

INSERT = """
INSERT INTO source_distances BY NAME SELECT * FROM _xcat_new_source_distances;
INSERT INTO source_distance_adoptions (catalog, source_key, distance_id, adopted_at, note)
SELECT catalog, source_key, distance_id, adopted_at, note FROM _xcat_new_source_adoptions;
"""

#: Identity of recorded distances (exact repeats are skipped).
KEYS = """
SELECT catalog, source_key, distance_pc, method, coalesce(counterpart_key, ''),
       coalesce(run, '') FROM source_distances
"""


def _is_number(v: object) -> bool:
    try:
        float(str(v))
    except ValueError:
        return False
    return True


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def parallax_distance_pc(plx_mas: Any, err_mas: Any) -> tuple[Any, Any, Any]:
    """Distance 1/plx in pc and its 68% interval [1/(plx + err), 1/(plx - err)].

    Examples
    --------
    >>> parallax_distance_pc(100.0, 2.0)
    (10.0, 9.80392156862745, 10.20408163265306)
    """
    plx = np.asarray(plx_mas, dtype=float)
    err = np.asarray(err_mas, dtype=float)
    d = (plx * u.mas).to_value(u.pc, equivalencies=u.parallax())
    lo = ((plx + err) * u.mas).to_value(u.pc, equivalencies=u.parallax())
    hi = ((plx - err) * u.mas).to_value(u.pc, equivalencies=u.parallax())
    if d.ndim == 0:
        return float(d), float(lo), float(hi)
    return d, lo, hi


def _links(con: Any, catalog: str, run: str) -> tuple[pd.DataFrame, str, int]:
    """Best counterpart in ``catalog`` of every source on the other side of ``run``."""
    if registry.get_catalog(con, catalog) is None:
        raise XcatError(f"no catalog '{catalog}' in the store (see 'xcat catalogs')")
    rows = con.execute(RUN, {"run": run}).fetchall()
    if not rows:
        raise XcatError(f"no cross-match run '{run}' (see 'xcat xmatch-runs')")
    run_id, left, right = rows[0]
    if catalog == right:
        sql, source_catalog = BEST_RIGHT, left
    elif catalog == left:
        sql, source_catalog = BEST_LEFT, right
    else:
        raise XcatError(f"run '{run}' matches {left} with {right}, not {catalog}")
    return con.execute(sql, {"run_id": run_id}).df(), source_catalog, run_id


def _column(con: Any, catalog: str, name: str | None, what: str) -> str | None:
    if name is None:
        return None
    have = registry.view_columns(con, catalog)
    if name.lower() not in have:
        raise XcatError(f"catalog {catalog} has no column '{name}' ({what})")
    return name


def _values(con: Any, catalog: str, columns: dict[str, str | None]) -> pd.DataFrame:
    """Key and the named columns (as DOUBLE) of every row of ``catalog``."""
    row = registry.get_catalog(con, catalog)
    if row is None:
        raise XcatError(f"no catalog '{catalog}' in the store (see 'xcat catalogs')")
    if not row["key_columns"]:
        raise XcatError(f"catalog {catalog} has no key column: counterparts need one")
    key = sqlbuild.quote(row["key_columns"][0])
    parts = [f"CAST({key} AS VARCHAR) AS counterpart_key"]
    for alias, col in columns.items():
        if col is not None:
            parts.append(f"TRY_CAST({sqlbuild.quote(col)} AS DOUBLE) AS {alias}")
    return con.execute(f"SELECT {', '.join(parts)} FROM {sqlbuild.quote(catalog)}").df()


def _unit(con: Any, catalog: str, column: str, given: str | None, default: str | None,
          physical: u.UnitBase, what: str) -> tuple[u.UnitBase, str]:
    """Unit of a column: ``given``, else the stored one, else ``default`` (assumed)."""
    if given:
        unit = parse_unit(given, what)
        source = "given"
    else:
        rows = con.execute(COLUMN_UNIT, {"catalog": catalog, "name": column.lower()}).fetchall()
        stored = rows[0][0] if rows and rows[0][0] else None
        if stored is None and default is None:
            raise XcatError(f"column {column} of {catalog} has no unit: give one with "
                            f"--unit (e.g. --unit pc)")
        unit = parse_unit(stored or default, what)
        source = "catalog" if stored else "assumed"
    if unit is None or not unit.is_equivalent(physical):
        raise XcatError(f"{what}: unit '{unit}' is not a unit of {physical.physical_type}")
    return unit, source


def _record(store: Database, source_catalog: str, run: str,
            run_id: int, rows: pd.DataFrame, *, method: str, reference: str | None,
            counterpart: str, parameters: dict[str, Any], adopt: bool) -> dict[str, int]:
    """Insert the new distances (and their adoptions) in one transaction."""
    con = store.con
    seen = {tuple(r) for r in con.execute(KEYS).fetchall()}
    rows = rows.assign(catalog=source_catalog, method=method, run=run)
    ident = list(zip(rows["catalog"], rows["source_key"], rows["distance_pc"], rows["method"],
                     rows["counterpart_key"], rows["run"], strict=True))
    fresh = rows[[t not in seen for t in ident]].copy()
    adopted = {(c, k) for c, k in con.execute(
        "SELECT DISTINCT catalog, source_key FROM source_distance_adoptions").fetchall()}
    now = _now()
    with transaction(con):
        ids = [r[0] for r in con.execute("SELECT nextval('source_distance_ids') FROM range($n)",
                                         {"n": len(fresh)}).fetchall()]
        new = pd.DataFrame({
            "distance_id": pd.Series(ids, dtype="int64"),
            "catalog": fresh["catalog"].to_numpy(dtype=object),
            "source_key": fresh["source_key"].to_numpy(dtype=object),
            "distance_pc": fresh["distance_pc"].to_numpy(dtype=float),
            "distance_lo_pc": fresh["distance_lo_pc"].to_numpy(dtype=float),
            "distance_hi_pc": fresh["distance_hi_pc"].to_numpy(dtype=float),
            "method": method, "reference": reference, "counterpart_catalog": counterpart,
            "counterpart_key": fresh["counterpart_key"].to_numpy(dtype=object),
            "run": run, "run_id": run_id,
            "sep_arcsec": fresh["sep_arcsec"].to_numpy(dtype=float),
            "parallax_mas": fresh["parallax_mas"].to_numpy(dtype=float),
            "parallax_err_mas": fresh["parallax_err_mas"].to_numpy(dtype=float),
            "parameters": json.dumps(parameters, sort_keys=True),
            "added_at": pd.Timestamp(now)})
        for c in ("distance_lo_pc", "distance_hi_pc", "parallax_mas", "parallax_err_mas"):
            new[c] = new[c].astype("float64")
        take = new if adopt else new[[(c, k) not in adopted for c, k in
                                      zip(new["catalog"], new["source_key"], strict=True)]]
        adoptions = pd.DataFrame({"catalog": take["catalog"], "source_key": take["source_key"],
                                  "distance_id": take["distance_id"], "adopted_at": now,
                                  "note": f"{method} ({counterpart}, run {run})"})
        con.register("_xcat_new_source_distances", new)
        con.register("_xcat_new_source_adoptions", adoptions)
        try:
            con.execute(INSERT)
        finally:
            con.unregister("_xcat_new_source_distances")
            con.unregister("_xcat_new_source_adoptions")
    return {"recorded": len(new), "adopted": len(adoptions), "repeats": len(rows) - len(fresh)}


@writes
def distances_from_parallax(store: Database, catalog: str, run: str, *,
                            parallax: str = "parallax", parallax_err: str = "parallax_error",
                            min_snr: float = 5.0, zero_point: str | u.Quantity = "0mas",
                            unit: str | None = None, reference: str | None = None,
                            adopt: bool = True) -> dict[str, Any]:
    """Distances d = 1/plx of the sources of ``run`` from their best counterpart in
    ``catalog``, for counterparts with plx/sigma >= ``min_snr``.

    Parameters
    ----------
    store : Store
        An open store.
    catalog : str
        Counterpart catalog with parallaxes (one side of the run).
    run : str
        Stored cross-match run linking the sources (the other side) to ``catalog``.
    parallax, parallax_err : str
        Columns of the parallax and its 1-sigma error (Gaia: ``parallax``,
        ``parallax_error``; CARMENES: ``Plx``, ``ePlx`` or ``parallax_1``, ...).
    min_snr : float
        Quality cut on plx/sigma after the zero point (default 5; must be > 1).
    zero_point : str or Quantity
        Parallax zero point subtracted (plx - zp), with a unit; Gaia DR3's global
        value is about -0.017 mas (Lindegren et al. 2021). Default 0 mas.
    unit : str, optional
        Unit of the parallax columns when the catalog does not record one (default
        assumed mas, said in the result).
    reference : str, optional
        Citation of the counterpart catalog, stored with every distance.
    adopt : bool
        Adopt the new distances (default True; a source's first distance is adopted
        in any case).

    Returns
    -------
    dict
        Counts: ``linked`` (sources with a counterpart), ``with_value`` (a parallax
        and a positive error), ``passed`` (the cut), ``recorded``, ``adopted``,
        ``repeats`` (identical rows already stored), and ``unit_source``.
    """
    min_snr = float(min_snr)
    if not np.isfinite(min_snr) or min_snr <= 1.0:
        raise XcatError(f"--min-snr {min_snr}: the cut on parallax/error must be > 1 "
                        f"(1/plx has no upper bound below that); the default is 5")
    if not isinstance(zero_point, u.Quantity) and _is_number(zero_point):
        raise XcatError(f"--zero-point '{zero_point}' has no unit: give one, e.g. -0.017mas")
    zp = require_quantity(zero_point, "angle", u.mas, "--zero-point")
    con = store.con
    links, source_catalog, run_id = _links(con, catalog, run)
    _column(con, catalog, parallax, "--parallax")
    _column(con, catalog, parallax_err, "--parallax-err")
    plx_unit, unit_source = _unit(con, catalog, parallax, unit, "mas", u.mas, "parallax")
    vals = _values(con, catalog, {"plx": parallax, "err": parallax_err})
    m = links.merge(vals, on="counterpart_key", how="left")
    scale = plx_unit.to(u.mas)
    plx = m["plx"].to_numpy(dtype=float) * scale - zp
    err = m["err"].to_numpy(dtype=float) * scale
    ok = np.isfinite(plx) & np.isfinite(err) & (err > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        good = ok & (plx > 0) & (plx / np.where(ok, err, 1.0) >= min_snr)
    sel = m[good].copy()
    d, lo, hi = parallax_distance_pc(plx[good], err[good])
    sel = sel.assign(distance_pc=d, distance_lo_pc=lo, distance_hi_pc=hi,
                     parallax_mas=plx[good], parallax_err_mas=err[good])
    params = {"parallax": parallax, "parallax_err": parallax_err, "min_snr": min_snr,
              "zero_point_mas": zp, "unit": str(plx_unit), "unit_source": unit_source,
              "estimator": "1/plx; 68% interval [1/(plx+err), 1/(plx-err)]"}
    out = _record(store, source_catalog, run, run_id, sel, method="parallax 1/plx",
                  reference=reference, counterpart=catalog, parameters=params, adopt=adopt)
    return {"source_catalog": source_catalog, "linked": len(links), "with_value": int(ok.sum()),
            "passed": int(good.sum()), **out, "unit_source": unit_source}


@writes
def distances_from_column(store: Database, catalog: str, run: str, *, column: str,
                          lo: str | None = None, hi: str | None = None, err: str | None = None,
                          unit: str | None = None, reference: str | None = None,
                          adopt: bool = True) -> dict[str, Any]:
    """Distances of the sources of ``run`` from a distance column of their best
    counterpart in ``catalog`` (Bailer-Jones ``r_med_geo`` with ``r_lo_geo``/``r_hi_geo``,
    or a value with a symmetric ``err``).

    The unit is the catalog's for the column, else ``unit`` (required then). Rows
    without a positive finite distance are skipped. Returns counts as
    :func:`distances_from_parallax`.
    """
    if err is not None and (lo is not None or hi is not None):
        raise XcatError("give --lo/--hi or --err, not both")
    con = store.con
    links, source_catalog, run_id = _links(con, catalog, run)
    for name, what in ((column, "--column"), (lo, "--lo"), (hi, "--hi"), (err, "--err")):
        _column(con, catalog, name, what)
    d_unit, unit_source = _unit(con, catalog, column, unit, None, u.pc, "distance")
    vals = _values(con, catalog, {"d": column, "lo": lo, "hi": hi, "err": err})
    m = links.merge(vals, on="counterpart_key", how="left")
    scale = d_unit.to(u.pc)
    d = m["d"].to_numpy(dtype=float) * scale
    if err is not None:
        e = m["err"].to_numpy(dtype=float) * scale
        d_lo, d_hi = np.maximum(d - e, 0.0), d + e
    else:
        d_lo = m["lo"].to_numpy(dtype=float) * scale if lo else np.full(len(m), np.nan)
        d_hi = m["hi"].to_numpy(dtype=float) * scale if hi else np.full(len(m), np.nan)
    ok = np.isfinite(d) & (d > 0)
    sel = m[ok].copy().assign(
        distance_pc=d[ok], distance_lo_pc=np.where(np.isfinite(d_lo[ok]), d_lo[ok], np.nan),
        distance_hi_pc=np.where(np.isfinite(d_hi[ok]), d_hi[ok], np.nan),
        parallax_mas=np.nan, parallax_err_mas=np.nan)
    params = {"column": column, "lo": lo, "hi": hi, "err": err, "unit": str(d_unit),
              "unit_source": unit_source}
    out = _record(store, source_catalog, run, run_id, sel, method=f"column {column}",
                  reference=reference, counterpart=catalog, parameters=params, adopt=adopt)
    return {"source_catalog": source_catalog, "linked": len(links), "with_value": int(ok.sum()),
            "passed": int(ok.sum()), **out, "unit_source": unit_source}


#: Every recorded distance of a source (or of all sources), the adopted one marked.
LIST_ALL = """
SELECT d.distance_id, d.catalog, d.source_key, d.distance_pc, d.distance_lo_pc,
       d.distance_hi_pc, d.method, d.reference, d.counterpart_catalog, d.counterpart_key,
       d.run, d.sep_arcsec, d.parallax_mas, d.parallax_err_mas, d.added_at,
       a.distance_id IS NOT NULL AND d.distance_id = a.distance_id AS adopted
FROM source_distances AS d
LEFT JOIN source_distances_adopted AS a USING (catalog, source_key)
WHERE ($source IS NULL OR d.source_key = $source) AND ($catalog IS NULL OR d.catalog = $catalog)
ORDER BY d.catalog, d.source_key, d.distance_id
"""

LIST_ADOPTED = """
SELECT * FROM source_distances_adopted
WHERE $catalog IS NULL OR catalog = $catalog
ORDER BY catalog, distance_pc, source_key
"""


def list_source_distances(store: Database, catalog: str | None = None) -> pd.DataFrame:
    """Sources with an adopted distance of their own (optionally of one catalog)."""
    return store.con.execute(LIST_ADOPTED, {"catalog": catalog}).df()


def source_distances(store: Database, source: str | None = None,
                     catalog: str | None = None) -> pd.DataFrame:
    """Every distance recorded for a source (or all), the adopted one marked."""
    df = store.con.execute(LIST_ALL, {"source": source, "catalog": catalog}).df()
    if source is not None and df.empty:
        raise XcatError(f"no distance recorded for source '{source}'"
                        + (f" of {catalog}" if catalog else ""))
    return df


def _source_catalog(store: Database, source: str, catalog: str | None) -> str:
    cats = sorted({c for (c,) in store.con.execute(
        "SELECT DISTINCT catalog FROM source_distances WHERE source_key = $s",
        {"s": source}).fetchall()} - ({None}))
    if catalog is not None:
        cats = [c for c in cats if c == catalog]
    if not cats:
        raise XcatError(f"no distance recorded for source '{source}'"
                        + (f" of {catalog}" if catalog else ""))
    if len(cats) > 1:
        raise XcatError(f"source '{source}' has distances in {', '.join(cats)}: give --catalog")
    return cats[0]


@writes
def adopt_source_distance(store: Database, source: str, distance_id: int | None, *,
                          catalog: str | None = None, note: str | None = None) -> str:
    """Adopt one of a source's recorded distances, or withdraw its own distance
    (``distance_id`` None: the host's distance is used again). Returns the catalog.
    """
    cat = _source_catalog(store, source, catalog)
    if distance_id is not None:
        row = store.con.execute("SELECT catalog, source_key FROM source_distances "
                                "WHERE distance_id = $i", {"i": int(distance_id)}).fetchall()
        if not row or row[0] != (cat, source):
            raise XcatError(f"source {source} has no distance with id {distance_id} "
                            f"(see 'xcat distance show {source}')")
    store.con.execute("INSERT INTO source_distance_adoptions (catalog, source_key, distance_id, "
                      "adopted_at, note) VALUES ($c, $s, $i, $t, $n)",
                      {"c": cat, "s": source, "i": None if distance_id is None else
                       int(distance_id), "t": _now(), "n": note})
    return cat
