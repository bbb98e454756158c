"""Everything that leaves the store: the table writer (:mod:`.tables`), AASTeX tables,
DS9 regions, figures, the HTML report and saved samples.

``log`` is the subpackage's logger (``xcat.output``); the CLI's ``-v``/``-q`` set its level.
"""

import logging

log = logging.getLogger(__name__)

#: Every format the table writer (:func:`xcat.output.tables.write_table`) writes.
FORMATS = ("table", "csv", "json", "ecsv", "votable", "fits", "parquet", "latex", "html")
#: Formats that cannot go to a terminal: they need an output file.
BINARY = ("fits", "parquet")
