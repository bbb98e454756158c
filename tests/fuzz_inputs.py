"""Malformed inputs for the fuzz suite (tests/test_fuzz.py), made from the real excerpts.

Each *base* is a small head (a few rows) of one excerpt in ../shared/data, written once
per session, with the command that loads it (it loads cleanly: test_fuzz checks that).
Each *mutation* turns a base into a file that is malformed for certain, with a random
generator seeded by the case's id, so every run builds the same bytes:

- ``truncate``: cut inside a data row, before its last delimiter (text: a short row;
  XML: an unclosed document; FITS: inside the header or the table data, before its end);
- ``flip``: a byte XOR 0x80 (ASCII text becomes invalid UTF-8; FITS: in a required
  keyword of the table header);
- ``semicolons`` / ``tabs``: the whole file with another delimiter; ``row-delim``: one
  row with another delimiter (a short row);
- ``nan``, ``inf``, ``ra-range``, ``dec-range``: a coordinate cell made invalid;
- ``empty`` (0 bytes), ``header-only`` (no data row), ``directory``;
- ``dup-key``: a key copied onto another row (CSC: a name at a different position);
- ``unit``: a column (an energy flux where there is one) given the unit ``furlong^^``;
- ``flux-neg``, ``flux-inf``, ``flux-text``: a bad flux cell; ``err-neg``: a negative
  positional error; ``key-empty``: an empty source name;
- FITS headers: ``no-end`` (END card blanked), ``naxis2-text``, ``naxis2-big`` (more rows
  than the data holds), ``tform-bad``.
"""

from __future__ import annotations

import csv
import io
import random
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from tests.cli_helpers import fails


@dataclass(frozen=True)
class Base:
    """A small real input, how it is loaded, and which of its cells the mutations edit."""

    name: str
    src: str                  # excerpt under ../shared/data
    filename: str             # the file written (its suffix tells xcat the format)
    fmt: str                  # csv | votable | fits | ds9 | ascii
    args: tuple[str, ...]     # the CLI arguments: {file} and {name} are filled in
    rows: int = 12            # data rows kept
    ra: str | None = None
    dec: str | None = None
    key: str | None = None
    flux: str | None = None
    pos_err: str | None = None
    unit: str | None = None   # the column the ``unit`` mutation edits (default: flux)
    mutations: tuple[str, ...] = field(default=())


TEXT = ("truncate", "flip", "semicolons", "tabs", "row-delim", "empty", "header-only")
COORDS = ("nan", "inf", "ra-range", "dec-range")
FITS = ("truncate", "flip", "empty", "header-only", "no-end", "naxis2-text", "naxis2-big",
        "tform-bad")
XML = ("truncate", "flip", "empty", "header-only")

BASES = [
    Base("csc_vot", "csc_m101_xrbid/cscresults_M101.vot", "csc.vot", "votable",
         ("ingest", "csc", "{file}", "--name", "{name}"), rows=14, ra="ra", dec="dec",
         key="name", flux="flux_aper_b", pos_err="err_ellipse_r0",
         mutations=(*XML, *COORDS, "dup-key", "unit", "flux-neg", "flux-inf", "flux-text",
                    "err-neg", "key-empty")),
    Base("csc_frame", "csc_m101_xrbid/cscresults_M101.frame", "csc.frame", "csv",
         ("ingest", "csc", "{file}", "--name", "{name}"), ra="ra", dec="dec", key="name",
         flux="flux_aper_b", pos_err="err_ellipse_r0",
         mutations=(*TEXT, *COORDS, "dup-key", "flux-neg", "flux-inf", "flux-text",
                    "err-neg", "key-empty")),
    Base("csc_ngc3532", "csc_muwclass/NGC3532/NGC3532_conesearch.csv", "cone.csv", "csv",
         ("ingest", "csc", "{file}", "--name", "{name}"), ra="ra", dec="dec", key="name",
         flux="flux_aper90_b", pos_err="err_ellipse_r0",
         mutations=(*TEXT, *COORDS, "dup-key", "flux-neg", "flux-text", "err-neg")),
    Base("rxs2_fits", "2rxs_flarestack/LLAGN_2rxs2AllWiseSayfertness_no3LACbl_April2020_small"
         ".fits", "rxs.fits", "fits",
         ("ingest", "table", "{file}", "--name", "{name}", "--key", "2RXS_ID", "--ra",
          "RA_DEG", "--dec", "DEC_DEG", "--map", "XRay_FLUX=XRay_FLUX[erg/s/cm2]"),
         ra="RA_DEG", dec="DEC_DEG", key="2RXS_ID", flux="XRay_FLUX", unit="seyfertness",
         mutations=(*FITS, *COORDS, "dup-key", "unit", "flux-neg", "flux-inf")),
    Base("mgc_fits", "galaxy_distances_50mgc/catalog_short.fits", "mgc.fits", "fits",
         ("ingest", "table", "{file}", "--name", "{name}", "--key", "objname"),
         ra="ra", dec="dec", key="objname", unit="bestdist",
         mutations=(*FITS, *COORDS, "dup-key", "unit")),
    Base("mgc_hosts", "galaxy_distances_50mgc/catalog_short.fits", "hosts.fits", "fits",
         ("host", "load", "{file}"), ra="ra", dec="dec",
         mutations=("truncate", "flip", "empty", "header-only", "no-end", "naxis2-text",
                    "naxis2-big", "tform-bad", "ra-range", "dec-range", "dist-neg",
                    "dist-inf")),
    Base("legus_hosts", "galaxy_distances_legus/calzetti_etal_15_table_1.txt", "legus.txt",
         "ascii", ("host", "load", "{file}"), rows=12,
         mutations=("flip", "empty", "header-only", "dist-neg", "dist-inf")),
    Base("carmenes", "carmenes_cifuentes2020/cif20.Mother.v01.csv", "carmenes.csv", "csv",
         ("ingest", "carmenes", "{file}", "--name", "{name}"), ra="RA_J2000",
         dec="DE_J2000", key="Karmn", mutations=(*TEXT, *COORDS, "dup-key", "key-empty")),
    Base("gaia_ecsv", "gaia_dr3_astroquery_tests/1712337806100O-result.ecsv", "gaia.ecsv",
         "ecsv", ("ingest", "gaia", "{file}", "--name", "{name}"), rows=5, ra="ra",
         dec="dec", key="source_id", pos_err="ra_error", unit="parallax",
         mutations=("truncate", "flip", "empty", "header-only", "nan", "ra-range",
                    "dec-range", "dup-key", "unit", "err-neg")),
    Base("gaia_vot", "gaia_dr3_astroquery_tests/1710099405832VAL-result.vot", "gaia.vot",
         "votable", ("ingest", "gaia", "{file}", "--name", "{name}"), rows=2, ra="ra",
         dec="dec", key="source_id", pos_err="ra_error",
         mutations=(*XML, *COORDS, "dup-key", "err-neg")),
    Base("heasarc_vot", "heasarc_ccosmos_votable/43d2ec37.dat", "ccosmos.dat", "votable",
         ("ingest", "table", "{file}", "--name", "{name}", "--key", "name"), ra="ra",
         dec="dec", key="name", flux="flux",
         mutations=(*XML, *COORDS, "dup-key", "unit", "flux-neg", "flux-inf", "flux-text")),
    Base("twomass_vot", "twomass_irsa_astroquery_tests/Polygon.xml", "tmass.xml", "votable",
         ("ingest", "2mass", "{file}", "--name", "{name}"), rows=7, ra="ra", dec="dec",
         key="designation", pos_err="err_maj",
         mutations=(*XML, *COORDS, "dup-key", "err-neg")),
    Base("bestrads", "csc_m101_xrbid/M101_csc_bestrads.frame", "bestrads.frame", "csv",
         ("ingest", "xrbid", "{file}", "--key", "CSC ID", "--name", "{name}"),
         mutations=TEXT),
    Base("daoclean", "csc_m101_xrbid/M101_daoclean_matches.frame", "dao.frame", "csv",
         ("ingest", "xrbid", "{file}", "--key", "CSC ID", "--name", "{name}"),
         mutations=TEXT),
    Base("notes", "csc_m101_xrbid/M101_csc_bestrads.frame", "notes.csv", "csv",
         ("classify", "--import", "{file}"), mutations=(*TEXT, "class-bad")),
    Base("muw_gaia", "csc_muwclass/NGC3532/NGC3532_gaia.csv", "ngc3532_gaia.csv", "csv",
         ("ingest", "muwclass", "{file}", "--name", "{name}"), rows=12,
         ra="RA_ICRS_gaia", dec="DE_ICRS_gaia",
         mutations=(*TEXT, "inf", "ra-range", "dec-range")),
    Base("muw_class", "csc_muwclass/NGC3532/NGC3532_class.csv", "ngc3532_class.csv", "csv",
         ("ingest", "classification", "{file}", "--key", "name", "--catalog", "csc_ngc3532",
          "--name", "{name}"), mutations=(*TEXT, "prob-range")),
    Base("muw_import", "csc_muwclass/NGC3532/NGC3532_class.csv", "ngc3532_import.csv", "csv",
         ("classify", "--import", "{file}", "--catalog", "csc_ngc3532"),
         mutations=(*TEXT, "prob-range", "class-bad")),
    Base("regions", "csc_m101_xrbid/M101_daoclean_f555w_acs_fk5.reg", "f555w.reg", "ds9",
         ("ingest", "regions", "{file}", "--name", "{name}"),
         mutations=("flip", "empty", "header-only", "dec-range", "nan")),
]
BY_NAME = {b.name: b for b in BASES}

#: Commands whose FILE argument gets a directory and a 0-byte file.
FILE_COMMANDS = {
    "csc": ("ingest", "csc", "{file}", "--name", "{name}"),
    "2rxs": ("ingest", "2rxs", "{file}", "--name", "{name}"),
    "erass1": ("ingest", "erass1", "{file}", "--name", "{name}"),
    "table": ("ingest", "table", "{file}", "--name", "{name}"),
    "gaia": ("ingest", "gaia", "{file}", "--name", "{name}"),
    "vizier": ("ingest", "vizier", "--file", "{file}", "--name", "{name}"),
    "2mass": ("ingest", "2mass", "{file}", "--name", "{name}"),
    "carmenes": ("ingest", "carmenes", "{file}", "--name", "{name}"),
    "muwclass": ("ingest", "muwclass", "{file}", "--name", "{name}"),
    "regions": ("ingest", "regions", "{file}", "--name", "{name}"),
    "hst": ("ingest", "hst", "{file}", "--key", "ID", "--name", "{name}"),
    "xrbid": ("ingest", "xrbid", "{file}", "--key", "CSC ID", "--name", "{name}"),
    "classification": ("ingest", "classification", "{file}", "--key", "name",
                       "--name", "{name}"),
    "srcflux": ("ingest", "srcflux", "{file}", "--name", "{name}"),
    "spectral-fit": ("ingest", "spectral-fit", "{file}", "--key", "name", "--name", "{name}"),
    "snr": ("ingest", "snr", "{file}", "--key", "name", "--name", "{name}"),
    "rates": ("ingest", "rates", "{file}", "--key", "name", "--name", "{name}"),
    "product": ("ingest", "product", "{file}", "--kind", "generic", "--key", "name",
                "--name", "{name}"),
    "classify-import": ("classify", "--import", "{file}"),
    "host-load": ("host", "load", "{file}"),
    "hst-wcs": ("ingest", "hst", "{base}", "--key", "F555W ID", "--x", "X", "--y", "Y",
                "--wcs", "{file}", "--name", "{name}"),
}


def cases() -> list[tuple[str, str, int]]:
    """Every (base, mutation, repeat) of the suite; random mutations are repeated."""
    out = []
    for b in BASES:
        for m in b.mutations:
            n = 3 if m in ("truncate", "flip") else 1
            out.extend((b.name, m, i) for i in range(n))
    return out


#: Warning categories Python does not show by default.
HIDDEN = (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning)


def fails_quietly(root: Path, *args: str) -> str:
    """``fails``, and no warning escapes that the real ``xcat`` would print on stderr
    (astropy prints its warnings as ``WARNING: ...`` lines; pytest records them instead,
    so they are checked here). ``xcat``'s ``main`` hides astropy.units' own warnings.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        msg = fails(root, *args)
    shown = [f"{w.category.__name__}: {w.message}" for w in caught
             if not issubclass(w.category, HIDDEN)
             and "astropy/units" not in Path(w.filename).as_posix()]
    assert shown == [], shown
    return msg


# --------------------------------------------------------------------------- bases
def write_base(base: Base, src: Path, dest: Path) -> Path:
    """Write the head of ``src`` (``base.rows`` data rows) to ``dest / base.filename``."""
    path = dest / base.filename
    if base.fmt == "fits":
        from astropy.table import Table

        Table.read(src)[:base.rows].write(path, overwrite=True)
    elif base.fmt == "votable":
        path.write_text(_votable_head(src.read_text(), base.rows))
    elif base.fmt == "ecsv":
        lines = src.read_text().splitlines(keepends=True)
        n_head = next(i for i, line in enumerate(lines) if not line.startswith("#"))
        path.write_text("".join(lines[:n_head + 1 + base.rows]))
    elif base.fmt == "ds9":
        lines = src.read_text().splitlines(keepends=True)
        path.write_text("".join(lines[:3 + base.rows]))
    elif base.fmt == "ascii":
        lines = src.read_text().splitlines(keepends=True)
        path.write_text("".join(lines[:4 + base.rows]))
    elif base.name == "notes":
        rows = _csv_rows(src.read_text())
        i = rows[0].index("CSC ID")
        out = [["CSC ID", "ID", "Class", "Best Star", "Mass", "Notes"]]
        for n, r in enumerate(rows[1:base.rows + 1]):
            out.append([r[i], f"CXO{n + 1:03d}", ("XRB", "AGN", "SNR")[n % 3], str(n + 1),
                        "LMXB" if n % 3 == 0 else "", f"note {n}"])
        path.write_text(_csv_text(out))
    else:
        lines = src.read_text().splitlines(keepends=True)
        path.write_text("".join(lines[:1 + base.rows]))
    return path


def cone_subset(cone: Path, classes: Path, dest: Path) -> Path:
    """The rows of the NGC 3532 CSC cone whose sources the MUWCLASS class base names."""
    names = {r[0].strip() for r in _csv_rows(classes.read_text())[1:]}
    rows = _csv_rows(cone.read_text())
    i = rows[0].index("name")
    dest.write_text(_csv_text([rows[0], *(r for r in rows[1:] if r[i].strip() in names)]))
    return dest


def _votable_head(text: str, n: int) -> str:
    start = text.index("<TABLEDATA>") + len("<TABLEDATA>")
    end = text.index("</TABLEDATA>")
    rows = list(re.finditer(r"<TR>.*?</TR>\s*", text[start:end], re.S))[:n]
    return text[:start] + "\n" + "".join(r.group(0) for r in rows) + text[end:]


def _csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _csv_text(rows: list[list[str]], delimiter: str = ",") -> str:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return buf.getvalue()


# --------------------------------------------------------------------------- mutations
def mutate(base: Base, path: Path, mutation: str, rng: random.Random, out: Path) -> Path:
    """Write the mutated copy of the base file ``path`` to ``out`` and return it."""
    if mutation == "empty":
        out.write_bytes(b"")
        return out
    data = path.read_bytes()
    if base.fmt == "fits":
        from tests import fuzz_fits

        out.write_bytes(fuzz_fits.mutate(base, path, data, mutation, rng))
        return out
    text = data.decode()
    if mutation == "truncate":
        out.write_bytes(data[:_text_cut(base, text, rng)])
    elif mutation == "flip":
        i = rng.randrange(len(data))
        out.write_bytes(data[:i] + bytes([data[i] ^ 0x80]) + data[i + 1:])
    elif base.fmt == "votable":
        out.write_text(_mutate_votable(base, text, mutation, rng))
    elif base.fmt in ("csv", "ecsv"):
        out.write_text(_mutate_csv(base, text, mutation, rng))
    else:
        out.write_text(_mutate_lines(base, text, mutation, rng))
    return out


def _text_cut(base: Base, text: str, rng: random.Random) -> int:
    """A byte offset that leaves the file malformed for certain: XML before its end tag;
    a delimited table inside a data row, before the row's last delimiter (a short row).
    """
    if base.fmt == "votable":
        return len(text[:rng.randrange(1, text.rindex("</VOTABLE>"))].encode())
    lines = text.splitlines(keepends=True)
    first = next(i for i, line in enumerate(lines) if not line.startswith("#")) + 1
    row = rng.randrange(first, len(lines))
    line = lines[row]
    last = line.rstrip("\n").rindex(",")
    cut = rng.randrange(1, last + 1)
    return len("".join(lines[:row]).encode()) + len(line[:cut].encode())


def _mutate_csv(base: Base, text: str, mutation: str, rng: random.Random) -> str:
    lines = text.splitlines(keepends=True)
    n_comment = next(i for i, line in enumerate(lines) if not line.startswith("#"))
    prefix = "".join(lines[:n_comment])  # the ECSV header
    if mutation == "unit":
        at = prefix.index("#   unit: ", prefix.index(f"#   name: {base.unit}\n"))
        end = prefix.index("\n", at)
        return prefix[:at] + "#   unit: furlong^^" + prefix[end:] + "".join(lines[n_comment:])
    rows = _csv_rows("".join(lines[n_comment:]))
    header, body = rows[0], rows[1:]
    if mutation == "semicolons":
        return prefix + _csv_text(rows, ";")
    if mutation == "tabs":
        return prefix + _csv_text(rows, "\t")
    if mutation == "header-only":
        return prefix + _csv_text([header])
    if mutation == "row-delim":
        i = rng.randrange(len(body))
        return prefix + _csv_text([header, *body[:i]]) + _csv_text([body[i]], ";") + \
            _csv_text(body[i + 1:])
    col, value = _cell_edit(base, mutation, rng)
    j = header.index(col)
    i = rng.randrange(len(body))
    if mutation == "dup-key":
        k = (i + 1 + rng.randrange(len(body) - 1)) % len(body)
        while body[k][j] == body[i][j]:  # CSC: a name on another source's position
            k = (k + 1) % len(body)
        body[k][j] = body[i][j]
        return prefix + _csv_text(rows)
    body[i][j] = value
    return prefix + _csv_text(rows)


def _cell_edit(base: Base, mutation: str, rng: random.Random) -> tuple[str, str]:
    """The column a cell mutation edits, and the new cell text."""
    return {
        "nan": (base.ra, "nan"), "inf": (base.dec, rng.choice(["inf", "-inf"])),
        "ra-range": (base.ra, rng.choice(["360.5", "-0.25", "721"])),
        "dec-range": (base.dec, rng.choice(["90.5", "-91", "180"])),
        "dup-key": (base.key, ""), "key-empty": (base.key, ""),
        "flux-neg": (base.flux, "-1.5e-15"), "flux-inf": (base.flux, "inf"),
        "flux-text": (base.flux, "bright"), "err-neg": (base.pos_err, "-0.4"),
        "prob-range": ("Class_prob", rng.choice(["1.5", "-0.2", "7"])),
        "class-bad": ("Class", "Quasar?"),
    }[mutation]


def _mutate_votable(base: Base, text: str, mutation: str, rng: random.Random) -> str:
    start = text.index("<TABLEDATA>") + len("<TABLEDATA>")
    end = text.index("</TABLEDATA>")
    if mutation == "header-only":
        return text[:start] + "\n" + text[end:]
    fields = [m.group(1) for m in re.finditer(r'<FIELD\b[^>]*?\bname="([^"]*)"', text)]
    if mutation == "unit":
        col = re.escape(base.unit or base.flux)
        tag = re.search(rf'<FIELD\b[^>]*\bname="{col}"[^>]*>', text)
        new = re.sub(r'\s+unit="[^"]*"', "", tag[0]).replace("<FIELD", '<FIELD unit="furlong^^"')
        return text[:tag.start()] + new + text[tag.end():]
    col, value = _cell_edit(base, mutation, rng)
    j = fields.index(col)
    rows = list(re.finditer(r"<TR>(.*?)</TR>", text[start:end], re.S))
    i = rng.randrange(len(rows))

    def cells(k: int) -> list[re.Match]:
        return list(re.finditer(r"<TD>(.*?)</TD>|<TD/>", rows[k].group(1), re.S))

    edits = []  # (row, column, text)
    if mutation == "dup-key":
        k = (i + 1 + rng.randrange(len(rows) - 1)) % len(rows)
        key_i = _td(cells(i)[j])
        while _td(cells(k)[j]) == key_i:  # CSC: a name on another source's position
            k = (k + 1) % len(rows)
        edits.append((k, j, key_i))
    else:
        edits.append((i, j, value))
    out = text[start:end]
    for r, c, v in sorted(edits, key=lambda e: (-e[0], -e[1])):
        m = rows[r]
        cell = cells(r)[c]
        a = start + m.start(1) + cell.start()
        b = start + m.start(1) + cell.end()
        out = out[:a - start] + f"<TD>{v}</TD>" + out[b - start:]
    return text[:start] + out + text[end:]


def _td(m: re.Match) -> str:
    return m.group(1) or ""


def _mutate_lines(base: Base, text: str, mutation: str, rng: random.Random) -> str:
    """DS9 and the LEGUS ASCII table: header-only and cell edits on lines."""
    lines = text.splitlines(keepends=True)
    if base.fmt == "ds9":
        head = [x for x in lines if not x.startswith("circle")]
        shapes = [x for x in lines if x.startswith("circle")]
        if mutation == "header-only":
            return "".join(head)
        i = rng.randrange(len(shapes))
        m = re.match(r"circle\(([^,]+), ([^,]+), (.*)$", shapes[i], re.S)
        ra, dec = m[1], m[2]
        if mutation == "ra-range":
            ra = rng.choice(["360.5", "-0.25"])
        elif mutation == "dec-range":
            dec = rng.choice(["90.5", "-91"])
        else:
            ra = "nan"
        shapes[i] = f"circle({ra}, {dec}, {m[3]}"
        return "".join(head + shapes)
    n_head = next(i for i, x in enumerate(lines) if not x.startswith("#"))
    head, body = lines[:n_head], lines[n_head:]
    if mutation == "header-only":
        return "".join(head)
    i = rng.randrange(len(body))  # LEGUS: distance_mpc is the 7th field
    parts = body[i].split()
    parts[6] = "-3.2" if mutation == "dist-neg" else "inf"
    body[i] = "    ".join(parts) + "\n"
    return "".join(head + body)
