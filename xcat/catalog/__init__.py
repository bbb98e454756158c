"""Catalogs on disk: input tables turned into catalog builds, the HATS writer, cone
searches over the stored HEALPix order, and recorded cross-match runs.

``log`` is the subpackage's logger (``xcat.catalog``); the CLI's ``-v``/``-q`` set its level.
"""

import logging

log = logging.getLogger(__name__)
