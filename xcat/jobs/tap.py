"""Ingest jobs that query live VO services: CSC TAP cones (2.1 or 2.0), HEASARC 2RXS and
eRASS1 cones, and any user ADQL sent to those services.

Every job has one shape: check the options and build a :class:`RemoteQuery` (no
network), fetch and check the answer (:func:`xcat.services.run_tap`), prepare the
catalogs (:func:`xcat.ingest.prepare_table`), and only then open the store and
install them. So a network failure, a service error or bad rows leave the store as
it was. The registry records the service URL as ``source``, the ADQL sent as
``source_detail`` and the SHA-256 of the response bytes. The TAP upload join lives in
:mod:`xcat.upload_match`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xcat.catalog.cone import radius_degrees
from xcat.errors import XcatError
from xcat.jobs.runner import ingest_path, install_into, prepare_table
from xcat.remote import adql
from xcat.remote.services import Service, get_service, resolve_name, run_tap
from xcat.store.kinds import load_definition

# HEASARC catalog kind -> default catalog name; CSC release -> service name = catalog name
HEASARC_KINDS = {"rxs2": "rxs2", "erass1": "erass1"}
CSC_NAMES = {"2.1": "csc21", "2.0": "csc20"}


@dataclass(frozen=True)
class RemoteQuery:
    """What a remote ingest sends: the service, the ADQL, and the catalog it becomes."""

    service: Service
    adql: str
    kind: str
    name: str

    def describe(self) -> list[str]:
        """Lines for ``--dry-run``: where it would go, what it would load, the ADQL."""
        return [f"service: {self.service.name} {self.service.url} "
                f"(TAP sync: POST {self.service.url}/sync)",
                f"catalog: {self.name} (kind {self.kind})", "ADQL:", self.adql]


@dataclass(frozen=True)
class SourceOptions:
    """Where the rows come from, as given on the command line (checked by :meth:`check`)."""

    file: Path | None = None
    cone: str | None = None
    object_name: str | None = None
    radius: str | None = None
    adql: str | None = None
    upload: Path | None = None

    def check(self, *, uploads: bool = False) -> None:
        """Exactly one source: FILE, a cone (--cone/--object with --radius), --adql, --upload."""
        given = [o for o, v in (("FILE", self.file), ("--cone", self.cone),
                                ("--object", self.object_name), ("--adql", self.adql),
                                ("--upload", self.upload)) if v is not None]
        choices = "FILE, --cone \"RA DEC\", --object NAME" + (", --upload FILE" if uploads
                                                             else "") + " or --adql QUERY"
        if not given:
            raise XcatError(f"give one of {choices}")
        if self.file is not None and len(given) > 1:
            raise XcatError(f"FILE cannot be combined with {', '.join(given[1:])}")
        if self.cone is not None and self.object_name is not None:
            raise XcatError("give --cone or --object, not both")
        if self.adql is not None and (self.cone is not None or self.object_name is not None):
            raise XcatError("--adql replaces the built query: give it without --cone/--object")
        if self.upload is not None and (self.cone is not None or self.object_name is not None):
            raise XcatError("--upload matches the uploaded positions: give it without "
                            "--cone/--object")
        if self.adql is not None and not self.adql.strip():
            raise XcatError("--adql is empty")
        needs_radius = self.cone is not None or self.object_name is not None \
            or self.upload is not None
        if needs_radius and self.radius is None:
            raise XcatError("--radius (with a unit, e.g. 12arcmin) is needed with "
                            "--cone, --object and --upload")
        if self.radius is not None and not needs_radius:
            raise XcatError("--radius goes with --cone, --object or --upload")

    @property
    def remote(self) -> bool:
        """Whether the rows come from a service (not from FILE)."""
        return self.file is None


def target_cone(cone: str | None, object_name: str | None, radius: str) -> adql.Cone:
    """The cone of ``--cone "RA DEC"`` or ``--object NAME`` (Sesame) with ``--radius``.

    Examples
    --------
    >>> target_cone("210.80 54.35", None, "12arcmin")
    Cone(ra=210.8, dec=54.35, radius_deg=0.2)

    """
    radius_deg = radius_degrees(radius)
    ra, dec = (resolve_name(object_name) if object_name is not None
               else adql.parse_position(cone or ""))
    return adql.Cone(ra, dec, radius_deg)


def csc_query(opts: SourceOptions, *, release: str = "2.1", detections: bool = False,
              name: str | None = None) -> RemoteQuery:
    """The CSC TAP query of ``opts`` (a cone, or the user's ``--adql``), not yet sent.

    Examples
    --------
    >>> q = csc_query(SourceOptions(cone="210.80 54.35", radius="12arcmin"))
    >>> q.service.url, q.name
    ('http://cda.cfa.harvard.edu/csc21tap', 'csc21')

    """
    if release not in CSC_NAMES:
        raise XcatError(f"--release {release}: choose 2.1 or 2.0")
    if detections and opts.adql is not None:
        raise XcatError("--with-detections builds the joins itself; with --adql select the "
                        "detection columns yourself")
    service = get_service(CSC_NAMES[release])
    if opts.adql is not None:
        text = opts.adql.strip()
    else:
        cone = target_cone(opts.cone, opts.object_name, opts.radius or "")
        text = adql.csc_cone(cone, schema=service.schema or CSC_NAMES[release],
                             detections=detections)
    return RemoteQuery(service, text, "csc", name or CSC_NAMES[release])


def heasarc_query(kind: str, opts: SourceOptions, *, name: str | None = None) -> RemoteQuery:
    """The HEASARC query for ``kind`` (``rxs2``: rass2rxs, ``erass1``: erass1main).

    Examples
    --------
    >>> heasarc_query("erass1", SourceOptions(cone="0 -30", radius="1deg")).adql.split()[3]
    'erass1main'

    """
    if kind not in HEASARC_KINDS:
        raise XcatError(f"no HEASARC ingest for '{kind}' (known: {', '.join(HEASARC_KINDS)})")
    service = get_service("heasarc")
    if opts.adql is not None:
        text = opts.adql.strip()
    else:
        text = adql.heasarc_cone(kind, target_cone(opts.cone, opts.object_name,
                                                   opts.radius or ""))
    return RemoteQuery(service, text, kind, name or HEASARC_KINDS[kind])


def fetch_and_prepare(query: RemoteQuery) -> tuple[list[Any], Any]:
    """Send the query, check the answer, and prepare its catalogs (store untouched)."""
    answer = run_tap(query.service, query.adql)
    table = match_definition_case(answer.table, query.kind)
    return prepare_table(table, source=query.service.url, detail=query.adql,
                         sha256=answer.sha256, kind=query.kind, name=query.name)


def ingest_remote(store_path: str | Path | None, query: RemoteQuery, *, replace: bool = False,
                  progress: bool = False) -> list[str]:
    """Run ``query``, then install what it returned into the store; a line per catalog.

    Examples
    --------
    >>> q = csc_query(SourceOptions(object_name="M101", radius="12arcmin"))  # doctest: +SKIP
    >>> ingest_remote("xcat-store", q)                                     # doctest: +SKIP
    ['csc21: loaded 131 rows (1 partitions) from http://cda.cfa.harvard.edu/csc21tap']

    """
    builds, prov = fetch_and_prepare(query)
    return install_into(store_path, builds, prov, replace=replace, progress=progress)


def run_csc(store_path: str | Path | None, opts: SourceOptions, *, release: str | None = None,
            detections: bool = False, name: str | None = None, dry_run: bool = False,
            replace: bool = False, progress: bool = False) -> list[str]:
    """``xcat ingest csc``: a file (CSCview/TAP/CLI export) or a CSC TAP query.

    Examples
    --------
    >>> lines = run_csc(None, SourceOptions(cone="210.80 54.35", radius="12arcmin"),
    ...                 dry_run=True)
    >>> lines[1]
    'catalog: csc21 (kind csc)'

    """
    opts.check()
    if not opts.remote:
        _file_only(release=release, with_detections=detections, dry_run=dry_run)

        return ingest_path(store_path, opts.file, kind="csc", name=name or "csc",
                           replace=replace, progress=progress)
    query = csc_query(opts, release=release or "2.1", detections=detections, name=name)
    if dry_run:
        return query.describe()
    return ingest_remote(store_path, query, replace=replace, progress=progress)


def run_heasarc(store_path: str | Path | None, kind: str, opts: SourceOptions, *,
                name: str | None = None, dry_run: bool = False, replace: bool = False,
                progress: bool = False) -> list[str]:
    """``xcat ingest 2rxs`` / ``xcat ingest erass1`` without an upload: a file or a cone/ADQL.

    Examples
    --------
    >>> lines = run_heasarc(None, "rxs2", SourceOptions(cone="0 90", radius="1deg"),
    ...                     dry_run=True)
    >>> print(lines[-1])
    SELECT * FROM rass2rxs
    WHERE 1 = CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', 0.0, 90.0, 1.0))

    """
    opts.check()
    if not opts.remote:
        _file_only(dry_run=dry_run)

        return ingest_path(store_path, opts.file, kind=kind, name=name or HEASARC_KINDS[kind],
                           replace=replace, progress=progress)
    query = heasarc_query(kind, opts, name=name)
    if dry_run:
        return query.describe()
    return ingest_remote(store_path, query, replace=replace, progress=progress)


def match_definition_case(table: Any, kind: str) -> Any:
    """Rename columns to the definition's case when the service spells them differently.

    HEASARC serves lower-case column names; the eRASS1 definition uses the DR1 names
    (``IAUNAME``, ``RA``, ``POS_ERR``). When the definition's key is absent but present
    in another case, every column takes the key's case. (HEASARC's exact erass1main
    names are not verified offline.)
    """
    key = load_definition(kind).key
    names = list(table.colnames)
    if not key or key in names or key.lower() not in {n.lower() for n in names}:
        return table
    convert = str.upper if key.isupper() else str.lower
    new = [convert(n) for n in names]
    if len(set(new)) != len(new):
        return table
    table = table.copy(copy_data=False)
    table.rename_columns(names, new)
    return table


def _file_only(*, release: str | None = None, with_detections: bool = False,
               dry_run: bool = False) -> None:
    for flag, value in (("--release", release), ("--with-detections", with_detections),
                        ("--dry-run", dry_run)):
        if value:
            raise XcatError(f"{flag} applies to service queries, not to FILE")
