"""Audits: queries whose empty result means pass (``queries/audits/*.sql``), plus the
checks that the registry matches the files on disk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from xcat import resources
from xcat.store import layout
from xcat.store.db import Database
from xcat.store.sql import quote_ident


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


def run_audits(store: Database) -> list[AuditResult]:
    """Run every audit on every catalog.

    Examples
    --------
    >>> all(r.ok for r in run_audits(store))                      # doctest: +SKIP
    True

    """
    results = []
    targets = store.con.execute(resources.read_sql("store/catalog_audit_targets.sql")).fetchall()
    for name, n_rows, ra, dec, key, sha, n_parts, flux_cols in targets:
        results.extend(_disk_checks(store, name, n_rows, sha, n_parts))
        if not results[-1].ok and results[-1].audit == "catalog_files_present":
            continue
        fill = {"catalog": quote_ident(name), "ra": quote_ident(ra), "dec": quote_ident(dec)}
        audits = ["coordinates_in_range", "rows_in_their_partition", "registry_row_count"]
        if key:
            fill["key_list"] = ", ".join(quote_ident(k) for k in key)
            audits.append("unique_key")
        if flux_cols:
            fill["flux_columns"] = ", ".join(quote_ident(c) for c in flux_cols)
            fill["any_negative"] = " OR ".join(f"{quote_ident(c)} < 0" for c in flux_cols)
            audits.append("fluxes_nonnegative")
        for audit in audits:
            sql = resources.read_sql(f"audits/{audit}.sql").format(**fill)
            params = {"name": name, "n_rows": n_rows} if "$n_rows" in sql else {}
            rows = store.con.execute(sql, params).fetchall()
            results.append(AuditResult(audit, name, len(rows), rows[:3]))
    results.extend(_xmatch_audits(store))
    return results


def _xmatch_audits(store: Database) -> list[AuditResult]:
    """Cross-match runs: pairs within the radius, pair counts, keys present in both catalogs."""
    results = []
    runs = store.con.execute(resources.read_sql("store/xmatch_runs_to_audit.sql")).fetchall()
    for run_id, name, left, right, left_key, right_key in runs:
        label = f"xmatch:{name}"
        for audit in ("xmatch_pairs_within_radius", "xmatch_run_pair_count"):
            rows = store.con.execute(resources.read_sql(f"audits/{audit}.sql"),
                                     {"run_id": run_id}).fetchall()
            results.append(AuditResult(audit, label, len(rows), rows[:3]))
        if not left_key or not right_key or len(left_key) != 1 or len(right_key) != 1:
            gone = [c for c, k in ((left, left_key), (right, right_key)) if not k]
            results.append(AuditResult("xmatch_pair_keys_exist", label, len(gone),
                                       [f"catalog {c} is gone or has no single key"
                                        for c in gone]))
            continue
        sql = resources.read_sql("audits/xmatch_pair_keys_exist.sql").format(
            left_catalog=quote_ident(left), right_catalog=quote_ident(right),
            left_key=quote_ident(left_key[0]), right_key=quote_ident(right_key[0]))
        rows = store.con.execute(sql, {"run_id": run_id}).fetchall()
        results.append(AuditResult("xmatch_pair_keys_exist", label, len(rows), rows[:3]))
    return results


def _disk_checks(store: Database, name: str, n_rows: int, sha: str,
                 n_parts: int) -> list[AuditResult]:
    cdir = layout.catalog_dir(store.path, name)
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
