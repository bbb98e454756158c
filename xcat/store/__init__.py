"""The store's floor: the DuckDB file (registry, migrations, derived views, audits) and
the on-disk layout, with SQL in and pandas/Arrow/astropy out (:class:`.db.Database`).

``log`` is the subpackage's logger (``xcat.store``); the CLI's ``-v``/``-q`` set its level.
"""

import logging

log = logging.getLogger(__name__)
