"""Flux histories and long-term variability: the band-conversion model, a source's
history (view ``flux_history``) and its variability measures (view ``flux_variability``).

The conversion model is an absorbed power law (:mod:`xcat.science.bands`); choosing
one (:func:`set_flux_model`) appends a ``flux_models`` row and computes its factor for
every band the store holds (per-observation bands, catalog bands, the known catalog
bands), so the views convert every flux with the newest model and name it on each row.

The variability measures (max/min ratio with upper limits, the significance of the
change, transient candidates) are SQL in ``queries/views/flux_variability.sql``;
:func:`variability` adds CSC's own ``var_inter_prob_b`` / ``var_intra_prob_b`` of the
linked CSC sources where the catalogs have them.

Examples
--------
>>> set_flux_model(store, PowerLaw(1.7, 1e21), parse_band("0.5-2keV"))   # doctest: +SKIP
'absorbed power law Gamma=1.7, NH=1e+21 cm-2 (MM83), observed flux'
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from xcat.errors import XcatError
from xcat.science.bands import BANDS, Band, PowerLaw, conversion_factor
from xcat.store import registry, sqlbuild
from xcat.store.db import Database, reads, writes
from xcat.store.sql import transaction

BANDS_IN_STORE = """
SELECT DISTINCT emin_kev, emax_kev FROM flux_observations
UNION SELECT DISTINCT emin_kev, emax_kev FROM xray_sources
WHERE emin_kev IS NOT NULL AND emax_kev IS NOT NULL
"""
CSC_VAR_COLUMNS = ("var_inter_prob_b", "var_intra_prob_b")


@writes
def set_flux_model(store: Database, model: PowerLaw, band: Band) -> str:
    """Make ``model`` converting to ``band`` the current conversion model; its label."""
    con = store.con
    wanted = {(round(b.e_min_kev, 6), round(b.e_max_kev, 6)) for b in (*BANDS.values(), band)}
    wanted |= {(round(lo, 6), round(hi, 6)) for lo, hi in con.execute(BANDS_IN_STORE).fetchall()}
    factors = []
    for lo, hi in sorted(wanted):
        try:
            factors.append((lo, hi, conversion_factor(Band("x", lo, hi), band, model)))
        except XcatError:  # a band outside the cross-sections: its fluxes stay unconverted
            continue
    with transaction(con):
        model_id = con.execute(
            "INSERT INTO flux_models (gamma, nh_cm2, cross_sections, target_unabsorbed, "
            "band, emin_kev, emax_kev, label, added_at) VALUES ($g, $nh, $xs, $u, $band, "
            "$lo, $hi, $label, $t) RETURNING model_id",
            {"g": model.gamma, "nh": model.nh_cm2, "xs": model.cross_sections,
             "u": model.target_unabsorbed, "band": band.name, "lo": band.e_min_kev,
             "hi": band.e_max_kev, "label": model.label(),
             "t": dt.datetime.now(dt.UTC).replace(tzinfo=None)}).fetchone()[0]
        con.executemany("INSERT INTO flux_conversions VALUES (?, ?, ?, ?)",
                        [(model_id, lo, hi, f) for lo, hi, f in factors])
    return model.label()


@reads
def flux_models(store: Database) -> pd.DataFrame:
    """Every conversion model, newest (the current one) first."""
    return store.sql("SELECT m.model_id, m.label, m.band AS common_band, m.gamma, m.nh_cm2, "
                     "m.cross_sections, m.target_unabsorbed, count(f.factor) AS n_bands, "
                     "m.added_at FROM flux_models AS m LEFT JOIN flux_conversions AS f "
                     "USING (model_id) GROUP BY ALL ORDER BY m.model_id DESC")


@reads
def history(store: Database, source: str, catalog: str | None = None) -> pd.DataFrame:
    """The flux history of ``source`` (its key in ``catalog``), oldest first.

    A key held by sources of several catalogs needs ``catalog``.
    """
    ids = store.sql("SELECT DISTINCT id_catalog FROM flux_history WHERE id_key = $k "
                    "AND ($c IS NULL OR id_catalog = $c)", {"k": source, "c": catalog})
    if ids.empty:
        where = f" in catalog '{catalog}'" if catalog else ""
        raise XcatError(f"no flux history for source '{source}'{where} (keys are the "
                        "catalog's source keys, e.g. a CSC name '2CXO J110507.4-585105')")
    if len(ids) > 1:
        raise XcatError(f"source '{source}' is in catalogs {', '.join(ids['id_catalog'])}: "
                        "give --catalog")
    return store.sql("SELECT * FROM flux_history WHERE id_key = $k AND id_catalog = $c "
                     "ORDER BY mjd NULLS LAST, mission, band, via_run NULLS FIRST",
                     {"k": source, "c": ids["id_catalog"][0]})


@reads
def variability(store: Database, source: str | None = None,
                catalog: str | None = None) -> pd.DataFrame:
    """Variability measures per source identity (``flux_variability``), with CSC's
    ``var_inter_prob_b`` / ``var_intra_prob_b`` of the identity's CSC sources.
    """
    rows = store.sql("SELECT * FROM flux_variability WHERE ($k IS NULL OR id_key = $k) "
                     "AND ($c IS NULL OR id_catalog = $c) ORDER BY ratio DESC NULLS LAST, "
                     "id_catalog, id_key", {"k": source, "c": catalog})
    if source is not None and rows.empty:
        raise XcatError(f"no flux history for source '{source}'")
    csc = _csc_variability(store)
    if csc is None:
        for c in CSC_VAR_COLUMNS:
            rows[c] = pd.Series(dtype=float)
        return rows
    return rows.merge(csc, on=["id_catalog", "id_key"], how="left")


def _csc_variability(store: Database) -> pd.DataFrame | None:
    """Per identity, the largest CSC inter/intra probabilities of its linked CSC sources."""
    cats = [(r["name"], r["key_columns"][0]) for r in registry.catalog_rows(store.con)
            if r["kind"] == "csc" and not r.get("parent") and r["key_columns"]
            and set(CSC_VAR_COLUMNS) <= registry.view_columns(store.con, r["name"])]
    if not cats:
        return None
    cols = ", ".join(sqlbuild.quote(c) for c in CSC_VAR_COLUMNS)
    union = " UNION ALL ".join(
        f"SELECT $c{i} AS catalog, CAST({sqlbuild.quote(key)} AS VARCHAR) AS source_key, "
        f"{cols} FROM {sqlbuild.quote(name)}" for i, (name, key) in enumerate(cats))
    params: dict[str, Any] = {f"c{i}": name for i, (name, _) in enumerate(cats)}
    return store.sql(
        f"WITH v AS ({union}) SELECT l.id_catalog, l.id_key, "
        "max(v.var_inter_prob_b) AS var_inter_prob_b, "
        "max(v.var_intra_prob_b) AS var_intra_prob_b "
        "FROM (SELECT DISTINCT id_catalog, id_key, catalog, source_key FROM flux_history) "
        "AS l JOIN v USING (catalog, source_key) GROUP BY ALL", params)
