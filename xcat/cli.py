"""The ``xcat`` command line: parses arguments, calls the library, prints results.

No logic lives here; every command maps to a ``Store`` method or a library function.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from xcat.errors import XcatError
from xcat.formats import FORMATS, emit, write_rows

STORE_HELP = "Store directory (default $XCAT_STORE or ./xcat-store)."


def _open(ctx: click.Context, create: bool = False):
    from xcat.store import Store

    return Store.open(ctx.obj["store"], create=create)


def _rows_options(f):
    f = click.option("-o", "--output", "out", default=None, help="Write to FILE.")(f)
    return click.option("--format", "fmt", type=click.Choice(FORMATS), default="table",
                        show_default=True, help="Output format.")(f)


class _Cli(click.Group):
    """Click group that turns an ``XcatError`` into one line on stderr and exit status 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except XcatError as exc:
            click.echo(f"xcat: error: {exc}", err=True)
            ctx.exit(1)


@click.group(cls=_Cli)
@click.option("--store", envvar="XCAT_STORE", default=None, help=STORE_HELP)
@click.version_option(package_name="xcat")
@click.pass_context
def cli(ctx: click.Context, store: str | None) -> None:
    """xcat: X-ray source catalogs in one HEALPix/HATS store you can query with SQL."""
    ctx.obj = {"store": store}


@cli.command()
@click.pass_context
def init(ctx: click.Context) -> None:
    """Create an empty store.  Example: xcat --store ./xcat-store init"""
    with _open(ctx, create=True) as store:
        emit(f"store ready at {store.path}")


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
    from xcat.remote_ingest import SourceOptions

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
    from xcat.remote_ingest import run_csc

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
    from xcat.upload_match import run_rxs2

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
    from xcat.remote_ingest import run_heasarc

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
    from xcat.ingest import ingest_path

    for line in ingest_path(ctx.obj["store"], file, kind="table", name=name, ra=ra, dec=dec,
                            key=key, mapping=mapping, pos_err=pos_err, fmt=fmt,
                            replace=replace, progress=True):
        emit(line)


@cli.command()
@_rows_options
@click.pass_context
def catalogs(ctx: click.Context, fmt: str, out: str | None) -> None:
    """List catalogs: name, rows, source, sha256, created.  Example: xcat catalogs"""
    from astropy.table import Table

    with _open(ctx) as store:
        df = store.catalogs()
        df["created"] = df["created"].astype(str)
        emit(write_rows(Table.from_pandas(df.fillna("")), fmt, out))


@cli.command()
@click.argument("catalog")
@click.argument("ra", type=float)
@click.argument("dec", type=float)
@click.argument("radius")
@click.option("--columns", default=None, help="Comma-separated columns to return.")
@_rows_options
@click.pass_context
def cone(ctx: click.Context, catalog: str, ra: float, dec: float, radius: str,
         columns: str | None, fmt: str, out: str | None) -> None:
    """Sources within RADIUS (with a unit) of RA DEC (deg), nearest first.

    Example: xcat cone csc 210.80 54.35 30arcsec
    """
    with _open(ctx) as store:
        cols = [c.strip() for c in columns.split(",")] if columns else None
        t = store.cone(catalog, ra, dec, radius, columns=cols, output="astropy")
        emit(write_rows(t, fmt, out))


@cli.command()
@click.argument("query")
@click.option("-p", "--param", multiple=True, help="Bound parameter NAME=VALUE ($NAME in SQL).")
@_rows_options
@click.pass_context
def sql(ctx: click.Context, query: str, param: tuple[str, ...], fmt: str, out: str | None) -> None:
    """Run SQL against the store (catalogs are views).

    Example: xcat sql "SELECT name, flux_aper_b FROM csc ORDER BY flux_aper_b DESC LIMIT 5"
    """
    from xcat.params import parse_params

    with _open(ctx) as store:
        t = store.sql(query, parse_params(param), output="astropy")
        emit(write_rows(t, fmt, out))


@cli.command()
@click.argument("catalog", required=False)
@click.option("--sigma", default=None, help="Frame error, 1-sigma, with a unit (0.4875arcsec).")
@click.option("--reference", default=None, help="What the frame was tied to.")
@click.option("--note", default=None, help="Free text.")
@_rows_options
@click.pass_context
def astrometry(ctx: click.Context, catalog: str | None, sigma: str | None,
               reference: str | None, note: str | None, fmt: str, out: str | None) -> None:
    """Set (or list) a catalog's astrometric-frame error, used in its positional errors.

    Example: xcat astrometry csc --sigma 0.4875arcsec --reference "HST/ACS F555W"
    """
    from astropy.table import Table

    with _open(ctx) as store:
        if catalog and sigma:
            store.set_astrometric_frame(catalog, sigma, reference=reference, note=note)
        elif catalog or sigma:
            raise XcatError("give both CATALOG and --sigma to set a frame error")
        df = store.astrometric_frames()
        df["set_at"] = df["set_at"].astype(str)
        emit(write_rows(Table.from_pandas(df.fillna("")), fmt, out))


@cli.command()
@click.pass_context
def verify(ctx: click.Context) -> None:
    """Run the store audits (keys, coordinates, fluxes, registry vs disk).

    Example: xcat verify
    """
    from xcat.verify import run_audits

    with _open(ctx) as store:
        results = run_audits(store)
    bad = [r for r in results if not r.ok]
    for r in results:
        emit(f"{'ok  ' if r.ok else 'FAIL'} {r.catalog:<24} {r.audit:<26} "
             f"{'' if r.ok else f'{r.n_bad} bad, e.g. {r.examples}'}")
    emit(f"{len(results) - len(bad)} passed, {len(bad)} failed")
    if bad:
        sys.exit(1)


@cli.command()
@click.pass_context
def demo(ctx: click.Context) -> None:
    """Load the SIMULATED demo field, then show a cone search and an SQL query.

    Example: xcat demo
    """
    from xcat.demo_job import run_demo

    for block in run_demo(ctx.obj["store"]):
        emit(block)


def main() -> None:
    """Entry point of the ``xcat`` command."""
    import warnings

    from astropy.units import UnitsWarning

    warnings.filterwarnings("ignore", category=UnitsWarning)
    cli()


if __name__ == "__main__":
    main()
