"""Canonical units on disk, converted with astropy.units.

Positions are degrees, positional errors arcsec, energy fluxes erg/s/cm².
Any other column keeps the unit the input declared (or the catalog definition
assumed). A unit that cannot be converted is an error naming the column.
"""

from __future__ import annotations

import functools
import re
import warnings

import astropy.units as u
import numpy as np
import pyarrow as pa

from xcat.errors import XcatError

DEG = "deg"
ARCSEC = "arcsec"
ENERGY_FLUX = "erg / (s cm2)"
CANONICAL = {"position": DEG, "position_error": ARCSEC, "energy_flux": ENERGY_FLUX}


ALIASES = {"'": "arcmin", '"': "arcsec", "''": "arcsec", "deg.": "deg"}


def parse_unit(text: str | None, where: str) -> u.UnitBase | None:
    """Parse a unit string (FITS/VOUnit/CDS/generic spellings); ``None`` if empty."""
    if text is None or not str(text).strip():
        return None
    text = ALIASES.get(str(text).strip(), text)
    unit = _parse(str(text).strip())
    if unit is None:
        log = LOG_UNIT.fullmatch(str(text).strip())  # Gaia's log(cm.s**-2): dex(cm / s2)
        inner = _parse(log[1]) if log else None
        if inner is not None:
            return u.dex(inner)
        raise XcatError(f"{where}: unit '{text}' is not a unit astropy understands")
    return unit


#: A logarithmic unit as the Gaia archive writes it: ``log(cm.s**-2)``.
LOG_UNIT = re.compile(r"log\((.+)\)")


def _parse(text: str) -> u.UnitBase | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", u.UnitsWarning)
        for fmt in (None, "vounit", "cds", "fits"):
            try:
                return u.Unit(text, format=fmt, parse_strict="raise")
            except (ValueError, TypeError):
                continue
    return None


def parse_unit_lenient(text: str | None) -> u.UnitBase | None:
    """Like :func:`parse_unit`, but ``None`` for a unit astropy does not know.

    Used where a column's unit only decides whether it needs converting: an
    unknown unit on a column xcat never converts is kept as the file wrote it.
    """
    try:
        return parse_unit(text, "")
    except XcatError:
        return None


def is_energy_flux(unit: u.UnitBase | None) -> bool:
    """True when ``unit`` converts to erg/s/cm²."""
    return unit is not None and unit.is_equivalent(u.Unit(ENERGY_FLUX))


def convert_column(arr: pa.ChunkedArray | pa.Array, from_unit: str | None, to_unit: str,
                   where: str) -> pa.Array:
    """Convert a numeric column between units; ``None`` source unit means already ``to_unit``."""
    src = parse_unit(from_unit, where)
    dst = u.Unit(to_unit)
    if src is None or src == dst:
        return arr
    if not src.is_equivalent(dst):
        raise XcatError(f"{where}: unit '{from_unit}' cannot be converted to '{to_unit}'")
    if not pa.types.is_floating(arr.type) and not pa.types.is_integer(arr.type):
        raise XcatError(f"{where}: has unit '{from_unit}' but is not numeric")
    factor = src.to(dst)
    values = arr.to_numpy(zero_copy_only=False).astype(np.float64)
    mask = np.asarray(arr.is_null()) if arr.null_count else None
    return pa.array(values * factor, mask=mask)


def parse_quantity(text: str, physical: str = "angle") -> u.Quantity:
    """Parse ``30arcsec``, ``2arcmin``, ``0.1deg``, ``1.5'`` or ``2"`` into a Quantity.

    Examples
    --------
    >>> float(parse_quantity("2arcmin").to_value("arcsec"))
    120.0

    """
    value, unit = _quantity(text, physical)  # astropy's parser costs ~0.2 ms: once per text
    return u.Quantity(value, unit)


@functools.lru_cache(maxsize=256)
def _quantity(text: str, physical: str) -> tuple[float, u.UnitBase]:
    s = text.strip().replace("″", '"').replace("′", "'")
    if s.endswith('"'):
        s = s[:-1] + "arcsec"
    elif s.endswith("'"):
        s = s[:-1] + "arcmin"
    try:
        q = u.Quantity(s)
    except (ValueError, TypeError) as exc:
        raise XcatError(f"'{text}' is not a quantity with a unit (e.g. 30arcsec)") from exc
    if q.unit == u.dimensionless_unscaled:
        raise XcatError(f"'{text}' needs a unit, e.g. 30arcsec, 2arcmin or 0.1deg")
    if q.unit.physical_type != physical:
        raise XcatError(f"'{text}' is not an {physical} (unit {q.unit})")
    return q.value, q.unit


#: An example value per physical type, for the message refusing a bare number.
EXAMPLES = {"length": "6.4Mpc", "angle": "15arcmin"}


def require_quantity(value: object, physical: str, unit: str | u.UnitBase,
                     what: str) -> float:
    """The value of ``value`` (a Quantity, or a string with a unit) in ``unit``.

    A bare number is refused, whatever its size: ``6400000`` could be pc or Mpc, and
    guessing from the magnitude is how 6.4e6 Mpc happens. Lengths convert with
    astropy's IAU parsec.

    Examples
    --------
    >>> require_quantity("6400kpc", "length", "Mpc", "distance")
    6.4
    >>> require_quantity("6400000", "length", "Mpc", "--distance")
    Traceback (most recent call last):
    ...
    xcat.errors.XcatError: --distance '6400000' has no unit: give one, e.g. 6.4Mpc
    """
    example = EXAMPLES.get(physical, "1" + str(unit))
    if isinstance(value, u.Quantity):
        q = value
    else:
        text = str(value).strip()
        try:
            float(text)
        except ValueError:
            pass
        else:
            raise XcatError(f"{what} '{text}' has no unit: give one, e.g. {example}")
        try:
            q = parse_quantity(text, physical)
        except XcatError as exc:
            raise XcatError(f"{what}: {exc}") from exc
    if q.unit.physical_type != physical:
        raise XcatError(f"{what}: {q} is not a {physical} (e.g. {example})")
    return float(q.to_value(unit))
