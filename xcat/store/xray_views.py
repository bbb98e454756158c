"""Per-catalog derived views over X-ray catalogs, built with SQLAlchemy Core from the
``[xray]`` section of each catalog's job definition (``ingest/<kind>/job.toml``):

- ``stg_xray__<catalog>``: one X-ray catalog on the canonical ``xray_sources`` columns
  (documented in ``queries/views/xray_sources.toml``);
- ``<csc>_position_errors``: Kim et al. (2007) radii of every detection of a CSC
  catalog (the formula is the named query ``queries/views/csc_position_errors.sql``);
- ``xray_sources``: the union of the staging views, with count rates converted to
  fluxes per source for catalogs that give none (2RXS) through the energy-conversion
  factor chosen for their kind (the named query ``queries/views/xray_sources_flux.sql``).

:func:`xcat.store.views.refresh` calls :func:`build` in dependency order.
"""

from __future__ import annotations

from typing import Any

import duckdb

from xcat import resources
from xcat.errors import XcatError
from xcat.store import registry, sqlbuild
from xcat.store.kinds import CatalogDefinition, load_definition, pick

#: The canonical columns of xray_sources after catalog/kind/source_key/name/ra/dec/
#: _healpix_29, with their SQL types.
FIELDS = {
    "pos_err_1sigma": "DOUBLE", "pos_err_r68": "DOUBLE", "pos_err_r95": "DOUBLE",
    "pos_err_rule": "VARCHAR", "ellipse_a": "DOUBLE", "ellipse_b": "DOUBLE",
    "ellipse_pa": "DOUBLE", "ellipse_conf": "DOUBLE", "band": "VARCHAR",
    "emin_kev": "DOUBLE", "emax_kev": "DOUBLE", "flux": "DOUBLE", "flux_lo": "DOUBLE",
    "flux_hi": "DOUBLE", "flux_conf": "DOUBLE", "flux_upper_limit": "BOOLEAN",
    "count_rate": "DOUBLE", "count_rate_lo": "DOUBLE", "count_rate_hi": "DOUBLE",
    "hr1": "DOUBLE", "hr1_lo": "DOUBLE", "hr1_hi": "DOUBLE", "hr1_bands": "VARCHAR",
    "hr2": "DOUBLE", "hr2_lo": "DOUBLE", "hr2_hi": "DOUBLE", "hr2_bands": "VARCHAR",
    "hr3": "DOUBLE", "hr3_lo": "DOUBLE", "hr3_hi": "DOUBLE", "hr3_bands": "VARCHAR",
    "detection": "DOUBLE", "detection_kind": "VARCHAR", "likelihood_class": "VARCHAR",
    "extent_likelihood": "DOUBLE", "var_prob": "DOUBLE",
}
HEAD = {"catalog": "VARCHAR", "kind": "VARCHAR", "source_key": "VARCHAR", "name": "VARCHAR",
        "ra": "DOUBLE", "dec": "DOUBLE", "_healpix_29": "BIGINT"}
STRING_FIELDS = {"band"}
THETA = ("theta", "theta_mean")
COUNTS = ("src_cnts_aper_b", "src_cnts_aper90_b")


def staging_view(catalog: str) -> str:
    """Name of a catalog's staging view in ``xray_sources``."""
    return f"stg_xray__{catalog}"


def hats_view(catalog: str) -> str:
    """Name of a catalog's internal view: every column, ``_healpix_29`` and the hive
    partition columns ``Norder``/``Dir``/``Npix`` too, which the catalog's own view hides.
    """
    return f"stg_hats__{catalog}"


def position_errors_view(catalog: str) -> str:
    """Name of a CSC catalog's Kim et al. positional-error view."""
    return f"{catalog}_position_errors"


def _definition(kind: str) -> CatalogDefinition | None:
    try:
        return load_definition(kind)
    except XcatError:
        return None


def build(con: duckdb.DuckDBPyConnection) -> list[str]:
    """(Re)create the per-catalog X-ray views and ``xray_sources``; return their names."""
    made: list[str] = []
    cats = {r["name"]: r for r in registry.catalog_rows(con)}
    members = []
    for name, row in sorted(cats.items()):
        d = _definition(row["kind"])
        if d is None or not d.xray:
            continue
        have = registry.view_columns(con, name)
        key = row["key_columns"]
        pe = None
        det = f"{name}_detections"
        if d.detections and det in cats and key:
            pe = _position_errors(con, name, det, key[0])
        if pe is None and position_errors_view(name) not in cats:
            con.execute(sqlbuild.drop_view(position_errors_view(name)))
        if pe:
            made.append(pe)
            have |= {"kim_r68", "kim_r95", "kim_rule"}
        have.add("sigma_ast")
        members.append(_staging(con, name, row, d, have, pe))
        made.append(members[-1])
    con.execute(sqlbuild.create_view("xray_sources", _with_flux(_union(members))))
    made.append("xray_sources")
    return made


def _sa() -> Any:
    import sqlalchemy as sa

    return sa


def _frame(catalog: str, label: str) -> Any:
    """The astrometric-frame error in force for ``catalog`` (0 when none), one row."""
    sa = _sa()
    value = sa.func.coalesce(sa.func.arg_max(sa.column("sigma_ast_arcsec"),
                                             sa.column("set_at")), 0.0)
    return (sa.select(value.label(label)).select_from(sa.table("astrometric_frames"))
            .where(sa.column("catalog") == sa.literal(catalog)))


def _cast(expr: Any, sql_type: str) -> Any:
    sa = _sa()
    types = {"DOUBLE": sa.Double(), "VARCHAR": sa.String(), "BOOLEAN": sa.Boolean(),
             "BIGINT": sa.BigInteger()}
    return sa.cast(expr, types[sql_type])


def _staging(con: duckdb.DuckDBPyConnection, name: str, row: dict[str, Any],
             d: CatalogDefinition, have: set[str], pe: str | None) -> str:
    sa = _sa()
    x = d.xray
    c = sa.table(hats_view(name)).alias("c")  # _healpix_29 (the key of keyless catalogs)
    frame = _frame(name, "sigma_ast").cte("__frame")

    def col(n: str) -> Any:
        return sa.column(n, _selectable=c)

    key = row["key_columns"]
    key_expr = col(key[0]) if key else _cast(sa.column("_healpix_29"), "VARCHAR")
    chosen = pick(x.get("name"), have)
    cols = [_cast(sa.literal(name), "VARCHAR").label("catalog"),
            _cast(sa.literal(row["kind"]), "VARCHAR").label("kind"),
            _cast(key_expr, "VARCHAR").label("source_key"),
            _cast(sqlbuild.expression(chosen) if chosen else key_expr, "VARCHAR").label("name"),
            _cast(col(row["ra_column"]), "DOUBLE").label("ra"),
            _cast(col(row["dec_column"]), "DOUBLE").label("dec"),
            sa.column("_healpix_29")]
    for f, sql_type in FIELDS.items():
        if f in STRING_FIELDS and isinstance(x.get(f), str):
            expr = sa.literal(x[f])
        else:
            picked = pick(x.get(f), have)
            expr = sqlbuild.expression(picked) if picked else sa.null()
        if f == "flux_upper_limit":
            expr = sa.func.coalesce(expr, sa.false())
        cols.append(_cast(expr, sql_type).label(f))
    flags = [f for f in x.get("flags", []) if f.lower() in have]
    if flags:
        cases = [sa.case((sa.try_cast(col(f), sa.Boolean()), sa.literal(f))) for f in flags]
        quality = sa.func.list_filter(sa.func.list_value(*cases),
                                      sa.text("lambda x: x IS NOT NULL"))
    else:
        quality = sa.text("[]::VARCHAR[]")
    cols.append(sa.cast(quality, sa.ARRAY(sa.String())).label("quality_flags"))
    source = c
    if pe:
        p = sa.table(pe).alias("pe_all")
        best = (sa.select(sa.column("source_key", _selectable=p).label("kim_key"),
                          sa.column("r68", _selectable=p).label("kim_r68"),
                          sa.column("r95", _selectable=p).label("kim_r95"),
                          sa.column("rule", _selectable=p).label("kim_rule"))
                .where(sa.column("is_best", _selectable=p)).subquery("pe"))
        source = source.outerjoin(best, best.c.kim_key == col(key[0]))
    source = source.join(frame, sa.true())
    view = staging_view(name)
    con.execute(sqlbuild.create_view(view, sa.select(*cols).select_from(source)))
    return view


def _union(members: list[str]) -> Any:
    sa = _sa()
    if members:
        return " UNION ALL BY NAME ".join(
            sqlbuild.render(sqlbuild.select_star(m)) for m in members)
    nulls = [_cast(sa.null(), t).label(n) for n, t in {**HEAD, **FIELDS}.items()]
    nulls.append(sa.cast(sa.null(), sa.ARRAY(sa.String())).label("quality_flags"))
    return sa.select(*nulls).where(sa.false())


def _with_flux(union: Any) -> str:
    """The union of the staging views with count-rate fluxes (xray_sources_flux.sql)."""
    body = union if isinstance(union, str) else sqlbuild.render(union)
    return (f"WITH __union AS ({body}),\n"
            + resources.read_sql("views/xray_sources_flux.sql"))


def _position_errors(con: duckdb.DuckDBPyConnection, catalog: str, detections: str,
                     key: str) -> str | None:
    """``<catalog>_position_errors``: the named Kim et al. query over three CTEs built here."""
    sa = _sa()
    det_cols = registry.view_columns(con, detections)
    theta = next((c for c in THETA if c in det_cols), None)
    counts = next((c for c in COUNTS if c in det_cols), None)
    if not theta or not counts or "err_ellipse_r0" not in registry.view_columns(con, catalog):
        return None
    d = sa.table(detections).alias("d")
    m = sa.table(catalog).alias("m")
    ctes = {
        "__frame": _frame(catalog, "s"),
        "__det": sa.select(sa.column(key, _selectable=d).label("source_key"),
                           sa.column("det_index", _selectable=d),
                           _cast(sa.column(theta, _selectable=d), "DOUBLE").label("theta"),
                           _cast(sa.column(counts, _selectable=d), "DOUBLE").label("counts")),
        "__master": sa.select(sa.column(key, _selectable=m).label("source_key"),
                              sa.column("err_ellipse_r0", _selectable=m)),
    }
    prefix = ",\n".join(f"{n} AS ({sqlbuild.render(s)})" for n, s in ctes.items())
    body = resources.read_sql("views/csc_position_errors.sql")
    view = position_errors_view(catalog)
    con.execute(sqlbuild.create_view(view, f"WITH {prefix},\n{body}"))
    return view
