"""Product links of a source from an IVOA DataLink ``{links}`` service, with the CSC's
own product names mapped to xcat's product types.

The service answers ``GET <url>?ID=<source key>`` with a VOTable of links (DataLink
1.1: ``ID``, ``access_url``, ``service_def``, ``error_message``, ``semantics``,
``description``, ``content_type``, ``content_length``; extra columns are read when
present: ``local_semantics``, ``checksum``, ``obsid``, ``obi``, ``region_id``,
``band``, ``filetype``). Rows with an ``error_message`` or without an ``access_url``
(service descriptors) are counted, not recorded.

The CSC names a product file by its *file type* (``lightcurve``, ``spectrum``, ``arf``,
``rmf``, ``srcreg``, ``sensity``, ...: the names of the CSC's ``csccli/retrieveFile``
service and CSCview) and its file name carries the ObsID, ObI, region and band
(``acisf01234_000N021_r0012b_lc3.fits``). The type is read from the link's
``filetype`` column, else the ``filetype=`` parameter of its URL, else the file name's
suffix (``_lc3`` -> ``lightcurve``); obsid, region and band likewise.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import numpy as np

from xcat.errors import XcatError
from xcat.remote.products_http import get_bytes
from xcat.remote.services import Service

#: The CSC's file types (CIAO ``search_csc`` / ``csccli/retrieveFile`` names) -> xcat type.
CSC_FILETYPES: dict[str, str] = {
    "lightcurve": "lc", "spectrum": "pha", "arf": "arf", "rmf": "rmf",
    "srcreg": "region", "stksrcreg": "region", "sensity": "sensmap",
    "regevt3": "evt", "stkregevt3": "evt", "regimg": "image", "stkregimg": "image",
    "psf": "psf", "regexpmap": "expmap", "stkregexp": "expmap", "draws": "draws",
    "stkdraws": "draws", "aperphot": "aperphot", "stkaperphot": "aperphot",
    "srcaperphot": "aperphot", "bayesblks": "bayesblocks", "srcpoly3": "polygon",
}
#: File-name suffixes of CSC Level-3 products -> the CSC file type.
CSC_SUFFIXES: dict[str, str] = {
    "lc3": "lightcurve", "pha3": "spectrum", "arf3": "arf", "rmf3": "rmf",
    "reg3": "srcreg", "sens3": "sensity", "regevt3": "regevt3", "regimg3": "regimg",
    "psf3": "psf", "regexp3": "regexpmap", "draws3": "draws", "phot3": "aperphot",
    "blocks3": "bayesblks", "poly3": "srcpoly3",
}
#: What users may type for ``--type`` -> xcat type (xcat's names and the CSC's own).
TYPE_ALIASES: dict[str, str] = {
    **{t: t for t in set(CSC_FILETYPES.values())},
    **CSC_FILETYPES, "spec": "pha", "reg": "region", "sens": "sensmap", "img": "image",
    "exp": "expmap", "regevt": "evt", "phot": "aperphot", "blocks": "bayesblocks",
    "poly": "polygon",
}
#: CSC energy bands (letters used in file names and column suffixes).
CSC_BANDS = ("b", "s", "m", "h", "u", "w")

_NAME_RE = re.compile(r"^(?:acis|hrc)f(?P<obsid>\d{5})_(?P<obi>\d{3})N\d{3}")
_REGION_RE = re.compile(r"_r(?P<region>\d{4})(?P<band>[bsmhuw]?)_(?P<ext>[a-z]+3)\.", re.I)
_SUFFIX_RE = re.compile(r"_(?P<ext>[a-z]+3)\.(?:fits|fit|reg|txt|jpg)", re.I)


@dataclass(frozen=True)
class ProductLink:
    """One file a product service lists for a source."""

    url: str
    file_name: str
    product_type: str
    service_type: str
    band: str | None = None
    obsid: int | None = None
    obi: int | None = None
    region_id: int | None = None
    content_type: str | None = None
    size_bytes: int | None = None
    checksum: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class LinksAnswer:
    """The links a service returned for one ID, and what was left out."""

    links: list[ProductLink]
    errors: list[str]          # error_message of the rows that carried one
    skipped: int               # rows without an access_url (service descriptors)
    content: bytes             # the bytes received


def parse_types(text: str | None) -> list[str] | None:
    """The product types (xcat's names) of ``"lc,pha"`` (CSC names accepted); None for all.

    Examples
    --------
    >>> parse_types("lc, spectrum,ARF")
    ['lc', 'pha', 'arf']
    >>> parse_types(None) is None
    True

    """
    if text is None or not text.strip():
        return None
    out = []
    for token in (t.strip().lower() for t in text.split(",")):
        if not token:
            continue
        if token not in TYPE_ALIASES:
            known = ", ".join(sorted(set(TYPE_ALIASES.values())))
            raise XcatError(f"--type {token}: not a product type (types: {known}; the CSC's "
                            "own names such as lightcurve, spectrum, srcreg work too)")
        if TYPE_ALIASES[token] not in out:
            out.append(TYPE_ALIASES[token])
    return out


def query_links(service: Service, source_id: str, *, session: Any = None) -> LinksAnswer:
    """Ask the DataLink service for the links of ``source_id`` and parse the answer.

    Examples
    --------
    >>> answer = query_links(get_service("csc21_datalink"), "2CXO J140312.5+542056")
    ... # doctest: +SKIP
    >>> [(link.product_type, link.band) for link in answer.links][:2]  # doctest: +SKIP
    [('lc', 'b'), ('pha', None)]

    """
    content = get_bytes(service, service.url, {"ID": source_id}, session=session)
    return parse_links(content, service)


def parse_links(content: bytes, service: Service) -> LinksAnswer:
    """The product links of a DataLink VOTable (see the module's description)."""
    from astropy.io.votable import parse

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            votable = parse(io.BytesIO(content), verify="ignore")
            table = votable.get_first_table().to_table(use_names_over_ids=True)
        except Exception as exc:
            start = content[:80].decode("utf-8", "replace").strip().splitlines()
            raise XcatError(f"{service.label()}: the answer is not a DataLink VOTable "
                            f"({start[0] if start else 'empty answer'})") from exc
    names = {c.lower(): c for c in table.colnames}
    if "access_url" not in names:
        raise XcatError(f"{service.label()}: the answer has no access_url column "
                        f"(columns: {', '.join(table.colnames[:10])}); is it a DataLink "
                        "links service?")
    links, errors, skipped = [], [], 0
    for row in table:
        def cell(name: str, row=row) -> Any:
            col = names.get(name)
            if col is None:
                return None
            value = row[col]
            if value is None or np.ma.is_masked(value):
                return None
            value = value.item() if hasattr(value, "item") else value
            if isinstance(value, bytes):
                value = value.decode()
            return None if isinstance(value, str) and not value.strip() else value

        if cell("error_message"):
            errors.append(str(cell("error_message")))
            continue
        url = cell("access_url")
        if not url:
            skipped += 1
            continue
        link = csc_link(str(url).strip(), cell)
        if link is not None:
            links.append(link)
        else:
            skipped += 1
    return LinksAnswer(links, errors, skipped, content)


def csc_link(url: str, cell: Any) -> ProductLink | None:
    """A :class:`ProductLink` from one links row (``cell(name)`` reads its columns), or
    None when nothing tells what product the link is.
    """
    parts = urlsplit(url)
    query = {k.lower(): v[0] for k, v in parse_qs(parts.query).items()}
    file_name = query.get("filename") or PurePosixPath(unquote(parts.path)).name
    if not file_name:
        return None
    name_m = _NAME_RE.match(file_name)
    reg_m = _REGION_RE.search(file_name)
    suffix_m = reg_m or _SUFFIX_RE.search(file_name)
    filetype = (cell("filetype") or query.get("filetype") or cell("local_semantics")
                or (CSC_SUFFIXES.get(suffix_m["ext"].lower()) if suffix_m else None))
    if not filetype:
        return None
    filetype = str(filetype).strip().removeprefix("#").lower()
    ptype = CSC_FILETYPES.get(filetype, TYPE_ALIASES.get(filetype, filetype))
    band = cell("band") or (reg_m["band"].lower() if reg_m and reg_m["band"] else None)
    if band is not None and str(band).lower() not in CSC_BANDS:
        band = str(band)
    checksum = cell("checksum")
    if checksum is None and cell("sha256"):
        checksum = f"sha256:{cell('sha256')}"
    return ProductLink(
        url=url, file_name=_safe_file_name(file_name), product_type=ptype,
        service_type=filetype, band=None if band is None else str(band).lower(),
        obsid=_int(cell("obsid"), name_m and name_m["obsid"]),
        obi=_int(cell("obi"), name_m and name_m["obi"]),
        region_id=_int(cell("region_id"), reg_m and reg_m["region"]),
        content_type=cell("content_type"), size_bytes=_int(cell("content_length"), None),
        checksum=None if checksum is None else str(checksum),
        description=cell("description"))


def _int(value: Any, fallback: Any) -> int | None:
    for v in (value, fallback):
        if v is None or v is False:
            continue
        try:
            return int(v)
        except (TypeError, ValueError):
            continue
    return None


def _safe_file_name(name: str) -> str:
    """The file's name with anything but letters, digits, ``._+-`` made ``_`` (no paths).

    Examples
    --------
    >>> _safe_file_name("../acisf01234_000N021_r0012b_lc3.fits.gz")
    'acisf01234_000N021_r0012b_lc3.fits.gz'

    """
    base = PurePosixPath(name.replace("\\", "/")).name
    safe = re.sub(r"[^A-Za-z0-9._+-]", "_", base).lstrip(".")
    return safe or "product"
