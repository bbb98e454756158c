"""Data products per source: find a source's product files (light curves, spectra,
ARF/RMF, regions, sensitivity maps) through a DataLink service, record the links in
``source_products``, fetch the files into ``<store>/products/`` with SHA-256 checksums,
and record which computed products (``xcat ingest srcflux|spectral-fit ...``) were made
from a fetched file (``source_product_uses``).

Network traffic happens outside store sessions; each store change is one short write
session. A fetched file is registered (path, SHA-256, size) only after it is complete
under its final name and its checksum matches, so the table never names a partial file.

Examples
--------
>>> found = find_products(store, "2CXO J140312.5+542056", types=["lc", "pha"])
... # doctest: +SKIP
>>> fetch_products(store, "2CXO J140312.5+542056", types=["lc", "pha"])  # doctest: +SKIP
['#3 lc b obsid 934: fetched acisf00934_000N021_r0012b_lc3.fits (5760 bytes, sha256 ...)']
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from xcat.errors import XcatError
from xcat.jobs.products.install import get_product
from xcat.remote.csc_archive import Detection, query_archive
from xcat.remote.datalink import LinksAnswer, ProductLink, query_links
from xcat.remote.products_http import fetch_file, file_digests
from xcat.remote.services import Service, get_service, load_services
from xcat.store import layout, sqlbuild
from xcat.store.db import Database, reads, writes
from xcat.store.sql import fetch_dicts, transaction

#: The services-config entries ``xcat products find`` asks by default: a DataLink links
#: service when the user configured one, else the CSC archive's file interface (shipped).
DEFAULT_SERVICE = "csc21_datalink"
ARCHIVE_SERVICE = "csc21_archive"
DETECTIONS = ("SELECT DISTINCT obs_id, region_id, instrument FROM flux_observations "
              "WHERE catalog = $catalog AND source_key = $key AND obs_kind = 'observation' "
              "AND region_id IS NOT NULL ORDER BY obs_id, region_id")

LINK_COLUMNS = ("catalog", "source_key", "obsid", "obi", "region_id", "product_type",
                "service_type", "band", "url", "file_name", "content_type", "size_bytes",
                "checksum", "description", "service", "found_at")
#: Columns ``xcat products list|find`` print in a terminal table (other formats get all).
BRIEF_COLUMNS = ["product_id", "product_type", "band", "obsid", "file_name", "size_bytes",
                 "path", "sha256"]
INSERT_LINK = (f"INSERT INTO source_products ({', '.join(LINK_COLUMNS)}) "
               f"VALUES ({', '.join('$' + c for c in LINK_COLUMNS)}) RETURNING product_id")
SOURCE_ROWS = ("SELECT product_id, catalog, source_key, obsid, obi, region_id, product_type, "
               "service_type, band, url, file_name, content_type, size_bytes, checksum, "
               "description, service, found_at, path, sha256, fetched_bytes, fetched_at "
               "FROM source_products WHERE catalog = $catalog AND source_key = $key "
               "ORDER BY product_type, obsid NULLS FIRST, band NULLS FIRST, product_id")
GET_ROW = SOURCE_ROWS.split(" FROM ")[0] + " FROM source_products WHERE product_id = $id"
REGISTER = ("UPDATE source_products SET path = $path, sha256 = $sha256, "
            "fetched_bytes = $size, fetched_at = $at WHERE product_id = $id")
INSERT_USE = ("INSERT INTO source_product_uses (product_name, product_id, file_sha256, note, "
              "recorded_at) VALUES ($name, $id, $sha256, $note, $at)")


def brief(df: pd.DataFrame) -> pd.DataFrame:
    """The links for a terminal: the columns of :data:`BRIEF_COLUMNS`, SHA-256 shortened."""
    out = df[BRIEF_COLUMNS].copy()
    out["sha256"] = [s[:12] + "..." if isinstance(s, str) else s for s in out["sha256"]]
    return out


@dataclass(frozen=True)
class Found:
    """What ``find`` did: the source's links (a table) and lines to show."""

    rows: pd.DataFrame
    lines: list[str]


def service_for(name: str | None) -> Service:
    """The product service ``name`` from the services config; by default
    ``csc21_datalink`` when configured, else ``csc21_archive``.
    """
    if name is None:
        name = DEFAULT_SERVICE if DEFAULT_SERVICE in load_services() else ARCHIVE_SERVICE
    try:
        return get_service(name)
    except XcatError as exc:
        raise XcatError(f"{exc}; add [services.{name}] with the url of its DataLink links "
                        "endpoint to $XCAT_SERVICES_CONFIG") from exc


@reads
def source_key(store: Database, catalog: str, source: str) -> str:
    """``source`` trimmed, checked to be a key of ``catalog`` (``XcatError`` if not)."""
    key = (source or "").strip()
    if not key:
        raise XcatError("give a source key (e.g. '2CXO J140312.5+542056')")
    info = store.catalog(catalog)
    keys = info.get("key_columns") or []
    if not keys:
        raise XcatError(f"catalog '{catalog}' has no key column; reload it with --key")
    sql = (f"SELECT 1 FROM {sqlbuild.quote(catalog)} WHERE "
           f"trim(CAST({sqlbuild.quote(keys[0])} AS VARCHAR)) = $k LIMIT 1")
    if not store.con.execute(sql, {"k": key}).fetchall():
        raise XcatError(f"no source '{key}' in catalog '{catalog}' (its key column "
                        f"{keys[0]}); products are recorded for stored sources")
    return key


@reads
def list_links(store: Database, source: str, *, catalog: str = "csc",
               types: list[str] | None = None) -> pd.DataFrame:
    """The recorded product links of a source (fetched or not), optionally of ``types``.

    Examples
    --------
    >>> list_links(store, "2CXO J140312.5+542056", types=["lc"])  # doctest: +SKIP

    """
    key = source_key(store, catalog, source)
    df = store.con.execute(SOURCE_ROWS, {"catalog": catalog, "key": key}).df()
    if types:
        df = df[df["product_type"].isin(types)].reset_index(drop=True)
    return df


def find_products(store: Database, source: str, *, catalog: str = "csc",
                  types: list[str] | None = None, service: str | None = None,
                  session: Any = None) -> Found:
    """Ask the product service for the source's links and record the new ones.

    The service is asked before the store is written; links already recorded (same
    URL) are kept as they are. Returns the source's links of ``types`` (all when None).
    """
    key = source_key(store, catalog, source)
    svc = service_for(service)
    if svc.protocol == "csccli":
        answer = query_archive(svc, detections(store, catalog, key), types, session=session)
    else:
        answer = query_links(svc, key, session=session)
    new = record_links(store, catalog, key, answer, svc)
    wanted = [lk for lk in answer.links if not types or lk.product_type in types]
    lines = [f"{key}: {len(answer.links)} product links from {svc.name}, {new} new; "
             f"{len(wanted)} of type {','.join(types) if types else 'any'}"]
    if answer.errors:
        lines.append(f"  the service reported {len(answer.errors)} error(s), e.g. "
                     f"{answer.errors[0]}")
    if answer.skipped:
        lines.append(f"  {answer.skipped} links without a product file (service "
                     "descriptors or unknown types) were not recorded")
    return Found(list_links(store, key, catalog=catalog, types=types), lines)


@reads
def detections(store: Database, catalog: str, key: str) -> list[Detection]:
    """The source's detections (ObsID, ObI, region) from its per-observation fluxes."""
    rows = store.con.execute(DETECTIONS, {"catalog": catalog, "key": key}).fetchall()
    out = []
    for obs_id, region, instrument in rows:
        obsid, _, obi = str(obs_id).partition(".")
        if obsid.isdigit() and obi.isdigit():
            out.append(Detection(int(obsid), int(obi), int(region), instrument or "ACIS"))
    if not out:
        raise XcatError(f"no per-observation detections of '{key}' are stored: the CSC "
                        "archive names its files by ObsID, ObI and region, so load them "
                        "first (xcat ingest csc --cone \"RA DEC\" --radius R "
                        "--with-observations, or xcat ingest observations FILE)")
    return out


@writes
def record_links(store: Database, catalog: str, key: str, answer: LinksAnswer,
                 service: Service) -> int:
    """Insert the links not recorded yet for the source (by URL); return how many."""
    con = store.con
    known = fetch_dicts(con, SOURCE_ROWS, {"catalog": catalog, "key": key})
    urls = {r["url"] for r in known}
    names = {r["file_name"] for r in known}
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    new = 0
    with transaction(con):
        for link in answer.links:
            if link.url in urls:
                continue
            name = _free_name(link.file_name, names)
            names.add(name)
            urls.add(link.url)
            con.execute(INSERT_LINK, _link_values(catalog, key, link, name, service, now))
            new += 1
    return new


def fetch_products(store: Database, source: str, *, catalog: str = "csc",
                   types: list[str] | None = None, service: str | None = None,
                   session: Any = None) -> list[str]:
    """Download the source's product files of ``types`` into ``<store>/products/``.

    Links are found first when none of those types is recorded. Each file is fetched
    (resuming a ``.part`` file left by an interrupted run), checked against the size and
    checksum the service stated (or the SHA-256 registered before), then registered.
    A file already registered and unchanged on disk is not downloaded again. The first
    failure stops the command with one error line; files completed before it stay
    registered.
    """
    if store.read_only:
        raise XcatError(f"{store.path}: opened read-only; fetching writes the store")
    key = source_key(store, catalog, source)
    rows = list_links(store, key, catalog=catalog, types=types)
    lines: list[str] = []
    if rows.empty:
        found = find_products(store, key, catalog=catalog, types=types, service=service,
                              session=session)
        lines.extend(found.lines)
        rows = found.rows
    if rows.empty:
        raise XcatError(f"{key}: the service lists no products of type "
                        f"{','.join(types) if types else 'any'}")
    svc = service_for(service)
    for row in rows.to_dict("records"):
        lines.append(_fetch_one(store, svc, row, session))
    return lines


def _fetch_one(store: Database, svc: Service, row: dict, session: Any) -> str:
    label = _label(row)
    dest = layout.product_file(store.path, row["catalog"], row["source_key"], row["file_name"])
    registered = _value(row["sha256"])
    if registered and dest.exists():
        sha, _, size = file_digests(dest)
        if sha == registered:
            return f"{label}: already fetched ({_rel(store, dest)}, sha256 {sha[:12]}...)"
        raise XcatError(f"{dest}: changed on disk since it was registered (sha256 "
                        f"{sha[:12]}... is not {registered[:12]}...); remove it to fetch "
                        "it again")
    checksum = f"sha256:{registered}" if registered else _value(row["checksum"])
    size = _value(row["size_bytes"])
    got = fetch_file(svc, row["url"], dest, expected_size=None if size is None else int(size),
                     checksum=checksum, session=session)
    register_file(store, int(row["product_id"]), _rel(store, dest), got.sha256, got.size)
    how = ("was on disk, registered" if got.downloaded == 0 else
           f"resumed at byte {got.resumed_from}" if got.resumed_from else "fetched")
    return (f"{label}: {how} {row['file_name']} ({got.size} bytes, sha256 "
            f"{got.sha256[:12]}...)")


@writes
def register_file(store: Database, product_id: int, path: str, sha256: str,
                  size: int) -> None:
    """Record a complete, checked file for a link (path relative to the store)."""
    con = store.con
    if not fetch_dicts(con, GET_ROW, {"id": product_id}):
        raise XcatError(f"source product {product_id} was removed while it was fetched")
    with transaction(con):
        con.execute(REGISTER, {"path": path, "sha256": sha256, "size": size, "id": product_id,
                               "at": dt.datetime.now(dt.UTC).replace(tzinfo=None)})


@writes
def record_use(store: Database, product_name: str, product_id: int,
               note: str | None = None) -> str:
    """Record that computed product ``product_name`` was made from fetched file
    ``product_id``; the file must be registered and unchanged on disk, and the computed
    product must have rows linked to the same source.

    Examples
    --------
    >>> record_use(store, "src_fit", 3)                              # doctest: +SKIP
    'src_fit (spectral_fit): made from #3 pha obsid 934 ...'

    """
    con = store.con
    rows = fetch_dicts(con, GET_ROW, {"id": int(product_id)})
    if not rows:
        raise XcatError(f"no source product {product_id} (see 'xcat products list SOURCE')")
    row = rows[0]
    if not row["sha256"]:
        raise XcatError(f"source product {product_id} ({row['file_name']}) is not fetched "
                        f"yet; run 'xcat products fetch \"{row['source_key']}\"' first")
    path = store.path / row["path"]
    if not path.exists() or file_digests(path)[0] != row["sha256"]:
        raise XcatError(f"{path}: missing or changed since it was fetched; fetch it again")
    product = get_product(store, product_name)
    if product is None:
        raise XcatError(f"no computed product '{product_name}' (see 'xcat products'); "
                        "ingest it first with xcat ingest srcflux|spectral-fit|product")
    n_rows = None
    if product["link_catalog"]:
        if product["link_catalog"] != row["catalog"]:
            raise XcatError(f"product '{product_name}' links to catalog "
                            f"'{product['link_catalog']}', the file to '{row['catalog']}'")
        n_rows = con.execute(f"SELECT count(*) FROM {sqlbuild.quote(product_name)} "
                             "WHERE _source_key = $key", {"key": row["source_key"]}).fetchone()[0]
        if not n_rows:
            raise XcatError(f"product '{product_name}' has no rows linked to "
                            f"{row['catalog']} source '{row['source_key']}'")
    with transaction(con):
        con.execute(INSERT_USE, {"name": product_name, "id": int(product_id),
                                 "sha256": row["sha256"], "note": note,
                                 "at": dt.datetime.now(dt.UTC).replace(tzinfo=None)})
    rows_text = f"{n_rows} rows of source" if n_rows is not None else "unlinked rows"
    return (f"{product_name} ({product['kind']}): made from {_label(row)} "
            f"{row['file_name']} (sha256 {row['sha256'][:12]}...); {rows_text} "
            f"{row['source_key']}")


# ---------------------------------------------------------------------------- helpers
def _link_values(catalog: str, key: str, link: ProductLink, name: str, service: Service,
                 now: dt.datetime) -> dict[str, Any]:
    return {"catalog": catalog, "source_key": key, "obsid": link.obsid, "obi": link.obi,
            "region_id": link.region_id, "product_type": link.product_type,
            "service_type": link.service_type, "band": link.band, "url": link.url,
            "file_name": name, "content_type": link.content_type,
            "size_bytes": link.size_bytes, "checksum": link.checksum,
            "description": link.description, "service": service.label(), "found_at": now}


def _free_name(name: str, taken: set[str]) -> str:
    """``name``, or ``<stem>-2<suffixes>`` ... when the source has a file of that name."""
    if name not in taken:
        return name
    stem, dot, rest = name.partition(".")
    n = 2
    while f"{stem}-{n}{dot}{rest}" in taken:
        n += 1
    return f"{stem}-{n}{dot}{rest}"


def _label(row: dict) -> str:
    parts = [f"#{row['product_id']}", row["product_type"]]
    if _value(row["band"]):
        parts.append(row["band"])
    if _value(row["obsid"]) is not None:
        parts.append(f"obsid {int(row['obsid'])}")
    return " ".join(parts)


def _value(v: Any) -> Any:
    """None for SQL NULL as pandas gives it (None, NaN, NaT, pd.NA)."""
    return None if v is None or (not isinstance(v, str) and pd.isna(v)) else v


def _rel(store: Database, path: Path) -> str:
    return os.path.relpath(path, store.path)
