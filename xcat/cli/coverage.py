"""Sky-coverage commands: ``xcat coverage`` (Ω(>F), ``add`` maps, ``maps``) and
``xcat counts`` (logN-logS). The work is in :mod:`xcat.science.coverage` and
:mod:`xcat.science.number_counts`; rows are printed by :func:`xcat.cli.app.show`.
"""

from __future__ import annotations

import click

from xcat.cli.app import cli, emit, log, open_store, rows_options, show
from xcat.errors import XcatError

BAND_HELP = "Band: a CSC band (b, s, m, h, u) or energies (0.5-2keV)."
WHERE_HELP = ("Only the coverage (and sources) whose pixel centres lie inside this host's "
              "ellipse or radius.")
REGION_HELP = "Only a cone 'RA DEC RADIUS' (degrees; radius with a unit: 10arcmin)."


@cli.group(invoke_without_command=True)
@click.option("--band", default=None, help=BAND_HELP)
@click.option("--host", default=None, help=WHERE_HELP)
@click.option("--region", default=None, help=REGION_HELP)
@click.option("--points", type=click.IntRange(2, 1000), default=25, show_default=True,
              help="Number of log-spaced limiting fluxes.")
@rows_options
@click.pass_context
def coverage(ctx: click.Context, band: str | None, host: str | None, region: str | None,
             points: int, fmt: str, out: str | None) -> None:
    """Cumulative sky area Ω(>F) (deg²) with a limiting flux ≤ F, i.e. where a source of
    flux F would be detected, from the sensitivity maps added with 'xcat coverage add'.

    Example: xcat coverage --band b --host M101
    """
    if ctx.invoked_subcommand is not None:
        return
    if band is None:
        raise XcatError("give --band (e.g. --band b), or a subcommand: add, maps, remove")
    from xcat.science.number_counts import coverage_curve

    with open_store(ctx) as store:
        show(coverage_curve(store, band, host=host, region=region, points=points), fmt, out,
             max_rows=points + 1)


@coverage.command("add")
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--band", required=True, help=BAND_HELP)
@click.option("--unit", default=None, help="Unit of the map values when the header has no "
              "BUNIT (or to override it): 'erg/s/cm2'.")
@click.option("--order", type=int, default=None, help="HEALPix order of the coverage grid "
              "(default 14: 12.9 arcsec pixels, 1.28e-5 deg2; a band keeps its first order).")
@click.option("--hdu", type=int, default=None, help="HDU of the map (default: the first "
              "image or HEALPix table).")
@click.pass_context
def coverage_add(ctx: click.Context, files: tuple[str, ...], band: str, unit: str | None,
                 order: int | None, hdu: int | None) -> None:
    """Add sensitivity (limiting-flux) maps of one band: FITS images with a celestial WCS
    or HEALPix maps. Pixels that are NaN, zero or negative have no coverage; where maps
    overlap the deepest limit counts (the sky_coverage view).

    Example: xcat coverage add stack1_sens_b.fits stack2_sens_b.fits --band b
    """
    from xcat.science.coverage import add_maps

    with open_store(ctx) as store:
        r = add_maps(store, list(files), band, unit=unit, order=order, hdu=hdu)
    for m in r["maps"]:
        emit(f"{m['file']}: {m['pixels']} pixels of band {r['band']} at order {r['order']} "
             f"({m['area_deg2']:.4g} deg2 covered), limits "
             f"{m['min_limit']:.3g}-{m['max_limit']:.3g} erg/s/cm2")


@coverage.command("maps")
@rows_options
@click.pass_context
def coverage_maps(ctx: click.Context, fmt: str, out: str | None) -> None:
    """The sensitivity maps in the store, with band, order, area and provenance.

    Example: xcat coverage maps
    """
    from xcat.science.coverage import list_maps

    with open_store(ctx) as store:
        show(list_maps(store), fmt, out)


@coverage.command("remove")
@click.argument("map_id", type=int)
@click.pass_context
def coverage_remove(ctx: click.Context, map_id: int) -> None:
    """Remove one sensitivity map (its id from 'xcat coverage maps') and its pixels.

    Example: xcat coverage remove 2
    """
    from xcat.science.coverage import remove_map

    with open_store(ctx) as store:
        r = remove_map(store, map_id)
    emit(f"removed map {r['map_id']} ({r['file']}, {r['band']}): {r['pixels']} pixels")


@cli.command()
@click.option("--band", required=True, help=BAND_HELP)
@click.option("--host", default=None, help=WHERE_HELP)
@click.option("--region", default=None, help=REGION_HELP)
@click.option("--catalog", default=None, help="Only this X-ray catalog of xray_sources.")
@click.option("--sql", "query", default=None,
              help="Sources from this query instead: ra, dec, flux (erg/s/cm2 in the band), "
              "optional flux_upper_limit.")
@click.option("--bins", type=click.IntRange(1, 200), default=12, show_default=True,
              help="Number of log-spaced flux bins.")
@click.option("--fit", "fit_above", default=None, metavar="FLUX",
              help="Also fit the slope of N(>S) above FLUX by maximum likelihood "
              "(with a unit: 1e-15erg/s/cm2).")
@rows_options
@click.pass_context
def counts(ctx: click.Context, band: str, host: str | None, region: str | None,
           catalog: str | None, query: str | None, bins: int, fit_above: str | None,
           fmt: str, out: str | None) -> None:
    """Cumulative and differential logN-logS of the sources inside the coverage:
    N(>S) = Σ_{S_i>S} 1/Ω(S_i) deg⁻², error sqrt(Σ 1/Ω(S_i)²); dN/dS per bin likewise.

    Example: xcat counts --band b --host M101 --fit 1e-15erg/s/cm2
    """
    from xcat.science.number_counts import fit_slope, number_counts

    s_min = _flux(fit_above) if fit_above else None
    with open_store(ctx) as store:
        table, smp = number_counts(store, band, bins=bins, host=host, region=region,
                                   catalog=catalog, sql=query)
    log.info(smp.note())
    show(table, fmt, out, max_rows=bins + 2)
    if s_min is not None:
        log.info(str(fit_slope(smp.flux, smp.limits, smp.areas, s_min)))


def _flux(text: str) -> float:
    from xcat.science.coverage import parse_flux

    return parse_flux(text, "--fit")


def draw_figure(ctx: click.Context, figure: str, out: str, *, band: str | None,
                host: str | None, region: str | None, sql: str | None) -> None:
    """``xcat plot coverage|lognlogs`` and ``xcat plot xlf --corrected`` (called by
    :func:`xcat.cli.output.plot`): compute with the science layer, draw with the output
    layer.
    """
    from xcat.output import coverage_plots as cp
    from xcat.output.select import limit_confidence
    from xcat.science import coverage as cov
    from xcat.science import number_counts as nc

    if band is None:
        raise XcatError(f"plot {figure} needs --band (the sensitivity maps' band, e.g. b)")
    name = cov.parse_band(band)[0]
    with open_store(ctx) as store:
        maps = cov.maps_text(store, band)
        if figure == "coverage":
            if sql is not None:
                raise XcatError("plot coverage takes --host or --region, not --sql")
            c = cov.coverage(store, band, host, region)
            path = cp.coverage_figure(c.limits, c.areas, out, band=name, maps=maps,
                                      pixels=f"{len(c.pixels)} HEALPix pixels, order "
                                             f"{c.order}", host=host, region=region)
        elif figure == "lognlogs":
            table, smp = nc.number_counts(store, band, host=host, region=region, sql=sql)
            path = cp.lognlogs_figure(table, nc.cumulative_steps(smp), out, band=name,
                                      note=smp.note(), maps=maps, host=host, region=region)
        else:
            if host is None:
                raise XcatError("plot xlf --corrected needs --host (the host's coverage)")
            det, ul, total = nc.corrected_xlf(store, host, band)
            path = cp.corrected_xlf_figure(det, ul, total, out, host=host, band=name,
                                           maps=maps, limit_conf=limit_confidence(store))
    emit(f"wrote {path}")
