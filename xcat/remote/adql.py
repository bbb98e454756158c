"""ADQL for the remote ingests, built from the templates beside each job's definition
(``ingest/<kind>/*.adql``: ``cone.adql``, and for CSC its column lists, for 2RXS the
upload join).

Only numbers go into a template, formatted here after validation; no user text is
ever pasted into ADQL (a user's own ``--adql`` is sent as it is, not built here).

The CSC services support no ADQL geometry, so a CSC cone is an RA/Dec ``BETWEEN``
box followed by the exact ``dbo.cone_distance(ra, dec, ra0, dec0) <= R_arcmin``. The
box never loses a source inside the cone: its RA half-width is the exact
``asin(sin r / cos dec)`` (wider than ``r / cos dec``) plus a small pad, it is split
in two across RA = 0/360, and it has no RA limits when the cone reaches a pole.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from xcat import resources
from xcat.errors import XcatError

# Padding added to every box edge (deg): covers the rounding of the printed numbers.
BOX_PAD_DEG = 1e-8
DIGITS = 10
UPLOAD_TABLE = "xcat_upload"
UPLOAD_ROW = "xcat_row"
HEASARC_KINDS = ("rxs2", "erass1")
VIZIER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_+.-]{0,99}$")
COLUMN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


@dataclass(frozen=True)
class Cone:
    """A sky cone: centre (ICRS degrees) and radius (degrees), validated on construction.

    Examples
    --------
    >>> Cone(210.8, 54.35, 0.2).radius_arcmin
    12.0

    """

    ra: float
    dec: float
    radius_deg: float

    def __post_init__(self) -> None:
        values = (self.ra, self.dec, self.radius_deg)
        if not all(isinstance(v, int | float) and math.isfinite(v) for v in values):
            raise XcatError(f"cone centre and radius must be finite numbers, got {values}")
        if not -90 <= self.dec <= 90:
            raise XcatError(f"cone Dec {self.dec} is outside [-90, 90] deg")
        if not 0 < self.radius_deg <= 90:
            raise XcatError(f"cone radius {self.radius_deg} deg must be > 0 and <= 90 deg "
                            "(send a larger search as your own --adql)")
        object.__setattr__(self, "ra", self.ra % 360.0)

    @property
    def radius_arcmin(self) -> float:
        """The radius in arcmin (the unit of ``dbo.cone_distance``)."""
        return self.radius_deg * 60.0


def parse_position(text: str, what: str = "--cone") -> tuple[float, float]:
    """``"210.80 54.35"`` (degrees) or ``"14:03:12.6 +54:20:56"`` (hours, degrees) → degrees.

    Each half is read on its own: a plain number is degrees, a sexagesimal RA is hours
    unless it carries a ``d``/``°`` mark, a sexagesimal Dec is degrees. ``what`` names
    the input in the error message.

    Examples
    --------
    >>> parse_position("210.80 54.35")
    (210.8, 54.35)
    >>> parse_position("14h03m12s +54d21m00s")
    (210.8, 54.35)
    >>> parse_position("11:05:39.6 -58:45:00")
    (166.415, -58.75)
    >>> parse_position("166.415 -58:45:00")
    (166.415, -58.75)

    """
    parts = [p for p in re.split(r"[\s,]+", (text or "").strip()) if p]
    example = ('(e.g. "210.80 54.35", "166.4 -58.75" or "11:05:39.6 -58:45:00")')
    try:
        if len(parts) == 2:
            ra, dec = _angle(parts[0], True), _angle(parts[1], False)
        else:
            from astropy import units as u
            from astropy.coordinates import SkyCoord

            c = SkyCoord(text, unit=(u.hourangle, u.deg), frame="icrs")
            ra, dec = float(c.ra.deg), float(c.dec.deg)
    except Exception as exc:
        raise XcatError(f"{what} '{text}' is not 'RA DEC' in degrees or sexagesimal "
                        f"{example}") from exc
    if not (math.isfinite(ra) and 0 <= ra <= 360):
        raise XcatError(f"{what} '{text}': RA {ra:g} deg is outside [0, 360] {example}")
    if not (math.isfinite(dec) and -90 <= dec <= 90):
        raise XcatError(f"{what} '{text}': Dec {dec:g} deg is outside [-90, 90] {example}")
    return round(ra, 12), round(dec, 12)


def _angle(text: str, is_ra: bool) -> float:
    """One coordinate in degrees: a plain number is degrees; sexagesimal RA is hours."""
    try:
        return float(text)
    except ValueError:
        pass
    from astropy.coordinates import Angle

    in_degrees = not is_ra or any(m in text.lower() for m in ("d", "°"))
    return float(Angle(text, unit="deg" if in_degrees else "hourangle").degree)


def num(value: float) -> str:
    """A number as ADQL text: fixed point, at most 10 decimals, no exponent.

    Examples
    --------
    >>> num(210.8), num(-0.0), num(1e-12), num(12.0)
    ('210.8', '0.0', '0.0', '12.0')

    """
    if not math.isfinite(value):
        raise XcatError(f"cannot put {value} into ADQL")
    text = f"{value + 0.0:.{DIGITS}f}".rstrip("0")
    text = text + "0" if text.endswith(".") else text
    return "0.0" if text in ("-0.0", "") else text


def read_template(kind: str, name: str) -> str:
    """``ingest/<kind>/<name>.adql`` without its ``--`` comment lines."""
    path = resources.ingest_dir() / kind / f"{name}.adql"
    if not path.exists():
        raise XcatError(f"no ADQL template {name}.adql for '{kind}'")
    lines = [ln for ln in path.read_text().splitlines() if not ln.lstrip().startswith("--")]
    return "\n".join(lines).strip()


def csc_box(cone: Cone, alias: str = "m") -> str:
    """The RA/Dec ``BETWEEN`` prefilter of a CSC cone (exact geometry follows it).

    Examples
    --------
    >>> csc_box(Cone(0.05, 10.0, 0.1))                          # doctest: +NORMALIZE_WHITESPACE
    '(m.dec BETWEEN 9.89999999 AND 10.10000001) AND (m.ra BETWEEN 0.0 AND 0.1515426728
    OR m.ra BETWEEN 359.9484573272 AND 360.0)'

    """
    r = cone.radius_deg
    dec_lo, dec_hi = cone.dec - r - BOX_PAD_DEG, cone.dec + r + BOX_PAD_DEG
    dec_part = f"({alias}.dec BETWEEN {num(max(dec_lo, -90.0))} AND {num(min(dec_hi, 90.0))})"
    if dec_lo <= -90.0 or dec_hi >= 90.0:
        return dec_part  # the cone reaches a pole: every RA is possible
    half = math.degrees(math.asin(min(1.0, math.sin(math.radians(r))
                                      / math.cos(math.radians(cone.dec))))) + BOX_PAD_DEG
    if half >= 180.0:
        return dec_part
    lo, hi = cone.ra - half, cone.ra + half
    if lo < 0.0:
        ra_part = (f"({alias}.ra BETWEEN 0.0 AND {num(hi)} OR "
                   f"{alias}.ra BETWEEN {num(lo + 360.0)} AND 360.0)")
    elif hi > 360.0:
        ra_part = (f"({alias}.ra BETWEEN {num(lo)} AND 360.0 OR "
                   f"{alias}.ra BETWEEN 0.0 AND {num(hi - 360.0)})")
    else:
        ra_part = f"({alias}.ra BETWEEN {num(lo)} AND {num(hi)})"
    return f"{dec_part} AND {ra_part}"


def csc_cone(cone: Cone, *, schema: str, detections: bool = False) -> str:
    """ADQL for CSC master sources in ``cone`` (with one row per observation if ``detections``).

    ``schema`` is the service's table prefix from the services config
    (``csc21`` for CSC 2.1, ``csc2`` for CSC 2.0).

    Examples
    --------
    >>> print(csc_cone(Cone(210.8, 54.35, 0.2), schema="csc21"))   # doctest: +ELLIPSIS
    SELECT m.name, m.ra, m.dec, ...
    FROM csc21.master_source m
    WHERE (m.dec BETWEEN 54.14999999 AND 54.55000001) AND (m.ra BETWEEN ...)
      AND dbo.cone_distance(m.ra, m.dec, 210.8, 54.35) <= 12.0
    ORDER BY m.name

    """
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", schema):
        raise XcatError(f"services config: CSC schema '{schema}' is not an identifier")
    template = read_template("csc", "cone_detections" if detections else "cone")
    return template.format(
        columns=_column_list("csc", "master_columns"),
        detection_columns=_column_list("csc", "detection_columns"),
        schema=schema, box=csc_box(cone), ra=num(cone.ra), dec=num(cone.dec),
        radius_arcmin=num(cone.radius_arcmin))


def cone_query(kind: str, cone: Cone) -> str:
    """ADQL of ``ingest/<kind>/cone.adql`` (slots ``ra``, ``dec``, ``radius_deg``) for a cone.

    Examples
    --------
    >>> print(cone_query("gaia", Cone(210.8, 54.35, 0.05)))
    SELECT * FROM gaiadr3.gaia_source
    WHERE 1 = CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', 210.8, 54.35, 0.05))

    """
    return read_template(kind, "cone").format(
        ra=num(cone.ra), dec=num(cone.dec), radius_deg=num(cone.radius_deg))


def heasarc_cone(kind: str, cone: Cone) -> str:
    """ADQL for HEASARC ``rass2rxs`` (kind ``rxs2``) or ``erass1main`` (``erass1``) in a cone.

    Examples
    --------
    >>> print(heasarc_cone("rxs2", Cone(0.0, -89.9, 0.5)))
    SELECT * FROM rass2rxs
    WHERE 1 = CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', 0.0, -89.9, 0.5))

    """
    if kind not in HEASARC_KINDS:
        raise XcatError(f"no HEASARC cone query for '{kind}' "
                        f"(known: {', '.join(HEASARC_KINDS)})")
    return cone_query(kind, cone)


def vizier_cone(table: str, cone: Cone, *, ra_col: str = "RAJ2000",
                dec_col: str = "DEJ2000") -> str:
    """ADQL for the rows of VizieR table ``table`` in ``cone``.

    Examples
    --------
    >>> print(vizier_cone("II/246/out", Cone(0.0, -90.0, 0.1)))
    SELECT * FROM "II/246/out"
    WHERE 1 = CONTAINS(POINT('ICRS', RAJ2000, DEJ2000), CIRCLE('ICRS', 0.0, -90.0, 0.1))

    """
    check_vizier_table(table)
    for c in (ra_col, dec_col):
        check_column(c)
    return read_template("vizier", "cone").format(
        table=table, ra_col=ra_col, dec_col=dec_col, ra=num(cone.ra), dec=num(cone.dec),
        radius_deg=num(cone.radius_deg))


def check_vizier_table(table: str) -> str:
    """``table`` if it is a VizieR id like ``I/355/gaiadr3`` (it is quoted in the ADQL)."""
    if not VIZIER_ID.match(table or ""):
        raise XcatError(f"VizieR table '{table}' is not a VizieR id like I/355/gaiadr3")
    return table


def check_column(name: str) -> str:
    """``name`` if it is a plain ADQL identifier (a position column of a VizieR cone)."""
    if not COLUMN.match(name):
        raise XcatError(f"column '{name}' is not an ADQL identifier")
    return name


def rxs2_upload_join(radius_deg: float) -> str:
    """ADQL matching every uploaded position (``tap_upload.xcat_upload``) to 2RXS.

    Examples
    --------
    >>> print(rxs2_upload_join(8 / 3600))
    SELECT u.xcat_row, c.*
    FROM rass2rxs AS c, tap_upload.xcat_upload AS u
    WHERE 1 = CONTAINS(POINT('ICRS', c.ra, c.dec), CIRCLE('ICRS', u.ra, u.dec, 0.0022222322))

    """
    Cone(0.0, 0.0, radius_deg)  # validates the radius
    # padded so that rounding never drops a pair; the caller keeps pairs within radius_deg
    return read_template("rxs2", "upload").format(radius_deg=num(radius_deg + BOX_PAD_DEG))


def _column_list(kind: str, name: str) -> str:
    """A column-list template as lines aligned under ``SELECT``."""
    return "\n       ".join(ln.strip() for ln in read_template(kind, name).splitlines()
                            if ln.strip())
