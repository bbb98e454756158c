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


@ingest.command("csc")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--name", default="csc", show_default=True, help="Catalog name.")
@click.option("--replace", is_flag=True, help="Replace a catalog of this name from another source.")
@click.pass_context
def ingest_csc(ctx: click.Context, file: Path, name: str, replace: bool) -> None:
    """Load a CSC export (CSCview VOTable, TAP VOTable, CSC CLI CSV).

    Example: xcat ingest csc ../shared/data/csc_m101_xrbid/cscresults_M101.vot
    """
    from xcat.ingest import ingest_path

    for line in ingest_path(ctx.obj["store"], file, kind="csc", name=name, replace=replace,
                            progress=True):
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
