"""``xcat ingest hats`` (an existing HATS catalog, registered in place) and the
``--engine dask`` options of ``xcat ingest table`` (hats-import's pipeline on a Dask
cluster), used by :mod:`xcat.cli.ingest`.
"""

from __future__ import annotations

from pathlib import Path

import click

from xcat.cli.app import emit, stacked
from xcat.errors import XcatError
from xcat.jobs.base import Job

invalid_option = click.option(
    "--invalid-as-null", is_flag=True, help="Store negative, infinite or non-numeric "
    "energy fluxes and positional errors as NULL (with a warning) instead of refusing "
    "the file.")

dask_options = stacked(
    click.option("--engine", type=click.Choice(["local", "dask"]), default="local",
                 show_default=True, help="dask: build the catalog with hats-import's "
                 "pipeline on a Dask cluster (inputs too large for one machine; CSV or "
                 "Parquet, several files or globs)."),
    click.option("--scheduler", default=None, help="--engine dask: address of a running "
                 "Dask scheduler (tcp://host:8786); the store must be on storage its "
                 "workers share."),
    click.option("--workers", type=int, default=None, help="--engine dask: worker "
                 "processes of the local cluster started for the ingest (default 2)."))


def dask_table_job(files: tuple[Path, ...], max_rows: int | None, options: dict) -> Job | None:
    """The hats-import job of ``ingest table --engine dask`` (None for ``--engine local``;
    pops the dask options from ``options``).
    """
    from xcat.jobs.hats_import_job import HatsImportJob

    engine, scheduler, workers = (options.pop(k) for k in ("engine", "scheduler", "workers"))
    if engine != "dask":
        if scheduler is not None or workers is not None:
            raise XcatError("--scheduler and --workers apply to --engine dask")
        if len(files) > 1:
            raise XcatError("one FILE at a time (several files or globs: --engine dask)")
        return None
    unused = [o for o, v in (("--map", options["mapping"]), ("--pos-err", options["pos_err"]),
                             ("--format", options["fmt"]),
                             ("--invalid-as-null", options.get("invalid_as_null"))) if v]
    if unused:
        raise XcatError(f"{', '.join(unused)}: not with --engine dask (hats-import reads "
                        "the columns as they are)")
    return HatsImportJob(tuple(str(f) for f in files), name=options["name"],
                         ra=options["ra"], dec=options["dec"], key=options["key"],
                         margin=options["margin"], scheduler=scheduler, workers=workers,
                         **({"max_rows": max_rows} if max_rows else {}))


def _run(ctx: click.Context, job: Job, *, replace: bool) -> None:
    from xcat.jobs.runner import run

    for line in run(ctx.obj["store"], job, replace=replace, progress=True,
                    wait=ctx.obj["wait"]):
        emit(line)


@click.command("hats")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--name", required=True, help="Catalog name in the store.")
@click.option("--key", default=None, help="Unique source key column (default: the one "
              "unique id/name column).")
@click.option("--margin", "margin", type=click.Path(path_type=Path), default=None,
              help="Its margin catalog (default: the collection's, or a <name>* margin "
              "catalog beside it).")
@click.option("--replace", is_flag=True, help="Replace a catalog of this name.")
@click.pass_context
def hats_command(ctx: click.Context, path: Path, name: str, key: str | None,
                margin: Path | None, replace: bool) -> None:
    """Register an existing HATS catalog (or collection) without copying it.

    xcat reads its files where they are and never moves or removes them; `xcat verify`
    says when they are gone. Cone, SQL, cross-match and LSDB work on it as on any catalog.

    Example: xcat ingest hats ~/hats/gaia_dr3 --name gaia --key source_id
    """
    from xcat.jobs.hats_import_job import RegisterHatsJob

    _run(ctx, RegisterHatsJob(path, name=name, key=key, margin=margin), replace=replace)
