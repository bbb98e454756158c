"""Live counterpart ingests: ``xcat ingest gaia --cone`` (ESA Gaia TAP,
gaiadr3.gaia_source) and ``xcat ingest vizier CATALOG --cone`` (CDS TAPVizieR), through
the service layer of :mod:`xcat.remote_ingest` (same checks, retries, provenance and
offline tests as the X-ray services). Without a cone they load a FILE.
"""

from __future__ import annotations

import re
from pathlib import Path

from xcat.errors import XcatError
from xcat.jobs.counterparts import ingest_counterpart
from xcat.jobs.tap import RemoteQuery, SourceOptions, ingest_remote, target_cone
from xcat.remote import adql
from xcat.remote.services import get_service

VIZIER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_+.-]{0,99}$")
COLUMN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def gaia_cone(cone: adql.Cone) -> str:
    """ADQL for Gaia DR3 sources in ``cone``.

    Examples
    --------
    >>> print(gaia_cone(adql.Cone(210.8, 54.35, 0.05)))
    SELECT * FROM gaiadr3.gaia_source
    WHERE 1 = CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', 210.8, 54.35, 0.05))

    """
    return adql.read_template("gaia_cone").format(
        ra=adql.num(cone.ra), dec=adql.num(cone.dec), radius_deg=adql.num(cone.radius_deg))


def vizier_cone(table: str, cone: adql.Cone, *, ra_col: str = "RAJ2000",
                dec_col: str = "DEJ2000") -> str:
    """ADQL for the rows of VizieR table ``table`` in ``cone``.

    Examples
    --------
    >>> print(vizier_cone("II/246/out", adql.Cone(0.0, -90.0, 0.1)))
    SELECT * FROM "II/246/out"
    WHERE 1 = CONTAINS(POINT('ICRS', RAJ2000, DEJ2000), CIRCLE('ICRS', 0.0, -90.0, 0.1))

    """
    if not VIZIER_ID.match(table or ""):
        raise XcatError(f"VizieR table '{table}' is not a VizieR id like I/355/gaiadr3")
    for c in (ra_col, dec_col):
        if not COLUMN.match(c):
            raise XcatError(f"column '{c}' is not an ADQL identifier")
    return adql.read_template("vizier_cone").format(
        table=table, ra_col=ra_col, dec_col=dec_col, ra=adql.num(cone.ra),
        dec=adql.num(cone.dec), radius_deg=adql.num(cone.radius_deg))


def run_counterpart(store_path: str | Path | None, kind: str, *, file: Path | None = None,
                    cone: str | None = None, radius: str | None = None,
                    adql_text: str | None = None, adql: str | None = None,
                    dry_run: bool = False, catalog: str | None = None,
                    name: str | None = None, replace: bool = False,
                    **file_options) -> list[str]:
    """``xcat ingest gaia|vizier``: a FILE, or a cone/ADQL query to the service.

    Examples
    --------
    >>> run_counterpart(None, "gaia", cone="210.8 54.35", radius="3arcmin",
    ...                 dry_run=True)[1]
    'catalog: gaia (kind gaia)'

    """
    text = adql if adql is not None else adql_text
    opts = SourceOptions(file=file, cone=cone, radius=radius, adql=text)
    opts.check()
    if not opts.remote:
        if dry_run or catalog:
            raise XcatError(f"{'--dry-run' if dry_run else 'CATALOG'} goes with a service "
                            "query (--cone/--adql), not with FILE")

        return ingest_counterpart(store_path, file, kind=kind, name=name, replace=replace,
                                  **file_options)
    extra = [k for k, v in file_options.items() if v and k not in ("ra", "dec")]
    if extra:
        raise XcatError(f"--{extra[0].replace('_', '-')} applies to FILE ingests only")
    query = _query(kind, opts, catalog=catalog, name=name, ra_col=file_options.get("ra"),
                   dec_col=file_options.get("dec"))
    if dry_run:
        return query.describe()
    return ingest_remote(store_path, query, replace=replace, progress=True)


def _query(kind: str, opts: SourceOptions, *, catalog: str | None, name: str | None,
           ra_col: str | None, dec_col: str | None) -> RemoteQuery:
    if kind == "gaia":
        if catalog:
            raise XcatError("xcat ingest gaia takes no CATALOG")
        text = opts.adql.strip() if opts.adql else gaia_cone(
            target_cone(opts.cone, None, opts.radius or ""))
        return RemoteQuery(get_service("gaia"), text, "gaia", name or "gaia")
    if kind != "vizier":
        raise XcatError(f"no service ingest for '{kind}'")
    if not catalog and not opts.adql:
        raise XcatError("give the VizieR CATALOG (e.g. I/355/gaiadr3) with --cone")
    text = opts.adql.strip() if opts.adql else vizier_cone(
        catalog, target_cone(opts.cone, None, opts.radius or ""),
        ra_col=ra_col or "RAJ2000", dec_col=dec_col or "DEJ2000")
    default = re.sub(r"[^A-Za-z0-9]+", "_", catalog or "vizier").strip("_").lower()
    return RemoteQuery(get_service("vizier"), text, "vizier",
                       name or (default if default[:1].isalpha() else f"vizier_{default}"))
