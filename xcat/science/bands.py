"""Energy-flux conversion between X-ray bands with an absorbed power law.

A power law of photon index Gamma, seen through a column N_H of cold gas, has the photon
spectrum N(E) = K E^-Gamma exp(-N_H sigma(E)) (photons cm^-2 s^-1 keV^-1) with sigma the
Morrison & McCammon (1983) cross-sections (:mod:`xcat.science.absorption`). Its energy
flux in a band [E1, E2] is

    F = K int_E1^E2 E . E^-Gamma . exp(-N_H sigma(E)) dE,

so an (observed, absorbed) flux measured in band A becomes the flux in band B on
multiplying by ``F_B / F_A`` (:func:`conversion_factor`): K cancels. With
``target_unabsorbed=True`` the band-B integral drops the absorption term (the intrinsic
flux in B).

Integration: Gauss-Legendre in ln E, 16 nodes on sub-intervals no wider than 0.05 in
ln E, split at every MM83 edge (where sigma jumps). Relative accuracy better than 1e-9
for N_H <= 1e23 cm^-2 (``tests/test_bands.py`` checks against ``scipy.integrate.quad``
and the closed forms). Without absorption the closed forms are used directly:
(E2^(2-Gamma) - E1^(2-Gamma)) / (2-Gamma), and ln(E2/E1) at Gamma = 2.

Examples
--------
>>> m = PowerLaw(gamma=2.0, nh_cm2=0.0)
>>> round(conversion_factor(BANDS["rxs2"], Band("0.5-2", 0.5, 2.0), m), 6)   # ln 4/ln 24
0.436209
>>> PowerLaw(1.7, 3e20).label()
'absorbed power law Gamma=1.7, NH=3e+20 cm-2 (MM83), observed flux'

"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from xcat.errors import XcatError
from xcat.science import absorption

_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(16)
_MAX_STEP = 0.05  # widest sub-interval in ln E


@dataclass(frozen=True)
class Band:
    """An energy band: its name and limits in keV."""

    name: str
    e_min_kev: float
    e_max_kev: float

    def __post_init__(self) -> None:
        lo, hi = self.e_min_kev, self.e_max_kev
        if not (math.isfinite(lo) and math.isfinite(hi) and 0 < lo < hi):
            raise XcatError(f"band '{self.name}': need 0 < e_min < e_max keV, got {lo}-{hi}")


#: The bands of the catalogs xcat knows (CSC ACIS bands, 2RXS, eRASS1 Main).
BANDS = {
    "csc_b": Band("b", 0.5, 7.0), "csc_s": Band("s", 0.5, 1.2),
    "csc_m": Band("m", 1.2, 2.0), "csc_h": Band("h", 2.0, 7.0), "csc_u": Band("u", 0.2, 0.5),
    "csc_w": Band("w", 0.1, 10.0),  # HRC wide band (DOMAIN.md: ~0.1-10 keV, VERIFY)
    "rxs2": Band("0.1-2.4 keV", 0.1, 2.4), "erass1": Band("0.2-2.3 keV", 0.2, 2.3),
}
#: The default common band of flux histories (the ROSAT/eROSITA/Chandra overlap).
COMMON_BAND = Band("0.5-2 keV", 0.5, 2.0)


@dataclass(frozen=True)
class PowerLaw:
    """Photon index ``gamma`` and absorbing column ``nh_cm2`` (cm^-2, MM83 cross-sections).

    ``target_unabsorbed``: converted fluxes are intrinsic (absorption removed in the
    target band) instead of observed.
    """

    gamma: float
    nh_cm2: float
    target_unabsorbed: bool = False

    def __post_init__(self) -> None:
        if not math.isfinite(self.gamma) or not -3 <= self.gamma <= 6:
            raise XcatError(f"photon index Gamma must be between -3 and 6, got {self.gamma}")
        absorption.check_nh(self.nh_cm2)

    @property
    def cross_sections(self) -> str:
        """The cross-section table's short name."""
        return absorption.TABLE_NAME

    def label(self) -> str:
        """The model as recorded with every converted value."""
        kind = "unabsorbed" if self.target_unabsorbed else "observed"
        return (f"absorbed power law Gamma={self.gamma:g}, NH={self.nh_cm2:.3g} cm-2 "
                f"({self.cross_sections}), {kind} flux")


def analytic_energy_flux(band: Band, gamma: float) -> float:
    """The integral of E^(1-Gamma) dE over ``band`` in closed form (unit normalisation).

    Examples
    --------
    >>> round(analytic_energy_flux(Band("x", 1.0, 2.0), 1.0), 12)
    1.0

    """
    lo, hi = band.e_min_kev, band.e_max_kev
    if abs(gamma - 2.0) < 1e-12:
        return math.log(hi / lo)
    p = 2.0 - gamma
    return (hi ** p - lo ** p) / p


def energy_flux(band: Band, gamma: float, nh_cm2: float) -> float:
    """The integral of E . E^-Gamma . exp(-N_H sigma(E)) dE over ``band`` (unit normalisation).

    Examples
    --------
    >>> round(energy_flux(Band("x", 0.5, 2.0), 2.0, 0.0), 10) == round(math.log(4), 10)
    True

    """
    absorption.check_nh(nh_cm2)
    if nh_cm2 == 0:
        return analytic_energy_flux(band, gamma)
    lo, hi = band.e_min_kev, band.e_max_kev
    cuts = [lo, *[e for e in absorption.EDGES_KEV if lo < e < hi], hi]
    total = 0.0
    for a, b in itertools.pairwise(cuts):
        la, lb = math.log(a), math.log(b)
        n = max(1, math.ceil((lb - la) / _MAX_STEP))
        edges = np.linspace(la, lb, n + 1)
        half = (edges[1:] - edges[:-1])[:, None] / 2
        mid = (edges[1:] + edges[:-1])[:, None] / 2
        x = mid + half * _NODES[None, :]
        e = np.exp(x)
        # at the very ends of a range use that range's coefficients, not the next one's
        e_eval = np.clip(e, a * (1 + 1e-12), b * (1 - 1e-12))
        f = e ** (2.0 - gamma) * np.exp(-nh_cm2 * absorption.sigma_mm83(e_eval))
        total += float(np.sum(half * _WEIGHTS[None, :] * f))
    return total


def conversion_factor(source: Band, target: Band, model: PowerLaw) -> float:
    """Multiply a flux measured in ``source`` by this to get the flux in ``target``.

    Examples
    --------
    >>> m = PowerLaw(gamma=1.7, nh_cm2=0.0)
    >>> round(conversion_factor(BANDS["csc_b"], COMMON_BAND, m), 4)
    0.4272

    """
    below = energy_flux(source, model.gamma, model.nh_cm2)
    above = energy_flux(target, model.gamma, 0.0 if model.target_unabsorbed else model.nh_cm2)
    if not below > 0:
        raise XcatError(f"band {source.name} ({source.e_min_kev}-{source.e_max_kev} keV) holds "
                        f"no flux for {model.label()}: cannot convert from it")
    return above / below


def parse_band(text: str) -> Band:
    """``"0.5-2keV"`` / ``"0.5-2 keV"`` → a Band (the unit is required).

    Examples
    --------
    >>> parse_band("0.5-2keV")
    Band(name='0.5-2 keV', e_min_kev=0.5, e_max_kev=2.0)

    """
    if not text.strip().lower().endswith("kev"):
        raise XcatError(f"band '{text}' needs its unit: EMIN-EMAX keV (e.g. 0.5-2keV)")
    body = text.strip().lower().removesuffix("kev").strip()
    try:
        lo, hi = (float(p) for p in body.split("-"))
    except ValueError as exc:
        raise XcatError(f"band '{text}' is not 'EMIN-EMAX keV' (e.g. 0.5-2keV)") from exc
    return Band(f"{lo:g}-{hi:g} keV", lo, hi)
