"""``xcat ingest ...``: load catalogs from files and VO services."""

from __future__ import annotations

from pathlib import Path

import click

from xcat.cli.app import cli
from xcat.output.formats import emit


@cli.group()
def ingest() -> None:
    """Load a catalog into the store."""


def _remote_options(f):
    """Options shared by the ingests that can query a service instead of reading FILE."""
    for opt in reversed([
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
                     help="Replace a catalog of this name from another source."),
    ]):
        f = opt(f)
    return f


def _source(file, cone, object_name, radius, adql, upload=None):
    from xcat.jobs.tap import SourceOptions

    return SourceOptions(file=file, cone=cone, object_name=object_name, radius=radius,
                         adql=adql, upload=upload)


@ingest.command("csc")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@_remote_options
@click.option("--release", type=click.Choice(["2.1", "2.0"]), default=None,
              help="CSC release to query (default 2.1; catalog csc21 or csc20).")
@click.option("--with-detections", is_flag=True, help="Also fetch one row per observation "
              "(theta, src_cnts_aper_b, livetime, obsid ...) into <name>_detections.")
@click.pass_context
def ingest_csc(ctx: click.Context, file: Path | None, cone: str | None,
               object_name: str | None, radius: str | None, adql: str | None, dry_run: bool,
               name: str | None, replace: bool, release: str | None,
               with_detections: bool) -> None:
    """Load a CSC export (CSCview VOTable, TAP VOTable, CSC CLI CSV), or query CSC TAP.

    A file loads as catalog "csc"; a TAP query as "csc21" (2.1) or "csc20" (2.0).

    Example: xcat ingest csc ../shared/data/csc_m101_xrbid/cscresults_M101.vot

    Example: xcat ingest csc --cone "210.80 54.35" --radius 12arcmin --with-detections

    Example: xcat ingest csc --object M101 --radius 12arcmin --release 2.0 --dry-run
    """
    from xcat.jobs.tap import run_csc

    for line in run_csc(ctx.obj["store"], _source(file, cone, object_name, radius, adql),
                        release=release, detections=with_detections, name=name,
                        dry_run=dry_run, replace=replace, progress=True):
        emit(line)


@ingest.command("2rxs")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@_remote_options
@click.option("--upload", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="Match every row of this table to 2RXS at HEASARC (TAP upload join).")
@click.option("--upload-name", default=None, help="Catalog name of the uploaded table "
              "(default: from its file name).")
@click.option("--upload-ra", default=None, help="RA column of the uploaded table.")
@click.option("--upload-dec", default=None, help="Dec column of the uploaded table.")
@click.option("--upload-key", default=None, help="Unique key column of the uploaded table "
              "(default: the first column unique on every row).")
@click.pass_context
def ingest_2rxs(ctx: click.Context, file: Path | None, cone: str | None,
                object_name: str | None, radius: str | None, adql: str | None,
                dry_run: bool, name: str | None, replace: bool, upload: Path | None,
                upload_name: str | None, upload_ra: str | None, upload_dec: str | None,
                upload_key: str | None) -> None:
    """Load ROSAT 2RXS (HEASARC rass2rxs) from a file, a cone, or an upload match.

    --upload stores three things: the uploaded table (its own catalog), the matched
    2RXS rows (catalog "rxs2") and the pairs as a cross-match run with separations.

    Example: xcat ingest 2rxs --cone "0.5 -89.9" --radius 30arcmin

    Example: xcat ingest 2rxs --upload stars.csv --radius 8arcsec --upload-name carmenes

    Example: xcat ingest 2rxs rass2rxs_excerpt.vot
    """
    from xcat.jobs.upload import run_rxs2

    for line in run_rxs2(ctx.obj["store"], _source(file, cone, object_name, radius, adql, upload),
                         upload_name=upload_name, upload_ra=upload_ra, upload_dec=upload_dec,
                         upload_key=upload_key, name=name, dry_run=dry_run, replace=replace,
                         progress=True):
        emit(line)


@ingest.command("erass1")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@_remote_options
@click.pass_context
def ingest_erass1(ctx: click.Context, file: Path | None, cone: str | None,
                  object_name: str | None, radius: str | None, adql: str | None,
                  dry_run: bool, name: str | None, replace: bool) -> None:
    """Load eROSITA eRASS1 Main (HEASARC erass1main) from a file or a cone.

    Example: xcat ingest erass1 --cone "150.1 2.2" --radius 10arcmin

    Example: xcat ingest erass1 eRASS1_Main.v1.1.fits --name erass1
    """
    from xcat.jobs.tap import run_heasarc

    for line in run_heasarc(ctx.obj["store"], "erass1",
                            _source(file, cone, object_name, radius, adql), name=name,
                            dry_run=dry_run, replace=replace, progress=True):
        emit(line)


@ingest.command("table")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--name", required=True, help="Catalog name.")
@click.option("--ra", default=None, help="RA column (found automatically when unambiguous).")
@click.option("--dec", default=None, help="Dec column (found automatically when unambiguous).")
@click.option("--key", default=None, help="Unique source key column.")
@click.option("--map", "mapping", default=None, help='Renames/units: "new=old,flux=F[mW/m2]".')
@click.option("--pos-err", multiple=True, help="Positional-error column (stored in arcsec).")
@click.option("--format", "fmt", default=None, help="Input format if the name does not tell.")
@click.option("--replace", is_flag=True, help="Replace a catalog of this name from another source.")
@click.pass_context
def ingest_table(ctx: click.Context, file: Path, name: str, ra: str | None, dec: str | None,
                 key: str | None, mapping: str | None, pos_err: tuple[str, ...],
                 fmt: str | None, replace: bool) -> None:
    """Load any VOTable/FITS/CSV/ECSV/Parquet table with positions.

    Example: xcat ingest table cif20.Mother.v01.csv --name carmenes --key Karmn
    """
    from xcat.jobs.runner import ingest_path

    for line in ingest_path(ctx.obj["store"], file, kind="table", name=name, ra=ra, dec=dec,
                            key=key, mapping=mapping, pos_err=pos_err, fmt=fmt,
                            replace=replace, progress=True):
        emit(line)


