"""The HTTP app of ``xcat serve``: a Starlette application with the TAP service at
``/tap`` and the dashboard at ``/`` (:mod:`xcat.server.dashboard`); other route sets are
added with :func:`mount`.

Examples
--------
>>> app = make_app(Path("xcat-store"), max_rows=10_000, timeout_s=30)   # doctest: +SKIP
>>> import uvicorn; uvicorn.run(app, host="127.0.0.1", port=8000)         # doctest: +SKIP
"""

from __future__ import annotations

import os
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.responses import RedirectResponse
from starlette.routing import BaseRoute, Mount, Route

from xcat.server import tap, uws_routes
from xcat.server.dashboard import routes as dashboard_routes
from xcat.server.sandbox import Sandbox
from xcat.store.db import Database

#: Default per-query time limit, seconds.
DEFAULT_TIMEOUT = 60.0


def make_app(store_root: Path, *, max_rows: int = tap.DEFAULT_MAX_ROWS,
             timeout_s: float = DEFAULT_TIMEOUT, dashboard: bool = True,
             tokens: dict[str, str] | None = None) -> Starlette:
    """The app serving the store at ``store_root`` (read-only; the store is brought up to
    date once here when it needs it, as ``Store.open`` does): TAP at ``/tap`` and, with
    ``dashboard``, the dashboard at ``/`` (``tokens``: token -> person, who may record
    classifications; None: read-only).
    """
    root = Path(os.path.abspath(store_root))  # noqa: PTH100
    Database.open(root).close()  # fails clearly on a missing store; re-points a moved one
    if max_rows < 1:
        raise ValueError("max_rows must be >= 1")
    service = tap.TapService(Sandbox(root, timeout_s=timeout_s), max_rows=max_rows)
    app = Starlette(routes=[Route("/", _home)])
    app.state.store_root = root
    app.state.tap = service
    mount(app, "/tap", tap.routes(service) + uws_routes.routes(service))  # + /async
    if dashboard:
        mount(app, "/", dashboard_routes(root, tokens))
    return app


async def _home(request) -> RedirectResponse:
    return RedirectResponse(str(request.url_for("tap_root")))


def mount(app: Starlette, path: str, routes: list[BaseRoute]) -> None:
    """Serve ``routes`` under ``path`` in ``app``.

    Mounted at ``/`` (the dashboard), they replace the home page's redirect to ``/tap``;
    elsewhere they go ahead of it.
    """
    home = [r for r in app.router.routes if getattr(r, "endpoint", None) is _home]
    if path.rstrip("/") == "":
        for r in home:
            app.router.routes.remove(r)
        app.router.routes.append(Mount("", routes=routes))
        return
    app.router.routes.insert(len(app.router.routes) - len(home), Mount(path, routes=routes))


def run(app: Starlette, *, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve ``app`` with uvicorn until interrupted."""
    uvicorn.run(app, host=host, port=port, log_level="warning")
