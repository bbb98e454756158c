"""Per-observation fluxes into ``flux_observations``: from CSC TAP
(``xcat ingest csc --cone ... --with-observations``) or from a file with the same columns
(``xcat ingest observations FILE --catalog csc``).

Input columns (the CSC per-observation names; a CSCview or cone-search export that
repeats master columns has pandas' ``.1`` twins for the per-observation block, and the
twin wins): ``name`` (the source key), ``obsid``, ``obi``, ``region_id``, ``gti_obs``,
``gti_end``, ``livetime`` (s), ``instrument`` and per band X of b, s, m, h, u, w
``flux_aper90_X`` (or ``flux_aper_X``) with ``_lolim_X``/``_hilim_X`` and ``var_prob_X``.
A CSC flux with value = lolim = 0 is an upper limit whose limit is hilim.

The TAP query is ``ingest/csc/observations.adql``: the cone of the master sources (the
same box and ``dbo.cone_distance`` as the master query) joined to their observations as
in the CXC FAQ's master-to-detection join. Its rows are recorded after the master
catalog is installed (:class:`ObservationsInstall`), in one transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from xcat.errors import XcatError
from xcat.jobs.runner import CatalogInstall
from xcat.remote import adql
from xcat.store import registry
from xcat.store.db import Database, writes
from xcat.store.sql import transaction

#: CSC bands: letter -> (e_min, e_max) keV (DOMAIN.md; w, the HRC band, is VERIFY).
CSC_BANDS = {"b": (0.5, 7.0), "s": (0.5, 1.2), "m": (1.2, 2.0), "h": (2.0, 7.0),
             "u": (0.2, 0.5), "w": (0.1, 10.0)}
FLUX_PREFIXES = ("flux_aper90_", "flux_aper_")
COLUMNS = ("catalog", "source_key", "obs_kind", "obs_id", "region_id", "t_start", "t_stop",
           "mjd", "exposure_s", "band", "emin_kev", "emax_kev", "flux", "flux_lo", "flux_hi",
           "flux_upper_limit", "flux_column", "instrument", "mission", "var_prob", "origin",
           "origin_detail", "sha256", "added_at")
MJD_UNIX_EPOCH = 40587.0


def observations_adql(cone: adql.Cone, *, schema: str) -> str:
    """ADQL for the per-observation fluxes of the CSC master sources in ``cone``.

    Examples
    --------
    >>> print(observations_adql(adql.Cone(166.0, -58.8, 0.05), schema="csc21"))
    ... # doctest: +ELLIPSIS
    SELECT m.name, o.obsid, o.obi, o.region_id, o.gti_obs, o.gti_end, o.livetime, ...
    FROM csc21.master_source m, csc21.master_stack_assoc a, csc21.stack_source s,
    ...
    ORDER BY m.name, o.obsid, o.obi

    """
    if not schema.replace("_", "").isalnum() or not schema[:1].isalpha():
        raise XcatError(f"services config: CSC schema '{schema}' is not an identifier")
    return adql.read_template("csc", "observations").format(
        schema=schema, box=adql.csc_box(cone), ra=adql.num(cone.ra), dec=adql.num(cone.dec),
        radius_arcmin=adql.num(cone.radius_arcmin))


def _column(df: pd.DataFrame, name: str) -> pd.Series | None:
    """The per-observation column ``name``: its ``.1`` twin when the export repeats it."""
    for c in (f"{name}.1", name):
        if c in df.columns:
            return df[c]
    return None


def _numbers(s: pd.Series | None, n: int) -> np.ndarray:
    if s is None:
        return np.full(n, np.nan)
    return pd.to_numeric(s.astype(str).str.strip().replace({"": None, "--": None}),
                         errors="coerce").to_numpy(dtype=float)


def _times(s: pd.Series | None, n: int) -> pd.Series:
    if s is None:
        return pd.Series([pd.NaT] * n, dtype="datetime64[ns]")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = pd.to_datetime(s.astype(str).str.strip(), errors="coerce", utc=True)
    return t.dt.tz_localize(None).reset_index(drop=True)


def observation_rows(df: pd.DataFrame, *, catalog: str, origin: str, detail: str,
                     sha256: str, mission: str = "Chandra") -> tuple[pd.DataFrame, list[str]]:
    """Rows of ``flux_observations`` (one per source x observation x band) and notes.

    Examples
    --------
    >>> df = pd.DataFrame({"name": [" 2CXO J1"], "obsid": [8941], "obi": [1],
    ...     "gti_obs": ["2008-10-23T21:44:43"], "gti_end": ["2008-10-25T10:22:21"],
    ...     "flux_aper90_b": [0.0], "flux_aper90_lolim_b": [0.0],
    ...     "flux_aper90_hilim_b": [4.8e-15]})
    >>> rows, _ = observation_rows(df, catalog="csc", origin="f.csv", detail="", sha256="")
    >>> rows[["source_key", "obs_id", "band", "flux_hi", "flux_upper_limit"]].values.tolist()
    [['2CXO J1', '8941.1', '0.5-7.0 keV (b)', 4.8e-15, True]]

    """
    n = len(df)
    keys = _column(df, "name")
    obsid = _column(df, "obsid")
    if keys is None or obsid is None:
        raise XcatError("per-observation fluxes need the columns 'name' (the source key) "
                        "and 'obsid' (CSC per-observation names)")
    keys = keys.astype(str).str.strip().reset_index(drop=True)
    obsid_v = _numbers(obsid, n)
    obi_v = _numbers(_column(df, "obi"), n)
    if np.isnan(obsid_v).any():
        raise XcatError(f"{int(np.isnan(obsid_v).sum())} row(s) have no numeric obsid")
    obs_id = [f"{int(o)}.{int(b)}" if np.isfinite(b) else f"{int(o)}"
              for o, b in zip(obsid_v, obi_v, strict=True)]
    t0, t1 = _times(_column(df, "gti_obs"), n), _times(_column(df, "gti_end"), n)
    mid = t0 + (t1 - t0) / 2
    mjd = ((mid - pd.Timestamp("1970-01-01")).dt.total_seconds() / 86400.0
           + MJD_UNIX_EPOCH).where(mid.notna())
    base = pd.DataFrame({
        "catalog": catalog, "source_key": keys, "obs_kind": "observation", "obs_id": obs_id,
        "region_id": pd.array(_numbers(_column(df, "region_id"), n)).astype("Int64")
        if _column(df, "region_id") is not None else pd.array([None] * n, dtype="Int64"),
        "t_start": t0, "t_stop": t1, "mjd": mjd.to_numpy(dtype=float),
        "exposure_s": _numbers(_column(df, "livetime"), n),
        "instrument": (_column(df, "instrument").astype(str).str.strip().reset_index(drop=True)
                       if _column(df, "instrument") is not None else None),
        "mission": mission})
    parts, used = [], []
    for letter, (lo, hi) in CSC_BANDS.items():
        prefix = next((p for p in FLUX_PREFIXES if _column(df, f"{p}{letter}") is not None),
                      None)
        if prefix is None:
            continue
        value = _numbers(_column(df, f"{prefix}{letter}"), n)
        lolim = _numbers(_column(df, f"{prefix}lolim_{letter}"), n)
        hilim = _numbers(_column(df, f"{prefix}hilim_{letter}"), n)
        keep = ~(np.isnan(value) & np.isnan(hilim))
        if not keep.any():
            continue
        bad = keep & ((value < 0) | (hilim < 0) | (lolim < 0))
        if bad.any():
            raise XcatError(f"{prefix}{letter}: {int(bad.sum())} negative flux value(s) "
                            f"(first for source '{keys[np.argmax(bad)]}')")
        upper = (np.nan_to_num(value) == 0) & (np.nan_to_num(lolim) == 0) & (hilim > 0)
        part = base.copy()
        part["band"] = f"{lo}-{hi} keV ({letter})"
        part["emin_kev"], part["emax_kev"] = lo, hi
        part["flux"], part["flux_lo"], part["flux_hi"] = value, lolim, hilim
        part["flux_upper_limit"] = upper
        part["flux_column"] = f"{prefix}{letter}"
        part["var_prob"] = _numbers(_column(df, f"var_prob_{letter}"), n)
        parts.append(part[keep])
        used.append(f"{prefix}{letter}")
    if not parts:
        raise XcatError("no per-observation flux columns (flux_aper90_b, flux_aper_b, ... "
                        "with _lolim_/_hilim_) in the input")
    rows = pd.concat(parts, ignore_index=True)
    before = len(rows)
    rows = rows.drop_duplicates(["source_key", "obs_kind", "obs_id", "band"])
    notes = [f"fluxes from {', '.join(used)}"]
    if len(rows) < before:
        notes.append(f"{before - len(rows)} repeated source x observation x band row(s) "
                     "kept once")
    rows["origin"], rows["origin_detail"], rows["sha256"] = origin, detail, sha256
    rows["added_at"] = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return rows[list(COLUMNS)].reset_index(drop=True), notes


def read_observation_file(path: Path) -> tuple[pd.DataFrame, str]:
    """A per-observation table (CSV, VOTable, FITS, ECSV, Parquet) and its SHA-256."""
    if not path.exists():
        raise XcatError(f"{path}: no such file")
    if path.is_dir():
        raise XcatError(f"{path}: is a directory, not a table")
    data = path.read_bytes()
    if not data.strip():
        raise XcatError(f"{path}: the file is empty")
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".txt", ".tsv"):
            df = pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",", dtype=str,
                             keep_default_na=False)
        elif suffix == ".parquet":
            df = pd.read_parquet(path)
        else:
            from astropy.table import Table

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                df = Table.read(path).to_pandas()
    except Exception as exc:  # readers raise many types for unreadable files
        raise XcatError(f"{path}: cannot read a table ({type(exc).__name__}: "
                        f"{str(exc).splitlines()[0] if str(exc) else ''})") from exc
    return df, hashlib.sha256(data).hexdigest()


@writes
def record_observations(store: Database, rows: pd.DataFrame) -> int:
    """Add ``rows``; a stored flux of the same source, observation and band is replaced
    (so a file of new observations adds to the history, and re-reading a file updates it).
    """
    con = store.con
    with transaction(con):
        con.register("xcat_incoming_obs", rows)
        try:
            con.execute("DELETE FROM flux_observations AS f WHERE EXISTS (SELECT 1 FROM "
                        "xcat_incoming_obs AS i WHERE i.catalog = f.catalog AND "
                        "i.source_key = f.source_key AND i.obs_kind = f.obs_kind AND "
                        "i.obs_id = f.obs_id AND i.band = f.band)")
            con.execute(f"INSERT INTO flux_observations ({', '.join(COLUMNS)}) "
                        f"SELECT {', '.join(COLUMNS)} FROM xcat_incoming_obs")
        finally:
            con.unregister("xcat_incoming_obs")
    return len(rows)


def ingest_observation_file(store: Database, path: Path, catalog: str) -> list[str]:
    """Read ``path`` and record its per-observation fluxes for sources of ``catalog``."""
    df, sha = read_observation_file(path)
    rows, notes = observation_rows(df, catalog=catalog, origin=str(path.resolve()),
                                   detail=f'{{"catalog": "{catalog}"}}', sha256=sha)
    n = record_observations(store, rows)
    with store.reading() as con:
        if registry.get_catalog(con, catalog) is None:
            notes.append(f"no catalog '{catalog}' in the store yet: the fluxes join the "
                         "catalog's sources (xray_sources, cross-match runs) once it is loaded")
    return _lines(rows, n, path.name, notes)


def _lines(rows: pd.DataFrame, n: int, source: str, notes: list[str]) -> list[str]:
    return [f"flux_observations: {n} fluxes of {rows['source_key'].nunique()} sources in "
            f"{rows['obs_id'].nunique()} observations from {source}",
            *(f"  note: {x}" for x in notes)]


@dataclass
class ObservationsInstall(CatalogInstall):
    """The master catalog (as a TAP cone installs it), then its per-observation fluxes."""

    observations: Any = None  # pd.DataFrame of flux_observations rows
    notes: list[str] | None = None
    service_url: str = ""

    def finish(self, store: Database) -> list[str]:
        """Record the per-observation fluxes once the catalog is in."""
        n = record_observations(store, self.observations)
        return _lines(self.observations, n, self.service_url, self.notes or [])
