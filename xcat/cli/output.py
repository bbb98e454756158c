"""Output commands: ``xcat sample``, ``xcat export``, ``xcat regions``, ``xcat plot``,
``xcat report``: results for papers and dashboards. Tables go through the one writer,
:func:`xcat.output.tables.write_table`.
"""

from __future__ import annotations

import click

from xcat.cli.app import cli, emit, open_store, rows_options, show
from xcat.output import FORMATS


def _params(param: tuple[str, ...]) -> dict:
    from xcat.store.sql import parse_params

    return parse_params(param)


@cli.command()
@click.argument("name", required=False)
@click.option("--list", "list_", is_flag=True, help="List the saved samples.")
@click.option("-p", "--param", multiple=True, help="Sample parameter NAME=VALUE.")
@rows_options
@click.pass_context
def sample(ctx: click.Context, name: str | None, list_: bool, param: tuple[str, ...],
           fmt: str, out: str | None) -> None:
    """Run a saved sample (queries/saved/*.sql, <store>/samples/, $XCAT_SAMPLE_DIRS).

    Example: xcat sample snr_candidates --param host=M101
    """
    from xcat.output.samples import list_samples, run_sample

    with open_store(ctx) as store:
        if list_ or not name:
            rows = [{"name": s.name, "title": s.title,
                     "parameters": ", ".join(
                         f"{p}={s.defaults[p]}" if p in s.defaults else p for p in s.params),
                     "file": str(s.path)} for s in list_samples(store.path)]
            show(rows, fmt, out)
            return
        from xcat.output.select import limit_confidence

        rows = run_sample(store, name, _params(param), output="astropy")
        conf = limit_confidence(store)  # said beside "<" upper limits and in file metadata
        if conf is not None:
            rows.meta["limit_conf"] = conf
        show(rows, fmt, out)


@cli.command()
@click.argument("sample", required=False)
@click.option("--sql", "query", default=None, help="Export this query instead of a sample.")
@click.option("-p", "--param", multiple=True, help="Parameter NAME=VALUE.")
@click.option("--format", "fmt", required=True,
              type=click.Choice([f for f in FORMATS if f != "table"]), help="File format.")
@click.option("-o", "--output", "out", required=True, help="Output file.")
@click.option("--caption", default=None, help="LaTeX caption (default: the sample's title).")
@click.pass_context
def export(ctx: click.Context, sample: str | None, query: str | None, param: tuple[str, ...],
           fmt: str, out: str, caption: str | None) -> None:
    """Write a sample or query as FITS, VOTable, ECSV, CSV, JSON, Parquet, HTML or an
    AASTeX table, keeping units, UCDs and descriptions where the format can hold them.

    Example: xcat export snr_candidates -p host=M101 --format latex -o snr.tex
    """
    from xcat.output.select import select_rows
    from xcat.output.tables import write_table

    with open_store(ctx) as store:
        table, default_caption = select_rows(store, sample, query, _params(param))
        write_table(table, fmt, out, caption=caption or default_caption, max_rows=len(table))
    emit(f"wrote {len(table)} rows to {out}")


@cli.command()
@click.argument("sample", required=False)
@click.option("--sql", "query", default=None, help="Sources from this query (needs ra, dec, "
              "name and the radius or ellipse columns, e.g. SELECT * FROM xray_sources).")
@click.option("-p", "--param", multiple=True, help="Parameter NAME=VALUE.")
@click.option("--shape", type=click.Choice(["r68", "r95", "ellipse"]), default="r95",
              show_default=True, help="1-sigma (68%) or 2-sigma (95%) circles, or ellipses.")
@click.option("--counterparts", default=None,
              help="SQL giving counterpart points (ra, dec, optional label).")
@click.option("-o", "--output", "out", required=True, help="Region file to write.")
@click.pass_context
def regions(ctx: click.Context, sample: str | None, query: str | None, param: tuple[str, ...],
            shape: str, counterparts: str | None, out: str) -> None:
    """Write DS9 regions: sources as error circles/ellipses, counterparts as points.

    Example: xcat regions --sql "SELECT * FROM xray_sources" --shape r95 -o m101.reg
    """
    from xcat.output.regions import with_error_columns, write_regions
    from xcat.output.select import select_rows

    with open_store(ctx) as store:
        table, _ = select_rows(store, sample, query, _params(param))
        rows = with_error_columns(store, table, shape)  # samples lack r68 / ellipse columns
        cps = store.sql(counterparts, output="pandas") if counterparts else None
        n = write_regions(rows, out, shape=shape, counterparts=cps)
    emit(f"wrote {n} regions to {out}")


@cli.command()
@click.argument("figure", type=click.Choice(["hr-lx", "hr-hr", "xlf", "sky",
                                             "coverage", "lognlogs", "lightcurve"]))
@click.argument("sample", required=False)
@click.option("--catalog", default=None, help="lightcurve: catalog of the source when its "
              "key is in several.")
@click.option("--host", default=None, help="Draw the sources of this host.")
@click.option("--sql", "query", default=None, help="Draw the rows of this query.")
@click.option("-p", "--param", multiple=True, help="Sample parameter NAME=VALUE.")
@click.option("-o", "--output", "out", required=True, help="Figure file (.png or .pdf).")
@click.option("--band", default=None, help="coverage, lognlogs, xlf --corrected: the "
              "sensitivity maps' band (b, s, m, h, u or 0.5-2keV).")
@click.option("--region", default=None, help="coverage, lognlogs: a cone 'RA DEC RADIUS'.")
@click.option("--corrected", is_flag=True, help="xlf: also the XLF corrected for "
              "completeness with the host's sky coverage (needs --host and --band).")
@click.pass_context
def plot(ctx: click.Context, figure: str, sample: str | None, catalog: str | None,
         host: str | None, query: str | None, param: tuple[str, ...], out: str,
         band: str | None, region: str | None, corrected: bool) -> None:
    """Draw a standard figure: hr-lx, hr-hr, xlf or sky; coverage (Omega(>F)) or
    lognlogs from the sensitivity maps ('xcat coverage add'); lightcurve SOURCE (its
    flux history in the common band, as 'xcat lightcurve').

    Example: xcat plot hr-lx --host M101 -o m101_hr_lx.pdf

    Example: xcat plot lightcurve "2CXO J110507.4-585105" -o lc.png
    """
    from xcat.output.figures import make_figure

    if figure == "lightcurve":
        if not sample:
            raise click.UsageError("plot lightcurve needs the source: "
                                   'xcat plot lightcurve "2CXO J..." -o lc.png')
        from xcat.output.lightcurve import lightcurve, save
        from xcat.science.variability import history

        with open_store(ctx) as store:
            rows = history(store, sample, catalog)
        emit(f"wrote {save(lightcurve(rows, sample, ''), out)}")
        return

    if figure in ("coverage", "lognlogs") or (figure == "xlf" and corrected):
        from xcat.cli.coverage import draw_figure

        draw_figure(ctx, figure, out, band=band, host=host, region=region, sql=query)
        return
    with open_store(ctx) as store:
        path = make_figure(store, figure, out, host=host, sample=sample, sql=query,
                           params=_params(param))
    emit(f"wrote {path}")


@cli.command()
@click.option("--host", required=True, help="Host galaxy (any alias).")
@click.option("-o", "--output", "out", required=True, help="HTML file to write.")
@click.pass_context
def report(ctx: click.Context, host: str, out: str) -> None:
    """Write one self-contained HTML page for a host: classes, figures, samples.

    Example: xcat report --host M101 -o m101_report.html
    """
    from xcat.output.report import build_report

    with open_store(ctx) as store:
        path = build_report(store, host, out)
    emit(f"wrote {path}")
