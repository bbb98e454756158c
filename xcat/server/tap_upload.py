"""TAP table uploads (TAP 1.1 §3.3.5, DALI ``UPLOAD``): ``UPLOAD=name,param:part`` names a
VOTable sent as the multipart part ``part``; the query reads it as ``TAP_UPLOAD.name``.

An uploaded table lives only in the connection of the query that sent it (registered as
an Arrow table, never written to the store or to disk). Names are ADQL regular
identifiers; tables by URL (``name,http://…``) are refused, since the server would have
to fetch from wherever a client points it. Size is capped by :data:`MAX_BYTES` per
request.

Examples
--------
>>> spec("t1,param:table1;T2,param:t2")
[('t1', 'table1'), ('T2', 't2')]
>>> spec("t1,http://example.org/t.xml")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
xcat.errors.XcatError: UPLOAD t1: tables by URL are not accepted; send the table in ...
"""

from __future__ import annotations

import io
import re
import warnings

import pyarrow as pa

from xcat.errors import XcatError
from xcat.io.readers import from_astropy

#: The schema uploads are read from, as ADQL names it.
SCHEMA = "TAP_UPLOAD"
#: Largest total size of the uploaded tables of one request (bytes).
MAX_BYTES = 50_000_000
#: At most this many tables per request.
MAX_TABLES = 8
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")


def relation(name: str) -> str:
    """Name under which ``TAP_UPLOAD.<name>`` is registered in the query's connection."""
    return f"tap_upload__{name.lower()}"


def spec(value: str) -> list[tuple[str, str]]:
    """(table name, multipart part) pairs of an ``UPLOAD`` parameter."""
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for item in filter(None, (s.strip() for s in value.split(";"))):
        name, sep, where = item.partition(",")
        name, where = name.strip(), where.strip()
        if not sep or not where:
            raise XcatError(f"UPLOAD {item!r}: expected NAME,param:PART")
        if not NAME_RE.match(name):
            raise XcatError(f"UPLOAD table name {name[:80]!r} is not an ADQL name "
                            "(a letter, then letters, digits or _; at most 64)")
        if name.lower() in seen:
            raise XcatError(f"UPLOAD names table {name} twice")
        seen.add(name.lower())
        if not where.startswith("param:"):
            raise XcatError(f"UPLOAD {name}: tables by URL are not accepted; send the table "
                            f"in the request ({name},param:PART)")
        out.append((name, where.removeprefix("param:")))
    if len(out) > MAX_TABLES:
        raise XcatError(f"UPLOAD: at most {MAX_TABLES} tables per query")
    return out


def read(value: str | None, parts: dict[str, bytes]) -> dict[str, pa.Table]:
    """The uploaded tables of a request by lower-case name (empty without ``UPLOAD``)."""
    if not value:
        return {}
    if sum(len(b) for b in parts.values()) > MAX_BYTES:
        raise XcatError(f"UPLOAD: the uploaded tables exceed {MAX_BYTES // 1_000_000} MB")
    out = {}
    for name, part in spec(value):
        if part not in parts:
            raise XcatError(f"UPLOAD {name}: the request has no part named {part[:80]!r}")
        out[name.lower()] = votable(parts[part], name)
    return out


def votable(data: bytes, name: str) -> pa.Table:
    """One uploaded VOTable as an Arrow table (the first table of the document)."""
    from astropy.io.votable import parse_single_table
    from astropy.io.votable.exceptions import VOWarning

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", VOWarning)
            warnings.simplefilter("ignore", UserWarning)
            table = parse_single_table(io.BytesIO(data)).to_table(use_names_over_ids=True)
    except Exception as exc:  # astropy raises many kinds for a malformed document
        first = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise XcatError(f"UPLOAD {name}: not a readable VOTable ({first})") from None
    names = [str(c).lower() for c in table.colnames]
    if len(set(names)) != len(names):
        raise XcatError(f"UPLOAD {name}: two columns have the same name")
    return from_astropy(table, f"upload {name}", "votable").table
