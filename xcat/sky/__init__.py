"""Geometry on NumPy arrays, below everything that touches a store: the HEALPix shim
(the only healpy user), the cross-match pair engine, spherical separations and position
angles, match scores, units, and the choice of HATS partitions.

``log`` is the subpackage's logger (``xcat.sky``); the CLI's ``-v``/``-q`` set its level.
"""

import logging

log = logging.getLogger(__name__)
