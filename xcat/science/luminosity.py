"""Luminosities and count-rate-to-flux conversion.

The ``luminosities`` view computes L = 4 pi d^2 F (d in cm, with astropy's IAU parsec: the
store's macro ``cm_per_mpc()``) from
each source's flux and its host's adopted distance. Catalogs that give count rates
(2RXS) get a 0.1-2.4 keV flux from a named energy-conversion factor (ECF), chosen per
catalog kind in ``ecf_choice``; ``flux_origin`` carries the factor's name.

Factors shipped (``energy_conversion_factors``, ECF = (hr1_slope HR1 + constant) scale):

- ``sfg95_coronal``: (5.30 HR1 + 8.31) 1e-12 erg cm-2 ct-1 (Schmitt, Fleming & Giampapa
  1995), for coronal sources;
- ``mpe_powerlaw_gamma1`` / ``mpe_powerlaw_gamma2``: 10.4e-12 / 5.6e-12 (unabsorbed power
  law, photon index 1 / 2; the default for 2RXS is index 2).

Examples
--------
>>> round(log10_luminosity(1e-14, 6.4), 2)
37.69
>>> set_ecf(store, "rxs2", "sfg95_coronal")                          # doctest: +SKIP
"""

from __future__ import annotations

import math

import pandas as pd

from xcat.errors import XcatError
from xcat.store.db import Database, writes

#: Energy-conversion factors, with the catalog kinds that use each.
LIST_ECFS = """
SELECT e.name, e.hr1_slope, e.constant, e.scale, e.emin_kev, e.emax_kev,
       string_agg(c.kind, ', ' ORDER BY c.kind) AS used_for, e.reference, e.note
FROM energy_conversion_factors AS e
LEFT JOIN ecf_choice AS c ON c.ecf_name = e.name
GROUP BY ALL
ORDER BY e.name
"""


def log10_luminosity(flux_cgs: float, distance_mpc: float) -> float:
    """log10 of L = 4 pi d^2 F in erg/s, for F in erg/s/cm2 and d in Mpc.

    The same formula as the ``luminosities`` view, for quick checks.

    Examples
    --------
    >>> round(log10_luminosity(1e-14, 6.4), 3)
    37.69
    """
    return math.log10(4.0 * math.pi * (distance_mpc * cm_per_mpc()) ** 2 * flux_cgs)


def cm_per_mpc() -> float:
    """1 Mpc in cm by astropy's IAU parsec (3.0856775814913673e24)."""
    import astropy.units as u

    return float((1 * u.Mpc).to_value(u.cm))


def ecfs(store: Database) -> pd.DataFrame:
    """The energy-conversion factors and the catalog kinds that use each."""
    return store.sql(LIST_ECFS)


@writes
def set_ecf(store: Database, kind: str, name: str) -> None:
    """Convert count rates of catalogs of ``kind`` with the factor ``name``.

    New factors are rows of ``energy_conversion_factors`` (insert them in SQL).

    Examples
    --------
    >>> set_ecf(store, "rxs2", "sfg95_coronal")                      # doctest: +SKIP
    """
    names = set(ecfs(store)["name"])
    if name not in names:
        raise XcatError(f"no energy-conversion factor '{name}' ({', '.join(sorted(names))})")
    store.con.execute("INSERT OR REPLACE INTO ecf_choice (kind, ecf_name) "
                      "VALUES ($kind, $ecf_name)", {"kind": kind, "ecf_name": name})
