"""The ``xcat`` command line: parses arguments, calls the library, prints results.

No logic lives here; every command maps to a ``Store`` method or a library function.
Each module registers its commands on the group defined in :mod:`xcat.cli.app`.
"""

from xcat.cli import (  # noqa: F401  (each module registers its commands)
    coverage,
    distance,
    history,
    ingest,
    output,
    products,  # after ingest: its group replaces ingest's plain 'products' command
    science,
    serve,
    xmatch,
)
from xcat.cli.app import cli, main

__all__ = ["cli", "main"]
