"""The ``xcat`` group, its shared options (``--store``, ``-v``/``-q``, ``--format``/``-o``),
the one row renderer (:func:`show`), and the store-level commands (init, catalogs, cone,
sql, astrometry, verify, demo).
"""

from __future__ import annotations

import logging
import os
import re
import sys
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from xcat.errors import XcatError
from xcat.output import FORMATS
from xcat.version import __version__

STORE_HELP = "Store directory (default $XCAT_STORE or ./xcat-store)."
#: ``xcat demo``'s own store when no --store is given: simulated rows stay out of yours.
DEMO_STORE = "xcat-demo-store"
#: The CLI's own notes (``xcat: ...`` on stderr, hidden by ``-q``).
log = logging.getLogger("xcat.cli")


def open_store(ctx: click.Context, create: bool = False):
    """Open the store named by ``--store`` / ``$XCAT_STORE`` as the user's ``Store``.

    The handle holds no lock until a command reads (a shared read lock) or writes (the
    write lock, for its transaction only); ``--wait`` says how long to wait for a busy
    store.
    """
    from xcat.api import Store

    return Store.open(ctx.obj["store"], create=create, wait=ctx.obj["wait"])


def open_database(ctx: click.Context):
    """Open the store's floor only (``Database``: SQL in, Arrow out), for commands that
    need nothing above it; it loads in a fraction of the time ``Store`` takes.
    """
    from xcat.store.db import Database

    return Database.open(ctx.obj["store"], wait=ctx.obj["wait"])


def emit(text: str) -> None:
    """Print text to stdout (without an extra newline when it ends with one)."""
    if text:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def show(rows: Any, fmt: str = "table", out: str | None = None, *, max_rows: int = 50) -> None:
    """Print rows in ``fmt``, or write them to the file ``out``.

    Every command that prints rows goes through here. ``rows`` is an astropy Table, a
    DataFrame, a pyarrow Table or a list of dicts (see :func:`xcat.output.tables.write_table`).
    """
    from xcat.output.tables import write_table

    if fmt != "table" and type(rows).__module__.startswith("pyarrow"):
        from xcat.output.terminal import flatten_nested

        rows = flatten_nested(rows)  # STRUCT/MAP/LIST as JSON text: every format holds it
    emit(write_table(rows, fmt, out, max_rows=max_rows))


def stacked(*decorators):
    """Apply click decorators so that they list in the order given."""
    def apply(f):
        for d in reversed(decorators):
            f = d(f)
        return f
    return apply


def rows_options(f):
    """Add ``--format`` and ``-o/--output`` to a command that prints rows."""
    f = click.option("-o", "--output", "out", default=None, help="Write to FILE.")(f)
    return click.option("--format", "fmt", type=click.Choice(FORMATS), default="table",
                        show_default=True, help="Output format.")(f)


class _EchoHandler(logging.Handler):
    """``xcat: <message>`` on the current stderr (looked up per record, as click does)."""

    def emit(self, record: logging.LogRecord) -> None:
        where = "" if record.name.startswith("xcat") else f"[{record.name}] "
        click.echo(f"xcat: {where}{record.getMessage()}", err=True)


def configure_logging(verbose: int = 0, quiet: bool = False) -> None:
    """Send the ``xcat`` logger to stderr as ``xcat: <message>``.

    Notes (INFO) by default; ``-v`` adds DEBUG, ``-vv`` other libraries' DEBUG too; ``-q``
    errors only. The handler is installed once, however often this runs.
    """
    level = logging.ERROR if quiet else logging.DEBUG if verbose else logging.INFO
    logger = logging.getLogger("xcat")
    logger.setLevel(level)
    logger.propagate = False
    handler = next((h for h in logger.handlers if isinstance(h, _EchoHandler)), None)
    if handler is None:
        handler = _EchoHandler()
        logger.addHandler(handler)
    root = logging.getLogger()
    if verbose >= 2 and not quiet:
        root.setLevel(logging.DEBUG)
        if handler not in root.handlers:
            root.addHandler(handler)
    elif handler in root.handlers:
        root.removeHandler(handler)


#: A token that is a value, not an option, although it starts with "-": a negative
#: number or sexagesimal angle (-58.75, -58:45:00, -58d45m, -.5, -1e-3).
NEGATIVE_VALUE = re.compile(r"^-(\d|\.\d)")


class XcatCommand(click.Command):
    """A command whose positional arguments may start with ``-`` when they are numbers or
    angles (``xcat cone csc_ngc3532 166.4 -58.75 1arcmin``), with options in any order.

    Before click parses, options (with the values they take) are moved in front and the
    positional tokens, in their order, behind a ``--``, so that ``-58.75`` is never read
    as the option ``-5``. An option's own value (``--dec -58.75``) stays with it.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Options first, then ``--`` and the positional tokens; then click's parser."""
        takes: dict[str, int] = {}
        for p in self.get_params(ctx):
            if isinstance(p, click.Option):
                n = 0 if (p.is_flag or p.count) else p.nargs
                takes.update(dict.fromkeys([*p.opts, *p.secondary_opts], n))
        opts: list[str] = []
        pos: list[str] = []
        i = 0
        while i < len(args):
            a = args[i]
            if a == "--":
                pos.extend(args[i + 1:])
                break
            # an option name holds no white space: "-- note\nSELECT ..." is a query
            if (a.startswith("-") and len(a) > 1 and not NEGATIVE_VALUE.match(a)
                    and not any(c.isspace() for c in a)):
                n = 0 if "=" in a else takes.get(a, 0)
                opts.extend(args[i:i + 1 + n])
                i += 1 + n
                continue
            pos.append(a)
            i += 1
        return super().parse_args(ctx, [*opts, "--", *pos] if pos else opts)


def parse_position(tokens: tuple[str, ...], what: str = "position") -> tuple[float, float]:
    """RA, Dec in degrees from one quoted ``"RA DEC"`` token or two (``RA DEC``).

    Plain numbers are degrees; sexagesimal RA is hours, sexagesimal Dec degrees
    (:func:`xcat.remote.adql.parse_position`).
    """
    from xcat.remote.adql import parse_position as parse

    return parse(" ".join(tokens), what)


#: Exit status of a command stopped by Ctrl-C (128 + SIGINT, as shells report it).
INTERRUPTED_EXIT = 130


class _Cli(click.Group):
    """Click group that turns an ``XcatError`` into one line on stderr and exit status 1,
    and Ctrl-C into ``xcat: interrupted`` and exit status 130 (no traceback: the
    command's own clean-up ran as the ``KeyboardInterrupt`` left it; the store is as
    before, or fully changed when the interrupt came after the COMMIT).

    Its commands are :class:`XcatCommand` and its subgroups ``_Cli`` again.
    """

    command_class = XcatCommand
    group_class = type

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        """Click's, with Ctrl-C while the arguments are read reported as in :meth:`invoke`."""
        try:
            return super().make_context(*args, **kwargs)
        except KeyboardInterrupt:
            click.echo("xcat: interrupted", err=True)
            raise click.exceptions.Exit(INTERRUPTED_EXIT) from None

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (KeyboardInterrupt, XcatError, RuntimeError) as exc:
            if interrupted(exc):
                click.echo("xcat: interrupted", err=True)
                ctx.exit(INTERRUPTED_EXIT)
            if not isinstance(exc, XcatError):
                raise
            click.echo(f"xcat: error: {exc}", err=True)
            ctx.exit(1)


def interrupted(exc: BaseException) -> bool:
    """Whether ``exc`` is, or was raised while handling, a Ctrl-C: a ``KeyboardInterrupt``,
    or DuckDB's own report of SIGINT during a query (it stops the query and raises
    ``RuntimeError("Query interrupted")`` or its ``InterruptException`` instead).

    Examples
    --------
    >>> interrupted(RuntimeError("Query interrupted")), interrupted(XcatError("bad"))
    (True, False)
    """
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if (isinstance(e, KeyboardInterrupt) or type(e).__name__ == "InterruptException"
                or (type(e) is RuntimeError and str(e) == "Query interrupted")):
            return True
        e = e.__cause__ or e.__context__
    return False


@click.group(cls=_Cli)
@click.option("--store", envvar="XCAT_STORE", default=None, help=STORE_HELP)
@click.option("-v", "--verbose", count=True, help="More notes on stderr (-v debug, -vv "
              "also other libraries').")
@click.option("-q", "--quiet", is_flag=True, help="Errors only on stderr.")
@click.option("--wait", type=click.FloatRange(min=0), default=None, metavar="SECONDS",
              help="How long to wait for a store another process is writing (default "
              "$XCAT_WAIT or 30).")
@click.version_option(__version__, prog_name="xcat")
@click.pass_context
def cli(ctx: click.Context, store: str | None, verbose: int, quiet: bool,
        wait: float | None) -> None:
    """xcat: X-ray source catalogs in one HEALPix/HATS store you can query with SQL."""
    configure_logging(verbose, quiet)
    ctx.obj = {"store": store, "wait": wait}


@cli.command()
@click.pass_context
def init(ctx: click.Context) -> None:
    """Create an empty store.  Example: xcat --store ./xcat-store init"""
    with open_store(ctx, create=True) as store:
        emit(f"store ready at {store.path}")


@cli.command()
@rows_options
@click.pass_context
def catalogs(ctx: click.Context, fmt: str, out: str | None) -> None:
    """List catalogs: name, rows, source, sha256, created.  Example: xcat catalogs"""
    from xcat.store.registry import LIST_CATALOGS

    with open_database(ctx) as db:
        show(db.sql(LIST_CATALOGS, output="arrow"), fmt, out)


@cli.command()
@click.argument("catalog")
@click.argument("position", nargs=-1, required=True, metavar="RA DEC")
@click.argument("radius")
@click.option("--columns", default=None, help="Comma-separated columns to return.")
@rows_options
@click.pass_context
def cone(ctx: click.Context, catalog: str, position: tuple[str, ...], radius: str,
         columns: str | None, fmt: str, out: str | None) -> None:
    """Sources within RADIUS (with a unit) of RA DEC, nearest first.

    RA DEC are degrees (166.4 -58.75) or sexagesimal, hours and degrees
    ("11:05:39.6 -58:45:00", quoted as one argument or given as two).

    Example: xcat cone csc 210.80 54.35 30arcsec
    """
    ra, dec = parse_position(position, "cone centre")
    with open_store(ctx) as store:
        cols = [c.strip() for c in columns.split(",")] if columns else None
        show(store.cone(catalog, ra, dec, radius, columns=cols, output="astropy"), fmt, out)


@cli.command()
@click.argument("query")
@click.option("-p", "--param", multiple=True, help="Bound parameter NAME=VALUE ($NAME in SQL).")
@click.option("--write", is_flag=True, help="Let the query change the store (your own "
              "tables and views; the store's own objects are refused).")
@rows_options
@click.pass_context
def sql(ctx: click.Context, query: str, param: tuple[str, ...], write: bool, fmt: str,
        out: str | None) -> None:
    """Run SQL against the store (catalogs are views), read-only unless --write.

    Example: xcat sql "SELECT name, flux_aper_b FROM csc ORDER BY flux_aper_b DESC LIMIT 5"
    """
    from xcat.store.sql import parse_params

    with open_database(ctx) as db:
        show(db.sql(query, parse_params(param), output="arrow", write=write), fmt, out)


@cli.command()
@click.argument("catalog", required=False)
@click.option("--sigma", default=None, help="Frame error, 1-sigma, with a unit (0.4875arcsec).")
@click.option("--reference", default=None, help="What the frame was tied to.")
@click.option("--note", default=None, help="Free text.")
@rows_options
@click.pass_context
def astrometry(ctx: click.Context, catalog: str | None, sigma: str | None,
               reference: str | None, note: str | None, fmt: str, out: str | None) -> None:
    """Set (or list) a catalog's astrometric-frame error, used in its positional errors.

    Example: xcat astrometry csc --sigma 0.4875arcsec --reference "HST/ACS F555W"
    """
    with open_store(ctx) as store:
        if catalog and sigma:
            store.set_astrometric_frame(catalog, sigma, reference=reference, note=note)
        elif catalog or sigma:
            raise XcatError("give both CATALOG and --sigma to set a frame error")
        show(store.astrometric_frames(), fmt, out)


@cli.command()
@click.pass_context
def verify(ctx: click.Context) -> None:
    """Run the store audits (keys, coordinates, fluxes, registry vs disk).

    Example: xcat verify
    """
    from xcat.store.verify import run_audits

    with open_store(ctx) as store:
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
    """Load the SIMULATED demo field into its own store (./xcat-demo-store unless --store
    is given), then show a cone search and an SQL query.

    The demo never goes into $XCAT_STORE or ./xcat-store, so its simulated rows never
    reach your samples, exports and figures.

    Example: xcat demo
    """
    from xcat.jobs.demo import run_demo

    parent = ctx.find_root()
    given = parent.get_parameter_source("store") == ParameterSource.COMMANDLINE
    store = ctx.obj["store"] if given else DEMO_STORE
    log.info("demo store: %s", Path(os.path.abspath(store)))  # noqa: PTH100 (normalised, links kept)
    for block in run_demo(store):
        if isinstance(block, str):
            emit(block)
        else:
            show(block, max_rows=15)


def main() -> None:
    """Entry point of the ``xcat`` command."""
    import warnings

    # astropy's unit parser warns about VOUnit/FITS deprecations ('erg'): the units are
    # still exact. Filtered by module so that astropy is not imported for every command.
    warnings.filterwarnings("ignore", module=r"astropy\.units")
    cli()
