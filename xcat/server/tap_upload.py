"""TAP table uploads (TAP 1.1 §3.3.5, DALI ``UPLOAD``): ``UPLOAD=name,param:part`` names a
VOTable sent as the multipart part ``part``, ``UPLOAD=name,https://…`` one the server
fetches; the query reads it as ``TAP_UPLOAD.name``.

An uploaded table lives only in the connection of the query that sent it (registered as
an Arrow table, never written to the store or to disk). Names are ADQL regular
identifiers. Only ``http``/``https`` URLs are fetched (no files, no other schemes), with
a time limit, without following redirects, and a failed fetch says only that it failed
(never what the address answered). Size is capped by :data:`MAX_BYTES` per request.
``xtype="timestamp"`` columns become timestamps, so results keep their xtype.

Examples
--------
>>> spec("t1,param:table1;T2,param:t2")
[('t1', 'param:table1'), ('T2', 'param:t2')]
>>> spec("t1,file:///etc/passwd")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
xcat.errors.XcatError: UPLOAD t1: only param:PART or an http(s) URL may name a table
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
#: Seconds to fetch a table named by URL.
FETCH_TIMEOUT = 30.0
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
        if not where.startswith(("param:", "http://", "https://")):
            raise XcatError(f"UPLOAD {name}: only param:PART or an http(s) URL may name a "
                            "table")
        out.append((name, where))
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
    fetched = 0
    for name, where in spec(value):
        if where.startswith("param:"):
            part = where.removeprefix("param:")
            if part not in parts:
                raise XcatError(f"UPLOAD {name}: the request has no part named {part[:80]!r}")
            data = parts[part]
        else:
            data = fetch(where, name, MAX_BYTES - fetched)
            fetched += len(data)
        out[name.lower()] = votable(data, name)
    return out


def fetch(url: str, name: str, limit: int) -> bytes:
    """The bytes at an http(s) ``url`` (at most ``limit``; no redirects followed)."""
    import requests

    try:
        with requests.get(url, stream=True, timeout=FETCH_TIMEOUT,
                          allow_redirects=False) as r:
            if r.status_code != 200:
                raise XcatError(f"UPLOAD {name}: fetching {url[:200]} gave HTTP "
                                f"{r.status_code}")
            data = bytearray()
            for chunk in r.iter_content(1 << 16):
                data += chunk
                if len(data) > limit:
                    raise XcatError(f"UPLOAD: the uploaded tables exceed "
                                    f"{MAX_BYTES // 1_000_000} MB")
            return bytes(data)
    except requests.RequestException as exc:
        raise XcatError(f"UPLOAD {name}: cannot fetch {url[:200]} "
                        f"({type(exc).__name__})") from None


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
    out = from_astropy(table, f"upload {name}", "votable").table
    for col in table.itercols():
        if (col.info.meta or {}).get("xtype") == "timestamp":
            out = _as_timestamp(out, str(col.info.name))
    return out


def _as_timestamp(table: pa.Table, column: str) -> pa.Table:
    """``column`` (ISO 8601 text) as timestamps; left as text when a value is not one."""
    import pyarrow.compute as pc

    i = table.schema.get_field_index(column)
    text = pc.utf8_trim_whitespace(table.column(i).cast(pa.string()))
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    try:
        values = pc.cast(text, pa.timestamp("us"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return table
    return table.set_column(i, pa.field(column, values.type), values)
