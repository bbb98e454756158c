"""Reading input files into one table model (:mod:`.table`): VOTable, FITS, CSV (with the
quirks of real exports), ECSV, Parquet and DS9 region files; position columns.

``log`` is the subpackage's logger (``xcat.io``); the CLI's ``-v``/``-q`` set its level.
"""

import logging

log = logging.getLogger(__name__)
