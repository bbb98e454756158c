"""Old names, kept only until ``xcat/cli/ingest*.py`` imports ``emit``/``show`` from
:mod:`xcat.cli.app`; then delete this module. New code calls
:func:`xcat.output.tables.write_table`.
"""

from __future__ import annotations

import sys

from xcat.output.tables import FORMATS
from xcat.output.tables import write_table as write_rows

__all__ = ["FORMATS", "emit", "write_rows"]


def emit(text: str) -> None:
    """Print text to stdout (as :func:`xcat.cli.app.emit`)."""
    if text:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
