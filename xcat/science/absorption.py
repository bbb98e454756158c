"""Interstellar photo-electric absorption: the Morrison & McCammon (1983) cross-sections.

Morrison, R. & McCammon, D. 1983, ApJ 270, 119, "Interstellar photoelectric absorption
cross sections, 0.03-10 keV", Table 2: the effective cross-section per hydrogen atom of
gas of solar abundances (Anders & Ebihara 1982), no grains, no ionisation, fitted in 14
energy ranges by

    sigma(E) = (c0 + c1 E + c2 E^2) E^-3 x 1e-24 cm^2     (E in keV)

The coefficients below are typed in from that table and agree, all 42 of them, with an
independent transcription (``MorrisonMcCammon1983_xsec.dat`` of github.com/chelseaharris/
csmpy). One other public transcription (an IDL routine) gives c2 = -0.75 for
4.038-7.111 keV; Table 2 has +0.75, and only +0.75 makes the cross-section rise at the
Ca K edge (4.038 keV) as every absorption edge must (``tests/test_bands.py`` checks the
rise at every edge). Band fractions absorbed with this table agree to ~1% above 0.5 keV
with XSPEC ``phabs`` (Verner cross-sections) tables published by ``ecfxa``
(``tests/test_bands.py``).

The fit is valid from 0.03 to 10 keV; outside it :func:`sigma_mm83` refuses energies
(no extrapolation). The transmission of a column ``nh_cm2`` is ``exp(-nh_cm2 sigma(E))``.

Examples
--------
>>> round(float(sigma_mm83(1.0)) * 1e22, 4)        # 2.42e-22 cm^2 per H atom at 1 keV
2.422
>>> round(float(transmission(1.0, 1e21)), 4)
0.7849

"""

from __future__ import annotations

import numpy as np

from xcat.errors import XcatError

#: Short name of the cross-section table, recorded with every converted value.
TABLE_NAME = "MM83"
REFERENCE = ("Morrison & McCammon 1983, ApJ 270, 119 (Table 2; solar abundances, "
             "0.03-10 keV)")
E_MIN_KEV = 0.030
E_MAX_KEV = 10.0

#: Table 2 of MM83: (upper energy of the range in keV, c0, c1, c2); a range runs from the
#: previous upper energy (0.030 keV for the first).
MM83_TABLE = (
    (0.100, 17.3, 608.1, -2150.0),
    (0.284, 34.6, 267.9, -476.1),
    (0.400, 78.1, 18.8, 4.3),
    (0.532, 71.4, 66.8, -51.4),
    (0.707, 95.5, 145.8, -61.1),
    (0.867, 308.9, -380.6, 294.0),
    (1.303, 120.6, 169.3, -47.7),
    (1.840, 141.3, 146.8, -31.5),
    (2.471, 202.7, 104.7, -17.0),
    (3.210, 342.7, 18.7, 0.0),
    (4.038, 352.2, 18.7, 0.0),
    (7.111, 433.9, -2.4, 0.75),
    (8.331, 629.0, 30.9, 0.0),
    (10.000, 701.2, 25.2, 0.0),
)

#: The energies (keV) where one fitted range ends and the next begins (absorption edges).
EDGES_KEV = tuple(row[0] for row in MM83_TABLE[:-1])
_UPPER = np.array([row[0] for row in MM83_TABLE])
_COEFFS = np.array([row[1:] for row in MM83_TABLE])


def sigma_mm83(energy_kev: float | np.ndarray) -> np.ndarray:
    """Photo-electric cross-section per hydrogen atom (cm^2) at ``energy_kev`` (keV).

    At an edge energy the range above the edge applies (the edge is the start of the
    next range).

    Examples
    --------
    >>> (sigma_mm83([0.5, 2.0]) * 1e22).round(4).tolist()
    [7.356, 0.4301]

    """
    e = np.asarray(energy_kev, dtype=float)
    if np.any(~np.isfinite(e)) or np.any(e < E_MIN_KEV) or np.any(e > E_MAX_KEV):
        raise XcatError(f"the {TABLE_NAME} cross-sections cover {E_MIN_KEV}-{E_MAX_KEV} keV "
                        f"only, got energies {np.min(e):g}-{np.max(e):g} keV")
    idx = np.minimum(np.searchsorted(_UPPER, e, side="right"), len(_UPPER) - 1)
    c0, c1, c2 = _COEFFS[idx, 0], _COEFFS[idx, 1], _COEFFS[idx, 2]
    return (c0 + c1 * e + c2 * e * e) / (e ** 3) * 1e-24


def transmission(energy_kev: float | np.ndarray, nh_cm2: float) -> np.ndarray:
    """``exp(-N_H sigma(E))``: the fraction of photons of ``energy_kev`` that get through."""
    check_nh(nh_cm2)
    if nh_cm2 == 0:
        return np.ones_like(np.asarray(energy_kev, dtype=float))
    return np.exp(-nh_cm2 * sigma_mm83(energy_kev))


def check_nh(nh_cm2: float) -> float:
    """``nh_cm2`` if it is a finite column density >= 0 (cm^-2)."""
    if not np.isfinite(nh_cm2) or nh_cm2 < 0:
        raise XcatError(f"N_H must be a finite column density >= 0 cm^-2, got {nh_cm2}")
    if nh_cm2 > 1e25:
        raise XcatError(f"N_H {nh_cm2:g} cm^-2 is Compton thick: photo-electric absorption "
                        "alone does not describe it")
    return float(nh_cm2)
