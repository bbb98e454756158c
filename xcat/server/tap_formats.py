"""TAP results as bytes: VOTable (BINARY2 by default, TABLEDATA/BINARY on request), CSV,
FITS; and DALI error documents.

The VOTable has ``<RESOURCE type="results">`` with ``INFO QUERY_STATUS=OK`` before the
table and, when MAXREC cut the result, ``INFO QUERY_STATUS=OVERFLOW`` after it (DALI 1.1).
Units, UCDs and descriptions come from the Arrow field metadata the sandbox attached.
"""

from __future__ import annotations

import io
import warnings
from xml.sax.saxutils import escape, quoteattr

import pyarrow as pa

from xcat.errors import XcatError
from xcat.server import votable_binary2
from xcat.store.results import to_astropy

VOTABLE = "application/x-votable+xml"
#: RESPONSEFORMAT values → (format, media type, votable serialization).
FORMATS = {
    "votable": ("votable", VOTABLE, "binary2"),
    "votable/b2": ("votable", VOTABLE, "binary2"),
    "votable/td": ("votable", VOTABLE, "tabledata"),
    "votable/b": ("votable", VOTABLE, "binary"),
    VOTABLE: ("votable", VOTABLE, "binary2"),
    "application/x-votable+xml;serialization=binary2": ("votable", VOTABLE, "binary2"),
    "application/x-votable+xml;serialization=tabledata": ("votable", VOTABLE, "tabledata"),
    "application/x-votable+xml;serialization=binary": ("votable", VOTABLE, "binary"),
    "text/xml": ("votable", "text/xml", "binary2"),
    "csv": ("csv", "text/csv", ""),
    "text/csv": ("csv", "text/csv", ""),
    "text/csv;header=present": ("csv", "text/csv", ""),
    "fits": ("fits", "application/fits", ""),
    "application/fits": ("fits", "application/fits", ""),
}


def response_format(value: str | None) -> tuple[str, str, str]:
    """(format, media type, serialization) of a RESPONSEFORMAT (default VOTable BINARY2)."""
    key = (value or "votable").strip().lower().replace(" ", "")
    if key not in FORMATS:
        raise XcatError(f"RESPONSEFORMAT {value!r} is not supported "
                        "(votable, votable/td, votable/b2, csv, fits)")
    return FORMATS[key]


def error_document(message: str) -> bytes:
    """A DALI error document: a VOTable whose results resource says ERROR and why."""
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3">\n'
            ' <RESOURCE type="results">\n'
            f'  <INFO name="QUERY_STATUS" value="ERROR">{escape(message)}</INFO>\n'
            ' </RESOURCE>\n</VOTABLE>\n').encode()


def _votable(table: pa.Table, overflow: bool, serialization: str, query: str) -> bytes:
    from astropy.io.votable import from_table
    from astropy.io.votable.tree import Info
    from astropy.units import UnitsWarning

    with warnings.catch_warnings():  # units VOUnit deprecates (erg) are kept as stored
        warnings.simplefilter("ignore", UnitsWarning)
        atable = to_astropy(table)
        vot = from_table(atable)
    res = vot.resources[0]
    res.type = "results"
    res.infos.append(Info(name="QUERY_STATUS", value="OK"))
    res.infos.append(Info(name="QUERY", value=" ".join(query.split())[:4000]))
    for fld, col in zip(vot.get_first_table().fields, atable.columns.values(), strict=True):
        if col.meta.get("ucd"):
            fld.ucd = col.meta["ucd"]
        if col.description:
            fld.description = col.description
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnitsWarning)
        vot.to_xml(buf, tabledata_format=serialization)
    out = buf.getvalue()
    if overflow:
        cut = out.rfind(b"</TABLE>") + len(b"</TABLE>")
        out = out[:cut] + b'\n  <INFO name="QUERY_STATUS" value="OVERFLOW"/>' + out[cut:]
    return out


def render(table: pa.Table, overflow: bool, fmt: tuple[str, str, str], query: str) -> bytes:
    """The result in the requested format."""
    kind, _, serialization = fmt
    if kind == "votable" and serialization == "binary2":
        try:
            return votable_binary2.document(table, query=query, overflow=overflow)
        except votable_binary2.UnsupportedColumnError:
            pass  # a column type only astropy's writer maps
    if kind == "votable":
        return _votable(table, overflow, serialization, query)
    atable = to_astropy(table)
    if kind == "csv":
        text = io.StringIO()
        atable.write(text, format="ascii.csv")
        return text.getvalue().encode()
    buf = io.BytesIO()
    if kind == "fits":
        for name in atable.colnames:  # FITS keeps strings as bytes; masked columns fill
            if atable[name].dtype.kind == "U":
                atable[name] = atable[name].astype(str)
        atable.write(buf, format="fits")
    return buf.getvalue()


def xml_attr(value: object) -> str:
    """``value`` as a quoted XML attribute value."""
    return quoteattr(str(value))
