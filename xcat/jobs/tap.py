"""Ingests that query a live VO service: CSC TAP cones (2.1 or 2.0), HEASARC 2RXS and
eRASS1 cones, Gaia DR3 and VizieR cones, and any user ADQL sent to those services.

The service of each kind is the ``source`` of its ``ingest/<kind>/job.toml`` (CSC: one
per release) and its cone query the ``cone.adql`` beside it. A :class:`TapJob`
checks its options on construction (no network); :meth:`TapJob.prepare` sends the
query, checks the answer (:func:`xcat.remote.services.run_tap`) and prepares the
catalogs, and only then does the runner open the store. So a network failure, a
service error or bad rows leave the store as it was. The registry records the service
URL as ``source``, the ADQL sent as ``source_detail`` and the SHA-256 of the response
bytes. The TAP upload join is :mod:`xcat.jobs.upload`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xcat.catalog.build import CatalogBuild, check_name
from xcat.catalog.cone import radius_degrees
from xcat.catalog.prepare import prepare
from xcat.errors import XcatError
from xcat.io.readers import from_astropy
from xcat.jobs.base import Job, Provenance
from xcat.jobs.observations import ObservationsInstall, observation_rows, observations_adql
from xcat.jobs.runner import CatalogInstall
from xcat.remote import adql
from xcat.remote.services import Service, get_service, resolve_name, run_tap
from xcat.store.kinds import known_kinds, load_definition


@dataclass(frozen=True)
class Source:
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


@dataclass(frozen=True, kw_only=True)
class TapJob(Job):
    """A cone (``cone`` "RA DEC" or ``object_name`` via Sesame, with ``radius``) or the
    user's ``adql``, sent to the service of ``kind``.

    ``release`` (CSC: 2.1 or 2.0) picks the service; ``with_detections`` (CSC) adds one
    row per observation (``<name>_detections``); ``catalog`` is the VizieR table id and
    ``ra_col``/``dec_col`` its position columns.

    Examples
    --------
    >>> job = TapJob(kind="csc", cone="210.80 54.35", radius="12arcmin")
    >>> job.describe()[1]
    'catalog: csc21 (kind csc)'
    >>> print(TapJob(kind="rxs2", cone="0 90", radius="1deg").describe()[-1])
    SELECT * FROM rass2rxs
    WHERE 1 = CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', 0.0, 90.0, 1.0))

    """

    kind: str
    cone: str | None = None
    object_name: str | None = None
    radius: str | None = None
    adql: str | None = None
    name: str | None = None
    release: str | None = None
    with_detections: bool = False
    with_observations: bool = False
    catalog: str | None = None
    ra_col: str | None = None
    dec_col: str | None = None
    invalid_as_null: bool = False

    def __post_init__(self) -> None:
        Source(cone=self.cone, object_name=self.object_name, radius=self.radius,
               adql=self.adql).check()
        remote = [k for k in known_kinds() if load_definition(k).source]
        if self.kind not in remote:
            raise XcatError(f"no service ingest for '{self.kind}' (known: {', '.join(remote)})")
        releases = load_definition(self.kind).releases
        if self.release is not None and not releases:
            raise XcatError(f"--release applies to CSC, not to '{self.kind}'")
        if self.release is not None and self.release not in releases:
            raise XcatError(f"--release {self.release}: choose {' or '.join(releases)}")
        if self.with_detections and self.kind != "csc":
            raise XcatError(f"--with-detections applies to CSC, not to '{self.kind}'")
        if self.with_detections and self.adql is not None:
            raise XcatError("--with-detections builds the joins itself; with --adql select "
                            "the detection columns yourself")
        if self.with_observations and (self.kind != "csc" or self.adql is not None):
            raise XcatError("--with-observations applies to CSC cones (--cone/--object), "
                            f"not to {'--adql' if self.adql is not None else self.kind}")
        if self.kind == "vizier":
            if not self.catalog and self.adql is None:
                raise XcatError("give the VizieR CATALOG (e.g. I/355/gaiadr3) with --cone")
            if self.catalog and self.adql is None:
                adql.check_vizier_table(self.catalog)
                for c in (self.ra_col, self.dec_col):
                    adql.check_column(c or "RAJ2000")
        elif self.catalog:
            raise XcatError(f"xcat ingest {self.kind} takes no CATALOG")
        if self.name is not None:
            check_name(self.name)
        if self.radius is not None:
            radius_degrees(self.radius)
        if self.cone is not None:
            self.target()

    def target(self) -> adql.Cone:
        """The cone of ``cone`` or ``object_name`` (Sesame: needs the network)."""
        radius_deg = radius_degrees(self.radius or "")
        ra, dec = (resolve_name(self.object_name) if self.object_name is not None
                   else adql.parse_position(self.cone or ""))
        return adql.Cone(ra, dec, radius_deg)

    def query(self) -> RemoteQuery:
        """The query this job sends (not yet sent)."""
        definition = load_definition(self.kind)
        service = get_service(definition.releases[self.release] if self.release
                              else definition.source)
        if self.adql is not None:
            text = self.adql.strip()
        elif self.kind == "csc":
            text = adql.csc_cone(self.target(), schema=service.schema or service.name,
                                 detections=self.with_detections)
        elif self.kind == "vizier":
            text = adql.vizier_cone(self.catalog or "", self.target(),
                                    ra_col=self.ra_col or "RAJ2000",
                                    dec_col=self.dec_col or "DEJ2000")
        else:
            text = adql.cone_query(self.kind, self.target())
        return RemoteQuery(service, text, self.kind, self.name or self._default_name(service))

    def describe(self) -> list[str]:
        """Where the query would go, what it would load, and the ADQL."""
        lines = self.query().describe()
        if self.with_observations:
            lines += ["then, per-observation fluxes into flux_observations:", "ADQL:",
                      self._observations_adql()]
        return lines

    def _observations_adql(self) -> str:
        service = get_service(load_definition(self.kind).releases[self.release]
                              if self.release else load_definition(self.kind).source)
        return observations_adql(self.target(), schema=service.schema or service.name)

    def prepare(self) -> CatalogInstall:
        """Send the query, check the answer, prepare its catalogs (store untouched)."""
        q = self.query()
        answer = run_tap(q.service, q.adql)
        table = match_definition_case(answer.table, q.kind)
        builds, prov = prepare_table(table, source=q.service.url, detail=q.adql,
                                     sha256=answer.sha256, kind=q.kind, name=q.name,
                                     invalid_as_null=self.invalid_as_null)
        if self.with_observations:
            return self._with_observations(q, builds, prov)
        return CatalogInstall([(builds, prov)])

    def _with_observations(self, q: RemoteQuery, builds: list[CatalogBuild],
                           prov: Provenance) -> CatalogInstall:
        """Send the per-observation query too; both answers checked before the store."""
        text = self._observations_adql()
        answer = run_tap(q.service, text)
        if len(answer.table) == 0:
            raise XcatError(f"{q.service.url}: the per-observation query returned no rows")
        rows, notes = observation_rows(answer.table.to_pandas(), catalog=q.name,
                                       origin=q.service.url, detail=text,
                                       sha256=answer.sha256)
        return ObservationsInstall([(builds, prov)], observations=rows, notes=notes,
                                   service_url=q.service.url)

    def _default_name(self, service: Service) -> str:
        definition = load_definition(self.kind)
        if definition.releases:  # one service per release: the catalog is named after it
            return service.name
        if self.kind == "vizier":
            name = re.sub(r"[^A-Za-z0-9]+", "_", self.catalog or "vizier").strip("_").lower()
            return name if name[:1].isalpha() else f"vizier_{name}"
        return definition.default_name


def prepare_table(table: Any, *, source: str, detail: str, sha256: str, kind: str,
                  name: str, invalid_as_null: bool = False
                  ) -> tuple[list[CatalogBuild], Provenance]:
    """Check an in-memory astropy Table (a TAP answer) without touching any store.

    ``source`` is where it came from (a service URL), ``detail`` how (the ADQL sent),
    and ``sha256`` the hash of the bytes received. A unit astropy does not know is kept
    as the service wrote it (with a note): the user cannot correct a service's metadata.
    """
    inp = from_astropy(table, source, "service")
    if inp.table.num_rows == 0:
        raise XcatError(f"{source}: the service returned no rows")
    builds = prepare(inp, load_definition(kind), name=name, invalid_as_null=invalid_as_null,
                     strict_units=False)
    return builds, Provenance(source, detail, sha256)


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
