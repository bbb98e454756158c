"""``xcat ingest <kind> FILE`` for counterpart catalogs and computed products (issue 4),
and ``xcat products`` (the products registry).
"""

from __future__ import annotations

from pathlib import Path

import click

from xcat.cli.app import cli, open_store, rows_options
from xcat.cli.ingest import ingest
from xcat.output.formats import emit, write_rows

FILE = click.Path(dir_okay=False, path_type=Path)


def _product_options(f):
    """Options shared by every product ingest."""
    for opt in reversed([
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
                     "from another file."),
    ]):
        f = opt(f)
    return f


def _run(ctx: click.Context, file: Path, kind: str, **options) -> None:
    from xcat.jobs.products.ingest import ingest_product

    for line in ingest_product(ctx.obj["store"], file, kind=kind, **options):
        emit(line)


@ingest.command("product")
@click.argument("file", type=FILE)
@click.option("--kind", "kind", required=True, type=click.Choice(
    ["generic", "srcflux", "spectral_fit", "snr", "rates", "classification", "xrbid"]),
    help="What the table holds.")
@_product_options
@click.option("--source-column", default=None, help="spectral_fit: the source-name column.")
@click.option("--band", default=None, help="srcflux: band (broad, soft, ... or EMIN:EMAX).")
@click.option("--conf", type=float, default=None, help="srcflux: confidence level (0.9).")
@click.pass_context
def ingest_product_cmd(ctx: click.Context, file: Path, kind: str, **options) -> None:
    """Load any computed product table, linked to sources by --key or --radius.

    Example: xcat ingest product M101_csc_bestrads.frame --kind xrbid --key "CSC ID"

    Example: xcat ingest product TD.csv --kind classification --radius 1arcsec --ra RA --dec DEC
    """
    _run(ctx, file, kind, **options)


@ingest.command("xrbid")
@click.argument("file", type=FILE)
@_product_options
@click.pass_context
def ingest_xrbid(ctx: click.Context, file: Path, **options) -> None:
    """Load an XRBID product (.frame) keyed by "CSC ID" (bestrads, daoclean matches, notes).

    Example: xcat ingest xrbid M101_daoclean_matches.frame --key "CSC ID" --catalog csc
    """
    _run(ctx, file, "xrbid", **options)


@ingest.command("classification")
@click.argument("file", type=FILE)
@_product_options
@click.pass_context
def ingest_classification(ctx: click.Context, file: Path, **options) -> None:
    """Load a classification table (MUWCLASS class probabilities, XRBID notes).

    Example: xcat ingest classification NGC3532_class.csv --key name --catalog csc_ngc3532
    """
    _run(ctx, file, "classification", **options)


@ingest.command("snr")
@click.argument("file", type=FILE)
@_product_options
@click.pass_context
def ingest_snr(ctx: click.Context, file: Path, **options) -> None:
    """Load a signal-to-noise table (per source and region/radius, XGA style).

    Example: xcat ingest snr xga_snr.csv --key name --catalog csc
    """
    _run(ctx, file, "snr", **options)


@ingest.command("rates")
@click.argument("file", type=FILE)
@_product_options
@click.pass_context
def ingest_rates(ctx: click.Context, file: Path, **options) -> None:
    """Load a count-rate/exposure table.

    Example: xcat ingest rates rates.csv --radius 2arcsec --ra RA --dec DEC
    """
    _run(ctx, file, "rates", **options)


@ingest.command("srcflux")
@click.argument("file", type=FILE)
@_product_options
@click.option("--band", default=None, help="Band (broad, soft, medium, hard, ultrasoft, "
              "wide or EMIN:EMAX); default from <root>_<band>.flux.")
@click.option("--conf", type=float, default=None, help="Confidence of the bounds (0.9).")
@click.pass_context
def ingest_srcflux(ctx: click.Context, file: Path, **options) -> None:
    """Load CIAO srcflux output (<root>_<band>.flux), linked by position (default 1arcsec).

    Example: xcat ingest srcflux m101_broad.flux --catalog csc --radius 1arcsec
    """
    _run(ctx, file, "srcflux", **options)


@ingest.command("spectral-fit")
@click.argument("file", type=FILE)
@_product_options
@click.option("--source-column", default=None, help="The source-name column "
              "(default: --key, else the first text column).")
@click.option("--models", default=None, help="Only these models (comma-separated).")
@click.pass_context
def ingest_spectral_fit(ctx: click.Context, file: Path, models: str | None,
                        **options) -> None:
    """Load a spectral-fit results table (bbody_kT, powerlaw_PhoIndex, _err-/_err+, ...).

    Stored long-form (source, model, parameter, value, lower, upper, error_ok,
    fit_statistic) with a one-row-per-source view <name>_wide.

    Example: xcat ingest spectral-fit rass_fits.csv --key Karmn --catalog carmenes
    """
    chosen = tuple(m.strip() for m in models.split(",")) if models else ()
    _run(ctx, file, "spectral_fit", models=chosen, **options)


@cli.command()
@rows_options
@click.pass_context
def products(ctx: click.Context, fmt: str, out: str | None) -> None:
    """List computed products: kind, rows, link rule, linked/unlinked, source, sha256.

    Example: xcat products
    """
    from astropy.table import Table

    from xcat.jobs.products.install import list_products

    with open_store(ctx) as store:
        df = list_products(store)
        df["created"] = df["created"].astype(str)
        emit(write_rows(Table.from_pandas(df.fillna("")), fmt, out))


from xcat.cli import ingest_counterparts  # noqa: E402,F401  (registers the counterpart ingests)
