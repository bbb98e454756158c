"""``xcat serve``: the store over HTTP (TAP 1.1 at /tap), read-only, on 127.0.0.1 unless
``--host`` says otherwise.
"""

from __future__ import annotations

from pathlib import Path

import click

from xcat.cli.app import cli, log


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind (0.0.0.0 serves every interface: put a reverse proxy "
                   "in front).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="TCP port.")
@click.option("--max-rows", default=100_000, show_default=True, type=click.IntRange(1),
              help="Most rows one query returns (MAXREC is capped at this).")
@click.option("--timeout", "timeout_s", default=60.0, show_default=True,
              type=click.FloatRange(min=0.1), help="Seconds a query may run.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, max_rows: int, timeout_s: float) -> None:
    """Serve the store: an IVOA TAP 1.1 service at http://HOST:PORT/tap (read-only)."""
    from xcat.server.app import make_app, run
    from xcat.store.layout import DEFAULT_STORE

    root = Path(ctx.obj["store"] or DEFAULT_STORE)
    app = make_app(root, max_rows=max_rows, timeout_s=timeout_s)
    log.info("serving %s: TAP at http://%s:%d/tap (Ctrl-C stops)", root, host, port)
    run(app, host=host, port=port)
