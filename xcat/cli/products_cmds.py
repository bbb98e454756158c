"""``xcat ingest <kind> FILE`` for counterpart catalogs and computed products (issue 4)."""

from __future__ import annotations

import click  # noqa: F401

from xcat.cli.app import cli  # noqa: F401
