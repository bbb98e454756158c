"""The TAP 1.1 routes: ``/sync`` (GET and POST, REQUEST=doQuery, LANG=ADQL, QUERY, MAXREC,
RESPONSEFORMAT) and the VOSI resources (:mod:`xcat.server.vosi`).

A query error (syntax, refused construct, unknown table, time limit) is a VOTable error
document with HTTP 400; a failure of the service itself is one with HTTP 500. The
service never lets an exception through to the client.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from xcat.errors import XcatError
from xcat.server import adql, adql_cone, tap_examples, tap_formats, tap_upload, vosi
from xcat.server.sandbox import Sandbox
from xcat.store import sqlbuild

log = logging.getLogger("xcat.server")
#: Default row cap (MAXREC without one) and hard limit.
DEFAULT_MAX_ROWS = 100_000
#: Largest form a client may send (bytes).
MAX_FORM = 1_000_000


@dataclass
class TapService:
    """What the routes share: the sandbox and the limits."""

    sandbox: Sandbox
    max_rows: int = DEFAULT_MAX_ROWS
    #: Answer cone constraints with ``Store.cone`` (False: plain SQL, for comparisons).
    pruned: bool = True

    def query(self, params: dict[str, str], parts: dict[str, bytes] | None = None,
              started: Callable[[Callable[[], None]], None] | None = None,
              ) -> tuple[bytes, str]:
        """Run one request: (body, media type); ``XcatError`` for the client's errors.

        ``params`` by upper-case name (:func:`read_request`); ``parts``: the multipart
        files of the request, which ``UPLOAD`` names; ``started``: see ``Sandbox.run``
        (how an async job is aborted).
        """
        request = params.get("REQUEST", "doQuery")
        if request.lower() != "doquery":
            raise XcatError(f"REQUEST={request!r} is not supported (doQuery)")
        lang = params.get("LANG", "ADQL")
        if lang.upper() not in ("ADQL", "ADQL-2.0", "ADQL-2.1"):
            raise XcatError(f"LANG={lang!r} is not supported (ADQL)")
        text = params.get("QUERY")
        if not text or not text.strip():
            raise XcatError("QUERY is missing")
        fmt = tap_formats.response_format(params.get("RESPONSEFORMAT")
                                          or params.get("FORMAT"))
        maxrec = self.max_rows
        if params.get("MAXREC"):
            try:
                maxrec = int(params["MAXREC"])
            except ValueError:
                raise XcatError(f"MAXREC={params['MAXREC']!r} is not a whole number") from None
            if maxrec < 0:
                raise XcatError("MAXREC must be >= 0")
            maxrec = min(maxrec, self.max_rows)
        uploads = tap_upload.read(params.get("UPLOAD"), parts or {})
        with self.sandbox.lease() as lease:  # one snapshot of the store for the request
            schema = lease.schema
            query = adql.translate(text, schema.names(),
                                   schema.catalogs if self.pruned else None, uploads=uploads,
                                   samples=schema.samples, runs=schema.runs)
            cap = maxrec if query.top is None else min(query.top, maxrec)
            extra = {tap_upload.relation(name): table for name, table in uploads.items()}
            if query.cone is not None:
                c = query.cone
                extra[adql_cone.HITS] = lease.cone(c.catalog, c.ra, c.dec, c.radius)
            table, more = lease.run(query.sql, cap=cap, extra=extra, started=started,
                                    tables=query.tables, units=query.units)
        overflow = more and (query.top is None or query.top > cap)
        return tap_formats.render(table, overflow, fmt, text), fmt[1]


    def examples(self, service_url: str) -> bytes:
        """The DALI examples document for this store's tables."""
        with self.sandbox.lease() as lease:
            centre = None
            names = sorted(lease.schema.catalogs, key=lambda n: (n != "csc", n))
            for cat in names:
                table, _ = lease.run(f"SELECT ra, dec FROM {sqlbuild.quote(cat)} "
                                     "WHERE ra IS NOT NULL AND dec IS NOT NULL LIMIT 1", cap=1)
                if table.num_rows:
                    centre = (cat, table.column("ra")[0].as_py(), table.column("dec")[0].as_py())
                    break
            items = tap_examples.examples(lease.schema, centre)
        return tap_examples.document(items, service_url)


def _upper(items: Any) -> dict[str, str]:
    """Request parameters by upper-cased name (TAP parameter names are case-insensitive)."""
    out: dict[str, str] = {}
    for k, v in items:
        if isinstance(v, str):
            out.setdefault(k.upper(), v)
    return out


async def read_request(request: Request) -> tuple[dict[str, str], dict[str, bytes]]:
    """A TAP request's parameters (by upper-case name; query string and form) and the
    files of a multipart body (uploads), capped at ``tap_upload.MAX_BYTES``.
    """
    items = list(request.query_params.multi_items())
    parts: dict[str, bytes] = {}
    if request.method == "POST":
        form = await request.form(max_files=tap_upload.MAX_TABLES, max_fields=100)
        total = 0
        for k, v in form.multi_items():
            if isinstance(v, str):
                items.append((k, v))
                continue
            data = await v.read(tap_upload.MAX_BYTES + 1 - total)
            total += len(data)
            if total > tap_upload.MAX_BYTES:
                raise XcatError(f"UPLOAD: the uploaded tables exceed "
                                f"{tap_upload.MAX_BYTES // 1_000_000} MB")
            parts[k] = data
    return _upper(items), parts


def error(message: str, status: int = 400) -> Response:
    """A DALI error document response."""
    return Response(tap_formats.error_document(message), status_code=status,
                    media_type=tap_formats.VOTABLE)


def routes(service: TapService) -> list[Route]:
    """The routes mounted at ``/tap``."""

    async def sync(request: Request) -> Response:
        try:
            params, parts = await read_request(request)
        except XcatError as exc:
            return error(str(exc))
        except Exception as exc:  # a malformed body: the client's error
            return error(f"cannot read the request: {exc}")
        try:
            body, media = await run_in_threadpool(service.query, params, parts)
        except XcatError as exc:
            return error(str(exc))
        except Exception:
            log.exception("TAP query failed")
            return error("internal error while running the query (see the server log)", 500)
        return Response(body, media_type=media)

    def base(request: Request) -> str:
        return str(request.url_for("tap_root")).rstrip("/")

    async def root(request: Request) -> Response:
        return Response(vosi.root_page(base(request)), media_type="text/html")

    async def availability(request: Request) -> Response:
        return Response(vosi.availability(), media_type="text/xml")

    async def capabilities(request: Request) -> Response:
        return Response(vosi.capabilities(base(request), service.max_rows),
                        media_type="text/xml")

    async def examples(request: Request) -> Response:
        body = await run_in_threadpool(service.examples, base(request))
        return Response(body, media_type="application/xhtml+xml")

    async def tables(request: Request) -> Response:
        schema = await run_in_threadpool(service.sandbox.schema)
        return Response(vosi.tables(schema), media_type="text/xml")

    return [
        Route("/", root, name="tap_root"),
        Route("/sync", sync, methods=["GET", "POST"]),
        Route("/availability", availability),
        Route("/capabilities", capabilities),
        Route("/tables", tables),
        Route("/examples", examples),
    ]
