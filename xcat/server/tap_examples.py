"""The TAP examples document (DALI 1.1 §2.3, ``/tap/examples``): XHTML with RDFa, one
element per example with its name and query, written for the tables this store has
(TOPCAT shows them in its TAP window under "Service-provided").
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from xcat.server.adql_names import adql_name
from xcat.server.tap_schema import Schema

#: Store views that make good examples when present: (id, title, query).
VIEW_EXAMPLES = [
    ("luminosities", "Brightest X-ray sources of each host",
     "SELECT TOP 20 name, host, distance_mpc, flux, log_lx\nFROM luminosities\n"
     "WHERE log_lx IS NOT NULL\nORDER BY log_lx DESC"),
    ("classification_current", "Classes in force, counted",
     "SELECT class, COUNT(*) AS n\nFROM classification_current\nGROUP BY class\n"
     "ORDER BY n DESC"),
    ("xmatch_runs", "Cross-match runs recorded in the store",
     "SELECT *\nFROM xmatch_runs"),
]


def examples(schema: Schema, centre: tuple[str, float, float] | None) -> list[tuple]:
    """(id, title, query) of the examples for this store; ``centre``: a catalog with a
    position in it for the cone example.
    """
    out = []
    if centre is not None:
        cat, ra, dec = centre
        out.append(("cone", f"Cone search on {cat} (3 arcmin)",
                    f"SELECT TOP 100 *\nFROM {adql_name(cat)}\nWHERE 1 = CONTAINS(POINT('ICRS',"
                    f" ra, dec),\n                CIRCLE('ICRS', {ra:.5f}, {dec:.5f}, 0.05))"))
        out.append(("distance", f"Distances from a position in {cat}",
                    f"SELECT TOP 10 *, DISTANCE(POINT('ICRS', ra, dec), "
                    f"POINT('ICRS', {ra:.5f}, {dec:.5f})) * 3600 AS sep_arcsec\n"
                    f"FROM {adql_name(cat)}\nORDER BY sep_arcsec"))
        out.append(("columns", f"Columns of {cat} with units and UCDs",
                    "SELECT column_name, datatype, unit, ucd, description\n"
                    f"FROM TAP_SCHEMA.columns\nWHERE table_name = '{cat}'"))
    out.extend(e for e in VIEW_EXAMPLES if e[0] in schema.tables)
    out.append(("tables", "Tables of this service",
                "SELECT schema_name, table_name, table_type, description\n"
                "FROM TAP_SCHEMA.tables\nORDER BY table_index"))
    return out


def document(items: list[tuple], service: str) -> bytes:
    """The XHTML examples document (vocabulary http://www.ivoa.net/rdf/examples#)."""
    body = "".join(
        f'  <div typeof="example" id="{escape(ident)}" resource="#{escape(ident)}">\n'
        f'   <h2 property="name">{escape(title)}</h2>\n'
        f'   <pre property="query">{escape(query)}</pre>\n  </div>\n'
        for ident, title, query in items)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML+RDFa 1.1//EN" '
            '"http://www.w3.org/MarkUp/DTD/xhtml-rdfa-2.dtd">\n'
            '<html xmlns="http://www.w3.org/1999/xhtml" version="XHTML+RDFa 1.1">\n'
            f' <head><title>Example queries of {escape(service)}</title></head>\n'
            ' <body vocab="http://www.ivoa.net/rdf/examples#">\n'
            f'  <h1>Example queries of {escape(service)}</h1>\n'
            + body + ' </body>\n</html>\n').encode()
