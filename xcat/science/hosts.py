"""Host galaxies and their distances: added by hand or loaded from distance catalogs
(50MGC, LEGUS/Calzetti+15). Several distances per host are kept; the adopted one feeds
the ``luminosities`` view, so adopting another changes every derived luminosity.

Names resolve through ``host_aliases`` upper-cased without spaces: ``M 101``, ``m101``
and ``M101`` are one key, so ``NGC5457`` from a catalog and ``NGC 5457`` typed by hand
meet. The rule is the store's SQL macro ``alias_key`` (``schema/008_alias_key_macro.sql``),
which named queries use as ``alias_key($host)`` and :func:`alias_keys` calls.

Examples
--------
>>> from xcat import Store
>>> from xcat.science.hosts import add_host, load_hosts
>>> store = Store.open("xcat-store")                                   # doctest: +SKIP
>>> add_host(store, "M101", aliases=["NGC 5457"], ra=210.802368, dec=54.349023,
...          distance="6.4Mpc", distance_err="0.5Mpc", method="Cepheid",
...          reference="2011ApJ...733..124S", radius="15arcmin")   # doctest: +SKIP
>>> load_hosts(store, "catalog_short.fits")                           # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from astropy import units as u

from xcat.errors import XcatError
from xcat.science.distances import insert_hosts as _insert
from xcat.science.distances import load_distance_table
from xcat.sky.units import require_quantity
from xcat.store.db import Database, writes
from xcat.store.sql import transaction

#: Reserve $n new ids from a sequence.
RESERVE_HOST_IDS = "SELECT nextval('host_ids') AS id FROM range($n)"
RESERVE_DISTANCE_IDS = "SELECT nextval('host_distance_ids') AS id FROM range($n)"

#: Set a host's name, position and boundary (NULL parameters keep the stored value).
UPDATE_HOST = """
UPDATE hosts SET
    name = coalesce($name, name),
    ra = coalesce($ra, ra),
    dec = coalesce($dec, dec),
    ellipse_a_arcmin = coalesce($ellipse_a_arcmin, ellipse_a_arcmin),
    ellipse_b_arcmin = coalesce($ellipse_b_arcmin, ellipse_b_arcmin),
    ellipse_pa_deg = coalesce($ellipse_pa_deg, ellipse_pa_deg),
    radius_arcmin = coalesce($radius_arcmin, radius_arcmin)
WHERE host_id = $host_id
"""


def alias_keys(con: Any, names: list[str]) -> list[str]:
    """Lookup keys of host names (upper case, spaces and underscores removed), by the
    store's ``alias_key`` macro: the one rule that SQL and Python share.

    Examples
    --------
    >>> alias_keys(store.con, ["M 101", "ngc_5457"])                   # doctest: +SKIP
    ['M101', 'NGC5457']
    """
    if not names:
        return []
    return con.execute("SELECT list_transform($names, lambda n: alias_key(n))",
                       {"names": [str(n) for n in names]}).fetchall()[0][0]


def _alias_map(con: Any) -> dict[str, int]:
    """Every alias key and the host it names."""
    return dict(con.execute("SELECT alias_key, host_id FROM host_aliases").fetchall())


def _adopted(con: Any) -> set[int]:
    """Hosts that have an adopted distance."""
    return {r[0] for r in con.execute(
        "SELECT DISTINCT host_id FROM distance_adoptions").fetchall()}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _value(q: object, physical: str, unit: u.UnitBase, what: str) -> float | None:
    """``q`` (a Quantity or a string with a unit) in ``unit``; bare numbers are refused."""
    if q is None:
        return None
    v = require_quantity(q, physical, unit, what)
    if not np.isfinite(v) or v < 0:
        raise XcatError(f"{what} {q} must be a finite value >= 0")
    return v


def _angle_deg(q: object, what: str) -> float:
    return require_quantity(q, "angle", u.deg, what)


def resolve_host(store: Database, name: str) -> int | None:
    """Host id of ``name`` (any alias), or ``None`` when it is unknown."""
    rows = store.con.execute("SELECT host_id FROM host_aliases "
                             "WHERE alias_key = alias_key($name)", {"name": name}).fetchall()
    return rows[0][0] if rows else None


def host_id(store: Database, name: str) -> int:
    """Host id of ``name``; ``XcatError`` when there is no such host."""
    hid = resolve_host(store, name)
    if hid is None:
        raise XcatError(f"no host '{name}' (add it with 'xcat host add {name} ...')")
    return hid


@writes
def add_host(store: Database, name: str, *, aliases: list[str] | tuple[str, ...] = (),
             ra: float | None = None, dec: float | None = None,
             distance: str | u.Quantity | None = None,
             distance_err: str | u.Quantity | None = None,
             method: str | None = None, reference: str | None = None,
             ellipse: tuple[str | float, str | float, str | float] | None = None,
             radius: str | float | None = None, adopt: bool = True) -> dict[str, Any]:
    """Add a host, or update the one that ``name`` or an alias already names.

    Parameters
    ----------
    store : Store
        An open store.
    name : str
        Host name used in queries. A host found only through an alias and loaded
        from a catalog is renamed to ``name`` (names you type win).
    aliases : list of str
        Other names (``NGC 5457``, ``M 101``).
    ra, dec : float, optional
        Centre in degrees (ICRS).
    distance, distance_err : str or float, optional
        ``"6.4Mpc"``, ``"640kpc"`` or an astropy Quantity; a bare number is refused.
    method, reference : str, optional
        Distance method (Cepheid, TRGB, ...) and reference (bibcode).
    ellipse : (a, b, pa), optional
        Semi-axes and position angle, each with a unit (``"14arcmin"``, ``"30deg"``).
    radius : str or float, optional
        Membership radius when there is no ellipse, with a unit (``"15arcmin"``).
    adopt : bool
        Adopt the new distance (default True; the first distance of a host is
        adopted in any case).

    Returns
    -------
    dict
        ``host_id``, ``host``, ``distance_id`` (or None) and ``created``.

    Examples
    --------
    >>> add_host(store, "M101", distance="6.4Mpc", reference="Shappee & Stanek 2011")
    ... # doctest: +SKIP
    """
    if not name.strip():
        raise XcatError("a host needs a name")
    if (ra is None) != (dec is None):
        raise XcatError(f"host {name}: give both RA and Dec")
    if ra is not None and not (0 <= ra < 360 and -90 <= dec <= 90):
        raise XcatError(f"host {name}: position ({ra}, {dec}) out of range")
    d = _value(distance, "length", u.Mpc, f"host {name}: distance")
    if d is not None and d <= 0:
        raise XcatError(f"host {name}: distance {distance} must be > 0")
    err = _value(distance_err, "length", u.Mpc, f"host {name}: distance error")
    if d is None and (err is not None or method or reference):
        raise XcatError(f"host {name}: --distance-err/--method/--ref need --distance")
    geo: dict[str, float | None] = {"ellipse_a_arcmin": None, "ellipse_b_arcmin": None,
                                    "ellipse_pa_deg": None}
    if ellipse is not None:
        a, b, pa = ellipse
        geo["ellipse_a_arcmin"] = _value(a, "angle", u.arcmin, f"host {name}: ellipse semi-axis")
        geo["ellipse_b_arcmin"] = _value(b, "angle", u.arcmin, f"host {name}: ellipse semi-axis")
        geo["ellipse_pa_deg"] = _angle_deg(pa, f"host {name}: ellipse position angle") % 180.0
        if not (geo["ellipse_a_arcmin"] and geo["ellipse_b_arcmin"]):
            raise XcatError(f"host {name}: ellipse semi-axes must be > 0")
        if geo["ellipse_b_arcmin"] > geo["ellipse_a_arcmin"]:
            raise XcatError(f"host {name}: ellipse semi-minor axis exceeds the semi-major")
    geo["radius_arcmin"] = _value(radius, "angle", u.arcmin, f"host {name}: radius")
    con = store.con
    amap = _alias_map(con)
    names = [name, *aliases]
    keys = alias_keys(con, names)
    found = {amap[k] for k in keys if k in amap}
    if len(found) > 1:
        raise XcatError(f"host {name}: the names {', '.join(names)} belong to different "
                        f"hosts ({sorted(found)})")
    now = _now()
    hid = found.pop() if found else None
    created = hid is None
    rename = None
    with transaction(con):
        if created:
            hid = con.execute(RESERVE_HOST_IDS, {"n": 1}).fetchall()[0][0]
            stage = {"hosts": pd.DataFrame([{"host_id": hid, "name": name, "ra": ra,
                                             "dec": dec, **geo, "origin": "manual",
                                             "added_at": now}])}
        else:
            row = con.execute("SELECT host_id, name, origin FROM hosts WHERE host_id = $host_id",
                              {"host_id": hid}).fetchall()[0]
            if alias_keys(con, [row[1]])[0] != keys[0] and row[2] != "manual":
                rename = name
            con.execute(UPDATE_HOST, {"host_id": hid, "name": rename, "ra": ra, "dec": dec,
                                      **geo})
            stage = {}
        new_alias = {}
        for n, k in zip(names, keys, strict=True):
            if k not in amap:
                new_alias.setdefault(k, {"alias_key": k, "alias": n, "host_id": hid})
        stage["aliases"] = pd.DataFrame(list(new_alias.values()))
        did = None
        if d is not None:
            did = con.execute(RESERVE_DISTANCE_IDS, {"n": 1}).fetchall()[0][0]
            stage["distances"] = pd.DataFrame([{
                "distance_id": did, "host_id": hid, "distance_mpc": d, "distance_err_mpc": err,
                "method": method, "reference": reference, "origin": "manual", "added_at": now}])
            if adopt or hid not in _adopted(con):
                stage["adoptions"] = pd.DataFrame([{"host_id": hid, "distance_id": did,
                                                    "adopted_at": now, "note": "manual"}])
        _insert(con, stage)
    return {"host_id": hid, "host": rename or name, "distance_id": did, "created": created}


@writes
def adopt_distance(store: Database, host: str, distance_id: int, note: str | None = None) -> None:
    """Adopt one of a host's recorded distances; every luminosity follows.

    Examples
    --------
    >>> adopt_distance(store, "M101", 3)                               # doctest: +SKIP
    """
    hid = host_id(store, host)
    row = store.con.execute("SELECT distance_id, host_id FROM host_distances "
                            "WHERE distance_id = $distance_id",
                            {"distance_id": int(distance_id)}).fetchall()
    row = row[0] if row else None
    if row is None or row[1] != hid:
        raise XcatError(f"host {host} has no distance with id {distance_id} "
                        f"(see 'xcat host show {host}')")
    # the newest adoption of a host wins
    store.con.execute("INSERT INTO distance_adoptions (host_id, distance_id, adopted_at, note) "
                      "VALUES ($host_id, $distance_id, $adopted_at, $note)",
                      {"host_id": hid, "distance_id": int(distance_id), "adopted_at": _now(),
                       "note": note})


#: Hosts with their adopted distance; $host_id NULL lists all that have a distance or a
#: boundary.
LIST_HOSTS = """
SELECT * FROM hosts_adopted
WHERE ($host_id IS NULL AND (distance_id IS NOT NULL OR radius_arcmin IS NOT NULL
                             OR ellipse_a_arcmin IS NOT NULL))
   OR host_id = $host_id
ORDER BY host
"""


def list_hosts(store: Database, name: str | None = None) -> pd.DataFrame:
    """Hosts with their adopted distance (one host, or all with a distance or boundary)."""
    hid = host_id(store, name) if name else None
    return store.con.execute(LIST_HOSTS, {"host_id": hid}).df()


#: Every distance of one host, the adopted one marked.
DISTANCES_OF_HOST = """
SELECT d.distance_id, h.name AS host, d.distance_mpc, d.distance_err_mpc, d.method,
       d.reference, d.origin, d.added_at, d.distance_id = a.distance_id AS adopted
FROM host_distances AS d
JOIN hosts AS h USING (host_id)
LEFT JOIN hosts_adopted AS a USING (host_id)
WHERE d.host_id = $host_id
ORDER BY d.distance_id
"""


def host_distances(store: Database, name: str) -> pd.DataFrame:
    """Every distance recorded for a host, the adopted one marked."""
    return store.con.execute(DISTANCES_OF_HOST, {"host_id": host_id(store, name)}).df()


#: Identity of every recorded distance (to skip exact repeats on reload).
DISTANCE_KEYS = """
SELECT host_id, distance_mpc, coalesce(distance_err_mpc, -1.0) AS err,
       coalesce(method, '') AS method, coalesce(reference, '') AS reference
FROM host_distances
"""


@writes
def load_hosts(store: Database, file: str | Path, *, preset: str | None = None,
               only: list[str] | None = None) -> dict[str, int]:
    """Load a galaxy-distance catalog: new hosts, aliases and distances.

    A galaxy already known (by any alias) gets the catalog's distance added; it is
    adopted only when the host had none. Exact repeats (same host, distance, error,
    method, reference) are skipped, so reloading a file changes nothing.

    Parameters
    ----------
    store : Store
        An open store.
    file : str or Path
        ``catalog_short.fits`` (50MGC) or ``calzetti_etal_15_table_1.txt`` (LEGUS).
    preset : {"50mgc", "legus"}, optional
        Format; detected from the columns when omitted.
    only : list of str, optional
        Load only these galaxies (any alias spelling).

    Returns
    -------
    dict
        Counts: ``hosts`` (new), ``distances`` (new), ``adopted``.

    Examples
    --------
    >>> load_hosts(store, "catalog_short.fits", only=["NGC5457"])     # doctest: +SKIP
    {'hosts': 1, 'distances': 1, 'adopted': 1}
    """
    rows, origin = load_distance_table(Path(file), preset)
    con = store.con
    rows = rows.assign(key=alias_keys(con, rows["name"].tolist()))
    if only:
        rows = rows[rows["key"].isin(set(alias_keys(con, list(only))))]
    amap = _alias_map(con)
    adopted = _adopted(con)
    seen = {tuple(r) for r in con.execute(DISTANCE_KEYS).fetchall()}
    now = _now()
    rows = rows.drop_duplicates("key")
    new = rows[~rows["key"].isin(amap)]
    with transaction(con):
        ids = [r[0] for r in con.execute(RESERVE_HOST_IDS, {"n": len(new)}).fetchall()]
        amap.update(dict(zip(new["key"], ids, strict=True)))
        hosts = pd.DataFrame({"host_id": ids, "name": new["name"].to_numpy(),
                              "ra": new["ra"].to_numpy(), "dec": new["dec"].to_numpy(),
                              "origin": origin, "added_at": now})
        aliases = pd.DataFrame({"alias_key": new["key"].to_numpy(),
                                "alias": new["name"].to_numpy(), "host_id": ids})
        dist = rows[rows["distance_mpc"].notna()].copy()
        dist["host_id"] = dist["key"].map(amap)
        ident = list(zip(dist["host_id"], dist["distance_mpc"],
                         dist["distance_err_mpc"].fillna(-1.0), dist["method"].fillna(""),
                         dist["reference"].fillna(""), strict=True))
        dist = dist[[t not in seen for t in ident]]
        dids = [r[0] for r in con.execute(RESERVE_DISTANCE_IDS, {"n": len(dist)}).fetchall()]
        distances = pd.DataFrame({
            "distance_id": dids, "host_id": dist["host_id"].to_numpy(),
            "distance_mpc": dist["distance_mpc"].to_numpy(),
            "distance_err_mpc": dist["distance_err_mpc"].to_numpy(),
            "method": dist["method"].to_numpy(), "reference": dist["reference"].to_numpy(),
            "origin": origin, "added_at": now})
        adopt = distances[~distances["host_id"].isin(adopted)].drop_duplicates("host_id")
        adoptions = pd.DataFrame({"host_id": adopt["host_id"].to_numpy(),
                                  "distance_id": adopt["distance_id"].to_numpy(),
                                  "adopted_at": now, "note": f"first distance ({origin})"})
        _insert(con, {"hosts": hosts, "aliases": aliases, "distances": distances,
                      "adoptions": adoptions})
    return {"hosts": len(hosts), "distances": len(distances), "adopted": len(adoptions)}
