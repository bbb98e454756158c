"""``xcat products``: computed products (no subcommand), and data products per source:
``list``, ``find``, ``fetch`` and ``use`` (:mod:`xcat.jobs.source_products`).

This group takes the place of the plain ``xcat products`` command of
:mod:`xcat.cli.ingest` (imported before this module): without a subcommand it lists
the computed products as that command did, with the same options.
"""

from __future__ import annotations

import click

from xcat.cli.app import cli, emit, open_store, rows_options, show

_catalog = click.option("--catalog", default="csc", show_default=True,
                        help="Catalog the source belongs to.")
_types = click.option("--type", "types", default=None,
                      help="Product types, comma-separated: lc, pha, arf, rmf, region, "
                           "sensmap, evt, image, psf, expmap, ... (the CSC's own names "
                           "such as lightcurve, spectrum work too; default all).")
_service = click.option("--service", default=None,
                        help="Services-config entry of the product service (default: "
                             "csc21_datalink when configured, else csc21_archive, the "
                             "CSC archive's file interface).")

@cli.group("products", invoke_without_command=True)
@rows_options
@click.pass_context
def products(ctx: click.Context, fmt: str, out: str | None) -> None:
    """Computed products (without a subcommand), and data products per source.

    Example: xcat products

    Example: xcat products fetch "2CXO J140312.5+542056" --type lc,pha
    """
    if ctx.invoked_subcommand is not None:
        return
    from xcat.jobs.products.install import list_products

    with open_store(ctx) as store:
        show(list_products(store), fmt, out)


@products.command("list")
@click.argument("source")
@_catalog
@_types
@rows_options
@click.pass_context
def products_list(ctx: click.Context, source: str, catalog: str, types: str | None,
                  fmt: str, out: str | None) -> None:
    """Product links recorded for a source (no network): type, band, obsid, file, and the
    fetched file's path and SHA-256 (every column, URL included, with --format).

    Example: xcat products list "2CXO J140312.5+542056" --type lc
    """
    from xcat.jobs.source_products import brief, list_links
    from xcat.remote.datalink import parse_types

    with open_store(ctx) as store:
        rows = list_links(store, source, catalog=catalog, types=parse_types(types))
    show(brief(rows) if fmt == "table" and not out else rows, fmt, out)


@products.command("find")
@click.argument("source")
@_catalog
@_types
@_service
@rows_options
@click.pass_context
def products_find(ctx: click.Context, source: str, catalog: str, types: str | None,
                  service: str | None, fmt: str, out: str | None) -> None:
    """Ask the product service (DataLink) for a source's files and record the links.

    Example: xcat products find "2CXO J140312.5+542056" --type lc,pha
    """
    from xcat.jobs.source_products import brief, find_products
    from xcat.remote.datalink import parse_types

    with open_store(ctx) as store:
        found = find_products(store, source, catalog=catalog, types=parse_types(types),
                              service=service)
    for line in found.lines:
        click.echo(f"xcat: {line}", err=True)
    show(brief(found.rows) if fmt == "table" and not out else found.rows, fmt, out)


@products.command("fetch")
@click.argument("source")
@_catalog
@_types
@_service
@click.pass_context
def products_fetch(ctx: click.Context, source: str, catalog: str, types: str | None,
                   service: str | None) -> None:
    """Download a source's product files into the store's products/ folder, checksummed.

    An interrupted download resumes where it stopped on the next run; a file already
    fetched is not downloaded again. Links are found first when none is recorded.

    Example: xcat products fetch "2CXO J140312.5+542056" --type lc,pha
    """
    from xcat.jobs.source_products import fetch_products
    from xcat.remote.datalink import parse_types

    with open_store(ctx) as store:
        lines = fetch_products(store, source, catalog=catalog, types=parse_types(types),
                               service=service)
    emit("\n".join(lines))


@products.command("use")
@click.argument("product")
@click.option("--from-product", "product_id", type=int, required=True,
              help="The fetched file's id (product_id in 'xcat products list SOURCE').")
@click.option("--note", default=None, help="Free text (how the fit was made).")
@click.pass_context
def products_use(ctx: click.Context, product: str, product_id: int, note: str | None) -> None:
    """Record that a computed product (srcflux, spectral fit, ...) was made from a fetched
    file, so source -> file (SHA-256) -> fit is queryable (view source_product_provenance).

    Example: xcat products use src_fit --from-product 3 --note "xspec tbabs*powerlaw"
    """
    from xcat.jobs.source_products import record_use

    with open_store(ctx) as store:
        emit(record_use(store, product, product_id, note))
