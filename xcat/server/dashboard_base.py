"""What every dashboard page shares: the Jinja2 templates (autoescaped), a read-only
store handle per request, tables through the one table writer, and XcatError pages.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from xcat.api import Store
from xcat.errors import XcatError
from xcat.output.tables import write_table
from xcat.version import __version__

TEMPLATES = Path(__file__).resolve().parents[1] / "templates" / "dashboard"
ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES),
                         autoescape=True)
#: Rows shown at most by a table on a page (the downloads have them all).
PAGE_ROWS = 200


class NotFoundError(XcatError):
    """A host, sample or format that does not exist: answered with 404."""


@contextmanager
def read_store(root: Path) -> Iterator[Store]:
    """A read-only handle on the store for one request (it holds no lock while idle)."""
    store = Store.open(root, read_only=True)
    try:
        yield store
    finally:
        store.close()


def table(rows: Any, table_id: str, max_rows: int = PAGE_ROWS) -> str:
    """An HTML table of ``rows`` through :func:`write_table`, which escapes every name and
    cell: the templates insert it with ``|safe`` (the only values they do not escape).
    """
    return write_table(rows, "html", max_rows=max_rows, table_id=table_id)


def render(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """The template ``template`` with ``context`` (every value escaped, except the
    tables of :func:`table` marked ``|safe``).
    """
    text = ENV.get_template(template).render(version=__version__, **context)
    return HTMLResponse(text, status_code=status)


def guarded(endpoint: Callable[[Request], Response]) -> Callable[[Request], Response]:
    """Answer an ``XcatError`` with an error page: 404 for :class:`NotFoundError`, else 400."""
    @functools.wraps(endpoint)
    def wrapper(request: Request) -> Response:
        try:
            return endpoint(request)
        except XcatError as exc:
            return render("error.html", 404 if isinstance(exc, NotFoundError) else 400,
                          title="Error", message=str(exc))
    return wrapper

