"""Host galaxies and their distances: added by hand or loaded from distance catalogs
(50MGC, LEGUS/Calzetti+15). Several distances per host are kept; the adopted one feeds
the ``luminosities`` view, so adopting another changes every derived luminosity.

Names resolve through ``host_aliases`` upper-cased without spaces: ``M 101``, ``m101``
and ``M101`` are one key, so ``NGC5457`` from a catalog and ``NGC 5457`` typed by hand
meet.

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
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from astropy import units as u

from xcat import resources
from xcat.errors import XcatError
from xcat.science.distances import insert_hosts as _insert
from xcat.science.distances import load_distance_table, transaction
from xcat.sky.units import parse_quantity


def alias_key(name: str) -> str:
    """Lookup key of a host name: upper case, spaces and underscores removed.

    Examples
    --------
    >>> alias_key("M 101"), alias_key("ngc_5457")
    ('M101', 'NGC5457')
    """
    return re.sub(r"[\s_]+", "", name).upper()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _value(q: str | float | None, physical: str, unit: u.UnitBase, what: str) -> float | None:
    if q is None:
        return None
    try:
        v = float(q)  # a bare number is in the default unit
    except ValueError:
        try:
            v = parse_quantity(str(q), physical).to_value(unit)
        except XcatError as exc:
            raise XcatError(f"{what}: {exc}") from exc
    if not np.isfinite(v) or v < 0:
        raise XcatError(f"{what} {q} must be a finite value >= 0")
    return v


def _angle_deg(q: str | float) -> float:
    try:
        return float(q)
    except ValueError:
        return float(parse_quantity(str(q)).to_value(u.deg))


def resolve_host(store: Any, name: str) -> int | None:
    """Host id of ``name`` (any alias), or ``None`` when it is unknown."""
    amap = dict(store.con.execute(resources.read_sql("science/host_alias_map.sql")).fetchall())
    return amap.get(alias_key(name))


def host_id(store: Any, name: str) -> int:
    """Host id of ``name``; ``XcatError`` when there is no such host."""
    hid = resolve_host(store, name)
    if hid is None:
        raise XcatError(f"no host '{name}' (add it with 'xcat host add {name} ...')")
    return hid


def add_host(store: Any, name: str, *, aliases: list[str] | tuple[str, ...] = (),
             ra: float | None = None, dec: float | None = None,
             distance: str | float | None = None, distance_err: str | float | None = None,
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
        ``"6.4Mpc"``, ``"640kpc"`` or a number in Mpc.
    method, reference : str, optional
        Distance method (Cepheid, TRGB, ...) and reference (bibcode).
    ellipse : (a, b, pa), optional
        Semi-axes (angles, numbers in arcmin) and position angle (number in deg).
    radius : str or float, optional
        Membership radius when there is no ellipse (number in arcmin).
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
        geo["ellipse_pa_deg"] = _angle_deg(pa) % 180.0
        if not (geo["ellipse_a_arcmin"] and geo["ellipse_b_arcmin"]):
            raise XcatError(f"host {name}: ellipse semi-axes must be > 0")
        if geo["ellipse_b_arcmin"] > geo["ellipse_a_arcmin"]:
            raise XcatError(f"host {name}: ellipse semi-minor axis exceeds the semi-major")
    geo["radius_arcmin"] = _value(radius, "angle", u.arcmin, f"host {name}: radius")
    amap = dict(store.con.execute(resources.read_sql("science/host_alias_map.sql")).fetchall())
    names = [name, *aliases]
    found = {amap[alias_key(n)] for n in names if alias_key(n) in amap}
    if len(found) > 1:
        raise XcatError(f"host {name}: the names {', '.join(names)} belong to different "
                        f"hosts ({sorted(found)})")
    now = _now()
    hid = found.pop() if found else None
    created = hid is None
    rename = None
    with transaction(store.con):
        if created:
            hid = store.con.execute(resources.read_sql("science/reserve_host_ids.sql"),
                                    {"n": 1}).fetchone()[0]
            stage = {"hosts": pd.DataFrame([{"host_id": hid, "name": name, "ra": ra,
                                             "dec": dec, **geo, "origin": "manual",
                                             "added_at": now}])}
        else:
            row = store.con.execute(resources.read_sql("science/host_by_id.sql"),
                                    {"host_id": hid}).fetchone()
            if alias_key(row[1]) != alias_key(name) and row[2] != "manual":
                rename = name
            store.con.execute(resources.read_sql("science/update_host.sql"),
                              {"host_id": hid, "name": rename, "ra": ra, "dec": dec, **geo})
            stage = {}
        new_alias = {}
        for n in names:
            if alias_key(n) not in amap:
                new_alias.setdefault(alias_key(n), {"alias_key": alias_key(n), "alias": n,
                                                    "host_id": hid})
        stage["aliases"] = pd.DataFrame(list(new_alias.values()))
        did = None
        if d is not None:
            did = store.con.execute(resources.read_sql("science/reserve_distance_ids.sql"),
                                    {"n": 1}).fetchone()[0]
            stage["distances"] = pd.DataFrame([{
                "distance_id": did, "host_id": hid, "distance_mpc": d, "distance_err_mpc": err,
                "method": method, "reference": reference, "origin": "manual", "added_at": now}])
            adopted = {r[0] for r in store.con.execute(
                resources.read_sql("science/adopted_hosts.sql")).fetchall()}
            if adopt or hid not in adopted:
                stage["adoptions"] = pd.DataFrame([{"host_id": hid, "distance_id": did,
                                                    "adopted_at": now, "note": "manual"}])
        _insert(store.con, stage)
    return {"host_id": hid, "host": rename or name, "distance_id": did, "created": created}


def adopt_distance(store: Any, host: str, distance_id: int, note: str | None = None) -> None:
    """Adopt one of a host's recorded distances; every luminosity follows.

    Examples
    --------
    >>> adopt_distance(store, "M101", 3)                               # doctest: +SKIP
    """
    hid = host_id(store, host)
    row = store.con.execute(resources.read_sql("science/distance_by_id.sql"),
                            {"distance_id": int(distance_id)}).fetchone()
    if row is None or row[1] != hid:
        raise XcatError(f"host {host} has no distance with id {distance_id} "
                        f"(see 'xcat host show {host}')")
    store.con.execute(resources.read_sql("science/insert_adoption.sql"),
                      {"host_id": hid, "distance_id": int(distance_id), "adopted_at": _now(),
                       "note": note})


def list_hosts(store: Any, name: str | None = None) -> pd.DataFrame:
    """Hosts with their adopted distance (one host, or all with a distance or boundary)."""
    hid = host_id(store, name) if name else None
    return store.con.execute(resources.read_sql("science/list_hosts.sql"), {"host_id": hid}).df()


def host_distances(store: Any, name: str) -> pd.DataFrame:
    """Every distance recorded for a host, the adopted one marked."""
    return store.con.execute(resources.read_sql("science/distances_of_host.sql"),
                             {"host_id": host_id(store, name)}).df()


def load_hosts(store: Any, file: str | Path, *, preset: str | None = None,
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
    if only:
        keys = {alias_key(n) for n in only}
        rows = rows[rows["name"].map(alias_key).isin(keys)]
    con = store.con
    amap = dict(con.execute(resources.read_sql("science/host_alias_map.sql")).fetchall())
    adopted = {r[0] for r in con.execute(
        resources.read_sql("science/adopted_hosts.sql")).fetchall()}
    seen = {tuple(r) for r in con.execute(
        resources.read_sql("science/distance_keys.sql")).fetchall()}
    now = _now()
    rows = rows.assign(key=rows["name"].map(alias_key)).drop_duplicates("key")
    new = rows[~rows["key"].isin(amap)]
    with transaction(con):
        ids = [r[0] for r in con.execute(resources.read_sql("science/reserve_host_ids.sql"),
                                         {"n": len(new)}).fetchall()]
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
        dids = [r[0] for r in con.execute(resources.read_sql("science/reserve_distance_ids.sql"),
                                          {"n": len(dist)}).fetchall()]
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
