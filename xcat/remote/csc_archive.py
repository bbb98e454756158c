"""Product links of a CSC source from the Chandra archive's file interface (``csccli``).

This is the interface CIAO's ``search_csc`` script downloads CSC products with
(ciao-contrib, ``ciao_contrib/cda/csccli.py``). A CSC product file belongs to one
detection of a source: an observation interval (ObsID, ObI) and a source region
(``region_id``), and for some types an energy band. Two requests per file:

- ``GET <url>/browse?packageset=OBSID.OBI.REGION/FILETYPE/BAND&version=RELEASE`` answers
  a JSON list of ``{"filename": ...}``: the file's real name (it carries processing
  version numbers that cannot be guessed). REGION is empty for per-observation products,
  BAND empty for products without a band;
- ``GET <url>/retrieveFile?filetype=FILETYPE&filename=NAME&version=RELEASE`` sends the
  file, gzip-compressed (``search_csc`` saves it as ``NAME.gz``; so does xcat).

The detections come from the store (``flux_observations``: ``xcat ingest csc --cone ...
--with-observations``). Banded types are asked in the broad band (ACIS ``b``, HRC ``w``).
Spectra and RMFs exist for ACIS only. Per-stack products (stack event files, sensitivity
maps) need the stack id, which the store does not keep: they are not offered here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from xcat.errors import XcatError
from xcat.remote.datalink import LinksAnswer, ProductLink
from xcat.remote.products_http import get_bytes
from xcat.remote.services import Service

#: CSC file types offered per detection: xcat type -> (CSC filetype, banded, ACIS only).
ARCHIVE_TYPES: dict[str, tuple[str, bool, bool]] = {
    "lc": ("lightcurve", True, False), "pha": ("spectrum", False, True),
    "arf": ("arf", False, False), "rmf": ("rmf", False, True),
    "region": ("srcreg", False, False), "evt": ("regevt3", False, False),
    "image": ("regimg", True, False), "expmap": ("regexpmap", True, False),
    "psf": ("psf", True, False), "draws": ("draws", True, False),
    "aperphot": ("aperphot", True, False),
}
#: The band asked for banded types, by instrument.
BROAD_BAND = {"ACIS": "b", "HRC": "w"}


@dataclass(frozen=True)
class Detection:
    """One detection of a source: where the CSC keeps its files."""

    obsid: int
    obi: int
    region_id: int
    instrument: str  # ACIS or HRC


def query_archive(service: Service, detections: list[Detection], types: list[str] | None,
                  *, session: Any = None) -> LinksAnswer:
    """Ask ``browse`` for the files of every detection and type; the links to fetch them.

    Examples
    --------
    >>> d = Detection(obsid=934, obi=0, region_id=12, instrument="ACIS")
    >>> query_archive(get_service("csc21_archive"), [d], ["lc", "pha"])  # doctest: +SKIP

    """
    wanted = types or list(ARCHIVE_TYPES)
    unknown = [t for t in wanted if t not in ARCHIVE_TYPES]
    if unknown:
        raise XcatError(f"{service.name}: the CSC archive offers no per-detection "
                        f"'{', '.join(unknown)}' files here (it does: "
                        f"{', '.join(ARCHIVE_TYPES)})")
    links: list[ProductLink] = []
    errors: list[str] = []
    received = []
    for det in detections:
        instrument = det.instrument.strip().upper()
        for kind in wanted:
            filetype, banded, acis_only = ARCHIVE_TYPES[kind]
            if acis_only and instrument != "ACIS":
                continue
            band = BROAD_BAND.get(instrument, "b") if banded else ""
            pkg = f"{det.obsid}.{det.obi}.{det.region_id}/{filetype}/{band}"
            params = {"packageset": pkg, **_version(service)}
            content = get_bytes(service, f"{service.url}/browse", params, session=session)
            received.append(content)
            try:
                names = [str(item["filename"]) for item in json.loads(content)
                         if isinstance(item, dict) and item.get("filename")]
            except (ValueError, TypeError) as exc:
                errors.append(f"{pkg}: the answer is not a JSON list of file names ({exc})")
                continue
            links += [_link(service, det, kind, filetype, band, name) for name in names]
    return LinksAnswer(links, errors, 0, b"\n".join(received))


def _version(service: Service) -> dict[str, str]:
    return {"version": service.release} if service.release else {}


def _link(service: Service, det: Detection, kind: str, filetype: str, band: str,
          name: str) -> ProductLink:
    query = urlencode({"filetype": filetype, "filename": name, **_version(service)})
    return ProductLink(url=f"{service.url}/retrieveFile?{query}", file_name=f"{name}.gz",
                       product_type=kind, service_type=filetype, band=band or None,
                       obsid=det.obsid, obi=det.obi, region_id=det.region_id,
                       content_type="application/gzip")
