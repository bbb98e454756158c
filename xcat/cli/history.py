"""Flux-history commands: ``xcat ingest observations``, ``xcat flux-model``,
``xcat fluxes``, ``xcat variability`` and ``xcat lightcurve``.

Each parses its options and calls :mod:`xcat.jobs.observations`,
:mod:`xcat.science.variability` or :mod:`xcat.output.lightcurve`; rows are printed by
:func:`xcat.cli.app.show`.
"""

from __future__ import annotations

from pathlib import Path

import click

from xcat.cli.app import cli, emit, open_store, rows_options, show
from xcat.cli.ingest import ingest

FILE = click.Path(path_type=Path)


@ingest.command("observations")
@click.argument("file", type=FILE)
@click.option("--catalog", required=True, help="Store catalog the sources belong to "
              "(their keys are its source keys, e.g. csc).")
@click.pass_context
def ingest_observations(ctx: click.Context, file: Path, catalog: str) -> None:
    """Load per-observation fluxes (CSC per-observation columns) into flux_observations.

    Columns: name, obsid, obi, region_id, gti_obs, gti_end, livetime, instrument and
    flux_aper90_<band> (or flux_aper_<band>) with _lolim_/_hilim_ for bands b, s, m, h,
    u, w; a CSC export's ".1" per-observation twins are preferred.

    Example: xcat ingest observations NGC3532_per.csv --catalog csc
    """
    from xcat.jobs.observations import ingest_observation_file

    with open_store(ctx, create=True) as store:
        for line in ingest_observation_file(store, file, catalog):
            emit(line)


@cli.command("flux-model")
@click.option("--gamma", type=float, default=None, help="Photon index of the power law.")
@click.option("--nh", default=None, help="Absorbing column with a unit: 3e20cm-2.")
@click.option("--band", default="0.5-2keV", show_default=True,
              help="Common band with its unit: 0.5-2keV.")
@click.option("--unabsorbed", is_flag=True, help="Convert to the unabsorbed (intrinsic) "
              "flux in the common band instead of the observed one.")
@rows_options
@click.pass_context
def flux_model(ctx: click.Context, gamma: float | None, nh: str | None, band: str,
               unabsorbed: bool, fmt: str, out: str | None) -> None:
    """List band-conversion models, or choose a new one (absorbed power law, MM83).

    The newest model converts every flux in flux_history to the common band.

    Example: xcat flux-model --gamma 1.7 --nh 1e21cm-2 --band 0.5-2keV
    """
    from astropy import units as u

    from xcat.errors import XcatError
    from xcat.science.bands import PowerLaw, parse_band
    from xcat.science.variability import flux_models, set_flux_model
    from xcat.sky.units import parse_quantity

    with open_store(ctx) as store:
        if gamma is not None or nh is not None:
            if gamma is None or nh is None:
                raise XcatError("give both --gamma and --nh (e.g. --gamma 2 --nh 3e20cm-2)")
            column = parse_quantity(nh, "column density").to_value(u.cm ** -2)
            emit("current model: " + set_flux_model(
                store, PowerLaw(gamma, float(column), unabsorbed), parse_band(band)))
        show(flux_models(store), fmt, out)


@cli.command("fluxes")
@click.argument("source")
@click.option("--catalog", default=None, help="Catalog of SOURCE when its key is in several.")
@rows_options
@click.pass_context
def fluxes(ctx: click.Context, source: str, catalog: str | None, fmt: str,
           out: str | None) -> None:
    """The flux history of a source across observations, catalogs and missions.

    Example: xcat fluxes "2CXO J110507.4-585105"
    """
    from xcat.science.variability import history

    with open_store(ctx) as store:
        rows = history(store, source, catalog)
        show(rows[["catalog", "source_key", "via_run", "level", "obs_id", "t_start", "mjd",
                   "exposure_s", "mission", "instrument", "band", "flux", "flux_lo",
                   "flux_hi", "flux_upper_limit", "flux_common", "flux_common_lo",
                   "flux_common_hi", "preferred_band", "conversion_model"]], fmt, out)


@cli.command("variability")
@click.argument("source", required=False)
@click.option("--catalog", default=None, help="Only identities of this catalog.")
@rows_options
@click.pass_context
def variability_cmd(ctx: click.Context, source: str | None, catalog: str | None, fmt: str,
                    out: str | None) -> None:
    """Variability measures: max/min ratio (lower limits marked), significance, CSC's
    var_inter_prob_b / var_intra_prob_b.

    Example: xcat variability --catalog csc
    """
    from xcat.science.variability import variability

    with open_store(ctx) as store:
        show(variability(store, source, catalog), fmt, out)


@cli.command("lightcurve")
@click.argument("source")
@click.option("-o", "--output", "out", required=True, help="Figure file (.png or .pdf).")
@click.option("--catalog", default=None, help="Catalog of SOURCE when its key is in several.")
@click.option("--caption", default="", help="Text written under the figure.")
@click.option("--all-bands", is_flag=True, help="Draw every band of each observation, not "
              "only the one variability uses (flux_history.preferred_band).")
@click.pass_context
def lightcurve_cmd(ctx: click.Context, source: str, out: str, catalog: str | None,
                   caption: str, all_bands: bool) -> None:
    """Draw a source's long-term light curve: flux in the common band against time.

    Example: xcat lightcurve "2CXO J110507.4-585105" -o lc.png
    """
    from xcat.output.lightcurve import lightcurve, save
    from xcat.science.variability import history

    with open_store(ctx) as store:
        rows = history(store, source, catalog)
    emit(str(save(lightcurve(rows, source, caption, all_bands=all_bands), out)))
