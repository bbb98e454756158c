"""``xcat ingest gaia|2mass|carmenes|muwclass|vizier|regions|hst``: counterpart catalogs."""

from __future__ import annotations

from pathlib import Path

import click

from xcat.cli.ingest import ingest
from xcat.output.formats import emit

FILE = click.Path(dir_okay=False, path_type=Path)


def _catalog_options(f):
    for opt in reversed([
        click.option("--name", default=None, help="Catalog name (default: the kind's, or "
                     "from the file name)."),
        click.option("--ra", default=None, help="RA column (default: the kind's)."),
        click.option("--dec", default=None, help="Dec column (default: the kind's)."),
        click.option("--key", default=None, help="Unique key column (default: the kind's)."),
        click.option("--map", "mapping", default=None, help='Renames/units: "new=old[unit]".'),
        click.option("--pos-err", multiple=True, help="Positional-error column (arcsec)."),
        click.option("--format", "fmt", default=None, help="Input format if the name "
                     "does not tell."),
        click.option("--replace", is_flag=True, help="Replace a catalog of this name from "
                     "another source."),
    ]):
        f = opt(f)
    return f


def _file(ctx: click.Context, file: Path, kind: str, **options) -> None:
    from xcat.jobs.counterparts import ingest_counterpart

    for line in ingest_counterpart(ctx.obj["store"], file, kind=kind, **options):
        emit(line)


def _remote(ctx, file, kind, cone, radius, adql, dry_run, catalog=None, **options) -> None:
    from xcat.jobs.counterparts_tap import run_counterpart

    for line in run_counterpart(ctx.obj["store"], kind, file=file, cone=cone, radius=radius,
                                adql=adql, dry_run=dry_run, catalog=catalog, **options):
        emit(line)


def _cone_options(f):
    for opt in reversed([
        click.option("--cone", default=None, help='Cone centre "RA DEC" (deg or sexagesimal).'),
        click.option("--radius", default=None, help="Cone radius with a unit (2arcmin)."),
        click.option("--adql", default=None, help="Send this ADQL instead of the built query."),
        click.option("--dry-run", is_flag=True, help="Print the service URL and ADQL only."),
    ]):
        f = opt(f)
    return f


@ingest.command("gaia")
@click.argument("file", type=FILE, required=False)
@_catalog_options
@_cone_options
@click.pass_context
def ingest_gaia(ctx: click.Context, file: Path | None, **options) -> None:
    """Load Gaia DR3 rows from a file (ECSV/VOTable) or the Gaia TAP (gaiadr3.gaia_source).

    Example: xcat ingest gaia 1712337806100O-result.ecsv

    Example: xcat ingest gaia --cone "210.80 54.35" --radius 2arcmin --name gaia_m101
    """
    _remote(ctx, file, "gaia", **options)


@ingest.command("vizier")
@click.argument("catalog", required=False)
@click.option("--file", "file", type=FILE, default=None, help="A VizieR table file instead "
              "of a TAP query.")
@_catalog_options
@_cone_options
@click.pass_context
def ingest_vizier(ctx: click.Context, catalog: str | None, file: Path | None,
                  **options) -> None:
    """Load a VizieR table by TAP cone (CATALOG like I/355/gaiadr3) or from --file.

    Example: xcat ingest vizier II/246/out --cone "210.80 54.35" --radius 2arcmin --name tmass_m101

    Example: xcat ingest vizier --file NGC3532_gaia.csv --ra RA_ICRS_gaia --dec DE_ICRS_gaia
    """
    _remote(ctx, file, "vizier", catalog=catalog, **options)


@ingest.command("2mass")
@click.argument("file", type=FILE)
@_catalog_options
@click.pass_context
def ingest_2mass(ctx: click.Context, file: Path, **options) -> None:
    """Load 2MASS PSC rows (IRSA fp_psc VOTable) as catalog "twomass".

    Example: xcat ingest 2mass Polygon.xml
    """
    _file(ctx, file, "twomass", **options)


@ingest.command("carmenes")
@click.argument("file", type=FILE)
@_catalog_options
@click.pass_context
def ingest_carmenes(ctx: click.Context, file: Path, **options) -> None:
    """Load the CARMENES M-dwarf catalogue (Cifuentes et al. 2020) keyed by Karmn.

    Example: xcat ingest carmenes cif20.Mother.v01.csv
    """
    _file(ctx, file, "carmenes", **options)


@ingest.command("muwclass")
@click.argument("file", type=FILE)
@_catalog_options
@click.pass_context
def ingest_muwclass(ctx: click.Context, file: Path, **options) -> None:
    """Load a MUWCLASS counterpart table (_gaia/_2mass/_allwise/_catwise/_unwise.csv).

    Rows without a counterpart are not stored (counted in a note); xray_row keeps the
    alignment with the X-ray table.

    Example: xcat ingest muwclass NGC3532_2mass.csv --name ngc3532_2mass
    """
    _file(ctx, file, "muwclass", **options)


@ingest.command("regions")
@click.argument("file", type=FILE)
@_catalog_options
@click.pass_context
def ingest_regions(ctx: click.Context, file: Path, **options) -> None:
    """Load a DS9 region file (fk5/icrs/galactic circles, ellipses, points) as positions.

    Example: xcat ingest regions M101_daoclean_f555w_acs_fk5.reg --name hst_f555w
    """
    _file(ctx, file, "regions", **options)


@ingest.command("hst")
@click.argument("file", type=FILE)
@click.option("--name", default=None, help="Catalog name (default: from the file name).")
@click.option("--key", required=True, help="Source ID column.")
@click.option("--ra", default=None, help="RA column (or give --x/--y and --wcs).")
@click.option("--dec", default=None, help="Dec column.")
@click.option("--x", "x", default=None, help="Pixel X column.")
@click.option("--y", "y", default=None, help="Pixel Y column.")
@click.option("--wcs", default=None, type=FILE, help="FITS file or header text with the "
              "image's WCS (for --x/--y).")
@click.option("--origin", type=int, default=1, show_default=True, help="Pixel convention: "
              "1 = FITS/DS9/DAOPhot (first pixel centre is 1), 0 = numpy.")
@click.option("--filters", default=None, help='Magnitude columns: "F555W=m555:e555,..." '
              "(default: columns named after HST filters, errors with err/e_).")
@click.option("--format", "fmt", default=None, help="Input format if the name does not tell.")
@click.option("--replace", is_flag=True, help="Replace a catalog of this name.")
@click.pass_context
def ingest_hst(ctx: click.Context, file: Path, **options) -> None:
    """Load an HST photometry list: sources to NAME, magnitudes long-form to NAME_photometry.

    Example: xcat ingest hst daophot_f555w.csv --key ID --x X --y Y --wcs f555w_drc.fits
    """
    from xcat.jobs.photometry import ingest_photometry

    for line in ingest_photometry(ctx.obj["store"], file, **options):
        emit(line)
