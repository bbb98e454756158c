"""VOSI documents of the TAP service: availability, capabilities, tables (VOSI 1.1,
TAPRegExt 1.0, VODataService 1.2).
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from xcat.server import tap_upload
from xcat.server.adql_names import adql_name
from xcat.server.tap_formats import xml_attr
from xcat.server.tap_schema import (
    RUNS,
    SAMPLES,
    SELF_KEYS,
    Schema,
    display_name,
    schema_of,
    self_description,
)
from xcat.version import __version__

NS = ('xmlns:vosi="http://www.ivoa.net/xml/VOSICapabilities/v1.0" '
      'xmlns:vr="http://www.ivoa.net/xml/VOResource/v1.0" '
      'xmlns:vs="http://www.ivoa.net/xml/VODataService/v1.1" '
      'xmlns:tr="http://www.ivoa.net/xml/TAPRegExt/v1.0" '
      'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"')

GEOMETRY = ("POINT", "CIRCLE", "BOX", "POLYGON", "CONTAINS", "INTERSECTS", "DISTANCE",
            "COORD1", "COORD2")
OUTPUTS = (("application/x-votable+xml", "votable"),
           ("application/x-votable+xml;serialization=tabledata", "votable/td"),
           ("text/csv", "csv"), ("application/fits", "fits"))


def availability() -> bytes:
    """VOSI availability: the service is up."""
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<vosi:availability xmlns:vosi="http://www.ivoa.net/xml/VOSIAvailability/v1.0">\n'
            '  <vosi:available>true</vosi:available>\n'
            f'  <vosi:note>xcat {escape(__version__)} TAP service is accepting queries'
            '</vosi:note>\n</vosi:availability>\n').encode()


def _interface(url: str, role: str = "std") -> str:
    return (f'    <interface xsi:type="vs:ParamHTTP" role="{role}">\n'
            f'      <accessURL use="base">{escape(url)}</accessURL>\n'
            '    </interface>\n')


def capabilities(base: str, max_rows: int) -> bytes:
    """VOSI capabilities: TAP (TAPRegExt) and the VOSI endpoints under ``base``."""
    geo = "".join(f'        <feature><form>{g}</form></feature>\n' for g in GEOMETRY)
    outs = "".join(f'    <outputFormat><mime>{escape(m)}</mime><alias>{a}</alias>'
                   '</outputFormat>\n' for m, a in OUTPUTS)
    vosi_caps = "".join(
        f'  <capability standardID="ivo://ivoa.net/std/VOSI#{what}">\n'
        + _interface(f"{base}/{what}") + '  </capability>\n'
        for what in ("capabilities", "availability", "tables")) + (
        '  <capability standardID="ivo://ivoa.net/std/DALI#examples">\n'
        '    <interface xsi:type="vr:WebBrowser">\n'
        f'      <accessURL use="full">{escape(base)}/examples</accessURL>\n'
        '    </interface>\n  </capability>\n')
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<vosi:capabilities {NS}>\n'
            '  <capability standardID="ivo://ivoa.net/std/TAP" xsi:type="tr:TableAccess">\n'
            + _interface(base).replace('role="std"', 'role="std" version="1.1"') +
            '    <language>\n      <name>ADQL</name>\n'
            '      <version ivo-id="ivo://ivoa.net/std/ADQL#v2.0">2.0</version>\n'
            '      <version ivo-id="ivo://ivoa.net/std/ADQL#v2.1">2.1</version>\n'
            '      <description>ADQL translated to DuckDB SQL by xcat</description>\n'
            '      <languageFeatures type="ivo://ivoa.net/std/TAPRegExt#features-adqlgeo">\n'
            f'{geo}      </languageFeatures>\n    </language>\n'
            f'{outs}'
            '    <uploadMethod ivo-id="ivo://ivoa.net/std/TAPRegExt#upload-inline"/>\n'
            '    <uploadMethod ivo-id="ivo://ivoa.net/std/TAPRegExt#upload-http"/>\n'
            '    <uploadMethod ivo-id="ivo://ivoa.net/std/TAPRegExt#upload-https"/>\n'
            f'    <outputLimit><default unit="row">{max_rows}</default>'
            f'<hard unit="row">{max_rows}</hard></outputLimit>\n'
            f'    <uploadLimit><hard unit="byte">{tap_upload.MAX_BYTES}</hard></uploadLimit>\n'
            '  </capability>\n'
            f'{vosi_caps}</vosi:capabilities>\n').encode()


def _column(c: dict) -> str:
    parts = [f'      <column>\n        <name>{escape(adql_name(c["column_name"]))}</name>\n']
    if c.get("description"):
        parts.append(f'        <description>{escape(c["description"])}</description>\n')
    if c.get("unit"):
        parts.append(f'        <unit>{escape(c["unit"])}</unit>\n')
    if c.get("ucd"):
        parts.append(f'        <ucd>{escape(c["ucd"])}</ucd>\n')
    size = f' arraysize="{c["arraysize"]}"' if c.get("arraysize") else ""
    xtype = f' extendedType="{c["xtype"]}"' if c.get("xtype") else ""
    parts.append(f'        <dataType xsi:type="vs:VOTableType"{size}{xtype}>{c["datatype"]}'
                 '</dataType>\n')
    if c.get("indexed"):
        parts.append('        <flag>indexed</flag>\n')
    if c.get("principal"):
        parts.append('        <flag>principal</flag>\n')
    parts.append('      </column>\n')
    return "".join(parts)


def tables(schema: Schema) -> bytes:
    """VOSI tableset: every served table with its columns and foreign keys."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n',
           '<vosi:tableset xmlns:vosi="http://www.ivoa.net/xml/VOSITables/v1.0" '
           'xmlns:vs="http://www.ivoa.net/xml/VODataService/v1.1" '
           'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n',
           '  <schema>\n    <name>main</name>\n']
    keys: dict[str, list] = {}
    for _key_id, src, dst, pairs in schema.links() + SELF_KEYS:
        keys.setdefault(src, []).append((dst, pairs))
    main = sorted(schema.tables.values(), key=lambda t: t.name)
    groups = [(label, [t for t in main if schema_of(t.name) == label])
              for label in ("main", SAMPLES, RUNS)] + [("TAP_SCHEMA", self_description())]
    for label, group in [(label, g) for label, g in groups if g]:
        if label != "main":
            out.append(f'  </schema>\n  <schema>\n    <name>{label}</name>\n')
        for t in group:
            shown = escape(display_name(t.name))
            out.append(f'    <table type={xml_attr(t.kind)}>\n      <name>{shown}</name>\n'
                       f'      <description>{escape(t.description)}</description>\n')
            out.extend(_column(c) for c in t.columns)
            for dst, pairs in keys.get(t.name, []):
                out.append(f'      <foreignKey>\n        <targetTable>{escape(dst)}'
                           '</targetTable>\n')
                out.extend(f'        <fkColumn><fromColumn>{escape(adql_name(a))}</fromColumn>'
                           f'<targetColumn>{escape(adql_name(b))}</targetColumn></fkColumn>\n'
                           for a, b in pairs)
                out.append('      </foreignKey>\n')
            out.append('    </table>\n')
    out.append('  </schema>\n</vosi:tableset>\n')
    return "".join(out).encode()


def root_page(base: str) -> bytes:
    """A small HTML page linking the TAP endpoints."""
    links = "".join(f'<li><a href="{base}/{p}">{p}</a></li>'
                    for p in ("sync", "async", "availability", "capabilities", "tables"))
    return (f"<!doctype html><title>xcat TAP</title><h1>xcat TAP 1.1 service</h1>"
            f"<p>Base URL: <code>{escape(base)}</code></p><ul>{links}</ul>").encode()
