"""Spherical geometry on NumPy arrays, in one place: great-circle separations (the
Vincenty formula astropy uses) and position angles.

Examples
--------
>>> import numpy as np
>>> float(np.round(separation_deg(np.array([359.9]), np.array([0.0]),
...                               np.array([0.1]), np.array([0.0]))[0], 9))
0.2
"""

from __future__ import annotations

import numpy as np


def separation_deg(ra1: np.ndarray, dec1: np.ndarray, ra2: np.ndarray,
                   dec2: np.ndarray) -> np.ndarray:
    """Great-circle separation in degrees (Vincenty, as ``astropy`` computes it)."""
    return vincenty(ra1, dec1, ra2, dec2)[0]


def vincenty(ra1: np.ndarray, dec1: np.ndarray, ra2: np.ndarray, dec2: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(separation in degrees, east and north components): their arctan2 is the PA."""
    lon1, lat1, lon2, lat2 = (np.radians(x) for x in (ra1, dec1, ra2, dec2))
    sdlon, cdlon = np.sin(lon2 - lon1), np.cos(lon2 - lon1)
    s1, c1, s2, c2 = np.sin(lat1), np.cos(lat1), np.sin(lat2), np.cos(lat2)
    num1 = c2 * sdlon
    num2 = c1 * s2 - s1 * c2 * cdlon
    return np.degrees(np.arctan2(np.hypot(num1, num2), s1 * s2 + c1 * c2 * cdlon)), num1, num2


def position_angle_deg(ra1: np.ndarray, dec1: np.ndarray, ra2: np.ndarray,
                       dec2: np.ndarray) -> np.ndarray:
    """Position angle of point 2 seen from point 1, degrees east of north in [0, 360)."""
    lon1, lat1, lon2, lat2 = (np.radians(x) for x in (ra1, dec1, ra2, dec2))
    dlon = lon2 - lon1
    x = np.sin(lat2) * np.cos(lat1) - np.cos(lat2) * np.sin(lat1) * np.cos(dlon)
    y = np.sin(dlon) * np.cos(lat2)
    return np.mod(np.degrees(np.arctan2(y, x)), 360.0)
