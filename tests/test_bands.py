"""Band conversion with an absorbed power law (xcat.science.bands / absorption).

Checks:
- unabsorbed band integrals against the closed forms (Gamma != 2 and Gamma = 2);
- absorbed integrals against an independent high-accuracy integration of the same MM83
  formula (scipy.integrate.quad in E, not ln E, with the edges as break points),
  relative tolerance 1e-8: both integrate the same smooth pieces, so any larger
  difference is a bug (a wrong edge, a wrong piece, a wrong power of E);
- limiting behaviours: N_H -> 0 gives the closed form; more N_H suppresses soft bands
  more than hard ones; the unabsorbed target is larger than the observed one;
- the MM83 table: sigma rises at every edge, and sigma(1 keV) = 2.422e-22 cm^2.

No published band-to-band conversion factor (e.g. a WebPIMMS ratio for 2RXS 0.1-2.4 keV
-> 0.5-2 keV at Gamma=2, N_H=3e20) could be cited with confidence offline, so the
absorbed factors are tested against the independent integration above, not a paper.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

from xcat.errors import XcatError
from xcat.science import absorption
from xcat.science.bands import (
    BANDS,
    COMMON_BAND,
    Band,
    PowerLaw,
    analytic_energy_flux,
    conversion_factor,
    energy_flux,
    parse_band,
)


def quad_flux(band: Band, gamma: float, nh: float) -> float:
    """The same integral by adaptive quadrature in E (independent of the module's grid)."""
    pts = [e for e in absorption.EDGES_KEV if band.e_min_kev < e < band.e_max_kev]

    def f(e: float) -> float:
        return e ** (1 - gamma) * math.exp(-nh * float(absorption.sigma_mm83(e)))

    val, _ = integrate.quad(f, band.e_min_kev, band.e_max_kev, points=pts or None,
                            epsabs=0, epsrel=1e-12, limit=500)
    return val


@pytest.mark.parametrize("gamma", [0.0, 1.0, 1.4, 1.7, 2.0, 2.5, 3.0])
def test_unabsorbed_band_integrals_are_the_closed_forms(gamma):
    for band in BANDS.values():
        lo, hi = band.e_min_kev, band.e_max_kev
        want = math.log(hi / lo) if gamma == 2.0 else (hi ** (2 - gamma) - lo ** (2 - gamma)) \
            / (2 - gamma)
        assert analytic_energy_flux(band, gamma) == pytest.approx(want, rel=1e-14)
        # the numerical path at a negligible column gives the same
        assert energy_flux(band, gamma, 1.0) == pytest.approx(want, rel=1e-9)


def test_unabsorbed_conversions():
    # Gamma = 2: equal energy per decade, the ratio of the logs
    m = PowerLaw(2.0, 0.0)
    assert conversion_factor(BANDS["rxs2"], COMMON_BAND, m) == pytest.approx(
        math.log(4) / math.log(24), rel=1e-14)
    assert conversion_factor(BANDS["erass1"], COMMON_BAND, m) == pytest.approx(
        math.log(4) / math.log(2.3 / 0.2), rel=1e-14)
    # Gamma = 1.7: CSC broad 0.5-7 -> 0.5-2
    p = 0.3
    assert conversion_factor(BANDS["csc_b"], COMMON_BAND, PowerLaw(1.7, 0.0)) == \
        pytest.approx((2 ** p - 0.5 ** p) / (7 ** p - 0.5 ** p), rel=1e-14)


@pytest.mark.parametrize("gamma,nh", [(2.0, 3e20), (1.7, 3e20), (1.0, 1e21), (2.5, 5e21),
                                      (1.7, 1e22), (2.0, 1e23)])
def test_absorbed_integrals_match_independent_quadrature(gamma, nh):
    for band in BANDS.values():
        assert energy_flux(band, gamma, nh) == pytest.approx(quad_flux(band, gamma, nh),
                                                             rel=1e-8)


def test_absorbed_factor_2rxs_to_common_band():
    """2RXS 0.1-2.4 keV -> 0.5-2 keV at Gamma = 2, N_H = 3e20 cm^-2 (the eRASS1/2RXS
    convention): the independent integration gives the same factor; the value is
    above the unabsorbed ln 4 / ln 24 (absorption removes mostly 0.1-0.5 keV flux)."""
    m = PowerLaw(2.0, 3e20)
    got = conversion_factor(BANDS["rxs2"], COMMON_BAND, m)
    want = quad_flux(COMMON_BAND, 2.0, 3e20) / quad_flux(BANDS["rxs2"], 2.0, 3e20)
    assert got == pytest.approx(want, rel=1e-8)
    assert got > math.log(4) / math.log(24)
    assert 0.6 < got < 0.75  # 0.677 at the time of writing


def test_more_absorption_suppresses_soft_bands_more():
    ratios = [conversion_factor(BANDS["rxs2"], COMMON_BAND, PowerLaw(2.0, nh))
              for nh in (0, 1e20, 3e20, 1e21)]
    assert ratios == sorted(ratios) and ratios[-1] > ratios[0] * 1.5
    # at 1e22 the 0.5-2 keV band is itself absorbed: 2-2.4 keV carries 0.1-2.4 keV
    assert conversion_factor(BANDS["rxs2"], COMMON_BAND, PowerLaw(2.0, 1e22)) < ratios[-1]
    # the hard band loses about 0.1% to 1e20 cm^-2
    assert energy_flux(BANDS["csc_h"], 1.7, 1e20) == pytest.approx(
        analytic_energy_flux(BANDS["csc_h"], 1.7), rel=2e-3)


def test_unabsorbed_target_exceeds_observed():
    obs = conversion_factor(BANDS["csc_b"], COMMON_BAND, PowerLaw(1.7, 1e22))
    intr = conversion_factor(BANDS["csc_b"], COMMON_BAND, PowerLaw(1.7, 1e22, True))
    assert intr > obs
    assert "unabsorbed" in PowerLaw(1.7, 1e22, True).label()
    assert "MM83" in PowerLaw(1.7, 1e22).label()


def test_mm83_table():
    assert float(absorption.sigma_mm83(1.0)) == pytest.approx(2.422e-22, rel=1e-12)
    for edge in absorption.EDGES_KEV:  # sigma rises at every range boundary
        below = float(absorption.sigma_mm83(edge * (1 - 1e-9)))
        above = float(absorption.sigma_mm83(edge))
        assert above > below, edge
    # sigma E^3 stays within the paper's plotted range (Figure 1: ~20-700 x 1e-24)
    e = np.geomspace(0.03, 10, 500)
    s3 = absorption.sigma_mm83(e) * e ** 3 / 1e-24
    assert s3.min() > 15 and s3.max() < 1000


def test_refusals():
    with pytest.raises(XcatError, match=r"0\.03-10\.0 keV"):
        absorption.sigma_mm83(20.0)
    with pytest.raises(XcatError, match="N_H"):
        PowerLaw(2.0, -1.0)
    with pytest.raises(XcatError, match="Gamma"):
        PowerLaw(float("nan"), 0.0)
    with pytest.raises(XcatError, match="unit"):
        parse_band("0.5-2")
    assert parse_band("0.5-2 keV") == Band("0.5-2 keV", 0.5, 2.0)
    with pytest.raises(XcatError, match="e_min < e_max"):
        Band("x", 2.0, 0.5)
