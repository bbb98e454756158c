"""Derived views over X-ray catalogs: ``<csc>_position_errors`` (Kim et al. 2007) and the
canonical ``xray_sources`` (one staging view per catalog, unioned).

The SQL lives in ``queries/views/``; the per-catalog column mapping in the ``[xray]``
section of ``ingest/<kind>.toml``. Views are rebuilt whenever a catalog is installed,
so they follow the store's contents and the adopted astrometric frames.
"""

from __future__ import annotations

import tomllib
from typing import Any

from xcat import paths, science_views
from xcat.definitions import CatalogDefinition, load_definition
from xcat.errors import XcatError
from xcat.sqlexpr import pick
from xcat.store import quote_ident, quote_literal

FIELDS = ("pos_err_1sigma", "pos_err_r68", "pos_err_r95", "pos_err_rule", "ellipse_a",
          "ellipse_b", "ellipse_pa", "ellipse_conf", "band", "emin_kev", "emax_kev", "flux",
          "flux_lo", "flux_hi", "flux_conf", "flux_upper_limit", "count_rate",
          "count_rate_lo", "count_rate_hi", "hr1", "hr1_lo", "hr1_hi", "hr1_bands", "hr2",
          "hr2_lo", "hr2_hi", "hr2_bands", "hr3", "hr3_lo", "hr3_hi", "hr3_bands",
          "detection", "detection_kind", "likelihood_class", "extent_likelihood", "var_prob")
STRING_FIELDS = {"band"}
THETA = ("theta", "theta_mean")
COUNTS = ("src_cnts_aper_b", "src_cnts_aper90_b")


def staging_view(catalog: str) -> str:
    """Name of a catalog's staging view in ``xray_sources``."""
    return f"stg_xray__{catalog}"


def position_errors_view(catalog: str) -> str:
    """Name of a CSC catalog's Kim et al. positional-error view."""
    return f"{catalog}_position_errors"


def _definition(kind: str) -> CatalogDefinition | None:
    try:
        return load_definition(kind)
    except XcatError:
        return None


def _columns(con: Any, view: str) -> set[str]:
    rows = con.execute(paths.read_sql("store/view_columns_of.sql"), {"view": view}).fetchall()
    return {r[0].lower() for r in rows}


def refresh(con: Any, store: Any) -> list[str]:
    """Rebuild every derived X-ray view; return the names of the views created."""
    made: list[str] = []
    cats = con.execute(paths.read_sql("store/catalog_kinds.sql")).fetchall()
    by_name = {name: (kind, ra, dec, key, parent) for name, kind, ra, dec, key, parent in cats}
    parts = []
    for name, (kind, ra, dec, key, _parent) in sorted(by_name.items()):
        d = _definition(kind)
        if d is None or not d.xray:
            continue
        have = _columns(con, name)
        pe_join = ""
        det = f"{name}_detections"
        pe = None
        if d.detections and det in by_name and key:
            pe = _position_errors(con, name, det, key[0])
        if pe is None and position_errors_view(name) not in by_name:
            con.execute(paths.read_sql("store/drop_view.sql").format(
                name=quote_ident(position_errors_view(name))))
        if pe:
            made.append(pe)
            have |= {"kim_r68", "kim_r95", "kim_rule"}
            pe_join = paths.read_sql("views/position_errors_join.sql").format(
                view=quote_ident(pe), key=quote_ident(key[0]))
        have.add("sigma_ast")
        parts.append(_staging(con, name, kind, d, have, ra, dec, key, pe_join))
        made.append(parts[-1])
    member = "\n".join(line for line in paths.read_sql("views/xray_sources_member.sql")
                       .splitlines() if not line.startswith("--"))
    union = "\nUNION ALL BY NAME\n".join(member.format(view=quote_ident(v)) for v in parts)
    if not union:
        union = paths.read_sql("views/xray_sources_empty.sql")
    con.execute(paths.read_sql("views/xray_sources.sql").format(union=union))
    _document(con)
    made.append("xray_sources")
    made += science_views.refresh(con)
    return made


def _staging(con: Any, name: str, kind: str, d: CatalogDefinition, have: set[str], ra: str,
             dec: str, key: list[str] | None, pe_join: str) -> str:
    x = d.xray
    fill = {f: (pick(x.get(f), have) or "NULL") for f in FIELDS}
    for f in STRING_FIELDS:
        if f in x and isinstance(x[f], str):
            fill[f] = quote_literal(x[f])
    flags = [f for f in x.get("flags", []) if f.lower() in have]
    fill["quality_flags"] = (
        "list_filter([" + ", ".join(
            f"CASE WHEN TRY_CAST(c.{quote_ident(f)} AS BOOLEAN) THEN {quote_literal(f)} END"
            for f in flags) + "], lambda x: x IS NOT NULL)") if flags else "[]::VARCHAR[]"
    view = staging_view(name)
    key_expr = f"c.{quote_ident(key[0])}" if key else "CAST(_healpix_29 AS VARCHAR)"
    name_expr = pick(x.get("name"), have) or key_expr
    sql = paths.read_sql("views/stg_xray_catalog.sql").format(
        view=quote_ident(view), catalog=quote_ident(name), catalog_lit=quote_literal(name),
        kind_lit=quote_literal(kind), key=key_expr, name=name_expr,
        ra=f"c.{quote_ident(ra)}", dec=f"c.{quote_ident(dec)}",
        position_errors_join=pe_join, **fill)
    con.execute(sql)
    return view


def _position_errors(con: Any, catalog: str, detections: str, key: str) -> str | None:
    det_cols = _columns(con, detections)
    theta = next((c for c in THETA if c in det_cols), None)
    counts = next((c for c in COUNTS if c in det_cols), None)
    if not theta or not counts or "err_ellipse_r0" not in _columns(con, catalog):
        return None
    view = position_errors_view(catalog)
    con.execute(paths.read_sql("views/csc_position_errors.sql").format(
        view=quote_ident(view), catalog=quote_ident(catalog),
        detections=quote_ident(detections), key=quote_ident(key),
        catalog_lit=quote_literal(catalog), theta=quote_ident(theta),
        counts=quote_ident(counts)))
    return view


def _document(con: Any) -> None:
    docs = tomllib.loads((paths.queries_dir() / "views" / "xray_sources.toml").read_text())
    con.execute(paths.read_sql("store/delete_view_columns.sql"), {"view": "xray_sources"})
    for i, (name, (unit, desc)) in enumerate(docs.items()):
        con.execute(paths.read_sql("store/insert_view_column.sql"),
                    {"view": "xray_sources", "position": i, "name": name,
                     "unit": unit or None, "description": desc})
