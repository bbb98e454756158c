"""``xcat ingest table`` (on this machine, or through hats-import on a Dask cluster with
``--engine dask``) and ``xcat ingest hats`` (an existing HATS catalog, registered in place).
"""

from __future__ import annotations

from pathlib import Path

import click

from xcat.cli.app import emit

#: A file argument: existence and kind are checked by the readers, so that a directory
#: or a missing file is one ``xcat: error:`` line, like any other bad input.
FILE = click.Path(path_type=Path)

invalid_option = click.option(
    "--invalid-as-null", is_flag=True, help="Store negative, infinite or non-numeric "
    "energy fluxes and positional errors as NULL (with a warning) instead of refusing "
    "the file.")


def run_job(ctx: click.Context, job, *, replace: bool = False, dry_run: bool = False) -> None:
    """Run an ingest job into the store of the command line and print its lines."""
    from xcat.jobs.runner import run

    for line in run(ctx.obj["store"], job, replace=replace, progress=True, dry_run=dry_run,
                    wait=ctx.obj["wait"]):
        emit(line)


def run_file(ctx: click.Context, kind: str, replace: bool, **options) -> None:
    """Run the file ingest of ``kind`` (:class:`xcat.jobs.file.FileJob`)."""
    from xcat.jobs.file import FileJob

    run_job(ctx, FileJob(kind=kind, **options), replace=replace)


@click.command("table")
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
@invalid_option
@click.option("--margin", default=None, help="Margin-cache threshold with a unit (60arcsec): "
              "the largest radius cross-matches against this catalog may use (default 3x "
              "its largest positional error, at least 10arcsec).")
@click.option("--partition-rows", "max_rows", type=int, default=None,
              help="Most rows per HATS partition (default 1000000).")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local",
              show_default=True, help="dask: build the catalog with hats-import's pipeline "
              "on a Dask cluster (inputs too large for one machine; CSV or Parquet, several "
              "files or globs).")
@click.option("--scheduler", default=None, help="--engine dask: address of a running Dask "
              "scheduler (tcp://host:8786); the store must be on storage its workers share.")
@click.option("--workers", type=int, default=None, help="--engine dask: worker processes of "
              "the local cluster started for the ingest (default 2).")
@click.pass_context
def table_command(ctx: click.Context, files: tuple[Path, ...], replace: bool,
                 max_rows: int | None, engine: str, scheduler: str | None,
                 workers: int | None, **options) -> None:
    """Load any VOTable/FITS/CSV/ECSV/Parquet table with positions.

    Example: xcat ingest table cif20.Mother.v01.csv --name carmenes --key Karmn

    Example: xcat ingest table gaia_field.parquet --name gaia --margin 30arcsec

    Example: xcat ingest table 'gaia/*.csv.gz' --name gaia --key source_id --engine dask
    --workers 8
    """
    if engine == "dask":
        from xcat.errors import XcatError
        from xcat.jobs.hats_import_job import HatsImportJob

        unused = [o for o, v in (("--map", options["mapping"]), ("--pos-err", options["pos_err"]),
                                 ("--format", options["fmt"]),
                                 ("--invalid-as-null", options.get("invalid_as_null")))
                  if v]
        if unused:
            raise XcatError(f"{', '.join(unused)}: not with --engine dask (hats-import reads "
                            "the columns as they are)")
        job = HatsImportJob(tuple(str(f) for f in files), name=options["name"],
                            ra=options["ra"], dec=options["dec"], key=options["key"],
                            margin=options["margin"], scheduler=scheduler, workers=workers,
                            **({"max_rows": max_rows} if max_rows else {}))
        run_job(ctx, job, replace=replace)
        return
    if scheduler is not None or workers is not None:
        from xcat.errors import XcatError

        raise XcatError("--scheduler and --workers apply to --engine dask")
    if len(files) > 1:
        from xcat.errors import XcatError

        raise XcatError("one FILE at a time (several files or globs: --engine dask)")
    run_file(ctx, "table", replace, file=files[0], **options,
              **({"max_rows": max_rows} if max_rows else {}))


@click.command("hats")
@click.argument("path", type=FILE)
@click.option("--name", required=True, help="Catalog name in the store.")
@click.option("--key", default=None, help="Unique source key column (default: the one "
              "unique id/name column).")
@click.option("--margin", "margin", type=FILE, default=None, help="Its margin catalog "
              "(default: the collection's, or a <name>* margin catalog beside it).")
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

    run_job(ctx, RegisterHatsJob(path, name=name, key=key, margin=margin), replace=replace)
