"""Remote VO services (TAP with timeouts, retries and clear errors) and ADQL.

``log`` is the subpackage's logger (``xcat.remote``); the CLI's ``-v``/``-q`` set its level.
"""

import logging

log = logging.getLogger(__name__)
