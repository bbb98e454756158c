"""SQL plumbing shared by every module: quoting, bound queries to Arrow, the one
transaction helper, and typed ``NAME=VALUE`` parameters.

Values are always bound (``$name`` or ``?``); identifiers that come from users or
catalog metadata are quoted here or by SQLAlchemy Core.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

import duckdb
import pyarrow as pa

from xcat.errors import XcatError
from xcat.store.faults import crash_point


def quote_ident(name: str) -> str:
    """Quote an SQL identifier (for names that come from users).

    Examples
    --------
    >>> quote_ident('my "odd" name')
    '"my ""odd"" name"'
    """
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """Quote an SQL string literal (only for view bodies, which cannot bind values)."""
    return "'" + text.replace("'", "''") + "'"


def is_identifier(text: str) -> bool:
    """Whether ``text`` is a plain SQL identifier."""
    return re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text) is not None


def run_arrow(con: duckdb.DuckDBPyConnection, query: str,
              params: dict[str, Any] | list[Any] | None = None) -> pa.Table:
    """Run a query with bound parameters and return its rows as Arrow (no extra copy)."""
    rel = con.sql(query, params=params or None)
    if rel is None:  # a statement without a result (DDL, INSERT ...)
        return pa.table({})
    fetch = getattr(rel, "to_arrow_table", None) or rel.arrow
    return fetch()


def fetch_dicts(con: duckdb.DuckDBPyConnection, query: str,
                params: dict[str, Any] | list[Any] | None = None) -> list[dict[str, Any]]:
    """Rows of a bound query as dicts (column name → value)."""
    cur = con.execute(query, params or None)
    rows = cur.fetchall()
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in rows]


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Run a block in one DuckDB transaction: all of it is written, or none.

    The one transaction helper of the code base (like sqlite-utils'
    ``Database.atomic()``): every write that changes more than one row or object
    goes through it. A DuckDB error inside becomes an :class:`XcatError`.
    """
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException as exc:
        con.execute("ROLLBACK")
        if isinstance(exc, duckdb.Error):
            raise XcatError(f"store update failed, nothing changed "
                            f"({str(exc).splitlines()[0]})") from exc
        raise
    crash_point("commit")
    con.execute("COMMIT")
    crash_point("committed")


def parse_params(items: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """``["f=1e-14", "host=M101"]`` → ``{"f": 1e-14, "host": "M101"}`` (numbers typed).

    Examples
    --------
    >>> parse_params(["n=3", "host=M101"])
    {'n': 3, 'host': 'M101'}

    """
    out: dict[str, Any] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise XcatError(f"parameter '{item}' is not NAME=VALUE")
        out[name.strip()] = _typed(value)
    return out


def _typed(value: str) -> Any:
    for cast in (int, float):
        try:
            return cast(value)
        except ValueError:
            pass
    return value


MISSING_PARAMS = re.compile(r"Values were not provided for the following parameters: (.+)$")


def sql_error_message(exc: duckdb.Error) -> str:
    """DuckDB's whole message, hints kept (``Did you mean "csc"?``, candidate bindings,
    the ``LINE 1:`` caret), and for a missing ``$NAME`` how to give it.

    Examples
    --------
    >>> import duckdb
    >>> msg = sql_error_message(duckdb.InvalidInputException(
    ...     "Invalid Input Error: Values were not provided for the following parameters: f"))
    >>> msg.splitlines()[1]
    '  give each with -p NAME=VALUE: -p f=VALUE (params={"f": ...} in Python)'
    """
    lines = [line.rstrip() for line in str(exc).strip().splitlines() if line.strip()]
    # continuation lines share one indent, so the caret stays under its token
    text = "SQL error: " + (lines[0] if lines else type(exc).__name__)
    text += "".join(f"\n  {line}" for line in lines[1:])
    missing = MISSING_PARAMS.search(lines[0]) if lines else None
    if missing:
        names = [n.strip() for n in missing.group(1).split(",") if n.strip()]
        example = " ".join(f"-p {n}=VALUE" for n in names)
        py = ", ".join(f'"{n}": ...' for n in names)
        text += f"\n  give each with -p NAME=VALUE: {example} (params={{{py}}} in Python)"
    return text
