"""The science layer over ``xray_sources``: hosts and distances, luminosities and
energy-conversion factors, flag rules, footprints and classification history.

``log`` is the subpackage's logger (``xcat.science``); the CLI's ``-v``/``-q`` set its level.
"""

import logging

log = logging.getLogger(__name__)
