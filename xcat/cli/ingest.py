"""``xcat ingest ...``: every ingest subcommand (``xcat products``: :mod:`xcat.cli.products`).

A command parses its options, builds a job (:mod:`xcat.jobs`), hands it to the one
runner (:func:`xcat.jobs.runner.run`) and prints the lines it returns. The product
subcommands and the ``--kind`` choice of ``xcat ingest product`` are made from
``ingest/products/<kind>.toml``.
"""

from __future__ import annotations

from pathlib import Path

import click

from xcat.cli.app import cli, emit, stacked
from xcat.cli.ingest_hats import dask_options, dask_table_job, hats_command
from xcat.cli.ingest_hats import invalid_option as _invalid_option
from xcat.jobs.products.kinds import ProductKind, product_kinds

#: A file argument: existence and kind are checked by the readers, so that a directory
#: or a missing file is one ``xcat: error:`` line, like any other bad input.
FILE = click.Path(path_type=Path)
TYPES = {"str": None, "float": float}


@cli.group()
def ingest() -> None:
    """Load a catalog into the store."""


ingest.add_command(hats_command)


def _run(ctx: click.Context, job, *, replace: bool = False, dry_run: bool = False) -> None:
    from xcat.jobs.runner import run

    for line in run(ctx.obj["store"], job, replace=replace, progress=True, dry_run=dry_run,
                    wait=ctx.obj["wait"]):
        emit(line)


def _from_source(ctx: click.Context, kind: str, *, file=None, cone=None, object_name=None,
                 radius=None, adql=None, upload=None, dry_run=False, replace=False,
                 **options) -> None:
    """The job of FILE, a cone, --adql or --upload (:func:`xcat.jobs.sources.source_job`)."""
    from xcat.jobs.sources import Source, source_job

    job = source_job(kind, Source(file, cone, object_name, radius, adql, upload), **options)
    _run(ctx, job, replace=replace, dry_run=dry_run)


_remote_options = stacked(
    click.option("--cone", "cone", default=None,
                 help='Cone centre "RA DEC" (degrees, or sexagesimal "hh:mm:ss +dd:mm:ss").'),
    click.option("--object", "object_name", default=None,
                 help="Cone centre from a name resolved by Sesame (needs the network, "
                      "also with --dry-run)."),
    click.option("--radius", default=None, help="Cone (or upload match) radius with a "
                 "unit: 12arcmin, 8arcsec, 0.5deg."),
    click.option("--adql", default=None, help="Send this ADQL to the service instead of "
                 "the built query."),
    click.option("--dry-run", is_flag=True, help="Print the service URL and the ADQL that "
                 "would be sent, then exit (no network, no store)."),
    click.option("--name", default=None, help="Catalog name."),
    click.option("--replace", is_flag=True,
                 help="Replace a catalog of this name from another source."))


@ingest.command("csc")
@click.argument("file", required=False, type=FILE)
@_remote_options
@_invalid_option
@click.option("--release", type=click.Choice(["2.1", "2.0"]), default=None,
              help="CSC release to query (default 2.1; catalog csc21 or csc20).")
@click.option("--with-detections", is_flag=True, help="Also fetch one row per observation "
              "(theta, src_cnts_aper_b, livetime, obsid ...) into <name>_detections.")
@click.option("--with-observations", is_flag=True, help="Also fetch each source's "
              "per-observation fluxes (time, exposure, bands, limits) into flux_observations.")
@click.pass_context
def ingest_csc(ctx: click.Context, release: str | None, with_detections: bool,
               with_observations: bool, **source) -> None:
    """Load a CSC export (CSCview VOTable, TAP VOTable, CSC CLI CSV), or query CSC TAP.

    A file loads as catalog "csc"; a TAP query as "csc21" (2.1) or "csc20" (2.0).

    Example: xcat ingest csc ../shared/data/csc_m101_xrbid/cscresults_M101.vot

    Example: xcat ingest csc --cone "210.80 54.35" --radius 12arcmin --with-detections

    Example: xcat ingest csc --object M101 --radius 12arcmin --release 2.0 --dry-run

    Example: xcat ingest csc --cone "166.4 -58.75" --radius 5arcmin --with-observations
    """
    _from_source(ctx, "csc", **source,
                 remote_options={"release": release, "with_detections": with_detections,
                                 "with_observations": with_observations})


@ingest.command("2rxs")
@click.argument("file", required=False, type=FILE)
@_remote_options
@_invalid_option
@click.option("--upload", default=None, type=FILE,
              help="Match every row of this table to 2RXS at HEASARC (TAP upload join).")
@click.option("--upload-name", default=None, help="Catalog name of the uploaded table "
              "(default: from its file name).")
@click.option("--upload-ra", default=None, help="RA column of the uploaded table.")
@click.option("--upload-dec", default=None, help="Dec column of the uploaded table.")
@click.option("--upload-key", default=None, help="Unique key column of the uploaded table "
              "(default: the first column unique on every row).")
@click.pass_context
def ingest_2rxs(ctx: click.Context, upload_name: str | None, upload_ra: str | None,
                upload_dec: str | None, upload_key: str | None, **source) -> None:
    """Load ROSAT 2RXS (HEASARC rass2rxs) from a file, a cone, or an upload match.

    --upload stores three things: the uploaded table (its own catalog), the matched
    2RXS rows (catalog "rxs2") and the pairs as a cross-match run with separations.

    Example: xcat ingest 2rxs --cone "0.5 -89.9" --radius 30arcmin

    Example: xcat ingest 2rxs --upload stars.csv --radius 8arcsec --upload-name carmenes

    Example: xcat ingest 2rxs rass2rxs_excerpt.vot
    """
    _from_source(ctx, "rxs2", **source, upload_options={
        "upload_name": upload_name, "upload_ra": upload_ra, "upload_dec": upload_dec,
        "upload_key": upload_key})


@ingest.command("erass1")
@click.argument("file", required=False, type=FILE)
@_remote_options
@_invalid_option
@click.pass_context
def ingest_erass1(ctx: click.Context, **source) -> None:
    """Load eROSITA eRASS1 Main (HEASARC erass1main) from a file or a cone.

    Example: xcat ingest erass1 --cone "150.1 2.2" --radius 10arcmin

    Example: xcat ingest erass1 eRASS1_Main.v1.1.fits --name erass1
    """
    _from_source(ctx, "erass1", **source)


@ingest.command("table")
@click.argument("files", type=FILE, nargs=-1, required=True, metavar="FILE...")
@click.option("--name", required=True, help="Catalog name.")
@click.option("--ra", default=None, help="RA column (found automatically when unambiguous).")
@click.option("--dec", default=None, help="Dec column (found automatically when unambiguous).")
@click.option("--key", default=None, help="Unique source key column.")
@click.option("--map", "mapping", default=None, help='Renames/units: '
              '"new=old,flux=F[mW/m2]" (new=old[] drops a unit the file gives).')
@click.option("--pos-err", multiple=True, help="Positional-error column (stored in arcsec).")
@click.option("--format", "fmt", default=None, help="Input format if the name does not tell.")
@click.option("--replace", is_flag=True, help="Replace a catalog of this name from another source.")
@_invalid_option
@click.option("--margin", default=None, help="Margin-cache threshold with a unit (60arcsec): "
              "the largest radius cross-matches against this catalog may use (default 3x "
              "its largest positional error, at least 10arcsec).")
@click.option("--partition-rows", "max_rows", type=int, default=None,
              help="Most rows per HATS partition (default 1000000).")
@dask_options
@click.pass_context
def ingest_table(ctx: click.Context, files: tuple, replace: bool, max_rows: int | None, **options):
    """Load any VOTable/FITS/CSV/ECSV/Parquet table with positions.

    Example: xcat ingest table cif20.Mother.v01.csv --name carmenes --key Karmn

    Example: xcat ingest table gaia_field.parquet --name gaia --margin 30arcsec
    (--engine dask: 'gaia/*.csv.gz' through hats-import on a Dask cluster)
    """
    job = dask_table_job(files, max_rows, options)  # None: --engine local
    if job is not None:
        _run(ctx, job, replace=replace)
    else:
        _run_file(ctx, "table", replace, file=files[0], **options,
                  **({"max_rows": max_rows} if max_rows else {}))


# ----------------------------------------------------------------------- counterparts
_catalog_options = stacked(
    click.option("--name", default=None, help="Catalog name (default: the kind's, or "
                 "from the file name)."),
    click.option("--ra", default=None, help="RA column (default: the kind's)."),
    click.option("--dec", default=None, help="Dec column (default: the kind's)."),
    click.option("--key", default=None, help="Unique key column (default: the kind's)."),
    click.option("--map", "mapping", default=None, help='Renames/units: "new=old[unit]" '
                 '(new=old[] drops a unit the file gives).'),
    click.option("--pos-err", multiple=True, help="Positional-error column (arcsec)."),
    click.option("--format", "fmt", default=None, help="Input format if the name "
                 "does not tell."),
    click.option("--replace", is_flag=True, help="Replace a catalog of this name from "
                 "another source."),
    _invalid_option)
_cone_options = stacked(
    click.option("--cone", default=None, help='Cone centre "RA DEC" (deg or sexagesimal).'),
    click.option("--radius", default=None, help="Cone radius with a unit (2arcmin)."),
    click.option("--adql", default=None, help="Send this ADQL instead of the built query."),
    click.option("--dry-run", is_flag=True, help="Print the service URL and ADQL only."))


@ingest.command("gaia")
@click.argument("file", type=FILE, required=False)
@_catalog_options
@_cone_options
@click.pass_context
def ingest_gaia(ctx: click.Context, key, mapping, pos_err, fmt, **source) -> None:
    """Load Gaia DR3 rows from a file (ECSV/VOTable) or the Gaia TAP (gaiadr3.gaia_source).

    Example: xcat ingest gaia 1712337806100O-result.ecsv

    Example: xcat ingest gaia --cone "210.80 54.35" --radius 2arcmin --name gaia_m101
    """
    _from_source(ctx, "gaia", **source, file_options={
        "key": key, "mapping": mapping, "pos_err": pos_err, "fmt": fmt})


@ingest.command("vizier")
@click.argument("catalog", required=False)
@click.option("--file", "file", type=FILE, default=None, help="A VizieR table file instead "
              "of a TAP query.")
@_catalog_options
@_cone_options
@click.pass_context
def ingest_vizier(ctx: click.Context, catalog: str | None, key, mapping, pos_err, fmt,
                  **source) -> None:
    """Load a VizieR table by TAP cone (CATALOG like I/355/gaiadr3) or from --file.

    Example: xcat ingest vizier II/246/out --cone "210.80 54.35" --radius 2arcmin --name tmass_m101

    Example: xcat ingest vizier --file NGC3532_gaia.csv --ra RA_ICRS_gaia --dec DE_ICRS_gaia
    """
    _from_source(ctx, "vizier", **source, remote_options={"catalog": catalog}, file_options={
        "key": key, "mapping": mapping, "pos_err": pos_err, "fmt": fmt})


def _run_file(ctx: click.Context, kind: str, replace: bool, **options) -> None:
    from xcat.jobs.file import FileJob

    _run(ctx, FileJob(kind=kind, **options), replace=replace)


@ingest.command("2mass")
@click.argument("file", type=FILE)
@_catalog_options
@click.pass_context
def ingest_2mass(ctx: click.Context, replace: bool, **options) -> None:
    """Load 2MASS PSC rows (IRSA fp_psc VOTable) as catalog "twomass".

    Example: xcat ingest 2mass Polygon.xml
    """
    _run_file(ctx, "twomass", replace, **options)


@ingest.command("carmenes")
@click.argument("file", type=FILE)
@_catalog_options
@click.pass_context
def ingest_carmenes(ctx: click.Context, replace: bool, **options) -> None:
    """Load the CARMENES M-dwarf catalogue (Cifuentes et al. 2020) keyed by Karmn.

    Example: xcat ingest carmenes cif20.Mother.v01.csv
    """
    _run_file(ctx, "carmenes", replace, **options)


@ingest.command("muwclass")
@click.argument("file", type=FILE)
@_catalog_options
@click.pass_context
def ingest_muwclass(ctx: click.Context, replace: bool, **options) -> None:
    """Load a MUWCLASS counterpart table (_gaia/_2mass/_allwise/_catwise/_unwise.csv).

    Rows without a counterpart are not stored (counted in a note); xray_row keeps the
    alignment with the X-ray table.

    Example: xcat ingest muwclass NGC3532_2mass.csv --name ngc3532_2mass
    """
    _run_file(ctx, "muwclass", replace, **options)


@ingest.command("regions")
@click.argument("file", type=FILE)
@_catalog_options
@click.pass_context
def ingest_regions(ctx: click.Context, replace: bool, **options) -> None:
    """Load a DS9 region file (fk5/icrs/galactic circles, ellipses, points) as positions.

    Example: xcat ingest regions M101_daoclean_f555w_acs_fk5.reg --name hst_f555w
    """
    _run_file(ctx, "regions", replace, **options)


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
def ingest_hst(ctx: click.Context, replace: bool, **options) -> None:
    """Load an HST photometry list: sources to NAME, magnitudes long-form to NAME_photometry.

    Example: xcat ingest hst daophot_f555w.csv --key ID --x X --y Y --wcs f555w_drc.fits
    """
    from xcat.jobs.photometry import PhotometryJob

    _run(ctx, PhotometryJob(**options), replace=replace)


# ----------------------------------------------------------------------- products
_product_options = stacked(
    click.option("--name", default=None, help="Product name (default: from the file name)."),
    click.option("--key", default=None, help="Column holding the source key "
                 "(e.g. 'CSC ID'), matched to CATALOG's key."),
    click.option("--catalog", default="csc", show_default=True,
                 help="Catalog whose sources the rows link to."),
    click.option("--radius", default=None, help="Link by position: nearest source "
                 "within R (1arcsec)."),
    click.option("--ra", default=None, help="RA column for --radius links."),
    click.option("--dec", default=None, help="Dec column for --radius links."),
    click.option("--no-link", is_flag=True, help="Store the rows without linking them."),
    click.option("--format", "fmt", default=None, help="Input format if the name "
                 "does not tell."),
    click.option("--replace", is_flag=True, help="Replace a product of this name "
                 "from another file."))


def _kind_option(name: str, spec: dict, help_key: str = "help"):
    """A product kind's own option (``ingest/products/<kind>.toml`` ``[options.<name>]``)."""
    return click.option(f"--{name.replace('_', '-')}", default=None,
                        type=TYPES[spec.get("type", "str")], help=spec[help_key])


def _run_product(ctx: click.Context, kind: str, replace: bool, **options) -> None:
    from xcat.jobs.products.ingest import ProductJob

    _run(ctx, ProductJob(kind=kind, **options), replace=replace)


@ingest.command("product")
@click.argument("file", type=FILE)
@click.option("--kind", "kind", required=True, type=click.Choice(list(product_kinds())),
              help="What the table holds.")
@_product_options
@stacked(*(_kind_option(name, spec, "product_help") for k in product_kinds().values()
            for name, spec in k.options.items() if "product_help" in spec))
@click.pass_context
def ingest_product(ctx: click.Context, kind: str, replace: bool, **options) -> None:
    """Load any computed product table, linked to sources by --key or --radius.

    Example: xcat ingest product M101_csc_bestrads.frame --kind xrbid --key "CSC ID"

    Example: xcat ingest product TD.csv --kind classification --radius 1arcsec --ra RA --dec DEC
    """
    _run_product(ctx, kind, replace, **options)


def _product_command(spec: ProductKind) -> None:
    """``xcat ingest <command> FILE`` for one product kind."""
    @click.pass_context
    def run_kind(ctx: click.Context, replace: bool, **options) -> None:
        _run_product(ctx, spec.kind, replace, **options)

    extra = [_kind_option(name, o) for name, o in spec.options.items()]
    ingest.command(spec.command, help=spec.command_help)(stacked(
        click.argument("file", type=FILE), _product_options, *extra)(run_kind))


for _spec in product_kinds().values():
    if _spec.command:
        _product_command(_spec)
