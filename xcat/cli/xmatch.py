"""Cross-match commands: ``xcat xmatch LEFT RIGHT`` matches and records a run,
``xcat xmatch-runs`` lists runs, ``xcat xmatch-pairs RUN`` prints a run's pairs, ``xcat
margin CATALOG`` rebuilds a catalog's margin cache.

The work is in :mod:`xcat.xmatch.match` and :mod:`xcat.catalog.runs`.
"""

from __future__ import annotations

import click

from xcat.cli.app import cli, log, open_store, rows_options, show


@cli.command()
@click.argument("left")
@click.argument("right")
@click.option("--radius", default=None, help="Fixed match radius with a unit (3arcsec).")
@click.option("--sigma", type=float, default=None,
              help="Match within K combined 1-sigma errors of each pair (e.g. 2).")
@click.option("--radius-column", default=None,
              help="Per-source radius column of LEFT, any column of its table (pos_err_r95, "
              "err_ellipse_r0; converted from its unit, none = arcsec).")
@click.option("--ellipse", is_flag=True,
              help="With --sigma: test in the CSC error ellipse (orientation used).")
@click.option("--nearest", is_flag=True, help="Keep only each left source's nearest pair.")
@click.option("--best", is_flag=True, help="Keep only mutual nearest pairs.")
@click.option("--left-err", default=None,
              help="1-sigma error of LEFT: a column, or an angle (0arcsec = exact positions).")
@click.option("--right-err", default=None,
              help="1-sigma error of RIGHT: a column, or an angle (0arcsec = exact positions).")
@click.option("--annulus", default=None,
              help="Density annulus INNER,OUTER (default max(10\",2R),max(60\",10R)).")
@click.option("--density", "density", default=None,
              help="Field density of RIGHT for p_chance/LR (0.67/arcsec2), or 'annulus' to "
              "measure it around each source even where RIGHT looks truncated.")
@click.option("--density-from", default=None,
              help="Measure the density as the rows of this catalog inside --area.")
@click.option("--area", default=None,
              help="With --density-from: a DS9 region file or 'RA DEC RADIUS'.")
@click.option("--no-density", is_flag=True, help="Skip densities and chance probabilities.")
@click.option("--lr", is_flag=True, help="Add likelihood ratios and association "
              "probabilities (p_i, p_any).")
@click.option("--completeness", type=float, default=0.9, show_default=True,
              help="With --lr: fraction of LEFT sources expected to have a counterpart.")
@click.option("--name", default=None, help="Run name (default LEFT_x_RIGHT); replaces a "
              "run of that name.")
@click.option("--no-record", is_flag=True, help="Print the pairs without storing a run.")
@click.option("--threads", type=int, default=None,
              help="Partitions matched at once (default: every core).")
@click.option("--max-pairs", type=int, default=None,
              help="Stop with an error when the match finds more pairs (default 50000000).")
@click.option("--engine", default="local", show_default=True,
              help="local (a thread pool) or dask (the partitions as Dask tasks).")
@click.option("--scheduler", default=None,
              help="With --engine dask: a running scheduler (tcp://host:8786).")
@click.option("--workers", type=int, default=None,
              help="With --engine dask: worker processes of a local cluster (default 2).")
@rows_options
@click.pass_context
def xmatch(ctx: click.Context, left: str, right: str, radius: str | None, sigma: float | None,
           radius_column: str | None, ellipse: bool, nearest: bool, best: bool,
           left_err: str | None, right_err: str | None, annulus: str | None,
           density: str | None, density_from: str | None, area: str | None,
           no_density: bool, lr: bool, completeness: float, name: str | None, no_record: bool,
           threads: int | None, max_pairs: int | None, engine: str, scheduler: str | None,
           workers: int | None, fmt: str, out: str | None) -> None:
    """Cross-match LEFT against RIGHT and record the pairs as a run.

    Example: xcat xmatch csc hst_f555w --sigma 2 --right-err 0arcsec --name csc_x_hst

    With --sigma both catalogs need 1-sigma errors (X-ray catalogs have them); give
    --right-err 0arcsec to take a list without errors as exact. --sigma 2 with CSC is a
    circle of 2 x 0.40854 r95 (~86% of true counterparts), not XRBID's 95% "2-sigma"
    radius (--radius-column pos_err_r95).

    --engine dask runs the partitions on a Dask cluster (a local one of --workers
    processes, or --scheduler ADDRESS); the store must be on storage the workers share.
    """
    from xcat.xmatch.dask_units import scheduler_for
    from xcat.xmatch.match import XmatchOptions, arcsec, parse_annulus
    from xcat.xmatch.match import xmatch as run_xmatch

    opts = XmatchOptions(radius=arcsec(radius) if radius else None, sigma=sigma,
                         radius_column=radius_column, ellipse=ellipse, nearest=nearest,
                         best=best, left_err=left_err, right_err=right_err,
                         annulus=parse_annulus(annulus),
                         density=False if no_density else density or True,
                         density_from=density_from, density_area=area, lr=lr,
                         completeness=completeness, threads=threads, max_pairs=max_pairs)
    opts.validate()  # before a cluster is started
    with open_store(ctx) as store, \
            scheduler_for(store.path, engine, None, scheduler, workers) as units:
        opts.scheduler = units
        res = run_xmatch(store, left, right, opts, name=name, record=not no_record)
    n_left = len(set(res.pairs.column("left_key").to_pylist()))
    log.info("%s: %d pairs, %d %s sources matched%s", res.name, res.pairs.num_rows, n_left,
             left, f" (run {res.run_id})" if res.run_id is not None else "")
    show(res.pairs, fmt, out)


@cli.command("xmatch-runs")
@rows_options
@click.pass_context
def xmatch_runs(ctx: click.Context, fmt: str, out: str | None) -> None:
    """List recorded cross-match runs, newest first.  Example: xcat xmatch-runs"""
    from xcat.catalog.runs import list_runs

    with open_store(ctx) as store:
        t = list_runs(store)
    show(t, fmt, out)


@cli.command("xmatch-pairs")
@click.argument("run")
@rows_options
@click.pass_context
def xmatch_pairs(ctx: click.Context, run: str, fmt: str, out: str | None) -> None:
    """Print the pairs of the run called RUN.  Example: xcat xmatch-pairs csc_x_hst"""
    from xcat.catalog.runs import run_pairs

    with open_store(ctx) as store:
        t = run_pairs(store, run)
    show(t, fmt, out)


@cli.command("margin")
@click.argument("catalog")
@click.option("--threshold", required=True,
              help="Margin width with a unit (60arcsec): the largest radius (or density "
                   "annulus) a cross-match against CATALOG may use while reading it "
                   "partition by partition.")
@click.pass_context
def margin(ctx: click.Context, catalog: str, threshold: str) -> None:
    """Rebuild the margin cache of CATALOG (the rows near each partition's edge).

    Example: xcat margin gaia --threshold 60arcsec
    """
    from xcat.catalog.margin import rebuild_margin
    from xcat.xmatch.match import arcsec

    with open_store(ctx) as store:
        info = rebuild_margin(store, catalog, arcsec(threshold))
    log.info("%s: margin cache of %g arcsec, %d rows in %d partitions", catalog,
             info.threshold_arcsec, info.n_rows, info.n_partitions)
