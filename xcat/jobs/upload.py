"""TAP upload join: match the rows of a local table to 2RXS at HEASARC, service-side.

``xcat ingest 2rxs --upload stars.csv --radius 8arcsec`` does what HEASARC's tutorial
does for CARMENES x 2RXS (``SELECT ... FROM rass2rxs AS c, tap_upload.<t> AS u WHERE
1=CONTAINS(POINT('ICRS',c.ra,c.dec), CIRCLE('ICRS',u.ra,u.dec,r))``) and stores three
things: the uploaded table as its own catalog (the normal file ingest, kind
``table``), the matched 2RXS rows once each as the ``rxs2`` catalog, and the pairs as
a cross-match run (:mod:`xcat.catalog.runs`) whose separations xcat computes with
astropy from the positions it stores. Only ``xcat_row, ra, dec`` are uploaded; the
join is ``ingest/rxs2/upload.adql``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from xcat.catalog.cone import radius_degrees
from xcat.catalog.runs import XmatchRun, rank_pairs, record_run
from xcat.errors import XcatError
from xcat.jobs.base import Job
from xcat.jobs.file import FileJob
from xcat.jobs.runner import CatalogInstall
from xcat.jobs.tap import Source, prepare_table
from xcat.remote import adql
from xcat.remote.services import Service, get_service, run_tap
from xcat.sky.spherical import separation_deg
from xcat.store.db import Database
from xcat.store.kinds import load_definition

METHOD = "tap_upload_cone"
RIGHT_KIND = "rxs2"


@dataclass
class UploadPlan:
    """Everything checked before any network call: the upload catalog and the query."""

    service: Service
    adql: str
    radius_deg: float
    file: Path
    upload_name: str
    upload_key: str
    builds: list[Any]  # the upload catalog, ready to install (kind "table")
    prov: Any
    upload: Any  # astropy Table: xcat_row, ra, dec (degrees)
    name: str  # the 2RXS catalog name

    @property
    def run_name(self) -> str:
        """Name of the cross-match run: ``<upload>_x_<rxs2>``."""
        return f"{self.upload_name}_x_{self.name}"

    def describe(self) -> list[str]:
        """Lines for ``--dry-run``."""
        return [f"service: {self.service.name} {self.service.url} "
                f"(TAP sync: POST {self.service.url}/sync, multipart with UPLOAD)",
                f"upload: tap_upload.{adql.UPLOAD_TABLE} = {len(self.upload)} rows "
                f"({adql.UPLOAD_ROW}, ra, dec) of {self.file.name} (catalog {self.upload_name},"
                f" key {self.upload_key})",
                f"catalogs: {self.upload_name} (kind table), {self.name} (kind {RIGHT_KIND});"
                f" cross-match run {self.run_name}",
                "ADQL:", self.adql]


@dataclass
class Matches:
    """The checked answer: the 2RXS catalog to install and the pairs to record."""

    builds: list[Any]
    prov: Any
    pairs: pa.Table
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class UploadJob(Job):
    """Match every row of ``file`` to 2RXS at HEASARC within ``radius`` (TAP upload join).

    ``upload_name`` (default from the file name), ``upload_ra``/``upload_dec`` and
    ``upload_key`` (default: the first column unique on every row) describe the
    uploaded table; ``name`` is the 2RXS catalog (default ``rxs2``); ``adql`` replaces
    the built join.

    Examples
    --------
    >>> job = UploadJob(file=Path("cif20.Mother.v01.csv"), radius="8arcsec",
    ...                 upload_name="carmenes")
    >>> job.run_name
    'carmenes_x_rxs2'

    """

    file: Path
    radius: str
    adql: str | None = None
    name: str | None = None
    upload_name: str | None = None
    upload_ra: str | None = None
    upload_dec: str | None = None
    upload_key: str | None = None

    def __post_init__(self) -> None:
        Source(upload=self.file, radius=self.radius, adql=self.adql).check(uploads=True)
        radius_degrees(self.radius)
        object.__setattr__(self, "file", Path(self.file))
        object.__setattr__(self, "upload_name", self.upload_name or default_name(self.file))
        object.__setattr__(self, "name", self.name or RIGHT_KIND)
        if self.upload_name == self.name:
            raise XcatError(f"the upload catalog and the 2RXS catalog are both named "
                            f"'{self.name}'; choose another --upload-name or --name")

    @property
    def run_name(self) -> str:
        """Name of the cross-match run: ``<upload>_x_<rxs2>``."""
        return f"{self.upload_name}_x_{self.name}"

    def plan(self) -> UploadPlan:
        """Read and check the upload file and build the query; no network, no store."""
        from astropy.table import Table

        try:
            builds, prov = self._read(self.upload_key)
            key = self.upload_key or pick_key(builds[0])
            if not self.upload_key:
                builds, prov = self._read(key)
        except XcatError as exc:
            raise XcatError(str(exc).replace("--ra ", "--upload-ra ").replace(
                "--dec ", "--upload-dec ").replace("--key ", "--upload-key ")) from exc
        b = builds[0]
        upload = Table({adql.UPLOAD_ROW: np.arange(b.table.num_rows, dtype=np.int64),
                        "ra": b.table.column(b.ra).to_numpy(zero_copy_only=False),
                        "dec": b.table.column(b.dec).to_numpy(zero_copy_only=False)})
        radius_deg = radius_degrees(self.radius)
        text = self.adql.strip() if self.adql is not None else adql.rxs2_upload_join(radius_deg)
        return UploadPlan(get_service("heasarc"), text, radius_deg, self.file,
                          self.upload_name or "", key, builds, prov, upload, self.name or "")

    def describe(self) -> list[str]:
        """What would be uploaded and sent (reads the upload file; no network)."""
        return self.plan().describe()

    def prepare(self) -> UploadInstall:
        """Read the upload file, send the join, check the answer (store untouched)."""
        plan = self.plan()
        return UploadInstall(plan, fetch_matches(plan))

    def _read(self, key: str | None):
        job = FileJob(kind="table", file=self.file, name=self.upload_name, ra=self.upload_ra,
                      dec=self.upload_dec, key=key)
        return job.prepare().batches[0]


def fetch_matches(plan: UploadPlan) -> Matches:
    """Send the upload join; check it; keep pairs within the radius by astropy separation."""
    answer = run_tap(plan.service, plan.adql, uploads={adql.UPLOAD_TABLE: plan.upload})
    label = plan.service.label()
    key = load_definition(RIGHT_KIND).key
    table = strip_alias_prefix(answer.table, key)
    row_col = next((c for c in table.colnames if c == adql.UPLOAD_ROW
                    or c.endswith("_" + adql.UPLOAD_ROW)), None)
    if row_col is None or key not in table.colnames:
        raise XcatError(f"{label}: the answer has no '{adql.UPLOAD_ROW}' or '{key}' column "
                        "(an --adql upload query must select u.xcat_row and the 2RXS columns)")
    if len(table) == 0:
        raise XcatError(f"{label}: no 2RXS source within {plan.radius_deg * 3600:g} arcsec of "
                        f"any of the {len(plan.upload)} uploaded positions; nothing stored")
    rows = np.asarray(table[row_col], dtype=np.int64)
    if rows.min() < 0 or rows.max() >= len(plan.upload):
        raise XcatError(f"{label}: the answer refers to upload rows that were not sent")
    table.remove_column(row_col)
    names = np.array([str(v).strip() for v in table[key]], dtype=object)
    _, once = np.unique(np.char.add(np.char.add(rows.astype(str), "|"), names.astype(str)),
                        return_index=True)  # a pair listed twice counts once
    once.sort()
    table, rows, names = table[once], rows[once], names[once]
    _, first = np.unique(names.astype(str), return_index=True)
    builds, prov = prepare_table(table[np.sort(first)], source=plan.service.url,
                                 detail=plan.adql, sha256=answer.sha256, kind=RIGHT_KIND,
                                 name=plan.name)
    right = builds[0]
    left = plan.builds[0]
    left_keys = np.array([str(v) for v in left.table.column(plan.upload_key).to_pylist()],
                         dtype=object)[rows]
    sep = _separations(left, rows, right, names)
    keep = sep <= plan.radius_deg * 3600.0
    pairs = rank_pairs(list(left_keys[keep]), list(names[keep]), sep[keep])
    notes = []
    if not keep.all():
        notes.append(f"{int((~keep).sum())} service pair(s) beyond "
                     f"{plan.radius_deg * 3600:g} arcsec by astropy separation were dropped")
    if not keep.any():
        raise XcatError(f"{label}: no pair within {plan.radius_deg * 3600:g} arcsec by astropy "
                        "separation; nothing stored")
    matched = pa.array(sorted(set(names[keep])), pa.string())
    right.table = right.table.filter(pc.is_in(right.table.column(right.key[0]),
                                              value_set=matched))
    return Matches(builds, prov, pairs, notes)


class UploadInstall(CatalogInstall):
    """The upload catalog and the 2RXS catalog, then the run and its pairs."""

    def __init__(self, plan: UploadPlan, matches: Matches):
        super().__init__([(plan.builds, plan.prov), (matches.builds, matches.prov)])
        self.plan = plan
        self.matches = matches

    def finish(self, store: Database) -> list[str]:
        """Record the cross-match run of the matched pairs."""
        plan, matches = self.plan, self.matches
        params = {"radius_arcsec": plan.radius_deg * 3600.0, "service": plan.service.url,
                  "adql": plan.adql, "upload_file": os.path.abspath(plan.file),  # noqa: PTH100
                  "upload_sha256": plan.prov.sha256, "upload_rows": len(plan.upload),
                  "upload_key": plan.upload_key, "right_key": matches.builds[0].key[0],
                  "response_sha256": matches.prov.sha256,
                  "separation": "great-circle (Vincenty) separation of the stored ICRS positions"}
        run_id = record_run(store, XmatchRun(plan.run_name, plan.upload_name, plan.name,
                                             METHOD, matches.pairs, params))
        n_left = len(set(matches.pairs.column("left_key").to_pylist()))
        lines = [f"{plan.run_name}: cross-match run {run_id}: {matches.pairs.num_rows} pairs "
                 f"within {plan.radius_deg * 3600:g} arcsec ({n_left} of {len(plan.upload)} "
                 f"{plan.upload_name} rows matched)"]
        return lines + [f"  note: {n}" for n in matches.notes]


def default_name(file: Path) -> str:
    """A catalog name from a file name: ``cif20.Mother.v01.csv`` → ``cif20_Mother_v01``.

    Examples
    --------
    >>> default_name(Path("2mass stars.csv"))
    't_2mass_stars'

    """
    stem = file.name.split(".csv")[0] if file.name.endswith(".csv") else file.stem
    name = re.sub(r"[^A-Za-z0-9_]+", "_", stem).strip("_")[:60] or "upload"
    return name if name[0].isalpha() else f"t_{name}"


def pick_key(build: Any) -> str:
    """The first text or integer column with a unique, non-empty value on every row."""
    for col in build.table.column_names:
        arr = build.table.column(col)
        if col in (build.ra, build.dec) or arr.null_count:
            continue
        if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)
                or pa.types.is_integer(arr.type)):
            continue
        if pc.count_distinct(arr).as_py() == build.table.num_rows:
            return col
    raise XcatError(f"{build.name}: no column has a unique value on every row; name one "
                    "with --upload-key COLUMN (the pairs refer to it)")


def strip_alias_prefix(table: Any, key: str) -> Any:
    """Undo a join's alias prefix on column names (``c_count_rate`` → ``count_rate``).

    HEASARC prefixes the columns of an upload join with the table alias. The prefix is
    the shortest ``P`` such that ``P<key>``, ``Pra`` and ``Pdec`` all exist.
    """
    names = list(table.colnames)
    if key in names:
        return table
    prefixes = sorted((n[: -len(key)] for n in names
                       if n.endswith("_" + key) and f"{n[: -len(key)]}ra" in names
                       and f"{n[: -len(key)]}dec" in names), key=len)
    if not prefixes:
        return table
    p = prefixes[0]
    new = [n[len(p):] if n.startswith(p) and n[len(p):] not in names else n for n in names]
    if len(set(new)) != len(new):
        return table
    table = table.copy(copy_data=False)
    table.rename_columns(names, new)
    return table


def _separations(left: Any, rows: np.ndarray, right: Any, names: np.ndarray) -> np.ndarray:
    """Arcsec between each uploaded row and its 2RXS partner, from the stored positions."""
    index = {k: i for i, k in enumerate(right.table.column(right.key[0]).to_pylist())}
    j = np.array([index[n] for n in names], dtype=np.int64)
    lra = left.table.column(left.ra).to_numpy(zero_copy_only=False)[rows]
    ldec = left.table.column(left.dec).to_numpy(zero_copy_only=False)[rows]
    rra = right.table.column(right.ra).to_numpy(zero_copy_only=False)[j]
    rdec = right.table.column(right.dec).to_numpy(zero_copy_only=False)[j]
    return separation_deg(lra, ldec, rra, rdec) * 3600.0
