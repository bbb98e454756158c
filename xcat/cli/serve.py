"""``xcat serve``: the store over HTTP (TAP 1.1 at /tap, the dashboard at /), read-only
unless a token file names who may classify, on 127.0.0.1 unless ``--host`` says otherwise.
"""

from __future__ import annotations

from pathlib import Path

import click

from xcat.cli.app import cli, log
from xcat.errors import XcatError


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
@click.option("--token-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Lines 'person: token': who may record classifications on the "
                   "dashboard (without it the dashboard is read-only).")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, max_rows: int, timeout_s: float,
          token_file: Path | None) -> None:
    """Serve the store: an IVOA TAP 1.1 service at http://HOST:PORT/tap and a dashboard at
    http://HOST:PORT/ (read-only unless --token-file names who may classify).
    """
    from xcat.server.app import make_app, run
    from xcat.store.layout import DEFAULT_STORE

    root = Path(ctx.obj["store"] or DEFAULT_STORE)
    tokens = read_tokens(token_file) if token_file is not None else None
    app = make_app(root, max_rows=max_rows, timeout_s=timeout_s, tokens=tokens)
    log.info("serving %s: TAP at http://%s:%d/tap, dashboard at http://%s:%d/ (%s; "
             "Ctrl-C stops)", root, host, port, host, port,
             f"{len(tokens or {})} people may classify" if tokens else "read-only")
    run(app, host=host, port=port)


def read_tokens(path: Path) -> dict[str, str]:
    """``{token: person}`` from lines ``person: token`` (``#`` comments, blank lines);
    refused when others may read the file, a token repeats or a line is malformed.
    """
    try:
        if path.stat().st_mode & 0o077:
            raise XcatError(f"{path}: other users may read this token file: chmod 600 it")
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise XcatError(f"{path}: cannot read the token file ({exc.strerror})") from exc
    tokens: dict[str, str] = {}
    for n, line in enumerate(lines, 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        person, sep, token = (x.strip() for x in line.rpartition(":"))
        if not sep or not person or len(token) < 8:
            raise XcatError(f"{path}:{n}: expected 'person: token' with a token of at "
                            "least 8 characters")
        if token in tokens:
            raise XcatError(f"{path}:{n}: this token is already {tokens[token]}'s")
        tokens[token] = person
    if not tokens:
        raise XcatError(f"{path}: no 'person: token' lines")
    return tokens
