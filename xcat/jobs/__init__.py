"""Ingest jobs of one shape (:mod:`xcat.jobs.base`) and the one runner
(:mod:`xcat.jobs.runner`): files, TAP queries and uploads, photometry, products, demo.

``log`` is the subpackage's logger (``xcat.jobs``); the CLI's ``-v``/``-q`` set its level.
"""

import logging

log = logging.getLogger(__name__)
