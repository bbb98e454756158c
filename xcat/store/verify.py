"""Audits: queries whose empty result means pass (``queries/audits/*.sql``), plus the
checks that the registry matches the files on disk (catalogs, their margin caches, runs).

The audit files are static: a catalog audit reads the CTE ``audited`` (the catalog on
canonical columns ``ra, dec, _healpix_29, Norder, Npix, source_key, fluxes``) and a run
audit the CTEs ``left_rows`` / ``right_rows`` (``source_key`` as text); this module
builds those CTEs with SQLAlchemy Core from the registry, so identifiers are quoted by
the library.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from xcat import resources
from xcat.store import layout, sqlbuild, upkeep
from xcat.store.db import Database, reads
from xcat.store.xray_views import hats_view

#: What the audits need to know about each catalog.
CATALOG_TARGETS = """
SELECT c.name, c.n_rows, c.ra_column, c.dec_column, c.key_columns, c.sha256, c.n_partitions,
       c.margin_arcsec, list(cc.name ORDER BY cc.position) FILTER (WHERE cc.unit = 'erg / (s cm2)')
           AS flux_columns
FROM catalogs c LEFT JOIN catalog_columns cc ON cc.catalog = c.name
GROUP BY ALL
ORDER BY c.name
"""

#: Every cross-match run with the key columns of its two catalogs (NULL when one is gone).
RUN_TARGETS = """
SELECT r.run_id, r.name, r.left_catalog, r.right_catalog,
       l.key_columns AS left_key, c.key_columns AS right_key, r.n_pairs, r.pairs_path
FROM xmatch_runs r
LEFT JOIN catalogs l ON l.name = r.left_catalog
LEFT JOIN catalogs c ON c.name = r.right_catalog
ORDER BY r.run_id
"""


@dataclass
class AuditResult:
    """One audit on one catalog: how many offending rows, and a few of them."""

    audit: str
    catalog: str
    n_bad: int
    examples: list[Any] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the audit found nothing wrong."""
        return self.n_bad == 0


@reads
def run_audits(store: Database) -> list[AuditResult]:
    """Run every audit on every catalog.

    Examples
    --------
    >>> all(r.ok for r in run_audits(store))                      # doctest: +SKIP
    True

    """
    found = upkeep.strays(store.con, store.path)
    stray = [p.relative_to(store.path).as_posix() for p in found]
    results = [AuditResult("no_stray_folders", "(store)", len(stray), stray[:3])]
    for name, n_rows, ra, dec, key, sha, n_parts, margin, flux_cols in store.con.execute(
            CATALOG_TARGETS).fetchall():
        gone = external_check(store, name)
        if gone is not None:
            results.append(gone)
            if not gone.ok:
                continue
        results.extend(_disk_checks(store, name, n_rows, sha, n_parts))
        if not results[-1].ok and results[-1].audit == "catalog_files_present":
            continue
        results.append(margin_check(store, name, margin, found))
        ctes = {"audited": audited(name, ra, dec, key or [], flux_cols or [])}
        audits = ["coordinates_in_range", "rows_in_their_partition", "registry_row_count"]
        if key:
            audits.append("unique_key")
        if flux_cols:
            audits.append("fluxes_nonnegative")
        for audit in audits:
            sql = audit_query(audit, ctes)
            params = {"name": name, "n_rows": n_rows} if "$n_rows" in sql else {}
            try:
                rows = store.con.execute(sql, params).fetchall()
            except duckdb.Error as exc:  # files gone or damaged: the disk check says which
                results.append(AuditResult("catalog_readable", name, 1,
                                           [str(exc).strip().splitlines()[0]]))
                break
            results.append(AuditResult(audit, name, len(rows), rows[:3]))
    results.extend(_xmatch_audits(store))
    return results


def audit_query(audit: str, ctes: dict[str, Any]) -> str:
    """``queries/audits/<audit>.sql`` preceded by the CTEs it reads (SQLAlchemy selects)."""
    prefix = ",\n".join(f"{n} AS ({sqlbuild.render(s)})" for n, s in ctes.items())
    body = resources.read_sql(f"audits/{audit}.sql")
    return f"WITH {prefix}\n{body}" if ctes else body


def audited(catalog: str, ra: str, dec: str, key: list[str], flux_columns: list[str]) -> Any:
    """The catalog on the canonical columns the catalog audits read: ``ra``, ``dec``,
    ``_healpix_29``, ``Norder``, ``Npix``, ``source_key`` (the key column, a row of the key
    columns when there are several, NULL when none) and ``fluxes`` (the energy-flux values).

    Examples
    --------
    >>> sql = sqlbuild.render(audited("my cat", "RA", "dec", ["id", "n"], ["f"]))
    >>> '"RA" AS ra' in sql, "row(id, n) AS source_key" in sql, 'FROM "stg_hats__my cat"' in sql
    (True, True, True)
    """
    import sqlalchemy as sa

    col = sqlbuild.column
    keys = [col(k) for k in key]
    source_key = (keys[0] if len(keys) == 1 else sa.func.row(*keys) if keys else sa.null())
    fluxes = (sa.func.list_value(*(col(c) for c in flux_columns)) if flux_columns
              else sa.cast(sa.null(), sa.ARRAY(sa.Double())))
    return sa.select(col(ra).label("ra"), col(dec).label("dec"), col("_healpix_29"),
                     col("Norder"), col("Npix"), source_key.label("source_key"),
                     fluxes.label("fluxes")).select_from(sa.table(hats_view(catalog)))


def _key_rows(catalog: str, key: str) -> Any:
    """The key of every row of a catalog as text (``source_key``)."""
    import sqlalchemy as sa

    return sa.select(sa.cast(sqlbuild.column(key), sa.String()).label("source_key")
                     ).select_from(sa.table(catalog))


def _xmatch_audits(store: Database) -> list[AuditResult]:
    """Cross-match runs: their pair files, pairs within the radius, pair counts, keys
    present in both catalogs.
    """
    runs = store.con.execute(RUN_TARGETS).fetchall()
    results = [_run_file_check(store, f"xmatch:{r[1]}", r[6], r[7]) for r in runs if r[7]]
    if not all(r.ok for r in results):  # the pairs view cannot read a missing file
        return results
    for run_id, name, left, right, left_key, right_key, _, _ in runs:
        label = f"xmatch:{name}"
        for audit in ("xmatch_pairs_within_radius", "xmatch_run_pair_count"):
            rows = store.con.execute(audit_query(audit, {}), {"run_id": run_id}).fetchall()
            results.append(AuditResult(audit, label, len(rows), rows[:3]))
        if not left_key or not right_key or len(left_key) != 1 or len(right_key) != 1:
            gone = [c for c, k in ((left, left_key), (right, right_key)) if not k]
            results.append(AuditResult("xmatch_pair_keys_exist", label, len(gone),
                                       [f"catalog {c} is gone or has no single key"
                                        for c in gone]))
            continue
        sql = audit_query("xmatch_pair_keys_exist", {
            "left_rows": _key_rows(left, left_key[0]),
            "right_rows": _key_rows(right, right_key[0])})
        rows = store.con.execute(sql, {"run_id": run_id}).fetchall()
        results.append(AuditResult("xmatch_pair_keys_exist", label, len(rows), rows[:3]))
    return results


def _run_file_check(store: Database, label: str, n_pairs: int, path: str) -> AuditResult:
    """The run's Parquet files are there and hold ``n_pairs`` rows."""
    files = layout.pairs_files(store.path / path)
    if not files:
        return AuditResult("run_files_present", label, 1, [f"{path}: no pairs files"])
    try:
        rows = sum(pq.read_metadata(f).num_rows for f in files)
    except (OSError, pa.ArrowInvalid) as exc:
        return AuditResult("run_files_present", label, 1,
                           [f"{path}: {str(exc).splitlines()[0]}"])
    bad = [] if rows == n_pairs else [f"{path} holds {rows} pairs, the run {n_pairs}"]
    return AuditResult("run_files_present", label, len(bad), bad)


def margin_check(store: Database, name: str, threshold: float | None,
                 strays: list[Path]) -> AuditResult:
    """The catalog's margin cache is as the registry records it: its ``margin/`` folder is
    there when a threshold is recorded (and only then), its ``hats_margin_threshold`` is
    the recorded one, its ``hats_nrows`` and ``_metadata`` the rows of its files, every
    partition it lists has files; no ``.margin-*`` folder of a rebuild is left beside it
    (``strays``: :func:`xcat.store.upkeep.strays`).
    """
    cdir = store.catalog_dir(name)
    mdir = cdir / upkeep.MARGIN_DIR
    problems = [f"{p.name}: {upkeep.describe(p)}" for p in strays if p.parent == cdir]
    if threshold is None:
        return AuditResult("margin_cache", name, len(problems), problems[:3])
    if not mdir.is_dir():
        return AuditResult("margin_cache", name, 1 + len(problems),
                           [f"the registry records a {threshold:g} arcsec margin; "
                            f"{upkeep.MARGIN_DIR}/ is missing", *problems][:3])
    found = upkeep.margin_threshold(mdir)
    if not upkeep.same_threshold(found, threshold):
        problems.append(f"hats_margin_threshold {found} != registry {threshold:g}")
    problems.extend(_margin_rows(mdir))
    return AuditResult("margin_cache", name, len(problems), problems[:3])


def _margin_rows(mdir: Path) -> list[str]:
    """The margin's row counts (properties, ``_metadata``) against its files' rows."""
    missing = [f for f in (layout.PROPERTIES_FILE, layout.PARTITION_INFO_FILE,
                           f"{layout.DATASET_DIR}/{layout.METADATA_FILE}")
               if not (mdir / f).is_file()]
    if missing:
        return [f"{upkeep.MARGIN_DIR}/{f} is missing" for f in missing]
    problems = []
    try:
        files = sorted((mdir / layout.DATASET_DIR).glob("Norder=*/Dir=*/Npix=*/*.parquet"))
        rows = sum(pq.read_metadata(f).num_rows for f in files)
        meta_rows = pq.read_metadata(mdir / layout.DATASET_DIR / layout.METADATA_FILE).num_rows
    except (OSError, pa.ArrowInvalid) as exc:
        return [f"{upkeep.MARGIN_DIR}/ unreadable: {str(exc).splitlines()[0]}"]
    props = dict(line.split("=", 1) for line in
                 (mdir / layout.PROPERTIES_FILE).read_text().splitlines() if "=" in line)
    if props.get("hats_nrows") != str(rows):
        problems.append(f"hats_nrows={props.get('hats_nrows')}, its files hold {rows} rows")
    if meta_rows != rows:
        problems.append(f"dataset/_metadata counts {meta_rows} rows, its files {rows}")
    for line in (mdir / layout.PARTITION_INFO_FILE).read_text().split()[1:]:
        order, pixel = (int(x) for x in line.split(","))
        part = layout.partition_dir(mdir, order, pixel)
        if not any(part.glob("*.parquet")):
            problems.append(f"no files for partition Norder={order} Npix={pixel}")
    return problems


def external_check(store: Database, name: str) -> AuditResult | None:
    """A registered HATS catalog (``xcat ingest hats``, files not copied): every file its
    version links to is still there (None: the catalog's files are xcat's own).
    """
    cdir = store.catalog_dir(name)
    try:
        props = dict(line.split("=", 1) for line in
                     (cdir / layout.PROPERTIES_FILE).read_text().splitlines() if "=" in line)
    except OSError:
        return None
    where = props.get("xcat_external")
    if where is None:
        return None
    links = [p for sub in (cdir, cdir / upkeep.MARGIN_DIR)
             for p in (sub / layout.DATASET_DIR).glob("Norder=*/Dir=*/Npix=*/*.parquet")]
    gone = [p for p in links if not p.exists()]
    if not gone:
        return AuditResult("external_files_present", name, 0)
    return AuditResult("external_files_present", name, len(gone), [
        f"{len(gone)} of the {len(links)} files of the HATS catalog registered from {where} "
        f"are gone (e.g. {gone[0].readlink()}): it was moved or deleted; register it again "
        f"where it is now with `xcat ingest hats NEWPATH --name {name} --replace`"])


def _disk_checks(store: Database, name: str, n_rows: int, sha: str,
                 n_parts: int) -> list[AuditResult]:
    cdir = store.catalog_dir(name)
    missing = [p for p in (layout.PROPERTIES_FILE, layout.PARTITION_INFO_FILE,
                           f"{layout.DATASET_DIR}/{layout.METADATA_FILE}")
               if not (cdir / p).exists()]
    if missing:
        return [AuditResult("catalog_files_present", name, len(missing), missing)]
    props = dict(line.split("=", 1) for line in
                 (cdir / layout.PROPERTIES_FILE).read_text().splitlines() if "=" in line)
    problems = []
    if props.get("hats_nrows") != str(n_rows):
        problems.append(f"hats.properties hats_nrows={props.get('hats_nrows')} != {n_rows}")
    if props.get("xcat_source_sha256") != sha:
        problems.append("hats.properties source SHA-256 differs from the registry")
    lines = (cdir / layout.PARTITION_INFO_FILE).read_text().split()[1:]
    if len(lines) != n_parts:
        problems.append(f"partition_info.csv lists {len(lines)} partitions, registry {n_parts}")
    for line in lines:
        order, pixel = (int(x) for x in line.split(","))
        if not layout.partition_file(cdir, order, pixel).exists():
            problems.append(f"missing partition Norder={order} Npix={pixel}")
    return [AuditResult("catalog_files_present", name, 0),
            AuditResult("registry_matches_disk", name, len(problems), problems[:3])]
