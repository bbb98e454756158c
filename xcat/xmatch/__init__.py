"""Cross-matching two catalogs of a store: options, reading both sides, the pair
engine (:mod:`xcat.sky.pairs`), scores, and recording the run.

``log`` is the subpackage's logger (``xcat.xmatch``); the CLI's ``-v``/``-q`` set its level.
"""

import logging

log = logging.getLogger(__name__)
