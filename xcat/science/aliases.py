"""Short user IDs of X-ray sources (XRBID's ``CXO001``, ``M101X001``), stored in
``source_aliases`` and accepted wherever a source name is (classify, history, import,
and the ``source_key_of`` lookups of saved samples).

Keys are ``alias_key(alias)`` (upper case, spaces and underscores removed), the same rule
as host names.

Examples
--------
>>> add_alias(store, "2CXO J140312.5+541853", "CXO001")                # doctest: +SKIP
>>> resolve_source(store, "cxo 001")                                   # doctest: +SKIP
'2CXO J140312.5+541853'
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from xcat.errors import XcatError
from xcat.store.db import Database, writes
from xcat.store.sql import transaction


def source_keys(con: Any, catalog: str) -> list[tuple[str, str | None]]:
    """Key and name of every source of one X-ray catalog (to check sources exist)."""
    return con.execute("SELECT source_key, name FROM xray_sources WHERE catalog = $catalog",
                       {"catalog": catalog}).fetchall()


def lookup(con: Any, catalog: str) -> dict[str, str]:
    """Every name a source of ``catalog`` answers to (key, name, alias keys) -> its key."""
    src = source_keys(con, catalog)
    if not src:
        return {}
    names = {k.strip(): k for k, _ in src} | {n.strip(): k for k, n in src if n}
    aliases = con.execute("SELECT alias_key, source_key FROM source_aliases "
                          "WHERE catalog = $catalog", {"catalog": catalog}).fetchall()
    return names | {f"alias:{a}": k for a, k in aliases}


def find(con: Any, table: dict[str, str], name: str) -> str | None:
    """The key ``name`` names in a :func:`lookup` table (directly or as an alias)."""
    key = table.get(str(name).strip())
    if key is None:
        akey = con.execute("SELECT alias_key($name)", {"name": str(name)}).fetchall()[0][0]
        key = table.get(f"alias:{akey}")
    return key


def resolve_source(store: Database, name: str, catalog: str = "csc") -> str:
    """The key of the source ``name`` (its key, name or a short alias such as CXO001).

    Examples
    --------
    >>> resolve_source(store, "CXO001")                                  # doctest: +SKIP
    '2CXO J140312.5+541853'
    """
    table = lookup(store.con, catalog)
    if not table:
        raise XcatError(f"no X-ray catalog '{catalog}' in the store")
    key = find(store.con, table, name)
    if key is None:
        raise XcatError(f"source '{name}' is not in catalog {catalog}")
    return key


@writes
def add_alias(store: Database, name: str, alias: str, catalog: str = "csc",
              origin: str = "manual") -> str:
    """Store a short user ID (``CXO001``, ``M101X001``) for a source; return its key.

    An alias already naming another source is an error; naming the same one, a no-op.
    """
    key = resolve_source(store, name, catalog)
    with transaction(store.con):
        store_aliases(store.con, catalog, [(alias, key)], origin)
    return key


def store_aliases(con: Any, catalog: str, pairs: list[tuple[str, str | None]],
                  origin: str) -> None:
    """Insert (alias, source_key) pairs (inside the caller's transaction); an alias of
    another source is an error.
    """
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    for alias, key in pairs:
        alias = str(alias).strip()
        if not alias:
            continue
        row = con.execute("SELECT source_key FROM source_aliases WHERE catalog = $catalog "
                          "AND alias_key = alias_key($alias)",
                          {"catalog": catalog, "alias": alias}).fetchall()
        if row:
            if row[0][0] != key:
                raise XcatError(f"alias '{alias}' already names {row[0][0].strip()} in "
                                f"{catalog}")
            continue
        con.execute("INSERT INTO source_aliases VALUES ($catalog, alias_key($alias), $alias, "
                    "$source_key, $origin, $added_at)",
                    {"catalog": catalog, "alias": alias, "source_key": key, "origin": origin,
                     "added_at": now})
